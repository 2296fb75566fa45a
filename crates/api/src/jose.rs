//! JWS checks shared by the client and the reference service: an OpenID
//! Connect ID token (OpenID Connect Core 1.0 §3.1.3.7) and a JWT access
//! token (RFC 9068 §4) are both "signed by a key of this issuer's JWKS,
//! from this issuer, for this audience, not expired". The signature math
//! is the `jsonwebtoken` crate's; what is accepted is decided here.
//!
//! Only asymmetric algorithms are accepted (RFC 8725 §3.1: never `none`,
//! and never an HMAC keyed with a public key); the algorithm comes from
//! the token's header but must be one the chosen key allows.

use std::fmt;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

pub use jsonwebtoken::jwk::JwkSet as Jwks;

/// What a token must be.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// `iss`, compared exactly.
    pub issuer: &'a str,
    /// One of the token's `aud` values; `None`: not checked.
    pub audience: Option<&'a str>,
    /// RFC 9068 §4: a JWT access token says `typ: at+jwt`.
    pub access_token: bool,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway_secs: u64,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoseError {
    /// Not a JWS, or claims that do not parse.
    Malformed(String),
    /// `none`, an HMAC, or an algorithm the key does not allow.
    Algorithm,
    /// No key of the JWKS matches the token's `kid` (or, without one, its
    /// algorithm): a key rotated in since the JWKS was read, or a stranger.
    UnknownKey,
    BadSignature,
    Issuer,
    Audience,
    Expired,
    NotYetValid,
    /// Not an access token (RFC 9068 §4: `typ` is `at+jwt`).
    Type,
}

impl fmt::Display for JoseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoseError::Malformed(m) => write!(f, "not a usable JWT: {m}"),
            JoseError::Algorithm => f.write_str("the token's signing algorithm is not accepted"),
            JoseError::UnknownKey => {
                f.write_str("the token is signed by a key the issuer does not publish")
            }
            JoseError::BadSignature => f.write_str("the token's signature is wrong"),
            JoseError::Issuer => f.write_str("the token is from another issuer"),
            JoseError::Audience => f.write_str("the token is for another audience"),
            JoseError::Expired => f.write_str("the token has expired"),
            JoseError::NotYetValid => f.write_str("the token is not valid yet"),
            JoseError::Type => f.write_str("the token is not an access token (RFC 9068 §4)"),
        }
    }
}

impl std::error::Error for JoseError {}

/// What a token or a userinfo answer calls its person: `name` and
/// `preferred_username` (OpenID Connect Core §5.1), `username` (RFC 7662
/// §2.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Names {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

impl Names {
    /// The first that is not blank, on one line, at most 80 characters.
    pub fn best(&self) -> Option<String> {
        [&self.name, &self.preferred_username, &self.username]
            .into_iter()
            .flatten()
            .map(|n| n.trim())
            .find(|n| !n.is_empty() && !n.chars().any(char::is_control))
            .map(|n| n.chars().take(80).collect())
    }
}

const ACCEPTED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The token's key id, if its header names one (to refresh a cached JWKS
/// when a new key shows up).
pub fn key_id(token: &str) -> Result<Option<String>, JoseError> {
    jsonwebtoken::decode_header(token)
        .map(|h| h.kid)
        .map_err(|e| JoseError::Malformed(e.to_string()))
}

/// Checks `token` against `keys` and `expect`; its claims on success.
pub fn verify<C: DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
    expect: &Expect<'_>,
) -> Result<C, JoseError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| JoseError::Malformed(e.to_string()))?;
    if !ACCEPTED.contains(&header.alg) && header.alg != Algorithm::EdDSA {
        return Err(JoseError::Algorithm);
    }
    if expect.access_token {
        let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
        if typ != "at+jwt" && typ != "application/at+jwt" {
            return Err(JoseError::Type);
        }
    }
    let jwk = pick(keys, header.kid.as_deref(), header.alg).ok_or(JoseError::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| JoseError::UnknownKey)?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = expect.leeway_secs;
    validation.validate_nbf = true;
    validation.set_issuer(&[expect.issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    match expect.audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<C>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => JoseError::BadSignature,
            ErrorKind::ExpiredSignature => JoseError::Expired,
            ErrorKind::ImmatureSignature => JoseError::NotYetValid,
            ErrorKind::InvalidIssuer => JoseError::Issuer,
            ErrorKind::InvalidAudience => JoseError::Audience,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => JoseError::Algorithm,
            _ => JoseError::Malformed(e.to_string()),
        })
}

/// The key by `kid`; without a `kid`, the one key meant for signing with
/// this algorithm, if there is exactly one.
fn pick<'k>(keys: &'k JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'k Jwk> {
    let usable = |k: &&Jwk| {
        k.common
            .key_algorithm
            .is_none_or(|a| a.to_string() == format!("{alg:?}"))
            && !matches!(
                k.common.public_key_use,
                Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
            )
    };
    match kid {
        Some(kid) => keys
            .keys
            .iter()
            .filter(usable)
            .find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut fits = keys.keys.iter().filter(usable);
            match (fits.next(), fits.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{json, Value};

    /// A P-256 key: what signs, and its public JWK.
    fn key(kid: &str) -> (EncodingKey, Value) {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let point = pair.public_key_raw();
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        });
        (EncodingKey::from_ec_der(&pair.serialize_der()), jwk)
    }

    fn set(keys: &[&Value]) -> JwkSet {
        serde_json::from_value(json!({ "keys": keys })).unwrap()
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn claims() -> Value {
        json!({"iss": "https://login.example/realms/a", "sub": "u1", "aud": "api", "exp": now() + 60, "name": "U"})
    }

    fn sign(key: &EncodingKey, kid: Option<&str>, typ: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    const EXPECT: Expect<'static> = Expect {
        issuer: "https://login.example/realms/a",
        audience: Some("api"),
        access_token: true,
        leeway_secs: 5,
    };

    #[test]
    fn a_good_token_and_each_way_it_can_be_wrong() {
        let (signer, jwk) = key("k1");
        let (stranger, stranger_jwk) = key("k1");
        let keys = set(&[&jwk]);
        let check = |token: &str| verify::<Value>(token, &keys, &EXPECT).map(|c| c["name"].clone());

        assert_eq!(
            check(&sign(&signer, Some("k1"), "at+jwt", &claims())),
            Ok(json!("U"))
        );
        assert_eq!(
            check(&sign(&signer, None, "application/at+jwt", &claims())),
            Ok(json!("U")),
            "no kid, one key"
        );
        assert_eq!(
            check(&sign(&stranger, Some("k1"), "at+jwt", &claims())),
            Err(JoseError::BadSignature)
        );
        assert_eq!(
            check(&sign(&signer, Some("k2"), "at+jwt", &claims())),
            Err(JoseError::UnknownKey)
        );
        assert_eq!(
            check(&sign(&signer, Some("k1"), "JWT", &claims())),
            Err(JoseError::Type),
            "an ID token is not an access token"
        );
        let with = |field: &str, value: Value| {
            let mut c = claims();
            c[field] = value;
            sign(&signer, Some("k1"), "at+jwt", &c)
        };
        assert_eq!(
            check(&with("iss", json!("https://login.example/realms/a/"))),
            Err(JoseError::Issuer)
        );
        assert_eq!(
            check(&with("aud", json!(["web", "other"]))),
            Err(JoseError::Audience)
        );
        assert_eq!(check(&with("aud", json!(["web", "api"]))), Ok(json!("U")));
        assert_eq!(
            check(&with("exp", json!(now() - 10))),
            Err(JoseError::Expired)
        );
        assert_eq!(
            check(&with("exp", json!(now() - 2))),
            Ok(json!("U")),
            "within the leeway"
        );
        assert_eq!(
            check(&with("nbf", json!(now() + 30))),
            Err(JoseError::NotYetValid)
        );

        // Two keys and no kid: which one is not guessed.
        let both = set(&[&jwk, &stranger_jwk]);
        assert_eq!(
            verify::<Value>(&sign(&signer, None, "at+jwt", &claims()), &both, &EXPECT).err(),
            Some(JoseError::UnknownKey)
        );
        // An HMAC "signed" with what is public is refused before any key.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"public"),
        )
        .unwrap();
        assert_eq!(check(&hs), Err(JoseError::Algorithm));
        assert!(matches!(check("not.a.jwt"), Err(JoseError::Malformed(_))));
    }
}
