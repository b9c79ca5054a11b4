use proptest::prelude::*;

use super::*;

const ED: &str = "d7b7ed16b48e7ad3e9a64b7f5a0a3f7fd7a34d5b1a93d2b9cd67b5a3c06b0e07";
const X: &str = "0a4a4a2f6a8ad1e1e24b2c86bb2d7d2f4db6f1f2f1e9b6e0d3f7ab5b4c3a2910";

fn invalid_reason<T: Answer + std::fmt::Debug>(json: &str) -> String {
    match decode::<T>(json.as_bytes()) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn retrieve_decodes() {
    let r: RetrieveResponse = decode(
        br#"{"messages":[{"hash":"h","timestamp":1700000000000,"expiration":1700000100000,"data":"AAE="}],"more":true,"t":1700000000001,"hf":[21,0],"extra":1}"#,
    )
    .unwrap();
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].data_bytes().unwrap(), vec![0, 1]);
    assert!(r.more);
    assert_eq!(r.t, Some(1_700_000_000_001));
    assert_eq!(r.misc().hf, Some(vec![21, 0]));
}

#[test]
fn retrieve_errors_name_the_field() {
    let reason = invalid_reason::<RetrieveResponse>(
        r#"{"messages":[{"hash":5,"timestamp":1,"expiration":2,"data":""}]}"#,
    );
    assert!(
        reason.contains("'messages'") && reason.contains("'hash'"),
        "{reason}"
    );
    let reason = invalid_reason::<RetrieveResponse>(r#"{"more":true}"#);
    assert!(reason.contains("missing field `messages`"), "{reason}");
    let reason = invalid_reason::<RetrieveResponse>(r#"{"messages":[],"t":"soon"}"#);
    assert!(reason.contains("'t'"), "{reason}");
    let reason = invalid_reason::<RetrieveResponse>(
        r#"{"messages":[{"hash":"h","timestamp":1,"data":""}]}"#,
    );
    assert!(reason.contains("missing field `expiration`"), "{reason}");
}

#[test]
fn retrieve_refuses_data_over_the_limit() {
    let big = "A".repeat(MAX_DATA_B64_LEN + 4);
    let json =
        format!(r#"{{"messages":[{{"hash":"h","timestamp":1,"expiration":2,"data":"{big}"}}]}}"#);
    let reason = invalid_reason::<RetrieveResponse>(&json);
    assert!(
        reason.contains("messages[0]") && reason.contains("'data'"),
        "{reason}"
    );
}

#[test]
fn answers_over_the_bound_are_refused_before_parsing() {
    let err = decode_bounded::<InfoResponse>(b"{}      ", 4).unwrap_err();
    assert_eq!(
        err,
        DecodeError::TooLarge {
            what: "info",
            len: 8,
            max: 4
        }
    );
}

#[test]
fn store_decodes_members_and_failures() {
    let json = format!(
        r#"{{"swarm":{{"{ED}":{{"hash":"abc","signature":"c2ln","expiry":5}},"{X}":{{"failed":true,"timeout":true}}}},"hash":"abc","t":3,"hf":[21,0]}}"#
    );
    let r: StoreResponse = decode(json.as_bytes()).unwrap();
    assert!(r.swarm[ED].is_stored());
    assert!(!r.swarm[X].is_stored());
    assert!(r.swarm[X].timeout);
    assert_eq!(r.hash.as_deref(), Some("abc"));
    let reason = invalid_reason::<StoreResponse>(r#"{"swarm":{"k":{"hash":[1]}}}"#);
    assert!(
        reason.contains("'swarm'") && reason.contains("'hash'"),
        "{reason}"
    );
}

#[test]
fn get_swarm_decodes_to_a_swarm() {
    let json = format!(
        r#"{{"snodes":[{{"address":"x.snode","pubkey_ed25519":"{ED}","pubkey_x25519":"{X}","port":"22021","port_https":22021,"ip":"127.0.0.2"}},{{"pubkey_ed25519":"{ED}","pubkey_x25519":"{X}","port":"1","ip":"0.0.0.0"}}],"swarm":"1f","t":1}}"#
    );
    let r: SwarmResponse = decode(json.as_bytes()).unwrap();
    let swarm = r.to_swarm().unwrap();
    assert_eq!(swarm.id, 0x1f);
    assert_eq!(swarm.members.len(), 1, "0.0.0.0 is dropped");
    assert_eq!(swarm.members[0].port, 22021);
    let bad = SwarmResponse {
        swarm: "zz".into(),
        ..r
    };
    assert!(matches!(
        bad.to_swarm(),
        Err(SnodeParseError::Invalid { field: "swarm", .. })
    ));
    let reason = invalid_reason::<SwarmResponse>(r#"{"snodes":[{"port_https":"x"}]}"#);
    assert!(reason.contains("'snodes'"), "{reason}");
}

#[test]
fn a_swarm_answer_round_trips_through_snodes() {
    let n = Snode {
        ed25519: ED.parse().unwrap(),
        x25519: X.parse().unwrap(),
        ip: Ipv4Addr::new(127, 0, 0, 9),
        port: 22021,
        swarm_id: 7,
        version: None,
    };
    let answer = SwarmResponse::of(Some(7), &[&n]);
    let bytes = serde_json::to_vec(&answer).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains(r#""port":"22021""#) && text.contains(r#""port_https":22021"#));
    let back: SwarmResponse = decode(&bytes).unwrap();
    assert_eq!(back.to_swarm().unwrap().members, vec![n]);
}

#[test]
fn service_nodes_decode_and_filter_fields() {
    let json = format!(
        r#"{{"jsonrpc":"2.0","id":0,"result":{{"service_node_states":[{{"public_ip":"127.0.0.3","storage_port":22021,"pubkey_ed25519":"{ED}","pubkey_x25519":"{X}","swarm_id":4,"storage_server_version":[2,11,0]}},{{"public_ip":"","storage_port":0,"pubkey_ed25519":"","pubkey_x25519":""}}],"height":5,"status":"OK"}}}}"#
    );
    let r: JsonRpcReply<ServiceNodes> = decode(json.as_bytes()).unwrap();
    let (nodes, dropped) = r.result.unwrap().usable();
    assert_eq!((nodes.len(), dropped), (1, 1));
    assert_eq!(nodes[0].swarm_id, 4);
    let only = ServiceNodeState::of(&nodes[0], [2, 11, 0]).only(&["public_ip", "storage_port"]);
    let text = serde_json::to_string(&only).unwrap();
    assert_eq!(text, r#"{"public_ip":"127.0.0.3","storage_port":22021}"#);
    let reason = invalid_reason::<JsonRpcReply<ServiceNodes>>(
        r#"{"jsonrpc":"2.0","id":0,"error":{"code":-32601,"message":"Method not found"}}"#,
    );
    assert!(reason.contains("Method not found"), "{reason}");
    let reason = invalid_reason::<JsonRpcReply<ServiceNodes>>(
        r#"{"result":{"service_node_states":[{"swarm_id":"x"}]}}"#,
    );
    assert!(
        reason.contains("'result'") && reason.contains("'service_node_states'"),
        "{reason}"
    );
}

#[test]
fn batch_results_are_typed_or_text() {
    let r: BatchResponse<RetrieveResponse> = decode(
        br#"{"results":[{"code":200,"body":{"messages":[],"more":false}},{"code":401,"body":"retrieve: request signature required"}]}"#,
    )
    .unwrap();
    assert_eq!(r.results[0].code, 200);
    assert!(matches!(r.results[0].body, SubBody::Ok(_)));
    assert_eq!(
        r.results[1].body,
        SubBody::Text("retrieve: request signature required".into())
    );
    let reason = invalid_reason::<BatchResponse<RetrieveResponse>>(
        r#"{"results":[{"code":"200","body":""}]}"#,
    );
    assert!(
        reason.contains("'results'") && reason.contains("'code'"),
        "{reason}"
    );
    // A body object is parsed straight into the answer type, so its error names the field
    // (an untagged enum would say only that no variant matched).
    let reason = invalid_reason::<BatchResponse<RetrieveResponse>>(
        r#"{"results":[{"code":200,"body":{"messages":"x"}}]}"#,
    );
    assert!(reason.contains("'messages'"), "{reason}");
    let reason = invalid_reason::<BatchResponse<RetrieveResponse>>(
        r#"{"results":[{"code":200,"body":[1]}]}"#,
    );
    assert!(
        reason.contains("an answer object or an error text"),
        "{reason}"
    );
}

#[test]
fn deleted_is_a_list_or_lists_by_namespace() {
    let list: Deleted = serde_json::from_str(r#"["a","b"]"#).unwrap();
    assert_eq!(list, Deleted::List(vec!["a".into(), "b".into()]));
    let by_ns: Deleted = serde_json::from_str(r#"{"0":["a"],"-10":[]}"#).unwrap();
    assert_eq!(
        by_ns,
        Deleted::ByNamespace([("0".into(), vec!["a".into()]), ("-10".into(), vec![])].into())
    );
    // The error is the element's, not "did not match any variant".
    let e = serde_json::from_str::<Deleted>("[1]")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected a string"), "{e}");
    let e = serde_json::from_str::<Deleted>("7")
        .unwrap_err()
        .to_string();
    assert!(e.contains("a list of hashes"), "{e}");
}

#[test]
fn info_decodes() {
    let r: InfoResponse =
        decode(br#"{"version":[2,11,0],"timestamp":1700000000000,"t":1700000000000,"hf":[21,0]}"#)
            .unwrap();
    assert_eq!(r.version, vec![2, 11, 0]);
    let reason = invalid_reason::<InfoResponse>(r#"{"version":"2.11","timestamp":1}"#);
    assert!(reason.contains("'version'"), "{reason}");
}

fn message() -> impl Strategy<Value = RetrievedMessage> {
    (
        "[A-Za-z0-9+/]{43}",
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(hash, ts, exp, data)| RetrievedMessage::new(hash, ts, exp, &data))
}

fn misc() -> impl Strategy<Value = Misc> {
    (
        proptest::option::of(any::<u64>()),
        proptest::option::of(proptest::collection::vec(any::<u16>(), 0..3)),
    )
        .prop_map(|(t, hf)| Misc { t, hf })
}

fn entry() -> impl Strategy<Value = StoreEntry> {
    (
        proptest::option::of("[A-Za-z0-9+/]{43}"),
        any::<u64>(),
        any::<bool>(),
        proptest::option::of(any::<u16>()),
        proptest::option::of(".{0,20}"),
    )
        .prop_map(|(hash, expiry, failed, code, reason)| StoreEntry {
            hash,
            signature: Some("c2ln".into()),
            expiry: Some(expiry),
            failed,
            code,
            reason,
            ..StoreEntry::default()
        })
}

fn round_trip<T: Answer + Serialize + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, v);
    Ok(())
}

proptest! {
    #[test]
    fn retrieve_round_trips(messages in proptest::collection::vec(message(), 0..4), more: bool, misc in misc()) {
        round_trip(&RetrieveResponse { messages, more, t: None, hf: None }.with_misc(misc))?;
    }

    #[test]
    fn store_round_trips(entries in proptest::collection::btree_map("[0-9a-f]{64}", entry(), 0..4), hash in proptest::option::of("[A-Za-z0-9+/]{43}"), misc in misc()) {
        round_trip(&StoreResponse { swarm: entries, hash, t: None, hf: None }.with_misc(misc))?;
    }

    #[test]
    fn info_and_batch_round_trip(version in proptest::collection::vec(any::<u16>(), 3), timestamp: u64, misc in misc(), code: u16, text in ".{0,20}") {
        let info = InfoResponse { version, timestamp, t: None, hf: None }.with_misc(misc);
        round_trip(&info)?;
        let batch = BatchResponse { results: vec![
            SubResult { code, body: SubBody::Ok(RetrieveResponse::default()) },
            SubResult { code, body: SubBody::Text(text) },
        ]};
        round_trip(&batch)?;
    }

    #[test]
    fn swarm_round_trips(id: u64, port: u16, ip: [u8; 4], ed: [u8; 32], x: [u8; 32]) {
        let n = Snode {
            ed25519: Ed25519Pub(ed),
            x25519: X25519Pub(x),
            ip: Ipv4Addr::from(ip),
            port,
            swarm_id: id,
            version: None,
        };
        round_trip(&SwarmResponse::of(Some(id), &[&n]))?;
        let nodes = ServiceNodes {
            service_node_states: vec![ServiceNodeState::of(&n, [2, 11, 0])],
            height: Some(1),
            ..ServiceNodes::default()
        };
        round_trip(&JsonRpcReply { jsonrpc: Some("2.0".into()), id: Some(JsonRpcId::Number(0)), result: Some(nodes), error: None })?;
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode::<RetrieveResponse>(&bytes);
        let _ = decode::<StoreResponse>(&bytes);
        let _ = decode::<SwarmResponse>(&bytes).map(|s| s.to_swarm());
        let _ = decode::<InfoResponse>(&bytes);
        let _ = decode::<JsonRpcReply<ServiceNodes>>(&bytes).map(|r| r.result.map(|n| n.usable()));
        let _ = decode::<BatchResponse<RetrieveResponse>>(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_json_like_text(text in r#"[\[\]{}",:0-9a-z_ -]{0,200}"#) {
        let bytes = text.as_bytes();
        let _ = decode::<RetrieveResponse>(bytes);
        let _ = decode::<StoreResponse>(bytes);
        let _ = decode::<SwarmResponse>(bytes).map(|s| s.to_swarm());
        let _ = decode::<JsonRpcReply<ServiceNodes>>(bytes);
        let _ = decode::<BatchResponse<StoreResponse>>(bytes);
    }
}

/// A `delete` answer's entry verifies under the member's key only with its signature of the
/// account ‖ the asked hashes ‖ the deleted hashes: not with another key's, none, or one over
/// other hashes; a `delete_all`'s over the request's timestamp.
#[test]
fn delete_entries_verify_only_with_the_members_signature_of_what_it_deleted() {
    use crate::identity::{Identity, Seed};
    let account = [5u8; 33];
    let member = Identity::from_seed(Seed::from_legacy(&[1; 16]));
    let other = Identity::from_seed(Seed::from_legacy(&[2; 16]));
    let prefix = hex::encode(account);
    let entry = |signer: &Identity, signed: &str| StoreEntry {
        deleted: Some(Deleted::List(vec!["h1".into(), "h2".into()])),
        signature: Some(
            base64::engine::general_purpose::STANDARD
                .encode(signer.sign(format!("{prefix}{signed}").as_bytes())),
        ),
        ..StoreEntry::default()
    };
    let asked = ["h1".to_owned(), "h2".to_owned(), "h3".to_owned()];
    let verifies =
        |e: &StoreEntry, asked| delete_entry_verifies(&account, asked, &member.ed25519_pub(), e);
    let hashes = DeleteAsked::Hashes(&asked);
    assert!(verifies(&entry(&member, "h1h2h3h1h2"), hashes));
    assert!(!verifies(&entry(&other, "h1h2h3h1h2"), hashes));
    assert!(!verifies(&entry(&member, "h1h2h3h1"), hashes));
    let mut unsigned = entry(&member, "h1h2h3h1h2");
    unsigned.signature = None;
    assert!(!verifies(&unsigned, hashes));
    let mut failed = entry(&member, "h1h2h3h1h2");
    failed.failed = true;
    assert!(!verifies(&failed, hashes));
    let mut garbage = entry(&member, "h1h2h3h1h2");
    garbage.signature = Some("not base64!".into());
    assert!(!verifies(&garbage, hashes));
    let at = entry(&member, "1700000000000h1h2");
    assert!(verifies(&at, DeleteAsked::Timestamp(1_700_000_000_000)));
    assert!(!verifies(&at, DeleteAsked::Timestamp(1_700_000_000_001)));
}
