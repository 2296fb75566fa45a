// Polite announcements for screen readers that change often (the chat's
// "N new messages"): said at most once per interval, the latest text then,
// so a busy chat does not talk over everything (unit-tested).

export const ANNOUNCE_EVERY_MS = 5_000;

export class Polite {
  private last = -Infinity;
  private pending: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly say: (text: string) => void,
    private readonly everyMs = ANNOUNCE_EVERY_MS,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** `text` now if the last announcement is old enough, else the latest
   * text once it is; `null` forgets a pending one. */
  update(text: string | null): void {
    this.pending = text;
    if (text === null) return;
    const wait = this.last + this.everyMs - this.clock();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending === null) return;
    this.say(this.pending);
    this.pending = null;
    this.last = this.clock();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
  }
}
