//! The simulated audience (off unless asked): while a live is ON_AIR,
//! viewers come and go, views and likes grow, and simulated viewers chat at
//! a configured rate. Each live draws from its own ChaCha8 stream seeded by
//! the configured seed and the live's id, so a given seed replays the same
//! audience.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Simulation;
use crate::domain::admin::create_user;
use crate::error::ApiResult;
use crate::state::AppState;

/// Simulated viewers: id prefix and how many.
const FANS: usize = 40;
const NAMES: [&str; 20] = [
    "Mina",
    "Joon",
    "Seo-yeon",
    "Hyun",
    "Ji-woo",
    "Alex",
    "Sam",
    "Yuki",
    "Priya",
    "Leo",
    "Noah",
    "Ava",
    "Chloe",
    "Daniel",
    "Eun-ji",
    "Felix",
    "さくら",
    "Hana",
    "ゆうと",
    "Jade",
];
const LINES: [&str; 28] = [
    "hello from Seoul!",
    "ㅋㅋㅋㅋㅋ",
    "that looks delicious",
    "first time here, love it",
    "what camera do you use?",
    "볼륨 조금만 키워주세요",
    "GG",
    "can you say hi to my sister?",
    "the music is great",
    "how long have you been streaming?",
    "안녕하세요~",
    "LOL",
    "this is my favourite channel",
    "again again!",
    "where is this recipe from?",
    "heart heart heart",
    "lag?",
    "no lag here",
    "ㅎㅎ",
    "greetings from Busan",
    "👏👏👏",
    "what time is it there?",
    "subscribed!",
    "맛있겠다",
    "こんばんは〜",
    "音量もう少し上げてください",
    "かわいい！",
    "草",
];

/// The id of simulated viewer `n`.
pub fn fan_id(n: usize) -> String {
    format!("fan-{n:03}")
}

/// Creates the simulated viewers (idempotent).
pub async fn create_fans(state: &AppState) -> ApiResult<()> {
    for n in 0..FANS {
        create_user(
            state,
            &fan_id(n),
            &format!("{} #{n}", NAMES[n % NAMES.len()]),
            None,
        )
        .await?;
    }
    Ok(())
}

/// A live's audience between ticks.
#[derive(Debug)]
struct Audience {
    rng: ChaCha8Rng,
    /// Fraction of a chat message carried to the next tick.
    chat_carry: f64,
    viewers: f64,
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs until the task is aborted.
pub async fn run(state: AppState, sim: Simulation) {
    if let Err(e) = create_fans(&state).await {
        tracing::error!(error = %e, "simulated audience could not start");
        return;
    }
    let mut audiences: HashMap<String, Audience> = HashMap::new();
    let mut ticker = tokio::time::interval(sim.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = tick(&state, &sim, &mut audiences).await {
            tracing::warn!(error = %e, "simulated audience tick failed");
        }
    }
}

async fn tick(
    state: &AppState,
    sim: &Simulation,
    audiences: &mut HashMap<String, Audience>,
) -> ApiResult<()> {
    // The lives on air are read inside the tick's own write transaction:
    // read before it, a live stopped in between would get one more tick of
    // chat after its end (seen at 3,000 msg/s in `make bench`).
    let mut tx = state.db.write.begin().await?;
    let on_air: Vec<String> = sqlx::query_scalar("SELECT id FROM lives WHERE status = 'ON_AIR'")
        .fetch_all(&mut *tx)
        .await?;
    audiences.retain(|id, _| on_air.contains(id));
    if on_air.is_empty() {
        return Ok(());
    }
    let dt = sim.tick.as_secs_f64();
    let now = state.now();
    for live in &on_air {
        let a = audiences.entry(live.clone()).or_insert_with(|| Audience {
            rng: ChaCha8Rng::seed_from_u64(sim.seed ^ fnv1a(live)),
            chat_carry: 0.0,
            viewers: 3.0,
        });
        // Viewers drift towards ~150 with noise; arrivals count as views.
        let before = a.viewers;
        let drift = (150.0 - a.viewers) * 0.02 * dt * 4.0;
        a.viewers = (a.viewers + drift + a.rng.gen_range(-3.0..3.0) * dt * 4.0).max(0.0);
        let arrivals =
            (a.viewers - before).max(0.0).round() as i64 + i64::from(a.rng.gen_bool(0.3));
        let likes = i64::from(a.rng.gen_bool((0.4 * dt).min(1.0)));
        a.chat_carry += sim.chat_rate * dt;
        let messages = a.chat_carry.floor() as usize;
        a.chat_carry -= messages as f64;
        for _ in 0..messages {
            let fan = fan_id(a.rng.gen_range(0..FANS));
            let line = LINES[a.rng.gen_range(0..LINES.len())];
            let banned = crate::domain::chat::is_banned(&mut tx, live, &fan, now).await?;
            if !banned {
                crate::domain::chat::insert_message(&mut tx, live, &fan, line, now).await?;
            }
        }
        // The real players of the watch page watch too.
        let players = i64::try_from(state.ingest.players(live)).unwrap_or(0);
        sqlx::query(
            "UPDATE lives SET viewer_count = ?, view_count = view_count + ?, like_count = like_count + ?
             WHERE id = ? AND status = 'ON_AIR'",
        )
        .bind(a.viewers.round() as i64 + players)
        .bind(arrivals)
        .bind(likes)
        .bind(live)
        .execute(&mut *tx)
        .await?;
    }
    state.commit(tx).await?;
    Ok(())
}
