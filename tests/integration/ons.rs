//! ONS on a devnet (issue 13): `sesh resolve`, and names as recipients.

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use super::devnet::devnet;

fn sesh(net: &sesh::devnet::Devnet, state: &Path, args: &[&str]) -> Output {
    let mut c = super::support::sesh_command();
    c.args(args)
        .env("SESH_NETWORK", net.network_file())
        .env("SESH_STATE_DIR", state)
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    super::support::output_within(&mut c, None, super::support::COMMAND_LIMIT)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn names_resolve_through_three_nodes_and_send_reaches_the_id() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let state = d.join("state");
    let (alice_key, _) = super::support::keygen(d, "alice");
    let (bob_key, bob_id) = super::support::keygen(d, "bob");
    let bob: sesh::SessionId = bob_id.parse().unwrap();
    net.register_names(&[(sesh::ons::Name::parse("Bob-1").unwrap(), bob)])
        .unwrap();

    // Registered, asked in JSON.
    let out = sesh(&net, &state, &["--json", "resolve", "bob-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "resolved");
    assert_eq!(v["name"], "bob-1");
    assert_eq!(v["session_id"], bob_id.as_str());

    // Case does not matter.
    let out = sesh(&net, &state, &["resolve", "BoB-1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), bob_id);

    // Unregistered: exit 2, said so.
    let out = sesh(&net, &state, &["resolve", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no Session ID is registered for nobody"),
        "{}",
        stderr(&out)
    );

    // Not a name at all.
    let out = sesh(&net, &state, &["resolve", "-bad"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // `sesh send NAME` reaches the ID.
    let alice = alice_key.to_str().unwrap();
    let out = sesh(
        &net,
        &state,
        &["send", "-i", alice, "-m", "hi by name", "BOB-1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bob_state = d.join("bob-state");
    let bob_k = bob_key.to_str().unwrap();
    let out = sesh(&net, &bob_state, &["--json", "receive", "-i", bob_k]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("hi by name"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Neither an ID nor a name: exit 2, both tries named.
    let out = sesh(
        &net,
        &state,
        &["send", "-i", alice, "-m", "x", "not a name"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("neither a valid Session ID"), "{err}");
    assert!(err.contains("nor a valid ONS name"), "{err}");
    // An unregistered name as a recipient: exit 2, saying it is no ID and was tried as a
    // name.
    let out = sesh(&net, &state, &["send", "-i", alice, "-m", "x", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("'nobody' is not a Session ID"), "{err}");
    assert!(err.contains("tried as an ONS name"), "{err}");
    assert!(
        err.contains("no Session ID is registered for nobody"),
        "{err}"
    );
}

/// How many `ons_resolve` lookups the devnet's nodes answered so far (each logs one line).
fn lookups(net: &sesh::devnet::Devnet) -> usize {
    net.nodes()
        .iter()
        .map(|n| {
            std::fs::read_to_string(n.log_file())
                .unwrap_or_default()
                .matches(" ons_resolve ")
                .count()
        })
        .sum()
}

/// Issue 13 (1): every command that takes a recipient takes an ONS name; each distinct name
/// is resolved once per command; a string that is neither an ID nor a registered name exits
/// 2 saying what it was tried as.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recipient_takes_a_name() {
    use super::send_files::User;
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let name = |s: &str| sesh::ons::Name::parse(s).unwrap();
    net.register_names(&[
        (name("alice"), alice.id.parse().unwrap()),
        (name("bob"), bob.id.parse().unwrap()),
    ])
    .unwrap();

    let sent = alice.json(&["send", "-m", "hello", "Bob"]);
    assert_eq!(sent[0]["to"], bob.id.as_str());
    let ts = sent[0]["timestamp"].as_u64().unwrap().to_string();
    let rows = bob.json(&["receive"]);
    assert_eq!(rows[0]["request"], true, "{rows:?}");

    // Bob answers by name: each command reaches Alice's ID. The reaction names Alice twice
    // (the conversation and the author): one lookup, of three nodes.
    let before = lookups(&net);
    let accepted = bob.json(&["accept", "alice"]);
    assert_eq!(accepted[0]["to"], alice.id.as_str());
    assert_eq!(lookups(&net) - before, 3, "one name, three nodes");
    let before = lookups(&net);
    let react = bob.json(&["react", "ALICE", &ts, "alice", "👍"]);
    assert_eq!(react[0]["to"], alice.id.as_str());
    assert_eq!(
        lookups(&net) - before,
        3,
        "the same name twice is asked once"
    );
    let read = bob.json(&["read", "alice", &ts]);
    assert_eq!(read[0]["to"], alice.id.as_str());
    let typing = bob.json(&["typing", "alice"]);
    assert_eq!(typing[0]["to"], alice.id.as_str());
    // Seal goes online for a name only, and seals for its ID.
    let sealed = bob.json(&["seal", "-m", "sealed", "alice"]);
    assert_eq!(sealed[0]["to"], alice.id.as_str());
    // Swarm: the swarm of the name's ID.
    let by_name = bob.json(&["swarm", "alice"]);
    assert_eq!(by_name[0]["session_id"], alice.id.as_str());

    let rows = alice.json(&[
        "receive",
        "--only",
        "request_accepted,reaction,receipt,typing",
        "--discard-others",
    ]);
    let kinds: Vec<&str> = rows.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["request_accepted", "reaction", "receipt", "typing"],
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| r["from"] == bob.id.as_str()),
        "{rows:?}"
    );
    assert_eq!(rows[1]["author"], alice.id.as_str());
    assert_eq!(rows[1]["timestamp"].to_string(), ts);
    assert_eq!(rows[1]["emoji"], "👍");
    assert_eq!(
        rows[2]["timestamps"],
        serde_json::json!([sent[0]["timestamp"]])
    );
    assert_eq!(rows[3]["started"], true);

    // Refused, exit 2, saying what the string was tried as; nothing sent.
    let bad = |args: &[&str], says: &[&str]| {
        let out = bob.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
    };
    let unregistered = [
        "'nobody' is not a Session ID",
        "tried as an ONS name",
        "no Session ID is registered for nobody",
    ];
    bad(&["accept", "nobody"], &unregistered);
    bad(&["read", "Nobody", "1"], &unregistered);
    bad(&["typing", "nobody"], &unregistered);
    bad(&["react", "nobody", &ts, "alice", "👍"], &unregistered);
    bad(&["react", "alice", &ts, "nobody", "👍"], &unregistered);
    bad(&["seal", "-m", "x", "nobody"], &unregistered);
    bad(&["swarm", "nobody"], &unregistered);
    // ID-shaped but invalid: the Session ID's own error.
    bad(&["typing", "05abc"], &["05abc", "Session ID"]);
    // Neither an ID nor a valid name: both tries named.
    bad(
        &["read", "not a name", "1"],
        &["neither a valid Session ID", "nor a valid ONS name"],
    );
    bad(
        &["react", "alice", &ts, "al.ice", "👍"],
        &["neither a valid Session ID", "nor a valid ONS name"],
    );
    assert!(
        alice
            .json(&[
                "receive",
                "--only",
                "request_accepted,reaction,receipt,typing",
                "--discard-others",
            ])
            .is_empty()
    );
    net.shutdown().await;
}

/// Issue 13 (7): nodes that disagree about a name. Every node has its own record for
/// "carol", each a different Session ID, so any three asked disagree: `sesh resolve` and
/// `sesh send` fail with exit 3 (the network's fault, not the input's), saying the nodes
/// disagree and naming no node address. A name only the shared file holds still resolves,
/// and an unregistered one still exits 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_disagree_are_refused() {
    use sesh::identity::X25519Pub;
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let state = d.join("state");
    let (alice_key, _) = super::support::keygen(d, "alice");
    let (_, dave_id) = super::support::keygen(d, "dave");
    let name = |s: &str| sesh::ons::Name::parse(s).unwrap();
    let shared = sesh::SessionId::from_x25519(X25519Pub([200; 32]));
    net.register_names(&[
        (name("carol"), shared),
        (name("dave"), dave_id.parse().unwrap()),
    ])
    .unwrap();
    for i in 0..net.nodes().len() {
        let own = sesh::SessionId::from_x25519(X25519Pub([u8::try_from(i).unwrap() + 1; 32]));
        net.register_names_on(i, &[(name("carol"), own)]).unwrap();
    }

    let refused = |out: &Output| {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains("the service nodes asked disagree about the ONS name carol"),
            "{err}"
        );
        assert!(err.contains("hint: "), "{err}");
        assert!(!err.contains("127."), "no node address: {err}");
        assert!(!err.contains(&shared.to_string()), "{err}");
    };
    refused(&sesh(&net, &state, &["resolve", "carol"]));
    let alice = alice_key.to_str().unwrap();
    let out = sesh(&net, &state, &["send", "-i", alice, "-m", "x", "Carol"]);
    refused(&out);
    assert!(out.stdout.is_empty(), "nothing sent");

    // Agreement elsewhere is unaffected.
    let out = sesh(&net, &state, &["resolve", "DAVE"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), dave_id);
    let out = sesh(&net, &state, &["resolve", "erin"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Nodes that answer no valid record (broken, or denying service) are passed over for
    // others: with half the nodes broken, the other three still agree, every time.
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode(name("dave").hash());
    let garbage = serde_json::json!({ key: {"encrypted_value": "00", "nonce": "11"} });
    for node in &net.nodes()[..3] {
        std::fs::write(node.dir.join("ons.json"), garbage.to_string()).unwrap();
    }
    for _ in 0..4 {
        let out = sesh(&net, &state, &["resolve", "dave"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), dave_id);
    }
    net.shutdown().await;
}
