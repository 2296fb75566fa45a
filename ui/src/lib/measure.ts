// The page measuring itself for the benchmarks (`onair --measure-ui`): the
// time between animation frames (requestAnimationFrame: how long the page
// could not draw), and the chat the pane took in. A report goes to the
// app's log every `every` ms. Off unless the app was started to measure;
// the counters cost an addition per chat batch.

export interface Window {
  frames: number;
  longestMs: number;
  p95Ms: number;
}

/** Frame figures of one window of frame durations (ms). */
export function frameStats(durations: number[]): Window {
  if (durations.length === 0) return { frames: 0, longestMs: 0, p95Ms: 0 };
  const sorted = durations.slice().sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1);
  return { frames: sorted.length, longestMs: sorted[sorted.length - 1]!, p95Ms: sorted[at]! };
}

/** Chat taken in since the pane opened, and the worst delay this window. */
export const chatTally = { received: 0, unshown: 0, lagMs: 0, batchMs: 0 };

/** Counts a batch the pane took in: `added` new messages, `unshown` of
 * them dropped at once, the newest sent at `newestAt` (ISO time). */
export function tallyChat(added: number, unshown: number, newestAt: string | undefined) {
  chatTally.received += added;
  chatTally.unshown += unshown;
  if (newestAt) chatTally.lagMs = Math.max(chatTally.lagMs, Date.now() - Date.parse(newestAt));
}

/** Counts the script time of one batch, from `since` (performance.now()). */
export function tallyBatch(since: number) {
  chatTally.batchMs = Math.max(chatTally.batchMs, performance.now() - since);
}

export function startMeasuring(
  report: (w: Window & typeof chatTally) => void,
  every = 10_000,
): () => void {
  let durations: number[] = [];
  let last = performance.now();
  let frame = requestAnimationFrame(function step(now) {
    durations.push(now - last);
    last = now;
    frame = requestAnimationFrame(step);
  });
  const timer = setInterval(() => {
    report({ ...frameStats(durations), ...chatTally });
    durations = [];
    chatTally.lagMs = 0;
    chatTally.batchMs = 0;
  }, every);
  return () => {
    cancelAnimationFrame(frame);
    clearInterval(timer);
  };
}
