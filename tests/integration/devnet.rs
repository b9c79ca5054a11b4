//! The local service node on a real devnet: N `sesh-node` processes on 127.0.X.1, driven over
//! HTTPS with the storage RPC and with onion requests (issue 4).
//!
//! Every test starts its own small devnet in a temporary directory and stops it when done;
//! every wait is bounded.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use rand_core::OsRng;
use serde_json::{Value, json};
use sesh::clock::{Clock, SystemClock};
use sesh::devnet::{Devnet, Options};
use sesh::identity::{Identity, Seed};
use sesh::node::peer::Peer;
use sesh::onion::{self, Destination, EncType, HopKeys};
use sesh::rpc::{Namespace, auth};
use sesh::swarm::Snode;

/// A devnet of `nodes` nodes in swarms of `swarm_size`, in a fresh temporary directory.
pub(crate) async fn devnet(nodes: usize, swarm_size: usize) -> (Devnet, tempfile::TempDir) {
    devnet_with(nodes, swarm_size, 0).await
}

pub(crate) async fn devnet_with(
    nodes: usize,
    swarm_size: usize,
    clock_offset_ms: i64,
) -> (Devnet, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let opts = Options {
        dir: dir.path().join("net"),
        nodes,
        swarm_size,
        node_bin: PathBuf::from(env!("CARGO_BIN_EXE_sesh-node")),
        clock_offset_ms,
    };
    let net = tokio::time::timeout(Duration::from_secs(60), Devnet::start(opts))
        .await
        .expect("the devnet starts within a minute")
        .expect("the devnet starts");
    (net, dir)
}

fn peer() -> Peer {
    Peer::new(Duration::from_secs(10)).expect("an HTTPS client")
}

fn now() -> u64 {
    SystemClock.now_ms()
}

pub(crate) fn identity(n: u8) -> Identity {
    Identity::from_seed(Seed::from_legacy(&[n; 16]))
}

/// POSTs a storage RPC request straight to a node.
async fn rpc(node: &Snode, method: &str, params: Value) -> (u16, Value) {
    let body = json!({"method": method, "params": params}).to_string();
    let (status, bytes) = peer()
        .post(&format!("https://{node}"), "/storage_rpc/v1", body.into())
        .await
        .expect("the node answers");
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

fn swarm_of<'a>(net: &'a Devnet, who: &Identity) -> Vec<&'a Snode> {
    let roster = net.roster();
    let id = roster
        .swarm_of(&who.session_id().to_bytes())
        .expect("a swarm");
    roster.members(id)
}

fn not_in_swarm<'a>(net: &'a Devnet, who: &Identity) -> &'a Snode {
    let mine: Vec<_> = swarm_of(net, who).iter().map(|n| n.ed25519).collect();
    net.roster()
        .pool()
        .nodes()
        .iter()
        .find(|n| !mine.contains(&n.ed25519))
        .expect("a node of another swarm")
}

fn store_params(to: &Identity, data: &[u8], ts: u64, ttl: u64) -> Value {
    json!({
        "pubkey": to.session_id().to_string(),
        "timestamp": ts,
        "ttl": ttl,
        "data": base64::engine::general_purpose::STANDARD.encode(data),
    })
}

fn retrieve_params(who: &Identity, last_hash: &str, ts: u64, extra: Value) -> Value {
    let mut p = Value::Object(auth::signed_fields(
        who,
        &auth::retrieve(Namespace::DEFAULT, ts),
        ts,
    ));
    p["last_hash"] = json!(last_hash);
    if let Value::Object(m) = extra {
        for (k, v) in m {
            p[k] = v;
        }
    }
    p
}

fn hashes(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .expect("a message list")
        .iter()
        .map(|m| m["hash"].as_str().expect("a hash").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_replicates_and_retrieve_pages_with_last_hash() {
    let (net, _dir) = devnet(6, 3).await;
    let bob = identity(2);
    let swarm = swarm_of(&net, &bob);
    assert_eq!(swarm.len(), 3);

    let mut stored = Vec::new();
    for i in 0..5u8 {
        let (status, body) = rpc(
            swarm[0],
            "store",
            store_params(&bob, &[i; 40], now(), 60_000),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // One entry per swarm member, each signed by its node.
        assert_eq!(body["swarm"].as_object().unwrap().len(), 3, "{body}");
        assert!(body["t"].is_u64() && body["hf"].is_array());
        stored.push(body["hash"].as_str().unwrap().to_owned());
    }

    // Paging from another member, two at a time.
    let mut got = Vec::new();
    let mut last = String::new();
    loop {
        let p = retrieve_params(&bob, &last, now(), json!({"max_count": 2}));
        let (status, body) = rpc(swarm[2], "retrieve", p).await;
        assert_eq!(status, 200, "{body}");
        let page = hashes(&body);
        assert!(page.len() <= 2);
        got.extend(page.iter().cloned());
        last = page.last().cloned().unwrap_or(last);
        if !body["more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(got, stored);

    // Storing the same data again is the same message ("already").
    let ts = now();
    let (_, a) = rpc(swarm[1], "store", store_params(&bob, b"same", ts, 60_000)).await;
    let (_, b) = rpc(
        swarm[2],
        "store",
        store_params(&bob, b"same", ts + 5, 60_000),
    )
    .await;
    assert_eq!(a["hash"], b["hash"]);
    let me = swarm[2].ed25519.to_hex();
    assert_eq!(b["swarm"][&me]["already"], json!(true), "{b}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_have_the_storage_servers_statuses() {
    let (net, _dir) = devnet(6, 3).await;
    let bob = identity(3);
    let home = swarm_of(&net, &bob)[0];

    // 421: the wrong swarm, with the right one in the body.
    let other = not_in_swarm(&net, &bob);
    let (status, body) = rpc(other, "store", store_params(&bob, b"x", now(), 60_000)).await;
    assert_eq!(status, 421);
    let right: Vec<String> = swarm_of(&net, &bob)
        .iter()
        .map(|n| n.ed25519.to_hex())
        .collect();
    let listed: Vec<String> = body["snodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["pubkey_ed25519"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, right);

    // 406: a signature timestamp two minutes old.
    let old = now() - 120_000;
    let (status, _) = rpc(home, "retrieve", retrieve_params(&bob, "", old, json!({}))).await;
    assert_eq!(status, 406);

    // 401: signed by someone else, and no signature at all.
    let mut forged = retrieve_params(&identity(4), "", now(), json!({}));
    forged["pubkey"] = json!(bob.session_id().to_string());
    forged["pubkey_ed25519"] = json!(bob.ed25519_pub().to_hex());
    let (status, _) = rpc(home, "retrieve", forged).await;
    assert_eq!(status, 401);
    let (status, body) = rpc(
        home,
        "retrieve",
        json!({"pubkey": bob.session_id().to_string()}),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, json!("retrieve: request signature required"))
    );

    // 400s: malformed requests, with the storage server's texts.
    let (status, body) = rpc(home, "frobnicate", json!({})).await;
    assert_eq!((status, body), (400, json!("no method frobnicate")));
    let (status, body) = rpc(home, "store", json!({"pubkey": "05ab"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!("invalid request: Pubkey must be 66 hex digits (33 bytes) long")
    );
    let (status, bytes) = peer()
        .post(
            &format!("https://{home}"),
            "/storage_rpc/v1",
            "{not json".into(),
        )
        .await
        .unwrap();
    assert_eq!((status, &bytes[..]), (400, &b"invalid json"[..]));

    // 403: a TTL beyond 14 days in a public namespace; 413: data over 76 800 bytes.
    let (status, _) = rpc(
        home,
        "store",
        store_params(&bob, b"x", now(), 15 * 86_400_000),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = rpc(
        home,
        "store",
        store_params(&bob, &[0; 76_801], now(), 60_000),
    )
    .await;
    assert_eq!(status, 413);

    // A wrong swarm inside a batch is a 421 subresult of an HTTP 200.
    let (status, body) = rpc(
        other,
        "batch",
        json!({"requests": [{"method": "store", "params": store_params(&bob, b"y", now(), 60_000)}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["code"], json!(421));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_survive_a_killed_member_and_a_restart() {
    let (mut net, _dir) = devnet(6, 3).await;
    let carol = identity(5);
    let swarm: Vec<Snode> = swarm_of(&net, &carol).into_iter().cloned().collect();
    let (status, body) = rpc(
        &swarm[0],
        "store",
        store_params(&carol, b"keep me", now(), 600_000),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hash = body["hash"].as_str().unwrap().to_owned();

    // Kill the member that took the store; the others still have it.
    let idx = |n: &Snode| {
        net.nodes()
            .iter()
            .position(|p| p.ed25519 == n.ed25519)
            .unwrap()
    };
    let first = idx(&swarm[0]);
    net.kill(first).await;
    let (status, body) = rpc(
        &swarm[1],
        "retrieve",
        retrieve_params(&carol, "", now(), json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hashes(&body), vec![hash.clone()]);

    // Restart it: its own database still holds the message.
    net.restart(first).await.expect("the node restarts");
    let (status, body) = rpc(
        &swarm[0],
        "retrieve",
        retrieve_params(&carol, "", now(), json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hashes(&body), vec![hash]);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_expire_on_their_ttl() {
    let (net, _dir) = devnet(3, 3).await;
    let dave = identity(6);
    let node = swarm_of(&net, &dave)[0];
    // Made 9.5 s ago with the shortest TTL (10 s): it expires half a second from now.
    let ts = now() - 9_500;
    let (status, body) = rpc(node, "store", store_params(&dave, b"brief", ts, 10_000)).await;
    assert_eq!(status, 200, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = rpc(
            node,
            "retrieve",
            retrieve_params(&dave, "", now(), json!({})),
        )
        .await;
        if hashes(&body).is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    net.shutdown().await;
}

/// Sends `payload` as an onion request through `path` to `dest`; returns the reply's status
/// and body.
async fn onion_rpc(path: &[&Snode], dest: &Snode, enc: EncType, payload: &Value) -> (u16, Value) {
    let hops: Vec<HopKeys> = path.iter().map(|n| HopKeys::from(*n)).collect();
    let (body, pending) = onion::build(
        &hops,
        &Destination::Snode(HopKeys::from(dest)),
        payload.to_string().as_bytes(),
        enc,
        &mut OsRng,
    )
    .expect("an onion request");
    let guard = path.first().copied().unwrap_or(dest);
    let (status, reply) = peer()
        .post(&format!("https://{guard}"), "/onion_req/v2", body.into())
        .await
        .expect("the guard answers");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    let resp = pending.open(&reply).expect("the reply opens");
    let body = serde_json::from_str(&resp.body).unwrap_or(Value::String(resp.body.clone()));
    (resp.status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onion_requests_cross_three_hops_and_reach_the_swarm_from_the_exit() {
    let (net, _dir) = devnet(6, 3).await;
    let erin = identity(7);
    let swarm: Vec<Snode> = swarm_of(&net, &erin).into_iter().cloned().collect();
    let dest = &swarm[0];
    let path: Vec<&Snode> = net
        .roster()
        .pool()
        .nodes()
        .iter()
        .filter(|n| n.ed25519 != dest.ed25519)
        .take(3)
        .collect();

    for enc in [EncType::AesGcm, EncType::XChaCha20] {
        let (status, body) =
            onion_rpc(&path, dest, enc, &json!({"method": "info", "params": {}})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["version"].is_array());
    }
    let store =
        json!({"method": "store", "params": store_params(&erin, b"via onion", now(), 60_000)});
    let (status, body) = onion_rpc(&path, dest, EncType::AesGcm, &store).await;
    assert_eq!(status, 200, "{body}");
    let retrieve =
        json!({"method": "retrieve", "params": retrieve_params(&erin, "", now(), json!({}))});
    let (status, body) = onion_rpc(&path, dest, EncType::XChaCha20, &retrieve).await;
    assert_eq!(status, 200);
    assert_eq!(hashes(&body).len(), 1);

    // The destination saw both requests arrive from the exit hop's address, not ours.
    let exit_ip = path[2].ip.to_string();
    let log = std::fs::read_to_string(
        net.nodes()
            .iter()
            .find(|p| p.ed25519 == dest.ed25519)
            .unwrap()
            .log_file(),
    )
    .unwrap();
    for method in ["store", "retrieve"] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("storage_rpc {method} ")))
            .unwrap_or_else(|| panic!("no {method} line in\n{log}"));
        assert!(
            line.contains(&format!("via=onion peer={exit_ip}")),
            "{line}"
        );
    }

    // An unknown next hop: 502 from the hop before it, naming the key.
    let stranger = HopKeys {
        ed25519: identity(99).ed25519_pub(),
        x25519: identity(99).x25519_pub(),
    };
    let hops = [HopKeys::from(path[0]), stranger];
    let (body, _) = onion::build(
        &hops,
        &Destination::Snode(HopKeys::from(dest)),
        b"{}",
        EncType::AesGcm,
        &mut OsRng,
    )
    .unwrap();
    let (status, text) = peer()
        .post(
            &format!("https://{}", path[0]),
            "/onion_req/v2",
            body.into(),
        )
        .await
        .unwrap();
    assert_eq!(status, 502);
    assert_eq!(
        String::from_utf8_lossy(&text),
        format!("Next node not found: {}", stranger.ed25519.to_hex())
    );

    // Garbage to the guard: 400, plain text.
    let (status, _) = peer()
        .post(
            &format!("https://{}", path[0]),
            "/onion_req/v2",
            "garbage".into(),
        )
        .await
        .unwrap();
    assert_eq!(status, 400);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_serves_the_node_list_over_https_and_http() {
    let (net, _dir) = devnet(3, 3).await;
    let seed = net.seed().addr;
    let req = json!({"jsonrpc": "2.0", "id": 0, "method": "get_n_service_nodes",
                     "params": {"active_only": true, "fields": {"public_ip": true, "storage_port": true,
                                "pubkey_x25519": true, "pubkey_ed25519": true}}})
    .to_string();
    for base in [format!("https://{seed}"), format!("http://{seed}")] {
        let r = peer()
            .request("POST", &base, "/json_rpc", &[], req.clone().into())
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        let states = v["result"]["service_node_states"].as_array().unwrap();
        assert_eq!(states.len(), 3);
        assert_eq!(
            states[0].as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "public_ip",
                "storage_port",
                "pubkey_ed25519",
                "pubkey_x25519"
            ]
        );
    }
    // The network file pins the seed's certificate.
    let text = std::fs::read_to_string(net.network_file()).unwrap();
    let network = sesh::network::Network::from_toml(&text).unwrap();
    assert_eq!(network.seeds[0].pin, Some(net.seed().cert_sha256));
    net.shutdown().await;
}

/// Runs a command with standard input closed, killed if it has not ended within a minute (a
/// devnet or node that wrongly starts would otherwise run on).
fn output_bounded(mut cmd: std::process::Command) -> std::process::Output {
    use std::process::Stdio;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("the command ends"),
        Err(_) => {
            let _ = sesh::devnet::sigterm(pid);
            panic!("{cmd:?} did not end within a minute");
        }
    }
}

/// Issue 10 (F1): a second devnet, or a second node, on a directory in use is refused naming
/// the process that holds it, and touches nothing; once the devnet stopped, a devnet starts
/// on the same directory again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_in_use_is_refused_and_left_alone() {
    let (net, _tmp) = devnet(1, 1).await;
    let dir = net.dir().to_owned();
    let files = ["network.toml", "roster.json", "node-01/pid", "seed/pid"];
    let read = |f: &str| std::fs::read(dir.join(f)).expect("a devnet file");
    let before: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();

    let mut second = super::support::sesh_command();
    second
        .args(["devnet", "--nodes", "1", "--swarm-size", "1", "--dir"])
        .arg(&dir)
        .env("SESH_NODE", env!("CARGO_BIN_EXE_sesh-node"));
    let out = tokio::task::spawn_blocking(move || output_bounded(second))
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("sesh: error: ")
            && lines[0].ends_with(&format!("is in use by process {}", std::process::id())),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: "), "{err}");

    let node = &net.nodes()[0];
    let node_pid = node.pid().expect("the node runs");
    let mut second_node = std::process::Command::new(env!("CARGO_BIN_EXE_sesh-node"));
    second_node
        .arg("--dir")
        .arg(&node.dir)
        .arg("--roster")
        .arg(net.roster_file())
        .args([
            "--log",
            "-",
            "--listen",
            "127.0.0.1:0",
            "--stop-on-stdin-eof",
        ]);
    let out = tokio::task::spawn_blocking(move || output_bounded(second_node))
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(out.stdout.is_empty(), "{err}");
    assert!(
        err.lines()
            .next()
            .is_some_and(|l| l.starts_with("sesh-node: error: ")
                && l.ends_with(&format!("is in use by process {node_pid}"))),
        "{err}"
    );

    let after: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    assert!(before == after, "a devnet file changed");
    net.shutdown().await;

    // Stopped, the directory is a devnet's to start again.
    let opts = Options {
        dir: dir.clone(),
        nodes: 1,
        swarm_size: 1,
        node_bin: PathBuf::from(env!("CARGO_BIN_EXE_sesh-node")),
        clock_offset_ms: 0,
    };
    let again = tokio::time::timeout(Duration::from_secs(60), Devnet::start(opts))
        .await
        .expect("the devnet starts within a minute")
        .expect("a stopped devnet's directory is used again");
    again.shutdown().await;
}
