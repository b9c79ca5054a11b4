//! Seal and open of one 1:1 message, against the floor of the crypto they cannot avoid: one
//! sealed box and one Ed25519 signature (seal), one sealed-box open and one verification (open).
//!
//! At the end it prints each one's ratio to its floor, from criterion's medians and timed
//! interleaved (which a shared machine's load disturbs less).
//!
//! Run with `cargo bench --bench message`; the figures are in BENCHMARKS.md.

#![expect(clippy::print_stdout, reason = "the benchmark's ratios")]

#[path = "ratio.rs"]
mod ratio;

use std::hint::black_box;
use std::time::Duration;

use blake2::digest::consts::U24;
use blake2::{Blake2b, Digest as _};
use criterion::{BenchmarkId, Criterion, Throughput};
use crypto_box::SalsaBox;
use crypto_box::aead::Aead as _;
use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::OsRng;
use sesh::Identity;
use sesh::identity::Seed;
use sesh::message::{self, Outgoing, pad, wire};

use ratio::Run;

fn bench(c: &mut Criterion, run: &Run) {
    let alice = Identity::from_seed(Seed::from_legacy(&[1; 16]));
    let bob = Identity::from_seed(Seed::from_legacy(&[2; 16]));
    let to = bob.session_id();
    let ts = 1_700_000_000_000;

    for len in [5usize, 1_000, 70_000] {
        let text = "x".repeat(len);
        let out = Outgoing::new(text);
        let data = message::seal(&alice, &to, &out, ts, &mut OsRng).expect("seals");
        let b64 = message::to_base64(&data);
        // What the crypto layer sees: M ‖ A ‖ sig, M the padded Content.
        let padded = pad::pad(&wire::encode(&out.to_content(ts)));
        let inner_len = padded.len() + message::SIGNED_OVERHEAD;
        let inner = vec![7u8; inner_len];
        let signing = SigningKey::from_bytes(&[3; 32]);
        let verifying = signing.verifying_key();
        let sig = signing.sign(&inner);
        let recipient_pk = crypto_box::PublicKey::from(bob.x25519_pub().0);
        let recipient_sk = crypto_box::SecretKey::from(*bob.x25519_secret());
        let boxed = recipient_pk.seal(&mut OsRng, &inner).expect("seals");

        let mut g = c.benchmark_group("message");
        g.throughput(Throughput::Elements(1));
        g.measurement_time(Duration::from_secs(4));
        let mut seal = || message::seal(&alice, &to, black_box(&out), ts, &mut OsRng);
        let mut open = || message::open(&bob, black_box(&b64));
        let mut seal_floor = || {
            let s = signing.sign(black_box(&inner));
            (s, recipient_pk.seal(&mut OsRng, black_box(&inner)))
        };
        let mut open_floor = || {
            // crypto_box_seal_open without SecretKey::unseal's extra base-point
            // multiplication: one X25519, BLAKE2b-24 for the nonce, XSalsa20-Poly1305.
            let boxed = black_box(&boxed);
            let eph = crypto_box::PublicKey::from_slice(&boxed[..32]).expect("32 bytes");
            let mut h = Blake2b::<U24>::new();
            h.update(eph.as_bytes());
            h.update(recipient_pk.as_bytes());
            let nonce = h.finalize();
            let opened = SalsaBox::new(&eph, &recipient_sk).decrypt(&nonce, &boxed[32..]);
            (opened, verifying.verify_strict(black_box(&inner), &sig))
        };
        g.bench_function(BenchmarkId::new("seal", len), |b| b.iter(&mut seal));
        g.bench_function(BenchmarkId::new("open", len), |b| b.iter(&mut open));
        g.bench_function(BenchmarkId::new("seal_floor", len), |b| {
            b.iter(&mut seal_floor)
        });
        g.bench_function(BenchmarkId::new("open_floor", len), |b| {
            b.iter(&mut open_floor)
        });
        run.compare(
            (&format!("seal/{len}"), &format!("seal_floor/{len}"), ""),
            &mut seal,
            &mut seal_floor,
        );
        run.compare(
            (&format!("open/{len}"), &format!("open_floor/{len}"), ""),
            &mut open,
            &mut open_floor,
        );
        g.finish();
    }
}

fn main() {
    let (run, mut c) = Run::start("message");
    bench(&mut c, &run);
    c.final_summary();
    run.print();
}
