//! Watchers: tokio tasks that poll the service for one live and send what
//! changed through a channel. Dropping the [`Watch`] handle (or the
//! receiver) stops the task.
//!
//! - [`watch_live`] polls `GET /live/{id}` (spec §3: every 5 s while a live
//!   runs) and reports status and stat changes, and a [`LiveEvent::ForcedEnd`]
//!   when the live goes from ON_AIR to END without a stop of ours.
//! - [`follow_chat`] keeps the chat `pageToken` (spec §4), polls every 5 s,
//!   and polls again at once while pages come back full, so a busy chat is
//!   drained instead of falling behind (a drain is sent as one batch of up
//!   to 1,000 messages); messages are deduplicated by id.
//!
//! Both back off (capped, jittered) on transport errors and 5xx, saying
//! [`Offline`](LiveEvent::Offline) once per failed poll with the time to the
//! next one and [`Online`](LiveEvent::Online) when the service answers
//! again, without losing their place. They keep working across token
//! refreshes (the client does those); when the login is refused they say
//! so once and wait, keeping their state, until the client is logged in
//! again.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use onair_api::{ChatMessage, EndReason, Live, LiveStatus};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::{AuthStatus, Client};
use crate::error::Error;

/// A running watcher; dropping it stops the task.
#[derive(Debug)]
pub struct Watch {
    cancel: CancellationToken,
}

impl Watch {
    /// Stops the watcher (as dropping it does).
    pub fn stop(self) {}
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// How a watcher polls.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Time between polls when nothing is pending.
    pub interval: Duration,
    /// First backoff after a failure; doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Events buffered before the watcher waits for the receiver.
    pub capacity: usize,
}

impl WatchOptions {
    /// Spec §3: the live is polled every 5 s.
    pub fn live() -> Self {
        Self {
            interval: Duration::from_secs(5),
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            capacity: 64,
        }
    }

    /// Spec §4: chat every 3-5 s; we take 5, the live's beat (see
    /// [`until_beat`]): an app showing both redraws once every 5 s, not
    /// on every answer of either (measured on the desktop app: 32 redraws
    /// a minute cost it more than its whole CPU budget).
    pub fn chat() -> Self {
        Self {
            interval: Duration::from_secs(5),
            ..Self::live()
        }
    }
}

/// What the live watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// The first answer.
    Snapshot(Live),
    /// Anything in the live changed (status, stats, title...).
    Updated(Live),
    /// The status moved (sent before the `Updated` that carries it).
    StatusChanged { from: LiveStatus, to: LiveStatus },
    /// The service ended the live without a stop of ours (spec §3: "a live
    /// that the service ended or blocked shows END"); `reason` from the
    /// session record when the service keeps one (spec §5).
    ForcedEnd {
        live: Live,
        reason: Option<EndReason>,
    },
    /// A poll failed; the next try is in `retry_in`.
    Offline { error: Error, retry_in: Duration },
    /// The service answers again.
    Online,
    /// The login was refused; polling waits for a new login.
    LoginRequired,
    /// The live is gone (404) or no longer ours: the watcher has stopped.
    Gone(Error),
}

/// What the chat follower reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// New messages, in the service's order, each once: one poll's, or
    /// one drain's (up to 1,000).
    Messages(Vec<ChatMessage>),
    Offline {
        error: Error,
        retry_in: Duration,
    },
    Online,
    LoginRequired,
    /// Chat cannot be followed (not offered, live gone, not allowed): the
    /// follower has stopped.
    Stopped(Error),
}

/// Outage bookkeeping shared by both watchers.
struct Outage {
    failures: u32,
    options: WatchOptions,
}

impl Outage {
    fn delay(&mut self) -> Duration {
        self.failures += 1;
        crate::client::backoff(
            self.options.backoff,
            self.failures,
            self.options.max_backoff,
            0.25,
        )
    }

    /// The backoff, or longer when the service said when to come back
    /// (`Retry-After` of a 429 or a 5xx).
    fn delay_for(&mut self, error: &Error) -> Duration {
        let backoff = self.delay();
        match error {
            Error::RateLimited {
                retry_after: Some(d),
            }
            | Error::Server {
                retry_after: Some(d),
                ..
            } => backoff.max(*d),
            _ => backoff,
        }
    }

    /// True when the service just came back.
    fn recovered(&mut self) -> bool {
        std::mem::take(&mut self.failures) > 0
    }
}

/// Sleeps unless cancelled first; false when cancelled.
async fn pause(cancel: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = cancel.cancelled() => false,
    }
}

/// Waits until the client is logged in again; false when cancelled or
/// logged out for good.
async fn relogin(client: &Client, cancel: &CancellationToken) -> bool {
    let mut status = client.auth_status();
    tokio::select! {
        r = status.wait_for(|s| *s != AuthStatus::LoginRequired) => {
            matches!(r.as_deref(), Ok(AuthStatus::LoggedIn))
        }
        () = cancel.cancelled() => false,
    }
}

/// Watches one live. The receiver gets a [`LiveEvent::Snapshot`] first.
pub fn watch_live(
    client: Client,
    live_id: &str,
    options: WatchOptions,
) -> (Watch, mpsc::Receiver<LiveEvent>) {
    let live_id = live_id.to_owned();
    spawn(options.capacity, move |tx, cancel| {
        live_loop(client, live_id, options, tx, cancel)
    })
}

/// Starts a watcher task with a bounded event channel; the [`Watch`]
/// cancels it when dropped.
fn spawn<E, F>(
    capacity: usize,
    run: impl FnOnce(mpsc::Sender<E>, CancellationToken) -> F,
) -> (Watch, mpsc::Receiver<E>)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let cancel = CancellationToken::new();
    tokio::spawn(run(tx, cancel.clone()));
    (Watch { cancel }, rx)
}

/// Time to the next multiple of `interval` counted from one instant of
/// this process: watchers with the same interval poll together, so their
/// answers arrive together. Never less than half an interval (a poll that
/// came back just before a beat waits for the one after).
fn until_beat(interval: Duration) -> Duration {
    static EPOCH: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(tokio::time::Instant::now);
    let step = interval.as_nanos().max(1);
    let since = epoch.elapsed().as_nanos();
    let mut next = (since / step + 1) * step;
    if next - since < step / 2 {
        next += step;
    }
    Duration::from_nanos(u64::try_from(next - since).unwrap_or(u64::MAX))
}

/// Sends a poll's events, then waits `wait` (none: only checks for a
/// cancel). False when the watcher should end (cancelled, receiver gone).
async fn deliver<E>(
    tx: &mpsc::Sender<E>,
    events: Vec<E>,
    cancel: &CancellationToken,
    wait: Duration,
) -> bool {
    for event in events {
        if tx.send(event).await.is_err() {
            return false;
        }
    }
    if wait.is_zero() {
        !cancel.is_cancelled()
    } else {
        pause(cancel, wait).await
    }
}

/// Says the login was refused (once), then waits for a new one. False when
/// the watcher should end.
async fn after_login_refused<E>(
    tx: &mpsc::Sender<E>,
    event: E,
    client: &Client,
    cancel: &CancellationToken,
) -> bool {
    tx.send(event).await.is_ok() && relogin(client, cancel).await
}

async fn live_loop(
    client: Client,
    live_id: String,
    options: WatchOptions,
    tx: mpsc::Sender<LiveEvent>,
    cancel: CancellationToken,
) {
    let mut last: Option<Live> = None;
    let mut outage = Outage {
        failures: 0,
        options: options.clone(),
    };
    loop {
        let polled = tokio::select! {
            r = client.live(&live_id) => r,
            () = cancel.cancelled() => return,
        };
        let mut events = Vec::new();
        let wait = match polled {
            Ok(live) => {
                if outage.recovered() {
                    events.push(LiveEvent::Online);
                }
                match &last {
                    None => events.push(LiveEvent::Snapshot(live.clone())),
                    Some(prev) if *prev != live => {
                        if prev.status != live.status {
                            events.push(LiveEvent::StatusChanged {
                                from: prev.status,
                                to: live.status,
                            });
                        }
                        events.push(LiveEvent::Updated(live.clone()));
                        if prev.status == LiveStatus::OnAir && live.status == LiveStatus::End {
                            let ours = client.take_own_stop(&live_id);
                            if !ours {
                                let reason = end_reason(&client, &live_id).await;
                                events.push(LiveEvent::ForcedEnd {
                                    live: live.clone(),
                                    reason,
                                });
                            }
                        }
                    }
                    Some(_) => {}
                }
                if live.status != LiveStatus::OnAir {
                    // A stop of ours that this watcher never saw on air.
                    client.take_own_stop(&live_id);
                }
                last = Some(live);
                until_beat(options.interval)
            }
            Err(Error::LoginRequired) => {
                if !after_login_refused(&tx, LiveEvent::LoginRequired, &client, &cancel).await {
                    return;
                }
                continue;
            }
            Err(e @ (Error::NotFound(_) | Error::Forbidden(_) | Error::NotSupported(_))) => {
                let _ = tx.send(LiveEvent::Gone(e)).await;
                return;
            }
            Err(error) => {
                let retry_in = outage.delay_for(&error);
                events.push(LiveEvent::Offline { error, retry_in });
                retry_in
            }
        };
        if !deliver(&tx, events, &cancel, wait).await {
            return;
        }
    }
}

/// Why the latest session of a live ended, if the service records it.
async fn end_reason(client: &Client, live_id: &str) -> Option<EndReason> {
    let sessions = tokio::time::timeout(Duration::from_secs(3), client.sessions(live_id, 1, 1))
        .await
        .ok()?
        .ok()?;
    sessions.sessions.first()?.end_reason
}

/// How the chat follower pages.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    pub poll: WatchOptions,
    /// `maxResults` per page (spec §4: at most 100).
    pub page_size: u64,
    /// How many message ids are remembered to drop repeats.
    pub dedup_window: usize,
}

impl Default for ChatOptions {
    fn default() -> Self {
        Self {
            poll: WatchOptions::chat(),
            page_size: 100,
            dedup_window: 10_000,
        }
    }
}

/// The most messages of one drain sent as one batch.
const DRAIN_BATCH: usize = 1000;

/// Message ids seen lately, bounded.
struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
    cap: usize,
}

impl Seen {
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(id.to_owned());
        self.set.insert(id.to_owned());
        true
    }
}

/// Follows a live's chat from its latest page on.
pub fn follow_chat(
    client: Client,
    live_id: &str,
    options: ChatOptions,
) -> (Watch, mpsc::Receiver<ChatEvent>) {
    let live_id = live_id.to_owned();
    spawn(options.poll.capacity, move |tx, cancel| {
        chat_loop(client, live_id, options, tx, cancel)
    })
}

async fn chat_loop(
    client: Client,
    live_id: String,
    options: ChatOptions,
    tx: mpsc::Sender<ChatEvent>,
    cancel: CancellationToken,
) {
    let page_size = options.page_size.clamp(1, 100);
    let mut token: Option<String> = None;
    let mut seen = Seen {
        order: VecDeque::with_capacity(options.dedup_window.min(1 << 16)),
        set: HashSet::new(),
        cap: options.dedup_window.max(page_size as usize * 2),
    };
    let mut outage = Outage {
        failures: 0,
        options: options.poll.clone(),
    };
    // A drain (full pages polled back to back) goes out as one batch, up to
    // this many messages: one event for the app to take in, not ten.
    let most = DRAIN_BATCH.max(page_size as usize);
    let mut drained: Vec<ChatMessage> = Vec::new();
    loop {
        let polled = tokio::select! {
            r = client.chat_list(&live_id, token.as_deref(), page_size) => r,
            () = cancel.cancelled() => return,
        };
        let mut events = Vec::new();
        let wait = match polled {
            Ok(page) => {
                if outage.recovered() {
                    events.push(ChatEvent::Online);
                }
                let full = page.messages.len() as u64 >= page_size;
                let moved = page.next_page_token.is_some() && page.next_page_token != token;
                let fresh: Vec<ChatMessage> = page
                    .messages
                    .into_iter()
                    .filter(|m| seen.insert(m.message_id.as_str()))
                    .collect();
                let fresh_is_empty = fresh.is_empty();
                drained.extend(fresh);
                if let Some(next) = page.next_page_token {
                    token = Some(next);
                }
                // A full page of new messages means more is waiting: drain
                // it now (but never spin on a service that ignores the token).
                let more = full && moved && !fresh_is_empty;
                if more && drained.len() < most {
                    continue;
                }
                if !drained.is_empty() {
                    events.push(ChatEvent::Messages(std::mem::take(&mut drained)));
                }
                if more {
                    Duration::ZERO
                } else {
                    until_beat(options.poll.interval)
                }
            }
            Err(Error::LoginRequired) => {
                if !after_login_refused(&tx, ChatEvent::LoginRequired, &client, &cancel).await {
                    return;
                }
                continue;
            }
            Err(
                e @ (Error::NotFound(_)
                | Error::Forbidden(_)
                | Error::NotSupported(_)
                | Error::Invalid(_)),
            ) => {
                // What a drain already took goes out first.
                if !drained.is_empty() {
                    let _ = tx.send(ChatEvent::Messages(drained)).await;
                }
                let _ = tx.send(ChatEvent::Stopped(e)).await;
                return;
            }
            Err(error) => {
                if !drained.is_empty() {
                    events.push(ChatEvent::Messages(std::mem::take(&mut drained)));
                }
                let retry_in = outage.delay_for(&error);
                events.push(ChatEvent::Offline { error, retry_in });
                retry_in
            }
        };
        if !deliver(&tx, events, &cancel, wait).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn watchers_with_one_interval_poll_together() {
        let five = Duration::from_secs(5);
        let t0 = tokio::time::Instant::now();
        let first = t0 + until_beat(five);
        tokio::time::advance(Duration::from_millis(1300)).await;
        let t1 = tokio::time::Instant::now();
        let wait = until_beat(five);
        assert!(wait >= five / 2 && wait <= five * 3 / 2, "{wait:?}");
        let second = t1 + wait;
        let apart = if second > first {
            second - first
        } else {
            first - second
        };
        // On the same beat, or one beat apart.
        let off = apart.as_nanos() % five.as_nanos();
        assert!(off < 1_000 || five.as_nanos() - off < 1_000, "{apart:?}");
    }

    #[test]
    fn seen_is_bounded_and_drops_repeats() {
        let mut seen = Seen {
            order: VecDeque::new(),
            set: HashSet::new(),
            cap: 3,
        };
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("b") && seen.insert("c") && seen.insert("d"));
        assert_eq!(seen.set.len(), 3);
        assert!(seen.insert("a"), "evicted ids are forgotten");
    }

    #[test]
    fn backoff_is_capped() {
        let mut o = Outage {
            failures: 0,
            options: WatchOptions::live(),
        };
        let delays: Vec<Duration> = (0..12).map(|_| o.delay()).collect();
        assert!(delays[0] <= Duration::from_millis(1250));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(37_500)));
        assert!(o.recovered());
        assert!(!o.recovered());
    }
}
