//! A standard OpenID Connect provider for logins that are not the
//! reference service's own: node's oidc-provider, configured in
//! `tests/oidc/server.mjs` (its clients, its two issuers), started here on
//! 127.0.0.1 over TLS with a certificate made for the run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use onair_client::Profile;

use crate::app::workspace;

/// The provider, running; stopped on drop.
#[derive(Debug)]
pub struct Op {
    child: Child,
    dir: PathBuf,
    access_ttl: u64,
    /// `https://127.0.0.1:PORT`: the root issuer.
    pub base: String,
    pub cert_pem: String,
    /// SHA-256 of the certificate, `AB:CD:...`, to pin.
    pub fingerprint: String,
    /// Trusts only the provider's certificate; no redirects followed.
    pub http: reqwest::Client,
}

/// The issuer with a path (a Keycloak realm's shape), which takes pushed
/// authorization requests only (RFC 9126).
pub const REALM: &str = "/realms/test";
/// The confidential client the reference service introspects with.
pub const SERVICE_CLIENT: &str = "onair-service";
pub const SERVICE_SECRET: &str = "service-secret";
/// The audience of the JWT access tokens the `onair-jwt` client gets.
pub const API_AUDIENCE: &str = "https://onair.test/api";

impl Op {
    /// Access tokens live `access_ttl` seconds.
    pub fn start(access_ttl: u64) -> Self {
        static RUN: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "onair-oidc-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let cert_pem = cert.cert.pem();
        std::fs::write(dir.join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
        let fingerprint = onair_service::tls::fingerprint(cert.cert.der());
        let (child, port) = spawn(&dir, access_ttl, 0);
        let base = format!("https://127.0.0.1:{port}");
        let http = onair_service::testing::client_for(&cert_pem);
        Self {
            child,
            dir,
            access_ttl,
            base,
            cert_pem,
            fingerprint,
            http,
        }
    }

    /// Stops the provider and starts a new one on the same port and
    /// certificate: its logins are gone and its signing keys are new, with
    /// new ids (a key rotation, as a real server's restart may be).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port: u16 = self.base.rsplit(':').next().unwrap().parse().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match try_spawn(&self.dir, self.access_ttl, port) {
                Ok((child, _)) => {
                    self.child = child;
                    return;
                }
                // The port may linger a moment.
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// `https://127.0.0.1:PORT/realms/test`.
    pub fn realm(&self) -> String {
        format!("{}{REALM}", self.base)
    }

    /// The certificate, and its key: a reference service started on them
    /// ([`Op::service_config`]) is reached with the same pin.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// Sets a reference service up to trust `issuers` of this provider
    /// (`--trust-issuer`), JWTs for `audience`, introspection with the
    /// service's client, on this provider's certificate.
    pub fn service_config(
        &self,
        config: &mut onair_service::Config,
        issuers: &[String],
        audience: &str,
    ) {
        config.tls = onair_service::Tls::Files {
            cert: self.cert_path(),
            key: self.key_path(),
        };
        config.trust = onair_service::TrustConfig {
            issuers: issuers.to_vec(),
            audience: Some(audience.to_owned()),
            client_id: Some(SERVICE_CLIENT.to_owned()),
            client_secret: Some(onair_api::Secret::new(SERVICE_SECRET)),
            ca_pem: Some(self.cert_pem.clone()),
            ..onair_service::TrustConfig::default()
        };
    }

    /// A profile whose API is at `api_domain` and whose login is at
    /// `issuer` (the root when `None`), pinned to `pin`.
    pub fn profile(
        &self,
        api_domain: &str,
        issuer: Option<&str>,
        client_id: &str,
        pin: &str,
    ) -> Profile {
        let mut p = Profile::new("oidc", "Standard login", api_domain, client_id);
        p.issuer = issuer.map(str::to_owned);
        p.pinned_sha256 = Some(pin.to_owned());
        p
    }

    /// The system browser stand-in (`scripts/scripted-browser`) on `url`:
    /// logs in as `user` (or denies), trusting `cacert`. Blocking.
    pub fn browse(url: &str, user: &str, action: &str, cacert: &Path) -> String {
        let out = Command::new(workspace().join("scripts/scripted-browser"))
            .arg(url)
            .env("ONAIR_BROWSER_USER", user)
            .env("ONAIR_BROWSER_ACTION", action)
            .env("ONAIR_BROWSER_CACERT", cacert)
            .output()
            .expect("python3 runs the scripted browser");
        assert!(
            out.status.success(),
            "scripted browser: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// Starts `tests/oidc/server.mjs` on `port` (0: any) with the
/// certificate in `dir`; the child and its port once it listens.
fn spawn(dir: &Path, access_ttl: u64, port: u16) -> (Child, u16) {
    try_spawn(dir, access_ttl, port).unwrap_or_else(|e| panic!("{e}"))
}

fn try_spawn(dir: &Path, access_ttl: u64, port: u16) -> Result<(Child, u16), String> {
    assert!(
        workspace()
            .join("tests/oidc/node_modules/oidc-provider")
            .exists(),
        "oidc-provider is not installed: `make oidc-deps` (make test does)"
    );
    let log = dir.join("provider.log");
    let mut child = Command::new("node")
        .arg(workspace().join("tests/oidc/server.mjs"))
        .arg(dir.join("cert.pem"))
        .arg(dir.join("key.pem"))
        .arg(port.to_string())
        .env("OIDC_ACCESS_TTL", access_ttl.to_string())
        .env("OIDC_API_AUDIENCE", API_AUDIENCE)
        .env("OIDC_SERVICE_SECRET", SERVICE_SECRET)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("node (make test installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    match serde_json::from_str::<serde_json::Value>(&line) {
        Ok(ready) => Ok((child, ready["port"].as_u64().expect("a port") as u16)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "the provider did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ))
        }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
