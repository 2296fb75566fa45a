// Formatting shared by the screens (unit-tested in format.test.ts).
import { t, type Lang } from "./i18n";

/** `h:mm:ss` (or `m:ss` under an hour) of a duration in milliseconds. */
export function elapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** The live clock: `h:mm:ss` with seconds, else hours and minutes. */
export function clock(ms: number, seconds: boolean, l?: Lang): string {
  if (seconds) return elapsed(ms);
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? t("clock.m", { m }, l) : t("clock.hm", { h, m: String(m).padStart(2, "0") }, l);
}

/** A count with thousands separators in the UI's language. */
export function count(n: number | null | undefined, locale = "en"): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return new Intl.NumberFormat(locale).format(n);
}

/** A date and time in the UI's language, or "–" for what does not parse. */
export function when(iso: string | null | undefined, locale = "en"): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "–";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** A datetime-local input's value as RFC 3339 with the local offset. */
export function localInputToRfc3339(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const two = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${sign}${two(off / 60)}:${two(off % 60)}`;
}
