//! The client against a [`MemoryNetwork`]: real [`NodeService`]s (a seed and 18 storage nodes
//! in 3 swarms) answering in memory, so every storage rule is the node's own.
//!
//! Each node is wrapped in a [`Tap`]: it opens the onion layer meant for its node (with the
//! node's key) to record what passed (relays, destination, method, status) and, when a test
//! turns a [`Lies`] switch on, changes that one answer (a forged path error or 421, another
//! hash, renamed or planted messages, a node list without swarm ids). Everything else is the
//! real service's answer. Nodes' time comes from a [`NodeClock`] the test sets.
//!
//! [`NodeService`]: crate::node::service::NodeService

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddrV4;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine as _;
use bytes::Bytes;
use rand_core::OsRng;
use serde_json::{Value, json};

use super::*;
use crate::clock::FixedClock;
use crate::identity::Seed;
use crate::node::http::{
    Admit, BoxFuture, HeaderMap, Request as HttpRequest, Response as HttpResponse, Service,
};
use crate::onion::{Final, NodeKeys, Peeled, peel};
use crate::rpc::request::{Auth, Request as RpcRequest, Retrieve};
use crate::rpc::response::RetrieveResponse;
use crate::rpc::status as rpc_status;
use crate::transport::Reply;
use crate::transport::memory::{Logged, MemoryNetwork, SEED_URL};

/// A deterministic generator (splitmix64). Not secure; tests only.
#[derive(Clone, Debug)]
pub(super) struct TestRng(pub(super) u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for TestRng {}

const NOW: u64 = 1_700_000_000_000;
const SWARM_COUNT: u64 = 3;
const PER_SWARM: u8 = 6;
const NODES: u8 = 18;
const PORT: u16 = 22021;
const HOUR: u64 = 60 * 60 * 1000;

/// The nodes' clock: a test sets it.
#[derive(Clone, Debug)]
struct NodeClock(Arc<AtomicU64>);

impl Clock for NodeClock {
    fn now(&self) -> SystemTime {
        crate::clock::from_ms(self.0.load(Ordering::SeqCst))
    }
}

/// What the taps saw (requests to seeds and direct requests are in the network's own log,
/// [`MemoryNetwork::requests`]).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Seed,
    Direct {
        node: Ed25519Pub,
        method: String,
    },
    Onion {
        relays: Vec<Ed25519Pub>,
        dest: Ed25519Pub,
        method: String,
        status: u16,
    },
    PathError {
        status: u16,
    },
}

/// The lies the taps tell, switched on by a test. Each changes an answer of the real node,
/// never how the node stores or checks.
#[derive(Clone, Debug, Default)]
struct Lies {
    /// Relays answer "Next node not found" for these: nodes that left the network. (A
    /// [`MemoryNetwork`]'s node list is fixed, so the relay's answer is what changes.)
    gone: HashSet<Ed25519Pub>,
    /// Every node answers every onion request with a forged "Next node not found" about it.
    forge_not_found: Option<Ed25519Pub>,
    /// Store and retrieve answer 421 with the swarm of this account (in another swarm), as
    /// the node itself gives it for `get_swarm`.
    wrong_swarm_of: Option<SessionId>,
    /// Store and retrieve answer 421 with this body.
    forged_421: Option<String>,
    /// These members answer a store with another hash.
    bad_hash: HashSet<Ed25519Pub>,
    /// These members serve every message under a made-up hash, from the start (they drop
    /// `last_hash`).
    renamers: HashSet<Ed25519Pub>,
    /// Retrieve answers carry these messages too.
    planted: Vec<Value>,
    /// Node lists (the seed's and `oxend_request`'s) carry no swarm ids.
    no_swarm_ids: bool,
    /// This node's clock lies: it answers every onion request with a 406 carrying this
    /// `"t"`, and `info` with it.
    clock_liar: Option<(Ed25519Pub, u64)>,
    /// Direct answers (guard tests) carry this `"t"`: anyone on the unchecked TLS link.
    direct_time: Option<u64>,
    /// As guards, these nodes garble every reply they pass back (200, not an onion reply).
    garblers: HashSet<Ed25519Pub>,
    /// These members refuse every store with a 401.
    refusers: HashSet<Ed25519Pub>,
    /// As guards, these nodes answer every onion request with a plain-text 421 (a swarm of
    /// their choosing), as if it were the destination's.
    plain_421: HashSet<Ed25519Pub>,
    /// As guards, these nodes answer every onion request with a plain-text 406 (clock out
    /// of sync), as if it were the destination's.
    plain_406: HashSet<Ed25519Pub>,
    /// These nodes answer `get_swarm` with a swarm of one: themselves (their entry here).
    self_swarm: std::collections::HashMap<Ed25519Pub, Value>,
}

/// State the taps of one test share.
#[derive(Default)]
struct Shared {
    lies: Mutex<Lies>,
    events: Mutex<Vec<Event>>,
    /// The relays of the onion request in flight (requests are sent one at a time).
    chain: Mutex<Vec<Ed25519Pub>>,
    renamed: AtomicU64,
}

impl Shared {
    fn lies(&self) -> Lies {
        self.lies.lock().unwrap().clone()
    }

    fn push(&self, e: Event) {
        self.events.lock().unwrap().push(e);
    }
}

/// A test double in front of a real node: observes onion requests, and lies when told.
struct Tap {
    inner: Arc<dyn Service>,
    me: Ed25519Pub,
    secret: [u8; 32],
    shared: Arc<Shared>,
}

fn direct(body: Vec<u8>, peer: std::net::SocketAddr) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: STORAGE_RPC_PATH.into(),
        headers: HeaderMap::new(),
        body: Bytes::from(body),
        peer,
        peer_copy: false,
    }
}

fn method_of(payload: &[u8]) -> String {
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|v| v["method"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Removes `swarm_id` from every entry of a node list.
fn strip_swarm_ids(list: &mut Value) {
    if let Some(states) = list["service_node_states"].as_array_mut() {
        for s in states {
            if let Some(o) = s.as_object_mut() {
                o.remove("swarm_id");
            }
        }
    }
}

/// The status inside a destination's sealed answer.
fn sealed_status(f: &Final, body: &[u8]) -> u16 {
    let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(body.trim_ascii()) else {
        return 0;
    };
    let Ok(plain) = f.reply.layer_key().decrypt(&blob) else {
        return 0;
    };
    serde_json::from_slice::<Value>(&plain)
        .ok()
        .and_then(|v| v["status"].as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(0)
}

impl Tap {
    /// Whether a lie changes this node's answer to `method`.
    fn lies_about(&self, lies: &Lies, method: &str) -> bool {
        if lies.clock_liar.is_some_and(|(k, _)| k == self.me) {
            return true;
        }
        match method {
            "store" => {
                lies.wrong_swarm_of.is_some()
                    || lies.forged_421.is_some()
                    || lies.bad_hash.contains(&self.me)
                    || lies.refusers.contains(&self.me)
            }
            "retrieve" => {
                lies.wrong_swarm_of.is_some()
                    || lies.forged_421.is_some()
                    || lies.renamers.contains(&self.me)
                    || !lies.planted.is_empty()
            }
            "oxend_request" => lies.no_swarm_ids,
            "get_swarm" => lies.self_swarm.contains_key(&self.me),
            _ => false,
        }
    }

    /// The real node's answer to `payload`, with the lie applied.
    async fn lie(
        &self,
        lies: &Lies,
        method: &str,
        payload: &[u8],
        peer: std::net::SocketAddr,
    ) -> (u16, String) {
        let ask = |body: Vec<u8>| self.inner.handle(direct(body, peer));
        let clock_lie = lies
            .clock_liar
            .filter(|(k, _)| *k == self.me)
            .map(|(_, t)| t);
        if let Some(t) = clock_lie
            && method != "info"
        {
            return (406, json!({ "t": t }).to_string());
        }
        if matches!(method, "store" | "retrieve") {
            if let Some(other) = &lies.wrong_swarm_of {
                let r = ask(RpcRequest::GetSwarm {
                    pubkey: other.to_bytes(),
                }
                .to_json())
                .await;
                return (421, String::from_utf8_lossy(&r.body).into_owned());
            }
            if let Some(body) = &lies.forged_421 {
                return (421, body.clone());
            }
        }
        if method == "get_swarm"
            && let Some(me) = lies.self_swarm.get(&self.me)
        {
            return (
                200,
                json!({"snodes": [me], "swarm": "ff", "t": NOW}).to_string(),
            );
        }
        if method == "store" && lies.refusers.contains(&self.me) {
            return (401, "invalid signature (forged)".into());
        }
        let mut payload: Value = serde_json::from_slice(payload).unwrap();
        let renames = method == "retrieve" && lies.renamers.contains(&self.me);
        if renames && let Some(p) = payload["params"].as_object_mut() {
            p.remove("last_hash");
        }
        let r = ask(payload.to_string().into_bytes()).await;
        let Ok(mut v) = serde_json::from_slice::<Value>(&r.body) else {
            return (r.status, String::from_utf8_lossy(&r.body).into_owned());
        };
        if r.status == 200 {
            match method {
                "store" => {
                    let fake = json!("0".repeat(43));
                    v["hash"] = fake.clone();
                    if let Some(swarm) = v["swarm"].as_object_mut() {
                        for entry in swarm.values_mut() {
                            entry["hash"] = fake.clone();
                        }
                    }
                }
                "retrieve" => {
                    if let Some(list) = v["messages"].as_array_mut() {
                        if renames {
                            for m in list.iter_mut() {
                                let n = self.shared.renamed.fetch_add(1, Ordering::SeqCst);
                                // Well formed (43 base64 characters), as a real node's hash is.
                                m["hash"] = json!(format!("renamed{n:0>36}"));
                            }
                        }
                        list.extend(lies.planted.iter().cloned());
                    }
                }
                "oxend_request" => strip_swarm_ids(&mut v["result"]),
                "info" => {
                    if let Some(t) = clock_lie {
                        v["t"] = json!(t);
                        v["timestamp"] = json!(t);
                    }
                }
                _ => {}
            }
        }
        (r.status, v.to_string())
    }

    async fn onion(&self, req: HttpRequest) -> HttpResponse {
        let lies = self.shared.lies();
        if let Some(k) = lies.forge_not_found {
            self.shared.push(Event::PathError { status: 502 });
            return HttpResponse::text(502, rpc_status::next_node_not_found(&k));
        }
        match peel(&NodeKeys::new(&self.secret), &req.body) {
            Ok(Peeled::Relay(r)) => {
                // The guard (whose next hop is number 1) starts a request.
                let guard = r.hop_no <= 1;
                {
                    let mut chain = self.shared.chain.lock().unwrap();
                    if guard {
                        chain.clear();
                    }
                    chain.push(self.me);
                }
                let mut resp = if lies.gone.contains(&r.destination) {
                    HttpResponse::text(502, rpc_status::next_node_not_found(&r.destination))
                } else {
                    self.inner.handle(req).await
                };
                if guard && lies.plain_421.contains(&self.me) {
                    resp = HttpResponse::text(421, forged_421_plain(&self.me));
                }
                if guard && lies.plain_406.contains(&self.me) {
                    resp = HttpResponse::text(406, "Timestamp out of range");
                }
                if guard && lies.garblers.contains(&self.me) {
                    resp = HttpResponse::text(200, "garbled");
                }
                // A hop's plaintext error, once: as the client gets it from the guard.
                if guard && resp.status != 200 {
                    self.shared.push(Event::PathError {
                        status: resp.status,
                    });
                }
                resp
            }
            Ok(Peeled::Final(f)) => {
                let relays = std::mem::take(&mut *self.shared.chain.lock().unwrap());
                let method = method_of(&f.payload);
                let (status, resp) = if self.lies_about(&lies, &method) {
                    let (status, body) = self.lie(&lies, &method, &f.payload, req.peer).await;
                    let sealed = f.respond(status, &Value::String(body), &mut OsRng).unwrap();
                    (
                        status,
                        HttpResponse::bytes(200, crate::node::http::CONTENT_TYPE_TEXT, sealed),
                    )
                } else {
                    let resp = self.inner.handle(req).await;
                    (sealed_status(&f, &resp.body), resp)
                };
                self.shared.push(Event::Onion {
                    relays,
                    dest: self.me,
                    method,
                    status,
                });
                resp
            }
            _ => self.inner.handle(req).await,
        }
    }
}

impl Service for Tap {
    fn admit(&self, method: &str, path: &str) -> Admit {
        self.inner.admit(method, path)
    }

    fn is_peer_copy(&self, request: &HttpRequest) -> bool {
        self.inner.is_peer_copy(request)
    }

    fn handle(&self, request: HttpRequest) -> BoxFuture<'_, HttpResponse> {
        Box::pin(async move {
            if request.path == ONION_REQ_PATH {
                return self.onion(request).await;
            }
            let direct_rpc = request.path == STORAGE_RPC_PATH;
            let resp = self.inner.handle(request).await;
            let forged = self.shared.lies().direct_time;
            match serde_json::from_slice::<Value>(&resp.body) {
                Ok(mut v) if direct_rpc && forged.is_some() && v.get("t").is_some() => {
                    v["t"] = json!(forged);
                    HttpResponse::json(resp.status, &v)
                }
                _ => resp,
            }
        })
    }
}

/// A double in front of the real seed: its node list without swarm ids when told.
struct SeedTap {
    inner: Arc<dyn Service>,
    shared: Arc<Shared>,
}

impl Service for SeedTap {
    fn admit(&self, method: &str, path: &str) -> Admit {
        self.inner.admit(method, path)
    }

    fn handle(&self, request: HttpRequest) -> BoxFuture<'_, HttpResponse> {
        Box::pin(async move {
            let resp = self.inner.handle(request).await;
            if !self.shared.lies().no_swarm_ids {
                return resp;
            }
            let mut v: Value = serde_json::from_slice(&resp.body).unwrap();
            strip_swarm_ids(&mut v["result"]);
            HttpResponse::json(resp.status, &v)
        })
    }
}

struct Net {
    key_seed: u8,
    clock: NodeClock,
    shared: Arc<Shared>,
    /// The network in use, its nodes and their real services (a restart replaces them).
    mem: Mutex<(MemoryNetwork, Vec<Snode>)>,
    real: Mutex<Vec<Arc<dyn Service>>>,
    /// The requests of networks that were restarted.
    old_requests: Mutex<Vec<Logged>>,
}

/// The transport the clients use: whichever in-memory network is current.
#[derive(Clone)]
struct TestNet(Arc<Net>);

impl Transport for TestNet {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        let mem = self.0.mem.lock().unwrap().0.clone();
        let target = target.clone();
        async move { mem.post(&target, body, timeout).await }
    }
}

fn message_hash(pubkey: &SessionId, ns: i64, data: &[u8]) -> String {
    let ns = Namespace(i16::try_from(ns).unwrap());
    crate::rpc::message_hash(&pubkey.to_bytes(), ns, data)
}

impl Net {
    /// 18 nodes in 3 swarms, with keys from `seed`, the nodes' clock at [`NOW`].
    fn memory(seed: u64) -> TestNet {
        let key_seed = u8::try_from(seed).unwrap();
        let clock = NodeClock(Arc::new(AtomicU64::new(NOW)));
        let net = Self {
            key_seed,
            clock,
            shared: Arc::new(Shared::default()),
            mem: Mutex::new((MemoryNetwork::default(), Vec::new())),
            real: Mutex::new(Vec::new()),
            old_requests: Mutex::new(Vec::new()),
        };
        net.start(PORT);
        TestNet(Arc::new(net))
    }

    /// Starts (or restarts) the network with every node on `port`, taps in front.
    fn start(&self, port: u16) {
        let (mem, nodes) = MemoryNetwork::devnet_on_port(
            SWARM_COUNT,
            PER_SWARM,
            self.key_seed,
            port,
            Arc::new(self.clock.clone()),
        )
        .unwrap();
        let mut real = Vec::new();
        for n in &nodes {
            let addr = SocketAddrV4::new(n.ip, n.port);
            let inner = mem.service(addr).unwrap();
            real.push(Arc::clone(&inner));
            let identity = mem.identity(addr).unwrap();
            mem.set_service(
                addr,
                Arc::new(Tap {
                    inner,
                    me: n.ed25519,
                    secret: *identity.x25519_secret(),
                    shared: Arc::clone(&self.shared),
                }),
            );
        }
        let seed = mem.seed_service(SEED_URL).unwrap();
        mem.set_seed_service(
            SEED_URL,
            Arc::new(SeedTap {
                inner: seed,
                shared: Arc::clone(&self.shared),
            }),
        );
        let mut cur = self.mem.lock().unwrap();
        self.old_requests.lock().unwrap().extend(cur.0.requests());
        *cur = (mem, nodes);
        *self.real.lock().unwrap() = real;
    }

    fn nodes(&self) -> Vec<Snode> {
        self.mem.lock().unwrap().1.clone()
    }

    fn lies(&self) -> std::sync::MutexGuard<'_, Lies> {
        self.shared.lies.lock().unwrap()
    }

    fn set_time(&self, ms: u64) {
        self.clock.0.store(ms, Ordering::SeqCst);
    }

    fn set_down(&self, key: &Ed25519Pub, down: bool) {
        let (mem, nodes) = &*self.mem.lock().unwrap();
        let n = nodes.iter().find(|n| n.ed25519 == *key).unwrap();
        mem.set_down(SocketAddrV4::new(n.ip, n.port), down);
    }

    fn swarm_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.nodes().iter().map(|n| n.swarm_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn true_swarm(&self, pk: &SessionId) -> (u64, Vec<Snode>) {
        let nodes = self.nodes();
        let id = SnodePool::new(nodes.clone()).swarm_of(pk).unwrap();
        (id, nodes.into_iter().filter(|s| s.swarm_id == id).collect())
    }

    /// How many messages `owner`'s swarm members hold in namespace 0, each member asked
    /// directly (not through the network: nothing is logged), at most.
    async fn stored_count(&self, owner: &Identity) -> usize {
        let (_, members) = self.true_swarm(&owner.session_id());
        let real = self.real.lock().unwrap().clone();
        let nodes = self.nodes();
        let now = self.clock.now_ms();
        let mut most = 0;
        for m in members {
            let i = nodes.iter().position(|n| n.ed25519 == m.ed25519).unwrap();
            let retrieve = RpcRequest::Retrieve(Retrieve {
                pubkey: owner.session_id().to_bytes(),
                namespace: Namespace::DEFAULT,
                last_hash: None,
                max_count: None,
                max_size: 1_000_000,
                timestamp: Some(now),
                auth: Some(Auth {
                    signature: owner.sign(&crate::rpc::auth::retrieve(Namespace::DEFAULT, now)),
                    pubkey_ed25519: Some(owner.ed25519_pub().0),
                }),
            });
            let peer = "127.0.0.1:1".parse().unwrap();
            let r = real[i].handle(direct(retrieve.to_json(), peer)).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            let got: RetrieveResponse = crate::rpc::response::decode(&r.body).unwrap();
            most = most.max(got.messages.len());
        }
        most
    }
}

impl TestNet {
    /// What the taps saw, and seed and direct requests from the network's log, in the
    /// order of each source.
    fn log(&self) -> Vec<Event> {
        let nodes = self.0.nodes();
        let key_of = |addr: &SocketAddrV4| {
            nodes
                .iter()
                .find(|n| n.ip == *addr.ip() && n.port == addr.port())
                .map(|n| n.ed25519)
        };
        let mut requests = self.0.old_requests.lock().unwrap().clone();
        requests.extend(self.0.mem.lock().unwrap().0.requests());
        let mut out: Vec<Event> = requests
            .into_iter()
            .filter(|r| !r.from_node)
            .filter_map(|r| match &r.target {
                Target::Seed(_) => Some(Event::Seed),
                Target::Node { addr, path } if *path == STORAGE_RPC_PATH => Some(Event::Direct {
                    node: key_of(addr)?,
                    method: r.method.clone().unwrap_or_default(),
                }),
                Target::Node { .. } => None,
            })
            .collect();
        out.extend(self.taps());
        out
    }

    /// What the taps saw, in order.
    fn taps(&self) -> Vec<Event> {
        self.0.shared.events.lock().unwrap().clone()
    }

    fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.log().iter().filter(|e| f(e)).count()
    }

    fn onion_events(&self, method: &str) -> Vec<(Vec<Ed25519Pub>, Ed25519Pub, u16)> {
        self.taps()
            .into_iter()
            .filter_map(|e| match e {
                Event::Onion {
                    relays,
                    dest,
                    method: m,
                    status,
                } if m == method => Some((relays, dest, status)),
                _ => None,
            })
            .collect()
    }
}

fn network() -> Network {
    Network {
        name: "memory".into(),
        subnet_diversity: true,
        seeds: vec![MemoryNetwork::seed()],
        known_nodes: Vec::new(),
        file_server: None,
    }
}

type TestClient = Client<TestNet, FixedClock, TestRng>;

fn client(net: &TestNet, dir: &Path, now: u64, seed: u64) -> TestClient {
    Client::open(
        network(),
        dir,
        net.clone(),
        FixedClock::from_ms(now),
        TestRng(seed),
    )
    .unwrap()
}

fn recipient() -> Identity {
    Identity::from_seed(Seed::from_legacy(&[7; 16]))
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}
#[tokio::test]
async fn pool_is_bootstrapped_from_the_seed_once_then_refreshed_from_three_nodes() {
    let net = Net::memory(1);
    let dir = tempfile::tempdir().unwrap();
    let seeds = || net.count(|e| *e == Event::Seed);
    {
        let mut c = client(&net, dir.path(), NOW, 1);
        assert_eq!(c.pool(false).await.unwrap().len(), usize::from(NODES));
        assert_eq!(c.pool(false).await.unwrap().len(), usize::from(NODES));
        assert_eq!(seeds(), 1);
        assert_eq!(c.pool_fetched_ms(), Some(NOW));
    }
    // A second run within 2 h uses the cache.
    let mut c = client(&net, dir.path(), NOW + HOUR, 2);
    let pool = c.pool(false).await.unwrap();
    assert_eq!(pool.len(), usize::from(NODES));
    assert_eq!(pool.swarm_ids(), net.0.swarm_ids());
    assert_eq!(seeds(), 1);
    assert_eq!(c.pool_fetched_ms(), Some(NOW));
    // --refresh asks three pool nodes (through onion paths), not the seed (issue 9).
    c.pool(true).await.unwrap();
    assert_eq!(seeds(), 1);
    let asked = net.onion_events("oxend_request");
    assert_eq!(asked.len(), 3);
    assert_eq!(
        asked
            .iter()
            .map(|(_, d, _)| *d)
            .collect::<HashSet<_>>()
            .len(),
        3
    );
    assert_eq!(c.pool_fetched_ms(), Some(NOW + HOUR));
    // After 2 h the cache is stale: refreshed the same way.
    let mut c = client(&net, dir.path(), NOW + 4 * HOUR, 3);
    assert_eq!(c.pool(false).await.unwrap().len(), usize::from(NODES));
    assert_eq!(seeds(), 1);
    assert_eq!(net.onion_events("oxend_request").len(), 6);
    assert_eq!(c.pool_fetched_ms(), Some(NOW + 4 * HOUR));
}

#[tokio::test]
async fn unreachable_seeds_are_a_transient_error() {
    let net = Net::memory(1);
    let dir = tempfile::tempdir().unwrap();
    let mut net_cfg = network();
    net_cfg.seeds[0].url = "http://other-seed.memory.invalid/json_rpc".into();
    let mut c = Client::open(
        net_cfg,
        dir.path(),
        net.clone(),
        FixedClock::from_ms(NOW),
        TestRng(1),
    )
    .unwrap();
    let err = c.pool(false).await.unwrap_err();
    assert!(matches!(err, Error::NoSeed { tried: 1, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transient);
}

#[tokio::test]
async fn swarm_is_computed_from_swarm_ids_or_asked_with_get_swarm() {
    let who = recipient().session_id();
    let net = Net::memory(2);
    let (id, members) = net.0.true_swarm(&who);
    let want: HashSet<Ed25519Pub> = members.iter().map(|m| m.ed25519).collect();

    // With swarm ids in the node list: computed, no request.
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 1);
    let swarm = c.swarm_for(&who).await.unwrap();
    assert_eq!(swarm.id, id);
    assert_eq!(
        swarm
            .members
            .iter()
            .map(|m| m.ed25519)
            .collect::<HashSet<_>>(),
        want
    );
    assert!(net.onion_events("get_swarm").is_empty());

    // Without: a get_swarm through an onion path, then the cache.
    let net = Net::memory(2);
    net.0.lies().no_swarm_ids = true;
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 1);
    let swarm = c.swarm_for(&who).await.unwrap();
    assert_eq!(swarm.id, id);
    assert_eq!(
        swarm
            .members
            .iter()
            .map(|m| m.ed25519)
            .collect::<HashSet<_>>(),
        want
    );
    let asked = net.onion_events("get_swarm");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0.len(), 3);
    let again = c.swarm_for(&who).await.unwrap();
    assert_eq!(again.members.len(), swarm.members.len());
    assert_eq!(net.onion_events("get_swarm").len(), 1);
    assert!(c.state().swarm(&who).unwrap().is_some());
}

#[tokio::test]
async fn store_goes_through_a_three_hop_path_and_is_idempotent() {
    let to = recipient().session_id();
    let net = Net::memory(3);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let data = b"sealed message bytes";
    let out = c.store(&to, &b64(data), 14 * 24 * HOUR, NOW).await.unwrap();
    assert_eq!(out.hash, message_hash(&to, 0, data));
    let stores = net.onion_events("store");
    assert_eq!(stores.len(), 1);
    let (relays, dest, status) = &stores[0];
    assert_eq!(*status, 200);
    assert_eq!(*dest, out.node);
    assert_eq!(relays.len(), 3, "guard and two more hops");
    assert!(!relays.contains(dest));
    assert_eq!(relays.iter().collect::<HashSet<_>>().len(), 3);
    assert!(net.0.true_swarm(&to).1.iter().any(|m| m.ed25519 == *dest));
    // The guard was tested with a direct get_swarm; nothing else went direct.
    let direct: Vec<Event> = net
        .log()
        .into_iter()
        .filter(|e| matches!(e, Event::Direct { .. }))
        .collect();
    assert!(direct.contains(&Event::Direct {
        node: relays[0],
        method: "get_swarm".into()
    }));
    assert!(
        direct
            .iter()
            .all(|e| matches!(e, Event::Direct { method, .. } if method == "get_swarm"))
    );
    // Again: the same hash, still one message.
    let again = c.store(&to, &b64(data), 14 * 24 * HOUR, NOW).await.unwrap();
    assert_eq!(again.hash, out.hash);
    assert_eq!(net.0.stored_count(&recipient()).await, 1);

    // Bad input never reaches the network.
    let err = c.store(&to, &b64(data), 1_000, NOW).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = c.store(&to, "", HOUR, NOW).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn paths_and_guards_are_reused_by_the_next_run() {
    let net = Net::memory(4);
    let dir = tempfile::tempdir().unwrap();
    let first = client(&net, dir.path(), NOW, 5).paths().await.unwrap();
    assert_eq!(first.len(), 2);
    for p in &first {
        assert_eq!(p.hops().len(), 3);
        let subnets: HashSet<_> = p.hops().iter().map(Snode::subnet24).collect();
        assert_eq!(subnets.len(), 3);
    }
    let tests = net.count(|e| matches!(e, Event::Direct { .. }));
    let second = client(&net, dir.path(), NOW + 60_000, 6)
        .paths()
        .await
        .unwrap();
    assert_eq!(second, first);
    assert_eq!(net.count(|e| matches!(e, Event::Direct { .. })), tests);
}

#[tokio::test]
async fn signed_retrieve_returns_messages_after_last_hash() {
    let me = recipient();
    let net = Net::memory(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    let a = c
        .store(&me.session_id(), &b64(b"first"), HOUR, NOW)
        .await
        .unwrap();
    let b = c
        .store(&me.session_id(), &b64(b"second"), HOUR, NOW + 1)
        .await
        .unwrap();
    let got = c.retrieve(&me, Namespace::DEFAULT, None).await.unwrap();
    assert!(!got.more);
    let hashes: Vec<&str> = got.messages.iter().map(|m| m.hash.as_str()).collect();
    assert_eq!(hashes, [a.hash.as_str(), b.hash.as_str()]);
    assert_eq!(got.messages[0].decode_data().unwrap(), b"first");
    assert_eq!(got.messages[1].timestamp_ms, NOW + 1);
    assert_eq!(got.messages[1].expiration_ms, NOW + 1 + HOUR);
    let after = c
        .retrieve(&me, Namespace::DEFAULT, Some(&a.hash))
        .await
        .unwrap();
    assert_eq!(after.messages.len(), 1);
    assert_eq!(after.messages[0].hash, b.hash);
    // The node checked the signature: every retrieve answered 200.
    assert!(
        net.onion_events("retrieve")
            .iter()
            .all(|(_, _, status)| *status == 200)
    );
}

/// The members of `net`'s swarm other than `right`, as `Snode`s.
fn other_swarm(net: &TestNet, right: u64) -> (u64, Vec<Snode>) {
    let wrong = net.0.swarm_ids().into_iter().find(|&s| s != right).unwrap();
    let members = net
        .0
        .nodes()
        .into_iter()
        .filter(|s| s.swarm_id == wrong)
        .collect();
    (wrong, members)
}

#[tokio::test]
async fn wrong_swarm_answer_moves_to_the_new_swarm() {
    // Without swarm ids in the pool, the swarm in a 421 is used (checked against the pool).
    let to = recipient().session_id();
    let net = Net::memory(6);
    net.0.lies().no_swarm_ids = true;
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 8);
    // A stale cached swarm: the members of another swarm.
    let (right, _) = net.0.true_swarm(&to);
    let (wrong, stale) = other_swarm(&net, right);
    c.pool(false).await.unwrap();
    c.state()
        .save_swarm(
            &to,
            &Swarm {
                id: wrong,
                members: stale,
            },
            NOW,
        )
        .unwrap();

    let out = c.store(&to, &b64(b"hello"), HOUR, NOW).await.unwrap();
    let stores = net.onion_events("store");
    assert_eq!(stores.len(), 2);
    assert_eq!(stores[0].2, 421);
    assert_eq!(stores[1].2, 200);
    assert_eq!(stores[1].1, out.node);
    // The cache now holds the swarm from the 421 answer.
    let cached = c.state().swarm(&to).unwrap().unwrap();
    assert_eq!(cached.swarm.id, right);
    assert!(cached.swarm.members.iter().any(|m| m.ed25519 == out.node));
}

#[tokio::test]
async fn with_swarm_ids_the_pools_swarm_wins_over_a_cached_one() {
    // Issue 9: the swarm the pool implies is used; a stale or planted cache entry is not.
    let to = recipient().session_id();
    let net = Net::memory(6);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 8);
    let (right, _) = net.0.true_swarm(&to);
    let (wrong, stale) = other_swarm(&net, right);
    c.pool(false).await.unwrap();
    c.state()
        .save_swarm(
            &to,
            &Swarm {
                id: wrong,
                members: stale,
            },
            NOW,
        )
        .unwrap();
    c.store(&to, &b64(b"hello"), HOUR, NOW).await.unwrap();
    let stores = net.onion_events("store");
    assert_eq!(stores.len(), 1);
    assert_eq!(stores[0].2, 200);
}

#[tokio::test]
async fn a_forged_421_naming_strangers_is_not_believed() {
    // Issue 9: a 421 whose members are not pool nodes (or carry other X25519 keys) is never
    // saved as the account's swarm.
    let to = recipient().session_id();
    let net = Net::memory(6);
    net.0.lies().no_swarm_ids = true;
    net.0.lies().forged_421 = Some(forged_421_body(&net));
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 8);
    let err = c.store(&to, &b64(b"hello"), HOUR, NOW).await.unwrap_err();
    assert!(matches!(err, Error::WrongSwarm { .. }), "{err:?}");
    if let Some(cached) = c.state().swarm(&to).unwrap() {
        let pool = c.pool(false).await.unwrap().clone();
        for m in &cached.swarm.members {
            assert_eq!(pool.get(&m.ed25519), Some(m));
        }
    }
    assert!(!err.may_have_reached_swarm());
}

#[tokio::test]
async fn clock_out_of_sync_is_fixed_once_and_retried() {
    let me = recipient();
    let net = Net::memory(7);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 9);
    c.paths().await.unwrap();
    assert_eq!(c.network_now_ms(), NOW);
    // The network's clock is 5 minutes ahead of ours.
    let ahead = NOW + 5 * 60_000;
    net.0.set_time(ahead);
    let before = net.taps().len();
    let got = c.retrieve(&me, Namespace::DEFAULT, None).await.unwrap();
    assert!(got.messages.is_empty());
    let calls: Vec<(String, u16, Ed25519Pub)> = net
        .taps()
        .into_iter()
        .skip(before)
        .filter_map(|e| match e {
            Event::Onion {
                method,
                status,
                dest,
                ..
            } => Some((method, status, dest)),
            _ => None,
        })
        .collect();
    let methods: Vec<(&str, u16)> = calls.iter().map(|(m, s, _)| (m.as_str(), *s)).collect();
    // The member's own time, then two other nodes' (issue 9: one node does not set the
    // clock), then the retry.
    assert_eq!(
        methods,
        [
            ("retrieve", 406),
            ("info", 200),
            ("info", 200),
            ("info", 200),
            ("retrieve", 200)
        ]
    );
    let member = calls[0].2;
    assert_eq!(calls[1].2, member);
    assert!(calls[2].2 != member && calls[3].2 != member && calls[2].2 != calls[3].2);
    assert_eq!(c.network_now_ms(), ahead);
    assert_eq!(c.clock_offset_ms(), 5 * 60_000);
    // The offset is remembered.
    drop(c);
    let c = client(&net, dir.path(), NOW, 10);
    assert_eq!(c.network_now_ms(), ahead);
}

#[tokio::test]
async fn node_not_found_strikes_the_hop_and_drops_it_only_at_the_limit() {
    let net = Net::memory(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    // Both middle hops have left the network.
    let gone_all: Vec<Ed25519Pub> = paths.iter().map(|p| p.hops()[1].ed25519).collect();
    net.0.lies().gone.extend(gone_all.iter().copied());
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let dest = net
        .0
        .nodes()
        .into_iter()
        .find(|s| !in_paths.contains(&s.ed25519))
        .unwrap();
    // One message is one strike, never an instant drop (issue 9): a gone hop is in the pool
    // until its third strike, and out of every path after it.
    let mut answered = false;
    for _ in 0..10 {
        let result = c.onion_rpc(&dest, &RpcRequest::Info).await;
        for g in &gone_all {
            if c.pool_ref().get(g).is_some() {
                assert!(c.state().strikes(g).unwrap() < STRIKE_LIMIT);
            } else {
                let paths = c.paths().await.unwrap();
                assert!(paths.iter().all(|p| !p.contains(g)));
            }
        }
        if result.is_ok() {
            let infos = net.onion_events("info");
            assert_eq!(
                infos.last().map(|(_, d, s)| (*d, *s)),
                Some((dest.ed25519, 200))
            );
            answered = true;
            break;
        }
    }
    assert!(answered);
    assert!(net.count(|e| *e == Event::PathError { status: 502 }) >= 1);
    // The paths in use now avoid the hops that could not be reached.
    let now_paths = c.paths().await.unwrap();
    assert!(
        now_paths
            .iter()
            .any(|p| gone_all.iter().all(|g| !p.contains(g)))
    );
    assert_eq!(c.paths().await.unwrap().len(), 2);
    // Nobody else was dropped: the exits are all still there.
    for p in &paths {
        assert!(c.pool_ref().get(&p.hops()[2].ed25519).is_some());
    }
}

#[tokio::test]
async fn a_forged_not_found_about_a_stranger_changes_nothing() {
    // Issue 9: a plaintext "Next node not found" about a node that is neither on the path nor
    // the destination changes no pool, swarm, guard, path or strike.
    let net = Net::memory(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let mut others = net
        .0
        .nodes()
        .into_iter()
        .filter(|s| !in_paths.contains(&s.ed25519));
    let dest = others.next().unwrap();
    let stranger = others.next().unwrap().ed25519;
    net.0.lies().forge_not_found = Some(stranger);
    let pool_before = c.state().pool().unwrap().unwrap().nodes;
    let guards_before = c.state().guards().unwrap();
    let paths_before = c.state().paths().unwrap();
    let err = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap_err();
    assert!(matches!(err, Error::PathsFailed { .. }), "{err:?}");
    assert_eq!(c.state().pool().unwrap().unwrap().nodes, pool_before);
    assert_eq!(c.state().guards().unwrap(), guards_before);
    assert_eq!(c.state().paths().unwrap(), paths_before);
    assert_eq!(c.state().strikes(&stranger).unwrap(), 0);
    assert!(c.pool_ref().get(&stranger).is_some());

    // About a hop of the path: that hop alone takes one strike, and stays.
    let hop = paths[0].hops()[2].ed25519;
    net.0.lies().forge_not_found = Some(hop);
    let _ = c.onion_rpc(&dest, &RpcRequest::Info).await;
    let struck = c.state().strikes(&hop).unwrap();
    assert!((1..STRIKE_LIMIT).contains(&struck), "{struck}");
    assert!(c.pool_ref().get(&hop).is_some());
    for h in paths.iter().flat_map(|p| p.hops()) {
        if h.ed25519 != hop {
            assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
        }
    }
}

#[tokio::test]
async fn a_destination_that_refuses_connections_is_not_called_gone() {
    // Issue 9 ("wrong diagnosis"): unreachable is not "unknown to the network".
    let net = Net::memory(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let dest = net
        .0
        .nodes()
        .into_iter()
        .find(|s| !in_paths.contains(&s.ed25519))
        .unwrap();
    net.0.set_down(&dest.ed25519, true);
    let err = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap_err();
    assert!(matches!(err, Error::NodeUnreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&short_key(&dest.ed25519)), "{text}");
    assert!(text.contains("could not connect"), "{text}");
    assert!(!text.contains("unknown"), "{text}");
    // One strike, still in the pool.
    assert_eq!(c.state().strikes(&dest.ed25519).unwrap(), 1);
    assert!(c.pool_ref().get(&dest.ed25519).is_some());
}

#[tokio::test]
async fn a_third_wrong_swarm_answer_gives_up() {
    let to = recipient().session_id();
    let net = Net::memory(9);
    net.0.lies().wrong_swarm_of = Some(in_another_swarm(&net, &to));
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 12);
    let err = c.store(&to, &b64(b"x"), HOUR, NOW).await.unwrap_err();
    assert!(matches!(err, Error::WrongSwarm { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(net.onion_events("store").len(), 3);
    // The first 421 refreshed the pool (from three pool nodes): the pool's swarm ids decide,
    // not the node (issue 9).
    assert_eq!(net.count(|e| *e == Event::Seed), 1);
    assert_eq!(net.onion_events("oxend_request").len(), 3);
}

#[tokio::test]
async fn a_failing_guard_is_replaced_after_three_failures() {
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    // The first path's guard stops answering. The destination is on the second path, so
    // every request must take the first.
    let down = paths[0].guard().ed25519;
    net.0.set_down(&down, true);
    let dest = paths[1].hops()[1].clone();

    let err = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap_err();
    assert!(
        matches!(err, Error::PathsFailed { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    // Three failures: the path and its guard are gone, the guard from the pool too; its
    // other hops were not to blame.
    assert!(
        c.state()
            .guards()
            .unwrap()
            .iter()
            .all(|g| g.ed25519 != down)
    );
    assert!(c.pool_ref().get(&down).is_none());
    for h in &paths[0].hops()[1..] {
        assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
        assert!(c.pool_ref().get(&h.ed25519).is_some());
    }

    // The next request builds a new path with a newly tested guard.
    c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
    let infos = net.onion_events("info");
    assert_eq!(
        infos.last().map(|(_, d, s)| (*d, *s)),
        Some((dest.ed25519, 200))
    );
    let now_paths = c.paths().await.unwrap();
    assert_eq!(now_paths.len(), 2);
    assert!(now_paths.iter().all(|p| !p.contains(&down)));
    assert_eq!(now_paths[0], paths[1]);
}

#[test]
fn nodes_are_named_by_short_key() {
    assert_eq!(short_key(&Ed25519Pub([0xab; 32])), "abababab…abab");
}

#[tokio::test]
async fn a_store_under_another_hash_is_a_failure_and_goes_to_another_member() {
    // Issue 9: the hash a member returns must be the one computed locally.
    let to = recipient().session_id();
    let net = Net::memory(3);
    let (_, members) = net.0.true_swarm(&to);
    // Fewer liars than members tried per store.
    let liars: Vec<Ed25519Pub> = members.iter().map(|m| m.ed25519).take(2).collect();
    net.0.lies().bad_hash.extend(liars.iter().copied());
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let data = b"sealed";
    let out = c.store(&to, &b64(data), HOUR, NOW).await.unwrap();
    assert_eq!(out.hash, message_hash(&to, 0, data));
    assert!(!liars.contains(&out.node));
    assert_eq!(net.0.stored_count(&recipient()).await, 1);
    // Every liar asked took a strike.
    let asked: Vec<Ed25519Pub> = net
        .onion_events("store")
        .into_iter()
        .map(|(_, d, _)| d)
        .filter(|d| liars.contains(d))
        .collect();
    for l in &asked {
        assert_eq!(c.state().strikes(l).unwrap(), 1);
    }

    // With only liars left, the send fails, naming one, and may not have been stored.
    let net = Net::memory(3);
    net.0
        .lies()
        .bad_hash
        .extend(members.iter().map(|m| m.ed25519));
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let err = c.store(&to, &b64(data), HOUR, NOW).await.unwrap_err();
    assert!(matches!(err, Error::BadAnswer { .. }), "{err:?}");
    assert!(err.to_string().contains("is not the data's"), "{err}");
    assert!(err.may_have_reached_swarm());
}

#[tokio::test]
async fn retrieve_names_messages_by_the_hash_of_their_data() {
    // Issue 9 ("unconfirmed repeat"): a member that renames messages, or serves them again
    // from the start, cannot make them look new.
    let me = recipient();
    let net = Net::memory(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    let a = c
        .store(&me.session_id(), &b64(b"first"), HOUR, NOW)
        .await
        .unwrap();
    let (_, members) = net.0.true_swarm(&me.session_id());
    net.0
        .lies()
        .renamers
        .extend(members.iter().map(|m| m.ed25519));
    for _ in 0..3 {
        let got = c.retrieve(&me, Namespace::DEFAULT, None).await.unwrap();
        assert_eq!(got.messages.len(), 1);
        assert_eq!(got.messages[0].hash, a.hash);
        assert_ne!(got.messages[0].node_hash, a.hash);
        assert_eq!(
            got.last_node_hash.as_ref(),
            Some(&got.messages[0].node_hash)
        );
    }
}

#[tokio::test]
async fn messages_no_swarm_could_hold_are_dropped() {
    let me = recipient();
    let net = Net::memory(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    c.store(&me.session_id(), &b64(b"now"), HOUR, NOW)
        .await
        .unwrap();
    // A member plants one from a month ago and one from tomorrow.
    for ts in [NOW - 30 * 24 * HOUR, NOW + 24 * HOUR] {
        let data = format!("at {ts}");
        let hash = message_hash(&me.session_id(), 0, data.as_bytes());
        net.0.lies().planted.push(
            json!({"hash": hash, "timestamp": ts, "expiration": ts + HOUR,
                      "data": b64(data.as_bytes())}),
        );
    }
    let got = c.retrieve(&me, Namespace::DEFAULT, None).await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].decode_data().unwrap(), b"now");
    assert_eq!(got.dropped, 2);
    // The cursor can move past the dropped ones.
    assert_ne!(
        got.last_node_hash.as_ref(),
        Some(&got.messages[0].node_hash)
    );
}

#[tokio::test]
async fn another_network_definition_discards_the_cache() {
    // Issue 9: a devnet restarted under the same name (new seed) starts afresh.
    let net = Net::memory(1);
    let dir = tempfile::tempdir().unwrap();
    {
        let mut c = client(&net, dir.path(), NOW, 1);
        c.paths().await.unwrap();
        assert!(c.state().pool().unwrap().is_some());
    }
    // The same definition keeps it.
    let mut c = client(&net, dir.path(), NOW, 2);
    assert!(c.state().pool().unwrap().is_some());
    assert_eq!(c.state().paths().unwrap().len(), 2);
    drop(c);
    let mut moved = network();
    moved.seeds[0].url = "http://other-seed.memory.invalid/json_rpc".into();
    let mut c = Client::open(
        moved,
        dir.path(),
        net.clone(),
        FixedClock::from_ms(NOW),
        TestRng(3),
    )
    .unwrap();
    assert!(c.state().pool().unwrap().is_none());
    assert!(c.state().paths().unwrap().is_empty());
    assert!(c.state().guards().unwrap().is_empty());
}

#[tokio::test]
async fn a_pool_whose_nodes_moved_is_refetched_before_giving_up() {
    // Issue 9: after the nodes move (a restarted devnet), the cached pool's guards all fail;
    // the pool is refetched from the seed instead of failing with "no guard node answered".
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    client(&net, dir.path(), NOW, 13).paths().await.unwrap();
    net.0.start(PORT + 100);
    let mut c = client(&net, dir.path(), NOW + 60_000, 14);
    let dest = net.0.nodes()[0].clone();
    c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
    let infos = net.onion_events("info");
    assert_eq!(
        infos.last().map(|(_, d, s)| (*d, *s)),
        Some((dest.ed25519, 200))
    );
    let paths = c.paths().await.unwrap();
    assert_eq!(paths.len(), 2);
    assert!(
        paths
            .iter()
            .flat_map(|p| p.hops())
            .all(|h| h.port == PORT + 100)
    );
    assert_eq!(net.count(|e| *e == Event::Seed), 2);
    // And a long-running client heals the same way after `reload`.
    net.0.start(PORT + 200);
    let err = c
        .onion_rpc(&paths[0].hops()[2].clone(), &RpcRequest::Info)
        .await;
    assert!(err.is_err());
    c.reload();
    let dest = c.pool(false).await.unwrap().nodes()[0].clone();
    let mut ok = false;
    for _ in 0..3 {
        if c.onion_rpc(&dest, &RpcRequest::Info).await.is_ok() {
            ok = true;
            break;
        }
        c.reload();
    }
    assert!(ok);
}

#[tokio::test]
async fn paths_are_built_only_through_nodes_that_answer() {
    // Issue 9 ("half the network down"): new paths are tested; dead hops are avoided.
    let net = Net::memory(12);
    let dir = tempfile::tempdir().unwrap();
    let first = net.0.swarm_ids()[0];
    let down: HashSet<Ed25519Pub> = net
        .0
        .nodes()
        .iter()
        .filter(|n| n.swarm_id == first)
        .map(|n| n.ed25519)
        .collect();
    for k in &down {
        net.0.set_down(k, true);
    }
    for seed in 0..4 {
        let mut c = client(&net, dir.path(), NOW, 20 + seed);
        let paths = c.new_paths().await.unwrap();
        assert_eq!(paths.len(), 2);
        for p in &paths {
            assert!(p.hops().iter().all(|h| !down.contains(&h.ed25519)));
        }
    }
    // Too few alive for two paths: one path through live nodes, not two through the dead.
    let alive: Vec<Ed25519Pub> = net
        .0
        .nodes()
        .iter()
        .map(|n| n.ed25519)
        .filter(|k| !down.contains(k))
        .take(5)
        .collect();
    for n in net.0.nodes() {
        if !alive.contains(&n.ed25519) {
            net.0.set_down(&n.ed25519, true);
        }
    }
    let mut c = client(&net, dir.path(), NOW, 30);
    let paths = c.new_paths().await.unwrap();
    assert_eq!(paths.len(), 1);
    assert!(paths[0].hops().iter().all(|h| alive.contains(&h.ed25519)));
    // Too few for even one: an error that names what is missing.
    for k in alive.iter().skip(2) {
        net.0.set_down(k, true);
    }
    let mut c = client(&net, dir.path(), NOW, 31);
    let err = c.new_paths().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoGuards { .. } | Error::DeadHops { .. } | Error::Path(_)
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(!err.may_have_reached_swarm());
    assert!(c.state().paths().unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_seeds_cannot_have_reached_a_swarm() {
    let net = Net::memory(1);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = network();
    cfg.seeds[0].url = "http://other-seed.memory.invalid/json_rpc".into();
    let mut c = Client::open(cfg, dir.path(), net, FixedClock::from_ms(NOW), TestRng(1)).unwrap();
    let err = c
        .store(&recipient().session_id(), &b64(b"x"), HOUR, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSeed { .. }), "{err:?}");
    assert!(!err.may_have_reached_swarm());
}

/// What `sesh receive` does with one retrieve (src/bin/sesh/commands/receive.rs): deliver
/// what is not seen, record it; returns the data delivered.
async fn receive_once(c: &mut TestClient, me: &Identity) -> Vec<Vec<u8>> {
    let account = me.session_id();
    let ns = Namespace::DEFAULT;
    let cursors = c.state().node_cursors(&account, ns).unwrap();
    let got = c.retrieve_by_node(me, ns, &cursors).await.unwrap();
    let mut out = Vec::new();
    let last_kept = got.messages.last().map(|m| m.node_hash.clone());
    for m in &got.messages {
        if !c.state().is_seen(&account, ns, &m.hash).unwrap() {
            out.push(m.decode_data().unwrap());
        }
        c.state()
            .mark_delivered_as(
                &account,
                ns,
                &got.node,
                &m.hash,
                &m.node_hash,
                m.expiration_ms,
            )
            .unwrap();
    }
    if let Some(last) = &got.last_node_hash
        && last_kept.as_ref() != Some(last)
    {
        c.state().skip_to(&account, ns, &got.node, last).unwrap();
    }
    out
}

#[tokio::test]
async fn members_renaming_or_reserving_messages_cannot_make_one_print_twice() {
    // Issue 9 ("one unconfirmed repeat"): the seen set holds the hash computed from the data,
    // so whichever member answers, at whatever position, and whatever it calls a message,
    // each prints once.
    let me = recipient();
    let net = Net::memory(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    for text in ["one", "two", "three"] {
        c.store(&me.session_id(), &b64(text.as_bytes()), HOUR, NOW)
            .await
            .unwrap();
    }
    let (_, members) = net.0.true_swarm(&me.session_id());
    let mut delivered = Vec::new();
    for round in 0..12 {
        // Members take turns renaming everything they hold.
        {
            let mut w = net.0.lies();
            w.renamers.clear();
            w.renamers.extend(
                members
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i + round) % 3 == 0)
                    .map(|(_, m)| m.ed25519),
            );
        }
        delivered.extend(receive_once(&mut c, &me).await);
    }
    delivered.sort();
    assert_eq!(
        delivered,
        [b"one".to_vec(), b"three".to_vec(), b"two".to_vec()]
    );
}

#[tokio::test]
async fn when_every_seed_fails_the_known_nodes_give_the_pool() {
    // Issue 9: as the apps fall back to a bundled node list.
    let net = Net::memory(1);
    let dir = tempfile::tempdir().unwrap();
    let known = |n: &Snode| crate::network::KnownNode {
        public_ip: n.ip,
        storage_port: n.port,
        pubkey_ed25519: n.ed25519.to_hex(),
    };
    let mut cfg = network();
    cfg.seeds[0].url = "http://other-seed.memory.invalid/json_rpc".into();
    // The first known node claims another node's key: its list does not name it there.
    let nodes = net.0.nodes();
    let mut liar = known(&nodes[0]);
    liar.pubkey_ed25519 = nodes[1].ed25519.to_hex();
    cfg.known_nodes = vec![liar.clone()];
    let mut c = Client::open(
        cfg.clone(),
        dir.path(),
        net.clone(),
        FixedClock::from_ms(NOW),
        TestRng(1),
    )
    .unwrap();
    let err = c.pool(false).await.unwrap_err();
    assert!(matches!(err, Error::NoSeed { .. }), "{err:?}");

    cfg.known_nodes = vec![liar, known(&nodes[2])];
    let mut c = Client::open(
        cfg,
        dir.path(),
        net.clone(),
        FixedClock::from_ms(NOW),
        TestRng(2),
    )
    .unwrap();
    assert_eq!(c.pool(false).await.unwrap().len(), usize::from(NODES));
    assert!(net.log().contains(&Event::Direct {
        node: nodes[2].ed25519,
        method: "oxend_request".into()
    }));
}

#[tokio::test]
async fn a_swarm_learned_from_a_node_expires() {
    // Issue 9: cached swarms are asked again after SWARM_MAX_AGE.
    let who = recipient().session_id();
    let net = Net::memory(2);
    net.0.lies().no_swarm_ids = true;
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 1);
    c.swarm_for(&who).await.unwrap();
    assert_eq!(net.onion_events("get_swarm").len(), 1);
    let max = u64::try_from(SWARM_MAX_AGE.as_millis()).unwrap();
    let mut c = client(&net, dir.path(), NOW + max - 1, 2);
    c.swarm_for(&who).await.unwrap();
    assert_eq!(net.onion_events("get_swarm").len(), 1);
    let mut c = client(&net, dir.path(), NOW + max, 3);
    c.swarm_for(&who).await.unwrap();
    assert_eq!(net.onion_events("get_swarm").len(), 2);
}

/// A 421 body naming strangers, and a pool node under another X25519 key.
fn forged_421_body(net: &TestNet) -> String {
    let mut rng = TestRng(9);
    let mut stranger = || {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        json!({"pubkey_ed25519": hex::encode(k), "pubkey_x25519": hex::encode(k),
               "ip": "127.9.9.9", "port": "9", "port_https": 9})
    };
    let mut rekeyed = net.0.nodes()[0].to_swarm_entry();
    rekeyed["pubkey_x25519"] = json!(hex::encode([0xee; 32]));
    json!({"snodes": [stranger(), stranger(), rekeyed], "swarm": "ff", "t": NOW}).to_string()
}

/// An account whose swarm is not `pk`'s.
fn in_another_swarm(net: &TestNet, pk: &SessionId) -> SessionId {
    let (mine, _) = net.0.true_swarm(pk);
    (0..=u8::MAX)
        .map(|b| {
            let mut k = pk.x25519();
            k.0[0] = b;
            SessionId::from_x25519(k)
        })
        .find(|o| net.0.true_swarm(o).0 != mine)
        .unwrap()
}

/// Nodes on none of `c`'s paths.
async fn off_paths(net: &TestNet, c: &mut TestClient) -> Vec<Snode> {
    let on: HashSet<Ed25519Pub> = c
        .paths()
        .await
        .unwrap()
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    net.0
        .nodes()
        .into_iter()
        .filter(|n| !on.contains(&n.ed25519))
        .collect()
}

#[tokio::test]
async fn a_406_from_one_node_with_a_far_off_time_leaves_the_clock_alone() {
    // Issue 9: one node's word does not set the network clock, even when it says ours is
    // off. The others are asked, and they agree with us.
    let net = Net::memory(21);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 21);
    let liar = off_paths(&net, &mut c).await.remove(0);
    assert_eq!(c.network_now_ms(), NOW);
    let lie = NOW + 30 * 24 * HOUR;
    net.0.lies().clock_liar = Some((liar.ed25519, lie));
    let before = net.taps().len();
    let ask = RpcRequest::GetSwarm {
        pubkey: recipient().session_id().to_bytes(),
    };
    let err = c.onion_rpc(&liar, &ask).await.unwrap_err();
    assert!(matches!(err, Error::ClockOutOfSync { .. }), "{err:?}");
    assert_eq!(c.network_now_ms(), NOW);
    assert_eq!(c.clock_offset_ms(), 0);
    let witnesses: HashSet<Ed25519Pub> = net
        .taps()
        .into_iter()
        .skip(before)
        .filter_map(|e| match e {
            Event::Onion {
                method,
                dest,
                status: 200,
                ..
            } if method == "info" && dest != liar.ed25519 => Some(dest),
            _ => None,
        })
        .collect();
    assert_eq!(witnesses.len(), 2, "{witnesses:?}");
    // Nothing of the lie was saved: the next process starts in network time too.
    assert_eq!(c.state().clock_offset_ms().unwrap(), Some(0));
    drop(c);
    let c = client(&net, dir.path(), NOW, 22);
    assert_eq!(c.network_now_ms(), NOW);
}

#[tokio::test]
async fn forged_direct_times_do_not_set_the_clock() {
    // Issue 9: a guard test's answer is plain text over TLS whose certificate is not
    // checked, so anyone on the link can write its "t": those alone move nothing, and
    // nothing is saved before sealed answers from enough nodes agree.
    let net = Net::memory(22);
    net.0.lies().direct_time = Some(NOW + 30 * 24 * HOUR);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 23);
    let other = off_paths(&net, &mut c).await.remove(0);
    assert!(
        net.log()
            .iter()
            .any(|e| matches!(e, Event::Direct { method, .. } if method == "get_swarm"))
    );
    assert_eq!(c.network_now_ms(), NOW);
    assert_eq!(c.state().clock_offset_ms().unwrap(), None);
    // A third node's sealed answer (after the two paths' exits') makes a quorum.
    let (status, _) = c.onion_rpc(&other, &RpcRequest::Info).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(c.network_now_ms(), NOW);
    assert_eq!(c.state().clock_offset_ms().unwrap(), Some(0));
}

#[tokio::test]
async fn a_fresh_client_learns_a_skewed_network_clock_from_its_first_paths() {
    // Every node's clock is 2 minutes behind ours: the guards' and the paths' exits'
    // answers agree, and that is a quorum before the first request is sealed.
    let net = Net::memory(23);
    let behind = NOW - 2 * 60_000;
    net.0.set_time(behind);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 24);
    c.paths().await.unwrap();
    assert_eq!(c.network_now_ms(), behind);
    assert_eq!(c.state().clock_offset_ms().unwrap(), Some(-120_000));
}

#[tokio::test]
async fn a_guard_that_garbles_replies_is_struck_not_its_relays() {
    // A reply that does not open may have been garbled by any hop, the guard included: the
    // path fails, no relay is struck, and the retired path's guard takes one strike.
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    let guard = paths[0].guard().ed25519;
    net.0.lies().garblers.insert(guard);
    // The destination is on the second path, so every request takes the first.
    let dest = paths[1].hops()[1].clone();
    let pool_before: Vec<Snode> = c.pool_ref().nodes().to_vec();

    let err = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap_err();
    assert!(
        matches!(err, Error::PathsFailed { attempts: 3, .. }),
        "{err:?}"
    );
    for h in &paths[0].hops()[1..] {
        assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
    }
    assert_eq!(c.state().strikes(&guard).unwrap(), 1);
    assert_eq!(c.pool_ref().nodes(), pool_before.as_slice());
    assert!(
        c.state()
            .guards()
            .unwrap()
            .iter()
            .all(|g| g.ed25519 != guard)
    );

    // A request that works clears the strikes of every hop it took.
    net.0.lies().garblers.clear();
    let dest = paths[1].hops()[2].clone();
    let now_paths = c.paths().await.unwrap();
    let took = now_paths
        .iter()
        .find(|p| !p.contains(&dest.ed25519))
        .unwrap();
    for h in took.hops() {
        c.strike_node(&h.ed25519).unwrap();
    }
    c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
    for h in took.hops() {
        assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
    }
}

#[tokio::test]
async fn one_member_refusing_a_store_does_not_end_the_send() {
    // A 401 from one member is that member's failure: a strike, and another member. Only
    // a second member giving the same answer ends the send.
    let to = recipient().session_id();
    let net = Net::memory(3);
    let (_, members) = net.0.true_swarm(&to);
    let liar = members[0].ed25519;
    net.0.lies().refusers.insert(liar);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let mut asked = 0;
    for i in 0..12u8 {
        let out = c.store(&to, &b64(&[i]), HOUR, NOW).await.unwrap();
        assert_ne!(out.node, liar);
        asked = net
            .onion_events("store")
            .iter()
            .filter(|(_, d, _)| *d == liar)
            .count();
        if asked > 0 {
            break;
        }
    }
    assert_eq!(asked, 1, "the refusing member was never asked");
    assert_eq!(c.state().strikes(&liar).unwrap(), 1);

    // Every member refuses: the second refusal ends it, a failure (not transient).
    let net = Net::memory(3);
    net.0
        .lies()
        .refusers
        .extend(members.iter().map(|m| m.ed25519));
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let err = c.store(&to, &b64(b"x"), HOUR, NOW).await.unwrap_err();
    assert!(matches!(err, Error::Refused { status: 401, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Failure);
    assert_eq!(net.onion_events("store").len(), 2);
    // Every member refusing means the request is at fault, not them: nobody is struck
    // (a cron job re-running a refused request must not drop honest nodes).
    for m in &members {
        assert_eq!(c.state().strikes(&m.ed25519).unwrap(), 0);
    }
}

/// A plain-text 421 body a hop forges: a swarm of one, itself.
fn forged_421_plain(me: &Ed25519Pub) -> String {
    json!({"snodes": [{"pubkey_ed25519": me.to_hex(), "pubkey_x25519": me.to_hex(),
                       "ip": "127.9.9.9", "port": "9", "port_https": 9}]})
    .to_string()
}

#[tokio::test]
async fn a_plain_text_421_from_a_hop_is_a_path_failure_not_the_swarms_word() {
    // The destination's answers come sealed: a 421 in plain text is a hop's (or the
    // wire's), so the request goes on through another path; no relay is struck and the
    // pool is not refreshed for it.
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    let guard = paths[0].guard().ed25519;
    net.0.lies().plain_421.insert(guard);
    let pool_before: Vec<Snode> = c.pool_ref().nodes().to_vec();
    let refreshes = |net: &TestNet| {
        net.count(|e| match e {
            Event::Direct { method, .. } => method == "oxend_request",
            Event::Onion { method, .. } => method == "oxend_request",
            Event::Seed => true,
            Event::PathError { .. } => false,
        })
    };
    let before = refreshes(&net);
    let dest = net
        .0
        .nodes()
        .into_iter()
        .find(|n| !paths.iter().any(|p| p.contains(&n.ed25519)))
        .unwrap();
    let mut forged = 0;
    for _ in 0..10 {
        let (status, _) = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
        assert_eq!(status, 200);
        forged = net.count(|e| *e == Event::PathError { status: 421 });
        if forged > 0 {
            break;
        }
    }
    assert!(forged > 0, "the lying guard was never used");
    for h in &paths[0].hops()[1..] {
        assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
    }
    assert_eq!(refreshes(&net), before);
    assert_eq!(c.pool_ref().nodes(), pool_before.as_slice());
}

#[tokio::test]
async fn a_plain_text_406_from_a_hop_is_a_path_failure_not_a_clock_fix() {
    // A destination's 406 comes sealed: one in plain text is a hop's (or the wire's). The
    // request goes on through another path; no clock resync (no `info` to other nodes), no
    // "clock out of sync" error, and the clock stays where it was.
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    let guard = paths[0].guard().ed25519;
    net.0.lies().plain_406.insert(guard);
    let dest = net
        .0
        .nodes()
        .into_iter()
        .find(|n| !paths.iter().any(|p| p.contains(&n.ed25519)))
        .unwrap();
    let offset = c.clock_offset_ms();
    let mut forged = 0;
    for _ in 0..10 {
        let infos_before = net.onion_events("info").len();
        let (status, _) = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
        assert_eq!(status, 200);
        let now_forged = net.count(|e| *e == Event::PathError { status: 406 });
        if now_forged > forged {
            // Only the request itself went again (the lie replaced the destination's own
            // answer, then another path carried it): no other node was asked for the time.
            let asked: Vec<Ed25519Pub> = net.onion_events("info")[infos_before..]
                .iter()
                .map(|(_, d, _)| *d)
                .collect();
            assert!(asked.iter().all(|d| *d == dest.ed25519), "{asked:?}");
            forged = now_forged;
            break;
        }
    }
    assert!(forged > 0, "the lying guard was never used");
    assert_eq!(c.clock_offset_ms(), offset);
    for h in &paths[0].hops()[1..] {
        assert_eq!(c.state().strikes(&h.ed25519).unwrap(), 0);
    }
}

#[tokio::test]
async fn without_swarm_ids_a_node_naming_only_itself_does_not_capture_the_account() {
    // Each node names a swarm of one, itself: no two agree, so nothing is cached.
    let who = recipient().session_id();
    let net = Net::memory(2);
    {
        let mut lies = net.0.lies();
        lies.no_swarm_ids = true;
        lies.self_swarm = net
            .0
            .nodes()
            .iter()
            .map(|n| (n.ed25519, n.to_swarm_entry()))
            .collect();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 1);
    let err = c.swarm_for(&who).await.unwrap_err();
    assert!(matches!(err, Error::BadAnswer { .. }), "{err:?}");
    assert!(c.state().swarm(&who).unwrap().is_none());
    assert!(!net.onion_events("get_swarm").is_empty());

    // Two nodes naming the same small swarm confirm it.
    let one = net.0.nodes()[0].clone();
    {
        let mut lies = net.0.lies();
        let entry = one.to_swarm_entry();
        for v in lies.self_swarm.values_mut() {
            *v = entry.clone();
        }
    }
    let swarm = c.swarm_for(&who).await.unwrap();
    let keys: Vec<Ed25519Pub> = swarm.members.iter().map(|m| m.ed25519).collect();
    assert_eq!(keys, vec![one.ed25519]);
    assert!(c.state().swarm(&who).unwrap().is_some());
}

#[tokio::test]
async fn a_refusal_after_a_member_that_may_have_stored_says_so() {
    // One member answers a store under another hash (it may well have stored it), the
    // others refuse it: the refusal that ends the send must not claim nothing was stored.
    let to = recipient().session_id();
    let (_, members) = Net::memory(3).0.true_swarm(&to);
    let taker = members[0].ed25519;
    let mut seen = (false, false);
    for seed in 0..40 {
        let net = Net::memory(3);
        {
            let mut lies = net.0.lies();
            lies.bad_hash.insert(taker);
            lies.refusers.extend(members[1..].iter().map(|m| m.ed25519));
        }
        let dir = tempfile::tempdir().unwrap();
        let mut c = client(&net, dir.path(), NOW, seed);
        let err = c.store(&to, &b64(b"x"), HOUR, NOW).await.unwrap_err();
        let asked = net
            .onion_events("store")
            .iter()
            .any(|(_, d, _)| *d == taker);
        if matches!(err, Error::Refused { .. }) {
            assert_eq!(err.may_have_reached_swarm(), asked, "{err:?}");
            if asked {
                seen.0 = true;
            } else {
                seen.1 = true;
            }
        }
        if seen.0 && seen.1 {
            return;
        }
    }
    panic!("both orders were not seen: {seen:?}");
}

#[tokio::test]
async fn a_mended_path_is_tested_before_its_first_use() {
    // A relay struck out is replaced by another node; the mended path carries a test
    // request before any real one, and is given up when its new hop does not answer.
    let net = Net::memory(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    let relay = paths[0].hops()[1].ed25519;
    for _ in 0..STRIKE_LIMIT {
        c.strike_node(&relay).unwrap();
    }
    let mended = c.paths().await.unwrap();
    let new = mended
        .iter()
        .find(|p| p.guard() == paths[0].guard())
        .unwrap()
        .clone();
    assert!(!new.contains(&relay));
    let newcomer = new.hops()[1].ed25519;
    net.0.set_down(&newcomer, true);
    // Only paths other than the second may carry a request to this node.
    let dest = paths[1].hops()[1].clone();
    let (status, _) = c.onion_rpc(&dest, &RpcRequest::Info).await.unwrap();
    assert_eq!(status, 200);
    // The test found the dead hop: nothing was struck for it, and the path is gone.
    assert_eq!(c.state().strikes(&newcomer).unwrap(), 0);
    assert!(c.paths().await.unwrap().iter().all(|p| *p != new));
}

#[tokio::test]
async fn load_cached_uses_a_fresh_cached_pool_and_asks_nobody() {
    let net = Net::memory(40);
    let dir = tempfile::tempdir().unwrap();
    // Nothing cached yet: nothing loaded, nobody asked.
    assert!(!client(&net, dir.path(), NOW, 1).load_cached().unwrap());
    assert!(net.log().is_empty());
    let paths = client(&net, dir.path(), NOW, 2).paths().await.unwrap();
    let asked = net.log().len();
    // Cached and fresh: loaded with the paths, as a request would use them, without a request.
    let mut c = client(&net, dir.path(), NOW + HOUR, 3);
    assert!(c.load_cached().unwrap());
    assert_eq!(net.log().len(), asked);
    assert_eq!(c.pool_fetched_ms(), Some(NOW));
    assert_eq!(c.paths().await.unwrap(), paths);
    assert_eq!(net.log().len(), asked);
    // Stale: left for the first request to refresh.
    let mut c = client(&net, dir.path(), NOW + 4 * HOUR, 4);
    assert!(!c.load_cached().unwrap());
    assert_eq!(c.pool_fetched_ms(), None);
}
