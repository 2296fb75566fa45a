//! From one address to a service's settings: what the "add a service"
//! form finds before the user confirms it.
//!
//! 1. The API's protected resource metadata (RFC 9728 §3) names the login
//!    server when it is not the API domain (its first
//!    `authorization_servers` entry); its `resource` must be the address
//!    asked (§3.3).
//! 2. That issuer's metadata (RFC 8414 §3.1, then OpenID Connect Discovery
//!    1.0; [`oauth::discover`]) names the endpoints and scopes.
//! 3. A service with neither is a PRISM one (spec §2): its login page and
//!    token endpoint are at their usual paths.

use url::Url;

use crate::error::{Error, Result};
use crate::oauth::{self, Endpoints};
use crate::profile::Profile;

/// The client id onair registers as, unless the user sets another.
pub const DEFAULT_CLIENT_ID: &str = "onair-desktop";

/// What was found at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `https://host[:port]`, as a profile keeps it.
    pub api_domain: String,
    /// The login server, when it is not the API domain.
    pub issuer: Option<String>,
    pub endpoints: Endpoints,
    /// What a login will ask for.
    pub scopes: Vec<String>,
    /// The service's own name for itself (RFC 9728 `resource_name`), else
    /// its host.
    pub name: String,
}

/// What the user may have set besides the address.
#[derive(Debug, Clone, Default)]
pub struct Settings<'a> {
    /// Trusted besides the platform's roots.
    pub pin: Option<&'a str>,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    /// The login server, when the user knows it: the API is not asked.
    pub issuer: Option<&'a str>,
}

/// Looks `address` up (network calls).
pub async fn lookup(address: &str, settings: &Settings<'_>) -> Result<Found> {
    let mut profile = Profile::new("lookup", "lookup", &domain_of(address)?, settings.client_id);
    profile.pinned_sha256 = settings.pin.map(str::to_owned);
    profile.scopes = settings.scopes.to_vec();
    profile.issuer = settings.issuer.map(str::to_owned);
    let pin = settings.pin;
    profile.validate()?;
    let http = crate::tls::http_client(pin)?;
    let domain = profile.domain()?;
    let resource = domain.as_str().trim_end_matches('/');
    let mut name = domain.host_str().unwrap_or("service").to_owned();
    let url = format!("{resource}/.well-known/oauth-protected-resource");
    if profile.issuer.is_none() {
        if let Some(meta) =
            oauth::get_json::<onair_api::ProtectedResourceMetadata>(&http, &url).await?
        {
            if meta.resource.trim_end_matches('/') != resource {
                return Err(Error::profile(
                    "apiDomain",
                    format!(
                        "the service says it is {:?}, not {resource:?} (RFC 9728 §3.3)",
                        meta.resource
                    ),
                ));
            }
            if let Some(n) = meta.resource_name.filter(|n| !n.trim().is_empty()) {
                name = n.trim().chars().take(80).collect();
            }
            profile.issuer = meta
                .authorization_servers
                .into_iter()
                .next()
                .filter(|issuer| issuer.trim_end_matches('/') != resource);
        }
    }
    profile.validate()?;
    let endpoints = oauth::discover(&http, &profile).await?;
    let (scopes, _) = oauth::login_scopes(&profile, &endpoints);
    Ok(Found {
        api_domain: resource.to_owned(),
        issuer: profile.issuer,
        endpoints,
        scopes,
        name,
    })
}

/// The API domain in an address as people type it: `https://` added when
/// no scheme is given; the API's own path (`/prism/v1/service...`) and a
/// trailing `/` dropped.
pub fn domain_of(address: &str) -> Result<String> {
    let address = address.trim();
    let with_scheme = if address.contains("://") {
        address.to_owned()
    } else {
        format!("https://{address}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        Error::profile(
            "apiDomain",
            format!("not an address ({e}); e.g. https://api.example.com"),
        )
    })?;
    if url.path().starts_with(onair_api::BASE_PATH) || url.path() == "/" {
        url.set_path("");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_people_type_them() {
        assert_eq!(
            domain_of("api.example.com").unwrap(),
            "https://api.example.com"
        );
        assert_eq!(
            domain_of(" https://api.example.com/ ").unwrap(),
            "https://api.example.com"
        );
        assert_eq!(
            domain_of("https://api.example.com:8443/prism/v1/service").unwrap(),
            "https://api.example.com:8443"
        );
        // Other paths are kept, for the profile's own check to refuse.
        assert_eq!(
            domain_of("https://api.example.com/x").unwrap(),
            "https://api.example.com/x"
        );
        assert!(domain_of("https://").is_err());
    }
}
