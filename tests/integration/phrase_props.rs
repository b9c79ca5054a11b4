//! Laws of recovery phrases: seed → phrase → seed, for random seeds, in both formats.

use proptest::prelude::*;
use sesh::identity::{Identity, Seed, keyfile};
use sesh::mnemonic;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn session_phrase_round_trips(seed in any::<[u8; 16]>()) {
        let phrase = mnemonic::encode(&seed);
        prop_assert_eq!(phrase.split(' ').count(), 13);
        prop_assert_eq!(*mnemonic::decode(&phrase).unwrap(), seed);
        // Three-letter prefixes in upper case decode to the same seed.
        let short: Vec<String> = phrase.split(' ').map(|w| w[..3].to_ascii_uppercase()).collect();
        prop_assert_eq!(*mnemonic::decode(&short.join("  ")).unwrap(), seed);
        let (format, any) = mnemonic::decode_any(&phrase).unwrap();
        prop_assert_eq!(format, mnemonic::Format::Session);
        prop_assert_eq!(*any, seed);
    }

    #[test]
    fn bip39_phrase_round_trips(seed in any::<[u8; 16]>()) {
        let phrase = mnemonic::encode_bip39(&seed);
        prop_assert_eq!(*mnemonic::decode_bip39(&phrase).unwrap(), seed);
        let (format, any) = mnemonic::decode_any(&phrase).unwrap();
        prop_assert_eq!(format, mnemonic::Format::Bip39);
        prop_assert_eq!(*any, seed);
    }

    #[test]
    fn key_file_round_trips(seed in any::<[u8; 32]>(), secs in 0u64..4_000_000_000) {
        let id = Identity::from_seed(Seed::from_bytes(seed));
        let text = keyfile::encode(&id, std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
        let back = keyfile::decode(text.as_bytes()).unwrap();
        prop_assert_eq!(back.session_id(), id.session_id());
    }

    #[test]
    fn decoders_never_panic(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = mnemonic::decode(&text);
        let _ = mnemonic::decode_any(&text);
        let _ = mnemonic::decode_bip39(&text);
        let _ = text.parse::<sesh::SessionId>();
        let _ = keyfile::decode(text.as_bytes());
        let _ = keyfile::decode(&bytes);
    }
}
