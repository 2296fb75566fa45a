// The live and its chat are polled on the same 5 s beat, but their answers
// reach the page a few milliseconds apart. Handlers wrapped here run
// together, in one task, once the first of a burst has waited WINDOW_MS:
// one Svelte flush per beat. (Measured with strace, WebKitGTK still paints
// each beat in two updates with or without it; see README "The desktop
// app".)

/** How long the first update of a burst waits for the others (ms). */
export const WINDOW_MS = 80;

let queue: (() => void)[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

function flush() {
  timer = undefined;
  const run = queue;
  queue = [];
  for (const f of run) {
    try {
      f();
    } catch (e) {
      console.error(e);
    }
  }
}

/** `handler`, run with the other wrapped handlers of its burst, in the
 * order their events came. */
export function together<T>(handler: (event: T) => void): (event: T) => void {
  return (event) => {
    queue.push(() => handler(event));
    timer ??= setTimeout(flush, WINDOW_MS);
  };
}
