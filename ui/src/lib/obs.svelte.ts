// OBS as the app sees it, shared by the screens: the connection, OBS's
// stream (streamer mode), its health, and when its stream reconnected (the
// chart's markers). Follows the `obs` events from Rust.
import { api, on, type ObsView } from "./ipc";
import { prefs } from "./settings.svelte";

export const obs: { view: ObsView | null; reconnectsAt: number[] } = $state({ view: null, reconnectsAt: [] });

/** Loads the view and follows it; returns the unlisten promise. */
export function followObs() {
  api.obsView().then((v) => (obs.view ??= v));
  return on.obs((v) => {
    const before = obs.view;
    // A reconnect of OBS's stream: a marker on the chart, at its time.
    if (v.connected && before?.connected && v.reconnects > before.reconnects) {
      obs.reconnectsAt = obs.reconnectsAt.concat(Date.now());
    }
    obs.view = v;
  });
}

/** Streamer mode: OBS streams, or the setting forces it on. Secrets are
 * masked and shown only after a confirmation (Rust checks it too). */
export function streamerMode(): boolean {
  return (obs.view?.streaming ?? false) || (prefs.value?.obs.streamerMode ?? false);
}
