//! The reference service in-process on 127.0.0.1 port 0 over real TLS, a
//! profile pinned to its certificate, a scripted browser, and captured
//! logs: for the client's flows against it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use onair_client::{
    Client, ClientOptions, Connector, MemoryStore, PendingLogin, Profile, TokenStore,
};
use onair_service::testing::{client_for, submit_login, Submitted};
use onair_service::{Config, ManualClock, Running, Storage};
use reqwest::Method;
use serde_json::Value;

/// The reference service, running.
pub struct Svc {
    pub running: Running,
    pub clock: Arc<ManualClock>,
    /// Trusts only the service's certificate; does not follow redirects.
    pub http: reqwest::Client,
}

impl std::fmt::Debug for Svc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Svc")
            .field("base_url", &self.running.base_url())
            .finish_non_exhaustive()
    }
}

impl Svc {
    /// In memory, demo data, a manual clock for token expiry.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl Fn(&mut Config)) -> Self {
        Self::start_at("127.0.0.1:0".parse().unwrap(), adjust).await
    }

    /// On `addr` (to restart a stopped service where it was).
    pub async fn start_at(addr: SocketAddr, adjust: impl Fn(&mut Config)) -> Self {
        capture_logs();
        let mut tries = 0;
        let (running, clock) = loop {
            match onair_service::testing::start(addr, &adjust).await {
                Ok(r) => break r,
                // The port of a service just stopped may linger briefly.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("service start: {e}"),
            }
        };
        let http = client_for(running.cert_pem().unwrap());
        Self {
            running,
            clock,
            http,
        }
    }

    /// On a data directory, so a restart keeps logins and chat.
    pub async fn start_in(dir: &Path, addr: SocketAddr) -> Self {
        let dir = dir.to_owned();
        Self::start_at(addr, move |c| c.storage = Storage::Dir(dir.clone())).await
    }

    pub fn base(&self) -> &str {
        self.running.base_url()
    }

    /// The public desktop client, pinned to this service's certificate,
    /// every optional API as configured fallback.
    pub fn profile(&self) -> Profile {
        let mut p = Profile::new("test", "Reference service", self.base(), "onair-desktop");
        p.pinned_sha256 = Some(self.running.fingerprint().unwrap().to_owned());
        p
    }

    /// An operator call (`/admin/...`).
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> u16 {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base()))
            .bearer_auth(self.running.admin_token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap().status().as_u16()
    }
}

/// A connector for `profile` with fast retries.
pub async fn connector(profile: Profile, store: Arc<dyn TokenStore>) -> Connector {
    let options = ClientOptions {
        backoff: std::time::Duration::from_millis(20),
        ..ClientOptions::default()
    };
    Connector::with_options(profile, store, options)
        .await
        .unwrap()
}

/// What the browser saw at our loopback listener.
#[derive(Debug)]
pub struct Landed {
    pub status: u16,
    pub page: String,
}

/// Plays the user: opens the login URL, fills in `user` (password = user
/// name), presses `action`, and follows the redirect to the listener.
pub async fn browse(svc: &Svc, pending: &PendingLogin, user: &str, action: &str) -> Landed {
    let submitted = submit_login(&svc.http, pending.url().as_str(), user, user, action)
        .await
        .unwrap();
    let Submitted::Redirect(location) = submitted else {
        panic!("the login page did not redirect: {submitted:?}");
    };
    assert!(
        location.starts_with(&format!(
            "http://127.0.0.1:{}/callback?",
            pending.local_addr().port()
        )),
        "{location}"
    );
    land(&svc.http, &location).await.expect("listener answers")
}

/// A GET on the listener, as the browser makes it.
pub async fn land(http: &reqwest::Client, url: &str) -> reqwest::Result<Landed> {
    let resp = http.get(url).send().await?;
    Ok(Landed {
        status: resp.status().as_u16(),
        page: resp.text().await?,
    })
}

/// Logs `user` in on a fresh memory store; returns the client and store.
pub async fn login_client(svc: &Svc, user: &str) -> (Client, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let conn = connector(svc.profile(), store.clone()).await;
    let client = login_with(svc, &conn, user).await;
    (client, store)
}

/// A browser login of `user` through `conn`.
pub async fn login_with(svc: &Svc, conn: &Connector, user: &str) -> Client {
    let slot = onair_client::LoginSlot::default();
    let pending = conn.start_login(&slot).await.unwrap();
    let landed = browse(svc, &pending, user, "login").await;
    assert_eq!(landed.status, 200, "{}", landed.page);
    let logged_in = conn.complete_login(pending).await.unwrap();
    let user_id = logged_in.user.unwrap().user_id;
    assert_eq!(user_id.as_str(), user);
    logged_in.client
}

/// Every log line of the test binary (TRACE, but connection-level
/// chatter of h2/hyper/sqlx at INFO), from the first service
/// start on.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let buf = LOGS.get_or_init(Default::default).clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("trace,h2=info,hyper=info,hyper_util=info,rustls=debug,sqlx=info")
            .with_ansi(false)
            .with_writer(move || Sink(buf.clone()))
            .try_init();
    });
}
