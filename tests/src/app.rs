//! The real app: where the workspace and the app's binary are, and
//! tauri-driver, the WebDriver bridge to it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The workspace's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The desktop app's binary of this build (`ONAIR_APP` overrides): the
/// `onair` beside this test's `deps` directory. Another package's binary
/// is not built for this crate's tests, so `make test` builds it first.
pub fn app_binary() -> PathBuf {
    if let Some(app) = std::env::var_os("ONAIR_APP") {
        return PathBuf::from(app);
    }
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let app = profile_dir.join(format!("onair{}", std::env::consts::EXE_SUFFIX));
    assert!(
        app.exists(),
        "{} is missing: build the app first (`cargo build -p onair`; `make test` does)",
        app.display()
    );
    app
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

/// A free port whose next port is free too (tauri-driver listens on the
/// first and starts WebKitWebDriver on the second: a taken second port
/// leaves the driver unable to reach it).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = first.local_addr().expect("its address").port();
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        let v4 = std::net::TcpListener::bind(("127.0.0.1", next)).is_ok();
        // No IPv6 on the machine is no conflict; a taken port is.
        let v6 = std::net::TcpListener::bind(format!("[::1]:{next}"))
            .map_or_else(|e| e.kind() != std::io::ErrorKind::AddrInUse, |_| true);
        drop(first);
        if v4 && v6 {
            return port;
        }
    }
    panic!("no two free ports side by side on loopback");
}

/// tauri-driver in its own process group, stopped with the group.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    /// A driver whose apps keep their data under `home`, log in (through
    /// the scripted browser) as `user`, and run their demo service with
    /// the operator token `admin_token`.
    pub fn start(home: &Path, user: &str, admin_token: &str) -> Self {
        let cacert = home.join("data/dev.onair.desktop/demo-service/cert.pem");
        Self::start_trusting(home, user, admin_token, &cacert)
    }

    /// As [`Driver::start`], the scripted browser trusting `cacert` (a
    /// login server's certificate) instead of the demo service's.
    pub fn start_trusting(home: &Path, user: &str, admin_token: &str, cacert: &Path) -> Self {
        let port = free_port_pair();
        let log = std::fs::File::create(home.join(format!("driver-{user}.log")))
            .expect("the driver's log file");
        let mut cmd = Command::new(driver_path());
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &(port + 1).to_string(),
        ])
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("BROWSER", workspace().join("scripts/scripted-browser"))
        .env("ONAIR_BROWSER_USER", user)
        .env("ONAIR_BROWSER_CACERT", cacert)
        // The browser waits while this file exists (see the script).
        .env("ONAIR_BROWSER_HOLD", home.join("hold-browser"))
        .env("ONAIR_DEMO_ADMIN_TOKEN", admin_token)
        .env("NO_AT_BRIDGE", "1")
        // WebKit's automation answers some commands after the page's next
        // presentation update; painted without compositing, an idle page
        // (an ended live) never presents again and the command hangs. The
        // test keeps WebKit's default (composited) rendering.
        .env("ONAIR_GPU", "1")
        .stdout(Stdio::from(log.try_clone().expect("the log again")))
        .stderr(Stdio::from(log));
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver)");
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn driver_path() -> PathBuf {
    std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
            Some(home.join("bin/tauri-driver"))
        })
        .unwrap_or_else(|| "tauri-driver".into())
}
