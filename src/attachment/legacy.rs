//! The legacy attachment format (§10.2): attachment padding, AES-256-CBC with PKCS#7,
//! HMAC-SHA256 over `iv ‖ ct`, and the SHA-256 digest of the whole blob.
//!
//! Sources: session-desktop `ts/util/crypto/attachmentsEncrypter.ts` and
//! `ts/session/crypto/BufferPadding.ts`; session-python 1.0.5 `crypto.py`
//! (`add_attachment_padding`, `encrypt_attachment_data`, `decrypt_attachment`).

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut as _, BlockEncryptMut as _, KeyIvInit as _};
use hmac::{Hmac, Mac as _};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::{Error, MAX_FILE_SIZE};

const IV_LEN: usize = 16;
const MAC_LEN: usize = 32;
const BLOCK: usize = 16;
/// The bytes a legacy blob has beyond its ciphertext.
const OVERHEAD: usize = IV_LEN + MAC_LEN;
/// The smallest padded length (desktop and session-python: `max(541, …)`).
const MIN_PADDED_LEN: usize = 541;

/// The longest padded plaintext whose blob still fits the file server's
/// [`MAX_FILE_SIZE`]: `16 + 16·(⌊9 999 951 / 16⌋ + 1) + 32 = 10 000 000`.
///
/// session-python caps the padding at 15 MiB and desktop at 10 000 000 bytes; with either, a
/// file of more than ⌊1.05³³⁰⌋ = 9 828 080 bytes pads to a blob the 10 000 000-byte server
/// refuses. Up to that length the three agree byte for byte; above it sesh caps at this
/// length so that the blob is accepted. The padding is invisible to receivers
/// (they cut to `size`), so this changes nothing for them.
pub const MAX_PADDED_LEN: usize = 9_999_951;

/// The attachment padding of §10.2: the length `len` bytes are zero-padded to.
///
/// `max(541, ⌊1.05^⌈ln(len)/ln(1.05)⌉⌋)`, as session-python's `add_attachment_padding` and
/// desktop's `addAttachmentPadding` compute it (the same IEEE operations), capped at
/// [`MAX_PADDED_LEN`] when `len` itself fits under it. Never less than `len`.
pub fn padded_len(len: usize) -> usize {
    let rule = if len == 0 {
        MIN_PADDED_LEN
    } else {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let grown = 1.05f64
            .powf(((len as f64).ln() / 1.05f64.ln()).ceil())
            .floor() as usize;
        grown.max(MIN_PADDED_LEN)
    };
    let capped = if rule > MAX_PADDED_LEN && len <= MAX_PADDED_LEN {
        MAX_PADDED_LEN
    } else {
        rule
    };
    capped.max(len)
}

/// The size of the blob [`encrypt`] makes of `len` plaintext bytes (`usize::MAX` when it
/// would not fit a `usize`).
pub fn encrypted_len(len: usize) -> usize {
    let padded = padded_len(len);
    (padded / BLOCK)
        .saturating_add(1)
        .saturating_mul(BLOCK)
        .saturating_add(IV_LEN + MAC_LEN)
}

/// A legacy-encrypted attachment: what is uploaded, and what goes into its pointer.
#[derive(Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// `iv ‖ ct ‖ mac`, the bytes to upload.
    pub blob: Vec<u8>,
    /// `AttachmentPointer.key`: the AES key then the MAC key.
    pub key: [u8; 64],
    /// `AttachmentPointer.digest`: SHA-256 of `blob`.
    pub digest: [u8; 32],
}

impl std::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encrypted")
            .field("blob_len", &self.blob.len())
            .field("key", &"[redacted]")
            .field("digest", &hex::encode(self.digest))
            .finish()
    }
}

/// Pads `plaintext` and encrypts it with a fresh random key and IV (§10.2).
///
/// # Errors
/// [`Error::TooLarge`] when the blob would exceed [`MAX_FILE_SIZE`].
pub fn encrypt(plaintext: &[u8], rng: &mut (impl RngCore + CryptoRng)) -> Result<Encrypted, Error> {
    check_size(plaintext.len())?;
    let mut key = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(&mut key[..]);
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    encrypt_with(plaintext, &key, &iv)
}

/// [`encrypt`] with a given key and IV: deterministic, for test vectors.
///
/// # Errors
/// [`Error::TooLarge`] when the blob would exceed [`MAX_FILE_SIZE`].
pub fn encrypt_with(plaintext: &[u8], key: &[u8; 64], iv: &[u8; 16]) -> Result<Encrypted, Error> {
    check_size(plaintext.len())?;
    let padded = padded_len(plaintext.len());
    let ct_len = (padded / BLOCK + 1) * BLOCK;
    let mut blob = Vec::with_capacity(OVERHEAD + ct_len);
    blob.extend_from_slice(iv);
    blob.extend_from_slice(plaintext);
    blob.resize(IV_LEN + ct_len, 0);
    let (aes_key, mac_key) = key.split_at(32);
    let encryptor = cbc::Encryptor::<Aes256>::new(aes_key.into(), iv.into());
    encryptor
        .encrypt_padded_mut::<Pkcs7>(&mut blob[IV_LEN..], padded)
        .map_err(|_| Error::TooLarge {
            len: plaintext.len(),
            max: MAX_PADDED_LEN,
        })?;
    let mac = hmac_of(mac_key, &blob)?;
    blob.extend_from_slice(&mac);
    let digest: [u8; 32] = Sha256::digest(&blob).into();
    Ok(Encrypted {
        blob,
        key: *key,
        digest,
    })
}

fn check_size(len: usize) -> Result<(), Error> {
    if encrypted_len(len) > MAX_FILE_SIZE {
        return Err(Error::TooLarge {
            len,
            max: MAX_PADDED_LEN,
        });
    }
    Ok(())
}

fn hmac_of(mac_key: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(mac_key).map_err(|_| Error::BadKey)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// Decrypts a legacy blob: MAC, then digest, then AES-CBC and PKCS#7. The attachment padding
/// stays (the caller cuts to the pointer's size).
pub(super) fn decrypt(blob: &[u8], key: &[u8], digest: Option<&[u8]>) -> Result<Vec<u8>, Error> {
    if key.len() != 64 {
        return Err(Error::BadKey);
    }
    if blob.len() < OVERHEAD {
        return Err(Error::TooShort);
    }
    let (aes_key, mac_key) = key.split_at(32);
    let (signed, their_mac) = blob.split_at(blob.len() - MAC_LEN);
    let mut mac = Hmac::<Sha256>::new_from_slice(mac_key).map_err(|_| Error::BadKey)?;
    mac.update(signed);
    mac.verify_slice(their_mac).map_err(|_| Error::BadMac)?;

    let digest = digest.ok_or(Error::MissingDigest)?;
    let ours: [u8; 32] = Sha256::digest(blob).into();
    if digest.len() != ours.len() || !bool::from(ours.ct_eq(digest)) {
        return Err(Error::BadDigest);
    }

    let (iv, ct) = signed.split_at(IV_LEN);
    if ct.is_empty() || ct.len() % BLOCK != 0 {
        return Err(Error::BadPadding);
    }
    let mut buf = ct.to_vec();
    let decryptor = cbc::Decryptor::<Aes256>::new(aes_key.into(), iv.into());
    let len = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| Error::BadPadding)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The sender knows the key: any bytes can come with a valid MAC and digest.
        #[test]
        fn validly_maced_garbage_never_panics(
            key in any::<[u8; 32]>(),
            iv_ct in proptest::collection::vec(any::<u8>(), 16..200),
            size in proptest::option::of(0u64..300),
        ) {
            let mut full = [0u8; 64];
            full[32..].copy_from_slice(&key);
            let mut blob = iv_ct;
            let mac = hmac_of(&full[32..], &blob).expect("key");
            blob.extend_from_slice(&mac);
            let digest: [u8; 32] = Sha256::digest(&blob).into();
            let _ = super::super::decrypt(&blob, &full, Some(&digest), size, false);
        }
    }

    fn fixed() -> Encrypted {
        encrypt_with(b"some bytes", &[3u8; 64], &[9u8; 16]).expect("small")
    }

    #[test]
    fn padding_follows_the_rule() {
        // Desktop's own test: 10 bytes pad to 541.
        assert_eq!(padded_len(10), 541);
        assert_eq!(padded_len(0), 541);
        assert_eq!(padded_len(541), 541);
        // Values session-python 1.0.5's add_attachment_padding gives.
        assert_eq!(padded_len(542), 568);
        assert_eq!(padded_len(100_000), 100_155);
        for len in [1, 540, 541, 542, 1000, 65_536, 1_000_000, 9_000_000] {
            assert!(padded_len(len) >= len);
        }
        // Absurd lengths neither panic nor wrap.
        assert_eq!(padded_len(usize::MAX), usize::MAX);
        assert_eq!(encrypted_len(usize::MAX), usize::MAX);
        assert!(encrypted_len(usize::MAX / 2) > MAX_FILE_SIZE);
    }

    #[test]
    fn padding_caps_so_the_blob_fits_the_server() {
        let len = 9_990_000;
        assert_eq!(padded_len(len), MAX_PADDED_LEN);
        assert_eq!(encrypted_len(len), MAX_FILE_SIZE);
        assert_eq!(encrypted_len(MAX_PADDED_LEN), MAX_FILE_SIZE);
        assert!(matches!(
            encrypt_with(&vec![0; MAX_PADDED_LEN + 1], &[0; 64], &[0; 16]),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn blob_layout() {
        let enc = fixed();
        assert_eq!(enc.blob.len(), 16 + 544 + 32);
        assert_eq!(&enc.blob[..16], &[9u8; 16]);
        let digest: [u8; 32] = Sha256::digest(&enc.blob).into();
        assert_eq!(enc.digest, digest);
    }

    #[test]
    fn refuses_bad_mac_before_digest() {
        let enc = fixed();
        let mut blob = enc.blob.clone();
        blob[20] ^= 1;
        // Wrong MAC wins over a wrong digest: MAC is checked first.
        assert_eq!(
            decrypt(&blob, &enc.key, Some(&[0u8; 32])),
            Err(Error::BadMac)
        );
        let mut key = enc.key;
        key[40] ^= 1;
        assert_eq!(
            decrypt(&enc.blob, &key, Some(&enc.digest)),
            Err(Error::BadMac)
        );
    }

    #[test]
    fn refuses_bad_or_missing_digest() {
        let enc = fixed();
        let mut digest = enc.digest;
        digest[0] ^= 1;
        assert_eq!(
            decrypt(&enc.blob, &enc.key, Some(&digest)),
            Err(Error::BadDigest)
        );
        assert_eq!(
            decrypt(&enc.blob, &enc.key, Some(&digest[..31])),
            Err(Error::BadDigest)
        );
        assert_eq!(
            decrypt(&enc.blob, &enc.key, None),
            Err(Error::MissingDigest)
        );
    }

    #[test]
    fn refuses_short_and_misaligned_blobs() {
        let enc = fixed();
        assert_eq!(
            decrypt(&enc.blob[..47], &enc.key, Some(&enc.digest)),
            Err(Error::TooShort)
        );
        assert_eq!(
            decrypt(&enc.blob, &enc.key[..32], Some(&enc.digest)),
            Err(Error::BadKey)
        );
        // A validly MACed blob whose ciphertext is not whole blocks.
        let key = [5u8; 64];
        let mut blob = vec![1u8; 16 + 17];
        let mac = hmac_of(&key[32..], &blob).expect("key");
        blob.extend_from_slice(&mac);
        let digest: [u8; 32] = Sha256::digest(&blob).into();
        assert_eq!(decrypt(&blob, &key, Some(&digest)), Err(Error::BadPadding));
        // And one with no ciphertext at all.
        let mut blob = vec![1u8; 16];
        let mac = hmac_of(&key[32..], &blob).expect("key");
        blob.extend_from_slice(&mac);
        let digest: [u8; 32] = Sha256::digest(&blob).into();
        assert_eq!(decrypt(&blob, &key, Some(&digest)), Err(Error::BadPadding));
    }
}
