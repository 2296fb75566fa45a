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
