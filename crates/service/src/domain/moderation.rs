//! Chat moderation (spec §4: USER_BAN, USER_BAN_TEMPORARY, USER_MOD).
//!
//! The owner and the live's chat admins moderate; only the owner grants or
//! removes chat admin. Nobody bans themselves or the owner, and a chat
//! admin does not ban another chat admin. `userId` is a message's
//! `authorId`; an unknown user is 404.

use onair_api::OptionalApi;
use sqlx::SqliteConnection;

use super::{chat_live, is_admin, LiveRow, Role};
use crate::config::limits;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// The live, if the caller moderates it; 403 for a plain viewer.
pub async fn moderator(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live_id: &str,
) -> ApiResult<(LiveRow, Role)> {
    let (live, role) = chat_live(conn, caller, live_id).await?;
    if !role.moderates() {
        return Err(ApiError::forbidden(
            "only the streamer and chat admins may moderate this chat",
        ));
    }
    Ok((live, role))
}

async fn user_exists(conn: &mut SqliteConnection, user_id: &str) -> ApiResult<()> {
    sqlx::query_scalar::<_, i64>("SELECT 1 FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Checks that the caller may ban `target` in this live.
async fn ban_target(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live_id: &str,
    target: &str,
) -> ApiResult<()> {
    let (live, role) = moderator(conn, caller, live_id).await?;
    user_exists(conn, target).await?;
    if target == caller.user_id {
        return Err(ApiError::invalid("you cannot ban yourself"));
    }
    if target == live.owner_id {
        return Err(ApiError::forbidden(
            "the streamer cannot be banned from their own live",
        ));
    }
    if role == Role::Admin && is_admin(conn, live_id, target).await? {
        return Err(ApiError::forbidden(
            "a chat admin cannot ban another chat admin",
        ));
    }
    Ok(())
}

async fn set_ban(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    target: &str,
    seconds: Option<i64>,
) -> ApiResult<()> {
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    ban_target(&mut tx, caller, live_id, target).await?;
    sqlx::query(
        "INSERT INTO live_bans (live_id, user_id, until, banned_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(live_id, user_id) DO UPDATE SET until = ?3, banned_by = ?4, created_at = ?5",
    )
    .bind(live_id)
    .bind(target)
    .bind(seconds.map(|s| now + s * 1000))
    .bind(&caller.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    state.commit(tx).await?;
    Ok(())
}

/// `PUT /live/{liveId}/ban/{userId}`: a permanent chat ban.
pub async fn ban(state: &AppState, caller: &Caller, live_id: &str, target: &str) -> ApiResult<()> {
    caller.require(OptionalApi::UserBan)?;
    set_ban(state, caller, live_id, target, None).await
}

/// `PUT /live/{liveId}/timedBan/{userId}` with `banTime` seconds
/// (1..=1,209,600); it expires by itself.
pub async fn timed_ban(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    target: &str,
    ban_time: i64,
) -> ApiResult<()> {
    caller.require(OptionalApi::UserBanTemporary)?;
    if !limits::BAN_TIME.contains(&ban_time) {
        return Err(ApiError::invalid(format!(
            "banTime must be {} to {} seconds",
            limits::BAN_TIME.start(),
            limits::BAN_TIME.end()
        )));
    }
    set_ban(state, caller, live_id, target, Some(ban_time)).await
}

/// `PUT /live/{liveId}/unban/{userId}`: lifts permanent and timed bans.
/// Idempotent.
pub async fn unban(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    target: &str,
) -> ApiResult<()> {
    if !caller.apis.contains(&OptionalApi::UserBan) {
        caller.require(OptionalApi::UserBanTemporary)?;
    }
    let mut tx = state.db.write.begin().await?;
    moderator(&mut tx, caller, live_id).await?;
    user_exists(&mut tx, target).await?;
    sqlx::query("DELETE FROM live_bans WHERE live_id = ? AND user_id = ?")
        .bind(live_id)
        .bind(target)
        .execute(&mut *tx)
        .await?;
    state.commit(tx).await?;
    Ok(())
}

async fn owner_acting_on(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live_id: &str,
    target: &str,
) -> ApiResult<()> {
    let (live, role) = moderator(conn, caller, live_id).await?;
    if role != Role::Owner {
        return Err(ApiError::forbidden(
            "only the streamer grants or removes chat admin",
        ));
    }
    user_exists(conn, target).await?;
    if target == live.owner_id {
        return Err(ApiError::invalid(
            "the streamer is always in charge of their own chat",
        ));
    }
    Ok(())
}

/// `PUT /live/{liveId}/mod/{userId}` (`granted`) and
/// `PUT /live/{liveId}/unmod/{userId}`: grants or removes chat admin.
/// Idempotent.
pub async fn set_mod(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    target: &str,
    granted: bool,
) -> ApiResult<()> {
    caller.require(OptionalApi::UserMod)?;
    let mut tx = state.db.write.begin().await?;
    owner_acting_on(&mut tx, caller, live_id, target).await?;
    let sql = if granted {
        "INSERT OR IGNORE INTO live_mods (live_id, user_id, granted_by, created_at) VALUES (?, ?, ?, ?)"
    } else {
        "DELETE FROM live_mods WHERE live_id = ? AND user_id = ?"
    };
    let mut q = sqlx::query(sql).bind(live_id).bind(target);
    if granted {
        q = q.bind(&caller.user_id).bind(state.now());
    }
    q.execute(&mut *tx).await?;
    state.commit(tx).await?;
    Ok(())
}
