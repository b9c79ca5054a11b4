//! Requests and responses as the node's services see them: plain values, no hyper types.
//!
//! The server ([`super::run`]) parses HTTP, applies the limits that do not depend on what a
//! request means (body size, rate, timeouts, the long-poll header) and hands a complete
//! [`Request`] to a [`Service`]. The service answers with a [`Response`]; the server adds the
//! `Server:` and `Content-Type:` headers.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;

/// The header map of a request (hyper's, re-exported so services need not name hyper).
pub(crate) use hyper::HeaderMap;

/// `Content-Type` of JSON bodies, exactly as the storage server sends it (protocol.md §15.6).
pub(crate) const CONTENT_TYPE_JSON: &str = "application/json";
/// `Content-Type` of string bodies, error texts and base64 onion replies (protocol.md §15.6).
pub(crate) const CONTENT_TYPE_TEXT: &str = "text/plain";

/// The largest body of a route whose requests are small ([`Admit::Seed`], [`Admit::Read`]):
/// 64 KiB. A larger one is refused with 413 before it is read.
pub const MAX_SMALL_ROUTE_BODY: usize = 64 * 1024;

/// A future returned by [`Service::handle`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One HTTP request, its body read in full.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, without the query string, e.g. `/storage_rpc/v1`.
    pub path: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The body (at most [`super::MAX_REQUEST_BODY_SIZE`] bytes).
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the server checked this request to be a copy forwarded by a peer node
    /// ([`Service::may_be_peer_copy`], then [`Service::is_peer_copy`]): the signature is
    /// verified once, by the server, and the answer passed on here.
    pub peer_copy: bool,
}

impl Request {
    /// The value of header `name` (case-insensitive), if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// Further headers, e.g. `X-Oxen-Snode-Pubkey` on `/ping_test/v1` (protocol.md §8).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Bytes,
    /// Close the connection after this response (the storage server does after a 413).
    pub close: bool,
}

impl Response {
    /// A JSON response, `Content-Type: application/json`.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::bytes(status, CONTENT_TYPE_JSON, value.to_string())
    }

    /// A text response, `Content-Type: text/plain`.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::bytes(status, CONTENT_TYPE_TEXT, body.into())
    }

    /// A response with the given content type.
    pub fn bytes(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
            close: false,
        }
    }

    /// The storage server's answer for a path it does not serve: 404 with the text
    /// `<METHOD> <url> Not Found` (protocol.md §15.5, SS `https.cpp on_headers`).
    pub fn not_found(method: &str, url: &str) -> Self {
        Self::text(404, format!("{method} {url} Not Found"))
    }

    /// The storage server's bare error answer: the status's reason phrase and a newline
    /// (SS `https.cpp error_response`), e.g. `Too Many Requests\n` for 429.
    pub fn reason(status: u16) -> Self {
        let phrase = hyper::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Self::text(status, format!("{phrase}\n"))
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Asks the server to close the connection after sending this response.
    #[must_use]
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

/// What the server does with a request, decided from its request line before the body is read
/// (the storage server's `on_headers`, SS `oxenss/server/https.cpp`).
///
/// Only [`Admit::Seed`] and [`Admit::Plain`] are served over plain HTTP; every other route is
/// HTTPS only, and a plain-HTTP request to it is answered 400 and the connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admit {
    /// No such route: answer 404 `<METHOD> <url> Not Found` without reading the body.
    NotFound,
    /// A client storage RPC (`POST /storage_rpc/v1`): subject to the per-client rate limit
    /// (429) unless [`Service::may_be_peer_copy`] and [`Service::is_peer_copy`] vouch for it, and refused with 410 when it
    /// carries a non-empty `X-Loki-Long-Poll` header (§4.1).
    ClientRpc,
    /// An onion request (`POST /onion_req/v2`): subject to the per-client rate limit (429).
    Onion,
    /// Any other HTTPS route the service serves (`/ping_test/v1`): read the body (at most
    /// [`MAX_SMALL_ROUTE_BODY`]) and hand it over.
    Read,
    /// A seed's node list (`POST /json_rpc`): subject to the per-client rate limit (429); read
    /// the body (at most [`MAX_SMALL_ROUTE_BODY`]) and hand it over; also served over plain
    /// HTTP, since clients fetch the node list from seeds over `http://` (protocol.md §5.1,
    /// §15.11).
    Seed,
    /// A route of a plain-HTTP server (the file server, [`super::files`]): served over plain
    /// HTTP, not rate-limited, its body at most `max_body` bytes (and the server's limit); a
    /// larger one is refused with [`Service::too_large`] before it is read.
    Plain {
        /// The largest body the route takes.
        max_body: usize,
    },
}

impl Admit {
    /// Whether the route is also served over plain HTTP.
    pub fn plain_http(self) -> bool {
        matches!(self, Self::Seed | Self::Plain { .. })
    }

    /// Whether the route is subject to the per-client rate limit: client RPCs, onion requests
    /// and the seed's node list.
    pub fn rate_limited(self) -> bool {
        matches!(self, Self::ClientRpc | Self::Onion | Self::Seed)
    }

    /// The largest body the route takes, given the server's limit `max`: the seed's and the
    /// ping route's requests are small, so they take at most [`MAX_SMALL_ROUTE_BODY`].
    pub fn max_body(self, max: usize) -> usize {
        match self {
            Self::Seed | Self::Read => max.min(MAX_SMALL_ROUTE_BODY),
            Self::Plain { max_body } => max.min(max_body),
            _ => max,
        }
    }
}

/// What the node serves: the protocol's routes, decided by whoever implements this.
///
/// The server holds it as `Arc<dyn Service>` and calls it from many tasks at once.
pub trait Service: Send + Sync + 'static {
    /// Classifies a request from its method and path (the path has no query string).
    fn admit(&self, method: &str, path: &str) -> Admit;

    /// Whether a rate-limited request, from its path, headers and source address alone (before
    /// the body is read), may be a copy forwarded by a peer node: the forwarder it names is a
    /// member of our swarm, the connection comes from that member's listed address, and the
    /// signature has the right shape. Only such a request skips the rate check before its
    /// body is read; any other takes a token at once. By default, never.
    fn may_be_peer_copy(&self, _path: &str, _headers: &HeaderMap, _peer: SocketAddr) -> bool {
        false
    }

    /// The key of the node relaying an onion request, from its headers and source address
    /// alone: the relayer it names is a roster member and the connection comes from that
    /// member's listed address. Such a request takes a token from that node's bucket
    /// ([`super::Rate::SERVICE_NODE`]), not from its address's client bucket. By default,
    /// never.
    fn relaying_node(&self, _headers: &HeaderMap, _peer: SocketAddr) -> Option<[u8; 32]> {
        None
    }

    /// Whether a request naming a forwarder, its body read, is a copy forwarded by a peer
    /// node: its signature over the body verifies. The server asks once per request (also for
    /// one [`Service::may_be_peer_copy`] refused, which took a token before its body) and
    /// passes the answer on in [`Request::peer_copy`]; a request that fails takes a rate-limit
    /// token like any client request. By default, never.
    fn is_peer_copy(&self, _request: &Request) -> bool {
        false
    }

    /// The answer to a request whose body is over its route's limit (sent before the body is
    /// read; the connection is closed after it). By default the storage server's, 413
    /// `Request body too large`.
    fn too_large(&self, _path: &str) -> Response {
        Response::text(413, "Request body too large")
    }

    /// Answers a request that [`Service::admit`] let through.
    fn handle(&self, request: Request) -> BoxFuture<'_, Response>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_content_types() {
        let j = Response::json(200, &serde_json::json!({"a": 1}));
        assert_eq!(j.content_type, "application/json");
        assert_eq!(&j.body[..], br#"{"a":1}"#);
        let t = Response::text(400, "no method x");
        assert_eq!(t.content_type, "text/plain");
        assert_eq!(
            Response::not_found("GET", "/x?y").body,
            Bytes::from("GET /x?y Not Found")
        );
        assert_eq!(
            Response::reason(429).body,
            Bytes::from("Too Many Requests\n")
        );
    }
}
