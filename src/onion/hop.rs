//! Per-hop layer crypto: X25519 key agreement, the symmetric key of a layer, and its AEAD.
//!
//! Mirrors libsession-util `src/onionreq/hop_encryption.cpp` and session-storage-server
//! `oxenss/crypto/channel_encryption.cpp` (protocol.md §7.1). The client makes a fresh X25519
//! key pair `(a, A)` per layer; the node holds `(b, B)`; both compute `ss = X25519(a, B) =
//! X25519(b, A)` and from it one symmetric key, used in **both** directions:
//!
//! ```text
//! aes-gcm    key = HMAC-SHA256(key = "LOKI", msg = ss)
//!            blob = iv(12) ‖ AES-256-GCM(key, iv, plaintext) ‖ tag(16)
//! xchacha20  key = BLAKE2b-256(ss ‖ A_client ‖ B_node)
//!            blob = nonce(24) ‖ XChaCha20-Poly1305(key, nonce, plaintext) ‖ tag(16)
//! ```
//!
//! Neither AEAD uses associated data.

use std::fmt;
use std::str::FromStr;

use aes_gcm::Aes256Gcm;
use blake2::Blake2b;
use blake2::digest::consts::U32;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit};
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::curve;
use crate::identity::{Identity, X25519Pub};

/// The AES-GCM IV length.
pub(crate) const AES_GCM_IV_LEN: usize = 12;
/// The XChaCha20-Poly1305 nonce length.
pub(crate) const XCHACHA_NONCE_LEN: usize = 24;
/// The authentication tag length of both AEADs.
pub(crate) const TAG_LEN: usize = 16;

/// The symmetric encryption of onion request layers (`"enc_type"` on the wire).
///
/// # Format
/// ```text
/// "aes-gcm" | "gcm"                    → AesGcm    (emitted as "aes-gcm")
/// "xchacha20" | "xchacha20-poly1305"   → XChaCha20 (emitted as "xchacha20")
/// ```
/// A layer without `"enc_type"` is AES-GCM ([`EncType::default`]), as storage servers assume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum EncType {
    /// AES-256-GCM with an HMAC-SHA256 derived key; what session-desktop uses.
    #[default]
    AesGcm,
    /// XChaCha20-Poly1305 with a BLAKE2b derived key; libsession's default.
    XChaCha20,
}

impl EncType {
    /// The name sesh puts on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AesGcm => "aes-gcm",
            Self::XChaCha20 => "xchacha20",
        }
    }

    /// The length of the IV/nonce that starts every blob.
    pub(crate) fn nonce_len(self) -> usize {
        match self {
            Self::AesGcm => AES_GCM_IV_LEN,
            Self::XChaCha20 => XCHACHA_NONCE_LEN,
        }
    }

    /// How many bytes encryption adds to a plaintext (nonce and tag).
    pub(crate) fn overhead(self) -> usize {
        self.nonce_len() + TAG_LEN
    }
}

impl fmt::Display for EncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EncType {
    type Err = UnknownEncType;

    /// Parses the names storage servers accept (session-storage-server `parse_enc_type`).
    ///
    /// # Errors
    /// [`UnknownEncType`] for any other name, including the obsolete `aes-cbc`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aes-gcm" | "gcm" => Ok(Self::AesGcm),
            "xchacha20" | "xchacha20-poly1305" => Ok(Self::XChaCha20),
            other => Err(UnknownEncType {
                name: other.to_owned(),
            }),
        }
    }
}

/// An `enc_type` name sesh does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid encryption type '{name}'")]
pub struct UnknownEncType {
    /// The name given.
    pub name: String,
}

/// Why a layer could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The X25519 shared secret is all zeros: the other side's public key is a low-order point.
    /// Such a key is malicious or corrupt; libsodium refuses it too.
    #[error("X25519 key agreement gave an all-zero secret (low-order public key)")]
    LowOrderKey,
    /// The blob is shorter than its nonce and tag.
    #[error("ciphertext is {len} bytes, shorter than the {min} bytes of nonce and tag")]
    TooShort {
        /// The blob's length.
        len: usize,
        /// The least a blob of this encryption type can be.
        min: usize,
    },
    /// The authentication tag did not verify: wrong key, wrong encryption type or altered bytes.
    #[error("ciphertext does not authenticate ({enc_type})")]
    Authentication {
        /// The encryption type tried.
        enc_type: EncType,
    },
    /// An explicit nonce of the wrong length.
    #[error("{enc_type} needs a {expected}-byte nonce, got {len} bytes")]
    NonceLength {
        /// The encryption type.
        enc_type: EncType,
        /// The length it needs.
        expected: usize,
        /// The length given.
        len: usize,
    },
    /// The plaintext is beyond what the AEAD can encrypt (tens of GiB).
    #[error("plaintext of {len} bytes is too long to encrypt")]
    TooLong {
        /// The plaintext's length.
        len: usize,
    },
}

/// The X25519 public key of a secret scalar (the scalar is clamped, as libsodium does).
pub fn x25519_public(secret: &[u8; 32]) -> X25519Pub {
    X25519Pub(curve::x25519_base(secret))
}

/// `X25519(secret, public)` ([`curve::x25519`]), refusing the all-zero result of a low-order
/// public key.
///
/// # Errors
/// [`CryptoError::LowOrderKey`] when the result is all zeros.
///
/// # Security
/// The result is secret key material.
pub fn shared_secret(
    secret: &[u8; 32],
    public: &X25519Pub,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let shared = Zeroizing::new(curve::x25519(secret, &public.0));
    // libsodium's crypto_scalarmult (used by both storage server and libsession) fails on an
    // all-zero result.
    if curve::is_zero(&shared) {
        return Err(CryptoError::LowOrderKey);
    }
    Ok(shared)
}

/// A node's own X25519 key pair, as it peels layers: the secret `b` and its public `B`.
///
/// XChaCha20 layer keys hash `B` in; the node has it already (its [`Identity`] keeps it), so
/// nothing recomputes it per layer.
///
/// # Security
/// Borrows a secret key; `Debug` prints only the public key.
#[derive(Clone, Copy)]
pub struct NodeKeys<'a> {
    secret: &'a [u8; 32],
    public: X25519Pub,
}

impl<'a> NodeKeys<'a> {
    /// The key pair of a secret scalar (computes its public key once).
    pub fn new(secret: &'a [u8; 32]) -> Self {
        Self {
            secret,
            public: x25519_public(secret),
        }
    }

    /// The secret scalar.
    pub fn secret(&self) -> &'a [u8; 32] {
        self.secret
    }

    /// The public key.
    pub fn public(&self) -> X25519Pub {
        self.public
    }
}

impl<'a> From<&'a Identity> for NodeKeys<'a> {
    /// The identity's X25519 key pair, public key included (no curve arithmetic).
    fn from(identity: &'a Identity) -> Self {
        Self {
            secret: identity.x25519_secret(),
            public: identity.x25519_pub(),
        }
    }
}

impl fmt::Debug for NodeKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKeys")
            .field("public", &self.public.to_hex())
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The symmetric key of one onion request layer, and its encryption type.
///
/// The same key encrypts the request layer (client → node) and the reply (node → client).
///
/// # Security
/// Holds a secret key: zeroized on drop, and `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct LayerKey {
    enc_type: EncType,
    key: Zeroizing<[u8; 32]>,
}

impl LayerKey {
    /// The key from its raw bytes.
    pub fn from_bytes(enc_type: EncType, key: [u8; 32]) -> Self {
        Self {
            enc_type,
            key: Zeroizing::new(key),
        }
    }

    /// The client's key for a layer: from its ephemeral secret `a` and the node's public `B`.
    ///
    /// # Errors
    /// [`CryptoError::LowOrderKey`] if `B` is a low-order point.
    pub fn for_client(
        enc_type: EncType,
        ephemeral_secret: &[u8; 32],
        node: &X25519Pub,
    ) -> Result<Self, CryptoError> {
        let ss = shared_secret(ephemeral_secret, node)?;
        // Only XChaCha20 hashes the public keys in: AES-GCM needs no base-point multiplication.
        Ok(Self::derive(enc_type, &ss, || {
            (x25519_public(ephemeral_secret), *node)
        }))
    }

    /// [`LayerKey::for_client`] when the caller has the ephemeral public key `A` already
    /// (`A` must be `x25519_public(ephemeral_secret)`).
    pub(crate) fn for_client_with_public(
        enc_type: EncType,
        ephemeral_secret: &[u8; 32],
        ephemeral_public: &X25519Pub,
        node: &X25519Pub,
    ) -> Result<Self, CryptoError> {
        let ss = shared_secret(ephemeral_secret, node)?;
        Ok(Self::derive(enc_type, &ss, || (*ephemeral_public, *node)))
    }

    /// The node's key for a layer: from its key pair `(b, B)` and the client's ephemeral
    /// public `A`.
    ///
    /// # Errors
    /// [`CryptoError::LowOrderKey`] if `A` is a low-order point.
    pub fn for_node(
        enc_type: EncType,
        node: &NodeKeys<'_>,
        client_ephemeral: &X25519Pub,
    ) -> Result<Self, CryptoError> {
        let ss = shared_secret(node.secret, client_ephemeral)?;
        Ok(Self::derive(enc_type, &ss, || {
            (*client_ephemeral, node.public)
        }))
    }

    /// The layer key from the shared secret; `public_keys` gives `(A_client, B_node)`, and is
    /// called only for XChaCha20, whose key hashes them in.
    fn derive(
        enc_type: EncType,
        ss: &[u8; 32],
        public_keys: impl FnOnce() -> (X25519Pub, X25519Pub),
    ) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        match enc_type {
            EncType::AesGcm => {
                // channel_encryption.cpp derive_symmetric_key: HMAC keyed with "LOKI".
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"LOKI")
                    .expect("should accept a 4-byte HMAC key");
                mac.update(ss);
                key.copy_from_slice(&mac.finalize().into_bytes());
            }
            EncType::XChaCha20 => {
                // hop_encryption.cpp xchacha20_shared_key: client key first, node key second,
                // whichever side computes it.
                let (client, node) = public_keys();
                let mut h = Blake2b::<U32>::new();
                h.update(ss);
                h.update(client.0);
                h.update(node.0);
                key.copy_from_slice(&h.finalize());
            }
        }
        Self { enc_type, key }
    }

    /// The encryption type.
    pub fn enc_type(&self) -> EncType {
        self.enc_type
    }

    /// The raw key.
    ///
    /// # Security
    /// Secret key material: for tests and vectors, never for logs.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// Encrypts with a fresh random nonce: `nonce ‖ ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`CryptoError::TooLong`] for a plaintext beyond the AEAD's limit.
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; XCHACHA_NONCE_LEN];
        let nonce = &mut nonce[..self.enc_type.nonce_len()];
        rng.fill_bytes(nonce);
        self.encrypt_with_nonce(nonce, plaintext)
    }

    /// Encrypts with the given nonce: `nonce ‖ ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`CryptoError::NonceLength`] unless the nonce is 12 bytes (AES-GCM) or 24 bytes
    /// (XChaCha20); [`CryptoError::TooLong`] for a plaintext beyond the AEAD's limit.
    ///
    /// # Security
    /// Never reuse a nonce with the same key; this exists for test vectors.
    pub fn encrypt_with_nonce(
        &self,
        nonce: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let expected = self.enc_type.nonce_len();
        if nonce.len() != expected {
            return Err(CryptoError::NonceLength {
                enc_type: self.enc_type,
                expected,
                len: nonce.len(),
            });
        }
        let too_long = |_| CryptoError::TooLong {
            len: plaintext.len(),
        };
        let sealed = match self.enc_type {
            EncType::AesGcm => Aes256Gcm::new(self.key.as_ref().into())
                .encrypt(nonce.into(), plaintext)
                .map_err(too_long)?,
            EncType::XChaCha20 => XChaCha20Poly1305::new(self.key.as_ref().into())
                .encrypt(nonce.into(), plaintext)
                .map_err(too_long)?,
        };
        let mut out = Vec::with_capacity(nonce.len() + sealed.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts `nonce ‖ ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`CryptoError::TooShort`] if the blob cannot hold a nonce and tag;
    /// [`CryptoError::Authentication`] if it does not verify under this key.
    pub fn decrypt(&self, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let n = self.enc_type.nonce_len();
        let min = self.enc_type.overhead();
        if blob.len() < min {
            return Err(CryptoError::TooShort {
                len: blob.len(),
                min,
            });
        }
        let (nonce, sealed) = blob.split_at(n);
        let failed = |_| CryptoError::Authentication {
            enc_type: self.enc_type,
        };
        match self.enc_type {
            EncType::AesGcm => Aes256Gcm::new(self.key.as_ref().into())
                .decrypt(nonce.into(), sealed)
                .map_err(failed),
            EncType::XChaCha20 => XChaCha20Poly1305::new(self.key.as_ref().into())
                .decrypt(nonce.into(), sealed)
                .map_err(failed),
        }
    }
}

impl fmt::Debug for LayerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LayerKey({}, [redacted])", self.enc_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap();
        out
    }

    // libsession-util tests/test_onionreq.cpp keys (protocol.md §12.8).
    const A_SEC: &str = "ccc335912da8939e2b44816728a5a4773063efa82bf7ae2d42a0abfa2caa452d";
    const A_PUB: &str = "bbdfc83022d0aff084a6f0c529a93d1c4d728bf7e41199afed0e01ae70d20540";
    const B_SEC: &str = "8fcd8ad3a15c76f76f1c56dff0c529999f8c59b4acda79e05666e54d5727dca1";
    const B_PUB: &str = "caea52c5b0c316d85ffb53ea536826618b13dee40685f166f632653114526a78";

    #[test]
    fn enc_type_names() {
        for (s, e) in [
            ("aes-gcm", EncType::AesGcm),
            ("gcm", EncType::AesGcm),
            ("xchacha20", EncType::XChaCha20),
            ("xchacha20-poly1305", EncType::XChaCha20),
        ] {
            assert_eq!(s.parse::<EncType>(), Ok(e));
        }
        assert_eq!(EncType::AesGcm.to_string(), "aes-gcm");
        assert_eq!(EncType::XChaCha20.to_string(), "xchacha20");
        assert!("aes-cbc".parse::<EncType>().is_err());
        assert!("AES-GCM".parse::<EncType>().is_err());
        assert_eq!(EncType::default(), EncType::AesGcm);
    }

    #[test]
    fn both_sides_derive_the_same_keys() {
        assert_eq!(x25519_public(&h32(A_SEC)).to_hex(), A_PUB);
        assert_eq!(x25519_public(&h32(B_SEC)).to_hex(), B_PUB);
        for enc in [EncType::AesGcm, EncType::XChaCha20] {
            let c = LayerKey::for_client(enc, &h32(A_SEC), &X25519Pub(h32(B_PUB))).unwrap();
            let n = LayerKey::for_node(enc, &NodeKeys::new(&h32(B_SEC)), &X25519Pub(h32(A_PUB)))
                .unwrap();
            assert_eq!(c.as_bytes(), n.as_bytes());
        }
    }

    #[test]
    fn node_keys_of_an_identity_are_its_x25519_pair() {
        // The node peels with NodeKeys::from(&Identity), whose public key is the identity's
        // cached one: it must be the one computed from the secret, and give the client's key.
        for seed in [[1u8; 32], [7; 32], [200; 32]] {
            let identity = Identity::from_seed(crate::identity::Seed::from_bytes(seed));
            let keys = NodeKeys::from(&identity);
            assert_eq!(
                keys.public(),
                NodeKeys::new(identity.x25519_secret()).public()
            );
            assert_eq!(keys.public(), x25519_public(keys.secret()));
            let client = x25519_public(&[5; 32]);
            let node = LayerKey::for_node(EncType::XChaCha20, &keys, &client).unwrap();
            let from_client =
                LayerKey::for_client(EncType::XChaCha20, &[5; 32], &keys.public()).unwrap();
            assert_eq!(node.as_bytes(), from_client.as_bytes());
            assert!(!format!("{keys:?}").contains(&hex::encode(keys.secret())));
        }
    }

    #[test]
    fn refuses_low_order_points() {
        // The identity point and a point of order 8 (both give an all-zero product).
        let zero = X25519Pub([0u8; 32]);
        let mut one = [0u8; 32];
        one[0] = 1;
        let order8 = X25519Pub(h32(
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        ));
        for bad in [zero, X25519Pub(one), order8] {
            assert_eq!(
                LayerKey::for_client(EncType::AesGcm, &h32(A_SEC), &bad).unwrap_err(),
                CryptoError::LowOrderKey
            );
            assert_eq!(
                LayerKey::for_node(EncType::XChaCha20, &NodeKeys::new(&h32(B_SEC)), &bad)
                    .unwrap_err(),
                CryptoError::LowOrderKey
            );
        }
    }

    #[test]
    fn rejects_short_blobs_and_bad_nonces() {
        let k = LayerKey::from_bytes(EncType::XChaCha20, [7; 32]);
        assert_eq!(
            k.decrypt(&[0; 39]),
            Err(CryptoError::TooShort { len: 39, min: 40 })
        );
        assert!(matches!(
            k.encrypt_with_nonce(&[0; 12], b"x"),
            Err(CryptoError::NonceLength { expected: 24, .. })
        ));
        let g = LayerKey::from_bytes(EncType::AesGcm, [7; 32]);
        assert_eq!(
            g.decrypt(&[0; 27]),
            Err(CryptoError::TooShort { len: 27, min: 28 })
        );
        // An empty plaintext is fine.
        let blob = g.encrypt_with_nonce(&[1; 12], b"").unwrap();
        assert_eq!(blob.len(), 28);
        assert_eq!(g.decrypt(&blob).unwrap(), b"");
    }

    #[test]
    fn debug_redacts_the_key() {
        let k = LayerKey::from_bytes(EncType::AesGcm, [0xab; 32]);
        let s = format!("{k:?}");
        assert!(!s.contains("abab"), "{s}");
    }
}
