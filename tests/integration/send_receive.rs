//! `sesh send` and `sesh receive` on a devnet (issue 5): every storage request travels as a
//! 3-hop onion request; messages arrive once, in order, across runs, node failures, a moved
//! swarm and a skewed clock.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use sesh::client::state::State;
use sesh::clock::{Clock, SystemClock};
use sesh::devnet::Devnet;
use sesh::message::{self, Outgoing};
use sesh::node::peer::Peer;
use sesh::node::roster::Roster;
use sesh::swarm::Snode;

use super::devnet::{devnet, devnet_with};

/// A user of the CLI: a key file and a state directory, on one devnet.
struct User {
    key: PathBuf,
    state: PathBuf,
    network: PathBuf,
    id: String,
}

impl User {
    fn new(dir: &Path, name: &str, net: &Devnet) -> Self {
        let (key, id) = super::support::keygen(dir, name);
        let state = dir.join(format!("{name}-state"));
        Self {
            key,
            state,
            network: net.network_file(),
            id,
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = super::support::sesh_command();
        c.args(args)
            .arg("-i")
            .arg(&self.key)
            .env("SESH_NETWORK", &self.network)
            .env("SESH_STATE_DIR", &self.state)
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        run_bounded(self.cmd(args))
    }

    fn send(&self, to: &[&Self], text: &str) -> Vec<Value> {
        self.send_with(&[], to, text)
    }

    fn send_with(&self, extra: &[&str], to: &[&Self], text: &str) -> Vec<Value> {
        let mut args = vec!["send", "--json", "-m", text];
        args.extend_from_slice(extra);
        args.extend(to.iter().map(|u| u.id.as_str()));
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "send failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out)
    }

    fn receive(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["receive", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "receive failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out)
    }

    fn state_dir(&self) -> PathBuf {
        self.state.join("devnet")
    }
}

/// Runs a command, killing it if it takes more than two minutes.
fn run_bounded(mut cmd: Command) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

fn texts(msgs: &[Value]) -> Vec<&str> {
    msgs.iter()
        .map(|m| m["text"].as_str().expect("a text"))
        .collect()
}

/// Every store and retrieve that reached a node came from another node (an exit hop or a
/// swarm member), never straight from the client at 127.0.0.1.
fn assert_only_onion_storage_requests(net: &Devnet) {
    let mut seen = 0;
    for n in net.nodes() {
        let log = std::fs::read_to_string(n.log_file()).unwrap_or_default();
        for line in log
            .lines()
            .filter(|l| l.contains("storage_rpc store ") || l.contains("storage_rpc retrieve "))
        {
            seen += 1;
            assert!(
                line.contains("via=onion") || line.contains("via=swarm"),
                "a storage request did not come through an onion path: {line}"
            );
            assert!(
                !line.contains("peer=127.0.0.1"),
                "from the client's address: {line}"
            );
        }
    }
    assert!(seen > 0, "no storage requests logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_travel_through_onion_paths_and_arrive_once() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob, carol) = (
        User::new(d, "alice", &net),
        User::new(d, "bob", &net),
        User::new(d, "carol", &net),
    );

    let sent = alice.send(&[&bob], "hello bob");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], json!(bob.id));
    assert_eq!(sent[0]["hash"].as_str().unwrap().len(), 43);

    let got = bob.receive(&[]);
    assert_eq!(texts(&got), ["hello bob"]);
    assert_eq!(got[0]["from"], json!(alice.id));
    assert_eq!(got[0]["hash"], sent[0]["hash"]);
    assert_eq!(got[0]["timestamp"], sent[0]["timestamp"]);
    assert!(got[0]["expires_at"].as_u64().unwrap() > got[0]["timestamp"].as_u64().unwrap());
    // Once only.
    assert!(bob.receive(&[]).is_empty());

    // Several recipients, and a note to self.
    let sent = alice.send(&[&bob, &carol, &alice], "to all");
    assert_eq!(sent.len(), 3);
    assert_eq!(texts(&bob.receive(&[])), ["to all"]);
    assert_eq!(texts(&carol.receive(&[])), ["to all"]);
    let own = alice.receive(&[]);
    assert_eq!(texts(&own), ["to all"]);
    assert_eq!(own[0]["from"], json!(alice.id));

    // Text output, from standard input.
    let mut c = alice.cmd(&["send", &bob.id]);
    c.stdin(Stdio::piped());
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"df says: 42% used\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with(&format!("{} ", bob.id)), "{line}");
    let out = bob.run(&["receive"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("from {} at ", alice.id)),
        "{text}"
    );
    assert!(text.ends_with("\n  df says: 42% used\n"), "{text}");

    assert_only_onion_storage_requests(&net);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_arrive_in_order_across_runs() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let alice_id = sesh::store::read_identity(&alice.key).unwrap();
    let bob_sid: sesh::SessionId = bob.id.parse().unwrap();
    // Stored straight into the swarm, oldest first (the test is about receiving).
    let node = {
        let r = net.roster();
        r.members(r.swarm_of(&bob_sid.to_bytes()).unwrap())[0].clone()
    };
    let peer = Peer::new(Duration::from_secs(10)).unwrap();
    let t0 = SystemClock.now_ms();
    for i in 0..1000u64 {
        let data = message::seal(
            &alice_id,
            &bob_sid,
            &Outgoing::new(format!("msg {i:04}")),
            t0 + i,
            &mut rand_core::OsRng,
        )
        .unwrap();
        let body = json!({"method": "store", "params": {
            "pubkey": bob.id, "timestamp": t0 + i, "ttl": 600_000,
            "data": base64::engine::general_purpose::STANDARD.encode(&data)}});
        let (status, _) = peer
            .post(
                &format!("https://{node}"),
                "/storage_rpc/v1",
                body.to_string().into(),
            )
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    let mut all = Vec::new();
    for _ in 0..10 {
        let got = bob.receive(&["--max", "300"]);
        assert!(got.len() <= 300);
        if got.is_empty() {
            break;
        }
        all.extend(got);
    }
    let want: Vec<String> = (0..1000).map(|i| format!("msg {i:04}")).collect();
    assert_eq!(texts(&all), want);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_hops_and_swarm_members_are_routed_around() {
    let (mut net, dir) = devnet(9, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    alice.send(&[&bob], "first");
    assert_eq!(texts(&bob.receive(&[])), ["first"]);

    // Kill a relay of alice's first path that is not in bob's swarm.
    let bob_swarm: Vec<_> = {
        let r = net.roster();
        let sid: sesh::SessionId = bob.id.parse().unwrap();
        r.members(r.swarm_of(&sid.to_bytes()).unwrap())
            .into_iter()
            .map(|n| n.ed25519)
            .collect()
    };
    let paths = State::open(&alice.state_dir()).unwrap().paths().unwrap();
    assert!(!paths.is_empty(), "alice's paths are persisted");
    // Two paths of three distinct nodes hold six of the nine: at least three are outside
    // bob's swarm of three.
    let victim = paths
        .iter()
        .flat_map(|p| p.path.hops().iter().map(|h| h.ed25519).collect::<Vec<_>>())
        .find(|k| !bob_swarm.contains(k))
        .expect("a hop outside bob's swarm");
    let idx = net
        .nodes()
        .iter()
        .position(|n| n.ed25519 == victim)
        .unwrap();
    net.kill(idx).await;
    alice.send(&[&bob], "second");
    alice.send(&[&bob], "third");
    assert_eq!(texts(&bob.receive(&[])), ["second", "third"]);

    // Kill one member of bob's swarm: the others still take and serve messages.
    let idx = net
        .nodes()
        .iter()
        .position(|n| n.ed25519 == bob_swarm[0])
        .unwrap();
    net.kill(idx).await;
    alice.send(&[&bob], "fourth");
    assert_eq!(texts(&bob.receive(&[])), ["fourth"]);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_swarm_is_followed_after_a_421() {
    // Eight nodes, so that the clients keep their cached pool (MIN_POOL_SIZE): a smaller one is
    // refetched by every run, and the swarm it implies is already the new one (issue 9: the
    // pool's swarm ids decide, no swarm cache is consulted then).
    let (mut net, dir) = devnet(8, 4).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    alice.send(&[&bob], "before");
    assert_eq!(texts(&bob.receive(&[])), ["before"]);

    // Swap the two swarms' members: bob's swarm id is the same, its nodes are not, and both
    // clients have the old members cached.
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
    net.set_roster(Roster::new(moved, 2)).unwrap();

    alice.send(&[&bob], "after");
    assert_eq!(texts(&bob.receive(&[])), ["after"]);
    let wrong_swarm = net.nodes().iter().any(|n| {
        std::fs::read_to_string(n.log_file())
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains("storage_rpc store 421") || l.contains("storage_rpc retrieve 421"))
    });
    assert!(wrong_swarm, "no node answered 421");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_network_clock_is_learned() {
    // Every node's clock is two minutes behind ours.
    let (net, dir) = devnet_with(6, 3, -120_000).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    // Alice's state says her clock is in sync (the nodes' clocks moved since she learned it):
    // her first store is refused (406), and the same payload is stored again with a
    // corrected store timestamp.
    // (`sesh nodes` first: a state that belongs to no network yet starts from scratch.)
    let mut nodes = super::support::sesh_command();
    nodes
        .arg("nodes")
        .env("SESH_NETWORK", &alice.network)
        .env("SESH_STATE_DIR", &alice.state)
        .stdin(Stdio::null());
    let out = run_bounded(nodes);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    State::open(&alice.state_dir())
        .unwrap()
        .save_clock_offset_ms(0)
        .unwrap();
    alice.send(&[&bob], "in sync");
    assert_eq!(texts(&bob.receive(&[])), ["in sync"]);
    let offset = State::open(&bob.state_dir())
        .unwrap()
        .clock_offset_ms()
        .unwrap();
    let offset = offset.expect("the offset is saved");
    assert!((-125_000..=-115_000).contains(&offset), "offset {offset}");
    let refused = net.nodes().iter().any(|n| {
        std::fs::read_to_string(n.log_file())
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains(" 406 "))
    });
    assert!(refused, "no node answered 406");

    // A sender with a fresh state learns the network time before sealing (issue 9): the time
    // inside the message is the network's, not its own skewed clock's.
    let carol = User::new(d, "carol", &net);
    carol.send(&[&bob], "sealed in network time");
    let got = bob.receive(&[]);
    assert_eq!(texts(&got), ["sealed in network time"]);
    let stamped = got[0]["timestamp"].as_u64().expect("a timestamp");
    let local = sesh::clock::Clock::now_ms(&sesh::clock::SystemClock);
    let skew = i128::from(stamped) - i128::from(local);
    assert!(
        (-180_000..=-60_000).contains(&skew),
        "sealed {skew} ms from local time, not in network time"
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receive_that_cannot_write_delivers_again_and_runs_are_exclusive() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    alice.send(&[&bob], "do not lose me");

    // Standard output closed before anything is written: fetched, but not delivered.
    let mut c = bob.cmd(&["receive"]);
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "a closed stdout ends receive quietly: {status:?}"
    );
    assert_eq!(texts(&bob.receive(&[])), ["do not lose me"]);
    assert!(bob.receive(&[]).is_empty());

    // A second receive while one holds the lock is refused, and says why.
    let state = State::open(&bob.state_dir()).unwrap();
    let _held = state.lock_receive(&bob.id.parse().unwrap()).unwrap();
    let out = bob.run(&["receive"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("sesh: error: "), "{err}");
    assert!(err.contains("receive"), "{err}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn some_recipients_failing_is_exit_4_and_no_network_is_exit_3() {
    let (mut net, dir) = devnet(12, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    // Two recipients in different swarms; then one swarm dies entirely.
    let sids = net.roster().pool().swarm_ids();
    let mut users = Vec::new();
    for i in 0..40 {
        let u = User::new(d, &format!("u{i}"), &net);
        let sid: sesh::SessionId = u.id.parse().unwrap();
        users.push((net.roster().swarm_of(&sid.to_bytes()).unwrap(), u));
    }
    let in_a = users
        .iter()
        .find(|(s, _)| *s == sids[0])
        .map(|(_, u)| u)
        .unwrap();
    let in_b = users
        .iter()
        .find(|(s, _)| *s == sids[1])
        .map(|(_, u)| u)
        .unwrap();
    let dead: Vec<usize> = net
        .roster()
        .members(sids[0])
        .iter()
        .map(|m| {
            net.nodes()
                .iter()
                .position(|n| n.ed25519 == m.ed25519)
                .unwrap()
        })
        .collect();
    // Paths and the pool are learned first, while every node is up.
    alice.send(&[in_b], "warm up");
    for i in dead {
        net.kill(i).await;
    }
    let out = alice.run(&["send", "-m", "partial", &in_a.id, &in_b.id]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with(&in_b.id), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sesh: error: sending to"), "{stderr}");
    assert!(stderr.contains("1 of 2 recipients failed"), "{stderr}");

    // The whole network gone: a temporary failure, exit 3.
    net.shutdown().await;
    let out = alice.run(&["send", "-m", "nobody home", &in_b.id]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_prints_new_messages_and_stops_cleanly() {
    use std::io::BufRead as _;
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let mut c = bob.cmd(&["receive", "--follow", "--json", "--interval", "200ms"]);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    alice.send(&[&bob], "one");
    alice.send(&[&bob], "two");
    let mut got = Vec::new();
    while got.len() < 2 {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a message within a minute")
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        got.push(v["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, ["one", "two"]);
    assert!(sesh::devnet::sigterm(child.id()), "SIGTERM was sent");
    let (tx2, rx2) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx2.send(child.wait());
    });
    let status = rx2
        .recv_timeout(Duration::from_secs(30))
        .expect("receive --follow stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    // Nothing is delivered twice after the restart.
    assert!(bob.receive(&[]).is_empty());
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_missed_a_copy_does_not_hide_it() {
    // Members may hold different lists: one cursor per member, or a message is skipped.
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let alice_id = sesh::store::read_identity(&alice.key).unwrap();
    let bob_sid: sesh::SessionId = bob.id.parse().unwrap();
    let members: Vec<Snode> = {
        let r = net.roster();
        r.members(r.swarm_of(&bob_sid.to_bytes()).unwrap())
            .into_iter()
            .cloned()
            .collect()
    };
    let peer = Peer::new(Duration::from_secs(10)).unwrap();
    let t0 = SystemClock.now_ms();
    // "only-here" goes to one member only, as a forwarded copy (the other members never
    // hear of it), then three ordinary messages follow.
    let store = |text: &str, ts: u64| {
        let data = message::seal(
            &alice_id,
            &bob_sid,
            &Outgoing::new(text),
            ts,
            &mut rand_core::OsRng,
        )
        .unwrap();
        json!({"method": "store", "params": {"pubkey": bob.id, "timestamp": ts, "ttl": 600_000,
               "data": base64::engine::general_purpose::STANDARD.encode(&data)}})
        .to_string()
    };
    let lone = members[0].clone();
    let body = store("only-here", t0);
    let sender = net
        .nodes()
        .iter()
        .find(|n| n.ed25519 == members[1].ed25519)
        .unwrap();
    let key = sesh::store::read_identity(&sender.dir.join("identity")).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(body.as_bytes()));
    // A member's copy comes from the member's own address.
    let from = Peer::bound(Duration::from_secs(10), Some(sender.addr.ip())).unwrap();
    let r = from
        .request(
            "POST",
            &format!("https://{lone}"),
            "/storage_rpc/v1",
            &[
                ("x-sesh-forwarded-by", &key.ed25519_pub().to_hex()),
                ("x-sesh-forward-signature", &sig),
            ],
            body.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for (i, text) in ["a", "b", "c"].iter().enumerate() {
        let (status, _) = peer
            .post(
                &format!("https://{}", members[1]),
                "/storage_rpc/v1",
                store(text, t0 + 1 + i as u64).into(),
            )
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    // Enough receives that every member is asked at least once (each run asks one of the
    // three at random: all 30 missing the lone one has odds of 5 in a million): whatever the
    // order, everything arrives exactly once.
    let mut all = Vec::new();
    for _ in 0..30 {
        all.extend(bob.receive(&[]));
    }
    let mut got: Vec<&str> = texts(&all);
    got.sort_unstable();
    assert_eq!(got, ["a", "b", "c", "only-here"]);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_stops_when_nobody_reads_its_output() {
    let (net, dir) = devnet(6, 3).await;
    let bob = User::new(dir.path(), "bob", &net);
    let mut c = bob.cmd(&["receive", "--follow", "--interval", "200ms"]);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("receive --follow stops once its reader is gone")
        .unwrap();
    assert!(status.success(), "{status:?}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_half_the_network_down_paths_avoid_the_dead_and_sends_work() {
    // Issue 9 ("half the network down"): one whole swarm dead, 5 of 10 nodes. Sends to the
    // healthy swarm go through, and `sesh path new` builds paths only through nodes that
    // answer (fewer paths when the live nodes cannot make two).
    let (mut net, dir) = devnet(10, 5).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    alice.send(&[&bob], "before");
    let bob_swarm: Vec<_> = {
        let r = net.roster();
        let sid: sesh::SessionId = bob.id.parse().unwrap();
        r.members(r.swarm_of(&sid.to_bytes()).unwrap())
            .into_iter()
            .map(|n| n.ed25519)
            .collect()
    };
    let dead: Vec<_> = net
        .nodes()
        .iter()
        .map(|n| n.ed25519)
        .filter(|k| !bob_swarm.contains(k))
        .collect();
    for k in &dead {
        let idx = net.nodes().iter().position(|n| n.ed25519 == *k).unwrap();
        net.kill(idx).await;
    }
    // Alice's own swarm is among the dead: no copy for her other devices can be stored
    // (issue 12; that would be exit 4), so none is asked for.
    for i in 0..5 {
        alice.send_with(&["--no-sync"], &[&bob], &format!("during {i}"));
    }
    let mut cmd = super::support::sesh_command();
    cmd.args(["path", "new"])
        .env("SESH_NETWORK", &alice.network)
        .env("SESH_STATE_DIR", &alice.state)
        .stdin(Stdio::null());
    let out = run_bounded(cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paths = State::open(&alice.state_dir()).unwrap().paths().unwrap();
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(p.path.hops().iter().all(|h| !dead.contains(&h.ed25519)));
    }
    let got = bob.receive(&[]);
    assert_eq!(
        texts(&got),
        [
            "before", "during 0", "during 1", "during 2", "during 3", "during 4"
        ]
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_timings_name_the_steps_and_nothing_secret() {
    let (net, dir) = devnet(10, 5).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let text = "timing-secret-text";
    let timed = |on: &str| {
        let mut cmd = alice.cmd(&["send", "-m", text, &bob.id]);
        cmd.env("SESH_TIMINGS", on);
        let out = run_bounded(cmd);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    // Without SESH_TIMINGS=1, nothing on standard error.
    assert_eq!(timed("0"), "");
    let stderr = timed("1");
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("sesh: timings: "))
        .unwrap_or_else(|| panic!("no timings line: {stderr}"));
    let names: Vec<&str> = line
        .split(", ")
        .map(|step| step.rsplitn(3, ' ').nth(2).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "arguments",
            "identity and text",
            "size check",
            "network file",
            "transport",
            "state open",
            "profile",
            "runtime",
            "pool and paths",
            "clock and seal",
            "store (network)",
            "sync copy seal",
            "sync copy store (network)",
            "output",
            "shutdown",
            "total"
        ]
    );
    for secret in [text, bob.id.as_str(), alice.id.as_str(), "127.0."] {
        assert!(!stderr.contains(secret), "{stderr}");
    }
    net.shutdown().await;
}
