//! The local node (`sesh-node`): a Session service node for an offline test network, serving
//! the storage servers' HTTPS protocol, by default on loopback.
//!
//! This module is the node's I/O: the HTTPS server, its limits, the files in the node's
//! directory, the message database and the client to other nodes. What requests mean (the
//! storage RPC, onion hops) is a [`Service`] plugged into [`run`].
//!
//! # Public API
//!
//! | item | what |
//! |---|---|
//! | [`Config`], [`Home`], [`bind`], [`run`], [`prune_expired_every`] | start and serve a node |
//! | [`Service`], [`Request`], [`Response`], [`Admit`] | what [`run`] serves; [`service::NodeService`] is the storage server, [`InfoService`] a stand-in answering `info` only |
//! | [`Limits`], [`Rate`] | the server's limits, and the per-client-IP token bucket behind 429 |
//! | [`ServerCert`], [`DbHandle`], [`Log`] | the node's certificate, message store and log |
//! | [`Error`], [`TlsError`], [`DbError`] | why a node could not start or keep serving |
//! | [`service`] | the storage server's methods and onion hops |
//! | [`roster`] | who is on the network: the devnet's roster file |
//! | [`peer`] | a thin wrapper over [`crate::transport::http::HttpTransport`] for the launcher and tests |
//!
//! The modules behind these items are crate-private (`http`, `rate`, `tls`, `db`, `rpc`,
//! `log`, `info`): the HTTP plumbing, the rate limiter's buckets, the certificate files, the
//! SQLite queries and the request checks are the node's business only.
//!
//! # The server
//!
//! [`run`] follows mini-redis's `server::run`: it accepts connections until the `shutdown`
//! future completes, holding a semaphore permit per connection ([`Limits::max_connections`]),
//! then stops accepting, asks every connection to finish its request in flight, and waits at
//! most [`Limits::shutdown_grace`] before dropping the rest. For each request it applies, in the
//! storage server's order (SS `oxenss/server/https.cpp on_headers`):
//!
//! 1. the route ([`Service::admit`]): unknown → 404 `<METHOD> <url> Not Found`;
//! 2. for client RPCs: the per-IP rate limit → 429, then `X-Loki-Long-Poll` → 410;
//! 3. a `Content-Length` over [`MAX_REQUEST_BODY_SIZE`] → 413 (the body is not read), or a
//!    body that grows past it → 413; either closes the connection;
//! 4. the body must arrive, and the service answer, within [`Limits::request_timeout`]
//!    (408 / 504).
//!
//! Each refused request is one line in the [`Log`].

pub(crate) mod db;
#[doc(hidden)]
pub mod hostile;
pub(crate) mod http;
pub(crate) mod info;
pub(crate) mod log;
pub mod peer;
pub(crate) mod rate;
pub mod roster;
pub(crate) mod rpc;
pub mod service;
pub(crate) mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue, SERVER};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

pub use self::db::{Error as DbError, Handle as DbHandle};
pub use self::http::{Admit, BoxFuture, Request, Response, Service};
pub use self::info::InfoService;
pub use self::log::Log;
pub use self::rate::Rate;
pub use self::tls::{Error as TlsError, ServerCert};
use crate::clock::Clock;
use crate::error::{ErrorKind, HasKind};
use crate::identity::{Identity, keyfile};
use crate::store;

/// The largest request body the node reads (protocol.md §4.1); larger requests get 413.
pub use crate::rpc::limits::MAX_REQUEST_BODY as MAX_REQUEST_BODY_SIZE;

/// The `Server:` header of every response (clients do not check it, §15.6).
pub(crate) const SERVER_HEADER: &str = concat!("sesh-node/", env!("CARGO_PKG_VERSION"));

/// The identity file in the node's directory (the format of [`crate::identity::keyfile`]).
pub const IDENTITY_FILE: &str = "identity";
/// The default log file in the node's directory.
pub const LOG_FILE: &str = "node.log";

/// Where a node listens unless told otherwise: loopback, any free port.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The server's limits and timeouts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// The largest request body.
    pub max_body: usize,
    /// Time for a client to complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time for a client to send a request's headers, idle keep-alive time included.
    pub idle_timeout: Duration,
    /// Time for a request's body to arrive and the service to answer it.
    pub request_timeout: Duration,
    /// Time in-flight requests get to finish after shutdown is asked.
    pub shutdown_grace: Duration,
    /// The per-client-IP rate limit on client RPCs, or `None` for none.
    pub rate: Option<Rate>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_body: MAX_REQUEST_BODY_SIZE,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            rate: Some(Rate::STORAGE_SERVER),
        }
    }
}

/// What a node needs to start: its directory, address and limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The node's directory: identity, TLS certificate, message database, log.
    pub dir: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The server's limits.
    pub limits: Limits,
}

impl Config {
    /// A node in `dir` on [`DEFAULT_LISTEN`] with the default limits.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            listen: DEFAULT_LISTEN,
            limits: Limits::default(),
        }
    }
}

/// Why the node could not start or keep serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The node's directory could not be created.
    #[error("creating the node directory '{path}'")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The node's identity could not be read or written.
    #[error("the node identity")]
    Identity(#[source] crate::Error),
    /// The TLS certificate could not be made or loaded.
    #[error("the node's TLS certificate")]
    Tls(#[source] TlsError),
    /// The message database could not be opened.
    #[error("the node's message database")]
    Db(#[source] DbError),
    /// The log file could not be opened.
    #[error("opening the log '{path}'")]
    Log {
        /// The log file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The listening address could not be bound.
    #[error("listening on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Accepting connections failed in a way that will not pass.
    #[error("accepting connections")]
    Accept(#[source] std::io::Error),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Identity(e) => e.kind(),
            Self::Dir { .. }
            | Self::Tls(_)
            | Self::Db(_)
            | Self::Log { .. }
            | Self::Bind { .. }
            | Self::Accept(_) => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
                Some("another process uses this address; pick another port, or 0".to_owned())
            }
            Self::Identity(e) => e.hint(),
            _ => None,
        }
    }
}

/// The node's directory, opened: its identity, certificate and message store.
#[derive(Debug)]
pub struct Home {
    /// The directory.
    pub dir: PathBuf,
    /// The node's Ed25519 identity (its X25519 key is the onion-layer key).
    pub identity: Identity,
    /// The TLS certificate and its pins.
    pub tls: ServerCert,
    /// The message store.
    pub db: DbHandle,
}

impl Home {
    /// Opens the node's directory, creating it (mode 0700) and whatever is missing in it: a
    /// new identity (from `rng`, its key file dated `now`), a new certificate, an empty
    /// database.
    ///
    /// # Errors
    /// [`Error::Dir`], [`Error::Identity`], [`Error::Tls`] or [`Error::Db`], naming the file.
    pub fn open(
        dir: &Path,
        now: SystemTime,
        rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
    ) -> Result<Self, Error> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(|source| Error::Dir {
            path: dir.to_owned(),
            source,
        })?;
        let identity = load_or_create_identity(&dir.join(IDENTITY_FILE), now, rng)?;
        let tls = tls::load_or_create(dir).map_err(Error::Tls)?;
        let db = db::Db::open(&dir.join(db::DB_FILE)).map_err(Error::Db)?;
        Ok(Self {
            dir: dir.to_owned(),
            identity,
            tls,
            db: db::Handle::new(db),
        })
    }
}

fn load_or_create_identity(
    path: &Path,
    now: SystemTime,
    rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
) -> Result<Identity, Error> {
    match store::read_identity(path) {
        Err(crate::Error::NoIdentity { .. }) => {}
        other => return other.map_err(Error::Identity),
    }
    let identity = Identity::generate(rng);
    let text = keyfile::encode(&identity, now);
    match store::write_secret_file(path, text.as_bytes(), false, false) {
        Ok(()) => Ok(identity),
        // Another process made it first: use theirs.
        Err(crate::Error::AlreadyExists { .. }) => {
            store::read_identity(path).map_err(Error::Identity)
        }
        Err(e) => Err(Error::Identity(e)),
    }
}

/// Binds a listening socket.
///
/// # Errors
/// [`Error::Bind`] naming the address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })
}

/// Removes expired messages from `db` every `every`, forever; spawn it and abort it at
/// shutdown.
pub async fn prune_expired_every(
    db: db::Handle,
    clock: Arc<dyn Clock + Send + Sync>,
    every: Duration,
    log: Log,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = clock.now_ms();
        match db.call(move |db| db.prune_expired(now)).await {
            Ok(0) => {}
            Ok(n) => log.line(format_args!("pruned {n} expired messages")),
            Err(e) => log.line(format_args!("pruning failed: {}", chain(&e))),
        }
    }
}

/// An error and its sources, joined by `": "`, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// What every connection task shares.
struct Shared {
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    rate: Option<Mutex<rate::RateLimiter>>,
    /// The origin of the rate limiter's time (tokio's clock, so paused-time tests work).
    origin: tokio::time::Instant,
}

/// Serves HTTPS on `listener` until `shutdown` completes, then shuts down gracefully.
///
/// Requests go to `service` (see the module documentation for what the server answers
/// itself). After `shutdown`, no connection is accepted; requests in flight may finish within
/// [`Limits::shutdown_grace`], and idle connections are closed.
///
/// # Errors
/// [`Error::Accept`] when accepting fails in a way that will not pass (transient failures,
/// such as running out of file descriptors, are logged and retried).
pub async fn run(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    shutdown: impl Future,
) -> Result<(), Error> {
    let acceptor = TlsAcceptor::from(tls);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(());
    let shared = Arc::new(Shared {
        service,
        rate: limits.rate.map(|r| Mutex::new(rate::RateLimiter::new(r))),
        limits,
        log,
        origin: tokio::time::Instant::now(),
    });
    let mut tasks = JoinSet::new();
    let mut backoff = Duration::from_millis(10);
    tokio::pin!(shutdown);

    let result = loop {
        let permit = tokio::select! {
            biased;
            _ = &mut shutdown => break Ok(()),
            p = Arc::clone(&permits).acquire_owned() => {
                p.expect("should: the semaphore is never closed")
            }
        };
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break Ok(()),
            a = listener.accept() => a,
        };
        // Finished connections are reaped here, so the set holds live ones only.
        while tasks.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                tasks.spawn(connection(
                    stream,
                    peer,
                    acceptor.clone(),
                    Arc::clone(&shared),
                    stop_rx.clone(),
                    permit,
                ));
            }
            Err(e) if is_transient_accept_error(&e) => {
                // E.g. out of file descriptors: wait a little (up to 1 s), as mini-redis does.
                shared
                    .log
                    .line(format_args!("accept failed, retrying: {e}"));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            Err(e) => break Err(Error::Accept(e)),
        }
    };

    drop(listener);
    let in_flight = tasks.len();
    // Every connection sees the change and shuts down gracefully.
    let _ = stop_tx.send(());
    let drained = tokio::time::timeout(shared.limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        shared.log.line(format_args!(
            "shutdown: {} of {in_flight} connections did not finish in time; dropped",
            tasks.len()
        ));
        tasks.shutdown().await;
    }
    result
}

fn is_transient_accept_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    // EMFILE (24) / ENFILE (23): out of descriptors, until some connection closes.
    matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::Interrupted | K::WouldBlock
    ) || matches!(e.raw_os_error(), Some(23 | 24))
}

/// Serves one connection: TLS handshake, then HTTP/1.1 requests until the client leaves, goes
/// idle, or shutdown is asked.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    // A TLS connection starts with a handshake record (0x16). Anything else is plain HTTP,
    // which seeds must also speak: some clients fetch the node list over http (protocol.md
    // §5.1 testnet, §15.11).
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(shared.limits.handshake_timeout, stream.peek(&mut first));
    let is_tls = tokio::select! {
        r = peeked => match r {
            Ok(Ok(1)) => first[0] == 0x16,
            _ => return,
        },
        _ = stop.changed() => return,
    };
    if !is_tls {
        serve_http(TokioIo::new(stream), peer, shared, stop).await;
        return;
    }
    let handshake = tokio::time::timeout(shared.limits.handshake_timeout, acceptor.accept(stream));
    let tls = tokio::select! {
        r = handshake => match r {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                shared.log.line(format_args!("TLS handshake with {peer} failed: {e}"));
                return;
            }
            Err(_) => {
                shared.log.line(format_args!("TLS handshake with {peer} timed out"));
                return;
            }
        },
        _ = stop.changed() => return,
    };
    serve_http(TokioIo::new(tls), peer, shared, stop).await;
}

/// Serves HTTP/1.1 requests on one connection until the client leaves, goes idle, or
/// shutdown is asked.
async fn serve_http<I>(io: I, peer: SocketAddr, shared: Arc<Shared>, mut stop: watch::Receiver<()>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = {
        let shared = Arc::clone(&shared);
        hyper::service::service_fn(move |req| {
            let shared = Arc::clone(&shared);
            async move { Ok::<_, Infallible>(to_hyper(respond(&shared, req, peer).await)) }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.idle_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            // Finish the request in flight, if any, then close.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Applies the server's checks, reads the body and asks the service.
async fn respond(shared: &Shared, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let target = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let refuse = |resp: Response, why: &str| {
        shared.log.line(format_args!(
            "{} {method} {target} from {}: {why}",
            resp.status,
            peer.ip()
        ));
        resp
    };

    match shared.service.admit(method, path) {
        Admit::NotFound => return refuse(Response::not_found(method, target), "no such route"),
        Admit::ClientRpc => {
            // Copies forwarded by swarm members are not client requests (the storage server
            // sends them over its own peer channel): the service checks their signature and
            // refuses a forged one, so skipping the client limit for them gives a flooder
            // nothing but 401s.
            let forwarded = parts.headers.contains_key(service::FORWARDED_BY);
            if let Some(rate) = shared.rate.as_ref().filter(|_| !forwarded) {
                let now = shared.origin.elapsed();
                let allowed = rate
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .allow(peer.ip(), now);
                if !allowed {
                    return refuse(Response::reason(429), "rate limited");
                }
            }
            // SS https.cpp: an empty value does not count.
            if parts
                .headers
                .get("x-loki-long-poll")
                .is_some_and(|v| !v.is_empty())
            {
                return refuse(
                    Response::text(
                        410,
                        "long polling is no longer supported, client upgrade required",
                    ),
                    "long poll",
                );
            }
        }
        Admit::Read => {}
    }

    let max = shared.limits.max_body;
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > max) {
        return refuse(
            Response::text(413, "Request body too large").closing(),
            "Content-Length too large",
        );
    }

    let deadline = tokio::time::Instant::now() + shared.limits.request_timeout;
    let body = match tokio::time::timeout_at(deadline, Limited::new(body, max).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return refuse(
                Response::text(413, "Request body too large").closing(),
                "body too large",
            );
        }
        Ok(Err(e)) => {
            return refuse(
                Response::reason(400).closing(),
                &format!("reading the body failed: {e}"),
            );
        }
        Err(_) => return refuse(Response::reason(408).closing(), "body timed out"),
    };

    let request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: parts.headers.clone(),
        body,
        peer,
    };
    match tokio::time::timeout_at(deadline, shared.service.handle(request)).await {
        // The service logs its own refusals, with their reasons: one line per request.
        Ok(resp) => resp,
        Err(_) => refuse(Response::text(504, "Request time out"), "service timed out"),
    }
}

fn to_hyper(resp: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder()
        .status(resp.status)
        .header(CONTENT_TYPE, resp.content_type)
        .header(SERVER, SERVER_HEADER);
    for (name, value) in &resp.headers {
        builder = builder.header(*name, value.as_str());
    }
    if resp.close {
        builder = builder.header(CONNECTION, "close");
    }
    builder.body(Full::new(resp.body)).unwrap_or_else(|_| {
        // A status or header the service made up that HTTP cannot carry: a bug.
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"Internal Server Error\n")));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static(http::CONTENT_TYPE_TEXT),
        );
        r.headers_mut()
            .insert(SERVER, HeaderValue::from_static(SERVER_HEADER));
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_carry_server_and_content_type() {
        let r = to_hyper(Response::json(200, &serde_json::json!({})).with_header("X-A", "b"));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[SERVER], SERVER_HEADER);
        assert_eq!(r.headers()["x-a"], "b");
        assert!(r.headers().get(CONNECTION).is_none());
        let r = to_hyper(Response::text(413, "Request body too large").closing());
        assert_eq!(r.headers()[CONNECTION], "close");
    }

    #[test]
    fn unrepresentable_response_becomes_500() {
        let r = to_hyper(Response::text(1000, "?"));
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()[SERVER], SERVER_HEADER);
        let r = to_hyper(Response::text(200, "x").with_header("X-Bad", "a\nb"));
        assert_eq!(r.status(), 500);
    }

    #[test]
    fn out_of_descriptors_is_transient() {
        assert!(is_transient_accept_error(
            &std::io::Error::from_raw_os_error(24)
        ));
        assert!(!is_transient_accept_error(&std::io::Error::from(
            std::io::ErrorKind::InvalidInput
        )));
    }
}
