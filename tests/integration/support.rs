//! Shared test helpers: the vectors file and hex decoding.

#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;

/// The shared protocol vectors (tests/vectors/vectors.json).
pub fn vectors() -> &'static serde_json::Value {
    static V: OnceLock<serde_json::Value> = OnceLock::new();
    V.get_or_init(|| {
        let text = include_str!("../vectors/vectors.json");
        serde_json::from_str(text).expect("vectors.json parses")
    })
}

/// The array at `path` (keys separated by '.') in the vectors file.
pub fn cases(path: &str) -> &'static [serde_json::Value] {
    let mut v = vectors();
    for key in path.split('.') {
        v = &v[key];
    }
    v.as_array()
        .unwrap_or_else(|| panic!("vectors has no array at {path}"))
}

/// Decodes hex into a fixed-size array.
pub fn hex_array<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).unwrap_or_else(|e| panic!("bad hex {s}: {e}"));
    out
}

/// The string at `key` of a case.
pub fn str_of<'a>(case: &'a serde_json::Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("case has no string {key}: {case}"))
}
