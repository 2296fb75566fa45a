//! SQLite through sqlx: numbered migrations (`migrations/`), WAL, and one
//! writer.
//!
//! SQLite allows one writer at a time; a deferred transaction that reads and
//! then writes can fail with SQLITE_BUSY however long it waits. So every
//! write goes through [`Db::write`], a pool of exactly one connection, and
//! reads use [`Db::read`], a pool of several (WAL lets them run beside the
//! writer). In memory there is one connection for both.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::sync::Arc;

use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use crate::config::Storage;
use crate::error::StartError;

/// The database handles.
#[derive(Debug, Clone)]
pub struct Db {
    /// Readers (several connections on disk).
    pub read: SqlitePool,
    /// The single writer.
    pub write: SqlitePool,
    /// In memory: an idle connection that keeps the database alive. The
    /// pool drops a connection whose query was cancelled (a client hung up
    /// mid-request); without this anchor that would drop the database too.
    _anchor: Option<Arc<Mutex<SqliteConnection>>>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(storage: &Storage) -> Result<Self, StartError> {
        let db = match storage {
            Storage::Memory => {
                // sqlx names each `sqlite::memory:` database and opens it in
                // shared-cache mode, so every connection made from these
                // options sees the same database, which lives as long as
                // one of them is open.
                let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
                let anchor = opts.connect().await?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await?;
                Db {
                    read: pool.clone(),
                    write: pool,
                    _anchor: Some(Arc::new(Mutex::new(anchor))),
                }
            }
            Storage::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StartError::Io {
                    path: dir.display().to_string(),
                    source,
                })?;
                let opts = SqliteConnectOptions::new()
                    .filename(dir.join("onair.sqlite3"))
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL + NORMAL: a committed transaction is in the WAL file
                    // before COMMIT returns, so it survives the process being
                    // killed (only a power loss can take the last ones).
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts.clone())
                    .await?;
                let read = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts.read_only(true))
                    .await?;
                Db {
                    read,
                    write,
                    _anchor: None,
                }
            }
        };
        sqlx::migrate!("./migrations").run(&db.write).await?;
        Ok(db)
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
