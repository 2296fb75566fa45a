//! Services (profiles) and the login: which service is in use, adding
//! one from the form, the browser login (RFC 8252 with PKCE, through
//! onair-client) and its outcome, the logout, and the stored login
//! restored at start.

use std::path::Path;

use onair_api::{OptionalApi, Secret, User};
use onair_client::{Client, Connector, Profile, Profiles, TokenForm};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::{Desk, DeskEvent};

/// The id of the built-in demo service's profile.
pub const DEMO_PROFILE: &str = "demo";

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub profile: Profile,
    pub user: User,
    /// The optional APIs (spec §4) in use.
    pub optional_apis: Vec<OptionalApi>,
    /// The onair extensions the service offers (`INGEST`).
    pub extensions: Vec<onair_api::Extension>,
}

/// What the app shows at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub profiles: Vec<Profile>,
    /// The profile in use (logged in or not).
    pub active: Option<Profile>,
    pub session: Option<Session>,
    /// Waiting for the browser.
    pub login_pending: bool,
}

/// The "add a service" form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewProfile {
    pub name: String,
    pub api_domain: String,
    /// The login server, when it is not the API domain.
    pub issuer: Option<String>,
    pub client_id: String,
    /// Scopes to ask for; none: what the login server advertises.
    pub scopes: Vec<String>,
    /// Kept in the OS keyring, never in the profiles file.
    pub client_secret: Option<String>,
    #[ts(type = "TokenForm")]
    pub token_form: TokenForm,
    /// Used when the service has no `/capabilities`.
    #[ts(type = "OptionalApi[]")]
    pub optional_apis: Vec<OptionalApi>,
    pub pinned_sha256: Option<String>,
}

/// The first step of the "add a service" form: an address, and what the
/// user may have set under "Advanced".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LookupInput {
    pub address: String,
    /// Set by the user: the API is not asked where its login server is.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub pinned_sha256: Option<String>,
    pub scopes: Vec<String>,
}

/// What was found at an address, for the user to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLookup {
    /// The service's name for itself, else its host.
    pub name: String,
    pub api_domain: String,
    /// The login server, when it is not the API domain.
    pub issuer: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    /// `rfc` (an OAuth server's metadata was found) or `prism`.
    #[ts(type = "TokenForm")]
    pub token_form: TokenForm,
    pub revocation: bool,
    /// Who logged in can come from the login server (OpenID Connect).
    pub userinfo: bool,
    /// Logins are pushed first (RFC 9126).
    pub pushed: bool,
    /// What a login will ask for.
    pub scopes: Vec<String>,
    /// The client id the profile will use.
    pub client_id: String,
}

impl Desk {
    /// Looks a service up from its address (RFC 9728, RFC 8414, OpenID
    /// Connect Discovery) for the form to show before it is added.
    pub async fn lookup_service(&self, input: LookupInput) -> Result<ServiceLookup> {
        let client_id = input
            .client_id
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| onair_client::lookup::DEFAULT_CLIENT_ID.to_owned());
        let pin = input.pinned_sha256.filter(|s| !s.trim().is_empty());
        let issuer = input.issuer.filter(|s| !s.trim().is_empty());
        let settings = onair_client::lookup::Settings {
            pin: pin.as_deref(),
            client_id: &client_id,
            scopes: &input.scopes,
            issuer: issuer.as_deref(),
        };
        let found = onair_client::lookup::lookup(&input.address, &settings).await?;
        Ok(ServiceLookup {
            name: found.name,
            api_domain: found.api_domain,
            issuer: found.issuer,
            authorize_url: found.endpoints.authorize.to_string(),
            token_url: found.endpoints.token.to_string(),
            token_form: found.endpoints.form,
            revocation: found.endpoints.revocation.is_some(),
            userinfo: found.endpoints.userinfo.is_some(),
            pushed: found.endpoints.par_required,
            scopes: found.scopes,
            client_id,
        })
    }

    fn profiles(&self) -> Result<Profiles> {
        Ok(Profiles::load(&self.profiles_path)?)
    }

    /// What the app shows now.
    pub async fn view(&self) -> Result<AppState> {
        let profiles = self.profiles()?;
        let (active, signed_in, login_pending) = {
            let st = self.state.lock().await;
            (
                st.connector.as_ref().map(|c| c.profile().clone()),
                st.client.clone().zip(st.user.clone()),
                st.login_pending,
            )
        };
        // The capabilities call (first time only) runs without the lock.
        let session = match signed_in {
            Some((client, user)) => Some(session(&client, &user).await),
            None => None,
        };
        Ok(AppState {
            profiles: profiles.profiles,
            active,
            session,
            login_pending,
        })
    }

    /// Adds a service from the form; the error names the field at fault.
    /// The client secret goes to the keyring, not the profiles file.
    pub async fn add_profile(&self, input: NewProfile) -> Result<Profile> {
        let mut all = self.profiles()?;
        let id = free_id(&all, &input.name);
        let mut p = Profile::new(
            &id,
            input.name.trim(),
            input.api_domain.trim(),
            input.client_id.trim(),
        );
        p.token_form = input.token_form;
        p.issuer = input.issuer.filter(|s| !s.trim().is_empty());
        p.scopes = input.scopes;
        p.optional_apis = input.optional_apis;
        p.pinned_sha256 = input.pinned_sha256.filter(|s| !s.trim().is_empty());
        let secret = input.client_secret.filter(|s| !s.is_empty());
        p.has_client_secret = secret.is_some();
        p.validate()?;
        Connector::save_client_secret(self.store.clone(), &id, secret.map(Secret::new)).await?;
        all.upsert(p.clone())?;
        all.save(&self.profiles_path)?;
        Ok(p)
    }

    /// Switches to a saved service (the demo starts its embedded service).
    pub async fn choose_profile(&self, id: &str) -> Result<AppState> {
        if id == DEMO_PROFILE {
            return self.start_demo(false).await;
        }
        let profile = self
            .profiles()?
            .get(id)
            .cloned()
            .ok_or_else(|| Error::NoSuchProfile(id.to_owned()))?;
        self.use_profile(profile).await
    }

    /// At start: back to the service in use when the app last ran (its
    /// login restored from the keyring); `None` when there was none.
    pub async fn resume(&self) -> Option<Result<AppState>> {
        let id = self.profiles().ok()?.current()?.id.clone();
        Some(self.choose_profile(&id).await)
    }

    /// Remembers the service in use, so the next start opens it again. Only
    /// a convenience: a failure is logged, never shown.
    fn remember_current(&self, id: Option<&str>) {
        if let Err(e) = update_profiles(&self.profiles_path, |all| all.set_current(id)) {
            tracing::warn!(error = %e, "current service not saved");
        }
    }

    /// Back to the service picker; the login stays stored.
    pub async fn leave_profile(&self) -> Result<AppState> {
        self.remember_current(None);
        {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.client = None;
            st.user = None;
            st.set_connector(None);
        }
        self.slot.cancel();
        self.emit(DeskEvent::Air(crate::Air::Off));
        self.view().await
    }

    /// Makes `profile` the current service and restores its last login.
    pub(crate) async fn use_profile(&self, profile: Profile) -> Result<AppState> {
        self.slot.cancel();
        let connector = Connector::new(profile.clone(), self.store.clone()).await?;
        self.remember_current(Some(&profile.id));
        let restored = match connector
            .restore_saved(profile.last_account.as_deref())
            .await
        {
            Ok(Some(client)) => match client.whoami().await {
                Ok(user) => {
                    tracing::info!(profile = %profile.id, "stored login restored");
                    if let Some(account) = client.account() {
                        if profile.last_account.as_deref() != Some(&account) {
                            remember_account(&self.profiles_path, &profile.id, &account);
                        }
                    }
                    Some((client, user))
                }
                // Still stored (only a refused refresh forgets it): the
                // next start tries again.
                Err(e) => {
                    tracing::info!(error = %e, "stored login not usable now");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "keyring");
                None
            }
        };
        {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.set_connector(Some(connector));
            (st.client, st.user) = restored.unzip();
        }
        self.view().await
    }

    /// Starts a browser login; returns the URL (for "copy login URL"). The
    /// outcome comes as [`DeskEvent::LoginFinished`].
    pub async fn login(&self) -> Result<String> {
        let connector = self
            .state
            .lock()
            .await
            .connector
            .clone()
            .ok_or(Error::NoProfile)?;
        let pending = connector.start_login(&self.slot).await?;
        let url = pending.url().to_string();
        if let Err(e) = pending.open_browser() {
            tracing::warn!(error = %e, "no browser opened; the user can copy the URL");
        }
        let attempt = {
            let mut st = self.state.lock().await;
            st.login_pending = true;
            st.login_attempt += 1;
            st.login_attempt
        };
        let state = self.state.clone();
        let events = self.events.clone();
        let profiles_path = self.profiles_path.clone();
        tokio::spawn(async move {
            let outcome = connector.complete_login(pending).await;
            let mut st = state.lock().await;
            // A newer login, or another service chosen meanwhile: this
            // outcome is not for the screen any more.
            let current = st.login_attempt == attempt
                && st.connector.as_ref().map(|c| &c.profile().id) == Some(&connector.profile().id);
            if !current {
                return;
            }
            st.login_pending = false;
            // A login whose user cannot be named (no `GET /user`, no
            // OpenID Connect) is still a login: it is kept, and shown
            // without a name.
            let outcome = outcome.and_then(|done| match done.user {
                Err(e @ onair_client::Error::LoginRequired) => Err(e),
                user => Ok((unnamed(user), done.client)),
            });
            let result = match outcome {
                Ok((user, client)) => {
                    if let Some(account) = client.account() {
                        remember_account(&profiles_path, &connector.profile().id, &account);
                    }
                    st.stop_watching();
                    st.client = Some(client.clone());
                    st.user = Some(user.clone());
                    drop(st);
                    Ok(session(&client, &user).await)
                }
                Err(e) => Err(e.into()),
            };
            let _ = events.send(DeskEvent::LoginFinished(result));
        });
        Ok(url)
    }

    /// Gives up the browser login that is waiting, if one is.
    pub fn cancel_login(&self) {
        self.slot.cancel();
    }

    /// Revokes the login and forgets it (keyring entry included).
    pub async fn logout(&self) -> Result<()> {
        let client = {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.user = None;
            st.client.take()
        };
        self.emit(DeskEvent::Air(crate::Air::Off));
        if let Some(client) = client {
            client.logout().await?;
        }
        Ok(())
    }

    /// The demo's profile, pointing at the embedded service now running
    /// at `base_url` (a new port every start), made the current one.
    #[cfg_attr(not(feature = "demo"), allow(dead_code))]
    pub(crate) fn demo_profile(
        &self,
        base_url: &str,
        fingerprint: Option<&str>,
        fresh: bool,
    ) -> Result<Profile> {
        let mut all = self.profiles()?;
        let mut p = all.get(DEMO_PROFILE).cloned().unwrap_or_else(|| {
            Profile::new(
                DEMO_PROFILE,
                "Built-in demo service",
                base_url,
                "onair-desktop",
            )
        });
        p.api_domain = base_url.to_owned();
        p.pinned_sha256 = fingerprint.map(str::to_owned);
        p.optional_apis = OptionalApi::ALL.to_vec();
        if fresh {
            p.last_account = None;
        }
        all.upsert(p.clone())?;
        all.set_current(Some(DEMO_PROFILE))?;
        all.save(&self.profiles_path)?;
        Ok(p)
    }
}

/// A profile id from a service's name (`My Service!` → `my-service`),
/// unused among `all`; never the demo's.
fn free_id(all: &Profiles, name: &str) -> String {
    let base: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let base = if base.is_empty() || base == DEMO_PROFILE {
        "service".to_owned()
    } else {
        base.chars().take(32).collect()
    };
    let mut id = base.clone();
    let mut n = 2;
    while all.get(&id).is_some() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The user of a login, or, when nobody could say who that is, a user
/// with no id and no name (never "me" in a chat).
fn unnamed(user: onair_client::Result<User>) -> User {
    user.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "logged in, but the service did not say as whom");
        User {
            user_id: "".into(),
            user_name: String::new(),
            profile_thumbnail: None,
        }
    })
}

async fn session(client: &Client, user: &User) -> Session {
    Session {
        profile: client.profile().clone(),
        user: user.clone(),
        optional_apis: client.optional_apis().await.unwrap_or_default(),
        extensions: client.extensions().await.unwrap_or_default(),
    }
}

/// Notes the account in the profile (not a secret) so the next start can
/// restore its login from the keyring.
fn remember_account(path: &Path, profile_id: &str, account: &str) {
    let noted = update_profiles(path, |all| match all.get(profile_id).cloned() {
        Some(mut p) => {
            p.last_account = Some(account.to_owned());
            all.upsert(p)
        }
        None => Ok(()),
    });
    if let Err(e) = noted {
        tracing::warn!(error = %e, "could not remember the account");
    }
}

/// Reads the profiles file, changes it, and writes it back when the change
/// changed something.
fn update_profiles(
    path: &Path,
    change: impl FnOnce(&mut Profiles) -> onair_client::Result<()>,
) -> onair_client::Result<()> {
    let mut all = Profiles::load(path)?;
    let before = all.clone();
    change(&mut all)?;
    if all != before {
        all.save(path)?;
    }
    Ok(())
}

/// Whether this build carries the embedded demo service.
pub const HAS_DEMO: bool = cfg!(feature = "demo");

#[cfg(not(feature = "demo"))]
impl Desk {
    /// This build has no embedded service: says so.
    pub async fn start_demo(&self, _fresh: bool) -> Result<AppState> {
        Err(Error::Demo(
            "this build of onair has no demo service (built without the `demo` feature)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;

    #[test]
    fn profile_ids_come_from_names_and_never_clash() {
        let mut all = Profiles::default();
        assert_eq!(free_id(&all, "  My Service!  "), "my-service");
        assert_eq!(free_id(&all, "Demo"), "service");
        assert_eq!(free_id(&all, "방송"), "service");
        all.upsert(Profile::new("my-service", "x", "https://x.example", "c"))
            .unwrap();
        assert_eq!(free_id(&all, "my service"), "my-service-2");
    }

    #[test]
    fn a_profile_error_names_its_field() {
        let e = Error::from(onair_client::Error::Profile {
            field: "apiDomain".into(),
            message: "use https".into(),
        });
        assert_eq!(e.field(), Some(Field::ApiDomain));
        assert_eq!(e.message(), "use https");
    }
}
