//! A network in memory: real [`NodeService`]s (storage nodes and a seed) answering a
//! [`Transport`] without sockets, for tests.
//!
//! Requests go to the same `Service::handle` that a running `sesh-node` serves over HTTPS, so
//! every rule (parsing, checks, replication to swarm members, onion hops) is the node's own:
//! a test double cannot drift from the server. The nodes talk to each other through the same
//! network. Test-only (`#[doc(hidden)]`): it stores messages in in-memory SQLite databases.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;

use super::{Reply, Target, Transport, TransportError};
use crate::clock::Clock;
use crate::identity::{Identity, Seed};
use crate::network::SeedNode;
use crate::node::http::{Admit, HeaderMap, Request, Service};
use crate::node::roster::{Roster, RosterFile};
use crate::node::service::{NodeService, Role};
use crate::node::{Log, db};
use crate::swarm::Snode;

/// The address requests appear to come from.
const CLIENT_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 1);

/// The seed's URL on a [`MemoryNetwork`].
pub const SEED_URL: &str = "http://seed.memory.invalid/json_rpc";

type Node = Arc<dyn Service>;

#[derive(Default)]
struct Inner {
    nodes: Mutex<HashMap<SocketAddrV4, Node>>,
    seeds: Mutex<HashMap<String, Node>>,
    down: Mutex<HashSet<SocketAddrV4>>,
    /// Each node's key seed.
    identities: Mutex<HashMap<SocketAddrV4, Seed>>,
    log: Mutex<Vec<Logged>>,
}

/// One request the network delivered (or refused), for tests that count requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Where it went.
    pub target: Target,
    /// Whether a node sent it (an onion hop, a forwarded store), not the client.
    pub from_node: bool,
    /// The `method` of a JSON body (storage RPC or JSON-RPC), if it has one. Onion layers are
    /// encrypted: `None`.
    pub method: Option<String>,
    /// The HTTP status, or `None` when no answer came (refused, timed out).
    pub status: Option<u16>,
}

/// In-process nodes behind a [`Transport`]. Clone it freely: clones share the nodes.
#[derive(Clone, Default)]
pub struct MemoryNetwork {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MemoryNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNetwork").finish_non_exhaustive()
    }
}

/// What the nodes of a [`MemoryNetwork`] use to reach each other (it does not keep the
/// network alive).
#[derive(Clone)]
pub struct MemoryLink(Weak<Inner>);

/// Why a [`MemoryNetwork`] could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the in-memory network: {0}")]
pub struct SetupError(String);

impl MemoryNetwork {
    /// `swarms` swarms of `per_swarm` storage nodes each (at 127.0.1.1, 127.0.2.1, …, port
    /// 22021: each in a /24 of its own), and a seed at [`SEED_URL`] that lists them. Node keys come from `key_seed`, so
    /// that a test is repeatable; every node reads time from `clock`.
    ///
    /// # Errors
    /// [`SetupError`] when an in-memory database cannot be opened.
    pub fn devnet(
        swarms: u64,
        per_swarm: u8,
        key_seed: u8,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<(Self, Vec<Snode>), SetupError> {
        Self::devnet_on_port(swarms, per_swarm, key_seed, 22021, clock)
    }

    /// As [`MemoryNetwork::devnet`], every node on storage port `port` (the same keys on
    /// another port: a restarted network whose nodes moved).
    ///
    /// # Errors
    /// [`SetupError`] when an in-memory database cannot be opened.
    pub fn devnet_on_port(
        swarms: u64,
        per_swarm: u8,
        key_seed: u8,
        port: u16,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<(Self, Vec<Snode>), SetupError> {
        let net = Self::default();
        let mut nodes = Vec::new();
        let mut identities = Vec::new();
        let mut key_seeds = Vec::new();
        let step = u64::MAX / swarms.max(1);
        for s in 0..swarms {
            for _ in 0..per_swarm {
                let i = u8::try_from(nodes.len() + 1)
                    .map_err(|_| SetupError("too many nodes".into()))?;
                let mut bytes = [key_seed; 32];
                bytes[31] = i;
                let identity = Identity::from_seed(Seed::from_bytes(bytes));
                key_seeds.push(Seed::from_bytes(bytes));
                nodes.push(Snode {
                    ed25519: identity.ed25519_pub(),
                    x25519: identity.x25519_pub(),
                    ip: Ipv4Addr::new(127, 0, i, 1),
                    port,
                    swarm_id: s * step + step / 2,
                    version: None,
                });
                identities.push(identity);
            }
        }
        let roster = Roster::new(nodes.clone(), 1);
        for ((n, identity), node_seed) in nodes.iter().zip(identities).zip(key_seeds) {
            net.inner
                .identities
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(SocketAddrV4::new(n.ip, n.port), node_seed);
            let db = db::Db::open_in_memory().map_err(|e| SetupError(e.to_string()))?;
            let service: Node = Arc::new(NodeService::new(
                Role::Storage,
                identity,
                RosterFile::fixed(roster.clone()),
                Some(db::Handle::new(db)),
                net.link(),
                Arc::clone(&clock),
                Log::discard(),
            ));
            net.lock_nodes()
                .insert(SocketAddrV4::new(n.ip, n.port), service);
        }
        let mut seed_key = [key_seed; 32];
        seed_key[30] = 0xff;
        let seed = NodeService::new(
            Role::Seed,
            Identity::from_seed(Seed::from_bytes(seed_key)),
            RosterFile::fixed(roster),
            None,
            net.link(),
            clock,
            Log::discard(),
        );
        net.inner
            .seeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(SEED_URL.to_owned(), Arc::new(seed));
        Ok((net, nodes))
    }

    /// The seed to give a client.
    pub fn seed() -> SeedNode {
        SeedNode {
            url: SEED_URL.to_owned(),
            pin: None,
        }
    }

    /// A link for a node of this network.
    pub fn link(&self) -> MemoryLink {
        MemoryLink(Arc::downgrade(&self.inner))
    }

    /// Puts `service` at `addr` in place of what answered there (returned): e.g. a test double
    /// that wraps the real node and lies about some answers.
    pub fn set_service(
        &self,
        addr: SocketAddrV4,
        service: Arc<dyn Service>,
    ) -> Option<Arc<dyn Service>> {
        self.lock_nodes().insert(addr, service)
    }

    /// What answers at `addr` (to wrap it in a test double, see [`MemoryNetwork::set_service`]).
    pub fn service(&self, addr: SocketAddrV4) -> Option<Arc<dyn Service>> {
        self.lock_nodes().get(&addr).cloned()
    }

    /// What answers at the seed `url`.
    pub fn seed_service(&self, url: &str) -> Option<Arc<dyn Service>> {
        self.inner
            .seeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
            .cloned()
    }

    /// Puts `service` at the seed `url` in place of what answered there (returned).
    pub fn set_seed_service(
        &self,
        url: &str,
        service: Arc<dyn Service>,
    ) -> Option<Arc<dyn Service>> {
        self.inner
            .seeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.to_owned(), service)
    }

    /// The keys of the node at `addr` (a test double that wraps it may need to open what is
    /// sent to it).
    pub fn identity(&self, addr: SocketAddrV4) -> Option<Identity> {
        self.inner
            .identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&addr)
            .map(|seed| Identity::from_seed(seed.clone()))
    }

    /// Every request delivered or refused so far, in order.
    pub fn requests(&self) -> Vec<Logged> {
        self.inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes a node refuse connections (`down`) or answer again.
    pub fn set_down(&self, addr: SocketAddrV4, down: bool) {
        let mut set = self
            .inner
            .down
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down {
            set.insert(addr);
        } else {
            set.remove(&addr);
        }
    }

    fn lock_nodes(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddrV4, Node>> {
        self.inner
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `method` field of a JSON body, if any.
fn method_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Method {
        method: String,
    }
    serde_json::from_slice::<Method>(body)
        .ok()
        .map(|m| m.method)
}

/// [`deliver_once`], logged.
async fn deliver(
    inner: Option<Arc<Inner>>,
    from_node: bool,
    target: &Target,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Reply, TransportError> {
    let log = inner.as_ref().map(Arc::downgrade);
    let method = method_of(&body);
    let result = deliver_once(inner, target, headers, body, timeout).await;
    if let Some(inner) = log.and_then(|w| w.upgrade()) {
        inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Logged {
                target: target.clone(),
                from_node,
                method,
                status: result.as_ref().ok().map(|r| r.status),
            });
    }
    result
}

/// Finds the service for a target and runs the request on it.
async fn deliver_once(
    inner: Option<Arc<Inner>>,
    target: &Target,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Reply, TransportError> {
    let refused = || TransportError::Connect {
        reason: "connection refused".into(),
    };
    let inner = inner.ok_or_else(refused)?;
    let (service, path) = match target {
        Target::Node { addr, path } => {
            if inner
                .down
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(addr)
            {
                return Err(refused());
            }
            let nodes = inner.nodes.lock().unwrap_or_else(PoisonError::into_inner);
            (nodes.get(addr).cloned().ok_or_else(refused)?, *path)
        }
        Target::Seed(seed) => {
            let seeds = inner.seeds.lock().unwrap_or_else(PoisonError::into_inner);
            (
                seeds.get(&seed.url).cloned().ok_or_else(refused)?,
                super::JSON_RPC_PATH,
            )
        }
    };
    drop(inner);
    if service.admit("POST", path) == Admit::NotFound {
        return Ok(Reply {
            status: 404,
            content_type: Some("text/plain".into()),
            body: b"not found".to_vec(),
        });
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let value = value.parse().map_err(|_| TransportError::Http {
            reason: format!("header {name} is not valid"),
        })?;
        map.insert(*name, value);
    }
    let mut request = Request {
        method: "POST".into(),
        path: path.to_owned(),
        headers: map,
        body: Bytes::from(body),
        peer: CLIENT_ADDR,
        peer_copy: false,
    };
    // As the HTTPS server does (its source-address check aside): one signature check.
    request.peer_copy = service.is_peer_copy(&request);
    let response = tokio::time::timeout(timeout, service.handle(request))
        .await
        .map_err(|_| TransportError::Timeout { after: timeout })?;
    Ok(Reply {
        status: response.status,
        content_type: Some(response.content_type.to_owned()),
        body: response.body.to_vec(),
    })
}

impl Transport for MemoryNetwork {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        self.post_with_headers(target, &[], body, timeout)
    }

    fn post_with_headers(
        &self,
        target: &Target,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        deliver(
            Some(Arc::clone(&self.inner)),
            false,
            target,
            headers,
            body,
            timeout,
        )
    }
}

impl Transport for MemoryLink {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        self.post_with_headers(target, &[], body, timeout)
    }

    fn post_with_headers(
        &self,
        target: &Target,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        // Boxed: a node's answer may await another node's (onion hops, replication).
        let (link, target, headers) = (self.0.upgrade(), target.clone(), headers.to_vec());
        let fut: crate::node::BoxFuture<'static, _> =
            Box::pin(async move { deliver(link, true, &target, &headers, body, timeout).await });
        fut
    }
}

#[cfg(test)]
mod tests;
