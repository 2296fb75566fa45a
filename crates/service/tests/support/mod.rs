//! Shared helpers of the service tests: a real service on 127.0.0.1:0 over
//! real TLS, an HTTPS client that trusts only its certificate, and a
//! scripted browser for the login page.

#![allow(dead_code, unused_imports)]

use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
pub use onair_service::testing::{client_for, hidden_inputs, submit_login, Submitted};
use onair_service::{AppState, Config, ManualClock, Running, Storage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A running service.
pub struct TestService {
    pub base: String,
    pub admin_token: String,
    pub cert_pem: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    running: Option<Running>,
}

/// A fresh temporary directory, removed by the caller.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "onair-test-{tag}-{}",
        onair_service::crypto::random_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl TestService {
    /// In memory, demo data, a manual clock.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`start`], with the config adjusted first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let (running, clock) =
            onair_service::testing::start("127.0.0.1:0".parse().unwrap(), adjust)
                .await
                .unwrap();
        let cert_pem = running.cert_pem().unwrap().to_owned();
        Self {
            base: running.base_url().to_owned(),
            admin_token: running.admin_token().to_owned(),
            http: client_for(&cert_pem),
            cert_pem,
            state: running.state().clone(),
            clock,
            running: Some(running),
        }
    }

    /// On a data directory.
    pub async fn start_in(dir: &std::path::Path) -> Self {
        Self::start_with(|c| c.storage = Storage::Dir(dir.to_owned())).await
    }

    /// Stops the service and waits until it has closed its database.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A service API call with an access token; returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.header("x-prism-access-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A public document (metadata, OpenAPI) as JSON.
    pub async fn public_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), body).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// An operator call.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Logs `user` (password = user name) in through the public client.
    pub async fn login(&self, user: &str) -> Tokens {
        let flow = AuthFlow::public();
        let code = flow
            .authorize(self, user, user)
            .await
            .expect("login redirects with a code");
        flow.exchange(self, &code)
            .await
            .expect("code exchange succeeds")
    }

    /// A user with a channel of their own (operator routes).
    pub async fn user_with_channel(&self, user: &str, channel: &str) -> Tokens {
        let (s, _) = self
            .admin(
                Method::POST,
                "/admin/user",
                Some(json!({"userId": user, "password": user})),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = self
            .admin(
                Method::POST,
                "/admin/channel",
                Some(json!({"channelId": channel, "ownerId": user, "channelName": channel})),
            )
            .await;
        assert_eq!(s, 200);
        self.login(user).await
    }

    /// Creates a live in a channel; returns its id.
    pub async fn create_live(&self, token: &str, channel: &str, title: &str) -> String {
        self.create_live_with(token, channel, json!({"title": title}))
            .await["liveId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a live in a channel from this body; returns the live.
    pub async fn create_live_with(&self, token: &str, channel: &str, body: Value) -> Value {
        let (s, v) = self
            .post(
                &format!("/prism/v1/service/channel/{channel}/live"),
                token,
                body,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v["data"]["live"].clone()
    }
}

/// Polls `probe` every 100 ms until it gives `Some`, for at most `within`.
pub async fn until<T, F: std::future::Future<Output = Option<T>>>(
    within: std::time::Duration,
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let end = std::time::Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < end,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Access and refresh token of a login.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl Tokens {
    fn from_json(v: &Value) -> Self {
        Self {
            access: v["access_token"].as_str().unwrap().to_owned(),
            refresh: v["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// One authorization code flow, as a scripted browser and client.
#[derive(Debug, Clone)]
pub struct AuthFlow {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
    pub state: String,
    pub verifier: Option<String>,
}

impl AuthFlow {
    /// The public desktop client with PKCE.
    pub fn public() -> Self {
        Self {
            client_id: "onair-desktop".into(),
            secret: None,
            redirect_uri: "http://127.0.0.1:53682/callback".into(),
            state: onair_service::crypto::random_token(16),
            verifier: Some(onair_service::crypto::random_token(32)),
        }
    }

    /// The confidential demo client, no PKCE.
    pub fn confidential() -> Self {
        Self {
            client_id: "onair-demo".into(),
            secret: Some("onair-demo-secret".into()),
            verifier: None,
            ..Self::public()
        }
    }

    pub fn authorize_url(&self, svc: &TestService) -> String {
        format!(
            "{}?{}",
            svc.url("/oauth/authorize"),
            self.authorize_url_query()
        )
    }

    /// The query string of the authorization request (RFC 6749 §4.1.1).
    pub fn authorize_url_query(&self) -> String {
        let mut pairs = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("state", self.state.clone()),
        ];
        if let Some(v) = &self.verifier {
            pairs.push((
                "code_challenge",
                URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())),
            ));
            pairs.push(("code_challenge_method", "S256".into()));
        }
        serde_urlencoded::to_string(&pairs).unwrap()
    }

    /// Opens the login page, fills it in and submits it. `Ok(code)` when
    /// the service redirects with a code (and the unchanged state);
    /// `Err((status, body or Location))` otherwise.
    pub async fn authorize(
        &self,
        svc: &TestService,
        user: &str,
        password: &str,
    ) -> Result<String, (StatusCode, String)> {
        self.submit(svc, user, password, "login").await
    }

    pub async fn submit(
        &self,
        svc: &TestService,
        user: &str,
        password: &str,
        action: &str,
    ) -> Result<String, (StatusCode, String)> {
        let submitted = submit_login(&svc.http, &self.authorize_url(svc), user, password, action)
            .await
            .unwrap();
        let loc = match submitted {
            Submitted::Redirect(loc) => loc,
            Submitted::Page(status, body) => return Err((status, body)),
        };
        let url = url::Url::parse(&loc).unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        match q.get("code") {
            Some(code) => {
                assert_eq!(
                    q.get("state"),
                    Some(&self.state),
                    "state comes back unchanged"
                );
                assert_eq!(q.get("iss"), Some(&svc.base), "RFC 9207 iss");
                Ok(code.clone())
            }
            None => Err((StatusCode::FOUND, loc)),
        }
    }

    /// The login form posted as a browser would (no page fetched first),
    /// from `http`; the raw answer.
    pub async fn post_login(
        &self,
        svc: &TestService,
        http: &reqwest::Client,
        user: &str,
        password: &str,
    ) -> reqwest::Response {
        let form = format!(
            "{}&username={user}&password={password}&action=login",
            self.authorize_url_query()
        );
        http.post(svc.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap()
    }

    /// `POST /oauth/token` with this flow's client authentication.
    pub async fn token_request(
        &self,
        svc: &TestService,
        mut form: Vec<(&str, String)>,
    ) -> (StatusCode, Value) {
        let mut req = svc
            .http
            .post(svc.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded");
        match &self.secret {
            Some(s) => req = req.basic_auth(&self.client_id, Some(s)),
            None => form.push(("client_id", self.client_id.clone())),
        }
        let resp = req
            .body(serde_urlencoded::to_string(&form).unwrap())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn exchange_raw(&self, svc: &TestService, code: &str) -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", self.redirect_uri.clone()),
        ];
        if let Some(v) = &self.verifier {
            form.push(("code_verifier", v.clone()));
        }
        self.token_request(svc, form).await
    }

    pub async fn exchange(&self, svc: &TestService, code: &str) -> Result<Tokens, Value> {
        match self.exchange_raw(svc, code).await {
            (StatusCode::OK, v) => Ok(Tokens::from_json(&v)),
            (_, v) => Err(v),
        }
    }

    pub async fn refresh(&self, svc: &TestService, refresh: &str) -> (StatusCode, Value) {
        self.token_request(
            svc,
            vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh.into()),
            ],
        )
        .await
    }
}
