//! The node's HTTPS client to other nodes, kept as a thin wrapper for the devnet launcher and
//! the tests: everything is [`crate::transport::http::HttpTransport`]'s (one reqwest client,
//! one TLS policy, one error enum, one reply bound).
//!
//! A [`Peer`] carries its own timeout; a failure says whether the other node timed out
//! ([`TransportError::gateway_status`] 504) or could not be reached or misbehaved (502), as
//! protocol.md §4.8 expects.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::transport::http::HttpTransport;
use crate::transport::{Reply, TransportError};

/// An HTTPS client to other nodes, with a connection pool and a per-request timeout.
#[derive(Debug, Clone)]
pub struct Peer {
    transport: Arc<HttpTransport>,
    timeout: Duration,
}

impl Peer {
    /// A client whose requests time out after `timeout` (connecting and the whole body
    /// included).
    ///
    /// # Errors
    /// [`TransportError::Http`] when the client cannot be built.
    pub fn new(timeout: Duration) -> Result<Self, TransportError> {
        Self::bound(timeout, None)
    }

    /// A client whose connections leave from `local` (see [`HttpTransport::bound`]).
    ///
    /// # Errors
    /// [`TransportError::Http`] when the client cannot be built.
    pub fn bound(
        timeout: Duration,
        local: Option<std::net::IpAddr>,
    ) -> Result<Self, TransportError> {
        let transport = HttpTransport::bound(local).map_err(|e| TransportError::Http {
            reason: e.to_string(),
        })?;
        Ok(Self {
            transport: Arc::new(transport),
            timeout,
        })
    }

    /// The transport underneath, for a [`crate::node::service::NodeService`].
    pub fn transport(&self) -> Arc<HttpTransport> {
        Arc::clone(&self.transport)
    }

    /// The same client (sharing its pool) with another timeout.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            timeout,
        }
    }

    /// The timeout of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `path` on the node at `base`; returns the status and body.
    ///
    /// # Errors
    /// As [`HttpTransport::request`].
    pub async fn post(
        &self,
        base: &str,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Vec<u8>), TransportError> {
        let r = self.request("POST", base, path, &[], body).await?;
        Ok((r.status, r.body))
    }

    /// Sends a request with extra headers; returns the whole answer.
    ///
    /// # Errors
    /// As [`HttpTransport::request`].
    pub async fn request(
        &self,
        method: &str,
        base: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Reply, TransportError> {
        self.transport
            .request(method, base, path, headers, body.to_vec(), self.timeout)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refused_is_502_and_a_bad_url_is_refused() {
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
        assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
        assert_eq!(err.gateway_status(), 502);
        let err = peer
            .post("not a host", "/x", Bytes::new())
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Policy { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn silent_node_is_504() {
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
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(err.gateway_status(), 504);
        hold.abort();
    }
}
