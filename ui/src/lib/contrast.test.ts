import { describe, expect, it } from "vitest";
import css from "../app.css?raw";
import { AA, contrast, hex, hsl } from "./contrast";
import { PANEL, authorColour } from "./chat";

// The theme's colours, read from app.css itself.
const vars = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b/g)].map((m) => [m[1], m[2]]));
const v = (name: string) => {
  const value = vars[name];
  if (!value) throw new Error(`--${name} is not in app.css`);
  return hex(value);
};

describe("contrast (WCAG AA, 4.5:1)", () => {
  it("the theme's text on its backgrounds", () => {
    const pairs: [string, ReturnType<typeof hex>, ReturnType<typeof hex>][] = [
      ["text on bg", v("text"), v("bg")],
      ["text on panel", v("text"), v("panel")],
      ["muted on bg", v("muted"), v("bg")],
      ["muted on panel", v("muted"), v("panel")],
      ["muted on line (badges)", v("muted"), v("line")],
      ["accent text on bg", v("accent-text"), v("bg")],
      ["accent text on panel", v("accent-text"), v("panel")],
      ["white on accent (primary button, ON AIR)", hex("#fff"), v("accent")],
      ["ok on panel", v("ok"), v("panel")],
      ["warn on panel", v("warn"), v("panel")],
      ["panel is the chat's", v("panel"), v("panel")],
    ];
    for (const [what, fg, bg] of pairs.slice(0, -1)) {
      expect(`${what}: ${contrast(fg, bg) >= AA}`).toBe(`${what}: true`);
    }
    expect(PANEL).toEqual(v("panel"));
  });

  it("every author's colour, whatever the hue", () => {
    for (let i = 0; i < 2000; i++) {
      const m = /hsl\((\d+) 70% (\d+)%\)/.exec(authorColour(`user-${i}`));
      expect(m).not.toBeNull();
      const c = contrast(hsl(Number(m![1]), 70, Number(m![2])), PANEL);
      expect(c, `user-${i}: ${m![0]}`).toBeGreaterThanOrEqual(AA);
    }
  });

  it("computes ratios as WCAG does", () => {
    expect(contrast(hex("#000"), hex("#fff"))).toBeCloseTo(21, 5);
    expect(contrast(hex("#777"), hex("#fff"))).toBeCloseTo(4.48, 2);
    expect(hsl(0, 100, 50)).toEqual([255, 0, 0]);
    expect(hsl(240, 100, 50)).toEqual([0, 0, 255]);
  });
});
