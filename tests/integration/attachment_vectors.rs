//! Attachment encryption vectors (tests/vectors/attachments.json, written by
//! scripts/attachment-vectors.py): legacy AES-CBC + HMAC blobs made by session-python 1.0.5,
//! AES-GCM profile pictures as session-python makes them, and deterministic "S" blobs made on
//! libsodium's secretstream (PyNaCl) after libsession-util's `attachments.cpp`.
//! Every vector decrypts; the deterministic ones re-encrypt byte for byte; altered ones fail.

use std::sync::OnceLock;

use sesh::attachment::{
    self, Domain, Error, decrypt_profile_picture, encrypt_deterministic,
    encrypt_profile_picture_with, encrypt_with, padded_len,
};

fn doc() -> &'static serde_json::Value {
    static V: OnceLock<serde_json::Value> = OnceLock::new();
    V.get_or_init(|| {
        serde_json::from_str(include_str!("../vectors/attachments.json"))
            .expect("attachments.json parses")
    })
}

fn section(name: &str) -> &'static [serde_json::Value] {
    let cases = doc()[name]
        .as_array()
        .unwrap_or_else(|| panic!("no section {name}"));
    assert!(!cases.is_empty(), "section {name} is empty");
    cases
}

fn hex_of(v: &serde_json::Value, key: &str) -> Vec<u8> {
    let s = v[key].as_str().unwrap_or_else(|| panic!("no string {key}"));
    hex::decode(s).unwrap_or_else(|e| panic!("{key} is not hex: {e}"))
}

fn array_of<const N: usize>(v: &serde_json::Value, key: &str) -> [u8; N] {
    hex_of(v, key)
        .try_into()
        .unwrap_or_else(|_| panic!("{key} is not {N} bytes"))
}

/// The plaintext of a vector: inline, or the documented pattern (checked by its SHA-256).
fn plaintext(v: &serde_json::Value) -> Vec<u8> {
    let len = usize::try_from(v["plaintext_len"].as_u64().expect("plaintext_len")).expect("fits");
    let data = if v.get("plaintext").is_some() {
        hex_of(v, "plaintext")
    } else {
        assert_eq!(
            v["plaintext_pattern"].as_str(),
            Some("byte i = (i * 31 + 7) mod 256")
        );
        (0..len).map(|i| ((i * 31 + 7) & 0xff) as u8).collect()
    };
    assert_eq!(data.len(), len);
    let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&data).into();
    assert_eq!(sha.to_vec(), hex_of(v, "plaintext_sha256"));
    data
}

#[test]
fn legacy_vectors_decrypt_and_re_encrypt() {
    for v in section("legacy") {
        let data = plaintext(v);
        let key: [u8; 64] = array_of(v, "key");
        let iv: [u8; 16] = array_of(v, "iv");
        let blob = hex_of(v, "blob");
        let digest = hex_of(v, "digest");
        let len = data.len();
        assert_eq!(
            padded_len(len),
            usize::try_from(v["padded_len"].as_u64().expect("padded_len")).expect("fits"),
            "padding of {len}"
        );
        let out = attachment::decrypt(&blob, &key, Some(&digest), Some(len as u64), false)
            .unwrap_or_else(|e| panic!("{len}: {e}"));
        assert_eq!(out, data, "{len}");
        let enc = encrypt_with(&data, &key, &iv).expect("small");
        assert_eq!(enc.blob, blob, "{len}: blob");
        assert_eq!(enc.digest.to_vec(), digest, "{len}: digest");
        assert_eq!(attachment::encrypted_len(len), blob.len(), "{len}: length");
    }
}

#[test]
fn tampered_legacy_blobs_are_refused() {
    for v in section("legacy") {
        let key = hex_of(v, "key");
        let blob = hex_of(v, "blob");
        let digest = hex_of(v, "digest");
        let dec = |b: &[u8], d: &[u8]| attachment::decrypt(b, &key, Some(d), None, false);
        // Any bit of the IV, ciphertext or MAC.
        for at in [0, 16, blob.len() / 2, blob.len() - 33, blob.len() - 1] {
            let mut bad = blob.clone();
            bad[at] ^= 0x40;
            assert_eq!(dec(&bad, &digest), Err(Error::BadMac), "byte {at}");
        }
        // A digest that is not the blob's.
        let mut bad_digest = digest.clone();
        bad_digest[5] ^= 1;
        assert_eq!(dec(&blob, &bad_digest), Err(Error::BadDigest));
        // Truncated: the MAC no longer matches, or too short to hold one.
        assert_eq!(dec(&blob[..blob.len() - 16], &digest), Err(Error::BadMac));
        assert_eq!(dec(&blob[..47], &digest), Err(Error::TooShort));
        // A size beyond what the blob holds.
        let too_big = Some(blob.len() as u64);
        assert_eq!(
            attachment::decrypt(&blob, &key, Some(&digest), too_big, false),
            Err(Error::SizeMismatch)
        );
    }
}

#[test]
fn profile_vectors_decrypt_and_re_encrypt() {
    for v in section("profile") {
        let image = plaintext(v);
        let key: [u8; 32] = array_of(v, "key");
        let iv: [u8; 12] = array_of(v, "iv");
        let blob = hex_of(v, "blob");
        assert_eq!(
            decrypt_profile_picture(&blob, &key).expect("decrypts"),
            image
        );
        assert_eq!(encrypt_profile_picture_with(&image, &key, &iv), blob);
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decrypt_profile_picture(&bad, &key), Err(Error::BadMac));
    }
}

#[test]
fn deterministic_vectors_decrypt_and_re_encrypt() {
    for v in section("deterministic") {
        let data = plaintext(v);
        let seed: [u8; 32] = array_of(v, "seed");
        let key: [u8; 32] = array_of(v, "key");
        let blob = hex_of(v, "blob");
        let domain = match v["domain"].as_str() {
            Some("attachment") => Domain::Attachment,
            Some("profile_picture") => Domain::ProfilePicture,
            other => panic!("unknown domain {other:?}"),
        };
        let len = data.len();
        let out = attachment::decrypt(&blob, &key, None, Some(len as u64), true)
            .unwrap_or_else(|e| panic!("{len}: {e}"));
        assert_eq!(out, data, "{len}");
        let enc = encrypt_deterministic(&data, &seed, domain).expect("small");
        assert_eq!(enc.key, key, "{len}: key");
        assert_eq!(enc.blob, blob, "{len}: blob");
        if domain == Domain::ProfilePicture {
            assert_eq!(
                decrypt_profile_picture(&blob, &key).expect("S avatar"),
                data
            );
        }
    }
}

#[test]
fn tampered_deterministic_blobs_are_refused() {
    for v in section("deterministic") {
        let key = hex_of(v, "key");
        let blob = hex_of(v, "blob");
        let dec = |b: &[u8]| attachment::decrypt(b, &key, None, None, true);
        for at in [1, 25, blob.len() / 2, blob.len() - 1] {
            let mut bad = blob.clone();
            bad[at] ^= 0x01;
            assert_eq!(dec(&bad), Err(Error::BadMac), "byte {at}");
        }
        assert_eq!(dec(&blob[..blob.len() - 1]), Err(Error::BadMac));
        if blob.len() > 32_768 + 17 + 25 {
            // Cut after whole chunks: no FINAL tag.
            assert_eq!(dec(&blob[..25 + 32_768 + 17]), Err(Error::BadStream));
        }
        let mut wrong = key.clone();
        wrong[0] ^= 1;
        assert_eq!(
            attachment::decrypt(&blob, &wrong, None, None, true),
            Err(Error::BadMac)
        );
    }
}
