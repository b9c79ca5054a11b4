//! Onion requests: building a 3-hop request (client), peeling one layer (each node), and the
//! whole round trip (build, three relays and the destination peel, respond, open), for both
//! layer encryptions, against the floor of one X25519 agreement.
//!
//! Issue 11, target 2 (curve arithmetic), in the same run:
//!
//! * `x25519_ladder` (the Montgomery ladder: x25519-dalek, libsodium's algorithm),
//!   `x25519_edwards` (`sesh::curve::x25519`, Edwards form on dalek's AVX2 backend),
//!   `x25519_twist` (the same for a point on the twist, which takes the ladder) and
//!   `x25519_base` (fixed-base, the Edwards basepoint tables);
//! * `prepare_send`: the client CPU to prepare one onion send as `sesh send` does it: seal a
//!   text, wrap it in its `store` request (≈ 1 KiB of JSON) and build the onion through 3 hops
//!   to the destination (four layers); `prepare_send_primitives`: the primitives that costs,
//!   called directly on inputs of the same sizes;
//! * `peel_one_layer` against `peel_primitives` (one X25519 agreement and the AEAD open of the
//!   same layer).
//!
//! At the end it prints a table of the ratios (prepare_send / primitives, target ≤ 1.5; peel /
//! primitives, target ≤ 1.3; ladder / Edwards): from criterion's medians of this run, and
//! from an interleaved timing of the two sides (101 rounds of about 2 ms each, the median of
//! the per-round ratios), which holds up better on a shared machine.
//!
//! Run with `cargo bench --bench onion` (about a minute and a half), or a part of it, e.g.
//! `cargo bench --bench onion -- 'x25519|prepare|peel'`; the figures are in BENCHMARKS.md.

#![expect(clippy::print_stdout, reason = "the benchmark's ratios")]

#[path = "ratio.rs"]
mod ratio;

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::Aes256Gcm;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead as _, KeyInit as _};
use criterion::{BenchmarkId, Criterion};
use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::{OsRng, RngCore as _};
use serde_json::json;
use sesh::identity::Seed;
use sesh::message::{self, Outgoing, pad, wire};
use sesh::onion::{self, Destination, EncType, HopKeys, LayerKey, Peeled};
use sesh::rpc::Namespace;
use sesh::rpc::request::{self, Request};
use sesh::{Identity, curve};

use ratio::Run;

/// The text `prepare_send` seals: its `store` request is about 1 KiB of JSON.
const TEXT_LEN: usize = 330;
/// `sesh send`'s default TTL, 14 days.
const TTL_MS: u64 = 14 * 24 * 3600 * 1000;
const TS: u64 = 1_700_000_000_000;

fn identities() -> Vec<Identity> {
    (1..=5u8)
        .map(|i| Identity::from_seed(Seed::from_legacy(&[i; 16])))
        .collect()
}

fn hop_keys(n: &Identity) -> HopKeys {
    HopKeys {
        ed25519: n.ed25519_pub(),
        x25519: n.x25519_pub(),
    }
}

/// The `store` request of `sesh send`, as `client::storage::store_request` builds it.
fn store_payload(to: &sesh::SessionId, data: Vec<u8>) -> Vec<u8> {
    Request::Store(request::Store {
        pubkey: to.to_bytes(),
        namespace: Namespace::DEFAULT,
        timestamp: TS,
        expiry: TS + TTL_MS,
        data,
        sig_timestamp: TS,
        auth: None,
    })
    .to_json()
}

/// The plaintext length of each layer of `body` (guard first), peeled by `nodes`.
fn layer_lengths(nodes: &[Identity], body: &[u8]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut layer = body.to_vec();
    for node in nodes {
        let plain =
            onion::decrypt_layer(&onion::NodeKeys::from(node), &layer).expect("valid layer");
        lengths.push(plain.plaintext.len());
        match onion::peel(&onion::NodeKeys::from(node), &layer).expect("valid layer") {
            Peeled::Relay(r) => layer = r.next_layer,
            _ => break,
        }
    }
    lengths
}

/// The AEAD a layer uses, encrypting or decrypting `data` under `key`.
fn layer_aead(enc: EncType, key: &[u8; 32], nonce: &[u8], data: &[u8], open: bool) -> Vec<u8> {
    let out = match (enc, open) {
        (EncType::AesGcm, false) => Aes256Gcm::new(key.into()).encrypt(nonce.into(), data),
        (EncType::AesGcm, true) => Aes256Gcm::new(key.into()).decrypt(nonce.into(), data),
        (EncType::XChaCha20, false) => {
            XChaCha20Poly1305::new(key.into()).encrypt(nonce.into(), data)
        }
        (EncType::XChaCha20, true) => {
            XChaCha20Poly1305::new(key.into()).decrypt(nonce.into(), data)
        }
    };
    out.expect("benchmark inputs are valid")
}

fn curve_bench(c: &mut Criterion, run: &Run) {
    let nodes = identities();
    let mut g = c.benchmark_group("onion");
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(500));
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let public = nodes[0].x25519_pub().0;
    let mut twist = [0u8; 32];
    twist[0] = 2; // u = 2 is on the twist
    let mut ladder = || MontgomeryPoint(*black_box(&public)).mul_clamped(secret);
    let mut edwards = || curve::x25519(&secret, black_box(&public));
    let mut base = || curve::x25519_base(black_box(&secret));
    g.bench_function("x25519_ladder", |b| b.iter(&mut ladder));
    g.bench_function("x25519_edwards", |b| b.iter(&mut edwards));
    g.bench_function("x25519_twist", |b| {
        b.iter(|| curve::x25519(&secret, black_box(&twist)));
    });
    g.bench_function("x25519_base", |b| b.iter(&mut base));
    g.finish();
    run.compare(
        ("x25519_ladder", "x25519_edwards", "(speed-up)"),
        &mut ladder,
        &mut edwards,
    );
    run.compare(
        ("x25519_edwards", "x25519_base", "(variable / fixed base)"),
        &mut edwards,
        &mut base,
    );
}

fn prepare_send_bench(c: &mut Criterion, run: &Run) {
    let ids = identities();
    let (alice, bob, nodes) = (&ids[0], &ids[1], &ids[1..]);
    let keys: Vec<HopKeys> = nodes.iter().map(hop_keys).collect();
    let (path, dest) = (&keys[..3], Destination::Snode(keys[3]));
    let to = bob.session_id();
    let text = Outgoing::new("x".repeat(TEXT_LEN));
    let enc = EncType::AesGcm; // what the client uses (client::Config)

    // The sizes the primitives work on, taken from one real send.
    let data = message::seal(alice, &to, &text, TS, &mut OsRng).expect("seals");
    let payload = store_payload(&to, data);
    let (body, _) = onion::build(path, &dest, &payload, enc, &mut OsRng).expect("builds");
    let layers = layer_lengths(nodes, &body);
    assert_eq!(layers.len(), 4);
    let padded = pad::pad(&wire::encode(&text.to_content(TS)));
    let signed = vec![7u8; padded.len() + 32 + 32]; // M ‖ A ‖ X
    let inner = vec![7u8; padded.len() + message::SIGNED_OVERHEAD]; // M ‖ A ‖ sig
    let layer_plain: Vec<Vec<u8>> = layers.iter().map(|&n| vec![7u8; n]).collect();
    let signing = SigningKey::from_bytes(&[3; 32]);
    let recipient = bob.x25519_pub().0;
    let node_keys: Vec<[u8; 32]> = keys.iter().map(|k| k.x25519.0).collect();
    println!(
        "prepare_send: text {TEXT_LEN} B, store request {} B of JSON, onion body {} B, layer \
         plaintexts {layers:?} B",
        payload.len(),
        body.len()
    );

    let mut send = || {
        let data = message::seal(alice, &to, black_box(&text), TS, &mut OsRng)
            .expect("benchmark inputs are valid");
        let payload = store_payload(&to, data);
        onion::build(path, &dest, &payload, enc, &mut OsRng).expect("benchmark inputs are valid")
    };
    let mut primitives = || {
        // seal: one signature, one ephemeral key pair and agreement, one secretbox.
        let sig = signing.sign(black_box(&signed));
        let mut eph = [0u8; 32];
        OsRng.fill_bytes(&mut eph);
        let eph_pub = curve::x25519_base(&eph);
        let shared = curve::x25519(&eph, &recipient);
        let sealed = crypto_secretbox::XSalsa20Poly1305::new(&shared.into())
            .encrypt(&[0u8; 24].into(), black_box(inner.as_slice()))
            .expect("benchmark inputs are valid");
        // four layers: a key pair, an agreement and the AEAD each.
        let mut out = (sig, eph_pub, sealed, Vec::new());
        for (node, plain) in node_keys.iter().zip(&layer_plain) {
            let mut a = [0u8; 32];
            OsRng.fill_bytes(&mut a);
            let a_pub = curve::x25519_base(&a);
            let ss = curve::x25519(&a, node);
            let mut nonce = [0u8; 12];
            OsRng.fill_bytes(&mut nonce);
            out.3 = layer_aead(enc, &ss, &nonce, black_box(plain), false);
            black_box(a_pub);
        }
        out
    };
    let mut g = c.benchmark_group("onion");
    g.measurement_time(Duration::from_secs(4));
    g.warm_up_time(Duration::from_millis(500));
    g.bench_function("prepare_send", |b| b.iter(&mut send));
    g.bench_function("prepare_send_primitives", |b| b.iter(&mut primitives));
    g.finish();
    run.compare(
        ("prepare_send", "prepare_send_primitives", "≤ 1.5"),
        &mut send,
        &mut primitives,
    );
}

fn peel_bench(c: &mut Criterion, run: &Run) {
    let nodes = identities();
    let keys: Vec<HopKeys> = nodes[1..].iter().map(hop_keys).collect();
    let (path, dest) = (&keys[..3], Destination::Snode(keys[3]));
    let payload = json!({"method": "retrieve", "params": {"pubkey": "05".repeat(33)}}).to_string();
    let node = &nodes[1];
    let mut g = c.benchmark_group("onion");
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_millis(500));
    for enc in [EncType::AesGcm, EncType::XChaCha20] {
        let name = enc.as_str();
        let (body, _) = onion::build(path, &dest, payload.as_bytes(), enc, &mut OsRng)
            .expect("benchmark inputs are valid");
        // The same layer's crypto, by hand: its blob and ephemeral key, one agreement, the
        // layer key (a hash of the shared secret), one AEAD open.
        let layer = onion::Layer::decode(&body).expect("a layer");
        let blob = layer.blob().to_vec();
        let eph: [u8; 32] = hex::decode(
            layer
                .routing()
                .ephemeral_key
                .as_ref()
                .and_then(|k| k.as_str())
                .expect("an ephemeral key"),
        )
        .expect("hex")
        .try_into()
        .expect("32 bytes");
        let key = LayerKey::for_node(
            enc,
            &onion::NodeKeys::from(node),
            &sesh::identity::X25519Pub(eph),
        )
        .expect("a real key");
        let key = *key.as_bytes();
        let n = if enc == EncType::AesGcm { 12 } else { 24 };
        let mut peel = || {
            onion::peel(&onion::NodeKeys::from(node), black_box(&body))
                .expect("benchmark inputs are valid")
        };
        let mut primitives = || {
            let ss = curve::x25519(node.x25519_secret(), black_box(&eph));
            let blob = black_box(&blob);
            (ss, layer_aead(enc, &key, &blob[..n], &blob[n..], true))
        };
        g.bench_function(BenchmarkId::new("peel_one_layer", name), |b| {
            b.iter(&mut peel)
        });
        g.bench_function(BenchmarkId::new("peel_primitives", name), |b| {
            b.iter(&mut primitives)
        });
        run.compare(
            (
                &format!("peel_one_layer/{name}"),
                &format!("peel_primitives/{name}"),
                "≤ 1.3",
            ),
            &mut peel,
            &mut primitives,
        );
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let nodes = identities();
    let keys: Vec<HopKeys> = nodes[..4].iter().map(hop_keys).collect();
    let (path, dest) = (&keys[..3], Destination::Snode(keys[3]));
    let payload = json!({"method": "retrieve", "params": {"pubkey": "05".repeat(33)}}).to_string();

    let mut g = c.benchmark_group("onion");
    g.measurement_time(Duration::from_secs(3));
    for enc in [EncType::AesGcm, EncType::XChaCha20] {
        let name = enc.as_str();
        g.bench_function(BenchmarkId::new("build_3_hops", name), |b| {
            b.iter(|| {
                onion::build(path, &dest, payload.as_bytes(), enc, &mut OsRng)
                    .expect("benchmark inputs are valid")
            });
        });
        g.bench_function(BenchmarkId::new("round_trip", name), |b| {
            b.iter(|| {
                let (mut layer, pending) =
                    onion::build(path, &dest, payload.as_bytes(), enc, &mut OsRng)
                        .expect("benchmark inputs are valid");
                let mut hop = 0;
                let reply = loop {
                    match onion::peel(&onion::NodeKeys::from(&nodes[hop]), &layer)
                        .expect("benchmark inputs are valid")
                    {
                        Peeled::Relay(r) => {
                            layer = r.next_layer;
                            hop += 1;
                        }
                        Peeled::Final(f) => {
                            break f
                                .respond(200, &json!({"messages": [], "more": false}), &mut OsRng)
                                .expect("benchmark inputs are valid");
                        }
                        _ => unreachable!("a 3-hop request to a node has no proxy layer"),
                    }
                };
                pending.open(&reply).expect("benchmark inputs are valid")
            });
        });
    }
    g.bench_function("x25519_floor", |b| {
        let secret = x25519_dalek::StaticSecret::random_from_rng(OsRng);
        let public = x25519_dalek::PublicKey::from(nodes[0].x25519_pub().0);
        b.iter(|| secret.diffie_hellman(black_box(&public)));
    });
    g.finish();
}

fn main() {
    let (run, mut c) = Run::start("onion");
    curve_bench(&mut c, &run);
    prepare_send_bench(&mut c, &run);
    peel_bench(&mut c, &run);
    bench(&mut c);
    c.final_summary();
    run.print();
}
