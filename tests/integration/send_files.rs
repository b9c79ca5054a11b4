//! `sesh send` on a devnet, issue 12: files sent through the devnet's file server, and the
//! copy for the sender's other devices (syncTarget) stored in their own swarm.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rand_core::OsRng;
use serde_json::Value;
use sesh::client::Client;
use sesh::clock::SystemClock;
use sesh::devnet::Devnet;
use sesh::message::{self, Message};
use sesh::rpc::Namespace;
use sesh::transport::http::HttpTransport;

use super::devnet::devnet;
use super::support::{COMMAND_LIMIT, keygen, output_within};

/// A user of the CLI: a key file and a state directory, on one devnet.
pub(crate) struct User {
    pub(crate) key: PathBuf,
    pub(crate) state: PathBuf,
    pub(crate) network: PathBuf,
    pub(crate) id: String,
}

impl User {
    pub(crate) fn new(dir: &Path, name: &str, net: &Devnet) -> Self {
        let (key, id) = keygen(dir, name);
        Self {
            key,
            state: dir.join(format!("{name}-state")),
            network: net.network_file(),
            id,
        }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = super::support::sesh_command();
        c.args(args)
            .arg("-i")
            .arg(&self.key)
            .env("SESH_NETWORK", &self.network)
            .env("SESH_STATE_DIR", &self.state)
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        output_within(&mut self.cmd(args), None, COMMAND_LIMIT)
    }

    /// Runs a command that must succeed; its JSON Lines.
    pub(crate) fn json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out)
    }

    pub(crate) fn identity(&self) -> sesh::Identity {
        sesh::store::read_identity(&self.key).expect("the identity file reads")
    }

    /// Every message in this user's own swarm (namespace 0), opened with their keys: what a
    /// second device of the account would see. Read with the library, apart from the CLI's
    /// receive cursors.
    pub(crate) async fn swarm_messages(&self, net: &Devnet) -> Vec<(String, Message)> {
        let me = self.identity();
        let (mut c, _state) = library_client(net);
        let mut all = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let got = tokio::time::timeout(
                COMMAND_LIMIT,
                c.retrieve(&me, Namespace::DEFAULT, last.as_deref()),
            )
            .await
            .expect("the retrieve ends")
            .expect("the retrieve succeeds");
            for m in &got.messages {
                let opened = message::open(&me, &m.data).expect("a message of ours opens");
                all.push((m.hash.clone(), opened));
            }
            last = got.messages.last().map(|m| m.node_hash.clone());
            if !got.more || last.is_none() {
                return all;
            }
        }
    }
}

/// A library client of the devnet, with its own state directory (kept alive by the guard).
pub(crate) fn library_client(
    net: &Devnet,
) -> (Client<HttpTransport, SystemClock, OsRng>, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("a temporary directory");
    let c = Client::open(
        net.network(),
        state.path(),
        HttpTransport::new().expect("an HTTP client"),
        SystemClock,
        OsRng,
    )
    .expect("the client opens");
    (c, state)
}

/// Downloads the file `url` names from the devnet's file server through an onion path.
pub(crate) async fn download(net: &Devnet, url: &str) -> Vec<u8> {
    let (mut c, _state) = library_client(net);
    let server = net.file_server().server.clone();
    let id = url
        .strip_prefix(&format!("{}/file/", server.url))
        .unwrap_or_else(|| panic!("{url} is not on the devnet's file server"));
    tokio::time::timeout(COMMAND_LIMIT, c.download_file(&server, id))
        .await
        .expect("the download ends")
        .expect("the download succeeds")
}

/// How many files the devnet's file server stored (its log says each).
pub(crate) fn files_stored(net: &Devnet) -> usize {
    std::fs::read_to_string(net.file_server().log_file())
        .unwrap_or_default()
        .matches("stored file ")
        .count()
}

/// `len` bytes that no compressor or padding rule would mistake for a pattern.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect()
}

pub(crate) fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn sync_target(m: &Message) -> Option<&str> {
    m.content
        .data_message
        .as_ref()
        .and_then(|d| d.sync_target.as_deref())
}

/// Issue 12 (6): every message sent is also stored, sealed to the sender, in their own swarm
/// with `syncTarget` naming the recipient and the same timestamp, as the apps do; `--no-sync`
/// stores none, and a message to oneself needs none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_each_message_is_stored_in_the_senders_own_swarm() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob, carol) = (
        User::new(d, "alice", &net),
        User::new(d, "bob", &net),
        User::new(d, "carol", &net),
    );

    let sent = alice.json(&["send", "-m", "hello both", &bob.id, &carol.id]);
    assert_eq!(sent.len(), 2);
    let copies = alice.swarm_messages(&net).await;
    assert_eq!(copies.len(), 2, "one copy per recipient");
    for (row, to) in sent.iter().zip([&bob, &carol]) {
        let sync_hash = row["sync_hash"].as_str().expect("a sync hash");
        assert_ne!(Some(sync_hash), row["hash"].as_str());
        let (_, copy) = copies
            .iter()
            .find(|(h, _)| h == sync_hash)
            .unwrap_or_else(|| panic!("no copy with hash {sync_hash} in {copies:?}"));
        assert_eq!(copy.sender.to_string(), alice.id);
        assert_eq!(copy.text.as_deref(), Some("hello both"));
        assert_eq!(sync_target(copy), Some(to.id.as_str()));
        assert_eq!(Some(copy.timestamp_ms), row["timestamp"].as_u64());
    }
    // A second receive of alice's identity (another device of hers) shows them as sent
    // messages with --include-sent, and not otherwise.
    let mut shown = alice.json(&["receive", "--include-sent"]);
    shown.sort_by_key(|r| r["to"].as_str().unwrap_or("").to_owned());
    let mut expected: Vec<_> = sent
        .iter()
        .map(|r| (r["to"].as_str().unwrap(), r["sync_hash"].as_str().unwrap()))
        .collect();
    expected.sort_unstable();
    assert_eq!(shown.len(), 2, "{shown:?}");
    for (row, (to, hash)) in shown.iter().zip(expected) {
        assert_eq!(row["type"], "sent");
        assert_eq!(
            (row["to"].as_str(), row["hash"].as_str()),
            (Some(to), Some(hash))
        );
        assert_eq!(row["text"], "hello both");
        assert_eq!(row["from"], alice.id.as_str());
    }
    // The recipients' messages are no copies.
    let got = bob.json(&["receive"]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["text"], "hello both");
    assert_eq!(got[0]["hash"], sent[0]["hash"]);

    // --no-sync: no copy; to oneself: none needed, the message is the copy.
    let quiet = alice.json(&["send", "--no-sync", "-m", "quiet", &bob.id]);
    assert_eq!(quiet[0]["sync_hash"], Value::Null);
    let own = alice.json(&["send", "-m", "note to self", &alice.id]);
    assert_eq!(own[0]["sync_hash"], Value::Null);
    let after = alice.swarm_messages(&net).await;
    let mut texts: Vec<_> = after
        .iter()
        .map(|(_, m)| (m.text.as_deref().unwrap_or(""), sync_target(m)))
        .collect();
    texts.sort_unstable();
    let mut expected = [
        ("hello both", Some(bob.id.as_str())),
        ("hello both", Some(carol.id.as_str())),
        ("note to self", None),
    ];
    expected.sort_unstable();
    assert_eq!(texts, expected);
    net.shutdown().await;
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// Issue 12 (3, 7): a 5 MB file (and a second one from standard input) sent by sesh to two
/// recipients is uploaded once, referenced by one message per recipient, and arrives with
/// identical bytes, name and type: downloaded through an onion path and decrypted with the
/// pointer's key, digest and size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5_mb_file_arrives_with_identical_bytes() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob, carol) = (
        User::new(d, "alice", &net),
        User::new(d, "bob", &net),
        User::new(d, "carol", &net),
    );
    let big = noise(5_000_000, 12);
    let dump = d.join("core.dump");
    std::fs::write(&dump, &big).unwrap();
    let before = files_stored(&net);

    let mut cmd = alice.cmd(&[
        "--json",
        "send",
        "-m",
        "see attached",
        "--attach",
        dump.to_str().unwrap(),
        "--attach",
        "-",
        "--attach-name",
        "graph.png",
        &bob.id,
        &carol.id,
    ]);
    let out = output_within(&mut cmd, Some(PNG), COMMAND_LIMIT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Piped: no progress bar.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = lines(&out);
    assert_eq!(rows.len(), 2);
    // Uploaded once: both messages name the same files, and the server stored two.
    assert_eq!(rows[0]["attachments"], rows[1]["attachments"]);
    assert_eq!(files_stored(&net) - before, 2);
    let listed = rows[0]["attachments"].as_array().unwrap();
    assert_eq!(listed[0]["file_name"], "core.dump");
    assert_eq!(listed[0]["size"], 5_000_000);
    assert_eq!(listed[1]["file_name"], "graph.png");
    assert_eq!(listed[1]["content_type"], "image/png");

    for user in [&bob, &carol] {
        let got = user.swarm_messages(&net).await;
        assert_eq!(got.len(), 1);
        let data = got[0].1.content.data_message.clone().unwrap();
        assert_eq!(data.body.as_deref(), Some("see attached"));
        assert_eq!(data.attachments.len(), 2);
        for (p, (bytes, name, kind)) in data.attachments.iter().zip([
            (&big[..], "core.dump", "application/octet-stream"),
            (PNG, "graph.png", "image/png"),
        ]) {
            assert_eq!(p.file_name.as_deref(), Some(name));
            assert_eq!(p.content_type.as_deref(), Some(kind));
            let url = p.url.as_deref().unwrap();
            assert_eq!(
                url,
                listed.iter().find(|a| a["file_name"] == name).unwrap()["url"]
            );
            // session-python downloads by the numeric id.
            assert!(
                url.ends_with(&format!("/file/{}", p.deprecated_id)),
                "{url}"
            );
            let blob = download(&net, url).await;
            let plain = sesh::attachment::decrypt(
                &blob,
                p.key.as_deref().unwrap(),
                p.digest.as_deref(),
                p.size.map(u64::from),
                false,
            )
            .expect("the file decrypts");
            assert!(plain == bytes, "{name}: the bytes differ");
        }
    }
    // sesh receive saves them with the same bytes and names.
    let saved = d.join("saved");
    let rows = carol.json(&["receive", "--save-attachments", saved.to_str().unwrap()]);
    let messages: Vec<_> = rows.iter().filter(|r| r["type"] == "message").collect();
    assert_eq!(messages.len(), 1, "{rows:?}");
    let from = saved.join(&alice.id);
    assert!(std::fs::read(from.join("core.dump")).unwrap() == big);
    assert_eq!(std::fs::read(from.join("graph.png")).unwrap(), PNG);
    // The copies for alice's other devices point to the same files.
    let copies = alice.swarm_messages(&net).await;
    assert_eq!(copies.len(), 2);
    for (_, c) in &copies {
        assert_eq!(c.attachments.len(), 2);
    }
    net.shutdown().await;
}

/// Issue 12 (3): a file over the file server's limit, unreadable, or a directory stops the
/// command before anything is uploaded or sent: no state opened, no file stored, no message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_limit_is_refused_before_anything_is_sent() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let small = d.join("small.txt");
    std::fs::write(&small, "fine").unwrap();
    // One byte more than the largest file whose encrypted form the server takes.
    let big = d.join("big.bin");
    std::fs::write(&big, vec![7u8; sesh::attachment::MAX_PADDED_LEN + 1]).unwrap();
    let (small, big) = (small.to_str().unwrap(), big.to_str().unwrap());
    let refused = |args: &[&str], status: i32, says: &[&str]| {
        let mut all = vec!["send", "-m", "x"];
        all.extend_from_slice(args);
        all.push(&bob.id);
        let out = alice.run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
        assert!(out.stdout.is_empty());
    };
    refused(
        &["--attach", small, "--attach", big],
        2,
        &[
            &format!(
                "attachment '{big}': 9999952 bytes: too large; a file holds at most 9999951 bytes"
            ),
            "hint: send a smaller file",
        ],
    );
    refused(
        &["--attach", &format!("{}/missing", d.display())],
        1,
        &["attachment '", "missing': reading", "hint: check the path"],
    );
    refused(
        &["--attach", d.to_str().unwrap()],
        2,
        &["a directory, not a file", "hint: attach the files in it"],
    );
    refused(
        &["--attach", "-", "--attach", "-"],
        2,
        &["only once", "hint: give '--attach -' once"],
    );
    refused(
        &["--attach-name", "x.txt", "--attach", small],
        2,
        &["--attach -", "hint: "],
    );
    // From standard input: named by --attach-name, which it needs; too large, the error
    // names it and gives its real size.
    let from_stdin = |args: &[&str], input: &[u8]| {
        let mut all = vec!["send", "-m", "x"];
        all.extend_from_slice(args);
        all.push(&bob.id);
        let mut cmd = alice.cmd(&all);
        output_within(&mut cmd, Some(input), COMMAND_LIMIT)
    };
    let out = from_stdin(&["--attach", "-"], b"data");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("needs a name") && err.contains("hint: add --attach-name NAME"),
        "{err}"
    );
    let out = from_stdin(
        &["--attach", "-", "--attach-name", "z"],
        &vec![0u8; 10_000_001],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "attachment 'z': 10000001 bytes: too large; a file holds at most 9999951 bytes"
        ),
        "{err}"
    );
    // Nothing touched the network: alice's state was never opened, no file was stored, bob
    // has nothing.
    assert!(!alice.state.exists());
    assert_eq!(files_stored(&net), 0);
    assert!(bob.swarm_messages(&net).await.is_empty());
    net.shutdown().await;
}

/// Issue 12 (6): when the recipient's message is stored but the copy for the sender's other
/// devices cannot be (the sender's own swarm is down), the message counts as sent (its line
/// is printed, the recipient gets it) and the command is a partial failure, exit status 4,
/// whose hint names the sent message's hash: a retry would send it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_cannot_be_stored_is_a_partial_failure_not_a_lost_message() {
    let (mut net, dir) = devnet(10, 5).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let swarm_of = |u: &User| {
        let sid: sesh::SessionId = u.id.parse().unwrap();
        net.roster().swarm_of(&sid.to_bytes()).unwrap()
    };
    let mine = swarm_of(&alice);
    let bob = (0..64)
        .map(|i| User::new(d, &format!("bob{i}"), &net))
        .find(|u| swarm_of(u) != mine)
        .expect("a user in the other swarm");
    // Paths and the pool are learned while every node is up.
    alice.json(&["send", "-m", "warm up", &bob.id]);
    let dead: Vec<usize> = net
        .roster()
        .members(mine)
        .iter()
        .map(|m| {
            net.nodes()
                .iter()
                .position(|n| n.ed25519 == m.ed25519)
                .unwrap()
        })
        .collect();
    for i in dead {
        net.kill(i).await;
    }
    let out = alice.run(&["--json", "send", "-m", "still delivered", &bob.id]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let rows = lines(&out);
    assert_eq!(rows.len(), 1, "the sent message has its line");
    assert_eq!(rows[0]["sync_hash"], Value::Null);
    let hash = rows[0]["hash"].as_str().unwrap();
    assert!(
        err.contains("sesh: error: storing the copy of the message to 05"),
        "{err}"
    );
    assert!(
        err.contains(&format!("hint: the message itself was sent (hash {hash})")),
        "{err}"
    );
    assert!(
        err.contains("1 of 1 copy for your other devices could not be stored"),
        "{err}"
    );
    let got = bob.json(&["receive"]);
    let texts: Vec<_> = got.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["warm up", "still delivered"]);
    net.shutdown().await;
}
