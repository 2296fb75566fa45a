//! The embedded reference service (feature `demo`): on 127.0.0.1 with
//! TLS (its certificate pinned in the demo profile), demo data, a
//! simulated audience, and the RTMP ingest on the usual port so OBS's
//! stream goes somewhere.

use std::time::Duration;

use onair_service::{Config, Running, Simulation, StartError, Storage};

use crate::error::{Error, Result};
use crate::session::AppState;
use crate::Desk;

/// The demo service's simulated audience: a lively chat, moving once a
/// second (the app polls every few seconds; finer steps would only cost CPU).
pub fn audience() -> Simulation {
    Simulation {
        chat_rate: 1.5,
        tick: Duration::from_secs(1),
        ..Simulation::default()
    }
}

impl Desk {
    /// Starts the embedded reference service (demo data, simulated
    /// audience) on 127.0.0.1 port 0 with TLS, pins its certificate, and
    /// restores the last login from the keyring when there is one.
    /// `fresh`: from clean data, logged out.
    pub async fn start_demo(&self, fresh: bool) -> Result<AppState> {
        let dir = self.data_dir.join("demo-service");
        let (base_url, fingerprint) = {
            let mut st = self.state.lock().await;
            if st.demo.is_none() {
                if fresh && dir.exists() {
                    std::fs::remove_dir_all(&dir).map_err(|e| Error::storage(&dir, e))?;
                }
                let demo = Demo::start(dir, self.demo_admin_token.clone()).await?;
                tracing::info!(base_url = demo.running().base_url(), "demo service running");
                st.demo = Some(demo);
            }
            let running = st.demo.as_ref().expect("the demo service runs").running();
            (
                running.base_url().to_owned(),
                running.fingerprint().map(str::to_owned),
            )
        };
        let profile = self.demo_profile(&base_url, fingerprint.as_deref(), fresh)?;
        self.use_profile(profile).await
    }
}

/// The name of the embedded service's threads: what the service costs
/// shows apart from the app's own (`make bench`, per thread).
pub const THREAD_NAME: &str = "demo-service";

/// The embedded service, on a runtime of its own (one worker, threads
/// named [`THREAD_NAME`]): its simulated audience and ingest never queue
/// behind the app's work, nor the app's behind theirs.
pub(crate) struct Demo {
    running: Option<Running>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Demo {
    async fn start(dir: std::path::PathBuf, admin_token: Option<String>) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()
            .map_err(not_started)?;
        let started = runtime.spawn(start(dir, admin_token)).await;
        // Whatever happened, a runtime dropped here would block.
        let mut demo = Self {
            running: None,
            runtime: Some(runtime),
        };
        demo.running = Some(started.map_err(not_started)??);
        Ok(demo)
    }

    pub(crate) fn running(&self) -> &Running {
        self.running.as_ref().expect("running until stopped")
    }

    /// Stops serving (connections drained, the database closed), then the
    /// runtime.
    pub(crate) async fn stop(mut self) -> std::io::Result<()> {
        match self.running.take() {
            Some(running) => running.stop().await,
            None => Ok(()),
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        drop(self.running.take());
        // Dropping a runtime blocks, which an async context may not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn not_started(e: impl std::fmt::Display) -> Error {
    Error::Demo(format!("the demo service did not start: {e}"))
}

async fn start(dir: std::path::PathBuf, admin_token: Option<String>) -> Result<Running> {
    let mut config = Config::new(Storage::Dir(dir));
    config.seed_demo = true;
    config.admin_token = admin_token;
    config.simulate = Some(audience());
    // The RTMP ingest on the usual port; any free port when 1935 is taken
    // (the live's rtmpPath says which).
    config.ingest.listen = Some(([127, 0, 0, 1], 1935).into());
    let loopback = "127.0.0.1:0".parse().expect("loopback");
    match Running::start(config.clone(), loopback).await {
        Err(StartError::Io { path, .. }) if path.starts_with("RTMP") => {
            config.ingest.listen = Some(([127, 0, 0, 1], 0).into());
            Running::start(config, loopback).await
        }
        other => other,
    }
    .map_err(not_started)
}
