//! End to end: the real app binary under Xvfb, driven through tauri-driver
//! and WebKitWebDriver, on the built-in demo service. The system browser
//! is `scripts/scripted-browser` (through `BROWSER`), which fills in the
//! service's login page as a user would.
//!
//! Needs a display, a keyring session and tauri-driver: `make test` runs
//! it as `scripts/with-keyring xvfb-run cargo test ... --include-ignored`.
//! Screenshots of the main screens go to `target/e2e-screens/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use onair_tests::app::{app_binary, workspace, Driver};
use serde_json::{json, Map};

#[path = "e2e/one_screen.rs"]
mod one_screen;

const ADMIN_TOKEN: &str = "e2e-operator-token-0123456789";

/// The app is single-instance: the tests of this file take turns.
async fn one_app_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE.lock().await
}

async fn open_app(driver: &Driver, args: &[&str]) -> Client {
    let mut caps = Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({"application": app_binary(), "args": args}),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("webdriver session: {e}"),
        }
    }
}

/// Ends the session and waits until the app is gone: a start while the
/// last one still holds the single-instance name would go to that one.
async fn close_app(c: Client) {
    c.close().await.unwrap();
    let exe = std::fs::canonicalize(app_binary()).unwrap();
    until("the app has exited", || async { !running(&exe) }).await;
}

/// Whether a process of this binary is running (a zombie is not: it has
/// let go of everything).
fn running(exe: &Path) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .any(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|p| p == exe))
}

/// Waits for an element by test id.
async fn find(c: &Client, id: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("[data-testid={id}]")))
        .await
        .unwrap_or_else(|e| panic!("[data-testid={id}]: {e}"))
}

/// Clicks the element with this test id, once it is scrolled to the middle
/// of its scroller (the dashboard's sides scroll on their own: an element
/// half under a scroller's edge cannot be clicked).
async fn click(c: &Client, id: &str) {
    click_on(c, &find(c, id).await, id).await;
}

/// Moves the mouse to the middle of the element with this test id, `dx`
/// pixels to the right.
async fn hover(c: &Client, id: &str, dx: f64) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let over = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: find(c, id).await,
        duration: None,
        x: dx,
        y: 0.0,
    });
    c.perform_actions(over).await.unwrap();
}

/// Clicks an element, scrolled to the middle of its scroller first (where
/// nothing floats over it: the chat's "N new messages" sits at its foot).
async fn click_on(c: &Client, e: &fantoccini::elements::Element, what: &str) {
    c.execute(
        "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });",
        vec![serde_json::to_value(e).unwrap()],
    )
    .await
    .unwrap();
    e.click()
        .await
        .unwrap_or_else(|err| panic!("click {what}: {err}"));
}

/// Waits until the element's text satisfies `ok`; returns the text.
async fn text_until(c: &Client, id: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = find(c, id).await.text().await.unwrap_or_default();
        if ok(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "[data-testid={id}] stayed {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The serious and critical accessibility violations axe found, as
/// "screen: id (impact): help [where]" lines.
static SERIOUS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// axe-core (the UI's dev dependency) on what the window shows: the
/// violations go to `target/e2e-screens/axe-{name}.json` beside the
/// screenshots; the serious and critical ones to [`SERIOUS`].
async fn axe(c: &Client, name: &str) {
    let source = std::fs::read_to_string(workspace().join("ui/node_modules/axe-core/axe.min.js"))
        .expect("axe-core (make ui-deps installs it)");
    c.execute(&format!("{source}\nreturn true;"), vec![])
        .await
        .expect("axe-core loads");
    let report = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations.map((v) => ({
                 id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.length,
                 targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
               }))))
               .catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("axe runs");
    let dir = workspace().join("target/e2e-screens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("axe-{name}.json")),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    let violations = report
        .as_array()
        .unwrap_or_else(|| panic!("axe on {name}: {report}"));
    let serious: Vec<String> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{name}: {} ({}): {} [{}]",
                v["id"], v["impact"], v["help"], v["targets"]
            )
        })
        .collect();
    println!(
        "axe {name}: {} violations, {} serious or critical",
        violations.len(),
        serious.len()
    );
    SERIOUS.lock().unwrap().extend(serious);
}

/// No screen axe looked at had a serious or critical violation.
fn assert_accessible() {
    let found = std::mem::take(&mut *SERIOUS.lock().unwrap());
    assert!(
        found.is_empty(),
        "axe: serious or critical violations (reports in target/e2e-screens/axe-*.json):\n{}",
        found.join("\n")
    );
}

/// Nothing on the page or in the dashboard's sides is wider than its box
/// (a figure that does not fit wraps; nothing scrolls sideways).
async fn nothing_sideways(c: &Client, name: &str) {
    let wide = c
        .execute(
            "return [document.documentElement, ...document.querySelectorAll('.dashboard, .live-side, .chat-side')]
               .filter((e) => e.scrollWidth > e.clientWidth + 1)
               .map((e) => e.className || e.tagName);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, json!([]), "{name}: scrolls sideways");
}

/// A screenshot of what the window shows; an empty page (nothing drawn,
/// no text) fails the test rather than make a picture of nothing.
async fn screenshot(c: &Client, name: &str) {
    let text = c
        .execute("return document.body.innerText.trim().length", vec![])
        .await
        .unwrap();
    assert!(
        text.as_u64().is_some_and(|n| n > 0),
        "{name}: the window shows an empty page"
    );
    let dir = workspace().join("target/e2e-screens");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn clipboard() -> String {
    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The demo service's base URL, from the profile the app wrote.
fn demo_base(home: &Path) -> String {
    let all =
        onair_client::Profiles::load(&home.join("config/dev.onair.desktop/profiles.json")).unwrap();
    all.get("demo").unwrap().api_domain.clone()
}

/// Where libayatana-appindicator exports the tray's StatusNotifierItem.
const TRAY_ITEM: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_onair_tray";

/// The tray's label (the text beside its icon), read over the session bus
/// from the app's StatusNotifierItem, as a panel reads it.
fn tray_label() -> Option<String> {
    let send = |dest: &str, path: &str, args: &[&str]| {
        Command::new("dbus-send")
            .args(["--session", "--print-reply", "--reply-timeout=2000"])
            .arg(format!("--dest={dest}"))
            .arg(path)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let names = send(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        &["org.freedesktop.DBus.ListNames"],
    )?;
    names
        .split('"')
        .filter(|n| n.starts_with(':'))
        .find_map(|name| {
            send(
                name,
                TRAY_ITEM,
                &[
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.kde.StatusNotifierItem",
                    "string:XAyatanaLabel",
                ],
            )
        })
        .map(|reply| reply.split('"').nth(1).unwrap_or_default().to_owned())
}

async fn tray_label_until(want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let label = tray_label();
        if label.as_deref() == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tray label {label:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until no element has this test id.
async fn gone(c: &Client, id: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while c
        .find(Locator::Css(&format!("[data-testid={id}]")))
        .await
        .is_ok()
    {
        assert!(Instant::now() < deadline, "[data-testid={id}] stayed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn operator(home: &Path, path: &str) -> u16 {
    // Operator routes that change a channel are PUTs (service README).
    let pem =
        std::fs::read_to_string(home.join("data/dev.onair.desktop/demo-service/cert.pem")).unwrap();
    onair_service::testing::client_for(&pem)
        .put(format!("{}{path}", demo_base(home)))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn operator_post(home: &Path, path: &str, body: serde_json::Value) -> u16 {
    let pem =
        std::fs::read_to_string(home.join("data/dev.onair.desktop/demo-service/cert.pem")).unwrap();
    onair_service::testing::client_for(&pem)
        .post(format!("{}{path}", demo_base(home)))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A login of `user` on the demo service, made apart from the app (its
/// tokens in memory), through the service's login page.
async fn login_as(home: &Path, user: &str, password: &str) -> onair_client::Client {
    use onair_client::{Connector, LoginSlot, MemoryStore, Profiles, TokenStore};
    use onair_service::testing::{client_for, submit_login, Submitted};
    let all = Profiles::load(&home.join("config/dev.onair.desktop/profiles.json")).unwrap();
    let profile = all.get("demo").unwrap().clone();
    let store: std::sync::Arc<dyn TokenStore> = std::sync::Arc::new(MemoryStore::default());
    let connector = Connector::new(profile, store).await.unwrap();
    let pending = connector.start_login(&LoginSlot::default()).await.unwrap();
    let pem =
        std::fs::read_to_string(home.join("data/dev.onair.desktop/demo-service/cert.pem")).unwrap();
    let http = client_for(&pem);
    let Submitted::Redirect(back) =
        submit_login(&http, pending.url().as_str(), user, password, "login")
            .await
            .unwrap()
    else {
        panic!("the login page did not take {user}")
    };
    http.get(back).send().await.unwrap();
    connector.complete_login(pending).await.unwrap().client
}

/// The test's live, on air, as the service lists it.
async fn e2e_live(streamer: &onair_client::Client) -> onair_api::Live {
    streamer
        .lives("streamer-main", onair_api::StatusFilter::OnAir)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.title == "e2e live")
        .expect("the e2e live on air")
}

/// What the chat list holds now: whether a payload ran, elements other
/// than the rows' own, names with invisible characters, overflow, and the
/// texts of the rows on screen.
const INSPECT: &str = r#"
const list = document.querySelector('[data-testid=chat-list]');
const allowed = new Set(['DIV', 'SPAN', 'BDI', 'MARK']);
const ours = (e) => allowed.has(e.tagName) || (e.tagName === 'BUTTON' && e.dataset.testid === 'author');
const foreign = [...list.querySelectorAll('*')].filter((e) => !ours(e)).map((e) => e.tagName);
const nested = list.querySelectorAll('.msg div').length;
const hidden = [...list.querySelectorAll('.author')].filter((a) => /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/.test(a.textContent)).length;
const box = list.getBoundingClientRect();
const wide = [...list.querySelectorAll('.msg')].filter((m) => m.getBoundingClientRect().right > box.right + 1).length;
return {
  pwned: typeof window.__pwned !== 'undefined',
  foreign, nested, hidden, wide,
  listOverflow: list.scrollWidth > list.clientWidth + 1,
  pageOverflow: document.documentElement.scrollWidth > window.innerWidth + 1,
  styles: document.querySelectorAll('style').length,
  texts: [...list.querySelectorAll('.msg .text')].map((t) => t.textContent),
  height: list.scrollHeight,
};
"#;

/// A stranger's text as the page shows it: its directional controls as
/// marks (ui/src/lib/format.ts, `shown`).
fn shown(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let name = match c {
            '\u{202A}' => "LRE",
            '\u{202B}' => "RLE",
            '\u{202C}' => "PDF",
            '\u{202D}' => "LRO",
            '\u{202E}' => "RLO",
            '\u{2066}' => "LRI",
            '\u{2067}' => "RLI",
            '\u{2068}' => "FSI",
            '\u{2069}' => "PDI",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(&format!("‹{name}›"));
    }
    out
}

async fn hostile_chat(c: &Client, home: &Path) {
    let corpus: serde_json::Value =
        serde_json::from_str(include_str!("../ui/src/lib/hostile.json")).unwrap();
    let messages: Vec<String> = corpus["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let names: Vec<&str> = corpus["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let styles_before = c.execute(INSPECT, vec![]).await.unwrap()["styles"].clone();

    let streamer = login_as(home, "streamer", "streamer").await;
    let live = e2e_live(&streamer).await;
    let mut senders = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = format!("hostile-{i}");
        let body = json!({"userId": id, "userName": name, "password": "hostile-pw"});
        assert_eq!(operator_post(home, "/admin/user", body).await, 200);
        senders.push(login_as(home, &id, "hostile-pw").await);
    }
    for (i, text) in messages.iter().enumerate() {
        senders[i % senders.len()]
            .chat_send(live.live_id.as_str(), text)
            .await
            .unwrap_or_else(|e| panic!("payload {i} refused: {e}"));
    }
    let last = messages.last().unwrap().clone();
    text_until(c, "chat-list", |t| t.contains(&last)).await;
    screenshot(c, "4-hostile-chat").await;

    // Through the whole list, a screenful at a time.
    let mut seen = std::collections::HashSet::new();
    let mut top = 0;
    loop {
        c.execute(
            "document.querySelector('[data-testid=chat-list]').scrollTop = arguments[0];",
            vec![json!(top)],
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        let v = c.execute(INSPECT, vec![]).await.unwrap();
        assert_eq!(v["pwned"], json!(false), "a payload ran");
        assert_eq!(v["foreign"], json!([]), "markup from a payload rendered");
        assert_eq!(v["nested"], json!(0));
        assert_eq!(v["hidden"], json!(0), "a name kept invisible characters");
        assert_eq!(v["wide"], json!(0), "a row is wider than the list");
        assert_eq!(v["listOverflow"], json!(false));
        assert_eq!(v["pageOverflow"], json!(false));
        assert_eq!(v["styles"], styles_before, "a style element was added");
        for t in v["texts"].as_array().unwrap() {
            seen.insert(t.as_str().unwrap().to_owned());
        }
        top += 250;
        if top > v["height"].as_i64().unwrap() {
            break;
        }
    }
    for m in &messages {
        let text = shown(m.trim());
        assert!(
            seen.contains(&text),
            "never shown as text: {m:?} ({text:?})"
        );
    }
    // Nothing called an IPC command: still logged in.
    assert_eq!(find(c, "user").await.text().await.unwrap(), "Streamer Kim");
    // Back to following the newest.
    c.execute(
        "const l = document.querySelector('[data-testid=chat-list]'); l.scrollTop = l.scrollHeight;",
        vec![],
    )
    .await
    .unwrap();
}

/// The avatar and the channels' pictures load, through the app's
/// `picture:` scheme; an image from any https host is refused by the
/// page's CSP (issue 19: `img-src` is the app, `data:` and that scheme).
async fn pictures_come_through_the_app(c: &Client) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = c
            .execute(
                "return [...document.querySelectorAll('[data-testid=avatar],[data-testid=channel-picture]')]\
                 .map(i => [i.getAttribute('data-testid'), i.currentSrc || i.src, i.complete ? i.naturalWidth : 0]);",
                vec![],
            )
            .await
            .unwrap();
        let pics = v.as_array().cloned().unwrap_or_default();
        let loaded = pics
            .iter()
            .filter(|p| p[2].as_u64().unwrap_or(0) > 0)
            .count();
        let kinds: Vec<&str> = pics.iter().filter_map(|p| p[0].as_str()).collect();
        if loaded == pics.len() && kinds.contains(&"avatar") && kinds.contains(&"channel-picture") {
            for p in &pics {
                let src = p[1].as_str().unwrap_or("");
                assert!(
                    src.starts_with("picture://") || src.starts_with("http://picture.localhost/"),
                    "{src}"
                );
            }
            break;
        }
        assert!(Instant::now() < deadline, "pictures not loaded: {pics:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refused = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             document.addEventListener('securitypolicyviolation', e => done(e.effectiveDirective || e.violatedDirective), {once: true});\
             const img = new Image(); img.src = 'https://127.0.0.1:9/probe.png';\
             setTimeout(() => done('no violation'), 5000);",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        refused.as_str().unwrap_or("").starts_with("img-src"),
        "an https image is not refused by the CSP: {refused}"
    );
}

#[tokio::test]
#[ignore = "end to end: needs Xvfb, a keyring session and tauri-driver (make test runs it)"]
async fn streamer_goes_live_and_the_service_ends_it() {
    let _one = one_app_at_a_time().await;
    let home_dir = Home::new("demo");
    let home = home_dir.path();
    let driver = Driver::start(home, "streamer", ADMIN_TOKEN);

    // First run: demo service, login through the (scripted) browser.
    let c = open_app(&driver, &["--demo-fresh"]).await;
    // The first screen once it is drawn: the login.
    find(&c, "login").await;
    screenshot(&c, "1-login").await;
    axe(&c, "1-login").await;
    click(&c, "login").await;
    let user = text_until(&c, "user", |t| !t.is_empty()).await;
    assert_eq!(user, "Streamer Kim");
    screenshot(&c, "2-channels").await;
    axe(&c, "2-channels").await;
    pictures_come_through_the_app(&c).await;

    // Create a live and go on air.
    click(&c, "new-live").await;
    find(&c, "title").await;
    axe(&c, "create").await;
    find(&c, "title").await.send_keys("e2e live").await.unwrap();
    click(&c, "create").await;
    text_until(&c, "status", |t| t == "Reserved").await;
    click(&c, "start").await;
    text_until(&c, "status", |t| t == "ON AIR").await;
    tray_label_until("ON AIR").await;
    // The simulated audience arrives: counters move on the 5 s polls.
    text_until(&c, "views", |t| t != "0" && t != "–").await;
    // On air with no stream arriving yet: the ingest card says so, and the
    // key may still change (the service refuses only while one arrives).
    text_until(&c, "ingest", |t| t.contains("Nothing arrives")).await;
    assert!(find(&c, "regenerate").await.is_enabled().await.unwrap());
    text_until(&c, "sessions", |t| t.contains("on air")).await;
    screenshot(&c, "3-dashboard").await;
    axe(&c, "3-dashboard").await;

    // The chat pane follows the simulated audience; a message sent from the
    // app comes back through the service; a message deleted from the
    // keyboard is struck through, and the record says who did it.
    text_until(&c, "chat-list", |t| !t.is_empty()).await;
    find(&c, "chat-input")
        .await
        .send_keys("hello from onair\u{E007}")
        .await
        .unwrap();
    text_until(&c, "chat-list", |t| t.contains("hello from onair")).await;
    assert_eq!(
        find(&c, "chat-input")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("")
    );
    let fan = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "(//*[@data-testid='msg'][not(.//*[contains(@class,'badge')])])[last()]",
        ))
        .await
        .unwrap();
    fan.send_keys("\u{E017}").await.unwrap(); // Delete
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fan
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default()
        .contains("struck")
    {
        assert!(
            Instant::now() < deadline,
            "the deleted message is not struck through"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The chart marks it.
    text_until(&c, "chart-marks", |t| t.contains("(1)")).await;
    // This channel's timed-ban presets: nonsense is refused in words; a
    // list saved is offered from then on (and kept in settings.json).
    click(&c, "presets-edit").await;
    let presets = find(&c, "presets-input").await;
    presets.clear().await.unwrap();
    presets.send_keys("5s soon").await.unwrap();
    click(&c, "presets-save").await;
    let why = find(&c, "presets-error").await.text().await.unwrap();
    assert!(why.contains("soon"), "{why}");
    presets.clear().await.unwrap();
    presets.send_keys("2m 5s\u{E007}").await.unwrap(); // Enter
    gone(&c, "presets-input", Duration::from_secs(5)).await;
    let settings =
        std::fs::read_to_string(home.join("config/dev.onair.desktop/settings.json")).unwrap();
    assert!(settings.contains("\"demo/streamer-main\""), "{settings}");

    // The author's card: what was done to them, by whom; their messages;
    // the channel's presets.
    let author = fan
        .find(Locator::Css("[data-testid=author]"))
        .await
        .unwrap();
    let name = author.text().await.unwrap();
    // The mouse moving over the list holds it still while a name is aimed
    // at: what the audience says meanwhile is counted, not scrolled in.
    let top = || async {
        c.execute(
            "return arguments[0].getBoundingClientRect().top;",
            vec![serde_json::to_value(&author).unwrap()],
        )
        .await
        .unwrap()
    };
    hover(&c, "chat-list", 0.0).await;
    let before = top().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    for nudge in [4.0, -4.0].into_iter().cycle() {
        if !c
            .find_all(Locator::Css("[data-testid=chat-new]"))
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
        assert!(Instant::now() < deadline, "no message arrived while aiming");
        hover(&c, "chat-list", nudge).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(top().await, before, "the list moved under the pointer");
    click_on(&c, &author, "the fan's name").await;
    assert_eq!(find(&c, "user-card-name").await.text().await.unwrap(), name);
    let done = text_until(&c, "user-card-done", |t| t.contains("Delete message")).await;
    assert!(done.contains("by Streamer Kim"), "{done}");
    let card = find(&c, "user-card").await.text().await.unwrap();
    assert!(
        card.contains("Ban for 5 s")
            && card.contains("Ban for 2 min")
            && !card.contains("Ban for 24 h"),
        "{card}"
    );
    assert!(!find(&c, "user-card-messages")
        .await
        .text()
        .await
        .unwrap()
        .is_empty());
    screenshot(&c, "3-user-card").await;
    axe(&c, "3-user-card").await;
    click(&c, "user-card-close").await;
    gone(&c, "user-card", Duration::from_secs(5)).await;
    screenshot(&c, "3-chat").await;

    // Strangers' payloads through the real service: nothing runs, nothing
    // renders as markup, names cannot hide, the layout holds.
    hostile_chat(&c, home).await;

    // Copy server and key, from Rust: the key is on the clipboard and
    // nowhere in the page.
    let server = find(&c, "server").await.text().await.unwrap();
    assert!(server.starts_with("rtmp"), "{server}");
    click(&c, "copy-server").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(clipboard(), server);
    click(&c, "copy-key").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let key = clipboard();
    assert!(
        !key.is_empty() && key != server && !key.contains('/'),
        "{key:?}"
    );
    let source = c.source().await.unwrap();
    assert!(!source.contains(&key), "the stream key reached the webview");

    // Real OBS: Send to OBS, streamer mode while OBS streams (it streams
    // on, to be stopped with the live below).
    let (obs, sink, obs_before) = obs_phase(&c, home, &server, &key).await;

    // The service goes down: a banner counts down to the next try, the
    // last known counters stay, and the dashboard recovers by itself.
    assert_eq!(operator(home, "/admin/outage?seconds=15").await, 200);
    let banner = find(&c, "offline").await.text().await.unwrap();
    assert!(banner.contains("cannot be reached"), "{banner}");
    let views = find(&c, "views").await.text().await.unwrap();
    assert!(
        views != "0" && views != "–",
        "the last counters stay: {views}"
    );
    assert_eq!(find(&c, "status").await.text().await.unwrap(), "ON AIR");
    screenshot(&c, "4-offline").await;
    gone(&c, "offline", Duration::from_secs(50)).await;

    // The service ends the live: the dashboard says so by itself.
    let status = operator(home, "/admin/channel/streamer-main/disable").await;
    assert_eq!(status, 200);
    let banner = find(&c, "forced-end").await.text().await.unwrap();
    assert!(banner.contains("The channel was disabled"), "{banner}");
    text_until(&c, "status", |t| t == "Ended").await;
    tray_label_until("").await;
    text_until(&c, "sessions", |t| t.contains("channel disabled")).await;
    screenshot(&c, "5-forced-end").await;
    // OBS's stream was stopped with the live (the setting is on); then
    // Undo, and the settings file once OBS is closed.
    text_until(&c, "obs-state", |t| t == "Connected, not streaming").await;
    let (ws, _) = obs.connect().await;
    assert!(!ws.stream_status().await.unwrap().active);
    drop((ws, sink));
    obs_after_end(&c, obs, obs_before, &server, &key).await;
    // Off air, the key may change; copying again gives the new one.
    click(&c, "regenerate").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "copy-key").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let new_key = clipboard();
    assert!(!new_key.is_empty() && new_key != key, "a new key");
    assert_eq!(
        operator(home, "/admin/channel/streamer-main/enable").await,
        200
    );
    close_app(c).await;

    // Second start: still logged in (refresh token from the keyring).
    let c = open_app(&driver, &["--demo"]).await;
    let user = text_until(&c, "user", |t| !t.is_empty()).await;
    assert_eq!(user, "Streamer Kim");
    screenshot(&c, "6-restarted").await;
    // Switch service: back to the picker, then the demo again, still logged in.
    click(&c, "switch").await;
    find(&c, "add").await;
    axe(&c, "start").await;
    click(&c, "add").await;
    find(&c, "add-domain").await.clear().await.unwrap();
    find(&c, "add-domain")
        .await
        .send_keys("ftp://nowhere")
        .await
        .unwrap();
    click(&c, "add-lookup").await;
    find(&c, "add-service").await; // the form stays, with the field's error
    let form = find(&c, "add-service").await.text().await.unwrap();
    assert!(
        form.contains("HTTPS only"),
        "the wrong field says why: {form}"
    );
    screenshot(&c, "7-add-service").await;
    axe(&c, "7-add-service").await;
    click(&c, "demo").await;
    assert_eq!(
        text_until(&c, "user", |t| !t.is_empty()).await,
        "Streamer Kim"
    );

    // Roles: the streamer moderates from the dashboard; then a chat admin
    // and a viewer, each in the app, on the same live.
    let (live_id, live_link) = streamer_moderates(&c, home).await;
    screenshot(&c, "8-streamer-moderates").await;
    close_app(c).await;
    drop(driver);
    moderator_moderates(home, &live_id).await;
    viewer_only_chats(home, &live_id, &live_link).await;
    // The log file has the session, and no stream key.
    let log = std::fs::read_to_string(home.join("data/dev.onair.desktop/logs/onair.log")).unwrap();
    assert!(
        log.contains("demo service running"),
        "the app logs to its log dir"
    );
    for secret in [&key, &new_key] {
        assert!(
            !log.contains(secret.as_str()),
            "a stream key is in the log file"
        );
    }
    assert_accessible();
}

/// `onair --version` and `--help` print and exit without a window (no
/// display needed); a wrong option is refused in words, with exit code 2.
#[test]
#[ignore = "needs the app's binary (make test builds it first)"]
fn the_binary_tells_its_version_and_options() {
    let run = |args: &[&str]| {
        Command::new(app_binary())
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("the app's binary")
    };
    let version = run(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("onair {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--demo",
        "--demo-fresh",
        "--live <ID>",
        "--version",
        "--help",
    ] {
        assert!(text.contains(flag), "--help leaves out {flag}: {text}");
    }
    let wrong = run(&["--dmo"]);
    assert_eq!(wrong.status.code(), Some(2));
    let why = String::from_utf8_lossy(&wrong.stderr);
    assert!(why.starts_with("onair: unknown option \"--dmo\""), "{why}");
}

/// The test's home (data, config, logs). A failing run keeps it and prints
/// the end of the app's and the drivers' logs, so CI's output says why.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Self {
        let home = std::env::temp_dir().join(format!("onair-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        Self(home)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
            return;
        }
        let mut logs = vec![self.0.join("data/dev.onair.desktop/logs/onair.log")];
        if let Ok(dir) = std::fs::read_dir(&self.0) {
            logs.extend(
                dir.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "log")),
            );
        }
        for log in logs {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("---- the last lines of {}", log.display());
            for line in &lines[lines.len().saturating_sub(40)..] {
                eprintln!("{line}");
            }
        }
    }
}

/// Polls `check` until it holds (30 s at most).
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The newest chat row holding `text` (waits for it).
async fn message(c: &Client, text: &str) -> fantoccini::elements::Element {
    let xpath = format!("(//*[@data-testid='msg'][contains(., '{text}')])[last()]");
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no chat row with {text:?}: {e}"))
}

/// Opens the card of the author of the newest row holding `text`.
async fn open_card(c: &Client, text: &str) {
    let author = message(c, text)
        .await
        .find(Locator::Css("[data-testid=author]"))
        .await
        .unwrap();
    click_on(c, &author, &format!("the author of {text:?}")).await;
    find(c, "user-card").await;
}

/// Presses the open card's button `label`.
async fn card_act(c: &Client, label: &str) {
    let xpath = format!("//*[@data-testid='card-actions']/button[normalize-space()='{label}']");
    let button = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no {label:?} on the card: {e}"));
    click_on(c, &button, label).await;
}

/// Whether the service takes a message from this user now.
async fn sends(user: &onair_client::Client, live: &str) -> bool {
    match user.chat_send(live, "may I?").await {
        Ok(_) => true,
        Err(e) => {
            assert!(e.to_string().contains("banned"), "refused for {e}");
            false
        }
    }
}

/// Whether the service lists a message with this text (the latest 100).
async fn listed(user: &onair_client::Client, live: &str, text: &str) -> bool {
    let page = user.chat_list(live, None, 100).await.unwrap();
    page.messages.iter().any(|m| m.message == text)
}

/// Whether the service has this user as a chat admin: its flag on a
/// message they send now.
async fn is_admin(user: &onair_client::Client, live: &str) -> bool {
    user.chat_send(live, "am I an admin?")
        .await
        .unwrap()
        .is_live_manager
}

/// The streamer, on the dashboard of the e2e live (on air again): mod,
/// unmod and mod again from the keyboard; a timed ban that expires; a ban
/// and an unban from the user card; a delete. Each checked on the
/// service's side. Returns the live's id and link.
async fn streamer_moderates(c: &Client, home: &Path) -> (String, String) {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//*[@data-testid='live-row'][contains(., 'e2e live')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(c, "start").await;
    text_until(c, "status", |t| t == "ON AIR").await;
    let streamer = login_as(home, "streamer", "streamer").await;
    let on_air = e2e_live(&streamer).await;
    let live = on_air.live_id.as_str().to_owned();
    let moderator = login_as(home, "moderator", "moderator").await;
    let viewer = login_as(home, "viewer", "viewer").await;

    // Chat admin, granted and removed from the keyboard (m, Shift+M).
    assert!(!is_admin(&moderator, &live).await);
    moderator
        .chat_send(&live, "moderator checking in")
        .await
        .unwrap();
    message(c, "moderator checking in")
        .await
        .send_keys("m")
        .await
        .unwrap();
    until("the moderator made chat admin", || {
        is_admin(&moderator, &live)
    })
    .await;
    message(c, "moderator checking in")
        .await
        .send_keys("M")
        .await
        .unwrap();
    until("chat admin removed", || async {
        !is_admin(&moderator, &live).await
    })
    .await;
    message(c, "moderator checking in")
        .await
        .send_keys("m")
        .await
        .unwrap();
    until("chat admin again", || is_admin(&moderator, &live)).await;

    // The streamer's card offers every call, the channel's presets too.
    viewer.chat_send(&live, "viewer says hi").await.unwrap();
    open_card(c, "viewer says hi").await;
    let offered = find(c, "card-actions").await.text().await.unwrap();
    for call in [
        "Ban for 5 s",
        "Ban for 2 min",
        "Ban",
        "Unban",
        "Make chat admin",
        "Remove chat admin",
    ] {
        assert!(offered.contains(call), "{call} missing: {offered}");
    }
    // A timed ban: refused at once, taken again once it ran out.
    let banned_at = Instant::now();
    card_act(c, "Ban for 5 s").await;
    until("the timed ban holds", || async {
        !sends(&viewer, &live).await
    })
    .await;
    until("the timed ban expires", || sends(&viewer, &live)).await;
    let lasted = banned_at.elapsed();
    assert!(
        lasted >= Duration::from_secs(4),
        "the 5 s ban lasted {lasted:?}"
    );
    // A ban holds until the unban.
    card_act(c, "Ban").await;
    until("the ban holds", || async { !sends(&viewer, &live).await }).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!sends(&viewer, &live).await, "a ban ran out by itself");
    card_act(c, "Unban").await;
    until("the unban", || sends(&viewer, &live)).await;
    click(c, "user-card-close").await;
    gone(c, "user-card", Duration::from_secs(5)).await;
    // Delete, from the keyboard: gone from the service's list.
    viewer.chat_send(&live, "delete me please").await.unwrap();
    message(c, "delete me please")
        .await
        .send_keys("\u{E017}")
        .await
        .unwrap();
    until("the message deleted", || async {
        !listed(&streamer, &live, "delete me please").await
    })
    .await;
    (live, on_air.live_link)
}

/// A new start of the app, logged out of the account it restored and into
/// `user`'s through the (scripted) browser, on the chat of a live, opened
/// as someone else's live by its id or link (`open`).
async fn open_as(driver: &Driver, name: &str, open: &str) -> Client {
    let c = open_app(driver, &["--demo"]).await;
    text_until(&c, "user", |t| !t.is_empty()).await;
    click(&c, "logout").await;
    click(&c, "login").await;
    text_until(&c, "user", |t| t == name).await;
    find(&c, "other-input").await.send_keys(open).await.unwrap();
    click(&c, "other-open").await;
    find(&c, "live-chat").await;
    c
}

/// `user` (login, name) joins the chat of a live opened by `open` (id or
/// link) in a new start of the app, says `text`, and the pane names their
/// role in `role` words.
async fn joins(
    home: &Path,
    (user, name): (&str, &str),
    open: &str,
    text: &str,
    role: &str,
) -> (Driver, Client) {
    let driver = Driver::start(home, user, ADMIN_TOKEN);
    let c = open_as(&driver, name, open).await;
    find(&c, "chat-input")
        .await
        .send_keys(&format!("{text}\u{E007}"))
        .await
        .unwrap();
    message(&c, text).await;
    text_until(&c, "chat-role", |t| t.contains(role)).await;
    (driver, c)
}

/// Moderator Lee, a chat admin of the streamer's live: after their first
/// message the service names them admin and the controls appear (delete,
/// bans; no chat admin grants, which are the owner's); each call checked
/// on the service's side.
async fn moderator_moderates(home: &Path, live: &str) {
    let (_driver, c) = joins(
        home,
        ("moderator", "Moderator Lee"),
        live,
        "moderator on duty",
        "chat admin of this live",
    )
    .await;
    let viewer = login_as(home, "viewer", "viewer").await;
    let streamer = login_as(home, "streamer", "streamer").await;

    viewer.chat_send(live, "buy followers here").await.unwrap();
    open_card(&c, "buy followers here").await;
    let offered = find(&c, "card-actions").await.text().await.unwrap();
    assert!(
        offered.contains("Ban for 10 s") && offered.contains("Unban"),
        "{offered}"
    );
    assert!(
        !offered.contains("chat admin"),
        "an admin may not grant: {offered}"
    );
    screenshot(&c, "8-moderator").await;
    card_act(&c, "Ban").await;
    until("banned by the chat admin", || async {
        !sends(&viewer, live).await
    })
    .await;
    card_act(&c, "Unban").await;
    until("unbanned by the chat admin", || sends(&viewer, live)).await;
    click(&c, "user-card-close").await;
    gone(&c, "user-card", Duration::from_secs(5)).await;
    message(&c, "buy followers here")
        .await
        .send_keys("\u{E017}")
        .await
        .unwrap();
    until("deleted by the chat admin", || async {
        !listed(&streamer, live, "buy followers here").await
    })
    .await;
    close_app(c).await;
}

/// Viewer Park: reads and writes the chat, sees no moderation control, and
/// is told when a ban refuses their message (the text stays).
async fn viewer_only_chats(home: &Path, live: &str, link: &str) {
    let (_driver, c) = joins(
        home,
        ("viewer", "Viewer Park"),
        link,
        "viewer from the app",
        "as a viewer",
    )
    .await;
    let moderator = login_as(home, "moderator", "moderator").await;
    moderator.chat_send(live, "rules: be kind").await.unwrap();
    // The Delete key does nothing; the card offers nothing.
    message(&c, "rules: be kind")
        .await
        .send_keys("\u{E017}")
        .await
        .unwrap();
    open_card(&c, "rules: be kind").await;
    assert!(c
        .find(Locator::Css("[data-testid=card-actions]"))
        .await
        .is_err());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(listed(&moderator, live, "rules: be kind").await);
    assert!(c
        .find(Locator::Css("[data-testid=mod-menu]"))
        .await
        .is_err());
    click(&c, "user-card-close").await;

    // Banned (by the chat admin): the send is refused, the text stays.
    let viewer_id = "viewer";
    moderator.ban(live, viewer_id).await.unwrap();
    find(&c, "chat-input")
        .await
        .send_keys("am I banned?\u{E007}")
        .await
        .unwrap();
    let why = text_until(&c, "send-error", |t| !t.is_empty()).await;
    assert!(why.contains("banned"), "{why}");
    assert_eq!(
        find(&c, "chat-input")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("am I banned?")
    );
    screenshot(&c, "9-viewer-banned").await;
    moderator.unban(live, viewer_id).await.unwrap();

    // Japanese, chosen in the settings: the page starts again in it.
    click(&c, "settings").await;
    find(&c, "language")
        .await
        .select_by_value("ja")
        .await
        .unwrap();
    text_until(&c, "settings", |t| t == "設定").await;
    assert_eq!(find(&c, "logout").await.text().await.unwrap(), "ログアウト");
    screenshot(&c, "9-viewer-ja").await;
    close_app(c).await;
}

/// OBS's stream settings as OBS itself reports them (a connection of the
/// test's own).
async fn obs_settings(
    obs: &onair_client::obs::testing::RealObs,
) -> onair_client::obs::ServiceSettings {
    obs.connect().await.0.service_settings().await.unwrap()
}

/// The dashboard's OBS card against real OBS Studio (started here, its
/// settings where the app looks for them): connection settings and Test,
/// Send to OBS (checked in OBS), streamer mode and OBS's health while OBS
/// streams to a local RTMP sink (Send refused then), Undo, and with OBS
/// closed, the key written into its profile's service.json.
async fn obs_phase(
    c: &Client,
    home: &Path,
    server: &str,
    key: &str,
) -> (
    onair_client::obs::testing::RealObs,
    onair_client::obs::testing::RtmpSink,
    onair_client::obs::ServiceSettings,
) {
    use onair_client::obs::testing::RealObs;
    let obs = RealObs::start_with(&home.join("obs"), &home.join("config"));
    let target = onair_client::StreamTarget {
        server: server.to_owned(),
        key: onair_api::Secret::new(key),
    };

    // Settings: the port and password OBS shows; Test connects.
    click(c, "settings").await;
    axe(c, "settings").await;
    let port = find(c, "obs-port").await;
    port.clear().await.unwrap();
    port.send_keys(&format!("{}\u{E004}", obs.endpoint.port))
        .await
        .unwrap(); // Tab: the change is saved
    find(c, "obs-password")
        .await
        .send_keys("wrong")
        .await
        .unwrap();
    click(c, "obs-test").await;
    let why = text_until(c, "obs-test-error", |t| !t.is_empty()).await;
    assert!(why.contains("refused the password"), "{why}");
    let field = find(c, "obs-password").await;
    field.clear().await.unwrap();
    field.send_keys(&obs.password).await.unwrap();
    click(c, "obs-test").await;
    text_until(c, "obs-test-note", |t| t.contains("Connected to OBS")).await;
    click(c, "settings").await;
    text_until(c, "obs-state", |t| t == "Connected, not streaming").await;

    // The test scene: onair makes it in OBS (CreateInput: a colour card
    // and a clock) and puts it on program.
    click(c, "obs-test-scene").await;
    text_until(c, "obs-note", |t| t.contains("onair test")).await;
    {
        let (ws, _) = obs.connect().await;
        let program = ws.request("GetCurrentProgramScene", None).await.unwrap();
        assert_eq!(program["currentProgramSceneName"], "onair test");
        let items = ws
            .request(
                "GetSceneItemList",
                Some(serde_json::json!({"sceneName": "onair test"})),
            )
            .await
            .unwrap();
        let kinds: Vec<&str> = items["sceneItems"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["inputKind"].as_str())
            .collect();
        assert!(kinds.contains(&"color_source_v3"), "{kinds:?}");
        assert!(kinds.contains(&"text_ft2_source_v2"), "{kinds:?}");
        // The clock moves.
        let text = || async {
            ws.request(
                "GetInputSettings",
                Some(serde_json::json!({"inputName": "onair clock"})),
            )
            .await
            .unwrap()["inputSettings"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let first = text().await;
        assert_eq!(first.len(), 8, "{first}");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_ne!(text().await, first, "the clock ticks");
    }

    // Send to OBS: OBS has the live's server and key.
    let before = obs_settings(&obs).await;
    click(c, "obs-send").await;
    text_until(c, "obs-note", |t| t.contains("are in OBS")).await;
    assert!(obs_settings(&obs).await.sends_to(&target));
    c.execute(
        "document.querySelector('[data-testid=obs]').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, "5-obs").await;

    // OBS streams (to a local sink): streamer mode, health, the tray; a
    // Send waits for the stream to end; the key shows only after a confirm.
    let ffmpeg = onair_client::obs::testing::RtmpSink::start();
    {
        let (ws, _) = obs.connect().await;
        ws.send_target(&ffmpeg.target()).await.unwrap();
        ws.start_stream().await.unwrap();
    }
    text_until(c, "obs-state", |t| t == "LIVE in OBS").await;
    find(c, "streamer-mode").await;
    tray_label_until("ON AIR · OBS live").await;
    text_until(c, "obs-health", |t| t.contains("kb/s")).await;
    // OBS streams, but not with this live's server and key (to the sink):
    // the service receives nothing, and the ingest card says so once OBS
    // has streamed 10 s. "Send to OBS again" (confirmed) gives OBS the
    // live's server and key and restarts its stream: the service receives
    // OBS's 640x360, and the key cannot change while it does.
    let said = text_until(c, "ingest-not-receiving", |t| !t.is_empty()).await;
    assert!(
        said.contains("not using this live's server and key"),
        "{said}"
    );
    click(c, "resend").await;
    click(c, "resend-confirm").await;
    text_until(c, "ingest-verdict", |t| t == "Excellent" || t == "Good").await;
    text_until(c, "ingest-video", |t| t.starts_with("640×360")).await;
    text_until(c, "ingest-publisher", |t| t.contains("127.0.0.1:")).await;
    gone(c, "ingest-not-receiving", Duration::from_secs(10)).await;
    assert!(obs_settings(&obs).await.sends_to(&target));
    preview_plays(c).await;
    until("the key is held while the stream arrives", || async {
        !find(c, "regenerate").await.is_enabled().await.unwrap()
    })
    .await;
    text_until(c, "obs-state", |t| t == "LIVE in OBS").await;
    c.execute(
        "document.querySelector('[data-testid=ingest]').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, "5-ingest").await;
    nothing_sideways(c, "5-ingest").await;

    // OBS stops: the stream is away, and after 10 s the dashboard and the
    // tray say so, with the seconds before the service ends the live.
    click(c, "obs-stop").await;
    text_until(c, "obs-state", |t| t == "Connected, not streaming").await;
    let lost = text_until(c, "signal-lost", |t| !t.is_empty()).await;
    assert!(lost.contains("ends the live in"), "{lost}");
    tray_label_until("ON AIR · no signal").await;
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    screenshot(c, "5-signal-lost").await;
    // Something else streams with the key while onair's OBS is idle: the
    // card says so; the signal is back, and so is the tray.
    let rtmp_path = format!("{server}/{key}");
    let mut other = onair_service::testing::RtmpPublisher::start(&rtmp_path)
        .expect("ffmpeg publishes the test clip");
    let said = text_until(c, "ingest-someone-else", |t| !t.is_empty()).await;
    assert!(said.contains("Something else is streaming"), "{said}");
    text_until(c, "ingest-publisher", |t| t.contains("Lavf")).await;
    tray_label_until("ON AIR").await;
    gone(c, "signal-lost", Duration::from_secs(10)).await;
    other.kill();
    // OBS streams again, with the live's server and key.
    obs.connect().await.0.start_stream().await.unwrap();
    text_until(c, "obs-state", |t| t == "LIVE in OBS").await;
    gone(c, "ingest-someone-else", Duration::from_secs(15)).await;
    click(c, "reveal").await;
    find(c, "reveal-confirm").await;
    assert!(c.find(Locator::Css("[data-testid=key]")).await.is_err());
    c.execute(
        "document.querySelector('[data-testid=obs]').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, "5-obs-live").await;
    nothing_sideways(c, "5-obs-live").await;
    click(c, "reveal-confirm").await;
    assert_eq!(find(c, "key").await.text().await.unwrap(), key);
    gone(c, "key", Duration::from_secs(10)).await;
    // OBS's stream is to end with the live.
    click(c, "settings").await;
    click(c, "obs-stopWithLive").await;
    click(c, "settings").await;
    assert!(find(c, "obs-stop").await.is_enabled().await.unwrap());
    (obs, ffmpeg, before)
}

/// The dashboard's preview plays the live as the service serves it: the
/// video's time moves on, a frame of it is OBS's test scene (not black),
/// the delay behind the service is shown; hidden, it stops. (The
/// screenshot of the ingest card shows it.)
async fn preview_plays(c: &Client) {
    let position = || async {
        c.execute(
            "return document.querySelector('[data-testid=preview-video]')?.currentTime ?? 0;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(0.0)
    };
    until("the preview plays", || async { position().await > 0.5 }).await;
    let then = position().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let now = position().await;
    assert!(
        now > then + 1.0,
        "the preview's time moves on: {then} -> {now}"
    );
    let mean = preview_brightness(c).await;
    assert!(
        mean > 20.0,
        "a frame of the preview is not black: mean {mean}"
    );
    let delay = text_until(c, "preview-delay", |t| !t.is_empty()).await;
    assert!(delay.contains("behind the service"), "{delay}");
    // Hidden: no player left; shown again: it plays again.
    click(c, "preview-toggle").await;
    gone(c, "preview-video", Duration::from_secs(5)).await;
    click(c, "preview-toggle").await;
    until("the preview plays again", || async {
        position().await > 0.5
    })
    .await;
    text_until(c, "preview-delay", |t| t.contains("behind the service")).await;
    // The screenshot that follows shows a frame, not the black of a
    // player still catching up.
    until("the preview shows a frame again", || async {
        preview_brightness(c).await > 20.0
    })
    .await;
}

/// The preview's current frame, scaled down: its mean brightness (0-255).
async fn preview_brightness(c: &Client) -> f64 {
    c.execute(
        "const v = document.querySelector('[data-testid=preview-video]');
         const k = document.createElement('canvas'); k.width = 64; k.height = 36;
         const g = k.getContext('2d'); g.drawImage(v, 0, 0, 64, 36);
         const d = g.getImageData(0, 0, 64, 36).data; let s = 0;
         for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
         return s / (64 * 36 * 3);",
        vec![],
    )
    .await
    .unwrap()
    .as_f64()
    .unwrap_or(0.0)
}

/// After the live: Undo puts back what OBS had before onair's first Send;
/// OBS quits and the key goes into its settings file.
async fn obs_after_end(
    c: &Client,
    mut obs: onair_client::obs::testing::RealObs,
    before: onair_client::obs::ServiceSettings,
    server: &str,
    key: &str,
) {
    // Undo: what OBS had before onair's first Send.
    click(c, "obs-undo").await;
    text_until(c, "obs-note", |t| t.contains("back as they were")).await;
    assert_eq!(obs_settings(&obs).await.kind, before.kind);

    // OBS quits: the card says so; the key goes into its settings file.
    obs.stop();
    text_until(c, "obs-state", |t| t == "Not connected").await;
    click(c, "obs-file").await;
    let note = text_until(c, "obs-note", |t| t.contains("service.json")).await;
    let file = obs.config_dir().join("basic/profiles/Test/service.json");
    assert!(note.contains(&file.display().to_string()), "{note}");
    let (kind, written_server, written_key) =
        onair_client::obs::files::read_service(&file).unwrap();
    assert_eq!(
        (kind.as_str(), written_server.as_str()),
        ("rtmp_custom", server)
    );
    assert_eq!(written_key, key);
    assert!(!c.source().await.unwrap().contains(key));
    // The connect-at-start setting stays off: the restart below is quiet.
    drop(obs);
}

/// The whole system with a standard login server: node's oidc-provider as
/// the issuer, the reference service trusting it (`--trust-issuer`), and
/// the app added to that service from its address alone, logging in
/// through the scripted browser at the provider.
#[tokio::test]
#[ignore = "end to end: needs Xvfb, a keyring session and tauri-driver (make test runs it)"]
async fn the_app_logs_in_at_a_standard_login_server() {
    use onair_tests::oidc::{Op, API_AUDIENCE};
    use onair_tests::service::Svc;

    let _one = one_app_at_a_time().await;
    let op = Op::start(30);
    let issuers = [op.base.clone()];
    let svc = Svc::start_with(|c| op.service_config(c, &issuers, API_AUDIENCE)).await;
    let home_dir = Home::new("oidc");
    let home = home_dir.path();
    let driver = Driver::start_trusting(home, "streamer", ADMIN_TOKEN, &op.cert_path());

    let c = open_app(&driver, &[]).await;
    click(&c, "add").await;
    find(&c, "add-domain").await.clear().await.unwrap();
    find(&c, "add-domain")
        .await
        .send_keys(svc.base())
        .await
        .unwrap();
    // The service's certificate is self-signed: its pin, under Advanced.
    click(&c, "add-advanced").await;
    find(&c, "add-pin")
        .await
        .send_keys(&op.fingerprint)
        .await
        .unwrap();
    click(&c, "add-lookup").await;
    // RFC 9728: the service names the provider as where to log in.
    assert_eq!(
        text_until(&c, "add-found-login", |t| !t.is_empty()).await,
        op.base
    );
    assert_eq!(
        find(&c, "add-found-scopes").await.text().await.unwrap(),
        "openid profile offline_access"
    );
    c.execute(
        "document.querySelector('[data-testid=add-service]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "oidc-1-add-service").await;
    axe(&c, "oidc-1-add-service").await;
    click(&c, "add-save").await;

    let started = Instant::now();
    find(&c, "login").await;
    axe(&c, "oidc-login-wait").await;
    click(&c, "login").await;
    let user = text_until(&c, "user", |t| !t.is_empty()).await;
    println!("app login through the provider: {:?}", started.elapsed());
    // The service's user, named from the provider's userinfo.
    assert_eq!(user, "Streamer Kim");
    let channels = text_until(&c, "channels", |t| !t.is_empty()).await;
    assert!(channels.contains("Streamer Kim's channel"), "{channels}");
    screenshot(&c, "oidc-2-channels").await;
    close_app(c).await;

    // The next start restores the login from the keyring.
    let c = open_app(&driver, &[]).await;
    assert_eq!(
        text_until(&c, "user", |t| !t.is_empty()).await,
        "Streamer Kim"
    );
    close_app(c).await;
    assert_accessible();
}
