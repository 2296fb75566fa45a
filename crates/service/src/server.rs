//! Serving: [`Service::open`] prepares everything (database, TLS, demo
//! data) and [`Service::run`] accepts connections until `shutdown`
//! resolves, then drains them. Binding and the shutdown signal are the
//! caller's (mini-redis style), so tests bind `127.0.0.1:0` and the desktop
//! app embeds the service.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::config::{Config, HttpLimits};
use crate::db::Db;
use crate::error::StartError;
use crate::state::{AppState, Inner, LiveCache, TokenCache};
use crate::tls::{self, TlsMaterial};
use crate::{conn, crypto, domain, sim};

/// A prepared service instance.
#[derive(Debug)]
pub struct Service {
    state: AppState,
    tls: Option<TlsMaterial>,
    simulation: Option<crate::config::Simulation>,
    /// The RTMP ingest's listener, when there is one.
    rtmp: Option<TcpListener>,
    /// Caps and timeouts of the HTTPS listener's connections.
    http: HttpLimits,
}

impl Service {
    /// Opens the database (migrating it), loads or creates the certificate,
    /// binds the RTMP ingest's listener if the config asks for one, and
    /// seeds demo data if asked. `addr` is where the service will listen;
    /// it names the service in links and as OAuth issuer unless the config
    /// gives a public URL. `rtmpPath` is built from the address the ingest
    /// really bound, unless the config gives an RTMP URL.
    pub async fn open(mut config: Config, addr: SocketAddr) -> Result<Self, StartError> {
        // Both listeners' caps under the open-files limit (issue 19).
        let rtmp_asked = config
            .ingest
            .listen
            .map_or(0, |_| config.ingest.max_connections);
        let (https_cap, rtmp_cap) =
            conn::fit_caps(conn::open_files(), config.http.max_connections, rtmp_asked);
        if https_cap < config.http.max_connections || rtmp_cap < rtmp_asked {
            tracing::warn!(
                open_files = conn::open_files(),
                https = https_cap,
                rtmp = rtmp_cap,
                "connection caps lowered to fit the open-files limit"
            );
        }
        config.http.max_connections = https_cap;
        if rtmp_asked > 0 {
            config.ingest.max_connections = rtmp_cap;
        }
        let tls = tls::load(&config.tls, &config.storage)?;
        let rtmp = match config.ingest.listen {
            Some(at) => Some(
                TcpListener::bind(at)
                    .await
                    .map_err(|source| StartError::Io {
                        path: format!("RTMP listener {at}"),
                        source,
                    })?,
            ),
            None => None,
        };
        let rtmp_url = match (&config.rtmp_url, &rtmp) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(l)) => {
                let at = l.local_addr().map_err(|source| StartError::Io {
                    path: "RTMP listener".into(),
                    source,
                })?;
                format!("rtmp://{at}/{}", crate::ingest::rtmp::APP)
            }
            (None, None) => format!("rtmp://127.0.0.1:1935/{}", crate::ingest::rtmp::APP),
        };
        let db = Db::open(&config.storage).await?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let state = AppState(Arc::new(Inner {
            db,
            clock: config.clock.clone(),
            base_url,
            rtmp_url,
            ingest: crate::ingest::Ingest::new(config.ingest.clone(), hls_dir(&config.storage)),
            access_ttl: config.access_ttl,
            refresh_ttl: config.refresh_ttl,
            code_ttl: config.code_ttl,
            admin_token: config
                .admin_token
                .clone()
                .unwrap_or_else(|| crypto::random_token(24)),
            tokens: TokenCache::default(),
            lives: LiveCache::default(),
            trust: crate::trust::Trust::new(&config.trust)?,
            outage_until: Default::default(),
            throttle: crate::throttle::Throttle::new(&config.throttle),
            body_timeout: config.http.body_timeout,
        }));
        if config.seed_demo {
            domain::admin::seed_demo(&state)
                .await
                .map_err(|e| StartError::Other(format!("seeding demo data: {e}")))?;
        }
        Ok(Self {
            state,
            tls,
            simulation: config.simulate,
            rtmp,
            http: config.http,
        })
    }

    /// Where the RTMP ingest listens, if it does.
    pub fn rtmp_addr(&self) -> Option<SocketAddr> {
        self.rtmp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The shared state (operator actions and tests call the domain with it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The router, for `oneshot` tests.
    pub fn router(&self) -> Router {
        crate::http::app(self.state.clone())
    }

    /// Base URL clients use (`https://127.0.0.1:PORT`).
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// Bearer token of the `/admin` routes.
    pub fn admin_token(&self) -> &str {
        &self.state.admin_token
    }

    /// SHA-256 fingerprint of the certificate (`AB:CD:...`), to pin.
    pub fn fingerprint(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.fingerprint.as_str())
    }

    /// The certificate, PEM, to trust.
    pub fn cert_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.cert_pem.as_str())
    }

    /// Serves until `shutdown` resolves; then stops accepting, closes the
    /// RTMP connections, gives open HTTP connections up to 5 s to finish,
    /// stops the simulated audience and closes the database.
    pub async fn run(
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let sim = self
            .simulation
            .map(|s| tokio::spawn(sim::run(self.state.clone(), s)));
        let (stop_rtmp, rtmp_stopped) = tokio::sync::oneshot::channel::<()>();
        let rtmp = self.rtmp.take().map(|l| {
            tokio::spawn(crate::ingest::rtmp::run(self.state.clone(), l, async {
                let _ = rtmp_stopped.await;
            }))
        });
        let router = self.router();
        let acceptor = self
            .tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.server.clone()));
        let limits = self.http.clone();
        let gate = conn::Gate::new("HTTPS", limits.max_connections, limits.max_per_peer, true);
        tracing::info!(
            max = gate.max(),
            per_address = gate.per_peer(),
            idle_s = limits.idle_timeout.as_secs_f64(),
            "HTTPS connections"
        );
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.max_streams);
        // Connections watch this; when it says stop they finish their
        // requests and close. Its `closed()` tells when the last has gone.
        let (stopping, _) = tokio::sync::watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = accept(&listener, "HTTPS") => accepted,
                () = &mut shutdown => break,
            };
            let last = conn::LastActive::new();
            let pass = match gate.admit(peer.ip(), &last) {
                Ok(pass) => pass,
                Err(why) => {
                    gate.refused(peer.ip(), why);
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let svc = router.clone().map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                },
            );
            let svc = TowerToHyperService::new(svc);
            let builder = builder.clone();
            let acceptor = acceptor.clone();
            let stop = stopping.subscribe();
            let limits = limits.clone();
            tokio::spawn(async move {
                let tcp = conn::Activity::new(tcp, last.clone());
                let result = match acceptor {
                    Some(acceptor) => {
                        // Ended early by an eviction or the service stopping.
                        let mut stopped = stop.clone();
                        let handshake = async {
                            tokio::select! {
                                r = acceptor.accept(tcp) => Ok(r),
                                () = pass.evicted() => Err(()),
                                _ = stopped.wait_for(|stop| *stop) => Err(()),
                            }
                        };
                        match tokio::time::timeout(limits.handshake_timeout, handshake)
                            .await
                            .unwrap_or(Err(()))
                        {
                            Ok(Ok(stream)) => {
                                serve_connection(&builder, stream, svc, stop, &pass, &last, &limits)
                                    .await
                            }
                            Ok(Err(e)) => {
                                return tracing::debug!(%peer, error = %e, "TLS handshake failed")
                            }
                            Err(()) => {
                                return tracing::debug!(%peer, "no TLS handshake in time (or evicted, or stopping)")
                            }
                        }
                    }
                    None => serve_connection(&builder, tcp, svc, stop, &pass, &last, &limits).await,
                };
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
        drop(listener);
        let _ = stop_rtmp.send(());
        if let Some(rtmp) = rtmp {
            let _ = rtmp.await;
        }
        if let Some(sim) = sim {
            sim.abort();
        }
        let _ = stopping.send(true);
        if tokio::time::timeout(Duration::from_secs(5), stopping.closed())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after 5 s; closing anyway");
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Serves one connection until it ends, the service stops, nothing
/// moves on it for the idle timeout, or the gate gives its place to a new
/// one (it was the idle one at the cap); the last three close it gracefully
/// (HTTP/1.1: after the request in progress; HTTP/2: GOAWAY, then the
/// open streams finish), and what is still open after another idle
/// timeout is dropped.
async fn serve_connection<I, S>(
    builder: &auto::Builder<TokioExecutor>,
    io: I,
    svc: S,
    mut stop: tokio::sync::watch::Receiver<bool>,
    pass: &conn::Pass,
    last: &conn::LastActive,
    limits: &HttpLimits,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => return result,
        () = last.idle_for(limits.idle_timeout) => {}
        () = pass.evicted() => {}
        _ = stop.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    match tokio::time::timeout(limits.idle_timeout, conn).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

/// Where HLS segments go: beside the database, or a temporary directory
/// of this instance's own when nothing is kept on disk.
fn hls_dir(storage: &crate::config::Storage) -> std::path::PathBuf {
    match storage {
        crate::config::Storage::Dir(dir) => dir.join("hls"),
        crate::config::Storage::Memory => std::env::temp_dir().join(format!(
            "onair-service-hls-{}-{}",
            std::process::id(),
            crypto::random_id()
        )),
    }
}

/// The next connection of `listener`. An error (out of descriptors and the
/// like) is logged at most once a second, and after 50 ms the next accept
/// is tried.
pub(crate) async fn accept(
    listener: &TcpListener,
    which: &str,
) -> (tokio::net::TcpStream, SocketAddr) {
    static SAID: conn::OnceASecond = conn::OnceASecond::new();
    loop {
        match listener.accept().await {
            Ok(c) => return c,
            Err(e) => {
                if SAID.once_a_second() {
                    tracing::warn!(listener = which, error = %e, "accept failed (said at most once a second)");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A service running on its own task: what the desktop app embeds (demo
/// mode) and what tests start. Dropping it asks the service to stop;
/// [`Running::stop`] also waits until the database is closed.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    rtmp_addr: Option<SocketAddr>,
    base_url: String,
    admin_token: String,
    fingerprint: Option<String>,
    cert_pem: Option<String>,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Binds `addr` (port 0 picks a free one), opens the service and
    /// serves on a new task.
    pub async fn start(config: Config, addr: SocketAddr) -> Result<Self, StartError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Io {
                path: addr.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Io {
            path: addr.to_string(),
            source,
        })?;
        let service = Service::open(config, addr).await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let base_url = service.base_url().to_owned();
        let admin_token = service.admin_token().to_owned();
        let fingerprint = service.fingerprint().map(str::to_owned);
        let cert_pem = service.cert_pem().map(str::to_owned);
        let rtmp_addr = service.rtmp_addr();
        let state = service.state().clone();
        let task = tokio::spawn(service.run(listener, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            rtmp_addr,
            base_url,
            admin_token,
            fingerprint,
            cert_pem,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL clients use (`https://127.0.0.1:PORT`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where the RTMP ingest listens, if it does.
    pub fn rtmp_addr(&self) -> Option<SocketAddr> {
        self.rtmp_addr
    }

    /// Bearer token of the `/admin` routes.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// SHA-256 fingerprint of the certificate (`AB:CD:...`), to pin.
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// The shared state (operator actions, tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops serving and waits until open connections are drained and the
    /// database is closed.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens and runs a service on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StartError> {
    let addr = listener.local_addr().map_err(|source| StartError::Io {
        path: "listener".into(),
        source,
    })?;
    let service = Service::open(config, addr).await?;
    service
        .run(listener, shutdown)
        .await
        .map_err(|source| StartError::Io {
            path: "listener".into(),
            source,
        })
}
