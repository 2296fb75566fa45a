//! Who logged in, from the login server's side (OpenID Connect Core 1.0),
//! for services whose API cannot say (no `GET /user`, or it fails): the
//! ID token of the login, checked as §3.1.3.7 asks, and the userinfo
//! endpoint (§5.3). The JWS checks are [`onair_api::jose`]'s.

use onair_api::jose::{self, Expect, Jwks};
use onair_api::Secret;
use serde::Deserialize;
use url::Url;

use crate::error::{Error, LoginError, Result};
use crate::oauth::Endpoints;

/// A person at an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// OpenID Connect Core §2: unique and never reassigned at the issuer.
    pub sub: String,
    /// `name`, else `preferred_username`.
    pub name: Option<String>,
}

impl Identity {
    /// The key a login of this person is stored under: the issuer plus
    /// `sub` (only that pair is unique, §5.7). `#` cannot be in an issuer.
    pub fn account(&self) -> String {
        format!("{}#{}", self.issuer, self.sub)
    }

    /// What to call them.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.sub)
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(flatten)]
    names: jose::Names,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    aud: Audience,
}

/// `aud`: one string or several (the values are checked by `jose`).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    One(#[allow(dead_code)] String),
    Many(Vec<String>),
}

impl Claims {
    fn name(&self) -> Option<String> {
        self.names.best()
    }
}

/// The issuer's keys (`jwks_uri`).
pub async fn jwks(http: &reqwest::Client, url: &Url) -> Result<Jwks> {
    let resp = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(Error::transport)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(Error::Server {
            status: status.as_u16(),
            message: "the login server's keys (jwks_uri) did not answer".into(),
            retry_after: None,
        });
    }
    resp.json().await.map_err(|e| Error::Server {
        status: status.as_u16(),
        message: format!("the login server's keys: {e}"),
        retry_after: None,
    })
}

/// OpenID Connect Core §3.1.3.7 (and §12.2 after a refresh, `nonce` then
/// `None`): signed by a key of the issuer's JWKS, `iss` the issuer, `aud`
/// the client (and `azp` the client when there are several), not expired,
/// the login's `nonce`.
pub async fn check_id_token(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    client_id: &str,
    token: &Secret,
    nonce: Option<&str>,
) -> Result<Identity> {
    let bad = |m: String| Error::from(LoginError::IdToken(m));
    let issuer = endpoints
        .issuer
        .as_deref()
        .ok_or_else(|| bad("the login server published no issuer".into()))?;
    let url = endpoints
        .jwks
        .as_ref()
        .ok_or_else(|| bad("the login server publishes no keys (jwks_uri)".into()))?;
    let keys = jwks(http, url).await?;
    let expect = Expect {
        issuer,
        audience: Some(client_id),
        access_token: false,
        // The user's clock may be off by a minute: an ID token is read
        // once, right after it is made.
        leeway_secs: 60,
    };
    let claims: Claims =
        jose::verify(token.expose(), &keys, &expect).map_err(|e| bad(e.to_string()))?;
    check_claims(&claims, client_id, nonce).map_err(|m| bad(m.to_owned()))?;
    Ok(Identity {
        issuer: issuer.to_owned(),
        name: claims.name(),
        sub: claims.sub,
    })
}

/// §3.1.3.7 items 4 and 11, after the signature, `iss`, `aud` and `exp`
/// checks: `azp` when there are several audiences, and the `nonce`.
fn check_claims(
    claims: &Claims,
    client_id: &str,
    nonce: Option<&str>,
) -> std::result::Result<(), &'static str> {
    if let Audience::Many(aud) = &claims.aud {
        if aud.len() > 1 && claims.azp.as_deref() != Some(client_id) {
            return Err("several audiences and azp is not this app");
        }
    }
    if let Some(nonce) = nonce {
        if claims.nonce.as_deref() != Some(nonce) {
            return Err("its nonce is not this login's");
        }
    }
    Ok(())
}

/// `GET` the userinfo endpoint (§5.3.1) with the access token; `None`
/// when the server has none or refuses the token (a JWT access token for
/// the API may not be good for userinfo).
pub async fn userinfo(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    access: &Secret,
) -> Result<Option<Identity>> {
    let (Some(url), Some(issuer)) = (&endpoints.userinfo, &endpoints.issuer) else {
        return Ok(None);
    };
    let resp = http
        .get(url.clone())
        .bearer_auth(access.expose())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(Error::transport)?;
    if resp.status().is_client_error() {
        return Ok(None);
    }
    let status = resp.status();
    if !status.is_success() {
        return Err(Error::Server {
            status: status.as_u16(),
            message: "the userinfo endpoint failed".into(),
            retry_after: None,
        });
    }
    // A signed userinfo (application/jwt) is not asked for; JSON only.
    let claims: Claims = resp.json().await.map_err(|e| Error::Server {
        status: status.as_u16(),
        message: format!("userinfo: {e}"),
        retry_after: None,
    })?;
    Ok(Some(Identity {
        issuer: issuer.clone(),
        name: claims.name(),
        sub: claims.sub,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: serde_json::Value) -> Claims {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn nonce_and_authorized_party() {
        let one = claims(serde_json::json!({"sub": "u", "aud": "app", "nonce": "N"}));
        assert_eq!(check_claims(&one, "app", Some("N")), Ok(()));
        assert_eq!(check_claims(&one, "app", None), Ok(()), "after a refresh");
        assert!(check_claims(&one, "app", Some("other")).is_err());
        let no_nonce = claims(serde_json::json!({"sub": "u", "aud": "app"}));
        assert!(check_claims(&no_nonce, "app", Some("N")).is_err());
        let many = claims(serde_json::json!({"sub": "u", "aud": ["app", "api"], "nonce": "N"}));
        assert!(check_claims(&many, "app", Some("N")).is_err(), "no azp");
        let ours = claims(
            serde_json::json!({"sub": "u", "aud": ["app", "api"], "azp": "app", "nonce": "N"}),
        );
        assert_eq!(check_claims(&ours, "app", Some("N")), Ok(()));
        let theirs = claims(
            serde_json::json!({"sub": "u", "aud": ["app", "api"], "azp": "api", "nonce": "N"}),
        );
        assert!(check_claims(&theirs, "app", Some("N")).is_err());
        // The name: `name`, else `preferred_username`, never blank.
        let named =
            claims(serde_json::json!({"sub": "u", "name": " ", "preferred_username": "kim"}));
        assert_eq!(named.name().as_deref(), Some("kim"));
    }
}
