// The UI's door to the Rust side: `api` (one typed function per command)
// and `on` (one listener per event) are generated with the types from
// src-tauri (ipc-types.ts), so no command or event name is written here.
// Every command rejects with an IpcError ({code, message, field?}); the
// UI decides on its `code` (and `field`), never on its message.
import type { UnlistenFn } from "@tauri-apps/api/event";
import { commands, events, type IpcError } from "./ipc-types";

export type * from "./ipc-types";

export const api = commands;
export const on = events;

/** Listens, then loads: `load` runs once every listener is registered, so
 * nothing that changes between the read and the listening is missed.
 * Returns what stops the listening. */
export function listenThenLoad(listeners: Promise<UnlistenFn>[], load: () => unknown): () => void {
  Promise.all(listeners).then(load, load);
  return () => listeners.forEach((p) => p.then((f) => f()));
}

/** An IpcError from whatever a command rejected with. */
export function asError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    return e as IpcError;
  }
  return { code: "internal", message: String(e) };
}
