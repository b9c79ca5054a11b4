//! `sesh send` on a devnet, issue 12: the copy for the sender's other devices (syncTarget)
//! stored in their own swarm.

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
        let mut c = Command::new(env!("CARGO_BIN_EXE_sesh"));
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
        let state = tempfile::tempdir().expect("a temporary directory");
        let mut c = Client::open(
            net.network(),
            state.path(),
            HttpTransport::new().expect("an HTTP client"),
            SystemClock,
            OsRng,
        )
        .expect("the client opens");
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
