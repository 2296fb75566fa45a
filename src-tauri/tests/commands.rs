//! The command layer on Tauri's mock runtime: commands answer through IPC
//! with the app's types, and every failure has the one `{code, message}`
//! shape. The demo service really starts (in a temporary data dir).

use std::sync::Arc;

use onair_app::{build, Options};
use onair_client::MemoryStore;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn commands_answer_with_the_app_types_and_one_error_shape() {
    let home = std::env::temp_dir().join(format!("onair-commands-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    // The mock app resolves its data and config dirs from these.
    std::env::set_var("XDG_DATA_HOME", home.join("data"));
    std::env::set_var("XDG_CONFIG_HOME", home.join("config"));
    std::env::set_var("HOME", &home);
    // The login opens "the browser": here a command that does nothing.
    std::env::set_var("BROWSER", "true");

    let mut app = build(
        mock_builder(),
        Options::default(),
        Arc::new(MemoryStore::default()),
    )
    .build(mock_context(noop_assets()))
    .expect("the app builds on the mock runtime");
    // Setup (state, tray) runs on the first turn of the event loop; one
    // turn is what a test needs, so the busy-loop warning does not apply.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    let view = invoke(&webview, "app_view", json!({})).unwrap();
    assert_eq!(view["active"], Value::Null);
    assert_eq!(view["session"], Value::Null);

    // Nothing to do before a login: the error shape, exactly.
    let err = invoke(&webview, "channels", json!({})).unwrap_err();
    assert_eq!(
        err,
        json!({"code": "no_session", "message": "log in first"})
    );
    let err = invoke(&webview, "login", json!({})).unwrap_err();
    assert_eq!(err["code"], "no_profile");
    let ban = json!({"liveId": "l", "userId": "u", "action": {"kind": "timedBan", "seconds": 60}});
    assert_eq!(
        invoke(&webview, "moderate", ban).unwrap_err()["code"],
        "no_session"
    );
    // An action the app does not know is refused before any call.
    let err = invoke(
        &webview,
        "moderate",
        json!({"liveId": "l", "userId": "u", "action": {"kind": "shadowBan"}}),
    )
    .unwrap_err();
    assert!(err.as_str().is_some_and(|e| e.contains("action")), "{err}");
    assert_eq!(
        invoke(
            &webview,
            "follow_chat",
            json!({"liveId": "l", "onEvent": "__CHANNEL__:7"})
        )
        .unwrap_err()["code"],
        "no_session"
    );

    // The demo service starts, its profile is active and pinned.
    let view = invoke(&webview, "start_demo", json!({})).unwrap();
    assert_eq!(view["active"]["id"], "demo");
    assert_eq!(view["active"]["demo"], true);
    assert!(view["active"]["apiDomain"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    let config_dir = tauri::Manager::path(&app).app_config_dir().unwrap();
    let profiles = std::fs::read_to_string(config_dir.join("profiles.json")).unwrap();
    assert!(profiles.contains("pinnedSha256"));
    for secret_field in ["\"clientSecret\"", "refresh", "access"] {
        assert!(
            !profiles.contains(secret_field),
            "no secret in the profiles file"
        );
    }

    // Arguments that do not parse (an enum's unknown value, a missing
    // one) are refused by Tauri itself, in words naming the argument (the
    // UI maps any non-shaped error to "internal"; its generated types do
    // not let it send one).
    let err = invoke(
        &webview,
        "lives",
        json!({"channelId": "x", "filter": "SOMETIMES"}),
    )
    .unwrap_err();
    assert!(err.as_str().is_some_and(|e| e.contains("filter")), "{err}");
    let err = invoke(&webview, "live", json!({})).unwrap_err();
    assert!(err.as_str().is_some_and(|e| e.contains("liveId")), "{err}");

    // A login starts: the URL is the demo service's login page with PKCE.
    let url = invoke(&webview, "login", json!({})).unwrap();
    let url = url.as_str().unwrap();
    assert!(url.contains("/oauth/authorize?"), "{url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert_eq!(
        invoke(&webview, "app_view", json!({})).unwrap()["loginPending"],
        true
    );
    invoke(&webview, "cancel_login", json!({})).unwrap();
    // Leaving the service while its login waits: nothing is pending then.
    invoke(&webview, "login", json!({})).unwrap();
    let view = invoke(&webview, "leave_profile", json!({})).unwrap();
    assert_eq!(view["loginPending"], false);

    // Add a service: a wrong field is named, so the form shows it there.
    let form = |domain: &str| {
        json!({"input": {
            "name": "My Service", "apiDomain": domain, "issuer": null, "clientId": "abc123", "scopes": [],
            "clientSecret": "s3cret-value", "tokenForm": "auto",
            "optionalApis": ["LIVE_CHAT_LIST"], "pinnedSha256": null
        }})
    };
    let err = invoke(&webview, "add_profile", form("http://api.example.com")).unwrap_err();
    assert_eq!(err["code"], "profile");
    assert_eq!(err["field"], "apiDomain");
    assert!(err["message"].as_str().unwrap().contains("HTTPS"), "{err}");
    // The lookup that comes first names the field too.
    let lookup = json!({"input": {"address": "ftp://nowhere", "issuer": null, "clientId": null, "pinnedSha256": null, "scopes": []}});
    let err = invoke(&webview, "lookup_service", lookup).unwrap_err();
    assert_eq!(
        (err["code"].as_str(), err["field"].as_str()),
        (Some("profile"), Some("apiDomain")),
        "{err}"
    );
    let added = invoke(&webview, "add_profile", form("https://127.0.0.1:1")).unwrap();
    assert_eq!(added["id"], "my-service");
    assert_eq!(added["demo"], false);
    let again = invoke(&webview, "add_profile", form("https://127.0.0.1:1")).unwrap();
    assert_eq!(again["id"], "my-service-2", "ids stay unique");
    let profiles = std::fs::read_to_string(config_dir.join("profiles.json")).unwrap();
    assert!(
        !profiles.contains("s3cret-value"),
        "the client secret is not in the file"
    );
    assert!(profiles.contains("\"hasClientSecret\": true"));
    // Nothing listens there: choosing it says so in the one shape.
    let err = invoke(&webview, "choose_profile", json!({"id": "my-service"})).unwrap_err();
    assert_eq!(err["code"], "transport", "{err}");
    // Settings: hide to the tray by default; a change is saved.
    let obs_defaults = json!({"host": "127.0.0.1", "port": 4455, "connectAtStart": false,
                              "streamerMode": false, "stopWithLive": false});
    assert_eq!(
        invoke(&webview, "settings", json!({})).unwrap(),
        json!({"hideOnClose": true, "clockSeconds": false, "banPresets": {},
               "chatBuffer": 5000, "hideModerated": false, "preview": true,
               "obs": obs_defaults.clone(), "language": "auto", "chatWidth": 420})
    );
    let saved = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"hideOnClose": false}}),
    )
    .unwrap();
    // A field left out keeps its default (older UIs, hand-edited files).
    assert_eq!(
        saved,
        json!({"hideOnClose": false, "clockSeconds": false, "banPresets": {},
               "chatBuffer": 5000, "hideModerated": false, "preview": true,
               "obs": obs_defaults.clone(), "language": "auto", "chatWidth": 420})
    );
    let file = std::fs::read_to_string(config_dir.join("settings.json")).unwrap();
    assert!(file.contains("\"hideOnClose\": false"), "{file}");
    // Another language: saved, and Rust's own words follow it.
    let saved = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"hideOnClose": false, "language": "ja"}}),
    )
    .unwrap();
    assert_eq!(saved["language"], "ja");
    assert_eq!(onair_app::words::now().quit, "onair を終了");
    // Timed-ban presets per channel: kept sorted, once each; nonsense is
    // refused at the field and nothing is saved.
    let saved = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"banPresets": {"demo/streamer-main": [600, 5, 600]}}}),
    )
    .unwrap();
    assert_eq!(saved["banPresets"]["demo/streamer-main"], json!([5, 600]));
    for bad in [
        json!([]),
        json!([0]),
        json!([2_592_001]),
        json!((1..=11).collect::<Vec<u32>>()),
    ] {
        let err = invoke(
            &webview,
            "set_settings",
            json!({"settings": {"banPresets": {"demo/streamer-main": bad}}}),
        )
        .unwrap_err();
        assert_eq!(err["field"], "banPresets", "{err}");
    }
    let file = std::fs::read_to_string(config_dir.join("settings.json")).unwrap();
    assert!(file.contains("600"), "{file}");
    // The chat's buffer: 500 to 50,000 messages.
    for bad in [0, 499, 50_001] {
        let err = invoke(
            &webview,
            "set_settings",
            json!({"settings": {"chatBuffer": bad}}),
        )
        .unwrap_err();
        assert_eq!(err["field"], "chatBuffer", "{err}");
    }
    let saved = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"chatBuffer": 20_000, "hideModerated": true}}),
    )
    .unwrap();
    assert_eq!(saved["chatBuffer"], 20_000);
    assert_eq!(saved["hideModerated"], true);
    // The chat pane's width beside the live: 280 to 1,600 px.
    for bad in [0, 279, 1_601] {
        let err = invoke(
            &webview,
            "set_settings",
            json!({"settings": {"chatWidth": bad}}),
        )
        .unwrap_err();
        assert_eq!(err["field"], "chatWidth", "{err}");
    }
    let saved = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"chatWidth": 512}}),
    )
    .unwrap();
    assert_eq!(saved["chatWidth"], 512);

    // OBS: where it listens is checked; nothing listening is said in words.
    let err = invoke(
        &webview,
        "set_settings",
        json!({"settings": {"obs": {"host": "a b", "port": 4455}}}),
    )
    .unwrap_err();
    assert_eq!(err["field"], "obs", "{err}");
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    invoke(
        &webview,
        "set_settings",
        json!({"settings": {"obs": {"host": "127.0.0.1", "port": nobody, "streamerMode": true}}}),
    )
    .unwrap();
    let err = invoke(&webview, "obs_connect", json!({"password": null})).unwrap_err();
    assert!(
        ["obs_not_running", "obs_server_off"].contains(&err["code"].as_str().unwrap()),
        "{err}"
    );
    let view = invoke(&webview, "obs_view", json!({})).unwrap();
    assert_eq!(view["state"], "off");
    assert_eq!(view["problem"]["code"], err["code"]);
    assert_eq!(
        invoke(&webview, "obs_undo", json!({})).unwrap_err()["code"],
        "obs_nothing_to_undo"
    );
    // Streamer mode (forced on): the key only after a confirmation (here
    // the next check refuses: nobody is logged in).
    let err = invoke(
        &webview,
        "reveal_key",
        json!({"liveId": "l", "confirmed": false}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "streamer_mode", "{err}");
    let err = invoke(
        &webview,
        "reveal_key",
        json!({"liveId": "l", "confirmed": true}),
    )
    .unwrap_err();
    assert_ne!(err["code"], "streamer_mode", "{err}");

    let view = invoke(&webview, "leave_profile", json!({})).unwrap();
    assert_eq!(view["active"], Value::Null);
    assert_eq!(view["profiles"].as_array().unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(&home);
}
