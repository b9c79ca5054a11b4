//! The node's TLS certificate: self-signed, made at first start, kept in the node's directory.
//!
//! Real service nodes serve a self-signed RSA certificate (`C=AU, CN=localhost`, SS
//! `oxenss/server/server_certificates.cpp`) that clients do not verify (protocol.md §8). We make
//! an ECDSA P-256 one instead: the `ring` crypto provider cannot generate RSA keys, and no client
//! looks at the key type. The devnet publishes the certificate's pins (SHA-256 of the DER, and
//! of the SubjectPublicKeyInfo) for clients that pin a seed node, as the apps pin
//! `seedN.getsession.org`.
//!
//! Files: `cert.pem` (the certificate) and `key.pem` (the PKCS#8 private key, mode 0600),
//! written atomically; when either is missing both are made anew.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rcgen::PublicKeyData as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};

use crate::store;

/// The certificate file in the node's directory.
pub(crate) const CERT_FILE: &str = "cert.pem";
/// The private key file in the node's directory.
pub(crate) const KEY_FILE: &str = "key.pem";

/// Why the certificate could not be made or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a certificate or key file failed.
    #[error("reading '{path}'")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the certificate or key failed.
    #[error("writing the TLS certificate")]
    Write(#[source] crate::Error),
    /// A PEM file did not hold what it should.
    #[error("'{path}' is not a usable {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
    },
    /// Generating the key or certificate failed.
    #[error("generating the TLS certificate")]
    Generate(#[source] rcgen::Error),
    /// rustls refused the certificate or key.
    #[error("the TLS certificate in '{dir}' is not usable")]
    Config {
        /// The node's directory.
        dir: PathBuf,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
}

/// The node's certificate, loaded: the server configuration and the pins.
#[derive(Clone)]
pub struct ServerCert {
    /// The rustls server configuration (ring provider, HTTP/1.1).
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// SHA-256 of the certificate DER, lowercase hex.
    pub cert_sha256_hex: String,
    /// SHA-256 of the certificate's SubjectPublicKeyInfo DER, base64 with padding (the form of
    /// the seed pins in protocol.md §8).
    pub spki_sha256_base64: String,
}

impl std::fmt::Debug for ServerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCert")
            .field("cert_sha256_hex", &self.cert_sha256_hex)
            .field("spki_sha256_base64", &self.spki_sha256_base64)
            .finish_non_exhaustive()
    }
}

/// The crypto provider used for every TLS connection of the node: `ring` (no cmake, no
/// aws-lc).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Loads the certificate from `dir`, or makes and saves one when `cert.pem` or `key.pem` is
/// missing.
///
/// # Errors
/// [`Error::Read`]/[`Error::Write`] on file errors, [`Error::Pem`] when a file does not parse,
/// [`Error::Generate`] or [`Error::Config`] when the key is unusable.
pub(crate) fn load_or_create(dir: &Path) -> Result<ServerCert, Error> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    if !(cert_path.exists() && key_path.exists()) {
        let (cert_pem, key_pem) = generate()?;
        // The key first: a crash between the two leaves no certificate, so the next start
        // makes both again rather than pairing a certificate with the wrong key.
        store::write_secret_file(&key_path, key_pem.as_bytes(), true, true)
            .map_err(Error::Write)?;
        store::write_secret_file(&cert_path, cert_pem.as_bytes(), true, true)
            .map_err(Error::Write)?;
    }
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read(&cert_path)?;
    let key_pem = zeroize::Zeroizing::new(read(&key_path)?);
    from_pem(dir, &cert_pem, &key_pem, &cert_path, &key_path)
}

/// Makes a new self-signed certificate: `(cert.pem, key.pem)` texts.
fn generate() -> Result<(String, zeroize::Zeroizing<String>), Error> {
    let key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(Error::Generate)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned()]).map_err(Error::Generate)?;
    // The storage server's subject (SS `server_certificates.cpp`).
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CountryName, "AU");
    dn.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    let cert = params.self_signed(&key).map_err(Error::Generate)?;
    Ok((cert.pem(), zeroize::Zeroizing::new(key.serialize_pem())))
}

fn from_pem(
    dir: &Path,
    cert_pem: &str,
    key_pem: &str,
    cert_path: &Path,
    key_path: &Path,
) -> Result<ServerCert, Error> {
    let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|_| Error::Pem {
        path: cert_path.to_owned(),
        what: "certificate",
    })?;
    let bad_key = || Error::Pem {
        path: key_path.to_owned(),
        what: "private key",
    };
    let key_der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| bad_key())?;
    let spki = rcgen::KeyPair::from_pem(key_pem)
        .map_err(|_| bad_key())?
        .subject_public_key_info();

    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![cert_der.clone()], key_der)
        })
        .map_err(|source| Error::Config {
            dir: dir.to_owned(),
            source,
        })?;
    // The storage server speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(ServerCert {
        config: Arc::new(config),
        cert_sha256_hex: hex::encode(Sha256::digest(cert_der.as_ref())),
        spki_sha256_base64: base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&spki)),
        cert_der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        let second = load_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_sha256_hex, second.cert_sha256_hex);
        assert_eq!(first.spki_sha256_base64, second.spki_sha256_base64);
        assert_eq!(first.cert_sha256_hex.len(), 64);
        assert_eq!(first.spki_sha256_base64.len(), 44);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn missing_key_makes_a_new_pair() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
        let second = load_or_create(dir.path()).unwrap();
        assert_ne!(first.cert_sha256_hex, second.cert_sha256_hex);
    }

    #[test]
    fn garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path()).unwrap();
        std::fs::write(dir.path().join(CERT_FILE), "not a pem").unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(Error::Pem {
                what: "certificate",
                ..
            })
        ));
    }
}
