//! Access tokens of standard OAuth 2.0 / OpenID Connect servers that the
//! service trusts (`--trust-issuer`), accepted by the API beside its own:
//! a service that logs its users in with Keycloak, Ory Hydra, Auth0 or
//! node's oidc-provider keeps its API here.
//!
//! - A JWT access token (RFC 9068) is checked against its issuer's keys
//!   (`jwks_uri` of its metadata, RFC 8414 §2), read again when a token
//!   names a key not seen yet (a rotation), at most every 10 s
//!   ([`TrustConfig::jwks_refetch`]): `typ` `at+jwt` (§4), `iss` exactly a trusted
//!   issuer, `aud` the configured audience when one is set, `exp`, `nbf`.
//! - Any other token is introspected (RFC 7662 §2) at the trusted issuers
//!   with the service's own client credentials; answers, `active: false`
//!   included, are kept for at most [`INTROSPECTION_TTL`].
//! - Unknown issuer, bad signature, expiry, wrong audience, inactive: the
//!   API answers 401, and nothing is created. The caller's `sub` maps to
//!   a service user, created on first sight ([`crate::domain::external`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use onair_api::jose::{self, Expect, JoseError, Jwks};
use onair_api::{AuthServerMetadata, Secret};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::TrustConfig;
use crate::error::StartError;

/// Longest an introspection answer is used.
pub const INTROSPECTION_TTL: Duration = Duration::from_secs(30);
/// Clock skew allowed on a JWT's `exp` and `nbf`: servers keep time.
pub const LEEWAY: Duration = Duration::from_secs(5);
/// Answers kept at most; beyond, the cache starts over.
const MAX_CACHED: usize = 10_000;

/// A person at a trusted issuer, as a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub issuer: String,
    pub sub: String,
    /// `name`, `preferred_username` or `username`, when the token says.
    pub name: Option<String>,
    /// Until when the token is good (at most [`INTROSPECTION_TTL`] ahead
    /// for an introspected one).
    pub good_for: Duration,
}

/// Why a token of another server is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWT of a trusted issuer, and no trusted issuer knows it.
    Unknown,
    /// A JWT of a trusted issuer that fails a check.
    Token(JoseError),
    /// RFC 7662 §2.2: `active: false`.
    Inactive,
    /// The issuer could not be asked (its metadata, keys or introspection).
    Unreachable(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unknown => f.write_str("invalid access token"),
            Refusal::Token(e) => e.fmt(f),
            Refusal::Inactive => f.write_str("the login server says the token is not active"),
            Refusal::Unreachable(m) => write!(f, "the login server cannot be asked: {m}"),
        }
    }
}

/// The trusted issuers and what is known of them.
#[derive(Debug)]
pub struct Trust {
    issuers: Vec<Issuer>,
    audience: Option<String>,
    client: Option<(String, Secret)>,
    jwks_refetch: Duration,
    http: reqwest::Client,
    /// By SHA-256 of the token: when asked, and the answer.
    introspected: Mutex<HashMap<[u8; 32], Asked>>,
}

/// An introspection answer and when it was given (`None`: inactive).
type Asked = (Instant, Option<Subject>);

#[derive(Debug)]
struct Issuer {
    issuer: String,
    meta: tokio::sync::Mutex<Option<Arc<AuthServerMetadata>>>,
    keys: tokio::sync::Mutex<Option<(Instant, Arc<Jwks>)>>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(flatten)]
    names: jose::Names,
    #[serde(default)]
    exp: Option<u64>,
}

impl Claims {
    fn name(&self) -> Option<String> {
        self.names.best()
    }

    fn good_for(&self, cap: Option<Duration>) -> Duration {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let left = self.exp.map_or(INTROSPECTION_TTL, |exp| {
            Duration::from_secs(exp.saturating_sub(now))
        });
        cap.map_or(left, |c| left.min(c))
    }
}

#[derive(Debug, Deserialize)]
struct Introspection {
    #[serde(default)]
    active: bool,
    #[serde(default)]
    iss: Option<String>,
    #[serde(flatten)]
    claims: Option<Claims>,
}

impl Trust {
    /// `None` when no issuer is trusted.
    pub fn new(config: &TrustConfig) -> Result<Option<Self>, StartError> {
        if config.issuers.is_empty() {
            return Ok(None);
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        for cert in rustls_native_certs::load_native_certs().certs {
            if let Ok(c) = reqwest::Certificate::from_der(&cert) {
                builder = builder.add_root_certificate(c);
            }
        }
        if let Some(pem) = &config.ca_pem {
            let c = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| StartError::Other(format!("--trust-ca: {e}")))?;
            builder = builder.add_root_certificate(c);
        }
        let http = builder
            .build()
            .map_err(|e| StartError::Other(format!("HTTP client: {e}")))?;
        let client = match (&config.client_id, &config.client_secret) {
            (Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
            (None, None) => None,
            _ => {
                return Err(StartError::Other(
                    "--trust-client-id and its secret (ONAIR_TRUST_CLIENT_SECRET) go together"
                        .into(),
                ))
            }
        };
        Ok(Some(Self {
            issuers: config
                .issuers
                .iter()
                .map(|i| Issuer {
                    issuer: i.clone(),
                    meta: Default::default(),
                    keys: Default::default(),
                })
                .collect(),
            audience: config.audience.clone(),
            client,
            jwks_refetch: config.jwks_refetch,
            http,
            introspected: Mutex::default(),
        }))
    }

    /// The trusted issuers, as configured.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|i| i.issuer.as_str())
    }

    /// Who `token` is of, or why it is refused.
    pub async fn check(&self, token: &str) -> Result<Subject, Refusal> {
        match unverified_issuer(token) {
            Some(iss) => {
                let issuer = self
                    .issuers
                    .iter()
                    .find(|i| i.issuer == iss)
                    .ok_or(Refusal::Token(JoseError::Issuer))?;
                self.check_jwt(issuer, token).await
            }
            None => self.introspect(token).await,
        }
    }

    async fn check_jwt(&self, issuer: &Issuer, token: &str) -> Result<Subject, Refusal> {
        let expect = Expect {
            issuer: &issuer.issuer,
            audience: self.audience.as_deref(),
            access_token: true,
            leeway_secs: LEEWAY.as_secs(),
        };
        let mut fresh = false;
        loop {
            let keys = self.keys(issuer, fresh).await?;
            match jose::verify::<Claims>(token, &keys, &expect) {
                Ok(claims) => {
                    return Ok(Subject {
                        issuer: issuer.issuer.clone(),
                        name: claims.name(),
                        good_for: claims.good_for(None),
                        sub: claims.sub,
                    })
                }
                // A key not seen yet: the issuer may have rotated.
                Err(JoseError::UnknownKey) if !fresh => fresh = true,
                Err(e) => return Err(Refusal::Token(e)),
            }
        }
    }

    async fn metadata(&self, issuer: &Issuer) -> Result<Arc<AuthServerMetadata>, Refusal> {
        let mut meta = issuer.meta.lock().await;
        if let Some(m) = &*meta {
            return Ok(m.clone());
        }
        let unreachable = |e: String| Refusal::Unreachable(format!("{}: {e}", issuer.issuer));
        let locations = onair_api::oauth::metadata_locations(&issuer.issuer)
            .ok_or_else(|| unreachable("not an https issuer".into()))?;
        for url in locations {
            let resp = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| unreachable(e.without_url().to_string()))?;
            if !resp.status().is_success() {
                continue;
            }
            let Ok(m) = resp.json::<AuthServerMetadata>().await else {
                continue;
            };
            // RFC 8414 §3.3.
            if m.issuer != issuer.issuer {
                return Err(unreachable(format!(
                    "its metadata names issuer {:?}",
                    m.issuer
                )));
            }
            let m = Arc::new(m);
            *meta = Some(m.clone());
            return Ok(m);
        }
        Err(unreachable(
            "no metadata (RFC 8414, OpenID Connect Discovery)".into(),
        ))
    }

    /// The issuer's keys, read again when `fresh` and the last read is
    /// older than `jwks_refetch`.
    async fn keys(&self, issuer: &Issuer, fresh: bool) -> Result<Arc<Jwks>, Refusal> {
        let meta = self.metadata(issuer).await?;
        let mut keys = issuer.keys.lock().await;
        if let Some((read, k)) = &*keys {
            if !fresh || read.elapsed() < self.jwks_refetch {
                return Ok(k.clone());
            }
        }
        let unreachable = |e: String| Refusal::Unreachable(format!("{}: {e}", issuer.issuer));
        let uri = meta
            .jwks_uri
            .as_deref()
            .ok_or_else(|| unreachable("no jwks_uri".into()))?;
        let resp = self
            .http
            .get(uri)
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(unreachable(format!("jwks_uri answered {}", resp.status())));
        }
        let read: Jwks = resp.json().await.map_err(|e| unreachable(e.to_string()))?;
        let read = Arc::new(read);
        *keys = Some((Instant::now(), read.clone()));
        Ok(read)
    }

    /// RFC 7662 at each trusted issuer that has an introspection endpoint,
    /// until one says the token is active.
    async fn introspect(&self, token: &str) -> Result<Subject, Refusal> {
        let Some((client_id, secret)) = &self.client else {
            return Err(Refusal::Unknown);
        };
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((asked, answer)) = self.introspected.lock().expect("cache").get(&key) {
            if asked.elapsed() < INTROSPECTION_TTL {
                return answer
                    .clone()
                    .map(|s| Subject {
                        good_for: s.good_for.saturating_sub(asked.elapsed()),
                        ..s
                    })
                    .ok_or(Refusal::Inactive);
            }
        }
        let mut asked_any = false;
        let mut answer = None;
        for issuer in &self.issuers {
            let meta = self.metadata(issuer).await?;
            let Some(endpoint) = meta.introspection_endpoint.as_deref() else {
                continue;
            };
            asked_any = true;
            let unreachable = |e: String| Refusal::Unreachable(format!("{}: {e}", issuer.issuer));
            let resp = self
                .http
                .post(endpoint)
                .basic_auth(client_id, Some(secret.expose()))
                .header("accept", "application/json")
                .form(&[("token", token), ("token_type_hint", "access_token")])
                .send()
                .await
                .map_err(|e| unreachable(e.without_url().to_string()))?;
            if !resp.status().is_success() {
                return Err(unreachable(format!(
                    "introspection answered {}",
                    resp.status()
                )));
            }
            let said: Introspection = resp.json().await.map_err(|e| unreachable(e.to_string()))?;
            // §2.2: `iss`, when given, must be this issuer.
            let of_issuer = said.iss.as_deref().is_none_or(|i| i == issuer.issuer);
            if let (true, true, Some(claims)) = (said.active, of_issuer, said.claims) {
                answer = Some(Subject {
                    issuer: issuer.issuer.clone(),
                    name: claims.name(),
                    good_for: claims.good_for(Some(INTROSPECTION_TTL)),
                    sub: claims.sub,
                });
                break;
            }
        }
        if !asked_any {
            return Err(Refusal::Unknown);
        }
        {
            let mut cache = self.introspected.lock().expect("cache");
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), answer.clone()));
        }
        answer.ok_or(Refusal::Inactive)
    }

    /// The user's name from the issuer's userinfo endpoint (OpenID Connect
    /// Core §5.3), asked with their token, for a user seen the first time
    /// whose token names nobody.
    pub async fn userinfo_name(&self, issuer: &str, token: &str) -> Option<String> {
        let issuer = self.issuers.iter().find(|i| i.issuer == issuer)?;
        let meta = self.metadata(issuer).await.ok()?;
        let resp = self
            .http
            .get(meta.userinfo_endpoint.as_deref()?)
            .bearer_auth(token)
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json::<Claims>().await.ok()?.name()
    }
}

/// The `iss` of a token shaped as a JWS, read without checking anything:
/// only to choose the issuer whose keys then check it.
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    #[derive(Deserialize)]
    struct Iss {
        iss: String,
    }
    serde_json::from_slice::<Iss>(&bytes).ok().map(|i| i.iss)
}
