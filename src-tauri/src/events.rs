//! Events to the UI, typed: each payload type names its event, so an
//! event's name is written once, here, and the UI's listeners are
//! generated from [`all`] (`ui/src/lib/ipc-types.ts`).

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use ts_rs::TS;

use crate::models::{IngestView, LiveEventView, LoginFinished, ModRecordView, ObsView};

/// A payload that is an event of its own.
pub trait IpcEvent: Serialize + Clone + TS {
    /// The event's name on the wire.
    const NAME: &'static str;
    /// The UI's listener: `events.<LISTENER>(f)`.
    const LISTENER: &'static str;
}

/// The profile or the login changed outside a command (start-up).
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct AppChanged;

/// The tray asks the window to confirm stopping the live.
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct ConfirmStop;

/// The app hid its window (closed to the tray) or showed it again: the
/// page stops what no one sees (the preview) even where the webview does
/// not tell it is hidden.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WindowShown {
    pub shown: bool,
}

macro_rules! events {
    ($($payload:ty => $name:literal, $listener:literal;)*) => {
        $(impl IpcEvent for $payload {
            const NAME: &'static str = $name;
            const LISTENER: &'static str = $listener;
        })*

        /// Every event: its name, the UI's listener, the payload's type.
        pub fn all() -> Vec<(&'static str, &'static str, String)> {
            vec![$(($name, $listener, <$payload as TS>::name())),*]
        }
    };
}

events! {
    LoginFinished => "login-finished", "loginFinished";
    LiveEventView => "live-event", "live";
    ModRecordView => "moderation", "moderation";
    AppChanged => "app-changed", "appChanged";
    ConfirmStop => "confirm-stop", "confirmStop";
    ObsView => "obs", "obs";
    IngestView => "ingest", "ingest";
    WindowShown => "window-shown", "windowShown";
}

/// Sends an event to every window.
pub fn emit<R: Runtime, E: IpcEvent>(app: &AppHandle<R>, payload: E) {
    tracing::trace!(event = E::NAME, "event");
    if let Err(e) = app.emit(E::NAME, payload) {
        tracing::warn!(error = %e, event = E::NAME, "event not sent");
    }
}
