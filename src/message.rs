//! One-to-one messages: seal a message for a recipient, and open what a swarm stores.
//!
//! The Session protocol v1 format, byte-compatible with the official apps (protocol.md §3;
//! libsession-util `src/session_encrypt.cpp` and `src/session_protocol.cpp`):
//!
//! ```text
//! data (what a swarm stores; base64 in JSON)
//!   = WebSocketMessage { type REQUEST, request { verb "", path "", requestId 0, body:
//!       Envelope { type SESSION_MESSAGE (6), timestamp T (ms), sourceDevice 1, content:
//!         crypto_box_seal( M ‖ A ‖ Ed25519_sign(M ‖ A ‖ X), X ) } } }
//! M = pad(Content)            Content { dataMessage { body, timestamp T, profile { displayName } },
//!                                       sigTimestamp T }
//! A = the sender's Ed25519 public key    X = the recipient's X25519 public key (not transmitted)
//! ```
//!
//! [`seal`] builds `data` and [`open`] reverses it, checking everything a receiver must
//! (§3.6). Each stage is public too ([`encrypt_for_recipient`], [`decrypt_incoming`],
//! [`pad`], [`wire`]) for tests and for other message kinds.
//!
//! This module does no I/O: randomness and the timestamp are arguments.

pub mod control;
pub mod pad;
pub mod wire;

use std::fmt;

use base64::Engine as _;
use blake2::digest::consts::{U24, U32};
use blake2::digest::{Digest as _, Mac as _};
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Kdf as _, XSalsa20Poly1305};
use ed25519_dalek::{Signature, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::curve;
use crate::identity::{Ed25519Pub, Identity, SessionId, X25519Pub};
use crate::rpc::MAX_DATA_LEN;
use wire::{Content, DataMessage, Envelope, EnvelopeType, ExpirationType, LokiProfile};

/// The bytes a sealed box adds: the ephemeral public key and the Poly1305 tag
/// (libsodium `crypto_box_SEALBYTES`).
pub(crate) const SEAL_OVERHEAD: usize = 32 + 16;

/// The bytes the signature layer adds: the sender's Ed25519 key and the signature.
pub const SIGNED_OVERHEAD: usize = 32 + 64;

/// The shortest sealed box a message can be (libsession `decrypt_incoming`).
pub const MIN_CIPHERTEXT_LEN: usize = SEAL_OVERHEAD + SIGNED_OVERHEAD;

/// The longest base64 text of stored data [`open`] reads (4/3 of [`MAX_DATA_LEN`]).
pub(crate) use crate::rpc::limits::MAX_DATA_B64_LEN;

/// The keyed-BLAKE2b key of the deterministic ephemeral seed (libsession `BOX_HASHKEY`).
const BOX_HASH_KEY: &[u8] = b"SessionBoxEphemeralHashKey";

/// The device number libsession writes into envelopes.
const SOURCE_DEVICE: u32 = 1;

/// A message to send: its text and what travels with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The text (`DataMessage.body`).
    pub text: String,
    /// The sender's display name (`DataMessage.profile.displayName`), when it is to be shown.
    pub display_name: Option<String>,
    /// Disappearing-message settings: how, and after how many seconds.
    pub expiration: Option<(ExpirationType, u32)>,
    /// Files uploaded to a file server, one `AttachmentPointer` each, in order.
    pub attachments: Vec<OutgoingAttachment>,
    /// The sender's avatar (`profile.profilePicture` and `DataMessage.profileKey`).
    pub profile_picture: Option<ProfilePicture>,
    /// When the sender's profile last changed, in seconds since the epoch
    /// (`profile.lastProfileUpdateSeconds`): receivers keep the newest profile they saw.
    pub profile_updated_s: Option<u64>,
    /// For a copy stored in the sender's own swarm for their other devices: the recipient of
    /// the message it copies (`DataMessage.syncTarget`, §3.5 step 7).
    pub sync_target: Option<SessionId>,
}

/// A file uploaded to a file server, as a message references it (an `AttachmentPointer`,
/// §3.4, §10.2).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutgoingAttachment {
    /// The file server's id of the uploaded blob (the last segment of `url`).
    pub id: String,
    /// Where the blob is: `{file server}/file/{id}`, perhaps with a fragment (§10.1).
    pub url: String,
    /// The 64-byte key (AES-256 key ‖ HMAC-SHA256 key) the blob is encrypted with.
    pub key: Vec<u8>,
    /// SHA-256 of the uploaded blob.
    pub digest: Vec<u8>,
    /// The file's size before padding and encryption, bytes.
    pub size: u32,
    /// The file's name, when it has one.
    pub file_name: Option<String>,
    /// Its MIME type.
    pub content_type: String,
}

impl fmt::Debug for OutgoingAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key decrypts the file: never printed.
        f.debug_struct("OutgoingAttachment")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("size", &self.size)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl OutgoingAttachment {
    /// A pointer to the blob uploaded as `id` at `url`, encrypted with `key` (digest
    /// `digest`) from a file of `size` bytes.
    pub fn new(
        id: impl Into<String>,
        url: impl Into<String>,
        key: Vec<u8>,
        digest: Vec<u8>,
        size: u32,
        content_type: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            url: url.into(),
            key,
            digest,
            size,
            file_name: None,
            content_type: content_type.into(),
        }
    }

    /// The `AttachmentPointer` of this file.
    ///
    /// As session-desktop builds it (`VisibleMessage`): `deprecated_id` is the file id read
    /// as a number (0 when it is not one: newer file servers' ids are base64), and `url`,
    /// `key`, `digest`, `size`, `fileName` and `contentType` are set; `flags` (voice
    /// messages), `width`, `height` and `caption` are not. session-python downloads by
    /// `deprecated_id`, so the file server's numeric id must survive in it.
    pub fn to_pointer(&self) -> wire::AttachmentPointer {
        wire::AttachmentPointer {
            deprecated_id: self.id.parse().unwrap_or(0),
            content_type: Some(self.content_type.clone()),
            key: Some(self.key.clone()),
            size: Some(self.size),
            digest: Some(self.digest.clone()),
            file_name: self.file_name.clone(),
            url: Some(self.url.clone()),
            ..wire::AttachmentPointer::default()
        }
    }
}

/// An avatar as messages carry it: where its encrypted image is, and the key (§10.4).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfilePicture {
    /// The file server URL of the encrypted image, without a key fragment.
    pub url: String,
    /// The 32-byte profile key the image is encrypted with (`DataMessage.profileKey`).
    pub key: [u8; 32],
}

impl ProfilePicture {
    /// The avatar at `url`, encrypted with `key`.
    pub fn new(url: impl Into<String>, key: [u8; 32]) -> Self {
        Self {
            url: url.into(),
            key,
        }
    }
}

impl fmt::Debug for ProfilePicture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfilePicture")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Outgoing {
    /// A text message with no display name and no expiry.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// The same message as the copy the sender stores in their own swarm for their other
    /// devices: `syncTarget` names `recipient` (§3.5 step 7; session-python `send_message`).
    pub fn sync_copy(&self, recipient: &SessionId) -> Self {
        Self {
            sync_target: Some(*recipient),
            ..self.clone()
        }
    }

    /// The Content protobuf of this message sent at `timestamp_ms`.
    ///
    /// `sigTimestamp` is set, as session-desktop requires of every message it sends (§3.5),
    /// and so is the legacy `DataMessage.timestamp` that session-python and libsession's proto
    /// carry (session-desktop ignores it), both to `timestamp_ms`.
    ///
    /// The profile is built as session-desktop's `OutgoingUserProfile.toProtobufDetails`
    /// does: `profile` when there is a display name, an avatar or an update time;
    /// `profilePicture` and `DataMessage.profileKey` together or not at all.
    pub fn to_content(&self, timestamp_ms: u64) -> Content {
        let profile = (self.display_name.is_some()
            || self.profile_picture.is_some()
            || self.profile_updated_s.is_some())
        .then(|| LokiProfile {
            display_name: self.display_name.clone(),
            profile_picture: self.profile_picture.as_ref().map(|p| p.url.clone()),
            last_profile_update_seconds: self.profile_updated_s,
        });
        Content {
            data_message: Some(DataMessage {
                // An attachment without a caption has no body, as desktop sends it.
                body: (!self.text.is_empty() || self.attachments.is_empty())
                    .then(|| self.text.clone()),
                attachments: self
                    .attachments
                    .iter()
                    .map(OutgoingAttachment::to_pointer)
                    .collect(),
                timestamp: Some(timestamp_ms),
                profile,
                profile_key: self.profile_picture.as_ref().map(|p| p.key.to_vec()),
                sync_target: self.sync_target.map(|t| t.to_string()),
                ..DataMessage::default()
            }),
            expiration_type: self.expiration.map(|(t, _)| t as i32),
            expiration_timer: self.expiration.map(|(_, s)| s),
            sig_timestamp: Some(timestamp_ms),
            ..Content::default()
        }
    }
}

/// Why a message could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The sealed message is larger than a swarm stores. Shorten the text.
    #[error("the message is too long: it would be {len} bytes, and a swarm stores at most {max}")]
    TooLarge {
        /// The size the stored data would have (or at least have).
        len: usize,
        /// [`MAX_DATA_LEN`].
        max: usize,
    },
    /// The recipient's key is a point of small order: nothing can be encrypted to it
    /// (libsodium refuses too). The Session ID is not a real account's.
    #[error("the recipient's key is not a usable X25519 public key")]
    BadRecipientKey,
}

/// Seals a text message from `sender` to `to`, sent at `timestamp_ms`: the `data` a swarm
/// stores (raw bytes; [`to_base64`] gives the JSON form).
///
/// # Errors
/// [`SealError::TooLarge`] when the result would exceed [`MAX_DATA_LEN`];
/// [`SealError::BadRecipientKey`] when `to` is not a usable key.
pub fn seal(
    sender: &Identity,
    to: &SessionId,
    msg: &Outgoing,
    timestamp_ms: u64,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, SealError> {
    seal_content(sender, to, &msg.to_content(timestamp_ms), timestamp_ms, rng)
}

/// Seals any Content from `sender` to `to`, in an envelope stamped `timestamp_ms`.
///
/// The caller keeps `Content.sigTimestamp` equal to `timestamp_ms` (receivers drop the message
/// otherwise, §3.6).
///
/// # Errors
/// As [`seal`].
pub fn seal_content(
    sender: &Identity,
    to: &SessionId,
    content: &Content,
    timestamp_ms: u64,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, SealError> {
    let padded = padded_content(content)?;
    let mut eph_secret = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(eph_secret.as_mut());
    let ct = seal_signed(&eph_secret, sender, &to.x25519(), &padded)?;
    finish(ct, timestamp_ms)
}

/// [`seal_content`] with the ephemeral key derived from the sender's seed, the recipient and
/// the message, as libsession `encrypt_for_recipient_deterministic` does: the same inputs give
/// the same bytes. For tests and benchmarks.
///
/// # Security
/// Sealing the same message twice gives identical ciphertexts, which an observer can link.
///
/// # Errors
/// As [`seal`].
pub fn seal_content_deterministic(
    sender: &Identity,
    to: &SessionId,
    content: &Content,
    timestamp_ms: u64,
) -> Result<Vec<u8>, SealError> {
    let padded = padded_content(content)?;
    let ct = encrypt_for_recipient_deterministic(sender, &to.x25519(), &padded)?;
    finish(ct, timestamp_ms)
}

fn padded_content(content: &Content) -> Result<Vec<u8>, SealError> {
    let padded = pad::pad(&wire::encode(content));
    // A cheap bound first, so that a huge text is refused before any crypto.
    let at_least = padded.len() + MIN_CIPHERTEXT_LEN;
    if at_least > MAX_DATA_LEN {
        return Err(SealError::TooLarge {
            len: at_least,
            max: MAX_DATA_LEN,
        });
    }
    Ok(padded)
}

fn finish(ciphertext: Vec<u8>, timestamp_ms: u64) -> Result<Vec<u8>, SealError> {
    let data = wrap(ciphertext, timestamp_ms);
    if data.len() > MAX_DATA_LEN {
        return Err(SealError::TooLarge {
            len: data.len(),
            max: MAX_DATA_LEN,
        });
    }
    Ok(data)
}

/// Wraps a sealed box in an Envelope and a WebSocketMessage, libsession style (§3.5 steps 4–5).
fn wrap(ciphertext: Vec<u8>, timestamp_ms: u64) -> Vec<u8> {
    let envelope = Envelope {
        r#type: EnvelopeType::SessionMessage as i32,
        timestamp: timestamp_ms,
        source_device: Some(SOURCE_DEVICE),
        content: Some(ciphertext),
        ..Envelope::default()
    };
    wire::encode(&wire::WebSocketMessage {
        r#type: Some(wire::WebSocketType::Request as i32),
        request: Some(wire::WebSocketRequestMessage {
            verb: Some(String::new()),
            path: Some(String::new()),
            body: Some(wire::encode(&envelope)),
            request_id: Some(0),
            headers: Vec::new(),
        }),
    })
}

/// The standard base64 (with padding) of stored data, as `store` sends it and `retrieve`
/// returns it.
pub fn to_base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Signs `plaintext` for `recipient` and seals it to them: libsession `encrypt_for_recipient`
/// (§3.2).
///
/// # Format
/// ```text
/// eph_pk(32) ‖ XSalsa20-Poly1305 tag(16) ‖ ct( M ‖ A(32) ‖ sig(64) )
/// sig = Ed25519(M ‖ A ‖ X);  nonce = BLAKE2b-24(eph_pk ‖ X);  key = HSalsa20(X25519(eph, X))
/// ```
///
/// # Errors
/// [`SealError::BadRecipientKey`] when `recipient` has small order.
pub fn encrypt_for_recipient(
    sender: &Identity,
    recipient: &X25519Pub,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, SealError> {
    let mut eph_secret = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(eph_secret.as_mut());
    seal_signed(&eph_secret, sender, recipient, plaintext)
}

/// [`encrypt_for_recipient`] with a deterministic ephemeral key (libsession
/// `encrypt_for_recipient_deterministic`): its seed is
/// `BLAKE2b-32(sender_seed ‖ X ‖ M; key = "SessionBoxEphemeralHashKey")`, and the key pair is
/// libsodium's `crypto_box_seed_keypair` of it. Receivers cannot tell the difference.
///
/// # Security
/// Sealing the same message twice gives identical ciphertexts.
///
/// # Errors
/// [`SealError::BadRecipientKey`] when `recipient` has small order.
pub fn encrypt_for_recipient_deterministic(
    sender: &Identity,
    recipient: &X25519Pub,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut mac = <blake2::Blake2bMac<U32> as blake2::digest::Mac>::new_from_slice(BOX_HASH_KEY)
        .expect("should accept a 26-byte BLAKE2b key");
    mac.update(sender.seed().as_bytes());
    mac.update(recipient.as_bytes());
    mac.update(plaintext);
    let seed = Zeroizing::new(mac.finalize().into_bytes());
    // crypto_box_seed_keypair: the secret key is the first half of SHA-512(seed).
    let hash = Zeroizing::new(Sha512::digest(seed.as_slice()));
    let mut eph_secret = Zeroizing::new([0u8; 32]);
    eph_secret.copy_from_slice(&hash[..32]);
    seal_signed(&eph_secret, sender, recipient, plaintext)
}

/// `M ‖ A ‖ Ed25519(M ‖ A ‖ X)`, sealed to `X` with the given ephemeral secret.
fn seal_signed(
    eph_secret: &[u8; 32],
    sender: &Identity,
    recipient: &X25519Pub,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut inner = Zeroizing::new(Vec::with_capacity(plaintext.len() + SIGNED_OVERHEAD));
    inner.extend_from_slice(plaintext);
    inner.extend_from_slice(sender.ed25519_pub().as_bytes());
    inner.extend_from_slice(recipient.as_bytes());
    let sig = sender.sign(&inner);
    inner.truncate(plaintext.len() + 32);
    inner.extend_from_slice(&sig);

    let eph_pub = curve::x25519_base(eph_secret);
    let cipher = box_cipher(eph_secret, recipient.as_bytes()).ok_or(SealError::BadRecipientKey)?;
    let nonce = seal_nonce(&eph_pub, recipient.as_bytes());
    let ct = cipher
        .encrypt(&nonce.into(), inner.as_slice())
        .expect("should encrypt: XSalsa20-Poly1305 takes any length without associated data");
    let mut out = Vec::with_capacity(32 + ct.len());
    out.extend_from_slice(&eph_pub);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// libsodium `crypto_box_beforenm`: `HSalsa20(X25519(secret, public), 0)` as the secretbox key,
/// the X25519 computed by [`curve::x25519`]. `None` when the shared secret is zero (a
/// small-order public key), which libsodium refuses.
fn box_cipher(secret: &[u8; 32], public: &[u8; 32]) -> Option<XSalsa20Poly1305> {
    let shared = Zeroizing::new(curve::x25519(secret, public));
    if curve::is_zero(&shared) {
        return None;
    }
    let key = Zeroizing::new(XSalsa20Poly1305::kdf(
        shared.as_slice().into(),
        &Default::default(),
    ));
    Some(XSalsa20Poly1305::new(&key))
}

/// The nonce of a sealed box: `BLAKE2b-24(eph_pk ‖ recipient_pk)`.
fn seal_nonce(eph_pub: &[u8; 32], recipient: &[u8; 32]) -> [u8; 24] {
    let mut h = blake2::Blake2b::<U24>::new();
    h.update(eph_pub);
    h.update(recipient);
    h.finalize().into()
}

/// A decrypted and verified sealed box.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decrypted {
    /// The signed message `M` (for 1:1 messages, the padded Content).
    pub plaintext: Vec<u8>,
    /// The sender's Ed25519 key, which made the signature.
    pub sender_ed25519: Ed25519Pub,
    /// The sender's Session ID, derived from that key.
    pub sender: SessionId,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("plaintext_len", &self.plaintext.len())
            .field("sender", &self.sender)
            .finish()
    }
}

/// Opens a sealed box addressed to `recipient` and verifies its signature: libsession
/// `decrypt_incoming` (§3.2).
///
/// # Errors
/// [`OpenError::TooShort`], [`OpenError::Decrypt`], [`OpenError::BadSenderKey`] or
/// [`OpenError::BadSignature`], in that order of checking.
pub fn decrypt_incoming(recipient: &Identity, ciphertext: &[u8]) -> Result<Decrypted, OpenError> {
    if ciphertext.len() < MIN_CIPHERTEXT_LEN {
        return Err(OpenError::TooShort {
            len: ciphertext.len(),
            min: MIN_CIPHERTEXT_LEN,
        });
    }
    let (eph_pub, boxed) = ciphertext.split_at(32);
    let eph_pub: &[u8; 32] = eph_pub
        .try_into()
        .expect("should be 32 bytes after split_at");
    let own = recipient.x25519_pub();
    let cipher = box_cipher(recipient.x25519_secret(), eph_pub).ok_or(OpenError::Decrypt)?;
    let nonce = seal_nonce(eph_pub, own.as_bytes());
    let mut inner = cipher
        .decrypt(&nonce.into(), boxed)
        .map_err(|_| OpenError::Decrypt)?;

    // inner = M ‖ A ‖ sig; the length check above guarantees 96 bytes.
    let n = inner.len() - SIGNED_OVERHEAD;
    let sig = Signature::from_bytes(
        inner[n + 32..]
            .try_into()
            .expect("should be 64 bytes at the end"),
    );
    let a: [u8; 32] = inner[n..n + 32]
        .try_into()
        .expect("should be 32 bytes before the signature");
    let sender_ed25519 = Ed25519Pub(a);
    let (key, sender_x) = sender_key(&sender_ed25519).ok_or(OpenError::BadSenderKey)?;

    // Verify over M ‖ A ‖ X: replace the signature by our own X25519 key.
    inner.truncate(n + 32);
    inner.extend_from_slice(own.as_bytes());
    key.verify_strict(&inner, &sig)
        .map_err(|_| OpenError::BadSignature)?;
    inner.truncate(n);
    Ok(Decrypted {
        plaintext: inner,
        sender_ed25519,
        sender: SessionId::from_x25519(sender_x),
    })
}

/// The verifying key of an Ed25519 public key and its X25519 form, or `None` for keys
/// libsodium refuses: not canonically encoded, not a point, or of small order.
fn sender_key(a: &Ed25519Pub) -> Option<(VerifyingKey, X25519Pub)> {
    if !is_canonical_y(&a.0) {
        return None;
    }
    let key = VerifyingKey::from_bytes(a.as_bytes()).ok()?;
    if key.is_weak() {
        return None;
    }
    // As Ed25519Pub::to_x25519, reusing the point already decompressed.
    Some((key, X25519Pub(key.to_montgomery().to_bytes())))
}

/// Whether the y coordinate of an Ed25519 encoding (sign bit ignored) is below
/// p = 2^255 − 19, as libsodium's `ge25519_is_canonical` requires. The encodings of
/// p … 2^255 − 1 are exactly: low byte ≥ 0xed, then 30 bytes of 0xff, then 0x7f.
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let top_is_max = bytes[31] & 0x7f == 0x7f;
    let middle_is_max = bytes[1..31].iter().all(|&b| b == 0xff);
    !(top_is_max && middle_is_max && bytes[0] >= 0xed)
}

/// What a Content carries, when it is not (only) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentKind {
    /// A visible message (`dataMessage`): text, attachments, a reaction…
    Data,
    /// Call signalling.
    Call,
    /// Read receipts.
    Receipt,
    /// A typing indicator.
    Typing,
    /// A screenshot or media-saved notice.
    DataExtraction,
    /// A request to delete a message.
    Unsend,
    /// The answer to a message request.
    MessageRequestResponse,
    /// None of the kinds sesh knows (perhaps a newer one).
    Other,
}

impl ContentKind {
    /// The kind of a Content: the first message field present, in field order.
    pub fn of(c: &Content) -> Self {
        if c.data_message.is_some() {
            Self::Data
        } else if c.call_message.is_some() {
            Self::Call
        } else if c.receipt_message.is_some() {
            Self::Receipt
        } else if c.typing_message.is_some() {
            Self::Typing
        } else if c.data_extraction_notification.is_some() {
            Self::DataExtraction
        } else if c.unsend_request.is_some() {
            Self::Unsend
        } else if c.message_request_response.is_some() {
            Self::MessageRequestResponse
        } else {
            Self::Other
        }
    }

    /// A stable snake_case name, for JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Call => "call",
            Self::Receipt => "receipt",
            Self::Typing => "typing",
            Self::DataExtraction => "data_extraction",
            Self::Unsend => "unsend",
            Self::MessageRequestResponse => "message_request_response",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Data => "message",
            Self::Call => "call message",
            Self::Receipt => "read receipt",
            Self::Typing => "typing indicator",
            Self::DataExtraction => "screenshot or media-saved notice",
            Self::Unsend => "unsend request",
            Self::MessageRequestResponse => "message request response",
            Self::Other => "message of an unknown kind",
        })
    }
}

/// An opened message.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The sender's Session ID.
    pub sender: SessionId,
    /// The sender's Ed25519 key (verified to be the key of `sender`).
    pub sender_ed25519: Ed25519Pub,
    /// When it was sent: the envelope timestamp, in ms since the epoch.
    pub timestamp_ms: u64,
    /// What the Content carries.
    pub kind: ContentKind,
    /// The text, if it is a visible message with a body.
    pub text: Option<String>,
    /// The sender's display name, if the message carries one.
    pub display_name: Option<String>,
    /// How the message disappears, if it does.
    pub expiration_type: Option<ExpirationType>,
    /// After how many seconds it disappears, if it does.
    pub expiration_timer_s: Option<u32>,
    /// Its attachments, in order (`DataMessage.attachments`).
    pub attachments: Vec<Attachment>,
    /// For a copy of a message the sender sent from another device (`DataMessage.syncTarget`,
    /// §3.5 step 7): the Session ID it was sent to. `None` when absent or not a Session ID.
    pub sync_target: Option<SessionId>,
    /// The URL of the sender's profile picture (`profile.profilePicture`), if given.
    pub profile_picture: Option<String>,
    /// The key of the sender's profile picture (`DataMessage.profileKey`, or the message
    /// request response's), if given.
    pub profile_key: Option<Vec<u8>>,
    /// The whole Content, for what the fields above do not show.
    pub content: Content,
}

/// An attachment of an incoming message: what its `AttachmentPointer` says, with the URL's
/// fragment read. Nothing here is checked against the file itself; the sender chose it all.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attachment {
    /// `fileName`, as the sender gave it (unsafe as a path: see
    /// [`crate::attachment::safe_file_name`]).
    pub file_name: Option<String>,
    /// `contentType`, as the sender gave it.
    pub content_type: Option<String>,
    /// `size`: the plaintext size, to which the decrypted data is cut.
    pub size: Option<u32>,
    /// `url`, as given.
    pub url: Option<String>,
    /// `key`: 64 bytes for a legacy blob, 32 for a deterministic one.
    pub key: Option<Vec<u8>>,
    /// `digest`: SHA-256 of a legacy blob.
    pub digest: Option<Vec<u8>>,
    /// Whether the URL's fragment has `d`: the blob is in the deterministic "S" format.
    pub deterministic: bool,
    /// `deprecated_id`, the file id old clients used.
    pub legacy_id: u64,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The profile key decrypts the avatar, the Content holds the attachments' keys, and
        // a profile-picture URL's fragment may hold a key (`e=`): none of them is printed.
        let redacted = |present: bool| present.then_some("[redacted]");
        f.debug_struct("Message")
            .field("sender", &self.sender)
            .field("sender_ed25519", &self.sender_ed25519)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("kind", &self.kind)
            .field("text", &self.text)
            .field("display_name", &self.display_name)
            .field("expiration_type", &self.expiration_type)
            .field("expiration_timer_s", &self.expiration_timer_s)
            .field("attachments", &self.attachments)
            .field("sync_target", &self.sync_target)
            .field(
                "profile_picture",
                &self
                    .profile_picture
                    .as_deref()
                    .map(|u| u.split_once('#').map_or(u, |(before, _)| before)),
            )
            .field("profile_key", &redacted(self.profile_key.is_some()))
            .field("content", &"[redacted]")
            .finish()
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key decrypts the file: never printed.
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("url", &self.url)
            .field("deterministic", &self.deterministic)
            .field("legacy_id", &self.legacy_id)
            .finish_non_exhaustive()
    }
}

impl Attachment {
    /// The attachment an `AttachmentPointer` describes.
    pub fn from_pointer(p: &wire::AttachmentPointer) -> Self {
        let deterministic = p
            .url
            .as_deref()
            .and_then(|u| crate::attachment::FileUrl::parse(u).ok())
            .is_some_and(|u| u.deterministic);
        Self {
            file_name: p.file_name.clone(),
            content_type: p.content_type.clone(),
            size: p.size,
            url: p.url.clone(),
            key: p.key.clone(),
            digest: p.digest.clone(),
            deterministic,
            legacy_id: p.deprecated_id,
        }
    }
}

impl Message {
    fn from_content(d: Decrypted, timestamp_ms: u64, content: Content) -> Self {
        let data = content.data_message.as_ref();
        let request_response = content.message_request_response.as_ref();
        let profile = data
            .and_then(|m| m.profile.as_ref())
            .or_else(|| request_response.and_then(|r| r.profile.as_ref()));
        let display_name = profile.and_then(|p| p.display_name.clone());
        let profile_picture = profile
            .and_then(|p| p.profile_picture.clone())
            .filter(|u| !u.is_empty());
        let profile_key = data
            .and_then(|m| m.profile_key.clone())
            .or_else(|| request_response.and_then(|r| r.profile_key.clone()))
            .filter(|k| !k.is_empty());
        let sync_target = data
            .and_then(|m| m.sync_target.as_deref())
            .and_then(|s| s.parse::<SessionId>().ok());
        Self {
            sender: d.sender,
            sender_ed25519: d.sender_ed25519,
            timestamp_ms,
            kind: ContentKind::of(&content),
            text: data.and_then(|m| m.body.clone()),
            display_name,
            expiration_type: content
                .expiration_type
                .map(|t| ExpirationType::try_from(t).unwrap_or(ExpirationType::Unknown)),
            expiration_timer_s: content.expiration_timer,
            attachments: data.map_or_else(Vec::new, |m| {
                m.attachments.iter().map(Attachment::from_pointer).collect()
            }),
            sync_target,
            profile_picture,
            profile_key,
            content,
        }
    }
}

/// The earliest time a Session message can have been sent, ms: 2020-01-01T00:00:00Z, before
/// Session's first release. An earlier time is the sender's clock or a forgery.
pub const SESSION_EPOCH_MS: u64 = 1_577_836_800_000;

/// How far ahead of the reader's clock a message's time may be before it is called out, ms
/// (an hour, as `sesh receive` allows: `client::ENVELOPE_FUTURE_MS`). Senders seal
/// with the network's time, so an honest message is ahead only by the clocks' skew, and by
/// what a sender learns of its own skew only after sealing.
pub const MAX_AHEAD_MS: u64 = 60 * 60 * 1000;

/// What a message's time (the envelope's, which the sender signed) says against the reader's
/// clock. session-desktop drops a 1:1 message only when its signed time is not its envelope's
/// (`ts/receiver/common.ts`, `shouldProcessContentMessage`; [`open_envelope`] does the
/// same) and shows any other time as given; this is only the judgement a reader may print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SentTime {
    /// Between [`SESSION_EPOCH_MS`] and [`MAX_AHEAD_MS`] past `now`.
    Plausible,
    /// More than [`MAX_AHEAD_MS`] ahead of `now`, by this many ms.
    Ahead {
        /// How far ahead.
        by_ms: u64,
    },
    /// Before [`SESSION_EPOCH_MS`].
    BeforeSession,
}

/// Judges a message's time `sent_ms` against the reader's clock `now_ms` (both ms since the
/// epoch).
pub fn judge_sent_time(sent_ms: u64, now_ms: u64) -> SentTime {
    if sent_ms < SESSION_EPOCH_MS {
        return SentTime::BeforeSession;
    }
    match sent_ms.checked_sub(now_ms) {
        Some(by_ms) if by_ms > MAX_AHEAD_MS => SentTime::Ahead { by_ms },
        _ => SentTime::Plausible,
    }
}

/// Why stored data did not open, by the stage that refused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The text is not base64.
    #[error("not base64")]
    Base64(#[source] base64::DecodeError),
    /// Larger than a swarm stores: not a message.
    #[error("{len} bytes is larger than a stored message can be ({max})")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit it was held to.
        max: usize,
    },
    /// The outer WebSocketMessage does not decode.
    #[error("not a WebSocketMessage")]
    WebSocket(#[source] prost::DecodeError),
    /// The Envelope does not decode.
    #[error("not an Envelope")]
    Envelope(#[source] prost::DecodeError),
    /// A field every 1:1 message has is missing.
    #[error("the {0} field is missing")]
    Missing(&'static str),
    /// The envelope is not a 1:1 message (7 is a group message).
    #[error("envelope type {0} is not a 1:1 message (6)")]
    UnknownEnvelopeType(i32),
    /// The sealed box is shorter than any message can be.
    #[error("the sealed box is {len} bytes, shorter than the {min} every message has")]
    TooShort {
        /// Its length.
        len: usize,
        /// [`MIN_CIPHERTEXT_LEN`].
        min: usize,
    },
    /// The box does not decrypt with our key: sealed to someone else, or damaged.
    #[error("cannot decrypt: not sealed to this identity, or damaged")]
    Decrypt,
    /// The sender's Ed25519 key inside the box is not a usable public key.
    #[error("the sender's Ed25519 key is not a valid public key")]
    BadSenderKey,
    /// The signature does not verify: forged, or signed for another recipient (the signed
    /// recipient key is not transmitted, so the two cannot be told apart, §3.2).
    #[error("bad signature: forged, or signed for another recipient")]
    BadSignature,
    /// The decrypted message is not padded.
    #[error("bad padding")]
    Padding(#[source] pad::Error),
    /// The decrypted message is not a Content.
    #[error("not a Content")]
    Content(#[source] prost::DecodeError),
    /// `Content.sigTimestamp` differs from the envelope's timestamp; the apps drop such
    /// messages (§3.6).
    #[error("timestamp mismatch: the envelope says {envelope}, the signed content {content}")]
    TimestampMismatch {
        /// `Envelope.timestamp`.
        envelope: u64,
        /// `Content.sigTimestamp`.
        content: u64,
    },
}

/// The base64 engine for stored data: standard alphabet, padding optional, lenient about the
/// unused bits of the last character (as Python's and libsodium's decoders are).
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Opens stored data given as base64 text (as `retrieve` returns it): surrounding whitespace
/// and missing `=` padding are accepted.
///
/// # Errors
/// [`OpenError::TooLarge`] or [`OpenError::Base64`], then as [`open_data`].
pub fn open(recipient: &Identity, data_b64: impl AsRef<[u8]>) -> Result<Message, OpenError> {
    let text = data_b64.as_ref().trim_ascii();
    if text.len() > MAX_DATA_B64_LEN {
        return Err(OpenError::TooLarge {
            len: text.len(),
            max: MAX_DATA_B64_LEN,
        });
    }
    let data = B64.decode(text).map_err(OpenError::Base64)?;
    open_data(recipient, &data)
}

/// Opens stored data (raw bytes): the WebSocketMessage of §3.1. Both wrappers in use are
/// accepted: libsession's (empty verb and path) and older session-desktop's (`PUT
/// /api/v1/message`); only the body counts. A bare Envelope, without the wrapper, is accepted
/// too: read as a WebSocketMessage it has no request and the impossible type 6.
///
/// # Errors
/// [`OpenError::TooLarge`], [`OpenError::WebSocket`], [`OpenError::Missing`], then as
/// [`open_envelope`].
pub fn open_data(recipient: &Identity, data: &[u8]) -> Result<Message, OpenError> {
    if data.len() > MAX_DATA_LEN {
        return Err(OpenError::TooLarge {
            len: data.len(),
            max: MAX_DATA_LEN,
        });
    }
    let ws: wire::WebSocketMessage = wire::decode(data).map_err(OpenError::WebSocket)?;
    if ws.request.is_none() && ws.r#type == Some(EnvelopeType::SessionMessage as i32) {
        return open_envelope(recipient, data);
    }
    let body = ws
        .request
        .and_then(|r| r.body)
        .ok_or(OpenError::Missing("WebSocketMessage.request.body"))?;
    open_envelope(recipient, &body)
}

/// Opens an encoded Envelope: decrypts, verifies, unpads and decodes its content, and checks
/// the timestamps agree (§3.6).
///
/// # Errors
/// Every [`OpenError`] after the WebSocket layer names the stage that refused the message.
pub fn open_envelope(recipient: &Identity, envelope: &[u8]) -> Result<Message, OpenError> {
    let env: Envelope = wire::decode(envelope).map_err(OpenError::Envelope)?;
    if env.r#type != EnvelopeType::SessionMessage as i32 {
        return Err(OpenError::UnknownEnvelopeType(env.r#type));
    }
    if env.timestamp == 0 {
        return Err(OpenError::Missing("Envelope.timestamp"));
    }
    let sealed = env
        .content
        .as_deref()
        .ok_or(OpenError::Missing("Envelope.content"))?;
    let mut decrypted = decrypt_incoming(recipient, sealed)?;
    let plaintext = std::mem::take(&mut decrypted.plaintext);
    let content: Content = wire::decode(pad::unpad(&plaintext).map_err(OpenError::Padding)?)
        .map_err(OpenError::Content)?;
    match content.sig_timestamp {
        Some(signed) if signed != env.timestamp => {
            return Err(OpenError::TimestampMismatch {
                envelope: env.timestamp,
                content: signed,
            });
        }
        _ => {}
    }
    Ok(Message::from_content(decrypted, env.timestamp, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Seed;

    fn identity(seed_hex: &str) -> Identity {
        let mut s = [0u8; 32];
        hex::decode_to_slice(seed_hex, &mut s).unwrap();
        Identity::from_seed(Seed::from_bytes(s))
    }

    fn seed1() -> Identity {
        identity("0123456789abcdef0123456789abcdef00000000000000000000000000000000")
    }

    fn seed2() -> Identity {
        identity("00112233445566778899aabbccddeeff00000000000000000000000000000000")
    }

    #[test]
    fn deterministic_box_matches_libsession() {
        // protocol.md §12.3 (libsession-util tests/test_session_encrypt.cpp)
        let ct =
            encrypt_for_recipient_deterministic(&seed1(), &seed2().x25519_pub(), b"hello").unwrap();
        assert_eq!(
            hex::encode(&ct),
            "208f96785db92319bc7a14afecc01e17bde912d17bbb32834c03ea63b1862c2a1b730e0725ef75b2f1a2\
             76db584c59a0ed9b5497bcb9f4effa893b5cb8b04dbe7a6ab457ebf972f03b006dd4572980a725399616\
             d40184b86aa3b7b218bdc6dd7c1adccda8ef4897f0f458492240b39079c27a6c791067ab26a03067a760\
             2b50f0434639906f93e548f909d5286edde365ebddc146"
        );
        let d = decrypt_incoming(&seed2(), &ct).unwrap();
        assert_eq!(d.plaintext, b"hello");
        assert_eq!(d.sender, seed1().session_id());
        assert_eq!(d.sender_ed25519, seed1().ed25519_pub());
    }

    #[test]
    fn flipped_bytes_fail_to_decrypt() {
        // protocol.md §12.3: flipping byte 2 or byte 14 must fail.
        let mut rng = rand_core::OsRng;
        let ct =
            encrypt_for_recipient(&seed1(), &seed2().x25519_pub(), b"hello", &mut rng).unwrap();
        for i in [2, 14, 40, ct.len() - 1] {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert_eq!(
                decrypt_incoming(&seed2(), &bad),
                Err(OpenError::Decrypt),
                "byte {i}"
            );
        }
    }

    #[test]
    fn full_wire_message_matches_protocol_md() {
        // protocol.md §12.4: seed 1 → 05aa654f…, T = 1700000000000, "hello", deterministic box.
        let t = 1_700_000_000_000;
        let content = Content {
            data_message: Some(DataMessage {
                body: Some("hello".into()),
                ..Default::default()
            }),
            sig_timestamp: Some(t),
            ..Default::default()
        };
        let data =
            seal_content_deterministic(&seed1(), &seed2().session_id(), &content, t).unwrap();
        assert_eq!(
            to_base64(&data),
            "CAESxwIKABIAGr4CCAYogNCV/7wxOAFCsAK3gknBtQgrBco4d8B8EqrgzC3vA2ONaX+RzTZ4AANFToyhDwotOTFc\
             Niy0AcWQTSGTjgKi/ARvBEztrmISEzO1CF6xhxGxoIxBP43U9O/7tfeLRmvYl2v1Zymosiuo8u/67jHjwRFUHtsG\
             KeZ9dqUmTTUgImb4Y0uZg5tCpCa9ObIH6xKkUEPwBCs0Y+Otg2sb7xJGQc572DWzdT05PZIKVNsDsdqt9nS0qywg\
             hxHYogqDQeMKvJqZygwDgFhntxXcG1SCvvJRPX8k7Jl/IqBhjQIVS1g8Req5nbGznuFRmKMRyxisEHgFSnd/+GZQ\
             Zq41x5czirYGdQ1v7pbuvoOsBNJ8VudaZMy2vsSsRgQx+6++F99dolw0DJwATSjNGKuBcADPB/CQwv847p23SCFh\
             IAA="
        );
        let m = open(&seed2(), to_base64(&data)).unwrap();
        assert_eq!(m.text.as_deref(), Some("hello"));
        assert_eq!(m.timestamp_ms, t);
        assert_eq!(m.sender, seed1().session_id());
        assert_eq!(m.kind, ContentKind::Data);
    }

    #[test]
    fn non_canonical_sender_keys_are_refused() {
        // y = p + k for small k: the same points as y = k, which dalek would accept.
        let mut decompressable = 0;
        for k in 0u8..19 {
            let mut y = [0xffu8; 32];
            y[31] = 0x7f;
            y[0] = 0xed + k;
            assert!(!is_canonical_y(&y));
            if VerifyingKey::from_bytes(&y).is_ok() {
                decompressable += 1;
            }
            assert!(sender_key(&Ed25519Pub(y)).is_none(), "p + {k}");
        }
        assert!(
            decompressable > 0,
            "the test should meet points dalek accepts"
        );
        let mut below_p = [0xffu8; 32];
        below_p[31] = 0x7f;
        below_p[0] = 0xec;
        assert!(is_canonical_y(&below_p));
        // A real key passes, and converts as Ed25519Pub::to_x25519 does.
        let a = seed1().ed25519_pub();
        assert_eq!(sender_key(&a).map(|(_, x)| x), a.to_x25519());
    }

    #[test]
    fn small_order_recipient_is_refused() {
        let zero = SessionId::from_x25519(X25519Pub([0; 32]));
        let mut rng = rand_core::OsRng;
        assert_eq!(
            seal(&seed1(), &zero, &Outgoing::new("hi"), 1, &mut rng),
            Err(SealError::BadRecipientKey)
        );
    }

    #[test]
    fn a_time_before_session_or_far_ahead_is_called_out() {
        let now = 1_800_000_000_000;
        assert_eq!(judge_sent_time(now, now), SentTime::Plausible);
        assert_eq!(
            judge_sent_time(now - 30 * 86_400_000, now),
            SentTime::Plausible
        );
        assert_eq!(
            judge_sent_time(now + MAX_AHEAD_MS, now),
            SentTime::Plausible
        );
        assert_eq!(
            judge_sent_time(now + 2 * 86_400_000, now),
            SentTime::Ahead {
                by_ms: 2 * 86_400_000
            }
        );
        assert_eq!(judge_sent_time(1, now), SentTime::BeforeSession);
        assert_eq!(
            judge_sent_time(SESSION_EPOCH_MS - 1, now),
            SentTime::BeforeSession
        );
        assert_eq!(judge_sent_time(SESSION_EPOCH_MS, now), SentTime::Plausible);
        assert_eq!(
            judge_sent_time(u64::MAX, now),
            SentTime::Ahead {
                by_ms: u64::MAX - now
            }
        );
        // `sesh open` and `sesh receive` draw the future line in the same place.
        assert_eq!(MAX_AHEAD_MS, crate::client::ENVELOPE_FUTURE_MS);
    }

    #[test]
    fn timestamp_mismatch_is_refused() {
        let mut content = Outgoing::new("hi").to_content(5_000);
        content.sig_timestamp = Some(5_001);
        let data =
            seal_content_deterministic(&seed1(), &seed2().session_id(), &content, 5_000).unwrap();
        assert_eq!(
            open_data(&seed2(), &data),
            Err(OpenError::TimestampMismatch {
                envelope: 5_000,
                content: 5_001
            })
        );
        // Without sigTimestamp (legacy senders) the message opens.
        content.sig_timestamp = None;
        let data =
            seal_content_deterministic(&seed1(), &seed2().session_id(), &content, 5_000).unwrap();
        assert_eq!(
            open_data(&seed2(), &data).unwrap().text.as_deref(),
            Some("hi")
        );
    }

    fn attachment() -> OutgoingAttachment {
        let mut a = OutgoingAttachment::new(
            "12345",
            "http://127.0.0.1:1/file/12345",
            vec![7; 64],
            vec![9; 32],
            5_000_000,
            "image/png",
        );
        a.file_name = Some("graph.png".into());
        a
    }

    #[test]
    fn attachments_are_pointers_as_desktop_builds_them() {
        let mut out = Outgoing::new("see attached");
        out.attachments = vec![attachment()];
        let content = out.to_content(1_700_000_000_000);
        let p = &content.data_message.as_ref().unwrap().attachments[0];
        assert_eq!(p.deprecated_id, 12345);
        assert_eq!(p.url.as_deref(), Some("http://127.0.0.1:1/file/12345"));
        assert_eq!(p.key.as_deref(), Some(&[7u8; 64][..]));
        assert_eq!(p.digest.as_deref(), Some(&[9u8; 32][..]));
        assert_eq!(p.size, Some(5_000_000));
        assert_eq!(p.file_name.as_deref(), Some("graph.png"));
        assert_eq!(p.content_type.as_deref(), Some("image/png"));
        assert_eq!((p.flags, p.width, p.height), (None, None, None));
        // Without a caption, no body; a text message keeps its (even empty) body.
        out.text.clear();
        assert_eq!(out.to_content(1).data_message.unwrap().body, None);
        assert_eq!(
            Outgoing::new("").to_content(1).data_message.unwrap().body,
            Some(String::new())
        );
        // A base64 id (newer file servers) is no number: desktop sends 0.
        let mut b64 = attachment();
        b64.id = "aGVsbG8td29ybGQ".into();
        assert_eq!(b64.to_pointer().deprecated_id, 0);
        // Sealed and opened, the pointer survives and the key is not in Debug.
        let data = seal_content_deterministic(
            &seed1(),
            &seed2().session_id(),
            &content,
            1_700_000_000_000,
        )
        .unwrap();
        let m = open_data(&seed2(), &data).unwrap();
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(
            m.content.data_message.unwrap().attachments[0],
            attachment().to_pointer()
        );
        assert!(!format!("{:?}", attachment()).contains("7, 7"));
    }

    #[test]
    fn a_profile_carries_the_picture_and_key_together() {
        let mut out = Outgoing::new("hi");
        assert_eq!(out.to_content(5).data_message.unwrap().profile, None);
        out.display_name = Some("bot".into());
        out.profile_updated_s = Some(1_700_000_000);
        let d = out.to_content(5).data_message.unwrap();
        assert_eq!(
            d.profile,
            Some(LokiProfile {
                display_name: Some("bot".into()),
                profile_picture: None,
                last_profile_update_seconds: Some(1_700_000_000),
            })
        );
        assert_eq!(d.profile_key, None);
        out.profile_picture = Some(ProfilePicture::new("http://fs/file/9", [3; 32]));
        let d = out.to_content(5).data_message.unwrap();
        assert_eq!(
            d.profile.unwrap().profile_picture.as_deref(),
            Some("http://fs/file/9")
        );
        assert_eq!(d.profile_key, Some(vec![3; 32]));
        assert!(!format!("{:?}", out).contains("3, 3"));
    }

    #[test]
    fn a_sync_copy_is_the_same_content_naming_the_recipient() {
        let mut out = Outgoing::new("hello");
        out.display_name = Some("me".into());
        out.attachments = vec![attachment()];
        let to = seed2().session_id();
        let copy = out.sync_copy(&to);
        let (a, b) = (out.to_content(42), copy.to_content(42));
        assert_eq!(a.data_message.as_ref().unwrap().sync_target, None);
        assert_eq!(
            b.data_message.as_ref().unwrap().sync_target,
            Some(to.to_string())
        );
        let mut b_without = b.clone();
        b_without.data_message.as_mut().unwrap().sync_target = None;
        assert_eq!(a, b_without);
        // Sealed to the sender, it opens with the sender's own keys.
        let me = seed1();
        let data = seal_content_deterministic(&me, &me.session_id(), &b, 42).unwrap();
        let m = open_data(&me, &data).unwrap();
        assert_eq!(m.sender, me.session_id());
        assert_eq!(
            m.content.data_message.unwrap().sync_target,
            Some(to.to_string())
        );
    }

    #[test]
    fn content_without_text_opens_with_its_kind() {
        let content = Content {
            typing_message: Some(wire::TypingMessage {
                timestamp: 9,
                action: 0,
            }),
            sig_timestamp: Some(9),
            ..Default::default()
        };
        let data =
            seal_content_deterministic(&seed1(), &seed2().session_id(), &content, 9).unwrap();
        let m = open_data(&seed2(), &data).unwrap();
        assert_eq!(m.kind, ContentKind::Typing);
        assert_eq!(m.text, None);
    }

    #[test]
    fn debug_never_prints_keys() {
        let (from, to) = (seed1(), seed2());
        let content = Content {
            data_message: Some(wire::DataMessage {
                body: Some("hi".into()),
                profile_key: Some(vec![0xab; 32]),
                profile: Some(wire::LokiProfile {
                    display_name: Some("n".into()),
                    profile_picture: Some(format!("http://h/file/1#e={}", "cd".repeat(32))),
                    ..wire::LokiProfile::default()
                }),
                attachments: vec![wire::AttachmentPointer {
                    key: Some(vec![0xef; 64]),
                    url: Some("http://h/file/2".into()),
                    ..wire::AttachmentPointer::default()
                }],
                ..wire::DataMessage::default()
            }),
            sig_timestamp: Some(1_800_000_000_000),
            ..Content::default()
        };
        let data = seal_content(
            &from,
            &to.session_id(),
            &content,
            1_800_000_000_000,
            &mut rand_core::OsRng,
        )
        .unwrap();
        let msg = open_data(&to, &data).unwrap();
        assert!(msg.profile_key.is_some() && msg.profile_picture.is_some());
        let debug = format!("{msg:?}");
        assert!(
            debug.contains("http://h/file/1") && debug.contains("hi"),
            "{debug}"
        );
        for key in ["ab", "cd", "ef"] {
            let hex = key.repeat(8);
            let bytes = format!(
                "{}, {}",
                u8::from_str_radix(key, 16).unwrap(),
                u8::from_str_radix(key, 16).unwrap()
            );
            assert!(
                !debug.contains(&hex) && !debug.contains(&bytes),
                "{key}: {debug}"
            );
        }
    }
}
