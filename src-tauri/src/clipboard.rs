//! The clipboard, from Rust (tauri-plugin-clipboard-manager): a stream key
//! copied here never passes through the webview, and is wiped after 30 s
//! if the clipboard still holds it.

use std::time::Duration;

use onair_api::Secret;
use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use onair_desk::Desk;

use crate::error::{ErrorCode, IpcError};

/// How long a copied key stays on the clipboard.
pub const KEY_LIFETIME: Duration = Duration::from_secs(30);

fn failed(e: impl std::fmt::Display) -> IpcError {
    IpcError::new(
        ErrorCode::Clipboard,
        format!("the clipboard is not available: {e}"),
    )
}

/// Which half of a live's ingest target to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Server,
    Key,
}

/// Copies a live's ingest server or stream key (the copy commands and the
/// tray menu).
pub async fn copy_stream<R: Runtime>(
    app: &AppHandle<R>,
    desk: &Desk,
    live_id: &str,
    part: Part,
) -> Result<(), IpcError> {
    let target = desk.stream_target(live_id).await?;
    match part {
        Part::Server => copy_text(app, &target.server),
        Part::Key => copy_secret(app, target.key),
    }
}

pub fn copy_text<R: Runtime>(app: &AppHandle<R>, text: &str) -> Result<(), IpcError> {
    app.clipboard().write_text(text.to_owned()).map_err(failed)
}

pub fn copy_secret<R: Runtime>(app: &AppHandle<R>, secret: Secret) -> Result<(), IpcError> {
    app.clipboard()
        .write_text(secret.expose().to_owned())
        .map_err(failed)?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(KEY_LIFETIME).await;
        let still = app
            .clipboard()
            .read_text()
            .is_ok_and(|t| t == secret.expose());
        if still {
            let _ = app.clipboard().write_text(String::new());
        }
    });
    Ok(())
}
