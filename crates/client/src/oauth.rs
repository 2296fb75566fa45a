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
    })
}

/// For a profile with token form `auto`: reads
/// `/.well-known/oauth-authorization-server` (RFC 8414 §3); without it
/// (404 or not the RFC's shape) the PRISM form at the profile's endpoints
/// serves. Unreachable is an error: we cannot log in anyway.
pub async fn discover(http: &reqwest::Client, profile: &Profile) -> Result<Endpoints> {
    let fallback = || configured(profile);
    if profile.token_form != TokenForm::Auto {
        return fallback();
    }
    let url = profile.url("/.well-known/oauth-authorization-server")?;
    let resp = http.get(url).send().await.map_err(Error::transport)?;
    if !resp.status().is_success() {
        return fallback();
    }
    let Ok(meta) = resp.json::<AuthServerMetadata>().await else {
        return fallback();
    };
    // RFC 8414 §3.3: the issuer must be the URL the metadata was asked of.
    let domain = profile.domain()?;
    if meta.issuer.trim_end_matches('/') != domain.as_str().trim_end_matches('/') {
        return Err(Error::profile(
            "apiDomain",
            format!(
                "the service says its issuer is {:?}, not {:?} (RFC 8414 §3.3)",
                meta.issuer,
                domain.as_str().trim_end_matches('/')
            ),
        ));
    }
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
        revocation: meta
            .revocation_endpoint
            .as_deref()
            .map(|r| endpoint("revocation_endpoint", r))
            .transpose()?,
    })
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
