//! The token side of OAuth 2.0: endpoint discovery (RFC 8414), the code and
//! refresh grants in both forms a service may speak (RFC 6749 §4.1.3 and
//! §6 as `POST`, or PRISM's `GET` of spec §2), and revocation (RFC 7009).
//! The browser side is in [`crate::login`].

use std::time::{Duration, Instant};

use onair_api::{AuthServerMetadata, Secret, TokenResponse};
use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};
use crate::profile::{Profile, TokenForm};

/// Where to log in and how to get tokens, for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// RFC 8414 `issuer`, when the service published metadata.
    pub issuer: Option<String>,
    /// The server promised `iss` on authorization responses (RFC 9207 §3).
    pub iss_required: bool,
    pub authorize: Url,
    pub token: Url,
    pub form: TokenForm,
    pub revocation: Option<Url>,
    /// OpenID Connect Core §5.3.
    pub userinfo: Option<Url>,
    /// The issuer's signing keys (RFC 8414 §2), for ID tokens.
    pub jwks: Option<Url>,
    /// The scopes the server advertises (RFC 8414 §2).
    pub scopes_supported: Vec<String>,
    /// RFC 9126 §5: where to push authorization requests.
    pub par: Option<Url>,
    /// RFC 9126 §5: the server takes pushed requests only.
    pub par_required: bool,
}

/// The endpoints of a profile whose token form is set (not `auto`), or of
/// a service without metadata: the profile's own, PRISM form for `auto`.
pub fn configured(profile: &Profile) -> Result<Endpoints> {
    Ok(Endpoints {
        issuer: None,
        iss_required: false,
        authorize: profile.authorize()?,
        token: profile.token_url()?,
        form: match profile.token_form {
            TokenForm::Auto => TokenForm::Prism,
            form => form,
        },
        revocation: None,
        userinfo: None,
        jwks: None,
        scopes_supported: Vec::new(),
        par: None,
        par_required: false,
    })
}

/// An issuer's metadata: the first of
/// [`onair_api::oauth::metadata_locations`] that answers with the RFC's
/// shape; `None` when neither does. Unreachable is an error.
pub async fn fetch_metadata(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Option<AuthServerMetadata>> {
    let locations = onair_api::oauth::metadata_locations(issuer)
        .ok_or_else(|| Error::profile("issuer", "an issuer is an https URL (RFC 8414 §2)"))?;
    for url in locations {
        if let Some(meta) = get_json(http, &url).await? {
            return Ok(Some(meta));
        }
    }
    Ok(None)
}

/// A JSON document at `url`; `None` when the answer is not a success or
/// not of that shape (a service without it). Unreachable is an error.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<Option<T>> {
    let resp = http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(Error::transport)?;
    if !resp.status().is_success() {
        return Ok(None);
    }
    Ok(resp.json::<T>().await.ok())
}

/// For a profile with token form `auto` or `rfc`: the issuer's metadata
/// (the profile's `issuer`, else its API domain; [`fetch_metadata`]) names
/// the endpoints. Without metadata, a profile with no `issuer` of its own
/// uses its configured endpoints (PRISM form for `auto`); one with an
/// `issuer` cannot log in. The `prism` form never asks.
pub async fn discover(http: &reqwest::Client, profile: &Profile) -> Result<Endpoints> {
    if profile.token_form == TokenForm::Prism {
        return configured(profile);
    }
    let issuer = profile.issuer_url()?;
    let field = if profile.issuer.is_some() {
        "issuer"
    } else {
        "apiDomain"
    };
    let Some(meta) = fetch_metadata(http, &issuer).await? else {
        if profile.issuer.is_some() {
            return Err(Error::profile(
                field,
                format!(
                    "{issuer} publishes no OAuth metadata (RFC 8414, OpenID Connect Discovery)"
                ),
            ));
        }
        return configured(profile);
    };
    // RFC 8414 §3.3, OpenID Connect Discovery §4.3: the issuer in the
    // document is exactly the one asked about.
    if meta.issuer != issuer {
        return Err(Error::profile(
            field,
            format!(
                "the login server says its issuer is {:?}, not {issuer:?} (RFC 8414 §3.3)",
                meta.issuer
            ),
        ));
    }
    from_metadata(profile, &meta)
}

/// The endpoints a checked metadata document names.
fn from_metadata(profile: &Profile, meta: &AuthServerMetadata) -> Result<Endpoints> {
    let endpoint = |field: &str, raw: &str| {
        Url::parse(raw)
            .ok()
            .filter(|u| u.scheme() == "https")
            .ok_or_else(|| Error::Server {
                status: 200,
                message: format!("metadata {field} is not an https URL"),
                retry_after: None,
            })
    };
    let optional =
        |field: &str, raw: &Option<String>| raw.as_deref().map(|r| endpoint(field, r)).transpose();
    Ok(Endpoints {
        issuer: Some(meta.issuer.clone()),
        iss_required: meta.authorization_response_iss_parameter_supported,
        // A profile's explicit login page wins over the metadata's.
        authorize: match &profile.authorize_url {
            Some(_) => profile.authorize()?,
            None => endpoint("authorization_endpoint", &meta.authorization_endpoint)?,
        },
        token: endpoint("token_endpoint", &meta.token_endpoint)?,
        form: TokenForm::Rfc,
        revocation: optional("revocation_endpoint", &meta.revocation_endpoint)?,
        userinfo: optional("userinfo_endpoint", &meta.userinfo_endpoint)?,
        jwks: optional("jwks_uri", &meta.jwks_uri)?,
        scopes_supported: meta.scopes_supported.clone(),
        par: optional(
            "pushed_authorization_request_endpoint",
            &meta.pushed_authorization_request_endpoint,
        )?,
        par_required: meta.require_pushed_authorization_requests,
    })
}

/// The scopes a login asks for, and whether it asks for consent: the
/// profile's own when it names some; else, from what the server
/// advertises, `openid` (and `profile`, for the user's name) and
/// `offline_access`, which OpenID Connect Core §11 pairs with
/// `prompt=consent`. A PRISM service advertises none and gets none.
pub fn login_scopes(profile: &Profile, endpoints: &Endpoints) -> (Vec<String>, bool) {
    let scopes: Vec<String> = if profile.scopes.is_empty() {
        let offered = |s: &str| endpoints.scopes_supported.iter().any(|o| o == s);
        let mut wanted = Vec::new();
        if offered("openid") {
            wanted.push("openid");
            if offered("profile") {
                wanted.push("profile");
            }
        }
        if offered("offline_access") {
            wanted.push("offline_access");
        }
        wanted.into_iter().map(str::to_owned).collect()
    } else {
        profile.scopes.clone()
    };
    let consent = scopes.iter().any(|s| s == "offline_access");
    (scopes, consent)
}

/// The client's credentials at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    pub client_secret: Option<Secret>,
}

/// A grant sent to the token endpoint.
#[derive(Debug)]
pub enum Grant<'a> {
    /// RFC 6749 §4.1.3 (+ RFC 7636 §4.5 `code_verifier`).
    Code {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
        state: &'a str,
    },
    /// RFC 6749 §6. No scope is sent: the service keeps the login's.
    Refresh(&'a Secret),
}

/// What a token call returned.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
    /// When the access token stops working, if the service said.
    pub expires_at: Option<Instant>,
    /// OpenID Connect Core §3.1.3.3, unchecked yet ([`crate::oidc`]).
    pub id_token: Option<Secret>,
}

/// Why a token call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// RFC 6749 §5.2: the service refused the grant (or the client).
    Refused {
        error: String,
        description: Option<String>,
    },
    /// Not refused, just not answered: try again later.
    Failed(Error),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Calls the token endpoint.
pub async fn token(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    client: &ClientAuth,
    grant: Grant<'_>,
) -> std::result::Result<Tokens, TokenError> {
    let mut params: Vec<(&str, &str)> = Vec::with_capacity(6);
    match &grant {
        Grant::Code {
            code,
            redirect_uri,
            verifier,
            state,
        } => {
            params.push(("grant_type", "authorization_code"));
            params.push(("code", code));
            params.push(("redirect_uri", redirect_uri));
            params.push(("code_verifier", verifier));
            if endpoints.form != TokenForm::Rfc {
                params.push(("state", state));
            }
        }
        Grant::Refresh(refresh) => {
            params.push(("grant_type", "refresh_token"));
            params.push(("refresh_token", refresh.expose()));
            if endpoints.form != TokenForm::Rfc {
                // Spec §2: PRISM guides name the refresh token
                // `refresh_token`, `token` or `_token`; services read one.
                params.push(("token", refresh.expose()));
                params.push(("_token", refresh.expose()));
            }
        }
    }
    let request = match endpoints.form {
        TokenForm::Rfc => form_post(http, &endpoints.token, client, params),
        TokenForm::Prism | TokenForm::Auto => {
            let mut url = endpoints.token.clone();
            url.query_pairs_mut().extend_pairs(&params);
            let req = http.get(url).header("x-prism-client-id", &client.client_id);
            match &client.client_secret {
                Some(secret) => req.header("x-prism-client-secret", secret.expose()),
                None => req,
            }
        }
    };
    let resp = request
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| TokenError::Failed(Error::transport(e)))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| TokenError::Failed(Error::transport(e)))?;
    if status.is_success() {
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            TokenError::Failed(Error::Server {
                status: status.as_u16(),
                message: format!("token response: {e}"),
                retry_after: None,
            })
        })?;
        return Ok(Tokens {
            access: t.access_token,
            refresh: t.refresh_token,
            expires_at: t
                .expires_in
                .map(|s| Instant::now() + Duration::from_secs(s)),
            id_token: t.id_token,
        });
    }
    // RFC 6749 §5.2: 400, or 401 for client authentication failures. 408
    // and 429 are "not now", not a refusal: the login stays.
    let refused = status.is_client_error() && status != 429 && status != 408;
    if !refused {
        return Err(TokenError::Failed(Error::Server {
            status: status.as_u16(),
            message: "the token endpoint failed".into(),
            retry_after: None,
        }));
    }
    Err(match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) => TokenError::Refused {
            error: e.error,
            description: e.error_description,
        },
        Err(_) => TokenError::Refused {
            error: format!("http_{}", status.as_u16()),
            description: None,
        },
    })
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A form `POST` with client authentication (RFC 6749 §2.3.1): HTTP Basic
/// with the form-encoded id and secret, or `client_id` in the body for a
/// public client. The token (§3.2) and revocation (RFC 7009 §2.1) calls.
fn form_post<'a>(
    http: &reqwest::Client,
    url: &Url,
    client: &'a ClientAuth,
    mut params: Vec<(&'a str, &'a str)>,
) -> reqwest::RequestBuilder {
    let req = http.post(url.clone());
    let req = match &client.client_secret {
        Some(secret) => req.basic_auth(
            form_encode(&client.client_id),
            Some(form_encode(secret.expose())),
        ),
        None => {
            params.push(("client_id", &client.client_id));
            req
        }
    };
    req.header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&params).expect("form encodes"))
}

/// RFC 9126 §2.1: pushes an authorization request's parameters (with
/// the client's authentication) and returns the `request_uri` that the
/// browser then carries with the `client_id` alone (§4).
pub async fn push_authorization(
    http: &reqwest::Client,
    url: &Url,
    client: &ClientAuth,
    params: &[(String, String)],
) -> Result<String> {
    #[derive(Deserialize)]
    struct Pushed {
        request_uri: String,
    }
    let params = params
        .iter()
        .filter(|(k, _)| k != "client_id")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resp = form_post(http, url, client, params)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(Error::transport)?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(Error::transport)?;
    if status.is_success() {
        let pushed: Pushed = serde_json::from_slice(&body).map_err(|e| Error::Server {
            status: status.as_u16(),
            message: format!("pushed authorization response: {e}"),
            retry_after: None,
        })?;
        return Ok(pushed.request_uri);
    }
    // RFC 9126 §2.3: an RFC 6749 error body.
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) if status.is_client_error() => Err(crate::error::LoginError::Refused {
            error: e.error,
            description: e.error_description,
        }
        .into()),
        _ => Err(Error::Server {
            status: status.as_u16(),
            message: "the pushed authorization request failed".into(),
            retry_after: None,
        }),
    }
}

/// RFC 7009 §2.1: revokes a refresh token (and with it, at our service,
/// the login). Services without a revocation endpoint are skipped: the
/// caller still forgets the tokens.
pub async fn revoke(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    client: &ClientAuth,
    refresh: &Secret,
) -> Result<()> {
    let Some(url) = &endpoints.revocation else {
        return Ok(());
    };
    let params = vec![
        ("token", refresh.expose()),
        ("token_type_hint", "refresh_token"),
    ];
    let resp = form_post(http, url, client, params)
        .send()
        .await
        .map_err(Error::transport)?;
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(Error::Server {
            status: resp.status().as_u16(),
            message: "revocation failed".into(),
            retry_after: None,
        })
    }
}
