//! `onair-service`: the reference service as a standalone program.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use onair_service::{Config, Service, Simulation, Storage, Tls};

const USAGE: &str = "\
onair-service: reference implementation of the PRISM service API

USAGE:
    onair-service [OPTIONS]

OPTIONS:
    --data-dir DIR       where the database and certificate live
                         (default: the platform data dir, onair-service/)
    --memory             keep nothing on disk (a fresh service every start)
    --listen ADDR        address to listen on (default 127.0.0.1:8443)
    --seed-demo          create the demo users, channels, lives and clients
    --simulate RATE      simulated audience chatting RATE messages/s per live
    --sim-seed N         seed of the simulated audience (default 7)
    --cert FILE --key FILE
                         PEM certificate and key (default: self-signed,
                         generated on first start, kept in the data dir)
    --insecure-http      plain HTTP instead of TLS (local tests only)
    --public-url URL     base URL clients use, if not https://ADDR
    --rtmp-listen ADDR   where the RTMP ingest listens (e.g. 127.0.0.1:1935);
                         without it, nothing takes streams
    --rtmp-url URL       ingest URL stream keys are appended to, as
                         publishers see it (default rtmp://ADDR/live)
    --rtmp-max-connections N
                         open RTMP connections at most (default 1000)
    --rtmp-max-message BYTES
                         largest RTMP message a publisher may send, which
                         bounds each connection's buffers (default 8 MiB)
    --transcode          also transcode each stream into a 1080p/720p/480p
                         HLS ladder with ffmpeg (CPU-heavy; off by default)
    --stop-timeout SECS  seconds without a signal before an on-air live
                         ends, unless the live sets its own (default 30)
    --access-ttl SECS    access token lifetime (default 3600)
    --trust-issuer URL   also accept access tokens of this OAuth 2.0 /
                         OpenID Connect server (repeatable): JWTs (RFC 9068)
                         checked with its keys, others introspected
                         (RFC 7662); its users become service users
    --trust-audience AUD the audience a JWT access token must name
                         (default: not checked)
    --trust-client-id ID the service's client at those servers, to
                         introspect (secret: ONAIR_TRUST_CLIENT_SECRET)
    --trust-ca FILE      PEM certificate(s) to trust for those servers,
                         besides the platform's roots

  Connections (HTTPS; the RTMP ingest shares the caps' rules):
    --max-connections N  open HTTPS connections at most (default 4096,
                         lowered to fit the open-files limit); more are
                         accepted and closed at once
    --max-connections-per-peer N
                         from one address, an IPv6 /64 as one (default 128)
    --rtmp-max-connections-per-peer N
                         RTMP connections from one address (default 32)
    --handshake-timeout SECS  TLS handshake, at most (default 10)
    --idle-timeout SECS  a connection moving no byte this long is closed
                         (default 30)
    --header-timeout SECS     a request's head, at most (default 10)
    --body-timeout SECS  a request's body, whole, at most; then 408
                         (default 10)

  Guessing (failed attempts per client address per minute; 429 past them):
    --login-failures N   at the login form (default 10)
    --token-failures N   client secrets, codes, refresh tokens (default 30)
    --admin-failures N   admin tokens (default 10)
    --lockout-after N    an account failing N times in 15 min from anywhere
                         is locked for addresses it never signed in from,
                         1 s doubling per failure (default 5)
    --lockout-max SECS   the longest such lock (default 300)
    -h, --help           this text

ENVIRONMENT:
    ONAIR_ADMIN_TOKEN    token of the /admin routes (default: random, printed)
    ONAIR_TRUST_CLIENT_SECRET
                         the secret of --trust-client-id
    RUST_LOG             log filter (default: info)
";

fn parse(args: &[String]) -> Result<(Config, SocketAddr), String> {
    let mut data_dir: Option<PathBuf> = None;
    let mut memory = false;
    let mut listen: SocketAddr = "127.0.0.1:8443".parse().map_err(|e| format!("{e}"))?;
    let mut cfg = Config::new(Storage::Memory);
    let (mut cert, mut key, mut insecure) = (None, None, false);
    let mut sim: Option<Simulation> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--memory" => memory = true,
            "--listen" => {
                listen = value("--listen")?
                    .parse()
                    .map_err(|e| format!("--listen: {e}"))?
            }
            "--seed-demo" => cfg.seed_demo = true,
            "--simulate" => {
                let rate: f64 = value("--simulate")?
                    .parse()
                    .map_err(|e| format!("--simulate: {e}"))?;
                if !(0.0..=10_000.0).contains(&rate) {
                    return Err(
                        "--simulate: the rate must be 0 to 10000 messages per second".into(),
                    );
                }
                sim.get_or_insert_with(Simulation::default).chat_rate = rate;
            }
            "--sim-seed" => {
                sim.get_or_insert_with(Simulation::default).seed = value("--sim-seed")?
                    .parse()
                    .map_err(|e| format!("--sim-seed: {e}"))?;
            }
            "--cert" => cert = Some(PathBuf::from(value("--cert")?)),
            "--key" => key = Some(PathBuf::from(value("--key")?)),
            "--insecure-http" => insecure = true,
            "--public-url" => cfg.public_url = Some(value("--public-url")?),
            "--rtmp-url" => cfg.rtmp_url = Some(value("--rtmp-url")?),
            "--rtmp-listen" => {
                cfg.ingest.listen = Some(
                    value("--rtmp-listen")?
                        .parse()
                        .map_err(|e| format!("--rtmp-listen: {e}"))?,
                )
            }
            "--rtmp-max-connections" => {
                let n: usize = value("--rtmp-max-connections")?
                    .parse()
                    .map_err(|e| format!("--rtmp-max-connections: {e}"))?;
                if n == 0 {
                    return Err("--rtmp-max-connections: at least 1".into());
                }
                cfg.ingest.max_connections = n;
            }
            "--rtmp-max-message" => {
                let n: usize = value("--rtmp-max-message")?
                    .parse()
                    .map_err(|e| format!("--rtmp-max-message: {e}"))?;
                if !(64 * 1024..=64 * 1024 * 1024).contains(&n) {
                    return Err("--rtmp-max-message: 65536 to 67108864 bytes".into());
                }
                cfg.ingest.max_message_bytes = n;
            }
            "--transcode" => cfg.ingest.transcode = true,
            "--stop-timeout" => {
                let s: u32 = value("--stop-timeout")?
                    .parse()
                    .map_err(|e| format!("--stop-timeout: {e}"))?;
                if !onair_service::config::limits::STOP_TIMEOUT.contains(&s) {
                    return Err("--stop-timeout: 1 to 3600 seconds".into());
                }
                cfg.ingest.stop_timeout = Duration::from_secs(u64::from(s));
            }
            "--access-ttl" => {
                let s: u64 = value("--access-ttl")?
                    .parse()
                    .map_err(|e| format!("--access-ttl: {e}"))?;
                cfg.access_ttl = Duration::from_secs(s.max(1));
            }
            "--trust-issuer" => {
                let issuer = value("--trust-issuer")?;
                let url = url::Url::parse(&issuer).map_err(|e| format!("--trust-issuer: {e}"))?;
                if url.scheme() != "https" || url.query().is_some() || url.fragment().is_some() {
                    return Err("--trust-issuer: an https URL without query (RFC 8414 §2)".into());
                }
                cfg.trust.issuers.push(issuer);
            }
            "--trust-audience" => cfg.trust.audience = Some(value("--trust-audience")?),
            "--trust-client-id" => cfg.trust.client_id = Some(value("--trust-client-id")?),
            "--trust-ca" => {
                let file = value("--trust-ca")?;
                cfg.trust.ca_pem = Some(
                    std::fs::read_to_string(&file)
                        .map_err(|e| format!("--trust-ca {file}: {e}"))?,
                );
            }
            "--max-connections" => {
                cfg.http.max_connections = number(arg, value(arg)?, 1, 1_000_000)? as usize
            }
            "--max-connections-per-peer" => {
                cfg.http.max_per_peer = number(arg, value(arg)?, 1, 1_000_000)? as usize
            }
            "--rtmp-max-connections-per-peer" => {
                cfg.ingest.max_per_peer = number(arg, value(arg)?, 1, 1_000_000)? as usize
            }
            "--handshake-timeout" => {
                cfg.http.handshake_timeout = Duration::from_secs(number(arg, value(arg)?, 1, 600)?)
            }
            "--idle-timeout" => {
                cfg.http.idle_timeout = Duration::from_secs(number(arg, value(arg)?, 1, 3_600)?)
            }
            "--header-timeout" => {
                cfg.http.header_timeout = Duration::from_secs(number(arg, value(arg)?, 1, 600)?)
            }
            "--body-timeout" => {
                cfg.http.body_timeout = Duration::from_secs(number(arg, value(arg)?, 1, 600)?)
            }
            "--login-failures" => {
                cfg.throttle.login_per_minute = number(arg, value(arg)?, 1, 100_000)? as u32
            }
            "--token-failures" => {
                cfg.throttle.token_per_minute = number(arg, value(arg)?, 1, 100_000)? as u32
            }
            "--admin-failures" => {
                cfg.throttle.admin_per_minute = number(arg, value(arg)?, 1, 100_000)? as u32
            }
            "--lockout-after" => {
                cfg.throttle.lockout_after = number(arg, value(arg)?, 1, 100_000)? as u32
            }
            "--lockout-max" => {
                cfg.throttle.lockout_max = Duration::from_secs(number(arg, value(arg)?, 1, 86_400)?)
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    cfg.storage = match (memory, data_dir) {
        (true, Some(_)) => return Err("--memory and --data-dir exclude each other".into()),
        (true, None) => Storage::Memory,
        (false, dir) => Storage::Dir(dir.unwrap_or_else(Config::default_data_dir)),
    };
    cfg.tls = match (insecure, cert, key) {
        (true, None, None) => Tls::InsecureHttp,
        (true, _, _) => return Err("--insecure-http and --cert/--key exclude each other".into()),
        (false, Some(cert), Some(key)) => Tls::Files { cert, key },
        (false, None, None) => Tls::SelfSigned,
        (false, _, _) => return Err("--cert and --key go together".into()),
    };
    cfg.simulate = sim;
    cfg.trust.client_secret = std::env::var("ONAIR_TRUST_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(onair_api::Secret::new);
    cfg.admin_token = std::env::var("ONAIR_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    Ok((cfg, listen))
}

/// A whole number of a flag, within `min..=max`.
fn number(flag: &str, text: String, min: u64, max: u64) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("{flag}: a whole number from {min} to {max}")),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (config, listen) = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("onair-service: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // A server's usual start: the soft open-files limit (often 1,024) up
    // to the hard one; the connection caps are then fitted under it.
    match onair_service::conn::raise_open_files() {
        Some(f) => tracing::info!(
            soft_before = f.before,
            soft_now = f.now,
            hard = f.hard,
            "open files limit"
        ),
        None => tracing::info!("no open files limit to raise"),
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("onair-service: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    let storage = config.storage.clone();
    let service = match Service::open(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("onair-service: {e}");
            return ExitCode::FAILURE;
        }
    };
    // What clients and operators need, one `key=value` per line on stdout.
    println!("base_url={}", service.base_url());
    if let Some(rtmp) = service.rtmp_addr() {
        println!("rtmp_listen={rtmp}");
    }
    println!("admin_token={}", service.admin_token());
    if let Some(fp) = service.fingerprint() {
        println!("fingerprint_sha256={fp}");
    }
    if let Storage::Dir(dir) = &storage {
        println!("data_dir={}", dir.display());
    }
    println!("ready");
    tracing::info!(base_url = service.base_url(), "onair-service listening");
    if let Err(e) = service.run(listener, shutdown_signal()).await {
        eprintln!("onair-service: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
