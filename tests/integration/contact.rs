//! Contacts (issue 14): the address book, the order recipients are read in (Session ID,
//! contact, ONS name), receive naming a sender by contact; and the configuration file's
//! send and receive defaults, on a devnet.

use std::process::{Output, Stdio};

use serde_json::Value;

use super::devnet::devnet;
use super::send_files::{User, lines};
use super::support::{COMMAND_LIMIT, keygen, output_within, sesh_command};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `sesh ARGS -i KEY` on mainnet's address book in `state` (offline: contacts given IDs).
fn offline(state: &std::path::Path, key: &std::path::Path, args: &[&str]) -> Output {
    let mut c = sesh_command();
    c.args(args)
        .arg("-i")
        .arg(key)
        .env("SESH_STATE_DIR", state)
        .env("SESH_NETWORK", "mainnet")
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    output_within(&mut c, None, COMMAND_LIMIT)
}

#[test]
fn contacts_are_added_listed_and_removed_per_identity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = d.join("state");
    let (me, _) = keygen(d, "me");
    let (other, other_id) = keygen(d, "other");
    let (_, mom) = keygen(d, "mom");
    let (_, dad) = keygen(d, "dad");

    let out = offline(&state, &me, &["contact", "add", "mom", &mom]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("mom {mom}"));
    // Taken: refused without --force, and left as it was.
    let out = offline(&state, &me, &["contact", "add", "mom", &dad]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = offline(&state, &me, &["contact", "add", "Dad & co", &dad]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = offline(&state, &me, &["--json", "contact", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            serde_json::json!({"type": "contact", "name": "Dad & co", "session_id": dad}),
            serde_json::json!({"type": "contact", "name": "mom", "session_id": mom}),
        ]
    );
    let out = offline(&state, &me, &["contact", "add", "--force", "mom", &dad]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = offline(&state, &me, &["contact", "list"]);
    assert_eq!(stdout(&out), format!("Dad & co {dad}\nmom {dad}\n"));

    // Per identity: another one's book is its own.
    let out = offline(&state, &other, &["contact", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");

    // Names that are refused: a Session ID, padded, too long, control characters.
    for bad in [
        other_id.as_str(),
        " mom",
        "mom ",
        &"m".repeat(65),
        "m\u{1b}m",
        "",
    ] {
        let out = offline(&state, &me, &["contact", "add", bad, &mom]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }

    let out = offline(&state, &me, &["contact", "rm", "mom"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = offline(&state, &me, &["contact", "rm", "mom"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = offline(&state, &me, &["contact", "list"]);
    assert_eq!(stdout(&out), format!("Dad & co {dad}\n"));

    // Resolved offline: seal (which stays offline for an ID) takes a contact name, even one
    // that is no valid ONS name.
    let out = offline(&state, &me, &["--json", "seal", "-m", "hi", "Dad & co"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["to"], dad.as_str());
    // An identity from standard input is read once, for the contacts and the command.
    let mut c = sesh_command();
    c.args(["--json", "seal", "-m", "hi", "-i", "-", "Dad & co"])
        .env("SESH_STATE_DIR", &state)
        .env("SESH_NETWORK", "mainnet")
        .env_remove("SESH_IDENTITY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let key = std::fs::read(&me).unwrap();
    let out = output_within(&mut c, Some(&key), COMMAND_LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["to"], dad.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn recipients_are_ids_then_contacts_then_ons_names_and_receive_names_contacts() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let carol = User::new(d, "carol", &net);
    let bob_id: sesh::SessionId = bob.id.parse().unwrap();
    let carol_id: sesh::SessionId = carol.id.parse().unwrap();
    net.register_names(&[
        (sesh::ons::Name::parse("friend").unwrap(), carol_id),
        (sesh::ons::Name::parse("bobby").unwrap(), bob_id),
    ])
    .unwrap();

    // An ONS name is resolved when added; the ID is kept.
    let out = alice.run(&["contact", "add", "b", "bobby"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("b {}", bob.id));
    // A contact named like a registered ONS name wins over it: "friend" is carol's name on
    // the network, but alice's contact "friend" is bob.
    let out = alice.run(&["contact", "add", "friend", &bob.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = alice.json(&["send", "-m", "to my friend", "friend"]);
    assert_eq!(sent[0]["to"], bob.id.as_str());
    let sent = alice.json(&["send", "-m", "to b", "b"]);
    assert_eq!(sent[0]["to"], bob.id.as_str());
    // A name that is no contact goes on to ONS: unregistered, exit 2 with its message.
    let out = alice.run(&["send", "-m", "x", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a Session ID, and tried as an ONS name"),
        "{}",
        stderr(&out)
    );
    // Bob's contact for alice: receive names her, in text and JSON.
    let out = bob.run(&["contact", "add", "Ally", &alice.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = bob.json(&["receive"]);
    let texts: Vec<&Value> = rows.iter().map(|r| &r["text"]).collect();
    assert_eq!(texts, ["to my friend", "to b"], "{rows:?}");
    assert!(rows.iter().all(|r| r["contact"] == "Ally"), "{rows:?}");
    // Carol has no contacts: no "contact" in her rows. Her own ONS name "friend" reaches
    // her from bob, who has no contact of that name.
    let out = bob.run(&["send", "-m", "hi carol", "friend"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = carol.json(&["receive"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["from"], bob.id.as_str());
    assert!(rows[0].get("contact").is_none(), "{rows:?}");
    let out = alice.run(&["send", "-m", "in text", &bob.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = bob.run(&["receive"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("from Ally ({}) at ", alice.id)),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_configuration_file_sets_send_and_receive_defaults() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let alice_conf = d.join("alice.toml");
    std::fs::write(&alice_conf, "display_name = \"Alice Conf\"\nttl = \"1h\"\n").unwrap();
    let bob_conf = d.join("bob.toml");
    let saved = d.join("bob-files");
    std::fs::write(
        &bob_conf,
        format!("attachments_dir = \"{}\"\n", saved.display()),
    )
    .unwrap();
    let file = d.join("note.txt");
    std::fs::write(&file, b"attached words").unwrap();

    let send = |args: &[&str]| {
        let mut c = alice.cmd(args);
        c.env("SESH_CONFIG", &alice_conf);
        let out = output_within(&mut c, None, COMMAND_LIMIT);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    send(&["send", "-m", "file defaults", &bob.id]);
    send(&[
        "send",
        "-m",
        "flags win",
        "--name",
        "Flag",
        "--ttl",
        "2h",
        &bob.id,
    ]);
    send(&["send", "-a", file.to_str().unwrap(), &bob.id]);

    let mut c = bob.cmd(&["--json", "receive"]);
    c.env("SESH_CONFIG", &bob_conf);
    let out = output_within(&mut c, None, COMMAND_LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = lines(&out);
    assert_eq!(rows.len(), 3, "{rows:?}");
    let ttl = |r: &Value| r["expires_at"].as_i64().unwrap() - r["timestamp"].as_i64().unwrap();
    assert_eq!(rows[0]["display_name"], "Alice Conf");
    assert!((ttl(&rows[0]) - 3_600_000).abs() < 60_000, "{rows:?}");
    assert_eq!(rows[1]["display_name"], "Flag");
    assert!((ttl(&rows[1]) - 7_200_000).abs() < 60_000, "{rows:?}");
    // Saved into the configured directory, without --save-attachments.
    let path = rows[2]["attachments"][0]["path"].as_str().unwrap();
    assert!(
        std::path::Path::new(path).starts_with(saved.join(&alice.id)),
        "{path}"
    );
    assert_eq!(std::fs::read(path).unwrap(), b"attached words");
}
