//! `sesh::curve` against the X25519 keys of tests/vectors/vectors.json (made and checked by
//! libsodium, libsession and session-python): every secret gives its public key, and every
//! pair of keys agrees on one shared secret, equal to the Montgomery ladder's and
//! x25519-dalek's.

use curve25519_dalek::montgomery::MontgomeryPoint;
use sesh::curve;

use super::support::{cases, hex_array, str_of};

/// Every (secret, public) X25519 key pair in the vectors.
fn key_pairs() -> Vec<([u8; 32], [u8; 32])> {
    let mut pairs = Vec::new();
    let mut add = |case: &serde_json::Value, sk: &str, pk: &str| {
        pairs.push((hex_array(str_of(case, sk)), hex_array(str_of(case, pk))));
    };
    for case in cases("identity") {
        add(case, "x25519_sk_hex", "x25519_pk_hex");
    }
    for case in cases("onion.hop_xchacha20") {
        add(case, "client_x25519_sk_hex", "client_x25519_pk_hex");
        add(case, "server_x25519_sk_hex", "server_x25519_pk_hex");
    }
    for case in cases("onion.requests") {
        add(
            case,
            "final_ephemeral_x25519_sk_hex",
            "final_ephemeral_x25519_pk_hex",
        );
        add(&case["destination"], "x25519_sk_hex", "x25519_pk_hex");
        for hop in case["path"].as_array().into_iter().flatten() {
            add(hop, "x25519_sk_hex", "x25519_pk_hex");
        }
    }
    pairs
}

#[test]
fn every_vector_key_pair_and_agreement_matches_the_ladder() {
    let pairs = key_pairs();
    assert!(pairs.len() >= 30, "{} key pairs", pairs.len());
    for (sk, pk) in &pairs {
        assert_eq!(&curve::x25519_base(sk), pk, "{}", hex::encode(pk));
    }
    for (a_sk, a_pk) in &pairs {
        for (b_sk, b_pk) in &pairs {
            let shared = curve::x25519(a_sk, b_pk);
            assert_eq!(shared, curve::x25519(b_sk, a_pk));
            assert_eq!(shared, MontgomeryPoint(*b_pk).mul_clamped(*a_sk).to_bytes());
            assert_eq!(shared, x25519_dalek::x25519(*a_sk, *b_pk));
        }
    }
}
