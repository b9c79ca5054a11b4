use proptest::prelude::*;

use super::*;

const PK: &str = "05d7b7ed16b48e7ad3e9a64b7f5a0a3f7fd7a34d5b1a93d2b9cd67b5a3c06b0e07";
const TS: u64 = 1_700_000_000_000;

fn err(body: &str) -> RpcError {
    parse(body.as_bytes()).unwrap_err()
}

fn pubkey() -> Pubkey {
    let mut pk = [0u8; 33];
    hex::decode_to_slice(PK, &mut pk).unwrap();
    pk
}

#[test]
fn envelope_errors_keep_the_storage_server_texts() {
    assert_eq!(err("not json"), RpcError::new(400, "invalid json"));
    assert_eq!(err("[1,2]"), RpcError::new(400, "invalid json"));
    assert_eq!(
        err(r#"["store",{}]"#),
        RpcError::new(400, "invalid json"),
        "an array is not a request, even one that fits the struct"
    );
    assert_eq!(
        err(r#"{"params":{}}"#),
        RpcError::new(400, "invalid json: no `method` field")
    );
    assert_eq!(
        err(r#"{"method":5,"params":{}}"#),
        RpcError::new(400, "invalid json: no `method` field")
    );
    assert_eq!(
        err(r#"{"method":"info","params":[]}"#),
        RpcError::new(400, "invalid json: no `params` field")
    );
    assert_eq!(
        err(r#"{"method":"nope","params":{}}"#),
        RpcError::new(400, "no method nope")
    );
}

#[test]
fn field_errors_name_the_field() {
    let e = err(r#"{"method":"get_swarm","params":{"pubkey":5}}"#);
    assert_eq!(
        e.message,
        "invalid request: Invalid value given for 'pubkey': expected string"
    );
    let e = err(&format!(
        r#"{{"method":"store","params":{{"pubkey":"{PK}","timestamp":{TS},"ttl":86400000,"data":"AA==","namespace":"x"}}}}"#
    ));
    assert!(e.message.contains("'namespace'"), "{e}");
    let e = err(&format!(
        r#"{{"method":"store","params":{{"pubkey":"{PK}","timestamp":{TS},"data":"AA=="}}}}"#
    ));
    assert_eq!(
        e.message,
        "invalid request: Required field 'ttl' or 'expiry' missing"
    );
    let e = err(&format!(
        r#"{{"method":"delete","params":{{"pubkey":"{PK}","messages":[1],"signature":"x"}}}}"#
    ));
    assert!(e.message.contains("'messages'"), "{e}");
    let e = err(&format!(
        r#"{{"method":"retrieve","params":{{"pubkey":"{PK}","max_count":1.5}}}}"#
    ));
    assert!(e.message.contains("'max_count'"), "{e}");
}

#[test]
fn unknown_fields_are_skipped_and_null_is_absent() {
    let r = parse(
        format!(r#"{{"jsonrpc":"2.0","method":"get_swarm","params":{{"pubkey":"{PK}","x":{{"deep":[1,2,{{}}]}},"namespace":null}}}}"#)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(r, Request::GetSwarm { pubkey: pubkey() });
}

/// fuzz/node_request: a store whose timestamp is in seconds parsed with a `ttl` (its expiry
/// then in seconds too), but not once re-encoded with that expiry. Both are refused now.
#[test]
fn a_store_timestamp_in_seconds_is_refused_as_an_expiry_is() {
    let body = format!(
        r#"{{"method":"store","params":{{"pubkey":"{PK}","timestamp":17000,"ttl":86400000,"data":"aGVsbG8="}}}}"#
    );
    assert_eq!(
        err(&body),
        RpcError::new(
            400,
            "invalid request: Invalid timestamp for 'timestamp': timestamp must be in milliseconds"
        )
    );
    let ok = body.replace("17000", &TS.to_string());
    let req = parse(ok.as_bytes()).unwrap();
    assert_eq!(parse(&req.to_json()).unwrap(), req);
}

#[test]
fn data_over_the_limit_is_413() {
    let big = "A".repeat(MAX_DATA_B64_LEN + 4);
    let e = err(&format!(
        r#"{{"method":"store","params":{{"pubkey":"{PK}","timestamp":{TS},"ttl":86400000,"data":"{big}"}}}}"#
    ));
    assert_eq!(e.status, 413);
}

#[test]
fn retrieve_sizes_are_bounded_as_the_storage_server_bounds_them() {
    let r = |params: &str| {
        let body = format!(r#"{{"method":"retrieve","params":{{"pubkey":"{PK}"{params}}}}}"#);
        match parse(body.as_bytes()).unwrap() {
            Request::Retrieve(r) => (r.max_count, r.max_size),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(r(""), (None, 1_560_000));
    assert_eq!(r(r#","max_size":0"#), (None, 1_560_000));
    assert_eq!(r(r#","max_size":99999999999"#), (None, 7_800_000));
    assert_eq!(r(r#","max_size":-1"#), (None, 7_800_000));
    assert_eq!(r(r#","max_size":-2"#), (None, 3_900_000));
    assert_eq!(r(r#","max_size":-99999999999"#), (None, 0));
    assert_eq!(r(r#","max_count":5"#), (Some(5), 7_800_000));
    assert_eq!(r(r#","max_count":0"#), (None, 1_560_000));
    assert_eq!(r(r#","max_count":-3,"max_size":100"#), (Some(1), 100));
    assert_eq!(
        r(r#","max_count":99999999999"#),
        (Some(99_999_999_999), 7_800_000)
    );
}

#[test]
fn delete_timestamp_is_optional_and_never_refused() {
    let t = |extra: &str| {
        let sig = "A".repeat(86) + "==";
        let body = format!(
            r#"{{"method":"delete","params":{{"pubkey":"{PK}","messages":["x"],"signature":"{sig}","pubkey_ed25519":"{}"{extra}}}}}"#,
            "00".repeat(32)
        );
        match parse(body.as_bytes()).unwrap() {
            Request::Delete { timestamp, .. } => timestamp,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(t(""), None);
    assert_eq!(t(r#","timestamp":1700000000000"#), Some(1_700_000_000_000));
    // Not a millisecond time: ignored, as the storage server ignores the field.
    assert_eq!(t(r#","timestamp":170000000"#), None);
    assert_eq!(t(r#","timestamp":"soon""#), None);
}

#[test]
fn hashes_per_request_are_capped() {
    let sig = "A".repeat(86) + "==";
    let body = |method: &str, n: usize| {
        let hashes = vec![format!("\"{}\"", "h".repeat(43)); n].join(",");
        format!(
            r#"{{"method":"{method}","params":{{"pubkey":"{PK}","messages":[{hashes}],"expiry":{TS},"timestamp":{TS},"signature":"{sig}","pubkey_ed25519":"{}"}}}}"#,
            "00".repeat(32)
        )
    };
    for method in ["delete", "expire", "get_expiries"] {
        let ok = parse(body(method, crate::rpc::limits::MAX_HASHES_PER_REQUEST).as_bytes());
        assert!(ok.is_ok(), "{method}: {ok:?}");
        let e = parse(body(method, crate::rpc::limits::MAX_HASHES_PER_REQUEST + 1).as_bytes())
            .unwrap_err();
        assert_eq!(e.status, 400, "{method}");
        assert!(
            e.message.contains("too many entries in 'messages'"),
            "{method}: {e}"
        );
    }
}

#[test]
fn a_request_keeps_a_bounded_number_of_values() {
    // Many values in known fields: refused once the budget is spent, not kept.
    let zeros = vec!["0"; MAX_FIELD_VALUES + 1].join(",");
    let body =
        format!(r#"{{"method":"delete","params":{{"pubkey":"{PK}","messages":[{zeros}]}}}}"#);
    let e = parse(body.as_bytes()).unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("more than 100000 JSON values"), "{e}");
    // Just under the budget parses (and fails later, for its own reasons).
    let zeros = vec!["0"; MAX_FIELD_VALUES - 10].join(",");
    let body =
        format!(r#"{{"method":"delete","params":{{"pubkey":"{PK}","messages":[{zeros}]}}}}"#);
    let e = parse(body.as_bytes()).unwrap_err();
    assert!(!e.message.contains("JSON values"), "{e}");
    // Unknown fields are skipped, not counted.
    let body = format!(
        r#"{{"method":"info","params":{{"junk":[{}]}}}}"#,
        vec!["0"; 200_000].join(",")
    );
    assert_eq!(parse(body.as_bytes()), Ok(Request::Info));
    // The budget is per parse.
    assert_eq!(
        parse(br#"{"method":"info","params":{}}"#),
        Ok(Request::Info)
    );
}

#[test]
fn a_huge_batch_is_refused_without_keeping_its_subrequests() {
    let many = format!("[{}]", vec!["{}"; 100_000].join(","));
    let Ok(Requests::List(kept)) = serde_json::from_str::<Requests>(&many) else {
        panic!("a list of calls");
    };
    assert_eq!(
        kept.len(),
        MAX_SUBREQUESTS + 1,
        "one past the limit is kept, no more"
    );
    let body = format!(r#"{{"method":"batch","params":{{"requests":{many}}}}}"#);
    let e = parse(body.as_bytes()).unwrap_err();
    assert!(e.message.contains("more than 20 subrequests"), "{e}");
}

#[test]
fn batch_rules() {
    assert_eq!(
        err(r#"{"method":"batch","params":{"requests":{}}}"#).message,
        "invalid request: Required field 'requests' missing"
    );
    assert_eq!(
        err(r#"{"method":"batch","params":{"requests":[]}}"#).message,
        "invalid request: Batch must have at least one subrequest"
    );
    let many = vec![r#"{"method":"info","params":{}}"#; MAX_SUBREQUESTS + 1].join(",");
    assert!(
        err(&format!(
            r#"{{"method":"batch","params":{{"requests":[{many}]}}}}"#
        ))
        .message
        .contains("not contain more than 20")
    );
    assert_eq!(
        err(r#"{"method":"batch","params":{"requests":[{"method":"batch","params":{}}]}}"#).message,
        "invalid request: Invalid batch subrequest: invalid method \"batch\""
    );
    assert_eq!(
        err(r#"{"method":"sequence","params":{"requests":[5]}}"#).message,
        "invalid request: Invalid batch subrequest: no `method` field"
    );
    let ok =
        parse(br#"{"method":"sequence","params":{"requests":[{"method":"info","params":{}}]}}"#)
            .unwrap();
    assert_eq!(ok, Request::Sequence(vec![Request::Info]));
}

#[test]
fn oxend_fields_as_object_or_list() {
    let r = parse(br#"{"method":"oxend_request","params":{"endpoint":"get_service_nodes","params":{"fields":{"public_ip":true,"swarm_id":false}}}}"#).unwrap();
    assert_eq!(
        r,
        Request::OxendRequest {
            endpoint: "get_service_nodes".into(),
            fields: Some(vec!["public_ip".into()])
        }
    );
    let r = parse(br#"{"method":"oxend_request","params":{"endpoint":"get_service_nodes","params":{"fields":["a"]}}}"#).unwrap();
    assert!(matches!(r, Request::OxendRequest { fields: Some(f), .. } if f == ["a"]));
}

#[test]
fn seed_calls_parse_and_serialize() {
    let call = JsonRpcCall::get_n_service_nodes(&["public_ip", "storage_port"]);
    let bytes = serde_json::to_vec(&call).unwrap();
    assert_eq!(JsonRpcCall::parse(&bytes), Some(call));
    assert_eq!(JsonRpcCall::parse(b"nope"), None);
    assert_eq!(JsonRpcCall::parse(b"[]"), None);
    let c = JsonRpcCall::parse(br#"{"id":"x","method":"get_service_nodes"}"#).unwrap();
    assert_eq!(c.id, Some(JsonRpcId::Text("x".into())));
    assert_eq!(c.fields, None);
}

fn auth() -> impl Strategy<Value = Auth> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        proptest::option::of(any::<[u8; 32]>()),
    )
        .prop_map(|(a, b, ed)| {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&a);
            signature[32..].copy_from_slice(&b);
            Auth {
                signature,
                pubkey_ed25519: ed,
            }
        })
}

fn namespaces() -> impl Strategy<Value = Namespaces> {
    prop_oneof![
        Just(Namespaces::All),
        any::<i16>().prop_map(|n| Namespaces::One(Namespace(n)))
    ]
}

fn hashes() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[A-Za-z0-9+/]{43}", 1..3)
}

fn ts() -> impl Strategy<Value = u64> {
    1_000_000_000u64..u64::MAX / 2
}

fn request() -> impl Strategy<Value = Request> {
    let pk = any::<[u8; 33]>();
    prop_oneof![
        (
            pk,
            any::<i16>(),
            ts(),
            ts(),
            proptest::collection::vec(any::<u8>(), 0..40),
            proptest::option::of(auth())
        )
            .prop_map(
                |(pubkey, ns, timestamp, expiry, data, auth)| Request::Store(Store {
                    pubkey,
                    namespace: Namespace(ns),
                    timestamp,
                    expiry,
                    data,
                    sig_timestamp: timestamp,
                    auth,
                })
            ),
        (
            pk,
            any::<i16>(),
            proptest::option::of("[A-Za-z0-9+/]{43}"),
            proptest::option::of(1usize..100),
            1usize..=7_800_000,
            proptest::option::of(ts()),
            proptest::option::of(auth())
        )
            .prop_map(
                |(pubkey, ns, last_hash, max_count, max_size, timestamp, auth)| Request::Retrieve(
                    Retrieve {
                        pubkey,
                        namespace: Namespace(ns),
                        last_hash,
                        max_count,
                        max_size,
                        timestamp,
                        auth,
                    }
                )
            ),
        (
            pk,
            hashes(),
            any::<bool>(),
            proptest::option::of(ts()),
            auth()
        )
            .prop_map(|(pubkey, messages, required, timestamp, auth)| {
                Request::Delete {
                    pubkey,
                    messages,
                    required,
                    timestamp,
                    auth,
                }
            }),
        (pk, namespaces(), ts(), auth()).prop_map(|(pubkey, namespace, timestamp, auth)| {
            Request::DeleteAll {
                pubkey,
                namespace,
                timestamp,
                auth,
            }
        }),
        (pk, namespaces(), ts(), auth()).prop_map(|(pubkey, namespace, before, auth)| {
            Request::DeleteBefore {
                pubkey,
                namespace,
                before,
                auth,
            }
        }),
        (
            pk,
            hashes(),
            ts(),
            prop_oneof![
                Just(ExpireMode::Set),
                Just(ExpireMode::Shorten),
                Just(ExpireMode::Extend)
            ],
            auth()
        )
            .prop_map(|(pubkey, messages, expiry, mode, auth)| Request::Expire {
                pubkey,
                messages,
                expiry,
                mode,
                auth
            }),
        (pk, namespaces(), ts(), auth()).prop_map(|(pubkey, namespace, expiry, auth)| {
            Request::ExpireAll {
                pubkey,
                namespace,
                expiry,
                auth,
            }
        }),
        (pk, hashes(), ts(), auth()).prop_map(|(pubkey, messages, timestamp, auth)| {
            Request::GetExpiries {
                pubkey,
                messages,
                timestamp,
                auth,
            }
        }),
        Just(Request::Info),
        pk.prop_map(|pubkey| Request::GetSwarm { pubkey }),
    ]
}

proptest! {
    #[test]
    fn requests_round_trip(req in request()) {
        let back = parse(&req.to_json());
        prop_assert_eq!(back, Ok(req));
    }

    #[test]
    fn batches_round_trip(subs in proptest::collection::vec(request(), 1..4), seq: bool) {
        let req = if seq { Request::Sequence(subs) } else { Request::Batch(subs) };
        prop_assert_eq!(parse(&req.to_json()), Ok(req));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes);
        let _ = JsonRpcCall::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_json_like_text(text in r#"[\[\]{}",:0-9a-z_ -]{0,200}"#) {
        let _ = parse(text.as_bytes());
    }
}

#[test]
fn ons_resolve_round_trips_in_the_apps_shape() {
    let r = Request::OnsResolve { name_hash: [7; 32] };
    let json: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
    assert_eq!(json["method"], "oxend_request");
    assert_eq!(json["params"]["endpoint"], "ons_resolve");
    assert_eq!(json["params"]["params"]["type"], 0);
    assert_eq!(parse(&r.to_json()).unwrap(), r);
    let bad = br#"{"method":"oxend_request","params":{"endpoint":"ons_resolve","params":{"type":0,"name_hash":"AAAA"}}}"#;
    assert_eq!(parse(bad).unwrap_err().status, 400);
}
