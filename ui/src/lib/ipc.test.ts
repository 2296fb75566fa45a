import { describe, expect, it } from "vitest";
import { listenThenLoad } from "./ipc";

/** A listener registration that completes when told to. */
function registration() {
  let done = () => {};
  const stopped = { count: 0 };
  const p = new Promise<() => void>((resolve) => {
    done = () => resolve(() => (stopped.count += 1));
  });
  return { p, done, stopped };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("listenThenLoad", () => {
  it("loads only once every listener is registered, and stops them all", async () => {
    const a = registration();
    const b = registration();
    let loads = 0;
    const stop = listenThenLoad([a.p, b.p], () => (loads += 1));
    a.done();
    await tick();
    expect(loads).toBe(0);
    b.done();
    await tick();
    expect(loads).toBe(1);
    stop();
    await tick();
    expect([a.stopped.count, b.stopped.count]).toEqual([1, 1]);
  });

  it("still loads when a listener could not be registered", async () => {
    let loads = 0;
    listenThenLoad([Promise.reject(new Error("no"))], () => (loads += 1));
    await tick();
    expect(loads).toBe(1);
  });
});
