//! The network client (`sesh::client`) against a real devnet: the pinned seed, guard tests,
//! 3-hop onion requests over HTTPS, store and signed retrieve, a swarm that moves (421), a
//! skewed network clock (406), and a node that leaves (issue 5).
//!
//! Every test starts its own devnet on 127.0.X.1 and stops it when done; every wait is
//! bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use rand_core::OsRng;
use serde_json::json;
use sesh::ErrorKind;
use sesh::HasKind;
use sesh::client::{Client, State};
use sesh::clock::SystemClock;
use sesh::devnet::Devnet;
use sesh::node::roster::Roster;
use sesh::rpc::Namespace;
use sesh::rpc::request::Request;
use sesh::rpc::response::{self, InfoResponse};
use sesh::swarm::Snode;
use sesh::transport::http::HttpTransport;
use sesh::transport::{ONION_REQ_PATH, Reply, STORAGE_RPC_PATH, Target, Transport, TransportError};

use super::devnet::{devnet, devnet_with, identity};

/// The real transport, counting what goes where.
#[derive(Clone)]
struct Counting(Arc<Counts>);

struct Counts {
    http: HttpTransport,
    seed: AtomicUsize,
    direct: AtomicUsize,
    onion: AtomicUsize,
}

impl Counting {
    fn new() -> Self {
        Self(Arc::new(Counts {
            http: HttpTransport::new().expect("an HTTP client"),
            seed: AtomicUsize::new(0),
            direct: AtomicUsize::new(0),
            onion: AtomicUsize::new(0),
        }))
    }

    fn seed(&self) -> usize {
        self.0.seed.load(Ordering::SeqCst)
    }

    fn direct(&self) -> usize {
        self.0.direct.load(Ordering::SeqCst)
    }

    fn onion(&self) -> usize {
        self.0.onion.load(Ordering::SeqCst)
    }
}

impl Transport for Counting {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        let counter = match target {
            Target::Seed(_) => &self.0.seed,
            Target::Node {
                path: STORAGE_RPC_PATH,
                ..
            } => &self.0.direct,
            Target::Node {
                path: ONION_REQ_PATH,
                ..
            } => &self.0.onion,
            other => panic!("unexpected target {other:?}"),
        };
        counter.fetch_add(1, Ordering::SeqCst);
        self.0.http.post(target, body, timeout)
    }
}

type DevClient = Client<Counting, SystemClock, OsRng>;

fn client(net: &Devnet, state: &std::path::Path, t: &Counting) -> DevClient {
    Client::open(net.network(), state, t.clone(), SystemClock, OsRng).expect("the client opens")
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

const TEN_MIN: u64 = 10 * 60 * 1000;

/// Bounds a client call: a devnet answers in milliseconds.
async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("the client finishes within a minute")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_stores_and_retrieves_through_onion_paths() {
    let (net, dir) = devnet(10, 5).await;
    let state = dir.path().join("client");
    let t = Counting::new();
    let bob = identity(2);
    let mut c = client(&net, &state, &t);

    assert_eq!(bounded(c.pool(false)).await.unwrap().len(), 10);
    assert_eq!(t.seed(), 1);
    // The swarm, computed from the pool, is the devnet's.
    let swarm = bounded(c.swarm_for(&bob.session_id())).await.unwrap();
    let want = net.roster().swarm_of(&bob.session_id().to_bytes()).unwrap();
    assert_eq!(swarm.id, want);
    assert_eq!(swarm.members.len(), 5);

    let now = c.network_now_ms();
    let first = bounded(c.store(&bob.session_id(), &b64(b"one"), TEN_MIN, now))
        .await
        .unwrap();
    let second = bounded(c.store(&bob.session_id(), &b64(b"two"), TEN_MIN, now + 1))
        .await
        .unwrap();
    assert_ne!(first.hash, second.hash);
    assert!(swarm.members.iter().any(|m| m.ed25519 == first.node));
    // Storing the same data again gives the same hash.
    let again = bounded(c.store(&bob.session_id(), &b64(b"one"), TEN_MIN, now))
        .await
        .unwrap();
    assert_eq!(again.hash, first.hash);
    // Two guards were tested directly; everything else went through onion paths.
    assert_eq!(t.direct(), 2);
    assert!(t.onion() >= 3);
    let paths = bounded(c.paths()).await.unwrap();
    assert_eq!(paths.len(), 2);
    assert!(paths.iter().all(|p| p.hops().len() == 3));

    let got = bounded(c.retrieve(&bob, Namespace::DEFAULT, None))
        .await
        .unwrap();
    let hashes: Vec<&str> = got.messages.iter().map(|m| m.hash.as_str()).collect();
    assert_eq!(hashes, [first.hash.as_str(), second.hash.as_str()]);
    assert_eq!(got.messages[1].decode_data().unwrap(), b"two");
    assert_eq!(got.messages[0].expiration_ms, now + TEN_MIN);
    let after = bounded(c.retrieve(&bob, Namespace::DEFAULT, Some(&second.hash)))
        .await
        .unwrap();
    assert!(after.messages.is_empty());
    drop(c);

    // The next run reuses the pool, the swarm, the guards and the paths.
    let t2 = Counting::new();
    let mut c = client(&net, &state, &t2);
    let got = bounded(c.retrieve(&bob, Namespace::DEFAULT, Some(&first.hash)))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!((t2.seed(), t2.direct()), (0, 0));
    assert_eq!(bounded(c.paths()).await.unwrap(), paths);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_follows_a_swarm_that_moved() {
    let (mut net, dir) = devnet(10, 5).await;
    let t = Counting::new();
    let bob = identity(3);
    let mut c = client(&net, &dir.path().join("client"), &t);
    let before = bounded(c.swarm_for(&bob.session_id())).await.unwrap();

    // The two swarms trade ids: bob's messages now belong to the other five nodes.
    let ids = net.roster().pool().swarm_ids();
    assert_eq!(ids.len(), 2);
    let moved: Vec<Snode> = net
        .roster()
        .pool()
        .nodes()
        .iter()
        .map(|n| Snode {
            swarm_id: if n.swarm_id == ids[0] { ids[1] } else { ids[0] },
            ..n.clone()
        })
        .collect();
    let height = net.roster().height() + 1;
    net.set_roster(Roster::new(moved, height)).unwrap();

    let now = c.network_now_ms();
    let out = bounded(c.store(&bob.session_id(), &b64(b"moved"), TEN_MIN, now))
        .await
        .unwrap();
    assert!(before.members.iter().all(|m| m.ed25519 != out.node));
    // The swarm keeps its id but now has the other members (from the 421's body).
    let after = bounded(c.swarm_for(&bob.session_id())).await.unwrap();
    assert_eq!(after.id, before.id);
    assert_eq!(after.members.len(), 5);
    assert!(
        after
            .members
            .iter()
            .all(|m| before.members.iter().all(|b| b.ed25519 != m.ed25519))
    );
    assert!(after.members.iter().any(|m| m.ed25519 == out.node));
    let got = bounded(c.retrieve(&bob, Namespace::DEFAULT, None))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_corrects_its_clock_on_a_406() {
    // The network's clock is five minutes ahead.
    let skew: i64 = 5 * 60 * 1000;
    let (net, dir) = devnet_with(10, 5, skew).await;
    let state = dir.path().join("client");
    let t = Counting::new();
    let bob = identity(4);
    {
        let mut c = client(&net, &state, &t);
        bounded(c.paths()).await.unwrap();
        // The guard tests' answers already carried the network time.
        assert!(
            (c.clock_offset_ms() - skew).abs() < 60_000,
            "{}",
            c.clock_offset_ms()
        );
    }
    // Forget the offset: the next signed request is refused (406) until it is learned again.
    State::open(&state)
        .unwrap()
        .save_clock_offset_ms(0)
        .unwrap();
    let mut c = client(&net, &state, &t);
    assert_eq!(c.clock_offset_ms(), 0);
    let got = bounded(c.retrieve(&bob, Namespace::DEFAULT, None))
        .await
        .unwrap();
    assert!(got.messages.is_empty());
    assert!(
        (c.clock_offset_ms() - skew).abs() < 60_000,
        "{}",
        c.clock_offset_ms()
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_drops_a_node_that_left_and_mends_its_path() {
    let (mut net, dir) = devnet(10, 5).await;
    let t = Counting::new();
    let mut c = client(&net, &dir.path().join("client"), &t);
    let paths = bounded(c.paths()).await.unwrap();
    // The middle hop of the first path leaves the network. The destination is on the second
    // path, so the request must take the first.
    let gone = paths[0].hops()[1].ed25519;
    let dest = paths[1].hops()[2].clone();
    let rest: Vec<Snode> = net
        .roster()
        .pool()
        .nodes()
        .iter()
        .filter(|n| n.ed25519 != gone)
        .cloned()
        .collect();
    let height = net.roster().height() + 1;
    net.set_roster(Roster::new(rest, height)).unwrap();

    // A "Next node not found" is one strike against the hop, never an instant drop (issue 9:
    // anyone on the path could forge it); the path is given up at once and a new one, of
    // nodes that answer a test, built with the same guard.
    let (status, body) = bounded(c.onion_rpc(&dest, &Request::Info)).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let info: InfoResponse = response::decode(&body).unwrap();
    assert!(info.t.is_some());
    let state = State::open(&dir.path().join("client")).unwrap();
    assert_eq!(state.strikes(&gone).unwrap(), 1);
    let now = bounded(c.paths()).await.unwrap();
    assert_eq!(now.len(), 2);
    assert!(now.iter().all(|p| !p.contains(&gone)));
    assert!(now.iter().any(|p| p.guard() == paths[0].guard()));
    // The next pool refresh (three nodes agreeing) no longer lists it.
    assert!(bounded(c.pool(true)).await.unwrap().get(&gone).is_none());
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_seed_pin_is_refused() {
    let (net, dir) = devnet(1, 1).await;
    let mut network = net.network();
    if let Some(pin) = network.seeds[0].pin.as_mut() {
        pin[0] ^= 0xff;
    }
    let mut c = Client::open(
        network,
        &dir.path().join("client"),
        HttpTransport::new().unwrap(),
        SystemClock,
        OsRng,
    )
    .unwrap();
    let err = bounded(c.pool(false)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Failure, "{err}");
    assert!(format!("{:#}", anyhow::Error::new(err)).contains("pin"));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_nodes_lists_the_devnet_without_addresses() {
    let (net, dir) = devnet(3, 3).await;
    let file = net.network_file();
    let state = dir.path().join("state");
    let run = move |args: Vec<&'static str>| {
        let file = file.clone();
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            super::support::sesh_command()
                .args(args)
                .arg("--network")
                .arg(&file)
                .arg("--state-dir")
                .arg(&state)
                .env_remove("SESH_NETWORK")
                .env_remove("SESH_STATE_DIR")
                .output()
                .expect("sesh runs")
        })
    };
    let out = bounded(run(vec!["nodes", "--json"])).await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l["type"], "node");
        assert!(l["public_ip"].is_null() && l["storage_port"].is_null());
        assert_eq!(l["storage_server_version"], json!([2, 11, 0]));
        assert!(l["swarm_id"].is_u64());
    }
    let out = bounded(run(vec!["nodes", "--reveal"])).await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|l| l.contains(" 127.0.")), "{text}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_devnet_is_used_without_a_refresh() {
    // Issue 9: the cache belongs to the network's seeds and pins, not its name. A devnet
    // restarted under the same name (new addresses, new seed pin) works at once, where the
    // old cache made every command fail with "no guard node answered".
    let state = tempfile::tempdir().unwrap();
    let bob = identity(2);
    let (old, _old_dir) = devnet(10, 5).await;
    let t = Counting::new();
    let mut c = client(&old, state.path(), &t);
    bounded(c.paths()).await.unwrap();
    drop(c);
    old.shutdown().await;

    let (net, _dir) = devnet(10, 5).await;
    assert_eq!(net.network().name, "devnet");
    let t = Counting::new();
    let mut c = client(&net, state.path(), &t);
    let now = c.network_now_ms();
    bounded(c.store(&bob.session_id(), &b64(b"after a restart"), TEN_MIN, now))
        .await
        .unwrap();
    // Nothing was tried on the old network's nodes: one seed request, two guard tests, two
    // path tests and the store.
    assert_eq!((t.seed(), t.direct(), t.onion()), (1, 2, 3));
    let pool = bounded(c.pool(false)).await.unwrap().clone();
    for p in bounded(c.paths()).await.unwrap() {
        for h in p.hops() {
            assert_eq!(pool.get(&h.ed25519), Some(h));
        }
    }
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_running_client_heals_from_the_shared_state() {
    // Issue 9 ("a running `receive --follow` never heals"): a client started before the
    // devnet was restarted fails, then, after another process wrote the new network's pool to
    // the shared state, `reload` lets it work again (as `receive --follow` does after a
    // failure) instead of backing off forever.
    let state = tempfile::tempdir().unwrap();
    let bob = identity(2);
    let (old, _old_dir) = devnet(10, 5).await;
    let t = Counting::new();
    let mut follower = client(&old, state.path(), &t);
    bounded(follower.retrieve(&bob, Namespace::DEFAULT, None))
        .await
        .unwrap();
    old.shutdown().await;

    let (net, _dir) = devnet(10, 5).await;
    assert!(
        bounded(follower.retrieve(&bob, Namespace::DEFAULT, None))
            .await
            .is_err()
    );
    // Another process, with the new network file, sends bob a message.
    let mut sender = client(&net, state.path(), &Counting::new());
    let now = sender.network_now_ms();
    let sent = bounded(sender.store(&bob.session_id(), &b64(b"hello"), TEN_MIN, now))
        .await
        .unwrap();
    drop(sender);

    follower.reload();
    let got = bounded(follower.retrieve(&bob, Namespace::DEFAULT, None))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].hash, sent.hash);
    net.shutdown().await;
}

#[tokio::test]
async fn repeat_sends_reuse_connections_paths_and_keys() {
    let (net, dir) = devnet(10, 5).await;
    let transport = Arc::new(HttpTransport::new().expect("an HTTP client"));
    let mut c = Client::open(
        net.network(),
        &dir.path().join("client"),
        transport.clone(),
        SystemClock,
        OsRng,
    )
    .expect("the client opens");
    let (alice, bob) = (identity(4), identity(5));
    let to = bob.session_id();
    let out = sesh::message::Outgoing::new("hello".to_owned());
    // As `sesh send` does: settle the clock, seal, store.
    let send = async |c: &mut Client<Arc<HttpTransport>, SystemClock, OsRng>| {
        let now = bounded(c.settled_now_ms()).await;
        let data = sesh::message::seal(&alice, &to, &out, now, &mut OsRng).expect("sealed");
        bounded(c.store(&to, &sesh::message::to_base64(&data), TEN_MIN, now))
            .await
            .expect("stored")
            .hash
    };
    let mut hashes = vec![send(&mut c).await];
    let after_first = transport.tls_handshakes();
    // The seed, two tested guards: at least as many handshakes as that.
    assert!(after_first >= 2, "{after_first}");
    let paths = bounded(c.paths()).await.unwrap();
    for _ in 1..20 {
        hashes.push(send(&mut c).await);
    }
    assert_eq!(
        transport.tls_handshakes() - after_first,
        0,
        "a repeat send opened a new connection"
    );
    assert_eq!(bounded(c.paths()).await.unwrap(), paths);

    // Every message arrived, once.
    let mut got = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let page = bounded(c.retrieve(&bob, Namespace::DEFAULT, last.as_deref()))
            .await
            .unwrap();
        got.extend(page.messages.iter().map(|m| m.hash.clone()));
        last = page.last_node_hash.clone();
        if !page.more {
            break;
        }
    }
    hashes.sort();
    got.sort();
    assert_eq!(got, hashes);
    net.shutdown().await;
}
