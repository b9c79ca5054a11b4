//! Issue 9, item 3: a devnet node that lies on purpose (`SESH_NODE_MISBEHAVE`, see
//! `sesh::node::hostile`), and for each lie, proof that sesh stays correct.
//!
//! A test starts a devnet, lets the client build its paths, then restarts one node (same
//! directory, keys and address, so it stays in the roster) as a liar. Where a lie only
//! reaches the client some of the time (paths and swarm members are picked at random), the
//! test repeats the command until the liar's log shows the lie was told, and asserts on what
//! the client did, not on timing.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use sesh::clock::{Clock, SystemClock};
use sesh::devnet::Devnet;
use sesh::message::{self, Outgoing};
use sesh::node::peer::Peer;

use super::devnet::devnet;

/// Any one sesh command may take this long; more is a hang. The client's own worst case is
/// three onion attempts of 20 s each, all through one silent guard.
const COMMAND_LIMIT: Duration = Duration::from_secs(75);

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
        Self {
            key,
            state: dir.join(format!("{name}-state")),
            network: net.network_file(),
            id,
        }
    }

    /// Runs `sesh args…` as this user; panics if it does not finish within
    /// [`COMMAND_LIMIT`], or if it panicked (whatever its exit status).
    fn run(&self, args: &[&str]) -> Output {
        let out = self.run_unchecked(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code().is_some_and(|c| c != 101) && !err.contains("panicked"),
            "sesh {args:?} crashed ({:?}): {err}",
            out.status
        );
        out
    }

    fn run_unchecked(&self, args: &[&str]) -> Output {
        let mut c = super::support::sesh_command();
        c.args(args)
            .env("SESH_NETWORK", &self.network)
            .env("SESH_STATE_DIR", &self.state)
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        super::support::output_within(&mut c, None, COMMAND_LIMIT)
    }

    /// Runs with `--json`; expects success; parses the lines.
    fn json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "sesh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out)
    }

    /// Sends `text` to `to`; the whole output.
    /// Sends without the copy for the sender's other devices (issue 12): that copy is a
    /// second store, to alice's own swarm, on paths and members these tests do not arrange
    /// (a liar that is a member of alice's swarm would take it and count it as sunk); they
    /// are about the message to `to`.
    fn send(&self, to: &Self, text: &str) -> Output {
        let key = self.key.to_str().expect("a UTF-8 path");
        self.run(&["send", "--json", "--no-sync", "-i", key, "-m", text, &to.id])
    }

    /// Receives once; the texts printed.
    fn receive(&self) -> Vec<String> {
        let key = self.key.to_str().expect("a UTF-8 path");
        texts(&self.json(&["receive", "-i", key]))
    }

    /// The onion paths, as key lists (guard first).
    fn paths(&self) -> Vec<Vec<String>> {
        self.json(&["path"])
            .iter()
            .map(|p| {
                p["hops"]
                    .as_array()
                    .expect("hops")
                    .iter()
                    .map(|h| h["pubkey_ed25519"].as_str().expect("a key").to_owned())
                    .collect()
            })
            .collect()
    }

    /// The Ed25519 keys of the nodes sesh routes through: `sesh nodes` lists dropped nodes
    /// too, marked `"routed": false`, and those are left out.
    fn pool(&self) -> BTreeSet<String> {
        self.json(&["nodes"])
            .iter()
            .filter(|n| n["routed"].as_bool().expect("a routed flag"))
            .map(|n| n["pubkey_ed25519"].as_str().expect("a key").to_owned())
            .collect()
    }

    fn account(&self) -> [u8; 33] {
        let sid: sesh::SessionId = self.id.parse().expect("a Session ID");
        sid.to_bytes()
    }
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

fn texts(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["text"].as_str().expect("a text").to_owned())
        .collect()
}

/// `1f000f09…1fef`, as sesh names a node in errors.
fn short(hex: &str) -> String {
    format!("{}…{}", &hex[..8], &hex[hex.len() - 4..])
}

/// The members of `user`'s swarm, by the devnet's roster.
fn swarm_of(net: &Devnet, user: &User) -> Vec<String> {
    let r = net.roster();
    r.members(r.swarm_of(&user.account()).expect("a swarm"))
        .iter()
        .map(|n| n.ed25519.to_hex())
        .collect()
}

fn index_of(net: &Devnet, key: &str) -> usize {
    net.nodes()
        .iter()
        .position(|n| n.ed25519.to_hex() == key)
        .expect("a devnet node")
}

/// A devnet node restarted as a liar. Dropping it stops it.
struct Liar {
    log: PathBuf,
    child: Child,
    _stdin: ChildStdin,
}

impl Liar {
    /// Restarts node `i` of `net` (same directory, keys and address) lying as `mode`.
    async fn start(net: &mut Devnet, i: usize, mode: &str) -> Self {
        Self::start_with(net, i, mode, None).await
    }

    /// The same, telling its lies as a hop only `times` times (then forwarding honestly).
    async fn start_with(net: &mut Devnet, i: usize, mode: &str, times: Option<u64>) -> Self {
        net.kill(i).await;
        let n = &net.nodes()[i];
        let (dir, addr) = (n.dir.clone(), n.addr);
        let log = n.log_file();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sesh-node"))
            .arg("--dir")
            .arg(&dir)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--roster")
            .arg(net.roster_file())
            .arg("--log")
            .arg(&log)
            .arg("--stop-on-stdin-eof")
            .env("SESH_NODE_MISBEHAVE", mode)
            .env(
                "SESH_NODE_MISBEHAVE_TIMES",
                times.map(|t| t.to_string()).unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sesh-node runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the liar prints its address");
        assert!(
            matches!(first, Some(Ok(ref l)) if l == &addr.to_string()),
            "the liar listens on its old address: {first:?}"
        );
        // Ready when it answers a storage request (it has read the roster).
        let peer = Peer::new(Duration::from_secs(5)).expect("an HTTPS client");
        let body =
            json!({"method": "get_swarm", "params": {"pubkey": format!("05{}", "00".repeat(32))}})
                .to_string();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let r = peer
                .post(
                    &format!("https://{addr}"),
                    "/storage_rpc/v1",
                    body.clone().into(),
                )
                .await;
            if matches!(r, Ok((200, _))) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the liar does not answer: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            log,
            child,
            _stdin: stdin,
        }
    }

    /// The lies told so far (lines of its log).
    fn lies(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("misbehave "))
            .map(str::to_owned)
            .collect()
    }

    fn told(&self) -> usize {
        self.lies().len()
    }
}

impl Drop for Liar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Alice and Bob with paths built, Bob's swarm sharing no node with one of Alice's paths
/// (so that path can carry a request to any member of Bob's swarm) and Bob's paths not
/// passing through that path's guard (so a lying guard meets only Alice). Returns that path.
fn alice_bob_and_a_path(net: &Devnet, dir: &Path) -> (User, User, Vec<String>) {
    let alice = User::new(dir, "alice", net);
    let paths = alice.paths();
    assert_eq!(paths.len(), 2, "two paths: {paths:?}");
    for i in 0..40 {
        let bob = User::new(dir, &format!("bob{i}"), net);
        let swarm = swarm_of(net, &bob);
        let fits = |p: &&Vec<String>| p.iter().all(|h| !swarm.contains(h));
        if !paths.iter().any(|p| fits(&p)) {
            continue;
        }
        let bobs: Vec<String> = bob.paths().into_iter().flatten().collect();
        if let Some(p) = paths.iter().filter(fits).find(|p| !bobs.contains(&p[0])) {
            let p = p.clone();
            return (alice, bob, p);
        }
    }
    panic!("no user's swarm and paths avoid a path of alice's in 40 tries");
}

/// Sends distinct messages from `alice` to `bob` until `liar` has lied `lies` times (at most
/// `max` sends). Every send must succeed. Returns the texts sent.
fn send_until_lied(
    alice: &User,
    bob: &User,
    liar: &Liar,
    lies: usize,
    max: usize,
    tag: &str,
) -> Vec<String> {
    let mut sent = Vec::new();
    for i in 0..max {
        if liar.told() >= lies {
            break;
        }
        let text = format!("{tag} {i}");
        let out = alice.send(bob, &text);
        assert!(
            out.status.success(),
            "send {i} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        sent.push(text);
    }
    assert!(
        liar.told() >= lies,
        "the lie was never told in {max} sends: the test proved nothing"
    );
    sent
}

/// Receives until every text of `want` arrived (at most `runs` runs); asserts none arrives
/// twice and nothing else arrives.
fn receive_exactly(bob: &User, want: &[String], runs: usize) {
    let mut got: Vec<String> = Vec::new();
    for _ in 0..runs {
        got.extend(bob.receive());
        if want.iter().all(|w| got.contains(w)) {
            break;
        }
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    for g in &got {
        *count.entry(g.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "printed more than once: {twice:?}");
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.to_vec();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "what bob received");
}

// ---- forged "next node" errors ---------------------------------------------------------------

/// A guard that says a node which is not on the path cannot be found changes nothing.
async fn forged_error_about_a_node_off_the_path(mode: &str) {
    let (mut net, dir) = devnet(12, 3).await;
    let (alice, bob, path) = alice_bob_and_a_path(&net, dir.path());
    let paths = alice.paths();
    let swarm = swarm_of(&net, &bob);
    let on_paths: BTreeSet<&String> = paths.iter().flatten().collect();
    let victim = net
        .nodes()
        .iter()
        .map(|n| n.ed25519.to_hex())
        .find(|k| !on_paths.contains(k) && !swarm.contains(k))
        .expect("a node on no path and outside bob's swarm");
    let pool = alice.pool();
    assert!(pool.contains(&victim));

    let guard = index_of(&net, &path[0]);
    // One lie: what one lie changes is the question (a guard that lies on every request
    // would rightly get its path dropped).
    let liar = Liar::start_with(&mut net, guard, &format!("{mode}={victim}"), Some(1)).await;
    let sent = send_until_lied(&alice, &bob, &liar, 1, 20, "off path");

    assert_eq!(alice.pool(), pool, "the pool changed after a forged {mode}");
    assert_eq!(
        alice.paths(),
        paths,
        "the paths changed after a forged {mode}"
    );
    receive_exactly(&bob, &sent, 3);
    drop(liar);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_not_found_about_a_node_off_the_path_changes_nothing() {
    forged_error_about_a_node_off_the_path("not-found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_unreachable_about_a_node_off_the_path_changes_nothing() {
    forged_error_about_a_node_off_the_path("unreachable").await;
}

/// A guard that says the next hop of the path cannot be found: one lie strikes that hop, it
/// does not drop it, and nothing else changes.
async fn forged_error_about_a_hop(mode: &str) {
    let (mut net, dir) = devnet(12, 3).await;
    let (alice, bob, path) = alice_bob_and_a_path(&net, dir.path());
    let paths = alice.paths();
    let pool = alice.pool();
    let guard = index_of(&net, &path[0]);
    let liar = Liar::start_with(&mut net, guard, mode, Some(1)).await;
    let sent = send_until_lied(&alice, &bob, &liar, 1, 20, "hop");
    let named = &path[1];
    assert!(
        liar.lies()[0].contains(named.as_str()),
        "the lie names the next hop: {:?}",
        liar.lies()
    );

    let after = alice.pool();
    assert!(
        after.contains(named),
        "one forged {mode} dropped hop {} from the pool",
        short(named)
    );
    assert_eq!(after, pool, "the pool changed after one forged {mode}");
    let other: Vec<_> = paths.iter().filter(|p| **p != path).collect();
    let now = alice.paths();
    for p in other {
        assert!(
            now.contains(p),
            "the other path changed: {now:?} was {paths:?}"
        );
    }
    receive_exactly(&bob, &sent, 3);
    drop(liar);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_not_found_about_a_hop_only_strikes_that_hop() {
    forged_error_about_a_hop("not-found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_unreachable_about_a_hop_only_strikes_that_hop() {
    forged_error_about_a_hop("unreachable").await;
}

// ---- forged swarms -----------------------------------------------------------------------------

/// A guard that answers a plaintext 421 naming itself and made-up nodes as the swarm: sesh
/// never stores to them, and every message reaches the real swarm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_421_never_sends_messages_to_the_attackers_nodes() {
    let (mut net, dir) = devnet(12, 3).await;
    let (alice, bob, path) = alice_bob_and_a_path(&net, dir.path());
    let guard = index_of(&net, &path[0]);
    // One forged 421 (then the liar forwards honestly, but still takes and drops every
    // store sent to it as a member of the forged swarm).
    let liar = Liar::start_with(&mut net, guard, "forged-421", Some(1)).await;
    let mut sent = send_until_lied(&alice, &bob, &liar, 1, 20, "after 421");
    // The forged swarm would be cached by now: later sends must not use it either.
    for i in 0..3 {
        let text = format!("later {i}");
        let out = alice.send(&bob, &text);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sent.push(text);
    }
    let sunk: Vec<_> = liar
        .lies()
        .into_iter()
        .filter(|l| l.contains("store taken and dropped"))
        .collect();
    assert!(sunk.is_empty(), "stores went to the attacker: {sunk:?}");
    receive_exactly(&bob, &sent, 3);
    drop(liar);
    net.shutdown().await;
}

/// A node that answers get_swarm with itself and made-up nodes: the swarm sesh shows and
/// uses is the one the pool implies, and the message is received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_nodes_swarm_list_is_checked_against_the_pool() {
    let (mut net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let swarm: BTreeSet<String> = swarm_of(&net, &bob).into_iter().collect();
    let swarm_addrs: BTreeSet<String> = {
        let r = net.roster();
        r.members(r.swarm_of(&bob.account()).expect("a swarm"))
            .iter()
            .map(|n| format!("{} {}:{}", n.ed25519.to_hex(), n.ip, n.port))
            .collect()
    };
    let outsider = net
        .nodes()
        .iter()
        .map(|n| n.ed25519.to_hex())
        .find(|k| !swarm.contains(k))
        .expect("a node outside bob's swarm");
    alice.paths();
    let i = index_of(&net, &outsider);
    let liar = Liar::start(&mut net, i, "swarm-lie").await;
    // `sesh swarm` asks a node of the pool; repeat until the liar was asked (1 in 6 each).
    for _ in 0..40 {
        let out = alice.run(&["swarm", "--json", "--reveal", &bob.id]);
        if out.status.success() {
            let rows = lines(&out);
            // A present field, as text (a port is a number).
            let field = |m: &Value, name: &str| {
                let v = m.get(name).unwrap_or_else(|| panic!("no {name} in {m}"));
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            };
            let members: BTreeSet<String> = rows[0]["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| {
                    format!(
                        "{} {}:{}",
                        field(m, "pubkey_ed25519"),
                        field(m, "public_ip"),
                        field(m, "storage_port")
                    )
                })
                .collect();
            assert_eq!(
                members, swarm_addrs,
                "sesh swarm shows a swarm, or addresses, the pool does not imply"
            );
        } else {
            assert_eq!(
                out.status.code(),
                Some(3),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if liar.told() > 0 {
            break;
        }
    }
    assert!(liar.told() > 0, "the liar was never asked for the swarm");
    let mut sent = Vec::new();
    for i in 0..3 {
        let text = format!("to the real swarm {i}");
        let out = alice.send(&bob, &text);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sent.push(text);
    }
    let sunk: Vec<_> = liar
        .lies()
        .into_iter()
        .filter(|l| l.contains("store taken and dropped"))
        .collect();
    assert!(sunk.is_empty(), "stores went to the attacker: {sunk:?}");
    receive_exactly(&bob, &sent, 3);
    drop(liar);
    net.shutdown().await;
}

// ---- store ---------------------------------------------------------------------------------------

/// A member that answers a store 200 with a wrong hash and drops the message: that counts as
/// its failure, the send goes on to another member, and the message is received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_store_hash_fails_that_member_and_the_send_goes_on() {
    let (mut net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    alice.paths();
    let member = index_of(&net, &swarm_of(&net, &bob)[0]);
    let liar = Liar::start(&mut net, member, "store-wrong-hash").await;
    // Each send picks one of three members: at most 30 sends until the liar is picked.
    let sent = send_until_lied(&alice, &bob, &liar, 1, 30, "stored");
    receive_exactly(&bob, &sent, 5);
    drop(liar);
    net.shutdown().await;
}

// ---- receive -----------------------------------------------------------------------------------

/// Bob's swarm with one member lying as `mode`, three messages stored honestly, and Bob
/// receiving until the liar lied `lies` times: each message is printed exactly once.
async fn receive_from_a_liar(mode: &str, lies: usize) {
    let (mut net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    alice.paths();
    let member = index_of(&net, &swarm_of(&net, &bob)[0]);
    let liar = Liar::start(&mut net, member, mode).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        let text = format!("once {i}");
        let out = alice.send(&bob, &text);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sent.push(text);
    }
    let mut got = Vec::new();
    // Each receive asks one member of three: at most 40 runs until the liar lied enough.
    for _ in 0..40 {
        got.extend(bob.receive());
        if liar.told() >= lies {
            break;
        }
    }
    assert!(liar.told() >= lies, "the liar was never asked");
    // And a few more, from whichever members.
    for _ in 0..3 {
        got.extend(bob.receive());
    }
    got.sort();
    assert_eq!(got, sent, "each message printed exactly once ({mode})");
    drop(liar);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_deduplicates_by_the_hash_it_computes() {
    receive_from_a_liar("retrieve-duplicates", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_re_serving_old_messages_cannot_print_one_twice() {
    receive_from_a_liar("retrieve-replay", 2).await;
}

/// A member that serves messages stamped 20 days ago and 2 days ahead: neither is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_stamped_outside_the_window_are_rejected() {
    let (mut net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    alice.paths();
    let member = index_of(&net, &swarm_of(&net, &bob)[0]);
    let liar = Liar::start(&mut net, member, "retrieve-stale").await;
    let out = alice.send(&bob, "fresh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = Vec::new();
    for _ in 0..40 {
        got.extend(bob.receive());
        if liar.told() > 0 {
            break;
        }
    }
    assert!(liar.told() > 0, "the liar was never asked");
    got.extend(bob.receive());
    assert_eq!(got, ["fresh"], "only the fresh message is printed");
    drop(liar);
    net.shutdown().await;
}

/// Members at different positions (each missing copies the others hold): `receive` then
/// `receive --follow` print every message exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_then_follow_with_members_at_different_positions_prints_each_once() {
    members_at_different_positions(None).await;
}

/// The same, with the member that holds most re-serving everything under new hashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_then_follow_with_a_replaying_member_prints_each_once() {
    members_at_different_positions(Some("retrieve-replay")).await;
}

async fn members_at_different_positions(mode: Option<&str>) {
    let (mut net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let alice_id = sesh::store::read_identity(&alice.key).expect("alice's key");
    let bob_sid: sesh::SessionId = bob.id.parse().expect("a Session ID");
    let members = swarm_of(&net, &bob);
    let peer = Peer::new(Duration::from_secs(10)).expect("an HTTPS client");
    let t0 = SystemClock.now_ms();
    let store = |text: &str, ts: u64| {
        let data = message::seal(
            &alice_id,
            &bob_sid,
            &Outgoing::new(text),
            ts,
            &mut rand_core::OsRng,
        )
        .expect("sealed");
        json!({"method": "store", "params": {"pubkey": bob.id, "timestamp": ts, "ttl": 600_000,
               "data": base64::engine::general_purpose::STANDARD.encode(&data)}})
        .to_string()
    };
    // Copies only one member holds: forwarded as if by another member, so it keeps them.
    let lone_copy = |text: &str, ts: u64, at: usize, by: usize| {
        let body = store(text, ts);
        let at = net.nodes()[index_of(&net, &members[at])].addr;
        let by = &net.nodes()[index_of(&net, &members[by])];
        let key = sesh::store::read_identity(&by.dir.join("identity")).expect("a node key");
        let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(body.as_bytes()));
        // A member's copy comes from the member's own address.
        let from = Peer::bound(Duration::from_secs(10), Some(by.addr.ip())).expect("a client");
        async move {
            let r = from
                .request(
                    "POST",
                    &format!("https://{at}"),
                    "/storage_rpc/v1",
                    &[
                        ("x-sesh-forwarded-by", &key.ed25519_pub().to_hex()),
                        ("x-sesh-forward-signature", &sig),
                    ],
                    body.into(),
                )
                .await
                .expect("a forwarded copy");
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        }
    };
    lone_copy("only at 0", t0, 0, 1).await;
    lone_copy("only at 1", t0 + 1, 1, 2).await;
    let mut want = vec!["only at 0".to_owned(), "only at 1".to_owned()];
    for (i, text) in ["a", "b", "c"].iter().enumerate() {
        let at = net.nodes()[index_of(&net, &members[2])].addr;
        let (status, _) = peer
            .post(
                &format!("https://{at}"),
                "/storage_rpc/v1",
                store(text, t0 + 2 + i as u64).into(),
            )
            .await
            .expect("stored");
        assert_eq!(status, 200);
        want.push((*text).to_owned());
    }
    lone_copy("late at 2", t0 + 10, 2, 0).await;
    want.push("late at 2".to_owned());
    // Member 2 may now lie (e.g. re-serve everything it holds under new hashes).
    let liar = match mode {
        Some(mode) => {
            let i = index_of(&net, &members[2]);
            Some(Liar::start(&mut net, i, mode).await)
        }
        None => None,
    };

    let mut got = bob.receive();
    let out = bob.run(&[
        "receive",
        "-i",
        bob.key.to_str().expect("a UTF-8 path"),
        "--follow",
        "--json",
        "--interval",
        "200ms",
        "--timeout",
        "8s",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    got.extend(texts(&lines(&out)));
    got.extend(bob.receive());
    let mut seen = BTreeSet::new();
    let twice: Vec<&String> = got.iter().filter(|t| !seen.insert(*t)).collect();
    assert!(twice.is_empty(), "printed twice: {twice:?} (all: {got:?})");
    if let Some(liar) = &liar {
        assert!(liar.told() > 0, "the lying member was never asked");
    }
    let mut got = got.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    drop(liar);
    net.shutdown().await;
}

// ---- answers that are too big, too slow, absent or garbage -------------------------------------

/// The guard of one of Alice's paths answers onion requests as `mode`: `sesh path test`
/// ends in bounded time naming the guard by its short key, and sends either fall back to the
/// other path or fail with exit status 3 naming it; nothing hangs or crashes.
async fn a_bad_guard(mode: &str) {
    let (mut net, dir) = devnet(12, 3).await;
    let (alice, bob, path) = alice_bob_and_a_path(&net, dir.path());
    let guard = index_of(&net, &path[0]);
    let name = short(&path[0]);
    let liar = Liar::start(&mut net, guard, mode).await;

    let out = alice.run(&["path", "test", "--json"]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // `run` already failed on a panic (exit 101, or "panicked" on stderr) or a signal. A
    // bad guard is a failed hop while the other path passes (4), or a network error (3).
    assert!(
        matches!(out.status.code(), Some(3 | 4)),
        "sesh path test ended with {:?}, not 3 or 4: {all}",
        out.status.code()
    );
    assert!(all.contains(&name), "the error does not name {name}: {all}");
    assert!(liar.told() > 0, "the liar was never asked");

    let (mut sent, mut maybe) = (Vec::new(), Vec::new());
    for i in 0..20 {
        if liar.told() >= 2 {
            break;
        }
        let text = format!("{mode} {i}");
        let out = alice.send(&bob, &text);
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => sent.push(text),
            Some(3) => {
                assert!(err.contains(&name), "exit 3 without naming {name}: {err}");
                // A slow guard may still pass it on after sesh gave up.
                maybe.push(text);
            }
            other => panic!("send ended with {other:?}: {err}"),
        }
    }
    assert!(liar.told() >= 2, "no send went through the liar");
    let mut got: Vec<String> = Vec::new();
    for _ in 0..3 {
        got.extend(bob.receive());
        if sent.iter().all(|w| got.contains(w)) {
            break;
        }
    }
    let mut seen = BTreeSet::new();
    let twice: Vec<&String> = got.iter().filter(|t| !seen.insert(*t)).collect();
    assert!(twice.is_empty(), "printed twice: {twice:?}");
    for w in &sent {
        assert!(got.contains(w), "{w:?} was sent but not received: {got:?}");
    }
    for g in &got {
        assert!(
            sent.contains(g) || maybe.contains(g),
            "received {g:?}, never sent"
        );
    }
    drop(liar);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_is_refused_without_hanging() {
    a_bad_guard("huge").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_does_not_hang_the_client() {
    a_bad_guard("slow=30").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_does_not_hang_the_client() {
    a_bad_guard("silent").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_answer_does_not_crash_the_client() {
    a_bad_guard("garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dripping_answer_does_not_hang_the_client() {
    a_bad_guard("drip").await;
}
