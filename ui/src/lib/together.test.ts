import { afterEach, describe, expect, it, vi } from "vitest";
import { WINDOW_MS, together } from "./together";

describe("together", () => {
  afterEach(() => vi.useRealTimers());

  it("runs a burst's handlers in one go, in order, after the window", () => {
    vi.useFakeTimers();
    const seen: string[] = [];
    const live = together((n: number) => seen.push(`live ${n}`));
    const chat = together((s: string) => seen.push(`chat ${s}`));
    live(1);
    vi.advanceTimersByTime(WINDOW_MS / 2);
    chat("a");
    live(2);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(WINDOW_MS / 2);
    expect(seen).toEqual(["live 1", "chat a", "live 2"]);
    // The next burst waits its own window.
    chat("b");
    expect(seen.length).toBe(3);
    vi.advanceTimersByTime(WINDOW_MS);
    expect(seen).toEqual(["live 1", "chat a", "live 2", "chat b"]);
  });

  it("runs the others when one throws", () => {
    vi.useFakeTimers();
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const seen: number[] = [];
    together(() => {
      throw new Error("boom");
    })(0);
    together((n: number) => seen.push(n))(1);
    vi.advanceTimersByTime(WINDOW_MS);
    expect(seen).toEqual([1]);
    expect(spy).toHaveBeenCalled();
  });
});
