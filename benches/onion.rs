//! Onion requests: building a 3-hop request (client), peeling one layer (each node), and the
//! whole round trip (build, three relays and the destination peel, respond, open), for both
//! layer encryptions, against the floor of one X25519 agreement.
//!
//! Run with `cargo bench --bench onion`; the figures are in BENCHMARKS.md.

#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand_core::OsRng;
use serde_json::json;
use sesh::Identity;
use sesh::identity::Seed;
use sesh::onion::{self, Destination, EncType, HopKeys, Peeled};

fn bench(c: &mut Criterion) {
    let nodes: Vec<Identity> = (1..=4u8)
        .map(|i| Identity::from_seed(Seed::from_legacy(&[i; 16])))
        .collect();
    let keys: Vec<HopKeys> = nodes
        .iter()
        .map(|n| HopKeys {
            ed25519: n.ed25519_pub(),
            x25519: n.x25519_pub(),
        })
        .collect();
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
        let (body, _) = onion::build(path, &dest, payload.as_bytes(), enc, &mut OsRng)
            .expect("benchmark inputs are valid");
        g.bench_function(BenchmarkId::new("peel_one_layer", name), |b| {
            b.iter(|| {
                onion::peel(nodes[0].x25519_secret(), black_box(&body))
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
                    match onion::peel(nodes[hop].x25519_secret(), &layer)
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

criterion_group!(benches, bench);
criterion_main!(benches);
