//! ONS (Oxen Name Service) names for Session IDs (protocol.md §9): validating and lowercasing
//! a name, the hash the network is asked about, and the encrypted record it answers.
//!
//! ```text
//! name       = lowercase(input), matching ^\w([\w-]*[\w])?$ (ASCII letters, digits, _; '-' inside)
//! name_hash  = BLAKE2b-256(name)                       (sent base64 in `ons_resolve`)
//! key        = BLAKE2b-256(name, key = name_hash)
//! record     = XChaCha20-Poly1305(key, nonce(24), 33-byte Session ID), no associated data
//! ```
//!
//! Records without a nonce are the pre-HF16 (Argon2id + XSalsa20) form, which the apps
//! dropped in 2023; [`decrypt`] refuses them. Pure: no I/O; the nonce for [`encrypt`] is an
//! argument.

use blake2::digest::consts::U32;
use blake2::digest::{FixedOutput as _, Mac as _};
use blake2::{Blake2b, Blake2bMac, Digest as _};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit};

use crate::identity::{SessionId, X25519Pub};

/// The longest name ONS registers, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// The XChaCha20 nonce length.
pub const NONCE_LEN: usize = 24;

/// Why a string is not an ONS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The empty string.
    #[error("a name is not empty")]
    Empty,
    /// Over [`MAX_NAME_LEN`] characters.
    #[error("a name has at most {MAX_NAME_LEN} characters, this one {0}")]
    TooLong(usize),
    /// A character outside letters, digits, `_` and `-`.
    #[error("a name holds only letters, digits, '_' and '-', not {0:?}")]
    BadCharacter(char),
    /// A hyphen first or last.
    #[error("a name neither starts nor ends with '-'")]
    EdgeHyphen,
}

/// Why a record did not decrypt to a Session ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// No nonce: the pre-HF16 form.
    #[error("the record is in the pre-2023 (Argon2) form, which sesh does not read")]
    Legacy,
    /// The nonce is not 24 bytes of hex.
    #[error("the record's nonce is not {NONCE_LEN} bytes of hex")]
    BadNonce,
    /// The value is not hex.
    #[error("the record's encrypted value is not hex")]
    BadValue,
    /// Authentication failed: not encrypted for this name.
    #[error("the record does not decrypt with this name's key")]
    Decrypt,
    /// The plaintext is not a Session ID (33 bytes, 05 prefix).
    #[error("the record does not hold a Session ID")]
    NotSessionId,
}

/// An ONS name: valid, and lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Validates `s` (Session's rules, §9 step 1) and lowercases it.
    ///
    /// # Errors
    /// [`NameError`] names the first rule `s` breaks.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(NameError::BadCharacter(c));
        }
        if s.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(s.len()));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(NameError::EdgeHyphen);
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    /// The lowercase name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `BLAKE2b-256(name)`: what `ons_resolve` is asked about.
    pub fn hash(&self) -> [u8; 32] {
        Blake2b::<U32>::digest(self.0.as_bytes()).into()
    }

    /// The record key: `BLAKE2b-256(name, key = name_hash)`.
    fn key(&self) -> [u8; 32] {
        <Blake2bMac<U32> as blake2::digest::KeyInit>::new_from_slice(&self.hash())
            .expect("should accept a 32-byte key: BLAKE2b takes up to 64")
            .chain_update(self.0.as_bytes())
            .finalize_fixed()
            .into()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An `ons_resolve` record as the network answers it: hex strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The ciphertext and tag, hex.
    pub encrypted_value: String,
    /// The nonce, hex (absent in the legacy form).
    pub nonce: Option<String>,
}

/// Encrypts `id` for `name` with `nonce`, as the network stores it.
pub fn encrypt(name: &Name, id: &SessionId, nonce: [u8; NONCE_LEN]) -> Record {
    let cipher = XChaCha20Poly1305::new(&name.key().into());
    let ct = cipher
        .encrypt(&nonce.into(), id.to_bytes().as_slice())
        .expect("should encrypt: a 33-byte message into a Vec cannot fail");
    Record {
        encrypted_value: hex::encode(ct),
        nonce: Some(hex::encode(nonce)),
    }
}

/// Decrypts `record` for `name` (§9 step 3).
///
/// # Errors
/// [`RecordError`]: a legacy record, bad hex, a failed decryption, or not a Session ID.
pub fn decrypt(name: &Name, record: &Record) -> Result<SessionId, RecordError> {
    let nonce = record.nonce.as_deref().ok_or(RecordError::Legacy)?;
    let nonce: [u8; NONCE_LEN] = hex::decode(nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(RecordError::BadNonce)?;
    let ct = hex::decode(&record.encrypted_value).map_err(|_| RecordError::BadValue)?;
    let cipher = XChaCha20Poly1305::new(&name.key().into());
    let pt = cipher
        .decrypt(&nonce.into(), ct.as_slice())
        .map_err(|_| RecordError::Decrypt)?;
    let bytes: [u8; 33] = pt.try_into().map_err(|_| RecordError::NotSessionId)?;
    if bytes[0] != 0x05 {
        return Err(RecordError::NotSessionId);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[1..]);
    Ok(SessionId::from_x25519(X25519Pub(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const NONCE: &str = "00112233445566778899aabbccddeeff00ffeeddccbbaa99";
    const CT: &str = "3575802dd9bfea72672a208840f37ca289ceade5d3ffacabe2d231f109d204329fc33e28c331580d9a8c9b8a64cacfec97";
    const SID: &str = "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";

    fn vector() -> Record {
        Record {
            encrypted_value: CT.into(),
            nonce: Some(NONCE.into()),
        }
    }

    #[test]
    fn vector_12_9_decrypts() {
        let name = Name::parse("test").unwrap();
        assert_eq!(decrypt(&name, &vector()).unwrap().to_string(), SID);
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(name.hash()),
            "kosgNmlD4q/RHrwOri5TqTvxd6T881vMZNUDcE5l4gI="
        );
    }

    #[test]
    fn encrypt_reproduces_the_vector() {
        let name = Name::parse("TeSt").unwrap();
        let nonce: [u8; 24] = hex::decode(NONCE).unwrap().try_into().unwrap();
        assert_eq!(encrypt(&name, &SID.parse().unwrap(), nonce), vector());
    }

    #[test]
    fn other_name_or_tampering_fails() {
        let other = Name::parse("tesT2").unwrap();
        assert_eq!(decrypt(&other, &vector()), Err(RecordError::Decrypt));
        let name = Name::parse("test").unwrap();
        let mut r = vector();
        r.encrypted_value.replace_range(0..2, "36");
        assert_eq!(decrypt(&name, &r), Err(RecordError::Decrypt));
        r.nonce = None;
        assert_eq!(decrypt(&name, &r), Err(RecordError::Legacy));
        r.nonce = Some("00".into());
        assert_eq!(decrypt(&name, &r), Err(RecordError::BadNonce));
    }

    #[test]
    fn names_follow_sessions_rules() {
        assert_eq!(Name::parse("Alice_1-b").unwrap().as_str(), "alice_1-b");
        assert_eq!(Name::parse("_").unwrap().as_str(), "_");
        assert_eq!(Name::parse(""), Err(NameError::Empty));
        assert_eq!(Name::parse("-a"), Err(NameError::EdgeHyphen));
        assert_eq!(Name::parse("a-"), Err(NameError::EdgeHyphen));
        assert_eq!(Name::parse("a b"), Err(NameError::BadCharacter(' ')));
        assert_eq!(Name::parse("é"), Err(NameError::BadCharacter('é')));
        assert_eq!(Name::parse(&"a".repeat(65)), Err(NameError::TooLong(65)));
        assert!(Name::parse(&"a".repeat(64)).is_ok());
    }
}
