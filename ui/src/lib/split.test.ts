import { describe, expect, it } from "vitest";
import { CHAT_MAX, CHAT_MIN, LIVE_MIN, STEP, chatWidthIn, keyedWidth } from "./split";

describe("the dashboard's split", () => {
  it("keeps the chat within its bounds and leaves the live its room", () => {
    expect(chatWidthIn(420, 1280)).toBe(420);
    expect(chatWidthIn(10, 1280)).toBe(CHAT_MIN);
    expect(chatWidthIn(5000, 1280)).toBe(1280 - LIVE_MIN);
    expect(chatWidthIn(5000, 4000)).toBe(CHAT_MAX);
    // A window too small for both minimums: the chat keeps its own.
    expect(chatWidthIn(420, 600)).toBe(CHAT_MIN);
    expect(chatWidthIn(420.6, 1280)).toBe(421);
  });

  it("moves with the arrow keys, Home and End", () => {
    expect(keyedWidth("ArrowLeft", false, 420, 1280)).toBe(420 + STEP);
    expect(keyedWidth("ArrowRight", false, 420, 1280)).toBe(420 - STEP);
    expect(keyedWidth("ArrowRight", true, 420, 1280)).toBe(320);
    expect(keyedWidth("ArrowRight", true, 300, 1280)).toBe(CHAT_MIN);
    expect(keyedWidth("Home", false, 420, 1280)).toBe(1280 - LIVE_MIN);
    expect(keyedWidth("End", false, 420, 1280)).toBe(CHAT_MIN);
    expect(keyedWidth("a", false, 420, 1280)).toBeNull();
  });
});
