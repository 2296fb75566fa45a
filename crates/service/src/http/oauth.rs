//! HTTP face of the authorization server ([`crate::auth`] holds the logic):
//! the login page, both token endpoint forms, revocation and metadata.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use onair_api::oauth::{OAuthError, OAuthErrorCode};
use onair_api::{AuthServerMetadata, ProtectedResourceMetadata, Secret};
use serde::Deserialize;
use std::net::IpAddr;

use super::extract::PeerIp;
use super::limits;
use crate::auth::{self, AuthorizeError, AuthorizeParams, AuthorizeRequest, ClientAuth, Grant};
use crate::state::AppState;
use crate::throttle::Door;

/// `GET /oauth/authorize`: the login page (RFC 6749 §4.1.1).
pub async fn authorize_page(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let params: AuthorizeParams = match serde_urlencoded::from_str(q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(_) => return error_page("The login request is malformed."),
    };
    match auth::check_authorize(&state, params).await {
        Ok(req) => login_page(&req, None, StatusCode::OK),
        Err(AuthorizeError::Page(msg)) => error_page(&msg),
        Err(AuthorizeError::Redirect(to)) => redirect(&to),
    }
}

/// The login form's fields: the request's parameters, carried in hidden
/// inputs, and the user's answer.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: Secret,
    /// `login` or `cancel`.
    #[serde(default)]
    action: String,
}

/// `POST /oauth/authorize`: checks the password; 302 to the client with
/// `code` and the unchanged `state`, or the form again with an error.
/// Failed sign-ins are counted per address and per user name
/// ([`crate::throttle`]); past the limits the form comes back with 429.
pub async fn authorize_submit(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    body: axum::body::Bytes,
) -> Response {
    let form: LoginForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return error_page("The login form is malformed."),
    };
    let req = match auth::check_authorize(&state, form.params).await {
        Ok(req) => req,
        Err(AuthorizeError::Page(msg)) => return error_page(&msg),
        Err(AuthorizeError::Redirect(to)) => return redirect(&to),
    };
    if form.action == "cancel" {
        return redirect(&auth::deny(&state, &req));
    }
    let user = form.username.trim();
    if let Err(wait) = state.throttle.check(Door::Login, ip, Some(user)) {
        let secs = wait.seconds();
        let mut r = login_page(
            &req,
            Some(&format!(
                "Too many failed sign-ins. Try again in {secs} seconds."
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    match auth::login(&state, &req, &form.username, form.password.expose()).await {
        Ok(Some(to)) => {
            state.throttle.succeeded(Door::Login, ip, user);
            redirect(&to)
        }
        Ok(None) => {
            state.throttle.failed(Door::Login, ip, Some(user));
            login_page(
                &req,
                Some("Wrong user name or password."),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => login_page(&req, Some(&e.message), StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn redirect(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::FOUND;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// HTML-escapes text for element content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#0f1115;color:#e8e8ea;display:flex;\
justify-content:center;padding-top:10vh}main{background:#1a1d24;padding:2rem;border-radius:12px;width:20rem}\
h1{font-size:1.3rem;margin:0 0 .3rem}p{color:#a8abb3}label{display:block;margin-top:1rem}input[type=text],\
input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.3rem;border-radius:6px;\
border:1px solid #3a3f4b;background:#0f1115;color:inherit}.row{display:flex;gap:.5rem;margin-top:1.5rem}\
button{flex:1;padding:.6rem;border-radius:6px;border:0;font-weight:600}button[value=login]{background:#e5484d;\
color:white}.error{color:#ff8080;margin-top:1rem}";

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>Sign in - onair reference service</title><style>{STYLE}</style>\
         </head><body><main>{body}</main></body></html>"
    );
    let mut r = (status, Html(html)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn error_page(message: &str) -> Response {
    message_page(StatusCode::BAD_REQUEST, message)
}

/// A page that says why the request cannot go on.
pub fn message_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        &format!(
            "<h1>Cannot sign in</h1><p role=\"alert\">{}</p>",
            escape(message)
        ),
    )
}

fn login_page(req: &AuthorizeRequest, error: Option<&str>, status: StatusCode) -> Response {
    let p = &req.params;
    let hidden: String = [
        ("response_type", &p.response_type),
        ("client_id", &p.client_id),
        ("redirect_uri", &Some(req.redirect_uri.clone())),
        ("state", &p.state),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("scope", &p.scope),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_ref().map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect();
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        status,
        &format!(
            "<h1>Sign in</h1><p><strong>{}</strong> wants to use your account.</p>{error}\
             <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
             <label>User name<input type=\"text\" name=\"username\" autocomplete=\"username\" required autofocus></label>\
             <label>Password<input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\
             <div class=\"row\"><button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button>\
             <button type=\"submit\" name=\"action\" value=\"login\">Sign in</button></div></form>",
            escape(&req.client.name)
        ),
    )
}

/// Parameters of both token endpoint forms (RFC 6749 §4.1.3, §6, and the
/// PRISM GET form of spec §2).
#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    grant_type: Option<String>,
    code: Option<Secret>,
    redirect_uri: Option<String>,
    code_verifier: Option<Secret>,
    /// The refresh token: `refresh_token` (RFC 6749, older PRISM guides),
    /// `token` (newer guides) or `_token` (one edition); also the token to
    /// revoke (RFC 7009 §2.1, whose `token_type_hint` we need not read).
    refresh_token: Option<Secret>,
    token: Option<Secret>,
    #[serde(rename = "_token")]
    underscore_token: Option<Secret>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
}

impl TokenParams {
    fn grant(&self) -> Result<Grant, OAuthError> {
        let missing = |what: &str| {
            OAuthError::new(
                OAuthErrorCode::InvalidRequest,
                format!("{what} is required"),
            )
        };
        match self.grant_type.as_deref() {
            Some("authorization_code") => Ok(Grant::AuthorizationCode {
                code: self
                    .code
                    .clone()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| missing("code"))?,
                redirect_uri: self.redirect_uri.clone(),
                code_verifier: self.code_verifier.clone(),
            }),
            Some("refresh_token") => Ok(Grant::RefreshToken {
                refresh_token: [&self.refresh_token, &self.token, &self.underscore_token]
                    .into_iter()
                    .flatten()
                    .find(|t| !t.is_empty())
                    .cloned()
                    .ok_or_else(|| missing("refresh_token"))?,
            }),
            None => Err(missing("grant_type")),
            Some(other) => Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!("grant_type {other:?} is not supported"),
            )),
        }
    }
}

/// HTTP Basic client authentication (RFC 6749 §2.3.1): id and secret are
/// form-urlencoded, then joined by `:` and base64-encoded.
fn basic_auth(headers: &HeaderMap) -> Result<Option<ClientAuth>, OAuthError> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, b64)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || {
        OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "malformed HTTP Basic credentials",
        )
    };
    let raw = STANDARD.decode(b64.trim()).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (id, secret) = raw.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Ok(Some(ClientAuth {
        client_id: decode(id),
        secret: decode(secret).map(Secret::new),
    }))
}

fn client_auth(headers: &HeaderMap, p: &TokenParams) -> Result<ClientAuth, OAuthError> {
    let body = ClientAuth {
        client_id: p.client_id.clone(),
        secret: p.client_secret.clone(),
    };
    match basic_auth(headers)? {
        Some(basic) => {
            if body
                .client_id
                .as_ref()
                .is_some_and(|id| Some(id) != basic.client_id.as_ref())
            {
                return Err(OAuthError::new(
                    OAuthErrorCode::InvalidRequest,
                    "client_id differs from the Basic credentials",
                ));
            }
            Ok(basic)
        }
        None => Ok(body),
    }
}

fn token_error(e: OAuthError) -> Response {
    let status = match e.error {
        OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    no_store((status, Json(e)).into_response())
}

pub(crate) fn no_store(mut r: Response) -> Response {
    // RFC 6749 §5.1.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

async fn run_token(
    state: &AppState,
    ip: IpAddr,
    auth: Result<ClientAuth, OAuthError>,
    p: &TokenParams,
) -> Response {
    guarded(state, ip, auth, |client| async move {
        let grant = p.grant()?;
        auth::token(state, &client, grant).await.map(Some)
    })
    .await
}

/// The token and revocation endpoints' guard ([`crate::throttle`]): an
/// address or client id that failed too often is refused with 429 before
/// anything is checked; a wrong client secret, code, verifier or token
/// counts as a failure.
async fn guarded<T, F, Fut>(
    state: &AppState,
    ip: IpAddr,
    auth: Result<ClientAuth, OAuthError>,
    then: F,
) -> Response
where
    T: serde::Serialize,
    F: FnOnce(auth::Client) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, OAuthError>>,
{
    let client_id = auth
        .as_ref()
        .ok()
        .and_then(|a| a.client_id.clone())
        .unwrap_or_default();
    if let Err(wait) = state.throttle.check(Door::Token, ip, Some(&client_id)) {
        return limits::too_many(super::Fails::OAuth, wait);
    }
    let result = async {
        let client = auth::authenticate_client(state, &auth?).await?;
        then(client).await
    }
    .await;
    match result {
        Ok(answer) => {
            state.throttle.succeeded(Door::Token, ip, &client_id);
            match answer {
                Some(t) => no_store(Json(t).into_response()),
                None => no_store(StatusCode::OK.into_response()),
            }
        }
        Err(e) => {
            if matches!(
                e.error,
                OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidGrant
            ) {
                state.throttle.failed(Door::Token, ip, Some(&client_id));
            }
            token_error(e)
        }
    }
}

/// A form body of the token or revocation endpoint; malformed is
/// `invalid_request` (RFC 6749 §5.2).
fn form_params(body: &[u8]) -> Result<TokenParams, OAuthError> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        OAuthError::new(
            OAuthErrorCode::InvalidRequest,
            format!("malformed form body: {e}"),
        )
    })
}

/// `POST /oauth/token` (RFC 6749 §3.2): form body; HTTP Basic, or
/// `client_id` alone for a public client with PKCE.
pub async fn token_rfc(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let p = match form_params(&body) {
        Ok(p) => p,
        Err(e) => return token_error(e),
    };
    let auth = client_auth(&headers, &p);
    run_token(&state, ip, auth, &p).await
}

/// `GET /prism/v1/service/oauth2/token` (spec §2): client credentials in
/// `x-prism-client-id` / `x-prism-client-secret`, the rest in the query.
pub async fn token_prism(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p: TokenParams = match serde_urlencoded::from_str(q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            return token_error(OAuthError::new(
                OAuthErrorCode::InvalidRequest,
                format!("malformed query: {e}"),
            ))
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let auth = match header("x-prism-client-id") {
        Some(id) => Ok(ClientAuth {
            client_id: Some(id),
            secret: header("x-prism-client-secret").map(Secret::new),
        }),
        None => client_auth(&headers, &p),
    };
    run_token(&state, ip, auth, &p).await
}

/// `POST /oauth/revoke` (RFC 7009 §2.1): 200 whether or not the token was
/// known (§2.2).
pub async fn revoke(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let p = match form_params(&body) {
        Ok(p) => p,
        Err(e) => return token_error(e),
    };
    let Some(token) = p.token.clone().filter(|t| !t.is_empty()) else {
        return token_error(OAuthError::new(
            OAuthErrorCode::InvalidRequest,
            "token is required",
        ));
    };
    let auth = client_auth(&headers, &p);
    let state = &state;
    guarded(state, ip, auth, |client| async move {
        auth::revoke(state, &client, token.expose())
            .await
            .map(|()| None::<()>)
    })
    .await
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3).
pub async fn metadata(State(state): State<AppState>) -> Json<AuthServerMetadata> {
    let base = &state.base_url;
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Json(AuthServerMetadata {
        issuer: base.clone(),
        authorization_endpoint: format!("{base}/oauth/authorize"),
        token_endpoint: format!("{base}/oauth/token"),
        revocation_endpoint: Some(format!("{base}/oauth/revoke")),
        response_types_supported: strings(&["code"]),
        grant_types_supported: strings(&["authorization_code", "refresh_token"]),
        code_challenge_methods_supported: strings(&["S256"]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        revocation_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        authorization_response_iss_parameter_supported: true,
        ..AuthServerMetadata::default()
    })
}

/// `GET /.well-known/oauth-protected-resource` (RFC 9728 §3): the
/// issuers the API takes tokens of: the trusted ones first (where its
/// users log in), then this service's own server.
pub async fn resource_metadata(State(state): State<AppState>) -> Json<ProtectedResourceMetadata> {
    let base = &state.base_url;
    let mut servers: Vec<String> = state
        .trust
        .as_ref()
        .map(|t| t.issuers().map(str::to_owned).collect())
        .unwrap_or_default();
    servers.push(base.clone());
    Json(ProtectedResourceMetadata {
        resource: base.clone(),
        authorization_servers: servers,
        // Spec §1: the PRISM header; RFC 6750 §2.1 too.
        bearer_methods_supported: vec!["header".to_owned()],
        resource_name: Some("onair reference service".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<script>"x"&'y'"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode("onair-demo:a%2Bb%3Ac"));
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        let a = basic_auth(&h).unwrap().unwrap();
        assert_eq!(a.client_id.as_deref(), Some("onair-demo"));
        assert_eq!(a.secret.unwrap().expose(), "a+b:c");
    }
}
