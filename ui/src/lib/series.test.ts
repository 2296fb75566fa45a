import { describe, expect, it } from "vitest";
import type { IpcError, ModAction, ModRecordView, Sample, SessionEventView } from "./ipc-types";
import {
  MIN_SPAN_S,
  REDRAW_EVERY_MS,
  REDRAW_SLACK_MS,
  append,
  columns,
  marksKey,
  markers,
  obsMarkers,
  origin,
  redrawIn,
  signalMarkers,
  tickLabel,
  timeRange,
  type Marker,
} from "./series";

const s = (atMs: number, viewers: number, likes: number, chats: number, receivedKbps: number | null = null): Sample => ({
  atMs,
  viewers,
  likes,
  chats,
  receivedKbps,
  sentKbps: null,
});

describe("columns", () => {
  it("turns cumulative chats into a per-minute rate", () => {
    const [x, v, l, rate] = columns([s(0, 1, 0, 10), s(30_000, 5, 1, 20), s(60_000, 4, 2, 20)]);
    expect(x).toEqual([0, 30, 60]);
    expect(v).toEqual([1, 5, 4]);
    expect(l).toEqual([0, 1, 2]);
    expect(rate).toEqual([0, 20, 0]);
  });
  it("carries the received and sent bitrates, null where unknown", () => {
    const [, , , , received, sent] = columns([s(0, 0, 0, 0, 2500), s(5000, 0, 0, 0)]);
    expect(received).toEqual([2500, null]);
    expect(sent).toEqual([null, null]);
  });
  it("skips repeated or out-of-order samples and never goes negative", () => {
    const [x, , , rate] = columns([s(1000, 0, 0, 5), s(1000, 0, 0, 6), s(61_000, 0, 0, 3)]);
    expect(x).toEqual([1, 61]);
    expect(rate).toEqual([0, 0]);
  });
});

describe("append", () => {
  it("is bounded and ordered", () => {
    let all = [s(1, 0, 0, 0)];
    all = append(all, s(2, 0, 0, 0), 2);
    all = append(all, s(3, 0, 0, 0), 2);
    all = append(all, s(3, 0, 0, 0), 2);
    expect(all.map((a) => a.atMs)).toEqual([2, 3]);
  });
});

describe("markers", () => {
  it("marks what the service did, oldest first, refusals left out", () => {
    const rec = (atMs: number, action: ModAction, error: IpcError | null = null): ModRecordView => ({
      id: atMs,
      liveId: "l",
      atMs,
      by: "streamer",
      userId: "u",
      action,
      error,
    });
    const m = markers([
      rec(3000, { kind: "ban" }),
      rec(1000, { kind: "delete", messageId: "m" }),
      rec(2000, { kind: "ban" }, { code: "forbidden", message: "not allowed" }),
    ]);
    expect(m.map((x) => [x.x, x.kind])).toEqual([
      [1, "delete"],
      [3, "ban"],
    ]);
    expect(m[1]!.colour).toBe("#e62837");
  });
});

describe("obsMarkers", () => {
  it("marks each reconnect of OBS's stream at its time, apart from moderation", () => {
    const m = obsMarkers([1_700_000_000_000, 1_700_000_060_000]);
    expect(m.map((x) => x.x)).toEqual([1_700_000_000, 1_700_000_060]);
    expect(m.every((x) => x.kind === "obsReconnect")).toBe(true);
    expect(new Set(m.map((x) => x.colour)).size).toBe(1);
    expect(obsMarkers([])).toEqual([]);
  });
});

describe("signalMarkers", () => {
  it("marks the stream's own events only, oldest first", () => {
    const ev = (at: string, kind: SessionEventView["kind"]): SessionEventView => ({ eventId: at, at, kind, detail: null });
    const m = signalMarkers([
      ev("2026-12-06T10:00:30Z", "SIGNAL_RESTORED"),
      ev("2026-12-06T10:00:00Z", "START"),
      ev("2026-12-06T10:00:20Z", "SIGNAL_INTERRUPTED"),
      ev("2026-12-06T10:00:10Z", "STABLE"),
    ]);
    expect(m.map((x) => x.kind)).toEqual(["STABLE", "SIGNAL_INTERRUPTED", "SIGNAL_RESTORED"]);
    expect(m[0]!.x).toBe(Date.parse("2026-12-06T10:00:10Z") / 1000);
  });
});

describe("redrawIn", () => {
  it("draws at once the first time and for new markers, else every REDRAW_EVERY_MS", () => {
    expect(redrawIn(null, false, 1000)).toBe(0);
    expect(redrawIn(1000, true, 2000)).toBe(0);
    expect(redrawIn(1000, false, 6000)).toBe(REDRAW_EVERY_MS - 5000);
    // The poll's sample nearest REDRAW_EVERY_MS draws, in its own frame.
    expect(redrawIn(1000, false, 1000 + REDRAW_EVERY_MS - REDRAW_SLACK_MS)).toBe(0);
    expect(redrawIn(1000, false, 1000 + REDRAW_EVERY_MS - REDRAW_SLACK_MS - 1)).toBe(REDRAW_SLACK_MS + 1);
    expect(redrawIn(1000, false, 1000 + REDRAW_EVERY_MS + 1)).toBe(0);
  });

  it("keys markers by what they show", () => {
    const a: Marker[] = [{ x: 1, kind: "ban", colour: "#f00" }];
    expect(marksKey(a)).toBe(marksKey([{ ...a[0]! }]));
    expect(marksKey(a)).not.toBe(marksKey([{ ...a[0]!, x: 2 }]));
    expect(marksKey([])).toBe("");
  });
});

describe("the time axis", () => {
  const start = 1_800_000_000; // a live's start, s since the epoch
  it("shows the live's own time, at least five minutes of it", () => {
    expect(origin("elapsed", [start + 10], [], start)).toBe(start);
    // One sample: a five-minute window from the start, never years.
    expect(timeRange("elapsed", [start + 10], [], start)).toEqual([0, MIN_SPAN_S]);
    expect(timeRange("elapsed", [start + 10, start + 900], [], start)).toEqual([0, 900]);
    // A live not started yet: from its first point.
    expect(origin("elapsed", [start + 10], [], null)).toBe(start + 10);
    // Nothing yet: five minutes up to now.
    expect(timeRange("elapsed", [], [], start, start + 60)).toEqual([0, MIN_SPAN_S]);
    const mark: Marker = { x: start + 1200, kind: "ban", colour: "#fff" };
    expect(timeRange("elapsed", [start + 10, start + 900], [mark], start)).toEqual([0, 1200]);
  });
  it("or the clock over the last 5, 30 or 60 minutes", () => {
    expect(origin(30, [start], [], start)).toBe(0);
    expect(timeRange(5, [start + 10, start + 900], [], start)).toEqual([start + 600, start + 900]);
    expect(timeRange(60, [start + 10], [], start)).toEqual([start + 10 - 3600, start + 10]);
  });
  it("labels ticks without dates", () => {
    expect(tickLabel("elapsed", 0, 60)).toBe("0:00");
    expect(tickLabel("elapsed", 754, 60)).toBe("12:34");
    expect(tickLabel("elapsed", 3_723, 600)).toBe("1:02:03");
    const clock = tickLabel(30, start, 300, "en");
    expect(clock).toMatch(/^\d{2}:\d{2}/);
    expect(clock).not.toMatch(/20\d\d|\//);
    expect(tickLabel(5, start, 30, "en").split(":")).toHaveLength(3);
    expect(tickLabel(60, start, 600, "ja")).toMatch(/^\d{2}:\d{2}$/);
  });
});
