//! TLS and the HTTP client: rustls with the platform's root certificates,
//! plus one pinned certificate per profile (the embedded demo service's
//! self-signed one), matched by its SHA-256 fingerprint.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Connect timeout of every call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request timeout of every call (spec §1: over 3 s a caller may give
/// up; we allow the service more before calling it a transport error).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses `AB:CD:...` or plain hex into 32 bytes.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bad = || {
        Error::profile(
            "pinnedSha256",
            "give the SHA-256 fingerprint as 64 hex digits (colons allowed)",
        )
    };
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The platform's roots, loaded once per process (reading them costs a few
/// milliseconds). Certificates the platform store cannot parse are skipped.
fn platform_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!(error = %e, "platform root certificates");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "platform root certificates loaded");
            Arc::new(roots)
        })
        .clone()
}

/// Accepts the pinned certificate by fingerprint, anything else only
/// through the platform's roots (with the usual name and chain checks).
#[derive(Debug)]
struct PinOrRoots {
    pin: Option<[u8; 32]>,
    roots: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinOrRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Some(pin) = &self.pin {
            let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
            if seen == *pin {
                // The user (or the app, for its own embedded service) chose
                // to trust exactly this certificate; the handshake signature
                // is still checked below, so only its key holder passes.
                return Ok(ServerCertVerified::assertion());
            }
        }
        match &self.roots {
            Some(roots) => {
                roots.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration: TLS 1.2 and 1.3 only (spec §1), the
/// platform's roots, and `pin` when given.
pub fn client_config(pin: Option<[u8; 32]>) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let roots = platform_roots();
    let roots = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| Error::Transport(format!("root certificates: {e}")))?,
        )
    };
    let verifier = PinOrRoots {
        pin,
        roots,
        provider: provider.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Transport(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // A preconfigured config keeps its own ALPN (RFC 7301): offer HTTP/2,
    // so many watchers share one connection, and HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The HTTP client of one profile: its TLS trust, the timeouts above, no
/// redirects (a token or code must never follow one to another host).
pub fn http_client(pin: Option<&str>) -> Result<reqwest::Client> {
    let pin = pin.map(parse_fingerprint).transpose()?;
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pin)?)
        .https_only(true)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("onair/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(Error::transport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_both_spellings() {
        let colons = (0..32)
            .map(|i| format!("{i:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let plain = colons.replace(':', "").to_lowercase();
        let want: Vec<u8> = (0..32).collect();
        assert_eq!(parse_fingerprint(&colons).unwrap().to_vec(), want);
        assert_eq!(parse_fingerprint(&plain).unwrap().to_vec(), want);
        assert!(parse_fingerprint("AB:CD").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }
}
