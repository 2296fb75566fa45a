// What the service receives, compared with what OBS says it sends: the
// two failures streamers fear most (OBS "live" with the wrong key, and
// someone else streaming with a leaked one) and a stream lost while on air.
import type { IngestView, LiveView, ObsView } from "./ipc-types";

/** How long a difference lasts before it is said (an encoder connecting,
 * a blip of a reconnect). */
export const GRACE_MS = 10_000;

/** Frames older than this are not "arriving now". */
const FRESH_MS = 3_000;

export type StreamWarning =
  /** OBS has streamed for GRACE_MS, and the service receives nothing. */
  | { kind: "notReceiving" }
  /** The service receives, while onair's OBS is connected and idle. */
  | { kind: "someoneElse" }
  /** On air, and the stream has been away GRACE_MS; the service ends the
   * live in `secondsLeft` (null: it does not end it on its own). */
  | { kind: "signalLost"; secondsLeft: number | null };

export interface Sides {
  live: LiveView;
  /** The service's ingest (null: it does not tell, or not yet). */
  ingest: IngestView | null;
  obs: ObsView | null;
  /** Since when OBS streams (ms since the epoch). */
  obsStreamingSince: number | null;
  now: number;
}

/** What differs between the two sides now, most urgent first. */
export function compare({ live, ingest, obs, obsStreamingSince, now }: Sides): StreamWarning[] {
  const out: StreamWarning[] = [];
  const stream = live.stream;
  if (live.status === "ON_AIR" && stream?.signal === "INTERRUPTED" && stream.interruptedAt) {
    const away = now - Date.parse(stream.interruptedAt);
    if (away >= GRACE_MS) {
      const secondsLeft = stream.autoStop ? Math.max(0, Math.ceil(stream.stopTimeout - away / 1000)) : null;
      out.push({ kind: "signalLost", secondsLeft });
    }
  }
  if (ingest === null || obs === null || !obs.connected) return out;
  const receiving = ingest.signal === "RECEIVING";
  if (obs.streaming && obsStreamingSince !== null && now - obsStreamingSince >= GRACE_MS && !receiving) {
    out.push({ kind: "notReceiving" });
  }
  const arriving = receiving && (ingest.sinceLastFrameMs ?? Infinity) < FRESH_MS;
  if (arriving && !obs.streaming && obs.state === "idle") out.push({ kind: "someoneElse" });
  return out;
}

/** When `compare` may answer differently with the same sides, only the
 * clock moving (ms since the epoch): a grace ending, the countdown's next
 * second; null when only new reports can change it. The dashboard wakes
 * then, instead of ticking. */
export function nextChangeAt({ live, ingest, obs, obsStreamingSince, now }: Sides): number | null {
  const at: number[] = [];
  const stream = live.stream;
  if (live.status === "ON_AIR" && stream?.signal === "INTERRUPTED" && stream.interruptedAt) {
    const since = Date.parse(stream.interruptedAt);
    const away = now - since;
    if (away < GRACE_MS) at.push(since + GRACE_MS);
    else if (stream.autoStop && away < stream.stopTimeout * 1000) at.push(since + (Math.floor(away / 1000) + 1) * 1000);
  }
  if (
    ingest !== null &&
    obs?.connected &&
    obs.streaming &&
    obsStreamingSince !== null &&
    ingest.signal !== "RECEIVING" &&
    now - obsStreamingSince < GRACE_MS
  ) {
    at.push(obsStreamingSince + GRACE_MS);
  }
  return at.length === 0 ? null : Math.min(...at);
}

/** The resolution and frame rate as a streamer reads them: `1280×720 · 30 fps`. */
export function format(ingest: IngestView): string {
  const parts: string[] = [];
  if (ingest.width && ingest.height) parts.push(`${ingest.width}×${ingest.height}`);
  if (ingest.frameRate !== null) parts.push(`${Math.round(ingest.frameRate * 10) / 10} fps`);
  return parts.join(" · ");
}
