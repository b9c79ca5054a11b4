//! Account keys: the secret seed, the Ed25519 and X25519 key pairs derived from it, and Session IDs.
//!
//! Mirrors session-desktop `ts/util/accountManager.ts` and libsession-util
//! `src/session_encrypt.cpp` (protocol.md §1):
//!
//! ```text
//! 16-byte seed ─► seed ‖ 0^16 (Ed25519 seed) ─► Ed25519 key pair
//!                                              ├─► X25519 secret = clamp(SHA-512(seed32)[..32])
//!                                              └─► X25519 public = Montgomery form of the Ed25519 key
//! Session ID = "05" ‖ hex(X25519 public)
//! ```
//!
//! This module does no I/O: it turns bytes into keys and text into IDs.

pub mod keyfile;
pub mod vanity;

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The prefix byte of a standard (unblinded X25519) Session ID.
pub const SESSION_ID_PREFIX: u8 = 0x05;

/// The 32-byte Ed25519 seed every key of an account derives from.
///
/// Accounts made by the Session apps (and by `sesh keygen`) have 16 random bytes followed by
/// 16 zero bytes; only those have a recovery phrase.
///
/// # Security
/// The bytes are zeroized on drop and `Debug` prints `[redacted]`.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    /// The full Ed25519 seed from 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The Ed25519 seed of a Session account from its 16-byte legacy seed (`seed ‖ 0^16`).
    pub fn from_legacy(seed16: &[u8; 16]) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(seed16);
        Self(bytes)
    }

    /// The 32 seed bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 16-byte legacy seed, if the last 16 bytes are zero (every Session account).
    pub fn legacy(&self) -> Option<Zeroizing<[u8; 16]>> {
        if self.0[16..].iter().all(|&b| b == 0) {
            let mut out = Zeroizing::new([0u8; 16]);
            out.copy_from_slice(&self.0[..16]);
            Some(out)
        } else {
            None
        }
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed([redacted])")
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ed25519Pub(pub [u8; 32]);

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct X25519Pub(pub [u8; 32]);

macro_rules! hex_key {
    ($t:ident, $name:literal) => {
        impl $t {
            /// The key as 64 lowercase hex characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($name, "({})"), self.to_hex())
            }
        }
        impl FromStr for $t {
            type Err = KeyParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 64 {
                    return Err(KeyParseError::Length { len: s.len() });
                }
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(|_| KeyParseError::NotHex)?;
                Ok(Self(out))
            }
        }
    };
}
hex_key!(Ed25519Pub, "Ed25519Pub");
hex_key!(X25519Pub, "X25519Pub");

impl Ed25519Pub {
    /// The X25519 (Montgomery) form of this key, as libsodium's
    /// `crypto_sign_ed25519_pk_to_curve25519` computes it.
    ///
    /// Returns `None` when the bytes are not a valid Edwards point.
    pub fn to_x25519(&self) -> Option<X25519Pub> {
        let vk = VerifyingKey::from_bytes(&self.0).ok()?;
        if vk.is_weak() {
            // libsodium refuses small-order keys; so do we.
            return None;
        }
        Some(X25519Pub(vk.to_montgomery().to_bytes()))
    }
}

/// Why a hex public key did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyParseError {
    /// Not 64 characters long.
    #[error("expected 64 hex characters, got {len}")]
    Length {
        /// The length given.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("not hexadecimal")]
    NotHex,
}

/// An account's keys: the seed and everything derived from it.
///
/// # Security
/// Holds secret keys; they are zeroized on drop and never printed by `Debug`.
pub struct Identity {
    seed: Seed,
    signing: SigningKey,
    x25519_secret: Zeroizing<[u8; 32]>,
    x25519_pub: X25519Pub,
}

impl Identity {
    /// Derives the key pairs from a seed.
    pub fn from_seed(seed: Seed) -> Self {
        let signing = SigningKey::from_bytes(seed.as_bytes());
        // libsodium crypto_sign_ed25519_sk_to_curve25519: the clamped first half of
        // SHA-512(seed), the same scalar Ed25519 signs with.
        let mut digest = Sha512::digest(seed.as_bytes());
        let mut x25519_secret = Zeroizing::new([0u8; 32]);
        x25519_secret.copy_from_slice(&digest[..32]);
        digest.as_mut_slice().zeroize();
        x25519_secret[0] &= 248;
        x25519_secret[31] &= 127;
        x25519_secret[31] |= 64;
        let x25519_pub = X25519Pub(signing.verifying_key().to_montgomery().to_bytes());
        Self {
            seed,
            signing,
            x25519_secret,
            x25519_pub,
        }
    }

    /// A new identity from 16 random bytes, as the Session apps make them.
    pub fn generate(rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng)) -> Self {
        let mut seed16 = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(seed16.as_mut());
        Self::from_seed(Seed::from_legacy(&seed16))
    }

    /// The seed.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The Session ID: `05` followed by the X25519 public key.
    pub fn session_id(&self) -> SessionId {
        SessionId(self.x25519_pub)
    }

    /// The Ed25519 public key.
    pub fn ed25519_pub(&self) -> Ed25519Pub {
        Ed25519Pub(self.signing.verifying_key().to_bytes())
    }

    /// The X25519 public key.
    pub fn x25519_pub(&self) -> X25519Pub {
        self.x25519_pub
    }

    /// The X25519 secret scalar (clamped).
    ///
    /// # Security
    /// A secret key: do not log or print it.
    pub fn x25519_secret(&self) -> &[u8; 32] {
        &self.x25519_secret
    }

    /// Signs `msg` with the account's Ed25519 key.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("session_id", &self.session_id().to_string())
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// A standard Session ID: the prefix `05` and an X25519 public key, 66 hex characters.
///
/// # Format
/// ```text
/// "05" ‖ hex(X25519 public key, 32 bytes)   (66 lowercase hex characters)
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(X25519Pub);

impl SessionId {
    /// The Session ID of an X25519 public key.
    pub fn from_x25519(key: X25519Pub) -> Self {
        Self(key)
    }

    /// The X25519 public key the ID names.
    pub fn x25519(&self) -> X25519Pub {
        self.0
    }

    /// The 33 raw bytes: the prefix then the key.
    pub fn to_bytes(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = SESSION_ID_PREFIX;
        out[1..].copy_from_slice(&self.0.0);
        out
    }

    /// A short form for humans, `05abcd…wxyz`.
    pub fn short(&self) -> String {
        let s = self.to_string();
        format!("{}…{}", &s[..6], &s[s.len() - 4..])
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}{}", SESSION_ID_PREFIX, self.0.to_hex())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

impl serde::Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for SessionId {
    type Err = ParseError;

    /// Parses 66 hex characters (either case) starting with `05`.
    ///
    /// # Errors
    /// [`ParseError`] names what is wrong, including IDs of other kinds (blinded community
    /// IDs, group IDs) for what they are.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(pos) = s.find(|c: char| !c.is_ascii_hexdigit()) {
            let c = s[pos..].chars().next().unwrap_or(' ');
            return Err(ParseError::NotHex {
                position: s[..pos].chars().count() + 1,
                character: c,
            });
        }
        if s.len() != 66 {
            return Err(ParseError::Length { len: s.len() });
        }
        let mut raw = [0u8; 33];
        hex::decode_to_slice(s, &mut raw).map_err(|_| ParseError::NotHex {
            position: 1,
            character: ' ',
        })?;
        let prefix = raw[0];
        if prefix != SESSION_ID_PREFIX {
            return Err(ParseError::Prefix(IdKind::from_prefix(prefix)));
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&raw[1..]);
        Ok(Self(X25519Pub(key)))
    }
}

/// What kind of key a 66-hex-character ID with a given prefix byte names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdKind {
    /// `05`: a standard Session ID.
    Standard,
    /// `15`: a community-blinded ID (blinded Ed25519 key).
    Blinded15,
    /// `25`: a community-blinded ID of the newer scheme.
    Blinded25,
    /// `03`: a group's Ed25519 key.
    Group,
    /// `00`: an unblinded Ed25519 key, as communities see it.
    UnblindedEd25519,
    /// `07`: a version-blinded key, used only by the file server.
    VersionBlinded,
    /// Any other prefix.
    Unknown(u8),
}

impl IdKind {
    fn from_prefix(prefix: u8) -> Self {
        match prefix {
            0x05 => Self::Standard,
            0x15 => Self::Blinded15,
            0x25 => Self::Blinded25,
            0x03 => Self::Group,
            0x00 => Self::UnblindedEd25519,
            0x07 => Self::VersionBlinded,
            other => Self::Unknown(other),
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standard => f.write_str("a standard Session ID (prefix 05)"),
            Self::Blinded15 => f.write_str("a blinded community ID (prefix 15)"),
            Self::Blinded25 => f.write_str("a blinded community ID (prefix 25)"),
            Self::Group => f.write_str("a group ID (prefix 03)"),
            Self::UnblindedEd25519 => f.write_str("an unblinded Ed25519 key (prefix 00)"),
            Self::VersionBlinded => f.write_str("a version-blinded key (prefix 07)"),
            Self::Unknown(p) => write!(f, "an ID with unknown prefix {p:02x}"),
        }
    }
}

/// Why a Session ID did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not 66 characters long.
    #[error("expected 66 hex characters, got {len}")]
    Length {
        /// The length given.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("character {position} ('{}') is not a hex digit", character.escape_default())]
    NotHex {
        /// 1-based position of the first bad character.
        position: usize,
        /// The character.
        character: char,
    },
    /// The ID has the right form but names something other than an account.
    #[error("this is {0}, not an account's Session ID (prefix 05)")]
    Prefix(IdKind),
}

impl ParseError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Length { .. } | Self::NotHex { .. } => {
                Some("a Session ID is 66 hex characters starting with 05")
            }
            Self::Prefix(IdKind::Blinded15 | IdKind::Blinded25) => Some(
                "blinded IDs are only reachable through their community; ask for the person's Session ID",
            ),
            Self::Prefix(IdKind::Group) => Some("groups are not supported yet"),
            Self::Prefix(_) => Some(
                "a Session ID starts with 05, as 'sesh id' and the apps show it; ask for the \
                 person's Session ID",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(seed_hex: &str) -> Identity {
        let mut s = [0u8; 32];
        hex::decode_to_slice(seed_hex, &mut s).unwrap();
        Identity::from_seed(Seed::from_bytes(s))
    }

    #[test]
    fn derives_published_session_ids() {
        // libsession-util tests/test_session_encrypt.cpp (protocol.md §12.1)
        let a = id_of("0123456789abcdef0123456789abcdef00000000000000000000000000000000");
        assert_eq!(
            a.ed25519_pub().to_hex(),
            "4cb76fdc6d32278e3f83dbf608360ecc6b65727934b85d2fb86862ff98c46ab7"
        );
        assert_eq!(
            a.session_id().to_string(),
            "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72"
        );
        assert_eq!(
            hex::encode(a.x25519_secret()),
            "c066ce44b14d551ee69dbcd631c061d17655b374f5d54e4f1ea9e3718638956b"
        );
    }

    #[test]
    fn session_id_errors_name_the_kind() {
        let zeros = "0".repeat(64);
        assert!(matches!(
            format!("15{zeros}").parse::<SessionId>(),
            Err(ParseError::Prefix(IdKind::Blinded15))
        ));
        assert!(matches!(
            format!("25{zeros}").parse::<SessionId>(),
            Err(ParseError::Prefix(IdKind::Blinded25))
        ));
        assert!(matches!(
            format!("03{zeros}").parse::<SessionId>(),
            Err(ParseError::Prefix(IdKind::Group))
        ));
        assert!(matches!(
            format!("00{zeros}").parse::<SessionId>(),
            Err(ParseError::Prefix(IdKind::UnblindedEd25519))
        ));
        assert_eq!(
            "05ab".parse::<SessionId>(),
            Err(ParseError::Length { len: 4 })
        );
        assert_eq!(
            format!("05{}z", "0".repeat(63)).parse::<SessionId>(),
            Err(ParseError::NotHex {
                position: 66,
                character: 'z'
            })
        );
        assert_eq!(
            "05é".parse::<SessionId>(),
            Err(ParseError::NotHex {
                position: 3,
                character: 'é'
            })
        );
    }

    #[test]
    fn session_id_accepts_upper_case_and_prints_lower() {
        let s = "05D2AD010EEB72D72E561D9DE7BD7B6989AF77DCABFFA03A5111A6C859AE5C3A72";
        let id: SessionId = s.parse().unwrap();
        assert_eq!(id.to_string(), s.to_ascii_lowercase());
    }

    #[test]
    fn debug_redacts_secrets() {
        let a = id_of("0123456789abcdef0123456789abcdef00000000000000000000000000000000");
        let dbg = format!("{a:?} {:?}", a.seed());
        assert!(!dbg.contains("0123456789abcdef"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }
}
