//! The tray icon: red when on air, grey when not; its menu shows the
//! window, copies server and key of the live on the dashboard, asks the
//! window to confirm a stop, and quits.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use onair_desk::{Air, Desk};

use crate::clipboard;
use crate::events::{self, ConfirmStop};
use crate::words::{self, Words};

const TRAY: &str = "onair-tray";
const ON_AIR: &[u8] = include_bytes!("../../icons/tray-on-air.png");
const OFF_AIR: &[u8] = include_bytes!("../../icons/tray-off-air.png");

fn icon(on_air: bool) -> tauri::Result<Image<'static>> {
    Image::from_bytes(if on_air { ON_AIR } else { OFF_AIR })
}

/// The tray's menu in the language in use.
fn menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let w = words::now();
    Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "show", w.show, true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "copy-server", w.copy_server, true, None::<&str>)?,
            &MenuItem::with_id(app, "copy-key", w.copy_key, true, None::<&str>)?,
            &MenuItem::with_id(app, "send-obs", w.send_obs, true, None::<&str>)?,
            &MenuItem::with_id(app, "stop", w.stop, true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", w.quit, true, None::<&str>)?,
        ],
    )
}

/// The language changed: the menu, label and tooltip in the new one.
pub fn relabel<R: Runtime>(app: &AppHandle<R>) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        match menu(app) {
            Ok(m) => {
                let _ = tray.set_menu(Some(m));
            }
            Err(e) => tracing::warn!(error = %e, "tray menu"),
        }
    }
    let look = *LOOK.lock().expect("tray lock");
    show_look(app, look);
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(false)?)
        .tooltip(words::now().off_air_tip)
        .menu(&menu(app)?)
        .on_menu_event(|app, event| {
            let app = app.clone();
            match event.id().as_ref() {
                "show" => show(&app),
                "quit" => app.exit(0),
                "send-obs" => {
                    tauri::async_runtime::spawn(async move {
                        let desk = app.state::<Desk>();
                        let Some(live) = desk.watched().await else {
                            return;
                        };
                        let said = match desk.send_to_obs(&live).await {
                            Ok(_) => words::now().obs_sent.to_owned(),
                            Err(e) => e.message(),
                        };
                        crate::notify(&app, words::now().send_obs, &said);
                    });
                }
                "stop" => {
                    show(&app);
                    events::emit(&app, ConfirmStop);
                }
                which @ ("copy-server" | "copy-key") => {
                    let part = if which == "copy-key" {
                        clipboard::Part::Key
                    } else {
                        clipboard::Part::Server
                    };
                    tauri::async_runtime::spawn(async move {
                        let desk = app.state::<Desk>();
                        let Some(live) = desk.watched().await else {
                            return;
                        };
                        if let Err(e) = clipboard::copy_stream(&app, &desk, &live, part).await {
                            tracing::warn!(error = %e.message, "tray copy");
                        }
                    });
                }
                _ => {}
            }
        })
        .build(app)?;
    Ok(())
}

/// Shows and focuses the main window.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
        crate::events::emit(app, crate::events::WindowShown { shown: true });
    }
}

/// What the tray shows: the watched live (on air, without its signal, or
/// off air), and whether OBS is streaming.
static LOOK: std::sync::Mutex<(Air, bool)> = std::sync::Mutex::new((Air::Off, false));

/// Switches the tray between its on-air and off-air looks.
pub fn set_air<R: Runtime>(app: &AppHandle<R>, air: Air) {
    let look = {
        let mut look = LOOK.lock().expect("tray lock");
        look.0 = air;
        *look
    };
    show_look(app, look);
}

/// Says in the tray whether OBS is streaming ("OBS live").
pub fn set_obs_live<R: Runtime>(app: &AppHandle<R>, obs_live: bool) {
    let look = {
        let mut look = LOOK.lock().expect("tray lock");
        if look.1 == obs_live {
            return;
        }
        look.1 = obs_live;
        *look
    };
    show_look(app, look);
}

/// The tray's words: "ON AIR" (or "ON AIR · no signal"), "OBS live",
/// both, or none.
fn label((air, obs_live): (Air, bool), w: &Words) -> String {
    let air: &[&str] = match air {
        Air::On => &[w.on_air],
        Air::NoSignal => &[w.on_air, w.no_signal],
        Air::Off => &[],
    };
    let obs: &[&str] = if obs_live { &[w.obs_live] } else { &[] };
    [air, obs].concat().join(" · ")
}

fn show_look<R: Runtime>(app: &AppHandle<R>, look: (Air, bool)) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        if let Ok(i) = icon(look.0 != Air::Off) {
            let _ = tray.set_icon(Some(i));
        }
        let text = label(look, words::now());
        let _ = tray.set_tooltip(Some(if text.is_empty() {
            words::now().off_air_tip.to_owned()
        } else {
            format!("onair: {text}")
        }));
        // Text beside the icon where the platform has it (Linux panels,
        // macOS menu bar); Linux trays have no tooltips.
        let _ = tray.set_title((!text.is_empty()).then_some(text.as_str()));
        tracing::info!(air = ?look.0, obs_live = look.1, "tray");
    }
}

#[cfg(test)]
mod tests {
    use onair_desk::Air;

    #[test]
    fn tray_words() {
        let label = |look| super::label(look, crate::words::of(onair_desk::Language::En));
        assert_eq!(label((Air::On, true)), "ON AIR · OBS live");
        assert_eq!(
            label((Air::NoSignal, true)),
            "ON AIR · no signal · OBS live"
        );
        assert_eq!(label((Air::NoSignal, false)), "ON AIR · no signal");
        assert_eq!(label((Air::Off, true)), "OBS live");
        assert_eq!(label((Air::On, false)), "ON AIR");
        assert_eq!(label((Air::Off, false)), "");
        let ja = super::label(
            (Air::NoSignal, true),
            crate::words::of(onair_desk::Language::Ja),
        );
        assert_eq!(ja, "ON AIR · 信号なし · OBS 配信中");
    }
}
