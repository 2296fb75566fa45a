//! The login's own time, from the browser's redirect back to onair to the
//! first answer of the API that names the user (`make bench`): the code
//! exchange, the ID token's check when there is one, and `GET /user` (or
//! the login server's userinfo). What the user does in the browser is not
//! counted: the scripted browser has landed on the loopback listener when
//! the clock starts.
//!
//! Four servers, 10 logins each, medians:
//! 1. the reference service's own login (RFC 8414, PRISM `GET /user`);
//! 2. node's oidc-provider as the issuer, the service trusting it, opaque
//!    access tokens (the service introspects them, RFC 7662);
//! 3. the same with JWT access tokens (RFC 9068), at the provider's issuer
//!    with a path, with pushed requests (RFC 9126) and an ID token;
//! 4. the provider alone (no PRISM API): who logged in from userinfo.
//!
//! Run: `cargo run --release -p onair-tests --example login_bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_client::{ClientOptions, Connector, LoginSlot, MemoryStore, Profile};
use onair_tests::oidc::{Op, API_AUDIENCE};
use onair_tests::service::{browse, Svc};

const LOGINS: usize = 10;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `LOGINS` logins of `user` with `profile`; the times from the redirect
/// to the user's name.
async fn logins(
    profile: &Profile,
    op: Option<&Op>,
    svc: Option<&Svc>,
    user: &str,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(LOGINS);
    for _ in 0..LOGINS {
        let store = Arc::new(MemoryStore::default());
        let conn = Connector::with_options(profile.clone(), store, ClientOptions::default())
            .await
            .unwrap();
        let pending = conn.start_login(&LoginSlot::default()).await.unwrap();
        match (op, svc) {
            (Some(op), _) => {
                let (url, cert, u) = (pending.url().to_string(), op.cert_path(), user.to_owned());
                tokio::task::spawn_blocking(move || Op::browse(&url, &u, "login", &cert))
                    .await
                    .unwrap();
            }
            (None, Some(svc)) => {
                browse(svc, &pending, user, "login").await;
            }
            (None, None) => unreachable!("a server to log in at"),
        }
        let started = Instant::now();
        let done = conn.complete_login(pending).await.unwrap();
        let name = done.user.unwrap().user_name;
        times.push(started.elapsed());
        assert!(!name.is_empty());
    }
    times
}

#[tokio::main]
async fn main() {
    let mut rows = Vec::new();

    let own = Svc::start().await;
    rows.push((
        "reference service, own login",
        logins(&own.profile(), None, Some(&own), "streamer").await,
    ));

    let op = Op::start(300);
    let issuers = [op.base.clone(), op.realm()];
    let svc = Svc::start_with(|c| op.service_config(c, &issuers, API_AUDIENCE)).await;
    let pin = op.fingerprint.clone();
    let opaque = op.profile(svc.base(), Some(&op.base), "onair-desktop", &pin);
    rows.push((
        "oidc-provider + service, opaque (introspected)",
        logins(&opaque, Some(&op), None, "streamer").await,
    ));
    let jwt = op.profile(svc.base(), Some(&op.realm()), "onair-jwt", &pin);
    rows.push((
        "oidc-provider realm + service, JWT, PAR",
        logins(&jwt, Some(&op), None, "streamer").await,
    ));
    let alone = op.profile(&op.base, None, "onair-desktop", &pin);
    rows.push((
        "oidc-provider alone, userinfo",
        logins(&alone, Some(&op), None, "streamer").await,
    ));

    println!("login: browser redirect to the first API answer, {LOGINS} logins each");
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        "server", "median", "min", "max"
    );
    for (name, times) in rows {
        let (min, max) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        println!(
            "{name:<48} {:>10} {:>10} {:>10}",
            ms(median(times)),
            ms(min),
            ms(max)
        );
    }
}
