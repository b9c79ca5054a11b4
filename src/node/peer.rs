//! The node's HTTPS client to other nodes: onion hops forwarded, swarm requests copied.
//!
//! One [`Peer`] holds one connection pool; clone it freely. Every request has a timeout, and a
//! failure says whether the other node timed out ([`PeerError::Timeout`], which the onion code
//! answers with 504) or could not be reached or misbehaved (502), as protocol.md §4.8 expects.
//!
//! # Security
//!
//! Nodes serve self-signed certificates that nobody verifies; the TLS policy is
//! [`crate::transport::http::service_node_tls`]'s, the client's own.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// The largest response body read from another node (see
/// [`crate::rpc::limits::MAX_REPLY_LEN`]).
pub use crate::rpc::limits::MAX_REPLY_LEN as MAX_RESPONSE_BODY;

/// Why a request to another node failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The address or path does not make a URL.
    #[error("'{url}' is not a valid node URL")]
    InvalidUrl {
        /// What was asked for.
        url: String,
    },
    /// The node did not answer in time (→ 504 "Request time out").
    #[error("node at '{url}' timed out")]
    Timeout {
        /// The URL.
        url: String,
    },
    /// The node could not be reached: refused, unroutable, or the TLS handshake failed (→ 502).
    #[error("cannot connect to node at '{url}'")]
    Connect {
        /// The URL.
        url: String,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The connection broke, or the answer was not HTTP (→ 502).
    #[error("request to node at '{url}' failed")]
    Request {
        /// The URL.
        url: String,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was larger than [`MAX_RESPONSE_BODY`] (→ 502).
    #[error("node at '{url}' sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The TLS configuration could not be made.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTPS client")]
    Client(#[source] reqwest::Error),
}

impl PeerError {
    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The status an onion hop answers with for this failure: 504 for a timeout, else 502
    /// (protocol.md §4.8, §13.4).
    pub fn gateway_status(&self) -> u16 {
        match self {
            Self::Timeout { .. } => 504,
            _ => 502,
        }
    }
}

/// An answer from another node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// An HTTPS client to other nodes, with a connection pool and a per-request timeout.
#[derive(Debug, Clone)]
pub struct Peer {
    client: reqwest::Client,
    timeout: Duration,
}

impl Peer {
    /// A client whose requests time out after `timeout` (connecting included).
    ///
    /// # Errors
    /// [`PeerError::Client`] when the client cannot be built.
    pub fn new(timeout: Duration) -> Result<Self, PeerError> {
        Self::bound(timeout, None)
    }

    /// A client whose connections leave from `local` (a node's own address), so the next
    /// hop's log names the node that connected rather than the host's default address.
    ///
    /// # Errors
    /// [`PeerError::Client`] when the client cannot be built.
    pub fn bound(timeout: Duration, local: Option<std::net::IpAddr>) -> Result<Self, PeerError> {
        let client = reqwest::Client::builder()
            .local_address(local)
            // The one TLS policy for service nodes (protocol.md §8): see
            // `transport::http::tls_policy`.
            .tls_backend_preconfigured(
                crate::transport::http::service_node_tls()
                    .map_err(|e| PeerError::Tls(e.to_string()))?,
            )
            // Loopback and service nodes are never reached through a proxy.
            .no_proxy()
            .connect_timeout(timeout)
            .timeout(timeout)
            // Shorter than the node's idle timeout, so a pooled connection is not reused just
            // as the other side closes it.
            .pool_idle_timeout(Duration::from_secs(15))
            .build()
            .map_err(PeerError::Client)?;
        Ok(Self { client, timeout })
    }

    /// The same client (sharing its pool) with another timeout.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            client: self.client.clone(),
            timeout,
        }
    }

    /// The timeout of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `path` on the node at `base`; returns the status and body.
    ///
    /// `base` is `host:port` (`127.0.0.2:22021`, `[::1]:22021`) or a URL prefix
    /// (`https://127.0.0.2:22021`).
    ///
    /// # Errors
    /// [`PeerError::Timeout`] when no full answer came in time; [`PeerError::Connect`],
    /// [`PeerError::Request`] or [`PeerError::TooLarge`] otherwise.
    pub async fn post(
        &self,
        base: &str,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), PeerError> {
        let r = self.request("POST", base, path, &[], body).await?;
        Ok((r.status, r.body))
    }

    /// Sends a request with extra headers; returns the whole answer.
    ///
    /// # Errors
    /// As [`Peer::post`]; [`PeerError::InvalidUrl`] for a bad method, address or path.
    pub async fn request(
        &self,
        method: &str,
        base: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<PeerResponse, PeerError> {
        let url = if base.contains("://") {
            format!("{base}{path}")
        } else {
            format!("https://{base}{path}")
        };
        let invalid = || PeerError::InvalidUrl { url: url.clone() };
        let parsed = reqwest::Url::parse(&url).map_err(|_| invalid())?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| invalid())?;
        let mut req = self
            .client
            .request(method, parsed)
            .timeout(self.timeout)
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let classify = |source: reqwest::Error| {
            // A connect timeout is both: it counts as a timeout, as SS reports it.
            if source.is_timeout() {
                PeerError::Timeout { url: url.clone() }
            } else if source.is_connect() {
                PeerError::Connect {
                    url: url.clone(),
                    source,
                }
            } else {
                PeerError::Request {
                    url: url.clone(),
                    source,
                }
            }
        };
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BODY {
                return Err(PeerError::TooLarge {
                    url,
                    limit: MAX_RESPONSE_BODY,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(PeerResponse {
            status,
            content_type,
            body: body.freeze(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refused_connection_is_connect_error() {
        // A port that was just free: nothing listens on it.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let peer = Peer::new(Duration::from_secs(5)).unwrap();
        let err = peer
            .post(&addr.to_string(), "/storage_rpc/v1", Bytes::new())
            .await
            .unwrap_err();
        assert!(matches!(err, PeerError::Connect { .. }), "{err:?}");
        assert_eq!(err.gateway_status(), 502);
    }

    #[tokio::test]
    async fn silent_node_is_timeout() {
        // Accepts the connection and never answers the TLS handshake.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
            drop(s);
        });
        let peer = Peer::new(Duration::from_millis(200)).unwrap();
        let err = peer
            .post(&addr.to_string(), "/onion_req/v2", Bytes::new())
            .await
            .unwrap_err();
        assert!(matches!(err, PeerError::Timeout { .. }), "{err:?}");
        assert_eq!(err.gateway_status(), 504);
        hold.abort();
    }

    #[tokio::test]
    async fn bad_url_is_refused() {
        let peer = Peer::new(Duration::from_secs(1)).unwrap();
        let err = peer
            .post("not a host", "/x", Bytes::new())
            .await
            .unwrap_err();
        assert!(matches!(err, PeerError::InvalidUrl { .. }), "{err:?}");
    }
}
