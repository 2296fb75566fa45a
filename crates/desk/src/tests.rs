//! The desk against the real reference service, in process over TLS on
//! 127.0.0.1 port 0, with no webview: the events it sends are what the
//! app would show.

use std::sync::Arc;
use std::time::Duration;

use onair_api::{LiveStatus, Scope, StatusFilter};
use onair_client::{LiveEvent, MemoryStore, TokenForm};
use onair_service::testing::{client_for, submit_login, Submitted};
use onair_service::Running;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::*;

/// The demo streamer's enabled channel.
const MAIN: &str = "streamer-main";

struct Rig {
    /// Kept running for the test's length.
    _svc: Running,
    http: reqwest::Client,
    desk: Desk,
    events: UnboundedReceiver<DeskEvent>,
    dir: std::path::PathBuf,
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Rig {
    /// A service, and a desk with it added as a profile and chosen.
    async fn start(name: &str) -> Self {
        Self::start_with(name, |_| {}).await
    }

    /// The same, the service's config changed by `adjust` first.
    async fn start_with(name: &str, adjust: impl FnOnce(&mut onair_service::Config)) -> Self {
        // The login "opens the browser": here a command that does nothing.
        std::env::set_var("BROWSER", "true");
        let (svc, _clock) = onair_service::testing::start("127.0.0.1:0".parse().unwrap(), adjust)
            .await
            .expect("service starts");
        let http = client_for(svc.cert_pem().unwrap());
        let dir = std::env::temp_dir().join(format!("onair-desk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (desk, events) = Desk::new(
            &dir.join("data"),
            &dir.join("config/profiles.json"),
            Arc::new(MemoryStore::default()),
        );
        let profile = desk
            .add_profile(NewProfile {
                name: "Reference service".into(),
                api_domain: svc.base_url().into(),
                issuer: None,
                client_id: "onair-desktop".into(),
                scopes: vec![],
                client_secret: None,
                token_form: TokenForm::Auto,
                optional_apis: vec![],
                pinned_sha256: svc.fingerprint().map(str::to_owned),
            })
            .await
            .expect("profile added");
        assert_eq!(profile.id, "reference-service");
        let state = desk.choose_profile(&profile.id).await.unwrap();
        assert_eq!(state.active.map(|p| p.id), Some(profile.id));
        assert!(state.session.is_none());
        Self {
            _svc: svc,
            http,
            desk,
            events,
            dir,
        }
    }

    /// Logs in as `user` (its password is its name) through the service's
    /// own page, as the browser would.
    async fn login(&mut self, user: &str) -> Session {
        let url = self.desk.login().await.unwrap();
        assert!(self.desk.view().await.unwrap().login_pending);
        let Submitted::Redirect(back) = submit_login(&self.http, &url, user, user, "login")
            .await
            .unwrap()
        else {
            panic!("the login page did not redirect");
        };
        self.http.get(back).send().await.unwrap();
        match self
            .next(|e| matches!(e, DeskEvent::LoginFinished(_)))
            .await
        {
            DeskEvent::LoginFinished(Ok(session)) => session,
            other => panic!("{other:?}"),
        }
    }

    /// The next event that `want` picks (others are passed over).
    async fn next(&mut self, want: impl Fn(&DeskEvent) -> bool) -> DeskEvent {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let e = self.events.recv().await.expect("the desk lives");
                if want(&e) {
                    return e;
                }
            }
        })
        .await
        .expect("the event within 20 s")
    }
}

#[tokio::test]
async fn a_streamer_logs_in_creates_starts_watches_and_stops_a_live() {
    let mut rig = Rig::start("flow").await;
    assert_eq!(rig.desk.channels().await, Err(Error::NoSession));
    let session = rig.login("streamer").await;
    assert_eq!(session.user.user_id.as_str(), "streamer");
    assert!(session
        .optional_apis
        .contains(&onair_api::OptionalApi::LiveChatList));
    assert_eq!(rig.desk.view().await.unwrap().session, Some(session));

    let channels = rig.desk.channels().await.unwrap();
    assert!(channels.iter().any(|c| !c.channel_enabled));
    let channel = MAIN.to_owned();
    // A title the desk or the service refuses names its field.
    let untitled = NewLive {
        title: "  ".into(),
        description: None,
        scope: Scope::Public,
        reserved_at: None,
    };
    let e = rig.desk.create_live(&channel, untitled.clone()).await;
    assert_eq!(e.unwrap_err().field(), Some(Field::Title));
    let long = NewLive {
        title: "x".repeat(101),
        ..untitled.clone()
    };
    let e = rig.desk.create_live(&channel, long).await.unwrap_err();
    assert_eq!(e.field(), Some(Field::Title), "{e:?}");

    let live = rig
        .desk
        .create_live(
            &channel,
            NewLive {
                title: " Desk test ".into(),
                description: Some(" ".into()),
                ..untitled
            },
        )
        .await
        .unwrap();
    assert_eq!(live.title, "Desk test");
    assert_eq!(live.description, None);
    let id = live.live_id.to_string();
    let reserved = rig
        .desk
        .lives(&channel, StatusFilter::Reserved)
        .await
        .unwrap();
    assert!(reserved.iter().any(|l| l.live_id == live.live_id));

    rig.desk.watch(&id).await.unwrap();
    assert_eq!(rig.desk.watched().await.as_deref(), Some(id.as_str()));
    match rig
        .next(|e| matches!(e, DeskEvent::Live { .. } | DeskEvent::Air(_)))
        .await
    {
        DeskEvent::Air(air) => assert_eq!(air, Air::Off),
        other => panic!("{other:?}"),
    }
    let started = rig.desk.start_live(&id).await.unwrap();
    assert_eq!(started.status, LiveStatus::OnAir);
    assert!(matches!(
        rig.next(|e| matches!(e, DeskEvent::Air(_))).await,
        DeskEvent::Air(Air::On)
    ));
    // While on air, each poll's counters go to the chart.
    let sample = loop {
        if let DeskEvent::Live {
            event: LiveEvent::Updated(_) | LiveEvent::Snapshot(_),
            sample: Some(s),
        } = rig.next(|e| matches!(e, DeskEvent::Live { .. })).await
        {
            break s;
        }
    };
    assert!(rig.desk.series(&id).contains(&sample));
    // The key is the live's; with no stream arriving it may change on air.
    let target = rig.desk.stream_target(&id).await.unwrap();
    assert!(live.rtmp_path.ends_with(target.key.expose()));
    rig.desk.regenerate_key(&id).await.unwrap();
    let fresh = rig.desk.stream_target(&id).await.unwrap();
    assert_eq!(fresh.server, target.server);
    assert_ne!(fresh.key.expose(), target.key.expose());

    let sessions = rig.desk.sessions(&id).await.unwrap();
    assert_eq!(sessions.len(), 1);
    let events = rig
        .desk
        .session_events(sessions[0].session_id.as_str())
        .await
        .unwrap();
    assert!(!events.is_empty());

    let stopped = rig.desk.stop_live(&id).await.unwrap();
    assert_eq!(stopped.status, LiveStatus::End);
    assert!(matches!(
        rig.next(|e| matches!(e, DeskEvent::Air(_))).await,
        DeskEvent::Air(Air::Off)
    ));
    rig.desk.logout().await.unwrap();
    assert_eq!(rig.desk.channels().await, Err(Error::NoSession));
}

#[tokio::test]
async fn moderation_is_logged_refused_or_not_and_the_key_hides_in_streamer_mode() {
    let mut rig = Rig::start("moderation").await;
    rig.login("streamer").await;
    let channel = MAIN;
    let live = rig
        .desk
        .create_live(
            channel,
            NewLive {
                title: "Moderation".into(),
                description: None,
                scope: Scope::Public,
                reserved_at: None,
            },
        )
        .await
        .unwrap();
    let id = live.live_id.to_string();
    rig.desk.start_live(&id).await.unwrap();

    let mut chat = rig.desk.follow_chat(&id).await.unwrap();
    let sent = rig
        .desk
        .send_chat(&id, "hello from the desk")
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(onair_client::ChatEvent::Messages(m)) = chat.recv().await {
                if let Some(m) = m.into_iter().find(|m| m.message_id == sent.message_id) {
                    return m;
                }
            }
        }
    })
    .await
    .expect("our message comes back in the chat");
    assert_eq!(seen.message, "hello from the desk");

    let ban = ModAction::TimedBan { seconds: 60 };
    let done = rig.desk.moderate(&id, "viewer", ban.clone()).await.unwrap();
    assert_eq!(
        (done.by.as_str(), done.error.as_ref()),
        ("Streamer Kim", None)
    );
    // The streamer cannot ban themself: refused, and still recorded.
    let refused = rig.desk.moderate(&id, "streamer", ModAction::Ban).await;
    let e = refused.unwrap_err();
    let log = rig.desk.moderation_log(&id);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0], done);
    assert_eq!((log[1].id, log[1].error.as_ref()), (done.id + 1, Some(&e)));
    for want in &log {
        match rig.next(|e| matches!(e, DeskEvent::Moderation(_))).await {
            DeskEvent::Moderation(r) => assert_eq!(&r, want),
            _ => unreachable!(),
        }
    }
    assert!(rig.desk.moderation_log("another").is_empty());

    // Streamer mode: the key only after a confirmation.
    let mut settings = rig.desk.settings();
    settings.obs.streamer_mode = true;
    rig.desk.set_settings(settings).unwrap();
    assert_eq!(
        rig.desk.reveal_key(&id, false).await,
        Err(Error::StreamerMode)
    );
    let key = rig.desk.reveal_key(&id, true).await.unwrap();
    assert!(live.rtmp_path.ends_with(key.expose()));
}

#[tokio::test]
async fn without_a_service_there_is_nothing_to_log_in_to() {
    let dir = std::env::temp_dir().join(format!("onair-desk-none-{}", std::process::id()));
    let (desk, _events) = Desk::new(
        &dir,
        &dir.join("profiles.json"),
        Arc::new(MemoryStore::default()),
    );
    assert_eq!(desk.login().await, Err(Error::NoProfile));
    assert!(matches!(
        desk.choose_profile("nope").await,
        Err(Error::NoSuchProfile(_))
    ));
    assert!(desk.resume().await.is_none());
    let state = desk.view().await.unwrap();
    assert!(state.profiles.is_empty() && state.active.is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_stream_arriving_and_leaving_is_seen_on_the_desk() {
    let mut rig = Rig::start_with("ingest", |c| {
        c.ingest.stop_timeout = Duration::from_secs(16);
    })
    .await;
    let session = rig.login("streamer").await;
    assert!(session.extensions.contains(&onair_api::Extension::Ingest));
    let live = rig
        .desk
        .create_live(
            MAIN,
            NewLive {
                title: "Ingest".into(),
                description: None,
                scope: Scope::Public,
                reserved_at: None,
            },
        )
        .await
        .unwrap();
    let id = live.live_id.to_string();
    rig.desk.watch(&id).await.unwrap();
    let mut publisher = onair_service::testing::RtmpPublisher::start(&live.rtmp_path)
        .expect("ffmpeg publishes the test clip");

    // The publish starts the live (autoStart) and the ingest tells what
    // arrives: the clip's 720p.
    // (The tray's "on air" may come before or after: the live's poll and
    // the ingest's run on beats of their own.)
    let mut on_air = false;
    let health = loop {
        match rig
            .next(|e| matches!(e, DeskEvent::Ingest(_) | DeskEvent::Air(_)))
            .await
        {
            DeskEvent::Ingest(h) if h.video.as_ref().is_some_and(|v| v.height.is_some()) => {
                break h
            }
            DeskEvent::Air(air) => on_air = air == Air::On,
            _ => {}
        }
    };
    assert_eq!(health.signal, onair_api::Signal::Receiving);
    assert_eq!(health.video.unwrap().height, Some(720));

    // The preview: the playlist the service named, then a segment it
    // lists, through the session's client; nothing outside that folder.
    let playlist = loop {
        match rig.desk.preview("playlist", None).await {
            Ok(m) => break m,
            Err(Error::Client(onair_client::Error::NotFound(_))) => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(playlist.content_type, "application/vnd.apple.mpegurl");
    let text = String::from_utf8(playlist.bytes).unwrap();
    let segment = text.lines().find(|l| l.ends_with(".ts")).expect(&text);
    let media = rig.desk.preview(segment, None).await.unwrap();
    assert_eq!(media.content_type, "video/mp2t");
    assert!(!media.bytes.is_empty() && media.bytes.len() % 188 == 0);
    assert!(matches!(
        rig.desk.preview("../index.m3u8", None).await,
        Err(Error::Invalid { .. })
    ));
    if !on_air {
        assert!(matches!(
            rig.next(|e| matches!(e, DeskEvent::Air(_))).await,
            DeskEvent::Air(Air::On)
        ));
    }
    // The chart's samples carry what the ingest received.
    loop {
        if let DeskEvent::Live {
            sample: Some(s), ..
        } = rig.next(|e| matches!(e, DeskEvent::Live { .. })).await
        {
            if let Some(kbps) = s.received_kbps {
                assert!(kbps > 100.0, "{s:?}");
                break;
            }
        }
    }

    // The stream stops: after NO_SIGNAL_AFTER the tray says so and a
    // notification says when the service ends the live; then it does.
    publisher.kill();
    match rig
        .next(|e| matches!(e, DeskEvent::SignalLost { .. }))
        .await
    {
        DeskEvent::SignalLost { title, ends_in } => {
            assert_eq!(title, "Ingest");
            let left = ends_in.expect("the live ends on its own");
            assert!(left <= Duration::from_secs(6), "{left:?}");
        }
        _ => unreachable!(),
    }
    assert!(matches!(
        rig.next(|e| matches!(e, DeskEvent::Air(_))).await,
        DeskEvent::Air(Air::NoSignal)
    ));
    match rig.next(|e| matches!(e, DeskEvent::ForcedEnd { .. })).await {
        DeskEvent::ForcedEnd { reason, .. } => {
            assert_eq!(reason, Some(onair_api::EndReason::SignalLost))
        }
        _ => unreachable!(),
    }
    // Nothing arrives any more: the reports stop (the same report at every
    // poll would repaint the dashboard for nothing).
    let quiet = crate::lives::INGEST_EVERY * 2 + Duration::from_millis(500);
    let settled = tokio::time::timeout(Duration::from_secs(15), async {
        while tokio::time::timeout(quiet, rig.next(|e| matches!(e, DeskEvent::Ingest(_))))
            .await
            .is_ok()
        {}
    })
    .await;
    assert!(settled.is_ok(), "an ingest report at every poll");
    // No live on the dashboard: no preview.
    rig.desk.unwatch().await;
    assert!(matches!(
        rig.desk.preview("playlist", None).await,
        Err(Error::Client(onair_client::Error::NotFound(_)))
    ));
}

#[tokio::test]
async fn pictures_come_only_for_urls_the_service_named() {
    let mut rig = Rig::start("pictures").await;
    let session = rig.login("streamer").await;
    let avatar = session
        .user
        .profile_thumbnail
        .clone()
        .expect("the demo's avatar");
    assert!(avatar.ends_with("/assets/avatar.png"), "{avatar}");
    // The signed-in user's avatar: a PNG.
    let png = rig
        .desk
        .picture(&pictures::picture_key(&avatar))
        .await
        .unwrap();
    assert_eq!(png.content_type, "image/png");
    assert_eq!(&png.bytes[..8], b"\x89PNG\r\n\x1a\n");
    // Any other URL has no key that answers, not even one on the service.
    let script = format!("{}/assets/watch.js", rig._svc.base_url());
    let e = rig.desk.picture(&pictures::picture_key(&script)).await;
    assert!(
        matches!(e, Err(Error::Client(onair_client::Error::NotFound(_)))),
        "{e:?}"
    );
    assert!(rig.desk.picture("../../etc/passwd").await.is_err());
    // A listed channel's thumbnail answers once the channels are listed.
    let channels = rig.desk.channels().await.unwrap();
    let thumb = channels[0].channel_thumbnail_url.clone().unwrap();
    assert!(rig
        .desk
        .picture(&pictures::picture_key(&thumb))
        .await
        .is_ok());
    // A URL the service named that is not a picture is refused.
    rig.desk.pictures.allow([script.as_str()]);
    let e = rig.desk.picture(&pictures::picture_key(&script)).await;
    assert!(format!("{e:?}").contains("not a picture"), "{e:?}");
    // Logged out: nothing.
    rig.desk.logout().await.unwrap();
    assert_eq!(
        rig.desk
            .picture(&pictures::picture_key(&avatar))
            .await
            .unwrap_err(),
        Error::NoSession
    );
}
