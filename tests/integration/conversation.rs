//! `sesh react`, `read`, `typing`, `accept` and message requests on a devnet, issue 13 (4,
//! 6): each sent sesh → sesh, checked by opening what was stored with the library.

use serde_json::Value;
use sesh::message::Message;
use sesh::rpc::Namespace;

use super::devnet::devnet;
use super::send_files::{User, library_client};
use super::support::COMMAND_LIMIT;

/// The message stored as `hash` among `msgs`.
fn stored<'m>(msgs: &'m [(String, Message)], hash: &Value) -> &'m Message {
    let hash = hash.as_str().expect("a hash");
    msgs.iter()
        .find(|(h, _)| h == hash)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("{hash} is not stored"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_receipts_and_typing_reach_the_recipient() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let hello = bob.json(&["send", &bob.id.clone(), "-m", "note to self"]);
    let ts = hello[0]["timestamp"].as_u64().unwrap().to_string();

    let react = alice.json(&["react", &bob.id, &ts, &bob.id, "👍"]);
    assert_eq!(react[0]["type"], "sent");
    assert_eq!(react[0]["kind"], "reaction");
    assert_eq!(react[0]["to"], bob.id.as_str());
    let removed = alice.json(&["react", &bob.id, &ts, &bob.id, "👍", "--remove"]);
    let read = alice.json(&["read", &bob.id, &ts, "5"]);
    assert_eq!(read[0]["kind"], "receipt");
    assert_eq!(read[0]["sync_hash"], Value::Null);
    let typing = alice.json(&["typing", &bob.id]);
    assert_eq!(typing[0]["kind"], "typing");
    let stopped = alice.json(&["typing", &bob.id, "--stop"]);

    let msgs = bob.swarm_messages(&net).await;
    let m = stored(&msgs, &react[0]["hash"]);
    assert_eq!(m.sender.to_string(), alice.id);
    assert_eq!(Some(m.timestamp_ms), react[0]["timestamp"].as_u64());
    let data = m.content.data_message.as_ref().unwrap();
    assert_eq!(data.body, None);
    let r = data.reaction.as_ref().unwrap();
    assert_eq!(r.id.to_string(), ts);
    assert_eq!(r.author, bob.id);
    assert_eq!(r.emoji.as_deref(), Some("👍"));
    assert_eq!(r.action, 0);
    let m = stored(&msgs, &removed[0]["hash"]);
    assert_eq!(
        m.content
            .data_message
            .as_ref()
            .unwrap()
            .reaction
            .as_ref()
            .unwrap()
            .action,
        1
    );
    let m = stored(&msgs, &read[0]["hash"]);
    let receipt = m.content.receipt_message.as_ref().unwrap();
    assert_eq!(receipt.r#type, 1);
    assert_eq!(
        receipt.timestamp,
        [ts.parse::<u64>().unwrap(), 5],
        "the timestamps read, in order"
    );
    let m = stored(&msgs, &typing[0]["hash"]);
    assert_eq!(m.content.typing_message.as_ref().unwrap().action, 0);
    assert_eq!(
        Some(m.content.typing_message.as_ref().unwrap().timestamp),
        typing[0]["timestamp"].as_u64()
    );
    let m = stored(&msgs, &stopped[0]["hash"]);
    assert_eq!(m.content.typing_message.as_ref().unwrap().action, 1);

    // A typing indicator is kept 20 seconds, a receipt 14 days.
    let (mut c, _state) = library_client(&net);
    let got = tokio::time::timeout(
        COMMAND_LIMIT,
        c.retrieve(&bob.identity(), Namespace::DEFAULT, None),
    )
    .await
    .unwrap()
    .unwrap();
    let expiry = |sent: &[Value]| {
        let m = got
            .messages
            .iter()
            .find(|m| m.hash == sent[0]["hash"].as_str().unwrap())
            .unwrap();
        m.expiration_ms - sent[0]["timestamp"].as_u64().unwrap()
    };
    assert_eq!(expiry(&typing), 20_000);
    assert_eq!(expiry(&read), 14 * 24 * 3600 * 1000);

    // The reaction's copy for Alice's other devices names the conversation.
    let own = alice.swarm_messages(&net).await;
    let copy = stored(&own, &react[0]["sync_hash"]);
    let data = copy.content.data_message.as_ref().unwrap();
    assert_eq!(data.sync_target.as_deref(), Some(bob.id.as_str()));
    assert_eq!(data.reaction.as_ref().unwrap().emoji.as_deref(), Some("👍"));

    // Refused before anything is sent: exit status 2.
    let bad = |args: &[&str], says: &str| {
        let out = alice.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    bad(&["react", &bob.id, &ts, &bob.id, ""], "the emoji is empty");
    bad(&["react", &bob.id, &ts, &bob.id, "a b"], "white space");
    bad(
        &["react", &bob.id, &ts, &bob.id, &"x".repeat(65)],
        "at most 64",
    );
    bad(&["react", &bob.id, "yesterday", &bob.id, "👍"], "TIMESTAMP");
    bad(&["react", &bob.id, &ts, "05nope", "👍"], "05nope");
    bad(&["read", &bob.id], "TIMESTAMP");
    bad(&["typing", "bob"], "bob");
    bad(&["accept", "05"], "05");
    // Nothing more reached Bob.
    assert_eq!(bob.swarm_messages(&net).await.len(), msgs.len());
}

/// The receive rows of `user`'s new messages.
fn receive(user: &User) -> Vec<Value> {
    user.json(&["receive"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_message_is_a_request_until_accepted_or_answered() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let carol = User::new(d, "carol", &net);
    let dave = User::new(d, "dave", &net);

    // Bob writes first: a request, until Alice accepts.
    bob.json(&["send", &alice.id, "-m", "hi"]);
    bob.json(&["send", &alice.id, "-m", "hi again"]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["request"] == true), "{rows:?}");
    let accepted = alice.json(&["accept", &bob.id]);
    assert_eq!(accepted[0]["kind"], "request_accepted");
    let msgs = bob.swarm_messages(&net).await;
    let m = stored(&msgs, &accepted[0]["hash"]);
    assert_eq!(m.sender.to_string(), alice.id);
    assert!(
        m.content
            .message_request_response
            .as_ref()
            .unwrap()
            .is_approved
    );
    bob.json(&["send", &alice.id, "-m", "thanks"]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["text"], "thanks");
    assert_eq!(rows[0].get("request"), None, "{rows:?}");

    // Carol writes first; Alice's reply is preceded by an acceptance, once.
    carol.json(&["send", &alice.id, "-m", "yo"]);
    let rows = receive(&alice);
    assert_eq!(rows[0]["request"], true);
    let reply = alice.json(&["send", &carol.id, "-m", "hello carol"]);
    let again = alice.json(&["send", &carol.id, "-m", "still here"]);
    let msgs = carol.swarm_messages(&net).await;
    let from_alice: Vec<&Message> = msgs
        .iter()
        .map(|(_, m)| m)
        .filter(|m| m.sender.to_string() == alice.id)
        .collect();
    assert_eq!(from_alice.len(), 3, "{from_alice:?}");
    let response = from_alice
        .iter()
        .find(|m| m.content.message_request_response.is_some())
        .expect("an acceptance");
    assert!(response.timestamp_ms < reply[0]["timestamp"].as_u64().unwrap());
    assert!(
        stored(&msgs, &again[0]["hash"])
            .content
            .message_request_response
            .is_none()
    );

    // Alice wrote to Dave first: his answer is no request.
    alice.json(&["send", &dave.id, "-m", "hi dave"]);
    dave.json(&["send", &alice.id, "-m", "hi alice"]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("request"), None, "{rows:?}");
    // Dave's reply to Alice was not preceded by an acceptance either: he never got a request
    // recorded (he had not received yet), and Alice's messages were no request to him.
    let msgs = alice.swarm_messages(&net).await;
    assert!(
        msgs.iter()
            .all(|(_, m)| m.content.message_request_response.is_none()
                || m.sender.to_string() != dave.id)
    );
}

/// A reaction answers a message request as a reply does (the acceptance goes first, and the
/// conversation is accepted); a read receipt or typing indicator from a stranger opens no
/// request (the apps make no conversation of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reaction_accepts_a_request_and_a_receipt_is_none() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);
    let carol = User::new(d, "carol", &net);

    bob.json(&["send", &alice.id, "-m", "hi"]);
    let rows = receive(&alice);
    assert_eq!(rows[0]["request"], true, "{rows:?}");
    let ts = rows[0]["timestamp"].as_u64().unwrap().to_string();
    let react = alice.json(&["react", &bob.id, &ts, &bob.id, "👍"]);
    let msgs = bob.swarm_messages(&net).await;
    let reaction = stored(&msgs, &react[0]["hash"]);
    let response = msgs
        .iter()
        .map(|(_, m)| m)
        .find(|m| m.content.message_request_response.is_some())
        .expect("the acceptance went with the reaction");
    assert_eq!(response.sender.to_string(), alice.id);
    assert!(response.timestamp_ms < reaction.timestamp_ms);
    bob.json(&["send", &alice.id, "-m", "thanks"]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].get("request"), None, "{rows:?}");

    carol.json(&["read", &alice.id, "12345"]);
    carol.json(&["typing", &alice.id]);
    let rows = alice.json(&["receive", "--only", "receipt,typing", "--discard-others"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.get("request").is_none()), "{rows:?}");
    // Nor is Carol waiting for an acceptance: Alice's first message to her is a plain one.
    alice.json(&["send", &carol.id, "-m", "who are you?"]);
    let msgs = carol.swarm_messages(&net).await;
    assert!(
        msgs.iter()
            .all(|(_, m)| m.content.message_request_response.is_none()),
        "{msgs:?}"
    );
    net.shutdown().await;
}

/// Issue 13, "done when": the apps' sequence sesh to sesh, as `sesh receive --json` shows it
/// on each side. A writes first (a request to B); B accepts (A gets `request_accepted`) and
/// replies (no second acceptance, no request); A replies; A unsends its first message: B
/// gets an `unsend` row naming it by timestamp and author, and A's copy for its other
/// devices is deleted from A's swarm, and B's receive deletes the original from B's swarm
/// (as the apps do on the recipient's side: only B can sign that deletion).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_accept_reply_unsend_sesh_to_sesh() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);
    let bob = User::new(d, "bob", &net);

    // A writes first: a request to B.
    let first = alice.json(&["send", &bob.id, "-m", "hi bob"]);
    let (hash, sync_hash) = (&first[0]["hash"], &first[0]["sync_hash"]);
    let rows = receive(&bob);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "message");
    assert_eq!(rows[0]["text"], "hi bob");
    assert_eq!(rows[0]["from"], alice.id.as_str());
    assert_eq!(rows[0]["request"], true, "{rows:?}");
    assert_eq!(&rows[0]["hash"], hash);

    // B accepts: A gets the acceptance, from someone A wrote to (no request).
    bob.json(&["accept", &alice.id]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "request_accepted");
    assert_eq!(rows[0]["from"], bob.id.as_str());
    assert_eq!(rows[0].get("request"), None, "{rows:?}");

    // B replies: the message alone, no second acceptance.
    bob.json(&["send", &alice.id, "-m", "hi alice"]);
    let rows = receive(&alice);
    assert_eq!(rows.len(), 1, "only the reply: {rows:?}");
    assert_eq!(rows[0]["type"], "message");
    assert_eq!(rows[0]["text"], "hi alice");
    assert_eq!(rows[0].get("request"), None, "{rows:?}");

    // A replies: no request to B any more.
    alice.json(&["send", &bob.id, "-m", "how are you"]);
    let rows = receive(&bob);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["text"], "how are you");
    assert_eq!(rows[0].get("request"), None, "{rows:?}");

    // A unsends its first message.
    let unsent = alice.json(&["unsend", hash.as_str().unwrap()]);
    assert_eq!(unsent[0]["deleted"], serde_json::json!([sync_hash]));
    let rows = receive(&bob);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "unsend");
    assert_eq!(rows[0]["from"], alice.id.as_str());
    assert_eq!(rows[0]["author"], alice.id.as_str());
    assert_eq!(rows[0]["timestamp"], first[0]["timestamp"]);
    assert_eq!(rows[0].get("request"), None, "{rows:?}");
    // A's copy for its other devices is gone from A's swarm.
    let own = alice.swarm_messages(&net).await;
    assert!(own.iter().all(|(h, _)| h != sync_hash), "{own:?}");
    // B's receive deleted the original from B's swarm.
    let left = bob.swarm_messages(&net).await;
    assert!(left.iter().all(|(h, _)| h != hash), "{left:?}");
    // A's reply, the unsend, and the copy of B's reply for its other devices.
    assert_eq!(left.len(), 3, "{left:?}");
    net.shutdown().await;
}

/// An unsend from someone other than the author of the message it names is shown as unknown
/// content and deletes nothing (the apps drop it): Carol cannot have Alice's message to Bob
/// deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsend_by_another_sender_deletes_nothing() {
    use rand_core::OsRng;
    use sesh::clock::{Clock as _, SystemClock};
    use sesh::message::wire::{Content, Unsend};
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob, carol) = (
        User::new(d, "alice", &net),
        User::new(d, "bob", &net),
        User::new(d, "carol", &net),
    );
    let sent = alice.json(&["send", &bob.id, "-m", "keep me"]);
    let hash = &sent[0]["hash"];
    let now = SystemClock.now_ms();
    let forged = Content {
        unsend_request: Some(Unsend {
            timestamp: sent[0]["timestamp"].as_u64().unwrap(),
            author: alice.id.clone(),
        }),
        sig_timestamp: Some(now),
        ..Content::default()
    };
    let to: sesh::SessionId = bob.id.parse().unwrap();
    let data =
        sesh::message::seal_content(&carol.identity(), &to, &forged, now, &mut OsRng).unwrap();
    let (mut c, _state) = library_client(&net);
    tokio::time::timeout(
        COMMAND_LIMIT,
        c.store(&to, &sesh::message::to_base64(&data), 600_000, now),
    )
    .await
    .unwrap()
    .unwrap();

    let rows = receive(&bob);
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Not an unsend (one may only take back one's own): an unknown content.
    assert_eq!(rows[1]["type"], "unknown");
    assert_eq!(rows[1]["from"], carol.id.as_str());
    let left = bob.swarm_messages(&net).await;
    assert!(left.iter().any(|(h, _)| h == hash), "{left:?}");
    net.shutdown().await;
}
