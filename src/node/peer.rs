//! The node's HTTPS client to other nodes, kept as a thin wrapper for the devnet launcher and
//! the tests: everything is [`crate::transport::http::HttpTransport`]'s (one reqwest client,
//! one TLS policy, one error enum, one reply bound).
//!
//! A [`Peer`] carries its own timeout; a failure says whether the other node timed out
//! ([`TransportError::gateway_status`] 504) or could not be reached or misbehaved (502), as
//! protocol.md §4.8 expects.
//!
//! [`ServerClient`] is the exit node's client to HTTP(S) servers (file servers, community
//! servers) that onion requests are proxied to (protocol.md §7.2 case 2, §7.5).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use rustls_platform_verifier::BuilderVerifierExt as _;

use crate::transport::http::{HttpTransport, classify, read_reply};
use crate::transport::{Reply, TransportError};

/// How long a proxied server may take to answer, body included (session-storage-server
/// `ONION_URL_TIMEOUT`, 25 s).
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(25);

/// The largest answer a proxied server may give: a whole 10 MiB request's worth (the storage
/// servers' own relay limit, which a file server's largest answer — a 10,000,000-byte file,
/// its v4 framing and encryption — fits) plus 64 KiB. A larger one is cut off as it streams in
/// and answered 502.
pub const MAX_SERVER_ANSWER: usize = crate::rpc::limits::MAX_REQUEST_BODY + 64 * 1024;

/// The exit node's client to servers: plain HTTP, or HTTPS with the certificate checked
/// against the system's roots (as the storage server's client does); no proxy from the
/// environment, no redirects, connections leaving from the node's own address.
#[derive(Debug, Clone)]
pub struct ServerClient {
    client: reqwest::Client,
    timeout: Duration,
    max: usize,
}

impl ServerClient {
    /// A client whose connections leave from `local` (when given), with `timeout` per request
    /// and answers bounded to `max` bytes.
    ///
    /// # Errors
    /// [`TransportError::Http`] when the TLS roots or the client cannot be set up.
    pub fn new(
        local: Option<IpAddr>,
        timeout: Duration,
        max: usize,
    ) -> Result<Self, TransportError> {
        let setup = |reason: String| TransportError::Http { reason };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup(e.to_string()))?
            .with_platform_verifier()
            .map_err(|e| setup(e.to_string()))?
            .with_no_client_auth();
        let mut headers = HeaderMap::new();
        // What the storage server sends with a proxied request.
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("sesh-node/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .tls_backend_preconfigured(tls)
            .local_address(local)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Self {
            client,
            timeout,
            max,
        })
    }

    /// POSTs `body` to `url` and returns the server's answer, whatever its status.
    ///
    /// # Errors
    /// [`TransportError::Timeout`] past the timeout, [`TransportError::TooLarge`] past the
    /// bound, [`TransportError::Policy`] for a URL that does not parse, and the others of
    /// [`TransportError`] for connection, TLS and HTTP failures.
    pub async fn post(&self, url: &str, body: Vec<u8>) -> Result<Reply, TransportError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| TransportError::Policy {
            url: url.to_owned(),
            reason: "not a valid URL",
        })?;
        let resp = self
            .client
            .post(parsed)
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(e, self.timeout))?;
        read_reply(resp, self.max, self.timeout).await
    }
}

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
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// A one-shot HTTP server on loopback: reads one request (headers and a body of its
    /// `Content-Length`), answers `answer`, and hands back what it read and who connected.
    async fn one_shot(
        answer: Vec<u8>,
    ) -> (
        std::net::SocketAddr,
        tokio::task::JoinHandle<(Vec<u8>, std::net::SocketAddr)>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, from) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if got.len() >= end + 4 + len || n == 0 {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            s.write_all(&answer).await.unwrap();
            s.shutdown().await.unwrap();
            (got, from)
        });
        (addr, task)
    }

    #[tokio::test]
    async fn server_client_posts_octets_and_relays_any_status() {
        let (addr, task) = one_shot(
            b"HTTP/1.1 418 Teapot\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nabc"
                .to_vec(),
        )
        .await;
        let client = ServerClient::new(
            Some("127.0.0.1".parse().unwrap()),
            Duration::from_secs(5),
            1000,
        )
        .unwrap();
        let r = client
            .post(
                &format!("http://{addr}/oxen/v4/lsrpc"),
                b"\x00\x01body".to_vec(),
            )
            .await
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (418, &b"abc"[..]));
        let (got, _) = task.await.unwrap();
        let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
        assert!(text.starts_with("post /oxen/v4/lsrpc http/1.1"), "{text}");
        assert!(
            text.contains("content-type: application/octet-stream"),
            "{text}"
        );
        assert!(got.ends_with(b"\x00\x01body"));
    }

    #[tokio::test]
    async fn server_client_bounds_the_answer() {
        let mut answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2000\r\n\r\n".to_vec();
        answer.extend(std::iter::repeat_n(b'x', 2000));
        let (addr, _task) = one_shot(answer).await;
        let client = ServerClient::new(None, Duration::from_secs(5), 1000).unwrap();
        let err = client
            .post(&format!("http://{addr}/oxen/v4/lsrpc"), vec![])
            .await
            .unwrap_err();
        assert!(
            matches!(err, TransportError::TooLarge { max: 1000 }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn silent_server_is_504() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
            drop(s);
        });
        let client = ServerClient::new(None, Duration::from_millis(200), 1000).unwrap();
        let err = client
            .post(&format!("http://{addr}/oxen/v4/lsrpc"), vec![1])
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(err.gateway_status(), 504);
        hold.abort();
    }

    #[tokio::test]
    async fn server_client_checks_https_certificates() {
        // A self-signed certificate is no one's: refused, unlike a node's.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let task = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            // The handshake fails on the client's side; the server's result is irrelevant.
            let _ = acceptor.accept(s).await;
        });
        let client = ServerClient::new(None, Duration::from_secs(5), 1000).unwrap();
        let err = client
            .post(&format!("https://{addr}/oxen/v4/lsrpc"), vec![])
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Tls { .. }), "{err:?}");
        task.await.unwrap();
    }

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
