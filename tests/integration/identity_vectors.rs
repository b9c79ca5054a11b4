//! Identity and recovery-phrase vectors from independent implementations
//! (tests/vectors/vectors.json: `identity`, `mnemonic_decode`).

use sesh::identity::Seed;
use sesh::{Identity, mnemonic};

use super::support::{cases, hex_array, str_of};

#[test]
fn identity_vectors_derive_every_field() {
    let cases = cases("identity");
    assert!(!cases.is_empty());
    for case in cases {
        let seed16: [u8; 16] = hex_array(str_of(case, "seed_hex"));
        let id = Identity::from_seed(Seed::from_legacy(&seed16));
        assert_eq!(
            hex::encode(id.seed().as_bytes()),
            str_of(case, "ed25519_seed_hex")
        );
        assert_eq!(id.ed25519_pub().to_hex(), str_of(case, "ed25519_pk_hex"));
        let mut sk = id.seed().as_bytes().to_vec();
        sk.extend_from_slice(id.ed25519_pub().as_bytes());
        assert_eq!(hex::encode(sk), str_of(case, "ed25519_sk_hex"));
        assert_eq!(id.x25519_pub().to_hex(), str_of(case, "x25519_pk_hex"));
        assert_eq!(
            hex::encode(id.x25519_secret()),
            str_of(case, "x25519_sk_hex")
        );
        assert_eq!(id.session_id().to_string(), str_of(case, "session_id"));
        // Phrase both ways.
        assert_eq!(mnemonic::encode(&seed16).as_str(), str_of(case, "mnemonic"));
        assert_eq!(*mnemonic::decode(str_of(case, "mnemonic")).unwrap(), seed16);
        // The Ed25519 key converts to the same X25519 key from the public side too.
        assert_eq!(id.ed25519_pub().to_x25519(), Some(id.x25519_pub()));
    }
}

#[test]
fn mnemonic_decode_vectors() {
    let cases = cases("mnemonic_decode");
    assert!(!cases.is_empty());
    for case in cases {
        let phrase = str_of(case, "phrase");
        let got = mnemonic::decode(phrase);
        match case["valid"].as_bool() {
            Some(true) => {
                let want: [u8; 16] = hex_array(str_of(case, "seed_hex"));
                assert_eq!(*got.unwrap(), want, "{phrase}");
            }
            Some(false) => assert!(got.is_err(), "accepted invalid phrase {phrase:?}"),
            // Oracles disagree (extra whitespace): sesh accepts, and must decode the seed.
            None => {
                if let Some(seed) = case["seed_hex"].as_str() {
                    let want: [u8; 16] = hex_array(seed);
                    assert_eq!(*got.unwrap(), want, "{phrase:?}");
                }
            }
        }
    }
}
