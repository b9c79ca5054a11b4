//! Onion request and swarm vectors: tests/vectors/vectors.json (`onion.hop_xchacha20`,
//! `onion.requests`) and protocol.md §12.7 (storage server `unit_test/swarm.cpp`) and §12.8
//! (libsession-util `tests/test_onionreq.cpp`).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap too"
)]

use serde_json::Value;
use sesh::identity::{Ed25519Pub, SessionId, X25519Pub};
use sesh::onion::{
    self, EncType, HopKeys, LayerKey, PeelError, Peeled, PendingReply, Response, hop,
};
use sesh::swarm::{self, INVALID_SWARM_ID, Snode, SnodePool};

use super::onion_laws::TestRng;
use super::support::{cases, hex_array, str_of};

fn x_pub(s: &str) -> X25519Pub {
    X25519Pub(hex_array(s))
}

// ---- onion.hop_xchacha20 ------------------------------------------------------------------

#[test]
fn hop_xchacha20_vectors_decrypt_both_ways() {
    let cases = cases("onion.hop_xchacha20");
    assert!(!cases.is_empty());
    for case in cases {
        let enc: EncType = str_of(case, "enc_type").parse().unwrap();
        assert_eq!(enc, EncType::XChaCha20);
        let client_sk: [u8; 32] = hex_array(str_of(case, "client_x25519_sk_hex"));
        let server_sk: [u8; 32] = hex_array(str_of(case, "server_x25519_sk_hex"));
        let client_pk = x_pub(str_of(case, "client_x25519_pk_hex"));
        let server_pk = x_pub(str_of(case, "server_x25519_pk_hex"));
        assert_eq!(hop::x25519_public(&client_sk), client_pk);
        assert_eq!(hop::x25519_public(&server_sk), server_pk);

        // Client → snode: the node decrypts with its secret and the client's public key.
        let node = LayerKey::for_node(enc, &onion::NodeKeys::new(&server_sk), &client_pk).unwrap();
        let request = hex::decode(str_of(case, "request_ciphertext_hex")).unwrap();
        assert_eq!(
            node.decrypt(&request).unwrap(),
            str_of(case, "request_plaintext").as_bytes()
        );
        // Snode → client: the same key, derived from the client's side.
        let client = LayerKey::for_client(enc, &client_sk, &server_pk).unwrap();
        assert_eq!(client.as_bytes(), node.as_bytes());
        let reply = hex::decode(str_of(case, "reply_ciphertext_hex")).unwrap();
        assert_eq!(
            client.decrypt(&reply).unwrap(),
            str_of(case, "reply_plaintext").as_bytes()
        );
        // And through the client's reply API.
        let pending = PendingReply::new(enc, &client_sk, &server_pk).unwrap();
        assert_eq!(
            pending.decrypt(&reply).unwrap(),
            str_of(case, "reply_plaintext").as_bytes()
        );
    }
}

// ---- onion.requests -----------------------------------------------------------------------

#[test]
fn onion_request_vectors_peel_hop_by_hop() {
    let cases = cases("onion.requests");
    assert!(!cases.is_empty());
    let mut rng = TestRng::from_env();
    for case in cases {
        let enc: EncType = str_of(case, "enc_type").parse().unwrap();
        let path = case["path"].as_array().unwrap();
        let layers = case["layers"].as_array().unwrap();
        assert_eq!(layers.len(), path.len() + 1);
        let dest = &case["destination"];
        let ed = |v: &Value| -> Ed25519Pub { str_of(v, "ed25519_pk_hex").parse().unwrap() };

        let mut layer = hex::decode(str_of(case, "onion_hex")).unwrap();
        // The outermost JSON names the guard's ephemeral key.
        let outer = onion::Layer::decode(&layer).unwrap();
        assert_eq!(
            outer
                .routing()
                .ephemeral_key
                .as_ref()
                .and_then(|k| k.as_str()),
            layers[0]["remote_ephemeral_pk_hex"].as_str()
        );
        assert_eq!(outer.routing().enc_type, Some(enc.as_str().into()));

        for (i, hop) in path.iter().enumerate() {
            let sk: [u8; 32] = hex_array(str_of(hop, "x25519_sk_hex"));
            assert_eq!(
                hop::x25519_public(&sk).to_hex(),
                str_of(hop, "x25519_pk_hex")
            );
            let seen = &layers[i];
            assert_eq!(seen["hop"], i);
            let unwrapped = onion::decrypt_layer(&onion::NodeKeys::new(&sk), &layer).unwrap();
            assert_eq!(
                Some(unwrapped.plaintext.len() as u64),
                seen["decrypted_len"].as_u64()
            );
            let Peeled::Relay(relay) = onion::peel(&onion::NodeKeys::new(&sk), &layer).unwrap()
            else {
                panic!("hop {i} is a relay");
            };
            assert_eq!(
                serde_json::to_value(&relay.routing).unwrap(),
                seen["routing_json"]
            );
            let next = path.get(i + 1).unwrap_or(dest);
            assert_eq!(relay.destination, ed(next));
            assert_eq!(relay.enc_type, enc);
            assert_eq!(relay.hop_no, i as u32 + 1);
            assert_eq!(
                relay.ephemeral_key.to_hex(),
                str_of(&layers[i + 1], "remote_ephemeral_pk_hex")
            );
            let next_layer = onion::Layer::decode(&relay.next_layer).unwrap();
            assert_eq!(
                Some(next_layer.blob().len() as u64),
                seen["inner_len"].as_u64()
            );
            layer = relay.next_layer;
        }

        // The destination.
        let last = &layers[path.len()];
        let dest_sk: [u8; 32] = hex_array(str_of(dest, "x25519_sk_hex"));
        let Peeled::Final(fin) = onion::peel(&onion::NodeKeys::new(&dest_sk), &layer).unwrap()
        else {
            panic!("the destination gets a final request");
        };
        assert_eq!(
            serde_json::to_value(&fin.routing).unwrap(),
            last["routing_json"]
        );
        assert_eq!(fin.payload, str_of(case, "inner_payload").as_bytes());
        assert_eq!(fin.payload, str_of(last, "final_payload").as_bytes());
        assert!(!fin.json);
        assert!(fin.base64);
        assert_eq!(
            Some(
                onion::decrypt_layer(&onion::NodeKeys::new(&dest_sk), &layer)
                    .unwrap()
                    .plaintext
                    .len() as u64
            ),
            last["decrypted_len"].as_u64()
        );

        // The destination's reply, opened with the final ephemeral secret.
        let final_sk: [u8; 32] = hex_array(str_of(case, "final_ephemeral_x25519_sk_hex"));
        assert_eq!(
            hop::x25519_public(&final_sk).to_hex(),
            str_of(case, "final_ephemeral_x25519_pk_hex")
        );
        assert_eq!(
            str_of(case, "final_ephemeral_x25519_pk_hex"),
            str_of(last, "remote_ephemeral_pk_hex")
        );
        let pending =
            PendingReply::new(enc, &final_sk, &x_pub(str_of(dest, "x25519_pk_hex"))).unwrap();
        let reply = &case["destination_reply"];
        let ct = hex::decode(str_of(reply, "ciphertext_hex")).unwrap();
        assert_eq!(
            pending.decrypt(&ct).unwrap(),
            str_of(reply, "plaintext").as_bytes()
        );

        // sesh's own reply through the same key opens as a v3 response.
        let body = str_of(reply, "plaintext");
        let sealed = fin.reply.seal_response(200, body, &mut rng).unwrap();
        assert_eq!(
            pending.open(sealed.as_bytes()).unwrap(),
            Response {
                status: 200,
                body: body.to_owned()
            }
        );
    }
}

// ---- protocol.md §12.8 --------------------------------------------------------------------

const A_SEC: &str = "ccc335912da8939e2b44816728a5a4773063efa82bf7ae2d42a0abfa2caa452d";
const A_PUB: &str = "bbdfc83022d0aff084a6f0c529a93d1c4d728bf7e41199afed0e01ae70d20540";
const B_SEC: &str = "8fcd8ad3a15c76f76f1c56dff0c529999f8c59b4acda79e05666e54d5727dca1";
const B_PUB: &str = "caea52c5b0c316d85ffb53ea536826618b13dee40685f166f632653114526a78";

fn node_key(enc: EncType) -> LayerKey {
    LayerKey::for_node(enc, &onion::NodeKeys::new(&hex_array(B_SEC)), &x_pub(A_PUB)).unwrap()
}

fn client_key(enc: EncType) -> LayerKey {
    LayerKey::for_client(enc, &hex_array(A_SEC), &x_pub(B_PUB)).unwrap()
}

#[test]
fn onionreq_keys() {
    assert_eq!(
        hex::encode(*hop::shared_secret(&hex_array(A_SEC), &x_pub(B_PUB)).unwrap()),
        "d18901cbf26809d48c34c4fba44d3b908dbf1bdd3a7ee601a49f1e11ea70ea6e"
    );
    assert_eq!(
        hex::encode(*hop::shared_secret(&hex_array(B_SEC), &x_pub(A_PUB)).unwrap()),
        "d18901cbf26809d48c34c4fba44d3b908dbf1bdd3a7ee601a49f1e11ea70ea6e"
    );
    for side in [client_key, node_key] {
        assert_eq!(
            hex::encode(side(EncType::AesGcm).as_bytes()),
            "4f310f62c43f14d7fea7c084819a4e394d9fc7005919275ac18d9eb8bf3e4231"
        );
        assert_eq!(
            hex::encode(side(EncType::XChaCha20).as_bytes()),
            "37a3af90eb276c0b4069998e97edf956b6933bd3c77d330a072cdf274e757ab5"
        );
    }
}

#[test]
fn onionreq_node_decrypts_and_rejects_broken_variants() {
    let gcm = "1eb6ae1cd72f60999486365749bd5dc15cc0b6a2a44d7d063daa5e93722f0c025fd00306403b61";
    let xchacha = "9e1a3abe60eff3ea5c23556cc7e225b6f94355315f7281f66ecf4dbb06e7899a52b863e03cde3b287d1638d765db75de02b032";
    let ok = |enc, h: &str| node_key(enc).decrypt(&hex::decode(h).unwrap());
    assert_eq!(ok(EncType::AesGcm, gcm).unwrap(), b"Hello world");
    assert_eq!(ok(EncType::XChaCha20, xchacha).unwrap(), b"Hello world");
    for broken in [
        gcm.replace("365749bd", "365759bd"),
        format!("{}69", &gcm[..gcm.len() - 2]),
    ] {
        assert!(ok(EncType::AesGcm, &broken).is_err(), "{broken}");
    }
    for broken in [
        format!("{}33", &xchacha[..xchacha.len() - 2]),
        xchacha.replace("556cc7e2", "556ccfe2"),
    ] {
        assert!(ok(EncType::XChaCha20, &broken).is_err(), "{broken}");
    }
    // The wrong encryption type fails too.
    assert!(ok(EncType::XChaCha20, gcm).is_err());
    assert!(ok(EncType::AesGcm, xchacha).is_err());
}

#[test]
fn onionreq_fixed_nonce_build_vectors() {
    let iv: Vec<u8> = (0u8..12).collect();
    assert_eq!(
        hex::encode(
            client_key(EncType::AesGcm)
                .encrypt_with_nonce(&iv, b"Hello world")
                .unwrap()
        ),
        "000102030405060708090a0bcac13290a4dc6318a9c3539f47baeeb8558879b5260a661e70d4bc"
    );
    let nonce: Vec<u8> = (0u8..24).collect();
    assert_eq!(
        hex::encode(
            client_key(EncType::XChaCha20)
                .encrypt_with_nonce(&nonce, b"Hello world")
                .unwrap()
        ),
        "000102030405060708090a0b0c0d0e0f1011121314151617cc79853abaadfa306b20d4cc3bc283c17fc2f3dbbc9839fad0c3a4"
    );
}

#[test]
fn onionreq_full_layer_parsing() {
    // LS test "Onion request parser".
    let b: [u8; 32] = hex_array("2f4d1c0d28e137777ec0a316e9f4f763e3e66662a6c51994c6315c9ef34b6deb");
    let big_b = x_pub("8388de69bc0d4b6196133233ad9a46ba0473474bc67718aad96a3a33c257f726");
    let a: [u8; 32] = hex_array("d2ee09e1a557a077d385fcb69a11ffb6909ecdcc8348def3e0e4172c8a1431c1");
    assert_eq!(hop::x25519_public(&b), big_b);
    assert_eq!(
        hop::x25519_public(&a).to_hex(),
        "8167e97672005c669a48858c69895f395ca235219ac3f7a4210022b1f910e652"
    );
    let gcm_req = "270000009525d587d188c92a966eef0e7162bef99a6171a124575b998072a8ee7eb265e0b6f0930ed965047b22656e635f74797065223a20226165732d67636d222c2022657068656d6572616c5f6b6579223a202238313637653937363732303035633636396134383835386336393839356633393563613233353231396163336637613432313030323262316639313065363532227d";
    let xchacha_req = "33000000e440bc244ddcafd947b86fc5a964aa58de54a6d75cc0f0f3840db14b6c1176a8e2e0a04d5fbdf98f23adee1edc8362ab99b10b7b22656e635f74797065223a2022786368616368613230222c2022657068656d6572616c5f6b6579223a202238313637653937363732303035633636396134383835386336393839356633393563613233353231396163336637613432313030323262316639313065363532227d";
    let mut rng = TestRng::from_env();
    for (enc, req, reply_len) in [
        (EncType::AesGcm, gcm_req, 41),
        (EncType::XChaCha20, xchacha_req, 53),
    ] {
        let bytes = hex::decode(req).unwrap();
        let unwrapped = onion::decrypt_layer(&onion::NodeKeys::new(&b), &bytes).unwrap();
        assert_eq!(unwrapped.plaintext, b"Hello world");
        assert_eq!(unwrapped.reply.enc_type(), enc);
        assert_eq!(unwrapped.hop_no, 0);
        let reply = unwrapped.reply.seal(b"Goodbye world", &mut rng).unwrap();
        assert_eq!(reply.len(), reply_len);
        let pending = PendingReply::new(enc, &a, &big_b).unwrap();
        assert_eq!(pending.decrypt(&reply).unwrap(), b"Goodbye world");

        // "Hello world" is not a layer: a storage server answers 200 with an encrypted 400.
        let err = onion::peel(&onion::NodeKeys::new(&b), &bytes).unwrap_err();
        assert!(matches!(err, PeelError::InvalidJson { .. }), "{err:?}");
        let (status, body) = err.http_reply(&mut rng);
        assert_eq!(status, 200);
        assert_eq!(
            pending.open(body.as_bytes()).unwrap(),
            Response {
                status: 400,
                body: "Invalid json".to_owned()
            }
        );

        // Another node's key cannot decrypt it.
        let err = onion::peel(&onion::NodeKeys::new(&[9; 32]), &bytes).unwrap_err();
        assert!(matches!(err, PeelError::Ciphertext(_)), "{err:?}");
        assert_eq!(
            err.http_reply(&mut rng),
            (400, "Invalid ciphertext".to_owned())
        );
    }
}

// ---- protocol.md §12.7 --------------------------------------------------------------------

fn key32(hex66: &str) -> [u8; 32] {
    hex_array(&hex66[2..])
}

#[test]
fn swarm_space_vectors() {
    for (pk, space) in [
        (
            "053506f4a71324b7dd114eddbf4e311f39dde243e1f2cb97c40db1961f70ebaae8",
            17589930838143112648,
        ),
        (
            "05cf27da303a50ac8c4b2d43d27259505c9bcd73fc21cf2a57902c3d050730b604",
            10370619079776428163,
        ),
        (
            "03d3511706b8b34f6e8411bf07bd22ba6b2435ca56846fbccf6eb1e166a6cd15cc",
            2144983569669512198,
        ),
        (
            "ff0f06693428fca9102a451e3f28d9cc743d8ea60a89ab6aa69eb119470c11cbd3",
            9690840703409570833,
        ),
        (
            "05ffba630924aa1224bb930dde21c0d11bf004608f2812217f8ac812d6c7e3ad48",
            4532060000165252872,
        ),
        (
            "05eeeeeeeeeeeeeeee777777777777777711111111111111118888888888888888",
            0,
        ),
        (
            "050123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            0,
        ),
        (
            "05fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe",
            1,
        ),
        (
            "05ffffffffffffffffffffffffffffffffffffffffffffffff7fffffffffffffff",
            1 << 63,
        ),
        (
            "05000000000000000000000000000000000000000000000000ffffffffffffffff",
            u64::MAX,
        ),
        (
            "050000000000000000000000000000000000000000000000000123456789abcdef",
            0x0123456789abcdef,
        ),
    ] {
        assert_eq!(swarm::space(&key32(pk)), space, "{pk}");
    }
}

/// `05` + 48 zero hex digits + the last 16.
fn tail_key(last: u64) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[24..].copy_from_slice(&last.to_be_bytes());
    k
}

const SWARMS: [u64; 7] = [100, 200, 300, 399, 498, 596, 694];

#[test]
fn swarm_choice_vectors() {
    let expect = [
        (0x64, 100),
        (0xc8, 200),
        (0x1f2, 498),
        (0x0, 100),
        (0x1, 100),
        (0x8000000000000000, 694),
        (0xa000000000000000, 100),
        (0xffffffffffffffff, 100),
        (0xfffffffffffffffe, 100),
        (0x95, 100),
        (0x96, 100),
        (0x97, 200),
        (0xf9, 200),
        (0xfa, 200),
        (0xfb, 300),
        (0x15d, 300),
        (0x15e, 399),
        (0x1c0, 399),
        (0x1c1, 498),
        (0x222, 498),
        (0x223, 498),
        (0x224, 596),
        (0x285, 596),
        (0x286, 694),
        (0x800000000000018c, 694),
        (0x800000000000018d, 694),
        (0x800000000000018e, 100),
    ];
    // Order, duplicates and INVALID_SWARM_ID in the input change nothing.
    let mut messy = SWARMS.to_vec();
    messy.reverse();
    messy.extend([INVALID_SWARM_ID, 300, 100]);
    for (last, want) in expect {
        let space = swarm::space(&tail_key(last));
        assert_eq!(space, last);
        assert_eq!(swarm::swarm_for(space, &SWARMS), Some(want), "{last:#x}");
        assert_eq!(swarm::swarm_for(space, &messy), Some(want), "{last:#x}");
    }

    // Adding swarm 2^64 - 20.
    let mut with_high = SWARMS.to_vec();
    with_high.push(u64::MAX - 19);
    for (last, want) in [(0x27, u64::MAX - 19), (0x28, u64::MAX - 19), (0x29, 100)] {
        assert_eq!(
            swarm::swarm_for(swarm::space(&tail_key(last)), &with_high),
            Some(want),
            "{last:#x}"
        );
    }
    // And swarm 0 as well.
    with_high.push(0);
    for last in [0xffffffffffffffff, 0xfffffffffffffffe] {
        assert_eq!(
            swarm::swarm_for(swarm::space(&tail_key(last)), &with_high),
            Some(0)
        );
    }

    // Degenerate inputs.
    assert_eq!(swarm::swarm_for(5, &[]), None);
    assert_eq!(swarm::swarm_for(5, &[INVALID_SWARM_ID]), None);
    assert_eq!(swarm::swarm_for(u64::MAX, &[42]), Some(42));
}

#[test]
fn snode_pool_computes_swarms_from_its_nodes() {
    let nodes: Vec<Snode> = SWARMS
        .iter()
        .chain(&[INVALID_SWARM_ID])
        .enumerate()
        .flat_map(|(i, &swarm_id)| {
            (0..3u8).map(move |j| Snode {
                ed25519: Ed25519Pub([i as u8 * 8 + j + 1; 32]),
                x25519: X25519Pub([i as u8 * 8 + j + 1; 32]),
                ip: std::net::Ipv4Addr::new(10, i as u8, j, 1),
                port: 22021,
                swarm_id,
                version: Some([2, 11, 0]),
            })
        })
        .collect();
    let pool = SnodePool::new(nodes);
    assert_eq!(pool.swarm_ids(), SWARMS.to_vec());
    for (last, want) in [(0x1f2u64, 498u64), (0x8000000000000000, 694), (0x97, 200)] {
        let id = SessionId::from_x25519(X25519Pub(tail_key(last)));
        assert_eq!(pool.swarm_of(&id), Some(want));
        let members = pool.members_of(want);
        assert_eq!(members.len(), 3);
        assert!(members.iter().all(|m| m.swarm_id == want));
    }
}

// ---- build against fixed keys: the routing JSON is what libsession emits -------------------

#[test]
fn build_emits_libsession_routing_json() {
    let mut rng = TestRng::from_env();
    let hop_sk = [0x11u8; 32];
    let dest_sk = [0x22u8; 32];
    let guard = HopKeys {
        ed25519: Ed25519Pub([0xaa; 32]),
        x25519: hop::x25519_public(&hop_sk),
    };
    let dest = HopKeys {
        ed25519: Ed25519Pub([0xbb; 32]),
        x25519: hop::x25519_public(&dest_sk),
    };
    let (body, _pending) = onion::build(
        &[guard],
        &onion::Destination::Snode(dest),
        br#"{"method":"info","params":{}}"#,
        EncType::XChaCha20,
        &mut rng,
    )
    .unwrap();
    let outer = onion::Layer::decode(&body).unwrap();
    let outer_tail = &body[4 + outer.blob().len()..];
    let keys: Vec<String> = serde_json::from_slice::<serde_json::Map<String, Value>>(outer_tail)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["enc_type", "ephemeral_key"]);
    let plain = onion::decrypt_layer(&onion::NodeKeys::new(&hop_sk), &body)
        .unwrap()
        .plaintext;
    let inner = onion::Layer::decode(&plain).unwrap();
    let tail = &plain[4 + inner.blob().len()..];
    let eph = inner
        .routing()
        .ephemeral_key
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(
        std::str::from_utf8(tail).unwrap(),
        format!(
            r#"{{"destination":"{}","enc_type":"xchacha20","ephemeral_key":"{eph}"}}"#,
            "bb".repeat(32)
        )
    );
    let last = onion::decrypt_layer(&onion::NodeKeys::new(&dest_sk), &inner_layer(&plain))
        .unwrap()
        .plaintext;
    assert_eq!(
        last,
        [
            &29u32.to_le_bytes()[..],
            br#"{"method":"info","params":{}}{"headers":""}"#
        ]
        .concat()
    );
}

/// The relay layer a node forwards, re-framed as `peel` does it.
fn inner_layer(plaintext: &[u8]) -> Vec<u8> {
    let l = onion::Layer::decode(plaintext).unwrap();
    let routing = onion::Routing {
        ephemeral_key: l.routing().ephemeral_key.clone(),
        enc_type: l.routing().enc_type.clone(),
        ..onion::Routing::default()
    };
    onion::Layer::new(l.blob().to_vec(), routing)
        .unwrap()
        .encode()
}
