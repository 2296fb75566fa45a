import { describe, expect, it } from "vitest";
import { GRACE_MS, compare, format, nextChangeAt } from "./ingest";
import type { IngestView, LiveView, ObsView } from "./ipc-types";

const NOW = Date.parse("2026-12-06T10:00:00Z");

const live = (over: Partial<LiveView> = {}): LiveView => ({
  liveId: "L1",
  title: "t",
  description: null,
  status: "ON_AIR",
  scope: "PUBLIC",
  reservedAt: "2026-12-06T09:00:00Z",
  startAt: "2026-12-06T09:00:00Z",
  liveLink: "https://x.example/l",
  stat: null,
  server: "rtmp://x.example/live",
  stream: { signal: "RECEIVING", autoStart: true, autoStop: true, stopTimeout: 30, interruptedAt: null },
  ...over,
});

const ingest = (over: Partial<IngestView> = {}): IngestView => ({
  liveId: "L1",
  signal: "RECEIVING",
  verdict: "excellent",
  reasons: [],
  codec: "h264",
  width: 1280,
  height: 720,
  frameRate: 30,
  keyframeInterval: 2,
  videoKbps: 2500,
  video10sKbps: 2500,
  audioKbps: 128,
  audioCodec: "aac",
  sampleRate: 48000,
  timestampGaps: 0,
  sinceLastFrameMs: 20,
  publishingSince: "2026-12-06T09:00:00Z",
  publisher: { address: "127.0.0.1:50000", encoder: "obs-output module (libobs version 30.0.0)" },
  playable: true,
  ...over,
});

const obs = (over: Partial<ObsView> = {}): ObsView => ({
  connected: true,
  endpoint: "127.0.0.1:4455",
  version: "5.4.2",
  streaming: true,
  state: "live",
  reconnects: 0,
  bitrateKbps: 2600,
  congestion: 0,
  droppedFrames: 0,
  totalFrames: 100,
  canUndo: false,
  problem: null,
  ...over,
});

const idle = obs({ streaming: false, state: "idle", bitrateKbps: null });
const kinds = (w: { kind: string }[]) => w.map((x) => x.kind);
/** On air, its stream away `awayMs`. */
const lost = (awayMs: number, autoStop = true) =>
  live({
    stream: {
      signal: "INTERRUPTED",
      autoStart: true,
      autoStop,
      stopTimeout: 30,
      interruptedAt: new Date(NOW - awayMs).toISOString(),
    },
  });

describe("compare", () => {
  it("says nothing when OBS sends and the service receives", () => {
    expect(compare({ live: live(), ingest: ingest(), obs: obs(), obsStreamingSince: NOW - 60_000, now: NOW })).toEqual([]);
  });

  it("says OBS is not reaching the service once it has streamed 10 s into nothing", () => {
    const nothing = ingest({ signal: "NONE", verdict: "no_signal", sinceLastFrameMs: null });
    const sides = { live: live({ stream: null }), ingest: nothing, obs: obs() };
    expect(compare({ ...sides, obsStreamingSince: NOW - GRACE_MS + 1, now: NOW })).toEqual([]);
    expect(kinds(compare({ ...sides, obsStreamingSince: NOW - GRACE_MS, now: NOW }))).toEqual(["notReceiving"]);
  });

  it("says something else streams when the service receives and onair's OBS is idle", () => {
    expect(kinds(compare({ live: live(), ingest: ingest(), obs: idle, obsStreamingSince: null, now: NOW }))).toEqual([
      "someoneElse",
    ]);
    // OBS just stopped: its last frames are not someone else's.
    const stale = ingest({ sinceLastFrameMs: 5000 });
    expect(compare({ live: live(), ingest: stale, obs: idle, obsStreamingSince: null, now: NOW })).toEqual([]);
    // OBS stopping, or not connected: nothing to compare with.
    const stopping = obs({ streaming: false, state: "stopping" });
    expect(compare({ live: live(), ingest: ingest(), obs: stopping, obsStreamingSince: null, now: NOW })).toEqual([]);
    const away = obs({ connected: false, streaming: false, state: "off" });
    expect(compare({ live: live(), ingest: ingest(), obs: away, obsStreamingSince: null, now: NOW })).toEqual([]);
  });

  it("says the signal is lost after 10 s on air, with the seconds left", () => {
    const none = ingest({ signal: "INTERRUPTED", sinceLastFrameMs: 12_000 });
    const args = { ingest: none, obs: null, obsStreamingSince: null, now: NOW };
    expect(compare({ ...args, live: lost(9_000) })).toEqual([]);
    expect(compare({ ...args, live: lost(12_500) })).toEqual([{ kind: "signalLost", secondsLeft: 18 }]);
    expect(compare({ ...args, live: lost(45_000) })).toEqual([{ kind: "signalLost", secondsLeft: 0 }]);
    expect(compare({ ...args, live: lost(12_000, false) })).toEqual([{ kind: "signalLost", secondsLeft: null }]);
    // Off air, a lost signal is nobody's concern.
    expect(compare({ ...args, live: { ...lost(60_000), status: "END" } })).toEqual([]);
  });

  it("says nothing of OBS where the service does not tell what it receives", () => {
    expect(compare({ live: live({ stream: null }), ingest: null, obs: obs(), obsStreamingSince: 0, now: NOW })).toEqual([]);
  });
});

describe("nextChangeAt", () => {
  const none = ingest({ signal: "NONE", verdict: "no_signal", sinceLastFrameMs: null });

  it("is never while the sides only change with new reports", () => {
    expect(nextChangeAt({ live: live(), ingest: ingest(), obs: obs(), obsStreamingSince: NOW - 60_000, now: NOW })).toBe(null);
    expect(nextChangeAt({ live: live(), ingest: ingest(), obs: idle, obsStreamingSince: null, now: NOW })).toBe(null);
    // OBS streamed into nothing past the grace: said already.
    const past = { live: live({ stream: null }), ingest: none, obs: obs(), obsStreamingSince: NOW - GRACE_MS, now: NOW };
    expect(nextChangeAt(past)).toBe(null);
  });

  it("is when the grace of OBS streaming into nothing ends", () => {
    const sides = { live: live({ stream: null }), ingest: none, obs: obs(), obsStreamingSince: NOW - 4_000, now: NOW };
    const at = nextChangeAt(sides)!;
    expect(at).toBe(NOW + GRACE_MS - 4_000);
    expect(compare({ ...sides, now: at - 1 })).toEqual([]);
    expect(kinds(compare({ ...sides, now: at }))).toEqual(["notReceiving"]);
  });

  it("is when a lost signal is said, then each second of its countdown, until it ends", () => {
    const args = { ingest: none, obs: null, obsStreamingSince: null, now: NOW };
    expect(nextChangeAt({ ...args, live: lost(9_000) })).toBe(NOW + 1_000);
    const counting = { ...args, live: lost(12_500) };
    const at = nextChangeAt(counting)!;
    expect(at).toBe(NOW + 500);
    expect(compare({ ...counting, now: at })).toEqual([{ kind: "signalLost", secondsLeft: 17 }]);
    expect(nextChangeAt({ ...args, live: lost(30_000) })).toBe(null);
    expect(nextChangeAt({ ...args, live: lost(12_000, false) })).toBe(null);
    // A report older than the interruption (the clock behind it) still wakes at the grace's end.
    expect(nextChangeAt({ ...args, live: lost(2_000), now: NOW - 5_000 })).toBe(NOW + GRACE_MS - 2_000);
  });
});

describe("format", () => {
  it("reads as a streamer says it", () => {
    expect(format(ingest({ frameRate: 29.97 }))).toBe("1280×720 · 30 fps");
    expect(format(ingest({ width: null, height: null, frameRate: null }))).toBe("");
  });
});
