//! The network client: node pool, swarms, onion paths and storage RPC over a [`Transport`].
//!
//! [`Client`] is what `sesh send`, `receive`, `nodes`, `probe`, `path` and `swarm` use. It ties
//! the sans-IO protocol modules ([`crate::onion`], [`crate::swarm`]) to a [`Transport`], a
//! [`Clock`] and a random source, and keeps what it learns in a [`State`] database so that the
//! next command starts where this one stopped (protocol.md §5.3, §7.6).
//!
//! * **Node pool**: from the cache when fresh (2 h, as libsession) and big enough, else from the
//!   network's seed nodes, tried in random order (§5.1).
//! * **Swarms**: cached per Session ID; otherwise computed from the pool's swarm ids, as
//!   libsession does, falling back to `get_swarm` through an onion path when the pool has no
//!   swarm ids (§6). Computing locally costs no request and tells no node which account we
//!   care about; the storage servers use the same rule (§12.7 vectors), and a 421 corrects a
//!   stale answer.
//! * **Paths**: two 3-hop paths whose guards answered a direct `get_swarm` (§7.6), kept in the
//!   state and reused; strikes and failures per §7.7.
//! * **Requests**: every storage RPC is an onion request (AES-GCM layers, as session-desktop
//!   sends) to `/onion_req/v2` of the path's guard; only guard tests go direct.
//!
//! Network time: every reply's `"t"` sets the offset between local and network time
//! (§4.7), which [`Client::network_now_ms`] applies; a 406 resynchronises it and retries once.

pub mod probe;
pub mod state;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddrV4;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use rand_core::{CryptoRng, RngCore};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::error::{ErrorKind, HasKind};
use crate::identity::{Ed25519Pub, Identity, SessionId, X25519Pub};
use crate::network::Network;
use crate::onion::path::{self as onion_path, OnionPath, PathError, PathPolicy};
use crate::onion::{self, Destination, EncType, PathFailure};
use crate::rpc::{Namespace, auth};
use crate::swarm::{Snode, SnodePool, Swarm};
use crate::transport::{ONION_REQ_PATH, STORAGE_RPC_PATH, Target, Transport, TransportError};

pub use state::{PathRecord, State, StateError};

/// A cached pool older than this is fetched again (libsession: 2 h).
pub const POOL_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);
/// A cached pool smaller than this is fetched again: enough for two 3-hop paths and a
/// destination (session-desktop `minSnodePoolCount`; libsession uses 12).
pub const MIN_POOL_SIZE: usize = 8;
/// A cached swarm with fewer members still in the pool is looked up again
/// (session-desktop `minSwarmSnodeCount`).
pub const MIN_SWARM_MEMBERS: usize = 3;
/// Strikes after which a node is dropped, and failures after which a path is (§7.7).
pub const STRIKE_LIMIT: u32 = 3;
pub use crate::rpc::limits::MAX_DATA_B64_LEN as MAX_STORE_DATA_B64;
pub use crate::rpc::limits::TTL_PUBLIC_MS as TTL_RANGE_MS;

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

/// The short form of a node's key that messages name it by: `1f000f09…1fef`.
pub fn short_key(k: &Ed25519Pub) -> String {
    let h = k.to_hex();
    format!("{}…{}", &h[..8], &h[h.len() - 4..])
}

/// Why a client operation failed. Nodes are named by their short Ed25519 key, never by
/// address.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The state database failed.
    #[error("client state")]
    State(#[source] StateError),
    /// No seed node gave a usable node list.
    #[error("no seed node of network '{network}' gave a node list ({tried} tried): {last}")]
    NoSeed {
        /// The network.
        network: String,
        /// Seeds tried.
        tried: usize,
        /// The last seed's failure.
        last: String,
    },
    /// A seed's certificate did not match its pin (and no other seed answered).
    #[error("seed node")]
    SeedPin(#[source] TransportError),
    /// No paths could be built.
    #[error("cannot build onion paths")]
    Path(#[source] PathError),
    /// An onion request could not be built.
    #[error("cannot build an onion request to node {node}")]
    Onion {
        /// The destination.
        node: String,
        /// Why.
        #[source]
        source: onion::Error,
    },
    /// Not enough guard nodes answered their test.
    #[error("no guard node answered ({tested} tested)")]
    NoGuards {
        /// Candidates tested.
        tested: usize,
    },
    /// Every path tried for a request failed.
    #[error("{method} to node {node} failed on {attempts} path(s): {last}")]
    PathsFailed {
        /// The RPC method.
        method: String,
        /// The destination.
        node: String,
        /// Paths tried.
        attempts: usize,
        /// The last failure.
        last: String,
    },
    /// A relay did not know the destination: it has left the network and was dropped.
    #[error("node {node} is unknown to the network (dropped from the pool)")]
    NodeGone {
        /// The destination.
        node: String,
    },
    /// The node refused the request as unauthorized (401) or forbidden (403). Retrying won't
    /// help: the signature, key or TTL is wrong.
    #[error("node {node} refused {method} with {status}: {message}")]
    Refused {
        /// The node.
        node: String,
        /// The RPC method.
        method: String,
        /// 401 or 403.
        status: u16,
        /// The node's explanation.
        message: String,
    },
    /// The node called the request malformed (400).
    #[error("node {node} rejected {method} as malformed: {message}")]
    BadRequest {
        /// The node.
        node: String,
        /// The RPC method.
        method: String,
        /// The node's explanation.
        message: String,
    },
    /// The node says our clock is off, even after resynchronising with the network.
    #[error("node {node} says the clock is out of sync ({method})")]
    ClockOutOfSync {
        /// The node.
        node: String,
        /// The RPC method.
        method: String,
    },
    /// The swarm kept moving: three wrong-swarm answers (421) in a row.
    #[error("could not find the swarm of {account}: three wrong-swarm answers")]
    WrongSwarm {
        /// The account (short form).
        account: String,
    },
    /// The node answered with an error status.
    #[error("node {node} answered {method} with {status}: {message}")]
    NodeFailed {
        /// The node.
        node: String,
        /// The RPC method.
        method: String,
        /// The status.
        status: u16,
        /// The body, shortened.
        message: String,
    },
    /// The node's answer does not have the expected shape.
    #[error("node {node} gave an unexpected answer to {method}: {reason}")]
    BadAnswer {
        /// The node.
        node: String,
        /// The RPC method.
        method: String,
        /// What is wrong.
        reason: String,
    },
    /// No node of the swarm is known.
    #[error("no service node known for the swarm of {account}")]
    NoSwarm {
        /// The account (short form).
        account: String,
    },
    /// The request itself is invalid (e.g. a TTL out of range).
    #[error("{0}")]
    InvalidInput(String),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::State(e) => e.kind(),
            Self::SeedPin(e) => e.kind(),
            Self::Path(e) => e.kind(),
            Self::Onion { source, .. } => source.kind(),
            Self::NoSeed { .. }
            | Self::NoGuards { .. }
            | Self::PathsFailed { .. }
            | Self::NodeGone { .. }
            | Self::ClockOutOfSync { .. }
            | Self::WrongSwarm { .. }
            | Self::NodeFailed { .. }
            | Self::BadAnswer { .. }
            | Self::NoSwarm { .. } => ErrorKind::Transient,
            Self::Refused { .. } | Self::BadRequest { .. } => ErrorKind::Failure,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::State(e) => e.hint(),
            Self::SeedPin(e) => e.hint(),
            Self::Path(e) => e.hint(),
            Self::NoSeed { .. } => Some("check the network connection and --network".into()),
            Self::ClockOutOfSync { .. } => Some(
                "the network clock offset was corrected; re-run, and check the system clock".into(),
            ),
            Self::WrongSwarm { .. } | Self::PathsFailed { .. } | Self::NodeGone { .. } => {
                Some("the network is changing; re-run".into())
            }
            _ => None,
        }
    }
}

/// Where a `store` landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOutcome {
    /// The message hash the swarm gave it (§4.6): the same for the same data, so a repeated
    /// store never makes a second message.
    pub hash: String,
    /// The swarm member that took it.
    pub node: Ed25519Pub,
}

/// One message as `retrieve` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrievedMessage {
    /// Its hash: the `last_hash` to continue after it.
    pub hash: String,
    /// When it was stored (the sender's timestamp, ms).
    pub timestamp_ms: u64,
    /// When the swarm will delete it (ms).
    pub expiration_ms: u64,
    /// The data as the swarm returned it: base64 (see [`RetrievedMessage::decode_data`]).
    pub data: String,
}

impl RetrievedMessage {
    /// The data's bytes.
    ///
    /// # Errors
    /// The base64 decoder's error when the node sent something else.
    pub fn decode_data(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(self.data.trim())
    }
}

/// What a `retrieve` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrieved {
    /// The messages after `last_hash`, oldest first.
    pub messages: Vec<RetrievedMessage>,
    /// Whether more are waiting (retrieve again after the last one).
    pub more: bool,
    /// The swarm member that answered.
    pub node: Ed25519Pub,
}

/// Whom a path failure is counted against.
#[derive(Clone, Copy, Debug)]
enum Blame {
    /// The guard could not be reached: its fault alone. (session-desktop strikes the other
    /// hops in this case too; sesh doesn't, so that one dead guard does not get two healthy
    /// nodes dropped from the pool.)
    Guard,
    /// A hop answered with an error, or the reply was garbled somewhere along the path: the
    /// hops after the guard take a strike each (§7.7).
    Relays,
}

/// The outcome of one onion request attempt.
enum Attempt {
    /// The guard could not be reached.
    Transport(TransportError),
    /// A hop answered with an error (plain text).
    Path { status: u16, body: Vec<u8> },
    /// The reply did not open.
    Reply(onion::Error),
    /// The destination answered.
    Answer { status: u16, body: Value },
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
    paths: Option<Vec<PathRecord>>,
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

/// The body's text for messages, shortened.
fn message_of(body: &Value) -> String {
    let s = match body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    shorten(&s)
}

fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 200 {
        return s.to_owned();
    }
    let cut: String = s.chars().take(197).collect();
    format!("{cut}...")
}

fn addr(n: &Snode) -> SocketAddrV4 {
    SocketAddrV4::new(n.ip, n.port)
}

/// Whether `n` is the pool's node of that key at the same address.
fn same_node(pool: &SnodePool, n: &Snode) -> bool {
    pool.get(&n.ed25519)
        .is_some_and(|p| p.x25519 == n.x25519 && p.ip == n.ip && p.port == n.port)
}

/// Builds an onion request through `path` (guard first; may be empty) to `dest`: where to
/// POST it, the body, and what opens the reply.
fn build_request(
    path: &[Snode],
    dest: &Snode,
    payload: &[u8],
    enc: EncType,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Target, Vec<u8>, onion::PendingReply), Error> {
    let hops: Vec<onion::HopKeys> = path.iter().map(onion::HopKeys::from).collect();
    let (body, pending) = onion::build(&hops, &Destination::Snode(dest.into()), payload, enc, rng)
        .map_err(|source| Error::Onion {
            node: short_key(&dest.ed25519),
            source,
        })?;
    let first = path.first().unwrap_or(dest);
    let target = Target::Node {
        addr: addr(first),
        path: ONION_REQ_PATH,
    };
    Ok((target, body, pending))
}

/// POSTs an onion request built by [`build_request`] and opens the reply: the outcome, not
/// yet judged.
async fn send_request<T: Transport>(
    transport: &T,
    target: &Target,
    body: Vec<u8>,
    pending: &onion::PendingReply,
    timeout: Duration,
) -> Attempt {
    let reply = match transport.post(target, body, timeout).await {
        Ok(r) => r,
        Err(e) => return Attempt::Transport(e),
    };
    if reply.status != 200 {
        return Attempt::Path {
            status: reply.status,
            body: reply.body,
        };
    }
    match pending.open(&reply.body) {
        Ok(resp) => {
            let body = resp.body_json().unwrap_or(Value::String(resp.body));
            Attempt::Answer {
                status: resp.status,
                body,
            }
        }
        Err(e) => Attempt::Reply(e),
    }
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    /// A client of `network` whose state lives in `state_dir` (one directory per network:
    /// the caller appends the network's name).
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
        let state = State::open(state_dir).map_err(Error::State)?;
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
            paths: None,
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

    // ---- node pool -----------------------------------------------------------------------

    /// The node pool: the cached one if it is fresh (younger than [`POOL_MAX_AGE`]) and has
    /// at least [`MIN_POOL_SIZE`] nodes and `refresh` is false, else one fetched from the
    /// network's seeds.
    ///
    /// # Errors
    /// [`Error::NoSeed`] when no seed gave a usable list, [`Error::SeedPin`] when the only
    /// answering seed failed its pin, [`Error::State`].
    pub async fn pool(&mut self, refresh: bool) -> Result<&SnodePool, Error> {
        if refresh || self.pool.is_none() {
            self.load_pool(refresh).await?;
        }
        Ok(self
            .pool
            .as_ref()
            .expect("should have a pool: load_pool sets it"))
    }

    /// When the pool in use was fetched from a seed (local clock, ms), once known.
    pub fn pool_fetched_ms(&self) -> Option<u64> {
        self.pool_fetched_ms
    }

    async fn load_pool(&mut self, refresh: bool) -> Result<(), Error> {
        if !refresh && let Some(cached) = self.state.pool().map_err(Error::State)? {
            let age = self.clock.now_ms().saturating_sub(cached.fetched_ms);
            let fresh = u128::from(age) < POOL_MAX_AGE.as_millis();
            if fresh && cached.nodes.len() >= MIN_POOL_SIZE {
                self.pool = Some(SnodePool::new(cached.nodes));
                self.pool_fetched_ms = Some(cached.fetched_ms);
                return Ok(());
            }
        }
        let pool = self.fetch_pool().await?;
        let now = self.clock.now_ms();
        self.state
            .save_pool(pool.nodes(), now)
            .map_err(Error::State)?;
        self.pool = Some(pool);
        self.pool_fetched_ms = Some(now);
        // Paths through nodes that left (or moved) are rebuilt.
        if let Some(paths) = self.paths.take() {
            self.paths = Some(self.valid_paths(paths));
            self.save_paths()?;
        }
        Ok(())
    }

    /// The request for the node list (§5.1), plus the fields libsession asks for, which
    /// `sesh nodes` shows and swarms are computed from. No `limit`: the whole list.
    fn get_n_service_nodes_body() -> Vec<u8> {
        json!({
            "jsonrpc": "2.0",
            "method": "get_n_service_nodes",
            "params": {
                "active_only": true,
                "fields": {
                    "public_ip": true,
                    "storage_port": true,
                    "pubkey_x25519": true,
                    "pubkey_ed25519": true,
                    "requested_unlock_height": true,
                    "height": true,
                    "swarm_id": true,
                    "storage_server_version": true,
                },
            },
        })
        .to_string()
        .into_bytes()
    }

    async fn fetch_pool(&mut self) -> Result<SnodePool, Error> {
        let mut seeds = self.network.seeds.clone();
        onion_path::shuffle(&mut seeds, &mut self.rng);
        let body = Self::get_n_service_nodes_body();
        let mut last = String::from("the network has no seeds");
        let mut pin_failure = None;
        for seed in &seeds {
            let reply = match self
                .transport
                .post(
                    &Target::Seed(seed.clone()),
                    body.clone(),
                    self.config.seed_timeout,
                )
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    last = format!("seed '{}': {e}", seed.url);
                    if matches!(e, TransportError::PinMismatch { .. }) {
                        pin_failure = Some(e);
                    }
                    continue;
                }
            };
            match Self::parse_seed_reply(&reply) {
                Ok(pool) => return Ok(pool),
                Err(reason) => last = format!("seed '{}': {reason}", seed.url),
            }
        }
        if let Some(e) = pin_failure {
            return Err(Error::SeedPin(e));
        }
        Err(Error::NoSeed {
            network: self.network.name.clone(),
            tried: seeds.len(),
            last,
        })
    }

    fn parse_seed_reply(reply: &crate::transport::Reply) -> Result<SnodePool, String> {
        if reply.status != 200 {
            return Err(format!(
                "HTTP status {}: {}",
                reply.status,
                shorten(&String::from_utf8_lossy(&reply.body))
            ));
        }
        // session-desktop refuses any other content type (§5.1).
        if reply.content_type.as_deref() != Some("application/json") {
            return Err(format!(
                "content type is {}, not application/json",
                reply.content_type.as_deref().unwrap_or("missing")
            ));
        }
        let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("not JSON: {e}"))?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return Err(format!("JSON-RPC error {}", shorten(&err.to_string())));
        }
        let (pool, _dropped) =
            SnodePool::from_get_n_service_nodes(&v).map_err(|e| e.to_string())?;
        // libsession rejects nodes that report version 0 (§5.5).
        let pool = SnodePool::new(
            pool.nodes()
                .iter()
                .filter(|n| n.version != Some([0, 0, 0]))
                .cloned(),
        );
        if pool.is_empty() {
            return Err("no usable service nodes in the list".into());
        }
        Ok(pool)
    }

    async fn ensure_pool(&mut self) -> Result<&SnodePool, Error> {
        self.pool(false).await
    }

    fn pool_ref(&self) -> &SnodePool {
        self.pool
            .as_ref()
            .expect("should have a pool: ensure_pool ran first")
    }

    // ---- swarms --------------------------------------------------------------------------

    /// The swarm that stores messages for `account`: cached, or computed from the pool's
    /// swarm ids, or asked of a random node with `get_swarm` through an onion path.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoSwarm`], and those of [`Client::onion_rpc`].
    pub async fn swarm_for(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        if let Some(cached) = self.state.swarm(account).map_err(Error::State)? {
            let pool = self.pool_ref();
            let members: Vec<Snode> = cached
                .swarm
                .members
                .iter()
                .filter(|m| pool.get(&m.ed25519).is_some())
                .cloned()
                .collect();
            if members.len() >= MIN_SWARM_MEMBERS.min(cached.swarm.members.len()).max(1) {
                return Ok(Swarm {
                    id: cached.swarm.id,
                    members,
                });
            }
        }
        let pool = self.pool_ref();
        if let Some(id) = pool.swarm_of(account) {
            let members: Vec<Snode> = pool.members_of(id).into_iter().cloned().collect();
            if !members.is_empty() {
                let swarm = Swarm { id, members };
                let now = self.clock.now_ms();
                self.state
                    .save_swarm(account, &swarm, now)
                    .map_err(Error::State)?;
                return Ok(swarm);
            }
        }
        self.fetch_swarm(account).await
    }

    /// Asks random pool nodes for `account`'s swarm (`get_swarm` through an onion path) and
    /// caches the answer.
    ///
    /// # Errors
    /// [`Error::NoSwarm`] when no node named a non-empty swarm, and the errors of
    /// [`Client::onion_rpc`].
    pub async fn fetch_swarm(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        let mut last = Error::NoSwarm {
            account: account.short(),
        };
        let mut tried = HashSet::new();
        for _ in 0..self.config.node_attempts {
            let candidates: Vec<Snode> = self
                .pool_ref()
                .nodes()
                .iter()
                .filter(|n| !tried.contains(&n.ed25519))
                .cloned()
                .collect();
            if candidates.is_empty() {
                break;
            }
            let node = candidates[onion_path::uniform(&mut self.rng, candidates.len())].clone();
            tried.insert(node.ed25519);
            match self
                .onion_rpc(&node, "get_swarm", json!({"pubkey": account.to_string()}))
                .await
            {
                Ok((200, body)) => match Swarm::from_get_swarm(&body) {
                    Ok(swarm) if !swarm.members.is_empty() => {
                        let now = self.clock.now_ms();
                        self.state
                            .save_swarm(account, &swarm, now)
                            .map_err(Error::State)?;
                        return Ok(swarm);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        last = Error::BadAnswer {
                            node: short_key(&node.ed25519),
                            method: "get_swarm".into(),
                            reason: e.to_string(),
                        };
                    }
                },
                Ok((status, body)) => {
                    last = Error::NodeFailed {
                        node: short_key(&node.ed25519),
                        method: "get_swarm".into(),
                        status,
                        message: message_of(&body),
                    };
                }
                Err(e) if e.kind() == ErrorKind::Transient => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Handles a wrong-swarm answer (421) for `account` the way libsession does: the first
    /// replaces the cached swarm with the one in the answer; the second also refreshes the
    /// pool; the third gives up.
    async fn wrong_swarm(
        &mut self,
        account: &SessionId,
        body: &Value,
        count: &mut u32,
    ) -> Result<(), Error> {
        *count += 1;
        if *count >= 3 {
            return Err(Error::WrongSwarm {
                account: account.short(),
            });
        }
        if *count == 2 {
            // A failed refresh leaves the old pool, which still serves.
            if let Err(e) = self.pool(true).await
                && e.kind() != ErrorKind::Transient
            {
                return Err(e);
            }
        }
        match Swarm::from_get_swarm(body) {
            Ok(swarm) if !swarm.members.is_empty() => {
                let now = self.clock.now_ms();
                self.state
                    .save_swarm(account, &swarm, now)
                    .map_err(Error::State)
            }
            _ => self.state.forget_swarm(account).map_err(Error::State),
        }
    }

    // ---- guards and paths ----------------------------------------------------------------

    /// The onion paths in use, building (and testing guards for) any that are missing.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoGuards`], [`Error::Path`], [`Error::State`].
    pub async fn paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_paths().await?;
        Ok(self
            .paths
            .iter()
            .flatten()
            .map(|p| p.path.clone())
            .collect())
    }

    /// Drops the onion paths and their guards, and builds new ones, testing new guards
    /// (`sesh path new`).
    ///
    /// # Errors
    /// Those of [`Client::paths`].
    pub async fn new_paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_pool().await?;
        self.paths = Some(Vec::new());
        self.save_paths()?;
        self.state.save_guards(&[]).map_err(Error::State)?;
        self.paths().await
    }

    /// Paths whose hops are all still in the pool at the same address.
    fn valid_paths(&self, paths: Vec<PathRecord>) -> Vec<PathRecord> {
        let Some(pool) = &self.pool else {
            return paths;
        };
        paths
            .into_iter()
            .filter(|p| p.path.hops().iter().all(|h| same_node(pool, h)))
            .collect()
    }

    fn save_paths(&mut self) -> Result<(), Error> {
        let paths = self.paths.clone().unwrap_or_default();
        self.state.save_paths(&paths).map_err(Error::State)
    }

    async fn ensure_paths(&mut self) -> Result<(), Error> {
        self.ensure_pool().await?;
        if self.paths.is_none() {
            let stored = self.state.paths().map_err(Error::State)?;
            let valid = self.valid_paths(stored);
            self.paths = Some(valid);
        }
        let have = self.paths.as_ref().map_or(0, Vec::len);
        if have >= self.policy.paths {
            return Ok(());
        }
        let needed = self.policy.paths - have;
        let used: Vec<Ed25519Pub> = self
            .paths
            .iter()
            .flatten()
            .flat_map(|p| p.path.hops().iter().map(|h| h.ed25519))
            .collect();
        let pool = self.pool_ref().clone();
        let mut guards: Vec<Snode> = self
            .state
            .guards()
            .map_err(Error::State)?
            .into_iter()
            .filter(|g| same_node(&pool, g))
            .collect();
        let mut free: Vec<Snode> = guards
            .iter()
            .filter(|g| !used.contains(&g.ed25519))
            .cloned()
            .collect();
        if free.len() < needed {
            let mut exclude = used.clone();
            exclude.extend(guards.iter().map(|g| g.ed25519));
            let found = self
                .test_guards(&pool, &exclude, needed - free.len())
                .await?;
            guards.extend(found.iter().cloned());
            free.extend(found);
            self.state.save_guards(&guards).map_err(Error::State)?;
        }
        let policy = PathPolicy {
            paths: needed,
            ..self.policy
        };
        let new =
            onion_path::select_with_guards(pool.nodes(), &free, &policy, &used, &mut self.rng)
                .map_err(Error::Path)?;
        self.paths
            .get_or_insert_with(Vec::new)
            .extend(new.into_iter().map(|path| PathRecord { path, failures: 0 }));
        self.save_paths()
    }

    /// Tests guard candidates two at a time with a direct `get_swarm` (§7.6) until `needed`
    /// answered.
    ///
    /// The `pubkey` asked about is a random one, not the user's: a direct request shows the
    /// guard our IP address, and it should not learn which account goes with it.
    async fn test_guards(
        &mut self,
        pool: &SnodePool,
        exclude: &[Ed25519Pub],
        needed: usize,
    ) -> Result<Vec<Snode>, Error> {
        let candidates: Vec<Snode> =
            onion_path::guard_candidates(pool.nodes(), exclude, &mut self.rng)
                .into_iter()
                .cloned()
                .collect();
        let mut found = Vec::new();
        let mut tested = 0;
        for batch in candidates.chunks(GUARD_BATCH).take(GUARD_ROUNDS) {
            let mut key = [0u8; 32];
            self.rng.fill_bytes(&mut key);
            let body = json!({
                "method": "get_swarm",
                "params": {"pubkey": SessionId::from_x25519(X25519Pub(key)).to_string()},
            })
            .to_string()
            .into_bytes();
            let t = &self.transport;
            let timeout = self.config.guard_timeout;
            let targets: Vec<Target> = batch
                .iter()
                .map(|g| Target::Node {
                    addr: addr(g),
                    path: STORAGE_RPC_PATH,
                })
                .collect();
            let replies = match targets.as_slice() {
                [a, b] => {
                    let (ra, rb) =
                        tokio::join!(t.post(a, body.clone(), timeout), t.post(b, body, timeout));
                    vec![ra, rb]
                }
                [a] => vec![t.post(a, body, timeout).await],
                _ => Vec::new(),
            };
            tested += batch.len();
            for (g, reply) in batch.iter().zip(replies) {
                if let Ok(r) = reply
                    && (200..300).contains(&r.status)
                {
                    if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
                        self.learn_time(&v)?;
                    }
                    found.push(g.clone());
                }
            }
            if found.len() >= needed {
                found.truncate(needed);
                return Ok(found);
            }
        }
        if candidates.is_empty() {
            return Err(Error::Path(PathError::TooFewGuards {
                needed,
                available: 0,
            }));
        }
        Err(Error::NoGuards { tested })
    }

    /// A random path not containing `dest`, by index; replaces `dest` in a path if every path
    /// has it.
    fn path_for(&mut self, dest: &Snode) -> Result<usize, Error> {
        let paths = self.paths.as_ref().map_or(&[][..], Vec::as_slice);
        let ok: Vec<usize> = (0..paths.len())
            .filter(|&i| !paths[i].path.contains(&dest.ed25519))
            .collect();
        if !ok.is_empty() {
            return Ok(ok[onion_path::uniform(&mut self.rng, ok.len())]);
        }
        // Only possible with a single path: swap the destination out of it.
        let records = self.paths.clone().unwrap_or_default();
        let index = records
            .iter()
            .position(|p| p.path.contains(&dest.ed25519))
            .ok_or(Error::Path(PathError::TooFewGuards {
                needed: 1,
                available: 0,
            }))?;
        let plain: Vec<OnionPath> = records.iter().map(|p| p.path.clone()).collect();
        let pool = self.pool_ref().nodes().to_vec();
        let new = onion_path::replace_hop(
            &plain,
            index,
            &dest.ed25519,
            &pool,
            &self.policy,
            &[dest.ed25519],
            &mut self.rng,
        )
        .map_err(Error::Path)?;
        if let Some(p) = self.paths.as_mut().and_then(|p| p.get_mut(index)) {
            p.path = new;
            p.failures = 0;
        }
        self.save_paths()?;
        Ok(index)
    }

    /// Drops a node everywhere (§7.7): pool, swarms, guards, and paths (a path through it
    /// gets a replacement hop, or is dropped when it was the guard or none qualifies).
    fn drop_node(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        self.state.drop_node(node).map_err(Error::State)?;
        if let Some(pool) = self.pool.as_mut() {
            pool.remove(node);
        }
        let Some(records) = self.paths.clone() else {
            return Ok(());
        };
        let pool = self.pool_ref().nodes().to_vec();
        let mut kept: Vec<PathRecord> = Vec::with_capacity(records.len());
        let plain: Vec<OnionPath> = records.iter().map(|p| p.path.clone()).collect();
        for (i, rec) in records.into_iter().enumerate() {
            if !rec.path.contains(node) {
                kept.push(rec);
                continue;
            }
            if rec.path.guard().ed25519 == *node {
                continue;
            }
            if let Ok(path) = onion_path::replace_hop(
                &plain,
                i,
                node,
                &pool,
                &self.policy,
                &[*node],
                &mut self.rng,
            ) {
                kept.push(PathRecord {
                    path,
                    failures: rec.failures,
                });
            }
        }
        self.paths = Some(kept);
        self.save_paths()
    }

    /// A failure of path `index` (§7.7): +1 for the path and a strike for whom `blame`
    /// names; a path at [`STRIKE_LIMIT`] failures is dropped with its guard, a node at
    /// [`STRIKE_LIMIT`] strikes is dropped everywhere.
    fn path_failed(&mut self, index: usize, blame: Blame) -> Result<(), Error> {
        let Some(rec) = self.paths.as_mut().and_then(|p| p.get_mut(index)) else {
            return Ok(());
        };
        rec.failures += 1;
        let rec = rec.clone();
        let mut to_drop = Vec::new();
        let struck = match blame {
            Blame::Guard => &rec.path.hops()[..1],
            Blame::Relays => &rec.path.hops()[1..],
        };
        for h in struck {
            if self.state.strike(&h.ed25519).map_err(Error::State)? >= STRIKE_LIMIT {
                to_drop.push(h.ed25519);
            }
        }
        if rec.failures >= STRIKE_LIMIT {
            if let Some(paths) = self.paths.as_mut() {
                paths.remove(index);
            }
            let guard = rec.path.guard().ed25519;
            let guards: Vec<Snode> = self
                .state
                .guards()
                .map_err(Error::State)?
                .into_iter()
                .filter(|g| g.ed25519 != guard)
                .collect();
            self.state.save_guards(&guards).map_err(Error::State)?;
        }
        for n in &to_drop {
            self.drop_node(n)?;
        }
        self.save_paths()
    }

    fn path_worked(&mut self, index: usize) -> Result<(), Error> {
        if let Some(rec) = self.paths.as_mut().and_then(|p| p.get_mut(index))
            && rec.failures > 0
        {
            rec.failures = 0;
            return self.save_paths();
        }
        Ok(())
    }

    /// A strike against a destination that answered 5xx; dropped at [`STRIKE_LIMIT`].
    fn strike_node(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        if self.state.strike(node).map_err(Error::State)? >= STRIKE_LIMIT {
            self.drop_node(node)?;
        }
        Ok(())
    }

    // ---- network time --------------------------------------------------------------------

    /// Learns the network time from a reply's `"t"`, or from the `"t"` of batch subresults.
    fn learn_time(&mut self, body: &Value) -> Result<(), Error> {
        let t = body.get("t").and_then(Value::as_u64).or_else(|| {
            body.get("results")?
                .as_array()?
                .iter()
                .filter_map(|r| r.get("body")?.get("t")?.as_u64())
                .next_back()
        });
        if let Some(t) = t {
            self.set_network_time(t)?;
        }
        Ok(())
    }

    fn set_network_time(&mut self, t: u64) -> Result<(), Error> {
        let local = i128::from(self.clock.now_ms());
        let offset = i128::from(t) - local;
        self.offset_ms = i64::try_from(offset).unwrap_or(0);
        let stale = self
            .saved_offset_ms
            .is_none_or(|s| (s - self.offset_ms).abs() >= OFFSET_SAVE_THRESHOLD_MS);
        if stale {
            self.state
                .save_clock_offset_ms(self.offset_ms)
                .map_err(Error::State)?;
            self.saved_offset_ms = Some(self.offset_ms);
        }
        Ok(())
    }

    /// After a 406: learn the time from the answer's `"t"`, else from an `info` request to
    /// the same node.
    async fn resync_clock(&mut self, dest: &Snode, body: &Value) -> Result<(), Error> {
        if let Some(t) = body.get("t").and_then(Value::as_u64) {
            return self.set_network_time(t);
        }
        let payload = json!({"method": "info", "params": {}}).to_string();
        self.ensure_paths().await?;
        let index = self.path_for(dest)?;
        if let (_, Attempt::Answer { status: 200, body }) =
            self.attempt(index, dest, payload.as_bytes()).await?
        {
            let t = body
                .get("t")
                .or_else(|| body.get("timestamp"))
                .and_then(Value::as_u64);
            if let Some(t) = t {
                self.set_network_time(t)?;
            }
        }
        Ok(())
    }

    // ---- onion requests ------------------------------------------------------------------

    /// One onion request through path `index`; the outcome, not yet judged.
    async fn attempt(
        &mut self,
        index: usize,
        dest: &Snode,
        payload: &[u8],
    ) -> Result<(usize, Attempt), Error> {
        let path = self
            .paths
            .as_ref()
            .and_then(|p| p.get(index))
            .map(|p| p.path.clone())
            .ok_or(Error::Path(PathError::NotInPath {
                node: dest.ed25519,
                index,
            }))?;
        let (target, body, pending) = build_request(
            path.hops(),
            dest,
            payload,
            self.config.enc_type,
            &mut self.rng,
        )?;
        let outcome = send_request(
            &self.transport,
            &target,
            body,
            &pending,
            self.config.onion_timeout,
        )
        .await;
        Ok((index, outcome))
    }

    /// Sends one storage RPC request as an onion request through exactly `path` (guard
    /// first; empty: straight to `dest`'s onion endpoint) to `dest`, and returns the
    /// destination's status and body, as [`Client::onion_rpc`] does.
    ///
    /// For diagnostics: one attempt, no retry, and nothing learned or counted (no strikes,
    /// no path changes, no clock offset). `sesh path test` times a path prefix by prefix
    /// with it.
    ///
    /// # Errors
    /// [`Error::Onion`] when the request cannot be built (e.g. `dest` is in `path`);
    /// [`Error::PathsFailed`] (with one attempt) when the request failed on the way: the
    /// first hop could not be reached, a hop answered with an error, or the reply did not
    /// open.
    pub async fn onion_rpc_via(
        &mut self,
        path: &[Snode],
        dest: &Snode,
        method: &str,
        params: Value,
    ) -> Result<(u16, Value), Error> {
        let payload = json!({"method": method, "params": params}).to_string();
        let (target, body, pending) = build_request(
            path,
            dest,
            payload.as_bytes(),
            self.config.enc_type,
            &mut self.rng,
        )?;
        let outcome = send_request(
            &self.transport,
            &target,
            body,
            &pending,
            self.config.onion_timeout,
        )
        .await;
        let first = path.first().unwrap_or(dest);
        let last = match outcome {
            Attempt::Answer { status, body } => return Ok((status, body)),
            Attempt::Transport(e) => format!("node {}: {e}", short_key(&first.ed25519)),
            // The hop's own words: which hop failed, and how, is what a diagnosis needs.
            Attempt::Path { status, body } => format!(
                "path answered {status}: {}",
                shorten(&String::from_utf8_lossy(&body))
            ),
            Attempt::Reply(e) => e.to_string(),
        };
        Err(Error::PathsFailed {
            method: method.to_owned(),
            node: short_key(&dest.ed25519),
            attempts: 1,
            last,
        })
    }

    /// Sends the storage RPC request `{"method": method, "params": params}` to `dest` as an
    /// onion request, and returns the destination's status and body (JSON, or a JSON string
    /// for a plain-text body).
    ///
    /// Path failures are retried on other paths ([`Config::onion_attempts`] in all) and
    /// counted against the path per §7.7; a "Next node not found" drops that node and mends
    /// the path. A 406 resynchronises the network clock and retries once. Any status the
    /// destination gives is returned as is, for the caller to judge (a 5xx also strikes the
    /// destination).
    ///
    /// # Errors
    /// [`Error::PathsFailed`] when every attempt failed on the way, [`Error::NodeGone`]
    /// when the network no longer knows `dest`, [`Error::ClockOutOfSync`] when the clock
    /// is still off after resynchronising, and the errors of building paths.
    pub async fn onion_rpc(
        &mut self,
        dest: &Snode,
        method: &str,
        params: Value,
    ) -> Result<(u16, Value), Error> {
        self.onion_rpc_with(dest, method, |_| params.clone()).await
    }

    /// [`Client::onion_rpc`] with the params made per attempt from the network time (so that
    /// a retry after a clock fix signs a fresh timestamp).
    async fn onion_rpc_with(
        &mut self,
        dest: &Snode,
        method: &str,
        mut params: impl FnMut(u64) -> Value,
    ) -> Result<(u16, Value), Error> {
        let node = short_key(&dest.ed25519);
        let mut clock_fixed = false;
        let mut attempts = 0;
        let mut last = String::new();
        while attempts < self.config.onion_attempts {
            attempts += 1;
            self.ensure_paths().await?;
            let index = self.path_for(dest)?;
            let payload =
                json!({"method": method, "params": params(self.network_now_ms())}).to_string();
            let (index, outcome) = self.attempt(index, dest, payload.as_bytes()).await?;
            match outcome {
                Attempt::Transport(e) => {
                    if e.kind() != ErrorKind::Transient {
                        return Err(Error::PathsFailed {
                            method: method.to_owned(),
                            node,
                            attempts,
                            last: e.to_string(),
                        });
                    }
                    last = format!("guard {}: {e}", short_key(&self.guard_of(index)));
                    self.path_failed(index, Blame::Guard)?;
                }
                Attempt::Path { status, body } => match onion::path_failure(status, &body) {
                    PathFailure::NodeNotFound(gone) => {
                        self.drop_node(&gone)?;
                        if gone == dest.ed25519 {
                            return Err(Error::NodeGone { node });
                        }
                        last = format!("node {} is unknown to the network", short_key(&gone));
                    }
                    PathFailure::ClockOutOfSync if !clock_fixed => {
                        clock_fixed = true;
                        attempts -= 1;
                        self.resync_clock(dest, &Value::Null).await?;
                    }
                    PathFailure::ClockOutOfSync => {
                        return Err(Error::ClockOutOfSync {
                            node,
                            method: method.to_owned(),
                        });
                    }
                    PathFailure::WrongSwarm => {
                        let text = String::from_utf8_lossy(&body).into_owned();
                        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                        return Ok((421, body));
                    }
                    _ => {
                        last = format!(
                            "path answered {status}: {}",
                            shorten(&String::from_utf8_lossy(&body))
                        );
                        self.path_failed(index, Blame::Relays)?;
                    }
                },
                Attempt::Reply(e) => {
                    last = e.to_string();
                    self.path_failed(index, Blame::Relays)?;
                }
                Attempt::Answer { status, body } => {
                    self.path_worked(index)?;
                    self.learn_time(&body)?;
                    match status {
                        406 | 425 if !clock_fixed => {
                            clock_fixed = true;
                            attempts -= 1;
                            self.resync_clock(dest, &body).await?;
                        }
                        406 | 425 => {
                            return Err(Error::ClockOutOfSync {
                                node,
                                method: method.to_owned(),
                            });
                        }
                        500 | 502 | 503 | 504 => {
                            self.strike_node(&dest.ed25519)?;
                            return Ok((status, body));
                        }
                        _ => return Ok((status, body)),
                    }
                }
            }
        }
        Err(Error::PathsFailed {
            method: method.to_owned(),
            node,
            attempts,
            last,
        })
    }

    fn guard_of(&self, index: usize) -> Ed25519Pub {
        self.paths
            .as_ref()
            .and_then(|p| p.get(index))
            .map_or(Ed25519Pub([0; 32]), |p| p.path.guard().ed25519)
    }

    /// Runs a request on members of `account`'s swarm until one answers 200: 421 per
    /// [`Client::wrong_swarm`], transient failures and 5xx on another member; 400/401/403
    /// end it.
    async fn swarm_request<F>(
        &mut self,
        account: &SessionId,
        method: &str,
        mut params: F,
    ) -> Result<(Snode, Value), Error>
    where
        F: FnMut(&Snode, u64) -> Value,
    {
        let mut wrong = 0;
        let mut tried: HashSet<Ed25519Pub> = HashSet::new();
        let mut last: Option<Error> = None;
        let mut attempts = 0;
        while attempts < self.config.node_attempts {
            let swarm = self.swarm_for(account).await?;
            let candidates: Vec<&Snode> = swarm
                .members
                .iter()
                .filter(|m| !tried.contains(&m.ed25519))
                .collect();
            if candidates.is_empty() {
                break;
            }
            let node = candidates[onion_path::uniform(&mut self.rng, candidates.len())].clone();
            tried.insert(node.ed25519);
            let short = short_key(&node.ed25519);
            let mut for_node = |now: u64| params(&node, now);
            match self.onion_rpc_with(&node, method, &mut for_node).await {
                Ok((200, body)) => return Ok((node, body)),
                Ok((421, body)) => {
                    // Not counted as an attempt: the swarm changed, not the node failed.
                    self.wrong_swarm(account, &body, &mut wrong).await?;
                    continue;
                }
                Ok((status @ (401 | 403), body)) => {
                    return Err(Error::Refused {
                        node: short,
                        method: method.to_owned(),
                        status,
                        message: message_of(&body),
                    });
                }
                Ok((400, body)) => {
                    return Err(Error::BadRequest {
                        node: short,
                        method: method.to_owned(),
                        message: message_of(&body),
                    });
                }
                Ok((406 | 425, _)) => {
                    return Err(Error::ClockOutOfSync {
                        node: short,
                        method: method.to_owned(),
                    });
                }
                Ok((status, body)) => {
                    last = Some(Error::NodeFailed {
                        node: short,
                        method: method.to_owned(),
                        status,
                        message: message_of(&body),
                    });
                }
                Err(e) if e.kind() == ErrorKind::Transient => last = Some(e),
                Err(e) => return Err(e),
            }
            attempts += 1;
        }
        Err(last.unwrap_or(Error::NoSwarm {
            account: account.short(),
        }))
    }

    // ---- storage RPC ---------------------------------------------------------------------

    /// Stores `data_b64` for `to` in namespace 0 (unsigned: anyone may store there, §4.4),
    /// with `ttl_ms` and the message's `timestamp_ms`, on a member of `to`'s swarm.
    ///
    /// The swarm names a message by the hash of its recipient and data (§4.6), so storing the
    /// same data again — as a retry after a lost answer does — yields the same hash and no
    /// second message.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty or oversized data or a TTL outside 10 s–14 days;
    /// [`Error::Refused`]/[`Error::BadRequest`] when the swarm refuses it; transient errors
    /// when no member could be reached.
    pub async fn store(
        &mut self,
        to: &SessionId,
        data_b64: &str,
        ttl_ms: u64,
        timestamp_ms: u64,
    ) -> Result<StoreOutcome, Error> {
        if data_b64.is_empty() || data_b64.len() > MAX_STORE_DATA_B64 {
            return Err(Error::InvalidInput(format!(
                "message data must be 1 to {MAX_STORE_DATA_B64} base64 characters, not {}",
                data_b64.len()
            )));
        }
        if !TTL_RANGE_MS.contains(&ttl_ms) {
            return Err(Error::InvalidInput(format!(
                "TTL {ttl_ms} ms is outside 10 s to 14 days"
            )));
        }
        let params = json!({
            "pubkey": to.to_string(),
            "namespace": 0,
            "timestamp": timestamp_ms,
            "ttl": ttl_ms,
            "data": data_b64,
        });
        let (node, body) = self
            .swarm_request(to, "store", |_, _| params.clone())
            .await?;
        let hash = body
            .get("hash")
            .and_then(Value::as_str)
            .or_else(|| {
                body.get("swarm")?
                    .as_object()?
                    .values()
                    .find_map(|v| v.get("hash")?.as_str())
            })
            .ok_or_else(|| Error::BadAnswer {
                node: short_key(&node.ed25519),
                method: "store".into(),
                reason: "no message hash".into(),
            })?;
        Ok(StoreOutcome {
            hash: hash.to_owned(),
            node: node.ed25519,
        })
    }

    /// Retrieves the messages of `identity`'s `namespace` after `last_hash` (from the oldest
    /// when `None`) from a random member of its swarm, with a signed request (§4.3: the
    /// signature of `"retrieve" + namespace + timestamp`, and `pubkey_ed25519`; see
    /// [`auth::request_fields`]).
    ///
    /// # Errors
    /// [`Error::Refused`] when the signature is refused, [`Error::BadAnswer`] for a
    /// malformed answer, transient errors when no member could be reached.
    pub async fn retrieve(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        last_hash: Option<&str>,
    ) -> Result<Retrieved, Error> {
        let last_hash = last_hash.unwrap_or("").to_owned();
        self.retrieve_with(identity, namespace, |_| last_hash.clone())
            .await
    }

    /// As [`Client::retrieve`], with the `last_hash` chosen for the member that is asked.
    ///
    /// Swarm members need not hold messages in the same order, nor all of them at once (one
    /// may have missed a copy), so a position in one member's list means nothing in
    /// another's: a receiver keeps one cursor per member, as session-desktop does
    /// (`getLastHashBySnode`), and its seen set removes repeats.
    ///
    /// # Errors
    /// As [`Client::retrieve`].
    pub async fn retrieve_by_node(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        cursors: &HashMap<Ed25519Pub, String>,
    ) -> Result<Retrieved, Error> {
        self.retrieve_with(identity, namespace, |node| {
            cursors.get(node).cloned().unwrap_or_default()
        })
        .await
    }

    async fn retrieve_with(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        last_hash: impl Fn(&Ed25519Pub) -> String,
    ) -> Result<Retrieved, Error> {
        let account = identity.session_id();
        let params = |node: &Snode, now: u64| {
            let mut p = auth::request_fields(identity, "retrieve", namespace, now);
            // Sent even for namespace 0, where the server would assume it.
            p.insert("namespace".into(), namespace.0.into());
            p.insert("last_hash".into(), last_hash(&node.ed25519).into());
            Value::Object(p)
        };
        let (node, body) = self.swarm_request(&account, "retrieve", params).await?;
        let bad = |reason: String| Error::BadAnswer {
            node: short_key(&node.ed25519),
            method: "retrieve".into(),
            reason,
        };
        let entries = body
            .get("messages")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no 'messages' array".into()))?;
        let mut messages = Vec::with_capacity(entries.len());
        for m in entries {
            let field = |k: &str| {
                m.get(k)
                    .ok_or_else(|| bad(format!("a message has no '{k}'")))
            };
            let num = |k: &str| {
                field(k)?
                    .as_u64()
                    .ok_or_else(|| bad(format!("a message's '{k}' is not a number")))
            };
            let text = |k: &str| {
                field(k)?
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("a message's '{k}' is not a string")))
            };
            messages.push(RetrievedMessage {
                hash: text("hash")?,
                timestamp_ms: num("timestamp")?,
                expiration_ms: num("expiration")?,
                data: text("data")?,
            });
        }
        let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
        // Seen entries of messages the swarm has dropped can go (with a margin for lagging
        // clocks): they cannot be returned again.
        let now = self.network_now_ms();
        self.state
            .prune_seen(now.saturating_sub(SEEN_GRACE_MS))
            .map_err(Error::State)?;
        Ok(Retrieved {
            messages,
            more,
            node: node.ed25519,
        })
    }
}

#[cfg(test)]
mod tests;
