// The chat pane's model, kept out of the components so it can be tested:
// a bounded buffer of messages (each once, in the service's order), the
// search and filter language, and the safe display of names. Everything in
// a message comes from strangers: it is shown as text, never as HTML.
import { t, type Lang } from "./i18n";
import type { ChatMessageView, ModAction, ModRecordView } from "./ipc-types";
import { AA, contrast, hex, hsl } from "./contrast";

/** A message as the pane keeps it: what the service said, its author's
 * name and colour as shown (worked out once), and what this app knows
 * happened to it. */
export interface Line extends ChatMessageView {
  name: string;
  colour: string;
  /** Deleted through this app. */
  deleted: boolean;
}

/** The pane's buffer: the newest `max` messages, each id once. `lines` is
 * a new array after every change, so a view can hold it as plain state. */
export class ChatBuffer {
  lines: Line[] = [];
  private ids = new Set<string>();
  /** Messages dropped off the front since the start (the record is the
   * service's; the pane keeps a window). */
  dropped = 0;
  /** Ids the last push dropped off the front. */
  lastDropped: string[] = [];
  /** How many of the last push's own messages it dropped at once (a
   * batch bigger than the buffer: never on screen). */
  lastUnshown = 0;

  /** Names and colours as shown, per author (a busy chat has few
   * authors and many messages: worked out once each, not per message). */
  private authors = new Map<string, { name: string; colour: string }>();

  constructor(public max = 5000) {}

  /** Appends a batch (its messages become the lines: the batch is the
   * buffer's from then on); returns how many were new. */
  push(batch: ChatMessageView[]): number {
    const fresh: Line[] = [];
    for (const m of batch) {
      if (this.ids.has(m.id)) continue;
      this.ids.add(m.id);
      const line = m as Line;
      const shown = this.author(m.authorId, m.authorName);
      line.name = shown.name;
      line.colour = shown.colour;
      line.deleted = false;
      fresh.push(line);
    }
    this.lastDropped = [];
    this.lastUnshown = 0;
    if (fresh.length === 0) return 0;
    const all = this.lines.concat(fresh);
    const over = all.length - this.max;
    this.lastUnshown = Math.max(0, over - this.lines.length);
    if (over > 0) {
      for (const l of all.splice(0, over)) {
        this.ids.delete(l.id);
        this.lastDropped.push(l.id);
      }
      this.dropped += over;
    }
    this.lines = all;
    return fresh.length;
  }

  private author(id: string, rawName: string): { name: string; colour: string } {
    const key = `${id}\u0000${rawName}`;
    let shown = this.authors.get(key);
    if (!shown) {
      if (this.authors.size >= 10_000) this.authors.clear();
      shown = { name: displayName(rawName), colour: authorColour(id) };
      this.authors.set(key, shown);
    }
    return shown;
  }

  /** Marks a message deleted (or not, on rollback); true when it is here. */
  markDeleted(id: string, deleted = true): boolean {
    const at = this.lines.findIndex((l) => l.id === id);
    if (at === -1) return false;
    const next = this.lines.slice();
    next[at] = { ...next[at]!, deleted };
    this.lines = next;
    return true;
  }
}

/** Bidi overrides and isolates, zero-width and other invisible format
 * characters: they can make a name read as another. */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;

/** Longest name shown in a chat line, in characters. */
export const NAME_MAX = 40;

/** A name as shown: invisible and direction-changing characters removed,
 * whitespace collapsed, at most NAME_MAX characters (then "…"), never
 * empty. */
export function displayName(name: string, max = NAME_MAX): string {
  const clean = name.replace(INVISIBLE, "").replace(/\s+/gu, " ").trim();
  if (clean === "") return "?";
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : clean;
}

/** What a user card shows of one author: their messages in this live
 * (as far as the buffer goes), what was done to them and by whom, oldest
 * first, and their badges as their newest message says. */
export interface Card {
  userId: string;
  /** The whole name (cleaned, not cut). */
  name: string;
  messages: Line[];
  done: ModRecordView[];
  owner: boolean;
  manager: boolean;
}

export function cardOf(userId: string, lines: Line[], records: ModRecordView[]): Card | null {
  const messages = lines.filter((l) => l.authorId === userId);
  const last = messages[messages.length - 1];
  if (!last) return null;
  return {
    userId,
    name: displayName(last.authorName, Infinity),
    messages,
    done: records.filter((r) => r.userId === userId).sort((a, b) => a.atMs - b.atMs),
    owner: last.owner,
    manager: last.manager,
  };
}

/** A stable colour per author (the same id, the same hue), readable on the
 * dark panel: lightened where a hue is dark (blues) until it meets WCAG AA
 * (4.5:1) against the panel. */
export function authorColour(authorId: string): string {
  let h = 2166136261;
  for (let i = 0; i < authorId.length; i++) {
    h ^= authorId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const hue = (h >>> 0) % 360;
  let light = 68;
  while (light < 90 && contrast(hsl(hue, 70, light), PANEL) < AA) light += 2;
  return `hsl(${hue} 70% ${light}%)`;
}

/** The panel the chat is drawn on (`--panel`). */
export const PANEL = hex("#1f2127");

/** A parsed search: free words, `from:name` authors, and switches. */
export interface Filter {
  words: string[];
  from: string[];
  staffOnly: boolean;
  hideBanned: boolean;
  /** Hides deleted messages and those of banned authors. */
  hideModerated: boolean;
}

/** Parses the search box: `from:name` picks authors, other words must all
 * appear in the text (case-insensitive). */
export function parseFilter(
  query: string,
  staffOnly = false,
  hideBanned = false,
  hideModerated = false,
): Filter {
  const words: string[] = [];
  const from: string[] = [];
  for (const part of query.trim().split(/\s+/u)) {
    if (part === "") continue;
    const m = /^from:(.+)$/iu.exec(part);
    if (m?.[1]) from.push(m[1].toLowerCase());
    else words.push(part.toLowerCase());
  }
  return { words, from, staffOnly, hideBanned, hideModerated };
}

export function isEmpty(f: Filter): boolean {
  return f.words.length === 0 && f.from.length === 0 && !f.staffOnly && !f.hideBanned && !f.hideModerated;
}

/** Deleted through this app, or written by someone banned now: shown
 * struck through, or hidden. */
export function isModerated(line: Line, banned: ReadonlySet<string>): boolean {
  return line.deleted || banned.has(line.authorId);
}

/** Whether a line passes the filter; `banned` holds the authors banned now. */
export function matches(line: Line, f: Filter, banned: ReadonlySet<string>): boolean {
  if (f.staffOnly && !line.owner && !line.manager) return false;
  if (f.hideBanned && banned.has(line.authorId)) return false;
  if (f.hideModerated && isModerated(line, banned)) return false;
  if (f.from.length > 0) {
    const name = line.name.toLowerCase();
    if (!f.from.some((n) => name.includes(n) || line.authorId.toLowerCase() === n)) return false;
  }
  const text = line.text.toLowerCase();
  return f.words.every((w) => text.includes(w));
}

/** Splits text into plain and matched parts, for highlighting as text
 * nodes (never by building HTML). */
export function highlight(text: string, words: string[]): { text: string; hit: boolean }[] {
  const wanted = words.filter((w) => w !== "");
  if (wanted.length === 0) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const parts: { text: string; hit: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    let best = -1;
    let len = 0;
    for (const w of wanted) {
      const at = lower.indexOf(w, i);
      if (at !== -1 && (best === -1 || at < best || (at === best && w.length > len))) {
        best = at;
        len = w.length;
      }
    }
    if (best === -1) {
      parts.push({ text: text.slice(i), hit: false });
      break;
    }
    if (best > i) parts.push({ text: text.slice(i, best), hit: false });
    parts.push({ text: text.slice(best, best + len), hit: true });
    i = best + len;
  }
  return parts;
}

/** Who is banned now, from this app's moderation record (a timed ban ends
 * by itself). */
export function bannedNow(records: ModRecordView[], nowMs: number): Set<string> {
  const until = new Map<string, number>();
  for (const r of records) {
    if (r.error) continue;
    const a: ModAction = r.action;
    if (a.kind === "ban") until.set(r.userId, Number.POSITIVE_INFINITY);
    else if (a.kind === "timedBan") until.set(r.userId, r.atMs + a.seconds * 1000);
    else if (a.kind === "unban") until.delete(r.userId);
  }
  return new Set([...until].filter(([, end]) => end > nowMs).map(([id]) => id));
}

/** When the next timed ban of the record ends after `nowMs` (the banned
 * set changes then), or null. */
export function nextExpiry(records: ModRecordView[], nowMs: number): number | null {
  let next: number | null = null;
  for (const r of records) {
    if (r.error || r.action.kind !== "timedBan") continue;
    const end = r.atMs + r.action.seconds * 1000;
    if (end > nowMs && (next === null || end < next)) next = end;
  }
  return next;
}

/** The action that takes this one back, for Undo (none for a deletion). */
export function undoOf(a: ModAction): ModAction | null {
  switch (a.kind) {
    case "ban":
    case "timedBan":
      return { kind: "unban" };
    case "mod":
      return { kind: "unmod" };
    default:
      return null;
  }
}

/** The timed-ban presets offered by default, in seconds. */
export const DEFAULT_PRESETS = [10, 60, 600, 3600, 86_400];

/** A duration for a preset's label: 10 s, 1 min, 1 h, 24 h. */
export function presetLabel(seconds: number, l?: Lang): string {
  if (seconds % 3600 === 0) return t("duration.h", { n: seconds / 3600 }, l);
  if (seconds % 60 === 0) return t("duration.min", { n: seconds / 60 }, l);
  return t("duration.s", { n: seconds }, l);
}

/** Presets per channel at most, and the longest (as the app checks). */
export const MAX_PRESETS = 10;
export const MAX_PRESET_SECONDS = 30 * 24 * 3600;

const UNIT: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/** Presets as typed ("10s, 1m 10m 1h 24h"; a bare number is seconds):
 * sorted seconds, each once; or what is wrong, in words. */
export function parsePresets(text: string, l?: Lang): { ok: number[] } | { error: string } {
  const words = text.split(/[\s,]+/u).filter((w) => w !== "");
  const out = new Set<number>();
  for (const w of words) {
    const m = /^(\d{1,7})(s|m|min|h|d)?$/iu.exec(w);
    const seconds = m ? Number(m[1]) * UNIT[(m[2] ?? "s").toLowerCase()]! : NaN;
    if (!(seconds >= 1 && seconds <= MAX_PRESET_SECONDS)) return { error: t("presets.bad", { w }, l) };
    out.add(seconds);
  }
  if (out.size === 0 || out.size > MAX_PRESETS) return { error: t("presets.count", { max: MAX_PRESETS }, l) };
  return { ok: [...out].sort((a, b) => a - b) };
}

/** Presets as the editor shows them ("10s 1m 1h"). */
export function presetText(presets: number[]): string {
  return presets
    .map((s) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`))
    .join(" ");
}

/** What the user may do in a live's chat. */
export type Role = "owner" | "admin" | "viewer";

/** The user's role in this chat. The owner knows it (the live is theirs);
 * anyone else learns it from the service, which says who is a chat admin
 * only on messages (`isLiveManager`, spec §4, as of when they were
 * listed): the newest of the user's own messages tells, unless a
 * moderation call was refused as forbidden after it (`refusedAfter`: the
 * id of the user's newest message then, "" if they had none). */
export function roleOf(lines: Line[], me: string, owner: boolean, refusedAfter: string | null): Role {
  if (owner) return "owner";
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.authorId !== me) continue;
    return l.manager && l.id !== refusedAfter ? "admin" : "viewer";
  }
  return "viewer";
}

/** The user's newest message id in these lines, "" if none. */
export function newestOwn(lines: Line[], me: string): string {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.authorId === me) return lines[i]!.id;
  return "";
}

/** The live id in what a moderator pasted: an id, or a live's link whose
 * last path segment is the id (spec §3: `liveLink`). Null when nothing
 * usable is there. */
export function liveIdOf(input: string): string | null {
  const text = input.trim();
  if (text === "") return null;
  let id = text;
  if (/^https?:\/\//i.test(text)) {
    try {
      const parts = new URL(text).pathname.split("/").filter((p) => p !== "");
      id = decodeURIComponent(parts[parts.length - 1] ?? "");
    } catch {
      return null;
    }
  }
  // Ids travel in URL paths: no separators, no blanks, no controls.
  return /^[^\s/?#\\\p{Cc}]{1,128}$/u.test(id) ? id : null;
}
