import { describe, expect, it } from "vitest";
import { chatTally, frameStats, tallyChat } from "./measure";

describe("frameStats", () => {
  it("gives the longest frame and the 95th percentile", () => {
    expect(frameStats([])).toEqual({ frames: 0, longestMs: 0, p95Ms: 0 });
    const d = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    expect(frameStats(d)).toEqual({ frames: 100, longestMs: 100, p95Ms: 95 });
    expect(frameStats([16.7])).toEqual({ frames: 1, longestMs: 16.7, p95Ms: 16.7 });
  });
});

describe("tallyChat", () => {
  it("counts messages and keeps the worst delay", () => {
    const at = new Date(Date.now() - 2000).toISOString();
    tallyChat(3, 0, at);
    tallyChat(2, 1, undefined);
    expect(chatTally.received).toBe(5);
    expect(chatTally.unshown).toBe(1);
    expect(chatTally.lagMs).toBeGreaterThanOrEqual(2000);
    expect(chatTally.lagMs).toBeLessThan(60_000);
  });
});
