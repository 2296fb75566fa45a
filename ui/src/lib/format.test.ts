import { describe, expect, it } from "vitest";
import { clock, count, elapsed, localInputToRfc3339, shown, timeOfDay, when } from "./format";

describe("elapsed", () => {
  it("formats minutes and hours", () => {
    expect(elapsed(0)).toBe("0:00");
    expect(elapsed(61_000)).toBe("1:01");
    expect(elapsed(3_723_000)).toBe("1:02:03");
    expect(elapsed(-5)).toBe("0:00");
  });
});

describe("clock", () => {
  it("shows minutes, or seconds when asked", () => {
    expect(clock(59_999, false, "en")).toBe("0 min");
    expect(clock(3_723_000, false, "en")).toBe("1 h 02 min");
    expect(clock(3_723_000, false, "ko")).toBe("1시간 02분");
    expect(clock(3_723_000, true, "en")).toBe("1:02:03");
  });
});

describe("count", () => {
  it("groups thousands and shows a dash for nothing", () => {
    expect(count(1234567)).toBe("1,234,567");
    expect(count(null)).toBe("–");
    expect(count(Number.NaN)).toBe("–");
    expect(count(1234, "ko")).toBe("1,234");
  });
});

describe("when", () => {
  it("refuses what is not a date", () => {
    expect(when("not a date")).toBe("–");
    expect(when(null)).toBe("–");
    expect(when("2026-11-21T17:11:44+09:00")).toContain("2026");
  });
});

describe("localInputToRfc3339", () => {
  it("keeps the instant and adds the offset", () => {
    const out = localInputToRfc3339("2026-11-21T17:30");
    expect(out).toMatch(/^2026-11-21T17:30:00[+-]\d\d:\d\d$/);
    expect(new Date(out!).getTime()).toBe(new Date("2026-11-21T17:30").getTime());
    expect(localInputToRfc3339("")).toBeNull();
  });
});

describe("timeOfDay", () => {
  it("shows a message's time with seconds, or nothing for a bad date", () => {
    expect(timeOfDay("2026-11-21T10:00:05Z", "en")).toMatch(/:05/);
    expect(timeOfDay("yesterday", "en")).toBe("");
  });
});

describe("shown", () => {
  it("shows directional controls instead of obeying them", () => {
    expect(shown("\u202Elive moderator")).toBe("‹RLO›live moderator");
    expect(shown("a\u2066b\u2069c\u202Dd\u202C")).toBe("a‹LRI›b‹PDI›c‹LRO›d‹PDF›");
    // Right-to-left text itself is untouched: only the controls are shown.
    expect(shown("שלום hello 안녕")).toBe("שלום hello 안녕");
  });
});
