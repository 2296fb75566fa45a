//! Users of the login servers the service trusts ([`crate::trust`]): the
//! issuer's `sub` maps to a service user, created on first sight with the
//! name the token (or the issuer's userinfo) gives, and one channel, as a
//! new user of any streaming service has.

use sqlx::Row;

use crate::domain::admin::{self, NewChannel};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::trust::Subject;

/// The service user of `subject`; created when new (`token` asks the
/// issuer's userinfo for a name the token does not carry).
pub async fn user_for(state: &AppState, subject: &Subject, token: &str) -> ApiResult<String> {
    if let Some(id) = known(state, subject).await? {
        return Ok(id);
    }
    let name = match &subject.name {
        Some(n) => n.clone(),
        None => match state.trust.as_ref() {
            Some(trust) => trust
                .userinfo_name(&subject.issuer, token)
                .await
                .unwrap_or_else(|| subject.sub.clone()),
            None => subject.sub.clone(),
        },
    };
    let id = free_user_id(state, &subject.sub).await?;
    admin::create_user(state, &id, &name, None).await?;
    let now = state.now();
    let inserted = sqlx::query(
        "INSERT OR IGNORE INTO external_accounts (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(&subject.issuer)
    .bind(&subject.sub)
    .bind(&id)
    .bind(now)
    .execute(&state.db.write)
    .await?
    .rows_affected();
    if inserted == 0 {
        // Another request of the same person won the race: theirs it is.
        return known(state, subject)
            .await?
            .ok_or_else(|| crate::error::ApiError::internal(&"external account vanished"));
    }
    admin::create_channel(
        state,
        NewChannel {
            id: &format!("{id}-main"),
            owner_id: &id,
            name: &format!("{name}'s channel"),
            enabled: true,
            ..NewChannel::default()
        },
    )
    .await?;
    tracing::info!(issuer = %subject.issuer, user = %id, "user of a trusted issuer created");
    Ok(id)
}

async fn known(state: &AppState, subject: &Subject) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT user_id FROM external_accounts WHERE issuer = ? AND subject = ?")
            .bind(&subject.issuer)
            .bind(&subject.sub)
            .fetch_optional(&state.db.write)
            .await?
            .map(|r| r.get("user_id")),
    )
}

/// A user id from `sub` (letters, digits, `-`, `_`, `.`; at most 60),
/// with `-2`, `-3`, ... when a user of that id exists (a local user of
/// the same name is someone else).
async fn free_user_id(state: &AppState, sub: &str) -> ApiResult<String> {
    let base: String = sub
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    let base = if base.trim_matches('-').is_empty() {
        "user".to_owned()
    } else {
        base
    };
    let mut id = base.clone();
    for n in 2.. {
        let taken = sqlx::query_scalar::<_, i64>("SELECT 1 FROM users WHERE id = ?")
            .bind(&id)
            .fetch_optional(&state.db.write)
            .await?
            .is_some();
        if !taken {
            break;
        }
        id = format!("{base}-{n}");
    }
    Ok(id)
}
