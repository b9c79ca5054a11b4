//! The client against an in-memory network that answers like real nodes: the seed's node
//! list, direct `get_swarm` for guard tests, and onion requests peeled hop by hop with the
//! real `onion::peel`, answered by the destination with `Final::respond`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use ed25519_dalek::Verifier as _;
use serde_json::{Value, json};

use super::*;
use crate::clock::FixedClock;
use crate::identity::Seed;
use crate::network::SeedNode;
use crate::onion::{Peeled, hop, peel};
use crate::rpc::request::Request;
use crate::swarm::{space, swarm_for};
use crate::transport::Reply;

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
const SEED_URL: &str = "http://127.0.0.1:9/json_rpc";
const SWARMS: [u64; 3] = [
    0x1000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0xc000_0000_0000_0000,
];
const NODES: u8 = 18;
const HOUR: u64 = 60 * 60 * 1000;

struct FakeNode {
    snode: Snode,
    secret: [u8; 32],
}

/// What the fake network saw.
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

struct World {
    time_ms: u64,
    messages: HashMap<(String, i64), Vec<Value>>,
    /// Relays answer "Next node not found" for these.
    unknown: HashSet<Ed25519Pub>,
    /// Whether the seed's list has swarm ids.
    seed_swarm_ids: bool,
    /// Nodes that refuse connections.
    down: HashSet<Ed25519Pub>,
    /// Every store and retrieve answers 421 naming another swarm.
    liar: bool,
    /// Every store and retrieve answers 421 naming nodes outside the pool.
    forged_421: bool,
    /// The guard answers every onion request with a forged "Next node not found" about it.
    forge_not_found: Option<Ed25519Pub>,
    /// These members answer a store with another hash (and store nothing).
    bad_hash: HashSet<Ed25519Pub>,
    /// These members serve every message under a made-up hash, from the start.
    renamers: HashSet<Ed25519Pub>,
    /// Every node's port is moved by this much (a restarted network).
    port_shift: u16,
    log: Vec<Event>,
    rng: TestRng,
}

struct Net {
    nodes: Vec<FakeNode>,
    world: Mutex<World>,
}

#[derive(Clone)]
struct Fake(Arc<Net>);

impl Transport for Fake {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        _timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        let reply = self.0.handle(target, &body);
        async move { reply }
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    match body {
        Value::String(s) => Reply {
            status,
            content_type: Some("text/plain".into()),
            body: s.clone().into_bytes(),
        },
        other => Reply {
            status,
            content_type: Some("application/json".into()),
            body: other.to_string().into_bytes(),
        },
    }
}

fn message_hash(pubkey: &SessionId, ns: i64, data: &[u8]) -> String {
    let ns = Namespace(i16::try_from(ns).unwrap());
    crate::rpc::message_hash(&pubkey.to_bytes(), ns, data)
}

impl Net {
    fn fake(seed: u64) -> Fake {
        let mut rng = TestRng(seed);
        let nodes = (0..NODES)
            .map(|i| {
                let mut secret = [0u8; 32];
                rng.fill_bytes(&mut secret);
                let mut ed = [0u8; 32];
                rng.fill_bytes(&mut ed);
                FakeNode {
                    snode: Snode {
                        ed25519: Ed25519Pub(ed),
                        x25519: hop::x25519_public(&secret),
                        ip: Ipv4Addr::new(127, 0, i, 1),
                        port: 30000 + u16::from(i),
                        swarm_id: SWARMS[usize::from(i) % SWARMS.len()],
                        version: Some([2, 11, 0]),
                    },
                    secret,
                }
            })
            .collect();
        Fake(Arc::new(Self {
            nodes,
            world: Mutex::new(World {
                time_ms: NOW,
                messages: HashMap::new(),
                unknown: HashSet::new(),
                seed_swarm_ids: true,
                down: HashSet::new(),
                liar: false,
                forged_421: false,
                forge_not_found: None,
                bad_hash: HashSet::new(),
                renamers: HashSet::new(),
                port_shift: 0,
                log: Vec::new(),
                rng,
            }),
        }))
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    fn by_ed(&self, k: &Ed25519Pub) -> Option<&FakeNode> {
        self.nodes.iter().find(|n| n.snode.ed25519 == *k)
    }

    fn true_swarm(&self, pk: &SessionId) -> (u64, Vec<&Snode>) {
        let id = swarm_for(space(pk.x25519().as_bytes()), &SWARMS).unwrap();
        let members = self
            .nodes
            .iter()
            .map(|n| &n.snode)
            .filter(|s| s.swarm_id == id)
            .collect();
        (id, members)
    }

    fn swarm_json(&self, pk: &SessionId, t: u64) -> Value {
        let (id, members) = self.true_swarm(pk);
        json!({
            "snodes": members.iter().map(|m| m.to_swarm_entry()).collect::<Vec<_>>(),
            "swarm": format!("{id:x}"),
            "t": t,
            "hf": [19, 3],
        })
    }

    /// The `result` of a node list: every node (moved ones at their new address).
    fn node_list(&self) -> Value {
        let (with_ids, shift) = {
            let w = self.world();
            (w.seed_swarm_ids, w.port_shift)
        };
        let states: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                let mut v = json!({
                    "public_ip": n.snode.ip.to_string(),
                    "storage_port": n.snode.port + shift,
                    "pubkey_ed25519": n.snode.ed25519.to_hex(),
                    "pubkey_x25519": n.snode.x25519.to_hex(),
                    "requested_unlock_height": 0,
                    "storage_server_version": [2, 11, 0],
                });
                if with_ids {
                    v["swarm_id"] = json!(n.snode.swarm_id);
                }
                v
            })
            .collect();
        json!({"height": 100, "service_node_states": states})
    }

    fn handle(&self, target: &Target, body: &[u8]) -> Result<Reply, TransportError> {
        match target {
            Target::Seed(s) => {
                self.world().log.push(Event::Seed);
                if s.url != SEED_URL {
                    return Err(TransportError::Connect {
                        reason: "refused".into(),
                    });
                }
                Ok(json_reply(
                    200,
                    &json!({"jsonrpc": "2.0", "id": 0, "result": self.node_list()}),
                ))
            }
            Target::Node { addr, path } => {
                let shift = self.world().port_shift;
                let Some(node) = self
                    .nodes
                    .iter()
                    .find(|n| n.snode.ip == *addr.ip() && n.snode.port + shift == addr.port())
                else {
                    return Err(TransportError::Connect {
                        reason: "refused".into(),
                    });
                };
                if self.world().down.contains(&node.snode.ed25519) {
                    return Err(TransportError::Connect {
                        reason: "refused".into(),
                    });
                }
                match *path {
                    STORAGE_RPC_PATH => {
                        let req: Value = serde_json::from_slice(body).unwrap();
                        self.world().log.push(Event::Direct {
                            node: node.snode.ed25519,
                            method: req["method"].as_str().unwrap().to_owned(),
                        });
                        let (status, body) = self.rpc(node, &req);
                        Ok(json_reply(status, &body))
                    }
                    ONION_REQ_PATH => Ok(self.onion(node, body)),
                    other => panic!("unexpected path {other}"),
                }
            }
        }
    }

    /// A relay passes the request on in-process; the destination answers it.
    fn onion(&self, guard: &FakeNode, body: &[u8]) -> Reply {
        let forged = self.world().forge_not_found;
        if let Some(k) = forged {
            self.world().log.push(Event::PathError { status: 502 });
            return json_reply(
                502,
                &Value::String(format!("Next node not found: {}", k.to_hex())),
            );
        }
        let mut relays = Vec::new();
        let mut cur = guard;
        let mut layer = body.to_vec();
        loop {
            let peeled = peel(&cur.secret, &layer);
            match peeled {
                Err(e) => {
                    let (status, text) = e.http_reply(&mut self.world().rng);
                    self.world().log.push(Event::PathError { status });
                    return json_reply(status, &Value::String(text));
                }
                Ok(Peeled::Relay(r)) => {
                    relays.push(cur.snode.ed25519);
                    let next = self.by_ed(&r.destination);
                    let unknown = self.world().unknown.contains(&r.destination);
                    if self.world().down.contains(&r.destination) {
                        self.world().log.push(Event::PathError { status: 502 });
                        return json_reply(
                            502,
                            &Value::String(format!(
                                "Next node is currently unreachable: {}",
                                r.destination.to_hex()
                            )),
                        );
                    }
                    match next {
                        Some(n) if !unknown => {
                            cur = n;
                            layer = r.next_layer;
                        }
                        _ => {
                            self.world().log.push(Event::PathError { status: 502 });
                            return json_reply(
                                502,
                                &Value::String(format!(
                                    "Next node not found: {}",
                                    r.destination.to_hex()
                                )),
                            );
                        }
                    }
                }
                Ok(Peeled::Final(f)) => {
                    let req: Value = serde_json::from_slice(&f.payload).unwrap();
                    let (status, answer) = self.rpc(cur, &req);
                    let mut w = self.world();
                    w.log.push(Event::Onion {
                        relays,
                        dest: cur.snode.ed25519,
                        method: req["method"].as_str().unwrap().to_owned(),
                        status,
                    });
                    let out = f.respond(status, &answer, &mut w.rng).unwrap();
                    return Reply {
                        status: 200,
                        content_type: Some("text/plain".into()),
                        body: out,
                    };
                }
                Ok(Peeled::Proxy(_)) => panic!("no proxy requests expected"),
            }
        }
    }

    /// The storage RPC methods the client uses, with the storage server's checks (§4, §15).
    fn rpc(&self, node: &FakeNode, req: &Value) -> (u16, Value) {
        let t = self.world().time_ms;
        let p = &req["params"];
        let text = |s: &str| Value::String(s.to_owned());
        let pubkey = || -> SessionId { p["pubkey"].as_str().unwrap().parse().unwrap() };
        let in_swarm = |pk: &SessionId| {
            self.true_swarm(pk)
                .1
                .iter()
                .any(|m| m.ed25519 == node.snode.ed25519)
        };
        match req["method"].as_str().unwrap() {
            "info" => (
                200,
                json!({"version": [2, 11, 0], "timestamp": t, "t": t, "hf": [19, 3]}),
            ),
            "get_swarm" => (200, self.swarm_json(&pubkey(), t)),
            "oxend_request" => (
                200,
                json!({"result": self.node_list(), "t": t, "hf": [19, 3]}),
            ),
            "store" | "retrieve" if self.world().liar => {
                // Name the swarm of some other key, never ours.
                let mut other = pubkey().x25519();
                loop {
                    other.0[0] = other.0[0].wrapping_add(0x40);
                    let o = SessionId::from_x25519(other);
                    if self.true_swarm(&o).0 != self.true_swarm(&pubkey()).0 {
                        return (421, self.swarm_json(&o, t));
                    }
                }
            }
            "store" | "retrieve" if self.world().forged_421 => {
                // Strangers, and a pool node under another X25519 key.
                let mut rng = TestRng(9);
                let mut stranger = || {
                    let mut k = [0u8; 32];
                    rng.fill_bytes(&mut k);
                    json!({"pubkey_ed25519": hex::encode(k), "pubkey_x25519": hex::encode(k),
                           "ip": "127.9.9.9", "port": "9", "port_https": 9})
                };
                let mut rekeyed = self.nodes[0].snode.to_swarm_entry();
                rekeyed["pubkey_x25519"] = json!(hex::encode([0xee; 32]));
                (
                    421,
                    json!({"snodes": [stranger(), stranger(), rekeyed], "swarm": "ff", "t": t}),
                )
            }
            "store" => {
                let pk = pubkey();
                if !in_swarm(&pk) {
                    return (421, self.swarm_json(&pk, t));
                }
                let ts = p["timestamp"].as_u64().unwrap();
                let ttl = p["expiry"].as_u64().unwrap() - ts;
                if !(10_000..=14 * 24 * HOUR).contains(&ttl) {
                    return (403, text("Provided expiry/TTL is not valid."));
                }
                if ts > t + 10_000 {
                    return (406, text("Timestamp error: check your clock"));
                }
                let ns = p["namespace"].as_i64().unwrap_or(0);
                let data = base64::engine::general_purpose::STANDARD
                    .decode(p["data"].as_str().unwrap())
                    .unwrap();
                let hash = message_hash(&pk, ns, &data);
                if self.world().bad_hash.contains(&node.snode.ed25519) {
                    let fake = "0".repeat(43);
                    return (
                        200,
                        json!({"hash": fake, "swarm": {node.snode.ed25519.to_hex(): {"hash": fake}},
                               "t": t, "hf": [19, 3]}),
                    );
                }
                let mut w = self.world();
                let list = w.messages.entry((pk.to_string(), ns)).or_default();
                let already = list.iter().any(|m| m["hash"] == hash);
                if !already {
                    list.push(
                        json!({"hash": hash, "timestamp": ts, "expiration": ts + ttl,
                                     "data": p["data"]}),
                    );
                }
                let mut entry = json!({"hash": hash, "signature": "c2ln", "expiry": ts + ttl});
                if already {
                    entry["already"] = json!(true);
                }
                (
                    200,
                    json!({"hash": hash, "swarm": {node.snode.ed25519.to_hex(): entry},
                           "t": t, "hf": [19, 3]}),
                )
            }
            "retrieve" => {
                let pk = pubkey();
                if !in_swarm(&pk) {
                    return (421, self.swarm_json(&pk, t));
                }
                let ns = p["namespace"].as_i64().unwrap_or(0);
                let Some(ts) = p["timestamp"].as_u64() else {
                    return (401, text("retrieve: request signature required"));
                };
                let ed: Ed25519Pub = p["pubkey_ed25519"].as_str().unwrap().parse().unwrap();
                if ed.to_x25519() != Some(pk.x25519()) {
                    return (401, text("pubkey_ed25519 does not match pubkey"));
                }
                if ts.abs_diff(t) > 60_000 {
                    return (406, text("retrieve timestamp too far from current time"));
                }
                let sig: [u8; 64] = base64::engine::general_purpose::STANDARD
                    .decode(p["signature"].as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap();
                let ns_str = if ns == 0 {
                    String::new()
                } else {
                    ns.to_string()
                };
                let signed = format!("retrieve{ns_str}{ts}");
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&ed.0).unwrap();
                if vk
                    .verify(
                        signed.as_bytes(),
                        &ed25519_dalek::Signature::from_bytes(&sig),
                    )
                    .is_err()
                {
                    return (401, text("retrieve signature verification failed"));
                }
                let w = self.world();
                let all = w
                    .messages
                    .get(&(pk.to_string(), ns))
                    .cloned()
                    .unwrap_or_default();
                if w.renamers.contains(&node.snode.ed25519) {
                    let renamed: Vec<Value> = all
                        .iter()
                        .map(|m| {
                            let mut m = m.clone();
                            m["hash"] = json!(format!("renamed{}", w.log.len()));
                            m
                        })
                        .collect();
                    return (
                        200,
                        json!({"messages": renamed, "more": false, "t": t, "hf": [19, 3]}),
                    );
                }
                let last = p["last_hash"].as_str().unwrap_or("");
                let start = all
                    .iter()
                    .position(|m| m["hash"] == last)
                    .map_or(0, |i| i + 1);
                (
                    200,
                    json!({"messages": all[start..], "more": false, "t": t, "hf": [19, 3]}),
                )
            }
            other => (400, text(&format!("no method {other}"))),
        }
    }
}

impl Fake {
    fn log(&self) -> Vec<Event> {
        self.0.world().log.clone()
    }

    fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.log().iter().filter(|e| f(e)).count()
    }

    fn onion_events(&self, method: &str) -> Vec<(Vec<Ed25519Pub>, Ed25519Pub, u16)> {
        self.log()
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
        name: "fake".into(),
        subnet_diversity: true,
        seeds: vec![SeedNode {
            url: SEED_URL.into(),
            pin: None,
        }],
        known_nodes: Vec::new(),
    }
}

type TestClient = Client<Fake, FixedClock, TestRng>;

fn client(net: &Fake, dir: &Path, now: u64, seed: u64) -> TestClient {
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
    let net = Net::fake(1);
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
    assert_eq!(pool.swarm_ids(), SWARMS);
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
    let net = Net::fake(1);
    let dir = tempfile::tempdir().unwrap();
    let mut net_cfg = network();
    net_cfg.seeds[0].url = "http://127.0.0.1:9/other".into();
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
    let net = Net::fake(2);
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
    let net = Net::fake(2);
    net.0.world().seed_swarm_ids = false;
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
    let net = Net::fake(3);
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
    assert_eq!(net.0.world().messages[&(to.to_string(), 0)].len(), 1);

    // Bad input never reaches the network.
    let err = c.store(&to, &b64(data), 1_000, NOW).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = c.store(&to, "", HOUR, NOW).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn paths_and_guards_are_reused_by_the_next_run() {
    let net = Net::fake(4);
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
    let net = Net::fake(5);
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
fn other_swarm(net: &Fake, right: u64) -> (u64, Vec<Snode>) {
    let wrong = *SWARMS.iter().find(|&&s| s != right).unwrap();
    let members = net
        .0
        .nodes
        .iter()
        .map(|n| n.snode.clone())
        .filter(|s| s.swarm_id == wrong)
        .collect();
    (wrong, members)
}

#[tokio::test]
async fn wrong_swarm_answer_moves_to_the_new_swarm() {
    // Without swarm ids in the pool, the swarm in a 421 is used (checked against the pool).
    let to = recipient().session_id();
    let net = Net::fake(6);
    net.0.world().seed_swarm_ids = false;
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
    let net = Net::fake(6);
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
    let net = Net::fake(6);
    net.0.world().seed_swarm_ids = false;
    net.0.world().forged_421 = true;
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
    let net = Net::fake(7);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 9);
    c.paths().await.unwrap();
    assert_eq!(c.network_now_ms(), NOW);
    // The network's clock is 5 minutes ahead of ours.
    let ahead = NOW + 5 * 60_000;
    net.0.world().time_ms = ahead;
    let before = net.log().len();
    let got = c.retrieve(&me, Namespace::DEFAULT, None).await.unwrap();
    assert!(got.messages.is_empty());
    let methods: Vec<(String, u16)> = net
        .log()
        .into_iter()
        .skip(before)
        .filter_map(|e| match e {
            Event::Onion { method, status, .. } => Some((method, status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        methods,
        [
            ("retrieve".to_owned(), 406),
            ("info".to_owned(), 200),
            ("retrieve".to_owned(), 200)
        ]
    );
    assert_eq!(c.network_now_ms(), ahead);
    assert_eq!(c.clock_offset_ms(), 5 * 60_000);
    // The offset is remembered.
    drop(c);
    let c = client(&net, dir.path(), NOW, 10);
    assert_eq!(c.network_now_ms(), ahead);
}

#[tokio::test]
async fn node_not_found_strikes_the_hop_and_drops_it_only_at_the_limit() {
    let net = Net::fake(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    // Both middle hops have left the network.
    let gone_all: Vec<Ed25519Pub> = paths.iter().map(|p| p.hops()[1].ed25519).collect();
    net.0.world().unknown.extend(gone_all.iter().copied());
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let dest = net
        .0
        .nodes
        .iter()
        .map(|n| n.snode.clone())
        .find(|s| !in_paths.contains(&s.ed25519))
        .unwrap();
    // One message is one strike, never an instant drop (issue 9): a gone hop is in the pool
    // until its third strike, and out of every path after it.
    let mut answered = false;
    for _ in 0..10 {
        let result = c.onion_rpc(&dest, &Request::Info).await;
        for g in &gone_all {
            if c.pool_ref().get(g).is_some() {
                assert!(c.state().strikes(g).unwrap() < STRIKE_LIMIT);
            } else {
                let paths = c.paths().await.unwrap();
                assert!(paths.iter().all(|p| !p.contains(g)));
            }
        }
        if let Ok((status, body)) = result {
            assert_eq!(status, 200);
            let info: crate::rpc::response::InfoResponse =
                crate::rpc::response::decode(&body).unwrap();
            assert_eq!(info.version, [2, 11, 0]);
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
    let net = Net::fake(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let mut others = net
        .0
        .nodes
        .iter()
        .map(|n| n.snode.clone())
        .filter(|s| !in_paths.contains(&s.ed25519));
    let dest = others.next().unwrap();
    let stranger = others.next().unwrap().ed25519;
    net.0.world().forge_not_found = Some(stranger);
    let pool_before = c.state().pool().unwrap().unwrap().nodes;
    let guards_before = c.state().guards().unwrap();
    let paths_before = c.state().paths().unwrap();
    let err = c.onion_rpc(&dest, &Request::Info).await.unwrap_err();
    assert!(matches!(err, Error::PathsFailed { .. }), "{err:?}");
    assert_eq!(c.state().pool().unwrap().unwrap().nodes, pool_before);
    assert_eq!(c.state().guards().unwrap(), guards_before);
    assert_eq!(c.state().paths().unwrap(), paths_before);
    assert_eq!(c.state().strikes(&stranger).unwrap(), 0);
    assert!(c.pool_ref().get(&stranger).is_some());

    // About a hop of the path: that hop alone takes one strike, and stays.
    let hop = paths[0].hops()[2].ed25519;
    net.0.world().forge_not_found = Some(hop);
    let _ = c.onion_rpc(&dest, &Request::Info).await;
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
    let net = Net::fake(8);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 11);
    let paths = c.paths().await.unwrap();
    let in_paths: HashSet<Ed25519Pub> = paths
        .iter()
        .flat_map(|p| p.hops().iter().map(|h| h.ed25519))
        .collect();
    let dest = net
        .0
        .nodes
        .iter()
        .map(|n| n.snode.clone())
        .find(|s| !in_paths.contains(&s.ed25519))
        .unwrap();
    net.0.world().down.insert(dest.ed25519);
    let err = c.onion_rpc(&dest, &Request::Info).await.unwrap_err();
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
    let net = Net::fake(9);
    net.0.world().liar = true;
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
    let net = Net::fake(10);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 13);
    let paths = c.paths().await.unwrap();
    // The first path's guard stops answering. The destination is on the second path, so
    // every request must take the first.
    let down = paths[0].guard().ed25519;
    net.0.world().down.insert(down);
    let dest = paths[1].hops()[1].clone();

    let err = c.onion_rpc(&dest, &Request::Info).await.unwrap_err();
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
    let (status, _) = c.onion_rpc(&dest, &Request::Info).await.unwrap();
    assert_eq!(status, 200);
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
    let net = Net::fake(3);
    let (_, members) = net.0.true_swarm(&to);
    // Fewer liars than members tried per store.
    let liars: Vec<Ed25519Pub> = members.iter().map(|m| m.ed25519).take(2).collect();
    net.0.world().bad_hash.extend(liars.iter().copied());
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 4);
    let data = b"sealed";
    let out = c.store(&to, &b64(data), HOUR, NOW).await.unwrap();
    assert_eq!(out.hash, message_hash(&to, 0, data));
    assert!(!liars.contains(&out.node));
    assert_eq!(net.0.world().messages[&(to.to_string(), 0)].len(), 1);
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
    let net = Net::fake(3);
    net.0
        .world()
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
    let net = Net::fake(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    let a = c
        .store(&me.session_id(), &b64(b"first"), HOUR, NOW)
        .await
        .unwrap();
    let (_, members) = net.0.true_swarm(&me.session_id());
    net.0
        .world()
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
    let net = Net::fake(5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = client(&net, dir.path(), NOW, 7);
    c.store(&me.session_id(), &b64(b"now"), HOUR, NOW)
        .await
        .unwrap();
    // A member plants one from a month ago and one from tomorrow.
    for ts in [NOW - 30 * 24 * HOUR, NOW + 24 * HOUR] {
        let data = format!("at {ts}");
        let hash = message_hash(&me.session_id(), 0, data.as_bytes());
        net.0
            .world()
            .messages
            .get_mut(&(me.session_id().to_string(), 0))
            .unwrap()
            .push(
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
    let net = Net::fake(1);
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
    moved.seeds[0].url = "http://127.0.0.1:10/json_rpc".into();
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
    let net = Net::fake(10);
    let dir = tempfile::tempdir().unwrap();
    client(&net, dir.path(), NOW, 13).paths().await.unwrap();
    net.0.world().port_shift = 100;
    let mut c = client(&net, dir.path(), NOW + 60_000, 14);
    let dest = net.0.nodes[0].snode.clone();
    let (status, _) = c.onion_rpc(&dest, &Request::Info).await.unwrap();
    assert_eq!(status, 200);
    let paths = c.paths().await.unwrap();
    assert_eq!(paths.len(), 2);
    assert!(paths.iter().flat_map(|p| p.hops()).all(|h| h.port >= 30100));
    assert_eq!(net.count(|e| *e == Event::Seed), 2);
    // And a long-running client heals the same way after `reload`.
    net.0.world().port_shift = 200;
    let err = c
        .onion_rpc(&paths[0].hops()[2].clone(), &Request::Info)
        .await;
    assert!(err.is_err());
    c.reload();
    let dest = c.pool(false).await.unwrap().nodes()[0].clone();
    let mut ok = false;
    for _ in 0..3 {
        if c.onion_rpc(&dest, &Request::Info).await.is_ok() {
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
    let net = Net::fake(12);
    let dir = tempfile::tempdir().unwrap();
    let down: HashSet<Ed25519Pub> = net
        .0
        .nodes
        .iter()
        .filter(|n| n.snode.swarm_id == SWARMS[0])
        .map(|n| n.snode.ed25519)
        .collect();
    net.0.world().down.extend(down.iter().copied());
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
        .nodes
        .iter()
        .map(|n| n.snode.ed25519)
        .filter(|k| !down.contains(k))
        .take(5)
        .collect();
    net.0.world().down.extend(
        net.0
            .nodes
            .iter()
            .map(|n| n.snode.ed25519)
            .filter(|k| !alive.contains(k)),
    );
    let mut c = client(&net, dir.path(), NOW, 30);
    let paths = c.new_paths().await.unwrap();
    assert_eq!(paths.len(), 1);
    assert!(paths[0].hops().iter().all(|h| alive.contains(&h.ed25519)));
    // Too few for even one: an error that names what is missing.
    net.0.world().down.extend(alive.iter().skip(2).copied());
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
    let net = Net::fake(1);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = network();
    cfg.seeds[0].url = "http://127.0.0.1:9/other".into();
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
    let net = Net::fake(5);
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
            let mut w = net.0.world();
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
    let net = Net::fake(1);
    let dir = tempfile::tempdir().unwrap();
    let known = |n: &Snode| crate::network::KnownNode {
        public_ip: n.ip,
        storage_port: n.port,
        pubkey_ed25519: n.ed25519.to_hex(),
    };
    let mut cfg = network();
    cfg.seeds[0].url = "http://127.0.0.1:9/other".into();
    // The first known node claims another node's key: its list does not name it there.
    let mut liar = known(&net.0.nodes[0].snode);
    liar.pubkey_ed25519 = net.0.nodes[1].snode.ed25519.to_hex();
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

    cfg.known_nodes = vec![liar, known(&net.0.nodes[2].snode)];
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
        node: net.0.nodes[2].snode.ed25519,
        method: "oxend_request".into()
    }));
}

#[tokio::test]
async fn a_swarm_learned_from_a_node_expires() {
    // Issue 9: cached swarms are asked again after SWARM_MAX_AGE.
    let who = recipient().session_id();
    let net = Net::fake(2);
    net.0.world().seed_swarm_ids = false;
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
