//! The node's side of an onion request past the crypto: arbitrary bytes as the plaintext of a
//! correctly encrypted layer for a fixed node key (both encryption types), so that the routing
//! JSON interpreter (`Relay`, `Final`, `Proxy`, the hop number) sees them; and the same bytes
//! as a whole layer (`onion::wire::Layer::decode`, then `onion::peel`). Nothing may panic or
//! hang; an error has an HTTP answer; a decoded layer re-encodes to a layer that decodes equal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::onion::hop::{EncType, LayerKey, x25519_public};
use sesh::onion::wire::Layer;
use sesh::onion::{self, Peeled};

/// The node's X25519 secret (as in `node_request`).
const NODE_SECRET: [u8; 32] = [
    0x2f, 0x4d, 0x1c, 0x0d, 0x28, 0xe1, 0x37, 0x77, 0x7e, 0xc0, 0xa3, 0x16, 0xe9, 0xf4, 0xf7, 0x63,
    0xe3, 0xe6, 0x66, 0x62, 0xa6, 0xc5, 0x19, 0x94, 0xc6, 0x31, 0x5c, 0x9e, 0xf3, 0x4b, 0x6d, 0xeb,
];

/// The client's ephemeral secret.
const CLIENT_SECRET: [u8; 32] = [0x11; 32];

fn check(peeled: Result<Peeled, onion::PeelError>) {
    match peeled {
        Ok(Peeled::Final(f)) => {
            let _ = format!("{f:?}");
        }
        Ok(p) => {
            let _ = format!("{p:?}");
        }
        Err(e) => {
            let _ = e.http_status();
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The bytes as a whole layer.
    if let Ok(layer) = Layer::decode(data) {
        let again = Layer::decode(&layer.encode()).expect("an encoded layer decodes");
        assert_eq!(again, layer);
    }
    check(onion::peel(&onion::NodeKeys::new(&NODE_SECRET), data));

    // The bytes as the plaintext of a layer the node can decrypt.
    let Some((&selector, plaintext)) = data.split_first() else {
        return;
    };
    let enc = if selector & 1 == 0 {
        EncType::AesGcm
    } else {
        EncType::XChaCha20
    };
    let node_pub = x25519_public(&NODE_SECRET);
    let key = LayerKey::for_client(enc, &CLIENT_SECRET, &node_pub).expect("a real key");
    let nonce = [0x5a_u8; 24];
    let blob = key
        .encrypt_with_nonce(
            &nonce[..if enc == EncType::AesGcm { 12 } else { 24 }],
            plaintext,
        )
        .expect("a short plaintext encrypts");
    let header = format!(
        r#"{{"ephemeral_key":"{}","enc_type":"{}"{}}}"#,
        x25519_public(&CLIENT_SECRET).to_hex(),
        enc.as_str(),
        if selector & 2 == 0 {
            ""
        } else {
            r#","hop_no":3"#
        },
    );
    let Ok(len) = u32::try_from(blob.len()) else {
        return;
    };
    let mut layer = Vec::with_capacity(4 + blob.len() + header.len());
    layer.extend_from_slice(&len.to_le_bytes());
    layer.extend_from_slice(&blob);
    layer.extend_from_slice(header.as_bytes());
    check(onion::peel(&onion::NodeKeys::new(&NODE_SECRET), &layer));
});
