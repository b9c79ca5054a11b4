//! Why a client operation failed, and how nodes are named in messages.

use super::*;

/// The short form of a node's key that messages name it by: `1f000f09…1fef`.
pub(crate) fn short_key(k: &Ed25519Pub) -> String {
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
    /// ONS asks this many different nodes, and the pool has fewer.
    #[error("ONS asks {needed} different service nodes; the pool has {have}")]
    TooFewNodes {
        /// How many nodes are asked.
        needed: usize,
        /// How many the pool has.
        have: usize,
    },
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
    /// Too few nodes answered for the paths: new paths were tested and failed (half the
    /// network down), even after refetching the pool.
    #[error(
        "cannot build an onion path: {dead} service node(s) did not answer ({nodes}); {live} other(s) of the pool were not enough for a path of {needed} answering nodes"
    )]
    DeadHops {
        /// The first few nodes that did not answer, by short key.
        nodes: String,
        /// Nodes a path needs.
        needed: usize,
        /// Pool nodes not found dead.
        live: usize,
        /// Nodes that failed a path test.
        dead: usize,
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
        /// Whether some attempt got past connecting to its guard, so that the request may
        /// have reached the destination (see [`Error::may_have_reached_swarm`]).
        reached: bool,
    },
    /// The destination failed [`STRIKE_LIMIT`] times and was dropped from the pool.
    #[error("node {node} failed {STRIKE_LIMIT} times and was dropped from the pool")]
    NodeGone {
        /// The destination.
        node: String,
    },
    /// The path's last hop could not reach the destination (it says so in plain text, which
    /// anyone on the path could forge: the destination only takes a strike).
    #[error("node {node} could not be reached through the path: {reason}")]
    NodeUnreachable {
        /// The destination.
        node: String,
        /// What the path said.
        reason: String,
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
        /// Whether an earlier attempt, on another member, may have reached the swarm (see
        /// [`Error::may_have_reached_swarm`]).
        reached: bool,
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
        /// Whether an earlier attempt, on another member, may have reached the swarm.
        reached: bool,
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
    /// The nodes asked about an ONS name gave different answers.
    #[error("the service nodes asked disagree about the ONS name {name}: {said}")]
    OnsDisagree {
        /// The name (lowercased).
        name: String,
        /// What each node said, by its short key.
        said: String,
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
    /// A file is larger than the file server takes; nothing was sent.
    #[error("file of {len} bytes exceeds the file server's {max}-byte limit")]
    FileTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Every path tried for a request to a file server failed on the way, or its exit could
    /// not reach the server.
    #[error("{request} to file server {server} failed on {attempts} path(s): {last}")]
    ServerPathsFailed {
        /// The server's URL.
        server: String,
        /// `METHOD /endpoint`.
        request: String,
        /// Paths tried.
        attempts: usize,
        /// The last failure.
        last: String,
    },
    /// The file server answered with an error status (404: no such file, or expired; 413:
    /// too large).
    #[error("file server {server} answered {request} with {status}: {message}")]
    ServerFailed {
        /// The server's URL.
        server: String,
        /// `METHOD /endpoint`.
        request: String,
        /// The server's status.
        status: u16,
        /// Its explanation, shortened.
        message: String,
    },
    /// The file server's success answer does not have the expected shape.
    #[error("file server {server} gave an unexpected answer to {request}: {reason}")]
    ServerBadAnswer {
        /// The server's URL.
        server: String,
        /// `METHOD /endpoint`.
        request: String,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// Whether the request may have reached a swarm member, so that a `store` may have been
    /// stored although it failed: the request left this machine through a guard that
    /// accepted the connection, or a member answered with a server error or an answer that
    /// did not make sense. False when it cannot have: no seed, no path, no guard could be
    /// reached, or a member refused it (4xx, 421, 406) and no member tried before may have
    /// taken it.
    pub fn may_have_reached_swarm(&self) -> bool {
        match self {
            Self::PathsFailed { reached, .. }
            | Self::Refused { reached, .. }
            | Self::BadRequest { reached, .. } => *reached,
            Self::NodeGone { .. }
            | Self::NodeUnreachable { .. }
            | Self::NodeFailed { .. }
            | Self::BadAnswer { .. } => true,
            _ => false,
        }
    }
}

impl Error {
    /// This error, marked as having possibly reached the swarm when an earlier attempt may
    /// have (a request tried on several members).
    pub(crate) fn reached_before(mut self, earlier: bool) -> Self {
        if let Self::PathsFailed { reached, .. }
        | Self::Refused { reached, .. }
        | Self::BadRequest { reached, .. } = &mut self
        {
            *reached |= earlier;
        }
        self
    }
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
            | Self::DeadHops { .. }
            | Self::PathsFailed { .. }
            | Self::NodeGone { .. }
            | Self::NodeUnreachable { .. }
            | Self::ClockOutOfSync { .. }
            | Self::WrongSwarm { .. }
            | Self::NodeFailed { .. }
            | Self::BadAnswer { .. }
            | Self::OnsDisagree { .. }
            | Self::NoSwarm { .. } => ErrorKind::Transient,
            Self::Refused { .. } | Self::BadRequest { .. } | Self::TooFewNodes { .. } => {
                ErrorKind::Failure
            }
            Self::InvalidInput(_) | Self::FileTooLarge { .. } => ErrorKind::InvalidInput,
            Self::ServerPathsFailed { .. } => ErrorKind::Transient,
            // A server error, a clock complaint or a rate limit may pass; a refusal won't.
            Self::ServerFailed { status, .. } => match status {
                425 | 429 | 500.. => ErrorKind::Transient,
                _ => ErrorKind::Failure,
            },
            Self::ServerBadAnswer { .. } => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::State(e) => e.hint(),
            Self::SeedPin(e) => e.hint(),
            Self::Path(e) => e.hint(),
            Self::NoSeed { .. } => Some("check the network connection and --network".into()),
            Self::NoGuards { .. } | Self::DeadHops { .. } => Some(
                "the pool was refetched and still too few nodes answer; check the network connection, or `sesh probe --all`".into(),
            ),
            Self::ClockOutOfSync { .. } => Some(
                "the network clock offset was corrected; re-run, and check the system clock".into(),
            ),
            Self::WrongSwarm { .. }
            | Self::PathsFailed { .. }
            | Self::NodeGone { .. }
            | Self::NodeUnreachable { .. } => {
                Some("the network is changing; re-run".into())
            }
            Self::ServerPathsFailed { .. } => {
                Some("the file server or the paths to it may be down; re-run later".into())
            }
            Self::TooFewNodes { .. } => Some(
                "names need a network of at least three nodes; give the Session ID instead"
                    .into(),
            ),
            Self::OnsDisagree { .. } => Some(
                "a node may be out of date or lying; re-run to ask three other nodes, or give \
                 the Session ID"
                    .into(),
            ),
            Self::ServerFailed { status: 404, .. } => {
                Some("the file is not on the server: it expired or was never uploaded".into())
            }
            _ => None,
        }
    }
}

/// The body's text for messages, shortened.
pub(super) fn message_of(body: &[u8]) -> String {
    shorten(&String::from_utf8_lossy(body))
}

pub(super) fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 200 {
        return s.to_owned();
    }
    let cut: String = s.chars().take(197).collect();
    format!("{cut}...")
}
