//! OBS's own settings files, for when OBS is not running: the stream
//! server and key go into the current profile's `service.json`
//! (`{"type":"rtmp_custom","settings":{"server":..,"key":..}}`), the file
//! before it kept as `service.json.bak`. OBS reads the file when it starts
//! and rewrites it when it quits, so this is refused while OBS runs.
//!
//! Where OBS keeps its settings (its `GetConfigPath`): `obs-studio` in the
//! platform's config dir: `$XDG_CONFIG_HOME` or `~/.config` on Linux (and
//! the Flatpak's and Snap's own homes), `%APPDATA%` on Windows,
//! `~/Library/Application Support` on macOS. The current profile's folder
//! is `[Basic] ProfileDir` in `user.ini` (OBS 31 and later) or `global.ini`,
//! under `basic/profiles/`.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::ObsError;
use crate::ingest::StreamTarget;

type Result<T> = std::result::Result<T, ObsError>;

/// OBS's config folder on this machine (the `obs-studio` folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsFiles {
    dir: PathBuf,
}

impl ObsFiles {
    /// The first of the platform's places that holds OBS's settings.
    pub fn find() -> Result<Self> {
        let places = candidates();
        places
            .iter()
            .find(|d| d.join("user.ini").is_file() || d.join("global.ini").is_file())
            .map(|d| Self::at(d))
            .ok_or_else(|| {
                ObsError::NoConfig(
                    places
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
    }

    /// OBS's config folder at `dir` (tests, portable installs).
    pub fn at(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// The current profile's folder.
    pub fn profile_dir(&self) -> Result<PathBuf> {
        for name in ["user.ini", "global.ini"] {
            let Ok(text) = std::fs::read_to_string(self.dir.join(name)) else {
                continue;
            };
            if let Some(dir) = ini_value(&text, "Basic", "ProfileDir") {
                if dir.is_empty() || dir.contains(['/', '\\']) || dir == ".." {
                    return Err(ObsError::File(format!(
                        "{name} names an odd profile folder {dir:?}"
                    )));
                }
                let path = self.dir.join("basic").join("profiles").join(dir);
                return if path.is_dir() {
                    Ok(path)
                } else {
                    Err(ObsError::File(format!(
                        "the current profile's folder {} is missing",
                        path.display()
                    )))
                };
            }
        }
        Err(ObsError::File(format!(
            "no current profile in {}",
            self.dir.display()
        )))
    }

    /// Writes `target` into the current profile's `service.json`, the old
    /// file kept as `service.json.bak`. `obs_running` is asked first:
    /// OBS would overwrite the file when it quits. Returns the file's path.
    pub fn send_target(&self, target: &StreamTarget, obs_running: bool) -> Result<PathBuf> {
        if obs_running {
            return Err(ObsError::RunningForFile);
        }
        let path = self.profile_dir()?.join("service.json");
        write_service(&path, target)?;
        tracing::info!(file = %path.display(), "stream server and key written for OBS");
        Ok(path)
    }
}

/// Writes `service.json` for `target` at `path` (a `.bak` of the file
/// before; the new one replaces it whole, by rename).
pub fn write_service(path: &Path, target: &StreamTarget) -> Result<()> {
    let io =
        |what: &str, e: std::io::Error| ObsError::File(format!("{what} {}: {e}", path.display()));
    if path.exists() {
        std::fs::copy(path, path.with_extension("json.bak")).map_err(|e| io("backing up", e))?;
    }
    let text = serde_json::to_string_pretty(&json!({
        "type": "rtmp_custom",
        "settings": {"server": target.server, "key": target.key.expose()},
    }))
    .expect("service.json serialises");
    let tmp = path.with_extension("json.onair-tmp");
    write_private(&tmp, text.as_bytes()).map_err(|e| io("writing", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("replacing", e)
    })
}

/// A file only its owner reads (it holds a stream key).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// What a `service.json` sends the stream to: (type, server, key).
pub fn read_service(path: &Path) -> Result<(String, String, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ObsError::File(format!("{}: {e}", path.display())))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ObsError::File(format!("{}: {e}", path.display())))?;
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_owned();
    Ok((
        s(&v["type"]),
        s(&v["settings"]["server"]),
        s(&v["settings"]["key"]),
    ))
}

/// A value of an INI file as OBS writes them (`[Section]`, `Key=Value`;
/// a UTF-8 byte-order mark allowed).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.trim_start_matches('\u{feff}').lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name == section;
        } else if in_section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_owned());
                }
            }
        }
    }
    None
}

/// The places OBS keeps its settings on this platform, most likely first.
fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(config) = dirs::config_dir() {
        out.push(config.join("obs-studio"));
    }
    #[cfg(target_os = "linux")]
    if let Some(home) = dirs::home_dir() {
        out.push(home.join(".var/app/com.obsproject.Studio/config/obs-studio"));
        out.push(home.join("snap/obs-studio/current/.config/obs-studio"));
    }
    out
}

/// Whether an OBS Studio process runs on this machine.
pub fn obs_running() -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return false;
        };
        procs.flatten().any(|p| {
            std::fs::read_to_string(p.path().join("comm")).is_ok_and(|c| c.trim() == "obs")
        })
    }
    #[cfg(target_os = "macos")]
    {
        std::process::Command::new("pgrep")
            .args(["-x", "OBS"])
            .output()
            .is_ok_and(|o| o.status.success())
    }
    #[cfg(windows)]
    {
        std::process::Command::new("tasklist")
            .args(["/FI", "IMAGENAME eq obs64.exe", "/NH"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("obs64.exe"))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "onair-obs-files-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(dir.join("basic/profiles/Main")).unwrap();
        dir
    }

    fn target(key: &str) -> StreamTarget {
        StreamTarget::from_rtmp_path(&format!("rtmp://ingest.example/live/{key}")).unwrap()
    }

    #[test]
    fn service_json_round_trip_with_a_backup() {
        let dir = home();
        std::fs::write(
            dir.join("global.ini"),
            "\u{feff}[General]\nProfileDir=Wrong\n[Basic]\nProfile=Main\nProfileDir=Main\n",
        )
        .unwrap();
        let files = ObsFiles::at(&dir);
        let service = dir.join("basic/profiles/Main/service.json");
        std::fs::write(
            &service,
            r#"{"type":"rtmp_common","settings":{"key":"old"}}"#,
        )
        .unwrap();

        assert_eq!(
            files.send_target(&target("sk_ONE"), false).unwrap(),
            service
        );
        assert_eq!(
            read_service(&service).unwrap(),
            (
                "rtmp_custom".into(),
                "rtmp://ingest.example/live".into(),
                "sk_ONE".into()
            )
        );
        let bak =
            std::fs::read_to_string(dir.join("basic/profiles/Main/service.json.bak")).unwrap();
        assert!(bak.contains("rtmp_common") && bak.contains("old"), "{bak}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&service).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key's file is the owner's alone");
        }
        // Again: the backup is the previous send.
        files.send_target(&target("sk_TWO"), false).unwrap();
        assert_eq!(read_service(&service).unwrap().2, "sk_TWO");
        let (_, _, was) = read_service(&dir.join("basic/profiles/Main/service.json.bak")).unwrap();
        assert_eq!(was, "sk_ONE");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refused_while_obs_runs_and_nothing_changes() {
        let dir = home();
        std::fs::write(dir.join("user.ini"), "[Basic]\nProfileDir=Main\n").unwrap();
        let service = dir.join("basic/profiles/Main/service.json");
        std::fs::write(&service, "{}").unwrap();
        let err = ObsFiles::at(&dir)
            .send_target(&target("sk_X"), true)
            .unwrap_err();
        assert_eq!(err, ObsError::RunningForFile);
        assert_eq!(std::fs::read_to_string(&service).unwrap(), "{}");
        assert!(!dir.join("basic/profiles/Main/service.json.bak").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_current_profile_from_user_ini_first() {
        let dir = home();
        std::fs::create_dir_all(dir.join("basic/profiles/Other")).unwrap();
        std::fs::write(dir.join("global.ini"), "[Basic]\nProfileDir=Main\n").unwrap();
        std::fs::write(dir.join("user.ini"), "[Basic]\r\nProfileDir=Other\r\n").unwrap();
        assert_eq!(
            ObsFiles::at(&dir).profile_dir().unwrap(),
            dir.join("basic/profiles/Other")
        );
        // A profile folder that is not there, or an odd name, is said.
        std::fs::write(dir.join("user.ini"), "[Basic]\nProfileDir=Gone\n").unwrap();
        assert!(ObsFiles::at(&dir).profile_dir().is_err());
        std::fs::write(dir.join("user.ini"), "[Basic]\nProfileDir=../x\n").unwrap();
        assert!(ObsFiles::at(&dir).profile_dir().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
