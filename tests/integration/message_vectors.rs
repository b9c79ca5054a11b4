//! 1:1 message, padding and storage-auth vectors from independent implementations
//! (tests/vectors/vectors.json: `message_1o1`, `message_1o1_libsession`,
//! `message_1o1_deterministic`, `message_1o1_invalid`, `content_text`, `padding`,
//! `storage_auth`), and the laws of seal and open as property tests.

#![expect(
    clippy::unwrap_used,
    reason = "helpers shared by the tests: a failed unwrap is a failed test"
)]

use base64::Engine as _;
use proptest::prelude::*;
use sesh::identity::{Ed25519Pub, X25519Pub};
use sesh::message::{
    self, ContentKind, OpenError, Outgoing, SealError, pad,
    wire::{self, Content, DataMessage, LokiProfile},
};
use sesh::rpc::{self, Namespace, auth};
use sesh::{Identity, SessionId};

use super::support::{TestRng, cases, hex_vec, identity_of, str_of};

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("bad base64 {s}: {e}"))
}

/// Seals `inner` (already `M ‖ A ‖ sig`) to `to` with libsodium's `crypto_box_seal`, as the
/// crypto_box crate implements it: for forging what sesh itself never makes.
fn raw_seal(to: &X25519Pub, inner: &[u8]) -> Vec<u8> {
    crypto_box::PublicKey::from(to.0)
        .seal(&mut rand_core::OsRng, inner)
        .expect("should work in the test harness")
}

/// `M ‖ A ‖ Ed25519_signer(M ‖ A ‖ X)`.
fn signed(signer: &Identity, a: &Ed25519Pub, x: &X25519Pub, m: &[u8]) -> Vec<u8> {
    let mut to_sign = m.to_vec();
    to_sign.extend_from_slice(a.as_bytes());
    to_sign.extend_from_slice(x.as_bytes());
    let sig = signer.sign(&to_sign);
    let mut out = m.to_vec();
    out.extend_from_slice(a.as_bytes());
    out.extend_from_slice(&sig);
    out
}

fn text_content(text: &str, ts: u64, name: Option<&str>) -> Content {
    Content {
        data_message: Some(DataMessage {
            body: Some(text.to_owned()),
            timestamp: Some(ts),
            profile: name.map(|n| LokiProfile {
                display_name: Some(n.to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Both flavours: session-python (`PUT /api/v1/message`, desktop padding) and libsession
/// (empty verb/path, sourceDevice, proSig, padding to 160).
fn check_message_vectors(section: &str, libsession: bool) {
    let cases = cases(section);
    assert!(!cases.is_empty());
    for case in cases {
        let id = str_of(case, "id");
        let recipient = identity_of(str_of(case, "recipient_seed_hex"));
        assert_eq!(
            recipient.session_id().to_string(),
            str_of(case, "recipient_session_id")
        );
        let data_b64 = str_of(case, "storage_data_b64");
        let ts = case["timestamp_ms"]
            .as_u64()
            .expect("should work in the test harness");
        let text = str_of(case, "text");
        let name = case["display_name"].as_str();

        // The whole path: base64 → WebSocketMessage → Envelope → box → Content.
        let m = message::open(&recipient, data_b64).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(m.text.as_deref(), Some(text), "{id}");
        assert_eq!(m.timestamp_ms, ts, "{id}");
        assert_eq!(m.display_name.as_deref(), name, "{id}");
        assert_eq!(
            m.sender.to_string(),
            str_of(case, "sender_session_id"),
            "{id}"
        );
        assert_eq!(
            m.sender_ed25519.to_hex(),
            str_of(case, "sender_ed25519_pk_hex"),
            "{id}"
        );
        assert_eq!(m.kind, ContentKind::Data);

        // A bare envelope opens too.
        let env_only = message::open_data(
            &recipient,
            &hex_vec(case["envelope_hex"].as_str().unwrap_or_default()),
        );
        if case["envelope_hex"].is_string() {
            assert_eq!(env_only.as_ref().map(|m| m.timestamp_ms), Ok(ts), "{id}");
        }

        // The layers, one by one.
        let data = b64(data_b64);
        assert_eq!(
            hex::encode(&data),
            str_of(case, "websocket_message_hex"),
            "{id}"
        );
        let ws: wire::WebSocketMessage = wire::decode(&data).unwrap();
        let req = ws.request.unwrap();
        if libsession {
            assert_eq!(req.verb.as_deref().unwrap_or(""), "");
        } else {
            assert_eq!(req.verb.as_deref(), Some("PUT"));
            assert_eq!(req.path.as_deref(), Some("/api/v1/message"));
        }
        let env_bytes = req.body.unwrap();
        if let Some(env_hex) = case["envelope_hex"].as_str() {
            assert_eq!(hex::encode(&env_bytes), env_hex, "{id}");
        }
        let env: wire::Envelope = wire::decode(&env_bytes).unwrap();
        assert_eq!(env.timestamp, ts);
        let ct = env.content.unwrap();
        assert_eq!(hex::encode(&ct), str_of(case, "ciphertext_hex"), "{id}");
        let d = message::decrypt_incoming(&recipient, &ct).unwrap();
        assert_eq!(
            hex::encode(&d.plaintext),
            str_of(case, "padded_hex"),
            "{id}"
        );
        let content = pad::unpad(&d.plaintext).unwrap();
        assert_eq!(hex::encode(content), str_of(case, "content_hex"), "{id}");

        // Our encoder makes the same Content and the same padding.
        let ours = wire::encode(&text_content(text, ts, name));
        assert_eq!(hex::encode(&ours), str_of(case, "content_hex"), "{id}");
        let mut out = Outgoing::new(text);
        out.display_name = name.map(str::to_owned);
        let mut c = out.to_content(ts);
        c.sig_timestamp = None;
        assert_eq!(wire::encode(&c), ours, "{id}");
        let padded = if libsession {
            pad::pad(&ours)
        } else {
            pad::pad_legacy(&ours)
        };
        assert_eq!(hex::encode(padded), str_of(case, "padded_hex"), "{id}");

        // A flipped signature bit, resealed to the recipient, is refused.
        let sender = identity_of(str_of(case, "sender_seed_hex"));
        let mut inner = signed(
            &sender,
            &sender.ed25519_pub(),
            &recipient.x25519_pub(),
            &d.plaintext,
        );
        assert_eq!(
            message::decrypt_incoming(&recipient, &raw_seal(&recipient.x25519_pub(), &inner))
                .unwrap()
                .plaintext,
            d.plaintext
        );
        let last = inner.len() - 1;
        inner[last] ^= 0x01;
        assert_eq!(
            message::decrypt_incoming(&recipient, &raw_seal(&recipient.x25519_pub(), &inner)),
            Err(OpenError::BadSignature),
            "{id}"
        );

        // Someone else cannot open it.
        assert_eq!(
            message::open(&identity_of("ff".repeat(16).as_str()), data_b64).err(),
            Some(OpenError::Decrypt),
            "{id}"
        );
    }
}

#[test]
fn session_python_messages_open() {
    check_message_vectors("message_1o1", false);
}

#[test]
fn libsession_messages_open() {
    check_message_vectors("message_1o1_libsession", true);
}

#[test]
fn note_to_self_opens() {
    // The README says the last case of the full set is a note-to-self; whether or not this half
    // has it, seal one and open it.
    for case in cases("message_1o1")
        .iter()
        .filter(|c| c["sender_session_id"] == c["recipient_session_id"])
    {
        let me = identity_of(str_of(case, "recipient_seed_hex"));
        let m = message::open(&me, str_of(case, "storage_data_b64")).unwrap();
        assert_eq!(m.sender, me.session_id());
    }
    let me = identity_of("39038c8988db02c1af44e8c847bd9713");
    let data = message::seal(
        &me,
        &me.session_id(),
        &Outgoing::new("note to self"),
        1_700_000_000_000,
        &mut TestRng::from_seed([1; 32]),
    )
    .unwrap();
    let m = message::open_data(&me, &data).unwrap();
    assert_eq!(m.sender, me.session_id());
    assert_eq!(m.text.as_deref(), Some("note to self"));
}

#[test]
fn deterministic_boxes_match_libsession() {
    let cases = cases("message_1o1_deterministic");
    assert!(!cases.is_empty());
    for case in cases {
        let id = str_of(case, "id");
        let sender = identity_of(str_of(case, "sender_seed_hex"));
        let recipient = identity_of(str_of(case, "recipient_seed_hex"));
        let plaintext = hex_vec(str_of(case, "plaintext_hex"));
        let ct = message::encrypt_for_recipient_deterministic(
            &sender,
            &recipient.x25519_pub(),
            &plaintext,
        )
        .unwrap();
        assert_eq!(hex::encode(&ct), str_of(case, "ciphertext_hex"), "{id}");
        // The signed layer, as libsodium's sealed-box opener sees it.
        let sk = crypto_box::SecretKey::from(*recipient.x25519_secret());
        assert_eq!(
            hex::encode(sk.unseal(&ct).unwrap()),
            str_of(case, "signed_plaintext_hex"),
            "{id}"
        );
        let d = message::decrypt_incoming(&recipient, &ct).unwrap();
        assert_eq!(d.plaintext, plaintext, "{id}");
        assert_eq!(d.sender.to_string(), str_of(case, "sender_session_id"));
        assert_eq!(
            d.sender_ed25519.to_hex(),
            str_of(case, "sender_ed25519_pk_hex")
        );
    }
}

/// The stage a `must_fail_at` names, as sesh's errors.
fn stage_matches(stage: &str, err: &OpenError) -> bool {
    match stage {
        "signature" => matches!(err, OpenError::BadSignature | OpenError::BadSenderKey),
        "decrypt" => matches!(err, OpenError::Decrypt),
        "length" => matches!(err, OpenError::TooShort { .. }),
        other => panic!("unknown must_fail_at {other}"),
    }
}

#[test]
fn invalid_boxes_are_rejected_at_their_stage() {
    let cases = cases("message_1o1_invalid");
    assert!(!cases.is_empty());
    for case in cases {
        let id = str_of(case, "id");
        let recipient = identity_of(str_of(case, "recipient_seed_hex"));
        let ct = hex_vec(str_of(case, "ciphertext_hex"));
        let err = message::decrypt_incoming(&recipient, &ct).unwrap_err();
        let stage = str_of(case, "must_fail_at");
        assert!(stage_matches(stage, &err), "{id}: {stage} but {err:?}");
    }
}

#[test]
fn forged_boxes_of_every_kind_are_rejected() {
    // The six kinds of message_1o1_invalid, made here so that all are covered whichever half
    // of the vectors this copy holds.
    let alice = identity_of("13e7e554aca69b5689a6d7020b8aca8b");
    let bob = identity_of("16c73853aad6153137d13e540fcd2cd2");
    let eve = identity_of("ff4b1cb980ac96c44cca74ddf02fb2b5");
    let m = pad::pad(&wire::encode(&text_content("hi", 1, None)));
    let (a, b, e) = (alice.ed25519_pub(), bob.x25519_pub(), eve.x25519_pub());

    let good = raw_seal(&b, &signed(&alice, &a, &b, &m));
    assert!(message::decrypt_incoming(&bob, &good).is_ok());

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "signature over another recipient",
            raw_seal(&b, &signed(&alice, &a, &e, &m)),
            "signature",
        ),
        (
            "signature by another key",
            raw_seal(&b, &signed(&eve, &a, &b, &m)),
            "signature",
        ),
        ("flipped bit", flip(&good, 60), "decrypt"),
        ("truncated", good[..good.len() - 1].to_vec(), "decrypt"),
        (
            "sealed to another",
            raw_seal(&e, &signed(&alice, &a, &b, &m)),
            "decrypt",
        ),
        (
            "content shorter than 96 bytes",
            raw_seal(&b, &signed(&alice, &a, &b, &m)[..95]),
            "length",
        ),
    ];
    for (what, ct, stage) in cases {
        let err = message::decrypt_incoming(&bob, &ct).unwrap_err();
        assert!(stage_matches(stage, &err), "{what}: {stage} but {err:?}");
    }

    // An embedded key that is not a usable public key.
    let mut identity_point = [0u8; 32];
    identity_point[0] = 1; // the identity point (0, 1): small order
    let forged = raw_seal(&b, &signed(&alice, &Ed25519Pub(identity_point), &b, &m));
    assert_eq!(
        message::decrypt_incoming(&bob, &forged),
        Err(OpenError::BadSenderKey)
    );
}

fn flip(v: &[u8], i: usize) -> Vec<u8> {
    let mut v = v.to_vec();
    v[i] ^= 0x10;
    v
}

#[test]
fn content_text_vectors_encode_byte_for_byte() {
    let cases = cases("content_text");
    assert!(!cases.is_empty());
    for case in cases {
        let ts = case["timestamp_ms"].as_u64().unwrap();
        let c = text_content(str_of(case, "text"), ts, case["display_name"].as_str());
        let bytes = wire::encode(&c);
        assert_eq!(hex::encode(&bytes), str_of(case, "content_hex"));
        assert_eq!(wire::decode::<Content>(&bytes).unwrap(), c);
        assert_eq!(
            hex::encode(pad::pad(&bytes)),
            str_of(case, "libsession_padded_hex")
        );
        assert_eq!(
            hex::encode(pad::pad_legacy(&bytes)),
            str_of(case, "session_python_padded_hex")
        );
        for flavour in ["libsession_padded_hex", "session_python_padded_hex"] {
            let padded = hex_vec(str_of(case, flavour));
            assert_eq!(pad::unpad(&padded).unwrap(), bytes);
        }
    }
}

#[test]
fn padding_vectors_both_forms() {
    let cases = cases("padding");
    assert!(!cases.is_empty());
    for case in cases {
        let input = hex_vec(str_of(case, "input_hex"));
        let n = case["input_len"].as_u64().unwrap() as usize;
        assert_eq!(input.len(), n);
        let lib = hex_vec(str_of(case, "libsession_padded_hex"));
        let py = hex_vec(str_of(case, "session_python_padded_hex"));
        assert_eq!(pad::pad(&input), lib, "n = {n}");
        assert_eq!(pad::padded_len(n), lib.len());
        assert_eq!(pad::pad_legacy(&input), py, "n = {n}");
        assert_eq!(pad::unpad(&lib).unwrap(), input);
        assert_eq!(pad::unpad(&py).unwrap(), input);
    }
}

#[test]
fn storage_auth_vectors() {
    let cases = cases("storage_auth");
    assert!(!cases.is_empty());
    for case in cases {
        let id = identity_of(str_of(case, "seed_hex"));
        assert_eq!(id.session_id().to_string(), str_of(case, "session_id"));
        let method = str_of(case, "method");
        let ns = Namespace(case["namespace"].as_i64().unwrap() as i16);
        let ts = case["timestamp_ms"].as_u64().unwrap();
        // libsession's network::auth signs `method ‖ ns ‖ timestamp` for every method it is
        // given, "delete" included; the storage server's own `delete` signs the hashes instead
        // (auth::delete).
        let msg = auth::method_namespace_timestamp(method, ns, ts);
        assert_eq!(
            String::from_utf8(msg.clone()).unwrap(),
            str_of(case, "string_to_sign")
        );
        match method {
            "retrieve" => assert_eq!(auth::retrieve(ns, ts), msg),
            "store" => assert_eq!(auth::store(ns, ts), msg),
            _ => {}
        }
        assert_eq!(
            auth::signature_b64(&id, &msg),
            str_of(case, "signature_b64")
        );
        let fields = serde_json::Value::Object(auth::request_fields(&id, method, ns, ts));
        assert_eq!(fields, case["auth_fields"], "{method} {ns}");
    }
}

#[test]
fn message_hash_of_a_stored_vector() {
    // protocol.md §12.4: the hash of the full wire vector in ns 0 of 05aa654f…74.
    let to: SessionId = "05aa654f00fc39fc69fd0db829410ca38177d7732a8d2f0934ab3872ac56d5aa74"
        .parse()
        .unwrap();
    let data = b64(
        "CAESxwIKABIAGr4CCAYogNCV/7wxOAFCsAK3gknBtQgrBco4d8B8EqrgzC3vA2ONaX+RzTZ4AANFToyhDwotOTFcNiy0\
         AcWQTSGTjgKi/ARvBEztrmISEzO1CF6xhxGxoIxBP43U9O/7tfeLRmvYl2v1Zymosiuo8u/67jHjwRFUHtsGKeZ9dqUm\
         TTUgImb4Y0uZg5tCpCa9ObIH6xKkUEPwBCs0Y+Otg2sb7xJGQc572DWzdT05PZIKVNsDsdqt9nS0qywghxHYogqDQeMK\
         vJqZygwDgFhntxXcG1SCvvJRPX8k7Jl/IqBhjQIVS1g8Req5nbGznuFRmKMRyxisEHgFSnd/+GZQZq41x5czirYGdQ1v\
         7pbuvoOsBNJ8VudaZMy2vsSsRgQx+6++F99dolw0DJwATSjNGKuBcADPB/CQwv847p23SCFhIAA=",
    );
    assert_eq!(
        rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data),
        "gdwvjvy8/zXKJue07+7fdKrnSnLgA3yHAZ3AFRGQoro"
    );
}

#[test]
fn open_accepts_unpadded_base64_and_whitespace() {
    let case = &cases("message_1o1_libsession")[0];
    let recipient = identity_of(str_of(case, "recipient_seed_hex"));
    let b = str_of(case, "storage_data_b64");
    let unpadded = b.trim_end_matches('=');
    assert!(message::open(&recipient, unpadded).is_ok());
    assert!(message::open(&recipient, format!("  \t{b}\r\n")).is_ok());
    assert!(matches!(
        message::open(&recipient, "not base64!"),
        Err(OpenError::Base64(_))
    ));
    assert!(matches!(
        message::open(
            &recipient,
            "A".repeat(sesh::rpc::limits::MAX_DATA_B64_LEN + 4)
        ),
        Err(OpenError::TooLarge { .. })
    ));
}

#[test]
fn open_names_the_outer_stages() {
    let me = identity_of("00".repeat(16).as_str());
    // Not a WebSocketMessage (a truncated varint).
    assert!(matches!(
        message::open_data(&me, &[0x08]),
        Err(OpenError::WebSocket(_))
    ));
    // A WebSocketMessage without a request.
    assert_eq!(
        message::open_data(&me, &[0x08, 0x01]),
        Err(OpenError::Missing("WebSocketMessage.request.body"))
    );
    // A group envelope.
    let env = wire::encode(&wire::Envelope {
        r#type: 7,
        timestamp: 1,
        content: Some(vec![0; 200]),
        ..Default::default()
    });
    assert_eq!(
        message::open_envelope(&me, &env),
        Err(OpenError::UnknownEnvelopeType(7))
    );
    let env = wire::encode(&wire::Envelope {
        r#type: 6,
        timestamp: 1,
        content: Some(vec![0; 100]),
        ..Default::default()
    });
    assert_eq!(
        message::open_envelope(&me, &env),
        Err(OpenError::TooShort { len: 100, min: 144 })
    );
    let env = wire::encode(&wire::Envelope {
        r#type: 6,
        timestamp: 1,
        ..Default::default()
    });
    assert_eq!(
        message::open_envelope(&me, &env),
        Err(OpenError::Missing("Envelope.content"))
    );
}

#[test]
fn seal_refuses_texts_over_the_storage_limit() {
    let a = identity_of("01".repeat(16).as_str());
    let b = identity_of("02".repeat(16).as_str());
    let mut rng = TestRng::from_seed([2; 32]);
    let too_long = Outgoing::new("x".repeat(rpc::MAX_DATA_LEN));
    assert!(matches!(
        message::seal(&a, &b.session_id(), &too_long, 1, &mut rng),
        Err(SealError::TooLarge { .. })
    ));
    // The longest text that fits: find it, and check one more byte does not.
    let fits = |n: usize, rng: &mut TestRng| {
        message::seal(&a, &b.session_id(), &Outgoing::new("x".repeat(n)), 1, rng).is_ok()
    };
    let (mut lo, mut hi) = (0, rpc::MAX_DATA_LEN);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fits(mid, &mut rng) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    assert!(lo > 76_000, "only {lo} bytes fit");
    let data = message::seal(
        &a,
        &b.session_id(),
        &Outgoing::new("x".repeat(lo)),
        1,
        &mut rng,
    )
    .unwrap();
    assert!(data.len() <= rpc::MAX_DATA_LEN);
    assert_eq!(
        message::open_data(&b, &data).unwrap().text.map(|t| t.len()),
        Some(lo)
    );
}

fn seed16() -> impl Strategy<Value = [u8; 16]> {
    any::<[u8; 16]>()
}

fn identity(seed: [u8; 16]) -> Identity {
    Identity::from_seed(sesh::identity::Seed::from_legacy(&seed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn seal_then_open_round_trips(
        a in seed16(),
        b in seed16(),
        text in ".{0,300}",
        name in proptest::option::of("[^\u{0}]{1,40}"),
        ts in 1u64..=4_102_444_800_000,
        rng_seed in any::<[u8; 32]>(),
    ) {
        let (a, b) = (identity(a), identity(b));
        let mut out = Outgoing::new(text.clone());
        out.display_name = name.clone();
        let data = message::seal(&a, &b.session_id(), &out, ts, &mut TestRng::from_seed(rng_seed))
            .unwrap();
        let m = message::open(&b, message::to_base64(&data)).unwrap();
        prop_assert_eq!(m.text, Some(text));
        prop_assert_eq!(m.display_name, name);
        prop_assert_eq!(m.timestamp_ms, ts);
        prop_assert_eq!(m.sender, a.session_id());
        prop_assert_eq!(m.sender_ed25519, a.ed25519_pub());
        // Only the recipient can open it (unless it is a note to self).
        if a.session_id() != b.session_id() {
            prop_assert_eq!(message::open_data(&a, &data).err(), Some(OpenError::Decrypt));
        }
    }

    #[test]
    fn open_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let me = identity([7; 16]);
        let _ = message::open(&me, &bytes);
        let _ = message::open_data(&me, &bytes);
        let _ = message::open_envelope(&me, &bytes);
        let _ = message::decrypt_incoming(&me, &bytes);
        let _ = pad::unpad(&bytes);
        let _ = wire::decode::<Content>(&bytes);
    }

    #[test]
    fn open_never_panics_on_damaged_messages(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let case = &cases("message_1o1_libsession")[0];
        let me = identity_of(str_of(case, "recipient_seed_hex"));
        let mut data = b64(str_of(case, "storage_data_b64"));
        for (i, x) in flips {
            let i = i.index(data.len());
            data[i] ^= x;
        }
        if truncate {
            data.truncate(cut.index(data.len()));
        }
        let _ = message::open_data(&me, &data);
        let _ = message::open(&me, message::to_base64(&data));
    }
}

fn content_strategy() -> impl Strategy<Value = Content> {
    (
        proptest::option::of(".{0,40}"),
        proptest::option::of(any::<u64>()),
        proptest::option::of(".{0,20}"),
        proptest::collection::vec((any::<u64>(), proptest::option::of("[a-z/]{0,20}")), 0..3),
        proptest::option::of((0i32..3, any::<u32>())),
        proptest::option::of(any::<u64>()),
        proptest::option::of((any::<u64>(), 0u32..2)),
    )
        .prop_map(|(body, ts, name, atts, exp, sig, typing)| Content {
            data_message: Some(DataMessage {
                body,
                timestamp: ts,
                profile: name.map(|n| LokiProfile {
                    display_name: Some(n),
                    ..Default::default()
                }),
                attachments: atts
                    .into_iter()
                    .map(|(id, url)| wire::AttachmentPointer {
                        deprecated_id: id,
                        url,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            typing_message: typing
                .map(|(timestamp, action)| wire::TypingMessage { timestamp, action }),
            expiration_type: exp.map(|(t, _)| t),
            expiration_timer: exp.map(|(_, s)| s),
            sig_timestamp: sig,
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn content_encodes_and_decodes(c in content_strategy()) {
        let bytes = wire::encode(&c);
        prop_assert_eq!(wire::decode::<Content>(&bytes).unwrap(), c);
        // Padding in either form is undone.
        let (p, l) = (pad::pad(&bytes), pad::pad_legacy(&bytes));
        prop_assert_eq!(pad::unpad(&p).unwrap(), &bytes[..]);
        prop_assert_eq!(pad::unpad(&l).unwrap(), &bytes[..]);
    }
}

proptest! {
    // Few cases: each seals and opens up to 76 800 bytes.
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn long_texts_round_trip_up_to_the_limit(
        len in 70_000usize..76_400,
        c in proptest::char::range('a', 'z'),
        rng_seed in any::<[u8; 32]>(),
    ) {
        let a = identity([1; 16]);
        let b = identity([2; 16]);
        let text: String = std::iter::repeat_n(c, len).collect();
        let data = message::seal(&a, &b.session_id(), &Outgoing::new(text.clone()), 1, &mut TestRng::from_seed(rng_seed)).unwrap();
        prop_assert!(data.len() <= rpc::MAX_DATA_LEN);
        prop_assert_eq!(message::open_data(&b, &data).unwrap().text, Some(text));
    }
}
