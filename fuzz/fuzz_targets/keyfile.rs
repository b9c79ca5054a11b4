//! The identity file parser (`identity::keyfile::decode`) on arbitrary bytes. It may not
//! panic or hang; a file that parses re-encodes to one that parses to the same identity; and
//! an error's text is one of the fixed messages with numbers filled in: it never quotes the
//! file (whose secret line is the seed).

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use sesh::identity::keyfile;

fuzz_target!(|data: &[u8]| {
    match keyfile::decode(data) {
        Ok(id) => {
            let text = keyfile::encode(&id, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
            let again = keyfile::decode(text.as_bytes()).expect("an encoded key file decodes");
            assert_eq!(again.session_id(), id.session_id());
            assert_eq!(again.seed().as_bytes(), id.seed().as_bytes());
        }
        Err(e) => {
            let shape = numbers_as_n(&e.to_string());
            assert!(
                MESSAGES.contains(&shape.as_str()),
                "error {shape:?} quotes its input"
            );
        }
    }
});

/// Every key file error's text, with each run of digits as `N`.
const MESSAGES: &[&str] = &[
    "N bytes is too large for a key file",
    "not a text file",
    "line N is neither a comment nor a 'SESH-SECRET-SEED-HEX-' line",
    "line N is a second secret line",
    "no 'SESH-SECRET-SEED-HEX-' line",
    "the secret on line N has N characters, expected N",
    "the secret on line N is not hexadecimal",
    "the session id comment on line N is not a Session ID",
    "the session id on line N does not match the secret (damaged file?)",
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
