//! Operator actions (the admin routes, demo seeding, tests): what a
//! service's staff does that no API client may. This is how "the service
//! forcefully ends or blocks a live" is exercised.

use onair_api::{EndReason, OptionalApi};

use super::lives::{end_live, new_stream_key};
use crate::auth::{register_client, NewClient};
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Ends an ON_AIR live as the service (`ENDED_BY_SERVICE`).
pub async fn force_end(state: &AppState, live_id: &str, detail: &str) -> ApiResult<()> {
    let mut tx = state.db.write.begin().await?;
    let exists = super::load_live(&mut tx, live_id)
        .await?
        .ok_or_else(|| ApiError::not_found("live"))?;
    if !end_live(
        &mut tx,
        &exists.id,
        EndReason::EndedByService,
        state.now(),
        detail,
    )
    .await?
    {
        return Err(ApiError::named(
            onair_api::ErrorName::NotOnAir,
            "the live is not on air",
        ));
    }
    state.commit(tx).await?;
    Ok(())
}

/// Enables or disables a channel; disabling ends its ON_AIR live (spec §3).
pub async fn set_channel_enabled(
    state: &AppState,
    channel_id: &str,
    enabled: bool,
) -> ApiResult<()> {
    let mut tx = state.db.write.begin().await?;
    set_channel_enabled_tx(
        &mut tx,
        state.now(),
        channel_id,
        enabled,
        EndReason::ChannelDisabled,
    )
    .await?;
    state.commit(tx).await?;
    Ok(())
}

async fn set_channel_enabled_tx(
    conn: &mut sqlx::SqliteConnection,
    now: i64,
    channel_id: &str,
    enabled: bool,
    reason: EndReason,
) -> ApiResult<()> {
    let changed = sqlx::query("UPDATE channels SET enabled = ?, updated_at = ? WHERE id = ?")
        .bind(enabled)
        .bind(now)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(ApiError::not_found("channel"));
    }
    if !enabled {
        let on_air: Vec<String> =
            sqlx::query_scalar("SELECT id FROM lives WHERE channel_id = ? AND status = 'ON_AIR'")
                .bind(channel_id)
                .fetch_all(&mut *conn)
                .await?;
        for live in on_air {
            end_live(
                conn,
                &live,
                reason,
                now,
                "the channel was disabled by the service",
            )
            .await?;
        }
    }
    Ok(())
}

/// Bans a streamer from the service (their channels are disabled and their
/// lives end) or lifts the ban (their channels are enabled again).
pub async fn set_streamer_banned(state: &AppState, user_id: &str, banned: bool) -> ApiResult<()> {
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    let changed = sqlx::query("UPDATE users SET banned = ?, updated_at = ? WHERE id = ?")
        .bind(banned)
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(ApiError::not_found("user"));
    }
    let channels: Vec<String> = sqlx::query_scalar("SELECT id FROM channels WHERE owner_id = ?")
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
    for channel in channels {
        set_channel_enabled_tx(&mut tx, now, &channel, !banned, EndReason::StreamerBanned).await?;
    }
    state.commit(tx).await?;
    Ok(())
}

/// Creates a user (idempotent on the id: an existing user keeps its data).
/// `password: None` makes a user that cannot log in (simulated viewers).
pub async fn create_user(
    state: &AppState,
    id: &str,
    display_name: &str,
    password: Option<&str>,
) -> ApiResult<bool> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(ApiError::invalid(
            "user id must be 1-64 letters, digits, '-', '_' or '.'",
        ));
    }
    let exists = sqlx::query_scalar::<_, i64>("SELECT 1 FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(&state.db.write)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let hash = match password {
        Some(p) => {
            let p = p.to_owned();
            Some(
                tokio::task::spawn_blocking(move || crypto::hash_password(&p))
                    .await
                    .map_err(|e| ApiError::internal(&e))?,
            )
        }
        None => None,
    };
    let now = state.now();
    sqlx::query(
        "INSERT OR IGNORE INTO users (id, display_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(display_name)
    .bind(hash)
    .bind(now)
    .bind(now)
    .execute(&state.db.write)
    .await?;
    Ok(true)
}

/// A channel to create.
#[derive(Debug, Clone, Default)]
pub struct NewChannel<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub description: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub followers: i64,
}

/// Creates a channel (idempotent on the id).
pub async fn create_channel(state: &AppState, c: NewChannel<'_>) -> ApiResult<()> {
    let now = state.now();
    sqlx::query(
        "INSERT OR IGNORE INTO channels (id, owner_id, name, enabled, description, tags, follower_count, created_at, updated_at)
         SELECT ?, id, ?, ?, ?, ?, ?, ?, ? FROM users WHERE id = ?",
    )
    .bind(c.id)
    .bind(c.name)
    .bind(c.enabled)
    .bind(c.description)
    .bind(c.tags)
    .bind(c.followers)
    .bind(now)
    .bind(now)
    .bind(c.owner_id)
    .execute(&state.db.write)
    .await?;
    Ok(())
}

/// Where the service serves the demo's picture (users and channels).
pub const AVATAR_PATH: &str = "/assets/avatar.png";

/// The redirect URI of the demo clients: loopback, any port (RFC 8252 §7.3).
pub const LOOPBACK_REDIRECTS: &[&str] = &["http://127.0.0.1/callback", "http://[::1]/callback"];

/// `--seed-demo`, idempotent: users `streamer`, `moderator`, `viewer` (the
/// password is the name), the streamer's two channels (one disabled) with
/// lives in each status, the public client `onair-desktop` and the
/// confidential client `onair-demo` (secret `onair-demo-secret`), all
/// optional APIs on.
pub async fn seed_demo(state: &AppState) -> ApiResult<()> {
    for (id, name) in [
        ("streamer", "Streamer Kim"),
        ("moderator", "Moderator Lee"),
        ("viewer", "Viewer Park"),
    ] {
        create_user(state, id, name, Some(id)).await?;
    }
    let registered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM clients WHERE id IN ('onair-desktop', 'onair-demo')",
    )
    .fetch_one(&state.db.write)
    .await?;
    if registered < 2 {
        register_client(
            state,
            NewClient {
                id: "onair-desktop",
                name: "onair desktop",
                secret: None,
                redirect_uris: LOOPBACK_REDIRECTS,
                optional_apis: &OptionalApi::ALL,
            },
        )
        .await?;
        register_client(
            state,
            NewClient {
                id: "onair-demo",
                name: "onair demo (confidential)",
                secret: Some("onair-demo-secret"),
                redirect_uris: LOOPBACK_REDIRECTS,
                optional_apis: &OptionalApi::ALL,
            },
        )
        .await?;
    }
    create_channel(
        state,
        NewChannel {
            id: "streamer-main",
            owner_id: "streamer",
            name: "Kim's Kitchen Live",
            enabled: true,
            description: Some("Cooking, chatting, and the occasional fire alarm."),
            tags: Some("cooking;korean;live"),
            followers: 12_840,
        },
    )
    .await?;
    create_channel(
        state,
        NewChannel {
            id: "streamer-archive",
            owner_id: "streamer",
            name: "Kim's Old Channel",
            enabled: false,
            description: Some("Retired; kept for the archive."),
            tags: Some("archive"),
            followers: 311,
        },
    )
    .await?;
    // Their pictures, on this service (its address may change between
    // starts, so they are written again each time).
    let picture = format!("{}{AVATAR_PATH}", state.base_url);
    sqlx::query(
        "UPDATE users SET profile_thumbnail = ?1 WHERE id IN ('streamer', 'moderator', 'viewer')",
    )
    .bind(&picture)
    .execute(&state.db.write)
    .await?;
    sqlx::query(
        "UPDATE channels SET thumbnail_url = ?1 WHERE id IN ('streamer-main', 'streamer-archive')",
    )
    .bind(&picture)
    .execute(&state.db.write)
    .await?;
    let now = state.now();
    let lives: [(&str, &str, &str, &str, i64); 5] = [
        (
            "demo-reserved",
            "streamer-main",
            "Sunday kimchi masterclass",
            "RESERVED",
            now + 2 * 86_400_000,
        ),
        (
            "demo-onair",
            "streamer-main",
            "Late-night ramyeon tasting",
            "ON_AIR",
            now - 600_000,
        ),
        (
            "demo-ended",
            "streamer-main",
            "Bibimbap from scratch",
            "END",
            now - 86_400_000,
        ),
        (
            "demo-ended-2",
            "streamer-main",
            "Q&A with the chat",
            "END",
            now - 3 * 86_400_000,
        ),
        (
            "demo-archive",
            "streamer-archive",
            "First stream ever",
            "END",
            now - 400 * 86_400_000,
        ),
    ];
    let mut tx = state.db.write.begin().await?;
    for (i, (id, channel, title, status, reserved)) in lives.iter().enumerate() {
        let created = now - 1000 * (10 - i as i64);
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO lives (id, channel_id, title, description, reserved_at, start_at, status, scope, stream_key,
                 ended_at, end_reason, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'PUBLIC', ?8, ?9, ?10, ?11, ?11)",
        )
        .bind(id)
        .bind(channel)
        .bind(title)
        .bind("A demo live of the onair reference service.")
        .bind(reserved)
        .bind((*status != "RESERVED").then_some(*reserved))
        .bind(status)
        .bind(new_stream_key())
        .bind((*status == "END").then_some(reserved + 3_600_000))
        .bind((*status == "END").then_some("STOPPED"))
        .bind(created)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 && *status != "RESERVED" {
            let session = format!("{id}-s1");
            let finished = (*status == "END").then_some(reserved + 3_600_000);
            sqlx::query("INSERT INTO sessions (id, live_id, started_at, finished_at, end_reason) VALUES (?, ?, ?, ?, ?)")
                .bind(&session)
                .bind(id)
                .bind(reserved)
                .bind(finished)
                .bind(finished.map(|_| "STOPPED"))
                .execute(&mut *tx)
                .await?;
            super::lives::add_event(
                &mut tx,
                &session,
                *reserved,
                onair_api::EventKind::Start,
                Some("started by streamer"),
            )
            .await?;
            if let Some(f) = finished {
                super::lives::add_event(
                    &mut tx,
                    &session,
                    f,
                    onair_api::EventKind::Stop,
                    Some("stopped by streamer"),
                )
                .await?;
            }
        }
    }
    state.commit(tx).await?;
    Ok(())
}
