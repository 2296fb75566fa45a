//! The app's settings: what they hold, the rules a user's input must
//! pass, and the file (`settings.json` beside the profiles file, written
//! atomically; a hand-edited file loses only what breaks the rules).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Field, Result};

/// The app's settings (`settings.json` in the config dir).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window keeps onair running in the tray.
    pub hide_on_close: bool,
    /// The dashboard plays the live's preview (its watch stream, muted).
    pub preview: bool,
    /// The live clock shows seconds (a repaint a second: about 0.7 % of a
    /// core here, `make bench`); off, it moves once a minute.
    pub clock_seconds: bool,
    /// Timed-ban presets in seconds, per channel (`"{profile}/{channel}"`);
    /// a channel without its own list uses the default one (10 s, 1 min,
    /// 10 min, 1 h, 24 h).
    #[ts(type = "Record<string, number[]>")]
    pub ban_presets: std::collections::BTreeMap<String, Vec<u32>>,
    /// Chat messages the pane keeps (its newest), CHAT_BUFFER_MIN to
    /// CHAT_BUFFER_MAX.
    pub chat_buffer: u32,
    /// Deleted messages and those of banned users are hidden instead of
    /// struck out.
    pub hide_moderated: bool,
    /// OBS Studio's WebSocket server and what onair does with OBS.
    pub obs: ObsPrefs,
    /// The language of the window, the tray and the notifications.
    pub language: Language,
    /// The chat pane's width beside the live's (CSS px), CHAT_WIDTH_MIN
    /// to CHAT_WIDTH_MAX: the dashboard's split, as the user left it.
    pub chat_width: u32,
}

/// A language onair speaks, or the OS's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// The OS's language when onair speaks it, else English.
    #[default]
    Auto,
    En,
    Ko,
    Ja,
}

impl Language {
    /// The language to speak: this one, or for `Auto` the one of a BCP 47
    /// tag (the OS's: `ko-KR`, `ja_JP.UTF-8`), English by default.
    pub fn resolve(self, os: Option<&str>) -> Language {
        match self {
            Language::Auto => {
                let tag = os.unwrap_or("en").to_ascii_lowercase();
                if tag.starts_with("ko") {
                    Language::Ko
                } else if tag.starts_with("ja") {
                    Language::Ja
                } else {
                    Language::En
                }
            }
            chosen => chosen,
        }
    }
}

/// Where OBS's WebSocket server listens (its password is in the OS
/// keyring), and what onair does with OBS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ObsPrefs {
    pub host: String,
    pub port: u16,
    /// Connect when onair starts (and keep trying while OBS is closed).
    pub connect_at_start: bool,
    /// Streamer mode always on (it is on by itself while OBS streams).
    pub streamer_mode: bool,
    /// Stop OBS's stream when the service ends the live.
    pub stop_with_live: bool,
}

impl Default for ObsPrefs {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 4455,
            connect_at_start: false,
            streamer_mode: false,
            stop_with_live: false,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            hide_on_close: true,
            preview: true,
            clock_seconds: false,
            ban_presets: std::collections::BTreeMap::new(),
            chat_buffer: 5000,
            hide_moderated: false,
            obs: ObsPrefs::default(),
            language: Language::Auto,
            chat_width: 420,
        }
    }
}

/// Presets per channel: at most this many.
pub const MAX_PRESETS: usize = 10;
/// The longest timed ban a preset may hold (30 days, in seconds).
pub const MAX_PRESET_SECONDS: u32 = 30 * 24 * 3600;
/// The chat pane keeps at least this many messages, and at most that many.
pub const CHAT_BUFFER_MIN: u32 = 500;
pub const CHAT_BUFFER_MAX: u32 = 50_000;
/// The chat pane is at least this wide, and at most that (the window may
/// narrow it further: the live's side keeps room of its own).
pub const CHAT_WIDTH_MIN: u32 = 280;
pub const CHAT_WIDTH_MAX: u32 = 1600;

impl Settings {
    /// Presets sorted, each once.
    pub fn tidy(&mut self) {
        for list in self.ban_presets.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// As read from a file someone may have edited: tidied, and a channel
    /// whose presets do not pass [`Settings::check`] falls back to the
    /// defaults (rather than block every later change of the settings).
    pub fn sanitized(mut self) -> Self {
        self.tidy();
        self.ban_presets.retain(|key, list| {
            let one = Settings {
                ban_presets: [(key.clone(), list.clone())].into(),
                ..Settings::default()
            };
            one.check().is_ok()
        });
        if !(CHAT_BUFFER_MIN..=CHAT_BUFFER_MAX).contains(&self.chat_buffer) {
            self.chat_buffer = Settings::default().chat_buffer;
        }
        if !(CHAT_WIDTH_MIN..=CHAT_WIDTH_MAX).contains(&self.chat_width) {
            self.chat_width = Settings::default().chat_width;
        }
        self
    }

    /// Checks what a user may have typed: each channel's presets are 1 to
    /// MAX_PRESETS durations of 1 s to 30 days (spec §4: `banTime` > 0).
    pub fn check(&self) -> Result<()> {
        let host = &self.obs.host;
        if host.is_empty()
            || host.len() > 253
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/?#@".contains(c))
            || self.obs.port == 0
        {
            return Err(Error::invalid(
                Field::Obs,
                "OBS: a host name or address, and a port from 1 to 65535",
            ));
        }
        if !(CHAT_BUFFER_MIN..=CHAT_BUFFER_MAX).contains(&self.chat_buffer) {
            return Err(Error::invalid(
                Field::ChatBuffer,
                format!("the chat keeps {CHAT_BUFFER_MIN} to {CHAT_BUFFER_MAX} messages"),
            ));
        }
        if !(CHAT_WIDTH_MIN..=CHAT_WIDTH_MAX).contains(&self.chat_width) {
            return Err(Error::invalid(
                Field::ChatWidth,
                format!("the chat pane is {CHAT_WIDTH_MIN} to {CHAT_WIDTH_MAX} pixels wide"),
            ));
        }
        for (key, list) in &self.ban_presets {
            let ok = !list.is_empty()
                && list.len() <= MAX_PRESETS
                && list.iter().all(|s| (1..=MAX_PRESET_SECONDS).contains(s));
            if !ok {
                return Err(Error::invalid(
                    Field::BanPresets,
                    format!(
                        "timed-ban presets of {key}: 1 to {MAX_PRESETS} durations of 1 s to 30 days"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Where the settings live: beside the profiles file.
pub fn settings_path(profiles_path: &Path) -> PathBuf {
    profiles_path.with_file_name("settings.json")
}

/// The saved settings; defaults when there are none or they do not parse
/// (a bad file is left for the user, and replaced on the next save).
pub fn read(path: &Path) -> Settings {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Settings>(&text)
            .map(Settings::sanitized)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, path = %path.display(), "settings not readable; using defaults");
                Settings::default()
            }),
        Err(_) => Settings::default(),
    }
}

/// Tidies and checks `settings`, then writes them atomically (a temporary
/// file renamed over the old one); returns what was saved.
pub fn write(path: &Path, mut settings: Settings) -> Result<Settings> {
    settings.tidy();
    settings.check()?;
    let text = serde_json::to_string_pretty(&settings).expect("settings serialise");
    let tmp = path.with_extension("json.tmp");
    let io = |e: std::io::Error| Error::storage(path, e);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_os_unless_chosen() {
        assert_eq!(Language::Auto.resolve(Some("ko-KR")), Language::Ko);
        assert_eq!(Language::Auto.resolve(Some("ja_JP.UTF-8")), Language::Ja);
        assert_eq!(Language::Auto.resolve(Some("fr-FR")), Language::En);
        assert_eq!(Language::Auto.resolve(None), Language::En);
        assert_eq!(Language::Ja.resolve(Some("ko-KR")), Language::Ja);
        // A file from before the setting existed reads as "auto".
        let old: Settings = serde_json::from_str(r#"{"preview": false}"#).unwrap();
        assert_eq!(old.language, Language::Auto);
        let chosen: Settings = serde_json::from_str(r#"{"language": "ja"}"#).unwrap();
        assert_eq!(chosen.language, Language::Ja);
    }

    #[test]
    fn a_hand_edited_file_loses_only_its_bad_presets() {
        let read = Settings {
            ban_presets: [
                ("demo/a".to_owned(), vec![600, 5, 600]),
                ("demo/b".to_owned(), vec![0]),
                ("demo/c".to_owned(), vec![]),
            ]
            .into(),
            ..Settings::default()
        }
        .sanitized();
        assert_eq!(
            read.ban_presets,
            [("demo/a".to_owned(), vec![5, 600])].into()
        );
        assert!(read.check().is_ok());
        // A buffer size out of range falls back to the default.
        let read = Settings {
            chat_buffer: 7,
            ..Settings::default()
        };
        assert_eq!(read.check().unwrap_err().field(), Some(Field::ChatBuffer));
        assert_eq!(read.sanitized().chat_buffer, 5000);
        // So does a chat pane's width.
        let read = Settings {
            chat_width: 9000,
            ..Settings::default()
        };
        assert_eq!(read.check().unwrap_err().field(), Some(Field::ChatWidth));
        assert_eq!(read.sanitized().chat_width, 420);
    }

    #[test]
    fn saved_settings_come_back_and_bad_ones_are_refused_with_their_field() {
        let dir = std::env::temp_dir().join(format!("onair-desk-settings-{}", std::process::id()));
        let path = settings_path(&dir.join("profiles.json"));
        let mut s = Settings::default();
        s.ban_presets.insert("demo/1".into(), vec![60, 10, 60]);
        let saved = write(&path, s).unwrap();
        assert_eq!(saved.ban_presets["demo/1"], vec![10, 60]);
        assert_eq!(read(&path), saved);
        let mut bad = saved.clone();
        bad.obs.host = "obs host".into();
        assert_eq!(write(&path, bad).unwrap_err().field(), Some(Field::Obs));
        // The refused change lost nothing.
        assert_eq!(read(&path), saved);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(read(&path), Settings::default());
        let _ = std::fs::remove_dir_all(dir);
    }
}
