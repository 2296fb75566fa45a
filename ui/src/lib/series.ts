// The dashboard chart's data: counters per poll into uPlot's columns, the
// chat count turned into a rate (messages per minute between polls).
import type { EventKind, ModAction, ModRecordView, Sample, SessionEventView } from "./ipc-types";

export type Columns = [number[], number[], number[], number[], (number | null)[], (number | null)[]];

/** x in seconds, viewers, likes, chat messages per minute, and the
 * bitrate the service received and OBS sent (kbit/s; null where unknown). */
export function columns(samples: Sample[]): Columns {
  const x: number[] = [];
  const viewers: number[] = [];
  const likes: number[] = [];
  const chatRate: number[] = [];
  const received: (number | null)[] = [];
  const sent: (number | null)[] = [];
  let prev: Sample | null = null;
  for (const s of samples) {
    if (prev && s.atMs <= prev.atMs) continue; // out of order or repeated
    x.push(s.atMs / 1000);
    viewers.push(s.viewers);
    likes.push(s.likes);
    received.push(s.receivedKbps);
    sent.push(s.sentKbps);
    if (prev) {
      const minutes = (s.atMs - prev.atMs) / 60_000;
      chatRate.push(Math.max(0, s.chats - prev.chats) / minutes);
    } else {
      chatRate.push(0);
    }
    prev = s;
  }
  return [x, viewers, likes, chatRate, received, sent];
}

/** What the chart's time axis shows: the live's own time (since it
 * started), or the clock over the last 5, 30 or 60 minutes. */
export type TimeView = "elapsed" | 5 | 30 | 60;
export const TIME_VIEWS: TimeView[] = ["elapsed", 5, 30, 60];

/** The shortest span the axis shows (s): one sample sits in five minutes. */
export const MIN_SPAN_S = 300;

/** Tick steps the axis may use (s): whole seconds, minutes and hours. */
export const TICK_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];

/** Where the axis's zero is (s since the epoch): the live's start in the
 * "elapsed" view (else its first point), the epoch in a clock view. */
export function origin(view: TimeView, x: number[], marks: Marker[], startSec: number | null): number {
  if (view !== "elapsed") return 0;
  if (startSec !== null && Number.isFinite(startSec)) return startSec;
  const first = Math.min(x[0] ?? Infinity, ...marks.map((m) => m.x));
  return Number.isFinite(first) ? first : 0;
}

/** The axis's range, in seconds on the axis (since `origin`): since the
 * start up to the last point, at least five minutes; or the chosen number
 * of minutes up to the last point (now when there is none). */
export function timeRange(
  view: TimeView,
  x: number[],
  marks: Marker[],
  startSec: number | null,
  nowSec = Date.now() / 1000,
): [number, number] {
  const zero = origin(view, x, marks, startSec);
  const last = Math.max(x[x.length - 1] ?? -Infinity, ...marks.map((m) => m.x));
  const hi = (Number.isFinite(last) ? last : nowSec) - zero;
  if (view === "elapsed") {
    const lo = Math.min(0, hi);
    return [lo, Math.max(hi, lo + MIN_SPAN_S)];
  }
  return [hi - view * 60, hi];
}

/** An axis label for `sec` on the axis: the time since the start (`m:ss`,
 * `h:mm:ss`), or the time of day (`hh:mm`, `hh:mm:ss` for steps under a
 * minute) in the UI's language. Never a date. */
export function tickLabel(view: TimeView, sec: number, step: number, locale = "en"): string {
  if (view === "elapsed") {
    const sign = sec < 0 ? "-" : "";
    const total = Math.round(Math.abs(sec));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const two = (n: number) => String(n).padStart(2, "0");
    return sign + (h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`);
  }
  const options: Intl.DateTimeFormatOptions =
    step < 60 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale, options).format(new Date(sec * 1000));
}

/** Appends a sample, keeping at most `max`. */
export function append(samples: Sample[], s: Sample, max = 10_000): Sample[] {
  const last = samples[samples.length - 1];
  if (last && s.atMs <= last.atMs) return samples;
  const next = samples.length >= max ? samples.slice(samples.length - max + 1) : samples.slice();
  next.push(s);
  return next;
}

/** A moderation action (or a reconnect of OBS's stream) on the chart: a
 * dashed line at `x` (seconds). */
export interface Marker {
  x: number;
  kind: ModAction["kind"] | "obsReconnect" | SignalKind;
  colour: string;
}

/** The chart draws new samples at most this often (ms): each redraw
 * repaints the whole plot, and at the poll's 5 s the chart cost the
 * dashboard a third of its CPU (`make bench`); the cards above show each
 * poll's figures. Markers (an action, a reconnect) draw at once. */
export const REDRAW_EVERY_MS = 15_000;

/** Markers as one comparable string: the same markers, the same key. */
export function marksKey(marks: Marker[]): string {
  return marks.map((m) => `${m.kind}@${m.x}`).join(",");
}

/** New samples come with the live's poll, every 5 s give or take: a
 * sample this close to REDRAW_EVERY_MS after the last redraw is drawn
 * with it, in the frame that paints the poll's other changes. */
export const REDRAW_SLACK_MS = 2_500;

/** How long until the chart draws new samples: now when `urgent` (new
 * markers, the first points), for a chart not drawn yet, or for a sample
 * about REDRAW_EVERY_MS after the last redraw; else the time left (a
 * fallback: the next sample comes sooner). */
export function redrawIn(lastDrawnMs: number | null, urgent: boolean, nowMs: number): number {
  if (lastDrawnMs === null || urgent) return 0;
  const left = lastDrawnMs + REDRAW_EVERY_MS - nowMs;
  return left <= REDRAW_SLACK_MS ? 0 : left;
}

/** Reconnects of OBS's stream (ms since the epoch) as markers. */
export function obsMarkers(atMs: number[]): Marker[] {
  return atMs.map((at) => ({ x: at / 1000, kind: "obsReconnect", colour: "#c678dd" }));
}

/** The session events that are the stream's own. */
export type SignalKind = Extract<EventKind, "SIGNAL_INTERRUPTED" | "SIGNAL_RESTORED" | "STABLE">;

const SIGNAL_COLOUR: Record<SignalKind, string> = {
  SIGNAL_INTERRUPTED: "#e62837",
  SIGNAL_RESTORED: "#3fb37f",
  STABLE: "#56b6c2",
};

const isSignal = (k: EventKind): k is SignalKind => k in SIGNAL_COLOUR;

/** The stream's events of a session (interrupted, restored, stable) as
 * markers, oldest first. */
export function signalMarkers(events: SessionEventView[]): Marker[] {
  return events
    .flatMap((e) => (isSignal(e.kind) ? [{ x: Date.parse(e.at) / 1000, kind: e.kind, colour: SIGNAL_COLOUR[e.kind] }] : []))
    .filter((m) => Number.isFinite(m.x))
    .sort((a, b) => a.x - b.x);
}

const MARK_COLOUR: Record<ModAction["kind"], string> = {
  delete: "#9a9fab",
  timedBan: "#d9a441",
  ban: "#e62837",
  unban: "#3fb37f",
  mod: "#7aa2ff",
  unmod: "#7aa2ff",
};

/** What the service did (refused calls are not marked), oldest first. */
export function markers(records: ModRecordView[]): Marker[] {
  return records
    .filter((r) => r.error === null)
    .map((r) => ({ x: r.atMs / 1000, kind: r.action.kind, colour: MARK_COLOUR[r.action.kind] }))
    .sort((a, b) => a.x - b.x);
}
