//! `onair-ingest-bench`: the RTMP ingest and its HLS, side by side with
//! nginx and its RTMP module (Debian's `libnginx-mod-rtmp`, HLS on), fed
//! by the same publishers: ffmpeg sending a 3 Mb/s 720p30 H.264/AAC clip
//! in real time without encoding (`-re -stream_loop -1 -c copy`).
//!
//! For each count of publishers (`--streams 10,25,50`), each server in
//! turn starts, takes its publishers, warms up for 10 s, then is measured
//! over `--seconds` (default 20):
//!
//! - CPU time of the server's processes (`/proc/PID/stat`: utime + stime;
//!   for onair this process, which runs the service and this harness's
//!   light polling; for nginx its master and worker), per stream;
//! - resident memory (VmRSS) over the server's own before any publisher,
//!   per stream;
//! - every stream delivered: its HLS media sequence advanced by at least
//!   `seconds / 2 - 1` segments of 2 s in the window ("every segment on
//!   time"), and for onair also its health verdict excellent or good;
//! - the time from a publisher's start to its first segment listed
//!   (median and slowest), and for onair from its first frame in.
//!
//! It prints a Markdown table to stdout (progress on stderr) and exits
//! non-zero when a server fails to deliver every stream.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_api::{CreateLive, Verdict};
use onair_service::domain::admin::{create_channel, NewChannel};
use onair_service::domain::lives;
use onair_service::state::Caller;
use onair_service::testing::{clip, RtmpPublisher};
use onair_service::{AppState, Config, Service, Storage};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

const USAGE: &str =
    "usage: onair-ingest-bench [--streams 10,25,50] [--seconds S] [--only onair|nginx]

  --streams N,..   publisher counts to run (default 10,25,50)
  --seconds S      measured seconds per run (default 20)
  --only SERVER    run one server only";

/// The clip's video bitrate.
const CLIP_KBPS: u32 = 3_000;
/// Seconds of HLS segments.
const SEGMENT_S: f64 = 2.0;
/// Warm-up before measuring.
const WARMUP: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Args {
    streams: Vec<usize>,
    seconds: u64,
    onair: bool,
    nginx: bool,
}

fn parse_args() -> Result<Option<Args>> {
    let mut args = Args {
        streams: vec![10, 25, 50],
        seconds: 20,
        onair: true,
        nginx: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--streams" => {
                args.streams = value("--streams")?
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<_, _>>()?;
                if args.streams.contains(&0) {
                    return Err("--streams: counts of at least 1".into());
                }
            }
            "--seconds" => {
                args.seconds = value("--seconds")?.parse()?;
                if args.seconds < 6 {
                    return Err("--seconds: at least 6 (three segments)".into());
                }
            }
            "--only" => match value("--only")?.as_str() {
                "onair" => args.nginx = false,
                "nginx" => args.onair = false,
                other => return Err(format!("--only: onair or nginx, not {other:?}").into()),
            },
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok(Some(args))
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
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(&args)) {
        Ok(rows) => {
            println!("{}", markdown(&rows, &args));
            if rows.iter().all(|r| r.delivered == r.streams) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("onair-ingest-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One measured run.
#[derive(Debug)]
struct Row {
    server: &'static str,
    streams: usize,
    /// Streams whose every segment came on time (and, for onair, healthy).
    delivered: usize,
    /// CPU over the window, % of one core.
    cpu_percent: f64,
    rss_per_stream_mib: f64,
    /// Publisher start to first segment listed: median, slowest.
    first_segment: (Duration, Duration),
    /// onair only: first frame in to first segment listed, median.
    first_from_frame: Option<Duration>,
}

async fn run(args: &Args) -> Result<Vec<Row>> {
    let clip = tokio::task::spawn_blocking(|| clip(CLIP_KBPS)).await??;
    eprintln!("clip: {}", clip.display());
    let mut rows = Vec::new();
    for &n in &args.streams {
        if args.onair {
            eprintln!("onair, {n} publishers");
            rows.push(onair(n, &clip, args.seconds).await?);
        }
        if args.nginx {
            eprintln!("nginx-rtmp, {n} publishers");
            rows.push(nginx(n, &clip, args.seconds).await?);
        }
    }
    Ok(rows)
}

// ------------------------------------------------------------- /proc ---

/// CPU seconds (user + system) of a process.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at 3.
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    // sysconf(_SC_CLK_TCK) is 100 on Linux on every architecture we run.
    100.0
}

/// Resident memory of a process, bytes.
fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// A process and its children (nginx's master and workers).
fn family(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(child) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let ppid = std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = s.rsplit_once(')')?.1.to_owned();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                });
            if ppid == Some(pid) {
                pids.push(child);
            }
        }
    }
    pids
}

fn family_cpu(pid: u32) -> f64 {
    family(pid).into_iter().map(cpu_seconds).sum()
}

fn family_rss(pid: u32) -> u64 {
    family(pid).into_iter().map(rss_bytes).sum()
}

/// The newest segment's sequence number in an HLS playlist.
fn newest_segment(m3u8: &str) -> Option<u64> {
    let first: u64 = m3u8
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-MEDIA-SEQUENCE:"))?
        .trim()
        .parse()
        .ok()?;
    let count = m3u8.lines().filter(|l| l.starts_with("#EXTINF")).count() as u64;
    (count > 0).then(|| first + count - 1)
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let max = v.last().copied().unwrap_or_default();
    (v.get(v.len() / 2).copied().unwrap_or_default(), max)
}

/// Whether each stream's newest segment advanced enough between two
/// readings.
fn on_time(before: &[Option<u64>], after: &[Option<u64>], seconds: u64) -> Vec<bool> {
    let need = (seconds as f64 / SEGMENT_S) as u64 - 1;
    before
        .iter()
        .zip(after)
        .map(|(b, a)| matches!((b, a), (Some(b), Some(a)) if a - b >= need))
        .collect()
}

// ------------------------------------------------------------- onair ---

async fn onair(n: usize, clip: &Path, seconds: u64) -> Result<Row> {
    let mut config = Config::new(Storage::Memory);
    config.seed_demo = true;
    config.ingest.listen = Some("127.0.0.1:0".parse()?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let service = Service::open(config, listener.local_addr()?).await?;
    let state = service.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(service.run(listener, async move {
        let _ = stopped.await;
    }));
    let me = std::process::id();
    let paths = bench_lives(&state, n).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_bytes(me);

    let spawned = Instant::now();
    let mut publishers = Vec::new();
    for (_, path) in &paths {
        publishers.push(RtmpPublisher::with_clip(clip, path)?);
    }
    // First frame and first segment of each, polled every 20 ms.
    let mut first_frame: HashMap<usize, Duration> = HashMap::new();
    let mut first_segment: HashMap<usize, Duration> = HashMap::new();
    while first_segment.len() < n && spawned.elapsed() < WARMUP {
        for (i, (id, _)) in paths.iter().enumerate() {
            if !first_frame.contains_key(&i)
                && state.ingest.health(id).since_last_frame_ms.is_some()
            {
                first_frame.insert(i, spawned.elapsed());
            }
            if !first_segment.contains_key(&i) && state.ingest.segment_count(id) > 0 {
                first_segment.insert(i, spawned.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let from_frame: Vec<Duration> = first_segment
        .iter()
        .filter_map(|(i, s)| first_frame.get(i).map(|f| s.saturating_sub(*f)))
        .collect();
    tokio::time::sleep(WARMUP.saturating_sub(spawned.elapsed())).await;

    let newest = |state: &AppState| -> Vec<Option<u64>> {
        paths
            .iter()
            .map(|(id, _)| newest_segment(&state.ingest.playlist(id, false, Some("bench"))?))
            .collect()
    };
    let before = newest(&state);
    let (cpu0, t0) = (cpu_seconds(me), Instant::now());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = (cpu_seconds(me) - cpu0) / t0.elapsed().as_secs_f64();
    let rss = rss_bytes(me).saturating_sub(rss_idle);
    let after = newest(&state);
    let healthy = paths.iter().map(|(id, _)| {
        matches!(
            state.ingest.health(id).verdict,
            Verdict::Excellent | Verdict::Good
        )
    });
    let delivered = on_time(&before, &after, seconds)
        .into_iter()
        .zip(healthy)
        .filter(|(t, h)| *t && *h)
        .count();
    let hls_mib = state.ingest.hls_memory() as f64 / 1024.0 / 1024.0;
    eprintln!("  HLS in memory: {hls_mib:.1} MiB");

    drop(publishers);
    let _ = stop.send(());
    let _ = server.await;
    Ok(Row {
        server: "onair",
        streams: n,
        delivered,
        cpu_percent: cpu * 100.0,
        rss_per_stream_mib: rss as f64 / n as f64 / 1024.0 / 1024.0,
        first_segment: median(first_segment.into_values().collect()),
        first_from_frame: Some(median(from_frame).0),
    })
}

/// `n` lives of the demo streamer, each in a channel of its own (one live
/// on air per channel); their ids and rtmpPaths.
async fn bench_lives(state: &AppState, n: usize) -> Result<Vec<(String, String)>> {
    let caller = Caller {
        user_id: "streamer".into(),
        apis: Arc::from(Vec::new()),
        expires_at: i64::MAX,
    };
    let mut out = Vec::new();
    for i in 0..n {
        let channel = format!("bench-ingest-{i}");
        create_channel(
            state,
            NewChannel {
                id: &channel,
                owner_id: "streamer",
                name: &channel,
                enabled: true,
                ..NewChannel::default()
            },
        )
        .await?;
        let live = lives::create(
            state,
            &caller,
            &channel,
            CreateLive {
                title: format!("bench {i}"),
                ..Default::default()
            },
        )
        .await?
        .live;
        out.push((live.live_id.as_str().to_owned(), live.rtmp_path));
    }
    Ok(out)
}

// ------------------------------------------------------------- nginx ---

/// nginx with its RTMP module in a directory of its own, killed when
/// dropped.
struct Nginx {
    child: std::process::Child,
    dir: PathBuf,
    port: u16,
}

impl Nginx {
    fn start() -> Result<Self> {
        let module = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
        if !Path::new(module).exists() {
            return Err(format!("{module} is missing: apt-get install libnginx-mod-rtmp").into());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir =
            std::env::temp_dir().join(format!("onair-ingest-bench-nginx-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("hls"))?;
        let d = dir.display();
        // As ingest-here.md found: root, or the workers cannot write HLS
        // into a private temporary directory. A 2 s fragment and 6 in the
        // playlist, as onair.
        let conf = format!(
            "load_module {module};\nuser root; worker_processes 1; pid {d}/nginx.pid; error_log {d}/err.log; daemon off;\n\
             events {{ worker_connections 4096; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{\n\
               live on; hls on; hls_path {d}/hls; hls_fragment 2s; hls_playlist_length 12s; }} }} }}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf)?;
        let child = std::process::Command::new("nginx")
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-p")
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("nginx: {e} (apt-get install nginx libnginx-mod-rtmp)"))?;
        Ok(Self { child, dir, port })
    }

    fn playlist(&self, key: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join("hls").join(format!("{key}.m3u8"))).ok()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The worker leaves with its master's signal; make sure.
        let _ = std::process::Command::new("pkill")
            .arg("-f")
            .arg(self.dir.join("nginx.conf"))
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn nginx(n: usize, clip: &Path, seconds: u64) -> Result<Row> {
    let nginx = Nginx::start()?;
    let pid = nginx.child.id();
    // Listening?
    let until = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", nginx.port))
        .await
        .is_err()
    {
        if Instant::now() > until {
            return Err("nginx did not listen".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = family_rss(pid);
    let keys: Vec<String> = (0..n).map(|i| format!("bench{i}")).collect();
    let spawned = Instant::now();
    let mut publishers = Vec::new();
    for key in &keys {
        let url = format!("rtmp://127.0.0.1:{}/live/{key}", nginx.port);
        publishers.push(RtmpPublisher::with_clip(clip, &url)?);
    }
    let mut first_segment: HashMap<usize, Duration> = HashMap::new();
    while first_segment.len() < n && spawned.elapsed() < WARMUP {
        for (i, key) in keys.iter().enumerate() {
            if !first_segment.contains_key(&i)
                && nginx
                    .playlist(key)
                    .is_some_and(|p| newest_segment(&p).is_some())
            {
                first_segment.insert(i, spawned.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(WARMUP.saturating_sub(spawned.elapsed())).await;
    let newest = || -> Vec<Option<u64>> {
        keys.iter()
            .map(|k| newest_segment(&nginx.playlist(k)?))
            .collect()
    };
    let before = newest();
    let (cpu0, t0) = (family_cpu(pid), Instant::now());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = (family_cpu(pid) - cpu0) / t0.elapsed().as_secs_f64();
    let rss = family_rss(pid).saturating_sub(rss_idle);
    let after = newest();
    let delivered = on_time(&before, &after, seconds)
        .into_iter()
        .filter(|t| *t)
        .count();
    drop(publishers);
    Ok(Row {
        server: "nginx-rtmp",
        streams: n,
        delivered,
        cpu_percent: cpu * 100.0,
        rss_per_stream_mib: rss as f64 / n as f64 / 1024.0 / 1024.0,
        first_segment: median(first_segment.into_values().collect()),
        first_from_frame: None,
    })
}

// ------------------------------------------------------------ report ---

fn markdown(rows: &[Row], args: &Args) -> String {
    let mut out = format!(
        "Ingest: {CLIP_KBPS} kb/s 720p30 publishers (ffmpeg -c copy), {} s measured after {} s warm-up\n\n\
         | publishers | server | delivered | CPU (% of a core) | CPU per stream | CPU per stream vs nginx | RSS per stream | first segment (median / slowest) | from first frame |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
        args.seconds,
        WARMUP.as_secs()
    );
    for r in rows {
        let per = r.cpu_percent / r.streams as f64;
        let nginx = rows
            .iter()
            .find(|o| o.server == "nginx-rtmp" && o.streams == r.streams)
            .map(|o| o.cpu_percent / o.streams as f64);
        let ratio = match nginx {
            Some(n) if n > 0.0 && r.server == "onair" => format!("{:.2}", per / n),
            _ => "".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {}/{} | {:.1} | {:.2} % | {} | {:.2} MiB | {:.2} s / {:.2} s | {} |\n",
            r.streams,
            r.server,
            r.delivered,
            r.streams,
            r.cpu_percent,
            per,
            ratio,
            r.rss_per_stream_mib,
            r.first_segment.0.as_secs_f64(),
            r.first_segment.1.as_secs_f64(),
            r.first_from_frame
                .map_or("".into(), |d| format!("{:.2} s", d.as_secs_f64())),
        ));
    }
    out
}
