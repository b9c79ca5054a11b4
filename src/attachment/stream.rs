//! The deterministic "S" attachment format (§10.3), as libsession-util `src/attachments.cpp`
//! writes and reads it, on libsodium's `crypto_secretstream_xchacha20poly1305`.
//!
//! ```text
//! nonce_key = BLAKE2b-448(plaintext; key = seed[0..32], personal = "SessionAttachmnt" or
//!                                                     "Session_Prof_Pic")
//! header = nonce_key[0..24]      key = nonce_key[24..56]   (the pointer's 32-byte key)
//! blob   = 'S' ‖ header ‖ push(c₁) ‖ … ‖ push(cₙ, FINAL)
//! c₁‖…‖cₙ = 0x00·(padding−1) ‖ 0x01 ‖ plaintext, cut into 32 768-byte chunks (the last shorter)
//! ```
//!
//! The key derivation is the current libsession's (the streaming `Encryptor` of
//! `src/attachments.cpp`: `crypto_generichash_blake2b_init_salt_personal` keyed with the
//! seed's 32 bytes, personal by domain). Earlier libsession versions (before that refactor)
//! derived it differently: BLAKE2b-448 keyed with the one byte of `attachment::Domain`
//! (`ATTACHMENT` = 0x00, `PROFILE_PIC` = 0x01) over `seed[0..32] ‖ plaintext`; the enum
//! values remain in `attachments.hpp`. The derivation only decides which key and header a
//! given file gets (so that the same account uploads the same file as the same blob, for the
//! file server's deduplication): a reader needs the key alone, so blobs of either version
//! decrypt the same here and there.
//!
//! Sizes: libsession encrypts up to `MAX_REGULAR_SIZE` = 10 218 286 bytes without
//! `allow_large`, a blob of 10 223 616 bytes, more than the 10 000 000 sesh's file server
//! takes. [`decrypt`] has no limit of its own (what it is given was bounded by the download,
//! `client::MAX_DOWNLOAD_LEN`, 10 MiB), so such a blob is read; [`encrypt_deterministic`]
//! makes none larger than [`MAX_FILE_SIZE`].
//!
//! The padding (at least one byte, the `0x01`) rounds the blob up to a multiple of 1/32 of
//! its power-of-two size class (`encrypted_padding` in libsession). A reader skips zero bytes
//! up to the `0x01`, checks every chunk's Poly1305 tag, and requires the FINAL tag exactly on
//! the last chunk.
//!
//! The secretstream construction itself (libsodium `crypto_secretstream_xchacha20poly1305.c`):
//! the stream key is `HChaCha20(key, header[0..16])`, the 12-byte ChaCha20 nonce is a 4-byte
//! little-endian counter starting at 1 followed by `header[16..24]`; each chunk is
//! `E(tag) ‖ E(m) ‖ Poly1305`, with block 0 of the keystream as the Poly1305 key, block 1
//! encrypting the tag byte and blocks 2… the message (see `State::mac` for the MAC's input); after each chunk the tag's first 8
//! bytes are XORed into the nonce's last 8, the counter is incremented, and the key is
//! renewed when the tag has the REKEY bit or the counter wraps to 0.

use blake2::Blake2bMac;
use blake2::digest::Mac as _;
use blake2::digest::consts::U56;
use chacha20::ChaCha20;
use chacha20::cipher::consts::U10;
use chacha20::cipher::{KeyIvInit as _, StreamCipher as _, StreamCipherSeek as _};
use poly1305::Poly1305;
use poly1305::universal_hash::{KeyInit as _, UniversalHash as _};
use zeroize::{Zeroize as _, Zeroizing};

use super::{Error, MAX_FILE_SIZE};

/// The plaintext bytes of each chunk but the last.
const CHUNK: usize = 32_768;
/// The bytes secretstream adds to each chunk: the encrypted tag and the Poly1305 MAC.
const ABYTES: usize = 17;
/// A whole encrypted chunk.
const CHUNK_TOTAL: usize = CHUNK + ABYTES;
/// The stream header.
const HEADER: usize = 24;
/// `'S'` and the header.
const PREFIX: usize = 1 + HEADER;

const TAG_MESSAGE: u8 = 0;
const TAG_REKEY: u8 = 2;
const TAG_FINAL: u8 = 3;

/// Which kind of file a deterministic key is derived for (libsession `attachment::Domain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// A file sent in a message (`"SessionAttachmnt"`).
    Attachment,
    /// A profile picture (`"Session_Prof_Pic"`).
    ProfilePicture,
}

impl Domain {
    fn personal(self) -> &'static [u8; 16] {
        match self {
            Self::Attachment => b"SessionAttachmnt",
            Self::ProfilePicture => b"Session_Prof_Pic",
        }
    }
}

/// A deterministically ("S") encrypted file and the key that opens it.
#[derive(Clone, PartialEq, Eq)]
pub struct Deterministic {
    /// `'S' ‖ header ‖ chunks`, the bytes to upload.
    pub blob: Vec<u8>,
    /// The 32-byte key (`AttachmentPointer.key`, or the profile key).
    pub key: [u8; 32],
}

impl std::fmt::Debug for Deterministic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deterministic")
            .field("blob_len", &self.blob.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Encrypts `plaintext` in the "S" format with a key derived from the uploader's `seed` and
/// the plaintext itself (so that the same file from the same account encrypts the same).
///
/// # Errors
/// [`Error::TooLarge`] when the blob would exceed [`MAX_FILE_SIZE`].
pub fn encrypt_deterministic(
    plaintext: &[u8],
    seed: &[u8; 32],
    domain: Domain,
) -> Result<Deterministic, Error> {
    // Lengths past the limit are refused before any size arithmetic on them.
    let total = if plaintext.len() > MAX_FILE_SIZE {
        usize::MAX
    } else {
        encrypted_size(plaintext.len())
    };
    if total > MAX_FILE_SIZE {
        return Err(Error::TooLarge {
            len: plaintext.len(),
            max: MAX_FILE_SIZE,
        });
    }
    encrypt_unlimited(plaintext, seed, domain)
}

/// [`encrypt_deterministic`] without the file server's limit (tests of libsession's sizes).
fn encrypt_unlimited(
    plaintext: &[u8],
    seed: &[u8; 32],
    domain: Domain,
) -> Result<Deterministic, Error> {
    let total = encrypted_size(plaintext.len());
    let mut hasher = Blake2bMac::<U56>::new_with_salt_and_personal(seed, &[], domain.personal())
        .map_err(|_| Error::BadKey)?;
    hasher.update(plaintext);
    let mut nonce_key = Zeroizing::new([0u8; HEADER + 32]);
    nonce_key.copy_from_slice(&hasher.finalize().into_bytes());
    let mut header = [0u8; HEADER];
    header.copy_from_slice(&nonce_key[..HEADER]);
    let mut key = [0u8; 32];
    key.copy_from_slice(&nonce_key[HEADER..]);

    let padding = encrypted_padding(plaintext.len());
    let mut stream = Zeroizing::new(Vec::with_capacity(padding + plaintext.len()));
    stream.resize(padding - 1, 0);
    stream.push(0x01);
    stream.extend_from_slice(plaintext);

    let mut state = State::new(&key, &header);
    let mut blob = Vec::with_capacity(total);
    blob.push(b'S');
    blob.extend_from_slice(&header);
    let chunks = stream.len().div_ceil(CHUNK);
    for (i, chunk) in stream.chunks(CHUNK).enumerate() {
        let tag = if i + 1 == chunks {
            TAG_FINAL
        } else {
            TAG_MESSAGE
        };
        state.push(chunk, tag, &mut blob);
    }
    Ok(Deterministic { blob, key })
}

/// Decrypts an "S" blob: the plaintext without its padding.
pub(super) fn decrypt(blob: &[u8], key: &[u8]) -> Result<Vec<u8>, Error> {
    let key: &[u8; 32] = key.try_into().map_err(|_| Error::BadKey)?;
    let Some((&first, rest)) = blob.split_first() else {
        return Err(Error::TooShort);
    };
    if first != b'S' {
        return Err(Error::UnknownFormat(first));
    }
    // The header and at least one chunk holding the 0x01 marker.
    if rest.len() < HEADER + ABYTES + 1 {
        return Err(Error::TooShort);
    }
    let (header, mut body) = rest.split_at(HEADER);
    let header: &[u8; HEADER] = header.try_into().map_err(|_| Error::TooShort)?;
    let mut state = State::new(key, header);
    let mut out = Vec::with_capacity(body.len());
    let mut chunk = Zeroizing::new(Vec::with_capacity(CHUNK));
    let mut in_padding = true;
    loop {
        if body.len() <= ABYTES {
            // Also an empty chunk: libsession never writes one.
            return Err(Error::BadStream);
        }
        let take = body.len().min(CHUNK_TOTAL);
        let (this, next) = body.split_at(take);
        body = next;
        let tag = state.pull(this, &mut chunk)?;
        if in_padding {
            match chunk.iter().position(|&b| b != 0) {
                Some(at) if chunk[at] == 0x01 => {
                    in_padding = false;
                    out.extend_from_slice(&chunk[at + 1..]);
                }
                Some(_) => return Err(Error::BadPadding),
                None => {}
            }
        } else {
            out.extend_from_slice(&chunk);
        }
        match (tag == TAG_FINAL, body.is_empty()) {
            (true, true) if !in_padding => return Ok(out),
            (true, true) => return Err(Error::BadPadding),
            (false, false) => {}
            _ => return Err(Error::BadStream),
        }
    }
}

/// libsession's `encrypted_padding`: how many padding bytes (the `0x01` included) precede
/// `len` bytes of data.
fn encrypted_padding(len: usize) -> usize {
    let chunks = len.div_ceil(CHUNK);
    let enc = len + PREFIX + 1 + chunks * ABYTES;
    let factor = bit_floor(enc.max(131_072)) >> 5;
    let padded = enc.div_ceil(factor) * factor;
    let padding = padded - enc + 1;
    // Every whole encrypted chunk of padding brings its own tag, counted as padding.
    let mut implicit = 0;
    if padding >= CHUNK_TOTAL {
        implicit = (padding / CHUNK_TOTAL) * ABYTES;
    }
    // And a spill into one more chunk brings one more tag.
    let free = chunks * CHUNK - len;
    if padding % CHUNK_TOTAL > free {
        implicit += ABYTES;
    }
    // Never below the one byte of the 0x01 marker (it never is, for any size up to well past
    // the file server's limit; checked here rather than trusted).
    padding.saturating_sub(implicit).max(1)
}

/// libsession's `encrypted_size`: the blob length for `len` plaintext bytes.
fn encrypted_size(len: usize) -> usize {
    let padded = len + encrypted_padding(len);
    PREFIX + padded + padded.div_ceil(CHUNK) * ABYTES
}

fn bit_floor(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        1 << (usize::BITS - 1 - n.leading_zeros())
    }
}

/// The state of one secretstream_xchacha20poly1305 (libsodium's layout: key, then a 12-byte
/// nonce = 4-byte counter ‖ 8-byte inonce).
struct State {
    key: Zeroizing<[u8; 32]>,
    nonce: [u8; 12],
}

impl State {
    fn new(key: &[u8; 32], header: &[u8; HEADER]) -> Self {
        let (first, inonce) = header.split_at(16);
        let subkey = chacha20::hchacha::<U10>(key.into(), first.into());
        let mut nonce = [0u8; 12];
        nonce[0] = 1;
        nonce[4..].copy_from_slice(inonce);
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&subkey);
        Self { key: k, nonce }
    }

    fn cipher(&self, block: u32) -> ChaCha20 {
        let mut c = ChaCha20::new((&*self.key).into(), (&self.nonce).into());
        c.seek(u64::from(block) * 64);
        c
    }

    /// The Poly1305 MAC of one chunk: over `E(tag)‖keystream-block-1[1..]`, `c`, then
    /// `len(c) mod 16` zero bytes (libsodium's padding expression, `(0x10 - 64 + mlen) & 0xf`,
    /// which is not a pad to a block boundary), then the lengths of the (empty) additional
    /// data and of `block ‖ c` as 64-bit little-endian numbers; Poly1305 pads the final
    /// partial block itself.
    fn mac(&self, tag_block: &[u8; 64], c: &[u8]) -> [u8; 16] {
        let mut otk = Zeroizing::new([0u8; 64]);
        self.cipher(0).apply_keystream(&mut otk[..]);
        let mut poly = Poly1305::new((&otk[..32]).into());
        poly.update_padded(tag_block);
        let mut rest = Vec::with_capacity(c.len() + 16 + 16);
        rest.extend_from_slice(c);
        rest.resize(c.len() + c.len() % 16, 0);
        rest.extend_from_slice(&0u64.to_le_bytes());
        rest.extend_from_slice(&(64 + c.len() as u64).to_le_bytes());
        poly.compute_unpadded(&rest).into()
    }

    fn tag_block(&self, first: u8) -> [u8; 64] {
        let mut block = [0u8; 64];
        block[0] = first;
        self.cipher(1).apply_keystream(&mut block);
        block
    }

    fn push(&mut self, m: &[u8], tag: u8, out: &mut Vec<u8>) {
        let mut block = self.tag_block(tag);
        let start = out.len();
        out.push(block[0]);
        out.extend_from_slice(m);
        self.cipher(2).apply_keystream(&mut out[start + 1..]);
        let mac = self.mac(&block, &out[start + 1..]);
        out.extend_from_slice(&mac);
        block.zeroize();
        self.advance(&mac, tag);
    }

    /// Opens one chunk into `m`, returning its tag.
    fn pull(&mut self, chunk: &[u8], m: &mut Vec<u8>) -> Result<u8, Error> {
        let Some((&etag, rest)) = chunk.split_first() else {
            return Err(Error::TooShort);
        };
        let Some(split) = rest.len().checked_sub(16) else {
            return Err(Error::TooShort);
        };
        let (c, their_mac) = rest.split_at(split);
        let mut block = self.tag_block(etag);
        let tag = block[0];
        block[0] = etag;
        let ours = self.mac(&block, c);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&ours[..], their_mac)) {
            return Err(Error::BadMac);
        }
        m.clear();
        m.extend_from_slice(c);
        self.cipher(2).apply_keystream(m);
        self.advance(&ours, tag);
        Ok(tag)
    }

    fn advance(&mut self, mac: &[u8; 16], tag: u8) {
        for (n, t) in self.nonce[4..].iter_mut().zip(mac) {
            *n ^= t;
        }
        let counter =
            u32::from_le_bytes([self.nonce[0], self.nonce[1], self.nonce[2], self.nonce[3]])
                .wrapping_add(1);
        self.nonce[..4].copy_from_slice(&counter.to_le_bytes());
        if tag & TAG_REKEY != 0 || counter == 0 {
            self.rekey();
        }
    }

    fn rekey(&mut self) {
        let mut both = Zeroizing::new([0u8; 40]);
        both[..32].copy_from_slice(&self.key[..]);
        both[32..].copy_from_slice(&self.nonce[4..]);
        self.cipher(0).apply_keystream(&mut both[..]);
        self.key.copy_from_slice(&both[..32]);
        self.nonce[4..].copy_from_slice(&both[32..]);
        self.nonce[..4].copy_from_slice(&1u32.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The sender knows the key: any chunks, sizes and tags can come with valid MACs.
        #[test]
        fn validly_maced_streams_never_panic(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(0u8..3, 0..40), 0u8..4, any::<bool>()),
                0..4,
            ),
        ) {
            let key = [4u8; 32];
            let header = [5u8; HEADER];
            let mut state = State::new(&key, &header);
            let mut blob = vec![b'S'];
            blob.extend_from_slice(&header);
            for (m, tag, full) in chunks {
                // Whole chunks now and then, so that later chunks are read as chunks.
                let m = if full { let mut f = m; f.resize(CHUNK, 0); f } else { m };
                state.push(&m, tag, &mut blob);
            }
            let _ = decrypt(&blob, &key);
        }
    }

    #[test]
    fn sizes_match_libsession_rules() {
        // The blob is always 'S' + header + whole chunks; small files land on 4096-byte steps
        // (pad factor 131072 >> 5).
        for len in [0, 1, 100, 4000, 4096, 40_000, 131_072, 1_000_000] {
            let size = encrypted_size(len);
            let padding = encrypted_padding(len);
            assert!(padding >= 1, "{len}");
            let padded = len + padding;
            assert_eq!(
                size,
                PREFIX + padded + padded.div_ceil(CHUNK) * ABYTES,
                "{len}"
            );
            if size <= 131_072 {
                assert_eq!(size % 4096, 0, "{len}: {size}");
            }
        }
    }

    #[test]
    fn libsessions_largest_blob_is_read_although_sesh_makes_none_that_large() {
        // attachments.hpp: MAX_REGULAR_SIZE 10218286 "== 10223616 after stream mac+tag and
        // (1-byte) padding".
        const MAX_REGULAR_SIZE: usize = 10_218_286;
        assert_eq!(encrypted_size(MAX_REGULAR_SIZE), 10_223_616);
        let data = vec![0x5a; MAX_REGULAR_SIZE];
        assert!(matches!(
            encrypt_deterministic(&data, &[2; 32], Domain::Attachment),
            Err(Error::TooLarge { .. })
        ));
        let d = encrypt_unlimited(&data, &[2; 32], Domain::Attachment).expect("ok");
        assert_eq!(d.blob.len(), 10_223_616);
        assert!(d.blob.len() > MAX_FILE_SIZE);
        assert!(d.blob.len() <= crate::client::MAX_DOWNLOAD_LEN);
        assert!(decrypt(&d.blob, &d.key).expect("read") == data);
    }

    #[test]
    fn encrypted_size_is_the_blob_length() {
        for len in [0, 1, 32_767, 32_768, 32_769, 70_000, 200_000] {
            let data = vec![0xa5; len];
            let d = encrypt_deterministic(&data, &[1; 32], Domain::Attachment).expect("ok");
            assert_eq!(d.blob.len(), encrypted_size(len), "{len}");
            assert_eq!(decrypt(&d.blob, &d.key).expect("ok"), data, "{len}");
        }
    }

    #[test]
    fn deterministic_and_domain_separated() {
        let a = encrypt_deterministic(b"x", &[1; 32], Domain::Attachment).expect("ok");
        let b = encrypt_deterministic(b"x", &[1; 32], Domain::Attachment).expect("ok");
        let c = encrypt_deterministic(b"x", &[1; 32], Domain::ProfilePicture).expect("ok");
        let d = encrypt_deterministic(b"x", &[2; 32], Domain::Attachment).expect("ok");
        assert_eq!(a, b);
        assert_ne!(a.key, c.key);
        assert_ne!(a.key, d.key);
    }

    #[test]
    fn refuses_altered_truncated_or_extended_streams() {
        let data = vec![7u8; 40_000];
        let d = encrypt_deterministic(&data, &[1; 32], Domain::Attachment).expect("ok");
        let mut bad = d.blob.clone();
        bad[30] ^= 1;
        assert_eq!(decrypt(&bad, &d.key), Err(Error::BadMac));
        // Cut at a chunk boundary: the stream ends without FINAL.
        assert_eq!(
            decrypt(&d.blob[..PREFIX + CHUNK_TOTAL], &d.key),
            Err(Error::BadStream)
        );
        // Cut inside a chunk: its MAC fails.
        assert_eq!(
            decrypt(&d.blob[..d.blob.len() - 1], &d.key),
            Err(Error::BadMac)
        );
        let mut long = d.blob.clone();
        long.extend_from_slice(&[0; 40]);
        assert_eq!(decrypt(&long, &d.key), Err(Error::BadMac));
        let mut other = d.blob.clone();
        other[0] = b'T';
        assert_eq!(decrypt(&other, &d.key), Err(Error::UnknownFormat(b'T')));
        assert_eq!(decrypt(&d.blob, &d.key[..31]), Err(Error::BadKey));
        assert_eq!(decrypt(b"S", &d.key), Err(Error::TooShort));
    }

    #[test]
    fn refuses_a_stream_without_its_marker() {
        // A valid stream of zeros only: no 0x01 marker.
        let key = [4u8; 32];
        let header = [5u8; HEADER];
        let mut state = State::new(&key, &header);
        let mut blob = vec![b'S'];
        blob.extend_from_slice(&header);
        state.push(&[0; 10], TAG_FINAL, &mut blob);
        assert_eq!(decrypt(&blob, &key), Err(Error::BadPadding));
        // And one whose first non-zero byte is not 0x01.
        let mut state = State::new(&key, &header);
        let mut blob = vec![b'S'];
        blob.extend_from_slice(&header);
        state.push(&[0, 0, 2, 1], TAG_FINAL, &mut blob);
        assert_eq!(decrypt(&blob, &key), Err(Error::BadPadding));
    }

    #[test]
    fn refuses_final_before_the_end() {
        let key = [4u8; 32];
        let header = [5u8; HEADER];
        let mut state = State::new(&key, &header);
        let mut blob = vec![b'S'];
        blob.extend_from_slice(&header);
        let mut first = vec![9u8; CHUNK];
        first[0] = 1;
        state.push(&first, TAG_FINAL, &mut blob);
        state.push(&[9], TAG_FINAL, &mut blob);
        assert_eq!(decrypt(&blob, &key), Err(Error::BadStream));
    }
}
