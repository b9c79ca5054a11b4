//! The identity file parser (`identity::keyfile::decode`) on arbitrary bytes. It may not
//! panic or hang; a file that parses re-encodes to one that parses to the same identity; and
//! an error's text never holds the secret line's hex.

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
            let shown = e.to_string();
            if let Ok(text) = std::str::from_utf8(data) {
                for line in text.lines() {
                    if let Some(secret) = line.trim().strip_prefix(keyfile::SECRET_PREFIX) {
                        if secret.len() >= 8 {
                            assert!(!shown.contains(secret), "error {shown:?} echoes the secret");
                        }
                    }
                }
            }
        }
    }
});
