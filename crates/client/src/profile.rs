//! Service profiles: which service onair talks to and how, persisted as a
//! versioned JSON file in the platform config dir. No secret is ever in it:
//! a client secret lives in the [`TokenStore`](crate::store::TokenStore).

use std::path::{Path, PathBuf};

use onair_api::OptionalApi;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};

/// How the service's token endpoint is called (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenForm {
    /// RFC 8414 discovery decides: the metadata's RFC 6749 endpoints when
    /// the service publishes them, else the PRISM form.
    #[default]
    Auto,
    /// `GET /prism/v1/service/oauth2/token` with `x-prism-client-*`
    /// headers: what every PRISM partner service has.
    Prism,
    /// RFC 6749 §3.2 `POST /oauth/token` with a form body.
    Rfc,
}

impl TokenForm {
    /// Every form, in declaration order.
    pub const ALL: [TokenForm; 3] = [TokenForm::Auto, TokenForm::Prism, TokenForm::Rfc];
}

/// One service onair can log in to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Stable key: lowercase letters, digits and `-`, at most 40.
    pub id: String,
    /// Shown to the user.
    pub name: String,
    /// `https://host[:port]`: the service API lives under
    /// `{apiDomain}/prism/v1/service` (spec §1).
    pub api_domain: String,
    /// The login server, when it is not the API domain: an OAuth 2.0 /
    /// OpenID Connect issuer (`https://…`, a path allowed, as a Keycloak
    /// realm's). Its metadata (RFC 8414, OpenID Connect Discovery 1.0)
    /// names the endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The login page; default `{apiDomain}/oauth/authorize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    pub client_id: String,
    /// Whether a client secret is kept in the token store for this profile.
    #[serde(default)]
    pub has_client_secret: bool,
    /// How to call the token endpoint; `auto` discovers it.
    #[serde(default)]
    pub token_form: TokenForm,
    /// Optional APIs (spec §4) when the service offers no `/capabilities`.
    #[serde(default)]
    pub optional_apis: Vec<OptionalApi>,
    /// OAuth scopes to ask for; none by default, as PRISM services expect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// SHA-256 of the service's certificate (`AB:CD:...` or plain hex),
    /// trusted besides the platform's roots (the embedded service's
    /// self-signed certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_sha256: Option<String>,
    /// The account that logged in last (a user id, not a secret), so the
    /// app can restore its login from the keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_account: Option<String>,
}

impl Profile {
    /// A profile with defaults for everything optional.
    pub fn new(id: &str, name: &str, api_domain: &str, client_id: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            api_domain: api_domain.to_owned(),
            issuer: None,
            authorize_url: None,
            client_id: client_id.to_owned(),
            has_client_secret: false,
            token_form: TokenForm::default(),
            optional_apis: Vec::new(),
            scopes: Vec::new(),
            pinned_sha256: None,
            last_account: None,
        }
    }

    /// Checks every field; the error names the first wrong one.
    pub fn validate(&self) -> Result<()> {
        let id_ok = (1..=40).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(Error::profile(
                "id",
                "use 1 to 40 lowercase letters, digits or '-'",
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(Error::profile(
                "name",
                "give a name of 1 to 80 characters on one line",
            ));
        }
        self.domain()?;
        self.issuer_url()?;
        self.authorize()?;
        if self.client_id.is_empty()
            || self.client_id.len() > 200
            || !self.client_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::profile(
                "clientId",
                "give the client id the service registered (letters, digits, no spaces)",
            ));
        }
        if let Some(scope) = self.scopes.iter().find(|s| {
            s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        }) {
            return Err(Error::profile(
                "scopes",
                format!("{scope:?} is not a valid scope (RFC 6749 §3.3)"),
            ));
        }
        if let Some(pin) = &self.pinned_sha256 {
            crate::tls::parse_fingerprint(pin)?;
        }
        Ok(())
    }

    /// The API domain as a URL (`https`, no path, query or credentials).
    pub fn domain(&self) -> Result<Url> {
        let field = "apiDomain";
        let url = Url::parse(self.api_domain.trim()).map_err(|e| {
            Error::profile(
                field,
                format!("not a URL ({e}); e.g. https://api.example.com"),
            )
        })?;
        if url.scheme() != "https" {
            return Err(Error::profile(
                field,
                "the service API is HTTPS only (spec §1)",
            ));
        }
        if url.host().is_none() {
            return Err(Error::profile(field, "no host name"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::profile(
                field,
                "must not carry a user name or password",
            ));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::profile(
                field,
                "give the domain only, without a path (the API is under /prism/v1/service)",
            ));
        }
        Ok(url)
    }

    /// The issuer whose metadata names the endpoints: the profile's
    /// `issuer`, else the API domain. An https URL without query or
    /// fragment (RFC 8414 §2); as text, without a trailing `/` when it has
    /// no path, as servers write it.
    pub fn issuer_url(&self) -> Result<String> {
        let Some(raw) = &self.issuer else {
            return Ok(self.domain()?.as_str().trim_end_matches('/').to_owned());
        };
        let field = "issuer";
        let raw = raw.trim();
        let url = Url::parse(raw).map_err(|e| {
            Error::profile(
                field,
                format!("not a URL ({e}); e.g. https://login.example.com/realms/main"),
            )
        })?;
        if url.scheme() != "https" {
            return Err(Error::profile(
                field,
                "an issuer is an https URL (RFC 8414 §2)",
            ));
        }
        if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(Error::profile(
                field,
                "give a host, and no user name or password",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::profile(
                field,
                "an issuer has no query or fragment (RFC 8414 §2)",
            ));
        }
        if raw.len() > 300 {
            return Err(Error::profile(field, "at most 300 characters"));
        }
        Ok(if url.path() == "/" {
            url.as_str().trim_end_matches('/').to_owned()
        } else {
            raw.to_owned()
        })
    }

    /// The login page URL.
    pub fn authorize(&self) -> Result<Url> {
        match &self.authorize_url {
            None => Ok(self
                .domain()?
                .join("/oauth/authorize")
                .expect("static path")),
            Some(raw) => {
                let url = Url::parse(raw.trim())
                    .map_err(|e| Error::profile("authorizeUrl", format!("not a URL ({e})")))?;
                if url.scheme() != "https" {
                    return Err(Error::profile("authorizeUrl", "must be https"));
                }
                if raw.len() > 100 {
                    // Spec §2: services register at most 100 characters.
                    return Err(Error::profile("authorizeUrl", "at most 100 characters"));
                }
                Ok(url)
            }
        }
    }

    /// `{apiDomain}` + `path`.
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        self.domain()?
            .join(path)
            .map_err(|e| Error::profile("apiDomain", e.to_string()))
    }

    /// The token endpoint of the profile's own [`TokenForm`].
    pub fn token_url(&self) -> Result<Url> {
        self.url(match self.token_form {
            TokenForm::Auto | TokenForm::Prism => "/prism/v1/service/oauth2/token",
            TokenForm::Rfc => "/oauth/token",
        })
    }
}

/// The profiles file: `{"version": 1, "profiles": [...], "current": "id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profiles {
    pub version: u32,
    pub profiles: Vec<Profile>,
    /// The service in use when the app last ran (it opens there again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current: Option<String>,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            version: Self::VERSION,
            profiles: Vec::new(),
            current: None,
        }
    }
}

impl Profiles {
    /// The file format this build reads and writes.
    pub const VERSION: u32 = 1;

    /// `{config dir}/onair/profiles.json`.
    pub fn default_path() -> PathBuf {
        dirs::config_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("onair")
            .join("profiles.json")
    }

    /// Reads the file; a missing file is an empty list. Bad data is an
    /// error naming the field (and line) at fault; nothing is overwritten.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(Error::Storage(format!("{}: {e}", path.display()))),
        };
        Self::parse(&text)
    }

    /// Parses and validates the file's text.
    pub fn parse(text: &str) -> Result<Self> {
        let head: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::profile("profiles.json", e.to_string()))?;
        match head.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(Self::VERSION) => {}
            Some(v) => {
                return Err(Error::profile(
                    "version",
                    format!(
                        "version {v} is not one this onair reads (it reads {})",
                        Self::VERSION
                    ),
                ))
            }
            None => return Err(Error::profile("version", "missing")),
        }
        let mut profiles: Vec<serde_json::Value> = match head.get("profiles") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            _ => return Err(Error::profile("profiles", "must be a list")),
        };
        let mut out = Vec::with_capacity(profiles.len());
        for (i, raw) in profiles.drain(..).enumerate() {
            let p: Profile = serde_json::from_value(raw)
                .map_err(|e| Error::profile(&format!("profiles[{i}]"), e.to_string()))?;
            p.validate().map_err(|e| match e {
                Error::Profile { field, message } => Error::Profile {
                    field: format!("profiles[{i}].{field}"),
                    message,
                },
                other => other,
            })?;
            if out.iter().any(|o: &Profile| o.id == p.id) {
                return Err(Error::profile(
                    &format!("profiles[{i}].id"),
                    format!("{:?} appears twice", p.id),
                ));
            }
            out.push(p);
        }
        // State rather than configuration: a current profile that is not
        // (or no longer) in the list is simply none.
        let current = head
            .get("current")
            .and_then(serde_json::Value::as_str)
            .filter(|id| out.iter().any(|p| p.id == *id))
            .map(str::to_owned);
        Ok(Self {
            version: Self::VERSION,
            profiles: out,
            current,
        })
    }

    /// Writes the file atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<()> {
        let storage = |e: std::io::Error| Error::Storage(format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(storage)?;
        }
        let text = serde_json::to_string_pretty(self).expect("profiles serialise");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n").map_err(storage)?;
        std::fs::rename(&tmp, path).map_err(storage)
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// Adds or replaces (by id) a validated profile.
    pub fn upsert(&mut self, profile: Profile) -> Result<()> {
        profile.validate()?;
        match self.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(p) => *p = profile,
            None => self.profiles.push(profile),
        }
        Ok(())
    }

    /// Removes a profile; true when it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.profiles.len();
        self.profiles.retain(|p| p.id != id);
        if self.current.as_deref() == Some(id) {
            self.current = None;
        }
        before != self.profiles.len()
    }

    /// The profile in use when the app last ran.
    pub fn current(&self) -> Option<&Profile> {
        self.current.as_deref().and_then(|id| self.get(id))
    }

    /// Marks a listed profile as the one in use (`None`: the picker).
    pub fn set_current(&mut self, id: Option<&str>) -> Result<()> {
        if let Some(id) = id {
            if self.get(id).is_none() {
                return Err(Error::profile("current", format!("no profile {id:?}")));
            }
        }
        self.current = id.map(str::to_owned);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Profile {
        Profile::new("demo", "Demo", "https://127.0.0.1:8443", "onair-desktop")
    }

    #[test]
    fn round_trip_and_defaults() {
        let mut all = Profiles::default();
        all.upsert(good()).unwrap();
        let text = serde_json::to_string(&all).unwrap();
        assert!(!text.contains("secret\""), "no secret field: {text}");
        let back = Profiles::parse(&text).unwrap();
        assert_eq!(back, all);
        assert!(back.current().is_none());
        let p = &back.profiles[0];
        assert_eq!(p.token_form, TokenForm::Auto);
        assert_eq!(
            p.authorize().unwrap().as_str(),
            "https://127.0.0.1:8443/oauth/authorize"
        );
        assert_eq!(
            p.token_url().unwrap().as_str(),
            "https://127.0.0.1:8443/prism/v1/service/oauth2/token"
        );
    }

    #[test]
    fn the_current_profile_round_trips_and_follows_the_list() {
        let mut all = Profiles::default();
        all.upsert(good()).unwrap();
        assert!(all.set_current(Some("other")).is_err());
        all.set_current(Some("demo")).unwrap();
        let back = Profiles::parse(&serde_json::to_string(&all).unwrap()).unwrap();
        assert_eq!(back.current().map(|p| p.id.as_str()), Some("demo"));
        // A stale id in the file is no current profile, not an error.
        let stale =
            Profiles::parse(r#"{"version": 1, "profiles": [], "current": "gone"}"#).unwrap();
        assert!(stale.current().is_none());
        // ... and it is not written back.
        let written = |p: &Profiles| serde_json::to_string(p).unwrap();
        assert!(!written(&stale).contains("current"));
        let mut all = back;
        all.remove("demo");
        assert!(all.current().is_none());
        assert!(!written(&all).contains("current"), "{}", written(&all));
    }

    #[test]
    fn bad_data_names_the_field() {
        let field = |text: &str| match Profiles::parse(text) {
            Err(Error::Profile { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(r#"{"version": 2, "profiles": []}"#), "version");
        assert_eq!(field(r#"{"profiles": []}"#), "version");
        assert_eq!(field("not json"), "profiles.json");
        let p = |patch: &str| {
            format!(
                r#"{{"version":1,"profiles":[{{"id":"a","name":"A","apiDomain":"https://x.example","clientId":"c"{patch}}}]}}"#
            )
        };
        Profiles::parse(&p("")).unwrap();
        assert_eq!(
            field(
                &p(r#","apiDomain":"http://x.example""#)
                    .replace(r#""apiDomain":"https://x.example","#, "")
            ),
            "profiles[0].apiDomain"
        );
        assert_eq!(field(&p(r#","tokenForm":"soap""#)), "profiles[0]");
        assert_eq!(
            field(&p(r#","pinnedSha256":"zz""#)),
            "profiles[0].pinnedSha256"
        );
        assert_eq!(field(&p(r#","scopes":["a b"]"#)), "profiles[0].scopes");
        assert_eq!(
            field(&p(r#","authorizeUrl":"ftp://x""#)),
            "profiles[0].authorizeUrl"
        );
        let mut bad = good();
        bad.api_domain = "https://x.example/api".into();
        assert!(
            matches!(bad.validate(), Err(Error::Profile { field, .. }) if field == "apiDomain")
        );
        bad = good();
        bad.id = "Has Space".into();
        assert!(matches!(bad.validate(), Err(Error::Profile { field, .. }) if field == "id"));
        bad = good();
        bad.client_id = "two words".into();
        assert!(matches!(bad.validate(), Err(Error::Profile { field, .. }) if field == "clientId"));
    }

    #[test]
    fn file_is_written_atomically_and_missing_is_empty() {
        let dir = std::env::temp_dir().join(format!("onair-profiles-{}", std::process::id()));
        let path = dir.join("profiles.json");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(Profiles::load(&path).unwrap().profiles.is_empty());
        let mut all = Profiles::load(&path).unwrap();
        all.upsert(good()).unwrap();
        all.save(&path).unwrap();
        assert_eq!(Profiles::load(&path).unwrap(), all);
        assert!(!path.with_extension("json.tmp").exists());
        std::fs::write(&path, "{").unwrap();
        assert!(Profiles::load(&path).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{",
            "bad file left as it was"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
