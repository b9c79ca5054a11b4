//! ONS on a devnet (issue 13): `sesh resolve`, and names as recipients.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::devnet::devnet;

fn sesh(net: &sesh::devnet::Devnet, state: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sesh"));
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
    // An unregistered name as a recipient: exit 2.
    let out = sesh(&net, &state, &["send", "-i", alice, "-m", "x", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no Session ID is registered for nobody"),
        "{}",
        stderr(&out)
    );
}
