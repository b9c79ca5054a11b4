//! The network client: node pool, swarms, onion paths and storage RPC over a [`Transport`].
//!
//! [`Client`] is what `sesh send`, `receive`, `nodes`, `probe`, `path` and `swarm` use. It ties
//! the sans-IO protocol modules ([`crate::onion`], [`crate::swarm`]) to a [`Transport`], a
//! [`Clock`] and a random source, and keeps what it learns in a [`State`] database so that the
//! next command starts where this one stopped (protocol.md §5.3, §7.6).
//!
//! * **Node pool**: from the cache when fresh (2 h, as libsession) and big enough, else
//!   refreshed from three pool nodes that must agree, or bootstrapped from the network's
//!   seeds (§5.1, §5.3) — and its known nodes when every seed fails. The cache belongs to the
//!   network's fingerprint, and a pool whose guards do not answer is refetched.
//! * **Swarms**: computed from the pool's swarm ids, as libsession does (§6); when the pool
//!   has none, asked with `get_swarm` through an onion path, checked against the pool and
//!   cached for [`SWARM_MAX_AGE`]. A 421 is checked the same way: the pool decides.
//! * **Paths**: two 3-hop paths whose guards answered a direct `get_swarm` (§7.6) and that
//!   answered a test request, kept in the state and reused; strikes and failures per §7.7,
//!   where a hop's plain-text word strikes at most one node.
//! * **Requests**: every storage RPC is an onion request (AES-GCM layers, as session-desktop
//!   sends) to `/onion_req/v2` of the path's guard; only guard tests and the fallback to known
//!   nodes go direct. Answers are checked: a store's hash, retrieved messages' hashes and
//!   timestamps.
//!
//! Network time: the offset between local and network time (§4.7), which
//! [`Client::network_now_ms`] applies, moves only when at least three nodes' `"t"` agree
//! within the signature window (two of them from sealed onion replies); a 406 adds samples
//! from two more nodes and retries once. One node, or anyone on the guard's link, cannot set
//! it.
//!
//! # Layout
//! Policy is pure and unit-tested without a database or sockets; the async [`Client`] moves
//! bytes and saves what the policy decides.
//!
//! | module | concern |
//! |---|---|
//! | `client::pool` | the node pool: freshness, refresh from agreeing nodes, bootstrap, healing |
//! | `client::swarms` | swarms: computed from the pool, or checked against it; expiry |
//! | `client::router` | the path book: paths, guards, strikes, whom a failure blames |
//! | `client::netclock` | the network clock offset: median of several nodes |
//! | `client::onion_rpc` | one storage RPC request as an onion request, its outcome judged |
//! | `client::storage` | store and retrieve; the JSON of the storage RPC, in one place |
//! | `client::files` | file server uploads and downloads, as onion v4 requests |
//! | `client::error` | [`Error`] |
//! | [`probe`], [`state`] | health checks; the state database |

mod error;
mod files;
mod netclock;
mod onion_rpc;
pub mod ons;
mod pool;
pub mod probe;
mod router;
pub mod state;
mod storage;
mod swarms;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddrV4;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use rand_core::{CryptoRng, RngCore};

use netclock::NetClock;
use router::{PathBook, PathEvent};
use state::CachedSwarm;

use crate::clock::Clock;
use crate::error::{ErrorKind, HasKind};
use crate::identity::{Ed25519Pub, Identity, SessionId, X25519Pub};
use crate::network::{KnownNode, Network};
use crate::onion::path::{self as onion_path, OnionPath, PathError, PathPolicy};
use crate::onion::{self, Destination, EncType};
use crate::rpc::Namespace;
use crate::rpc::status::{self, Outcome};
use crate::swarm::{Snode, SnodePool, Swarm};
use crate::transport::{ONION_REQ_PATH, STORAGE_RPC_PATH, Target, Transport, TransportError};

pub use error::Error;
pub(crate) use error::short_key;
use error::{message_of, shorten};
pub use files::{MAX_DOWNLOAD_LEN, MAX_UPLOAD_LEN, Uploaded};
use onion_rpc::{Attempt, build_request, send_request};
use router::addr;
pub use state::{PathRecord, SentMessage, State, StateError};
pub use storage::{DeleteOutcome, Retrieved, RetrievedMessage, StoreOutcome};
pub use storage::{ENVELOPE_FUTURE_MS, plausible_envelope_timestamp, seen_until};
pub use swarms::SWARM_MAX_AGE;

/// A cached pool older than this is fetched again (libsession: 2 h).
pub const POOL_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);
/// A cached pool smaller than this is fetched again: enough for two 3-hop paths and a
/// destination (session-desktop `minSnodePoolCount`; libsession uses 12).
pub const MIN_POOL_SIZE: usize = 8;
/// A cached swarm with fewer members still in the pool is looked up again
/// (session-desktop `minSwarmSnodeCount`).
pub(crate) const MIN_SWARM_MEMBERS: usize = 3;
/// Strikes after which a node is dropped, and failures after which a path is (§7.7).
pub const STRIKE_LIMIT: u32 = 3;

/// Guard candidates tested at once, and rounds of testing (session-desktop `onionPath.ts`).
const GUARD_BATCH: usize = 2;
const GUARD_ROUNDS: usize = 6;
/// Offsets that differ by less than this are not worth a database write.
const OFFSET_SAVE_THRESHOLD_MS: i64 = 1000;
/// Seen entries are kept this long past their expiry, for swarm members whose clocks lag.
const SEEN_GRACE_MS: u64 = 60 * 60 * 1000;

/// Timeouts and limits of a [`Client`].
#[derive(Clone, Debug)]
pub struct Config {
    /// One seed request (session-desktop: 5 s, retried).
    pub seed_timeout: Duration,
    /// One direct guard test (session-desktop: 10 s).
    pub guard_timeout: Duration,
    /// One onion request, all hops included.
    pub onion_timeout: Duration,
    /// Paths tried per onion request before giving up (session-desktop: 3).
    pub onion_attempts: usize,
    /// Swarm members tried per store or retrieve.
    pub node_attempts: usize,
    /// The layer encryption of onion requests.
    pub enc_type: EncType,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed_timeout: Duration::from_secs(10),
            guard_timeout: Duration::from_secs(10),
            onion_timeout: Duration::from_secs(20),
            onion_attempts: 3,
            node_attempts: 3,
            // session-desktop's choice, and what every storage server accepts (§7.1, §7.8).
            enc_type: EncType::AesGcm,
        }
    }
}

/// The network client. See the module docs.
pub struct Client<T, C, R> {
    network: Network,
    transport: T,
    clock: C,
    rng: R,
    state: State,
    config: Config,
    policy: PathPolicy,
    pool: Option<SnodePool>,
    pool_fetched_ms: Option<u64>,
    /// Whether the pool in use was fetched from the network by this client (since the last
    /// [`Client::reload`]): then a pool that does not work is not fetched again.
    pool_fetched_now: bool,
    /// Set while the pool is refreshed through its own nodes: no healing inside it.
    refreshing: bool,
    book: Option<PathBook>,
    /// Set when the live nodes made fewer paths than wanted: use those, don't rebuild on
    /// every request.
    paths_short: bool,
    net_clock: NetClock,
    offset_ms: i64,
    saved_offset_ms: Option<i64>,
}

impl<T, C, R> std::fmt::Debug for Client<T, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("network", &self.network.name)
            .field("state", &self.state.dir())
            .finish_non_exhaustive()
    }
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    /// A client of `network` whose state lives in `state_dir` (one directory per network:
    /// the caller appends the network's name).
    ///
    /// What the state holds about the network (pool, swarms, guards, paths, strikes, clock
    /// offset) is discarded when it was learned from another network definition (seeds,
    /// pins or known nodes, [`Network::fingerprint`]): a devnet restarted under the same
    /// name starts afresh.
    ///
    /// # Errors
    /// [`Error::State`] when the state cannot be opened.
    pub fn open(
        network: Network,
        state_dir: &Path,
        transport: T,
        clock: C,
        rng: R,
    ) -> Result<Self, Error> {
        let mut state = State::open(state_dir).map_err(Error::State)?;
        let fingerprint = network.fingerprint();
        if state.network_fingerprint().map_err(Error::State)? != Some(fingerprint) {
            state
                .discard_network_cache(fingerprint)
                .map_err(Error::State)?;
        }
        let saved = state.clock_offset_ms().map_err(Error::State)?;
        let policy = PathPolicy {
            subnet_diversity: network.subnet_diversity,
            ..PathPolicy::default()
        };
        Ok(Self {
            network,
            transport,
            clock,
            rng,
            state,
            config: Config::default(),
            policy,
            pool: None,
            pool_fetched_ms: None,
            pool_fetched_now: false,
            refreshing: false,
            book: None,
            paths_short: false,
            net_clock: NetClock::default(),
            offset_ms: saved.unwrap_or(0),
            saved_offset_ms: saved,
        })
    }

    /// Replaces the timeouts and limits.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The transport (for its counters, e.g. [`crate::transport::http::HttpTransport::tls_handshakes`]).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The state database (receive cursors, the seen set, the receive lock).
    pub fn state(&mut self) -> &mut State {
        &mut self.state
    }

    /// The current network time (ms): the local clock corrected by the offset learned from
    /// the nodes' `"t"` (§4.7). Use it for request and message timestamps.
    pub fn network_now_ms(&self) -> u64 {
        let local = i128::from(self.clock.now_ms());
        u64::try_from((local + i128::from(self.offset_ms)).max(0)).unwrap_or(u64::MAX)
    }

    /// The network clock offset in use: network time minus local time (ms).
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms
    }
}

#[cfg(test)]
mod tests;
