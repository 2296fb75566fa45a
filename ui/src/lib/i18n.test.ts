import { describe, expect, it, vi } from "vitest";

vi.stubGlobal("navigator", { language: "en-US" });
const { LANGS, catalogues, detect, errorText, t } = await import("./i18n");
type Lang = (typeof LANGS)[number];

/** The {placeholders} of every form of a text, sorted. */
function placeholders(text: string | { one?: string; other: string }): string {
  const forms = typeof text === "string" ? [text] : Object.values(text);
  const names = new Set(forms.flatMap((f) => [...(f ?? "").matchAll(/\{(\w+)\}/g)].map((m) => m[1])));
  return [...names].sort().join(",");
}

describe("catalogue", () => {
  it("has every key in every language", () => {
    const keys = Object.keys(catalogues.en).sort();
    for (const l of LANGS) {
      const missing = keys.filter((k) => !(k in catalogues[l]));
      const extra = Object.keys(catalogues[l]).filter((k) => !(k in catalogues.en));
      expect({ l, missing, extra }).toEqual({ l, missing: [], extra: [] });
      for (const k of keys) {
        const text = catalogues[l][k as keyof typeof catalogues.en];
        const empty = typeof text === "string" ? text.trim() === "" : !text.other.trim();
        expect(empty, `${l} ${k} is empty`).toBe(false);
      }
    }
  });

  it("has the same placeholders in every language", () => {
    for (const [k, text] of Object.entries(catalogues.en)) {
      for (const l of LANGS) {
        const theirs = catalogues[l][k as keyof typeof catalogues.en];
        expect(`${l} ${k}: ${placeholders(theirs)}`).toBe(`${l} ${k}: ${placeholders(text)}`);
      }
    }
  });

  it("fills placeholders and picks plural forms in each language", () => {
    expect(t("channels.followers", { n: "1,234" }, "en")).toBe("1,234 followers");
    expect(t("channels.followers", { n: "1,234" }, "ko")).toBe("팔로워 1,234명");
    expect(t("channels.followers", { n: "1,234" }, "ja")).toBe("フォロワー 1,234 人");
    // "{n} new messages" reads right for 1.
    const one: Record<Lang, string> = { en: "1 new message", ko: "새 메시지 1개", ja: "新着メッセージ 1 件" };
    for (const l of LANGS) expect(t("chat.new", { n: 1 }, l)).toBe(one[l]);
    expect(t("chat.new", { n: 2 }, "en")).toBe("2 new messages");
    expect(t("chat.new", { n: 0 }, "en")).toBe("0 new messages");
  });

  it("follows the OS's language", () => {
    expect(detect("ko-KR")).toBe("ko");
    expect(detect("ja")).toBe("ja");
    expect(detect("en-GB")).toBe("en");
    expect(detect("fr-FR")).toBe("en");
    expect(detect(undefined)).toBe("en");
  });

  it("turns error codes into words, with the service's message as fallback", () => {
    expect(errorText({ code: "login_denied", message: "x" }, "en")).toMatch(/denied/);
    expect(errorText({ code: "login_denied", message: "x" }, "ja")).toMatch(/拒否/);
    expect(errorText({ code: "conflict", message: "STREAM_ACTIVE: on air" }, "en")).toBe(
      "STREAM_ACTIVE: on air",
    );
  });
});
