//! The chat pane's side (spec §4): following a live's chat, sending, the
//! moderation calls, and the log of those made in this run (the user
//! card's history, the chart's markers).

use onair_api::{ChatMessage, OptionalApi, Timestamp};
use onair_client::{follow_chat, ChatEvent, ChatOptions};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::{Desk, DeskEvent};

/// Moderation records kept (the oldest go first).
pub const MAX_MOD_RECORDS: usize = 10_000;

/// A moderation call (spec §4), on a message's author or the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ModAction {
    #[serde(rename_all = "camelCase")]
    Delete {
        message_id: String,
    },
    Ban,
    #[serde(rename_all = "camelCase")]
    TimedBan {
        seconds: u32,
    },
    Unban,
    Mod,
    Unmod,
}

/// One moderation call made from this app, kept for the live's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModRecord {
    /// Unique in this run (the UI merges the log and the events by it).
    pub id: u64,
    pub live_id: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Who did it (the logged-in user's name).
    pub by: String,
    pub user_id: String,
    pub action: ModAction,
    /// The service's refusal, when it refused.
    pub error: Option<Error>,
}

impl Desk {
    /// Follows a live's chat (spec §4 LIVE_CHAT_LIST) for the chat pane,
    /// replacing the chat followed before: batches arrive on the returned
    /// channel, each message once, in the service's order, until
    /// [`Desk::unfollow_chat`] or another follow.
    pub async fn follow_chat(&self, live_id: &str) -> Result<mpsc::Receiver<ChatEvent>> {
        let client = self.client().await?;
        client.require(OptionalApi::LiveChatList).await?;
        let (watch, rx) = follow_chat(client, live_id, ChatOptions::default());
        self.state.lock().await.chat = Some(watch);
        Ok(rx)
    }

    pub async fn unfollow_chat(&self) {
        self.state.lock().await.chat = None;
    }

    /// Sends a chat message (LIVE_CHAT_SEND); the service's refusal comes
    /// back as the error, the text stays with the caller.
    pub async fn send_chat(&self, live_id: &str, text: &str) -> Result<ChatMessage> {
        Ok(self.client().await?.chat_send(live_id, text).await?)
    }

    /// One moderation call (spec §4) on `user_id` (a message's `authorId`),
    /// recorded with who made it and whether the service refused it; the
    /// record leaves as [`DeskEvent::Moderation`] either way.
    pub async fn moderate(
        &self,
        live_id: &str,
        user_id: &str,
        action: ModAction,
    ) -> Result<ModRecord> {
        let (client, by) = {
            let st = self.state.lock().await;
            let client = st.client.clone().ok_or(Error::NoSession)?;
            let by = st
                .user
                .as_ref()
                .map(|u| u.user_name.clone())
                .unwrap_or_default();
            (client, by)
        };
        let done = match &action {
            ModAction::Delete { message_id } => client.chat_delete(live_id, message_id).await,
            ModAction::Ban => client.ban(live_id, user_id).await,
            ModAction::TimedBan { seconds } => client.timed_ban(live_id, user_id, *seconds).await,
            ModAction::Unban => client.unban(live_id, user_id).await,
            ModAction::Mod => client.grant_mod(live_id, user_id).await,
            ModAction::Unmod => client.remove_mod(live_id, user_id).await,
        };
        let record = {
            let mut log = self.mod_log.lock().expect("moderation log lock");
            let record = ModRecord {
                id: log.back().map_or(1, |r| r.id + 1),
                live_id: live_id.to_owned(),
                at_ms: Timestamp::now().millis(),
                by,
                user_id: user_id.to_owned(),
                action,
                error: done.err().map(Error::from),
            };
            crate::push_bounded(&mut log, record.clone(), MAX_MOD_RECORDS);
            record
        };
        self.emit(DeskEvent::Moderation(record.clone()));
        match &record.error {
            Some(e) => Err(e.clone()),
            None => Ok(record),
        }
    }

    /// The moderation calls made on a live in this run, oldest first.
    pub fn moderation_log(&self, live_id: &str) -> Vec<ModRecord> {
        self.mod_log
            .lock()
            .expect("moderation log lock")
            .iter()
            .filter(|r| r.live_id == live_id)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moderation_actions_parse() {
        // Their undo is the UI's (`undoOf` in ui/src/lib/chat.ts, tested there).
        let a: ModAction = serde_json::from_str(r#"{"kind":"timedBan","seconds":600}"#).unwrap();
        assert_eq!(a, ModAction::TimedBan { seconds: 600 });
        let d: ModAction = serde_json::from_str(r#"{"kind":"delete","messageId":"42"}"#).unwrap();
        assert_eq!(
            d,
            ModAction::Delete {
                message_id: "42".into()
            }
        );
        assert!(serde_json::from_str::<ModAction>(r#"{"kind":"shadowBan"}"#).is_err());
    }
}
