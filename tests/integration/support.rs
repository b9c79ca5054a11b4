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

/// A deterministic RNG for tests (SHA-512 in counter mode over a seed), so that a failing
/// proptest case, which prints its seed, replays exactly.
pub struct TestRng {
    seed: [u8; 32],
    counter: u64,
    buf: Vec<u8>,
}

impl TestRng {
    /// An RNG that yields the same bytes for the same seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            buf: Vec::new(),
        }
    }
}

impl rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        use sha2::Digest as _;
        for d in dest {
            if self.buf.is_empty() {
                let mut h = sha2::Sha512::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.counter += 1;
                self.buf = h.finalize().to_vec();
            }
            *d = self.buf.pop().expect("refilled above");
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for TestRng {}

/// The identity of a 16-byte legacy seed given in hex.
pub fn identity_of(seed_hex: &str) -> sesh::Identity {
    let seed16: [u8; 16] = hex_array(seed_hex);
    sesh::Identity::from_seed(sesh::identity::Seed::from_legacy(&seed16))
}

/// Decodes hex of any length.
pub fn hex_vec(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s}: {e}"))
}
