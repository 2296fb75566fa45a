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

use crate::config::Config;
use crate::db::Db;
use crate::error::StartError;
use crate::state::{AppState, Inner, LiveCache, TokenCache};
use crate::tls::{self, TlsMaterial};
use crate::{crypto, domain, sim};

/// A prepared service instance.
#[derive(Debug)]
pub struct Service {
    state: AppState,
    tls: Option<TlsMaterial>,
    simulation: Option<crate::config::Simulation>,
    /// The RTMP ingest's listener, when there is one.
    rtmp: Option<TcpListener>,
}

impl Service {
    /// Opens the database (migrating it), loads or creates the certificate,
    /// binds the RTMP ingest's listener if the config asks for one, and
    /// seeds demo data if asked. `addr` is where the service will listen;
    /// it names the service in links and as OAuth issuer unless the config
    /// gives a public URL. `rtmpPath` is built from the address the ingest
    /// really bound, unless the config gives an RTMP URL.
    pub async fn open(config: Config, addr: SocketAddr) -> Result<Self, StartError> {
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
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = accept(&listener, "HTTPS") => accepted,
                () = &mut shutdown => break,
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
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let result = match acceptor {
                    Some(acceptor) => {
                        match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                            .await
                        {
                            Ok(Ok(stream)) => {
                                watcher
                                    .watch(
                                        builder
                                            .serve_connection_with_upgrades(
                                                TokioIo::new(stream),
                                                svc,
                                            )
                                            .into_owned(),
                                    )
                                    .await
                            }
                            Ok(Err(e)) => {
                                return tracing::debug!(%peer, error = %e, "TLS handshake failed")
                            }
                            Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                    None => {
                        watcher
                            .watch(
                                builder
                                    .serve_connection_with_upgrades(TokioIo::new(tcp), svc)
                                    .into_owned(),
                            )
                            .await
                    }
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
        if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after 5 s; closing anyway");
        }
        self.state.db.close().await;
        Ok(())
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
/// like) is logged, and after 50 ms the next accept is tried.
pub(crate) async fn accept(
    listener: &TcpListener,
    which: &str,
) -> (tokio::net::TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(c) => return c,
            Err(e) => {
                tracing::warn!(listener = which, error = %e, "accept failed");
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
