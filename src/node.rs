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
//! | [`run_plain`], [`files`] | the file server role (`sesh-node --file-server`): the same server on plain HTTP, and the Session file server's routes |
//! | [`Service`], [`Request`], [`Response`], [`Admit`] | what [`run`] serves; [`service::NodeService`] is the storage server, [`InfoService`] a stand-in answering `info` only |
//! | [`Limits`], [`Rate`] | the server's limits, and the per-client-IP token bucket behind 429 |
//! | [`ServerCert`], [`DbHandle`], [`StoreLimits`], [`Log`] | the node's certificate, message store (and how much it holds) and log |
//! | [`Error`], [`TlsError`], [`DbError`] | why a node could not start or keep serving |
//! | [`service`] | the storage server's methods and onion hops |
//! | [`roster`] | who is on the network: the devnet's roster file |
//! | [`peer`] | a thin wrapper over [`crate::transport::http::HttpTransport`] for the launcher and tests |
//!
//! The modules behind these items are crate-private (`server`, `http`, `rate`, `tls`, `db`,
//! `rpc`, `log`, `info`): the server loop with its per-request checks and budgets, the HTTP
//! plumbing, the rate limiter's buckets, the certificate files, the SQLite queries and the
//! request checks are the node's business only.
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
//!   [`Admit::Seed`] routes (a seed's `/json_rpc`) and [`Admit::Plain`] ones (the file
//!   server's, which [`run_plain`] serves without TLS); any other route answers it 400
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
//!    [`MAX_SMALL_ROUTE_BODY`], 64 KiB, for the seed and ping routes; an [`Admit::Plain`]
//!    route's own) → 413 ([`Service::too_large`]), the body not read, or a body that grows
//!    past it → 413; either closes the connection;
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
pub mod files;
#[doc(hidden)]
pub mod hostile;
pub(crate) mod http;
pub(crate) mod info;
pub(crate) mod log;
pub mod peer;
pub(crate) mod rate;
pub mod roster;
pub(crate) mod rpc;
mod server;
pub mod service;
pub(crate) mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;

pub use self::db::{
    Error as DbError, Handle as DbHandle, MAX_DB_BYTES, MAX_MAILBOX_BYTES, MAX_MAILBOX_MESSAGES,
    StoreLimits,
};
pub use self::http::{Admit, BoxFuture, MAX_SMALL_ROUTE_BODY, Request, Response, Service};
pub use self::info::InfoService;
pub use self::log::{Log, MAX_LOG_BYTES};
pub use self::rate::Rate;
pub use self::server::{MIN_RESPONSE_BYTES_PER_SECOND, SMALL_ANSWER, run, run_plain};
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
    /// The file server's store could not be opened.
    #[error("the file server's store")]
    FileStore(#[source] files::StoreError),
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
            | Self::FileStore(_)
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
        let lock = lock_dir(dir)?;
        let identity = load_or_create_identity(&dir.join(IDENTITY_FILE), now, rng)?;
        let tls = tls::load_or_create(dir).map_err(Error::Tls)?;
        let db = db::Handle::open(&dir.join(db::DB_FILE)).map_err(Error::Db)?;
        Ok(Self {
            dir: dir.to_owned(),
            identity,
            tls,
            db,
            _lock: lock,
        })
    }
}

/// Creates a node's directory (mode 0700) if missing and takes its [`LOCK_FILE`] (with this
/// process's pid) for as long as the returned file lives.
///
/// # Errors
/// [`Error::InUse`] when another process holds the lock; [`Error::Dir`] otherwise.
pub(crate) fn lock_dir(dir: &Path) -> Result<std::fs::File, Error> {
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
    Ok(lock)
}

/// The node identity in `path`, made (from `rng`, dated `now`) when missing.
pub(crate) fn load_or_create_identity(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
