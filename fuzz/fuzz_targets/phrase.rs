//! Recovery phrases on arbitrary text: the Session 13-word decoder, the BIP39 decoder and
//! `decode_any` (which `sesh recover` uses). None may panic or hang; a phrase that decodes
//! re-encodes (in its own format) to a phrase that decodes to the same seed; and an error's
//! text is one of the fixed messages with numbers filled in: it never quotes the input.

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
            assert_eq!(
                *mnemonic::decode_bip39(text).expect("decode_any agrees"),
                *seed
            );
        }
        Ok(_) => {}
        Err(e) => {
            let _ = e.hint();
            let shape = numbers_as_n(&e.to_string());
            assert!(
                MESSAGES.contains(&shape.as_str()),
                "error {shape:?} quotes its input"
            );
        }
    }
});

/// Every phrase error's text, with each run of digits as `N`.
const MESSAGES: &[&str] = &[
    "the phrase is empty",
    "N words: the Nth (checksum) word is missing",
    "expected N words, got N",
    "expected N BIPN words, got N",
    "word N is not in the word list",
    "words N to N do not form a valid group",
    "the checksum failed: a word is wrong or the words are out of order",
];

fn numbers_as_n(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_number = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}
