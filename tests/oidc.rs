//! onair with a standard OpenID Connect provider (node's oidc-provider,
//! `tests/oidc/server.mjs`) as its login server: discovery (RFC 8414 §3.1,
//! OpenID Connect Discovery 1.0), the browser login with PKCE, `nonce`,
//! `prompt=consent` and pushed requests (RFC 9126), who logged in from
//! userinfo or the ID token, rotation saved, restore, revocation; and
//! every refusal on the way, each as its own error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_client::oauth::{self, ClientAuth, Grant, TokenError};
use onair_client::{
    ClientOptions, Connector, Error, LoginError, LoginSlot, MemoryStore, PendingLogin, TokenStore,
};
use onair_tests::oidc::{Op, REALM};

fn options() -> ClientOptions {
    ClientOptions {
        backoff: Duration::from_millis(20),
        ..ClientOptions::default()
    }
}

/// The browser stand-in on the pending login, off the async runtime.
async fn browse(op: &Op, pending: &PendingLogin, user: &str, action: &str) -> String {
    let (url, cert) = (pending.url().to_string(), op.cert_path());
    let (user, action) = (user.to_owned(), action.to_owned());
    tokio::task::spawn_blocking(move || Op::browse(&url, &user, &action, &cert))
        .await
        .unwrap()
}

fn query(pending: &PendingLogin) -> std::collections::HashMap<String, String> {
    pending.url().query_pairs().into_owned().collect()
}

/// Whether the provider still takes `refresh` (spending it if it does).
async fn refresh_works(op: &Op, conn: &Connector, refresh: &onair_api::Secret) -> bool {
    let auth = ClientAuth {
        client_id: conn.profile().client_id.clone(),
        client_secret: None,
    };
    match oauth::token(&op.http, conn.endpoints(), &auth, Grant::Refresh(refresh)).await {
        Ok(_) => true,
        Err(TokenError::Refused { .. }) => false,
        Err(TokenError::Failed(e)) => panic!("the provider failed: {e}"),
    }
}

#[tokio::test]
async fn the_client_logs_in_refreshes_restores_and_logs_out() {
    let op = Op::start(3);
    let store = Arc::new(MemoryStore::default());
    // The API domain is the provider's own host: it has no PRISM API, so
    // who logged in comes from OpenID Connect.
    let profile = op.profile(&op.base, None, "onair-desktop", &op.fingerprint);
    let conn = Connector::with_options(profile.clone(), store.clone(), options())
        .await
        .unwrap();
    let endpoints = conn.endpoints();
    assert_eq!(endpoints.issuer.as_deref(), Some(op.base.as_str()));
    assert_eq!(endpoints.token.as_str(), format!("{}/token", op.base));
    assert!(endpoints.userinfo.is_some() && endpoints.jwks.is_some());
    assert!(endpoints.revocation.is_some());
    assert!(endpoints.iss_required, "RFC 9207 promised");
    assert!(!endpoints.par_required);

    let slot = LoginSlot::default();
    let pending = conn.start_login(&slot).await.unwrap();
    let q = query(&pending);
    assert_eq!(q["scope"], "openid profile offline_access");
    assert_eq!(
        q["prompt"], "consent",
        "offline_access asks for consent (OIDC Core §11)"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["nonce"].len() >= 20);
    assert_eq!(pending.nonce(), Some(q["nonce"].as_str()));

    let started = Instant::now();
    let page = browse(&op, &pending, "streamer", "login").await;
    assert!(page.contains("You are logged in"), "{page}");
    let logged_in = conn.complete_login(pending).await.unwrap();
    let user = logged_in.user.unwrap();
    println!("login, browser to user: {:?}", started.elapsed());
    assert_eq!(user.user_id.as_str(), "streamer");
    assert_eq!(user.user_name, "Streamer Kim", "from userinfo");
    let client = logged_in.client;
    let account = format!("{}#streamer", op.base);
    assert_eq!(client.account().as_deref(), Some(account.as_str()));

    // Kept under the account; nothing left under the profile.
    let first = store
        .load("oidc", &account)
        .unwrap()
        .and_then(|c| c.refresh_token)
        .expect("the refresh token is stored");
    assert!(store.load("oidc", "").unwrap().is_none());

    // The access token lives 3 s: the next question refreshes, and the
    // rotated refresh token is what the store holds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(client.whoami().await.unwrap().user_name, "Streamer Kim");
    assert_eq!(client.refresh_count(), 1);
    let second = store
        .load("oidc", &account)
        .unwrap()
        .and_then(|c| c.refresh_token)
        .unwrap();
    // (Not presented again here: the provider would take a spent token
    // for a theft and revoke the whole login, as RFC 9700 §4.14.2 advises.)
    assert_ne!(first.expose(), second.expose(), "rotated and saved");

    // A restart: a new connector restores the login from the store.
    drop(client);
    let again = Connector::with_options(profile.clone(), store.clone(), options())
        .await
        .unwrap();
    let restored = again
        .restore_saved(Some(&account))
        .await
        .unwrap()
        .expect("a stored login");
    let user = restored.whoami().await.unwrap();
    assert_eq!(
        (user.user_id.as_str(), user.user_name.as_str()),
        ("streamer", "Streamer Kim")
    );
    let third = store
        .load("oidc", &account)
        .unwrap()
        .and_then(|c| c.refresh_token)
        .unwrap();
    assert_ne!(third.expose(), second.expose());

    // Logout revokes at the provider (RFC 7009) and forgets the entry.
    restored.logout().await.unwrap();
    assert!(store.load("oidc", &account).unwrap().is_none());
    assert!(
        !refresh_works(&op, &again, &third).await,
        "revoked at the provider"
    );
}

#[tokio::test]
async fn an_issuer_with_a_path_pushed_requests_and_the_id_token() {
    let op = Op::start(30);
    let store = Arc::new(MemoryStore::default());
    // The realm requires pushed requests; onair-jwt gets JWT access tokens
    // for the API, which userinfo does not take: the name comes from the
    // checked ID token.
    let realm = op.realm();
    let profile = op.profile(&op.base, Some(&realm), "onair-jwt", &op.fingerprint);
    let conn = Connector::with_options(profile, store.clone(), options())
        .await
        .unwrap();
    let endpoints = conn.endpoints();
    assert_eq!(endpoints.issuer.as_deref(), Some(realm.as_str()));
    assert!(endpoints
        .authorize
        .as_str()
        .starts_with(&format!("{realm}/")));
    assert!(endpoints.par_required && endpoints.par.is_some());

    let pending = conn.start_login(&LoginSlot::default()).await.unwrap();
    let q = query(&pending);
    let mut keys: Vec<&str> = q.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["client_id", "request_uri"], "RFC 9126 §4");
    browse(&op, &pending, "viewer", "login").await;
    let logged_in = conn.complete_login(pending).await.unwrap();
    let user = logged_in.user.unwrap();
    assert_eq!(
        (user.user_id.as_str(), user.user_name.as_str()),
        ("viewer", "Viewer Lee")
    );
    assert_eq!(logged_in.client.account(), Some(format!("{realm}#viewer")));
}

#[tokio::test]
async fn discovery_refuses_what_is_not_the_issuer() {
    let op = Op::start(30);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let connect = |issuer: String| {
        let profile = op.profile(&op.base, Some(&issuer), "onair-desktop", &op.fingerprint);
        Connector::with_options(profile, store.clone(), options())
    };
    // RFC 8414 §3.3: the document's issuer is not the one configured
    // (a trailing slash is another issuer).
    let err = connect(format!("{}/", op.realm())).await.unwrap_err();
    assert!(
        matches!(&err, Error::Profile { field, message } if field == "issuer" && message.contains("RFC 8414 §3.3")),
        "{err:?}"
    );
    // A path with no metadata behind it.
    let err = connect(format!("{}/realms/none", op.base))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Profile { field, message } if field == "issuer" && message.contains("no OAuth metadata")),
        "{err:?}"
    );
    // An issuer that is not https.
    let err = connect(format!("http://127.0.0.1{REALM}"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Profile { field, .. } if field == "issuer"),
        "{err:?}"
    );
}

#[tokio::test]
async fn refusals_at_login_are_told_apart() {
    let op = Op::start(30);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let profile = op.profile(&op.base, None, "onair-desktop", &op.fingerprint);
    let conn = Connector::with_options(profile, store.clone(), options())
        .await
        .unwrap();
    let slot = LoginSlot::default();

    // The user presses Deny.
    let pending = conn.start_login(&slot).await.unwrap();
    browse(&op, &pending, "streamer", "deny").await;
    assert_eq!(
        conn.complete_login(pending).await.unwrap_err(),
        Error::Login(LoginError::Denied)
    );

    // A login that asks for no scope: the provider refuses, and onair says
    // what to change rather than "denied".
    let http = &op.http;
    let auth = ClientAuth {
        client_id: "onair-desktop".into(),
        client_secret: None,
    };
    let pending = PendingLogin::start(
        &slot,
        onair_client::login::LoginRequest {
            http,
            client: &auth,
            endpoints: conn.endpoints(),
            scopes: &[],
            consent: false,
            timeout: Duration::from_secs(30),
        },
    )
    .await
    .unwrap();
    browse(&op, &pending, "streamer", "login").await;
    let err = conn.complete_login(pending).await.unwrap_err();
    assert_eq!(err, Error::Login(LoginError::NoScope));
    assert!(err.to_string().contains("granted no scope"), "{err}");

    // RFC 9207 §2.4: an answer naming another issuer, or none although
    // the provider promised one.
    for iss in [Some("https://evil.example"), None] {
        let pending = conn.start_login(&slot).await.unwrap();
        let state = query(&pending)["state"].clone();
        let mut url = format!(
            "http://{}/callback?code=abc&state={state}",
            pending.local_addr()
        );
        if let Some(iss) = iss {
            url.push_str(&format!("&iss={iss}"));
        }
        let landed = reqwest::get(&url).await.unwrap();
        assert_eq!(landed.status(), 400);
        assert_eq!(
            conn.complete_login(pending).await.unwrap_err(),
            Error::Login(LoginError::IssuerMismatch),
            "iss {iss:?}"
        );
    }
    // Nothing was kept by any of these.
    assert!(store.load("oidc", "").unwrap().is_none());
}

#[tokio::test]
async fn a_login_nobody_can_name_is_kept_and_restored() {
    // Only `offline_access`: no ID token, and userinfo refuses the token;
    // the API domain has no `GET /user`. The login is still kept.
    let op = Op::start(30);
    let store = Arc::new(MemoryStore::default());
    let mut profile = op.profile(&op.base, None, "onair-desktop", &op.fingerprint);
    profile.scopes = vec!["offline_access".into()];
    let conn = Connector::with_options(profile.clone(), store.clone(), options())
        .await
        .unwrap();
    let pending = conn.start_login(&LoginSlot::default()).await.unwrap();
    assert_eq!(query(&pending)["scope"], "offline_access");
    assert!(pending.nonce().is_none(), "no openid, no nonce");
    browse(&op, &pending, "streamer", "login").await;
    let logged_in = conn.complete_login(pending).await.unwrap();
    assert!(logged_in.user.is_err(), "nobody says who this is");
    assert_eq!(logged_in.client.account(), None);
    let kept = store
        .load("oidc", "")
        .unwrap()
        .and_then(|c| c.refresh_token)
        .expect("kept under the profile at the code exchange");
    drop(logged_in);

    // The next start restores it, and it still works (a refresh).
    let again = Connector::with_options(profile, store.clone(), options())
        .await
        .unwrap();
    let restored = again.restore_saved(None).await.unwrap().expect("restored");
    assert!(restored.whoami().await.is_err());
    assert_eq!(restored.refresh_count(), 1, "the stored login refreshed");
    let now = store
        .load("oidc", "")
        .unwrap()
        .and_then(|c| c.refresh_token)
        .unwrap();
    assert_ne!(
        now.expose(),
        kept.expose(),
        "the rotated token kept in its place"
    );
    restored.logout().await.unwrap();
    assert!(store.load("oidc", "").unwrap().is_none());
}

// ----- the reference service trusting the provider (--trust-issuer) -----

use onair_client::oauth::Tokens;
use onair_tests::oidc::API_AUDIENCE;
use onair_tests::service::Svc;

/// A login of `user` at `issuer` (the root when `None`) with `client_id`,
/// down to its tokens.
async fn tokens_of(op: &Op, issuer: Option<&str>, client_id: &str, user: &str) -> Tokens {
    let store = Arc::new(MemoryStore::default());
    let profile = op.profile(&op.base, issuer, client_id, &op.fingerprint);
    let conn = Connector::with_options(profile, store, options())
        .await
        .unwrap();
    let pending = conn.start_login(&LoginSlot::default()).await.unwrap();
    browse(op, &pending, user, "login").await;
    let auth = ClientAuth {
        client_id: client_id.to_owned(),
        client_secret: None,
    };
    pending.finish(&op.http, &auth).await.unwrap()
}

/// `GET /user` with `token`: the status and the envelope.
async fn user_call(svc: &Svc, token: &str) -> (u16, serde_json::Value) {
    let resp = svc
        .http
        .get(format!("{}/prism/v1/service/user", svc.base()))
        .header("x-prism-access-token", token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn count(svc: &Svc, table: &str) -> i64 {
    onair_service::testing::count(svc.running.state(), table).await
}

#[tokio::test]
async fn the_service_takes_the_tokens_of_a_trusted_provider() {
    let op = Op::start(30);
    let issuers = [op.base.clone(), op.realm()];
    let svc = Svc::start_with(|c| op.service_config(c, &issuers, API_AUDIENCE)).await;
    let pin = svc.running.fingerprint().unwrap().to_owned();
    assert_eq!(pin, op.fingerprint, "one certificate for both");

    // Opaque tokens (introspected): onair logs in at the provider, and the
    // service's GET /user names the person it made of the token's `sub`,
    // with the name from the provider's userinfo.
    let store = Arc::new(MemoryStore::default());
    let profile = op.profile(svc.base(), Some(&op.base), "onair-desktop", &pin);
    let conn = Connector::with_options(profile, store.clone(), options())
        .await
        .unwrap();
    let pending = conn.start_login(&LoginSlot::default()).await.unwrap();
    browse(&op, &pending, "streamer", "login").await;
    let logged_in = conn.complete_login(pending).await.unwrap();
    let user = logged_in.user.unwrap();
    // The demo's own "streamer" is someone else.
    assert_eq!(user.user_id.as_str(), "streamer-2");
    assert_eq!(user.user_name, "Streamer Kim");
    let client = logged_in.client;
    assert_eq!(client.account().as_deref(), Some("streamer-2"));
    let channels = client.channels().await.unwrap();
    let names: Vec<&str> = channels
        .channels
        .iter()
        .map(|c| c.channel_name.as_str())
        .collect();
    assert_eq!(names, ["Streamer Kim's channel"]);
    // The same person again is the same user.
    let again = tokens_of(&op, None, "onair-desktop", "streamer").await;
    let (status, body) = user_call(&svc, again.access.expose()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["userId"], "streamer-2");

    // JWT access tokens (RFC 9068) of the issuer with a path.
    let jwt = tokens_of(&op, Some(&op.realm()), "onair-jwt", "viewer").await;
    assert_eq!(jwt.access.expose().split('.').count(), 3, "a JWT");
    let (status, body) = user_call(&svc, jwt.access.expose()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["userId"], "viewer-2");
    assert_eq!(count(&svc, "external_accounts").await, 2);
}

#[tokio::test]
async fn the_service_refuses_what_it_cannot_trust() {
    // Access tokens live 2 s, to see one expire.
    let op = Op::start(2);
    let trusted = [op.base.clone()];
    let svc = Svc::start_with(|c| op.service_config(c, &trusted, API_AUDIENCE)).await;
    let picky =
        Svc::start_with(|c| op.service_config(c, &trusted, "https://other.example/api")).await;
    let users = count(&svc, "users").await;

    let jwt = tokens_of(&op, None, "onair-jwt", "streamer").await;
    let later = tokens_of(&op, None, "onair-jwt", "streamer").await;
    let untrusted = tokens_of(&op, Some(&op.realm()), "onair-jwt", "streamer").await;
    let opaque = tokens_of(&op, None, "onair-desktop", "streamer").await;

    let refused = |(status, body): (u16, serde_json::Value), why: &str| {
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body["success"], false, "{why}: the envelope");
        assert_eq!(body["errorName"], "UNAUTHORIZED", "{why}: {body}");
        body["message"].as_str().unwrap().to_owned()
    };
    let m = refused(
        user_call(&svc, untrusted.access.expose()).await,
        "untrusted issuer",
    );
    assert!(m.contains("another issuer"), "{m}");
    // Another first character of the signature (the last one may carry
    // only padding bits, which decoders ignore).
    let token = jwt.access.expose();
    let at = token.rfind('.').unwrap() + 1;
    let first = &token[at..=at];
    let forged = format!(
        "{}{}{}",
        &token[..at],
        if first == "A" { "B" } else { "A" },
        &token[at + 1..]
    );
    let m = refused(user_call(&svc, &forged).await, "bad signature");
    assert!(m.contains("signature"), "{m}");
    let m = refused(
        user_call(&picky, jwt.access.expose()).await,
        "wrong audience",
    );
    assert!(m.contains("audience"), "{m}");
    refused(
        user_call(&svc, "not-a-token-anyone-issued").await,
        "unknown opaque token",
    );

    // RFC 7662: revoked at the provider, its introspection says inactive.
    let auth = ClientAuth {
        client_id: "onair-desktop".into(),
        client_secret: None,
    };
    let profile = op.profile(&op.base, None, "onair-desktop", &op.fingerprint);
    let endpoints = oauth::discover(&op.http, &profile).await.unwrap();
    // The access token this time (RFC 7009 §2.1 takes either kind).
    oauth::revoke(&op.http, &endpoints, &auth, &opaque.access)
        .await
        .unwrap();
    let m = refused(user_call(&svc, opaque.access.expose()).await, "inactive");
    assert!(m.contains("not active"), "{m}");

    // Expired (2 s of life, 5 s of leeway).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let m = refused(user_call(&svc, later.access.expose()).await, "expired");
    assert!(m.contains("expired"), "{m}");

    // Nothing was created by any of them.
    assert_eq!(count(&svc, "users").await, users);
    assert_eq!(count(&svc, "external_accounts").await, 0);
    assert_eq!(count(&picky, "external_accounts").await, 0);
}

#[tokio::test]
async fn one_address_is_enough_to_add_a_service() {
    let op = Op::start(30);
    let issuers = [op.base.clone()];
    let svc = Svc::start_with(|c| op.service_config(c, &issuers, API_AUDIENCE)).await;
    let settings = onair_client::lookup::Settings {
        pin: Some(&op.fingerprint),
        client_id: "onair-desktop",
        ..Default::default()
    };
    // RFC 9728: the service names the provider; its OpenID Connect
    // metadata names the rest. Typed as people type it.
    let address = svc.base().trim_start_matches("https://").to_owned() + "/prism/v1/service/";
    let found = onair_client::lookup::lookup(&address, &settings)
        .await
        .unwrap();
    assert_eq!(found.api_domain, svc.base());
    assert_eq!(found.issuer.as_deref(), Some(op.base.as_str()));
    assert_eq!(found.endpoints.token.as_str(), format!("{}/token", op.base));
    assert_eq!(found.scopes, ["openid", "profile", "offline_access"]);
    assert_eq!(found.name, "onair reference service");

    // A service that logs in with its own server: no issuer of its own.
    let own = Svc::start().await;
    let pin = own.running.fingerprint().unwrap().to_owned();
    let settings = onair_client::lookup::Settings {
        pin: Some(&pin),
        client_id: "onair-desktop",
        ..Default::default()
    };
    let found = onair_client::lookup::lookup(own.base(), &settings)
        .await
        .unwrap();
    assert_eq!(found.issuer, None);
    assert_eq!(found.endpoints.issuer.as_deref(), Some(own.base()));
    assert!(found.scopes.is_empty(), "a PRISM service gets no scope");
}

#[tokio::test]
async fn the_service_follows_a_key_rotation() {
    let mut op = Op::start(30);
    let issuers = [op.base.clone()];
    let svc = Svc::start_with(|c| {
        op.service_config(c, &issuers, API_AUDIENCE);
        // Any token naming a new key may read the keys again at once.
        c.trust.jwks_refetch = Duration::ZERO;
    })
    .await;
    let before = tokens_of(&op, None, "onair-jwt", "streamer").await;
    assert_eq!(user_call(&svc, before.access.expose()).await.0, 200);

    // New keys with new ids: the service reads the issuer's JWKS again
    // for the first token it cannot place, and takes it.
    op.restart();
    let after = tokens_of(&op, None, "onair-jwt", "streamer").await;
    let kid = |t: &Tokens| onair_api::jose::key_id(t.access.expose()).unwrap();
    assert_ne!(kid(&before), kid(&after), "a rotation");
    let (status, body) = user_call(&svc, after.access.expose()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["user"]["userId"], "streamer-2",
        "the same person"
    );
}
