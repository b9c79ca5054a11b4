//! The real transport: HTTP/1.1 over rustls (ring provider) with reqwest.
//!
//! All TLS policy lives in one function, `tls_policy`: see it for what is checked and why.
//! Every request carries the headers session-desktop sends (`User-Agent: WhatsApp`,
//! `Accept-Language: en-us`, protocol.md §5.1, §7.3), has its own timeout, and reuses pooled
//! connections. No proxy from the environment is used and redirects are not followed: a seed
//! or node that redirects is answering something else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

use super::{Reply, Target, Transport, TransportError};

/// The largest answer read; see [`crate::rpc::limits::MAX_REPLY_LEN`] for the bound and why.
pub(crate) use crate::rpc::limits::MAX_REPLY_LEN;

/// How long an idle pooled connection is kept: shorter than a node's idle timeout, so a pooled
/// connection is not reused just as the other side closes it.
const POOL_IDLE: Duration = Duration::from_secs(15);

/// A [`Transport`] over HTTPS (and plain HTTP for unpinned seeds).
///
/// Cheap to share: connections are pooled per host inside.
#[derive(Debug)]
pub struct HttpTransport {
    /// For service nodes (and plain-http seeds): any certificate.
    nodes: reqwest::Client,
    /// For pinned seeds: one client per pin, made when first needed.
    seeds: Mutex<HashMap<[u8; 32], reqwest::Client>>,
    /// TLS handshakes made by every client above (see [`HandshakeCounter`]).
    handshakes: Arc<HandshakeCounter>,
}

/// Why the transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {reason}")]
pub struct SetupError {
    reason: String,
}

impl HttpTransport {
    /// A transport with an empty connection pool.
    ///
    /// # Errors
    /// [`SetupError`] if the TLS or HTTP client cannot be built (a bug or an unusable
    /// platform).
    pub fn new() -> Result<Self, SetupError> {
        Self::bound(None)
    }

    /// A transport whose connections to nodes leave from `local` (a node's own address), so
    /// the other node's log names the node that connected rather than the host's default
    /// address.
    ///
    /// # Errors
    /// As [`HttpTransport::new`].
    pub fn bound(local: Option<IpAddr>) -> Result<Self, SetupError> {
        let handshakes = Arc::new(HandshakeCounter::default());
        let mut tls = tls_policy(TlsFor::ServiceNode)?;
        tls.key_log = handshakes.clone();
        Ok(Self {
            nodes: client(tls, local)?,
            seeds: Mutex::new(HashMap::new()),
            handshakes,
        })
    }

    /// How many TLS handshakes this transport has made so far, to nodes and seeds alike: one
    /// per new connection, resumed sessions included. A caller that sends twice to the same
    /// node on a kept-alive connection sees no new one.
    pub fn tls_handshakes(&self) -> u64 {
        self.handshakes.0.load(Ordering::Relaxed)
    }

    /// Sends any request to a service node (or a plain-http URL) and reads the answer with
    /// the same bound and timeout as [`Transport::post`]: for the devnet launcher and tests.
    ///
    /// `base` is `host:port` (`127.0.0.2:22021`) or a URL prefix (`https://127.0.0.2:22021`).
    ///
    /// # Errors
    /// [`TransportError`]; [`TransportError::Policy`] for a method or URL that does not parse.
    pub async fn request(
        &self,
        method: &str,
        base: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Reply, TransportError> {
        let url = if base.contains("://") {
            format!("{base}{path}")
        } else {
            format!("https://{base}{path}")
        };
        let invalid = |reason| TransportError::Policy {
            url: url.clone(),
            reason,
        };
        let parsed = reqwest::Url::parse(&url).map_err(|_| invalid("not a valid URL"))?;
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| invalid("not a valid HTTP method"))?;
        let mut req = self
            .nodes
            .request(method, parsed)
            .timeout(timeout)
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.map_err(|e| classify(e, timeout))?;
        read_reply(resp, MAX_REPLY_LEN, timeout).await
    }

    fn seed_client(&self, pin: [u8; 32], url: &str) -> Result<reqwest::Client, TransportError> {
        let mut seeds = self.seeds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = seeds.get(&pin) {
            return Ok(c.clone());
        }
        let made = tls_policy(TlsFor::PinnedSeed {
            pin,
            url: url.to_owned(),
        })
        .and_then(|mut tls| {
            tls.key_log = self.handshakes.clone();
            client(tls, None)
        })
        .map_err(|e| TransportError::Http { reason: e.reason })?;
        seeds.insert(pin, made.clone());
        Ok(made)
    }

    /// The client for a target, after checking the target against the TLS policy.
    fn client_for(&self, target: &Target) -> Result<reqwest::Client, TransportError> {
        match target {
            Target::Node { .. } => Ok(self.nodes.clone()),
            Target::Seed(seed) => {
                let https = seed.url.starts_with("https://");
                let http = seed.url.starts_with("http://");
                match (https, http, seed.pin) {
                    (true, _, Some(pin)) => self.seed_client(pin, &seed.url),
                    // Plain HTTP only for seeds without a pin (the testnet seed, protocol.md
                    // §5.1): a pin promises a checked certificate, which plain HTTP can't give.
                    (false, true, None) => Ok(self.nodes.clone()),
                    (true, _, None) => Err(TransportError::Policy {
                        url: seed.url.clone(),
                        reason: "an https seed needs a certificate pin",
                    }),
                    (false, true, Some(_)) => Err(TransportError::Policy {
                        url: seed.url.clone(),
                        reason: "a pinned seed must use https",
                    }),
                    (false, false, _) => Err(TransportError::Policy {
                        url: seed.url.clone(),
                        reason: "not an http or https URL",
                    }),
                }
            }
        }
    }
}

impl Transport for HttpTransport {
    async fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Reply, TransportError> {
        self.post_with_headers(target, &[], body, timeout).await
    }

    async fn post_with_headers(
        &self,
        target: &Target,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Reply, TransportError> {
        let client = self.client_for(target)?;
        let mut req = client.post(target.url()).timeout(timeout).body(body);
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        // JSON endpoints get a JSON content type; onion requests are binary and session-desktop
        // sends none (protocol.md §7.3).
        let json = match target {
            Target::Seed(_) => true,
            Target::Node { path, .. } => *path == super::STORAGE_RPC_PATH,
        };
        if json {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let resp = req.send().await.map_err(|e| classify(e, timeout))?;
        read_reply(resp, MAX_REPLY_LEN, timeout).await
    }
}

/// Reads an answer of at most `max` bytes: a `Content-Length` over the bound is refused
/// before any of the body is read, and the body is counted chunk by chunk as it streams in,
/// so a larger one is dropped without being buffered whole. The request's timeout covers the
/// whole body: a node that drips its answer cannot hold the caller longer than that.
pub(crate) async fn read_reply(
    mut resp: reqwest::Response,
    max: usize,
    timeout: Duration,
) -> Result<Reply, TransportError> {
    if resp
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > max))
    {
        return Err(TransportError::TooLarge { max });
    }
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(e, timeout))? {
        if body.len() + chunk.len() > max {
            return Err(TransportError::TooLarge { max });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

fn client(tls: rustls::ClientConfig, local: Option<IpAddr>) -> Result<reqwest::Client, SetupError> {
    let mut headers = HeaderMap::new();
    // session-desktop's anonymizing constants (protocol.md §5.1, §7.3).
    headers.insert(USER_AGENT, HeaderValue::from_static("WhatsApp"));
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-us"));
    reqwest::Client::builder()
        .default_headers(headers)
        .tls_backend_preconfigured(tls)
        .local_address(local)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(POOL_IDLE)
        .build()
        .map_err(|e| SetupError {
            reason: error_chain(&e),
        })
}

/// Counts TLS handshakes as rustls completes their key schedule: rustls tells a
/// [`rustls::KeyLog`] once per handshake, full or resumed, TLS 1.2 (`CLIENT_RANDOM`) or 1.3
/// (`CLIENT_HANDSHAKE_TRAFFIC_SECRET`). Counting here rather than in the certificate verifier
/// means a resumed session (which skips the verifier) is still counted as the new connection it
/// is. The secrets themselves are ignored: nothing is written or kept.
#[derive(Debug, Default)]
struct HandshakeCounter(AtomicU64);

/// The key-log label rustls gives exactly once per TLS 1.3 handshake.
const TLS13_HANDSHAKE_LABEL: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
/// The key-log label rustls gives exactly once per TLS 1.2 handshake.
const TLS12_HANDSHAKE_LABEL: &str = "CLIENT_RANDOM";

impl rustls::KeyLog for HandshakeCounter {
    fn log(&self, label: &str, _client_random: &[u8], _secret: &[u8]) {
        if label == TLS13_HANDSHAKE_LABEL || label == TLS12_HANDSHAKE_LABEL {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn will_log(&self, label: &str) -> bool {
        label == TLS13_HANDSHAKE_LABEL || label == TLS12_HANDSHAKE_LABEL
    }
}

/// Which peers a TLS configuration is for.
enum TlsFor {
    /// Service nodes: self-signed certificates, not checked.
    ServiceNode,
    /// A seed node whose certificate is pinned.
    PinnedSeed {
        /// SHA-256 of the certificate (DER) it must present.
        pin: [u8; 32],
        /// Its URL, for error messages.
        url: String,
    },
}

/// The TLS policy, in one place (protocol.md §8):
///
/// * **Seed nodes** present self-signed certificates that the apps pin. sesh accepts a seed's
///   end-entity certificate only if its SHA-256 (over the DER) equals the network's pin
///   exactly. The host name is not checked: the pin names one certificate, which is stronger
///   than any name check, and devnet seeds live on 127.0.0.1. The handshake signature is
///   verified against that certificate's key, so a replayed certificate without its key fails.
///   A seed without a pin must use plain `http` (the testnet seed); see
///   [`HttpTransport::client_for`].
/// * **Service nodes** present self-signed certificates that no one can check (session-desktop
///   uses `rejectUnauthorized: false`). Any certificate is accepted and the handshake
///   signature is not checked either, since it would be checked against an unauthenticated
///   key: the onion layers, encrypted to the node's X25519 key from the node list, carry the
///   security (a man in the middle can neither read nor forge an onion reply).
///
/// Both use rustls's `ring` provider and its safe default protocol versions (TLS 1.2, 1.3).
fn tls_policy(peer: TlsFor) -> Result<rustls::ClientConfig, SetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match peer {
        TlsFor::ServiceNode => Arc::new(AnyCertificate { algorithms }),
        TlsFor::PinnedSeed { pin, url } => Arc::new(PinnedCertificate {
            pin,
            url,
            algorithms,
        }),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError {
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// The TLS configuration [`HttpTransport`] uses for service nodes (any certificate: see the
/// TLS policy in this module's source), for tests that speak TLS to a node themselves.
///
/// # Errors
/// [`SetupError`] when rustls cannot be set up.
pub fn service_node_tls() -> Result<rustls::ClientConfig, SetupError> {
    tls_policy(TlsFor::ServiceNode)
}

/// Accepts a server whose end-entity certificate has exactly this SHA-256.
#[derive(Debug)]
pub(crate) struct PinnedCertificate {
    pin: [u8; 32],
    url: String,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedCertificate {
    /// A verifier for the pin, with the ring provider's signature algorithms.
    #[cfg(test)]
    pub(crate) fn new(pin: [u8; 32], url: &str) -> Self {
        Self {
            pin,
            url: url.to_owned(),
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

/// The error a [`PinnedCertificate`] gives rustls, found again in [`classify`].
#[derive(Debug, thiserror::Error)]
#[error("certificate SHA-256 {got} does not match the pin {expected}")]
pub(crate) struct PinMismatch {
    url: String,
    expected: String,
    got: String,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(PinMismatch {
                url: self.url.clone(),
                expected: hex::encode(self.pin),
                got: hex::encode(got),
            })),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Accepts any server: for service nodes, whose security is the onion layers (see
/// [`tls_policy`]).
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls error somewhere in an error chain.
fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = rustls_in(err) {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

/// `err` itself as a rustls error, looking through the wrappers whose `source` skips what
/// they wrap: `io::Error`, whose `source` is the inner error's source (hyper-rustls and
/// tokio-rustls nest two).
fn rustls_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = err.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|i| rustls_in(i));
    }
    None
}

/// The causes of an error joined with ": ", without the URL (it may hold a node's address).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = cur {
        let s = err.to_string();
        // hyper's "client error (Connect)" only says which stage failed; the cause follows.
        let stage = s.starts_with("client error (") && err.source().is_some();
        if !stage && parts.last() != Some(&s) {
            parts.push(s);
        }
        cur = err.source();
    }
    if parts.is_empty() {
        return e.to_string();
    }
    parts.join(": ")
}

pub(crate) fn classify(e: reqwest::Error, timeout: Duration) -> TransportError {
    let e = e.without_url();
    if let Some(r) = find_rustls(&e) {
        if let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) = r
            && let Some(m) = inner.downcast_ref::<PinMismatch>()
        {
            return TransportError::PinMismatch {
                url: m.url.clone(),
                expected: m.expected.clone(),
                got: m.got.clone(),
            };
        }
        return TransportError::Tls {
            reason: r.to_string(),
        };
    }
    if e.is_timeout() {
        return TransportError::Timeout { after: timeout };
    }
    let reason = error_chain(&e);
    if e.is_connect() {
        return TransportError::Connect { reason };
    }
    TransportError::Http { reason }
}

#[cfg(test)]
mod tests;
