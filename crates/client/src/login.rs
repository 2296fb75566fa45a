//! Browser login for a native app, the RFC 8252 way: the authorization
//! request goes to the system browser, the answer comes back to a one-shot
//! HTTP listener on the loopback interface.
//!
//! - The listener binds `127.0.0.1` port 0, never `0.0.0.0` and never the
//!   name `localhost` (RFC 8252 §7.3, §8.3); the redirect URI is
//!   `http://127.0.0.1:{port}/callback`.
//! - PKCE S256 (RFC 7636) and a random `state` (RFC 6749 §10.12), both
//!   from the `oauth2` crate; a `nonce` when asking for `openid` (OpenID
//!   Connect Core §3.1.2.1), and `prompt=consent` with `offline_access`
//!   (§11).
//! - Where the server requires it, the request is pushed first (RFC 9126)
//!   and the browser carries only `client_id` and `request_uri`.
//! - It answers exactly one request on `/callback` (RFC 6749 §4.1.2), then
//!   closes; other paths get 404 and leave the login running. Keep-alive
//!   is off, requests are bounded and headers must arrive within 10 s.
//! - The callback's `iss` (RFC 9207 §2.4) must be the issuer when present,
//!   and present when the server promised it.
//! - A login ends on the callback, its timeout, its cancel handle, or a
//!   newer login started through the same [`LoginSlot`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::{Error, LoginError, Result};
use crate::oauth::{self, ClientAuth, Endpoints, Grant, TokenError, Tokens};

/// Default time the user has to finish in the browser.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Largest request the listener reads (headers included).
const MAX_REQUEST: usize = 16 * 1024;
/// Time a connection has to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// At most one login at a time: starting one cancels the one before.
#[derive(Debug, Clone, Default)]
pub struct LoginSlot(Arc<Mutex<Option<CancellationToken>>>);

impl LoginSlot {
    fn replace(&self, token: CancellationToken) {
        let previous = self.0.lock().expect("login slot").replace(token);
        if let Some(previous) = previous {
            previous.cancel();
        }
    }

    /// Cancels the running login, if any.
    pub fn cancel(&self) {
        if let Some(t) = self.0.lock().expect("login slot").take() {
            t.cancel();
        }
    }
}

/// Cancels one login from anywhere (the UI's Cancel button).
#[derive(Debug, Clone)]
pub struct CancelHandle(CancellationToken);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

/// A login waiting for the browser.
#[derive(Debug)]
pub struct PendingLogin {
    url: Url,
    redirect_uri: String,
    local_addr: SocketAddr,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    nonce: Option<String>,
    endpoints: Endpoints,
    cancel: CancellationToken,
    timeout: Duration,
    answer: oneshot::Receiver<std::result::Result<String, LoginError>>,
}

/// What [`PendingLogin::start`] needs.
#[derive(Debug, Clone)]
pub struct LoginRequest<'a> {
    /// For a pushed request (RFC 9126).
    pub http: &'a reqwest::Client,
    pub client: &'a ClientAuth,
    pub endpoints: &'a Endpoints,
    pub scopes: &'a [String],
    /// Ask for `prompt=consent` (OpenID Connect Core §11).
    pub consent: bool,
    pub timeout: Duration,
}

impl PendingLogin {
    /// Binds the loopback listener and builds the authorization URL
    /// (RFC 6749 §4.1.1 + RFC 7636 §4.3). Nothing is opened yet.
    pub async fn start(slot: &LoginSlot, request: LoginRequest<'_>) -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| LoginError::Listener(e.to_string()))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| LoginError::Listener(e.to_string()))?;
        let redirect_uri = format!("http://{local_addr}/callback");
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let endpoints = request.endpoints;
        let client_id = &request.client.client_id;
        let client = oauth2::basic::BasicClient::new(ClientId::new(client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorize.clone()))
            .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).expect("loopback URL"));
        let nonce = request
            .scopes
            .iter()
            .any(|s| s == "openid")
            .then(|| CsrfToken::new_random().secret().clone());
        let mut authorize = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(request.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        if request.consent {
            authorize = authorize.add_extra_param("prompt", "consent");
        }
        if let Some(nonce) = &nonce {
            authorize = authorize.add_extra_param("nonce", nonce.clone());
        }
        let (mut url, state) = authorize.url();
        if let (true, Some(par)) = (endpoints.par_required, &endpoints.par) {
            let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let request_uri =
                oauth::push_authorization(request.http, par, request.client, &params).await?;
            url = endpoints.authorize.clone();
            url.query_pairs_mut()
                .clear()
                .append_pair("client_id", client_id)
                .append_pair("request_uri", &request_uri);
        }
        let cancel = CancellationToken::new();
        slot.replace(cancel.clone());
        let (tx, answer) = oneshot::channel();
        let expect = Expect {
            state: state.secret().clone(),
            issuer: endpoints.issuer.clone(),
            iss_required: endpoints.iss_required,
            asked_no_scope: request.scopes.is_empty() && !endpoints.scopes_supported.is_empty(),
        };
        // The listener stops on its own after one answer (a child token), or
        // when the login is cancelled (the parent).
        tokio::spawn(serve_callback(listener, expect, tx, cancel.child_token()));
        Ok(Self {
            url,
            redirect_uri,
            local_addr,
            state,
            verifier,
            nonce,
            endpoints: endpoints.clone(),
            cancel,
            timeout: request.timeout,
            answer,
        })
    }

    /// The authorization URL, for "copy login URL" when no browser opens.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where the listener listens (always 127.0.0.1).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The `nonce` the ID token must carry (OpenID Connect Core §3.1.2.1),
    /// when the login asks for `openid`.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The redirect URI sent to the service.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel.clone())
    }

    /// Opens the system browser on the authorization URL.
    pub fn open_browser(&self) -> Result<()> {
        webbrowser::open(self.url.as_str())
            .map_err(|e| Error::Transport(format!("cannot open a browser: {e}")))
    }

    /// Waits for the browser's answer, then exchanges the code (RFC 6749
    /// §4.1.3). The login's tokens are the result; fetching the user is
    /// the caller's next step.
    pub async fn finish(mut self, http: &reqwest::Client, client: &ClientAuth) -> Result<Tokens> {
        let code = self.wait().await?;
        let grant = Grant::Code {
            code: &code,
            redirect_uri: &self.redirect_uri,
            verifier: self.verifier.secret(),
            state: self.state.secret(),
        };
        match oauth::token(http, &self.endpoints, client, grant).await {
            Ok(tokens) => Ok(tokens),
            Err(TokenError::Refused { error, description }) => {
                Err(LoginError::Exchange(match description {
                    Some(d) => format!("{error}: {d}"),
                    None => error,
                })
                .into())
            }
            Err(TokenError::Failed(e)) => Err(e),
        }
    }

    /// The authorization code, once the browser brings it.
    async fn wait(&mut self) -> Result<String> {
        let outcome = tokio::select! {
            biased;
            answer = &mut self.answer => answer.unwrap_or(Err(LoginError::Cancelled)),
            () = tokio::time::sleep(self.timeout) => Err(LoginError::TimedOut),
            () = self.cancel.cancelled() => Err(LoginError::Cancelled),
        };
        // Whatever ended the wait, the listener closes now.
        self.cancel.cancel();
        outcome.map_err(Error::from)
    }
}

/// What a valid callback must carry.
struct Expect {
    state: String,
    issuer: Option<String>,
    iss_required: bool,
    /// The login asked for no scope of a server that has some: its
    /// `access_denied` is most likely about that, not the user.
    asked_no_scope: bool,
}

impl Expect {
    /// RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207 §2.4.
    fn check(&self, query: &HashMap<String, String>) -> std::result::Result<String, LoginError> {
        let state_ok = query
            .get("state")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(self.state.as_bytes())));
        if !state_ok {
            return Err(LoginError::StateMismatch);
        }
        match (query.get("iss"), &self.issuer) {
            (Some(iss), Some(issuer))
                if iss.trim_end_matches('/') != issuer.trim_end_matches('/') =>
            {
                return Err(LoginError::IssuerMismatch)
            }
            (None, Some(_)) if self.iss_required => return Err(LoginError::IssuerMismatch),
            _ => {}
        }
        if let Some(error) = query.get("error") {
            return Err(match error.as_str() {
                "access_denied" if self.asked_no_scope => LoginError::NoScope,
                "access_denied" => LoginError::Denied,
                _ => LoginError::Refused {
                    error: error.clone(),
                    description: query.get("error_description").cloned(),
                },
            });
        }
        match query.get("code") {
            Some(code) if !code.is_empty() => Ok(code.clone()),
            _ => Err(LoginError::MissingCode),
        }
    }
}

type Answer = oneshot::Sender<std::result::Result<String, LoginError>>;

/// Serves the loopback listener until one `/callback` has been answered or
/// the login is cancelled; then the listener is dropped (closed).
async fn serve_callback(
    listener: TcpListener,
    expect: Expect,
    answer: Answer,
    cancel: CancellationToken,
) {
    let expect = Arc::new(expect);
    let answer = Arc::new(Mutex::new(Some(answer)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(false)
        .max_buf_size(MAX_REQUEST)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "login listener accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = cancel.cancelled() => break,
        };
        let expect = expect.clone();
        let answer = answer.clone();
        let cancel_after = cancel.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let response = respond(&req, &expect, &answer, &cancel_after);
            async move { Ok::<_, Infallible>(response) }
        });
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "login listener connection");
            }
        });
    }
    tracing::debug!("login listener closed");
}

fn respond(
    req: &Request<Incoming>,
    expect: &Expect,
    answer: &Mutex<Option<Answer>>,
    done: &CancellationToken,
) -> Response<Full<Bytes>> {
    if req.method() != Method::GET || req.uri().path() != "/callback" {
        return page(StatusCode::NOT_FOUND, "Not found", "There is nothing here.");
    }
    let Some(tx) = answer.lock().expect("answer lock").take() else {
        return page(
            StatusCode::GONE,
            "Already done",
            "This login has already finished. You can close this tab.",
        );
    };
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let result = expect.check(&query);
    let response = match &result {
        Ok(_) => page(
            StatusCode::OK,
            "You are logged in",
            "onair has your login. You can close this tab and go back to the app.",
        ),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            "Login not completed",
            &format!(
                "{}. Go back to onair to try again.",
                capitalise(&e.to_string())
            ),
        ),
    };
    let _ = tx.send(result);
    // One answer only: the accept loop stops and the listener closes.
    done.cancel();
    response
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A short page for the browser tab. Texts are ours only: nothing from the
/// request is reflected.
fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>onair: {title}</title>\
         <style>body{{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;padding:0 1em;color:#222}}</style>\
         </head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("connection", "close")
        .header("referrer-policy", "no-referrer")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        )
        .body(Full::new(Bytes::from(html)))
        .expect("static response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect() -> Expect {
        Expect {
            state: "S".into(),
            issuer: Some("https://svc.example".into()),
            iss_required: false,
            asked_no_scope: false,
        }
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn callback_checks() {
        let e = expect();
        assert_eq!(
            e.check(&q(&[("code", "C"), ("state", "S")])),
            Ok("C".into())
        );
        assert_eq!(
            e.check(&q(&[("code", "C"), ("state", "X")])),
            Err(LoginError::StateMismatch)
        );
        assert_eq!(
            e.check(&q(&[("code", "C")])),
            Err(LoginError::StateMismatch)
        );
        assert_eq!(
            e.check(&q(&[("error", "access_denied"), ("state", "S")])),
            Err(LoginError::Denied)
        );
        assert!(matches!(
            e.check(&q(&[("error", "server_error"), ("state", "S")])),
            Err(LoginError::Refused { error, .. }) if error == "server_error"
        ));
        assert_eq!(e.check(&q(&[("state", "S")])), Err(LoginError::MissingCode));
        assert_eq!(
            e.check(&q(&[
                ("code", "C"),
                ("state", "S"),
                ("iss", "https://evil.example")
            ])),
            Err(LoginError::IssuerMismatch)
        );
        assert_eq!(
            e.check(&q(&[
                ("code", "C"),
                ("state", "S"),
                ("iss", "https://svc.example/")
            ])),
            Ok("C".into())
        );
        let no_scope = Expect {
            asked_no_scope: true,
            ..expect()
        };
        assert_eq!(
            no_scope.check(&q(&[("error", "access_denied"), ("state", "S")])),
            Err(LoginError::NoScope)
        );
        let strict = Expect {
            iss_required: true,
            ..expect()
        };
        assert_eq!(
            strict.check(&q(&[("code", "C"), ("state", "S")])),
            Err(LoginError::IssuerMismatch)
        );
    }
}
