//! Every Content kind, received (issue 13): reactions, read receipts, typing indicators,
//! unsends, accepted requests, screenshot notices, disappearing-message updates and contents
//! of no known kind each come out of `sesh receive --json` as their own row, sealed by the
//! library and stored on a devnet; `--only` filters them, and typing indicators are hidden by
//! default yet delivered (not printed again by the next run).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use rand_core::OsRng;
use serde_json::{Value, json};
use sesh::client::Client;
use sesh::clock::{Clock, SystemClock};
use sesh::devnet::Devnet;
use sesh::message::wire::{
    self, CallMessage, Content, DataExtractionNotification, DataMessage, MessageRequestResponse,
    Reaction, ReceiptMessage, TypingMessage, Unsend,
};
use sesh::{Identity, SessionId};

use super::devnet::{devnet, identity};

/// Runs sesh as the user whose key and state are given.
fn run(key: &Path, state: &Path, network: &Path, args: &[&str]) -> Output {
    let mut c = super::support::sesh_command();
    c.args(args)
        .arg("-i")
        .arg(key)
        .env("SESH_NETWORK", network)
        .env("SESH_STATE_DIR", state)
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    super::support::output_within(&mut c, None, super::support::COMMAND_LIMIT)
}

fn rows(out: &Output) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

/// Seals `content` from `from` to `to` and stores it through the library client.
async fn store(net: &Devnet, state: &Path, from: &Identity, to: &SessionId, content: Content) {
    let now = SystemClock.now_ms();
    let mut content = content;
    content.sig_timestamp = Some(now);
    let data = sesh::message::seal_content(from, to, &content, now, &mut OsRng).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut c = Client::open(
        net.network(),
        state,
        sesh::transport::http::HttpTransport::new().unwrap(),
        SystemClock,
        OsRng,
    )
    .unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        c.store(to, &b64, 10 * 60 * 1000, now),
    )
    .await
    .expect("stores within a minute")
    .unwrap();
}

fn data(d: DataMessage) -> Content {
    Content {
        data_message: Some(d),
        ..Content::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_a_row_of_its_own() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let network: PathBuf = net.network_file();
    let (key, bob) = super::support::keygen(d, "bob");
    let bob: SessionId = bob.parse().unwrap();
    let state = d.join("bob-state");
    let alice = identity(1);
    let author = alice.session_id().to_string();
    let lib_state = d.join("alice-state");

    let contents = [
        data(DataMessage {
            body: Some("hello".into()),
            ..DataMessage::default()
        }),
        data(DataMessage {
            reaction: Some(Reaction {
                id: 1111,
                author: bob.to_string(),
                emoji: Some("👍".into()),
                action: 0,
            }),
            ..DataMessage::default()
        }),
        Content {
            receipt_message: Some(ReceiptMessage {
                r#type: 1,
                timestamp: vec![2222, 3333],
            }),
            ..Content::default()
        },
        Content {
            typing_message: Some(TypingMessage {
                timestamp: 4444,
                action: 0,
            }),
            ..Content::default()
        },
        Content {
            unsend_request: Some(Unsend {
                timestamp: 5555,
                author: author.clone(),
            }),
            ..Content::default()
        },
        Content {
            message_request_response: Some(MessageRequestResponse {
                is_approved: true,
                ..MessageRequestResponse::default()
            }),
            ..Content::default()
        },
        Content {
            data_extraction_notification: Some(DataExtractionNotification {
                r#type: 2,
                timestamp: Some(6666),
            }),
            ..Content::default()
        },
        Content {
            expiration_type: Some(wire::ExpirationType::DeleteAfterRead as i32),
            expiration_timer: Some(86_400),
            ..data(DataMessage {
                flags: Some(wire::DATA_FLAG_EXPIRATION_TIMER_UPDATE),
                ..DataMessage::default()
            })
        },
        Content {
            call_message: Some(CallMessage {
                r#type: 6,
                uuid: "u".into(),
                ..CallMessage::default()
            }),
            ..Content::default()
        },
    ];
    for c in contents {
        store(&net, &lib_state, &alice, &bob, c).await;
    }

    // Typing indicators are not printed by default, but delivered all the same.
    let got = rows(&run(&key, &state, &network, &["receive", "--json"]));
    let mut types: Vec<&str> = got.iter().map(|r| r["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "data_extraction",
            "expiration_update",
            "message",
            "reaction",
            "receipt",
            "request_accepted",
            "unknown",
            "unsend",
        ]
    );
    let by = |t: &str| got.iter().find(|r| r["type"] == t).unwrap().clone();
    for r in &got {
        assert_eq!(r["from"], author.as_str(), "{r}");
        assert!(r["hash"].is_string(), "{r}");
    }
    assert_eq!(by("message")["text"], "hello");
    let r = by("reaction");
    assert_eq!(
        (&r["emoji"], &r["removed"], &r["timestamp"], &r["author"]),
        (
            &json!("👍"),
            &json!(false),
            &json!(1111),
            &json!(bob.to_string())
        )
    );
    assert_eq!(by("receipt")["timestamps"], json!([2222, 3333]));
    let r = by("unsend");
    assert_eq!(
        (&r["timestamp"], &r["author"]),
        (&json!(5555), &json!(author))
    );
    assert_eq!(by("data_extraction")["event"], "media_saved");
    let r = by("expiration_update");
    assert_eq!(
        (&r["expiration_type"], &r["expiration_timer"]),
        (&json!("delete_after_read"), &json!(86_400))
    );
    assert_eq!(
        by("unknown")["fields"],
        json!(["callMessage", "sigTimestamp"])
    );

    // A filter without 'message' would consume messages unseen: only when asked to.
    let out = run(
        &key,
        &state,
        &network,
        &["receive", "--json", "--only", "typing"],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--discard-others"));
    // The typing indicator was delivered: asked for now, nothing is left to print.
    let again = rows(&run(
        &key,
        &state,
        &network,
        &["receive", "--json", "--only", "typing", "--discard-others"],
    ));
    assert!(again.is_empty(), "{again:?}");

    // --only typing: a typing indicator is printed when asked for.
    store(
        &net,
        &lib_state,
        &alice,
        &bob,
        Content {
            typing_message: Some(TypingMessage {
                timestamp: 7777,
                action: 1,
            }),
            ..Content::default()
        },
    )
    .await;
    let got = rows(&run(
        &key,
        &state,
        &network,
        &["receive", "--json", "--only", "typing,message"],
    ));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (&got[0]["type"], &got[0]["started"]),
        (&json!("typing"), &json!(false))
    );

    // An unknown kind in --only is a usage error.
    let out = run(
        &key,
        &state,
        &network,
        &["receive", "--only", "message,poke"],
    );
    assert_eq!(out.status.code(), Some(2));
    drop(net);
}
