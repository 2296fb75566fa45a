//! The app's benchmark (`make bench`, under Xvfb and a keyring session):
//!
//! - start: process start to an interactive dashboard of a live on air
//!   (the UI reports "ui ready" once it has drawn it), logged in from the
//!   keyring, on the built-in demo service; median of 5 starts;
//! - memory: resident memory of the app and its WebKit processes, idle on
//!   that dashboard, against the same app showing a blank page;
//! - CPU: of the whole process tree over 60 s watching the live (the
//!   embedded service and its simulated audience included).
//!
//! Set-up without clicking: the demo service runs here on the app's data
//! dir, a login is made through its login page, and its refresh token is
//! put in the OS keyring where the app looks for it.
//!
//! Run: `cargo run --release -p onair --features custom-protocol --example app_bench -- target/release/onair [--quick]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_api::{CreateLive, OptionalApi, Scope};
use onair_client::{Connector, KeyringStore, LoginSlot, Profile, Profiles, TokenStore};
use onair_service::testing::{client_for, submit_login, Submitted};
use onair_service::{Config, Running, Storage};

const IDENT: &str = "dev.onair.desktop";

/// Clock ticks per second of /proc/*/stat times (USER_HZ on Linux).
const TICKS: f64 = 100.0;

/// Pids of `root` and its descendants.
fn tree(root: u32) -> Vec<u32> {
    let mut parent = HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let after = stat.rsplit_once(") ").map(|x| x.1).unwrap_or("");
            if let Some(ppid) = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
            {
                parent.insert(pid, ppid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn rss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn cpu_secs(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .map(|s| {
            let f: Vec<&str> = s
                .rsplit_once(") ")
                .map(|x| x.1)
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (t(11) + t(12)) / TICKS
        })
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct App {
    child: Child,
}

impl App {
    fn start(bin: &Path, home: &Path, args: &[&str]) -> Self {
        let child = Command::new(bin)
            .args(args)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("NO_AT_BRIDGE", "1")
            .env("BROWSER", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the app binary");
        Self { child }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the `n`-th "ui ready" line of `screen` in the app's log.
fn ready_ms(log: &Path, screen: &str, n: usize) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let hits: Vec<f64> = text
            .lines()
            .filter(|l| l.contains("ui ready") && l.contains(&format!("screen=\"{screen}\"")))
            .filter_map(|l| {
                l.split("ms=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        if hits.len() >= n {
            return hits[n - 1];
        }
        assert!(Instant::now() < deadline, "the app never drew the {screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bin = PathBuf::from(
        args.iter()
            .find(|a| !a.starts_with("--"))
            .expect("path of the onair binary"),
    );
    let quick = args.iter().any(|a| a == "--quick");
    let home = std::env::temp_dir().join(format!("onair-app-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let data = home.join("data").join(IDENT);
    let config = home.join("config").join(IDENT);
    std::fs::create_dir_all(&config).unwrap();

    // Set-up: the demo service on the app's data dir, a login, a live on air.
    let mut service_config = Config::new(Storage::Dir(data.join("demo-service")));
    service_config.seed_demo = true;
    let running = Running::start(service_config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut profile = Profile::new(
        "demo",
        "Built-in demo service",
        running.base_url(),
        "onair-desktop",
    );
    profile.pinned_sha256 = running.fingerprint().map(str::to_owned);
    profile.optional_apis = OptionalApi::ALL.to_vec();
    profile.last_account = Some("streamer".into());
    let store: Arc<dyn TokenStore> = Arc::new(KeyringStore::default());
    let connector = Connector::new(profile.clone(), store).await.unwrap();
    let pending = connector.start_login(&LoginSlot::default()).await.unwrap();
    let http = client_for(running.cert_pem().unwrap());
    let Submitted::Redirect(back) = submit_login(
        &http,
        pending.url().as_str(),
        "streamer",
        "streamer",
        "login",
    )
    .await
    .unwrap() else {
        panic!("login page did not redirect")
    };
    http.get(back).send().await.unwrap();
    let client = connector.complete_login(pending).await.unwrap().client;
    let live = client
        .create_live(
            "streamer-main",
            &CreateLive {
                title: "Benchmark live".into(),
                reserved_at: None,
                description: None,
                scope: Scope::Public,
            },
        )
        .await
        .unwrap();
    let live_id = live.live_id.as_str().to_owned();
    client.start_live(&live_id).await.unwrap();
    let mut all = Profiles::default();
    all.upsert(profile).unwrap();
    all.save(&config.join("profiles.json")).unwrap();
    running.stop().await.unwrap();
    let log = data.join("logs").join("onair.log");

    // Start time: 5 starts (the first one warms the page cache).
    let runs = if quick { 3 } else { 6 };
    let mut starts = Vec::new();
    let mut app = None;
    for i in 1..=runs {
        let a = App::start(&bin, &home, &["--demo", "--live", &live_id]);
        let ms = ready_ms(&log, "dashboard", i);
        if i > 1 {
            starts.push(ms);
        }
        if i == runs {
            app = Some(a);
        } else {
            a.stop();
        }
    }
    let app = app.unwrap();

    // Idle on the dashboard: memory, then CPU.
    std::thread::sleep(Duration::from_secs(10));
    let pids = tree(app.child.id());
    let rss_app = rss_kib(&pids);
    let window = Duration::from_secs(if quick { 15 } else { 60 });
    let before: Vec<(u32, f64)> = tree(app.child.id())
        .iter()
        .map(|p| (*p, cpu_secs(&[*p])))
        .collect();
    let cpu0: f64 = before.iter().map(|(_, c)| c).sum();
    std::thread::sleep(window);
    let cpu = cpu_secs(&tree(app.child.id())) - cpu0;
    // Where the CPU went, per process (the next thing to look at).
    let per_process: Vec<String> = before
        .iter()
        .map(|(pid, c0)| {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            format!(
                "{} {:.2} %",
                name.trim(),
                (cpu_secs(&[*pid]) - c0) * 100.0 / window.as_secs_f64()
            )
        })
        .collect();
    let processes = pids.len();
    app.stop();

    // Baseline: the same app and webview, a blank page.
    let blank = App::start(&bin, &home, &["--blank"]);
    std::thread::sleep(Duration::from_secs(10));
    let rss_blank = rss_kib(&tree(blank.child.id()));
    blank.stop();

    println!("## Desktop app ({})\n", bin.display());
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| start to interactive dashboard, median of {} | {:.0} ms |",
        starts.len(),
        median(starts.clone())
    );
    println!(
        "| start, all runs | {} |",
        starts
            .iter()
            .map(|s| format!("{s:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| RSS idle on a live's dashboard ({processes} processes) | {} MiB |",
        rss_app / 1024
    );
    println!(
        "| RSS of the same app on a blank page (baseline) | {} MiB |",
        rss_blank / 1024
    );
    println!(
        "| difference | {:+} MiB |",
        (rss_app as i64 - rss_blank as i64) / 1024
    );
    println!(
        "| CPU over {} s watching the live (whole tree, service included) | {:.2} % of one core |",
        window.as_secs(),
        cpu * 100.0 / window.as_secs_f64()
    );
    println!("| CPU per process | {} |", per_process.join(", "));
    let _ = std::fs::remove_dir_all(&home);
}
