//! Recovery phrases on arbitrary text: the Session 13-word decoder, the BIP39 decoder and
//! `decode_any` (which `sesh recover` uses). None may panic or hang; a phrase that decodes
//! re-encodes (in its own format) to a phrase that decodes to the same seed; and an error's
//! text never holds a whole word of the input longer than the prefix it may quote.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::mnemonic::{self, Format};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(seed) = mnemonic::decode(text) {
        let again = mnemonic::decode(&mnemonic::encode(&seed)).expect("an encoded phrase decodes");
        assert_eq!(*again, *seed);
    }
    if let Ok(seed) = mnemonic::decode_bip39(text) {
        let again = mnemonic::decode_bip39(&mnemonic::encode_bip39(&seed))
            .expect("an encoded BIP39 phrase decodes");
        assert_eq!(*again, *seed);
    }
    match mnemonic::decode_any(text) {
        Ok((Format::Session, seed)) => {
            assert_eq!(*mnemonic::decode(text).expect("decode_any agrees"), *seed);
        }
        Ok((Format::Bip39, seed)) => {
            assert_eq!(*mnemonic::decode_bip39(text).expect("decode_any agrees"), *seed);
        }
        Ok(_) => {}
        Err(e) => {
            let shown = e.to_string();
            let _ = e.hint();
            // A mistyped word is never echoed whole (only a short prefix of it).
            for w in text.split_whitespace() {
                if w.chars().count() > 4 {
                    assert!(!shown.contains(w), "error {shown:?} echoes the word {w:?}");
                }
            }
        }
    }
});
