//! Real OBS Studio for tests (feature `testing`): started under the
//! display in `DISPLAY` (Xvfb in `make test`) with a throwaway home whose
//! settings skip the first-run wizard and turn the WebSocket server on
//! (obs-websocket 5.1 reads its settings from `global.ini`'s
//! `[OBSWebSocket]` section), on a free port, with a password.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onair_api::Secret;
use tokio::sync::mpsc;

use super::{Endpoint, Obs, ObsEvent};
use crate::ingest::StreamTarget;

/// An OBS process; killed when dropped.
#[derive(Debug)]
pub struct RealObs {
    child: Option<Child>,
    home: PathBuf,
    /// Where its `obs-studio` settings folder is (`XDG_CONFIG_HOME`).
    config_home: PathBuf,
    pub endpoint: Endpoint,
    pub password: String,
}

/// Whether `obs` can be started here.
pub fn installed() -> bool {
    Command::new("obs")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// ffmpeg listening as an RTMP server on 127.0.0.1: a sink OBS can stream
/// to (`ffmpeg -listen 1` takes one connection: nothing may probe it).
#[derive(Debug)]
pub struct RtmpSink {
    child: Child,
    pub server: String,
    pub key: String,
}

impl RtmpSink {
    pub fn start() -> Self {
        let port = free_port();
        let key = "sink".to_owned();
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-listen", "1", "-i"])
            .arg(format!("rtmp://127.0.0.1:{port}/live/{key}"))
            .args(["-f", "null", "-"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ffmpeg (apt-get install ffmpeg)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !listening(port) {
            assert!(Instant::now() < deadline, "ffmpeg is not listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            server: format!("rtmp://127.0.0.1:{port}/live"),
            key,
        }
    }
}

impl RtmpSink {
    /// Where OBS streams to reach this sink.
    pub fn target(&self) -> StreamTarget {
        StreamTarget {
            server: self.server.clone(),
            key: Secret::new(self.key.clone()),
        }
    }
}

impl Drop for RtmpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something listens on 127.0.0.1:`port`, without connecting
/// (Linux: /proc/net/tcp, state 0A).
fn listening(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let want = format!(":{port:04X}");
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1).is_some_and(|local| local.ends_with(&want)) && f.get(3) == Some(&"0A")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RealObs {
    /// Starts OBS with its own home under `parent` and waits until its
    /// WebSocket server accepts connections.
    pub fn start(parent: &Path) -> Self {
        let home = parent.join(format!("obs-home-{}", rand::random::<u32>()));
        Self::start_with(&home, &home.join(".config"))
    }

    /// The same, its settings under `config_home/obs-studio` (as an app
    /// with that `XDG_CONFIG_HOME` looks for them).
    pub fn start_with(home: &Path, config_home: &Path) -> Self {
        let home = home.to_owned();
        let port = free_port();
        let password = format!("obs-{:016x}", rand::random::<u64>());
        let config = config_home.join("obs-studio");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(config.join("basic/profiles/Test")).unwrap();
        std::fs::create_dir_all(config.join("basic/scenes")).unwrap();
        std::fs::write(
            config.join("global.ini"),
            format!(
                "[General]\nFirstRun=true\nLastVersion=486539266\nEnableAutoUpdates=false\nConfirmOnExit=false\n\
                 [BasicWindow]\nSysTrayEnabled=false\nWarnBeforeStartingStream=false\nWarnBeforeStoppingStream=false\n\
                 [Basic]\nProfile=Test\nProfileDir=Test\nSceneCollection=Test\nSceneCollectionFile=Test\nConfigOnNewProfile=false\n\
                 [OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={port}\nAlertsEnabled=false\n\
                 AuthRequired=true\nServerPassword={password}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            config.join("basic/profiles/Test/basic.ini"),
            "[General]\nName=Test\n[Video]\nBaseCX=640\nBaseCY=360\nOutputCX=640\nOutputCY=360\n\
             FPSType=0\nFPSCommon=30\n[Output]\nMode=Simple\n",
        )
        .unwrap();
        let mut obs = Self {
            child: None,
            home,
            config_home: config_home.to_owned(),
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port,
            },
            password,
        };
        // A start can abort right after the display came up: once more.
        for _ in 0..2 {
            obs.spawn();
            if obs.wait_ready(Duration::from_secs(30)) {
                return obs;
            }
            obs.kill();
        }
        panic!("OBS did not open its WebSocket server on port {port}");
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.home.join("obs.log")).unwrap();
        let child = Command::new("obs")
            .args([
                "--multi",
                "--disable-updater",
                "--disable-missing-files-check",
                "--profile",
                "Test",
                "--collection",
                "Test",
            ])
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env("QT_QPA_PLATFORM", "xcb")
            .current_dir(&self.home)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("obs (apt-get install obs-studio)");
        self.child = Some(child);
    }

    fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                return false;
            }
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.endpoint.port));
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    /// A connection of the test's own, with OBS's password.
    pub async fn connect(&self) -> (Obs, mpsc::UnboundedReceiver<ObsEvent>) {
        let password = Secret::new(self.password.clone());
        Obs::connect(&self.endpoint, Some(&password))
            .await
            .expect("a connection to the test's OBS")
    }

    /// OBS's config folder.
    pub fn config_dir(&self) -> PathBuf {
        self.config_home.join("obs-studio")
    }

    /// OBS's output and its newest log file (`logs/` in its settings).
    pub fn log(&self) -> String {
        let mut out = std::fs::read_to_string(self.home.join("obs.log")).unwrap_or_default();
        let newest = std::fs::read_dir(self.config_dir().join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
        if let Some(file) = newest {
            out.push_str(&std::fs::read_to_string(file.path()).unwrap_or_default());
        }
        out
    }

    /// Stops OBS (SIGTERM ends OBS 29 at once; the settings it took over
    /// the WebSocket are already on disk) and waits for it.
    pub fn stop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RealObs {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}
