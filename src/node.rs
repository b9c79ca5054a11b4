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
//! | [`ServerCert`], [`DbHandle`], [`StoreLimits`], [`Log`] | the node's certificate, message store (and how much it holds) and log |
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
//! most [`Limits::shutdown_grace`] before dropping the rest.
//!
//! Every per-client bound counts a client by its address, an IPv6 client by its /64 and an
//! IPv4-mapped IPv6 address as IPv4 (`rate::client_key`). A local attacker can use many
//! loopback addresses; these bounds are per address, and the server-wide ones below are what
//! holds then.
//!
//! At start, `sesh-node` raises its soft open-files limit to the hard one ([`raise_fd_limit`])
//! and keeps [`FD_RESERVE`] (64) descriptors out of [`Limits::max_connections`]
//! ([`connections_within_fd_limit`]). Its connections to other nodes (relays, replication)
//! leave from its own listen address, so other nodes count them against that node.
//!
//! For each connection:
//!
//! - a client may hold [`Limits::max_connections_per_ip`] connections (default
//!   [`MAX_CONNECTIONS_PER_IP`], 64); a further one is closed as soon as it is accepted;
//! - its first byte and TLS handshake must come within [`Limits::handshake_timeout`] (10 s);
//!   a request's headers, idle keep-alive time included, within [`Limits::idle_timeout`]
//!   (30 s); a request head must fit hyper's buffer of [`MAX_HEADER_BUFFER`] (64 KiB; checked
//!   between reads, so at most about twice that) or is answered 431;
//! - a response the client takes none of for [`Limits::write_timeout`] (30 s) ends the
//!   connection, and so does an answer of [`SMALL_ANSWER`] (64 KiB) or more not taken within
//!   `write_timeout` plus its length at [`MIN_RESPONSE_BYTES_PER_SECOND`] (16 KiB/s), a
//!   deadline enforced by a timer while the answer is written (smaller answers have only the
//!   no-progress limit);
//! - plain HTTP (a first byte other than a TLS handshake record) is answered only on
//!   [`Admit::Seed`] routes (a seed's `/json_rpc`); any other route answers it 400
//!   `This route is served over HTTPS only` and closes.
//!
//! For each request it applies, in this order (after the storage server's `on_headers`, SS
//! `oxenss/server/https.cpp`):
//!
//! 1. the route ([`Service::admit`]): unknown → 404 `<METHOD> <url> Not Found`; plain HTTP
//!    to a route other than the seed's → 400;
//! 2. on rate-limited routes (client RPCs, onion requests, the seed's list): a request whose
//!    headers and source address may be a swarm member's forwarded copy
//!    ([`Service::may_be_peer_copy`]: the `x-sesh-forwarded-by` key is a member of our swarm,
//!    the connection comes from that member's listed address, the signature decodes to 64
//!    bytes) goes on without a token for now; an onion request relayed by a roster member
//!    from its listed address ([`Service::relaying_node`], the `x-sesh-relayed-by` header
//!    `sesh-node` sets on its relays) takes a token from that node's own bucket
//!    ([`Rate::SERVICE_NODE`], 600 tokens, 600 a second, per node key, as SS counts other
//!    nodes); any other request takes a token from the client's bucket ([`Limits::rate`]) or
//!    is answered 429. A node relays an onion request at most [`service::MAX_RELAY_HOPS`] (4)
//!    times in all: each relay carries `x-sesh-relay-hops`, and a node refuses (502) to relay
//!    one that has been relayed that many times;
//! 3. for client RPCs, a non-empty `X-Loki-Long-Poll` → 410;
//! 4. a `Content-Length` over the route's limit ([`MAX_REQUEST_BODY_SIZE`], 10 MiB;
//!    [`MAX_SMALL_ROUTE_BODY`], 64 KiB, for the seed and ping routes) → 413, the body not
//!    read, or a body that grows past it → 413; either closes the connection;
//! 5. the declared length, then any bytes past it, count against the client's in-flight
//!    budget ([`Limits::max_body_in_flight_per_ip`], default [`MAX_BODY_IN_FLIGHT_PER_IP`],
//!    30 MiB): over it → 429 `Too Many Requests` and the connection closed (the storage server
//!    has no such budget; 429 is its answer to a client asking too much, where 503 would tell
//!    clients the node is down); the bytes as they arrive count against the server's
//!    ([`Limits::max_body_in_flight`], default [`MAX_BODY_IN_FLIGHT`], 256 MiB): over it → 503
//!    `Service Unavailable`, closing. The buffer is reserved at the declared length (at most
//!    the route's limit) with the body's first bytes, so a body takes one allocation; a body
//!    without a length grows by doubling, and the budgets count the buffer's capacity;
//! 6. the body must arrive within [`Limits::request_timeout`] (60 s) → 408;
//! 7. a request naming a forwarder has its signature over the body verified, once
//!    ([`Service::is_peer_copy`]); the answer goes to the service in [`Request::peer_copy`].
//!    A copy from another address than the member's listed one (a node behind NAT, or
//!    listening on every address) took a token in step 2 and, verified, is accepted all the
//!    same: the source address only decides the exemption before the body. A possible copy
//!    from step 2 that fails takes a token now (429 when none is left);
//! 8. the service answers within what is left of `request_timeout` → 504;
//! 9. the request's claims are given back; the answer's length is claimed of the client's
//!    answer budget ([`Limits::max_answer_in_flight_per_ip`], default
//!    [`MAX_ANSWER_IN_FLIGHT_PER_IP`], 64 MiB) and the server's
//!    ([`Limits::max_answer_in_flight`], default [`MAX_ANSWER_IN_FLIGHT`], 512 MiB), held
//!    until it is written (all but its last 16 KiB) or the connection ends. An answer of
//!    [`SMALL_ANSWER`] (64 KiB) or more that does not fit is dropped at once and replaced by
//!    503 `Service Unavailable`; the connection stays open. A smaller answer is always sent
//!    (and counted): answers waiting for slow readers never make a request refused, nor a
//!    small answer (a store's, a forwarded copy's) a 503.
//!
//! Each refused request, and each failed TLS handshake, is one line in the [`Log`], at most 20
//! a second together (past that they are counted, and the count logged); a connection refused
//! for the per-address cap is not logged. Other lines (one per storage RPC and subrequest, one
//! per onion request, one per seed request) are not rate-limited; the log file
//! ([`Log::file`], mode 0600, an existing one made so) is rotated at [`MAX_LOG_BYTES`]
//! (64 MiB) to `node.log.1`, so the log takes at most 128 MiB of disk (and one line). Only a
//! regular file is rotated (`--log /dev/stdout` or a FIFO never is); a rotation that fails
//! keeps the lines in the file in hand and is tried again 100 lines later.

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
use http_body_util::BodyExt as _;
use hyper::body::{Body as _, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue, SERVER};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

pub use self::db::{
    Error as DbError, Handle as DbHandle, MAX_DB_BYTES, MAX_MAILBOX_BYTES, MAX_MAILBOX_MESSAGES,
    StoreLimits,
};
pub use self::http::{Admit, BoxFuture, MAX_SMALL_ROUTE_BODY, Request, Response, Service};
pub use self::info::InfoService;
pub use self::log::{Log, MAX_LOG_BYTES};
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

/// The most bytes hyper buffers for a connection's request head (and its writes): a request
/// whose headers do not fit is answered 431 and the connection closed. hyper checks it
/// between reads, so a buffer may overshoot it by one read (at most about twice it). hyper's
/// default is some 400 KB a connection, outside every other budget.
pub const MAX_HEADER_BUFFER: usize = 64 * 1024;

/// The default of [`Limits::max_connections_per_ip`]: 64, so sixteen addresses are needed to
/// take the default 1 024 connection slots.
pub const MAX_CONNECTIONS_PER_IP: usize = 64;

/// The default of [`Limits::max_body_in_flight_per_ip`]: three maximal bodies (30 MiB).
pub const MAX_BODY_IN_FLIGHT_PER_IP: usize = 3 * MAX_REQUEST_BODY_SIZE;

/// The default of [`Limits::max_body_in_flight`]: 256 MiB, some 25 maximal bodies.
pub const MAX_BODY_IN_FLIGHT: usize = 256 * 1024 * 1024;

/// The default of [`Limits::max_answer_in_flight_per_ip`]: 64 MiB of answers made and not yet
/// written to one client address (some 20 full retrieves). Answers have their own budgets,
/// apart from request bodies, so that answers waiting for slow readers never make requests
/// refused.
pub const MAX_ANSWER_IN_FLIGHT_PER_IP: usize = 64 * 1024 * 1024;

/// The default of [`Limits::max_answer_in_flight`]: 512 MiB of answers made and not yet
/// written, for all clients together.
pub const MAX_ANSWER_IN_FLIGHT: usize = 512 * 1024 * 1024;

/// File descriptors [`connections_within_fd_limit`] keeps free of client connections: the
/// database, the log, the listener, and some of the node's own connections to other nodes
/// (relays, replication). A flood of relays can take more; then accepting fails for a while
/// (out of descriptors: logged and retried), and relays that cannot connect answer 502.
pub const FD_RESERVE: usize = 64;

/// Raises the process's soft limit on open files to its hard limit (most systems start
/// processes at 1 024, under the default [`Limits::max_connections`] plus what the node
/// needs besides). Returns the soft limit now in force, `None` for no limit.
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    let target = fd_target(now.maximum, SOFT_FD_CAP);
    if now.current != target {
        let raised = rustix::process::Rlimit {
            current: target,
            maximum: now.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return target;
        }
    }
    now.current
}

/// The highest soft open-files limit the system takes: macOS refuses a soft limit over
/// `OPEN_MAX` (10 240), even under an unlimited hard one; `None` elsewhere.
#[cfg(target_os = "macos")]
const SOFT_FD_CAP: Option<u64> = Some(10_240);
#[cfg(not(target_os = "macos"))]
const SOFT_FD_CAP: Option<u64> = None;

/// The soft limit to raise to: the hard limit `maximum` (`None`: unlimited), within `cap`.
fn fd_target(maximum: Option<u64>, cap: Option<u64>) -> Option<u64> {
    match (maximum, cap) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (None, c) => c,
        (m, None) => m,
    }
}

/// `max_connections` clamped so that, with `fd_limit` open files allowed (`None`: no limit),
/// [`FD_RESERVE`] remain for everything else; at least 1.
pub fn connections_within_fd_limit(max_connections: usize, fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return max_connections.max(1);
    };
    let usable = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(FD_RESERVE);
    max_connections.min(usable).max(1)
}

/// The server's limits and timeouts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold open at once; a further one is
    /// closed as soon as it is accepted.
    pub max_connections_per_ip: usize,
    /// The largest request body.
    pub max_body: usize,
    /// Request body bytes one client address (an IPv6 /64) may have in flight at once, declared,
    /// read or being answered: more is refused with 429 and the connection closed.
    pub max_body_in_flight_per_ip: usize,
    /// Request body bytes all clients together may have in flight, counted as they arrive:
    /// more is refused with 503 and the connection closed (many addresses, e.g. the /64s of
    /// one IPv6 /48, each within their own budget, cannot together take the node's memory).
    pub max_body_in_flight: usize,
    /// Answer bytes one client address (an IPv6 /64) may have made and not yet written: an
    /// answer that does not fit is replaced by 503 at once (the connection stays open).
    pub max_answer_in_flight_per_ip: usize,
    /// Answer bytes all clients together may have made and not yet written: an answer that
    /// does not fit is replaced by 503 at once.
    pub max_answer_in_flight: usize,
    /// Time for a client to send its first byte and complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time a response may wait for the client to take any of it: a client that stops reading
    /// loses its connection. A whole answer of [`SMALL_ANSWER`] or more must also be taken
    /// within this plus its length at [`MIN_RESPONSE_BYTES_PER_SECOND`].
    pub write_timeout: Duration,
    /// Time for a client to send a request's headers, idle keep-alive time included.
    pub idle_timeout: Duration,
    /// Time for a request's body to arrive and the service to answer it.
    pub request_timeout: Duration,
    /// Time in-flight requests get to finish after shutdown is asked.
    pub shutdown_grace: Duration,
    /// The per-client rate limit on client RPCs, onion requests and the seed's list, or `None`
    /// for none.
    pub rate: Option<Rate>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_connections_per_ip: MAX_CONNECTIONS_PER_IP,
            max_body: MAX_REQUEST_BODY_SIZE,
            max_body_in_flight_per_ip: MAX_BODY_IN_FLIGHT_PER_IP,
            max_body_in_flight: MAX_BODY_IN_FLIGHT,
            max_answer_in_flight_per_ip: MAX_ANSWER_IN_FLIGHT_PER_IP,
            max_answer_in_flight: MAX_ANSWER_IN_FLIGHT,
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
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
    /// Another process holds the node directory's lock: two nodes on one directory would
    /// share an identity and a database.
    #[error("the node directory '{}' is in use{}", path.display(), in_use_by(*pid))]
    InUse {
        /// The directory.
        path: PathBuf,
        /// The process holding it, when its lock file names one.
        pid: Option<u32>,
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
            Self::InUse { .. } => ErrorKind::Transient,
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
            Self::InUse { .. } => {
                Some("stop the node that runs there first, or pick another --dir".to_owned())
            }
            _ => None,
        }
    }
}

/// ` by process N`, or nothing when the holder is not known.
fn in_use_by(pid: Option<u32>) -> String {
    pid.map(|p| format!(" by process {p}")).unwrap_or_default()
}

/// The lock file in a node's directory: held (`flock`) for the node's life, with its pid.
pub const LOCK_FILE: &str = "lock";

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
    /// The directory's lock ([`LOCK_FILE`]), held while this lives.
    _lock: std::fs::File,
}

impl Home {
    /// Opens the node's directory, creating it (mode 0700) and whatever is missing in it: a
    /// new identity (from `rng`, its key file dated `now`), a new certificate, an empty
    /// database.
    ///
    /// # Errors
    /// [`Error::InUse`] when another process holds the directory's [`LOCK_FILE`];
    /// [`Error::Dir`], [`Error::Identity`], [`Error::Tls`] or [`Error::Db`], naming the file.
    pub fn open(
        dir: &Path,
        now: SystemTime,
        rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
    ) -> Result<Self, Error> {
        // A file where the directory should be: say so, not "File exists".
        if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
            return Err(Error::Dir {
                path: dir.to_owned(),
                source: std::io::ErrorKind::NotADirectory.into(),
            });
        }
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(|source| Error::Dir {
            path: dir.to_owned(),
            source,
        })?;
        // One node per directory: a second would share the identity and the database.
        let lock_path = dir.join(LOCK_FILE);
        let lock = match store::lock_with_pid(&lock_path) {
            Ok(store::PidLock::Held(f)) => f,
            Ok(store::PidLock::Busy(pid)) => {
                return Err(Error::InUse {
                    path: dir.to_owned(),
                    pid,
                });
            }
            Err(source) => {
                return Err(Error::Dir {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let identity = load_or_create_identity(&dir.join(IDENTITY_FILE), now, rng)?;
        let tls = tls::load_or_create(dir).map_err(Error::Tls)?;
        let db = db::Db::open(&dir.join(db::DB_FILE)).map_err(Error::Db)?;
        Ok(Self {
            dir: dir.to_owned(),
            identity,
            tls,
            db: db::Handle::new(db),
            _lock: lock,
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
    /// Buckets of the nodes relaying onion requests, per node key ([`Rate::SERVICE_NODE`]),
    /// when client requests are rate-limited.
    node_rate: Option<Mutex<rate::RateLimiter<[u8; 32]>>>,
    /// Open connections per client.
    conns: Arc<rate::PerClient>,
    /// Request body bytes in flight per client.
    bodies: Arc<rate::PerClient>,
    /// Request body bytes in flight from all clients (under [`SERVER_KEY`]).
    all_bodies: Arc<rate::PerClient>,
    /// Answer bytes made and not yet written, per client.
    answers: Arc<rate::PerClient>,
    /// Answer bytes made and not yet written, for all clients (under [`SERVER_KEY`]).
    all_answers: Arc<rate::PerClient>,
    /// How many refusals the log has been told of lately.
    refusals: Mutex<LogBudget>,
    /// The origin of the rate limiter's time (tokio's clock, so paused-time tests work).
    origin: tokio::time::Instant,
}

impl Shared {
    /// Logs a line about a connection or request refused, within [`REFUSALS_LOGGED_PER_SECOND`].
    fn log_limited(&self, msg: impl std::fmt::Display) {
        log_within(&self.refusals, &self.log, tokio::time::Instant::now(), msg);
    }
}

/// Logs `msg` at `now` if `budget` allows, first saying how many lines it left out before.
fn log_within(
    budget: &Mutex<LogBudget>,
    log: &Log,
    now: tokio::time::Instant,
    msg: impl std::fmt::Display,
) {
    let quiet = budget.lock().unwrap_or_else(|e| e.into_inner()).admit(now);
    if let Some(quiet) = quiet {
        if quiet > 0 {
            log.line(format_args!(
                "{quiet} more refusals in the last second, not logged"
            ));
        }
        log.line(msg);
    }
}

/// The most refusals the server logs a second: a flood of bad requests must not fill the disk
/// with log lines. Past it, refusals are counted and the count logged with the next line.
const REFUSALS_LOGGED_PER_SECOND: u32 = 20;

/// Lines logged in the current second, and those left out.
#[derive(Debug, Default)]
struct LogBudget {
    since: Option<tokio::time::Instant>,
    logged: u32,
    quiet: u64,
}

impl LogBudget {
    /// Whether to log a line at `now`: `Some(n)` with the `n` lines left out before it.
    fn admit(&mut self, now: tokio::time::Instant) -> Option<u64> {
        let new_second = self
            .since
            .is_none_or(|s| now.duration_since(s) >= Duration::from_secs(1));
        if new_second {
            self.since = Some(now);
            self.logged = 0;
        }
        if self.logged >= REFUSALS_LOGGED_PER_SECOND {
            self.quiet += 1;
            return None;
        }
        self.logged += 1;
        Some(std::mem::take(&mut self.quiet))
    }
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
        node_rate: limits
            .rate
            .map(|_| Mutex::new(rate::RateLimiter::new(Rate::SERVICE_NODE))),
        conns: rate::PerClient::new(limits.max_connections_per_ip),
        refusals: Mutex::new(LogBudget::default()),
        bodies: rate::PerClient::new(limits.max_body_in_flight_per_ip),
        all_bodies: rate::PerClient::new(limits.max_body_in_flight),
        answers: rate::PerClient::new(limits.max_answer_in_flight_per_ip),
        all_answers: rate::PerClient::new(limits.max_answer_in_flight),
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
                // One address may not hold more than its share of the slots: a connection
                // over it is closed at once, and its slot freed with it.
                let Some(claim) = shared.conns.claim(peer.ip(), 1) else {
                    drop(stream);
                    continue;
                };
                tasks.spawn(connection(
                    stream,
                    peer,
                    acceptor.clone(),
                    Arc::clone(&shared),
                    stop_rx.clone(),
                    (permit, claim),
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
/// idle, or shutdown is asked. `_slot` (the global permit and the client's share) is held
/// until the connection ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<()>,
    _slot: (OwnedSemaphorePermit, rate::Claim),
) {
    let _ = stream.set_nodelay(true);
    // The first byte and the whole handshake share one deadline: a connection that says
    // nothing, or too little, holds its slot for at most `handshake_timeout`.
    let deadline = tokio::time::Instant::now() + shared.limits.handshake_timeout;
    // A TLS connection starts with a handshake record (0x16). Anything else is plain HTTP,
    // which seeds must also speak: some clients fetch the node list over http (protocol.md
    // §5.1 testnet, §15.11); only the seed's route answers it (see `Admit::plain_http`).
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first));
    let is_tls = tokio::select! {
        r = peeked => match r {
            Ok(Ok(1)) => first[0] == 0x16,
            _ => return,
        },
        _ = stop.changed() => return,
    };
    let write_timeout = shared.limits.write_timeout;
    if !is_tls {
        let io = WriteTimeout::new(stream, write_timeout);
        let deadline = io.deadline.clone();
        serve_http(TokioIo::new(io), peer, false, shared, stop, deadline).await;
        return;
    }
    let handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream));
    let tls = tokio::select! {
        r = handshake => match r {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                shared.log_limited(format_args!("TLS handshake with {peer} failed: {e}"));
                return;
            }
            Err(_) => {
                shared.log_limited(format_args!("TLS handshake with {peer} timed out"));
                return;
            }
        },
        _ = stop.changed() => return,
    };
    let io = WriteTimeout::new(tls, write_timeout);
    let deadline = io.deadline.clone();
    serve_http(TokioIo::new(io), peer, true, shared, stop, deadline).await;
}

/// The deadline of the answer being written on a connection, if it has one: set by its
/// [`HeldBody`], enforced by the connection's [`WriteTimeout`] with a timer.
#[derive(Debug, Clone, Default)]
struct WriteDeadline(Arc<Mutex<Option<tokio::time::Instant>>>);

impl WriteDeadline {
    fn get(&self) -> Option<tokio::time::Instant> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, deadline: Option<tokio::time::Instant>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    /// Clears the deadline if it is still `deadline` (not a later answer's).
    fn clear(&self, deadline: Option<tokio::time::Instant>) {
        let mut d = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if deadline.is_some() && *d == deadline {
            *d = None;
        }
    }
}

/// A stream whose writes fail with [`std::io::ErrorKind::TimedOut`] once none of a write has
/// gone out for `timeout`, or once the answer being written is past its [`WriteDeadline`]: a
/// client that stops reading its response, or reads it a few bytes at a time, cannot hold the
/// connection, and the response's memory, for long.
struct WriteTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write could not go ahead; reset when one does.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// The deadline of the answer being written, and a timer for it.
    deadline: WriteDeadline,
    deadline_timer: Option<(tokio::time::Instant, std::pin::Pin<Box<tokio::time::Sleep>>)>,
}

impl<S> WriteTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
            deadline: WriteDeadline::default(),
            deadline_timer: None,
        }
    }

    /// `Ready(error)` once the answer's deadline has passed; otherwise its timer is set to
    /// wake the task then.
    fn poll_deadline(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Error> {
        let Some(deadline) = self.deadline.get() else {
            self.deadline_timer = None;
            return std::task::Poll::Pending;
        };
        if self
            .deadline_timer
            .as_ref()
            .is_none_or(|(d, _)| *d != deadline)
        {
            self.deadline_timer = Some((deadline, Box::pin(tokio::time::sleep_until(deadline))));
        }
        let Some((_, timer)) = self.deadline_timer.as_mut() else {
            return std::task::Poll::Pending;
        };
        timer.as_mut().poll(cx).map(|()| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took the response too slowly",
            )
        })
    }

    /// After the inner stream said `Pending`: `Ready(error)` once the stall has lasted
    /// `timeout`.
    fn poll_stall(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Error> {
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        sleep.as_mut().poll(cx).map(|()| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took none of the response in time",
            )
        })
    }

    fn track<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        r: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        if let Poll::Ready(e) = self.poll_deadline(cx) {
            return Poll::Ready(Err(e));
        }
        match r {
            Poll::Pending => self.poll_stall(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        this.track(cx, r)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.track(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_flush(cx);
        this.track(cx, r)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_shutdown(cx);
        this.track(cx, r)
    }
}

/// Serves HTTP/1.1 requests on one connection until the client leaves, goes idle, or
/// shutdown is asked. `tls`: whether the connection is HTTPS.
async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<()>,
    deadline: WriteDeadline,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = {
        let shared = Arc::clone(&shared);
        hyper::service::service_fn(move |req| {
            let (shared, deadline) = (Arc::clone(&shared), deadline.clone());
            async move {
                let mut held = None;
                let resp = respond(&shared, req, peer, tls, &mut held).await;
                let timeout = shared.limits.write_timeout;
                Ok::<_, Infallible>(to_hyper(resp, held, timeout, &deadline))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.idle_timeout)
        .max_buf_size(MAX_HEADER_BUFFER)
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

/// Takes a token from the client's rate limit bucket: `false` when it is empty.
fn rate_allows(shared: &Shared, peer: SocketAddr) -> bool {
    let Some(rate) = shared.rate.as_ref() else {
        return true;
    };
    let now = shared.origin.elapsed();
    rate.lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow(peer.ip(), now)
}

/// Takes a token from a relaying node's bucket: `false` when it is empty.
fn node_rate_allows(shared: &Shared, node: [u8; 32]) -> bool {
    let Some(rate) = shared.node_rate.as_ref() else {
        return true;
    };
    let now = shared.origin.elapsed();
    rate.lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow_key(node, now)
}

/// Why a body could not be read.
enum BodyError {
    /// Over the per-request limit: 413.
    TooLarge,
    /// Over the client's in-flight budget: 429.
    OverBudget,
    /// Over the server's in-flight budget: 503.
    ServerBusy,
    /// The connection failed: 400.
    Read(hyper::Error),
}

/// A body's share of the client's and the server's in-flight budgets.
struct BodyClaim {
    client: rate::Claim,
    server: rate::Claim,
}

impl BodyClaim {
    /// Claims a body's declared length `n` of the client's budget; the server's budget is
    /// claimed as bytes arrive, so that bodies declared and not sent cannot hold it.
    fn new(shared: &Shared, peer: SocketAddr, n: usize) -> Result<Self, BodyError> {
        let client = shared
            .bodies
            .claim(peer.ip(), n)
            .ok_or(BodyError::OverBudget)?;
        let server = shared
            .all_bodies
            .claim(SERVER_KEY, 0)
            .ok_or(BodyError::ServerBusy)?;
        Ok(Self { client, server })
    }

    /// Claims an answer's `n` bytes of the client's and the server's answer budgets, held
    /// until it is written; `None` when it does not fit.
    ///
    /// An answer under [`SMALL_ANSWER`] always fits (and is counted): one at a time per
    /// connection, they take at most `max_connections` × 64 KiB, and a full budget must not
    /// turn the answers to small requests (a store, a forwarded copy, `info`) into 503s.
    fn answer(shared: &Shared, peer: SocketAddr, n: usize) -> Option<Self> {
        if n < SMALL_ANSWER {
            return Some(Self {
                client: shared.answers.claim_over(peer.ip(), n),
                server: shared.all_answers.claim_over(SERVER_KEY, n),
            });
        }
        let client = shared.answers.claim(peer.ip(), n)?;
        let server = shared.all_answers.claim(SERVER_KEY, n)?;
        Some(Self { client, server })
    }
}

/// The one key the server-wide body budget counts under.
const SERVER_KEY: std::net::IpAddr = std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// Reads a body of at most `max` bytes, counting the memory it takes against `claim` (the
/// client's and the server's in-flight budgets) as bytes arrive: with its first bytes, the
/// declared length `claimed` (already claimed of the client's budget) is reserved at once,
/// bounded by `max`; a body without a length grows by doubling, each growth claimed before it
/// is made, so the budgets count the buffer's capacity, not only its bytes.
async fn read_body<B>(
    mut body: B,
    max: usize,
    claim: &mut BodyClaim,
    claimed: usize,
) -> Result<Vec<u8>, BodyError>
where
    B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    // What the client's and the server's claims hold for this body.
    let (mut client_held, mut server_held) = (claimed, 0usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let len = buf.len().saturating_add(data.len());
        if len > max {
            return Err(BodyError::TooLarge);
        }
        if len > buf.capacity() {
            let want = if claimed >= len {
                claimed
            } else {
                len.max(buf.capacity().saturating_mul(2))
            }
            .min(max);
            if want > client_held {
                if !claim.client.grow(want - client_held) {
                    return Err(BodyError::OverBudget);
                }
                client_held = want;
            }
            if want > server_held {
                if !claim.server.grow(want - server_held) {
                    return Err(BodyError::ServerBusy);
                }
                server_held = want;
            }
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf)
}

/// Applies the server's checks, reads the body and asks the service. The answer's claims are
/// left in `held`, to be kept until the response is written.
async fn respond(
    shared: &Shared,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    tls: bool,
    held: &mut Option<BodyClaim>,
) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let target = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let refuse = |resp: Response, why: &str| {
        shared.log_limited(format_args!(
            "{} {method} {target} from {}: {why}",
            resp.status,
            peer.ip()
        ));
        resp
    };

    let admit = shared.service.admit(method, path);
    if admit == Admit::NotFound {
        return refuse(Response::not_found(method, target), "no such route");
    }
    if !tls && !admit.plain_http() {
        return refuse(
            Response::text(400, "This route is served over HTTPS only").closing(),
            "plain HTTP",
        );
    }
    // A request that names a forwarding peer skips the rate check before its body only when
    // its headers and source address can be that peer's (a member of our swarm, from its
    // listed address, a signature of the right shape); any other takes a token at once.
    let names_forwarder = parts.headers.contains_key(service::FORWARDED_BY);
    let maybe_peer_copy = admit.rate_limited()
        && names_forwarder
        && shared.service.may_be_peer_copy(path, &parts.headers, peer);
    // An onion request relayed by a roster member from its listed address draws on that
    // node's bucket, not on its address's client bucket (SS counts nodes by key, apart).
    let relaying = if admit == Admit::Onion {
        shared.service.relaying_node(&parts.headers, peer)
    } else {
        None
    };
    let allowed = || match relaying {
        Some(node) => node_rate_allows(shared, node),
        None => rate_allows(shared, peer),
    };
    if admit.rate_limited() && !maybe_peer_copy && !allowed() {
        return refuse(Response::reason(429), "rate limited");
    }
    // SS https.cpp: an empty value does not count.
    if admit == Admit::ClientRpc
        && parts
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

    let max = admit.max_body(shared.limits.max_body);
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if declared > max {
        return refuse(
            Response::text(413, "Request body too large").closing(),
            "Content-Length too large",
        );
    }
    // The declared length is claimed up front, so that parallel large bodies from one client
    // are refused before they are read; a body without a length claims as it arrives.
    let over_budget = |e: BodyError| match e {
        BodyError::ServerBusy => refuse(
            Response::reason(503).closing(),
            "too many request bytes in flight from all clients",
        ),
        _ => refuse(
            Response::reason(429).closing(),
            "too many request bytes in flight from this client",
        ),
    };
    let mut claim = match BodyClaim::new(shared, peer, declared) {
        Ok(c) => c,
        Err(e) => return over_budget(e),
    };

    let deadline = tokio::time::Instant::now() + shared.limits.request_timeout;
    let read = tokio::time::timeout_at(deadline, read_body(body, max, &mut claim, declared));
    let body = match read.await {
        Ok(Ok(body)) => Bytes::from(body),
        Ok(Err(BodyError::TooLarge)) => {
            return refuse(
                Response::text(413, "Request body too large").closing(),
                "body too large",
            );
        }
        Ok(Err(e @ (BodyError::OverBudget | BodyError::ServerBusy))) => return over_budget(e),
        Ok(Err(BodyError::Read(e))) => {
            return refuse(
                Response::reason(400).closing(),
                &format!("reading the body failed: {e}"),
            );
        }
        Err(_) => return refuse(Response::reason(408).closing(), "body timed out"),
    };

    let mut request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: parts.headers.clone(),
        body,
        peer,
        peer_copy: false,
    };
    // The one signature check of a peer's copy; its answer goes to the service with it. The
    // source address decided only whether a token was taken before the body: a copy from
    // elsewhere (a node behind NAT, or listening on every address) has taken one, and is
    // verified and accepted all the same.
    if admit.rate_limited() && names_forwarder {
        request.peer_copy = shared.service.is_peer_copy(&request);
        if maybe_peer_copy && !request.peer_copy && !rate_allows(shared, peer) {
            return refuse(Response::reason(429), "rate limited");
        }
    }
    let answer = tokio::time::timeout_at(deadline, shared.service.handle(request)).await;
    let resp = match answer {
        // The service logs its own refusals, with their reasons: one line per request.
        Ok(resp) => resp,
        Err(_) => refuse(Response::text(504, "Request time out"), "service timed out"),
    };
    // The request's body is gone; its claims go with it. The answer counts against the
    // answer budgets (never the request ones) until written: a client that reads slowly holds
    // its answer budget, not more, and an answer that does not fit is dropped at once.
    drop(claim);
    match BodyClaim::answer(shared, peer, resp.body.len()) {
        Some(answer) => {
            *held = Some(answer);
            resp
        }
        None => {
            drop(resp);
            refuse(
                Response::reason(503),
                "too many answer bytes waiting to be written",
            )
        }
    }
}

/// The most bytes of a response handed to hyper at once: hyper asks for more as its write
/// buffer drains, so a response's claims are held until all but this much is written.
const RESPONSE_CHUNK: usize = 16 * 1024;

/// The slowest a client may take an answer of [`SMALL_ANSWER`] or more: past `write_timeout`
/// plus its length at this rate (16 KiB/s, so that clients on slow links such as EDGE, 3G or
/// Tor still take a full retrieve), the connection is closed. A client that reads a few bytes
/// now and then cannot keep a large response (and its memory) for long.
pub const MIN_RESPONSE_BYTES_PER_SECOND: usize = 16 * 1024;

/// Answers shorter than this (64 KiB) have no total deadline: only `write_timeout` without
/// any progress ends them.
pub const SMALL_ANSWER: usize = 64 * 1024;

/// The time an answer of `len` bytes may take to be written: `None` for one under
/// [`SMALL_ANSWER`], else `write_timeout` plus `len` at [`MIN_RESPONSE_BYTES_PER_SECOND`].
fn answer_time(len: usize, write_timeout: Duration) -> Option<Duration> {
    if len < SMALL_ANSWER {
        return None;
    }
    let secs = u64::try_from(len / MIN_RESPONSE_BYTES_PER_SECOND).unwrap_or(u64::MAX);
    Some(write_timeout.saturating_add(Duration::from_secs(secs)))
}

/// A response body: handed to hyper in [`RESPONSE_CHUNK`]s, holding the request's claims until
/// its last chunk is taken, and failing (which closes the connection) once its write deadline
/// has passed; the connection's [`WriteTimeout`] also enforces the deadline with a timer while
/// hyper writes what it has taken.
struct HeldBody {
    rest: Bytes,
    claim: Option<BodyClaim>,
    deadline: Option<tokio::time::Instant>,
    shared_deadline: WriteDeadline,
}

impl HeldBody {
    /// `body`, holding `claim`, to be written within [`answer_time`].
    fn new(
        body: Bytes,
        claim: Option<BodyClaim>,
        write_timeout: Duration,
        shared_deadline: &WriteDeadline,
    ) -> Self {
        let deadline =
            answer_time(body.len(), write_timeout).map(|t| tokio::time::Instant::now() + t);
        shared_deadline.set(deadline);
        Self {
            rest: body,
            claim,
            deadline,
            shared_deadline: shared_deadline.clone(),
        }
    }
}

impl Drop for HeldBody {
    fn drop(&mut self) {
        self.shared_deadline.clear(self.deadline);
    }
}

impl hyper::body::Body for HeldBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.rest.is_empty() {
            this.claim = None;
            return Poll::Ready(None);
        }
        if this
            .deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
        {
            this.claim = None;
            this.rest = Bytes::new();
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took the response too slowly",
            ))));
        }
        let chunk = this.rest.split_to(this.rest.len().min(RESPONSE_CHUNK));
        if this.rest.is_empty() {
            this.claim = None;
        }
        Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(u64::try_from(self.rest.len()).unwrap_or(u64::MAX))
    }
}

fn to_hyper(
    resp: Response,
    claim: Option<BodyClaim>,
    write_timeout: Duration,
    deadline: &WriteDeadline,
) -> hyper::Response<HeldBody> {
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
    match builder.body(()) {
        Ok(r) => r.map(|()| HeldBody::new(resp.body, claim, write_timeout, deadline)),
        Err(_) => {
            // A status or header the service made up that HTTP cannot carry: a bug.
            let body = Bytes::from_static(b"Internal Server Error\n");
            let mut r = hyper::Response::new(HeldBody::new(body, claim, write_timeout, deadline));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(http::CONTENT_TYPE_TEXT),
            );
            r.headers_mut()
                .insert(SERVER, HeaderValue::from_static(SERVER_HEADER));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_carry_server_and_content_type() {
        let to_hyper =
            |r| super::to_hyper(r, None, Duration::from_secs(1), &WriteDeadline::default());
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
        let to_hyper =
            |r| super::to_hyper(r, None, Duration::from_secs(1), &WriteDeadline::default());
        let r = to_hyper(Response::text(1000, "?"));
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()[SERVER], SERVER_HEADER);
        let r = to_hyper(Response::text(200, "x").with_header("X-Bad", "a\nb"));
        assert_eq!(r.status(), 500);
    }

    use std::net::IpAddr;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::{Notify, oneshot};

    /// A bound on every wait: it only turns a hang into a failure.
    const BOUND: Duration = Duration::from_secs(60);
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    /// The length of `/big`'s answer: more than loopback's socket buffers take unread.
    const BIG: usize = 16 * 1024 * 1024;

    /// Routes by path: `/seed` and `/big` (a [`BIG`] answer; both plain HTTP too), `/onion`, `/rpc` (client RPC), `/gate`
    /// (answers when released); anything else is not found. A request is a peer's copy when
    /// its forwarder header says `good` (from the member's address) or `elsewhere` (from
    /// another address).
    #[derive(Default)]
    struct Routes {
        arrived: Notify,
        release: Notify,
        /// How many signatures `is_peer_copy` checked.
        verified: std::sync::atomic::AtomicUsize,
    }

    impl Service for Routes {
        fn admit(&self, _method: &str, path: &str) -> Admit {
            match path {
                "/seed" => Admit::Seed,
                "/onion" => Admit::Onion,
                "/rpc" => Admit::ClientRpc,
                "/gate" => Admit::Read,
                "/big" => Admit::Seed,
                _ => Admit::NotFound,
            }
        }

        /// `good` and `badsig` look like a member's headers; only `good` verifies.
        fn may_be_peer_copy(&self, _path: &str, headers: &http::HeaderMap, _: SocketAddr) -> bool {
            let by = headers.get(service::FORWARDED_BY);
            by.is_some_and(|v| v == "good" || v == "badsig")
        }

        /// `node` names a relaying node at its listed address.
        fn relaying_node(&self, headers: &http::HeaderMap, _: SocketAddr) -> Option<[u8; 32]> {
            (headers.get(service::RELAYED_BY)? == "node").then_some([1; 32])
        }

        fn is_peer_copy(&self, request: &Request) -> bool {
            self.verified
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let by = request.header(service::FORWARDED_BY);
            by == Some("good") || by == Some("elsewhere")
        }

        fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
            Box::pin(async move {
                if request.path == "/gate" {
                    self.arrived.notify_one();
                    self.release.notified().await;
                }
                if request.peer_copy {
                    return Response::text(200, "peer copy");
                }
                if request.path == "/big" {
                    return Response::bytes(200, "text/plain", vec![b'x'; BIG]);
                }
                Response::text(200, format!("{} bytes", request.body.len()))
            })
        }
    }

    struct Node {
        addr: SocketAddr,
        stop: Option<oneshot::Sender<()>>,
        server: tokio::task::JoinHandle<Result<(), Error>>,
        _dir: tempfile::TempDir,
    }

    impl Drop for Node {
        fn drop(&mut self) {
            drop(self.stop.take());
            self.server.abort();
        }
    }

    async fn start(service: Arc<dyn Service>, limits: Limits) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::open(dir.path(), SystemTime::UNIX_EPOCH, &mut rand_core::OsRng).unwrap();
        let listener = bind(DEFAULT_LISTEN).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(run(
            listener,
            Arc::clone(&home.tls.config),
            service,
            limits,
            Log::discard(),
            async move {
                let _ = stopped.await;
            },
        ));
        Node {
            addr,
            stop: Some(stop),
            server,
            _dir: dir,
        }
    }

    fn peer_from(ip: Option<IpAddr>) -> peer::Peer {
        peer::Peer::bound(BOUND, ip).unwrap()
    }

    async fn tcp_from(ip: IpAddr, to: SocketAddr) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(ip, 0)).unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Sends raw bytes over plain TCP and reads until the server closes.
    async fn plain_exchange(stream: &mut TcpStream, request: &[u8]) -> String {
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(BOUND, stream.read_to_end(&mut out))
            .await
            .expect("the server should close the connection");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn plain_post(path: &str, body: &str) -> Vec<u8> {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn plain_http_only_on_the_seed_route() {
        let node = start(Arc::new(Routes::default()), Limits::default()).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, &plain_post("/seed", "abc")).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("3 bytes"), "{answer}");
        for path in ["/rpc", "/onion", "/gate"] {
            let mut s = tcp_from(local, node.addr).await;
            let answer = plain_exchange(&mut s, &plain_post(path, "abc")).await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
            assert!(answer.contains("HTTPS only"), "{path}: {answer}");
        }
        // Over HTTPS every route answers.
        let p = peer_from(None);
        for path in ["/seed", "/rpc", "/onion"] {
            let (status, _) = p
                .post(&node.addr.to_string(), path, "x".into())
                .await
                .unwrap();
            assert_eq!(status, 200, "{path}");
        }
    }

    #[tokio::test]
    async fn request_headers_are_bounded() {
        let node = start(Arc::new(Routes::default()), Limits::default()).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let request = |header: usize| {
            format!(
                "POST /seed HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\
                 Content-Length: 1\r\n\r\nx",
                "a".repeat(header)
            )
        };
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, request(30 * 1024).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // hyper's default buffer (some 400 KB) would take these headers.
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, request(300 * 1024).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    }

    #[tokio::test]
    async fn the_seed_and_ping_routes_take_small_bodies_and_the_seed_is_rate_limited() {
        let limits = Limits {
            rate: Some(Rate {
                bucket_size: 3,
                per_second: 0,
            }),
            ..Limits::default()
        };
        let routes = Arc::new(Routes::default());
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        let p = peer_from(Some(OTHER));
        for path in ["/seed", "/gate"] {
            let (status, _) = p
                .post(&base, path, body(MAX_SMALL_ROUTE_BODY + 1))
                .await
                .unwrap();
            assert_eq!(status, 413, "{path}");
        }
        routes.release.notify_one();
        let (status, text) = p
            .post(&base, "/gate", body(MAX_SMALL_ROUTE_BODY))
            .await
            .unwrap();
        assert_eq!((status, &text[..]), (200, &b"65536 bytes"[..]));
        // The seed route takes a token a request, like the client routes.
        let p = peer_from(None);
        for _ in 0..3 {
            assert_eq!(p.post(&base, "/seed", body(1)).await.unwrap().0, 200);
        }
        assert_eq!(p.post(&base, "/seed", body(1)).await.unwrap().0, 429);
    }

    #[tokio::test]
    async fn connections_are_capped_per_address() {
        let limits = Limits {
            max_connections_per_ip: 3,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Three idle connections hold 127.0.0.1's share...
        let mut idle = Vec::new();
        for _ in 0..3 {
            idle.push(tcp_from(local, node.addr).await);
        }
        // ...so a fourth is closed at once, without an answer.
        let mut extra = tcp_from(local, node.addr).await;
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(BOUND, extra.read(&mut buf))
            .await
            .expect("the server closes the extra connection")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
        // Another address is served meanwhile.
        let (status, body) = peer_from(Some(OTHER))
            .post(&node.addr.to_string(), "/rpc", "abc".into())
            .await
            .unwrap();
        assert_eq!((status, &body[..]), (200, &b"3 bytes"[..]));
        // Once one idle connection leaves, 127.0.0.1 gets its slot back.
        drop(idle.pop());
        let answer = served_once_freed(local, node.addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn body_bytes_in_flight_are_budgeted_per_address() {
        let routes = Arc::new(Routes::default());
        let limits = Limits {
            max_body_in_flight_per_ip: 100,
            ..Limits::default()
        };
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        // A body over the whole budget is refused before it is read.
        let (status, _) = peer_from(None)
            .post(&base, "/rpc", body(101))
            .await
            .unwrap();
        assert_eq!(status, 429);
        // 60 bytes held by a request in flight leave 40 for the same address...
        let held = {
            let (p, base) = (peer_from(None), base.clone());
            tokio::spawn(async move { p.post(&base, "/gate", body(60)).await })
        };
        tokio::time::timeout(BOUND, routes.arrived.notified())
            .await
            .expect("the gated request arrives");
        let (status, _) = peer_from(None).post(&base, "/rpc", body(41)).await.unwrap();
        assert_eq!(status, 429, "over what is left of the budget");
        let (status, _) = peer_from(None).post(&base, "/rpc", body(40)).await.unwrap();
        assert_eq!(status, 200);
        // ...while another address has its own budget.
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/rpc", body(100))
            .await
            .unwrap();
        assert_eq!(status, 200);
        routes.release.notify_one();
        let (status, _) = tokio::time::timeout(BOUND, held)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        // Given back once answered.
        let (status, _) = peer_from(None)
            .post(&base, "/rpc", body(100))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn body_bytes_in_flight_are_budgeted_for_the_whole_server() {
        let routes = Arc::new(Routes::default());
        let limits = Limits {
            max_body_in_flight: 100,
            ..Limits::default()
        };
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        let held = {
            let (p, base) = (peer_from(None), base.clone());
            tokio::spawn(async move { p.post(&base, "/gate", body(60)).await })
        };
        tokio::time::timeout(BOUND, routes.arrived.notified())
            .await
            .expect("the gated request arrives");
        // Another address, within its own budget, finds the server's spent.
        let other = peer_from(Some(OTHER));
        let (status, text) = other.post(&base, "/rpc", body(41)).await.unwrap();
        assert_eq!((status, &text[..]), (503, &b"Service Unavailable\n"[..]));
        let (status, _) = other.post(&base, "/rpc", body(40)).await.unwrap();
        assert_eq!(status, 200);
        routes.release.notify_one();
        let (status, _) = tokio::time::timeout(BOUND, held)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        let (status, _) = other.post(&base, "/rpc", body(100)).await.unwrap();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn the_server_budget_counts_bytes_as_they_arrive() {
        let limits = Limits {
            max_body_in_flight: 100,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        // A body of 90 declared, its reading begun (hyper says `100 Continue` once the server
        // reads the body), none of it sent...
        let mut stalled = tcp_from(IpAddr::V4(Ipv4Addr::LOCALHOST), node.addr).await;
        stalled
            .write_all(
                b"POST /seed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                  Expect: 100-continue\r\nContent-Length: 90\r\n\r\n",
            )
            .await
            .unwrap();
        let mut cont = [0u8; 12];
        tokio::time::timeout(BOUND, stalled.read_exact(&mut cont))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&cont, b"HTTP/1.1 100");
        // ...holds none of the server's budget.
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/rpc", Bytes::from(vec![b'x'; 50]))
            .await
            .unwrap();
        assert_eq!(status, 200);
        stalled.write_all(&[b'x'; 90]).await.unwrap();
        let answer = until_closed(&mut stalled).await;
        assert!(answer.ends_with("90 bytes"), "{answer}");
    }

    #[tokio::test]
    async fn onion_route_is_rate_limited_and_a_forwarder_header_alone_exempts_nothing() {
        let limits = Limits {
            rate: Some(Rate {
                bucket_size: 2,
                per_second: 0,
            }),
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |path: &'static str, by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let headers: &[(&str, &str)] = if by.is_empty() {
                    &[]
                } else {
                    &[(service::FORWARDED_BY, by)]
                };
                p.request("POST", &base, path, headers, "x".into())
                    .await
                    .unwrap()
                    .status
            }
        };
        assert_eq!(post("/onion", "").await, 200);
        // A forged forwarder header takes a token like any client request.
        assert_eq!(post("/rpc", "forged").await, 200);
        assert_eq!(post("/onion", "").await, 429);
        assert_eq!(post("/rpc", "forged").await, 429);
        assert_eq!(post("/rpc", "").await, 429);
        // A verified peer copy is not a client request.
        for _ in 0..5 {
            assert_eq!(post("/rpc", "good").await, 200);
        }
        // Routes that are not limited still answer.
        assert_eq!(post("/gate_unknown", "").await, 404);
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/onion", "x".into())
            .await
            .unwrap();
        assert_eq!(status, 200, "another address has its own bucket");
    }

    #[tokio::test]
    async fn a_forwarder_is_judged_from_headers_before_the_body_and_verified_once() {
        let limits = Limits {
            rate: Some(Rate {
                bucket_size: 1,
                per_second: 0,
            }),
            ..Limits::default()
        };
        let routes = Arc::new(Routes::default());
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let r = p
                    .request(
                        "POST",
                        &base,
                        "/rpc",
                        &[(service::FORWARDED_BY, by)],
                        "x".into(),
                    )
                    .await
                    .unwrap();
                (r.status, String::from_utf8_lossy(&r.body).into_owned())
            }
        };
        let verified = || routes.verified.load(std::sync::atomic::Ordering::SeqCst);
        // A verified copy is checked once and handed on as one.
        assert_eq!(post("good").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 1);
        // A copy from an address not the member's listed one takes the one token before its
        // body is read, and is then verified and accepted as a copy all the same.
        assert_eq!(post("elsewhere").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 2);
        // With no token left, such headers are refused before the body, no signature checked.
        assert_eq!(post("elsewhere").await.0, 429);
        assert_eq!(post("forged").await.0, 429);
        assert_eq!(verified(), 2, "no signature checked without a token");
        // A member's headers whose signature fails take a token after the one check.
        assert_eq!(post("badsig").await.0, 429);
        assert_eq!(verified(), 3);
        assert_eq!(post("good").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 4);
    }

    #[tokio::test]
    async fn a_relaying_node_draws_on_its_own_bucket() {
        let limits = Limits {
            rate: Some(Rate {
                bucket_size: 1,
                per_second: 0,
            }),
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let headers: &[(&str, &str)] = if by.is_empty() {
                    &[]
                } else {
                    &[(service::RELAYED_BY, by)]
                };
                p.request("POST", &base, "/onion", headers, "x".into())
                    .await
                    .unwrap()
                    .status
            }
        };
        // The address's one client token goes...
        assert_eq!(post("").await, 200);
        assert_eq!(post("").await, 429);
        assert_eq!(post("stranger").await, 429, "a relayer not vouched for");
        // ...while relays from a node at its listed address take the node's tokens.
        for _ in 0..3 {
            assert_eq!(post("node").await, 200);
        }
    }

    /// A plain-HTTP exchange from `ip`, retried (within [`BOUND`]) while the server closes the
    /// connection unanswered because it has not yet seen an earlier one go.
    async fn served_once_freed(ip: IpAddr, addr: SocketAddr) -> String {
        tokio::time::timeout(BOUND, async {
            loop {
                let mut s = tcp_from(ip, addr).await;
                let answer = plain_exchange(&mut s, &plain_post("/seed", "ab")).await;
                if !answer.is_empty() {
                    return answer;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the address gets its slot back")
    }

    /// Reads until the server closes; what it sent.
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(BOUND, stream.read_to_end(&mut out))
            .await
            .expect("the server should close the connection");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn silent_and_idle_connections_do_not_keep_their_slot() {
        let limits = Limits {
            max_connections_per_ip: 1,
            handshake_timeout: Duration::from_millis(200),
            idle_timeout: Duration::from_millis(200),
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // A connection that never says a word is closed...
        let mut silent = tcp_from(local, node.addr).await;
        assert_eq!(until_closed(&mut silent).await, "");
        // ...as is one that stops half-way through a TLS handshake...
        let mut half = tcp_from(local, node.addr).await;
        half.write_all(&[0x16, 3, 1]).await.unwrap();
        assert_eq!(until_closed(&mut half).await, "");
        // ...and a kept-alive plain-HTTP connection gone idle after its answer.
        let mut idle = tcp_from(local, node.addr).await;
        idle.write_all(b"POST /seed HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
            .await
            .unwrap();
        let answer = until_closed(&mut idle).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Each gave its slot back: the one connection 127.0.0.1 may hold is served.
        let answer = served_once_freed(local, node.addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn a_write_nobody_reads_times_out() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut w = WriteTimeout::new(ours, Duration::from_millis(100));
        // Writes that go out reset the clock.
        w.write_all(&[0; 64]).await.unwrap();
        let mut sink = [0u8; 64];
        theirs.read_exact(&mut sink).await.unwrap();
        w.write_all(&[0; 64]).await.unwrap();
        // Nobody reads any more: the next write stalls and fails.
        let err = w.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }

    /// Reads one response off `stream`: its head and its body (by `Content-Length`).
    async fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
        tokio::time::timeout(BOUND, async {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(stream.read_u8().await.unwrap());
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            let mut body = vec![0; len];
            stream.read_exact(&mut body).await.unwrap();
            (head, body)
        })
        .await
        .expect("a response")
    }

    #[tokio::test]
    async fn answers_have_their_own_budgets_and_one_that_does_not_fit_is_dropped_alone() {
        let limits = Limits {
            max_body_in_flight_per_ip: 1024 * 1024,
            max_body_in_flight: 1024 * 1024,
            max_answer_in_flight_per_ip: BIG,
            max_answer_in_flight: BIG,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut slow = tcp_from(local, node.addr).await;
        slow.write_all(&plain_post("/big", "x")).await.unwrap();
        // The answer has begun, so it is made; the client reads no more of it.
        let mut head = [0u8; 12];
        tokio::time::timeout(BOUND, slow.read_exact(&mut head))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        // Its unwritten bytes, over both request budgets and filling both answer budgets,
        // refuse no request, and small answers still go out...
        for ip in [None, Some(OTHER)] {
            let (status, _) = peer_from(ip)
                .post(&base, "/rpc", "abc".into())
                .await
                .unwrap();
            assert_eq!(status, 200);
        }
        // ...but a second big answer does not fit, from this address or any other: it is
        // replaced by 503, and the connection stays open for the next request.
        for ip in [local, OTHER] {
            let mut again = tcp_from(ip, node.addr).await;
            let kept = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
            again.write_all(kept).await.unwrap();
            let (head, _) = read_response(&mut again).await;
            assert!(head.starts_with("http/1.1 503"), "{head}");
            assert!(!head.contains("connection: close"), "{head}");
            again.write_all(&plain_post("/seed", "x")).await.unwrap();
            let (head, _) = read_response(&mut again).await;
            assert!(head.starts_with("http/1.1 200"), "{head}");
        }
        // The held answer is given back once the connection is gone.
        drop(slow);
        tokio::time::timeout(BOUND, async {
            loop {
                let mut s = tcp_from(OTHER, node.addr).await;
                s.write_all(&plain_post("/big", "x")).await.unwrap();
                let (head, body) = read_response(&mut s).await;
                if head.starts_with("http/1.1 200") {
                    assert_eq!(body.len(), BIG);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the answer budget is given back");
    }

    #[tokio::test]
    async fn a_response_taken_too_slowly_fails_and_gives_its_claim_back() {
        use hyper::body::Body as _;
        let budget = rate::PerClient::new(usize::MAX);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let claim = BodyClaim {
            client: budget.claim(ip, 10).unwrap(),
            server: budget.claim(SERVER_KEY, 10).unwrap(),
        };
        let len = 3 * RESPONSE_CHUNK;
        let cell = WriteDeadline::default();
        let mut body = HeldBody::new(Bytes::from(vec![0; len]), Some(claim), BOUND, &cell);
        assert_eq!(body.size_hint().exact(), Some(len as u64));
        // Handed over a chunk at a time, the claim held meanwhile.
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap().len(), RESPONSE_CHUNK);
        assert_eq!(budget.used(ip), 10);
        // Past its deadline, the next chunk is an error (hyper closes the connection), and
        // the claim is given back.
        body.deadline = Some(tokio::time::Instant::now());
        assert!(body.frame().await.unwrap().is_err());
        assert_eq!(budget.used(ip), 0);
        assert!(body.frame().await.is_none());
        drop(body);
        assert_eq!(cell.get(), None, "a body gone clears its deadline");
    }

    #[test]
    fn a_deadline_grows_with_the_length_and_small_answers_have_none() {
        let t = Duration::from_secs(30);
        assert_eq!(answer_time(0, t), None);
        assert_eq!(answer_time(SMALL_ANSWER - 1, t), None);
        // 16 KiB/s: a 1 MiB answer may take 30 s plus 64 s.
        assert_eq!(answer_time(1024 * 1024, t), Some(Duration::from_secs(94)));
        assert_eq!(
            answer_time(10 * MIN_RESPONSE_BYTES_PER_SECOND, t),
            Some(Duration::from_secs(40))
        );
    }

    #[tokio::test]
    async fn a_write_deadline_is_enforced_by_a_timer_despite_progress() {
        // The client takes a byte every 20 ms: never the 2 s without progress.
        let (ours, mut theirs) = tokio::io::duplex(16);
        let reader = tokio::spawn(async move {
            let mut b = [0u8; 1];
            while theirs.read(&mut b).await.is_ok_and(|n| n > 0) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let mut w = WriteTimeout::new(ours, Duration::from_secs(2));
        // Without a deadline, a slow but steady client takes it all.
        tokio::time::timeout(BOUND, w.write_all(&[0; 48]))
            .await
            .unwrap()
            .unwrap();
        // With one, the write fails once it has passed, though bytes keep going out (at this
        // pace the write would take half an hour).
        w.deadline.set(Some(
            tokio::time::Instant::now() + Duration::from_millis(300),
        ));
        let err = tokio::time::timeout(BOUND, w.write_all(&[0; 100_000]))
            .await
            .expect("the deadline ends the write")
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        reader.abort();
    }

    /// A body of the given frames, declaring `declared` bytes.
    struct Frames(std::collections::VecDeque<Bytes>, u64);

    impl hyper::body::Body for Frames {
        type Data = Bytes;
        type Error = hyper::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
            let next = self.get_mut().0.pop_front();
            std::task::Poll::Ready(next.map(|b| Ok(hyper::body::Frame::data(b))))
        }

        fn size_hint(&self) -> hyper::body::SizeHint {
            let mut h = hyper::body::SizeHint::new();
            h.set_lower(self.1);
            h
        }
    }

    #[tokio::test]
    async fn a_body_reserves_its_declared_length_and_counts_what_it_takes() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let read = |frames: usize, each: usize, declared: usize| async move {
            let client = rate::PerClient::new(usize::MAX);
            let server = rate::PerClient::new(usize::MAX);
            let mut claim = BodyClaim {
                client: client.claim(ip, declared).unwrap(),
                server: server.claim(SERVER_KEY, 0).unwrap(),
            };
            let body = Frames(
                (0..frames).map(|_| Bytes::from(vec![1; each])).collect(),
                declared as u64,
            );
            let buf = read_body(body, MAX_REQUEST_BODY_SIZE, &mut claim, declared)
                .await
                .ok()
                .unwrap();
            (buf, client.used(ip), server.used(SERVER_KEY))
        };
        // A declared length is reserved once, exactly, and counted as it is.
        let (buf, client, server) = read(10, 100_000, 1_000_000).await;
        assert_eq!((buf.len(), buf.capacity()), (1_000_000, 1_000_000));
        assert_eq!((client, server), (1_000_000, 1_000_000));
        // A body without a length grows by doubling, and what it takes is counted.
        let (buf, client, server) = read(10, 10_000, 0).await;
        assert_eq!(buf.len(), 100_000);
        assert!(buf.capacity() > buf.len());
        assert_eq!((client, server), (buf.capacity(), buf.capacity()));
    }

    #[test]
    fn refusals_are_logged_at_most_twenty_a_second() {
        let mut b = LogBudget::default();
        let t0 = tokio::time::Instant::now();
        for _ in 0..REFUSALS_LOGGED_PER_SECOND {
            assert_eq!(b.admit(t0), Some(0));
        }
        for _ in 0..5 {
            assert_eq!(b.admit(t0 + Duration::from_millis(999)), None);
        }
        // The next second's first line carries the count left out.
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Some(5));
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Some(0));
    }

    #[test]
    fn budgeted_lines_say_how_many_were_left_out() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let log = Log::to_writer(buf.clone(), Arc::new(crate::clock::FixedClock::from_ms(0)));
        let budget = Mutex::new(LogBudget::default());
        let t0 = tokio::time::Instant::now();
        for n in 0..25 {
            log_within(&budget, &log, t0, format_args!("TLS handshake {n} failed"));
        }
        log_within(&budget, &log, t0 + Duration::from_secs(1), "next");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 22, "{text}");
        assert!(lines[20].ends_with(" 5 more refusals in the last second, not logged"));
        assert!(lines[21].ends_with(" next"));
    }

    #[test]
    fn connections_leave_descriptors_in_reserve() {
        assert_eq!(
            connections_within_fd_limit(1024, Some(1024)),
            1024 - FD_RESERVE
        );
        assert_eq!(connections_within_fd_limit(1024, Some(1_048_576)), 1024);
        assert_eq!(connections_within_fd_limit(1024, None), 1024);
        assert_eq!(connections_within_fd_limit(1024, Some(10)), 1);
    }

    #[test]
    fn the_soft_fd_limit_is_raised_to_the_hard_one() {
        use rustix::process::{Resource, getrlimit};
        let raised = raise_fd_limit();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(now.current, now.maximum);
        assert_eq!(raised, now.current);
    }

    #[test]
    fn the_soft_fd_limit_is_raised_within_the_systems_cap() {
        assert_eq!(fd_target(None, Some(10_240)), Some(10_240));
        assert_eq!(fd_target(Some(1 << 20), Some(10_240)), Some(10_240));
        assert_eq!(fd_target(Some(4096), Some(10_240)), Some(4096));
        assert_eq!(fd_target(Some(4096), None), Some(4096));
        assert_eq!(fd_target(None, None), None);
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
