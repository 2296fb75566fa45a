//! The service under hostile load (issue 19): connections that hold on
//! without talking, requests that never finish, bodies too large, and
//! guessing. Real TLS on loopback; attackers come from other loopback
//! addresses (127.0.0.0/8 is all the machine's own on Linux), so their
//! counts are apart from the honest client's at 127.0.0.1.

mod support;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use support::{AuthFlow, TestService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const P: &str = "/prism/v1/service";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An HTTPS client trusting only the service, from `from`, HTTP/1.1 only
/// or offering HTTP/2 too.
fn client_from(svc: &TestService, from: IpAddr, http1_only: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(svc.cert_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from);
    if http1_only {
        b = b.http1_only();
    }
    b.build().unwrap()
}

fn tls_config(cert_pem: &str, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// A TCP connection from `from` to `addr`.
async fn tcp_from(from: IpAddr, addr: &str) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind((from, 0).into())?;
    socket.connect(addr.parse().unwrap()).await
}

/// A finished TLS handshake from `from`.
async fn tls_from(
    config: &Arc<rustls::ClientConfig>,
    from: IpAddr,
    addr: &str,
) -> std::io::Result<Tls> {
    let tcp = tcp_from(from, addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
}

/// How long until the peer closes `io` (EOF or an error), reading and
/// dropping what it sends meanwhile; `None` if still open after `within`.
async fn closed_after<S: tokio::io::AsyncRead + Unpin>(
    io: &mut S,
    start: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::from_std(start + within);
    loop {
        match tokio::time::timeout_at(deadline, io.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

fn addr(svc: &TestService) -> String {
    svc.base.trim_start_matches("https://").to_owned()
}

/// Short timeouts, to see each one fire.
async fn short_timeouts() -> TestService {
    TestService::start_with(|c| {
        c.http.handshake_timeout = Duration::from_secs(2);
        c.http.idle_timeout = Duration::from_secs(3);
        c.http.header_timeout = Duration::from_secs(2);
        c.http.body_timeout = Duration::from_secs(2);
    })
    .await
}

/// Asserts that the service closes `io` about `secs` from now.
async fn closes_in<S: tokio::io::AsyncRead + Unpin>(io: &mut S, secs: f64, what: &str) {
    let t = Instant::now();
    about(
        closed_after(io, t, Duration::from_secs(5)).await,
        secs,
        what,
    );
}

fn about(d: Option<Duration>, secs: f64, what: &str) {
    let d = d.unwrap_or_else(|| panic!("{what}: still open"));
    assert!(
        d.as_secs_f64() > secs - 0.3 && d.as_secs_f64() < secs + 1.5,
        "{what}: closed after {d:?}, not about {secs} s"
    );
}

#[tokio::test]
async fn silent_slow_and_unfinished_connections_close_at_their_timeouts() {
    let svc = short_timeouts().await;
    let a = addr(&svc);
    let h1 = tls_config(&svc.cert_pem, &[b"http/1.1"]);
    let local = ip("127.0.0.1");

    // TCP and not a byte: the handshake timeout.
    let mut tcp = tcp_from(local, &a).await.unwrap();
    closes_in(&mut tcp, 2.0, "no TLS handshake").await;

    // A handshake, then silence: the idle timeout.
    let mut tls = tls_from(&h1, local, &a).await.unwrap();
    closes_in(&mut tls, 3.0, "silent after the handshake").await;

    // A request, then silence on the kept-alive connection.
    let mut tls = tls_from(&h1, local, &a).await.unwrap();
    tls.write_all(b"GET /openapi.json HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    tls.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // (hyper's header timeout runs from the end of an answer to the end
    // of the next head, so on HTTP/1.1 it, not the idle one, comes first.)
    closes_in(&mut tls, 2.0, "idle between requests").await;

    // A head sent a byte every 300 ms (never idle): the header timeout.
    let mut tls = tls_from(&h1, local, &a).await.unwrap();
    let t = Instant::now();
    let head = b"GET /openapi.json HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = None;
    for b in head {
        if tls.write_all(&[*b]).await.is_err() {
            closed = Some(t.elapsed());
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(300), tls.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = Some(t.elapsed());
                break;
            }
            _ => {}
        }
    }
    about(closed, 2.0, "a slow head");

    // A body a byte every 300 ms: 408 at the body timeout, then closed.
    let mut tls = tls_from(&h1, local, &a).await.unwrap();
    let t = Instant::now();
    tls.write_all(b"POST /oauth/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut answered = None;
    for _ in 0..20 {
        if tls.write_all(b"a").await.is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(300), tls.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                answered.get_or_insert(t.elapsed());
            }
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("invalid_request"),
        "an RFC 6749 error: {answer}"
    );
    about(answered, 2.0, "a slow body");

    // HTTP/2: a stream whose body never comes is answered 408 at the body
    // timeout; the connection, idle after it, closes at the idle timeout.
    let h2 = tls_config(&svc.cert_pem, &[b"h2"]);
    let tls = tls_from(&h2, local, &a).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
    let t = Instant::now();
    let req = hyper::Request::put(format!("{}{P}/live/x/chat", svc.base))
        .header("content-type", "application/json")
        .body(Never)
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), send.send_request(req))
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(resp.status(), 408);
    about(Some(t.elapsed()), 2.0, "an HTTP/2 stream left open");
    let t = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(5), conn).await;
    assert!(ended.is_ok(), "the idle HTTP/2 connection is closed");
    about(Some(t.elapsed()), 3.0, "an idle HTTP/2 connection");

    // And the service is as it was.
    let r = svc.http.get(svc.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    svc.stop().await;
}

/// A request body that never comes.
struct Never;

impl hyper::body::Body for Never {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn too_large_bodies_get_their_answer_over_http1_and_http2() {
    let svc = TestService::start().await;
    let t = svc.login("streamer").await;
    let live = svc
        .create_live(&t.access, "streamer-main", "Too large")
        .await;
    let flow = AuthFlow::public();
    for http1_only in [true, false] {
        let http = client_from(&svc, ip("127.0.0.1"), http1_only);
        let version = |r: &reqwest::Response| r.version();
        // 1 MB to a JSON route: the envelope's 413.
        let r = http
            .put(svc.url(&format!("{P}/live/{live}/chat")))
            .header("x-prism-access-token", &t.access)
            .header("content-type", "application/json")
            .body(format!("{{\"message\":\"{}\"}}", "a".repeat(1 << 20)))
            .send()
            .await
            .expect("the answer, not a reset");
        let v = version(&r);
        assert_eq!(
            v == reqwest::Version::HTTP_2,
            !http1_only,
            "HTTP/2 where offered"
        );
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{v:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["errorName"], "INVALID_PARAMETER");
        assert!(body["message"].as_str().unwrap().contains("64 KiB"));

        // 10 MB to the token endpoint's form: RFC 6749's error body.
        let r = http
            .post(svc.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&refresh_token={}",
                "b".repeat(10 << 20)
            ))
            .send()
            .await
            .expect("the answer, not a reset");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{v:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");

        // 10 MB to the login form: its page.
        let form = format!(
            "{}&username=streamer&password={}&action=login",
            flow.authorize_url_query(),
            "c".repeat(10 << 20)
        );
        let r = http
            .post(svc.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("the answer, not a reset");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{v:?}");
        assert!(r.text().await.unwrap().contains("larger than 64 KiB"));

        // The connection is still good for the next request.
        let (s, _) = svc.get(&format!("{P}/user"), &t.access).await;
        assert_eq!(s, 200);
    }
    svc.stop().await;
}

/// Limits small enough to reach in a test.
async fn strict() -> TestService {
    TestService::start_with(|c| {
        c.throttle.login_per_minute = 5;
        c.throttle.token_per_minute = 5;
        c.throttle.admin_per_minute = 5;
        c.throttle.lockout_after = 8;
        c.throttle.lockout_max = Duration::from_secs(120);
    })
    .await
}

async fn sign_in(
    svc: &TestService,
    http: &reqwest::Client,
    user: &str,
    password: &str,
) -> StatusCode {
    let flow = AuthFlow::public();
    match support::submit_login(http, &flow.authorize_url(svc), user, password, "login")
        .await
        .unwrap()
    {
        support::Submitted::Redirect(_) => StatusCode::FOUND,
        support::Submitted::Page(status, _) => status,
    }
}

/// The login form's answer with its `Retry-After`.
async fn sign_in_raw(
    svc: &TestService,
    http: &reqwest::Client,
    user: &str,
    password: &str,
) -> (StatusCode, Option<u64>, String) {
    let r = AuthFlow::public()
        .post_login(svc, http, user, password)
        .await;
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status(), retry, r.text().await.unwrap())
}

#[tokio::test]
async fn guessing_passwords_is_slowed_and_the_real_user_still_signs_in() {
    let svc = strict().await;
    let home = client_from(&svc, ip("127.0.0.1"), false);
    let attacker = client_from(&svc, ip("127.0.0.2"), false);
    let elsewhere = client_from(&svc, ip("127.0.0.3"), false);
    // The streamer has signed in from home before.
    assert_eq!(sign_in(&svc, &home, "streamer", "streamer").await, 302);

    // Guessing from one address: 5 a minute, the first at once.
    let mut statuses = Vec::new();
    for n in 0..10 {
        let (s, retry, page) = sign_in_raw(&svc, &attacker, "streamer", &format!("guess{n}")).await;
        statuses.push(s.as_u16());
        if s == 429 {
            let secs = retry.expect("Retry-After");
            assert!((1..=120).contains(&secs), "{secs}");
            assert!(page.contains("Too many failed sign-ins"), "{page}");
        }
    }
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        wrong, 6,
        "the quota's burst and one more looked at: {statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // The right password from there is not even looked at.
    let (s, _, _) = sign_in_raw(&svc, &attacker, "streamer", "streamer").await;
    assert_eq!(s, 429, "refused, right or wrong");

    // Other addresses keep guessing: the account's own count locks it.
    for from in ["127.0.0.6", "127.0.0.7"] {
        let other = client_from(&svc, ip(from), false);
        for n in 0..3 {
            sign_in_raw(&svc, &other, "streamer", &format!("more{n}")).await;
        }
    }
    // Meanwhile, at home, the streamer signs in at once.
    let t = Instant::now();
    assert_eq!(sign_in(&svc, &home, "streamer", "streamer").await, 302);
    assert!(t.elapsed() < Duration::from_secs(1));
    // Another user elsewhere too.
    assert_eq!(
        sign_in(&svc, &elsewhere, "moderator", "moderator").await,
        302
    );
    // The attacked account is locked for addresses it never used: a lock
    // of at most lockout_max.
    let (s, retry, _) = sign_in_raw(&svc, &elsewhere, "streamer", "streamer").await;
    assert_eq!(s, 429);
    assert!(retry.unwrap() <= 120);
    // And a success at home reset nothing for the attacker.
    let (s, _, _) = sign_in_raw(&svc, &attacker, "moderator", "nope").await;
    assert_eq!(s, 429);
    svc.stop().await;
}

#[tokio::test]
async fn guessing_client_secrets_codes_and_the_admin_token_is_slowed() {
    let svc = strict().await;
    let home = client_from(&svc, ip("127.0.0.1"), false);
    let attacker = client_from(&svc, ip("127.0.0.2"), false);
    let token = |http: &reqwest::Client, secret: &str, refresh: &str| {
        http.post(svc.url("/oauth/token"))
            .basic_auth("onair-demo", Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .send()
    };
    // The confidential client's own server logs a user in and refreshes.
    let flow = AuthFlow::confidential();
    let code = flow.authorize(&svc, "streamer", "streamer").await.unwrap();
    let tokens = flow.exchange(&svc, &code).await.unwrap();

    let mut statuses = Vec::new();
    for n in 0..10 {
        let r = token(&attacker, &format!("secret{n}"), "x").await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "temporarily_unavailable", "{v}");
        }
    }
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 6,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // The right secret from there: refused before it is checked.
    let r = token(&attacker, "onair-demo-secret", &tokens.refresh)
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // The client's own server, which used it before, is not slowed.
    let r = token(&home, "onair-demo-secret", &tokens.refresh)
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // Wrong codes and refresh tokens count too (a public client).
    let guesser = client_from(&svc, ip("127.0.0.4"), false);
    let mut last = 0;
    for n in 0..10 {
        let r = guesser
            .post(svc.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &format!("code{n}")),
                ("client_id", "onair-desktop"),
                ("code_verifier", "v"),
            ])
            .send()
            .await
            .unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 429);

    // The admin token: 5 wrong a minute from one address.
    let admin_from = |http: &reqwest::Client, token: &str| {
        http.put(svc.url("/admin/outage?seconds=0"))
            .bearer_auth(token)
            .send()
    };
    let admin_guesser = client_from(&svc, ip("127.0.0.5"), false);
    let mut statuses = Vec::new();
    for n in 0..10 {
        let r = admin_from(&admin_guesser, &format!("t{n}")).await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let r = admin_from(&admin_guesser, &svc.admin_token).await.unwrap();
    assert_eq!(r.status(), 429, "the right token from there: refused");
    let r = admin_from(&home, &svc.admin_token).await.unwrap();
    assert_eq!(r.status(), 200, "the operator at home");
    svc.stop().await;
}

// ---------------------------------------------------------------- a flood

/// The service binary under `prlimit --nofile=1024:1024` on a data dir
/// (for its certificate); its stderr goes to a file read at the end.
struct Limited {
    child: tokio::process::Child,
    base: String,
    cert_pem: String,
    dir: std::path::PathBuf,
}

async fn limited_service() -> Limited {
    let dir = support::temp_dir("flood");
    let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
    let mut child = tokio::process::Command::new("prlimit")
        .args(["--nofile=1024:1024", "--"])
        .arg(env!("CARGO_BIN_EXE_onair-service"))
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--idle-timeout",
            "120",
        ])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("prlimit (util-linux) and the service binary");
    let said = onair_service::testing::start_lines(child.stdout.take().unwrap()).await;
    let base = said.get("base_url").cloned().unwrap_or_default();
    assert!(!base.is_empty(), "the service started");
    let cert_pem = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    Limited {
        child,
        base,
        cert_pem,
        dir,
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_idle_flood_under_1024_open_files_leaves_others_served() {
    // This process holds the flood's ends: its own limit up.
    onair_service::conn::raise_open_files();
    let svc = limited_service().await;
    let pid = svc.child.id().unwrap();
    let addr = svc.base.trim_start_matches("https://").to_owned();
    let baseline = open_fds(pid);
    let honest = onair_service::testing::client_for(&svc.cert_pem);
    let ask = |http: reqwest::Client, url: String| async move {
        let t = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(5), http.get(url).send()).await;
        let ok = matches!(r, Ok(Ok(ref r)) if r.status() == 200);
        if !ok {
            eprintln!("an honest request failed: {r:?}");
        }
        (ok, t.elapsed())
    };
    let url = format!("{}/.well-known/oauth-authorization-server", svc.base);
    assert!(ask(honest.clone(), url.clone()).await.0);

    // The flood: 1,100 connections from nine addresses, each finishing its
    // handshake and then saying nothing (past the cap and the shares).
    let config = tls_config(&svc.cert_pem, &[b"http/1.1"]);
    let held = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let flood = {
        let (config, addr, held) = (config.clone(), addr.clone(), held.clone());
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for n in 0..1_100u32 {
                let from = IpAddr::from([127, 0, 1, (n % 9 + 1) as u8]);
                let (config, addr, held) = (config.clone(), addr.clone(), held.clone());
                tasks.spawn(async move {
                    if let Ok(Ok(tls)) = tokio::time::timeout(
                        Duration::from_secs(10),
                        tls_from(&config, from, &addr),
                    )
                    .await
                    {
                        held.lock().await.push(tls);
                    }
                });
                if tasks.len() >= 64 {
                    tasks.join_next().await;
                }
            }
            while tasks.join_next().await.is_some() {}
        })
    };
    // While it builds and holds, the honest client asks every 200 ms.
    let mut answered = Vec::new();
    let mut most_fds = 0;
    let hold_until = Instant::now() + Duration::from_secs(15);
    while Instant::now() < hold_until {
        // A new connection each time, as a new client would make.
        let fresh = onair_service::testing::client_for(&svc.cert_pem);
        answered.push(ask(fresh, url.clone()).await);
        most_fds = most_fds.max(open_fds(pid));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    flood.await.unwrap();
    let holding = held.lock().await.len();
    let slowest = answered.iter().map(|a| a.1).max().unwrap();
    let failed = answered.iter().filter(|a| !a.0).count();
    eprintln!(
        "flood: {holding} handshakes finished, {} honest requests, slowest {slowest:?}, {failed} failed, service fds {baseline} -> at most {most_fds}",
        answered.len()
    );
    assert_eq!(failed, 0, "every honest request answered");
    assert!(slowest < Duration::from_secs(1), "slowest {slowest:?}");
    assert!(most_fds < 1024);

    // The flood leaves; the service is back without a restart.
    held.lock().await.clear();
    support::until(Duration::from_secs(10), "descriptors back", || async {
        (open_fds(pid) <= baseline + 8).then_some(())
    })
    .await;
    assert!(ask(honest, url).await.0);
    let log = std::fs::read_to_string(svc.dir.join("stderr.log")).unwrap();
    let accept_failed = log.matches("accept failed").count();
    assert!(
        accept_failed <= 20,
        "{accept_failed} accept failures logged"
    );
    assert!(log.contains("open files limit"), "{log}");
    drop(svc.child);
    let _ = std::fs::remove_dir_all(&svc.dir);
}
