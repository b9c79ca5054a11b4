//! `sesh unsend` and `sesh delete`, issue 13 (4).

use sesh::clock::{Clock as _, SystemClock};
use sesh::message::wire::Unsend;
use sesh::rpc::Namespace;

use super::devnet::devnet;
use super::send_files::{User, library_client};
use super::support::COMMAND_LIMIT;

/// An unsend reaches the recipient's swarm and the sender's own, naming the message by its
/// timestamp and author, and the copy in the sender's swarm is deleted; a hash `sesh send`
/// did not record is refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsend_reaches_both_swarms_and_deletes_the_copy() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let sent = alice.json(&["send", "-m", "oops", &bob.id]);
    let hash = sent[0]["hash"].as_str().unwrap().to_owned();
    let sync_hash = sent[0]["sync_hash"].as_str().unwrap().to_owned();
    let timestamp = sent[0]["timestamp"].as_u64().unwrap();

    let out = alice.run(&["unsend", "not-a-sent-hash"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-sent-hash"));

    let rows = alice.json(&["unsend", &hash]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["type"], "unsent");
    assert_eq!(rows[0]["to"], bob.id.as_str());
    assert_eq!(rows[0]["timestamp"], timestamp);
    assert_eq!(rows[0]["deleted"], serde_json::json!([sync_hash]));

    let want = Unsend {
        timestamp,
        author: alice.id.clone(),
    };
    let unsends = |msgs: &[(String, sesh::message::Message)]| {
        msgs.iter()
            .filter(|(_, m)| m.content.unsend_request.as_ref() == Some(&want))
            .count()
    };
    let bobs = bob.swarm_messages(&net).await;
    assert_eq!(unsends(&bobs), 1, "bob's swarm: {bobs:?}");
    let alices = alice.swarm_messages(&net).await;
    assert_eq!(unsends(&alices), 1);
    assert!(alices.iter().all(|(h, _)| *h != sync_hash), "{alices:?}");
    // The unsend's copy in Alice's own swarm is for her other devices: not a row of hers.
    let rows = alice.json(&["receive"]);
    assert!(rows.is_empty(), "{rows:?}");
    net.shutdown().await;
}

/// `delete HASH` deletes that message from one's own swarm, `delete --all` the rest; every
/// member confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_empties_ones_own_swarm() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let mut copies = Vec::new();
    for text in ["one", "two", "three"] {
        let sent = alice.json(&["send", "-m", text, &bob.id]);
        copies.push(sent[0]["sync_hash"].as_str().unwrap().to_owned());
    }
    assert_eq!(alice.swarm_messages(&net).await.len(), 3);

    let rows = alice.json(&["delete", &copies[0]]);
    assert_eq!(rows[0]["type"], "deleted");
    assert_eq!(rows[0]["deleted"], serde_json::json!([copies[0]]));
    assert_eq!(rows[0]["confirmed"], rows[0]["members"]);
    let left: Vec<String> = alice
        .swarm_messages(&net)
        .await
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&copies[0]));

    let rows = alice.json(&["delete", "--all"]);
    let mut deleted: Vec<String> = rows[0]["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    deleted.sort();
    let mut want = copies[1..].to_vec();
    want.sort();
    assert_eq!(deleted, want);
    assert!(alice.swarm_messages(&net).await.is_empty());
    // Bob's messages are not alice's to delete.
    assert_eq!(bob.swarm_messages(&net).await.len(), 3);
    net.shutdown().await;
}

/// Issue 13 (5): `--disappear` sets the expiration type and timer as the apps do; after
/// send, the swarm keeps the message only that long; bad durations are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disappearing_message_carries_its_timer_and_ttl() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    for bad in ["0s", "5s", "15d", "soon"] {
        let out = alice.run(&["send", "--disappear", bad, "-m", "x", &bob.id]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
    }
    let out = alice.run(&["send", "--after", "send", "-m", "x", &bob.id]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--after without --disappear: {out:?}"
    );
    let sent = alice.json(&[
        "send",
        "--disappear",
        "1h",
        "--after",
        "send",
        "-m",
        "a",
        &bob.id,
    ]);
    let ts = sent[0]["timestamp"].as_u64().unwrap();
    let sent_b = alice.json(&["send", "--disappear", "5m", "-m", "b", &bob.id]);
    let got = bob.json(&["receive"]);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["expiration_type"], "delete_after_send");
    assert_eq!(got[0]["expiration_timer"], 3600);
    assert_eq!(got[0]["expires_at"], ts + 3_600_000);
    assert_eq!(got[1]["expiration_type"], "delete_after_read");
    assert_eq!(got[1]["expiration_timer"], 300);
    // After read, it was stored for the default TTL: the reader starts the timer. Read now,
    // it is gone in at most 5 minutes, as its row says ...
    let expires_b = got[1]["expires_at"].as_u64().unwrap();
    let now = SystemClock.now_ms();
    assert!(
        expires_b <= now + 300_000 && expires_b > now + 200_000,
        "{expires_b} vs {now}"
    );
    // ... and Bob's receive has told his swarm to keep it no longer than that.
    let (mut c, _state) = library_client(&net);
    let held = tokio::time::timeout(
        COMMAND_LIMIT,
        c.retrieve(&bob.identity(), Namespace::DEFAULT, None),
    )
    .await
    .unwrap()
    .unwrap();
    let b = held
        .messages
        .iter()
        .find(|m| m.hash == sent_b[0]["hash"].as_str().unwrap())
        .expect("still held, for the timer");
    let read_at = SystemClock.now_ms();
    assert!(
        b.expiration_ms <= read_at + 300_000 && b.expiration_ms > read_at + 240_000,
        "{} vs read at {read_at}",
        b.expiration_ms
    );
    // The sender's own copy of it is read already: the swarm keeps it for the timer only.
    let own = alice.json(&["receive", "--include-sent"]);
    let copy = own
        .iter()
        .find(|r| r["text"] == "b")
        .unwrap_or_else(|| panic!("{own:?}"));
    let sent_b = copy["timestamp"].as_u64().unwrap();
    assert!(
        copy["expires_at"].as_u64().unwrap() <= sent_b + 300_000 + 60_000,
        "{copy:?}"
    );
    // To oneself, a message is read as it is sent: "after read" becomes "after send".
    alice.json(&["send", "--disappear", "5m", "-m", "c", &alice.id]);
    let own = alice.json(&["receive", "--include-sent"]);
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["expiration_type"], "delete_after_send");
    assert_eq!(own[0]["expiration_timer"], 300);
    net.shutdown().await;
}
