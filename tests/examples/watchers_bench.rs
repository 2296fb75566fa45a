//! Benchmarks of the watchers against the in-process reference service
//! (`make bench`):
//!
//! 1. Chat follower: messages are written straight into the service's
//!    database at a fixed rate for a while; the follower (default options:
//!    3 s polls, pages of 100, drained at once while full) must deliver
//!    every one exactly once and catch up within one poll after the writing
//!    stops. Rates double until it does not; CPU time of the follower's
//!    thread (its runtime, HTTP and TLS included) per 1,000 messages.
//! 2. Live watcher: 100 lives on air, 100 watchers at the spec's 5 s; CPU
//!    of their thread and the process's resident memory before and after.
//!
//! Run: `cargo run --release -p onair-tests --example watchers_bench [-- --quick]`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_api::{CreateLive, Scope};
use onair_client::{follow_chat, watch_live, ChatEvent, ChatOptions, LiveEvent, WatchOptions};
use onair_tests::service::{login_client, Svc};
use reqwest::Method;

/// CPU time of the calling thread (Linux: `/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// Resident memory of the process in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Runs `f` on its own thread with a single-threaded runtime, so its CPU
/// time is that thread's.
fn on_own_thread<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f())
    })
    .join()
    .unwrap()
}

struct ChatRun {
    rate: u64,
    /// The rate the writer achieved (it may fall short of `rate`).
    achieved: f64,
    written: usize,
    delivered: usize,
    duplicates: usize,
    catch_up: Duration,
    cpu: Duration,
}

/// Writes `rate` messages/s into `demo-onair` for `secs` while a follower
/// reads them.
async fn chat_run(svc: Arc<Svc>, rate: u64, secs: u64) -> ChatRun {
    let state = svc.running.state().clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<usize>();
    let follower = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                // Logged in from this thread, so its connections live here.
                let (client, _) = login_client(&svc, "viewer").await;
                let (_watch, mut rx) = follow_chat(client, "demo-onair", ChatOptions::default());
                let mut seen = HashSet::new();
                let mut duplicates = 0;
                let mut delivered = 0;
                // The first page is history: skip it.
                let _ = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
                let cpu0 = thread_cpu();
                started_tx.send(()).unwrap();
                let mut stop_rx = stop_rx;
                let mut target: Option<(usize, Instant)> = None;
                let mut catch_up = Duration::MAX;
                loop {
                    if let Some((n, at)) = target {
                        if delivered >= n {
                            catch_up = at.elapsed();
                            break;
                        }
                        if at.elapsed() > Duration::from_secs(15) {
                            break;
                        }
                    }
                    tokio::select! {
                        e = rx.recv() => match e {
                            Some(ChatEvent::Messages(m)) => {
                                for msg in m {
                                    if msg.message.starts_with("bench ") {
                                        delivered += 1;
                                        if !seen.insert(msg.message_id) {
                                            duplicates += 1;
                                        }
                                    }
                                }
                            }
                            Some(other) => eprintln!("chat: {other:?}"),
                            None => break,
                        },
                        n = &mut stop_rx, if target.is_none() => {
                            target = Some((n.unwrap(), Instant::now()));
                        }
                        () = tokio::time::sleep(Duration::from_millis(50)) => {}
                    }
                }
                (delivered, duplicates, catch_up, thread_cpu() - cpu0)
            })
    });
    started_rx.recv().unwrap();
    // The writer: one transaction per 10 ms tick.
    let per_tick = rate as f64 / 100.0;
    let mut carry = 0.0;
    let mut written = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let t0 = Instant::now();
    for _ in 0..secs * 100 {
        tick.tick().await;
        carry += per_tick;
        let n = carry.floor() as usize;
        carry -= n as f64;
        let mut tx = state.db.write.begin().await.unwrap();
        for _ in 0..n {
            onair_service::domain::chat::insert_message(
                &mut tx,
                "demo-onair",
                "viewer",
                &format!("bench {written}"),
                state.now(),
            )
            .await
            .unwrap();
            written += 1;
        }
        state.commit(tx).await.unwrap();
    }
    let achieved = written as f64 / t0.elapsed().as_secs_f64();
    stop_tx.send(written).unwrap();
    let (delivered, duplicates, catch_up, cpu) =
        tokio::task::spawn_blocking(move || follower.join().unwrap())
            .await
            .unwrap();
    ChatRun {
        rate,
        achieved,
        written,
        delivered,
        duplicates,
        catch_up,
        cpu,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let secs = if quick { 3 } else { 10 };
    println!("# onair-client benchmarks\n");
    // Live watcher: 100 lives on air.
    // The simulated audience moves viewers and likes every second.
    let svc = Arc::new(
        Svc::start_with(|c| {
            c.simulate = Some(onair_service::Simulation {
                chat_rate: 0.0,
                seed: 1,
                tick: Duration::from_secs(1),
            })
        })
        .await,
    );
    let (client, _) = login_client(&svc, "streamer").await;
    let mut lives = Vec::new();
    for i in 0..100 {
        let channel = format!("bench-{i:03}");
        let status = svc
            .admin(
                Method::POST,
                "/admin/channel",
                Some(serde_json::json!({"channelId": channel, "ownerId": "streamer", "channelName": channel})),
            )
            .await;
        assert_eq!(status, 200);
        let live = client
            .create_live(
                &channel,
                &CreateLive {
                    title: format!("bench live {i}"),
                    reserved_at: None,
                    description: None,
                    scope: Scope::Public,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        client.start_live(live.live_id.as_str()).await.unwrap();
        lives.push(live.live_id.as_str().to_owned());
    }
    let watch_secs = if quick { 10 } else { 60 };
    let rss_before = rss_kib();
    let watched = svc.clone();
    let (cpu, events, rss_during) = on_own_thread(move || {
        Box::pin(async move {
            let (client, _) = login_client(&watched, "streamer").await;
            let cpu0 = thread_cpu();
            let mut handles = Vec::new();
            let mut receivers = Vec::new();
            for id in &lives {
                let (w, rx) = watch_live(client.clone(), id, WatchOptions::live());
                handles.push(w);
                receivers.push(rx);
            }
            let mut events = 0usize;
            let end = tokio::time::Instant::now() + Duration::from_secs(watch_secs);
            let mut rss = 0;
            while tokio::time::Instant::now() < end {
                for rx in &mut receivers {
                    while let Ok(e) = rx.try_recv() {
                        assert!(
                            !matches!(e, LiveEvent::Offline { .. } | LiveEvent::Gone(_)),
                            "{e:?}"
                        );
                        events += 1;
                    }
                }
                rss = rss.max(rss_kib());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (thread_cpu() - cpu0, events, rss)
        })
    });
    println!(
        "## Live watcher: 100 lives on air (simulated audience) at 5 s polls for {watch_secs} s\n"
    );
    println!("| CPU of the watchers' thread | share of one core | events | RSS before | RSS while watching |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {:.2} s | {:.2} % | {} | {} MiB | {} MiB |",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 100.0 / watch_secs as f64,
        events,
        rss_before / 1024,
        rss_during / 1024
    );

    println!("## Chat follower (default options: 3 s polls, pages of 100), {secs} s per rate\n");
    println!("| rate asked (msg/s) | rate written | written | delivered | duplicates | caught up after stop | follower CPU per 1,000 msgs |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut best = 0.0;
    let mut rate = 500;
    while rate <= 32_000 {
        let svc = Arc::new(Svc::start().await);
        let r = chat_run(svc.clone(), rate, secs).await;
        let ok =
            r.delivered == r.written && r.duplicates == 0 && r.catch_up <= Duration::from_secs(4);
        let per_k = r.cpu.as_secs_f64() * 1000.0 / r.delivered.max(1) as f64 * 1000.0;
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {:.1} ms |",
            r.rate,
            r.achieved,
            r.written,
            r.delivered,
            r.duplicates,
            if r.catch_up == Duration::MAX {
                "no (15 s)".to_owned()
            } else {
                format!("{:.2} s", r.catch_up.as_secs_f64())
            },
            per_k
        );
        drop(svc);
        if !ok {
            break;
        }
        best = f64::max(best, r.achieved);
        rate *= 2;
    }
    println!("\nHighest rate delivered with zero loss: {best:.0} msg/s (a higher ask is limited by the in-process writer, see \"rate written\")\n");
}
