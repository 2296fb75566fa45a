//! Test helpers shared by this crate's tests and the client's: a scripted
//! browser that fills in the service's own login page.

use reqwest::StatusCode;

/// A reference service for tests on `addr` (port 0 picks one): in memory,
/// demo data, a manual clock; `adjust` changes the config first.
pub async fn start(
    addr: std::net::SocketAddr,
    adjust: impl FnOnce(&mut crate::Config),
) -> Result<(crate::Running, std::sync::Arc<crate::ManualClock>), crate::StartError> {
    let clock = crate::ManualClock::new();
    let mut config = crate::Config::for_tests();
    config.clock = clock.clone();
    adjust(&mut config);
    Ok((crate::Running::start(config, addr).await?, clock))
}

/// What the service binary prints at start on stdout, `key=value` a line
/// (`base_url`, `admin_token`, `fingerprint_sha256`, ...), read up to its
/// `ready` line; empty when it ended before.
pub async fn start_lines(
    stdout: impl tokio::io::AsyncRead + Unpin,
) -> std::collections::HashMap<String, String> {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut said = std::collections::HashMap::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "ready" {
            return said;
        }
        if let Some((k, v)) = line.split_once('=') {
            said.insert(k.to_owned(), v.to_owned());
        }
    }
    std::collections::HashMap::new()
}

/// A user's access token through the whole authorization code flow with
/// PKCE (RFC 6749 §4.1, RFC 7636) as a public client: the login page, the
/// form, the code from the redirect's `Location` (nothing listens at
/// `redirect_uri`), the exchange. For benchmarks and soaks.
pub async fn pkce_login(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    user: &str,
    password: &str,
) -> Result<String, String> {
    use base64::Engine;
    use sha2::Digest;
    let verifier = crate::crypto::random_token(32);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", "pkce-login"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let authorize = format!(
        "{base}/oauth/authorize?{}",
        serde_urlencoded::to_string(params).map_err(|e| e.to_string())?
    );
    let location = match submit_login(http, &authorize, user, password, "login").await {
        Ok(Submitted::Redirect(location)) => location,
        Ok(Submitted::Page(status, _)) => return Err(format!("login form: HTTP {status}")),
        Err(e) => return Err(format!("login: {e}")),
    };
    let code = url::Url::parse(&location)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("login form: no code in {location}"))?;
    let token = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = token.status();
    let body = token.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("token endpoint: HTTP {status}: {body}"));
    }
    serde_json::from_str::<onair_api::oauth::TokenResponse>(&body)
        .map(|t| t.access_token.expose().to_owned())
        .map_err(|e| format!("token response: {e}"))
}

/// An HTTP(S) client that trusts only `cert_pem` (no platform roots) and
/// does not follow redirects (tests read them).
pub fn client_for(cert_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("certificate PEM"),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("test HTTP client")
}

/// What the login page did with a submitted form.
#[derive(Debug)]
pub enum Submitted {
    /// A redirect (302) to this `Location`: the client's redirect URI with
    /// `code` or `error`.
    Redirect(String),
    /// Any other answer: status and body (the form again, or an error page).
    Page(StatusCode, String),
}

/// Opens `authorize_url` as a browser would, fills in `username` and
/// `password`, presses `action` (`login` or `cancel`) and reports where the
/// service sent the browser. `http` must not follow redirects.
pub async fn submit_login(
    http: &reqwest::Client,
    authorize_url: &str,
    username: &str,
    password: &str,
    action: &str,
) -> reqwest::Result<Submitted> {
    let page = http.get(authorize_url).send().await?;
    let status = page.status();
    if let Some(location) = location(&page) {
        return Ok(Submitted::Redirect(location));
    }
    let html = page.text().await?;
    if status != StatusCode::OK {
        return Ok(Submitted::Page(status, html));
    }
    let mut form = hidden_inputs(&html);
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    form.push(("action".into(), action.into()));
    let mut post = reqwest::Url::parse(authorize_url).expect("authorize URL parses");
    post.set_query(None);
    let resp = http
        .post(post)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).expect("form encodes"))
        .send()
        .await?;
    let status = resp.status();
    match location(&resp) {
        Some(location) => Ok(Submitted::Redirect(location)),
        None => Ok(Submitted::Page(status, resp.text().await?)),
    }
}

fn location(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
}

/// `name`/`value` of every `<input type="hidden">` of a page, unescaped.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.strip_prefix("name=\"")?.split('"').next()?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), unescape(value)))
        })
        .collect()
}

/// The test clip every ingest test publishes: 10 s of ffmpeg's `testsrc2`
/// at 1280x720 and 30 fps with a sine tone, H.264 (x264, a key frame every
/// 2 s, about 2.5 Mb/s) and AAC, in FLV. See [`clip`].
pub fn test_clip() -> std::io::Result<std::path::PathBuf> {
    clip(2_500)
}

/// A clip like [`test_clip`] at `video_kbps`. Encoded once and kept in the
/// temporary directory (written aside, then renamed), so publishing it
/// with `-c copy` costs little CPU.
pub fn clip(video_kbps: u32) -> std::io::Result<std::path::PathBuf> {
    static CLIP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = CLIP.lock().unwrap_or_else(|e| e.into_inner());
    let path = std::env::temp_dir().join(format!("onair-test-clip-v1-720p30-{video_kbps}k.flv"));
    if path.exists() {
        return Ok(path);
    }
    let aside = path.with_extension(format!("{}.part.flv", std::process::id()));
    let rate = format!("{video_kbps}k");
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
        .args([
            "-t",
            "10",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-g", "60", "-keyint_min", "60", "-sc_threshold", "0"])
        .args(["-b:v", &rate, "-maxrate", &rate, "-bufsize", &rate])
        .args(["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv"])
        .arg(&aside)
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "ffmpeg encoding the clip: {status}"
        )));
    }
    std::fs::rename(&aside, &path)?;
    Ok(path)
}

/// The video bitrate of [`test_clip`], kbit/s, from its packets' sizes
/// (ffprobe), to compare what the ingest measures with.
pub fn test_clip_video_kbps() -> std::io::Result<f64> {
    let clip = test_clip()?;
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=size,pts_time", "-of", "csv=p=0"])
        .arg(&clip)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut bytes, mut last) = (0u64, 0f64);
    for line in text.lines() {
        let mut parts = line.split(',');
        let pts: f64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0.0);
        let size: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        bytes += size;
        last = last.max(pts);
    }
    if last <= 0.0 {
        return Err(std::io::Error::other("ffprobe read no video packets"));
    }
    // The last frame lasts one frame time too.
    Ok(bytes as f64 * 8.0 / 1000.0 / (last + 1.0 / 30.0))
}

/// An ffmpeg publishing [`test_clip`] in a loop, in real time and without
/// encoding, to an RTMP URL; killed when dropped.
#[derive(Debug)]
pub struct RtmpPublisher {
    child: std::process::Child,
}

impl RtmpPublisher {
    /// Starts publishing [`test_clip`] to `rtmp_path`
    /// (`rtmp://HOST:PORT/live/KEY`).
    pub fn start(rtmp_path: &str) -> std::io::Result<Self> {
        Self::with_clip(&test_clip()?, rtmp_path)
    }

    /// Starts publishing `clip` to `rtmp_path`.
    pub fn with_clip(clip: &std::path::Path, rtmp_path: &str) -> std::io::Result<Self> {
        let child = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(["-re", "-stream_loop", "-1", "-i"])
            .arg(clip)
            .args(["-c", "copy", "-f", "flv", rtmp_path])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        Ok(Self { child })
    }

    /// Whether ffmpeg has exited (a refused publish ends it), and how.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `within` for ffmpeg to exit.
    pub async fn wait_exit(
        &mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + within;
        while std::time::Instant::now() < until {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }

    /// Kills ffmpeg at once (the publisher vanishes, as a crash or a cut
    /// cable would).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RtmpPublisher {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Rows in `table` (a name of this crate's schema), for tests that check
/// what a request created, or did not.
pub async fn count(state: &crate::AppState, table: &str) -> i64 {
    assert!(
        table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "a table name"
    );
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&state.db.read)
        .await
        .expect("count rows")
}
