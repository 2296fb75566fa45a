//! `onair-soak`: an hour of a busy day and a hostile night at once, against
//! the reference service binary (`make bench`; issue 19).
//!
//! The service runs as its own process (`onair-service` beside this
//! binary, on a temporary data dir), so its memory and descriptors are its
//! own. Then, for `--minutes` (60):
//! - `--lives` (100) lives on air, the simulated audience chatting
//!   `--chat-rate` (50) messages a second across them;
//! - `--clients` (200) clients, each with its own connection from one of
//!   twenty loopback addresses, asking for their live's status every 5 s
//!   and its chat every 3 s (following the page tokens), as PRISM does;
//! - a flood of `--flood` (1,000) idle TLS connections from nine other
//!   addresses, switched on and off every `--flood-every` (5) minutes.
//!
//! Each minute: the requests, their p50, p99 and longest latency, the 5xx
//! answers and failed requests, the service's resident memory and open
//! descriptors, whether the flood was on. At the end: the memory's growth
//! from minute 1 to the last (target under 10 %), and a verdict; the exit
//! code is non-zero on any 5xx, any failed request, or growth of 10 % or
//! more. `--quick`: 3 minutes, the flood each minute, 40 clients.

use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onair_api::{ChatListRequest, ChatPage, Envelope};
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

const CLIENT_ID: &str = "onair-desktop";
const REDIRECT_URI: &str = "http://127.0.0.1:1/callback";
const P: &str = "/prism/v1/service";

#[derive(Debug, Clone)]
struct Args {
    minutes: u64,
    lives: usize,
    chat_rate: f64,
    clients: usize,
    flood: usize,
    flood_every: u64,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        minutes: 60,
        lives: 100,
        chat_rate: 50.0,
        clients: 200,
        flood: 1_000,
        flood_every: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--minutes" => a.minutes = value()?.parse()?,
            "--lives" => a.lives = value()?.parse()?,
            "--chat-rate" => a.chat_rate = value()?.parse()?,
            "--clients" => a.clients = value()?.parse()?,
            "--flood" => a.flood = value()?.parse()?,
            "--flood-every" => a.flood_every = value()?.parse()?,
            "--quick" => {
                a.minutes = 3;
                a.flood_every = 1;
                a.clients = 40;
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if a.minutes < 2 || a.lives == 0 || a.clients == 0 || a.flood_every == 0 {
        return Err("--minutes at least 2; --lives, --clients, --flood-every at least 1".into());
    }
    Ok(a)
}

/// One minute's figures.
#[derive(Debug, Default, Clone)]
struct Minute {
    latencies_us: Vec<u64>,
    server_errors: u64,
    failed: u64,
    flood_on: bool,
    rss_kib: u64,
    fds: usize,
    /// Flood connections open at the minute's end, and closed by the
    /// service during it.
    flood_held: usize,
    flood_shed: usize,
}

type Minutes = Arc<Mutex<Vec<Minute>>>;

fn record(minutes: &Minutes, start: Instant, latency: Duration, status: Option<u16>) {
    let i = (start.elapsed().as_secs() / 60) as usize;
    let mut m = minutes.lock().unwrap();
    if m.len() <= i {
        m.resize(i + 1, Minute::default());
    }
    let row = &mut m[i];
    row.latencies_us.push(latency.as_micros() as u64);
    match status {
        Some(s) if s >= 500 => row.server_errors += 1,
        Some(_) => {}
        None => row.failed += 1,
    }
}

/// The service binary beside this one, on a fresh data dir.
struct Child {
    process: tokio::process::Child,
    pid: u32,
    base: String,
    cert_pem: String,
    dir: std::path::PathBuf,
}

async fn start_service(args: &Args) -> Result<Child> {
    let exe = std::env::current_exe()?;
    let service = exe.with_file_name("onair-service");
    let dir = std::env::temp_dir().join(format!("onair-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let per_live = args.chat_rate / args.lives as f64;
    let mut process = tokio::process::Command::new(&service)
        .args(["--data-dir", dir.to_str().ok_or("temp dir")?])
        .args(["--listen", "127.0.0.1:0", "--seed-demo"])
        .args(["--simulate", &format!("{per_live}")])
        .args(["--access-ttl", "86400"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.join("service.log"))?)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (build it: cargo build --release -p onair-service)",
                service.display()
            )
        })?;
    let said = onair_service::testing::start_lines(process.stdout.take().ok_or("stdout")?).await;
    let Some(base) = said.get("base_url").cloned() else {
        return Err("the service did not start".into());
    };
    let cert_pem = std::fs::read_to_string(dir.join("cert.pem"))?;
    let pid = process.id().ok_or("no pid")?;
    Ok(Child {
        process,
        pid,
        base,
        cert_pem,
        dir,
    })
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// An HTTPS client trusting only the service, from `from`, one connection.
fn client_from(cert_pem: &str, from: IpAddr) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes())?)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// One client: its live's status every 5 s and its chat every 3 s.
/// What one client does, and where its figures go.
struct Poller {
    http: reqwest::Client,
    base: String,
    token: String,
    live: String,
    minutes: Minutes,
    start: Instant,
    until: Instant,
    /// Its first request this long after the start (clients spread over 5 s).
    offset: Duration,
}

async fn poller(p: Poller) {
    let Poller {
        http,
        base,
        token,
        live,
        minutes,
        start,
        until,
        offset,
    } = p;
    tokio::time::sleep(offset).await;
    let mut status_at = Instant::now();
    let mut chat_at = Instant::now() + Duration::from_millis(1_500);
    let mut page: Option<String> = None;
    while Instant::now() < until {
        let next = status_at.min(chat_at);
        tokio::time::sleep_until(next).await;
        let t = Instant::now();
        if status_at <= chat_at {
            status_at += Duration::from_secs(5);
            let r = http
                .get(format!("{base}{P}/live/{live}"))
                .header("x-prism-access-token", &token)
                .send()
                .await;
            let status = match r {
                Ok(r) => {
                    let s = r.status().as_u16();
                    let _ = r.bytes().await;
                    Some(s)
                }
                Err(_) => None,
            };
            record(&minutes, start, t.elapsed(), status);
        } else {
            chat_at += Duration::from_secs(3);
            let body = ChatListRequest {
                max_results: None,
                page_token: page.clone(),
            };
            let r = http
                .post(format!("{base}{P}/live/{live}/chat"))
                .header("x-prism-access-token", &token)
                .json(&body)
                .send()
                .await;
            let status = match r {
                Ok(r) => {
                    let s = r.status().as_u16();
                    if let Ok(e) = r.json::<Envelope<ChatPage>>().await {
                        if let Some(p) = e.data {
                            page = p.next_page_token.or(page.take());
                        }
                    }
                    Some(s)
                }
                Err(_) => None,
            };
            record(&minutes, start, t.elapsed(), status);
        }
    }
}

/// Idle TLS connections from nine addresses while `on` says so: each
/// finishes its handshake, says nothing, and when the service closes it
/// (its idle timeout, or its place given to a client that talks) comes
/// back, as a patient attacker would. `open` counts those open now,
/// `closed` those the service closed.
async fn flood(
    cert_pem: String,
    addr: String,
    n: usize,
    on: tokio::sync::watch::Receiver<bool>,
    open: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut cert_pem.as_bytes()).flatten() {
        let _ = roots.add(cert);
    }
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let from = IpAddr::from([127, 0, 1, (i % 9 + 1) as u8]);
        let (config, addr, open, closed) =
            (config.clone(), addr.clone(), open.clone(), closed.clone());
        let mut on = on.clone();
        tasks.spawn(async move {
            // Spread the first connections over a second.
            tokio::time::sleep(Duration::from_millis((i as u64 * 1_000) / n.max(1) as u64)).await;
            loop {
                if on.wait_for(|v| *v).await.is_err() {
                    return;
                }
                let Some(mut tls) = idle_connection(&config, from, &addr).await else {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                };
                open.fetch_add(1, Ordering::Relaxed);
                let mut buf = [0u8; 512];
                let service_closed = loop {
                    tokio::select! {
                        r = tokio::io::AsyncReadExt::read(&mut tls, &mut buf) => {
                            if matches!(r, Ok(0) | Err(_)) { break true; }
                        }
                        r = on.wait_for(|v| !*v) => { let _ = r; break false; }
                    }
                };
                open.fetch_sub(1, Ordering::Relaxed);
                drop(tls);
                if service_closed {
                    closed.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// A TCP connection from `from` and a finished TLS handshake, or nothing.
async fn idle_connection(
    config: &Arc<rustls::ClientConfig>,
    from: IpAddr,
    addr: &str,
) -> Option<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind((from, 0).into()).ok()?;
    let tcp = tokio::time::timeout(Duration::from_secs(10), socket.connect(addr.parse().ok()?))
        .await
        .ok()?
        .ok()?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").ok()?;
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp),
    )
    .await
    .ok()?
    .ok()
}

async fn run(args: &Args) -> Result<Vec<Minute>> {
    let svc = start_service(args).await?;
    eprintln!("service at {} (pid {})", svc.base, svc.pid);
    let home = client_from(&svc.cert_pem, IpAddr::from([127, 0, 0, 1]))?;
    let token = onair_service::testing::pkce_login(
        &home,
        &svc.base,
        CLIENT_ID,
        REDIRECT_URI,
        "streamer",
        "streamer",
    )
    .await?;
    // The lives, on air.
    let mut lives = Vec::new();
    for i in 0..args.lives {
        let r = home
            .post(format!("{}{P}/channel/streamer-main/live", svc.base))
            .header("x-prism-access-token", &token)
            .json(&serde_json::json!({"title": format!("Soak {i}")}))
            .send()
            .await?;
        let v: serde_json::Value = r.json().await?;
        let id = v["data"]["live"]["liveId"]
            .as_str()
            .ok_or_else(|| format!("create live: {v}"))?
            .to_owned();
        let r = home
            .put(format!("{}{P}/live/{id}/start", svc.base))
            .header("x-prism-access-token", &token)
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("start live: HTTP {}", r.status()).into());
        }
        lives.push(id);
    }
    let minutes: Minutes = Arc::default();
    let start = Instant::now();
    let until = start + Duration::from_secs(args.minutes * 60);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..args.clients {
        let from = IpAddr::from([127, 0, 2, (c / 10 + 1) as u8]);
        let http = client_from(&svc.cert_pem, from)?;
        let offset = Duration::from_millis((c as u64 * 5_000) / args.clients as u64);
        tasks.spawn(poller(Poller {
            http,
            base: svc.base.clone(),
            token: token.clone(),
            live: lives[c % lives.len()].clone(),
            minutes: minutes.clone(),
            start,
            until,
            offset,
        }));
    }
    let (flood_on, flood_rx) = tokio::sync::watch::channel(false);
    let (held, shed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let addr = svc.base.trim_start_matches("https://").to_owned();
    let flooder = tokio::spawn(flood(
        svc.cert_pem.clone(),
        addr,
        args.flood,
        flood_rx,
        held.clone(),
        shed.clone(),
    ));
    // Each minute: the flood's switch, then the service's memory and
    // descriptors at the minute's end.
    for minute in 0..args.minutes {
        let on = (minute / args.flood_every) % 2 == 1;
        let _ = flood_on.send(on);
        tokio::time::sleep_until(
            start + Duration::from_secs((minute + 1) * 60) - Duration::from_millis(500),
        )
        .await;
        let (rss, open) = (rss_kib(svc.pid), fds(svc.pid));
        let mut m = minutes.lock().unwrap();
        if m.len() <= minute as usize {
            m.resize(minute as usize + 1, Minute::default());
        }
        let row = &mut m[minute as usize];
        row.flood_on = on;
        row.rss_kib = rss;
        row.fds = open;
        row.flood_held = held.load(Ordering::Relaxed);
        row.flood_shed = shed.swap(0, Ordering::Relaxed);
        let mut lat = row.latencies_us.clone();
        lat.sort_unstable();
        eprintln!(
            "minute {}: {} requests, p99 {} ms, {} 5xx, {} failed, RSS {:.1} MiB, {} fds, flood {} ({} open, {} closed by the service)",
            minute + 1,
            lat.len(),
            pct(&lat, 0.99) / 1000,
            row.server_errors,
            row.failed,
            rss as f64 / 1024.0,
            open,
            if on { "on" } else { "off" },
            row.flood_held,
            row.flood_shed
        );
    }
    while tasks.join_next().await.is_some() {}
    drop(flood_on);
    flooder.abort();
    let mut m = minutes.lock().unwrap().clone();
    m.truncate(args.minutes as usize);
    drop(svc.process);
    let _ = std::fs::remove_dir_all(&svc.dir);
    Ok(m)
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("onair-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let minutes = match rt.block_on(run(&args)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("onair-soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "### Soak: {} min, {} lives on air, {} msg/s of chat, {} clients (status every 5 s, chat every 3 s), {} idle connections on and off every {} min\n",
        args.minutes, args.lives, args.chat_rate, args.clients, args.flood, args.flood_every
    );
    println!("| minute | idle flood: open at the end / closed by the service | requests | p50 ms | p99 ms | longest ms | 5xx | failed | service RSS MiB | service fds |");
    println!("|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut errors, mut failed, mut total) = (0, 0, 0);
    for (i, m) in minutes.iter().enumerate() {
        let mut lat = m.latencies_us.clone();
        lat.sort_unstable();
        errors += m.server_errors;
        failed += m.failed;
        total += lat.len() as u64;
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {:.1} | {} |",
            i + 1,
            if m.flood_on {
                format!("on: {} / {}", m.flood_held, m.flood_shed)
            } else {
                format!("off (– / {})", m.flood_shed)
            },
            lat.len(),
            pct(&lat, 0.5) as f64 / 1000.0,
            pct(&lat, 0.99) as f64 / 1000.0,
            lat.last().copied().unwrap_or(0) as f64 / 1000.0,
            m.server_errors,
            m.failed,
            m.rss_kib as f64 / 1024.0,
            m.fds
        );
    }
    let first = minutes.first().map_or(0, |m| m.rss_kib) as f64;
    let last = minutes.last().map_or(0, |m| m.rss_kib) as f64;
    let growth = if first > 0.0 {
        (last / first - 1.0) * 100.0
    } else {
        0.0
    };
    let ok = errors == 0 && failed == 0 && growth < 10.0;
    println!(
        "\n{total} requests, {errors} 5xx, {failed} failed; service RSS {:.1} MiB at minute 1, {:.1} MiB at minute {} ({growth:+.1} %, target under 10 %): {}",
        first / 1024.0,
        last / 1024.0,
        minutes.len(),
        if ok { "pass" } else { "FAIL" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
