// The watch page of the reference service: plays the live's HLS with
// hls.js (or natively where the browser plays HLS), and shows its title,
// status, viewers and chat, polled from state.json. Every text from the
// service is untrusted: it goes in as textContent, never as HTML.
import { canPlayHls, playHls, type HlsPlayer } from "../lib/hls";

interface ChatMessage {
  messageId: string;
  messageAt: string;
  authorName: string;
  message: string;
}

interface WatchState {
  title: string;
  status: "RESERVED" | "ON_AIR" | "END";
  viewerCount: number;
  playing: boolean;
  chat: { nextPageToken?: string | null; messages: ChatMessage[] };
}

const live = document.body.dataset.live ?? "";
const base = `/watch/${encodeURIComponent(live)}`;
// One id per page: the service counts distinct players.
const playerId = Math.random().toString(36).slice(2, 12);
const source = `${base}/index.m3u8?player=${playerId}`;
const video = document.getElementById("video") as HTMLVideoElement;
const note = document.getElementById("note") as HTMLElement;
const chat = document.getElementById("chat") as HTMLOListElement;
const MAX_LINES = 200;

let player: HlsPlayer | null = null;
let started = false;

function play(): void {
  if (started) return;
  if (!canPlayHls(video)) {
    note.textContent = "This browser cannot play HLS.";
    return;
  }
  started = true;
  player = playHls(video, source, {
    playing: () => (note.textContent = ""),
    // Nothing to play yet, or the stream went away: the next poll tries again.
    failed: () => {
      player?.destroy();
      player = null;
      started = false;
    },
  });
}

function text(id: string, value: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = value;
}

let after: string | null = null;

async function poll(): Promise<void> {
  const query = after ? `?after=${encodeURIComponent(after)}` : "";
  const response = await fetch(`${base}/state.json${query}`, { cache: "no-store" });
  if (!response.ok) return;
  const state = (await response.json()) as WatchState;
  text("title", state.title);
  document.title = `${state.title} - onair`;
  text("status", state.status === "ON_AIR" ? "LIVE" : state.status === "END" ? "Ended" : "Not started");
  text("viewers", `${state.viewerCount} watching`);
  if (state.status === "END") {
    note.textContent = "This live has ended.";
  } else if (!state.playing) {
    note.textContent = "Waiting for the stream…";
  }
  if (state.playing) play();
  for (const m of state.chat.messages) {
    const li = document.createElement("li");
    const who = document.createElement("b");
    who.textContent = m.authorName;
    li.append(who, " ", m.message);
    chat.append(li);
  }
  while (chat.children.length > MAX_LINES) chat.firstElementChild?.remove();
  if (state.chat.messages.length > 0) chat.scrollTop = chat.scrollHeight;
  after = state.chat.nextPageToken ?? after;
}

async function loop(): Promise<void> {
  try {
    await poll();
  } catch {
    // The service is away: the next poll tries again.
  }
  setTimeout(() => void loop(), 3000);
}

void loop();
