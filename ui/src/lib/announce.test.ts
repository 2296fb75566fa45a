import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Polite } from "./announce";

describe("Polite", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("says at most once per 5 s, the latest text then", () => {
    const said: string[] = [];
    const p = new Polite((t) => said.push(t), 5000, () => Date.now());
    p.update("1 new message");
    expect(said).toEqual(["1 new message"]);
    p.update("2 new messages");
    p.update("7 new messages");
    vi.advanceTimersByTime(4900);
    expect(said).toEqual(["1 new message"]);
    vi.advanceTimersByTime(100);
    expect(said).toEqual(["1 new message", "7 new messages"]);
    // Read meanwhile (null): nothing more is said.
    p.update("8 new messages");
    p.update(null);
    vi.advanceTimersByTime(10_000);
    expect(said).toHaveLength(2);
    p.update("9 new messages");
    expect(said.at(-1)).toBe("9 new messages");
    p.stop();
  });
});
