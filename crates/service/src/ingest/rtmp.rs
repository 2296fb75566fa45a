//! The RTMP listener: one task per connection, the handshake and chunk
//! stream through `rml_rtmp` (Adobe's RTMP specification 1.0: §5.2 the
//! handshake, §5.3 chunking, §7.2 the commands), and what a publish does.
//!
//! A connection must be an admitted publisher within
//! [`IngestConfig::publish_timeout`]: handshake, `connect` to app `live`,
//! `publish` with a live's current key. Anything else is refused with its
//! `onStatus` error and closed: a wrong application, an unknown or
//! replaced key, a disabled channel, a banned streamer, an ended live, a
//! key that already has a publisher (which keeps streaming). A peer that
//! goes silent for [`IngestConfig::idle_timeout`], or sends more than
//! [`IngestConfig::max_message_bytes`] without completing a message, is
//! dropped; so is every connection past
//! [`IngestConfig::max_connections`], or past
//! [`IngestConfig::max_per_peer`] from one address ([`crate::conn::Gate`],
//! the HTTPS listener's rule too). Log lines name a key by its last 4
//! characters ([`super::key_hint`]).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onair_api::{ClientInfo, EventKind, Id, LiveStatus};
use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::ChunkDeserializer;
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::messages::RtmpMessage;
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::health::Meter;
use super::{key_hint, lock, Publisher};
use crate::domain::cached_live;
use crate::domain::ingest::{self as rules, Refusal};
use crate::state::AppState;

/// The RTMP application publishers connect to (`rtmp://HOST:PORT/live`).
pub const APP: &str = "live";

/// Accepts RTMP connections on `listener` until `shutdown` resolves (and
/// every 5 s drops the HLS of lives ended a minute ago); then
/// closes them all (without recording their loss: the service is
/// stopping, not the streams).
pub async fn run(state: AppState, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut prune = tokio::time::interval(Duration::from_secs(5));
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = crate::server::accept(&listener, "RTMP") => accepted,
            _ = prune.tick() => {
                state.ingest.prune();
                continue;
            }
            () = &mut shutdown => break,
        };
        let pass = match state
            .ingest
            .gate
            .admit(peer.ip(), &crate::conn::LastActive::new())
        {
            Ok(pass) => pass,
            Err(why) => {
                state.ingest.gate.refused(peer.ip(), why);
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            let _pass = pass;
            let mut conn = Connection::new(state.clone(), peer);
            let result = conn.serve(tcp, stopped.clone()).await;
            match &result {
                Ok(()) => tracing::debug!(%peer, id = conn.id, "RTMP connection closed"),
                Err(reason) => {
                    tracing::info!(%peer, id = conn.id, %reason, "RTMP connection dropped")
                }
            }
            if !*stopped.borrow() {
                conn.leave(stopped).await;
            }
        });
    }
    let _ = stop.send(true);
}

/// Why a connection was dropped, in words for the log.
type Dropped = String;

/// One RTMP connection.
struct Connection {
    state: AppState,
    id: u64,
    peer: SocketAddr,
    /// `tcUrl` and `flashVer` of the `connect` command.
    tc_url: Option<String>,
    flash_ver: Option<String>,
    /// Reads the chunk stream beside the session until `connect` is seen:
    /// `rml_rtmp` keeps `tcUrl` to itself.
    peek: Option<ChunkDeserializer>,
    publisher: Option<Arc<Publisher>>,
    /// The session this publish is recorded in.
    session: Option<String>,
    stable_recorded: bool,
    admitted_at: Option<Instant>,
    /// Bytes received since the last complete RTMP message.
    pending: usize,
    /// Set when a refusal has been sent: close after writing it.
    closing: Option<Dropped>,
    /// The transcoding ladder (`--transcode`), started at the first video
    /// sequence header.
    ladder: Option<super::transcode::Ladder>,
    /// The last AAC sequence header, for a ladder started after it.
    aac_header: Option<bytes::Bytes>,
}

impl Connection {
    fn new(state: AppState, peer: SocketAddr) -> Self {
        let id = state.ingest.next_id();
        Self {
            state,
            id,
            peer,
            tc_url: None,
            flash_ver: None,
            peek: Some(ChunkDeserializer::new()),
            publisher: None,
            session: None,
            stable_recorded: false,
            admitted_at: None,
            pending: 0,
            closing: None,
            ladder: None,
            aac_header: None,
        }
    }

    async fn serve(
        &mut self,
        mut tcp: TcpStream,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), Dropped> {
        let config = self.state.ingest.config.clone();
        let deadline = tokio::time::Instant::now() + config.publish_timeout;
        let mut buf = vec![0u8; 64 * 1024];

        // The handshake (§5.2): C0+C1, then C2, against S0+S1+S2.
        let mut handshake = Handshake::new(PeerType::Server);
        let remaining = loop {
            let n = read_until(&mut tcp, &mut buf, deadline).await?;
            if n == 0 {
                return Err("closed during the handshake".to_owned());
            }
            match handshake
                .process_bytes(&buf[..n])
                .map_err(|e| format!("bad handshake: {e}"))?
            {
                HandshakeProcessResult::InProgress { response_bytes } => {
                    write(&mut tcp, &response_bytes).await?;
                }
                HandshakeProcessResult::Completed {
                    response_bytes,
                    remaining_bytes,
                } => {
                    write(&mut tcp, &response_bytes).await?;
                    break remaining_bytes;
                }
            }
        };

        let (mut session, initial) = ServerSession::new(ServerSessionConfig::new())
            .map_err(|e| format!("RTMP session: {e}"))?;
        let mut out = Vec::new();
        self.results(&mut session, initial, &mut out).await?;
        self.input(&mut session, &remaining, &mut out).await?;
        write(&mut tcp, &out).await?;

        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if let Some(reason) = self.closing.take() {
                let _ = tcp.shutdown().await;
                return Err(reason);
            }
            let until = match self.admitted_at {
                Some(_) => tokio::time::Instant::now() + config.idle_timeout,
                None => deadline,
            };
            let n = tokio::select! {
                n = read_until(&mut tcp, &mut buf, until) => n.map_err(|e| match self.admitted_at {
                    None if tokio::time::Instant::now() >= deadline => format!("no publish within {} s", config.publish_timeout.as_secs()),
                    _ => e,
                })?,
                _ = tick.tick() => {
                    self.tick().await?;
                    continue;
                }
                _ = stopped.changed() => return Ok(()),
            };
            if n == 0 {
                return Ok(());
            }
            let mut out = Vec::new();
            self.pending += n;
            self.input(&mut session, &buf[..n], &mut out).await?;
            write(&mut tcp, &out).await?;
            if self.pending > config.max_message_bytes {
                return Err(format!(
                    "sent {} bytes without completing an RTMP message (limit {})",
                    self.pending, config.max_message_bytes
                ));
            }
        }
    }

    /// Feeds received bytes to the session; what it answers goes to `out`.
    async fn input(
        &mut self,
        session: &mut ServerSession,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Dropped> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.peek_connect(bytes);
        let results = session
            .handle_input(bytes)
            .map_err(|e| format!("bad RTMP input: {e}"))?;
        self.results(session, results, out).await
    }

    /// Handles what the session produced: bytes to send and events, whose
    /// handling may produce more.
    async fn results(
        &mut self,
        session: &mut ServerSession,
        results: Vec<ServerSessionResult>,
        out: &mut Vec<u8>,
    ) -> Result<(), Dropped> {
        let mut queue: VecDeque<ServerSessionResult> = results.into();
        while let Some(result) = queue.pop_front() {
            match result {
                ServerSessionResult::OutboundResponse(packet) => {
                    out.extend_from_slice(&packet.bytes)
                }
                ServerSessionResult::RaisedEvent(event) => {
                    self.pending = 0;
                    queue.extend(self.event(session, event).await?);
                }
                ServerSessionResult::UnhandleableMessageReceived(_) => self.pending = 0,
            }
        }
        Ok(())
    }

    async fn event(
        &mut self,
        session: &mut ServerSession,
        event: ServerSessionEvent,
    ) -> Result<Vec<ServerSessionResult>, Dropped> {
        let rtmp = |e: rml_rtmp::sessions::ServerSessionError| format!("RTMP session: {e}");
        Ok(match event {
            ServerSessionEvent::ConnectionRequested {
                request_id,
                app_name,
            } => {
                if app_name == APP {
                    session.accept_request(request_id).map_err(rtmp)?
                } else {
                    self.refuse(session, request_id, Refusal::WrongApp, &app_name)?
                }
            }
            ServerSessionEvent::PublishStreamRequested {
                request_id,
                app_name,
                stream_key,
                ..
            } => {
                if app_name != APP {
                    self.refuse(session, request_id, Refusal::WrongApp, &app_name)?
                } else if self.publisher.is_some() {
                    // One publish per connection.
                    self.refuse(session, request_id, Refusal::Busy, &key_hint(&stream_key))?
                } else {
                    match self.admit(&stream_key).await {
                        Ok(()) => session.accept_request(request_id).map_err(rtmp)?,
                        Err(refusal) => {
                            self.refuse(session, request_id, refusal, &key_hint(&stream_key))?
                        }
                    }
                }
            }
            ServerSessionEvent::PublishStreamFinished { .. } => {
                self.closing = Some("the publisher finished its stream".to_owned());
                Vec::new()
            }
            ServerSessionEvent::StreamMetadataChanged { metadata, .. } => {
                if let (Some(p), Some(encoder)) = (&self.publisher, metadata.encoder) {
                    let info = {
                        let mut info = lock(&p.info);
                        info.encoder = Some(encoder);
                        info.clone()
                    };
                    if let Some(session) = &self.session {
                        if let Err(e) = rules::update_client_info(&self.state, session, &info).await
                        {
                            tracing::warn!(error = %e, "recording the publisher's encoder failed");
                        }
                    }
                }
                Vec::new()
            }
            ServerSessionEvent::VideoDataReceived {
                data, timestamp, ..
            } => {
                if let Some(p) = self.publisher.clone() {
                    p.video(timestamp.value, &data);
                    self.transcode(&p, 9, timestamp.value, data);
                }
                Vec::new()
            }
            ServerSessionEvent::AudioDataReceived {
                data, timestamp, ..
            } => {
                if let Some(p) = self.publisher.clone() {
                    p.audio(timestamp.value, &data);
                    // An AAC sequence header (FLV spec E.4.2.1).
                    if data.first().is_some_and(|b| b >> 4 == 10) && data.get(1) == Some(&0) {
                        self.aac_header = Some(data.clone());
                    }
                    self.transcode(&p, 8, timestamp.value, data);
                }
                Vec::new()
            }
            ServerSessionEvent::PlayStreamRequested { request_id, .. } => session
                .reject_request(
                    request_id,
                    "NetStream.Play.Failed",
                    "this server only takes streams",
                )
                .map_err(rtmp)?,
            // releaseStream, FCPublish, FCUnpublish, acknowledgements: nothing to do.
            _ => Vec::new(),
        })
    }

    /// Hands a tag to the transcoding ladder, starting it at the first
    /// video sequence header once the picture's height is known.
    fn transcode(&mut self, p: &Publisher, kind: u8, ts: u32, data: bytes::Bytes) {
        if !self.state.ingest.config.transcode {
            return;
        }
        if self.ladder.is_none() && kind == 9 && data.get(1) == Some(&0) {
            let height = lock(&p.meter)
                .report(Instant::now())
                .video
                .and_then(|v| v.height);
            if let Some(height) = height {
                let dir = super::transcode::dir(lock(&p.hls).dir());
                match super::transcode::Ladder::start(&dir, height) {
                    Ok(ladder) => {
                        if let Some(aac) = &self.aac_header {
                            ladder.push(8, ts, aac.clone());
                        }
                        self.ladder = Some(ladder);
                    }
                    Err(e) => tracing::warn!(error = %e, "the transcoding ladder did not start"),
                }
            }
        }
        if let Some(ladder) = &self.ladder {
            ladder.push(kind, ts, data);
        }
    }

    /// Sends a refusal's `onStatus` error and closes after it.
    fn refuse(
        &mut self,
        session: &mut ServerSession,
        request_id: u32,
        refusal: Refusal,
        what: &str,
    ) -> Result<Vec<ServerSessionResult>, Dropped> {
        self.closing = Some(format!("refused ({what}): {}", refusal.describe()));
        session
            .reject_request(request_id, refusal.code(), refusal.describe())
            .map_err(|e| format!("RTMP session: {e}"))
    }

    /// Admits a publish with `key`, or says why not.
    async fn admit(&mut self, key: &str) -> Result<(), Refusal> {
        let state = self.state.clone();
        let _order = state.ingest.transitions.lock().await;
        let live = match rules::admissible(&state, key).await {
            Ok(Ok(live)) => live,
            Ok(Err(refusal)) => return Err(refusal),
            Err(e) => {
                tracing::warn!(error = %e, "looking up a stream key failed");
                return Err(Refusal::Failed);
            }
        };
        let info = ClientInfo {
            action: "on_publish".to_owned(),
            ip: self.peer.ip().to_string(),
            port: u64::from(self.peer.port()),
            app: APP.to_owned(),
            tc_url: self.tc_url.clone(),
            encoder: self.flash_ver.clone(),
            stream_id: Id::new(self.id.to_string()),
        };
        let since = state.now();
        let claimed = state.ingest.claim(&live.id, |hls| Publisher {
            id: self.id,
            live_id: live.id.clone(),
            since,
            info: Mutex::new(info.clone()),
            meter: Mutex::new(Meter::new(Instant::now())),
            hls,
        });
        let Some((publisher, restored)) = claimed else {
            return Err(Refusal::Busy);
        };
        match rules::publish(&state, &live.id, &info, restored).await {
            Ok(session) => {
                tracing::info!(
                    peer = %self.peer, id = self.id, live = %live.id, key = %key_hint(key), restored,
                    on_air = session.is_some(), "RTMP publish admitted"
                );
                self.session = session;
                self.publisher = Some(publisher);
                self.admitted_at = Some(Instant::now());
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, live = %live.id, "recording a publish failed");
                state.ingest.release(&live.id, self.id, None);
                Err(Refusal::Failed)
            }
        }
    }

    /// Once a second: drop a publish whose live has ended or that sends no
    /// media; join the session of a live started by `/start`; record
    /// STABLE after steady input.
    async fn tick(&mut self) -> Result<(), Dropped> {
        let Some(p) = self.publisher.clone() else {
            return Ok(());
        };
        let config = &self.state.ingest.config;
        let now = Instant::now();
        let (has_media, steady) = {
            let meter = lock(&p.meter);
            (meter.has_media(), meter.steady_for(now))
        };
        if !has_media
            && self
                .admitted_at
                .is_some_and(|t| now.duration_since(t) > config.idle_timeout)
        {
            return Err(format!(
                "no audio or video within {} s of the publish",
                config.idle_timeout.as_secs()
            ));
        }
        let live = cached_live(&self.state, &p.live_id)
            .await
            .map_err(|e| format!("reading the live: {e}"))?;
        let status = live.as_ref().map(|l| l.status());
        match status {
            None | Some(LiveStatus::End) => {
                return Err("the live has ended".to_owned());
            }
            Some(LiveStatus::OnAir) if self.session.is_none() => {
                let _order = self.state.ingest.transitions.lock().await;
                let info = lock(&p.info).clone();
                self.session = rules::publish(&self.state, &p.live_id, &info, false)
                    .await
                    .map_err(|e| format!("recording the publish: {e}"))?;
            }
            _ => {}
        }
        if !self.stable_recorded && self.session.is_some() && steady >= config.stable_after {
            self.stable_recorded = true;
            let detail = format!("steady input for {} s", steady.as_secs());
            if let Err(e) = rules::record(&self.state, &p.live_id, EventKind::Stable, &detail).await
            {
                tracing::warn!(error = %e, "recording STABLE failed");
            }
        }
        Ok(())
    }

    /// The connection is gone: if it published to a live on air, the
    /// live's signal is interrupted, and the live ends unless a publisher
    /// is back within its `stopTimeout`.
    async fn leave(&mut self, stopped: watch::Receiver<bool>) {
        let Some(p) = self.publisher.take() else {
            return;
        };
        let state = self.state.clone();
        let order = state.ingest.transitions.lock().await;
        let live = cached_live(&state, &p.live_id).await.ok().flatten();
        let on_air = live
            .as_ref()
            .is_some_and(|l| l.status() == LiveStatus::OnAir);
        let epoch = state
            .ingest
            .release(&p.live_id, p.id, on_air.then(|| state.now()));
        let (Some(epoch), Some(live)) = (epoch, live) else {
            return;
        };
        let timeout = Duration::from_secs(live.stop_timeout(&state));
        let detail = format!(
            "the publisher left; the live ends in {} s without a signal",
            timeout.as_secs()
        );
        if let Err(e) =
            rules::record(&state, &p.live_id, EventKind::SignalInterrupted, &detail).await
        {
            tracing::warn!(error = %e, "recording SIGNAL_INTERRUPTED failed");
        }
        tracing::info!(live = %p.live_id, timeout_s = timeout.as_secs(), "RTMP signal interrupted");
        let live_id = p.live_id.clone();
        let mut stopped = stopped;
        drop(order);
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(timeout) => {}
                _ = stopped.changed() => return,
            }
            let _order = state.ingest.transitions.lock().await;
            if !state.ingest.expire(&live_id, epoch) {
                return;
            }
            match rules::signal_lost(&state, &live_id).await {
                Ok(true) => tracing::info!(live = %live_id, "live ended: signal lost"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, live = %live_id, "ending a live without signal failed")
                }
            }
        });
    }

    /// Reads `tcUrl` and `flashVer` from the `connect` command (§7.2.1.1),
    /// on a chunk reader of its own, until it has been seen.
    fn peek_connect(&mut self, bytes: &[u8]) {
        let Some(peek) = &mut self.peek else { return };
        let mut input = bytes;
        loop {
            let message = match peek.get_next_message(input) {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err(_) => {
                    self.peek = None;
                    return;
                }
            };
            input = &[];
            match message.to_rtmp_message() {
                Ok(RtmpMessage::SetChunkSize { size })
                    if peek.set_max_chunk_size(size as usize).is_err() =>
                {
                    self.peek = None;
                    return;
                }
                Ok(RtmpMessage::Amf0Command {
                    command_name,
                    command_object,
                    ..
                }) if command_name == "connect" => {
                    let mut props: HashMap<String, Amf0Value> =
                        command_object.get_object_properties().unwrap_or_default();
                    let text = |v: Option<Amf0Value>| {
                        v.and_then(Amf0Value::get_string)
                            .map(|s| s.chars().filter(|c| !c.is_control()).take(200).collect())
                    };
                    self.tc_url = text(props.remove("tcUrl"));
                    self.flash_ver = text(props.remove("flashVer"));
                    self.peek = None;
                    return;
                }
                _ => {}
            }
        }
    }
}

/// Reads some bytes before `deadline` (0: the peer closed).
async fn read_until(
    tcp: &mut TcpStream,
    buf: &mut [u8],
    deadline: tokio::time::Instant,
) -> Result<usize, Dropped> {
    match tokio::time::timeout_at(deadline, tcp.read(buf)).await {
        Err(_) => Err("silent too long".to_owned()),
        Ok(Err(e)) => Err(format!("read failed: {e}")),
        Ok(Ok(n)) => Ok(n),
    }
}

async fn write(tcp: &mut TcpStream, bytes: &[u8]) -> Result<(), Dropped> {
    if bytes.is_empty() {
        return Ok(());
    }
    match tokio::time::timeout(Duration::from_secs(10), tcp.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write failed: {e}")),
        Err(_) => Err("the peer does not read what it is sent".to_owned()),
    }
}
