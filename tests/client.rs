//! The client core against the real reference service: in-process, over
//! TLS, on 127.0.0.1 port 0.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use onair_api::{CreateLive, EndReason, LiveStatus, OptionalApi, Scope, Secret, StatusFilter};
use onair_client::{
    follow_chat, watch_live, AuthStatus, ChatEvent, ChatOptions, Credentials, Error, KeyringStore,
    LiveEvent, LoginError, LoginSlot, MemoryStore, StreamTarget, TokenStore, WatchOptions,
};
use onair_tests::service::*;
use reqwest::Method;
use tokio::sync::mpsc;

const SOON: Duration = Duration::from_secs(10);

async fn next<T>(rx: &mut mpsc::Receiver<T>) -> T {
    tokio::time::timeout(SOON, rx.recv())
        .await
        .expect("an event in time")
        .expect("watcher running")
}

/// Waits for the first event that `pick` accepts.
async fn until<T: std::fmt::Debug, R>(
    rx: &mut mpsc::Receiver<T>,
    mut pick: impl FnMut(&T) -> Option<R>,
) -> R {
    loop {
        let e = next(rx).await;
        if let Some(r) = pick(&e) {
            return r;
        }
    }
}

fn fast_live() -> WatchOptions {
    WatchOptions {
        interval: Duration::from_millis(100),
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        ..WatchOptions::live()
    }
}

fn fast_chat() -> ChatOptions {
    ChatOptions {
        poll: WatchOptions {
            interval: Duration::from_millis(100),
            ..fast_live()
        },
        ..ChatOptions::default()
    }
}

#[tokio::test]
async fn full_login_then_every_call() {
    let svc = Svc::start().await;
    let store = Arc::new(MemoryStore::default());
    let conn = connector(svc.profile(), store.clone()).await;
    assert_eq!(
        conn.endpoints().issuer.as_deref(),
        Some(svc.base()),
        "RFC 8414 discovery"
    );

    let slot = LoginSlot::default();
    let pending = conn.start_login(&slot).await.unwrap();
    assert_eq!(pending.local_addr().ip().to_string(), "127.0.0.1");
    assert_eq!(
        pending.redirect_uri(),
        format!("http://127.0.0.1:{}/callback", pending.local_addr().port())
    );
    let query: std::collections::HashMap<_, _> = pending.url().query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["response_type"], "code");
    assert!(!query.contains_key("scope"), "no scope by default");

    // A stray request does not end the login.
    let stray = land(
        &svc.http,
        &format!("http://{}/favicon.ico", pending.local_addr()),
    )
    .await
    .unwrap();
    assert_eq!(stray.status, 404);

    let landed = browse(&svc, &pending, "streamer", "login").await;
    assert_eq!(landed.status, 200);
    assert!(landed.page.contains("close this tab"), "{}", landed.page);
    let addr = pending.local_addr();
    let logged_in = conn.complete_login(pending).await.unwrap();
    let user = logged_in.user.unwrap();
    assert_eq!(user.user_id.as_str(), "streamer");
    let client = logged_in.client;
    assert_eq!(client.account().as_deref(), Some("streamer"));

    // The listener answered once and closed.
    let again = land(&svc.http, &format!("http://{addr}/callback?code=x&state=y")).await;
    assert!(
        again.is_err(),
        "listener closed after the callback: {again:?}"
    );

    // The refresh token is in the store under profile and account.
    let stored = store.load("test", "streamer").unwrap().unwrap();
    let refresh = stored.refresh_token.clone().unwrap();
    assert!(!refresh.is_empty());

    // Spec §3.
    let channels = client.channels().await.unwrap();
    assert_eq!(channels.user_name, user.user_name);
    let ids: Vec<&str> = channels
        .channels
        .iter()
        .map(|c| c.channel_id.as_str())
        .collect();
    assert!(ids.contains(&"streamer-main"), "{ids:?}");
    let main = client.channel("streamer-main").await.unwrap();
    assert!(main.channel_enabled);
    assert!(matches!(
        client.channel("nope").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(client.live("nope").await, Err(Error::NotFound(_))));

    let live = client
        .create_live(
            "streamer-main",
            &CreateLive {
                title: "Client test".into(),
                reserved_at: None,
                description: Some("from the client tests".into()),
                scope: Scope::Public,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(live.status, LiveStatus::Reserved);
    let id = live.live_id.as_str().to_owned();
    let reserved = client
        .lives("streamer-main", StatusFilter::Reserved)
        .await
        .unwrap();
    assert!(reserved.iter().any(|l| l.live_id.as_str() == id));
    assert!(reserved.iter().all(|l| l.status == LiveStatus::Reserved));
    let bad = client
        .create_live(
            "streamer-main",
            &CreateLive {
                title: "   ".into(),
                reserved_at: None,
                description: None,
                scope: Scope::Public,
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(bad, Err(Error::Invalid(ref m)) if m.contains("title")),
        "{bad:?}"
    );

    // Spec §5 and the ingest split.
    let key = client.stream_key(&id).await.unwrap();
    let target = StreamTarget::from_rtmp_path(&client.live(&id).await.unwrap().rtmp_path).unwrap();
    assert_eq!(target.server, key.rtmp_url);
    assert_eq!(target.key, key.stream_key);
    let started = client.start_live(&id).await.unwrap();
    assert_eq!(started.status, LiveStatus::OnAir);
    // While a stream is sent with the key, it cannot change.
    let mut ffmpeg = onair_service::testing::RtmpPublisher::start(&started.rtmp_path).unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while client.live(&id).await.unwrap().stream.map(|s| s.signal)
        != Some(onair_api::Signal::Receiving)
    {
        assert!(std::time::Instant::now() < end, "the stream arrives");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    match client.regenerate_key(&id).await {
        Err(Error::Conflict { name, .. }) => assert_eq!(name, "STREAM_ACTIVE"),
        other => panic!("{other:?}"),
    }
    ffmpeg.kill();

    // Spec §4 through the optional APIs of /capabilities.
    let apis = client.optional_apis().await.unwrap();
    assert_eq!(apis.len(), OptionalApi::ALL.len());
    let sent = client
        .chat_send(&id, "hello from the client")
        .await
        .unwrap();
    let page = client.chat_list(&id, None, 10).await.unwrap();
    assert!(page
        .messages
        .iter()
        .any(|m| m.message_id == sent.message_id));
    let token = page.next_page_token.clone().unwrap();
    let empty = client.chat_list(&id, Some(&token), 10).await.unwrap();
    assert!(empty.messages.is_empty());
    assert_eq!(empty.next_page_token.as_deref(), Some(token.as_str()));
    client
        .chat_delete(&id, sent.message_id.as_str())
        .await
        .unwrap();
    assert!(matches!(
        client.chat_delete(&id, "no-such-message").await,
        Err(Error::NotFound(_))
    ));

    // Moderation of the viewer, checked from the viewer's side.
    let (viewer, _) = login_client(&svc, "viewer").await;
    viewer.chat_send(&id, "hi").await.unwrap();
    client.ban(&id, "viewer").await.unwrap();
    assert!(matches!(
        viewer.chat_send(&id, "let me in").await,
        Err(Error::Forbidden(_))
    ));
    client.unban(&id, "viewer").await.unwrap();
    viewer.chat_send(&id, "back").await.unwrap();
    client.timed_ban(&id, "viewer", 60).await.unwrap();
    assert!(viewer.chat_send(&id, "still?").await.is_err());
    assert!(matches!(
        client.timed_ban(&id, "viewer", 0).await,
        Err(Error::Invalid(_))
    ));
    client.unban(&id, "viewer").await.unwrap();
    client.grant_mod(&id, "viewer").await.unwrap();
    let page = viewer.chat_list(&id, None, 100).await.unwrap();
    viewer
        .chat_delete(&id, page.messages.last().unwrap().message_id.as_str())
        .await
        .unwrap();
    client.remove_mod(&id, "viewer").await.unwrap();
    let owners = client.chat_send(&id, "the owner's word").await.unwrap();
    assert!(matches!(
        viewer.chat_delete(&id, owners.message_id.as_str()).await,
        Err(Error::Forbidden(_))
    ));

    let stopped = client.stop_live(&id).await.unwrap();
    assert_eq!(stopped.status, LiveStatus::End);
    let sessions = client.sessions(&id, 1, 10).await.unwrap();
    assert_eq!(sessions.sessions.len(), 1);
    assert_eq!(sessions.sessions[0].end_reason, Some(EndReason::Stopped));
    let events = client
        .events(sessions.sessions[0].session_id.as_str())
        .await
        .unwrap();
    assert!(!events.events.is_empty());
    let key = client.regenerate_key(&id).await.unwrap();
    assert_ne!(key.stream_key, target.key);

    // Restore from the store, as at the next start of the app.
    let restored = conn.restore("streamer").await.unwrap().unwrap();
    assert_eq!(restored.user().await.unwrap().user_id.as_str(), "streamer");
    assert!(conn.restore("nobody").await.unwrap().is_none());

    // Logout revokes and forgets.
    restored.logout().await.unwrap();
    assert!(store.load("test", "streamer").unwrap().is_none());
    assert_eq!(*restored.auth_status().borrow(), AuthStatus::LoggedOut);
    assert!(matches!(
        restored.channels().await,
        Err(Error::LoginRequired)
    ));

    // No secret reached a log line.
    let logs = logs();
    assert!(!logs.is_empty());
    for secret in [
        refresh.expose(),
        key.stream_key.expose(),
        target.key.expose(),
    ] {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
}

#[tokio::test]
async fn login_failures_end_with_typed_errors() {
    let svc = Svc::start().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let conn = connector(svc.profile(), store.clone()).await;
    let slot = LoginSlot::default();

    // The user presses Cancel on the service's page.
    let pending = conn.start_login(&slot).await.unwrap();
    let landed = browse(&svc, &pending, "streamer", "cancel").await;
    assert_eq!(landed.status, 400);
    assert!(landed.page.contains("denied"), "{}", landed.page);
    assert_eq!(
        conn.complete_login(pending).await.unwrap_err(),
        Error::Login(LoginError::Denied)
    );

    // A callback with someone else's state.
    let pending = conn.start_login(&slot).await.unwrap();
    let forged = format!(
        "http://{}/callback?code=abc&state=forged",
        pending.local_addr()
    );
    let landed = land(&svc.http, &forged).await.unwrap();
    assert_eq!(landed.status, 400);
    assert!(landed.page.contains("state mismatch"));
    assert!(!landed.page.contains("forged"), "nothing reflected");
    assert_eq!(
        conn.complete_login(pending).await.unwrap_err(),
        Error::Login(LoginError::StateMismatch)
    );

    // Cancel from the UI.
    let pending = conn.start_login(&slot).await.unwrap();
    let cancel = pending.cancel_handle();
    let addr = pending.local_addr();
    let waiting = tokio::spawn({
        let conn = conn.clone();
        async move { conn.complete_login(pending).await }
    });
    cancel.cancel();
    assert_eq!(
        waiting.await.unwrap().unwrap_err(),
        Error::Login(LoginError::Cancelled)
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        land(&svc.http, &format!("http://{addr}/callback"))
            .await
            .is_err(),
        "listener closed"
    );

    // A second login cancels the first.
    let first = conn.start_login(&slot).await.unwrap();
    let second = conn.start_login(&slot).await.unwrap();
    assert_eq!(
        conn.complete_login(first).await.unwrap_err(),
        Error::Login(LoginError::Cancelled)
    );
    let landed = browse(&svc, &second, "moderator", "login").await;
    assert_eq!(landed.status, 200);
    let ok = conn.complete_login(second).await.unwrap();
    assert_eq!(ok.user.unwrap().user_id.as_str(), "moderator");

    // Nobody comes back in time.
    let quick = onair_client::ClientOptions {
        login_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let impatient = onair_client::Connector::with_options(svc.profile(), store, quick)
        .await
        .unwrap();
    let pending = impatient.start_login(&slot).await.unwrap();
    assert_eq!(
        impatient.complete_login(pending).await.unwrap_err(),
        Error::Login(LoginError::TimedOut)
    );

    // A callback without a code.
    let pending = conn.start_login(&slot).await.unwrap();
    let state: String = pending
        .url()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let bare = format!(
        "http://{}/callback?state={state}&iss={}",
        pending.local_addr(),
        svc.base()
    );
    assert_eq!(land(&svc.http, &bare).await.unwrap().status, 400);
    assert_eq!(
        conn.complete_login(pending).await.unwrap_err(),
        Error::Login(LoginError::MissingCode)
    );

    // The service promises `iss` (RFC 9207): an answer without it is not
    // trusted, nor one naming another issuer.
    for iss in ["", "&iss=https%3A%2F%2Fevil.example"] {
        let pending = conn.start_login(&slot).await.unwrap();
        let state = pending
            .url()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let url = format!(
            "http://{}/callback?code=abc&state={state}{iss}",
            pending.local_addr()
        );
        assert_eq!(land(&svc.http, &url).await.unwrap().status, 400);
        assert_eq!(
            conn.complete_login(pending).await.unwrap_err(),
            Error::Login(LoginError::IssuerMismatch)
        );
    }
}

#[tokio::test]
async fn fifty_calls_on_an_expired_token_make_one_refresh() {
    let svc = Svc::start().await;
    let (client, store) = login_client(&svc, "streamer").await;
    let before = store
        .load("test", "streamer")
        .unwrap()
        .unwrap()
        .refresh_token;
    assert_eq!(client.refresh_count(), 0);
    // The service's clock moves past the access token's hour; the client
    // still believes in it and learns from the 401s.
    svc.clock.advance(Duration::from_secs(2 * 3600));
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.channels().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(client.refresh_count(), 1);
    let after = store
        .load("test", "streamer")
        .unwrap()
        .unwrap()
        .refresh_token;
    assert_ne!(before, after, "the rotated refresh token was saved");
    client.user().await.unwrap();
}

#[tokio::test]
async fn a_spent_refresh_token_asks_for_login_once() {
    let svc = Svc::start().await;
    let (client, store) = login_client(&svc, "streamer").await;
    let mut status = client.auth_status();
    let refresh = store
        .load("test", "streamer")
        .unwrap()
        .unwrap()
        .refresh_token
        .unwrap();
    // Someone else rotates the token away (a stolen copy, another device).
    let resp = svc
        .http
        .post(format!("{}/oauth/token", svc.base()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
            ("client_id", "onair-desktop"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    svc.clock.advance(Duration::from_secs(2 * 3600));

    let (watch, mut live_events) = watch_live(client.clone(), "demo-onair", fast_live());
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.channels().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap_err(), Error::LoginRequired);
    }
    status.changed().await.unwrap();
    assert_eq!(*status.borrow_and_update(), AuthStatus::LoginRequired);
    assert_eq!(next(&mut live_events).await, LiveEvent::LoginRequired);
    // No loop: later calls fail without asking the service again.
    assert_eq!(client.channels().await.unwrap_err(), Error::LoginRequired);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(live_events.try_recv().is_err(), "the watcher waits quietly");
    assert!(!status.has_changed().unwrap(), "LoginRequired is said once");
    assert_eq!(client.refresh_count(), 0);
    assert!(
        store.load("test", "streamer").unwrap().is_none(),
        "the dead token is forgotten"
    );

    // A new login: the same client and its watcher go on.
    let conn = connector(svc.profile(), store.clone()).await;
    let fresh = login_with(&svc, &conn, "streamer").await;
    client.adopt(&fresh).await.unwrap();
    assert_eq!(*client.auth_status().borrow(), AuthStatus::LoggedIn);
    client.channels().await.unwrap();
    force_end(&svc, &mut live_events).await;
    drop(watch);
}

#[tokio::test]
async fn forced_end_is_seen_within_one_poll_and_our_stop_is_not_one() {
    let svc = Svc::start().await;
    let (client, _) = login_client(&svc, "streamer").await;
    let (_watch, mut events) = watch_live(client.clone(), "demo-onair", fast_live());
    let first = next(&mut events).await;
    assert!(
        matches!(&first, LiveEvent::Snapshot(l) if l.status == LiveStatus::OnAir),
        "{first:?}"
    );

    let t0 = std::time::Instant::now();
    let (live, reason) = force_end(&svc, &mut events).await;
    assert!(t0.elapsed() < Duration::from_secs(2), "within a poll or so");
    assert_eq!(live.status, LiveStatus::End);
    assert_eq!(reason, Some(EndReason::EndedByService));

    // Started again and stopped by us: no forced end.
    client.start_live("demo-onair").await.unwrap();
    until(&mut events, |e| {
        matches!(
            e,
            LiveEvent::StatusChanged {
                to: LiveStatus::OnAir,
                ..
            }
        )
        .then_some(())
    })
    .await;
    client.stop_live("demo-onair").await.unwrap();
    until(&mut events, |e| match e {
        LiveEvent::StatusChanged {
            to: LiveStatus::End,
            ..
        } => Some(()),
        LiveEvent::ForcedEnd { .. } => panic!("our own stop reported as forced"),
        _ => None,
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(e) = events.try_recv() {
        assert!(!matches!(e, LiveEvent::ForcedEnd { .. }), "{e:?}");
    }

    // Our stop is history once the live starts again: the service's next
    // end is reported (even with no watcher running in between).
    drop(_watch);
    client.start_live("demo-onair").await.unwrap();
    client.stop_live("demo-onair").await.unwrap();
    client.start_live("demo-onair").await.unwrap();
    let (_watch, mut events) = watch_live(client.clone(), "demo-onair", fast_live());
    assert!(matches!(next(&mut events).await, LiveEvent::Snapshot(_)));
    force_end(&svc, &mut events).await;
}

#[tokio::test]
async fn an_outage_is_waited_out_as_the_service_asks() {
    let svc = Svc::start().await;
    let (client, _) = login_client(&svc, "streamer").await;
    let (_watch, mut events) = watch_live(client.clone(), "demo-onair", fast_live());
    assert!(matches!(next(&mut events).await, LiveEvent::Snapshot(_)));
    // 503 with Retry-After: 2 (RFC 9110 §10.2.3): the watcher's next try
    // waits that long, not its own 50 ms backoff.
    assert_eq!(
        svc.admin(Method::PUT, "/admin/outage?seconds=2", None)
            .await,
        200
    );
    let t0 = std::time::Instant::now();
    let (error, retry_in) = until(&mut events, |e| match e {
        LiveEvent::Offline { error, retry_in } => Some((error.to_string(), *retry_in)),
        _ => None,
    })
    .await;
    assert!(error.contains("503"), "{error}");
    assert!(retry_in >= Duration::from_secs(1), "{retry_in:?}");
    // The service's (manual) clock ends the outage; the next try finds it up.
    svc.clock.advance(Duration::from_secs(2));
    until(&mut events, |e| {
        matches!(e, LiveEvent::Online).then_some(())
    })
    .await;
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "came back only when asked"
    );
}

/// Ends `demo-onair` through the operator route; waits for the watcher to
/// report it as forced.
async fn force_end(
    svc: &Svc,
    events: &mut mpsc::Receiver<LiveEvent>,
) -> (onair_api::Live, Option<EndReason>) {
    assert_eq!(
        svc.admin(Method::POST, "/admin/live/demo-onair/end", None)
            .await,
        200
    );
    until(events, |e| match e {
        LiveEvent::ForcedEnd { live, reason } => Some((live.clone(), *reason)),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_ride_out_a_service_restart() {
    let dir = std::env::temp_dir().join(format!("onair-client-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let svc = Svc::start_in(&dir, "127.0.0.1:0".parse().unwrap()).await;
    let addr = svc.running.addr();
    let (client, _) = login_client(&svc, "streamer").await;
    let (viewer, _) = login_client(&svc, "viewer").await;
    let (_lw, mut live_events) = watch_live(client.clone(), "demo-onair", fast_live());
    let (_cw, mut chat) = follow_chat(client.clone(), "demo-onair", fast_chat());
    assert!(matches!(
        next(&mut live_events).await,
        LiveEvent::Snapshot(_)
    ));

    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            viewer
                .chat_send("demo-onair", &format!("before {i}"))
                .await
                .unwrap()
                .message_id,
        );
    }
    let mut got = Vec::new();
    let collect = |got: &mut Vec<onair_api::Id>, e: &ChatEvent| {
        if let ChatEvent::Messages(m) = e {
            got.extend(m.iter().map(|m| m.message_id.clone()));
        }
    };
    while !sent.iter().all(|id| got.contains(id)) {
        let e = next(&mut chat).await;
        collect(&mut got, &e);
    }

    svc.running.stop().await.unwrap();
    until(&mut live_events, |e| {
        matches!(e, LiveEvent::Offline { .. }).then_some(())
    })
    .await;
    loop {
        let e = next(&mut chat).await;
        if matches!(e, ChatEvent::Offline { .. }) {
            break;
        }
        collect(&mut got, &e);
    }

    let svc = Svc::start_in(&dir, addr).await;
    until(&mut live_events, |e| {
        matches!(e, LiveEvent::Online).then_some(())
    })
    .await;
    for i in 0..5 {
        sent.push(
            viewer
                .chat_send("demo-onair", &format!("after {i}"))
                .await
                .unwrap()
                .message_id,
        );
    }
    let deadline = tokio::time::Instant::now() + SOON;
    while !sent.iter().all(|id| got.contains(id)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chat after the restart"
        );
        let e = next(&mut chat).await;
        collect(&mut got, &e);
    }
    let unique: HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no message twice");
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Spec §4's PRISM loop (5 s × 100) loses messages above ~20/s; ours
/// drains full pages at once. 500 messages/s for 60 s, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_follower_keeps_up_with_500_messages_a_second() {
    let svc = Svc::start().await;
    let (client, _) = login_client(&svc, "streamer").await;
    let (viewer, _) = login_client(&svc, "viewer").await;
    let (moderator, _) = login_client(&svc, "moderator").await;
    let (watch, mut chat) = follow_chat(
        client.clone(),
        "demo-onair",
        ChatOptions {
            poll: WatchOptions {
                interval: Duration::from_secs(3),
                ..WatchOptions::chat()
            },
            ..ChatOptions::default()
        },
    );
    // The history (the first page) may hold other messages: only ours count.
    let mut got: Vec<String> = Vec::new();
    let ours = |m: onair_api::ChatMessage| m.message.starts_with("load ").then_some(m.message);
    const RATE: u64 = 500;
    const SECONDS: u64 = 60;
    let senders = [client.clone(), viewer, moderator];
    let producer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut tasks = tokio::task::JoinSet::new();
        // Senders wait for their answers like real chatters: at most this
        // many sends in flight. Unbounded, a machine that falls behind the
        // rate queues thousands of writes, and the follower's page waits
        // behind all of them (the in-memory service has one connection).
        let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
        let per_tick = RATE / 100;
        for t in 0..SECONDS * 100 {
            tick.tick().await;
            for j in 0..per_tick {
                let n = t * per_tick + j;
                let c = senders[(n % 3) as usize].clone();
                let permit = in_flight.clone().acquire_owned().await.unwrap();
                tasks.spawn(async move {
                    let sent = c.chat_send("demo-onair", &format!("load {n}")).await;
                    drop(permit);
                    sent.map(|_| ())
                });
            }
            while let Some(done) = tasks.try_join_next() {
                done.unwrap().unwrap();
            }
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap().unwrap();
        }
    });
    let total = (RATE * SECONDS) as usize;
    let mut largest = 0;
    let started = tokio::time::Instant::now();
    // A slow machine may send below the rate; what the follower owes is to
    // have everything within a few polls of the last send.
    let mut all_sent: Option<tokio::time::Instant> = None;
    while got.len() < total {
        if all_sent.is_none() && producer.is_finished() {
            all_sent = Some(tokio::time::Instant::now());
            eprintln!("{total} sent in {:.1} s", started.elapsed().as_secs_f64());
        }
        if let Some(at) = all_sent {
            assert!(
                at.elapsed() < Duration::from_secs(15),
                "only {} of {total} arrived 15 s after the last send",
                got.len()
            );
        }
        match next(&mut chat).await {
            ChatEvent::Messages(m) => {
                largest = largest.max(m.len());
                got.extend(m.into_iter().filter_map(ours));
            }
            other => panic!("{other:?}"),
        }
    }
    producer.await.unwrap();
    // 2,500 messages a poll: drained back to back, sent as batches of up
    // to 1,000 rather than page by page.
    assert!(largest > 100 && largest <= 1000, "largest batch {largest}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(chat.try_recv().is_err(), "nothing more, nothing doubled");
    assert_eq!(got.len(), total, "nothing doubled");
    let unique: HashSet<&String> = got.iter().collect();
    for n in 0..total {
        assert!(unique.contains(&format!("load {n}")), "load {n} missing");
    }
    drop(watch);
}

/// The real OS keyring (Secret Service under a D-Bus session, cached in the
/// kernel keyring). `make test` runs it inside `scripts/with-keyring`.
#[test]
#[ignore = "needs an OS keyring session: run under scripts/with-keyring (make test does)"]
fn keyring_store_round_trip() {
    let service = format!("onair-test-{}", std::process::id());
    let store = KeyringStore::new(&service);
    assert_eq!(store.load("p", "streamer").unwrap(), None);
    let creds = Credentials {
        refresh_token: Some(Secret::new("rt-keyring-test")),
        client_secret: Some(Secret::new("cs-keyring-test")),
        password: Some(Secret::new("pw-keyring-test")),
    };
    store.save("p", "streamer", &creds).unwrap();
    assert_eq!(store.load("p", "streamer").unwrap(), Some(creds.clone()));
    // Another process sees it in the Secret Service.
    let lookup = std::process::Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "p/streamer"])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    let stored = String::from_utf8_lossy(&lookup.stdout);
    assert!(
        stored.contains("rt-keyring-test"),
        "Secret Service has the entry"
    );
    let rotated = Credentials {
        refresh_token: Some(Secret::new("rt-rotated")),
        ..creds
    };
    store.save("p", "streamer", &rotated).unwrap();
    assert_eq!(store.load("p", "streamer").unwrap(), Some(rotated));
    store.delete("p", "streamer").unwrap();
    store.delete("p", "streamer").unwrap();
    assert_eq!(store.load("p", "streamer").unwrap(), None);
}

/// A PRISM partner service's way: the GET token form with the
/// `x-prism-client-*` headers, a confidential client whose secret lives in
/// the token store, no revocation endpoint.
#[tokio::test]
async fn prism_token_form_with_a_client_secret() {
    let svc = Svc::start().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let mut profile = svc.profile();
    profile.client_id = "onair-demo".into();
    profile.has_client_secret = true;
    profile.token_form = onair_client::TokenForm::Prism;
    // Without the secret in the store the profile is refused by name.
    match onair_client::Connector::new(profile.clone(), store.clone()).await {
        Err(Error::Profile { field, .. }) => assert_eq!(field, "clientSecret"),
        other => panic!("{other:?}"),
    }
    onair_client::Connector::save_client_secret(
        store.clone(),
        "test",
        Some(Secret::new("onair-demo-secret")),
    )
    .await
    .unwrap();
    let conn = connector(profile, store.clone()).await;
    assert_eq!(conn.endpoints().form, onair_client::TokenForm::Prism);
    assert!(conn
        .endpoints()
        .token
        .path()
        .ends_with("/prism/v1/service/oauth2/token"));
    let client = login_with(&svc, &conn, "streamer").await;
    let stored = store.load("test", "streamer").unwrap().unwrap();
    assert_eq!(stored.client_secret.unwrap().expose(), "onair-demo-secret");

    // A refresh through the PRISM form.
    svc.clock.advance(Duration::from_secs(2 * 3600));
    client.channels().await.unwrap();
    assert_eq!(client.refresh_count(), 1);
    client.logout().await.unwrap();
    assert!(store.load("test", "streamer").unwrap().is_none());
    assert!(
        !logs().contains("onair-demo-secret"),
        "the client secret is not logged"
    );
}
