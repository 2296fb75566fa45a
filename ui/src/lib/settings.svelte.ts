// The app's settings, shared by the screens: loaded once, saved through Rust
// (settings.json next to the profiles).
import { api, type Settings } from "./ipc";

export const prefs: { value: Settings | null } = $state({ value: null });

export async function loadSettings(): Promise<Settings> {
  prefs.value ??= await api.settings();
  return prefs.value;
}

export async function saveSettings(next: Settings): Promise<Settings> {
  prefs.value = await api.setSettings(next);
  return prefs.value;
}
