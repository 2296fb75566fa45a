//! One screen for a live, from the keyboard, in the three languages: the
//! real app at 1280x800 and 800x600, driven by key presses alone (Tab,
//! Enter, the arrow keys and the moderation keys), every focus stop
//! checked as a user sees it, and every screen photographed in English,
//! Korean and Japanese.

use super::*;

const TAB: char = '\u{E004}';
const SHIFT: char = '\u{E008}';
const ENTER: char = '\u{E007}';
const LEFT: char = '\u{E012}';
const UP: char = '\u{E013}';

/// Presses keys as a keyboard does (WebDriver actions): down in order,
/// up in reverse, so `[SHIFT, TAB]` is Shift+Tab.
async fn press(c: &Client, keys: &[char]) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut keyboard = KeyActions::new("keyboard".into());
    for &k in keys {
        keyboard = keyboard.then(KeyAction::Down { value: k });
    }
    for &k in keys.iter().rev() {
        keyboard = keyboard.then(KeyAction::Up { value: k });
    }
    c.perform_actions(keyboard).await.unwrap();
}

/// Types text into what has the focus.
async fn type_text(c: &Client, text: &str) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Where the focus is, as a user sees it: the element's test id (or tag
/// and text), whether it shows (a box, not hidden, in the window) and
/// whether its focus ring is drawn.
const FOCUS: &str = "
    const el = document.activeElement;
    if (!el || el === document.body) return { lost: true };
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    const shown = r.width > 0 && r.height > 0
        && (el.checkVisibility ? el.checkVisibility({ visibilityProperty: true, opacityProperty: true })
                               : el.offsetParent !== null);
    const inWindow = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return {
        lost: false,
        id: el.dataset.testid ?? null,
        what: el.tagName + ' ' + (el.getAttribute('aria-label') || el.innerText || '').slice(0, 40),
        struck: el.classList.contains('struck'),
        badge: !!el.querySelector('.badge'),
        shown, inWindow, ring,
    };";

async fn focus(c: &Client) -> serde_json::Value {
    c.execute(FOCUS, vec![]).await.unwrap()
}

/// Waits (10 s at most) until the element with this test id has the focus.
async fn focus_on(c: &Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let f = focus(c).await;
        if f["id"] == json!(id) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the focus is not on [data-testid={id}]: {f}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tab (or Shift+Tab) until the element with this test id has the focus;
/// at every stop on the way the focus shows, with its ring, in the window.
/// Returns the number of presses.
async fn tab_to(c: &Client, id: &str, back: bool) -> usize {
    for presses in 1..=80 {
        if back {
            press(c, &[SHIFT, TAB]).await;
        } else {
            press(c, &[TAB]).await;
        }
        let f = focus(c).await;
        assert_eq!(
            f["lost"],
            json!(false),
            "Tab {presses} toward {id}: the focus is lost"
        );
        assert!(
            f["shown"] == json!(true) && f["inWindow"] == json!(true) && f["ring"] == json!(true),
            "Tab {presses} toward {id}: the focus is not visible: {f}"
        );
        if f["id"] == json!(id) {
            return presses;
        }
    }
    panic!("[data-testid={id}] is not reached from the keyboard");
}

/// The boxes of these test ids in the window (null where absent), the
/// window's size, and whether the page itself scrolls.
const BOXES: &str = "
    const box = (id) => {
        const e = document.querySelector(`[data-testid=${id}]`);
        if (!e) return null;
        const r = e.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    };
    const root = document.documentElement;
    return {
        w: innerWidth, h: innerHeight,
        scrolls: root.scrollHeight > innerHeight || root.scrollWidth > innerWidth,
        boxes: Object.fromEntries(arguments[0].map((id) => [id, box(id)])),
    };";

/// What a streamer needs during a live (its state, counters and chart,
/// what arrives, OBS and the stream's setup) and the chat's ends.
const LIVE_NEEDS: [&str; 12] = [
    "status", "elapsed", "viewers", "views", "likes", "chats", "chart", "ingest", "obs-send",
    "server", "copy-key", "stop",
];

async fn boxes(c: &Client, ids: &[&str]) -> serde_json::Value {
    c.execute(BOXES, vec![json!(ids)]).await.unwrap()
}

/// The chat's width as its splitter tells it.
async fn chat_width(c: &Client) -> u32 {
    let now = find(c, "splitter")
        .await
        .attr("aria-valuenow")
        .await
        .unwrap();
    now.and_then(|w| w.parse().ok())
        .expect("the splitter's value")
}

/// Resizes the window and waits until the page has its new size.
async fn window(c: &Client, w: u32, h: u32) {
    c.set_window_size(w, h).await.unwrap();
    until("the window has its new size", || async {
        let v = c
            .execute("return [innerWidth, innerHeight]", vec![])
            .await
            .unwrap();
        v == json!([w, h])
    })
    .await;
    // The chart and the chat follow the size on their next frames.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// At 1280x800 everything a streamer needs shows at once, the chat beside
/// it at full height; the page does not scroll.
async fn one_screen_wide(c: &Client, name: &str) {
    window(c, 1280, 800).await;
    // Taken first: a failing layout shows in the picture.
    screenshot(c, name).await;
    let mut ids = LIVE_NEEDS.to_vec();
    ids.extend(["chat-list", "chat-input", "splitter"]);
    let v = boxes(c, &ids).await;
    let (w, h) = (v["w"].as_f64().unwrap(), v["h"].as_f64().unwrap());
    assert_eq!(v["scrolls"], json!(false), "{name}: the page scrolls: {v}");
    nothing_sideways(c, name).await;
    for id in &ids {
        let b = &v["boxes"][id];
        assert!(!b.is_null(), "{name}: no [data-testid={id}]");
        assert!(
            b["top"].as_f64().unwrap() >= 0.0
                && b["left"].as_f64().unwrap() >= 0.0
                && b["bottom"].as_f64().unwrap() <= h
                && b["right"].as_f64().unwrap() <= w,
            "{name}: [data-testid={id}] is not in the window ({w}x{h}): {b}"
        );
    }
    let b = &v["boxes"];
    // Side by side: the chat right of the live's side, from top to bottom.
    assert!(
        b["chat-list"]["left"].as_f64() > b["chart"]["right"].as_f64(),
        "{name}: {v}"
    );
    assert!(
        b["chat-input"]["bottom"].as_f64().unwrap() > h - 60.0,
        "{name}: {v}"
    );
    assert!(
        b["chat-list"]["bottom"].as_f64().unwrap() - b["chat-list"]["top"].as_f64().unwrap()
            > h * 0.5,
        "{name}: the chat is not at full height: {v}"
    );
}

/// At 800x600 the panes stack: the chat below the live's side, nothing
/// wider than the window.
async fn stacked_narrow(c: &Client, name: &str) {
    window(c, 800, 600).await;
    screenshot(c, name).await;
    let v = boxes(c, &["chart", "server", "chat-list", "splitter", "status"]).await;
    let b = &v["boxes"];
    assert!(
        b["chat-list"]["top"].as_f64() > b["server"]["bottom"].as_f64(),
        "{name}: the chat is not below the live's side: {v}"
    );
    let overflow = c
        .execute(
            "const d = document.querySelector('.dashboard');
             return d.scrollWidth > d.clientWidth || document.documentElement.scrollWidth > innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(false), "{name}: wider than the window");
    nothing_sideways(c, name).await;
    let splitter = c
        .execute(
            "return document.querySelector('[data-testid=splitter]').checkVisibility()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        splitter,
        json!(false),
        "{name}: the splitter shows in a stacked layout"
    );
    window(c, 1280, 800).await;
}

/// Every screen in one language, the live on air: lives, create, the
/// dashboard wide and narrow, a user card, the settings, and the start and
/// add-a-service screens (back to the demo, still logged in).
async fn every_screen(c: &Client, lang: &str, live_title: &str, chat: u32) {
    // From the dashboard (English), or the list where the page started
    // again (the language applies on a new page).
    text_until(c, "user", |t| !t.is_empty()).await;
    if let Ok(back) = c.find(Locator::Css("[data-testid=back]")).await {
        back.click().await.unwrap();
    }
    find(c, "new-live").await;
    screenshot(c, &format!("{lang}-lives")).await;
    axe(c, &format!("{lang}-lives")).await;
    click(c, "new-live").await;
    find(c, "title").await;
    screenshot(c, &format!("{lang}-create")).await;
    click(c, "new-live").await;
    let row = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&format!(
            "//*[@data-testid='live-row'][contains(., '{live_title}')]"
        )))
        .await
        .unwrap();
    row.click().await.unwrap();
    find(c, "stop").await;
    text_until(c, "chat-list", |t| !t.is_empty()).await;
    one_screen_wide(c, &format!("{lang}-dashboard")).await;
    // The chat as wide as it was left, whatever happened since.
    assert_eq!(chat_width(c).await, chat);
    axe(c, &format!("{lang}-dashboard")).await;
    stacked_narrow(c, &format!("{lang}-dashboard-800x600")).await;
    let author = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            "[data-testid=msg]:not(:has(.badge)) [data-testid=author]",
        ))
        .await
        .unwrap();
    click_on(c, &author, "a viewer's name").await;
    find(c, "user-card").await;
    screenshot(c, &format!("{lang}-user-card")).await;
    click(c, "user-card-close").await;
    click(c, "settings").await;
    find(c, "language").await;
    screenshot(c, &format!("{lang}-settings")).await;
    axe(c, &format!("{lang}-settings")).await;
    click(c, "settings").await;
    click(c, "switch").await;
    click(c, "add").await;
    find(c, "add-domain").await;
    screenshot(c, &format!("{lang}-start")).await;
    click(c, "demo").await;
    text_until(c, "user", |t| !t.is_empty()).await;
    // Logged out: the login screen; logged in again.
    click(c, "logout").await;
    find(c, "login").await;
    screenshot(c, &format!("{lang}-login")).await;
    click(c, "login").await;
    text_until(c, "user", |t| !t.is_empty()).await;
}

/// A channel named with one 300-letter word and a live titled with a
/// right-to-left override: the name wraps inside its card, the override
/// shows as a mark instead of reversing the title, the description shows
/// on one line, cut, and nothing scrolls sideways.
async fn strangers_text_stays_in_its_box(c: &Client, home: &Path) {
    let long_name = "W".repeat(300);
    let made = operator_post(
        home,
        "/admin/channel",
        json!({"channelId": "streamer-long", "ownerId": "streamer", "channelName": long_name}),
    )
    .await;
    assert!(matches!(made, 200 | 201), "the channel: {made}");
    let streamer = login_as(home, "streamer", "streamer").await;
    let description = "A long description of the live, which goes on and on. ".repeat(8);
    let input: onair_api::CreateLive = serde_json::from_value(
        json!({"title": "\u{202E}evil moderator", "description": description}),
    )
    .unwrap();
    streamer.create_live("streamer-long", &input).await.unwrap();
    click(c, "back").await;
    c.refresh().await.unwrap();
    text_until(c, "user", |t| !t.is_empty()).await;
    let channel = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//button[contains(@class,'channel')][contains(., 'WWWWWWWW')]",
        ))
        .await
        .unwrap();
    click_on(c, &channel, "the long-named channel").await;
    let title = text_until(c, "live-row", |t| t.contains("evil moderator")).await;
    assert!(
        title.contains("‹RLO›evil moderator"),
        "the override is obeyed: {title}"
    );
    let v = c
        .execute(
            "const name = [...document.querySelectorAll('.channel .name')].find((e) => e.textContent.startsWith('WWWW'));
             const card = name.closest('button').getBoundingClientRect();
             const n = name.getBoundingClientRect();
             const d = document.querySelector('[data-testid=live-description]');
             const row = d.closest('button').getBoundingClientRect();
             const r = d.getBoundingClientRect();
             return { inCard: n.left >= card.left && n.right <= card.right + 0.5 && n.bottom <= card.bottom + 0.5,
                      descInRow: r.right <= row.right + 0.5, descCut: d.scrollWidth > d.clientWidth,
                      descLines: Math.round(r.height / parseFloat(getComputedStyle(d).lineHeight)) };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        v,
        json!({"inCard": true, "descInRow": true, "descCut": true, "descLines": 1}),
        "strangers' text out of its box"
    );
    screenshot(c, "ja-long-names").await;
    nothing_sideways(c, "long names").await;
    // The dashboard shows the description too, and the title's mark.
    click(c, "live-row").await;
    find(c, "description").await;
    // Its whole text (WebDriver's visible text of a cut line is empty).
    let text = c
        .execute(
            "return document.querySelector('[data-testid=description]').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        text.as_str()
            .is_some_and(|t| t.starts_with("A long description")),
        "{text}"
    );
    screenshot(c, "ja-long-dashboard").await;
    let h2 = c
        .find(Locator::Css("#live-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h2.starts_with("‹RLO›"), "{h2}");
}

/// Chooses a language in the settings; the page starts again in it.
async fn choose_language(c: &Client, lang: &str, settings_word: &str) {
    click(c, "settings").await;
    find(c, "language")
        .await
        .select_by_value(lang)
        .await
        .unwrap();
    text_until(c, "settings", |t| t == settings_word).await;
}

#[tokio::test]
#[ignore = "end to end: needs Xvfb, a keyring session and tauri-driver (make test runs it)"]
async fn one_screen_from_the_keyboard_in_three_languages() {
    let _one = one_app_at_a_time().await;
    let home_dir = Home::new("keys");
    let home = home_dir.path();
    let driver = Driver::start(home, "streamer", ADMIN_TOKEN);
    let c = open_app(&driver, &["--demo-fresh"]).await;
    window(&c, 1280, 800).await;

    // Log in: Tab to the button and Enter; while the browser holds, the
    // screen that waits for it has the focus on its Cancel.
    find(&c, "login").await;
    let hold = home.join("hold-browser");
    std::fs::write(&hold, "").unwrap();
    tab_to(&c, "login", false).await;
    press(&c, &[ENTER]).await;
    find(&c, "waiting").await;
    focus_on(&c, "login-cancel").await;
    screenshot(&c, "en-login-wait").await;
    axe(&c, "login-wait").await;
    std::fs::remove_file(&hold).unwrap();
    assert_eq!(
        text_until(&c, "user", |t| !t.is_empty()).await,
        "Streamer Kim"
    );

    // Create a live and go on air.
    tab_to(&c, "new-live", false).await;
    press(&c, &[ENTER]).await;
    find(&c, "title").await;
    tab_to(&c, "title", false).await;
    type_text(&c, "Keyboard live").await;
    tab_to(&c, "create", false).await;
    press(&c, &[ENTER]).await;
    text_until(&c, "status", |t| t == "Reserved").await;
    // The new screen took the keyboard: its title.
    assert_eq!(
        focus(&c).await["what"]
            .as_str()
            .map(|w| w.contains("Keyboard live")),
        Some(true)
    );
    tab_to(&c, "start", false).await;
    press(&c, &[ENTER]).await;
    text_until(&c, "status", |t| t == "ON AIR").await;
    // Go live gave way to Stop live, which has the focus.
    focus_on(&c, "stop").await;
    text_until(&c, "views", |t| t != "0" && t != "–").await;
    text_until(&c, "chat-list", |t| !t.is_empty()).await;

    // One screen at 1280x800, stacked at 800x600.
    one_screen_wide(&c, "en-dashboard").await;
    stacked_narrow(&c, "en-dashboard-800x600").await;

    // The split, from the keyboard: wider chat, remembered.
    tab_to(&c, "splitter", false).await;
    let before = chat_width(&c).await;
    for _ in 0..3 {
        press(&c, &[LEFT]).await;
    }
    let after = chat_width(&c).await;
    assert_eq!(after, before + 60);
    // Dragged with the pointer: 80 px narrower.
    {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
        let bar = find(&c, "splitter").await;
        let drag = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element: bar,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(200)),
                x: 80.0,
                y: 0.0,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        c.perform_actions(drag).await.unwrap();
    }
    let dragged = chat_width(&c).await;
    assert_eq!(dragged, after - 80, "dragged by 80 px");
    // The pointer left the focus on the handle.
    focus_on(&c, "splitter").await;
    for _ in 0..4 {
        press(&c, &[LEFT]).await;
    }
    let after = chat_width(&c).await;
    assert_eq!(after, dragged + 80);
    let settings = home.join("config/dev.onair.desktop/settings.json");
    until("the chat's width is saved", || async {
        std::fs::read_to_string(&settings)
            .is_ok_and(|s| s.contains(&format!("\"chatWidth\": {after}")))
    })
    .await;

    // Send a chat message.
    tab_to(&c, "chat-input", false).await;
    type_text(&c, "hello from the keyboard\u{E007}").await;
    text_until(&c, "chat-list", |t| t.contains("hello from the keyboard")).await;

    // Ban and unban: back into the list (one tab stop, the newest message
    // on screen), up to a viewer's message, B, then U.
    let mut presses = 0;
    loop {
        press(&c, &[SHIFT, TAB]).await;
        presses += 1;
        let f = focus(&c).await;
        assert!(f["shown"] == json!(true) && f["ring"] == json!(true), "{f}");
        if f["id"] == json!("chat-list") || f["id"] == json!("msg") {
            // The list hands the focus on to a message.
            focus_on(&c, "msg").await;
            break;
        }
        assert!(
            presses < 10,
            "Shift+Tab from the chat box never reaches the messages: {f}"
        );
    }
    let mut f = focus(&c).await;
    for _ in 0..40 {
        if f["badge"] == json!(false) && f["struck"] == json!(false) {
            break;
        }
        press(&c, &[UP]).await;
        f = focus(&c).await;
        assert_eq!(f["id"], json!("msg"), "the arrow keys leave the list: {f}");
        assert!(
            f["shown"] == json!(true) && f["inWindow"] == json!(true),
            "{f}"
        );
    }
    assert_eq!(f["badge"], json!(false), "no viewer's message to ban: {f}");
    press(&c, &['b']).await;
    until("the banned viewer's message is struck", || async {
        focus(&c).await["struck"] == json!(true)
    })
    .await;
    screenshot(&c, "en-banned-by-keyboard").await;
    press(&c, &['u']).await;
    until("the unbanned viewer's message is back", || async {
        focus(&c).await["struck"] == json!(false)
    })
    .await;

    // Every screen in each language; the README's dashboards from here.
    every_screen(&c, "en", "Keyboard live", after).await;
    choose_language(&c, "ko", "설정").await;
    every_screen(&c, "ko", "Keyboard live", after).await;
    choose_language(&c, "ja", "設定").await;
    every_screen(&c, "ja", "Keyboard live", after).await;

    // Stop the live from the keyboard: Stop live, then the confirmation,
    // whose safe choice has the focus.
    let row = c
        .find(Locator::XPath(
            "//*[@data-testid='live-row'][contains(., 'Keyboard live')]",
        ))
        .await
        .unwrap();
    row.click().await.unwrap();
    find(&c, "stop").await;
    until("the dashboard has the keyboard", || async {
        focus(&c).await["lost"] == json!(false)
    })
    .await;
    tab_to(&c, "stop", false).await;
    press(&c, &[ENTER]).await;
    find(&c, "confirm-stop").await;
    focus_on(&c, "keep").await;
    tab_to(&c, "confirm-stop", true).await;
    press(&c, &[ENTER]).await;
    text_until(&c, "status", |t| t == "終了").await;
    focus_on(&c, "start").await;
    strangers_text_stays_in_its_box(&c, home).await;
    close_app(c).await;
    drop(driver);
    assert_accessible();
}
