//! `sesh daemon` on a devnet (issue 14): JSON-RPC over its socket and over standard
//! input/output, subscriptions, the lock, shutdown, and exactly-once across a SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::devnet::devnet;
use super::send_files::User;

/// How long any one answer or notification may take.
const WAIT: Duration = Duration::from_secs(60);

/// A running `sesh daemon`, killed when dropped.
struct Daemon {
    child: Child,
    socket: Option<PathBuf>,
}

impl Daemon {
    /// `sesh daemon --socket PATH` for `user`: waits for the line that says it listens.
    fn socket(user: &User, path: &Path) -> Self {
        let path_arg = path.to_str().expect("a UTF-8 path");
        let mut cmd = user.cmd(&["daemon", "--interval", "200ms", "--socket", path_arg]);
        let mut child = cmd.spawn().expect("sesh daemon starts");
        let out = child.stdout.take().expect("stdout");
        let line = read_line_within(BufReader::new(out), WAIT).expect("the daemon says it listens");
        assert_eq!(line.trim_end(), path.display().to_string());
        Self {
            child,
            socket: Some(path.to_owned()),
        }
    }

    /// `sesh daemon --stdio` for `user`: its standard input and output.
    fn stdio(user: &User) -> (Self, Rpc<ChildStdout, ChildStdin>) {
        let mut cmd = user.cmd(&["daemon", "--interval", "200ms", "--stdio"]);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("sesh daemon starts");
        let rpc = Rpc::new(
            child.stdout.take().expect("stdout"),
            child.stdin.take().expect("stdin"),
        );
        (
            Self {
                child,
                socket: None,
            },
            rpc,
        )
    }

    fn connect(&self) -> Rpc<UnixStream, UnixStream> {
        let s = UnixStream::connect(self.socket.as_ref().expect("a socket")).expect("connects");
        Rpc::new(s.try_clone().expect("clones"), s)
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok);
    }

    /// Waits (bounded) for it to exit: its status and standard error.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        let watch = sesh::clock::Stopwatch::start();
        loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                return (status, err);
            }
            assert!(watch.elapsed() < WAIT, "the daemon did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one line on a thread, giving up after `limit`.
fn read_line_within<R: BufRead + Send + 'static>(mut r: R, limit: Duration) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(limit).ok().filter(|l| !l.is_empty())
}

/// A JSON-RPC client: requests out, responses and notifications in (read on a thread).
struct Rpc<R, W> {
    lines: std::sync::mpsc::Receiver<String>,
    writer: W,
    next: u64,
    /// Notifications read while waiting for a response.
    notes: Vec<Value>,
    _r: std::marker::PhantomData<R>,
}

impl<R: std::io::Read + Send + 'static, W: Write> Rpc<R, W> {
    fn new(reader: R, writer: W) -> Self {
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            lines,
            writer,
            next: 1,
            notes: Vec::new(),
            _r: std::marker::PhantomData,
        }
    }

    fn raw(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).expect("writes");
        self.writer.write_all(b"\n").expect("writes");
        self.writer.flush().expect("flushes");
    }

    fn next_line(&mut self) -> Value {
        let line = self.lines.recv_timeout(WAIT).expect("a line in time");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// The response to `line` (whose id is `id`).
    fn response_to(&mut self, id: &Value) -> Value {
        loop {
            let v = self.next_line();
            if v.get("method").is_some() {
                self.notes.push(v);
                continue;
            }
            assert_eq!(&v["id"], id, "{v}");
            assert_eq!(v["jsonrpc"], "2.0");
            return v;
        }
    }

    /// Calls `method`: the whole response.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next);
        self.next += 1;
        let req = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.raw(&req.to_string());
        self.response_to(&id)
    }

    /// Calls `method`, which must succeed: its result.
    fn ok(&mut self, method: &str, params: Value) -> Value {
        let v = self.call(method, params);
        assert!(v.get("error").is_none(), "{method}: {v}");
        v["result"].clone()
    }

    /// The next `receive` notification's params.
    fn notification(&mut self) -> Value {
        if !self.notes.is_empty() {
            let v = self.notes.remove(0);
            assert_eq!(v["method"], "receive", "{v}");
            assert!(v.get("id").is_none());
            return v["params"].clone();
        }
        let v = self.next_line();
        assert_eq!(v["method"], "receive", "{v}");
        v["params"].clone()
    }
}

/// The methods every transport serves, checked on one: `version`, `id`, `send` (received by
/// `sesh receive`), `subscribe` (a message sent by `sesh send` arrives), `unsubscribe`, and
/// the errors.
fn check_methods<R: std::io::Read + Send + 'static, W: Write>(
    rpc: &mut Rpc<R, W>,
    alice: &User,
    bob: &User,
    tag: &str,
) {
    let v = rpc.ok("version", json!({}));
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(rpc.ok("id", json!(null))["session_id"], alice.id.as_str());

    let text = format!("hello bob over {tag}");
    let r = rpc.ok("send", json!({"recipients": [bob.id], "message": text}));
    assert_eq!(r["failed"], json!([]), "{r}");
    assert_eq!(
        (&r["copies"], &r["sync_failed"]),
        (&json!(1), &json!([])),
        "{r}"
    );
    let sent = r["sent"].as_array().expect("sent");
    assert_eq!(sent.len(), 1, "{r}");
    assert!(
        sent[0]["sync_hash"].is_string(),
        "the copy for alice's devices: {r}"
    );
    assert_eq!(sent[0]["to"], bob.id.as_str());
    assert!(
        sent[0]["hash"].as_str().is_some_and(|h| h.len() == 43),
        "{r}"
    );
    assert!(sent[0]["timestamp"].as_u64().is_some(), "{r}");
    let got = bob.json(&["receive"]);
    let row = got
        .iter()
        .find(|m| m["text"] == text.as_str())
        .unwrap_or_else(|| panic!("bob did not get it: {got:?}"));
    assert_eq!(row["hash"], sent[0]["hash"]);
    assert_eq!(row["from"], alice.id.as_str());

    // Errors: JSON-RPC's own codes, and sesh's with its kind.
    rpc.raw("{not json");
    let e = rpc.response_to(&Value::Null);
    assert_eq!(e["error"]["code"], -32700, "{e}");
    let e = rpc.call("no_such_method", json!({}));
    assert_eq!(e["error"]["code"], -32601, "{e}");
    let e = rpc.call("send", json!({"message": "no one"}));
    assert_eq!(e["error"]["code"], -32602, "{e}");
    let e = rpc.call(
        "send",
        json!({"recipients": [bob.id], "message": "x", "ttl": 1}),
    );
    assert_eq!(e["error"]["code"], -32602, "{e}");
    let e = rpc.call("send", json!({"recipients": ["05zz"], "message": "x"}));
    assert_eq!(e["error"]["code"], -32000, "{e}");
    assert_eq!(e["error"]["data"]["kind"], "invalid_input", "{e}");
    assert_eq!(e["error"]["data"]["exit_status"], 2, "{e}");
    assert!(e["error"]["data"].get("hint").is_some(), "{e}");

    // Sent while no one is subscribed: it waits in the swarm for the first subscriber.
    let waited = format!("waited for a subscriber over {tag}");
    let out = bob.run(&["send", "-m", &waited, &alice.id]);
    assert!(out.status.success(), "{out:?}");
    // Subscribed: the receive lock is the daemon's, and a message sent by `sesh send`
    // arrives as the object `sesh receive --json` prints.
    let sub = rpc.ok("subscribe", json!({}));
    assert!(sub.as_u64().is_some(), "{sub}");
    let busy = alice.run(&["receive"]);
    assert!(!busy.status.success(), "{busy:?}");
    let reply = format!("hello alice over {tag}");
    let out = bob.run(&["send", "-m", &reply, &alice.id]);
    assert!(out.status.success(), "{out:?}");
    let mut got_waited = false;
    let n = loop {
        let n = rpc.notification();
        got_waited |= n["text"] == waited.as_str();
        if n["text"] == reply.as_str() {
            break n;
        }
    };
    assert!(
        got_waited,
        "the message sent before subscribe did not arrive first"
    );
    assert_eq!(n["type"], "message");
    assert_eq!(n["from"], bob.id.as_str());
    assert!(n["hash"].as_str().is_some(), "{n}");
    assert_eq!(
        rpc.ok("unsubscribe", json!({"subscription": sub})),
        json!(true)
    );
    assert_eq!(rpc.ok("unsubscribe", json!({})), json!(false));
    // No subscriber left: the receive lock is let go (by the poller, soon).
    let free = (0..100).any(|_| {
        let out = alice.run(&["receive"]);
        std::thread::sleep(Duration::from_millis(50));
        out.status.success()
    });
    assert!(free, "the receive lock is still held after unsubscribe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_serves_json_rpc_on_its_socket() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    net.register_names(&[(
        sesh::ons::Name::parse("bob-d").unwrap(),
        bob.id.parse().unwrap(),
    )])
    .unwrap();
    let socket = dir.path().join("a.sock");
    let daemon = Daemon::socket(&alice, &socket);
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // No subscriber: the daemon does not hold the receive lock, nor poll.
    let out = alice.run(&["receive"]);
    assert!(out.status.success(), "{out:?}");

    // A second daemon on the same socket is refused.
    let out = alice.run(&["daemon", "--socket", socket.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another sesh daemon"), "{err}");
    assert!(err.contains("hint:"), "{err}");

    let mut rpc = daemon.connect();
    // A `sesh receive --follow` holds the receive lock: subscribe is refused (transient),
    // as a second receive is.
    let follow = || {
        alice
            .cmd(&["receive", "--follow", "--interval", "200ms"])
            .spawn()
            .expect("receive starts")
    };
    let mut follower = follow();
    let held = (0..100).any(|_| {
        // Our own check may have held the lock when the follower started: it then left.
        if follower.try_wait().unwrap().is_some() {
            follower = follow();
        }
        let out = alice.run(&["receive"]);
        let busy = String::from_utf8_lossy(&out.stderr).contains("is running");
        if !busy {
            std::thread::sleep(Duration::from_millis(50));
        }
        busy
    });
    if !held {
        let _ = follower.kill();
        let out = follower.wait_with_output().unwrap();
        panic!("the follower never held the lock: {out:?}");
    }
    let e = rpc.call("subscribe", json!({}));
    assert_eq!(e["error"]["data"]["kind"], "transient", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is running"),
        "{e}"
    );
    let _ = follower.kill();
    let _ = follower.wait();
    // Files, read by the daemon from the paths given.
    let file = dir.path().join("note.txt");
    std::fs::write(&file, "a file through the daemon").unwrap();
    let r = rpc.ok(
        "send",
        json!({"recipients": [bob.id], "message": "with a file", "attachments": [file]}),
    );
    assert_eq!(r["sent"].as_array().map(Vec::len), Some(1), "{r}");
    let rows = bob.json(&["receive"]);
    let row = rows
        .iter()
        .find(|m| m["text"] == "with a file")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(row["attachments"][0]["file_name"], "note.txt", "{row}");
    // Names resolve with the daemon's client.
    let r = rpc.ok("resolve", json!({"name": "Bob-D"}));
    assert_eq!(r, json!({"name": "bob-d", "session_id": bob.id}));
    let e = rpc.call("resolve", json!({"name": "nobody"}));
    assert_eq!(e["error"]["data"]["kind"], "invalid_input", "{e}");
    // And as recipients.
    let r = rpc.ok(
        "send",
        json!({"recipients": ["bob-d"], "message": "by name"}),
    );
    assert_eq!(r["sent"][0]["to"], bob.id.as_str(), "{r}");
    // Many clients at once.
    let mut other = daemon.connect();
    assert_eq!(other.ok("id", json!({}))["session_id"], alice.id.as_str());
    check_methods(&mut rpc, &alice, &bob, "the socket");
    drop(other);

    // The conversation's other messages, with the command line's argument names.
    let r = rpc.ok(
        "send",
        json!({"recipients": [bob.id], "message": "react to me"}),
    );
    let (hash, ts) = (
        r["sent"][0]["hash"].clone(),
        r["sent"][0]["timestamp"].clone(),
    );
    let sent = |v: &Value, kind: &str| {
        assert_eq!(v["type"], "sent", "{v}");
        assert_eq!(v["kind"], kind, "{v}");
        assert_eq!(v["to"], bob.id.as_str(), "{v}");
    };
    sent(&rpc.ok("typing", json!({"recipient": bob.id})), "typing");
    sent(
        &rpc.ok("read", json!({"recipient": bob.id, "timestamps": [ts]})),
        "receipt",
    );
    let r = rpc.ok(
        "react",
        json!({"recipient": bob.id, "timestamp": ts, "author": alice.id, "emoji": "👍"}),
    );
    sent(&r, "reaction");
    let copy = r["sync_hash"]
        .as_str()
        .expect("a copy for alice's devices")
        .to_owned();
    let r = rpc.ok("unsend", json!({"hashes": [hash]}));
    assert_eq!(r["unsent"][0]["hash"], hash, "{r}");
    assert_eq!(r["complete"], true, "{r}");
    let e = rpc.call("unsend", json!({"hashes": ["not-sent"]}));
    assert_eq!(e["error"]["data"]["kind"], "invalid_input", "{e}");
    let r = rpc.ok("delete", json!({"hashes": [copy]}));
    assert_eq!(r["deleted"], json!([copy]), "{r}");
    let e = rpc.call("delete", json!({}));
    assert_eq!(e["error"]["code"], -32602, "{e}");
    let e = rpc.call("react", json!({"recipient": bob.id}));
    assert_eq!(e["error"]["code"], -32602, "{e}");
    let kinds: Vec<Value> = bob
        .json(&["receive"])
        .iter()
        .map(|r| r["type"].clone())
        .collect();
    for kind in ["receipt", "reaction", "unsend"] {
        assert!(kinds.contains(&json!(kind)), "{kind} not in {kinds:?}");
    }

    // SIGTERM: a request under way is answered (sent, or refused as the daemon stops),
    // then exit 0, the socket removed.
    rpc.raw(
        &json!({"jsonrpc": "2.0", "id": "last", "method": "send",
            "params": {"recipients": [bob.id], "message": "last"}})
        .to_string(),
    );
    daemon.signal("-TERM");
    let r = rpc.response_to(&json!("last"));
    assert!(
        r["result"]["sent"][0]["to"] == bob.id.as_str()
            || r["error"]["data"]["kind"] == "transient",
        "{r}"
    );
    let (status, err) = daemon.wait();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!socket.exists());
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_serves_json_rpc_on_standard_input_and_output() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let (daemon, mut rpc) = Daemon::stdio(&alice);
    check_methods(&mut rpc, &alice, &bob, "stdio");
    // The end of standard input stops it.
    drop(rpc);
    let (status, err) = daemon.wait();
    assert!(status.success(), "{status:?}: {err}");
    net.shutdown().await;
}

/// Message `i` of the SIGKILL tests: `m{i}` and 40 kB, so that 60 span a few retrieve pages.
fn big(i: usize) -> String {
    format!("m{i} {}", "x".repeat(40_000))
}

/// Sends `text` to `to` on a daemon's connection (one client for them all).
fn send_via(b: &mut Rpc<UnixStream, UnixStream>, to: &User, text: String) {
    let r = b.ok("send", json!({"recipients": [to.id], "message": text}));
    assert_eq!(r["sent"].as_array().map(Vec::len), Some(1), "{r}");
}

/// The name of a notification's message: `m7`, `end`.
fn name(n: &Value) -> String {
    let t = n["text"].as_str().unwrap_or_else(|| panic!("{n}"));
    t.split(' ').next().unwrap_or_default().to_owned()
}

/// Exactly once across a daemon killed with SIGKILL: every message arrives, and the only
/// repeats are of what was written to the subscriber but not yet recorded when it died (a
/// tail of what arrived before the kill). Messages of 40 kB make the 60 span a few retrieve
/// pages, so that the kill falls mid-stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_mid_stream_loses_nothing() {
    const N: usize = 60;
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let bob_daemon = Daemon::socket(&bob, &dir.path().join("b.sock"));
    let mut b = bob_daemon.connect();
    let mut send = |text: String| send_via(&mut b, &alice, text);
    for i in 0..N {
        send(big(i));
    }

    let socket = dir.path().join("a.sock");
    let daemon = Daemon::socket(&alice, &socket);
    let mut rpc = daemon.connect();
    rpc.ok("subscribe", json!({}));
    let mut before = vec![name(&rpc.notification())];
    // Some more, then the kill.
    while before.len() < N / 2 {
        before.push(name(&rpc.notification()));
    }
    daemon.signal("-KILL");
    let _ = daemon.wait();
    // What was written before it died; a last line cut short by the kill is no
    // notification (and, not recorded, it comes again).
    while let Ok(line) = rpc.lines.recv_timeout(Duration::from_millis(200)) {
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            before.push(name(&v["params"]));
        }
    }
    assert!(socket.exists(), "a killed daemon leaves its socket");

    // Started again: the stale socket is replaced, and the rest arrives, then a last
    // message sent after the restart (what comes again comes before it).
    let daemon = Daemon::socket(&alice, &socket);
    let mut rpc = daemon.connect();
    rpc.ok("subscribe", json!({}));
    send("end".to_owned());
    let mut after: Vec<String> = Vec::new();
    loop {
        let n = name(&rpc.notification());
        if n == "end" {
            break;
        }
        after.push(n);
    }
    // None lost; none twice within one run.
    for i in 0..N {
        let m = format!("m{i}");
        assert!(before.contains(&m) || after.contains(&m), "{m} lost");
    }
    for run in [&before, &after] {
        let mut seen = std::collections::HashSet::new();
        assert!(
            run.iter().all(|t| seen.insert(t)),
            "a repeat in one run: {run:?}"
        );
    }
    // Repeats: only a tail of what came before the kill (written, not yet recorded).
    let repeated: Vec<&String> = before.iter().filter(|t| after.contains(t)).collect();
    if let Some(first) = repeated.first() {
        let from = before.iter().position(|t| t == *first).unwrap();
        assert_eq!(
            repeated.len(),
            before.len() - from,
            "repeats are not a tail: before {before:?}, after {after:?}"
        );
    }
    eprintln!(
        "before the kill: {}, after: {}, repeated: {}",
        before.len(),
        after.len(),
        repeated.len()
    );
    drop(daemon);
    drop(bob_daemon);
    net.shutdown().await;
}

/// Exactly once across a daemon killed with SIGKILL, for a subscriber that acknowledges
/// (`ack`, as `sesh receive` through the daemon): a page taken (acknowledged) is never
/// delivered again, and a page not acknowledged when the daemon died comes again. The kill
/// falls mid-page: the daemon records a page before it fetches the next, so every page
/// acknowledged before a row of the next arrived is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledging_subscriber_gets_each_message_once_across_a_sigkill() {
    const N: usize = 60;
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let bob_daemon = Daemon::socket(&bob, &dir.path().join("b.sock"));
    let mut b = bob_daemon.connect();
    let mut send = |text: String| send_via(&mut b, &alice, text);
    for i in 0..N {
        send(big(i));
    }
    // Reads rows, acknowledging each page at its end: the rows of acknowledged pages are
    // taken. Stops when `stop(taken, page so far)` says so, after a row or a page's end.
    let read = |rpc: &mut Rpc<UnixStream, UnixStream>,
                taken: &mut Vec<String>,
                stop: &dyn Fn(&[String], &[String]) -> bool| {
        let mut page: Vec<String> = Vec::new();
        loop {
            let v = rpc.next_line();
            if v["method"] == "page_end" {
                let ack = json!({"jsonrpc": "2.0", "method": "ack",
                    "params": {"page": v["params"]["page"]}});
                rpc.raw(&ack.to_string());
                taken.append(&mut page);
                if stop(taken, &page) {
                    return;
                }
                continue;
            }
            if v["method"] != "receive" {
                continue;
            }
            page.push(name(&v["params"]));
            if stop(taken, &page) {
                return;
            }
        }
    };

    let socket = dir.path().join("a.sock");
    let daemon = Daemon::socket(&alice, &socket);
    let mut rpc = daemon.connect();
    rpc.ok("subscribe", json!({"ack": true}));
    let mut taken = Vec::new();
    // Killed once half are taken, with a row of a page not yet acknowledged in hand.
    read(&mut rpc, &mut taken, &|taken, page| {
        taken.len() >= N / 2 && !page.is_empty()
    });
    daemon.signal("-KILL");
    let _ = daemon.wait();

    let daemon = Daemon::socket(&alice, &socket);
    let mut rpc = daemon.connect();
    rpc.ok("subscribe", json!({"ack": true}));
    send("end".to_owned());
    let mut after = Vec::new();
    // Until the page with the last message is taken.
    read(&mut rpc, &mut after, &|taken, _| {
        taken.iter().any(|n| n == "end")
    });
    taken.extend(after);
    for i in 0..N {
        let m = format!("m{i}");
        let times = taken.iter().filter(|t| **t == m).count();
        assert_eq!(times, 1, "{m} taken {times} times: {taken:?}");
    }
    drop(daemon);
    drop(bob_daemon);
    net.shutdown().await;
}

/// The guide's bot (contrib/echo-bot.py) answers a message through the daemon, and the
/// answer arrives (issue 14's "done when", with `sesh send` as the other side).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contrib_echo_bot_answers_through_the_daemon() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let socket = dir.path().join("bot.sock");
    let daemon = Daemon::socket(&alice, &socket);
    let bot = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/echo-bot.py");
    let mut bot = match std::process::Command::new("python3")
        .arg(bot)
        .arg(&socket)
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("skipped: no python3 ({e})");
            return;
        }
    };
    let out = bob.run(&["send", "-m", "ping", &alice.id]);
    assert!(out.status.success(), "{out:?}");
    // Bob's receive polls until the answer is there (bounded); the acceptance of bob's
    // message request that comes before it is not a message.
    let out = bob.run(&[
        "--json",
        "receive",
        "--follow",
        "--only",
        "message",
        "--max",
        "1",
        "--interval",
        "200ms",
        "--timeout",
        "60s",
    ]);
    assert!(out.status.success(), "{out:?}");
    let row: Value = serde_json::from_slice(&out.stdout).expect("one JSON row");
    assert_eq!(row["text"], "you said: ping", "{row}");
    assert_eq!(row["from"], alice.id.as_str());
    let _ = bot.kill();
    let _ = bot.wait();
    drop(daemon);
    net.shutdown().await;
}

/// Where the socket goes by default: `$XDG_RUNTIME_DIR/sesh/` (made 0700), else the
/// network's state directory; named by the network and the Session ID, short enough for
/// a socket address. Nothing is asked of the network to start.
#[test]
fn the_default_socket_is_private_and_in_the_runtime_directory() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (key, id) = super::support::keygen(dir.path(), "alice");
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let start = |xdg: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sesh"));
        cmd.args(["--network", "mainnet", "daemon", "-i"])
            .arg(&key)
            .env("SESH_STATE_DIR", dir.path().join("state"))
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match xdg {
            Some(x) => cmd.env("XDG_RUNTIME_DIR", x),
            None => cmd.env_remove("XDG_RUNTIME_DIR"),
        };
        let mut child = cmd.spawn().expect("sesh daemon starts");
        let out = child.stdout.take().expect("stdout");
        let line = read_line_within(BufReader::new(out), WAIT).expect("a socket path");
        let d = Daemon {
            child,
            socket: Some(PathBuf::from(line.trim_end())),
        };
        let path = d.socket.clone().unwrap();
        (d, path)
    };
    let name = format!("mainnet-{}.sock", &id[2..18]);

    let (d, path) = start(Some(&runtime));
    assert_eq!(path, runtime.join("sesh").join(&name));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&runtime.join("sesh")), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(d.connect().ok("id", json!({}))["session_id"], id.as_str());
    d.signal("-INT");
    let (status, err) = d.wait();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!path.exists());

    let (d, path) = start(None);
    assert_eq!(path, dir.path().join("state/mainnet").join(&name));
    assert_eq!(mode(&path), 0o600);
    // Something that is not a socket at the path is not ours to remove.
    d.signal("-TERM");
    assert!(d.wait().0.success());
    std::fs::write(&path, "keep").unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sesh"));
    cmd.args(["--network", "mainnet", "daemon", "-i"])
        .arg(&key)
        .env("SESH_STATE_DIR", dir.path().join("state"))
        .env_remove("XDG_RUNTIME_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a socket"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep");

    // --stdio takes its requests from standard input: the identity cannot come from it.
    let out = super::support::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_sesh")).args([
            "--network",
            "mainnet",
            "daemon",
            "--stdio",
            "-i",
            "-",
        ]),
        None,
        super::support::COMMAND_LIMIT,
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// `sesh send` goes through the daemon that runs for its identity (on the default socket),
/// printing what it prints alone, with the same exit statuses; with none, or with
/// `--no-daemon`, it works alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_send_goes_through_a_running_daemon_and_prints_what_it_prints_alone() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let carol = User::new(dir.path(), "carol", &net);
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    // The same network, by name, with a seed nobody answers at, and no state: alone, a
    // send cannot reach the network; through the daemon (which has the real one) it can.
    let text = std::fs::read_to_string(&alice.network).unwrap();
    let seed = net.seed().addr.to_string();
    assert!(text.contains(&seed), "{text}");
    let dead = dir.path().join("dead.toml");
    std::fs::write(&dead, text.replace(&seed, "127.0.0.1:1")).unwrap();
    let cut_off = |args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = alice.cmd(args);
        cmd.env("XDG_RUNTIME_DIR", &runtime)
            .env("SESH_NETWORK", &dead)
            .env("SESH_STATE_DIR", dir.path().join("cut-off-state"));
        super::support::output_within(&mut cmd, stdin, super::support::COMMAND_LIMIT)
    };
    // Alone with the real network, for comparison.
    let alone = |args: &[&str]| {
        let mut cmd = alice.cmd(args);
        cmd.env("XDG_RUNTIME_DIR", &runtime);
        super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
    };
    let text_of = |b: &[u8]| String::from_utf8_lossy(b).into_owned();

    // No daemon: alone, and cut off from the network.
    let out = cut_off(&["send", &bob.id, "-m", "x"], None);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    let mut cmd = alice.cmd(&["daemon", "--interval", "200ms"]);
    cmd.env("XDG_RUNTIME_DIR", &runtime);
    let mut child = cmd.spawn().expect("sesh daemon starts");
    let line = read_line_within(BufReader::new(child.stdout.take().unwrap()), WAIT)
        .expect("the daemon says it listens");
    let daemon = Daemon {
        child,
        socket: Some(PathBuf::from(line.trim_end())),
    };

    // Text: one line per recipient, as alone.
    let out = cut_off(&["send", &bob.id, &carol.id, "-m", "through"], None);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<String> = text_of(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let reference = alone(&["send", &bob.id, &carol.id, "-m", "alone"]);
    assert!(reference.status.success(), "{reference:?}");
    let shape = |l: &str| {
        let (to, hash) = l.split_once(' ').expect("TO HASH");
        (to.to_owned(), hash.len())
    };
    assert_eq!(
        lines.iter().map(|l| shape(l)).collect::<Vec<_>>(),
        text_of(&reference.stdout)
            .lines()
            .map(shape)
            .collect::<Vec<_>>()
    );
    assert_eq!(out.stderr, reference.stderr);
    // The message from standard input, and --json: the same records.
    let out = cut_off(&["--json", "send", &bob.id], Some(b"from stdin\n"));
    assert!(out.status.success(), "{out:?}");
    let reference = alone(&["--json", "send", &bob.id, "-m", "x"]);
    let keys = |b: &[u8]| -> Vec<Vec<String>> {
        text_of(b)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                k.sort();
                k.push(v["type"].to_string());
                k.push(v["to"].to_string());
                k
            })
            .collect()
    };
    assert_eq!(keys(&out.stdout), keys(&reference.stdout));
    // An attachment by a relative path: made absolute for the daemon.
    std::fs::write(dir.path().join("note.txt"), "a note").unwrap();
    let mut cmd = alice.cmd(&["--json", "send", &bob.id, "-a", "note.txt", "-m", "file"]);
    cmd.current_dir(dir.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("SESH_NETWORK", &dead)
        .env("SESH_STATE_DIR", dir.path().join("cut-off-state"));
    let out = super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT);
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["attachments"][0]["file_name"], "note.txt", "{v}");
    let got: Vec<Value> = bob.json(&["receive"]);
    let texts: Vec<&str> = got.iter().filter_map(|m| m["text"].as_str()).collect();
    for t in ["through", "from stdin", "file"] {
        assert!(texts.contains(&t), "{t} not received: {texts:?}");
    }

    // Errors: the same message, hint and exit status as alone.
    for args in [
        &["send", "05zz", "-m", "x"][..],
        &["send", &bob.id, "--name", &"n".repeat(200), "-m", "x"][..],
    ] {
        let out = cut_off(args, None);
        let reference = alone(args);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert_eq!(out.status.code(), reference.status.code());
        assert_eq!(text_of(&out.stderr), text_of(&reference.stderr));
        assert!(out.stdout.is_empty());
    }
    // The escape hatch: alone, so cut off.
    let out = cut_off(&["send", "--no-daemon", &bob.id, "-m", "x"], None);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    // A daemon gone (killed: its socket stays, nobody listens): alone again.
    drop(daemon);
    let out = cut_off(&["send", &bob.id, "-m", "x"], None);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let out = alone(&["send", &bob.id, "-m", "alone again"]);
    assert!(out.status.success(), "{out:?}");
    net.shutdown().await;
}

/// `sesh receive` reads from the daemon that runs for its identity, with the same rows
/// (text and JSON) and ending as alone: without --follow once caught up, after --max rows
/// (the rest left for the next), after --timeout while following.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_receive_reads_from_a_running_daemon_as_it_reads_alone() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let text = std::fs::read_to_string(&bob.network).unwrap();
    let seed = net.seed().addr.to_string();
    let dead = dir.path().join("dead.toml");
    std::fs::write(&dead, text.replace(&seed, "127.0.0.1:1")).unwrap();
    // Bob cut off from the network: only the daemon can fetch his messages.
    let cut_off = |args: &[&str]| {
        let mut cmd = bob.cmd(args);
        cmd.env("XDG_RUNTIME_DIR", &runtime)
            .env("SESH_NETWORK", &dead)
            .env("SESH_STATE_DIR", dir.path().join("cut-off-state"));
        super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
    };
    let alone = |args: &[&str]| {
        let mut cmd = bob.cmd(args);
        cmd.env("XDG_RUNTIME_DIR", &runtime);
        super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
    };
    let send = |texts: &[&str]| {
        for t in texts {
            let out = alice.run(&["send", &bob.id, "-m", t]);
            assert!(out.status.success(), "{out:?}");
        }
    };
    // Times and hashes aside, the same text.
    let shape = |b: &[u8]| -> String {
        String::from_utf8_lossy(b)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { 'x' } else { c })
            .collect()
    };

    let mut cmd = bob.cmd(&["daemon", "--interval", "200ms"]);
    cmd.env("XDG_RUNTIME_DIR", &runtime);
    let mut child = cmd.spawn().expect("sesh daemon starts");
    let line = read_line_within(BufReader::new(child.stdout.take().unwrap()), WAIT)
        .expect("the daemon says it listens");
    let daemon = Daemon {
        child,
        socket: Some(PathBuf::from(line.trim_end())),
    };

    // Nothing yet: ends at once, caught up.
    let out = cut_off(&["receive"]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");

    // Text rows, then the same through --no-daemon (alone).
    send(&["one", "two"]);
    let through = cut_off(&["receive"]);
    assert!(through.status.success(), "{through:?}");
    let t = String::from_utf8_lossy(&through.stdout).into_owned();
    assert!(t.contains("one") && t.contains("two"), "{t}");
    send(&["one", "two"]);
    let reference = alone(&["receive", "--no-daemon"]);
    assert!(reference.status.success(), "{reference:?}");
    assert_eq!(shape(&through.stdout), shape(&reference.stdout));
    assert_eq!(through.stderr, reference.stderr);

    // JSON rows: the same records.
    send(&["three"]);
    let through = cut_off(&["--json", "receive"]);
    send(&["three"]);
    let reference = alone(&["--json", "receive", "--no-daemon"]);
    assert!(through.status.success() && reference.status.success());
    let keys = |b: &[u8]| -> Vec<Vec<String>> {
        String::from_utf8_lossy(b)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                k.push(v["type"].to_string());
                k.push(v["text"].to_string());
                k
            })
            .collect()
    };
    assert_eq!(keys(&through.stdout), keys(&reference.stdout));
    assert_eq!(keys(&through.stdout).len(), 1);

    // --max: one row, the other left for the next receive (not consumed unseen).
    send(&["four", "five"]);
    let out = cut_off(&["--json", "receive", "--max", "1"]);
    assert!(out.status.success(), "{out:?}");
    let first: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(first.len(), 1, "{first:?}");
    let out = cut_off(&["--json", "receive"]);
    let rest: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut texts: Vec<&str> = first
        .iter()
        .chain(&rest)
        .filter_map(|v| v["text"].as_str())
        .collect();
    texts.sort_unstable();
    assert_eq!(texts, ["five", "four"]);

    // Following, until --timeout: a message sent meanwhile arrives.
    let mut cmd = bob.cmd(&["--json", "receive", "--follow", "--timeout", "20s"]);
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .env("SESH_NETWORK", &dead)
        .env("SESH_STATE_DIR", dir.path().join("cut-off-state"));
    let mut follower = cmd.spawn().expect("receive --follow starts");
    // Read on a thread that keeps the pipe open (a follower whose output is closed stops).
    let (tx, rows) = std::sync::mpsc::channel();
    let out = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    send(&["six"]);
    let row = rows.recv_timeout(WAIT).expect("a row while following");
    let v: Value = serde_json::from_str(&row).unwrap();
    assert_eq!(v["text"], "six", "{v}");
    // Meanwhile the daemon holds the receive lock: what it does not do is refused, saying so.
    let saved = dir.path().join("saved");
    let out = alone(&["receive", "--save-attachments", saved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has subscribers"), "{err}");
    assert!(
        err.contains("hint: receive without --save-attachments"),
        "{err}"
    );
    let _ = follower.kill();
    let _ = follower.wait();

    // An option the daemon does not do: alone, so cut off (the lock is free again).
    let out = cut_off(&["receive", "--save-attachments", "x"]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    drop(daemon);
    net.shutdown().await;
}

/// 1,000 messages sent through one daemon make one TLS handshake with each node it talks to
/// (the seed, the guards of its paths), all during the first send: its connections stay
/// warm. Counted in the nodes' logs ("TLS handshake with ADDR"; the daemon connects from
/// 127.0.0.1, the nodes to each other from their own 127.0.X.1), less those the devnet made
/// to see its nodes up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sends_through_one_daemon_make_one_handshake_per_node() {
    const SENDS: usize = 1000;
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    let socket = dir.path().join("a.sock");
    let daemon = Daemon::socket(&alice, &socket);
    let mut rpc = daemon.connect();
    // The client handshakes each node's log shows (the seed last).
    let handshakes = || -> Vec<usize> {
        net.nodes()
            .iter()
            .chain(std::iter::once(net.seed()))
            .map(|node| {
                std::fs::read_to_string(node.log_file())
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains("TLS handshake with 127.0.0.1:"))
                    .count()
            })
            .collect()
    };
    let mut send = |i: usize| {
        let r = rpc.ok(
            "send",
            json!({"recipients": [bob.id], "message": format!("m{i}")}),
        );
        assert_eq!(r["sent"].as_array().map(Vec::len), Some(1), "{i}: {r}");
        assert_eq!(r["failed"], json!([]), "{i}: {r}");
    };
    // Those the devnet made to see its nodes up, and the daemon's start, if any.
    let before = handshakes();
    send(0);
    let first: Vec<usize> = handshakes()
        .iter()
        .zip(&before)
        .map(|(a, b)| a - b)
        .collect();
    let watch = sesh::clock::Stopwatch::start();
    for i in 1..SENDS {
        send(i);
    }
    let took = watch.elapsed();
    let all: Vec<usize> = handshakes()
        .iter()
        .zip(&before)
        .map(|(a, b)| a - b)
        .collect();
    eprintln!(
        "{} sends in {took:?} after the first; client handshakes per node (seed last): \
         {first:?} after the first send, {all:?} after all",
        SENDS - 1
    );
    assert_eq!(all, first, "handshakes after the first send");
    // The seed and a guard at least; one handshake each.
    assert!(first.iter().filter(|&&n| n > 0).count() >= 2, "{first:?}");
    assert!(first.iter().all(|&n| n <= 1), "{first:?}");
    drop(rpc);
    drop(daemon);
    // Every message arrived.
    let got = bob.json(&["receive"]);
    let texts: std::collections::HashSet<&str> =
        got.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts.len(), SENDS, "{} received", texts.len());
    net.shutdown().await;
}

/// A client that sends requests and never reads the answers is disconnected once too many
/// wait for it, instead of the daemon holding them all; the daemon serves others on.
#[test]
fn a_client_that_does_not_read_is_disconnected() {
    use std::io::Read as _;
    const REQUESTS: usize = 100_000;
    let dir = tempfile::tempdir().expect("a temp dir");
    let (key, id) = super::support::keygen(dir.path(), "alice");
    let socket = dir.path().join("d.sock");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sesh"));
    cmd.args(["--network", "mainnet", "daemon", "--socket"])
        .arg(&socket)
        .arg("-i")
        .arg(&key)
        .env("SESH_STATE_DIR", dir.path().join("state"))
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("sesh daemon starts");
    let out = child.stdout.take().expect("stdout");
    read_line_within(BufReader::new(out), WAIT).expect("the daemon listens");
    let d = Daemon {
        child,
        socket: Some(socket.clone()),
    };
    let mut s = UnixStream::connect(&socket).expect("connects");
    s.set_write_timeout(Some(WAIT)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let line = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}\n".repeat(100);
    let mut written = 0;
    while written < REQUESTS {
        if s.write_all(&line).is_err() {
            break;
        }
        written += 100;
    }
    // What was written to it before it was cut off, then the end.
    let mut answers = Vec::new();
    let _ = s.read_to_end(&mut answers);
    let n = answers.iter().filter(|&&b| b == b'\n').count();
    assert!(
        n < REQUESTS,
        "all {n} answers were held for a client that did not read"
    );
    // The daemon serves on.
    assert_eq!(d.connect().ok("id", json!({}))["session_id"], id.as_str());
    d.signal("-TERM");
    assert!(d.wait().0.success());
}

/// A subscriber that asks to acknowledge (`ack: true`, as `sesh receive` through the daemon
/// does) gets each page followed by `page_end`; a page it does not acknowledge is not
/// delivered (it comes again to the next subscriber), one it acknowledges is; a wrong `ack`
/// is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_counts_as_delivered_only_once_acknowledged() {
    let (net, dir) = devnet(6, 3).await;
    let alice = User::new(dir.path(), "alice", &net);
    let bob = User::new(dir.path(), "bob", &net);
    bob.json(&["send", "--no-daemon", &alice.id, "-m", "keep me"]);
    let socket = dir.path().join("a.sock");
    let daemon = Daemon::socket(&alice, &socket);

    // Read, never acknowledged, then gone (a receive killed before it printed).
    {
        let mut rpc = daemon.connect();
        rpc.ok("subscribe", json!({"ack": true}));
        assert_eq!(rpc.notification()["text"], "keep me");
        let end = rpc.next_line();
        assert_eq!(end["method"], "page_end", "{end}");
        let page = end["params"]["page"].as_u64().expect("a page number");
        let bad = rpc.call("ack", json!({"page": page + 1}));
        assert_eq!(bad["error"]["code"], -32602, "{bad}");
    }
    // The next subscriber gets it again, and acknowledges it.
    let mut rpc = daemon.connect();
    rpc.ok("subscribe", json!({"ack": true}));
    assert_eq!(rpc.notification()["text"], "keep me");
    let end = rpc.next_line();
    assert_eq!(end["method"], "page_end", "{end}");
    assert_eq!(
        rpc.ok("ack", json!({"page": end["params"]["page"]})),
        json!(true)
    );
    rpc.ok("unsubscribe", json!({}));
    drop(rpc);
    drop(daemon);
    // Delivered: nothing is left for a receive alone.
    let rows = alice.json(&["receive", "--no-daemon"]);
    assert!(rows.is_empty(), "{rows:?}");
    net.shutdown().await;
}
