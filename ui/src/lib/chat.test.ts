import { describe, expect, it } from "vitest";
import hostile from "./hostile.json";
import {
  ChatBuffer,
  authorColour,
  bannedNow,
  cardOf,
  displayName,
  highlight,
  isModerated,
  matches,
  nextExpiry,
  parseFilter,
  presetLabel,
  parsePresets,
  presetText,
  undoOf,
  roleOf,
  newestOwn,
  liveIdOf,
} from "./chat";
import type { ChatMessageView, ModRecordView } from "./ipc-types";

const msg = (id: number, over: Partial<ChatMessageView> = {}): ChatMessageView => ({
  id: String(id),
  at: "2026-11-21T10:00:00Z",
  authorId: `fan-${id % 3}`,
  authorName: `Fan ${id % 3}`,
  thumbnail: null,
  text: `hello ${id}`,
  owner: false,
  manager: false,
  ...over,
});

describe("ChatBuffer", () => {
  it("keeps each message once, in order, within its bound", () => {
    const b = new ChatBuffer(3);
    expect(b.push([msg(1), msg(2)])).toBe(2);
    expect(b.push([msg(2), msg(3), msg(4)])).toBe(2);
    expect(b.lines.map((l) => l.id)).toEqual(["2", "3", "4"]);
    expect(b.dropped).toBe(1);
    expect(b.lastDropped).toEqual(["1"]);
    // A repeat of a message still in the buffer is not added again.
    expect(b.push([msg(4)])).toBe(0);
    expect(b.lastDropped).toEqual([]);
    expect(b.lastUnshown).toBe(0);
    // A batch bigger than the buffer: its first ones never show.
    expect(b.push([msg(5), msg(6), msg(7), msg(8), msg(9)])).toBe(5);
    expect(b.lines.map((l) => l.id)).toEqual(["7", "8", "9"]);
    expect(b.lastUnshown).toBe(2);
  });

  it("gives every change a new array and works out names once", () => {
    const b = new ChatBuffer();
    b.push([msg(1, { authorName: "ad\u200Bmin" })]);
    const before = b.lines;
    expect(before[0]?.name).toBe("admin");
    b.markDeleted("1");
    expect(b.lines).not.toBe(before);
    expect(before[0]?.deleted).toBe(false);
  });

  it("marks deletions and rolls them back", () => {
    const b = new ChatBuffer();
    b.push([msg(1)]);
    expect(b.markDeleted("1")).toBe(true);
    expect(b.lines[0]?.deleted).toBe(true);
    b.markDeleted("1", false);
    expect(b.lines[0]?.deleted).toBe(false);
    expect(b.markDeleted("nope")).toBe(false);
  });
});

describe("names", () => {
  it("cannot be disguised with bidi or zero-width characters", () => {
    expect(displayName("ad\u200Bmin")).toBe("admin");
    expect(displayName("\u202Enimda")).toBe("nimda");
    expect(displayName("\u2066Streamer\u2069 Kim")).toBe("Streamer Kim");
    expect(displayName("\u200B\u200D")).toBe("?");
    expect(displayName("  two   spaces ")).toBe("two spaces");
  });

  it("get a colour per author", () => {
    expect(authorColour("fan-1")).not.toBe(authorColour("fan-2"));
    expect(authorColour("fan-1")).toMatch(/^hsl\(\d+ 70% 68%\)$/);
  });
});

describe("filters", () => {
  const line = (over: Partial<ChatMessageView> = {}, deleted = false) => {
    const m = { ...msg(1), ...over };
    return { ...m, name: displayName(m.authorName), colour: authorColour(m.authorId), deleted };
  };

  it("parse words and from:", () => {
    expect(parseFilter("  from:Kim GG  wp ")).toEqual({
      words: ["gg", "wp"],
      from: ["kim"],
      staffOnly: false,
      hideBanned: false,
      hideModerated: false,
    });
  });

  it("match text, authors, staff and banned", () => {
    const none = new Set<string>();
    expect(matches(line({ text: "GG well played" }), parseFilter("gg played"), none)).toBe(true);
    expect(matches(line({ text: "GG" }), parseFilter("gg wp"), none)).toBe(false);
    expect(matches(line({ authorName: "Fan\u200B One" }), parseFilter("from:fan"), none)).toBe(true);
    expect(matches(line({ authorName: "Other" }), parseFilter("from:fan"), none)).toBe(false);
    expect(matches(line(), parseFilter("", true), none)).toBe(false);
    expect(matches(line({ manager: true }), parseFilter("", true), none)).toBe(true);
    expect(matches(line(), parseFilter("", false, true), new Set(["fan-1"]))).toBe(false);
    // Deleted or banned: struck through, or hidden when asked.
    expect(isModerated(line({}, true), none)).toBe(true);
    expect(isModerated(line(), new Set(["fan-1"]))).toBe(true);
    expect(matches(line({}, true), parseFilter("", false, false, true), none)).toBe(false);
    expect(matches(line(), parseFilter("", false, false, true), none)).toBe(true);
  });

  it("highlight as text parts", () => {
    expect(highlight("<b>GG</b> gg", ["gg"])).toEqual([
      { text: "<b>", hit: false },
      { text: "GG", hit: true },
      { text: "</b> ", hit: false },
      { text: "gg", hit: true },
    ]);
    expect(highlight("plain", [])).toEqual([{ text: "plain", hit: false }]);
  });
});

describe("bans", () => {
  const rec = (userId: string, atMs: number, action: ModRecordView["action"]): ModRecordView => ({
    id: atMs,
    liveId: "l",
    atMs,
    by: "Streamer Kim",
    userId,
    action,
    error: null,
  });

  it("follow the record: timed bans end, unban lifts, refusals count for nothing", () => {
    const records = [
      rec("a", 0, { kind: "ban" }),
      rec("b", 0, { kind: "timedBan", seconds: 10 }),
      rec("c", 0, { kind: "ban" }),
      rec("c", 1000, { kind: "unban" }),
    ];
    expect([...bannedNow(records, 5000)].sort()).toEqual(["a", "b"]);
    expect([...bannedNow(records, 10_001)]).toEqual(["a"]);
    // The banned set next changes when b's timed ban ends.
    expect(nextExpiry(records, 5000)).toBe(10_000);
    expect(nextExpiry(records, 10_001)).toBeNull();
    const refused = [{ ...rec("d", 0, { kind: "ban" }), error: { code: "forbidden" as const, message: "no" } }];
    expect(bannedNow(refused, 1).size).toBe(0);
  });

  it("know their undo", () => {
    expect(undoOf({ kind: "timedBan", seconds: 600 })).toEqual({ kind: "unban" });
    expect(undoOf({ kind: "ban" })).toEqual({ kind: "unban" });
    expect(undoOf({ kind: "mod" })).toEqual({ kind: "unmod" });
    expect(undoOf({ kind: "delete", messageId: "42" })).toBeNull();
  });

  it("label presets", () => {
    expect([10, 60, 600, 3600, 86_400].map((s) => presetLabel(s, "en"))).toEqual(["10 s", "1 min", "10 min", "1 h", "24 h"]);
  });
});

describe("the hostile corpus (also sent through the service by the e2e test)", () => {
  const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

  it("is at least 50 payloads", () => {
    expect(hostile.messages.length).toBeGreaterThanOrEqual(50);
  });

  it("keeps every text as it came, in text parts only, whatever is searched", () => {
    for (const text of hostile.messages) {
      for (const words of [[], ["script"], ["<"], ["("], [text.slice(0, 3).toLowerCase()]]) {
        const parts = highlight(text, words);
        expect(parts.map((p) => p.text).join("")).toBe(text);
        for (const p of parts) expect(Object.keys(p).sort()).toEqual(["hit", "text"]);
      }
    }
  });

  it("strips what could disguise a name, and never leaves it empty", () => {
    for (const name of hostile.names.concat(hostile.messages)) {
      const shown = displayName(name);
      expect(shown).not.toMatch(INVISIBLE);
      expect(shown.length).toBeGreaterThan(0);
    }
    expect(displayName("Streamer\u200B Kim")).toBe("Streamer Kim");
    expect(displayName("\u202Emik remaertS")).toBe("mik remaertS");
    expect(displayName("N".repeat(10000))).toBe(`${"N".repeat(40)}…`);
    expect(displayName("Mina\u2800\u{E0041}\u{E0100}\uFFF9")).toBe("Mina");
    expect(Array.from(displayName("😀".repeat(50))).length).toBe(41);
  });

  it("filters on it without throwing (no pattern language)", () => {
    const buf = new ChatBuffer(100);
    buf.push(
      hostile.messages.map((text, i) => ({
        id: String(i),
        at: "2026-01-01T00:00:00Z",
        authorId: `u${i % 3}`,
        authorName: hostile.names[i % hostile.names.length]!,
        thumbnail: null,
        text,
        owner: false,
        manager: false,
      })),
    );
    for (const q of ["(", "[", "*", "from:<img", "from:", "\\", "${7*7}"]) {
      const f = parseFilter(q, false, false, false);
      expect(() => buf.lines.filter((l) => matches(l, f, new Set()))).not.toThrow();
    }
  });
});

describe("user card", () => {
  it("gathers one author's messages, what was done to them, and their badges", () => {
    const buf = new ChatBuffer(10);
    const m = (id: string, authorId: string, manager = false) => ({
      id,
      at: "2026-01-01T00:00:00Z",
      authorId,
      authorName: authorId === "u1" ? "Mina\u200B #1" : "Other",
      thumbnail: null,
      text: `text ${id}`,
      owner: false,
      manager,
    });
    buf.push([m("1", "u1"), m("2", "u2"), m("3", "u1", true)]);
    const r = (id: number, atMs: number, userId: string) => ({
      id,
      liveId: "l",
      atMs,
      by: "Streamer Kim",
      userId,
      action: { kind: "ban" as const },
      error: null,
    });
    const card = cardOf("u1", buf.lines, [r(2, 200, "u1"), r(1, 100, "u2"), r(3, 50, "u1")])!;
    expect(card.name).toBe("Mina #1");
    expect(card.messages.map((l) => l.id)).toEqual(["1", "3"]);
    expect(card.done.map((d) => d.id)).toEqual([3, 2]);
    expect(card.manager).toBe(true);
    expect(cardOf("nobody", buf.lines, [])).toBeNull();
  });
});

describe("timed-ban presets", () => {
  it("reads what a moderator types, sorted and once each", () => {
    expect(parsePresets("10s, 1m 10m 1h 24h 1m")).toEqual({ ok: [10, 60, 600, 3600, 86_400] });
    expect(parsePresets("30 2d")).toEqual({ ok: [30, 172_800] });
    expect(presetText([10, 60, 600, 3600, 86_400])).toBe("10s 1m 10m 1h 24h");
    expect(parsePresets(presetText([5, 90, 7200]))).toEqual({ ok: [5, 90, 7200] });
  });

  it("says what is wrong", () => {
    for (const bad of ["0", "31d", "ten", "-5", "5x", "1e3"]) expect(parsePresets(bad, "en")).toHaveProperty("error");
    expect(parsePresets("", "en")).toEqual({ error: "Give 1 to 10 durations" });
    expect(parsePresets("1 2 3 4 5 6 7 8 9 10 11", "en")).toHaveProperty("error");
  });
});

describe("roleOf", () => {
  const lines = (...ms: ChatMessageView[]) => {
    const b = new ChatBuffer();
    b.push(ms);
    return b.lines;
  };
  const me = "fan-1";
  it("knows the owner, and learns a chat admin from their newest message", () => {
    expect(roleOf([], me, true, null)).toBe("owner");
    expect(roleOf([], me, false, null)).toBe("viewer");
    const admin = lines(msg(1, { manager: true }), msg(2));
    expect(roleOf(admin, me, false, null)).toBe("admin");
    // Made admin, then not: the newest message says so.
    const was = lines(msg(1, { manager: true }), msg(4, { manager: false }));
    expect(roleOf(was, me, false, null)).toBe("viewer");
  });
  it("drops to viewer when a call is refused after the newest message", () => {
    const admin = lines(msg(1, { manager: true }));
    expect(newestOwn(admin, me)).toBe("1");
    expect(roleOf(admin, me, false, newestOwn(admin, me))).toBe("viewer");
    // A newer message that still says admin wins again.
    const again = lines(msg(1, { manager: true }), msg(4, { manager: true }));
    expect(roleOf(again, me, false, "1")).toBe("admin");
    expect(newestOwn(lines(msg(2)), me)).toBe("");
  });
});

describe("liveIdOf", () => {
  it("takes an id or a live's link", () => {
    expect(liveIdOf(" 42 ")).toBe("42");
    expect(liveIdOf("live-abc_1")).toBe("live-abc_1");
    expect(liveIdOf("https://demo.example/watch/77")).toBe("77");
    expect(liveIdOf("https://demo.example/watch/77/?t=1#x")).toBe("77");
    expect(liveIdOf("https://demo.example/watch/%C3%A9")).toBe("é");
  });
  it("refuses what cannot be an id", () => {
    for (const bad of ["", "   ", "a b", "a/b", "https://", "https://x.example/", "x\u0000y", "javascript:alert(1)//x", "a".repeat(129)]) {
      expect(liveIdOf(bad), bad).toBeNull();
    }
  });
});
