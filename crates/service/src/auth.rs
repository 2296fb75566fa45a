//! The OAuth 2.0 authorization server's logic, free of HTTP types.
//!
//! - Authorization code grant, RFC 6749 §4.1, with PKCE (RFC 7636), required
//!   for public clients; loopback redirects of native apps match on any port
//!   (RFC 8252 §7.3).
//! - Refresh tokens rotate on every use (RFC 9700 §4.14.2); presenting a
//!   spent one revokes the whole login (the spec's "our choice").
//! - Revocation, RFC 7009. Access token checks for the resource server,
//!   RFC 6750.
//!
//! Codes and tokens are 256-bit random strings stored as SHA-256 hashes;
//! secrets and passwords as argon2id hashes ([`crate::crypto`]).

use std::sync::Arc;

use onair_api::oauth::{OAuthError, OAuthErrorCode};
use onair_api::{OptionalApi, Secret, TokenResponse};
use serde::Deserialize;
use sqlx::Row;

use crate::clock::Millis;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// argon2 hash of the secret; `None` for a public client.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub optional_apis: Vec<OptionalApi>,
}

impl Client {
    /// Whether `uri` is one of the client's redirect URIs. A registered
    /// loopback IP literal (`http://127.0.0.1/...`, `http://[::1]/...`)
    /// matches any port (RFC 8252 §7.3); everything else matches exactly
    /// (RFC 6749 §3.1.2.3). `localhost` is not treated as loopback
    /// (RFC 8252 §8.3).
    pub fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|reg| redirect_matches(reg, uri))
    }

    /// True for a public client (no secret): PKCE is mandatory.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || u.scheme() == "http"
                && matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    };
    loopback(&reg)
        && loopback(&req)
        && reg.host() == req.host()
        && reg.path() == req.path()
        && reg.query() == req.query()
        && req.fragment().is_none()
        && req.username().is_empty()
        && req.password().is_none()
}

/// A client to register (seed, admin routes, tests).
#[derive(Debug, Clone)]
pub struct NewClient<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub secret: Option<&'a str>,
    pub redirect_uris: &'a [&'a str],
    pub optional_apis: &'a [OptionalApi],
}

/// Registers a client, or updates it if the id exists.
pub async fn register_client(state: &AppState, c: NewClient<'_>) -> ApiResult<()> {
    let uris = serde_json::to_string(c.redirect_uris).unwrap_or_else(|_| "[]".into());
    let apis = serde_json::to_string(c.optional_apis).unwrap_or_else(|_| "[]".into());
    let secret_hash = c.secret.map(crypto::hash_password);
    sqlx::query(
        "INSERT INTO clients (id, name, secret_hash, redirect_uris, optional_apis, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET name = ?2, secret_hash = ?3, redirect_uris = ?4, optional_apis = ?5",
    )
    .bind(c.id)
    .bind(c.name)
    .bind(secret_hash)
    .bind(uris)
    .bind(apis)
    .bind(state.now())
    .execute(&state.db.write)
    .await?;
    state.tokens.clear();
    Ok(())
}

/// Looks a client up.
pub async fn find_client(state: &AppState, id: &str) -> ApiResult<Option<Client>> {
    let row = sqlx::query(
        "SELECT id, name, secret_hash, redirect_uris, optional_apis FROM clients WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&state.db.read)
    .await?;
    Ok(row.map(|r| Client {
        id: r.get("id"),
        name: r.get("name"),
        secret_hash: r.get("secret_hash"),
        redirect_uris: serde_json::from_str(r.get("redirect_uris")).unwrap_or_default(),
        optional_apis: parse_apis(r.get("optional_apis")),
    }))
}

fn parse_apis(json: &str) -> Vec<OptionalApi> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Query parameters of the authorization request, RFC 6749 §4.1.1 and
/// RFC 7636 §4.3. Everything is optional here so that a missing parameter
/// gets a proper answer instead of a generic rejection.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
}

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// The parameters as received, to carry through the login form.
    pub params: AuthorizeParams,
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, never
    /// redirect (RFC 6749 §4.1.2.1).
    Page(String),
    /// Tell the client through its redirect URI.
    Redirect(String),
}

/// Checks an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
pub async fn check_authorize(
    state: &AppState,
    params: AuthorizeParams,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let client_id = params.client_id.as_deref().unwrap_or_default();
    let client = match find_client(state, client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(AuthorizeError::Page(format!(
                "Unknown application {client_id:?}."
            )))
        }
        Err(e) => return Err(AuthorizeError::Page(e.message)),
    };
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if client.redirect_allowed(uri) => uri.to_owned(),
        Some(_) => {
            return Err(AuthorizeError::Page(
                "The redirect address is not registered for this application.".into(),
            ))
        }
        None => match client.redirect_uris.as_slice() {
            [only]
                if !redirect_matches(only, "http://127.0.0.1/")
                    && url::Url::parse(only).is_ok() =>
            {
                only.clone()
            }
            _ => {
                return Err(AuthorizeError::Page(
                    "The request has no redirect address.".into(),
                ))
            }
        },
    };
    let redirect = |error: OAuthErrorCode, description: &str| {
        AuthorizeError::Redirect(error_redirect(
            &state.base_url,
            &redirect_uri,
            params.state.as_deref(),
            error,
            description,
        ))
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(redirect(
            OAuthErrorCode::UnsupportedResponseType,
            "response_type must be code",
        ));
    }
    let challenge = params.code_challenge.clone().filter(|c| !c.is_empty());
    match (&challenge, params.code_challenge_method.as_deref()) {
        (Some(_), Some("S256")) => {}
        (Some(_), _) => {
            return Err(redirect(
                OAuthErrorCode::InvalidRequest,
                "code_challenge_method must be S256",
            ))
        }
        (None, Some(_)) => {
            return Err(redirect(
                OAuthErrorCode::InvalidRequest,
                "code_challenge_method without code_challenge",
            ))
        }
        (None, None) if client.is_public() => {
            return Err(redirect(
                OAuthErrorCode::InvalidRequest,
                "PKCE with S256 is required for this client",
            ))
        }
        (None, None) => {}
    }
    if let Some(c) = &challenge {
        // BASE64URL of a SHA-256: 43 characters of the URL-safe alphabet.
        if c.len() != 43
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(redirect(
                OAuthErrorCode::InvalidRequest,
                "code_challenge is not an S256 challenge",
            ));
        }
    }
    Ok(AuthorizeRequest {
        client,
        redirect_uri,
        state: params.state.clone(),
        code_challenge: challenge,
        params,
    })
}

/// `redirect_uri` with `error`, `error_description`, `state` and `iss`
/// (RFC 6749 §4.1.2.1, RFC 9207 §2).
pub fn error_redirect(
    issuer: &str,
    redirect_uri: &str,
    state: Option<&str>,
    error: OAuthErrorCode,
    description: &str,
) -> String {
    with_query(
        redirect_uri,
        &[
            ("error", Some(error.as_str())),
            ("error_description", Some(description)),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    )
}

fn with_query(uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let Ok(mut url) = url::Url::parse(uri) else {
        return uri.to_owned();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
    }
    url.into()
}

/// The user pressed Cancel: `access_denied` (RFC 6749 §4.1.2.1).
pub fn deny(state: &AppState, req: &AuthorizeRequest) -> String {
    error_redirect(
        &state.base_url,
        &req.redirect_uri,
        req.state.as_deref(),
        OAuthErrorCode::AccessDenied,
        "the user cancelled the login",
    )
}

/// Checks the user's password; on success issues a code and returns where
/// to redirect (`code`, the unchanged `state`, and `iss`). `None`: wrong
/// user name or password.
pub async fn login(
    state: &AppState,
    req: &AuthorizeRequest,
    username: &str,
    password: &str,
) -> ApiResult<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(username.trim())
            .fetch_optional(&state.db.read)
            .await?;
    let hash = hash.flatten();
    let ok = {
        let password = password.to_owned();
        // Verify against something even for unknown users, so the answer
        // takes the same time either way.
        let hash = hash.clone().unwrap_or_else(|| DUMMY_HASH.clone());
        let known = hash_is_real(&hash);
        tokio::task::spawn_blocking(move || crypto::verify_password(&password, &hash) && known)
            .await
            .unwrap_or(false)
    };
    if !ok || hash.is_none() {
        return Ok(None);
    }
    let code = crypto::random_token(32);
    let now = state.now();
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, login_id, client_id, user_id, redirect_uri, code_challenge, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(crypto::token_hash(&code))
    .bind(crypto::random_id())
    .bind(&req.client.id)
    .bind(username.trim())
    .bind(&req.redirect_uri)
    .bind(&req.code_challenge)
    .bind(now + ms(state.code_ttl))
    .execute(&state.db.write)
    .await?;
    Ok(Some(with_query(
        &req.redirect_uri,
        &[
            ("code", Some(&code)),
            ("state", req.state.as_deref()),
            ("iss", Some(&state.base_url)),
        ],
    )))
}

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crypto::hash_password("no such user"));

fn hash_is_real(h: &str) -> bool {
    h != DUMMY_HASH.as_str()
}

fn ms(d: std::time::Duration) -> Millis {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How the client authenticated at the token or revocation endpoint.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub secret: Option<Secret>,
}

fn oauth(code: OAuthErrorCode, description: &str) -> OAuthError {
    OAuthError::new(code, description)
}

fn server_error(e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(cause = %e, "token endpoint failed");
    oauth(OAuthErrorCode::ServerError, "internal error")
}

/// Authenticates the client (RFC 6749 §2.3): a confidential client must
/// show its secret; a public client names itself and proves possession of
/// the code through PKCE instead.
pub async fn authenticate_client(
    state: &AppState,
    auth: &ClientAuth,
) -> Result<Client, OAuthError> {
    let invalid = || {
        oauth(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    };
    let id = auth
        .client_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(invalid)?;
    let client = find_client(state, id)
        .await
        .map_err(server_error)?
        .ok_or_else(invalid)?;
    if let Some(hash) = client.secret_hash.clone() {
        let secret = auth.secret.clone().ok_or_else(invalid)?;
        let ok =
            tokio::task::spawn_blocking(move || crypto::verify_password(secret.expose(), &hash))
                .await
                .unwrap_or(false);
        if !ok {
            return Err(invalid());
        }
    }
    Ok(client)
}

/// The token request's grant, RFC 6749 §4.1.3 and §6.
#[derive(Debug, Clone)]
pub enum Grant {
    AuthorizationCode {
        code: Secret,
        redirect_uri: Option<String>,
        code_verifier: Option<Secret>,
    },
    RefreshToken {
        refresh_token: Secret,
    },
}

/// Runs a token request for an authenticated client.
pub async fn token(
    state: &AppState,
    client: &Client,
    grant: Grant,
) -> Result<TokenResponse, OAuthError> {
    match grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            exchange_code(
                state,
                client,
                code.expose(),
                redirect_uri.as_deref(),
                code_verifier.as_ref().map(Secret::expose),
            )
            .await
        }
        Grant::RefreshToken { refresh_token } => {
            refresh(state, client, refresh_token.expose()).await
        }
    }
}

async fn exchange_code(
    state: &AppState,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let grant_err = |d: &str| oauth(OAuthErrorCode::InvalidGrant, d);
    let now = state.now();
    let mut tx = state.db.write.begin().await.map_err(server_error)?;
    let row = sqlx::query(
        "SELECT login_id, client_id, user_id, redirect_uri, code_challenge, expires_at, used_at
         FROM auth_codes WHERE code_hash = ?",
    )
    .bind(crypto::token_hash(code))
    .fetch_optional(&mut *tx)
    .await
    .map_err(server_error)?;
    let Some(row) = row else {
        return Err(grant_err("unknown authorization code"));
    };
    let login_id: String = row.get("login_id");
    let used_at: Option<Millis> = row.get("used_at");
    if used_at.is_some() {
        // RFC 6749 §4.1.2: a code used twice revokes what it issued.
        revoke_login_tx(&mut tx, &login_id, now)
            .await
            .map_err(server_error)?;
        tx.commit().await.map_err(server_error)?;
        state.tokens.clear();
        return Err(grant_err(
            "authorization code already used; its tokens are revoked",
        ));
    }
    // Spent on first presentation, whatever follows: a stolen code cannot be
    // tried against many verifiers.
    sqlx::query("UPDATE auth_codes SET used_at = ? WHERE code_hash = ?")
        .bind(now)
        .bind(crypto::token_hash(code))
        .execute(&mut *tx)
        .await
        .map_err(server_error)?;
    let check = || -> Result<String, OAuthError> {
        if row.get::<Millis, _>("expires_at") <= now {
            return Err(grant_err("authorization code expired"));
        }
        if row.get::<String, _>("client_id") != client.id {
            return Err(grant_err("authorization code was issued to another client"));
        }
        match redirect_uri {
            None => {
                return Err(oauth(
                    OAuthErrorCode::InvalidRequest,
                    "redirect_uri is required",
                ))
            }
            Some(uri) if uri != row.get::<String, _>("redirect_uri") => {
                return Err(grant_err(
                    "redirect_uri does not match the authorization request",
                ))
            }
            Some(_) => {}
        }
        let challenge: Option<String> = row.get("code_challenge");
        match (challenge, verifier) {
            (Some(c), Some(v)) => {
                if !crypto::valid_pkce_verifier(v) || !crypto::ct_eq(&crypto::pkce_s256(v), &c) {
                    return Err(grant_err("code_verifier does not match the code_challenge"));
                }
            }
            (Some(_), None) => return Err(grant_err("code_verifier is required")),
            (None, Some(_)) => {
                return Err(grant_err(
                    "code_verifier given for a code without a challenge",
                ))
            }
            (None, None) => {}
        }
        Ok(row.get("user_id"))
    };
    let user_id = match check() {
        Ok(u) => u,
        Err(e) => {
            tx.commit().await.map_err(server_error)?;
            return Err(e);
        }
    };
    sqlx::query("INSERT INTO logins (id, user_id, client_id, created_at) VALUES (?, ?, ?, ?)")
        .bind(&login_id)
        .bind(&user_id)
        .bind(&client.id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(server_error)?;
    issue_tokens(state, tx, &login_id, now)
        .await
        .map_err(server_error)
}

/// Issues an access and a refresh token of the login and commits the
/// grant's transaction with them.
async fn issue_tokens(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    login_id: &str,
    now: Millis,
) -> Result<TokenResponse, sqlx::Error> {
    let access = crypto::random_token(32);
    let refresh = crypto::random_token(32);
    for (token, kind, ttl) in [
        (&access, "access", state.access_ttl),
        (&refresh, "refresh", state.refresh_ttl),
    ] {
        sqlx::query("INSERT INTO tokens (token_hash, login_id, kind, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(crypto::token_hash(token))
            .bind(login_id)
            .bind(kind)
            .bind(now + ms(ttl))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(TokenResponse {
        access_token: Secret::new(access),
        token_type: "bearer".into(),
        expires_in: Some(state.access_ttl.as_secs()),
        refresh_token: Some(Secret::new(refresh)),
        scope: None,
        id_token: None,
    })
}

async fn revoke_login_tx(
    tx: &mut sqlx::SqliteConnection,
    login_id: &str,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE logins SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2")
        .bind(now)
        .bind(login_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE login_id = ?2")
        .bind(now)
        .bind(login_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn refresh(
    state: &AppState,
    client: &Client,
    refresh_token: &str,
) -> Result<TokenResponse, OAuthError> {
    let grant_err = |d: &str| oauth(OAuthErrorCode::InvalidGrant, d);
    let now = state.now();
    let hash = crypto::token_hash(refresh_token);
    let mut tx = state.db.write.begin().await.map_err(server_error)?;
    let row = sqlx::query(
        "SELECT t.login_id, t.expires_at, t.spent_at, t.revoked_at, l.client_id, l.revoked_at AS login_revoked
         FROM tokens t JOIN logins l ON l.id = t.login_id
         WHERE t.token_hash = ? AND t.kind = 'refresh'",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(server_error)?;
    let Some(row) = row else {
        return Err(grant_err("unknown refresh token"));
    };
    let login_id: String = row.get("login_id");
    if row.get::<String, _>("client_id") != client.id {
        return Err(grant_err("refresh token was issued to another client"));
    }
    if row.get::<Option<Millis>, _>("revoked_at").is_some()
        || row.get::<Option<Millis>, _>("login_revoked").is_some()
    {
        return Err(grant_err("refresh token revoked"));
    }
    if row.get::<Option<Millis>, _>("spent_at").is_some() {
        // A rotated-away token came back: someone holds a copy. End the login.
        revoke_login_tx(&mut tx, &login_id, now)
            .await
            .map_err(server_error)?;
        tx.commit().await.map_err(server_error)?;
        state.tokens.clear();
        tracing::warn!(login = %login_id, "spent refresh token presented; login revoked");
        return Err(grant_err(
            "refresh token already used; the login is revoked",
        ));
    }
    if row.get::<Millis, _>("expires_at") <= now {
        return Err(grant_err("refresh token expired"));
    }
    sqlx::query("UPDATE tokens SET spent_at = ? WHERE token_hash = ?")
        .bind(now)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(server_error)?;
    issue_tokens(state, tx, &login_id, now)
        .await
        .map_err(server_error)
}

/// RFC 7009 §2: revokes a token of this client. A refresh token takes its
/// whole login with it (§2.1); an access token only itself. An unknown
/// token is no error (§2.2: 200 anyway). A token issued to another client
/// is refused, and stays valid (§2.1: "If this validation fails, the
/// request is refused and the client is informed of the error"), with RFC
/// 6749 §5.2's `unauthorized_client`.
pub async fn revoke(state: &AppState, client: &Client, token: &str) -> Result<(), OAuthError> {
    let now = state.now();
    let hash = crypto::token_hash(token);
    let mut tx = state.db.write.begin().await.map_err(server_error)?;
    let row = sqlx::query(
        "SELECT t.login_id, t.kind, l.client_id FROM tokens t JOIN logins l ON l.id = t.login_id WHERE t.token_hash = ?",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(server_error)?;
    if row
        .as_ref()
        .is_some_and(|r| r.get::<String, _>("client_id") != client.id)
    {
        return Err(oauth(
            OAuthErrorCode::UnauthorizedClient,
            "the token was not issued to this client",
        ));
    }
    if let Some(row) = row {
        if row.get::<String, _>("kind") == "refresh" {
            revoke_login_tx(&mut tx, row.get("login_id"), now)
                .await
                .map_err(server_error)?;
        } else {
            sqlx::query(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token_hash = ?",
            )
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(server_error)?;
        }
    }
    tx.commit().await.map_err(server_error)?;
    state.tokens.clear();
    Ok(())
}

/// The resource server's check of an access token (RFC 6750).
pub async fn authenticate(state: &AppState, token: &str) -> ApiResult<Caller> {
    let now = state.now();
    let hash = crypto::token_hash(token);
    if let Some(caller) = state.tokens.get(&hash, now) {
        return Ok(caller);
    }
    let row = sqlx::query(
        "SELECT t.expires_at, t.revoked_at, l.user_id, l.revoked_at AS login_revoked,
                c.optional_apis
         FROM tokens t JOIN logins l ON l.id = t.login_id JOIN clients c ON c.id = l.client_id
         WHERE t.token_hash = ? AND t.kind = 'access'",
    )
    .bind(&hash)
    .fetch_optional(&state.db.read)
    .await?;
    let Some(row) = row else {
        return external(state, token, hash, now).await;
    };
    if row.get::<Option<Millis>, _>("revoked_at").is_some()
        || row.get::<Option<Millis>, _>("login_revoked").is_some()
    {
        return Err(ApiError::unauthorized("access token revoked"));
    }
    let expires_at: Millis = row.get("expires_at");
    if expires_at <= now {
        return Err(ApiError::unauthorized("access token expired"));
    }
    let caller = Caller {
        user_id: row.get("user_id"),
        apis: Arc::from(OptionalApi::usable(&parse_apis(row.get("optional_apis")))),
        expires_at,
    };
    state.tokens.insert(hash, caller.clone());
    Ok(caller)
}

/// A token the service did not issue: one of a trusted login server
/// ([`crate::trust`]), or nothing. The caller is remembered as long as the
/// token is good, an introspected one at most 30 s.
async fn external(state: &AppState, token: &str, hash: String, now: Millis) -> ApiResult<Caller> {
    let Some(trust) = &state.trust else {
        return Err(ApiError::unauthorized("invalid access token"));
    };
    let subject = trust.check(token).await.map_err(|refusal| match refusal {
        crate::trust::Refusal::Unreachable(why) => {
            tracing::warn!(%why, "a trusted login server cannot be asked");
            ApiError::named(
                onair_api::ErrorName::InternalError,
                "the login server cannot be asked about this token now",
            )
        }
        refusal => ApiError::unauthorized(refusal.to_string()),
    })?;
    let user_id = crate::domain::external::user_for(state, &subject, token).await?;
    let good_for = Millis::try_from(subject.good_for.as_millis()).unwrap_or(Millis::MAX / 2);
    let caller = Caller {
        user_id,
        apis: Arc::from(OptionalApi::usable(&OptionalApi::ALL)),
        expires_at: now + good_for,
    };
    state.tokens.insert(hash, caller.clone());
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port() {
        assert!(redirect_matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:51234/callback"
        ));
        assert!(redirect_matches(
            "http://[::1]/callback",
            "http://[::1]:8080/callback"
        ));
        assert!(redirect_matches(
            "http://127.0.0.1:9000/callback",
            "http://127.0.0.1:1/callback"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:5/other"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/callback",
            "http://[::1]:5/callback"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/callback",
            "https://127.0.0.1:5/callback"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:5/callback#x"
        ));
        assert!(!redirect_matches(
            "http://localhost/callback",
            "http://localhost:5/callback"
        ));
        assert!(!redirect_matches(
            "https://app.example/cb",
            "https://app.example:444/cb"
        ));
        assert!(redirect_matches(
            "https://app.example/cb",
            "https://app.example/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/callback",
            "http://evil@127.0.0.1:5/callback"
        ));
    }
}
