// OBS as the app sees it, shared by the screens: the connection, OBS's
// stream (streamer mode), its health, and when its stream reconnected (the
// chart's markers). Follows the `obs` events from Rust.
import { api, on, type ObsView } from "./ipc";
import { prefs } from "./settings.svelte";

export const obs: { view: ObsView | null; reconnectsAt: number[]; streamingSince: number | null } = $state({
  view: null,
  reconnectsAt: [],
  streamingSince: null,
});

/** Follows the view, then loads it (nothing is missed in between);
 * returns the unlisten promise. */
export function followObs() {
  const un = on.obs((v) => {
    const before = obs.view;
    // A reconnect of OBS's stream: a marker on the chart, at its time.
    if (v.connected && before?.connected && v.reconnects > before.reconnects) {
      obs.reconnectsAt = obs.reconnectsAt.concat(Date.now());
    }
    // Since when OBS streams (what the ingest card compares with).
    if (v.streaming && !before?.streaming) obs.streamingSince = Date.now();
    if (!v.streaming) obs.streamingSince = null;
    obs.view = v;
  });
  un.then(() => api.obsView()).then((v) => {
    if (obs.view) return;
    obs.view = v;
    if (v.streaming) obs.streamingSince = Date.now();
  });
  return un;
}

/** Streamer mode: OBS streams, or the setting forces it on. Secrets are
 * masked and shown only after a confirmation (Rust checks it too). */
export function streamerMode(): boolean {
  return (obs.view?.streaming ?? false) || (prefs.value?.obs.streamerMode ?? false);
}
