//! Live chat (spec §4, LIVE_CHAT_LIST / SEND / DELETE).
//!
//! Paging: a message's `seq` is assigned by the single writer in commit
//! order, so "the messages after the last one I saw" is `seq > cursor` and
//! nothing is ever skipped or repeated. The page token wraps the live and
//! the cursor in base64url; clients must treat it as opaque. A page costs
//! one index range scan on `(live_id, seq)`, whatever the history's size.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use onair_api::{
    ChatListRequest, ChatMessage, ChatPage, ChatSent, ErrorName, Id, LiveStatus, OptionalApi,
};
use sqlx::{Row, SqliteConnection};

use super::{chat_live, chat_role};
use crate::clock::{timestamp, Millis};
use crate::config::limits;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// Encodes a cursor as an opaque page token.
pub fn page_token(live_id: &str, seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1:{seq}:{live_id}"))
}

/// Decodes a page token of this live.
pub fn parse_page_token(live_id: &str, token: &str) -> ApiResult<i64> {
    let bad = || ApiError::invalid("pageToken is not a token this service gave out for this live");
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let rest = raw.strip_prefix("c1:").ok_or_else(bad)?;
    let (seq, live) = rest.split_once(':').ok_or_else(bad)?;
    if live != live_id {
        return Err(bad());
    }
    seq.parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(bad)
}

const MESSAGE_COLUMNS: &str = "m.seq, m.author_id, m.author_name, m.author_thumb, m.message, m.created_at,
    EXISTS(SELECT 1 FROM live_mods d WHERE d.live_id = m.live_id AND d.user_id = m.author_id) AS is_manager";

fn message_of(row: &sqlx::sqlite::SqliteRow, owner_id: &str) -> ChatMessage {
    let author: String = row.get("author_id");
    ChatMessage {
        message_id: Id::new(row.get::<i64, _>("seq").to_string()),
        message_at: timestamp(row.get("created_at")),
        is_live_owner: author == owner_id,
        author_id: Id::new(author),
        author_name: row.get("author_name"),
        author_profile_thumbnail: row.get("author_thumb"),
        message: row.get("message"),
        is_live_manager: row.get("is_manager"),
    }
}

/// `POST /live/{liveId}/chat`.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    req: ChatListRequest,
) -> ApiResult<ChatPage> {
    caller.require(OptionalApi::LiveChatList)?;
    // The live through the cache first: it takes a connection of its own
    // on a miss, and two held at once could drain the pool.
    let cached = super::cached_live(state, live_id).await?;
    let mut conn = state.db.read.acquire().await?;
    let (live, _) = chat_role(&mut conn, caller, cached).await?;
    let limit = i64::try_from(req.effective_max()).unwrap_or(100);
    page(&mut conn, &live, req.page_token.as_deref(), limit).await
}

/// A page of a live's chat, deleted messages left out: the latest `limit`
/// without a token, else those after it (spec §4). Callers decide who may
/// read it.
pub async fn page(
    conn: &mut SqliteConnection,
    live: &super::LiveRow,
    token: Option<&str>,
    limit: i64,
) -> ApiResult<ChatPage> {
    let live_id = live.id.as_str();
    let (messages, next) = match token {
        Some(token) => {
            let after = parse_page_token(live_id, token)?;
            let rows = sqlx::query(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM chat_messages m
                 WHERE m.live_id = ? AND m.seq > ? AND m.deleted_at IS NULL ORDER BY m.seq LIMIT ?"
            ))
            .bind(live_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            let next = match rows.last() {
                Some(r) => page_token(live_id, r.get("seq")),
                // Nothing new: the same token again (spec §4).
                None => token.to_owned(),
            };
            (rows, next)
        }
        None => {
            let mut rows = sqlx::query(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM chat_messages m
                 WHERE m.live_id = ? AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT ?"
            ))
            .bind(live_id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.reverse();
            let last = match rows.last() {
                Some(r) => r.get("seq"),
                None => sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT MAX(seq) FROM chat_messages WHERE live_id = ?",
                )
                .bind(live_id)
                .fetch_one(&mut *conn)
                .await?
                .unwrap_or(0),
            };
            (rows, page_token(live_id, last))
        }
    };
    Ok(ChatPage {
        live_id: Id::new(live_id),
        next_page_token: Some(next),
        messages: messages
            .iter()
            .map(|r| message_of(r, &live.owner_id))
            .collect(),
    })
}

/// Checks a chat message: 1-500 characters after trimming, no control
/// characters (line breaks included: the reference chat is single-line).
pub fn check_message(text: &str) -> ApiResult<String> {
    super::check_line("message", text, limits::CHAT)
}

/// Whether `user_id` is banned from the live's chat at `now` (a timed ban
/// past its end no longer counts: it expires by itself).
pub async fn is_banned(
    conn: &mut SqliteConnection,
    live_id: &str,
    user_id: &str,
    now: Millis,
) -> ApiResult<bool> {
    let row: Option<Option<Millis>> =
        sqlx::query_scalar("SELECT until FROM live_bans WHERE live_id = ? AND user_id = ?")
            .bind(live_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(matches!(row, Some(None)) || matches!(row, Some(Some(until)) if until > now))
}

/// Stores a message and counts it; returns its `seq`.
pub async fn insert_message(
    conn: &mut SqliteConnection,
    live_id: &str,
    author_id: &str,
    text: &str,
    now: Millis,
) -> ApiResult<i64> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO chat_messages (live_id, author_id, author_name, author_thumb, message, created_at)
         SELECT ?1, u.id, u.display_name, u.profile_thumbnail, ?2, ?3 FROM users u WHERE u.id = ?4
         RETURNING seq",
    )
    .bind(live_id)
    .bind(text)
    .bind(now)
    .bind(author_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE lives SET chat_count = chat_count + 1 WHERE id = ?")
        .bind(live_id)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// `PUT /live/{liveId}/chat`: only while ON_AIR, not while banned.
pub async fn send(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    text: &str,
) -> ApiResult<ChatSent> {
    caller.require(OptionalApi::LiveChatSend)?;
    let text = check_message(text)?;
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    let (live, _) = chat_live(&mut tx, caller, live_id).await?;
    if live.status() != LiveStatus::OnAir {
        return Err(ApiError::named(
            ErrorName::NotOnAir,
            "chat is open only while the live is on air",
        ));
    }
    if is_banned(&mut tx, live_id, &caller.user_id, now).await? {
        return Err(ApiError::named(
            ErrorName::UserBanned,
            "you are banned from this live's chat",
        ));
    }
    let seq = insert_message(&mut tx, live_id, &caller.user_id, &text, now).await?;
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM chat_messages m WHERE m.seq = ?"
    ))
    .bind(seq)
    .fetch_one(&mut *tx)
    .await?;
    state.commit(tx).await?;
    Ok(ChatSent {
        chat_message: message_of(&row, &live.owner_id),
    })
}

/// `DELETE /live/{liveId}/chat/{messageId}`: the owner and chat admins.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    message_id: &str,
) -> ApiResult<()> {
    caller.require(OptionalApi::LiveChatDelete)?;
    let mut tx = state.db.write.begin().await?;
    super::moderation::moderator(&mut tx, caller, live_id).await?;
    let seq: i64 = message_id
        .parse()
        .map_err(|_| ApiError::not_found("chat message"))?;
    let done = sqlx::query(
        "UPDATE chat_messages SET deleted_at = ?, deleted_by = ? WHERE seq = ? AND live_id = ? AND deleted_at IS NULL",
    )
    .bind(state.now())
    .bind(&caller.user_id)
    .bind(seq)
    .bind(live_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(ApiError::not_found("chat message"));
    }
    state.commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_are_bound_to_their_live() {
        let t = page_token("live1", 42);
        assert_eq!(parse_page_token("live1", &t).unwrap(), 42);
        assert!(parse_page_token("live2", &t).is_err());
        assert!(parse_page_token("live1", "garbage!").is_err());
        assert!(parse_page_token("live1", &URL_SAFE_NO_PAD.encode("c1:-5:live1")).is_err());
    }

    #[test]
    fn message_limits() {
        assert_eq!(check_message("  hi  ").unwrap(), "hi");
        assert!(check_message("   ").is_err());
        assert!(check_message(&"가".repeat(500)).is_ok());
        assert!(check_message(&"가".repeat(501)).is_err());
        assert!(check_message("a\nb").is_err());
        assert!(check_message("a\u{7}b").is_err());
    }
}
