//! `onair-service-bench`: a load generator for the reference service, on
//! loopback, in one process.
//!
//! It starts a service (self-signed TLS, SQLite in a temporary directory,
//! demo data), logs in through the real OAuth flow (PKCE), adds bench lives
//! and chat history straight into the database, then measures over HTTPS:
//!
//! - closed loop (`--concurrency` workers, each one request at a time, for
//!   `--seconds`): requests/s and p50/p99 of `GET /live/{id}` (status) and
//!   `POST /live/{id}/chat` (chat list) with 10, 1,000 and 10,000 lives;
//! - open loop at the PRISM rate for 10,000 lives (each live polls its
//!   status every 5 s and its chat every 4 s: 4,500 req/s mixed), latency
//!   counted from the scheduled send time, so queueing shows;
//! - the cost of one chat page, one request at a time, in a live with
//!   1,000 and with 1,000,000 messages, over HTTP and through the domain
//!   layer alone.
//!
//! It prints Markdown tables to stdout (progress goes to stderr) and exits
//! non-zero when a scenario has more than 1% failed requests (non-2xx or
//! transport errors). `--quick` runs short scenarios and 100,000 messages
//! instead of 1,000,000, for a smoke test.
//!
//! The generator shares the machine (and the tokio runtime) with the
//! service, so the figures are what the service does with half a machine
//! busy making requests: a floor, not a ceiling.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onair_api::{ChatListRequest, ChatPage, Envelope, LiveData};
use onair_service::domain::chat::page_token;
use onair_service::state::Caller;
use onair_service::{AppState, Config, Service, Storage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Client, Url};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The public client of the demo seed, and a loopback redirect it accepts
/// (any port, RFC 8252 §7.3; nothing listens there, the bench reads the
/// `Location` of the 302 itself).
const CLIENT_ID: &str = "onair-desktop";
const REDIRECT_URI: &str = "http://127.0.0.1:1/callback";
/// The demo streamer owns every bench live; the demo viewer writes the chat.
const STREAMER: &str = "streamer";

/// Lives counts of the closed-loop scenarios, in the order they run (lives
/// are only ever added, so the database grows between them).
const LIVE_COUNTS: [usize; 3] = [10, 1_000, 10_000];
/// Lives of the PRISM-rate scenario.
const PRISM_LIVES: usize = 10_000;
/// What one PRISM client does per live and minute: its status every 5 s,
/// its chat every 4 s.
const STATUS_PER_MIN: u32 = 12;
const CHAT_PER_MIN: u32 = 15;
/// Open loop: at most this many requests in flight (and so connections);
/// beyond it requests queue, and the queueing counts in their latency.
const MAX_IN_FLIGHT: usize = 256;

/// Chat history of every bench live, and how many of those messages a
/// poll finds new (one message a second, polled every 4 s, give or take).
const HISTORY_PER_LIVE: i64 = 20;
const NEW_PER_POLL: i64 = 5;
/// History sizes of the chat cost comparison: small, and big (full run).
const SMALL_HISTORY: i64 = 1_000;
const BIG_HISTORY: i64 = 1_000_000;
const BIG_HISTORY_QUICK: i64 = 100_000;

/// Failed requests above this share of a scenario fail the bench.
const MAX_ERROR_RATE: f64 = 0.01;

/// Command line.
#[derive(Debug, Clone)]
struct Args {
    /// Measured time of each load scenario.
    seconds: f64,
    /// Time of the (unrecorded) warm-up before each load scenario.
    warmup: f64,
    /// Workers of the closed-loop scenarios.
    concurrency: usize,
    /// Messages of the big chat history.
    big_history: i64,
    /// Sequential requests per chat page variant in the cost comparison.
    cost_requests: usize,
}

const USAGE: &str = "usage: onair-service-bench [--quick] [--seconds S] [--concurrency C]

  --quick          short smoke run: 2 s scenarios, 100,000-message history
  --seconds S      measured seconds per load scenario (default 10; quick 2)
  --concurrency C  workers of the closed-loop scenarios (default 64)";

fn parse_args() -> Result<Option<Args>> {
    let mut quick = false;
    let mut seconds = None;
    let mut concurrency = 64;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => quick = true,
            "--seconds" => {
                let s: f64 = value("--seconds")?.parse()?;
                if !(s.is_finite() && s > 0.0) {
                    return Err("--seconds must be positive".into());
                }
                seconds = Some(s);
            }
            "--concurrency" => {
                concurrency = value("--concurrency")?.parse()?;
                if concurrency == 0 {
                    return Err("--concurrency must be at least 1".into());
                }
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok(Some(if quick {
        Args {
            seconds: seconds.unwrap_or(2.0),
            warmup: 0.5,
            concurrency,
            big_history: BIG_HISTORY_QUICK,
            cost_requests: 300,
        }
    } else {
        Args {
            seconds: seconds.unwrap_or(10.0),
            warmup: 2.0,
            concurrency,
            big_history: BIG_HISTORY,
            cost_requests: 2_000,
        }
    }))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench failed: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(run(&args)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.markdown(&args));
    let failing: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.error_rate() > MAX_ERROR_RATE)
        .collect();
    if failing.is_empty() {
        return ExitCode::SUCCESS;
    }
    for r in failing {
        eprintln!(
            "FAILED: {} ({} lives): {} of {} requests failed; first: {}",
            r.scenario,
            r.lives,
            r.errors,
            r.requests,
            r.first_error.as_deref().unwrap_or("?")
        );
    }
    ExitCode::FAILURE
}

/// A directory removed when dropped (after the service has closed it).
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self(std::env::temp_dir().join(format!(
            "onair-service-bench-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the service, runs every scenario, stops the service.
async fn run(args: &Args) -> Result<Report> {
    let dir = TempDir::new();
    let mut config = Config::new(Storage::Dir(dir.0.clone()));
    config.seed_demo = true;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let service = Service::open(config, listener.local_addr()?).await?;
    let state = service.state().clone();
    let cert = service
        .cert_pem()
        .ok_or("the service has no certificate")?
        .to_owned();
    let base = service.base_url().to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(service.run(listener, async move {
        let _ = stopped.await;
    }));
    eprintln!("service on {base}, data in {}", dir.0.display());

    let result = scenarios(args, &state, &cert, &base).await;

    let _ = stop.send(());
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("service stopped with an error: {e}"),
        Err(e) => eprintln!("service task failed: {e}"),
    }
    drop(state);
    drop(dir);
    result
}

async fn scenarios(args: &Args, state: &AppState, cert: &str, base: &str) -> Result<Report> {
    let client = http_client(cert)?;
    let token = onair_service::testing::pkce_login(
        &client,
        base,
        CLIENT_ID,
        REDIRECT_URI,
        STREAMER,
        STREAMER,
    )
    .await?;
    let token_header = HeaderValue::from_str(&token)?;
    let caller = onair_service::auth::authenticate(state, &token).await?;
    let api = Api {
        client,
        token: token_header,
        base: Url::parse(base)?,
    };
    let mut report = Report::default();

    // Load scenarios, the database growing from 10 to 10,000 lives.
    let mut lives = 0;
    for &n in &LIVE_COUNTS {
        let t = std::time::Instant::now();
        add_lives(state, lives, n).await?;
        lives = n;
        eprintln!("{n} lives ready ({:.1} s)", t.elapsed().as_secs_f64());
        let targets: Arc<[Target]> = live_targets(state, &api, n).await?.into();
        check_targets(&api, &targets).await?;
        for (mix, name) in [
            (Mix::Status, "status GET, closed loop"),
            (Mix::Chat, "chat list POST, closed loop"),
        ] {
            eprintln!("{name}, {n} lives...");
            let load = Load {
                api: &api,
                targets: &targets,
                mix,
            };
            load.closed(args.concurrency, secs(args.warmup)).await;
            let m = load.closed(args.concurrency, secs(args.seconds)).await;
            report
                .rows
                .push(m.row(format!("{name} ({} workers)", args.concurrency), n));
        }
        if n == PRISM_LIVES {
            let rate = f64::from(STATUS_PER_MIN + CHAT_PER_MIN) * n as f64 / 60.0;
            let name = format!(
                "PRISM mix, open loop at {} req/s ({}% status)",
                thousands(rate.round() as u64),
                STATUS_PER_MIN * 100 / (STATUS_PER_MIN + CHAT_PER_MIN)
            );
            eprintln!("{name}, {n} lives...");
            let load = Load {
                api: &api,
                targets: &targets,
                mix: Mix::Prism,
            };
            load.open(rate, secs(args.warmup)).await;
            let m = load.open(rate, secs(args.seconds)).await;
            report.prism = Some((rate, report.rows.len()));
            report.rows.push(m.row(name, n));
        }
    }

    // Chat page cost against history size.
    let t = std::time::Instant::now();
    add_chat_live(state, SMALL_HISTORY).await?;
    add_chat_live(state, args.big_history).await?;
    checkpoint(state).await?;
    eprintln!(
        "chat histories of {} and {} messages ready ({:.1} s)",
        thousands(SMALL_HISTORY as u64),
        thousands(args.big_history as u64),
        t.elapsed().as_secs_f64()
    );
    report.cost = chat_cost(args, state, &caller, &api, args.big_history).await?;
    for c in &report.cost {
        for (history, m) in [(SMALL_HISTORY, &c.small), (args.big_history, &c.big)] {
            report.rows.push(m.http.row(
                format!(
                    "chat cost over HTTP, {}, {} msgs (sequential)",
                    c.page.label(),
                    thousands(history as u64)
                ),
                1,
            ));
        }
    }
    Ok(report)
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

// ---------------------------------------------------------------- HTTP ---

/// HTTP/1.1 with keep-alive (a PRISM client keeps its connection), trusting
/// only the service's own certificate; redirects are the caller's business.
fn http_client(cert_pem: &str) -> Result<Client> {
    Ok(Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes())?)
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// What every request needs (cheap to clone: the client is shared).
#[derive(Debug, Clone)]
struct Api {
    client: Client,
    /// The access token, sent as `x-prism-access-token` (spec §1).
    token: HeaderValue,
    base: Url,
}

/// One live's requests, prepared so the hot loop only clones.
#[derive(Debug, Clone)]
struct Target {
    status: Url,
    chat: Url,
    /// `{"maxResults":100,"pageToken":...}`.
    chat_body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Status,
    Chat,
}

impl Api {
    fn target(&self, live_id: &str, page_token: Option<&str>) -> Result<Target> {
        Ok(Target {
            status: self
                .base
                .join(&format!("/prism/v1/service/live/{live_id}"))?,
            chat: self
                .base
                .join(&format!("/prism/v1/service/live/{live_id}/chat"))?,
            chat_body: serde_json::json!({ "maxResults": 100, "pageToken": page_token })
                .to_string(),
        })
    }

    fn request(&self, target: &Target, kind: Kind) -> reqwest::RequestBuilder {
        let req = match kind {
            Kind::Status => self.client.get(target.status.clone()),
            Kind::Chat => self
                .client
                .post(target.chat.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(target.chat_body.clone()),
        };
        req.header("x-prism-access-token", self.token.clone())
    }

    /// One request, its body read to the end (so the connection is reused).
    /// Any failure is an `Err` with what went wrong, never a panic.
    async fn call(&self, target: &Target, kind: Kind) -> Result<(), String> {
        let resp = self
            .request(target, kind)
            .send()
            .await
            .map_err(|e| format!("{kind:?}: {e}"))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| format!("{kind:?}: {e}"))?;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!(
                "{kind:?}: HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        }
    }

    /// A request whose answer the bench reads (setup checks).
    async fn fetch<T: serde::de::DeserializeOwned>(
        &self,
        target: &Target,
        kind: Kind,
    ) -> Result<T> {
        let resp = self.request(target, kind).send().await?;
        let status = resp.status();
        let url = resp.url().clone();
        let body = resp.bytes().await?;
        if !status.is_success() {
            return Err(format!(
                "{kind:?} {url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        let envelope: Envelope<T> = serde_json::from_slice(&body)?;
        envelope
            .data
            .ok_or_else(|| format!("{kind:?}: an envelope without data").into())
    }
}

// ---------------------------------------------------------------- data ---

fn live_id(i: usize) -> String {
    format!("bench-live-{i:05}")
}

/// Adds bench lives `from+1 ..= to`, each ON_AIR in a channel of its own
/// (the service allows one ON_AIR live per channel) with an open session
/// and [`HISTORY_PER_LIVE`] chat messages. Straight SQL in one transaction:
/// the domain layer would make it 10,000 round trips for nothing the bench
/// measures.
async fn add_lives(state: &AppState, from: usize, to: usize) -> Result<()> {
    if to <= from {
        return Ok(());
    }
    let (first, last) = (from as i64 + 1, to as i64);
    let now = state.now();
    // Rows i = first..=last, built by a recursive CTE in one statement each.
    let numbers = "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)";
    let mut tx = state.db.write.begin().await?;
    sqlx::query(&format!(
        "{numbers} INSERT INTO channels (id, owner_id, name, enabled, follower_count, created_at, updated_at)
         SELECT printf('bench-ch-%05d', i), ?4, 'Bench channel ' || i, 1, 0, ?3, ?3 FROM n"
    ))
    .bind(first)
    .bind(last)
    .bind(now)
    .bind(STREAMER)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "{numbers} INSERT INTO lives (id, channel_id, title, description, reserved_at, start_at, status, scope,
             stream_key, chat_count, created_at, updated_at)
         SELECT printf('bench-live-%05d', i), printf('bench-ch-%05d', i), 'Bench live ' || i,
             'A live of the load generator.', ?3, ?3, 'ON_AIR', 'PUBLIC', lower(hex(randomblob(21))), ?4, ?3, ?3
         FROM n"
    ))
    .bind(first)
    .bind(last)
    .bind(now)
    .bind(HISTORY_PER_LIVE)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "{numbers} INSERT INTO sessions (id, live_id, started_at)
         SELECT printf('bench-live-%05d-s1', i), printf('bench-live-%05d', i), ?3 FROM n"
    ))
    .bind(first)
    .bind(last)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Messages interleaved across lives, as when they all chat at once.
    let lives = last - first + 1;
    sqlx::query(&format!(
        "{numbers} INSERT INTO chat_messages (live_id, author_id, author_name, message, created_at)
         SELECT printf('bench-live-%05d', ?5 + i % ?3), 'viewer', 'Viewer Park',
             'message ' || i || ' from the bench audience', ?4 - ?2 + i
         FROM n"
    ))
    .bind(0_i64)
    .bind(lives * HISTORY_PER_LIVE - 1)
    .bind(lives)
    .bind(now)
    .bind(first)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The chat live of a history size.
fn chat_live_id(messages: i64) -> String {
    format!("bench-chat-{messages}")
}

/// Adds an ON_AIR live (own channel) with `messages` chat messages.
async fn add_chat_live(state: &AppState, messages: i64) -> Result<()> {
    let live = chat_live_id(messages);
    let channel = format!("{live}-ch");
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    sqlx::query(
        "INSERT INTO channels (id, owner_id, name, enabled, follower_count, created_at, updated_at)
         VALUES (?1, ?2, ?1, 1, 0, ?3, ?3)",
    )
    .bind(&channel)
    .bind(STREAMER)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO lives (id, channel_id, title, reserved_at, start_at, status, scope, stream_key,
             chat_count, created_at, updated_at)
         VALUES (?1, ?2, ?1, ?3, ?3, 'ON_AIR', 'PUBLIC', lower(hex(randomblob(21))), ?4, ?3, ?3)",
    )
    .bind(&live)
    .bind(&channel)
    .bind(now)
    .bind(messages)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO chat_messages (live_id, author_id, author_name, message, created_at)
         SELECT ?1, 'viewer', 'Viewer Park', 'message ' || i || ' of a long chat', ?3 - ?2 + i FROM n",
    )
    .bind(&live)
    .bind(messages)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the big inserts from the WAL into the database file, so readers
/// do not wade through a WAL of a million rows (a running service
/// checkpoints as it goes).
async fn checkpoint(state: &AppState) -> Result<()> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&state.db.write)
        .await?;
    Ok(())
}

/// Requests of lives `1..=n`; the chat list asks for what came after the
/// [`NEW_PER_POLL`]th newest message, as a client polling with the token of
/// its previous page does.
async fn live_targets(state: &AppState, api: &Api, n: usize) -> Result<Vec<Target>> {
    let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, (SELECT m.seq FROM chat_messages m WHERE m.live_id = l.id
                        ORDER BY m.seq DESC LIMIT 1 OFFSET ?3)
         FROM lives l WHERE l.id BETWEEN ?1 AND ?2 ORDER BY l.id",
    )
    .bind(live_id(1))
    .bind(live_id(n))
    .bind(NEW_PER_POLL)
    .fetch_all(&state.db.read)
    .await?;
    if rows.len() != n {
        return Err(format!("expected {n} bench lives, found {}", rows.len()).into());
    }
    rows.iter()
        .map(|(id, seq)| {
            let seq = seq.ok_or_else(|| format!("{id} has too short a chat history"))?;
            api.target(id, Some(&page_token(id, seq)))
        })
        .collect()
}

/// One status and one chat page over HTTP, checked, before measuring.
async fn check_targets(api: &Api, targets: &[Target]) -> Result<()> {
    let Some(t) = targets.last() else {
        return Err("no bench lives".into());
    };
    let live: LiveData = api.fetch(t, Kind::Status).await?;
    if live.live.status != onair_api::LiveStatus::OnAir {
        return Err(format!("{} is not ON_AIR", t.status).into());
    }
    let page: ChatPage = api.fetch(t, Kind::Chat).await?;
    if page.messages.len() as i64 != NEW_PER_POLL {
        return Err(format!(
            "a poll of {} gave {} messages, not {NEW_PER_POLL}",
            t.chat,
            page.messages.len()
        )
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------- load ---

/// Which requests a load makes.
#[derive(Debug, Clone, Copy)]
enum Mix {
    Status,
    Chat,
    /// Status and chat in the PRISM client's proportion.
    Prism,
}

impl Mix {
    fn pick(self, rng: &mut StdRng) -> Kind {
        match self {
            Mix::Status => Kind::Status,
            Mix::Chat => Kind::Chat,
            Mix::Prism => {
                if rng.gen_range(0..STATUS_PER_MIN + CHAT_PER_MIN) < STATUS_PER_MIN {
                    Kind::Status
                } else {
                    Kind::Chat
                }
            }
        }
    }
}

/// Latencies and failures of one measurement.
#[derive(Debug, Default)]
struct Samples {
    /// Microseconds, one per request, failed ones included.
    latency_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Samples {
    fn record(&mut self, latency: Duration, result: Result<(), String>) {
        self.latency_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        if let Err(e) = result {
            self.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }

    fn merge(&mut self, other: Samples) {
        self.latency_us.extend(other.latency_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// A finished measurement.
#[derive(Debug)]
struct Measured {
    samples: Samples,
    elapsed: Duration,
}

impl Measured {
    fn new(mut samples: Samples, elapsed: Duration) -> Self {
        samples.latency_us.sort_unstable();
        Self { samples, elapsed }
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        let v = &self.samples.latency_us;
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1] as f64 / 1000.0
    }

    fn row(&self, scenario: String, lives: usize) -> Row {
        let requests = self.samples.latency_us.len() as u64;
        Row {
            scenario,
            lives,
            requests,
            per_second: requests as f64 / self.elapsed.as_secs_f64(),
            p50_ms: self.percentile_ms(50.0),
            p99_ms: self.percentile_ms(99.0),
            errors: self.samples.errors,
            first_error: self.samples.first_error.clone(),
        }
    }
}

/// A load on a set of lives.
#[derive(Debug, Clone, Copy)]
struct Load<'a> {
    api: &'a Api,
    targets: &'a Arc<[Target]>,
    mix: Mix,
}

impl Load<'_> {
    /// Closed loop: `workers` tasks, each sending its next request when the
    /// previous one is answered, until `duration` is up. Measures the most
    /// the service answers; latency is per request.
    async fn closed(self, workers: usize, duration: Duration) -> Measured {
        let start = Instant::now();
        let deadline = start + duration;
        let mut tasks = JoinSet::new();
        for w in 0..workers {
            let api = self.api.clone();
            let targets = Arc::clone(self.targets);
            let mix = self.mix;
            tasks.spawn(async move {
                let mut rng = StdRng::seed_from_u64(w as u64);
                let mut samples = Samples::default();
                while Instant::now() < deadline {
                    let target = &targets[rng.gen_range(0..targets.len())];
                    let kind = mix.pick(&mut rng);
                    let sent = Instant::now();
                    let result = api.call(target, kind).await;
                    samples.record(sent.elapsed(), result);
                }
                samples
            });
        }
        let mut all = Samples::default();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(s) => all.merge(s),
                Err(e) => {
                    all.errors += 1;
                    all.first_error.get_or_insert(format!("worker failed: {e}"));
                }
            }
        }
        Measured::new(all, start.elapsed())
    }

    /// Open loop: requests at `rate` per second on a fixed schedule,
    /// whatever the answers do, at most [`MAX_IN_FLIGHT`] at once. Latency
    /// runs from the scheduled send time, so a service falling behind shows
    /// as latency instead of quietly lowering the rate (no coordinated
    /// omission).
    async fn open(self, rate: f64, duration: Duration) -> Measured {
        let api = Arc::new(self.api.clone());
        let total = (rate * duration.as_secs_f64()).round() as u64;
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let samples = Arc::new(Mutex::new(Samples::default()));
        let mut rng = StdRng::seed_from_u64(0x5EED);
        let mut tasks = JoinSet::new();
        let start = Instant::now();
        for k in 0..total {
            let at = start + Duration::from_secs_f64(k as f64 / rate);
            // The timer wakes at most once a millisecond; every request due
            // by then goes out in that wake-up.
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            let target = self.targets[rng.gen_range(0..self.targets.len())].clone();
            let kind = self.mix.pick(&mut rng);
            let api = Arc::clone(&api);
            let in_flight = Arc::clone(&in_flight);
            let samples = Arc::clone(&samples);
            tasks.spawn(async move {
                let result = match in_flight.acquire().await {
                    Ok(_permit) => api.call(&target, kind).await,
                    Err(e) => Err(format!("semaphore: {e}")),
                };
                let latency = at.elapsed();
                samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .record(latency, result);
            });
            // Reap finished tasks as we go, so the set stays small.
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        let elapsed = start.elapsed();
        let samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
        Measured::new(samples, elapsed)
    }
}

// ----------------------------------------------------------- chat cost ---

/// The chat pages compared across history sizes.
#[derive(Debug, Clone, Copy)]
enum Page {
    /// No token: the latest 100 (a client's first call).
    Latest,
    /// A token from the middle of the history: the 100 after it.
    Middle,
    /// The token of the newest message: nothing new (a quiet poll).
    Tail,
}

impl Page {
    const ALL: [Page; 3] = [Page::Latest, Page::Middle, Page::Tail];

    fn label(self) -> &'static str {
        match self {
            Page::Latest => "latest 100 (no token)",
            Page::Middle => "100 from the middle",
            Page::Tail => "poll at the end (0 new)",
        }
    }

    fn expected(self) -> usize {
        match self {
            Page::Latest | Page::Middle => 100,
            Page::Tail => 0,
        }
    }

    /// The page token for a live with `messages` messages.
    async fn token(self, state: &AppState, live: &str, messages: i64) -> Result<Option<String>> {
        let offset = match self {
            Page::Latest => return Ok(None),
            Page::Middle => messages / 2,
            Page::Tail => messages - 1,
        };
        let seq: i64 = sqlx::query_scalar(
            "SELECT seq FROM chat_messages WHERE live_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
        )
        .bind(live)
        .bind(offset)
        .fetch_one(&state.db.read)
        .await?;
        Ok(Some(page_token(live, seq)))
    }
}

/// One page at one history size, over HTTP and through the domain layer.
#[derive(Debug)]
struct CostPair {
    http: Measured,
    domain: Measured,
}

/// One page at both history sizes.
#[derive(Debug)]
struct Cost {
    page: Page,
    small: CostPair,
    big: CostPair,
}

/// Sequential chat pages, small and big history interleaved request by
/// request so that any drift of the machine hits both alike. The domain
/// measurement calls `domain::chat::list` directly: the database's share,
/// without HTTP, TLS and JSON around it.
async fn chat_cost(
    args: &Args,
    state: &AppState,
    caller: &Caller,
    api: &Api,
    big_history: i64,
) -> Result<Vec<Cost>> {
    let mut out = Vec::new();
    for page in Page::ALL {
        eprintln!("chat cost, {}...", page.label());
        let mut cases = Vec::new();
        for messages in [SMALL_HISTORY, big_history] {
            let live = chat_live_id(messages);
            let token = page.token(state, &live, messages).await?;
            let target = api.target(&live, token.as_deref())?;
            let request = ChatListRequest {
                max_results: Some(100),
                page_token: token,
            };
            let got: ChatPage = api.fetch(&target, Kind::Chat).await?;
            if got.messages.len() != page.expected() {
                return Err(format!(
                    "{} of {live}: {} messages, expected {}",
                    page.label(),
                    got.messages.len(),
                    page.expected()
                )
                .into());
            }
            cases.push((live, target, request));
        }
        // Warm-up (caches, connections), then the measurement.
        let mut http = [Samples::default(), Samples::default()];
        let mut domain = [Samples::default(), Samples::default()];
        let warmup = args.cost_requests / 10;
        let (mut http_time, mut domain_time) = ([Duration::ZERO; 2], [Duration::ZERO; 2]);
        for i in 0..warmup + args.cost_requests {
            for (j, (live, target, request)) in cases.iter().enumerate() {
                let sent = Instant::now();
                let result = api.call(target, Kind::Chat).await;
                let took = sent.elapsed();
                let sent = Instant::now();
                let direct =
                    onair_service::domain::chat::list(state, caller, live, request.clone())
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string());
                let took_direct = sent.elapsed();
                if i >= warmup {
                    http[j].record(took, result);
                    http_time[j] += took;
                    domain[j].record(took_direct, direct);
                    domain_time[j] += took_direct;
                }
            }
        }
        // The domain path has no row in the results table: fail here.
        for d in &domain {
            if d.errors as f64 > MAX_ERROR_RATE * d.latency_us.len() as f64 {
                return Err(format!(
                    "chat cost, domain path: {} of {} calls failed; first: {}",
                    d.errors,
                    d.latency_us.len(),
                    d.first_error.as_deref().unwrap_or("?")
                )
                .into());
            }
        }
        let [h_small, h_big] = http;
        let [d_small, d_big] = domain;
        out.push(Cost {
            page,
            small: CostPair {
                http: Measured::new(h_small, http_time[0]),
                domain: Measured::new(d_small, domain_time[0]),
            },
            big: CostPair {
                http: Measured::new(h_big, http_time[1]),
                domain: Measured::new(d_big, domain_time[1]),
            },
        });
    }
    Ok(out)
}

// -------------------------------------------------------------- report ---

/// One line of the results table.
#[derive(Debug)]
struct Row {
    scenario: String,
    lives: usize,
    requests: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    first_error: Option<String>,
}

impl Row {
    fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            // A scenario that made no request at all measured nothing.
            return 1.0;
        }
        self.errors as f64 / self.requests as f64
    }
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    /// Offered rate and row of the PRISM-rate scenario.
    prism: Option<(f64, usize)>,
    cost: Vec<Cost>,
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

impl Report {
    fn markdown(&self, args: &Args) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n## onair-service bench ({} s per load scenario, {} workers, {} cores)\n",
            args.seconds,
            args.concurrency,
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        let _ = writeln!(
            s,
            "| scenario | lives | requests | req/s | p50 ms | p99 ms | errors |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3} | {:.3} | {} |",
                r.scenario,
                thousands(r.lives as u64),
                thousands(r.requests),
                thousands(r.per_second.round() as u64),
                r.p50_ms,
                r.p99_ms,
                r.errors
            );
        }

        let _ = writeln!(
            s,
            "\n### Chat page cost: {} vs {} messages in the live (sequential, p50)\n",
            thousands(SMALL_HISTORY as u64),
            thousands(args.big_history as u64)
        );
        let _ = writeln!(
            s,
            "| page | path | p50 ms, {} | p50 ms, {} | ratio | p99 ms, {} | p99 ms, {} |",
            thousands(SMALL_HISTORY as u64),
            thousands(args.big_history as u64),
            thousands(SMALL_HISTORY as u64),
            thousands(args.big_history as u64)
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
        let mut worst_ratio: f64 = 0.0;
        let mut independent = true;
        for c in &self.cost {
            for (path, small, big) in [
                ("HTTP", &c.small.http, &c.big.http),
                ("domain", &c.small.domain, &c.big.domain),
            ] {
                let (small_p50, big_p50) = (small.percentile_ms(50.0), big.percentile_ms(50.0));
                let ratio = big_p50 / small_p50;
                worst_ratio = worst_ratio.max(ratio);
                // "Independent" with room for noise: the big history's
                // median within 1.5x, or 0.1 ms, of the small one's (a scan
                // of the history would cost a thousand times more).
                independent &= ratio <= 1.5 || big_p50 - small_p50 <= 0.1;
                let _ = writeln!(
                    s,
                    "| {} | {path} | {:.3} | {:.3} | {ratio:.2} | {:.3} | {:.3} |",
                    c.page.label(),
                    small.percentile_ms(50.0),
                    big.percentile_ms(50.0),
                    small.percentile_ms(99.0),
                    big.percentile_ms(99.0)
                );
            }
        }

        let _ = writeln!(s, "\n### Targets\n");
        let best_status = self
            .rows
            .iter()
            .filter(|r| r.scenario.starts_with("status GET"))
            .map(|r| (r.per_second, r.lives))
            .fold(None, |best: Option<(f64, usize)>, x| match best {
                Some(b) if b.0 >= x.0 => Some(b),
                _ => Some(x),
            });
        if let Some((rps, lives)) = best_status {
            let _ = writeln!(
                s,
                "- status GET >= 20,000 req/s: best {} req/s ({} lives): {}",
                thousands(rps.round() as u64),
                thousands(lives as u64),
                verdict(rps >= 20_000.0)
            );
        }
        if let Some((rate, i)) = self.prism {
            if let Some(r) = self.rows.get(i) {
                // The schedule is met when the achieved rate is within 5%.
                let kept_up = r.per_second >= rate * 0.95;
                let _ = writeln!(
                    s,
                    "- p99 < 50 ms at the PRISM rate for {} lives: p99 {:.1} ms at {} of {} req/s offered: {}",
                    thousands(PRISM_LIVES as u64),
                    r.p99_ms,
                    thousands(r.per_second.round() as u64),
                    thousands(rate.round() as u64),
                    verdict(r.p99_ms < 50.0 && kept_up)
                );
            }
        }
        if !self.cost.is_empty() {
            let _ = writeln!(
                s,
                "- chat page cost independent of history: worst p50 ratio {worst_ratio:.2} \
                 (limit: 1.5x or +0.1 ms on every page and path): {}",
                verdict(independent)
            );
        }
        let failed: u64 = self.rows.iter().map(|r| r.errors).sum();
        let _ = writeln!(
            s,
            "- errors: {failed} in total; a scenario above {}% fails the bench",
            MAX_ERROR_RATE * 100.0
        );
        s
    }
}
