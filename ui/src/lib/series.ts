// The dashboard chart's data: counters per poll into uPlot's columns, the
// chat count turned into a rate (messages per minute between polls).
import type { SampleView } from "./ipc-types";

export type Columns = [number[], number[], number[], number[]];

/** x in seconds, viewers, likes, chat messages per minute. */
export function columns(samples: SampleView[]): Columns {
  const x: number[] = [];
  const viewers: number[] = [];
  const likes: number[] = [];
  const chatRate: number[] = [];
  let prev: SampleView | null = null;
  for (const s of samples) {
    if (prev && s.atMs <= prev.atMs) continue; // out of order or repeated
    x.push(s.atMs / 1000);
    viewers.push(s.viewers);
    likes.push(s.likes);
    if (prev) {
      const minutes = (s.atMs - prev.atMs) / 60_000;
      chatRate.push(Math.max(0, s.chats - prev.chats) / minutes);
    } else {
      chatRate.push(0);
    }
    prev = s;
  }
  return [x, viewers, likes, chatRate];
}

/** Appends a sample, keeping at most `max`. */
export function append(samples: SampleView[], s: SampleView, max = 10_000): SampleView[] {
  const last = samples[samples.length - 1];
  if (last && s.atMs <= last.atMs) return samples;
  const next = samples.length >= max ? samples.slice(samples.length - max + 1) : samples.slice();
  next.push(s);
  return next;
}
