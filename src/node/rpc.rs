//! The node's checks of a parsed storage RPC request: who may read or write a namespace,
//! signatures and clock windows, without I/O.
//!
//! Parsing is [`crate::rpc::request`]'s (re-exported here for the node's callers). Mirrors
//! session-storage-server `request_handler.cpp` (checks and their order), as summarised in
//! protocol.md §4 and §15. The caller supplies the time; what a request does to the store is
//! [`crate::node::service`]'s.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::identity::Ed25519Pub;
use crate::rpc::Namespace;
use crate::rpc::limits::{FORWARDED_WINDOW_MS, SIGNATURE_WINDOW_MS};
pub(crate) use crate::rpc::request::{
    Auth, Namespaces, Pubkey, Request, Retrieve, RpcError, parse,
};

/// Whether a namespace may be read without a signature: −10 and public outboxes −(20n+1).
pub(crate) fn retrieve_is_public(ns: Namespace) -> bool {
    ns.0 == -10 || (ns.0 < 0 && (-i32::from(ns.0)) % 20 == 1)
}

/// Whether anyone may store in a namespace (divisible by 10).
pub(crate) fn store_is_public(ns: Namespace) -> bool {
    ns.0 % 10 == 0
}

/// Checks a request signature over `message` by the account `pubkey`.
///
/// For `05` accounts the signature is by `pubkey_ed25519`, which must convert to the X25519 key
/// of the pubkey; for other prefixes the pubkey itself is the Ed25519 key (protocol.md §4.2).
///
/// # Errors
/// 401 with the storage server's text when the signature does not verify.
pub(crate) fn verify(pubkey: &Pubkey, auth: &Auth, message: &[u8]) -> Result<(), RpcError> {
    let key = if pubkey[0] == crate::identity::SESSION_ID_PREFIX {
        let Some(ed) = auth.pubkey_ed25519 else {
            return Err(RpcError::new(
                401,
                "pubkey_ed25519 is required for 05-prefixed pubkeys",
            ));
        };
        match Ed25519Pub(ed).to_x25519() {
            Some(x) if x.0 == pubkey[1..] => ed,
            _ => {
                return Err(RpcError::new(
                    401,
                    "pubkey_ed25519 does not match the pubkey",
                ));
            }
        }
    } else {
        if auth.pubkey_ed25519.is_some() {
            return Err(RpcError::parse(
                "pubkey_ed25519 is only permitted for 05[...] pubkeys",
            ));
        }
        let mut k = [0u8; 32];
        k.copy_from_slice(&pubkey[1..]);
        k
    };
    let vk = VerifyingKey::from_bytes(&key)
        .map_err(|_| RpcError::new(401, "Signature verification failed"))?;
    vk.verify_strict(message, &Signature::from_bytes(&auth.signature))
        .map_err(|_| RpcError::new(401, "Signature verification failed"))
}

/// Checks a signature timestamp against the node's clock.
///
/// # Errors
/// 406 when it is more than the window away.
pub(crate) fn check_clock(
    method: &str,
    ts: u64,
    now_ms: u64,
    forwarded: bool,
) -> Result<(), RpcError> {
    let window = if forwarded {
        FORWARDED_WINDOW_MS
    } else {
        SIGNATURE_WINDOW_MS
    };
    if ts.abs_diff(now_ms) > window {
        return Err(RpcError::new(
            406,
            format!("{method} timestamp too far from current time"),
        ));
    }
    Ok(())
}

/// The string a request's signature covers: [`Request::signed_message`].
pub(crate) fn signed_message(req: &Request) -> Option<Vec<u8>> {
    req.signed_message()
}
