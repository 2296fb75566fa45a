// Where the keyboard is when the screen changes under it: a control that
// replaces the one just used takes the focus, so it is never left on a
// control that is gone (the page's body, which nothing shows).

/** Svelte action: the element takes the focus when it appears. For what
 * appears because the user acted (a dialog's safe choice, the next step),
 * never for what appears by itself. */
export function focusHere(node: HTMLElement) {
  queueMicrotask(() => node.focus());
}

/** After a change that may have removed the focused control: `to` takes
 * the focus if nothing holds it any more. */
export function refocus(to: HTMLElement | null | undefined) {
  const at = document.activeElement;
  if (to && (at === null || at === document.body || !at.isConnected)) to.focus();
}
