//! The client's side of an onion reply: arbitrary bytes as the HTTP 200 body
//! (`PendingReply::open`: base64 or `{"result": …}`, then decryption) and as raw reply bytes
//! (`PendingReply::decrypt`); and, so that the decrypted envelope parser sees them, the same
//! bytes encrypted with the reply key (raw and base64, as the destination would send them).
//! Nothing may panic or hang.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use sesh::identity::X25519Pub;
use sesh::onion::PendingReply;
use sesh::onion::hop::{EncType, LayerKey, x25519_public};

/// The destination node's X25519 secret.
const NODE_SECRET: [u8; 32] = [0x22; 32];
/// The client's ephemeral secret for the destination layer.
const CLIENT_SECRET: [u8; 32] = [0x33; 32];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let enc = if selector & 1 == 0 {
        EncType::AesGcm
    } else {
        EncType::XChaCha20
    };
    let node_pub: X25519Pub = x25519_public(&NODE_SECRET);
    let pending = PendingReply::new(enc, &CLIENT_SECRET, &node_pub).expect("a real key");

    let _ = pending.open(data);
    let _ = pending.decrypt(data);

    // As the plaintext the destination encrypts.
    let key =
        LayerKey::for_node(enc, &sesh::onion::NodeKeys::new(&NODE_SECRET), &x25519_public(&CLIENT_SECRET)).expect("a real key");
    let nonce = [0x5a_u8; 24];
    let sealed = key
        .encrypt_with_nonce(&nonce[..if enc == EncType::AesGcm { 12 } else { 24 }], rest)
        .expect("a short plaintext encrypts");
    assert_eq!(
        pending.decrypt(&sealed).expect("the reply key decrypts"),
        rest
    );
    let b64 = STANDARD.encode(&sealed);
    if let Ok(r) = pending.open(b64.as_bytes()) {
        let _ = r.status;
    }
    let wrapped = format!(r#"{{"result":"{b64}"}}"#);
    let _ = pending.open(wrapped.as_bytes());
});
