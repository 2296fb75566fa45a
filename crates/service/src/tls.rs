//! TLS with rustls (ring provider): TLS 1.2 and 1.3 only (spec §1), ALPN
//! h2 and http/1.1. With no certificate given, a self-signed one for
//! 127.0.0.1, ::1 and localhost is generated on first start (rcgen) and
//! kept in the data directory; its SHA-256 fingerprint is what clients pin.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use sha2::{Digest, Sha256};

use crate::config::{Storage, Tls};
use crate::error::StartError;

/// A ready server configuration and what clients need to trust it.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    pub server: Arc<ServerConfig>,
    /// The leaf certificate, PEM.
    pub cert_pem: String,
    /// SHA-256 of the leaf certificate's DER, `AB:CD:...`.
    pub fingerprint: String,
}

/// `AB:CD:..` SHA-256 fingerprint of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StartError + '_ {
    move |source| StartError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn generate() -> Result<(String, String), StartError> {
    let names = vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
    ];
    let ck =
        rcgen::generate_simple_self_signed(names).map_err(|e| StartError::Tls(e.to_string()))?;
    Ok((ck.cert.pem(), ck.key_pair.serialize_pem()))
}

fn write_private(path: &Path, contents: &str) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(io_err(path))?;
        f.write_all(contents.as_bytes()).map_err(io_err(path))
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, contents).map_err(io_err(path))
    }
}

/// Loads or creates the TLS material; `None` for plain HTTP.
pub fn load(tls: &Tls, storage: &Storage) -> Result<Option<TlsMaterial>, StartError> {
    let (cert_pem, key_pem) = match (tls, storage) {
        (Tls::InsecureHttp, _) => return Ok(None),
        (Tls::Files { cert, key }, _) => (
            std::fs::read_to_string(cert).map_err(io_err(cert))?,
            std::fs::read_to_string(key).map_err(io_err(key))?,
        ),
        (Tls::SelfSigned, Storage::Memory) => generate()?,
        (Tls::SelfSigned, Storage::Dir(dir)) => {
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !cert.exists() || !key.exists() {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
                let (c, k) = generate()?;
                write_private(&key, &k)?;
                std::fs::write(&cert, &c).map_err(io_err(&cert))?;
            }
            (
                std::fs::read_to_string(&cert).map_err(io_err(&cert))?,
                std::fs::read_to_string(&key).map_err(io_err(&key))?,
            )
        }
    };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| StartError::Tls(format!("certificate PEM: {e}")))?;
    let leaf = certs
        .first()
        .ok_or_else(|| StartError::Tls("no certificate in the PEM".into()))?;
    let fingerprint = fingerprint(leaf);
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .map_err(|e| StartError::Tls(format!("key PEM: {e}")))?
        .ok_or_else(|| StartError::Tls("no private key in the PEM".into()))?;
    let mut server =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| StartError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| StartError::Tls(e.to_string()))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsMaterial {
        server: Arc::new(server),
        cert_pem,
        fingerprint,
    }))
}
