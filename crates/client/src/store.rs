//! Where secrets live: a [`TokenStore`] holds one entry per profile and
//! account with the refresh token and the client secret. The OS keyring
//! ([`KeyringStore`]) in the app, [`MemoryStore`] in unit tests. Access
//! tokens never come here: they live in memory only.
//!
//! The profile's own entry (account `""`) holds the client secret before
//! anyone has logged in.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use onair_api::Secret;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The account of a profile's own entry.
pub const PROFILE_ENTRY: &str = "";

/// What one entry holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// A local tool's password (OBS's WebSocket server; see the app's
    /// OBS entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
}

/// Secret storage, one entry per (profile, account). Calls may block (the
/// keyring talks D-Bus): async callers run them on a blocking thread.
pub trait TokenStore: Send + Sync + fmt::Debug {
    fn load(&self, profile: &str, account: &str) -> Result<Option<Credentials>>;
    fn save(&self, profile: &str, account: &str, credentials: &Credentials) -> Result<()>;
    /// Deleting what is not there is not an error.
    fn delete(&self, profile: &str, account: &str) -> Result<()>;
}

/// Keeps entries in memory: for tests, and for a session the user chose
/// not to remember.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<(String, String), Credentials>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("MemoryStore").field("entries", &n).finish()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self, profile: &str, account: &str) -> Result<Option<Credentials>> {
        let entries = self.entries.lock().expect("store lock");
        Ok(entries
            .get(&(profile.to_owned(), account.to_owned()))
            .cloned())
    }

    fn save(&self, profile: &str, account: &str, credentials: &Credentials) -> Result<()> {
        let mut entries = self.entries.lock().expect("store lock");
        entries.insert(
            (profile.to_owned(), account.to_owned()),
            credentials.clone(),
        );
        Ok(())
    }

    fn delete(&self, profile: &str, account: &str) -> Result<()> {
        let mut entries = self.entries.lock().expect("store lock");
        entries.remove(&(profile.to_owned(), account.to_owned()));
        Ok(())
    }
}

/// The OS keyring through the `keyring` crate: Secret Service (cached in
/// the kernel keyring) on Linux, Keychain on macOS, Credential Manager on
/// Windows. Entry: service `onair`, user `{profile}/{account}`, the
/// secret a small JSON document.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new("onair")
    }
}

/// Version of the JSON kept in an entry.
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    #[serde(flatten)]
    credentials: Credentials,
}

impl KeyringStore {
    /// Entries under another service name (tests use their own).
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, profile: &str, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("{profile}/{account}")).map_err(storage)
    }
}

fn storage(e: keyring::Error) -> Error {
    Error::Storage(format!("OS keyring: {e}"))
}

impl TokenStore for KeyringStore {
    fn load(&self, profile: &str, account: &str) -> Result<Option<Credentials>> {
        match self.entry(profile, account)?.get_password() {
            Ok(text) => {
                let stored: Stored = serde_json::from_str(&text).map_err(|_| {
                    Error::Storage(
                        "OS keyring: an onair entry is not in a format this build reads".into(),
                    )
                })?;
                Ok(Some(stored.credentials))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    fn save(&self, profile: &str, account: &str, credentials: &Credentials) -> Result<()> {
        let text = serde_json::to_string(&Stored {
            v: 1,
            credentials: credentials.clone(),
        })
        .expect("credentials serialise");
        self.entry(profile, account)?
            .set_password(&text)
            .map_err(storage)
    }

    fn delete(&self, profile: &str, account: &str) -> Result<()> {
        match self.entry(profile, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }
}

/// How long a store call may take. The Secret Service waits on its unlock
/// prompt for as long as it stays open (a year, for dbus-secret-service):
/// past this the caller gets an error instead of waiting on, and the call
/// finishes, or not, on its own thread.
const PATIENCE: Duration = Duration::from_secs(120);

/// Runs a store call on a blocking thread, for at most [`PATIENCE`].
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let began = std::time::Instant::now();
    let outcome = tokio::time::timeout(PATIENCE, tokio::task::spawn_blocking(f)).await;
    let took = began.elapsed();
    if took > Duration::from_secs(2) {
        tracing::warn!(
            ms = took.as_millis() as u64,
            "the secret store was slow to answer"
        );
    }
    match outcome {
        Ok(joined) => joined.map_err(|e| Error::Storage(format!("store task: {e}")))?,
        Err(_) => Err(Error::Storage(format!(
            "the OS keyring did not answer in {} s (locked, with its unlock prompt \
             still open?)",
            PATIENCE.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip_and_redaction() {
        let store = MemoryStore::default();
        assert_eq!(store.load("p", "a").unwrap(), None);
        let creds = Credentials {
            refresh_token: Some(Secret::new("RT-123")),
            client_secret: None,
            password: None,
        };
        store.save("p", "a", &creds).unwrap();
        assert_eq!(store.load("p", "a").unwrap(), Some(creds.clone()));
        assert!(!format!("{creds:?} {store:?}").contains("RT-123"));
        store.delete("p", "a").unwrap();
        store.delete("p", "a").unwrap();
        assert_eq!(store.load("p", "a").unwrap(), None);
    }
}
