//! The node's checks of a parsed storage RPC request: who may read or write a namespace,
//! signatures and clock windows, without I/O.
//!
//! Parsing is [`crate::rpc::request`]'s (re-exported here for the node's callers). Mirrors
//! session-storage-server `request_handler.cpp` (checks and their order), as summarised in
//! protocol.md §4 and §15. The caller supplies the time; what a request does to the store is
//! [`crate::node::service`]'s.

use ed25519_dalek::{Signature, VerifyingKey};

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
    let failed = || RpcError::new(401, "Signature verification failed");
    // The key is decompressed once, for the X25519 check and the verification both.
    let vk = if pubkey[0] == crate::identity::SESSION_ID_PREFIX {
        let Some(ed) = auth.pubkey_ed25519 else {
            return Err(RpcError::new(
                401,
                "pubkey_ed25519 is required for 05-prefixed pubkeys",
            ));
        };
        // As `Ed25519Pub::to_x25519`: a key that does not decompress or has small order
        // converts to nothing, which matches no pubkey.
        match VerifyingKey::from_bytes(&ed) {
            Ok(vk) if !vk.is_weak() && vk.to_montgomery().0[..] == pubkey[1..] => vk,
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
        VerifyingKey::from_bytes(&k).map_err(|_| failed())?
    };
    vk.verify_strict(message, &Signature::from_bytes(&auth.signature))
        .map_err(|_| failed())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Ed25519Pub, Identity, Seed};

    /// The checks of `verify`, written as before it decompressed the key once: through
    /// `Ed25519Pub::to_x25519` and a second decompression.
    fn reference(pubkey: &Pubkey, auth: &Auth, message: &[u8]) -> Result<(), RpcError> {
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
            pubkey[1..].try_into().unwrap()
        };
        let vk = VerifyingKey::from_bytes(&key)
            .map_err(|_| RpcError::new(401, "Signature verification failed"))?;
        vk.verify_strict(message, &Signature::from_bytes(&auth.signature))
            .map_err(|_| RpcError::new(401, "Signature verification failed"))
    }

    #[test]
    fn verify_answers_as_the_two_step_check() {
        let user = Identity::from_seed(Seed::from_bytes([9; 32]));
        let other = Identity::from_seed(Seed::from_bytes([10; 32]));
        let msg = b"retrieve0123";
        let sig = user.sign(msg);
        let mut session = [5u8; 33];
        session[1..].copy_from_slice(&user.x25519_pub().0);
        let mut ed_account = [3u8; 33];
        ed_account[1..].copy_from_slice(&user.ed25519_pub().0);
        // The identity point (small order) and a y that is not on the curve.
        let mut identity_point = [0u8; 32];
        identity_point[0] = 1;
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        let mut bad_sig = sig;
        bad_sig[3] ^= 1;
        let cases = [
            (session, Some(user.ed25519_pub().0), sig),
            (session, Some(user.ed25519_pub().0), bad_sig),
            (session, Some(other.ed25519_pub().0), other.sign(msg)),
            (session, Some(identity_point), sig),
            (session, Some(off_curve), sig),
            (session, None, sig),
            (ed_account, None, sig),
            (ed_account, None, bad_sig),
            (ed_account, Some(user.ed25519_pub().0), sig),
        ];
        let mut oks = 0;
        for (pubkey, ed, signature) in cases {
            let auth = Auth {
                signature,
                pubkey_ed25519: ed,
            };
            let got = verify(&pubkey, &auth, msg);
            assert_eq!(got, reference(&pubkey, &auth, msg), "{pubkey:?} {ed:?}");
            oks += usize::from(got.is_ok());
        }
        assert_eq!(oks, 2);
    }
}
