//! Vanity Session IDs (issue 14): the search for an identity whose Session ID starts with
//! `05` and a chosen hex prefix.
//!
//! The search tries random 16-byte seeds, exactly as [`Identity::generate`] makes them (the
//! Ed25519 seed is `seed ‖ 0^16`), so that the identity found has a recovery phrase like any
//! other Session account; a search over raw scalars would find keys no phrase restores. One try
//! is SHA-512 of the seed, one fixed-base multiplication and the Edwards-to-Montgomery map:
//! [`Identity::from_seed`]'s X25519 key without its Ed25519 key's compression and
//! decompression. Sans-IO: the random source is an argument; threads, time and progress belong
//! to the caller.

use curve25519_dalek::EdwardsPoint;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::{Identity, Seed};

/// The longest prefix accepted (hex digits after `05`): 16¹⁰ ≈ 10¹² tries on average.
pub const MAX_PREFIX_LEN: usize = 10;

/// Why a prefix is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// No digits.
    #[error("the prefix is empty: give the hex digits that follow 05")]
    Empty,
    /// A character that is not a hex digit.
    #[error("the prefix '{prefix}' has '{found}', which is not a hex digit (0-9, a-f)")]
    NotHex {
        /// The prefix as given.
        prefix: String,
        /// The first offending character.
        found: char,
    },
    /// More digits than [`MAX_PREFIX_LEN`].
    #[error(
        "the prefix '{prefix}' has {len} hex digits, more than the {MAX_PREFIX_LEN} a search can reach"
    )]
    TooLong {
        /// The prefix as given.
        prefix: String,
        /// Its length.
        len: usize,
    },
}

/// The hex digits a Session ID must have after its `05`, lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// One nibble (0–15) per digit.
    nibbles: Vec<u8>,
}

impl Prefix {
    /// Parses the digits that follow `05` (upper or lower case).
    ///
    /// # Errors
    /// [`PrefixError`] for an empty, non-hex or too long prefix.
    pub fn parse(hex: &str) -> Result<Self, PrefixError> {
        if hex.is_empty() {
            return Err(PrefixError::Empty);
        }
        let mut nibbles = Vec::with_capacity(hex.len());
        for c in hex.chars() {
            let Some(n) = c.to_digit(16) else {
                return Err(PrefixError::NotHex {
                    prefix: hex.to_owned(),
                    found: c,
                });
            };
            nibbles.push(u8::try_from(n).unwrap_or(0));
        }
        if nibbles.len() > MAX_PREFIX_LEN {
            return Err(PrefixError::TooLong {
                prefix: hex.to_owned(),
                len: nibbles.len(),
            });
        }
        Ok(Self { nibbles })
    }

    /// The number of hex digits.
    pub fn len(&self) -> usize {
        self.nibbles.len()
    }

    /// Always false: a prefix has at least one digit.
    pub fn is_empty(&self) -> bool {
        self.nibbles.is_empty()
    }

    /// The digits, lowercase.
    pub fn to_hex(&self) -> String {
        self.nibbles
            .iter()
            .map(|&n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
            .collect()
    }

    /// How many seeds a search tries on average: 16 to the prefix's length.
    pub fn expected_tries(&self) -> f64 {
        16f64.powi(i32::try_from(self.len()).unwrap_or(i32::MAX))
    }

    /// Whether an X25519 public key (a Session ID without its `05`) starts with the prefix.
    pub fn matches(&self, x25519_pub: &[u8; 32]) -> bool {
        self.nibbles.iter().enumerate().all(|(i, &n)| {
            let byte = x25519_pub[i / 2];
            let got = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
            got == n
        })
    }
}

/// The X25519 public key (the Session ID after `05`) of the account whose 16-byte seed is
/// `seed16`: the same key as [`Identity::from_seed`]`(`[`Seed::from_legacy`]`(seed16))`.
pub fn x25519_pub_of_seed(seed16: &[u8; 16]) -> [u8; 32] {
    let mut seed = Zeroizing::new([0u8; 32]);
    seed[..16].copy_from_slice(seed16);
    let mut digest = Sha512::digest(seed.as_ref());
    let mut scalar = Zeroizing::new([0u8; 32]);
    scalar.copy_from_slice(&digest[..32]);
    digest.as_mut_slice().zeroize();
    EdwardsPoint::mul_base_clamped(*scalar)
        .to_montgomery()
        .to_bytes()
}

/// Tries up to `tries` random seeds from `rng`; the identity of the first whose Session ID
/// starts with `05` and `prefix`, if one does.
pub fn search(
    prefix: &Prefix,
    rng: &mut (impl RngCore + CryptoRng),
    tries: u64,
) -> Option<Identity> {
    let mut seed16 = Zeroizing::new([0u8; 16]);
    for _ in 0..tries {
        rng.fill_bytes(seed16.as_mut());
        if prefix.matches(&x25519_pub_of_seed(&seed16)) {
            return Some(Identity::from_seed(Seed::from_legacy(&seed16)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;

    #[test]
    fn prefixes_are_hex_lowercased_and_bounded() {
        assert_eq!(Prefix::parse("AbC").unwrap().to_hex(), "abc");
        assert_eq!(Prefix::parse(""), Err(PrefixError::Empty));
        assert!(matches!(
            Prefix::parse("12g"),
            Err(PrefixError::NotHex { found: 'g', .. })
        ));
        assert!(matches!(
            Prefix::parse("é"),
            Err(PrefixError::NotHex { .. })
        ));
        assert!(Prefix::parse(&"a".repeat(MAX_PREFIX_LEN)).is_ok());
        assert!(matches!(
            Prefix::parse(&"a".repeat(MAX_PREFIX_LEN + 1)),
            Err(PrefixError::TooLong { len: 11, .. })
        ));
        assert_eq!(Prefix::parse("abc").unwrap().expected_tries(), 4096.0);
    }

    #[test]
    fn a_prefix_matches_the_ids_leading_digits_only() {
        let mut key = [0u8; 32];
        key[0] = 0xab;
        key[1] = 0xc0;
        for (p, want) in [("a", true), ("ab", true), ("abc", true), ("abc0", true)] {
            assert_eq!(Prefix::parse(p).unwrap().matches(&key), want, "{p}");
        }
        for p in ["b", "ac", "abd", "abc1", "0"] {
            assert!(!Prefix::parse(p).unwrap().matches(&key), "{p}");
        }
    }

    /// The search's short cut gives the key the identity has, seed for seed.
    #[test]
    fn the_lean_key_is_the_identitys() {
        for n in 0..20u8 {
            let seed16 = [n.wrapping_mul(37); 16];
            let id = Identity::from_seed(Seed::from_legacy(&seed16));
            assert_eq!(x25519_pub_of_seed(&seed16), id.session_id().to_bytes()[1..]);
        }
    }

    /// What the search finds matches, and is a Session account: its seed is a legacy seed
    /// (so it has a recovery phrase) that gives the same ID again.
    #[test]
    fn the_search_finds_an_account_with_the_prefix() {
        let prefix = Prefix::parse("5e").unwrap();
        let id = search(&prefix, &mut OsRng, 100_000).expect("found in 100 000 tries");
        assert!(id.session_id().to_string().starts_with("055e"));
        let seed16 = id.seed().legacy().expect("a 16-byte seed");
        let again = Identity::from_seed(Seed::from_legacy(&seed16));
        assert_eq!(again.session_id(), id.session_id());
    }
}
