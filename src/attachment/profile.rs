//! Profile pictures (§10.4): `iv(12) ‖ AES-256-GCM(profile_key, iv, image) ‖ tag(16)`, as
//! session-desktop's `profileEncrypter.ts` and session-python's `encrypt_profile` /
//! `decrypt_profile` do. Newer apps may upload "S" blobs with the profile-picture domain
//! instead; [`decrypt_profile_picture`] reads those too.

use aes_gcm::aead::{Aead as _, KeyInit as _};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::{CryptoRng, RngCore};

use super::{Error, stream};

const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Encrypts a profile picture with the profile key and a random IV.
///
/// An image too large for AES-GCM (more than 64 GiB) cannot be in memory to begin with;
/// were it, the result would be empty (and so refused by every reader).
pub fn encrypt_profile_picture(
    image: &[u8],
    profile_key: &[u8; 32],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    encrypt_profile_picture_with(image, profile_key, &iv)
}

/// [`encrypt_profile_picture`] with a given IV: deterministic, for test vectors.
pub fn encrypt_profile_picture_with(
    image: &[u8],
    profile_key: &[u8; 32],
    iv: &[u8; 12],
) -> Vec<u8> {
    let cipher = Aes256Gcm::new(profile_key.into());
    match cipher.encrypt(Nonce::from_slice(iv), image) {
        Ok(ct) => {
            let mut out = Vec::with_capacity(IV_LEN + ct.len());
            out.extend_from_slice(iv);
            out.extend_from_slice(&ct);
            out
        }
        Err(_) => Vec::new(),
    }
}

/// Decrypts a downloaded profile picture with the sender's profile key.
///
/// An AES-GCM blob is tried first; a blob that fails it and starts with `S` is tried as a
/// deterministic one (§10.3).
///
/// # Errors
/// [`Error::BadKey`] unless the key is 32 bytes, [`Error::TooShort`], or [`Error::BadMac`]
/// (and the "S" errors of [`super::decrypt`]).
pub fn decrypt_profile_picture(blob: &[u8], key: &[u8]) -> Result<Vec<u8>, Error> {
    let key32: &[u8; 32] = key.try_into().map_err(|_| Error::BadKey)?;
    if blob.len() < IV_LEN + TAG_LEN {
        return Err(Error::TooShort);
    }
    let (iv, ct) = blob.split_at(IV_LEN);
    let cipher = Aes256Gcm::new(key32.into());
    match cipher.decrypt(Nonce::from_slice(iv), ct) {
        Ok(image) => Ok(image),
        Err(_) if blob.first() == Some(&b'S') => stream::decrypt(blob, key),
        Err(_) => Err(Error::BadMac),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attachment::{Domain, encrypt_deterministic};

    #[test]
    fn round_trip_and_layout() {
        let key = [8u8; 32];
        let blob = encrypt_profile_picture_with(b"\x89PNG....", &key, &[1; 12]);
        assert_eq!(blob.len(), 12 + 8 + 16);
        assert_eq!(&blob[..12], &[1; 12]);
        assert_eq!(
            decrypt_profile_picture(&blob, &key).expect("ok"),
            b"\x89PNG...."
        );
    }

    #[test]
    fn refuses_wrong_key_altered_or_short() {
        let key = [8u8; 32];
        let blob = encrypt_profile_picture_with(b"img", &key, &[2; 12]);
        assert_eq!(
            decrypt_profile_picture(&blob, &[9u8; 32]),
            Err(Error::BadMac)
        );
        let mut bad = blob.clone();
        bad[14] ^= 1;
        assert_eq!(decrypt_profile_picture(&bad, &key), Err(Error::BadMac));
        assert_eq!(
            decrypt_profile_picture(&blob[..27], &key),
            Err(Error::TooShort)
        );
        assert_eq!(
            decrypt_profile_picture(&blob, &key[..16]),
            Err(Error::BadKey)
        );
    }

    #[test]
    fn reads_deterministic_profile_pictures() {
        let d = encrypt_deterministic(b"avatar", &[3; 32], Domain::ProfilePicture).expect("ok");
        assert_eq!(
            decrypt_profile_picture(&d.blob, &d.key).expect("ok"),
            b"avatar"
        );
    }
}
