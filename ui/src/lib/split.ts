// The dashboard's split: the live's side on the left, the chat on the
// right at a width the user sets (dragged or with the arrow keys) and the
// settings remember. Pure arithmetic, so it is tested without a window.

/** The settings' bounds (crates/desk: CHAT_WIDTH_MIN, CHAT_WIDTH_MAX). */
export const CHAT_MIN = 280;
export const CHAT_MAX = 1600;
/** Until the settings are read (crates/desk: Settings::default). */
export const CHAT_DEFAULT = 420;
/** The live's side never gets narrower than this while the chat is beside it. */
export const LIVE_MIN = 520;
/** Windows at least this wide show the two side by side (app.css says the same). */
export const WIDE = 1000;
/** One arrow key's step, and with Shift. */
export const STEP = 20;
export const BIG_STEP = 100;

/** The chat's width for a wish in a split `total` px wide (the splitter
 * included): within the settings' bounds and leaving the live its room. */
export function chatWidthIn(want: number, total: number): number {
  const most = Math.max(CHAT_MIN, Math.min(CHAT_MAX, total - LIVE_MIN));
  return Math.round(Math.min(most, Math.max(CHAT_MIN, want)));
}

/** The width a key asks for: the splitter is on the chat's left edge, so
 * left widens the chat and right narrows it; Home and End go to the bounds.
 * Null for any other key. */
export function keyedWidth(key: string, shift: boolean, width: number, total: number): number | null {
  const step = shift ? BIG_STEP : STEP;
  switch (key) {
    case "ArrowLeft":
      return chatWidthIn(width + step, total);
    case "ArrowRight":
      return chatWidthIn(width - step, total);
    case "Home":
      return chatWidthIn(CHAT_MAX, total);
    case "End":
      return chatWidthIn(CHAT_MIN, total);
    default:
      return null;
  }
}
