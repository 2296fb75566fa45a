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

// Intl formatters are costly to make and free to reuse: one per use and
// locale (the chat formats a time per message).
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function formatter<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  let f = formatters.get(key) as F | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** A count with thousands separators in the UI's language. */
export function count(n: number | null | undefined, locale = "en"): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return formatter(`count ${locale}`, () => new Intl.NumberFormat(locale)).format(n);
}

/** A date and time in the UI's language, or "–" for what does not parse. */
export function when(iso: string | null | undefined, locale = "en"): string {
  const d = date(iso);
  if (!d) return "–";
  return formatter(
    `when ${locale}`,
    () => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }),
  ).format(d);
}

/** The time of day with seconds (a chat message's), or "" for what does
 * not parse. */
export function timeOfDay(iso: string, locale = "en"): string {
  const d = date(iso);
  if (!d) return "";
  return formatter(
    `time ${locale}`,
    () => new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
  ).format(d);
}

function date(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
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

/** Unicode's explicit directional formatting characters (UAX #9 §2.1-2.2:
 * embeddings, overrides, isolates and their ends), by name. */
const BIDI: Record<string, string> = {
  "\u202A": "LRE",
  "\u202B": "RLE",
  "\u202C": "PDF",
  "\u202D": "LRO",
  "\u202E": "RLO",
  "\u2066": "LRI",
  "\u2067": "RLI",
  "\u2068": "FSI",
  "\u2069": "PDI",
};

/** A stranger's text (chat, titles, channel names, descriptions) as it is
 * shown: its directional controls as visible marks (‹RLO›) rather than
 * obeyed, so an override cannot reverse what follows it ("evil" read as
 * "live"). The element holding it is isolated too (`dir="auto"`). */
export function shown(text: string): string {
  return text.replace(/[\u202A-\u202E\u2066-\u2069]/g, (c) => `‹${BIDI[c]}›`);
}
