//! Moving bytes: one HTTP POST to a seed node or a service node, and its answer.
//!
//! The client (`crate::client`) never talks HTTP itself: it asks a [`Transport`] to POST a body
//! to a [`Target`] and gets a [`Reply`] back. [`http::HttpTransport`] is the real one (reqwest +
//! rustls, with the TLS policy of protocol.md §8); tests use an in-memory transport that
//! answers like a node.
//!
//! What is *not* here: onion layers, retries, which node to ask. A transport makes one attempt
//! and reports how it failed ([`TransportError`]), so that the client can decide.

pub mod http;
#[doc(hidden)]
pub mod memory;

use std::future::Future;
use std::net::SocketAddrV4;
use std::time::Duration;

use crate::error::{ErrorKind, HasKind};
use crate::identity::Ed25519Pub;
use crate::network::SeedNode;

/// The path of a service node's direct storage RPC endpoint (protocol.md §4.1).
pub const STORAGE_RPC_PATH: &str = "/storage_rpc/v1";
/// The path of a service node's onion request endpoint (protocol.md §7.3).
pub const ONION_REQ_PATH: &str = "/onion_req/v2";
/// The path of a service node's reachability test (protocol.md §8).
pub const PING_TEST_PATH: &str = "/ping_test/v1";
/// The path of a seed's JSON-RPC endpoint (protocol.md §5.1).
pub const JSON_RPC_PATH: &str = "/json_rpc";

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A seed node: its full URL, and the SHA-256 of the certificate it must present
    /// (`None` only for a plain `http` seed).
    Seed(SeedNode),
    /// A service node's HTTPS endpoint: `https://<addr>/<path>`. Its certificate is
    /// self-signed and not checked (protocol.md §8).
    Node {
        /// The node's public address and storage port.
        addr: SocketAddrV4,
        /// [`STORAGE_RPC_PATH`] or [`ONION_REQ_PATH`].
        path: &'static str,
    },
}

impl Target {
    /// The URL the request is POSTed to.
    ///
    /// # Security
    /// For a node this holds its IP address: don't show it to people unless they asked.
    pub fn url(&self) -> String {
        match self {
            Self::Seed(s) => s.url.clone(),
            Self::Node { addr, path } => format!("https://{addr}{path}"),
        }
    }
}

impl Target {
    /// How errors and logs name the target: a seed by its URL (public), a node by its short
    /// Ed25519 key ([`short_key`]) when the caller knows it, else "a service node";
    /// never by a node's address.
    pub fn name(&self, key: Option<&Ed25519Pub>) -> String {
        match (self, key) {
            (Self::Seed(s), _) => format!("seed '{}'", s.url),
            (Self::Node { .. }, Some(k)) => format!("node {}", short_key(k)),
            (Self::Node { .. }, None) => "a service node".to_owned(),
        }
    }
}

/// A node's short key, as the client names nodes: the first 8 and last 4 hex digits of its
/// Ed25519 key (`abababab…abab`).
pub fn short_key(k: &Ed25519Pub) -> String {
    let h = k.to_hex();
    format!("{}…{}", &h[..8], &h[h.len() - 4..])
}

/// A transport failure, naming what failed (see [`Target::name`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{target}: {source}")]
pub struct TargetError {
    /// The target, as [`Target::name`] names it.
    pub target: String,
    /// What failed.
    #[source]
    pub source: TransportError,
}

impl TargetError {
    /// `source` from `target` (a node known by `key`).
    pub fn new(target: &Target, key: Option<&Ed25519Pub>, source: TransportError) -> Self {
        Self {
            target: target.name(key),
            source,
        }
    }
}

impl HasKind for TargetError {
    fn kind(&self) -> ErrorKind {
        self.source.kind()
    }

    fn hint(&self) -> Option<String> {
        self.source.hint()
    }
}

/// An HTTP answer: whatever the status, the transport delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any (seed answers must be exactly `application/json`,
    /// protocol.md §5.1).
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends one HTTP POST and returns the answer.
///
/// Implementations make exactly one attempt, honour `timeout` for the whole exchange, and may
/// reuse connections between calls.
pub trait Transport {
    /// POSTs `body` to `target` and returns the HTTP status and body, whatever the status.
    ///
    /// # Errors
    /// [`TransportError`] when no HTTP answer arrived: timeout, connection failure, TLS
    /// failure or a certificate that does not match the seed's pin.
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send;

    /// As [`Transport::post`], with extra request headers (a node forwarding a request to
    /// its swarm names itself in headers, see `node::service`).
    ///
    /// The provided implementation can send no headers: it refuses a non-empty list.
    ///
    /// # Errors
    /// As [`Transport::post`].
    fn post_with_headers(
        &self,
        target: &Target,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        let unsupported = !headers.is_empty();
        let sent = self.post(target, body, timeout);
        async move {
            if unsupported {
                return Err(TransportError::Http {
                    reason: "this transport cannot send request headers".into(),
                });
            }
            sent.await
        }
    }
}

impl<T: Transport + Send + Sync> Transport for std::sync::Arc<T> {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        T::post(self, target, body, timeout)
    }

    fn post_with_headers(
        &self,
        target: &Target,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        T::post_with_headers(self, target, headers, body, timeout)
    }
}

/// Why no HTTP answer arrived.
///
/// The variants never show a service node's address (the caller names the node by its key);
/// seed URLs are public and may appear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No complete answer within the time allowed. Another node or a later retry may work.
    #[error("no answer within {}", humantime::format_duration(*after))]
    Timeout {
        /// The timeout.
        after: Duration,
    },
    /// The TCP connection could not be made or broke. Another node may work.
    #[error("connection failed: {reason}")]
    Connect {
        /// What failed, as the operating system or HTTP library said it.
        reason: String,
    },
    /// The TLS handshake failed for a reason other than a pin mismatch.
    #[error("TLS handshake failed: {reason}")]
    Tls {
        /// rustls's explanation.
        reason: String,
    },
    /// The seed presented a certificate other than the pinned one: someone may be
    /// intercepting the connection, or the network file's pin is out of date.
    #[error(
        "seed '{url}' presented a certificate with SHA-256 {got}, but its pin is {expected}: refusing to talk to it"
    )]
    PinMismatch {
        /// The seed's URL.
        url: String,
        /// The pinned SHA-256 (hex).
        expected: String,
        /// The SHA-256 of what it presented (hex).
        got: String,
    },
    /// The request breaks the TLS policy: an `https` seed without a pin, or a pin on a plain
    /// `http` seed. Fix the network file.
    #[error("refusing '{url}': {reason}")]
    Policy {
        /// The URL.
        url: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The HTTP exchange failed after connecting (malformed answer).
    #[error("HTTP exchange failed: {reason}")]
    Http {
        /// What failed.
        reason: String,
    },
    /// The answer is larger than the bound ([`crate::rpc::limits::MAX_REPLY_LEN`]): refused
    /// as it streamed in (or from its `Content-Length`), never buffered whole.
    #[error("answer larger than {max} bytes")]
    TooLarge {
        /// The bound.
        max: usize,
    },
}

impl TransportError {
    /// Whether no complete answer came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The status an onion hop answers with for this failure of the next hop: 504 for a
    /// timeout, else 502 (protocol.md §4.8, §13.4).
    pub fn gateway_status(&self) -> u16 {
        if self.is_timeout() { 504 } else { 502 }
    }
}

impl HasKind for TransportError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Timeout { .. }
            | Self::Connect { .. }
            | Self::Tls { .. }
            | Self::Http { .. }
            | Self::TooLarge { .. } => ErrorKind::Transient,
            Self::PinMismatch { .. } | Self::Policy { .. } => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::PinMismatch { .. } => Some(
                "check the network (--network) and its seed pins; do not disable the pin".into(),
            ),
            Self::Policy { .. } => {
                Some("an https seed needs cert_sha256; a plain http seed must not have one".into())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_a_node_by_its_short_key_never_its_address() {
        let target = Target::Node {
            addr: "127.0.3.1:22021".parse().unwrap(),
            path: STORAGE_RPC_PATH,
        };
        let key = Ed25519Pub([0xab; 32]);
        let err = TargetError::new(&target, Some(&key), TransportError::TooLarge { max: 10 });
        assert_eq!(
            err.to_string(),
            "node abababab…abab: answer larger than 10 bytes"
        );
        assert_eq!(err.kind(), ErrorKind::Transient);
        let unnamed = TargetError::new(&target, None, TransportError::TooLarge { max: 10 });
        assert!(!unnamed.to_string().contains("127.0.3.1"), "{unnamed}");
        let seed = Target::Seed(SeedNode {
            url: "https://seed1.example:4443/json_rpc".into(),
            pin: None,
        });
        assert_eq!(
            seed.name(None),
            "seed 'https://seed1.example:4443/json_rpc'"
        );
    }
}
