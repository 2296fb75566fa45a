//! The reference service end to end: real TLS on 127.0.0.1:0, in-process,
//! driven as PRISM Live Studio and onair would drive it.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{until, AuthFlow, TestService};

const P: &str = "/prism/v1/service";

async fn say(svc: &TestService, live: &str, t: &support::Tokens, m: &str) -> (StatusCode, Value) {
    svc.put(
        &format!("{live}/chat"),
        &t.access,
        Some(json!({"message": m})),
    )
    .await
}

fn error_name(v: &Value) -> &str {
    v["errorName"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------- OAuth

#[tokio::test]
async fn login_flow_from_authorize_to_api() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (s, v) = svc.get(&format!("{P}/user"), &t.access).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["errorCode"], 0);
    assert_eq!(v["data"]["user"]["userId"], "streamer");
    assert_eq!(v["data"]["user"]["userName"], "Streamer Kim");
    // Bearer works as well as x-prism-access-token.
    let r = svc
        .http
        .get(svc.url(&format!("{P}/channel/list")))
        .bearer_auth(&t.access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["channels"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn login_page_wrong_password_and_cancel() {
    let svc = TestService::start().await;
    let flow = AuthFlow::public();
    let (status, body) = flow.authorize(&svc, "streamer", "wrong").await.unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("Wrong user name or password"),
        "the form again, with an error"
    );
    assert!(body.contains("name=\"password\""));
    let (_, body) = flow.authorize(&svc, "nobody", "nobody").await.unwrap_err();
    assert!(body.contains("Wrong user name or password"));
    let (status, location) = flow.submit(&svc, "", "", "cancel").await.unwrap_err();
    assert_eq!(status, StatusCode::FOUND);
    let url = url::Url::parse(&location).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], flow.state);
    assert!(location.starts_with("http://127.0.0.1:53682/callback?"));
}

#[tokio::test]
async fn authorize_refuses_bad_requests() {
    let svc = TestService::start().await;
    // Unregistered redirect: a page, never a redirect (RFC 6749 §4.1.2.1).
    let flow = AuthFlow {
        redirect_uri: "http://evil.example/callback".into(),
        ..AuthFlow::public()
    };
    let (status, body) = flow
        .authorize(&svc, "streamer", "streamer")
        .await
        .unwrap_err();
    assert_eq!(status, 400);
    assert!(body.contains("not registered"));
    // Unknown client: a page.
    let flow = AuthFlow {
        client_id: "nope".into(),
        ..AuthFlow::public()
    };
    assert_eq!(
        flow.authorize(&svc, "streamer", "streamer")
            .await
            .unwrap_err()
            .0,
        400
    );
    // Public client without PKCE: redirected with invalid_request.
    let flow = AuthFlow {
        verifier: None,
        ..AuthFlow::public()
    };
    let (status, loc) = flow
        .authorize(&svc, "streamer", "streamer")
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::FOUND);
    assert!(loc.contains("error=invalid_request"), "{loc}");
    // Loopback redirect on any port, IPv6 too (RFC 8252 §7.3).
    for uri in ["http://127.0.0.1:1/callback", "http://[::1]:65000/callback"] {
        let flow = AuthFlow {
            redirect_uri: uri.into(),
            ..AuthFlow::public()
        };
        let code = flow.authorize(&svc, "viewer", "viewer").await.unwrap();
        flow.exchange(&svc, &code).await.unwrap();
    }
}

#[tokio::test]
async fn code_attacks_are_refused() {
    let svc = TestService::start().await;
    let flow = AuthFlow::public();

    // Replay: the second exchange fails and revokes what the first issued.
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let tokens = flow.exchange(&svc, &code).await.unwrap();
    assert_eq!(svc.get(&format!("{P}/user"), &tokens.access).await.0, 200);
    let (s, v) = flow.exchange_raw(&svc, &code).await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(svc.get(&format!("{P}/user"), &tokens.access).await.0, 401);
    assert_eq!(flow.refresh(&svc, &tokens.refresh).await.0, 400);

    // Wrong verifier, no verifier, another client, wrong redirect.
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let wrong = AuthFlow {
        verifier: Some(onair_service::crypto::random_token(32)),
        ..flow.clone()
    };
    assert_eq!(
        wrong.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );
    // ... and the code is spent by that attempt.
    assert_eq!(
        flow.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );

    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let none = AuthFlow {
        verifier: None,
        ..flow.clone()
    };
    assert_eq!(
        none.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );

    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let other = AuthFlow {
        verifier: flow.verifier.clone(),
        ..AuthFlow::confidential()
    };
    assert_eq!(
        other.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );

    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let moved = AuthFlow {
        redirect_uri: "http://127.0.0.1:9/callback".into(),
        ..flow.clone()
    };
    assert_eq!(
        moved.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );

    // Expired: codes live 60 s.
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    svc.clock.advance(Duration::from_secs(61));
    assert_eq!(
        flow.exchange_raw(&svc, &code).await.1["error"],
        "invalid_grant"
    );

    // Garbage.
    assert_eq!(
        flow.exchange_raw(&svc, "not-a-code").await.1["error"],
        "invalid_grant"
    );
    let (s, v) = flow
        .token_request(&svc, vec![("grant_type", "password".into())])
        .await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (_, v) = flow.token_request(&svc, vec![]).await;
    assert_eq!(v["error"], "invalid_request");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_login() {
    let svc = TestService::start().await;
    let flow = AuthFlow::public();
    let first = svc.login("streamer").await;
    let (s, v) = flow.refresh(&svc, &first.refresh).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 3600);
    let second = (
        v["access_token"].as_str().unwrap().to_owned(),
        v["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(second.1, first.refresh, "refresh tokens rotate");
    assert_eq!(svc.get(&format!("{P}/user"), &second.0).await.0, 200);
    // The spent one comes back: the whole login is revoked.
    let (s, v) = flow.refresh(&svc, &first.refresh).await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(svc.get(&format!("{P}/user"), &second.0).await.0, 401);
    assert_eq!(flow.refresh(&svc, &second.1).await.0, 400);
}

#[tokio::test]
async fn access_tokens_expire() {
    let svc = TestService::start_with(|c| c.access_ttl = Duration::from_secs(5)).await;
    let t = svc.login("viewer").await;
    assert_eq!(svc.get(&format!("{P}/user"), &t.access).await.0, 200);
    svc.clock.advance(Duration::from_secs(6));
    let r = svc
        .http
        .get(svc.url(&format!("{P}/user")))
        .header("x-prism-access-token", &t.access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["success"].as_bool(), error_name(&v)),
        (Some(false), "UNAUTHORIZED")
    );
    // The refresh token still works.
    assert_eq!(AuthFlow::public().refresh(&svc, &t.refresh).await.0, 200);
}

#[tokio::test]
async fn prism_token_form_and_confidential_client() {
    let svc = TestService::start().await;
    let flow = AuthFlow::confidential();
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let prism = |q: Vec<(&str, String)>, secret: &str| {
        svc.http
            .get(format!(
                "{}?{}",
                svc.url(&format!("{P}/oauth2/token")),
                serde_urlencoded::to_string(&q).unwrap()
            ))
            .header("x-prism-client-id", "onair-demo")
            .header("x-prism-client-secret", secret)
            .send()
    };
    let q = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.clone()),
        ("redirect_uri", flow.redirect_uri.clone()),
        ("state", flow.state.clone()),
    ];
    let r = prism(q.clone(), "wrong-secret").await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    // That failed before the code was looked at, so it is still good.
    let r = prism(q, "onair-demo-secret").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let mut refresh = r.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The refresh token under each of its three names.
    for name in ["refresh_token", "token", "_token"] {
        let r = prism(
            vec![
                ("grant_type", "refresh_token".into()),
                (name, refresh.clone()),
            ],
            "onair-demo-secret",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        refresh = r.json::<Value>().await.unwrap()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    // RFC form with HTTP Basic, and with a wrong secret.
    assert_eq!(flow.refresh(&svc, &refresh).await.0, 200);
    let bad = AuthFlow {
        secret: Some("nope".into()),
        ..flow.clone()
    };
    assert_eq!(bad.refresh(&svc, "whatever").await.0, 401);
}

#[tokio::test]
async fn revoke_and_metadata() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let revoke = |token: &str| {
        svc.http
            .post(svc.url("/oauth/revoke"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([("token", token), ("client_id", "onair-desktop")])
                    .unwrap(),
            )
            .send()
    };
    assert_eq!(revoke("unknown-token").await.unwrap().status(), 200);
    // Another client may not revoke it (RFC 7009 §2.1): refused, and the
    // login goes on.
    let theirs = svc
        .http
        .post(svc.url("/oauth/revoke"))
        .basic_auth("onair-demo", Some("onair-demo-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("token", t.refresh.as_str())]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 400);
    let body: Value = theirs.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    assert_eq!(svc.get(&format!("{P}/user"), &t.access).await.0, 200);
    assert_eq!(revoke(&t.refresh).await.unwrap().status(), 200);
    assert_eq!(
        svc.get(&format!("{P}/user"), &t.access).await.0,
        401,
        "revoking the refresh token ends the login"
    );
    let v: Value = svc
        .public_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(v["issuer"], svc.base);
    assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(v["token_endpoint"], svc.url("/oauth/token"));
    assert_eq!(v["revocation_endpoint"], svc.url("/oauth/revoke"));
}

// ---------------------------------------------------------------- spec §1

#[tokio::test]
async fn options_and_head_are_405_everywhere_and_unknown_is_404() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    for path in [
        format!("{P}/user"),
        format!("{P}/live/demo-onair"),
        "/oauth/token".into(),
        "/nowhere".into(),
        "/".into(),
    ] {
        for m in [Method::OPTIONS, Method::HEAD] {
            let r = svc
                .http
                .request(m.clone(), svc.url(&path))
                .header("x-prism-access-token", &t.access)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405, "{m} {path}");
            assert!(
                r.bytes().await.unwrap().is_empty(),
                "no content for {m} {path}"
            );
        }
    }
    let (s, v) = svc
        .call(
            Method::PATCH,
            &format!("{P}/live/demo-onair"),
            Some(&t.access),
            None,
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (405, "METHOD_NOT_ALLOWED"));
    let (s, v) = svc.get(&format!("{P}/nothing/here"), &t.access).await;
    assert_eq!(
        (s.as_u16(), error_name(&v), v["success"].as_bool()),
        (404, "NOT_FOUND", Some(false))
    );
    for path in [
        format!("{P}/channel/nope"),
        format!("{P}/live/nope"),
        format!("{P}/channel/nope/lives"),
    ] {
        let (s, v) = svc.get(&path, &t.access).await;
        assert_eq!((s.as_u16(), error_name(&v)), (404, "NOT_FOUND"), "{path}");
        assert_eq!(v["data"], Value::Null);
    }
    let (s, v) = svc
        .call(
            Method::DELETE,
            &format!("{P}/live/demo-onair/chat/999999"),
            Some(&t.access),
            None,
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (404, "NOT_FOUND"));
    let (s, v) = svc
        .put(
            &format!("{P}/live/demo-onair/ban/no-such-user"),
            &t.access,
            None,
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (404, "NOT_FOUND"));
    // No token, bad token.
    for token in [None, Some("garbage")] {
        let (s, v) = svc
            .call(Method::GET, &format!("{P}/channel/list"), token, None)
            .await;
        assert_eq!((s.as_u16(), error_name(&v)), (401, "UNAUTHORIZED"));
    }
}

#[tokio::test]
async fn users_cannot_see_each_others_data() {
    let svc = TestService::start().await;
    let streamer = svc.login("streamer").await;
    let other = svc.user_with_channel("other", "other-main").await;
    let live = svc
        .create_live(&other.access, "other-main", "Other's live")
        .await;
    let (_, v) = svc.get(&format!("{P}/channel/list"), &other.access).await;
    let ids: Vec<&str> = v["data"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channelId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["other-main"]);
    for (who, path) in [
        (&streamer, format!("{P}/channel/other-main")),
        (&streamer, format!("{P}/channel/other-main/lives")),
        (&streamer, format!("{P}/live/{live}")),
        (&streamer, format!("{P}/live/{live}/streamkey")),
        (&streamer, format!("{P}/live/{live}/sessions")),
        (&other, format!("{P}/channel/streamer-main")),
        (&other, format!("{P}/live/demo-onair")),
    ] {
        let (s, v) = svc.get(&path, &who.access).await;
        assert_eq!((s.as_u16(), error_name(&v)), (404, "NOT_FOUND"), "{path}");
    }
    for action in ["start", "stop", "streamkey/regenerate"] {
        assert_eq!(
            svc.put(&format!("{P}/live/{live}/{action}"), &streamer.access, None)
                .await
                .0,
            404,
            "{action}"
        );
    }
    let (s, _) = svc
        .post(
            &format!("{P}/channel/other-main/live"),
            &streamer.access,
            json!({"title": "x"}),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn lists_are_sorted_by_last_modified_then_created() {
    let svc = TestService::start().await;
    let t = svc.user_with_channel("sorter", "sorter-main").await;
    let a = svc.create_live(&t.access, "sorter-main", "A").await;
    svc.clock.advance(Duration::from_secs(1));
    let b = svc.create_live(&t.access, "sorter-main", "B").await;
    svc.clock.advance(Duration::from_secs(1));
    let c = svc.create_live(&t.access, "sorter-main", "C").await;
    let order = |v: &Value| -> Vec<String> {
        v["data"]["lives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["liveId"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = svc
        .get(&format!("{P}/channel/sorter-main/lives"), &t.access)
        .await;
    assert_eq!(order(&v), [c.clone(), b.clone(), a.clone()]);
    svc.clock.advance(Duration::from_secs(1));
    svc.put(&format!("{P}/live/{a}/start"), &t.access, None)
        .await;
    let (_, v) = svc
        .get(
            &format!("{P}/channel/sorter-main/lives?status=ALL"),
            &t.access,
        )
        .await;
    assert_eq!(
        order(&v),
        [a.clone(), c.clone(), b.clone()],
        "a modified live moves up"
    );
    let (_, v) = svc
        .get(
            &format!("{P}/channel/sorter-main/lives?status=ONAIR"),
            &t.access,
        )
        .await;
    assert_eq!(order(&v), std::slice::from_ref(&a));
    let (_, v) = svc
        .get(
            &format!("{P}/channel/sorter-main/lives?status=RESERVED"),
            &t.access,
        )
        .await;
    assert_eq!(order(&v), [c, b]);
    let (s, v) = svc
        .get(
            &format!("{P}/channel/sorter-main/lives?status=PAUSED"),
            &t.access,
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (400, "INVALID_PARAMETER"));
    // Channels: the enabled main channel was modified last in the seed.
    let streamer = svc.login("streamer").await;
    svc.clock.advance(Duration::from_secs(1));
    svc.admin(Method::PUT, "/admin/channel/streamer-archive/disable", None)
        .await;
    let (_, v) = svc
        .get(&format!("{P}/channel/list"), &streamer.access)
        .await;
    assert_eq!(v["data"]["channels"][0]["channelId"], "streamer-archive");
    assert_eq!(v["data"]["channels"][0]["channelEnabled"], false);
}

// ---------------------------------------------------------------- lives

#[tokio::test]
async fn live_lifecycle_start_replace_stop_restart() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (s, v) = svc
        .post(
            &format!("{P}/channel/streamer-main/live"),
            &t.access,
            json!({"title": "  New show  ", "description": "d", "scope": "LIMITED", "reservedAt": "2026-11-21T17:11:44+09:00"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let live = &v["data"]["live"];
    assert_eq!(v["data"]["channelId"], "streamer-main");
    assert_eq!(live["title"], "New show");
    assert_eq!(live["status"], "RESERVED");
    assert_eq!(live["scope"], "LIMITED");
    assert_eq!(live["reservedAt"], "2026-11-21T08:11:44+00:00");
    let id = live["liveId"].as_str().unwrap().to_owned();

    // Starting it force-ends the channel's other ON_AIR live.
    let (s, v) = svc
        .put(&format!("{P}/live/{id}/start"), &t.access, None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["live"]["status"], "ON_AIR");
    let first_start = v["data"]["live"]["startAt"].as_str().unwrap().to_owned();
    let (_, v) = svc.get(&format!("{P}/live/demo-onair"), &t.access).await;
    assert_eq!(v["data"]["live"]["status"], "END");
    let (_, v) = svc
        .get(&format!("{P}/live/demo-onair/sessions"), &t.access)
        .await;
    assert_eq!(v["data"]["sessions"][0]["endReason"], "REPLACED");

    // Start again is harmless; stop; a stopped live may start again.
    assert_eq!(
        svc.put(&format!("{P}/live/{id}/start"), &t.access, None)
            .await
            .1["data"]["live"]["startAt"],
        first_start.as_str()
    );
    svc.clock.advance(Duration::from_secs(90));
    let (s, v) = svc
        .put(&format!("{P}/live/{id}/stop"), &t.access, None)
        .await;
    assert_eq!(
        (s.as_u16(), v["data"]["live"]["status"].as_str()),
        (200, Some("END"))
    );
    assert_eq!(
        svc.put(&format!("{P}/live/{id}/stop"), &t.access, None)
            .await
            .0,
        200,
        "stop is idempotent"
    );
    svc.clock.advance(Duration::from_secs(10));
    let (_, v) = svc
        .put(&format!("{P}/live/{id}/start"), &t.access, None)
        .await;
    assert_eq!(v["data"]["live"]["status"], "ON_AIR");
    assert_ne!(
        v["data"]["live"]["startAt"],
        first_start.as_str(),
        "a new startAt"
    );

    // Sessions, newest first, with their timelines.
    let (_, v) = svc
        .get(
            &format!("{P}/live/{id}/sessions?page=1&perPage=10"),
            &t.access,
        )
        .await;
    let sessions = v["data"]["sessions"].as_array().unwrap();
    assert_eq!(v["data"]["total"], 2);
    assert_eq!(sessions[0]["status"], "LIVE");
    assert_eq!(sessions[1]["status"], "ENDED");
    assert_eq!(sessions[1]["endReason"], "STOPPED");
    assert_eq!(sessions[1]["durationSec"], 90);
    let (_, v) = svc
        .get(
            &format!("{P}/live/{id}/sessions?page=2&perPage=1"),
            &t.access,
        )
        .await;
    assert_eq!(
        v["data"]["sessions"][0]["sessionId"],
        sessions[1]["sessionId"]
    );
    let sid = sessions[1]["sessionId"].as_str().unwrap();
    let (_, v) = svc
        .get(&format!("{P}/session/{sid}/events"), &t.access)
        .await;
    let kinds: Vec<&str> = v["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["STOP", "START"]);
    for bad in ["page=0", "perPage=0", "perPage=101", "page=abc"] {
        let (s, v) = svc
            .get(&format!("{P}/live/{id}/sessions?{bad}"), &t.access)
            .await;
        assert_eq!(
            (s.as_u16(), error_name(&v)),
            (400, "INVALID_PARAMETER"),
            "{bad}"
        );
    }
    let viewer = svc.login("viewer").await;
    assert_eq!(
        svc.get(&format!("{P}/session/{sid}/events"), &viewer.access)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn live_conflicts() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    // A disabled channel cannot start a live.
    let (s, v) = svc
        .put(&format!("{P}/live/demo-archive/start"), &t.access, None)
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (409, "CHANNEL_DISABLED"));
    // A reserved live cannot stop.
    let (s, v) = svc
        .put(&format!("{P}/live/demo-reserved/stop"), &t.access, None)
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (409, "NOT_ON_AIR"));
    // The key changes while on air when no stream is sent with it: the
    // ingest's signal decides (STREAM_ACTIVE: the ingest tests).
    let (s, _) = svc
        .put(
            &format!("{P}/live/demo-onair/streamkey/regenerate"),
            &t.access,
            None,
        )
        .await;
    assert_eq!(s, 200);
    // Chat only while on air.
    let (s, v) = svc
        .put(
            &format!("{P}/live/demo-reserved/chat"),
            &t.access,
            Some(json!({"message": "hi"})),
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (409, "NOT_ON_AIR"));
}

#[tokio::test]
async fn stream_key_and_regeneration() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (_, v) = svc.get(&format!("{P}/live/demo-reserved"), &t.access).await;
    let rtmp_path = v["data"]["live"]["rtmpPath"].as_str().unwrap().to_owned();
    let (s, k) = svc
        .get(&format!("{P}/live/demo-reserved/streamkey"), &t.access)
        .await;
    assert_eq!(s, 200);
    let (url, key) = (
        k["data"]["rtmpUrl"].as_str().unwrap(),
        k["data"]["streamKey"].as_str().unwrap(),
    );
    assert_eq!(rtmp_path, format!("{url}/{key}"));
    assert!(rtmp_path.starts_with("rtmp://"));
    assert!(
        key.len() >= 32
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{key}"
    );
    let (s, k2) = svc
        .put(
            &format!("{P}/live/demo-reserved/streamkey/regenerate"),
            &t.access,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_ne!(k2["data"]["streamKey"], k["data"]["streamKey"]);
    let (_, v) = svc.get(&format!("{P}/live/demo-reserved"), &t.access).await;
    assert!(v["data"]["live"]["rtmpPath"]
        .as_str()
        .unwrap()
        .ends_with(k2["data"]["streamKey"].as_str().unwrap()));
}

#[tokio::test]
async fn operators_end_lives_disable_channels_and_ban_streamers() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    // Wrong or missing admin token.
    let r = svc
        .http
        .post(svc.url("/admin/live/demo-onair/end"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (s, _) = svc
        .admin(Method::POST, "/admin/live/demo-onair/end", None)
        .await;
    assert_eq!(s, 200);
    let (_, v) = svc.get(&format!("{P}/live/demo-onair"), &t.access).await;
    assert_eq!(v["data"]["live"]["status"], "END");
    let (_, v) = svc
        .get(&format!("{P}/live/demo-onair/sessions"), &t.access)
        .await;
    assert_eq!(v["data"]["sessions"][0]["endReason"], "ENDED_BY_SERVICE");
    let (s, v) = svc
        .admin(Method::POST, "/admin/live/demo-onair/end", None)
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (409, "NOT_ON_AIR"));

    // Disabling a channel ends its live.
    svc.put(&format!("{P}/live/demo-onair/start"), &t.access, None)
        .await;
    svc.admin(Method::PUT, "/admin/channel/streamer-main/disable", None)
        .await;
    let (_, v) = svc.get(&format!("{P}/live/demo-onair"), &t.access).await;
    assert_eq!(v["data"]["live"]["status"], "END");
    let (_, v) = svc
        .get(&format!("{P}/channel/streamer-main"), &t.access)
        .await;
    assert_eq!(v["data"]["channel"]["channelEnabled"], false);
    assert_eq!(
        svc.put(&format!("{P}/live/demo-onair/start"), &t.access, None)
            .await
            .0,
        409
    );
    svc.admin(Method::PUT, "/admin/channel/streamer-main/enable", None)
        .await;
    assert_eq!(
        svc.put(&format!("{P}/live/demo-onair/start"), &t.access, None)
            .await
            .0,
        200
    );

    // Banning the streamer disables every channel and ends the live.
    svc.admin(Method::PUT, "/admin/user/streamer/ban", None)
        .await;
    let (_, v) = svc.get(&format!("{P}/channel/list"), &t.access).await;
    assert!(v["data"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["channelEnabled"] == false));
    let (_, v) = svc
        .get(&format!("{P}/live/demo-onair/sessions"), &t.access)
        .await;
    assert_eq!(v["data"]["sessions"][0]["endReason"], "STREAMER_BANNED");
    assert_eq!(
        svc.admin(Method::PUT, "/admin/user/nobody/ban", None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn an_operator_outage_answers_503_with_retry_after_until_it_ends() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let outage = |secs: &str| format!("/admin/outage?seconds={secs}");
    assert_eq!(svc.admin(Method::PUT, &outage("601"), None).await.0, 400);
    assert_eq!(svc.admin(Method::PUT, &outage("soon"), None).await.0, 400);
    assert_eq!(svc.admin(Method::PUT, &outage("30"), None).await.0, 200);
    let user = || {
        svc.http
            .get(svc.url(&format!("{P}/user")))
            .bearer_auth(&t.access)
            .send()
    };
    let resp = user().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "30");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["errorName"], "INTERNAL_ERROR", "{body}");
    // The token endpoint is down too; the operator routes are not.
    let token = svc
        .http
        .get(svc.url(&format!("{P}/oauth2/token")))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 503);
    svc.clock.advance(Duration::from_secs(20));
    assert_eq!(user().await.unwrap().headers()["retry-after"], "10");
    svc.clock.advance(Duration::from_secs(10));
    assert_eq!(user().await.unwrap().status(), 200);
    // 0 ends an outage early.
    svc.admin(Method::PUT, &outage("60"), None).await;
    assert_eq!(user().await.unwrap().status(), 503);
    svc.admin(Method::PUT, &outage("0"), None).await;
    assert_eq!(user().await.unwrap().status(), 200);
}

#[tokio::test]
async fn admin_routes_do_not_exist_off_loopback() {
    use std::net::SocketAddr;
    use tower::ServiceExt;
    let svc = TestService::start().await;
    let router = onair_service::http::app(svc.state.clone());
    let request = |peer: Option<SocketAddr>| {
        let mut req = axum::http::Request::post("/admin/live/demo-onair/end")
            .header("authorization", format!("Bearer {}", svc.admin_token))
            .body(axum::body::Body::empty())
            .unwrap();
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        req
    };
    // The right token from elsewhere, or from no known peer: no such route.
    for peer in [None, Some("192.0.2.7:5000".parse().unwrap())] {
        let resp = router.clone().oneshot(request(peer)).await.unwrap();
        assert_eq!(resp.status(), 404, "{peer:?}");
    }
    // The same request from loopback goes through.
    let resp = router
        .oneshot(request(Some("127.0.0.1:5000".parse().unwrap())))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

// ---------------------------------------------------------------- input limits

#[tokio::test]
async fn bad_input_is_400_never_500() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let create = format!("{P}/channel/streamer-main/live");
    let bodies = [
        json!({"title": ""}),
        json!({"title": "   "}),
        json!({"title": "x".repeat(101)}),
        json!({"title": "line\nbreak"}),
        json!({"title": "bell\u{7}"}),
        json!({"title": "ok", "description": "d".repeat(5001)}),
        json!({"title": 42}),
        json!({"title": "ok", "scope": "SECRET"}),
        json!({"title": "ok", "reservedAt": "tomorrow"}),
        json!({}),
        json!([]),
    ];
    for b in bodies {
        let (s, v) = svc.post(&create, &t.access, b.clone()).await;
        assert_eq!(
            (s.as_u16(), error_name(&v)),
            (400, "INVALID_PARAMETER"),
            "{b}"
        );
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        svc.post(
            &create,
            &t.access,
            json!({"title": "가".repeat(100), "description": "d\n".repeat(2500)})
        )
        .await
        .0,
        200
    );
    let raw = |body: Vec<u8>| {
        svc.http
            .post(svc.url(&create))
            .header("x-prism-access-token", &t.access)
            .body(body)
            .send()
    };
    // Malformed: 400; over 64 KiB: 413 (RFC 9110 §15.5.14), in the same
    // envelope.
    for (body, status) in [
        (b"{not json".to_vec(), 400),
        (b"\xff\xfe".to_vec(), 400),
        (vec![b' '; 70 * 1024], 413),
        (
            format!("{{\"title\":\"{}\"}}", "a".repeat(70 * 1024)).into_bytes(),
            413,
        ),
    ] {
        let r = raw(body).await.unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(
            r.json::<Value>().await.unwrap()["errorName"],
            "INVALID_PARAMETER"
        );
    }
    let chat = format!("{P}/live/demo-onair/chat");
    for m in [
        json!(""),
        json!("   "),
        json!("x".repeat(501)),
        json!("a\nb"),
        json!(5),
    ] {
        let (s, v) = svc.put(&chat, &t.access, Some(json!({"message": m}))).await;
        assert_eq!(
            (s.as_u16(), error_name(&v)),
            (400, "INVALID_PARAMETER"),
            "{m}"
        );
    }
    let (s, _) = svc
        .put(&chat, &t.access, Some(json!({"message": "x".repeat(500)})))
        .await;
    assert_eq!(s, 200);
    for ban in [
        json!(0),
        json!(-5),
        json!(1_209_601),
        json!("abc"),
        json!(null),
    ] {
        let (s, v) = svc
            .put(
                &format!("{P}/live/demo-onair/timedBan/viewer"),
                &t.access,
                Some(json!({"banTime": ban})),
            )
            .await;
        assert_eq!(
            (s.as_u16(), error_name(&v)),
            (400, "INVALID_PARAMETER"),
            "{ban}"
        );
    }
    let (s, v) = svc
        .post(
            &chat,
            &t.access,
            json!({"maxResults": 10, "pageToken": "bogus"}),
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (400, "INVALID_PARAMETER"));
}

// ---------------------------------------------------------------- chat

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_paging_loses_and_repeats_nothing() {
    let svc = TestService::start().await;
    let streamer = svc.login("streamer").await;
    let viewer = svc.login("viewer").await;
    let chat = format!("{P}/live/demo-onair/chat");
    // An empty live: the latest is nothing, and the token comes back.
    let (_, v) = svc
        .post(
            &chat,
            &viewer.access,
            json!({"maxResults": 100, "pageToken": null}),
        )
        .await;
    assert_eq!(v["data"]["messages"], json!([]));
    let mut token = v["data"]["nextPageToken"].as_str().unwrap().to_owned();
    let (_, v) = svc
        .post(
            &chat,
            &viewer.access,
            json!({"maxResults": 100, "pageToken": token}),
        )
        .await;
    assert_eq!(
        v["data"]["nextPageToken"],
        token.as_str(),
        "the same token when nothing is new"
    );

    // 1,000 messages from two senders, read in pages of 100 while they arrive.
    let sender = |who: support::Tokens, tag: &'static str| {
        let http = svc.http.clone();
        let url = svc.url(&chat);
        tokio::spawn(async move {
            for i in 0..500 {
                let r = http
                    .put(&url)
                    .header("x-prism-access-token", &who.access)
                    .json(&json!({"message": format!("{tag}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        })
    };
    let (a, b) = (sender(streamer.clone(), "s"), sender(viewer.clone(), "v"));
    let mut seen = Vec::new();
    loop {
        let done = a.is_finished() && b.is_finished();
        let (s, v) = svc
            .post(
                &chat,
                &viewer.access,
                json!({"maxResults": 100, "pageToken": token}),
            )
            .await;
        assert_eq!(s, 200);
        let msgs = v["data"]["messages"].as_array().unwrap();
        assert!(msgs.len() <= 100);
        seen.extend(
            msgs.iter()
                .map(|m| m["message"].as_str().unwrap().to_owned()),
        );
        token = v["data"]["nextPageToken"].as_str().unwrap().to_owned();
        if done && msgs.is_empty() {
            break;
        }
    }
    a.await.unwrap();
    b.await.unwrap();
    assert_eq!(seen.len(), 1000, "nothing lost or doubled");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 1000);
    for tag in ["s", "v"] {
        let mine: Vec<_> = seen
            .iter()
            .filter(|m| m.starts_with(&format!("{tag}-")))
            .collect();
        let want: Vec<String> = (0..500).map(|i| format!("{tag}-{i}")).collect();
        assert_eq!(
            mine,
            want.iter().collect::<Vec<_>>(),
            "each sender's messages in order"
        );
    }
    // A null token gives the latest page; maxResults 0 or >100 means 100.
    let (_, v) = svc
        .post(&chat, &viewer.access, json!({"maxResults": 0}))
        .await;
    let latest = v["data"]["messages"].as_array().unwrap();
    assert_eq!(latest.len(), 100);
    assert_eq!(
        latest.last().unwrap()["message"],
        seen.last().unwrap().as_str()
    );
    let (_, v) = svc
        .post(&chat, &viewer.access, json!({"maxResults": 7}))
        .await;
    assert_eq!(v["data"]["messages"].as_array().unwrap().len(), 7);
    let m = &latest[0];
    for field in [
        "messageId",
        "messageAt",
        "authorId",
        "authorName",
        "message",
        "isLiveOwner",
        "isLiveManager",
    ] {
        assert!(!m[field].is_null(), "{field}");
    }
    let (_, v) = svc
        .get(&format!("{P}/live/demo-onair"), &streamer.access)
        .await;
    assert_eq!(v["data"]["live"]["liveStat"]["chatCount"], 1000);
}

#[tokio::test]
async fn moderation_rules_and_timed_ban_expiry() {
    let svc = TestService::start().await;
    let owner = svc.login("streamer").await;
    let moderator = svc.login("moderator").await;
    let viewer = svc.login("viewer").await;
    let live = format!("{P}/live/demo-onair");

    // A plain viewer reads and sends on a PUBLIC live but moderates nothing.
    let (s, v) = say(&svc, &live, &viewer, "hello").await;
    assert_eq!(s, 200);
    let msg_id = v["data"]["chatMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(v["data"]["chatMessage"]["isLiveOwner"], false);
    for path in [
        format!("{live}/ban/moderator"),
        format!("{live}/mod/moderator"),
    ] {
        let (s, v) = svc.put(&path, &viewer.access, None).await;
        assert_eq!((s.as_u16(), error_name(&v)), (403, "FORBIDDEN"), "{path}");
    }
    let r = svc
        .call(
            Method::DELETE,
            &format!("{live}/chat/{msg_id}"),
            Some(&viewer.access),
            None,
        )
        .await;
    assert_eq!(r.0, 403);

    // The owner grants chat admin; the admin moderates but grants nothing.
    assert_eq!(
        svc.put(&format!("{live}/mod/moderator"), &owner.access, None)
            .await
            .0,
        200
    );
    let (_, v) = say(&svc, &live, &moderator, "I am an admin now").await;
    assert_eq!(v["data"]["chatMessage"]["isLiveManager"], true);
    assert_eq!(
        svc.put(&format!("{live}/mod/viewer"), &moderator.access, None)
            .await
            .0,
        403
    );
    assert_eq!(
        svc.put(&format!("{live}/ban/streamer"), &moderator.access, None)
            .await
            .0,
        403
    );
    assert_eq!(
        svc.put(&format!("{live}/ban/moderator"), &moderator.access, None)
            .await
            .0,
        400
    );
    assert_eq!(
        svc.put(&format!("{live}/mod/streamer"), &owner.access, None)
            .await
            .0,
        400
    );
    let (s, _) = svc
        .call(
            Method::DELETE,
            &format!("{live}/chat/{msg_id}"),
            Some(&moderator.access),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = svc
        .call(
            Method::DELETE,
            &format!("{live}/chat/{msg_id}"),
            Some(&moderator.access),
            None,
        )
        .await;
    assert_eq!(s, 404, "already deleted");
    let (_, v) = svc
        .post(&format!("{live}/chat"), &viewer.access, json!({}))
        .await;
    assert!(v["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["messageId"] != msg_id.as_str()));

    // Timed ban: refused until it expires by itself.
    assert_eq!(
        svc.put(
            &format!("{live}/timedBan/viewer"),
            &moderator.access,
            Some(json!({"banTime": 60}))
        )
        .await
        .0,
        200
    );
    let (s, v) = say(&svc, &live, &viewer, "let me talk").await;
    assert_eq!((s.as_u16(), error_name(&v)), (403, "USER_BANNED"));
    svc.clock.advance(Duration::from_secs(59));
    assert_eq!(say(&svc, &live, &viewer, "now?").await.0, 403);
    svc.clock.advance(Duration::from_secs(2));
    assert_eq!(say(&svc, &live, &viewer, "free again").await.0, 200);

    // Ban until unbanned.
    assert_eq!(
        svc.put(&format!("{live}/ban/viewer"), &owner.access, None)
            .await
            .0,
        200
    );
    svc.clock.advance(Duration::from_secs(3000)); // far past any timed ban, within the token's hour
    assert_eq!(say(&svc, &live, &viewer, "still banned?").await.0, 403);
    assert_eq!(
        svc.put(&format!("{live}/unban/viewer"), &moderator.access, None)
            .await
            .0,
        200
    );
    assert_eq!(say(&svc, &live, &viewer, "back").await.0, 200);

    // Unmod: the admin is a viewer again.
    assert_eq!(
        svc.put(&format!("{live}/unmod/moderator"), &owner.access, None)
            .await
            .0,
        200
    );
    assert_eq!(
        svc.put(&format!("{live}/ban/viewer"), &moderator.access, None)
            .await
            .0,
        403
    );

    // A private live is invisible to a viewer.
    let private = {
        let (_, v) = svc
            .post(
                &format!("{P}/channel/streamer-main/live"),
                &owner.access,
                json!({"title": "p", "scope": "PRIVATE"}),
            )
            .await;
        v["data"]["live"]["liveId"].as_str().unwrap().to_owned()
    };
    svc.put(&format!("{P}/live/{private}/start"), &owner.access, None)
        .await;
    assert_eq!(
        svc.post(
            &format!("{P}/live/{private}/chat"),
            &viewer.access,
            json!({})
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn capabilities_and_switched_off_apis() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (_, v) = svc.get(&format!("{P}/capabilities"), &t.access).await;
    assert_eq!(v["data"]["optionalApis"].as_array().unwrap().len(), 6);
    assert_eq!(v["data"]["chatMaxLength"], 500);
    // A client with only chat send on: send needs LIVE_CHAT_LIST, so it is off too.
    let (s, _) = svc
        .admin(
            Method::POST,
            "/admin/client",
            Some(json!({"clientId": "lean", "redirectUris": ["http://127.0.0.1/callback"], "optionalApis": ["LIVE_CHAT_SEND", "USER_MOD"]})),
        )
        .await;
    assert_eq!(s, 200);
    let flow = AuthFlow {
        client_id: "lean".into(),
        ..AuthFlow::public()
    };
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let lean = flow.exchange(&svc, &code).await.unwrap();
    let (_, v) = svc.get(&format!("{P}/capabilities"), &lean.access).await;
    assert_eq!(v["data"]["optionalApis"], json!([]));
    let live = format!("{P}/live/demo-onair");
    let calls = [
        (Method::POST, format!("{live}/chat"), Some(json!({}))),
        (
            Method::PUT,
            format!("{live}/chat"),
            Some(json!({"message": "hi"})),
        ),
        (Method::DELETE, format!("{live}/chat/1"), None),
        (Method::PUT, format!("{live}/ban/viewer"), None),
        (Method::PUT, format!("{live}/unban/viewer"), None),
        (
            Method::PUT,
            format!("{live}/timedBan/viewer"),
            Some(json!({"banTime": 5})),
        ),
        (Method::PUT, format!("{live}/mod/viewer"), None),
        (Method::PUT, format!("{live}/unmod/viewer"), None),
    ];
    for (m, path, body) in calls {
        let (s, v) = svc.call(m.clone(), &path, Some(&lean.access), body).await;
        assert_eq!(
            (s.as_u16(), error_name(&v)),
            (404, "NOT_SUPPORTED"),
            "{m} {path}"
        );
    }
    // The essential APIs still work.
    assert_eq!(svc.get(&live, &lean.access).await.0, 200);
}

// ---------------------------------------------------------------- OpenAPI

#[tokio::test]
async fn openapi_lists_every_route_and_every_listed_route_exists() {
    let svc = TestService::start().await;
    let doc: Value = svc.public_json("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // Every route of the router (the table it is built from) is documented.
    for e in onair_service::http::endpoints() {
        let m = e.method.as_str().to_lowercase();
        assert!(
            paths.get(e.path).and_then(|p| p.get(&m)).is_some(),
            "{m} {} missing",
            e.path
        );
    }
    // Every route the spec names is there.
    for (m, path) in [
        ("get", "/prism/v1/service/oauth2/token"),
        ("get", "/prism/v1/service/user"),
        ("get", "/prism/v1/service/channel/list"),
        ("get", "/prism/v1/service/channel/{channelId}"),
        ("get", "/prism/v1/service/channel/{channelId}/lives"),
        ("post", "/prism/v1/service/channel/{channelId}/live"),
        ("get", "/prism/v1/service/live/{liveId}"),
        ("put", "/prism/v1/service/live/{liveId}/start"),
        ("put", "/prism/v1/service/live/{liveId}/stop"),
        ("post", "/prism/v1/service/live/{liveId}/chat"),
        ("put", "/prism/v1/service/live/{liveId}/chat"),
        ("delete", "/prism/v1/service/live/{liveId}/chat/{messageId}"),
        ("put", "/prism/v1/service/live/{liveId}/ban/{userId}"),
        ("put", "/prism/v1/service/live/{liveId}/unban/{userId}"),
        ("put", "/prism/v1/service/live/{liveId}/timedBan/{userId}"),
        ("put", "/prism/v1/service/live/{liveId}/mod/{userId}"),
        ("put", "/prism/v1/service/live/{liveId}/unmod/{userId}"),
        ("get", "/prism/v1/service/live/{liveId}/streamkey"),
        (
            "put",
            "/prism/v1/service/live/{liveId}/streamkey/regenerate",
        ),
        ("get", "/prism/v1/service/live/{liveId}/sessions"),
        ("get", "/prism/v1/service/session/{sessionId}/events"),
        ("get", "/prism/v1/service/capabilities"),
        ("post", "/oauth/token"),
        ("post", "/oauth/revoke"),
        ("get", "/.well-known/oauth-authorization-server"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(m)).is_some(),
            "{m} {path}"
        );
    }
    // And every documented route answers: not the fallback's 404/405.
    for (path, ops) in paths {
        let concrete = path
            .replace("{liveId}", "x")
            .replace("{channelId}", "x")
            .replace("{messageId}", "1")
            .replace("{userId}", "x")
            .replace("{sessionId}", "x");
        for m in ops.as_object().unwrap().keys() {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let r = svc
                .http
                .request(method, svc.url(&concrete))
                .bearer_auth(&svc.admin_token)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body = r.text().await.unwrap();
            assert!(
                status != 405 && !body.contains("resource not found"),
                "{m} {path}: {status} {body}"
            );
        }
    }
    let components = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Live",
        "LiveStat",
        "Channel",
        "ChatMessage",
        "ChatPage",
        "StreamKey",
        "Session",
        "TokenResponse",
    ] {
        assert!(components.contains_key(name), "{name}");
    }
}

/// Asserts that `resp`'s status is documented for `method path` and that
/// its content is of a documented type; returns the status.
async fn documented(doc: &Value, method: &str, path: &str, resp: reqwest::Response) -> u16 {
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| {
        v.to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_owned()
    });
    let body = resp.bytes().await.unwrap();
    let op = &doc["paths"][path][method];
    let answer = &op["responses"][status.to_string()];
    assert!(
        answer.is_object(),
        "{method} {path} answered {status}, which its document leaves out: {}",
        String::from_utf8_lossy(&body)
    );
    match answer["content"].as_object() {
        Some(types) => {
            let ct = content_type.unwrap_or_default();
            assert!(
                types.contains_key(&ct),
                "{method} {path} {status}: {ct} is not among {:?}",
                types.keys().collect::<Vec<_>>()
            );
            if ct == "application/json" {
                let v: Value = serde_json::from_slice(&body).unwrap();
                let schema = types[&ct]["schema"]["$ref"].as_str().unwrap_or("");
                if schema.ends_with("/EnvelopeBase") || schema.is_empty() && status >= 400 {
                    assert!(v.get("success").is_some(), "{method} {path} {status}: {v}");
                }
                if schema.ends_with("/OAuthError") {
                    assert!(v["error"].is_string(), "{method} {path} {status}: {v}");
                }
            }
        }
        None => assert!(
            body.is_empty(),
            "{method} {path} {status}: a body the document does not give: {}",
            String::from_utf8_lossy(&body)
        ),
    }
    status
}

#[tokio::test]
async fn openapi_documents_every_answer_the_routes_give() {
    let svc = TestService::start_with(|c| {
        c.throttle.login_per_minute = 1;
        c.throttle.token_per_minute = 1;
        c.throttle.admin_per_minute = 1;
    })
    .await;
    let doc: Value = svc.public_json("/openapi.json").await;
    let t = svc.login("streamer").await;
    let live = svc
        .create_live(&t.access, "streamer-main", "Documented")
        .await;
    let concrete = |path: &str| {
        path.replace("{liveId}", &live)
            .replace("{channelId}", "streamer-main")
            .replace("{messageId}", "1")
            .replace("{userId}", "viewer")
            .replace("{sessionId}", "x")
            .replace("{segment}", "0.ts")
            .replace("{rendition}", "720p")
            .replace("{file}", "index.m3u8")
    };
    let stranger = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(svc.cert_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 9]))
        .build()
        .unwrap();
    let mut seen: std::collections::BTreeSet<(String, u16)> = Default::default();
    let endpoints = onair_service::http::endpoints();
    for e in &endpoints {
        let m = e.method.as_str().to_lowercase();
        let url = svc.url(&concrete(e.path));
        let with_body = e.request.0 != onair_service::http::Body::None;
        let json_body = matches!(
            e.request.0,
            onair_service::http::Body::Json | onair_service::http::Body::Envelope
        );
        // Without credentials from elsewhere (the admin token's count at
        // home is kept for the end).
        let mut tries: Vec<reqwest::RequestBuilder> = vec![
            svc.http.request(Method::OPTIONS, &url),
            stranger.request(e.method.clone(), &url),
        ];
        let authed = |r: reqwest::RequestBuilder| match e.security {
            onair_service::http::Security::User => r.header("x-prism-access-token", &t.access),
            onair_service::http::Security::Admin => r.bearer_auth(&svc.admin_token),
            onair_service::http::Security::Public => r,
        };
        tries.push(
            authed(svc.http.request(e.method.clone(), &url)).body(if json_body {
                "{}"
            } else {
                ""
            }),
        );
        if json_body {
            tries.push(authed(svc.http.request(e.method.clone(), &url)).body("{"));
        }
        if with_body {
            tries
                .push(authed(svc.http.request(e.method.clone(), &url)).body("x".repeat(70 * 1024)));
        }
        for r in tries {
            let status = documented(&doc, &m, e.path, r.send().await.unwrap()).await;
            seen.insert((format!("{m} {}", e.path), status));
        }
    }
    // During an outage every route but the operator's answers 503.
    svc.admin(Method::PUT, "/admin/outage?seconds=60", None)
        .await;
    for e in endpoints
        .iter()
        .filter(|e| e.security != onair_service::http::Security::Admin)
    {
        let m = e.method.as_str().to_lowercase();
        let r = svc
            .http
            .request(e.method.clone(), svc.url(&concrete(e.path)))
            .send()
            .await
            .unwrap();
        assert_eq!(documented(&doc, &m, e.path, r).await, 503, "{m} {}", e.path);
    }
    svc.admin(Method::PUT, "/admin/outage?seconds=0", None)
        .await;
    // The OAuth routes' own failures, and the limits'.
    let flow = AuthFlow::confidential();
    for _ in 0..3 {
        let r = svc
            .http
            .post(svc.url("/oauth/token"))
            .basic_auth(&flow.client_id, Some("wrong"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
            .send()
            .await
            .unwrap();
        seen.insert((
            "post /oauth/token".into(),
            documented(&doc, "post", "/oauth/token", r).await,
        ));
    }
    for _ in 0..3 {
        let r = AuthFlow::public()
            .post_login(&svc, &svc.http, "streamer", "wrong")
            .await;
        let s = documented(&doc, "post", "/oauth/authorize", r).await;
        seen.insert(("post /oauth/authorize".into(), s));
    }
    for _ in 0..3 {
        let r = svc
            .http
            .put(svc.url("/admin/outage?seconds=0"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        seen.insert((
            "put /admin/outage".into(),
            documented(&doc, "put", "/admin/outage", r).await,
        ));
    }
    for must in [
        ("post /oauth/token", 401),
        ("post /oauth/token", 429),
        ("post /oauth/token", 413),
        ("post /oauth/revoke", 400),
        ("post /oauth/authorize", 401),
        ("post /oauth/authorize", 429),
        ("post /oauth/authorize", 413),
        ("get /oauth/authorize", 400),
        ("put /admin/outage", 429),
        ("post /prism/v1/service/channel/{channelId}/live", 413),
        ("post /prism/v1/service/channel/{channelId}/live", 400),
        ("get /prism/v1/service/user", 401),
        ("get /prism/v1/service/user", 405),
    ] {
        assert!(
            seen.contains(&(must.0.to_owned(), must.1)),
            "{} {} never seen: {seen:?}",
            must.0,
            must.1
        );
    }
    svc.stop().await;
}

// ---------------------------------------------------------------- transport and storage

async fn handshake(
    svc: &TestService,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<(), std::io::Error> {
    use std::sync::Arc;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut svc.cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let addr = svc.base.trim_start_matches("https://").to_owned();
    let tcp = tokio::net::TcpStream::connect(&addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map(drop)
}

#[tokio::test]
async fn tls_12_and_13_only() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let svc = TestService::start().await;
    handshake(&svc, &[&rustls::version::TLS12])
        .await
        .expect("TLS 1.2");
    handshake(&svc, &[&rustls::version::TLS13])
        .await
        .expect("TLS 1.3");
    // A TLS 1.1 ClientHello (no supported_versions extension) gets a fatal
    // alert instead of a ServerHello (rustls answers handshake_failure(40);
    // protocol_version(70) would do as well).
    let mut hello = vec![0x03, 0x02]; // client_version TLS 1.1
    hello.extend([7u8; 32]); // random
    hello.push(0); // session id
    hello.extend([0x00, 0x02, 0xc0, 0x13]); // ECDHE_RSA_WITH_AES_128_CBC_SHA
    hello.extend([0x01, 0x00]); // null compression
    let mut handshake_msg = vec![0x01, 0x00, 0x00, hello.len() as u8];
    handshake_msg.extend(hello);
    let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake_msg.len() as u8];
    record.extend(handshake_msg);
    let mut tcp = tokio::net::TcpStream::connect(svc.base.trim_start_matches("https://"))
        .await
        .unwrap();
    tcp.write_all(&record).await.unwrap();
    let mut answer = [0u8; 7];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer[0], 0x15, "an alert record");
    assert_eq!(answer[5], 2, "fatal");
    assert!(
        matches!(answer[6], 40 | 70),
        "handshake_failure or protocol_version, got {}",
        answer[6]
    );
}

#[tokio::test]
async fn restart_on_the_same_data_dir_keeps_everything() {
    let dir = support::temp_dir("restart");
    let svc = TestService::start_in(&dir).await;
    let t = svc.login("streamer").await;
    let live = svc
        .create_live(&t.access, "streamer-main", "Survives restarts")
        .await;
    svc.put(&format!("{P}/live/{live}/start"), &t.access, None)
        .await;
    svc.put(
        &format!("{P}/live/{live}/chat"),
        &t.access,
        Some(json!({"message": "persisted"})),
    )
    .await;
    let fingerprint_before = svc.cert_pem.clone();
    svc.stop().await;

    let svc = TestService::start_in(&dir).await;
    assert_eq!(svc.cert_pem, fingerprint_before, "the certificate is kept");
    let (s, v) = svc.get(&format!("{P}/live/{live}"), &t.access).await;
    assert_eq!(s, 200, "the old access token still works: {v}");
    assert_eq!(v["data"]["live"]["status"], "ON_AIR");
    let (_, v) = svc
        .post(&format!("{P}/live/{live}/chat"), &t.access, json!({}))
        .await;
    assert_eq!(v["data"]["messages"][0]["message"], "persisted");
    assert_eq!(AuthFlow::public().refresh(&svc, &t.refresh).await.0, 200);
    svc.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The binary, started on a data dir; returns the child and its base URL.
async fn spawn_binary(dir: &std::path::Path) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_onair-service"))
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--seed-demo",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let said = onair_service::testing::start_lines(child.stdout.take().unwrap()).await;
    let base = said.get("base_url").cloned().unwrap_or_default();
    assert!(!base.is_empty());
    (child, base)
}

#[tokio::test]
async fn committed_writes_survive_kill_9() {
    let dir = support::temp_dir("kill9");
    let (mut child, base) = spawn_binary(&dir).await;
    let cert = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    let http = support::client_for(&cert);
    // A login and a live, through the real binary.
    let base1 = base;
    let flow = AuthFlow::public();
    let page = http
        .get(format!(
            "{base1}/oauth/authorize?{}",
            flow.authorize_url_query()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = support::hidden_inputs(&page);
    form.extend([
        ("username".into(), "streamer".into()),
        ("password".into(), "streamer".into()),
        ("action".into(), "login".into()),
    ]);
    let r = http
        .post(format!("{base1}/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).unwrap())
        .send()
        .await
        .unwrap();
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = loc
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let token: Value = http
        .post(format!("{base1}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &flow.redirect_uri),
                ("client_id", "onair-desktop"),
                ("code_verifier", flow.verifier.as_deref().unwrap()),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    let v: Value = http
        .post(format!("{base1}{P}/channel/streamer-main/live"))
        .header("x-prism-access-token", &access)
        .json(&json!({"title": "written before kill -9"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let live = v["data"]["live"]["liveId"].as_str().unwrap().to_owned();

    child.kill().await.unwrap(); // SIGKILL: no shutdown, no checkpoint
    let (child2, base2) = spawn_binary(&dir).await;
    let r = http
        .get(format!("{base2}{P}/live/{live}"))
        .header("x-prism-access-token", &access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["live"]["title"], "written before kill -9");
    // SIGTERM: a graceful stop, exit status 0.
    let mut child = child2;
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_audience_is_deterministic_for_a_seed() {
    let sim = onair_service::Simulation {
        chat_rate: 200.0,
        seed: 42,
        tick: Duration::from_millis(20),
    };
    let mut transcripts = Vec::new();
    for _ in 0..2 {
        let svc = TestService::start_with(|c| c.simulate = Some(sim)).await;
        let t = svc.login("streamer").await;
        let mut messages = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while messages.len() < 60 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (_, v) = svc
                .post(
                    &format!("{P}/live/demo-onair/chat"),
                    &t.access,
                    json!({"maxResults": 100}),
                )
                .await;
            messages = v["data"]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    format!(
                        "{}: {}",
                        m["authorId"].as_str().unwrap(),
                        m["message"].as_str().unwrap()
                    )
                })
                .collect();
        }
        assert!(messages.len() >= 60, "the simulated audience chats");
        let (_, v) = svc.get(&format!("{P}/live/demo-onair"), &t.access).await;
        let stat = &v["data"]["live"]["liveStat"];
        assert!(
            stat["viewerCount"].as_u64().unwrap() > 0 && stat["viewCount"].as_u64().unwrap() > 0,
            "{stat}"
        );
        messages.truncate(60);
        transcripts.push(messages);
        svc.stop().await;
    }
    assert_eq!(transcripts[0], transcripts[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_audience_never_chats_after_the_end() {
    let sim = onair_service::Simulation {
        chat_rate: 3_000.0,
        seed: 7,
        tick: Duration::from_millis(5),
    };
    let svc = TestService::start_with(|c| c.simulate = Some(sim)).await;
    let t = svc.login("streamer").await;
    let live = format!("{P}/live/demo-onair");
    let count = |v: &Value| v["data"]["live"]["liveStat"]["chatCount"].as_u64().unwrap();
    for round in 0..10 {
        if round > 0 {
            assert_eq!(
                svc.put(&format!("{live}/start"), &t.access, None).await.0,
                200
            );
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let (s, v) = svc.put(&format!("{live}/stop"), &t.access, None).await;
        assert_eq!(s, 200);
        let at_stop = count(&v);
        // Several ticks later: nothing more.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (_, v) = svc.get(&live, &t.access).await;
        assert_eq!(v["data"]["live"]["status"], "END");
        assert_eq!(count(&v), at_stop, "chat after the end, round {round}");
    }
}

#[tokio::test]
async fn polled_live_status_is_never_stale() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let live = format!("{P}/live/demo-onair");
    let status = |v: &Value| {
        (
            v["data"]["live"]["status"].as_str().unwrap().to_owned(),
            v["data"]["live"]["liveStat"]["chatCount"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        status(&svc.get(&live, &t.access).await.1),
        ("ON_AIR".into(), 0)
    );
    assert_eq!(
        status(&svc.get(&live, &t.access).await.1),
        ("ON_AIR".into(), 0)
    );
    say(&svc, &live, &t, "one").await;
    assert_eq!(
        status(&svc.get(&live, &t.access).await.1),
        ("ON_AIR".into(), 1)
    );
    svc.admin(Method::POST, "/admin/live/demo-onair/end", None)
        .await;
    assert_eq!(status(&svc.get(&live, &t.access).await.1).0, "END");
    svc.put(&format!("{live}/start"), &t.access, None).await;
    assert_eq!(
        status(&svc.get(&live, &t.access).await.1),
        ("ON_AIR".into(), 0)
    );
    svc.admin(Method::PUT, "/admin/channel/streamer-main/disable", None)
        .await;
    assert_eq!(status(&svc.get(&live, &t.access).await.1).0, "END");

    // The stream key is read through the same cache: a regenerated key
    // shows at once, in both places.
    let key = |v: &Value| v["data"]["streamKey"].as_str().unwrap().to_owned();
    let before = key(&svc.get(&format!("{live}/streamkey"), &t.access).await.1);
    let (s, v) = svc
        .put(&format!("{live}/streamkey/regenerate"), &t.access, None)
        .await;
    assert_eq!(s, 200);
    let after = key(&v);
    assert_ne!(after, before);
    assert_eq!(
        key(&svc.get(&format!("{live}/streamkey"), &t.access).await.1),
        after
    );
    let (_, v) = svc.get(&live, &t.access).await;
    assert!(v["data"]["live"]["rtmpPath"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/{after}")));
}

// ---------------------------------------------------------------- ingest

use onair_service::testing::{test_clip_video_kbps, RtmpPublisher};

/// A RESERVED live of streamer-main with these extra create fields;
/// returns its id and rtmpPath.
async fn ingest_live(svc: &TestService, token: &str, extra: Value) -> (String, String) {
    let mut body = json!({"title": "ingest test"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let live = svc.create_live_with(token, "streamer-main", body).await;
    (
        live["liveId"].as_str().unwrap().to_owned(),
        live["rtmpPath"].as_str().unwrap().to_owned(),
    )
}

async fn live_json(svc: &TestService, token: &str, id: &str) -> Value {
    svc.get(&format!("{P}/live/{id}"), token).await.1["data"]["live"].clone()
}

/// The kinds of a session's events, oldest first.
async fn event_kinds(svc: &TestService, token: &str, session: &str) -> Vec<String> {
    let (_, v) = svc
        .get(&format!("{P}/session/{session}/events"), token)
        .await;
    let mut kinds: Vec<String> = v["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

async fn sessions(svc: &TestService, token: &str, live: &str) -> Value {
    svc.get(&format!("{P}/live/{live}/sessions"), token).await.1["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_starts_its_live_is_measured_and_ends_the_live_when_lost() {
    let clip_kbps = test_clip_video_kbps().expect("ffmpeg and ffprobe encode and read the clip");
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let rtmp = svc.state.rtmp_url.clone();
    assert!(
        rtmp.starts_with("rtmp://127.0.0.1:") && rtmp.ends_with("/live"),
        "{rtmp}"
    );
    let (id, path) = ingest_live(&svc, &t.access, json!({"stopTimeout": 4})).await;
    assert!(
        path.starts_with(&rtmp),
        "rtmpPath {path} is built from the bound ingest"
    );
    let live = live_json(&svc, &t.access, &id).await;
    assert_eq!(live["status"], "RESERVED");
    assert_eq!(live["stream"]["signal"], "NONE");
    assert_eq!(live["stream"]["stopTimeout"], 4);
    assert_eq!(live["stream"]["autoStart"], true);

    // Publish: ON_AIR by the time the first frame is in.
    let mut ffmpeg = RtmpPublisher::start(&path).unwrap();
    let ingest = format!("{P}/live/{id}/ingest");
    until(Duration::from_secs(10), "the first frame", || async {
        let (_, v) = svc.get(&ingest, &t.access).await;
        v["data"]["sinceLastFrameMs"].as_u64().map(|_| ())
    })
    .await;
    let live = live_json(&svc, &t.access, &id).await;
    assert_eq!(live["status"], "ON_AIR");
    assert_eq!(live["stream"]["signal"], "RECEIVING");

    // Health from the real signal, once 6 s have arrived.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (s, h) = svc.get(&ingest, &t.access).await;
    assert_eq!(s, 200, "{h}");
    let h = &h["data"];
    let v = &h["video"];
    assert_eq!(
        (
            v["codec"].as_str(),
            v["width"].as_u64(),
            v["height"].as_u64()
        ),
        (Some("h264"), Some(1280), Some(720)),
        "{h}"
    );
    assert!(
        (v["frameRate"].as_f64().unwrap() - 30.0).abs() <= 1.0,
        "{h}"
    );
    assert!(
        (v["keyframeInterval"].as_f64().unwrap() - 2.0).abs() <= 0.1,
        "{h}"
    );
    let kbps = v["bitrate10sKbps"].as_f64().unwrap();
    assert!(
        (kbps - clip_kbps).abs() <= clip_kbps * 0.2,
        "received {kbps} kbps, clip {clip_kbps:.0} kbps: {h}"
    );
    assert_eq!(h["audio"]["codec"], "aac");
    assert_eq!(h["audio"]["sampleRate"], 44_100);
    assert_eq!(h["audio"]["channels"], 2);
    assert_eq!(h["verdict"], "excellent", "{h}");
    let publisher = &h["publisher"];
    assert_eq!(publisher["action"], "on_publish");
    assert_eq!(publisher["ip"], "127.0.0.1");
    assert_eq!(publisher["app"], "live");
    let key = path.rsplit('/').next().unwrap();
    assert!(
        !h.to_string().contains(key),
        "the health never shows the key"
    );
    assert!(
        publisher["tcUrl"].as_str().unwrap().ends_with("/live"),
        "{publisher}"
    );
    assert!(
        publisher["encoder"].as_str().unwrap().contains("Lavf"),
        "{publisher}"
    );

    // A chat admin reads it too; anyone else gets 404.
    let viewer = svc.login("viewer").await;
    assert_eq!(svc.get(&ingest, &viewer.access).await.0, 404);
    svc.put(&format!("{P}/live/{id}/mod/moderator"), &t.access, None)
        .await;
    let moderator = svc.login("moderator").await;
    assert_eq!(svc.get(&ingest, &moderator.access).await.0, 200);

    // STABLE after 10 s of steady input.
    let session = sessions(&svc, &t.access, &id).await["sessions"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    until(Duration::from_secs(8), "STABLE", || async {
        event_kinds(&svc, &t.access, &session)
            .await
            .contains(&"STABLE".to_owned())
            .then_some(())
    })
    .await;

    // The publisher vanishes: interrupted; back within stopTimeout:
    // restored, same session.
    ffmpeg.kill();
    until(Duration::from_secs(5), "INTERRUPTED", || async {
        (live_json(&svc, &t.access, &id).await["stream"]["signal"] == "INTERRUPTED").then_some(())
    })
    .await;
    let live = live_json(&svc, &t.access, &id).await;
    assert_eq!(live["status"], "ON_AIR");
    assert!(live["stream"]["interruptedAt"].is_string(), "{live}");
    let mut ffmpeg = RtmpPublisher::start(&path).unwrap();
    until(Duration::from_secs(10), "RECEIVING again", || async {
        (live_json(&svc, &t.access, &id).await["stream"]["signal"] == "RECEIVING").then_some(())
    })
    .await;
    assert_eq!(sessions(&svc, &t.access, &id).await["total"], 1);

    // Gone for longer than stopTimeout: the live ends, SIGNAL_LOST.
    tokio::time::sleep(Duration::from_secs(1)).await;
    ffmpeg.kill();
    until(Duration::from_secs(10), "END", || async {
        (live_json(&svc, &t.access, &id).await["status"] == "END").then_some(())
    })
    .await;
    let list = sessions(&svc, &t.access, &id).await;
    assert_eq!(list["total"], 1);
    let s0 = &list["sessions"][0];
    assert_eq!(
        (s0["status"].as_str(), s0["endReason"].as_str()),
        (Some("ENDED"), Some("SIGNAL_LOST"))
    );
    assert_eq!(s0["clientInfo"]["app"], "live");
    assert!(
        !list.to_string().contains(key),
        "sessions never show the key"
    );
    assert_eq!(
        event_kinds(&svc, &t.access, &session).await,
        [
            "INITIALIZE",
            "START",
            "STABLE",
            "SIGNAL_INTERRUPTED",
            "SIGNAL_RESTORED",
            "SIGNAL_INTERRUPTED",
            "SIGNAL_LOST"
        ]
    );
    assert_eq!(
        live_json(&svc, &t.access, &id).await["stream"]["signal"],
        "NONE"
    );
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_without_the_current_key_are_refused_and_change_nothing() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (id, path) = ingest_live(&svc, &t.access, json!({})).await;
    let _running = RtmpPublisher::start(&path).unwrap();
    until(Duration::from_secs(10), "the first publisher", || async {
        (live_json(&svc, &t.access, &id).await["stream"]["signal"] == "RECEIVING").then_some(())
    })
    .await;
    let session = sessions(&svc, &t.access, &id).await["sessions"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let events_before = event_kinds(&svc, &t.access, &session).await;
    let bytes = || svc.state.ingest.health(&id).bytes_received;

    // The key is in use: it cannot be regenerated.
    let (s, v) = svc
        .put(
            &format!("{P}/live/{id}/streamkey/regenerate"),
            &t.access,
            None,
        )
        .await;
    assert_eq!((s.as_u16(), error_name(&v)), (409, "STREAM_ACTIVE"));

    // A reserved live whose key was regenerated: the old key is refused.
    let (other, old_path) = ingest_live(&svc, &t.access, json!({})).await;
    let (s, _) = svc
        .put(
            &format!("{P}/live/{other}/streamkey/regenerate"),
            &t.access,
            None,
        )
        .await;
    assert_eq!(s, 200);

    // A live of a banned streamer.
    let banned = svc
        .user_with_channel("ingest-banned", "ingest-banned-ch")
        .await;
    let v = svc
        .create_live_with(&banned.access, "ingest-banned-ch", json!({"title": "b"}))
        .await;
    let banned_path = v["rtmpPath"].as_str().unwrap().to_owned();
    let banned_live = v["liveId"].as_str().unwrap().to_owned();
    svc.admin(Method::PUT, "/admin/user/ingest-banned/ban", None)
        .await;

    // The demo's live on a disabled channel.
    let (_, k) = svc
        .get(&format!("{P}/live/demo-archive/streamkey"), &t.access)
        .await;
    let disabled_path = format!(
        "{}/{}",
        k["data"]["rtmpUrl"].as_str().unwrap(),
        k["data"]["streamKey"].as_str().unwrap()
    );

    let unknown_path = format!("{}/not-a-key", svc.state.rtmp_url);
    let wrong_app = path.replace("/live/", "/other/");
    for (what, target) in [
        ("a second publisher on the same key", path.as_str()),
        ("an unknown key", unknown_path.as_str()),
        ("a key replaced by a regeneration", old_path.as_str()),
        ("a live of a banned streamer", banned_path.as_str()),
        ("a live of a disabled channel", disabled_path.as_str()),
        ("another application", wrong_app.as_str()),
    ] {
        let before = bytes();
        let mut refused = RtmpPublisher::start(target).unwrap();
        let status = refused.wait_exit(Duration::from_secs(8)).await;
        assert!(
            status.is_some_and(|s| !s.success()),
            "{what}: refused, ffmpeg gives up ({status:?})"
        );
        assert!(
            bytes() > before,
            "{what}: the running publisher keeps streaming"
        );
    }
    // Nothing was recorded for any of them.
    assert_eq!(event_kinds(&svc, &t.access, &session).await, events_before);
    assert_eq!(
        live_json(&svc, &t.access, &id).await["stream"]["signal"],
        "RECEIVING"
    );
    for live in [&other, &"demo-archive".to_owned()] {
        assert_eq!(
            live_json(&svc, &t.access, live).await["stream"]["signal"],
            "NONE"
        );
    }
    assert_eq!(sessions(&svc, &t.access, &other).await["total"], 0);
    let banned_sessions = svc
        .get(&format!("{P}/live/{banned_live}/sessions"), &banned.access)
        .await
        .1;
    assert_eq!(banned_sessions["data"]["total"], 0, "{banned_sessions}");
    svc.stop().await;
}

// ------------------------------------------------ ingest: bad RTMP input

mod raw_rtmp {
    //! A raw RTMP peer for the bad-input tests: a TCP connection, the
    //! handshake as a client (rml_rtmp's), hand-made chunks, and a client
    //! session that connects and publishes without sending media.

    use std::net::SocketAddr;
    use std::time::Duration;

    use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
    use rml_rtmp::sessions::{
        ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
        PublishRequestType,
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// The ingest's address, from its URL (`rtmp://HOST:PORT/live`).
    pub fn addr(rtmp_url: &str) -> SocketAddr {
        rtmp_url
            .trim_start_matches("rtmp://")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// A TCP connection that has done the RTMP handshake (Adobe RTMP 1.0
    /// §5.2) as a client.
    pub async fn handshaken(addr: SocketAddr) -> TcpStream {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let mut hs = Handshake::new(PeerType::Client);
        tcp.write_all(&hs.generate_outbound_p0_and_p1().unwrap())
            .await
            .unwrap();
        let mut buf = vec![0; 8192];
        loop {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "the server closed during the handshake");
            match hs.process_bytes(&buf[..n]).unwrap() {
                HandshakeProcessResult::InProgress { response_bytes } => {
                    tcp.write_all(&response_bytes).await.unwrap()
                }
                HandshakeProcessResult::Completed { response_bytes, .. } => {
                    tcp.write_all(&response_bytes).await.unwrap();
                    return tcp;
                }
            }
        }
    }

    /// A type 0 chunk (§5.3.1.2.1) on chunk stream `csid`, message stream
    /// 0, declaring a message of `declared` bytes and carrying `payload`.
    pub fn chunk(csid: u8, type_id: u8, declared: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![csid & 0x3f, 0, 0, 0];
        v.extend_from_slice(&declared.to_be_bytes()[1..]);
        v.push(type_id);
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// Set Chunk Size (§5.4.1), on the protocol control chunk stream 2.
    pub fn set_chunk_size(size: u32) -> Vec<u8> {
        chunk(2, 1, 4, &size.to_be_bytes())
    }

    /// Whether the server closes the connection within `within` (reading
    /// and dropping what it sends until then).
    pub async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
        let mut buf = vec![0u8; 16 * 1024];
        let end = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(end, tcp.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Connects to app `app` and asks to publish with `key`; returns the
    /// connection and the server's answer: `Ok` accepted, `Err` the
    /// connect's rejection or the `onStatus` code of the refusal.
    pub async fn publish(
        addr: SocketAddr,
        app: &str,
        key: &str,
    ) -> (TcpStream, Result<(), String>) {
        let mut tcp = handshaken(addr).await;
        let (mut session, _) = ClientSession::new(ClientSessionConfig::new()).unwrap();
        let mut out = Vec::new();
        let send = |r: ClientSessionResult, out: &mut Vec<u8>| {
            if let ClientSessionResult::OutboundResponse(p) = r {
                out.extend_from_slice(&p.bytes);
            }
        };
        send(
            session.request_connection(app.to_owned()).unwrap(),
            &mut out,
        );
        tcp.write_all(&out).await.unwrap();
        let mut buf = vec![0u8; 16 * 1024];
        let mut connected = false;
        loop {
            let n = match tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                _ => return (tcp, Err("closed without an answer".into())),
            };
            let mut out = Vec::new();
            for r in session.handle_input(&buf[..n]).unwrap_or_default() {
                match r {
                    ClientSessionResult::RaisedEvent(
                        ClientSessionEvent::ConnectionRequestAccepted,
                    ) => {
                        connected = true;
                        send(
                            session
                                .request_publishing(key.to_owned(), PublishRequestType::Live)
                                .unwrap(),
                            &mut out,
                        );
                    }
                    ClientSessionResult::RaisedEvent(
                        ClientSessionEvent::ConnectionRequestRejected { description },
                    ) => return (tcp, Err(format!("connect rejected: {description}"))),
                    ClientSessionResult::RaisedEvent(
                        ClientSessionEvent::PublishRequestAccepted,
                    ) => return (tcp, Ok(())),
                    ClientSessionResult::RaisedEvent(
                        ClientSessionEvent::UnhandleableOnStatusCode { code },
                    ) if connected => return (tcp, Err(code)),
                    // The refusal's `_error` with its status object (the
                    // session does not track the publish's transaction).
                    ClientSessionResult::RaisedEvent(
                        ClientSessionEvent::UnknownTransactionResultReceived {
                            additional_values,
                            ..
                        },
                    ) if connected => {
                        let code = additional_values
                            .into_iter()
                            .find_map(|v| v.get_object_properties()?.remove("code")?.get_string());
                        return (tcp, Err(code.unwrap_or_default()));
                    }
                    other => send(other, &mut out),
                }
            }
            tcp.write_all(&out).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rtmp_input_is_dropped_and_hurts_no_one() {
    use raw_rtmp::*;
    use tokio::io::AsyncWriteExt;
    let svc = TestService::start_with(|c| {
        c.ingest.max_connections = 64;
        c.ingest.max_message_bytes = 256 * 1024;
        c.ingest.publish_timeout = Duration::from_secs(2);
        c.ingest.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = addr(&svc.state.rtmp_url);
    let t = svc.login("streamer").await;
    let (id, path) = ingest_live(&svc, &t.access, json!({})).await;
    let _running = RtmpPublisher::start(&path).unwrap();
    until(Duration::from_secs(10), "the publisher", || async {
        (svc.state.ingest.health(&id).bytes_received > 0).then_some(())
    })
    .await;
    let bytes = || svc.state.ingest.health(&id).bytes_received;
    let mut seen = bytes();
    let mut still_fine = |what: &str, now: u64| {
        assert!(now > seen, "{what}: the running publisher goes on");
        seen = now;
    };

    // Random bytes (no RTMP version 3): dropped at once.
    let mut p = tokio::net::TcpStream::connect(addr).await.unwrap();
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x40)
        .collect();
    p.write_all(&junk).await.unwrap();
    assert!(
        closed_within(&mut p, Duration::from_secs(1)).await,
        "random bytes"
    );

    // A truncated handshake: dropped after the publish timeout.
    let mut p = tokio::net::TcpStream::connect(addr).await.unwrap();
    p.write_all(&[3u8; 700]).await.unwrap();
    assert!(
        closed_within(&mut p, Duration::from_secs(4)).await,
        "truncated handshake"
    );
    still_fine("handshakes", bytes());

    // Chunk size 0, then a message that can never complete: dropped at the
    // per-connection limit (256 KiB here).
    let mut p = handshaken(addr).await;
    p.write_all(&set_chunk_size(0)).await.unwrap();
    let _ = p
        .write_all(&chunk(3, 20, 1000, &vec![0u8; 300 * 1024]))
        .await;
    assert!(
        closed_within(&mut p, Duration::from_secs(3)).await,
        "chunk size 0"
    );

    // Chunk size 2^31 - 1 and a message declared at 16 MiB: dropped at the
    // limit, never buffered whole.
    let mut p = handshaken(addr).await;
    p.write_all(&set_chunk_size(0x7fff_ffff)).await.unwrap();
    let _ = p
        .write_all(&chunk(3, 20, 0xff_ffff, &vec![0x02; 400 * 1024]))
        .await;
    assert!(
        closed_within(&mut p, Duration::from_secs(3)).await,
        "chunk size 2^31"
    );
    still_fine("chunk sizes", bytes());

    // An oversized AMF object: a `connect` carrying a 200 KB string and no
    // app, in one chunk: read, refused, dropped.
    let mut amf = vec![0x02, 0, 7];
    amf.extend_from_slice(b"connect");
    amf.extend_from_slice(&[0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]); // transaction 1
    amf.extend_from_slice(&[0x03, 0, 4]);
    amf.extend_from_slice(b"junk");
    amf.push(0x0c); // long string
    amf.extend_from_slice(&(200_000u32).to_be_bytes());
    amf.extend(std::iter::repeat_n(b'x', 200_000));
    amf.extend_from_slice(&[0, 0, 9]);
    let mut p = handshaken(addr).await;
    p.write_all(&set_chunk_size(1 << 20)).await.unwrap();
    p.write_all(&chunk(3, 20, amf.len() as u32, &amf))
        .await
        .unwrap();
    assert!(
        closed_within(&mut p, Duration::from_secs(3)).await,
        "oversized AMF"
    );

    // Refusals carry their RTMP status: a wrong key, a wrong application.
    let (mut p, answer) = publish(addr, "live", "not-a-key").await;
    assert_eq!(answer, Err("NetStream.Publish.Denied".to_owned()));
    assert!(
        closed_within(&mut p, Duration::from_secs(2)).await,
        "refused, then closed"
    );
    let (_, answer) = publish(addr, "other", "not-a-key").await;
    assert!(
        answer.is_err_and(|e| e.starts_with("connect rejected")),
        "wrong app"
    );
    let key = path.rsplit('/').next().unwrap();
    let (_, answer) = publish(addr, "live", key).await;
    assert_eq!(
        answer,
        Err("NetStream.Publish.BadName".to_owned()),
        "a second publisher"
    );

    // A publish that never sends media: admitted, then dropped; its live
    // (auto-start off) was never started.
    let (quiet, quiet_path) = ingest_live(&svc, &t.access, json!({"autoStart": false})).await;
    let (mut p, answer) = publish(addr, "live", quiet_path.rsplit('/').next().unwrap()).await;
    assert_eq!(answer, Ok(()));
    assert_eq!(
        live_json(&svc, &t.access, &quiet).await["stream"]["signal"],
        "RECEIVING"
    );
    assert!(
        closed_within(&mut p, Duration::from_secs(5)).await,
        "no media"
    );
    let live = live_json(&svc, &t.access, &quiet).await;
    assert_eq!(
        (live["status"].as_str(), live["stream"]["signal"].as_str()),
        (Some("RESERVED"), Some("NONE"))
    );
    still_fine("refusals", bytes());

    // Idle connections past the limit: closed at once; the others after
    // the publish timeout. The publisher and the HTTPS API carry on.
    let mut idle = Vec::new();
    for _ in 0..300 {
        if let Ok(c) = tokio::net::TcpStream::connect(addr).await {
            idle.push(c);
        }
    }
    assert!(svc.state.ingest.health(&id).since_last_frame_ms.is_some());
    let (s, _) = svc.get(&format!("{P}/live/{id}"), &t.access).await;
    assert_eq!(s, 200);
    let mut closed_at_once = 0;
    for c in &mut idle[100..] {
        closed_at_once += usize::from(closed_within(c, Duration::from_millis(200)).await);
    }
    assert!(
        closed_at_once >= 190,
        "{closed_at_once} of 200 past the limit closed at once"
    );
    for c in &mut idle[..10] {
        assert!(
            closed_within(c, Duration::from_secs(4)).await,
            "an idle connection"
        );
    }
    drop(idle);
    tokio::time::sleep(Duration::from_millis(500)).await;
    still_fine("idle connections", bytes());
    let h = svc.state.ingest.health(&id);
    assert!(
        h.video.is_some_and(|v| v.width == Some(1280)),
        "still measured"
    );
    until(
        Duration::from_secs(5),
        "the idle connections to go",
        || async { (svc.state.ingest.connections() <= 2).then_some(()) },
    )
    .await;
    svc.stop().await;
}

// ------------------------------------------------------ the watch page

/// What ffprobe says of `entries` in `file`, its first line (it lists a
/// stream under its program too).
async fn ffprobe(file: &std::path::Path, select: &[&str], entries: &str) -> String {
    let out = tokio::process::Command::new("ffprobe")
        .args(["-v", "error"])
        .args(select)
        .args(["-show_entries", entries, "-of", "csv=p=0"])
        .arg(file)
        .output()
        .await
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// Runs a command to the end; its status and stderr.
async fn run(cmd: &mut tokio::process::Command) -> (std::process::ExitStatus, String) {
    let out = cmd.output().await.expect("the tool runs");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_page_plays_the_stream_as_hls() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let anon = support::client_for(&svc.cert_pem);
    let title = "<script>alert(1)</script> 라이브 テスト";
    let (id, path) =
        ingest_live(&svc, &t.access, json!({"title": title, "scope": "LIMITED"})).await;
    let live = live_json(&svc, &t.access, &id).await;
    let page_url = live["liveLink"].as_str().unwrap().to_owned();
    assert_eq!(page_url, svc.url(&format!("/watch/{id}")));
    let playlist_url = format!("{page_url}/index.m3u8");

    // Before any stream: a page that says so, no playlist.
    let r = anon.get(&page_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; 라이브 テスト"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "the title is text");
    assert!(html.contains("has not started"), "{html}");
    assert_eq!(anon.get(&playlist_url).send().await.unwrap().status(), 404);
    let js = anon.get(svc.url("/assets/watch.js")).send().await.unwrap();
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        js.text().await.unwrap().len() > 100_000,
        "hls.js is bundled"
    );

    // Publish: the playlist is listed within 6 s, anyone with the link
    // reads it (LIMITED).
    let started = std::time::Instant::now();
    let _ffmpeg = RtmpPublisher::start(&path).unwrap();
    let m3u8 = until(
        Duration::from_secs(6),
        "the first segment listed",
        || async {
            let r = anon.get(&playlist_url).send().await.unwrap();
            (r.status() == 200).then_some(())?;
            Some(r.text().await.unwrap())
        },
    )
    .await;
    let first_listed = started.elapsed();
    assert!(
        m3u8.starts_with("#EXTM3U\n") && m3u8.contains("#EXT-X-TARGETDURATION:2\n"),
        "{m3u8}"
    );
    assert!(!m3u8.contains("ENDLIST"), "{m3u8}");
    assert!(m3u8.contains("#EXT-X-PROGRAM-DATE-TIME:"), "{m3u8}");

    // The ingest extension tells the owner where it plays; the owner's
    // own reads (onair's preview) are no audience, anyone else's are.
    let (s, health) = svc.get(&format!("{P}/live/{id}/ingest"), &t.access).await;
    assert_eq!(s, 200, "{health}");
    assert_eq!(health["data"]["playbackUrl"], json!(playlist_url));
    let players = svc.state.ingest.players(&id);
    let own = anon
        .get(format!("{playlist_url}?player=streamer-preview"))
        .header("x-prism-access-token", &t.access)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(
        svc.state.ingest.players(&id),
        players,
        "the owner is not counted"
    );
    let other = anon
        .get(format!("{playlist_url}?player=someone"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(svc.state.ingest.players(&id), players + 1);

    // A segment is H.264 1280x720 to ffprobe.
    let dir = support::temp_dir("hls");
    let name = m3u8.lines().find(|l| l.ends_with(".ts")).unwrap();
    let seg = anon.get(format!("{page_url}/{name}")).send().await.unwrap();
    assert_eq!(seg.headers()["content-type"], "video/mp2t");
    let seg_file = dir.join("segment.ts");
    std::fs::write(&seg_file, seg.bytes().await.unwrap()).unwrap();
    assert_eq!(
        ffprobe(
            &seg_file,
            &["-select_streams", "v:0"],
            "stream=codec_name,width,height"
        )
        .await,
        "h264,1280,720"
    );

    // ffmpeg plays 10 s of it over HTTPS, trusting only the service's
    // certificate.
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &svc.cert_pem).unwrap();
    let out = dir.join("played.ts");
    let (status, log) = run(tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-tls_verify", "1", "-ca_file"])
        .arg(&ca)
        .args([
            "-i",
            &playlist_url,
            "-t",
            "10",
            "-c",
            "copy",
            "-f",
            "mpegts",
        ])
        .arg(&out))
    .await;
    assert!(status.success(), "ffmpeg played the playlist: {log}");
    let played: f64 = ffprobe(&out, &[], "format=duration").await.parse().unwrap();
    assert!(played >= 9.5, "played {played} s");
    assert!(
        svc.state.ingest.players(&id) >= 1,
        "a real player is counted"
    );

    // The page's state: title as text, status, the chat.
    svc.put(
        &format!("{P}/live/{id}/chat"),
        &t.access,
        Some(json!({"message": "<b>hi</b>"})),
    )
    .await;
    let (s, state) = {
        let r = anon
            .get(format!("{page_url}/state.json"))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(s, 200);
    assert_eq!(
        (
            state["title"].as_str(),
            state["status"].as_str(),
            state["playing"].as_bool()
        ),
        (Some(title), Some("ON_AIR"), Some(true))
    );
    assert_eq!(state["chat"]["messages"][0]["message"], "<b>hi</b>");

    // The live ends: the playlist says so.
    svc.put(&format!("{P}/live/{id}/stop"), &t.access, None)
        .await;
    let m3u8 = anon
        .get(&playlist_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m3u8.ends_with("#EXT-X-ENDLIST\n"), "{m3u8}");
    let html = anon
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("has ended"), "{html}");
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("first segment listed {first_listed:?} after ffmpeg started");
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_live_plays_for_its_owner_only() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let (id, path) = ingest_live(&svc, &t.access, json!({"scope": "PRIVATE"})).await;
    let _ffmpeg = RtmpPublisher::start(&path).unwrap();
    let playlist = format!("/watch/{id}/index.m3u8");
    let get = |token: Option<String>| {
        let mut r = svc.http.get(svc.url(&playlist));
        if let Some(token) = token {
            r = r.bearer_auth(token);
        }
        async move { r.send().await.unwrap().status() }
    };
    until(Duration::from_secs(20), "the owner's playlist", || async {
        (get(Some(t.access.clone())).await == 200).then_some(())
    })
    .await;
    assert_eq!(get(None).await, 404);
    assert_eq!(get(Some(svc.login("viewer").await.access)).await, 404);
    assert_eq!(get(Some("not-a-token".into())).await, 404);
    let page = svc
        .http
        .get(svc.url(&format!("/watch/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let name = "0.ts";
    let seg = svc
        .http
        .get(svc.url(&format!("/watch/{id}/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(seg.status(), 404, "segments too");
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcoding_ladder_makes_renditions_no_taller_than_the_source() {
    let svc = TestService::start_with(|c| c.ingest.transcode = true).await;
    let t = svc.login("streamer").await;
    let (id, path) = ingest_live(&svc, &t.access, json!({})).await;
    let _ffmpeg = RtmpPublisher::start(&path).unwrap();
    let master_url = svc.url(&format!("/watch/{id}/ladder/master.m3u8"));
    // The 720p source: 720p and 480p, no 1080p.
    let master = until(
        Duration::from_secs(20),
        "the ladder's master playlist",
        || async {
            let r = svc.http.get(&master_url).send().await.unwrap();
            (r.status() == 200).then_some(())?;
            Some(r.text().await.unwrap())
        },
    )
    .await;
    assert!(
        master.contains("RESOLUTION=1280x720") && master.contains("RESOLUTION=854x480"),
        "{master}"
    );
    assert!(!master.contains("1920x1080"), "{master}");
    // A 480p segment is 854x480 to ffprobe.
    let index = svc.url(&format!("/watch/{id}/ladder/480p/index.m3u8"));
    let segment = until(Duration::from_secs(20), "a 480p segment", || async {
        let r = svc.http.get(&index).send().await.unwrap();
        (r.status() == 200).then_some(())?;
        let text = r.text().await.unwrap();
        text.lines().find(|l| l.ends_with(".ts")).map(str::to_owned)
    })
    .await;
    let bytes = svc
        .http
        .get(svc.url(&format!("/watch/{id}/ladder/480p/{segment}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = support::temp_dir("ladder");
    let file = dir.join("480p.ts");
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(
        ffprobe(&file, &["-select_streams", "v:0"], "stream=width,height").await,
        "854,480"
    );
    // Only its own files: no way out of the ladder's directory.
    for bad in [
        "1080p/index.m3u8",
        "480p/..%2F..%2Findex.m3u8",
        "480p/seg.ts",
        "other/index.m3u8",
    ] {
        let r = svc
            .http
            .get(svc.url(&format!("/watch/{id}/ladder/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    svc.stop().await;
}
