//! A service and a logged-in session with it.
//!
//! [`Connector`] is one profile made ready to talk: its HTTP client (with
//! the profile's TLS trust), its endpoints (RFC 8414 discovery or the
//! profile), its client credentials. It starts logins and restores them
//! from the token store.
//!
//! [`Client`] is a login: tokens, the account, and one typed method per
//! call of spec §3-§5. Access tokens live in memory; they are refreshed
//! ahead of expiry and on a 401, one refresh at a time however many calls
//! wait on it (they queue on the token lock). A rotated refresh token is
//! saved to the store before it is used. A refused refresh turns the client
//! into "login required" once: every later call fails fast without
//! touching the network, until a new login.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onair_api::{
    BanTime, Capabilities, Channel, ChannelData, ChannelList, ChannelLive, ChatListRequest,
    ChatMessage, ChatPage, ChatSend, ChatSent, CreateLive, Envelope, ErrorName, EventList, Live,
    LiveData, LiveList, OptionalApi, Secret, SessionList, StatusFilter, StreamKey, User, UserData,
};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::{DeserializeOwned, IgnoredAny};
use tokio::sync::watch;
use url::Url;

use crate::error::{Error, Result};
use crate::login::{LoginRequest, LoginSlot, PendingLogin};
use crate::oauth::{self, ClientAuth, Endpoints, Grant, TokenError, Tokens};
use crate::oidc::{self, Identity};
use crate::profile::Profile;
use crate::store::{self, Credentials, TokenStore, PROFILE_ENTRY};

/// Tunables of a connector and its clients.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Refresh this long before the access token expires (at most a tenth
    /// of its lifetime, so short-lived tokens are not refreshed at once).
    pub refresh_ahead: Duration,
    /// Tries of an idempotent GET on transport errors, 5xx and 429.
    pub attempts: u32,
    /// First backoff of those retries; doubles, with ±50 % jitter.
    pub backoff: Duration,
    /// A 429's `Retry-After` longer than this is reported, not waited out.
    pub max_retry_after: Duration,
    /// How long the browser login may take.
    pub login_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(60),
            attempts: 3,
            backoff: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
            login_timeout: crate::login::DEFAULT_TIMEOUT,
        }
    }
}

/// Where a client's login stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStatus {
    LoggedIn,
    /// The service refused the refresh token: log in again.
    LoginRequired,
    LoggedOut,
}

/// One profile, ready to log in.
#[derive(Debug, Clone)]
pub struct Connector(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    profile: Profile,
    http: reqwest::Client,
    endpoints: Endpoints,
    auth: ClientAuth,
    store: Arc<dyn TokenStore>,
    options: ClientOptions,
}

/// A finished browser login: the client has its tokens (already saved)
/// even when finding out who logged in failed (`user` says why);
/// [`Client::whoami`] can try again.
#[derive(Debug)]
pub struct LoggedIn {
    pub client: Client,
    pub user: Result<User>,
}

impl Connector {
    /// Validates the profile, reads its client secret from the store, and
    /// discovers its endpoints (a network call).
    pub async fn new(profile: Profile, store: Arc<dyn TokenStore>) -> Result<Self> {
        Self::with_options(profile, store, ClientOptions::default()).await
    }

    pub async fn with_options(
        profile: Profile,
        store: Arc<dyn TokenStore>,
        options: ClientOptions,
    ) -> Result<Self> {
        profile.validate()?;
        let http = crate::tls::http_client(profile.pinned_sha256.as_deref())?;
        let client_secret = if profile.has_client_secret {
            let (s, id) = (store.clone(), profile.id.clone());
            let creds = store::blocking(move || s.load(&id, PROFILE_ENTRY)).await?;
            Some(creds.and_then(|c| c.client_secret).ok_or_else(|| {
                Error::profile(
                    "clientSecret",
                    "the profile needs a client secret and none is stored",
                )
            })?)
        } else {
            None
        };
        let endpoints = oauth::discover(&http, &profile).await?;
        Ok(Self(Arc::new(Shared {
            auth: ClientAuth {
                client_id: profile.client_id.clone(),
                client_secret,
            },
            profile,
            http,
            endpoints,
            store,
            options,
        })))
    }

    /// Keeps a profile's client secret in the store (never in the file).
    pub async fn save_client_secret(
        store: Arc<dyn TokenStore>,
        profile_id: &str,
        secret: Option<Secret>,
    ) -> Result<()> {
        let id = profile_id.to_owned();
        store::blocking(move || match secret {
            Some(s) => store.save(
                &id,
                PROFILE_ENTRY,
                &Credentials {
                    refresh_token: None,
                    client_secret: Some(s),
                    password: None,
                },
            ),
            None => store.delete(&id, PROFILE_ENTRY),
        })
        .await
    }

    pub fn profile(&self) -> &Profile {
        &self.0.profile
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.0.endpoints
    }

    /// Starts a browser login (see [`crate::login`]); a login already
    /// running in `slot` is cancelled.
    pub async fn start_login(&self, slot: &LoginSlot) -> Result<PendingLogin> {
        let (scopes, consent) = oauth::login_scopes(&self.0.profile, &self.0.endpoints);
        PendingLogin::start(
            slot,
            LoginRequest {
                http: &self.0.http,
                client: &self.0.auth,
                endpoints: &self.0.endpoints,
                scopes: &scopes,
                consent,
                timeout: self.0.options.login_timeout,
            },
        )
        .await
    }

    /// Waits for the browser, exchanges the code, checks the ID token when
    /// there is one, and keeps the login at once (its refresh token saved
    /// under the profile); then finds out who logged in
    /// ([`Client::whoami`]), which moves it under that account.
    pub async fn complete_login(&self, pending: PendingLogin) -> Result<LoggedIn> {
        let nonce = pending.nonce().map(str::to_owned);
        let tokens = pending.finish(&self.0.http, &self.0.auth).await?;
        let identity = match &tokens.id_token {
            Some(id_token) => Some(
                oidc::check_id_token(
                    &self.0.http,
                    &self.0.endpoints,
                    &self.0.auth.client_id,
                    id_token,
                    nonce.as_deref(),
                )
                .await?,
            ),
            None => None,
        };
        let client = Client::new(self.0.clone(), tokens, None);
        *client.0.identity.lock().expect("identity lock") = identity;
        let refresh = client.0.tokens.lock().await.refresh.clone();
        if refresh.is_some() {
            if let Err(e) = client.save_refresh(None, refresh).await {
                tracing::warn!(error = %e, "could not keep the new login");
            }
        }
        let user = client.whoami().await;
        Ok(LoggedIn { client, user })
    }

    /// A client from the stored login: a login whose account was not known
    /// yet (kept under the profile) first, as it is the newest; else the
    /// one of `account`. The first call refreshes it.
    pub async fn restore_saved(&self, account: Option<&str>) -> Result<Option<Client>> {
        if let Some(client) = self.restore_entry(PROFILE_ENTRY).await? {
            return Ok(Some(client));
        }
        match account {
            Some(account) => self.restore_entry(account).await,
            None => Ok(None),
        }
    }

    /// A client from the refresh token stored for `account`, if any. The
    /// first call refreshes it.
    pub async fn restore(&self, account: &str) -> Result<Option<Client>> {
        self.restore_entry(account).await
    }

    async fn restore_entry(&self, account: &str) -> Result<Option<Client>> {
        let (s, id, acc) = (
            self.0.store.clone(),
            self.0.profile.id.clone(),
            account.to_owned(),
        );
        let creds = store::blocking(move || s.load(&id, &acc)).await?;
        let Some(refresh) = creds.and_then(|c| c.refresh_token) else {
            return Ok(None);
        };
        let client = Client::new(
            self.0.clone(),
            Tokens {
                access: Secret::default(),
                refresh: Some(refresh),
                expires_at: Some(Instant::now()),
                id_token: None,
            },
            (account != PROFILE_ENTRY).then(|| account.to_owned()),
        );
        Ok(Some(client))
    }
}

/// A login with one service; cheap to clone (watchers hold clones).
#[derive(Debug, Clone)]
pub struct Client(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    api: Url,
    tokens: tokio::sync::Mutex<TokenState>,
    account: Mutex<Option<String>>,
    /// Who the login server says logged in (a checked ID token).
    identity: Mutex<Option<Identity>>,
    status: watch::Sender<AuthStatus>,
    /// What the service offers, asked once: the usable optional APIs and
    /// the onair extensions.
    offer: Mutex<Option<(Vec<OptionalApi>, Vec<onair_api::Extension>)>>,
    own_stops: Mutex<HashSet<String>>,
    refreshes: AtomicU64,
}

#[derive(Debug)]
struct TokenState {
    access: Option<Secret>,
    /// When to refresh ahead of expiry; `None`: until the service says 401.
    refresh_at: Option<Instant>,
    refresh: Option<Secret>,
    /// Bumped on every new access token, so a 401 only discards the token
    /// the failed call used.
    generation: u64,
    login_required: bool,
}

impl Client {
    fn new(shared: Arc<Shared>, tokens: Tokens, account: Option<String>) -> Self {
        let api = shared
            .profile
            .url(onair_api::BASE_PATH)
            .expect("validated profile");
        let mut state = TokenState {
            access: None,
            refresh_at: None,
            refresh: None,
            generation: 0,
            login_required: false,
        };
        state.install(tokens, shared.options.refresh_ahead);
        Self(Arc::new(Inner {
            shared,
            api,
            tokens: tokio::sync::Mutex::new(state),
            account: Mutex::new(account),
            identity: Mutex::new(None),
            status: watch::Sender::new(AuthStatus::LoggedIn),
            offer: Mutex::new(None),
            own_stops: Mutex::new(HashSet::new()),
            refreshes: AtomicU64::new(0),
        }))
    }

    pub fn profile(&self) -> &Profile {
        &self.0.shared.profile
    }

    /// The key this login is stored under once known: the API's user id,
    /// or the login server's issuer and `sub` ([`Identity::account`]).
    pub fn account(&self) -> Option<String> {
        self.0.account.lock().expect("account lock").clone()
    }

    /// Follows the login's status ([`AuthStatus::LoginRequired`] is sent
    /// once, when a refresh is refused).
    pub fn auth_status(&self) -> watch::Receiver<AuthStatus> {
        self.0.status.subscribe()
    }

    /// Refreshes done so far (for tests and diagnostics).
    pub fn refresh_count(&self) -> u64 {
        self.0.refreshes.load(Ordering::Relaxed)
    }

    /// Revokes the login at the service (RFC 7009, when it has an
    /// endpoint) and deletes the stored refresh token. The local side is
    /// forgotten even when the service cannot be reached.
    pub async fn logout(&self) -> Result<()> {
        let refresh = {
            let mut st = self.0.tokens.lock().await;
            st.access = None;
            st.login_required = true;
            // Said at once, so watchers stop before the network calls.
            self.0.status.send_replace(AuthStatus::LoggedOut);
            st.refresh.take()
        };
        let shared = &self.0.shared;
        let revoked = match &refresh {
            Some(r) => oauth::revoke(&shared.http, &shared.endpoints, &shared.auth, r).await,
            None => Ok(()),
        };
        self.save_refresh(self.account().as_deref(), None).await?;
        revoked
    }

    /// After [`AuthStatus::LoginRequired`]: takes over the tokens of a new
    /// login of the same account, so watchers holding this client resume
    /// where they were. `fresh` is logged out locally (two clients must not
    /// share one rotating refresh token).
    pub async fn adopt(&self, fresh: &Client) -> Result<()> {
        if fresh.account().is_none() || fresh.account() != self.account() {
            return Err(Error::Invalid("the new login is of another account".into()));
        }
        let (access, refresh, refresh_at) = {
            let mut theirs = fresh.0.tokens.lock().await;
            theirs.login_required = true;
            (
                theirs.access.take(),
                theirs.refresh.take(),
                theirs.refresh_at,
            )
        };
        fresh.0.status.send_replace(AuthStatus::LoggedOut);
        let mut st = self.0.tokens.lock().await;
        st.access = access;
        st.refresh = refresh;
        st.refresh_at = refresh_at;
        st.generation += 1;
        st.login_required = false;
        self.0.status.send_replace(AuthStatus::LoggedIn);
        Ok(())
    }

    // ----- tokens -------------------------------------------------------

    /// A usable access token and its generation; refreshes first when it
    /// is missing or about to expire.
    async fn access(&self) -> Result<(Secret, u64)> {
        let mut st = self.0.tokens.lock().await;
        if st.login_required {
            return Err(Error::LoginRequired);
        }
        let fresh = st.access.is_some() && st.refresh_at.is_none_or(|t| Instant::now() < t);
        if !fresh {
            self.refresh_locked(&mut st).await?;
        }
        let access = st.access.clone().ok_or(Error::LoginRequired)?;
        Ok((access, st.generation))
    }

    /// The service said 401 to the token of `generation`: drop it, unless a
    /// newer one has come meanwhile.
    async fn rejected(&self, generation: u64) {
        let mut st = self.0.tokens.lock().await;
        if st.generation == generation {
            st.access = None;
        }
    }

    /// RFC 6749 §6, with the token lock held: one refresh at a time.
    async fn refresh_locked(&self, st: &mut TokenState) -> Result<()> {
        let shared = &self.0.shared;
        let Some(refresh) = st.refresh.clone() else {
            return Err(self.login_required(st).await);
        };
        match oauth::token(
            &shared.http,
            &shared.endpoints,
            &shared.auth,
            Grant::Refresh(&refresh),
        )
        .await
        {
            Ok(mut tokens) => {
                self.0.refreshes.fetch_add(1, Ordering::Relaxed);
                // Services that do not rotate keep the old refresh token.
                if tokens.refresh.is_none() {
                    tokens.refresh = Some(refresh);
                }
                // Saved before it is used: a crash now must not strand the
                // login on a spent token.
                let account = self.account();
                if let Err(e) = self
                    .save_refresh(account.as_deref(), tokens.refresh.clone())
                    .await
                {
                    tracing::warn!(error = %e, "could not save the rotated refresh token");
                }
                // OpenID Connect Core §12.2: a new ID token is checked as
                // the first was, without a nonce.
                if let Some(id_token) = &tokens.id_token {
                    match oidc::check_id_token(
                        &shared.http,
                        &shared.endpoints,
                        &shared.auth.client_id,
                        id_token,
                        None,
                    )
                    .await
                    {
                        Ok(identity) => {
                            *self.0.identity.lock().expect("identity lock") = Some(identity);
                        }
                        Err(e) => tracing::warn!(error = %e, "refreshed ID token not used"),
                    }
                }
                st.install(tokens, shared.options.refresh_ahead);
                Ok(())
            }
            Err(TokenError::Refused { error, .. }) => {
                tracing::info!(%error, "refresh refused; login required");
                Err(self.login_required(st).await)
            }
            Err(TokenError::Failed(e)) => Err(e),
        }
    }

    async fn login_required(&self, st: &mut TokenState) -> Error {
        st.access = None;
        st.refresh = None;
        if !st.login_required {
            st.login_required = true;
            if let Err(e) = self.save_refresh(self.account().as_deref(), None).await {
                tracing::warn!(error = %e, "could not forget the refused refresh token");
            }
            self.0.status.send_replace(AuthStatus::LoginRequired);
        }
        Error::LoginRequired
    }

    /// Keeps (or, with `None`, forgets) the refresh token under the
    /// account, or under the profile's own entry while the account is not
    /// known (that entry keeps its client secret).
    async fn save_refresh(&self, account: Option<&str>, refresh: Option<Secret>) -> Result<()> {
        let shared = &self.0.shared;
        let (s, id, acc) = (
            shared.store.clone(),
            shared.profile.id.clone(),
            account.unwrap_or(PROFILE_ENTRY).to_owned(),
        );
        let client_secret = shared.auth.client_secret.clone();
        store::blocking(move || {
            let keep_secret = acc == PROFILE_ENTRY && client_secret.is_some();
            match refresh {
                Some(r) => s.save(
                    &id,
                    &acc,
                    &Credentials {
                        refresh_token: Some(r),
                        client_secret,
                        password: None,
                    },
                ),
                None if keep_secret => s.save(
                    &id,
                    &acc,
                    &Credentials {
                        refresh_token: None,
                        client_secret,
                        password: None,
                    },
                ),
                None => s.delete(&id, &acc),
            }
        })
        .await
    }

    /// Names the account the login is stored under; when that is new, the
    /// refresh token moves there (from the profile's entry, or from the
    /// account it was known as before).
    async fn set_account(&self, account: &str) -> Result<()> {
        let before = {
            let mut known = self.0.account.lock().expect("account lock");
            if known.as_deref() == Some(account) {
                return Ok(());
            }
            known.replace(account.to_owned())
        };
        let refresh = self.0.tokens.lock().await.refresh.clone();
        if refresh.is_some() {
            self.save_refresh(Some(account), refresh).await?;
            self.save_refresh(before.as_deref(), None).await?;
        }
        Ok(())
    }

    // ----- requests -----------------------------------------------------

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.0.api.clone();
        url.path_segments_mut()
            .expect("https URL has segments")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// One call with auth, retries and envelope decoding. Only GETs are
    /// retried: the other calls change things.
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<Option<T>> {
        let opts = &self.0.shared.options;
        let retry = method == Method::GET;
        let mut attempt = 0;
        let mut reauthorised = false;
        loop {
            attempt += 1;
            let (token, generation) = self.access().await?;
            let mut req = self
                .0
                .shared
                .http
                .request(method.clone(), url.clone())
                .header("x-prism-access-token", token.expose())
                .header("accept", "application/json");
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let err = Error::transport(e);
                    if retry && attempt < opts.attempts {
                        tokio::time::sleep(jitter(opts.backoff, attempt)).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !reauthorised {
                // The token was refused (expired early, revoked, service
                // restarted): refresh once and try again.
                reauthorised = true;
                attempt -= 1;
                self.rejected(generation).await;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = retry_after(&resp);
                if retry
                    && attempt < opts.attempts
                    && retry_after.is_none_or(|d| d <= opts.max_retry_after)
                {
                    tokio::time::sleep(
                        retry_after.unwrap_or_else(|| jitter(opts.backoff, attempt)),
                    )
                    .await;
                    continue;
                }
                return Err(Error::RateLimited { retry_after });
            }
            // A 5xx that says when to come back (503 + Retry-After) is not
            // retried at once: the caller waits (a watcher's backoff).
            let come_back = retry_after(&resp).filter(|_| status.is_server_error());
            if status.is_server_error() && come_back.is_none() && retry && attempt < opts.attempts {
                tokio::time::sleep(jitter(opts.backoff, attempt)).await;
                continue;
            }
            let bytes = resp.bytes().await.map_err(Error::transport)?;
            return decode(status, &bytes).map_err(|e| match e {
                Error::Server {
                    status, message, ..
                } => Error::Server {
                    status,
                    message,
                    retry_after: come_back,
                },
                other => other,
            });
        }
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        self.send(Method::GET, self.url(segments), None)
            .await?
            .ok_or_else(no_data)
    }

    async fn with_body<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        self.send(method, self.url(segments), body)
            .await?
            .ok_or_else(no_data)
    }

    /// A call whose answer is "N/A" (`data: null`).
    async fn no_answer(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<serde_json::Value>,
    ) -> Result<()> {
        self.send::<IgnoredAny>(method, self.url(segments), body)
            .await
            .map(|_| ())
    }

    // ----- spec §2-§3 ---------------------------------------------------

    /// `GET /user`; the first success names the account the login is
    /// stored under, and saves it.
    pub async fn user(&self) -> Result<User> {
        let user = self.get::<UserData>(&["user"]).await?.user;
        self.set_account(user.user_id.as_str()).await?;
        Ok(user)
    }

    /// Who is logged in: `GET /user` when the service answers it; else
    /// what the login server says (OpenID Connect: its userinfo endpoint,
    /// or the login's checked ID token), stored under the issuer and
    /// `sub`. The API's error when neither can say.
    pub async fn whoami(&self) -> Result<User> {
        let api_error = match self.user().await {
            Ok(user) => return Ok(user),
            Err(e @ Error::LoginRequired) => return Err(e),
            Err(e) => e,
        };
        let shared = &self.0.shared;
        let known = self.0.identity.lock().expect("identity lock").clone();
        let asked = match self.access().await {
            Ok((access, _)) => oidc::userinfo(&shared.http, &shared.endpoints, &access).await,
            Err(e) => Err(e),
        };
        let identity = match (asked, known) {
            // §5.3.2: the userinfo's `sub` must be the ID token's.
            (Ok(Some(info)), Some(id)) if info.sub != id.sub => {
                tracing::warn!("userinfo is of another subject than the ID token; not used");
                Some(id)
            }
            (Ok(Some(info)), known) => Some(Identity {
                name: info.name.or_else(|| known.and_then(|k| k.name)),
                ..info
            }),
            (Ok(None), known) => known,
            (Err(e), known) => {
                tracing::info!(error = %e, "userinfo not reached");
                known
            }
        };
        let Some(identity) = identity else {
            return Err(api_error);
        };
        tracing::info!(error = %api_error, "the API did not say who is logged in; the login server did");
        self.set_account(&identity.account()).await?;
        Ok(User {
            user_id: identity.sub.as_str().into(),
            user_name: identity.display_name().to_owned(),
            profile_thumbnail: None,
        })
    }

    /// `GET /capabilities` (onair); `None` when the service has no such call.
    pub async fn capabilities(&self) -> Result<Option<Capabilities>> {
        match self.get::<Capabilities>(&["capabilities"]).await {
            Ok(c) => Ok(Some(c)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The optional APIs (spec §4) this service offers: `/capabilities`
    /// when it answers, else the profile's list; an API whose dependency is
    /// off is off too. Asked once per client.
    pub async fn optional_apis(&self) -> Result<Vec<OptionalApi>> {
        Ok(self.offer().await?.0)
    }

    /// The onair extensions this service offers (`/capabilities`; none
    /// when it has no such call). Asked once per client.
    pub async fn extensions(&self) -> Result<Vec<onair_api::Extension>> {
        Ok(self.offer().await?.1)
    }

    async fn offer(&self) -> Result<(Vec<OptionalApi>, Vec<onair_api::Extension>)> {
        if let Some(known) = self.0.offer.lock().expect("offer lock").clone() {
            return Ok(known);
        }
        let (on, extensions) = match self.capabilities().await? {
            Some(c) => (c.optional_apis, c.extensions),
            None => (self.profile().optional_apis.clone(), Vec::new()),
        };
        let offer = (OptionalApi::usable(&on), extensions);
        *self.0.offer.lock().expect("offer lock") = Some(offer.clone());
        Ok(offer)
    }

    pub async fn require(&self, api: OptionalApi) -> Result<()> {
        if self.optional_apis().await?.contains(&api) {
            Ok(())
        } else {
            Err(Error::NotSupported(api.as_str().to_owned()))
        }
    }

    pub async fn channels(&self) -> Result<ChannelList> {
        self.get(&["channel", "list"]).await
    }

    pub async fn channel(&self, channel_id: &str) -> Result<Channel> {
        Ok(self
            .get::<ChannelData>(&["channel", channel_id])
            .await?
            .channel)
    }

    pub async fn lives(&self, channel_id: &str, filter: StatusFilter) -> Result<Vec<Live>> {
        let mut url = self.url(&["channel", channel_id, "lives"]);
        url.query_pairs_mut().append_pair("status", filter.as_str());
        Ok(self
            .send::<LiveList>(Method::GET, url, None)
            .await?
            .ok_or_else(no_data)?
            .lives)
    }

    pub async fn live(&self, live_id: &str) -> Result<Live> {
        Ok(self.get::<LiveData>(&["live", live_id]).await?.live)
    }

    pub async fn create_live(&self, channel_id: &str, live: &CreateLive) -> Result<Live> {
        let body = serde_json::to_value(live).expect("create body serialises");
        Ok(self
            .with_body::<ChannelLive>(Method::POST, &["channel", channel_id, "live"], Some(body))
            .await?
            .live)
    }

    pub async fn start_live(&self, live_id: &str) -> Result<Live> {
        // A stop of ours before this start is history: a later END is
        // the service's unless we stop again.
        self.0.own_stops.lock().expect("stops lock").remove(live_id);
        Ok(self
            .with_body::<LiveData>(Method::PUT, &["live", live_id, "start"], None)
            .await?
            .live)
    }

    /// Stops a live. The live watcher knows this stop was ours, so it does
    /// not report a forced end.
    pub async fn stop_live(&self, live_id: &str) -> Result<Live> {
        self.0
            .own_stops
            .lock()
            .expect("stops lock")
            .insert(live_id.to_owned());
        let result = self
            .with_body::<LiveData>(Method::PUT, &["live", live_id, "stop"], None)
            .await;
        // A timeout may hide a stop that happened: keep the mark then.
        if matches!(&result, Err(e) if !e.is_transient()) {
            self.0.own_stops.lock().expect("stops lock").remove(live_id);
        }
        Ok(result?.live)
    }

    /// True once per stop of ours of `live_id` (the live watcher asks).
    pub(crate) fn take_own_stop(&self, live_id: &str) -> bool {
        self.0.own_stops.lock().expect("stops lock").remove(live_id)
    }

    // ----- spec §4 ------------------------------------------------------

    /// A page of chat: the latest `max` with no token, else what came after
    /// the token (LIVE_CHAT_LIST).
    pub async fn chat_list(
        &self,
        live_id: &str,
        page_token: Option<&str>,
        max: u64,
    ) -> Result<ChatPage> {
        self.require(OptionalApi::LiveChatList).await?;
        let body = ChatListRequest {
            max_results: Some(max),
            page_token: page_token.map(str::to_owned),
        };
        self.with_body(
            Method::POST,
            &["live", live_id, "chat"],
            Some(serde_json::to_value(body).expect("chat body serialises")),
        )
        .await
    }

    /// LIVE_CHAT_SEND.
    pub async fn chat_send(&self, live_id: &str, message: &str) -> Result<ChatMessage> {
        self.require(OptionalApi::LiveChatSend).await?;
        let body = serde_json::to_value(ChatSend {
            message: message.to_owned(),
        })
        .expect("chat body serialises");
        Ok(self
            .with_body::<ChatSent>(Method::PUT, &["live", live_id, "chat"], Some(body))
            .await?
            .chat_message)
    }

    /// LIVE_CHAT_DELETE.
    pub async fn chat_delete(&self, live_id: &str, message_id: &str) -> Result<()> {
        self.require(OptionalApi::LiveChatDelete).await?;
        self.no_answer(Method::DELETE, &["live", live_id, "chat", message_id], None)
            .await
    }

    /// USER_BAN: a permanent ban from this live's chat.
    pub async fn ban(&self, live_id: &str, user_id: &str) -> Result<()> {
        self.require(OptionalApi::UserBan).await?;
        self.no_answer(Method::PUT, &["live", live_id, "ban", user_id], None)
            .await
    }

    /// USER_BAN: lifts permanent and timed bans.
    pub async fn unban(&self, live_id: &str, user_id: &str) -> Result<()> {
        self.require(OptionalApi::UserBan).await?;
        self.no_answer(Method::PUT, &["live", live_id, "unban", user_id], None)
            .await
    }

    /// USER_BAN_TEMPORARY, for `seconds` > 0.
    pub async fn timed_ban(&self, live_id: &str, user_id: &str, seconds: u32) -> Result<()> {
        self.require(OptionalApi::UserBanTemporary).await?;
        if seconds == 0 {
            return Err(Error::Invalid(
                "a timed ban lasts at least one second".into(),
            ));
        }
        let body = serde_json::to_value(BanTime {
            ban_time: i64::from(seconds),
        })
        .expect("ban body serialises");
        self.no_answer(
            Method::PUT,
            &["live", live_id, "timedBan", user_id],
            Some(body),
        )
        .await
    }

    /// USER_MOD: grants chat admin.
    pub async fn grant_mod(&self, live_id: &str, user_id: &str) -> Result<()> {
        self.require(OptionalApi::UserMod).await?;
        self.no_answer(Method::PUT, &["live", live_id, "mod", user_id], None)
            .await
    }

    /// USER_MOD: removes chat admin.
    pub async fn remove_mod(&self, live_id: &str, user_id: &str) -> Result<()> {
        self.require(OptionalApi::UserMod).await?;
        self.no_answer(Method::PUT, &["live", live_id, "unmod", user_id], None)
            .await
    }

    // ----- spec §5 ------------------------------------------------------

    pub async fn stream_key(&self, live_id: &str) -> Result<StreamKey> {
        self.get(&["live", live_id, "streamkey"]).await
    }

    /// A new key; 409 STREAM_ACTIVE while a stream is sent with the key.
    pub async fn regenerate_key(&self, live_id: &str) -> Result<StreamKey> {
        self.with_body(
            Method::PUT,
            &["live", live_id, "streamkey", "regenerate"],
            None,
        )
        .await
    }

    pub async fn sessions(&self, live_id: &str, page: u32, per_page: u32) -> Result<SessionList> {
        let mut url = self.url(&["live", live_id, "sessions"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("perPage", &per_page.to_string());
        self.send(Method::GET, url, None).await?.ok_or_else(no_data)
    }

    pub async fn events(&self, session_id: &str) -> Result<EventList> {
        self.get(&["session", session_id, "events"]).await
    }

    /// What the service's ingest receives now (onair's `INGEST` extension,
    /// spec §5; for the owner and chat admins).
    pub async fn ingest(&self, live_id: &str) -> Result<onair_api::IngestHealth> {
        self.get(&["live", live_id, "ingest"]).await
    }

    /// A file of a live's watch stream (its HLS playlist, RFC 8216, or a
    /// segment) at `url`, which must be on the service's own origin: the
    /// access token goes with it (a PRIVATE live plays for its owner only)
    /// and never elsewhere. At most [`MEDIA_MAX`] bytes.
    pub async fn media(&self, url: &Url) -> Result<Media> {
        if url.origin() != self.0.api.origin() {
            return Err(Error::Invalid(format!(
                "{} is not on the service's own origin",
                url.origin().ascii_serialization()
            )));
        }
        let mut reauthorised = false;
        loop {
            let (token, generation) = self.access().await?;
            let resp = self
                .0
                .shared
                .http
                .get(url.clone())
                .header("x-prism-access-token", token.expose())
                .send()
                .await
                .map_err(Error::transport)?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !reauthorised {
                reauthorised = true;
                self.rejected(generation).await;
                continue;
            }
            if !status.is_success() {
                return Err(error_for(status, None, None));
            }
            return read_capped(resp, MEDIA_MAX).await;
        }
    }

    /// A picture the service named (a user's avatar, a channel's
    /// thumbnail): on the service's own origin through [`Client::media`]
    /// (its pin, its token), anywhere else with `plain`, which carries
    /// nothing of the session ([`PictureClient`]). `https` only; PNG,
    /// JPEG, GIF, WebP or AVIF (never SVG, which can hold script) of at
    /// most [`PICTURE_MAX`] bytes.
    pub async fn picture(&self, plain: &PictureClient, url: &Url) -> Result<Media> {
        if url.scheme() != "https" {
            return Err(Error::Invalid(format!("{url} is not https")));
        }
        let media = if url.origin() == self.0.api.origin() {
            let m = self.media(url).await?;
            if m.bytes.len() as u64 > PICTURE_MAX {
                return Err(too_big(PICTURE_MAX));
            }
            m
        } else {
            let resp = plain
                .0
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "image/*")
                .send()
                .await
                .map_err(Error::transport)?;
            let status = resp.status();
            if !status.is_success() {
                return Err(error_for(status, None, None));
            }
            read_capped(resp, PICTURE_MAX).await?
        };
        let kind = media
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !PICTURE_TYPES.contains(&kind.as_str()) {
            return Err(Error::Server {
                status: 502,
                message: format!("not a picture onair shows: {kind:?}"),
                retry_after: None,
            });
        }
        Ok(Media {
            content_type: kind,
            bytes: media.bytes,
        })
    }
}

/// The body of `resp`, at most `max` bytes.
async fn read_capped(mut resp: reqwest::Response, max: u64) -> Result<Media> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(too_big(max));
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Error::transport)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Err(too_big(max));
        }
    }
    Ok(Media {
        content_type,
        bytes,
    })
}

/// The most a file of a watch stream may weigh: 10 s of 20 Mb/s.
pub const MEDIA_MAX: u64 = 25 << 20;

/// The most a picture may weigh.
pub const PICTURE_MAX: u64 = 2 << 20;

/// The pictures shown: raster formats only.
pub const PICTURE_TYPES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
];

/// The client of pictures on other hosts: the platform's roots, no pin,
/// no token, no cookies, at most 3 redirects and all of them https.
#[derive(Debug, Clone)]
pub struct PictureClient(reqwest::Client);

impl PictureClient {
    pub fn new() -> Result<Self> {
        picture_http().map(Self)
    }
}

fn picture_http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config(None)?)
        .https_only(true)
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("onair/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(Error::transport)
}

fn too_big(max: u64) -> Error {
    Error::Server {
        status: 502,
        message: format!("a file over {} MiB", max >> 20),
        retry_after: None,
    }
}

/// A file of a watch stream, as the service sent it.
#[derive(Debug, Clone)]
pub struct Media {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl TokenState {
    fn install(&mut self, tokens: Tokens, ahead: Duration) {
        self.access = (!tokens.access.is_empty()).then_some(tokens.access);
        self.refresh = tokens.refresh;
        self.refresh_at = tokens.expires_at.map(|at| {
            let now = Instant::now();
            let lifetime = at.saturating_duration_since(now);
            at - ahead.min(lifetime / 10)
        });
        self.generation += 1;
        self.login_required = false;
    }
}

fn no_data() -> Error {
    Error::Server {
        status: 200,
        message: "the answer had no data".into(),
        retry_after: None,
    }
}

/// Exponential backoff with jitter, the one used by calls and watchers:
/// `base · 2^(attempt-1)`, at most `max`, then ± `spread` (0.5 = ±50 %).
pub(crate) fn backoff(base: Duration, attempt: u32, max: Duration, spread: f64) -> Duration {
    let exp = base
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(max);
    exp.mul_f64(rand::thread_rng().gen_range(1.0 - spread..1.0 + spread))
}

/// A call's retry delay: doubling from `base` up to 64 × `base`, ±50 %.
fn jitter(base: Duration, attempt: u32) -> Duration {
    backoff(base, attempt, base.saturating_mul(64), 0.5)
}

/// RFC 9110 §10.2.3: seconds (an HTTP date is treated as unknown).
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The envelope of spec §1 into data or a typed error.
fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<Option<T>> {
    let envelope = serde_json::from_slice::<Envelope<T>>(body);
    match envelope {
        Ok(e) if status.is_success() && e.success => Ok(e.data),
        Ok(e) => Err(error_for(status, e.error_name, e.message)),
        Err(parse) if status.is_success() => Err(Error::Server {
            status: status.as_u16(),
            message: format!("the answer is not in the spec's shape: {parse}"),
            retry_after: None,
        }),
        Err(_) => {
            // A failure without a readable envelope: at least keep the name.
            let head = serde_json::from_slice::<Envelope<IgnoredAny>>(body).ok();
            let (name, message) = head.map(|e| (e.error_name, e.message)).unwrap_or_default();
            Err(error_for(status, name, message))
        }
    }
}

fn error_for(status: StatusCode, name: Option<ErrorName>, message: Option<String>) -> Error {
    let message = message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    if name == Some(ErrorName::NotSupported) {
        return Error::NotSupported(message);
    }
    // A 200 with `success: false` takes its class from the name.
    let code = match (status.is_success(), &name) {
        (true, Some(n)) => n.http_status(),
        _ => status.as_u16(),
    };
    match code {
        400 | 422 => Error::Invalid(message),
        401 => Error::Unauthorized(message),
        403 => Error::Forbidden(message),
        404 | 410 => Error::NotFound(message),
        409 => Error::Conflict {
            name: name.map_or_else(|| "CONFLICT".to_owned(), |n| n.as_str().to_owned()),
            message,
        },
        429 => Error::RateLimited { retry_after: None },
        _ => Error::Server {
            status: code,
            message,
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_decode_into_typed_errors() {
        let ok: Option<UserData> = decode(
            StatusCode::OK,
            br#"{"success":true,"errorCode":0,"data":{"user":{"userId":7}}}"#,
        )
        .unwrap();
        assert_eq!(ok.unwrap().user.user_name, "7");
        let err = |status: u16, body: &str| {
            decode::<IgnoredAny>(StatusCode::from_u16(status).unwrap(), body.as_bytes())
                .unwrap_err()
        };
        assert_eq!(
            err(
                409,
                r#"{"success":false,"errorCode":40901,"errorName":"STREAM_ACTIVE","message":"on air"}"#
            ),
            Error::Conflict {
                name: "STREAM_ACTIVE".into(),
                message: "on air".into()
            }
        );
        assert_eq!(
            err(
                404,
                r#"{"success":false,"errorName":"NOT_SUPPORTED","message":"off"}"#
            ),
            Error::NotSupported("off".into())
        );
        assert_eq!(err(404, "<html>"), Error::NotFound("Not Found".into()));
        assert_eq!(
            err(
                200,
                r#"{"success":false,"errorName":"INVALID_PARAMETER","message":"title"}"#
            ),
            Error::Invalid("title".into())
        );
        assert!(matches!(
            err(502, "bad gateway"),
            Error::Server { status: 502, .. }
        ));
        assert!(matches!(err(200, "[]"), Error::Server { status: 200, .. }));
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let d = jitter(base, attempt);
            let nominal = base * (1 << (attempt - 1));
            assert!(d >= nominal / 2 && d <= nominal * 3 / 2, "{d:?}");
        }
    }
}
