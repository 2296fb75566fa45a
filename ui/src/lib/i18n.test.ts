import { describe, expect, it, vi } from "vitest";

vi.stubGlobal("navigator", { language: "en-US" });
const { errorText, t } = await import("./i18n");

describe("catalogue", () => {
  it("fills placeholders in both languages", () => {
    expect(t("channels.followers", { n: "1,234" }, "en")).toBe("1,234 followers");
    expect(t("channels.followers", { n: "1,234" }, "ko")).toBe("팔로워 1,234명");
  });
  it("turns error codes into words, with the service's message as fallback", () => {
    expect(errorText({ code: "login_denied", message: "x" }, "en")).toMatch(/denied/);
    expect(errorText({ code: "conflict", message: "STREAM_ACTIVE: on air" }, "en")).toBe(
      "STREAM_ACTIVE: on air",
    );
  });
});
