//! What the app says from Rust, not from the page: the tray's menu,
//! label and tooltip, and the desktop notifications, in the UI's three
//! languages. The language is the settings' (`Language`), the OS's for
//! `auto` (sys-locale: LANG on Linux, the user's locale on Windows and
//! macOS), as the page resolves it.

use std::sync::atomic::{AtomicU8, Ordering};

use onair_desk::Language;

/// One language's words. `{title}`, `{s}`, `{why}` and `{e}` are filled
/// in by [`fill`].
#[derive(Debug)]
pub struct Words {
    pub show: &'static str,
    pub copy_server: &'static str,
    pub copy_key: &'static str,
    pub send_obs: &'static str,
    pub stop: &'static str,
    pub quit: &'static str,
    pub on_air: &'static str,
    pub no_signal: &'static str,
    pub obs_live: &'static str,
    pub off_air_tip: &'static str,
    pub obs_sent: &'static str,
    pub signal_title: &'static str,
    pub signal_ends: &'static str,
    pub signal_on_air: &'static str,
    pub ended_title: &'static str,
    pub ended_disabled: &'static str,
    pub ended_banned: &'static str,
    pub ended_replaced: &'static str,
    pub ended_signal: &'static str,
    pub ended_service: &'static str,
    pub obs_still: &'static str,
    pub obs_stopped: &'static str,
    pub obs_stop_failed: &'static str,
}

const EN: Words = Words {
    show: "Show onair",
    copy_server: "Copy server URL",
    copy_key: "Copy stream key",
    send_obs: "Send to OBS",
    stop: "Stop live…",
    quit: "Quit onair",
    on_air: "ON AIR",
    no_signal: "no signal",
    obs_live: "OBS live",
    off_air_tip: "onair: off air",
    obs_sent: "The live's server and key are in OBS.",
    signal_title: "No signal",
    signal_ends: "{title}: the stream stopped arriving. The service ends the live in {s} s unless it comes back.",
    signal_on_air: "{title}: the stream stopped arriving; the live is still on air.",
    ended_title: "Your live has ended",
    ended_disabled: "{title}: the channel was disabled.",
    ended_banned: "{title}: the account was banned.",
    ended_replaced: "{title}: another live of the channel started.",
    ended_signal: "{title}: the stream stopped arriving.",
    ended_service: "{title}: the service ended it.",
    obs_still: " OBS is still streaming: stop it from onair's dashboard (Stop OBS stream).",
    obs_stopped: " OBS's stream was stopped.",
    obs_stop_failed: " OBS's stream could not be stopped: {e}",
};

const KO: Words = Words {
    show: "onair 보기",
    copy_server: "서버 URL 복사",
    copy_key: "스트림 키 복사",
    send_obs: "OBS로 보내기",
    stop: "라이브 종료…",
    quit: "onair 끝내기",
    on_air: "ON AIR",
    no_signal: "신호 없음",
    obs_live: "OBS 방송 중",
    off_air_tip: "onair: 방송 중 아님",
    obs_sent: "라이브의 서버와 키를 OBS에 넣었습니다.",
    signal_title: "신호 없음",
    signal_ends:
        "{title}: 방송 신호가 끊겼습니다. 돌아오지 않으면 {s}초 뒤 서비스가 라이브를 종료합니다.",
    signal_on_air: "{title}: 방송 신호가 끊겼습니다. 라이브는 아직 방송 중입니다.",
    ended_title: "라이브가 종료되었습니다",
    ended_disabled: "{title}: 채널이 비활성화되었습니다.",
    ended_banned: "{title}: 계정이 정지되었습니다.",
    ended_replaced: "{title}: 채널의 다른 라이브가 시작되었습니다.",
    ended_signal: "{title}: 방송 신호가 끊겼습니다.",
    ended_service: "{title}: 서비스가 종료했습니다.",
    obs_still: " OBS는 아직 방송 중입니다. onair 대시보드에서 멈추세요 (OBS 방송 중지).",
    obs_stopped: " OBS 방송을 멈췄습니다.",
    obs_stop_failed: " OBS 방송을 멈추지 못했습니다: {e}",
};

const JA: Words = Words {
    show: "onair を表示",
    copy_server: "サーバー URL をコピー",
    copy_key: "ストリームキーをコピー",
    send_obs: "OBS に送る",
    stop: "ライブを終了…",
    quit: "onair を終了",
    on_air: "ON AIR",
    no_signal: "信号なし",
    obs_live: "OBS 配信中",
    off_air_tip: "onair: 配信していません",
    obs_sent: "ライブのサーバーとストリームキーを OBS に設定しました。",
    signal_title: "信号なし",
    signal_ends: "{title}: 配信の映像が届かなくなりました。戻らなければ {s} 秒後にサービスがライブを終了します。",
    signal_on_air: "{title}: 配信の映像が届かなくなりました。ライブはまだ配信中です。",
    ended_title: "ライブが終了しました",
    ended_disabled: "{title}: チャンネルが無効になりました。",
    ended_banned: "{title}: アカウントが停止されました。",
    ended_replaced: "{title}: チャンネルの別のライブが始まりました。",
    ended_signal: "{title}: 配信の映像が届かなくなりました。",
    ended_service: "{title}: サービスが終了しました。",
    obs_still: " OBS はまだ配信しています。onair のダッシュボードで止めてください（OBS の配信を停止）。",
    obs_stopped: " OBS の配信を停止しました。",
    obs_stop_failed: " OBS の配信を停止できませんでした: {e}",
};

/// The language in use (a resolved one: never `Auto`).
static CURRENT: AtomicU8 = AtomicU8::new(0);

/// Speaks `chosen` from now on (`Auto`: the OS's language).
pub fn set(chosen: Language) {
    let lang = chosen.resolve(sys_locale::get_locale().as_deref());
    CURRENT.store(
        match lang {
            Language::Ko => 1,
            Language::Ja => 2,
            _ => 0,
        },
        Ordering::Relaxed,
    );
}

/// The words of the language in use.
pub fn now() -> &'static Words {
    of(match CURRENT.load(Ordering::Relaxed) {
        1 => Language::Ko,
        2 => Language::Ja,
        _ => Language::En,
    })
}

/// The words of a resolved language.
pub fn of(lang: Language) -> &'static Words {
    match lang {
        Language::Ko => &KO,
        Language::Ja => &JA,
        _ => &EN,
    }
}

/// `template` with each `{name}` of `values` filled in.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language fills the same placeholders in the same texts.
    #[test]
    fn the_same_placeholders_in_every_language() {
        let holes = |w: &Words| {
            let all = [
                w.signal_ends,
                w.signal_on_air,
                w.ended_disabled,
                w.ended_banned,
                w.ended_replaced,
                w.ended_signal,
                w.ended_service,
                w.obs_stop_failed,
            ];
            all.map(|t| {
                let mut names: Vec<&str> = t
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(n, _)| n))
                    .collect();
                names.sort_unstable();
                names.join(",")
            })
        };
        assert_eq!(holes(&KO), holes(&EN));
        assert_eq!(holes(&JA), holes(&EN));
        assert_eq!(
            fill(EN.signal_ends, &[("title", "T"), ("s", "12")]),
            "T: the stream stopped arriving. The service ends the live in 12 s unless it comes back."
        );
        assert_eq!(of(Language::Ja).quit, "onair を終了");
    }
}
