//! Attachments: their encryption, their names and types, and the file URLs that carry them.
//!
//! Three formats, byte-compatible with the apps and session-python (protocol.md §10):
//!
//! ```text
//! legacy (§10.2)   blob = iv(16) ‖ AES-256-CBC(key[0..32], iv, pad(plaintext), PKCS#7) ‖ mac(32)
//!                  mac = HMAC-SHA256(key[32..64], iv ‖ ct)     digest = SHA-256(blob)
//! "S" (§10.3)      blob = 'S' ‖ header(24) ‖ secretstream_xchacha20poly1305(0…0 ‖ 0x01 ‖ plaintext)
//!                  in 32 KiB chunks, the last one tagged FINAL; the key is 32 bytes, no digest
//! profile (§10.4)  blob = iv(12) ‖ AES-256-GCM(profile_key, iv, image) ‖ tag(16)
//! ```
//!
//! [`encrypt`] and [`decrypt`] are what a sender and a receiver of an `AttachmentPointer`
//! call; [`encrypt_profile_picture`] and [`decrypt_profile_picture`] are for avatars.
//! [`content_type`], [`extension_for`] and [`safe_file_name`] describe a file, and
//! [`FileUrl`] is the URL an attachment pointer carries, with its fragment.
//!
//! This module does no I/O: randomness is an argument, and every input is treated as hostile
//! (no panics, lengths checked before use, MACs checked before anything is decrypted).

mod kind;
mod legacy;
mod profile;
mod stream;
mod url;

pub use kind::{content_type, extension_for, safe_file_name};
pub use legacy::{Encrypted, MAX_PADDED_LEN, encrypt, encrypt_with, encrypted_len, padded_len};
pub use profile::{decrypt_profile_picture, encrypt_profile_picture, encrypt_profile_picture_with};
pub use stream::{Deterministic, Domain, encrypt_deterministic};
pub use url::FileUrl;

use crate::error::{ErrorKind, HasKind};

/// The file server's upload limit: the most bytes an uploaded (encrypted) blob may have.
///
/// session-desktop's `MAX_ATTACHMENT_FILESIZE_BYTES`; the file server refuses more.
pub const MAX_FILE_SIZE: usize = 10_000_000;

/// Why an attachment, a profile picture or a file URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The blob is shorter than its format's fixed overhead.
    #[error("encrypted attachment is too short")]
    TooShort,
    /// The MAC (HMAC, Poly1305 or GCM tag) does not match: wrong key or altered bytes.
    #[error("attachment MAC does not match (wrong key or altered data)")]
    BadMac,
    /// The SHA-256 digest of the blob differs from the one in the attachment pointer.
    #[error("attachment digest does not match")]
    BadDigest,
    /// A legacy attachment pointer carries no digest (the apps refuse these too).
    #[error("attachment pointer has no digest")]
    MissingDigest,
    /// The decrypted data is not padded as its format requires.
    #[error("attachment padding is invalid")]
    BadPadding,
    /// The key has the wrong length for the format.
    #[error("attachment key has the wrong length")]
    BadKey,
    /// The data is larger than the format or the file server allows.
    #[error("attachment is too large: {len} bytes, at most {max}")]
    TooLarge {
        /// The size that was refused.
        len: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// The attachment pointer's size is larger than the decrypted data.
    #[error("attachment is shorter than the size its pointer gives")]
    SizeMismatch,
    /// A deterministic blob does not start with `S`.
    #[error("unknown attachment encryption type 0x{0:02x}")]
    UnknownFormat(u8),
    /// A deterministic blob's stream is cut short, or continues after its final chunk.
    #[error("attachment stream is truncated or has data after its end")]
    BadStream,
    /// A file URL is not `http[s]://host[:port]/file/<id>[#fragment]`.
    #[error("invalid file URL: {0}")]
    BadUrl(String),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. } => ErrorKind::InvalidInput,
            _ => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::TooLarge { .. } => {
                Some("the file server accepts at most 10 000 000 bytes".into())
            }
            Self::BadMac | Self::BadDigest => {
                Some("the file was altered or the sender's key is wrong; ask for it again".into())
            }
            _ => None,
        }
    }
}

/// Decrypts a downloaded attachment.
///
/// `key`, `digest` and `size` are the attachment pointer's; `deterministic` is the `d` flag of
/// its URL's fragment ([`FileUrl::deterministic`]). Legacy blobs (§10.2) need the 64-byte key
/// and the digest: the MAC is checked first (in constant time), then the digest, then the
/// padding. Deterministic "S" blobs (§10.3) need the 32-byte key; every chunk is
/// authenticated, and `digest` is not used (libsession does not define one for them). The
/// result is cut to `size` when given.
///
/// # Errors
/// [`Error::BadKey`], [`Error::TooShort`], [`Error::BadMac`], [`Error::MissingDigest`],
/// [`Error::BadDigest`], [`Error::BadPadding`], [`Error::UnknownFormat`], [`Error::BadStream`],
/// or [`Error::SizeMismatch`] when `size` exceeds what was decrypted.
pub fn decrypt(
    blob: &[u8],
    key: &[u8],
    digest: Option<&[u8]>,
    size: Option<u64>,
    deterministic: bool,
) -> Result<Vec<u8>, Error> {
    let mut plain = if deterministic {
        stream::decrypt(blob, key)?
    } else {
        legacy::decrypt(blob, key, digest)?
    };
    if let Some(size) = size {
        let size = usize::try_from(size).map_err(|_| Error::SizeMismatch)?;
        if size > plain.len() {
            return Err(Error::SizeMismatch);
        }
        plain.truncate(size);
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_core::OsRng;

    #[test]
    fn legacy_round_trip_truncates_to_size() {
        let data = b"hello, attachment";
        let enc = encrypt(data, &mut OsRng).expect("small data");
        assert_eq!(enc.blob.len(), encrypted_len(data.len()));
        let len = data.len() as u64;
        let out = decrypt(&enc.blob, &enc.key, Some(&enc.digest), Some(len), false).expect("ok");
        assert_eq!(out, data);
        // Without a size the padding stays.
        let padded = decrypt(&enc.blob, &enc.key, Some(&enc.digest), None, false).expect("ok");
        assert_eq!(padded.len(), padded_len(data.len()));
        assert_eq!(
            decrypt(&enc.blob, &enc.key, Some(&enc.digest), Some(10_000), false),
            Err(Error::SizeMismatch)
        );
    }

    #[test]
    fn deterministic_round_trip_through_decrypt() {
        let seed = [7u8; 32];
        let d = encrypt_deterministic(b"abc", &seed, Domain::Attachment).expect("small");
        let out = decrypt(&d.blob, &d.key, None, Some(3), true).expect("ok");
        assert_eq!(out, b"abc");
        // The legacy path refuses it (wrong key length for legacy).
        assert_eq!(
            decrypt(&d.blob, &d.key, None, None, false),
            Err(Error::BadKey)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn decrypt_never_panics(
            blob in proptest::collection::vec(any::<u8>(), 0..400),
            key in proptest::collection::vec(any::<u8>(), 0..70),
            digest in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            size in proptest::option::of(any::<u64>()),
            det in any::<bool>(),
        ) {
            let _ = decrypt(&blob, &key, digest.as_deref(), size, det);
            let _ = decrypt_profile_picture(&blob, &key);
        }

        #[test]
        fn legacy_round_trips(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let enc = encrypt(&data, &mut OsRng).expect("small");
            let out = decrypt(&enc.blob, &enc.key, Some(&enc.digest), Some(data.len() as u64), false);
            prop_assert_eq!(out, Ok(data));
        }

        #[test]
        fn deterministic_round_trips(data in proptest::collection::vec(any::<u8>(), 0..3000), seed in any::<[u8; 32]>()) {
            let d = encrypt_deterministic(&data, &seed, Domain::Attachment).expect("small");
            prop_assert_eq!(decrypt(&d.blob, &d.key, None, None, true), Ok(data));
        }
    }
}
