//! Laws of onion requests and paths: build → peel → respond → open round-trips for every
//! path length and encryption type, the node's error answers (protocol.md §15.10), decoders
//! that never panic, and path selection rules (§7.6).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap too"
)]

use std::collections::HashSet;
use std::net::Ipv4Addr;

use blake2::{Blake2b512, Digest};
use proptest::prelude::*;
use rand_core::{CryptoRng, RngCore};
use serde_json::{Value, json};
use sesh::identity::{Ed25519Pub, X25519Pub};
use sesh::onion::path::{self, PathError, PathPolicy};
use sesh::onion::{
    self, Destination, EncType, HopKeys, Layer, LayerKey, PeelError, Peeled, PendingReply,
    Response, Scheme, ServerDestination, hop,
};
use sesh::rpc::status::{self, Outcome};
use sesh::swarm::Snode;

/// A deterministic RNG for tests: BLAKE2b-512 over the seed and a counter.
///
/// The seed comes from `SESH_TEST_SEED` or is fixed, and is printed so a failure can be
/// replayed (after arti's `testing_rng`).
pub(crate) struct TestRng {
    seed: u64,
    counter: u64,
    buf: [u8; 64],
    pos: usize,
}

impl TestRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: 0,
            buf: [0; 64],
            pos: 64,
        }
    }

    #[expect(
        clippy::print_stderr,
        reason = "the seed is printed to replay a failure"
    )]
    pub(crate) fn from_env() -> Self {
        let seed = std::env::var("SESH_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5e5_0000_0001);
        eprintln!("test rng seed: SESH_TEST_SEED={seed}");
        Self::new(seed)
    }
}

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            if self.pos == self.buf.len() {
                let mut h = Blake2b512::new();
                h.update(self.seed.to_le_bytes());
                h.update(self.counter.to_le_bytes());
                self.buf.copy_from_slice(&h.finalize());
                self.counter += 1;
                self.pos = 0;
            }
            *byte = self.buf[self.pos];
            self.pos += 1;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for TestRng {}

/// A node with a secret key, as the local network would run it.
struct Node {
    secret: [u8; 32],
    keys: HopKeys,
}

fn node(rng: &mut TestRng) -> Node {
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    let mut ed = [0u8; 32];
    rng.fill_bytes(&mut ed);
    Node {
        secret,
        keys: HopKeys {
            ed25519: Ed25519Pub(ed),
            x25519: hop::x25519_public(&secret),
        },
    }
}

fn enc_of(xchacha: bool) -> EncType {
    if xchacha {
        EncType::XChaCha20
    } else {
        EncType::AesGcm
    }
}

/// Peels `body` through `hops`, checking each relay, and returns what reaches the end.
fn peel_path(hops: &[Node], next: &HopKeys, mut layer: Vec<u8>, enc: EncType) -> Vec<u8> {
    for (i, h) in hops.iter().enumerate() {
        let Peeled::Relay(r) = onion::peel(&onion::NodeKeys::new(&h.secret), &layer).unwrap()
        else {
            panic!("hop {i} should relay");
        };
        let want = hops.get(i + 1).map_or(next.ed25519, |n| n.keys.ed25519);
        assert_eq!(r.destination, want);
        assert_eq!(r.enc_type, enc);
        assert_eq!(r.hop_no, i as u32 + 1);
        layer = r.next_layer;
    }
    layer
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn build_peel_respond_open_round_trips(
        seed in any::<u64>(),
        hops in 0usize..=3,
        xchacha in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..600),
        reply in "\\PC{0,200}",
        status in 100u16..600,
    ) {
        let mut rng = TestRng::new(seed);
        let enc = enc_of(xchacha);
        let path: Vec<Node> = (0..hops).map(|_| node(&mut rng)).collect();
        let dest = node(&mut rng);
        let keys: Vec<HopKeys> = path.iter().map(|n| n.keys).collect();
        let (body, pending) = onion::build(
            &keys, &Destination::Snode(dest.keys), &payload, enc, &mut rng,
        ).unwrap();
        prop_assert_eq!(pending.enc_type(), enc);
        let layer = peel_path(&path, &dest.keys, body, enc);
        let Peeled::Final(fin) = onion::peel(&onion::NodeKeys::new(&dest.secret), &layer).unwrap() else {
            panic!("the destination should get a final request");
        };
        prop_assert_eq!(&fin.payload, &payload);
        prop_assert_eq!(fin.reply.enc_type(), enc);

        // A string body (the normal, double-encoded form).
        let text = fin.respond(status, &Value::String(reply.clone()), &mut rng).unwrap();
        prop_assert_eq!(
            pending.open(&text).unwrap(),
            Response { status, body: reply.clone() }
        );
        // The helper for the final text body.
        let text = fin.reply.seal_response(status, &reply, &mut rng).unwrap();
        prop_assert_eq!(
            pending.open(text.as_bytes()).unwrap(),
            Response { status, body: reply.clone() }
        );
        // A JSON body is serialized into the string.
        let obj = json!({"results": [{"code": 200, "body": {"t": 1}}], "r": reply});
        let text = fin.respond(200, &obj, &mut rng).unwrap();
        let opened = pending.open(&text).unwrap();
        prop_assert_eq!(serde_json::from_str::<Value>(&opened.body).unwrap(), obj);
        // Wrapped in {"result": …}, as some relays answer.
        let wrapped = json!({"result": String::from_utf8(text).unwrap()}).to_string();
        prop_assert_eq!(pending.open(wrapped.as_bytes()).unwrap().status, 200);
    }

    #[test]
    fn server_destinations_round_trip(
        seed in any::<u64>(),
        hops in 0usize..=3,
        xchacha in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut rng = TestRng::new(seed);
        let enc = enc_of(xchacha);
        let path: Vec<Node> = (0..hops).map(|_| node(&mut rng)).collect();
        let server = node(&mut rng);
        let dest = Destination::Server(ServerDestination {
            host: "127.0.0.1".into(),
            target: "/oxen/v4/lsrpc".into(),
            scheme: Scheme::Http,
            port: 8080,
            x25519: server.keys.x25519,
        });
        let keys: Vec<HopKeys> = path.iter().map(|n| n.keys).collect();
        let (body, pending) = onion::build(&keys, &dest, &payload, enc, &mut rng).unwrap();
        let to_server = match path.split_last() {
            None => body,
            Some((exit, relays)) => {
                let layer = peel_path(relays, &exit.keys, body, enc);
                let Peeled::Proxy(p) = onion::peel(&onion::NodeKeys::new(&exit.secret), &layer).unwrap() else {
                    panic!("the exit should proxy");
                };
                prop_assert_eq!(p.url(), "http://127.0.0.1:8080/oxen/v4/lsrpc");
                prop_assert_eq!(p.method, "POST");
                p.layer_plaintext
            }
        };
        // The server decrypts the layer it is given, and answers raw.
        let unwrapped = onion::decrypt_layer(&onion::NodeKeys::new(&server.secret), &to_server).unwrap();
        prop_assert_eq!(&unwrapped.plaintext, &payload);
        let answer = unwrapped.reply.seal(b"l2:{}e", &mut rng).unwrap();
        prop_assert_eq!(pending.decrypt(&answer).unwrap(), b"l2:{}e".to_vec());
    }

    #[test]
    fn peel_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = onion::peel(&onion::NodeKeys::new(&[7; 32]), &bytes);
        let _ = Layer::decode(&bytes);
        let pending = PendingReply::new(EncType::AesGcm, &[1; 32], &hop::x25519_public(&[2; 32]))
            .unwrap();
        let _ = pending.open(&bytes);
        let _ = status::of_path_reply(502, &bytes);
    }

    #[test]
    fn peel_never_panics_on_well_framed_layers(
        blob in proptest::collection::vec(any::<u8>(), 0..200),
        json in prop_oneof![
            Just(json!({})),
            Just(json!({"ephemeral_key": 5})),
            Just(json!({"ephemeral_key": "zz", "enc_type": "aes-cbc"})),
            any::<i64>().prop_map(|n| json!({"ephemeral_key": "11".repeat(32), "hop_no": n})),
            "[a-z-]{0,20}".prop_map(|e| json!({"ephemeral_key": "09".repeat(32), "enc_type": e})),
        ],
    ) {
        let layer = raw_layer(&blob, &json);
        let _ = onion::peel(&onion::NodeKeys::new(&[7; 32]), &layer);
    }

    #[test]
    fn tampered_requests_are_refused(seed in any::<u64>(), flip in any::<prop::sample::Index>()) {
        let mut rng = TestRng::new(seed);
        let guard = node(&mut rng);
        let dest = node(&mut rng);
        let (mut body, _) = onion::build(
            &[guard.keys], &Destination::Snode(dest.keys), b"{}", EncType::XChaCha20, &mut rng,
        ).unwrap();
        let blob_len = Layer::decode(&body).unwrap().blob().len();
        let i = 4 + flip.index(blob_len);
        body[i] ^= 1;
        prop_assert!(matches!(onion::peel(&onion::NodeKeys::new(&guard.secret), &body), Err(PeelError::Ciphertext(_))));
    }

    #[test]
    fn layers_round_trip(
        blob in proptest::collection::vec(any::<u8>(), 0..300),
        keys in proptest::collection::btree_map("[a-z_]{1,12}", any::<i32>(), 0..5),
    ) {
        // Any keys are tolerated; the known ones are kept, typed, and re-encode as they came.
        let map: serde_json::Map<String, Value> =
            keys.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let decoded = Layer::decode(&raw_layer(&blob, &Value::Object(map.clone()))).unwrap();
        prop_assert_eq!(decoded.blob(), &blob[..]);
        let known: serde_json::Map<String, Value> = map
            .into_iter()
            .filter(|(k, _)| {
                [
                    "base64", "destination", "enc_type", "ephemeral_key", "headers", "hop_no",
                    "host", "json", "method", "port", "protocol", "target",
                ]
                .contains(&k.as_str())
            })
            .collect();
        prop_assert_eq!(
            serde_json::to_value(decoded.routing()).unwrap(),
            Value::Object(known)
        );
        prop_assert_eq!(Layer::decode(&decoded.encode()).unwrap(), decoded);
    }
}

// ---- the node's error answers (protocol.md §15.10) ----------------------------------------

/// Builds a layer for `secret`'s node by hand: `[N][Enc(plaintext)]{json}`.
fn hand_layer(secret: &[u8; 32], plaintext: &[u8], json: Value, rng: &mut TestRng) -> Vec<u8> {
    let mut eph = [0u8; 32];
    rng.fill_bytes(&mut eph);
    let key = LayerKey::for_client(EncType::AesGcm, &eph, &hop::x25519_public(secret)).unwrap();
    let blob = key.encrypt(plaintext, rng).unwrap();
    let Value::Object(mut map) = json else {
        unreachable!()
    };
    map.insert(
        "ephemeral_key".into(),
        hop::x25519_public(&eph).to_hex().into(),
    );
    raw_layer(&blob, &Value::Object(map))
}

/// `[N][blob]{json}` with any JSON, as a client might send it.
fn raw_layer(blob: &[u8], json: &Value) -> Vec<u8> {
    let n = u32::try_from(blob.len()).unwrap();
    [&n.to_le_bytes()[..], blob, json.to_string().as_bytes()].concat()
}

fn inner(blob: &[u8], json: Value) -> Vec<u8> {
    raw_layer(blob, &json)
}

#[test]
fn outer_parse_errors_are_plain_400s() {
    let mut rng = TestRng::from_env();
    let sk = [3u8; 32];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"\x01".to_vec(), "Error parsing onion request: "),
        (
            b"\x09\x00\x00\x00abc{}".to_vec(),
            "Error parsing onion request: ",
        ),
        (
            inner(b"abc", json!({})),
            "Error parsing onion request: key 'ephemeral_key' not found",
        ),
        (
            inner(b"abc", json!({"ephemeral_key": "abc"})),
            "Error parsing onion request: invalid ephemeral_key",
        ),
        (
            inner(
                b"abc",
                json!({"ephemeral_key": "11".repeat(32), "enc_type": "aes-cbc"}),
            ),
            "Error parsing onion request: invalid encryption type 'aes-cbc'",
        ),
        (
            inner(
                b"abc",
                json!({"ephemeral_key": "11".repeat(32), "hop_no": "x"}),
            ),
            "Error parsing onion request: invalid hop_no",
        ),
    ];
    for (bytes, want) in cases {
        let err = onion::peel(&onion::NodeKeys::new(&sk), &bytes).unwrap_err();
        let (status, body) = err.http_reply(&mut rng);
        assert_eq!(status, 400, "{err:?}");
        assert!(
            body.starts_with(want),
            "{body:?} should start with {want:?}"
        );
    }
}

#[test]
fn hop_limit_and_bad_ciphertext() {
    let mut rng = TestRng::from_env();
    let sk = [3u8; 32];
    let ok = hand_layer(
        &sk,
        &inner(b"{}", json!({"headers": ""})),
        json!({"hop_no": 15}),
        &mut rng,
    );
    assert!(matches!(
        onion::peel(&onion::NodeKeys::new(&sk), &ok),
        Ok(Peeled::Final(_))
    ));
    let too_far = hand_layer(&sk, b"x", json!({"hop_no": 16}), &mut rng);
    let err = onion::peel(&onion::NodeKeys::new(&sk), &too_far).unwrap_err();
    assert!(matches!(err, PeelError::HopLimit { hop_no: 16 }));
    assert_eq!(
        err.http_reply(&mut rng),
        (400, "onion request max path length exceeded".to_owned())
    );
    // A negative fake hop number counts as 0.
    let neg = hand_layer(
        &sk,
        &inner(b"{}", json!({"headers": ""})),
        json!({"hop_no": -4}),
        &mut rng,
    );
    assert!(matches!(
        onion::peel(&onion::NodeKeys::new(&sk), &neg),
        Ok(Peeled::Final(_))
    ));
    // Relays count on from the given hop number.
    let relay = hand_layer(
        &sk,
        &inner(
            b"next",
            json!({"destination": "aa".repeat(32), "ephemeral_key": "11".repeat(32)}),
        ),
        json!({"hop_no": 15}),
        &mut rng,
    );
    let Ok(Peeled::Relay(r)) = onion::peel(&onion::NodeKeys::new(&sk), &relay) else {
        panic!("should relay");
    };
    assert_eq!(r.hop_no, 16);
    assert_eq!(r.enc_type, EncType::AesGcm, "enc_type defaults to AES-GCM");
    let err = onion::peel(&onion::NodeKeys::new(&[4; 32]), &r.next_layer).unwrap_err();
    assert!(matches!(err, PeelError::HopLimit { hop_no: 16 }));
    // A low-order ephemeral key is a ciphertext error, as libsodium's failure is upstream.
    let low = inner(b"x", json!({"ephemeral_key": "00".repeat(32)}));
    assert_eq!(
        onion::peel(&onion::NodeKeys::new(&sk), &low)
            .unwrap_err()
            .http_reply(&mut rng),
        (400, "Invalid ciphertext".to_owned())
    );
}

#[test]
fn bad_inner_instructions_get_encrypted_400s() {
    let mut rng = TestRng::from_env();
    let sk = [3u8; 32];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not a layer".to_vec(), "Invalid json"),
        (
            inner(b"x", json!({"destination": "aa".repeat(32)})),
            "Invalid json",
        ),
        (
            inner(
                b"x",
                json!({"destination": "zz", "ephemeral_key": "11".repeat(32)}),
            ),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"headers": "", "json": "yes"})),
            "Invalid json",
        ),
        (inner(b"x", json!({"host": "h"})), "Invalid json"),
        // Hosts that would smuggle a port, path, query, user or second address into the URL.
        (
            inner(
                b"x",
                json!({"host": "10.0.0.5:8080/admin?", "target": "/oxen/v4/lsrpc"}),
            ),
            "Invalid json",
        ),
        (
            inner(
                b"x",
                json!({"host": "user@10.0.0.5", "target": "/oxen/v4/lsrpc"}),
            ),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "h/x#", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "::1", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "[::1", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "a..b", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "a b", "target": "/oxen/v4/lsrpc"})),
            "Invalid json",
        ),
        (
            inner(
                b"x",
                json!({"host": "h", "target": "/oxen/v4/lsrpc", "port": 70000}),
            ),
            "Invalid json",
        ),
        (
            inner(b"x", json!({"host": "h", "target": "/x"})),
            "Invalid url",
        ),
        (
            inner(b"x", json!({"host": "h", "target": "/oxen/v4/lsrpc?a=1"})),
            "Invalid url",
        ),
        (
            inner(
                b"x",
                json!({"host": "h", "target": "/oxen/v4/lsrpc", "protocol": "ftp"}),
            ),
            "Invalid url",
        ),
    ];
    for (plaintext, want) in cases {
        let mut eph = [0u8; 32];
        rng.fill_bytes(&mut eph);
        let pending = PendingReply::new(EncType::AesGcm, &eph, &hop::x25519_public(&sk)).unwrap();
        let key = LayerKey::for_client(EncType::AesGcm, &eph, &hop::x25519_public(&sk)).unwrap();
        let blob = key.encrypt(&plaintext, &mut rng).unwrap();
        let layer = inner(
            &blob,
            json!({"ephemeral_key": hop::x25519_public(&eph).to_hex()}),
        );
        let err = onion::peel(&onion::NodeKeys::new(&sk), &layer).unwrap_err();
        let (status, body) = err.http_reply(&mut rng);
        assert_eq!(status, 200, "{err:?}");
        assert_eq!(
            pending.open(body.as_bytes()).unwrap(),
            Response {
                status: 400,
                body: want.to_owned()
            },
            "{err:?}"
        );
    }
}

#[test]
fn final_options_and_proxy_defaults() {
    let mut rng = TestRng::from_env();
    let sk = [3u8; 32];
    let layer = hand_layer(
        &sk,
        &inner(
            b"{}",
            json!({"headers": {"Content-Type": "application/json"}, "body": null, "json": true, "base64": false}),
        ),
        json!({}),
        &mut rng,
    );
    let Ok(Peeled::Final(fin)) = onion::peel(&onion::NodeKeys::new(&sk), &layer) else {
        panic!("final");
    };
    assert!(fin.json);
    assert!(!fin.base64);
    let raw = fin.respond(200, &json!({"a": 1}), &mut rng).unwrap();
    let plain = fin.reply.layer_key().decrypt(&raw).unwrap();
    assert_eq!(plain, br#"{"status":200,"body":{"a":1}}"#);

    let layer = hand_layer(
        &sk,
        &inner(
            b"",
            json!({"host": "files.example", "target": "/loki/v3/lsrpc"}),
        ),
        json!({}),
        &mut rng,
    );
    let Ok(Peeled::Proxy(p)) = onion::peel(&onion::NodeKeys::new(&sk), &layer) else {
        panic!("proxy");
    };
    assert_eq!(
        (p.port, p.scheme, p.method.as_str()),
        (443, Scheme::Https, "POST")
    );
    assert_eq!(p.url(), "https://files.example/loki/v3/lsrpc");
    assert_eq!(
        Layer::decode(&p.layer_plaintext).unwrap().routing().host,
        Some("files.example".into())
    );
}

#[test]
fn proxy_hosts_and_urls() {
    let mut rng = TestRng::from_env();
    let sk = [3u8; 32];
    for (host, url) in [
        ("10.0.0.5", "http://10.0.0.5:8080/oxen/v4/lsrpc"),
        ("[::1]", "http://[::1]:8080/oxen/v4/lsrpc"),
        (
            "Files-1.example.org",
            "http://Files-1.example.org:8080/oxen/v4/lsrpc",
        ),
    ] {
        let layer = hand_layer(
            &sk,
            &inner(
                b"",
                json!({"host": host, "target": "/oxen/v4/lsrpc", "protocol": "http", "port": 8080}),
            ),
            json!({}),
            &mut rng,
        );
        let Ok(Peeled::Proxy(p)) = onion::peel(&onion::NodeKeys::new(&sk), &layer) else {
            panic!("{host} should be proxied to");
        };
        assert_eq!(p.url(), url);
    }
    // A Proxy made by hand with a hostile host or target: the URL cannot name another server
    // or path.
    let p = onion::Proxy {
        host: "10.0.0.5:8080/admin?".into(),
        target: "/oxen/v4/lsrpc#?x".into(),
        port: 443,
        scheme: Scheme::Https,
        method: "POST".into(),
        layer_plaintext: Vec::new(),
        routing: Default::default(),
    };
    assert_eq!(
        p.url(),
        "https://10.0.0.5%3A8080%2Fadmin%3F/oxen/v4/lsrpc%23%3Fx"
    );
}

#[test]
fn build_refuses_bad_requests() {
    let mut rng = TestRng::from_env();
    let a = node(&mut rng);
    let b = node(&mut rng);
    let snode = |n: &Node| Destination::Snode(n.keys);
    assert!(matches!(
        onion::build(
            &[a.keys, b.keys],
            &snode(&b),
            b"",
            EncType::AesGcm,
            &mut rng
        ),
        Err(onion::Error::DestinationInPath { hop: 1, .. })
    ));
    let long = vec![a.keys; 16];
    assert!(matches!(
        onion::build(&long, &snode(&b), b"", EncType::AesGcm, &mut rng),
        Err(onion::Error::PathTooLong { len: 16, max: 15 })
    ));
    let huge = vec![0u8; onion::MAX_PAYLOAD_LEN + 1];
    assert!(matches!(
        onion::build(&[], &snode(&b), &huge, EncType::AesGcm, &mut rng),
        Err(onion::Error::PayloadTooLarge { .. })
    ));
    let low = Destination::Snode(HopKeys {
        ed25519: Ed25519Pub([1; 32]),
        x25519: X25519Pub([0; 32]),
    });
    assert!(matches!(
        onion::build(&[a.keys], &low, b"", EncType::AesGcm, &mut rng),
        Err(onion::Error::LowOrderKey { .. })
    ));
    // The largest payload still builds through 3 hops.
    let c = node(&mut rng);
    let d = node(&mut rng);
    let max = vec![b'x'; onion::MAX_PAYLOAD_LEN];
    assert!(
        onion::build(
            &[a.keys, b.keys, c.keys],
            &snode(&d),
            &max,
            EncType::XChaCha20,
            &mut rng
        )
        .is_ok()
    );
}

#[test]
fn open_reports_what_is_wrong() {
    let mut rng = TestRng::from_env();
    let sk = [5u8; 32];
    let pending =
        PendingReply::new(EncType::XChaCha20, &[6; 32], &hop::x25519_public(&sk)).unwrap();
    assert_eq!(pending.open(b" \n"), Err(onion::Error::EmptyReply));
    assert!(matches!(
        pending.open(b"not base64!"),
        Err(onion::Error::ReplyBase64 { .. })
    ));
    assert!(matches!(
        pending.open(b"AAAA"),
        Err(onion::Error::ReplyDecrypt(_))
    ));
    let key = LayerKey::for_node(
        EncType::XChaCha20,
        &onion::NodeKeys::new(&sk),
        &hop::x25519_public(&[6; 32]),
    )
    .unwrap();
    let b64 = |plain: &[u8], rng: &mut TestRng| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(key.encrypt(plain, rng).unwrap())
    };
    assert!(matches!(
        pending.open(b64(b"[1]", &mut rng).as_bytes()),
        Err(onion::Error::ReplyJson { .. })
    ));
    assert!(matches!(
        pending.open(b64(br#"{"body":"x"}"#, &mut rng).as_bytes()),
        Err(onion::Error::ReplyJson { .. })
    ));
    // status_code wins over status; unpadded base64 is accepted.
    let text = b64(br#"{"status_code":421,"status":200,"body":"{}"}"#, &mut rng);
    let unpadded = text.trim_end_matches('=');
    assert_eq!(pending.open(unpadded.as_bytes()).unwrap().status, 421);
    // A status_code that is 0 or not a number (even a nested tree, skipped) falls through.
    for code in [
        "0",
        r#""421""#,
        "null",
        "true",
        r#"{"a":[1,{"b":2}]}"#,
        "[421]",
        "1.5e400",
    ] {
        let plain = format!(r#"{{"status_code":{code},"status":200,"body":"x"}}"#);
        let reply = pending.open(b64(plain.as_bytes(), &mut rng).as_bytes());
        if code == "1.5e400" {
            // Out of f64 range: the JSON parser refuses it.
            assert!(
                matches!(reply, Err(onion::Error::ReplyJson { .. })),
                "{code}"
            );
        } else {
            assert_eq!(reply.unwrap().status, 200, "{code}");
        }
    }
}

#[test]
fn path_failures_are_classified() {
    let hexkey = "ab".repeat(32);
    assert_eq!(
        status::of_path_reply(502, format!("Next node not found: {hexkey}").as_bytes()),
        Outcome::NextNodeNotFound(hexkey.parse().unwrap())
    );
    assert_eq!(
        status::of_path_reply(
            502,
            format!("502 Bad Gateway\n\nNext node not found: {hexkey}").as_bytes()
        ),
        Outcome::NextNodeNotFound(hexkey.parse().unwrap())
    );
    assert_eq!(status::of_path_reply(406, b"x"), Outcome::ClockOutOfSync);
    assert_eq!(status::of_path_reply(425, b""), Outcome::ClockOutOfSync);
    assert_eq!(status::of_path_reply(421, b"{}"), Outcome::WrongSwarm);
    assert_eq!(
        status::of_path_reply(504, b"Request time out"),
        Outcome::Timeout
    );
}

// ---- path selection (protocol.md §7.6) ----------------------------------------------------

/// `per_subnet[i]` nodes in subnet 10.0.i.0/24.
fn pool(per_subnet: &[u8]) -> Vec<Snode> {
    let mut out = Vec::new();
    for (s, &count) in per_subnet.iter().enumerate() {
        for h in 0..count {
            let id = u8::try_from(out.len() + 1).unwrap();
            out.push(Snode {
                ed25519: Ed25519Pub([id; 32]),
                x25519: X25519Pub([id; 32]),
                ip: Ipv4Addr::new(10, 0, s as u8, h + 1),
                port: 22021,
                swarm_id: 1,
                version: None,
            });
        }
    }
    out
}

fn assert_rules(paths: &[onion::OnionPath], policy: &PathPolicy, exclude: &[Ed25519Pub]) {
    assert_eq!(paths.len(), policy.paths);
    let mut all = HashSet::new();
    for p in paths {
        assert_eq!(p.hops().len(), policy.hops);
        for h in p.hops() {
            assert!(all.insert(h.ed25519), "{} is in two paths", h.ed25519);
            assert!(!exclude.contains(&h.ed25519), "excluded {} used", h.ed25519);
        }
        if policy.subnet_diversity {
            let subnets: HashSet<[u8; 3]> = p.hops().iter().map(Snode::subnet24).collect();
            assert_eq!(subnets.len(), p.hops().len(), "two hops share a /24: {p:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn selected_paths_follow_the_rules(
        seed in any::<u64>(),
        per_subnet in proptest::collection::vec(1u8..5, 3..12),
        diversity in any::<bool>(),
        excluded in 0usize..3,
    ) {
        let mut rng = TestRng::new(seed);
        let nodes = pool(&per_subnet);
        let exclude: Vec<Ed25519Pub> = nodes.iter().take(excluded).map(|n| n.ed25519).collect();
        let policy = PathPolicy { subnet_diversity: diversity, ..PathPolicy::default() };
        match path::select(&nodes, &policy, &exclude, &mut rng) {
            Ok(paths) => assert_rules(&paths, &policy, &exclude),
            // Only when the pool really is too small or too uniform.
            Err(PathError::TooFewNodes { needed, available, .. }) => {
                prop_assert_eq!(needed, 6);
                prop_assert!(available < 6);
            }
            Err(PathError::TooFewSubnets { .. } | PathError::Exhausted { .. }) => {
                prop_assert!(diversity);
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected {e}"))),
        }
    }

    #[test]
    fn replaced_hops_follow_the_rules(seed in any::<u64>(), which in 0usize..6) {
        let mut rng = TestRng::new(seed);
        let nodes = pool(&[2, 2, 2, 2, 2, 2]);
        let policy = PathPolicy::default();
        let dest = nodes[11].ed25519;
        let mut paths = path::select(&nodes, &policy, &[dest], &mut rng).unwrap();
        let (pi, hi) = (which / 3, which % 3);
        let failed = paths[pi].hops()[hi].ed25519;
        let new = path::replace_hop(&paths, pi, &failed, &nodes, &policy, &[dest], &mut rng).unwrap();
        prop_assert!(!new.contains(&failed));
        for (j, h) in new.hops().iter().enumerate() {
            if j != hi {
                prop_assert_eq!(h, &paths[pi].hops()[j]);
            }
        }
        paths[pi] = new;
        assert_rules(&paths, &policy, &[dest]);
    }
}

#[test]
fn select_uses_tested_guards_and_excludes_the_destination() {
    let mut rng = TestRng::from_env();
    let nodes = pool(&[3, 3, 3, 3, 3]);
    let dest = nodes[0].ed25519;
    let candidates = path::guard_candidates(&nodes, &[dest], &mut rng);
    assert_eq!(candidates.len(), nodes.len() - 1);
    assert!(candidates.iter().all(|c| c.ed25519 != dest));
    let guards: Vec<Snode> = candidates.iter().take(2).map(|&g| g.clone()).collect();
    let policy = PathPolicy::default();
    let paths = path::select_with_guards(&nodes, &guards, &policy, &[dest], &mut rng).unwrap();
    assert_rules(&paths, &policy, &[dest]);
    assert_eq!(paths[0].guard(), &guards[0]);
    assert_eq!(paths[1].guard(), &guards[1]);
    assert_eq!(paths[0].hop_keys()[0].ed25519, guards[0].ed25519);

    assert_eq!(
        path::select_with_guards(&nodes, &guards[..1], &policy, &[], &mut rng),
        Err(PathError::TooFewGuards {
            needed: 2,
            available: 1
        })
    );
    // A guard that is the destination is skipped.
    assert_eq!(
        path::select_with_guards(&nodes, &guards, &policy, &[guards[0].ed25519], &mut rng),
        Err(PathError::TooFewGuards {
            needed: 2,
            available: 1
        })
    );
}

#[test]
fn small_pools_give_clear_errors() {
    let mut rng = TestRng::from_env();
    let policy = PathPolicy::default();
    let nodes = pool(&[1, 1, 1, 1, 1]);
    let err = path::select(&nodes, &policy, &[], &mut rng).unwrap_err();
    assert_eq!(
        err,
        PathError::TooFewNodes {
            needed: 6,
            available: 5,
            paths: 2,
            hops: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "need 6 service nodes for 2 path(s) of 3 hop(s), but only 5 are usable"
    );
    // Excluding the destination counts.
    let nodes = pool(&[2, 2, 2]);
    assert!(matches!(
        path::select(&nodes, &policy, &[nodes[0].ed25519], &mut rng),
        Err(PathError::TooFewNodes {
            needed: 6,
            available: 5,
            ..
        })
    ));
    // Every node on one /24 (a local test network): only without subnet diversity.
    let local = pool(&[12]);
    let err = path::select(&local, &policy, &[], &mut rng).unwrap_err();
    assert!(
        matches!(err, PathError::TooFewSubnets { subnets: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/24"));
    let relaxed = PathPolicy {
        subnet_diversity: false,
        ..policy
    };
    let paths = path::select(&local, &relaxed, &[], &mut rng).unwrap();
    assert_rules(&paths, &relaxed, &[]);
    // Enough nodes, but two paths cannot both use the single node of subnets 1 and 2.
    let lopsided = pool(&[4, 1, 1, 1]);
    assert!(matches!(
        path::select(&lopsided, &policy, &[], &mut rng),
        Err(PathError::TooFewSubnets { usable: 5, .. })
    ));
    // Unusable nodes (no address yet) don't count.
    let mut zeroed = pool(&[1, 1, 1, 1, 1, 1]);
    zeroed[0].ip = Ipv4Addr::UNSPECIFIED;
    assert!(matches!(
        path::select(&zeroed, &policy, &[], &mut rng),
        Err(PathError::TooFewNodes { available: 5, .. })
    ));
}

#[test]
fn replace_hop_errors() {
    let mut rng = TestRng::from_env();
    let nodes = pool(&[1, 1, 1, 1, 1, 1]);
    let policy = PathPolicy::default();
    let paths = path::select(&nodes, &policy, &[], &mut rng).unwrap();
    let outsider = Ed25519Pub([0xee; 32]);
    assert!(matches!(
        path::replace_hop(&paths, 0, &outsider, &nodes, &policy, &[], &mut rng),
        Err(PathError::NotInPath { index: 0, .. })
    ));
    assert!(matches!(
        path::replace_hop(&paths, 5, &outsider, &nodes, &policy, &[], &mut rng),
        Err(PathError::NotInPath { index: 5, .. })
    ));
    // All six nodes are in use: nothing can replace one.
    let failed = paths[1].hops()[2].ed25519;
    assert_eq!(
        path::replace_hop(&paths, 1, &failed, &nodes, &policy, &[], &mut rng),
        Err(PathError::NoReplacement { failed })
    );
}
