//! onair's OBS code against real OBS Studio (Debian's obs-studio, under
//! the Xvfb display `make test` provides), with a live's server and key
//! from the in-process reference service. `make test` installs OBS and
//! ffmpeg and runs this with `--include-ignored`.

use std::time::Duration;

use onair_api::Secret;
use onair_api::{CreateLive, Scope};
use onair_client::obs::files::{read_service, ObsFiles};
use onair_client::obs::testing::{RealObs, RtmpSink};
use onair_client::obs::{Obs, ObsError, ObsEvent, OutputState, ServiceSettings};
use onair_client::StreamTarget;
use onair_tests::service::*;
use tokio::sync::mpsc;

/// Waits for StreamStateChanged with this `outputActive`.
async fn stream_state(events: &mut mpsc::UnboundedReceiver<ObsEvent>, active: bool, obs: &RealObs) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("OBS never said outputActive={active}:\n{}", obs.log()));
        match e {
            // Started, or Stopped (outputActive may be false while stopping).
            Some(ObsEvent::Stream { active: a, state })
                if a == active
                    && state
                        == if active {
                            OutputState::Started
                        } else {
                            OutputState::Stopped
                        } =>
            {
                return
            }
            Some(ObsEvent::Closed(why)) => panic!("OBS closed: {why}"),
            Some(_) => {}
            None => panic!("events ended"),
        }
    }
}

/// A new public live of streamer-main: its id and where OBS is to send it.
async fn new_live(client: &onair_client::Client, title: &str) -> (String, StreamTarget) {
    let live = client
        .create_live(
            "streamer-main",
            &CreateLive {
                title: title.into(),
                scope: Scope::Public,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let target = StreamTarget::from_rtmp_path(&live.rtmp_path).unwrap();
    (live.live_id.as_str().to_owned(), target)
}

#[tokio::test]
#[ignore = "needs OBS Studio, ffmpeg and a display (make test installs and runs them)"]
async fn server_and_key_reach_real_obs() {
    let dir = std::env::temp_dir().join(format!("onair-obs-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut obs = RealObs::start(&dir);

    // A live's ingest from the reference service.
    let svc = Svc::start().await;
    let (client, _) = login_client(&svc, "streamer").await;
    let (_, target) = new_live(&client, "To OBS").await;

    // Refusals in words: no password, a wrong one.
    let none = Obs::connect(&obs.endpoint, None).await.unwrap_err();
    assert_eq!(none, ObsError::PasswordNeeded);
    let wrong = Obs::connect(&obs.endpoint, Some(&Secret::new("not-it")))
        .await
        .unwrap_err();
    assert_eq!(wrong, ObsError::WrongPassword, "{}", obs.log());

    // Send: OBS keeps them (read back through the WebSocket), and Undo
    // puts back what was there.
    let password = Secret::new(obs.password.clone());
    let (ws, mut events) = obs.connect().await;
    assert!(ws.version().starts_with('5'), "{}", ws.version());
    let before = ws.service_settings().await.unwrap();
    let previous = ws.send_target(&target).await.unwrap();
    assert_eq!(previous, before);
    let now = ws.service_settings().await.unwrap();
    assert!(now.sends_to(&target), "{now:?}");
    assert_eq!(now.settings["key"], target.key.expose());
    ws.restore(&previous).await.unwrap();
    assert_eq!(ws.service_settings().await.unwrap().kind, before.kind);

    // While OBS streams (to a local RTMP sink), no change is made.
    let ffmpeg = RtmpSink::start();
    let sink = ffmpeg.target();
    ws.send_target(&sink).await.unwrap();
    ws.start_stream().await.unwrap();
    stream_state(&mut events, true, &obs).await;
    assert_eq!(
        ws.send_target(&target).await.unwrap_err(),
        ObsError::Streaming
    );
    assert_eq!(
        ws.set_service_settings(&ServiceSettings::custom(&target))
            .await
            .unwrap_err(),
        ObsError::Streaming,
        "OBS itself refuses (OutputRunning)"
    );
    assert!(ws.service_settings().await.unwrap().sends_to(&sink));
    // Its health while streaming.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let health = ws.stream_status().await.unwrap();
    assert!(
        health.active && health.bytes > 0 && health.total_frames > 0,
        "{health:?}"
    );
    // The sink goes away: OBS says it is reconnecting (a marker on the
    // dashboard's chart).
    drop(ffmpeg);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(ObsEvent::Stream {
                state: OutputState::Reconnecting,
                ..
            })) => break,
            Ok(Some(ObsEvent::Closed(why))) => panic!("OBS closed: {why}"),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("OBS never reconnected:\n{}", obs.log()),
        }
    }
    ws.stop_stream().await.unwrap();
    stream_state(&mut events, false, &obs).await;
    ws.stop_stream().await.unwrap(); // stopped already: fine

    // The live's key again, then OBS quits: the key is in service.json.
    // OBS says the output is inactive a moment after the event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ws.stream_status().await.unwrap().active {
        assert!(tokio::time::Instant::now() < deadline, "still streaming");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ws.send_target(&target).await.unwrap();
    let files = ObsFiles::at(&obs.config_dir());
    // While OBS runs, the file fallback refuses.
    assert_eq!(
        files
            .send_target(&target, onair_client::obs::files::obs_running())
            .unwrap_err(),
        ObsError::RunningForFile
    );
    obs.stop();
    // Late stream events (the stop of a stream that was reconnecting) may
    // come before the end of the connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(ObsEvent::Closed(_))) | Ok(None) => break,
            Ok(Some(ObsEvent::Stream { .. })) => {}
            Err(_) => panic!("no end of connection seen"),
        }
    }
    assert!(ws.service_settings().await.is_err(), "the connection ended");
    let service = files.profile_dir().unwrap().join("service.json");
    let (kind, server, key) = read_service(&service).unwrap();
    assert_eq!(kind, "rtmp_custom");
    assert_eq!(server, target.server);
    assert_eq!(key, target.key.expose());

    // OBS not running: the fallback writes the file (with a backup).
    let other = StreamTarget::from_rtmp_path("rtmp://127.0.0.1/live/other-key").unwrap();
    assert_eq!(files.send_target(&other, false).unwrap(), service);
    assert_eq!(read_service(&service).unwrap().2, "other-key");
    assert_eq!(
        read_service(&service.with_extension("json.bak")).unwrap().2,
        target.key.expose()
    );
    // And nothing answers now: said in words.
    let gone = Obs::connect(&obs.endpoint, Some(&password))
        .await
        .unwrap_err();
    assert!(
        matches!(gone, ObsError::NotRunning(_) | ObsError::ServerOff(_)),
        "{gone:?}"
    );
    drop(obs);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
#[ignore = "needs OBS Studio, ffmpeg and a display (make test installs and runs them)"]
async fn real_obs_streams_to_the_ingest() {
    let dir = std::env::temp_dir().join(format!("onair-obs-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let obs = RealObs::start(&dir);
    let svc = Svc::start().await;
    let (client, _) = login_client(&svc, "streamer").await;
    let (id, target) = new_live(&client, "OBS to the ingest").await;

    // The server and key onair pushes; OBS streams with them.
    let (ws, mut events) = obs.connect().await;
    ws.send_target(&target).await.unwrap();
    ws.start_stream().await.unwrap();
    stream_state(&mut events, true, &obs).await;
    let video = ws.request("GetVideoSettings", None).await.unwrap();
    let size = (
        video["outputWidth"].as_u64().map(|w| w as u32),
        video["outputHeight"].as_u64().map(|h| h as u32),
    );

    // The live goes ON_AIR and the ingest measures OBS's output.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let health = loop {
        let h = client.ingest(&id).await.unwrap();
        if h.video.as_ref().is_some_and(|v| v.width.is_some()) && h.bytes_received > 0 {
            break h;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no video from OBS: {h:?}\n{}",
            obs.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let v = health.video.unwrap();
    assert_eq!((v.width, v.height), size, "OBS's output resolution");
    assert_eq!(v.codec, "h264");
    let live = client.live(&id).await.unwrap();
    assert_eq!(live.status, onair_api::LiveStatus::OnAir);
    assert_eq!(
        live.stream.map(|s| s.signal),
        Some(onair_api::Signal::Receiving)
    );
    let publisher = health.publisher.unwrap();
    assert!(
        publisher
            .encoder
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().contains("obs")),
        "{publisher:?}"
    );
    ws.stop_stream().await.unwrap();
    stream_state(&mut events, false, &obs).await;
    let _ = std::fs::remove_dir_all(&dir);
}
