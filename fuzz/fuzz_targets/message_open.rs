//! Fuzzes the 1:1 open path (protocol.md §3.6) with arbitrary input, three ways:
//!
//! 1. as base64 text, the way `sesh open` reads a line;
//! 2. as raw stored data (WebSocketMessage → Envelope → sealed box);
//! 3. as the plaintext of a correctly sealed and signed box, so that the layers behind the
//!    signature (unpadding, Content decoding, the timestamp check) see arbitrary bytes too.
//!
//! Nothing may panic, and whatever opens must survive a Content encode/decode round trip.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sesh::Identity;
use sesh::identity::Seed;
use sesh::message::{self, wire};

/// The recipient: the first `message_1o1_libsession` vector's, so that the seed corpus of
/// real payloads opens.
fn me() -> &'static Identity {
    static ME: OnceLock<Identity> = OnceLock::new();
    ME.get_or_init(|| {
        let seed: [u8; 16] = [
            0x64, 0xd7, 0xa2, 0x5f, 0x9c, 0x71, 0x4f, 0x20, 0x56, 0xe4, 0xe4, 0xa9, 0x6b, 0x4b,
            0x80, 0xb0,
        ];
        Identity::from_seed(Seed::from_legacy(&seed))
    })
}

/// A sender for the sealed-plaintext path.
fn sender() -> &'static Identity {
    static SENDER: OnceLock<Identity> = OnceLock::new();
    SENDER.get_or_init(|| Identity::from_seed(Seed::from_legacy(&[0x42; 16])))
}

fn check(opened: Result<message::Message, message::OpenError>) {
    if let Ok(m) = opened {
        let again: wire::Content =
            wire::decode(&wire::encode(&m.content)).expect("a decoded Content re-decodes");
        assert_eq!(again, m.content);
    }
}

fuzz_target!(|data: &[u8]| {
    let me = me();
    check(message::open(me, data));
    check(message::open_data(me, data));
    check(message::open_envelope(me, data));
    let _ = message::decrypt_incoming(me, data);

    // Seal the input as the signed plaintext M, then open it.
    if data.len() <= 4096 {
        let ct = message::encrypt_for_recipient_deterministic(sender(), &me.x25519_pub(), data)
            .expect("a real key is usable");
        let envelope = wire::Envelope {
            r#type: wire::EnvelopeType::SessionMessage as i32,
            timestamp: 1_700_000_000_000,
            content: Some(ct),
            ..Default::default()
        };
        check(message::open_envelope(me, &wire::encode(&envelope)));
    }
});
