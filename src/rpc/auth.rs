//! Signed storage requests: the byte strings each method signs, and the fields that carry the
//! signature.
//!
//! Mirrors the doc comments of session-storage-server `oxenss/rpc/client_rpc_endpoints.h`
//! (protocol.md §4.2–§4.3). Integers are base-10 ASCII; a namespace is
//! [`Namespace::signature_str`] (empty for 0) or `"all"`. Timestamps are arguments: the caller
//! passes network time (§4.7), and the server accepts ±60 s.
//!
//! # Format
//! ```text
//! store          "store"         ‖ ns ‖ sig_timestamp
//! retrieve       "retrieve"      ‖ ns ‖ timestamp
//! delete         "delete"        ‖ hash₀ ‖ hash₁ ‖ …
//! delete_all     "delete_all"    ‖ ns|"all" ‖ timestamp
//! delete_before  "delete_before" ‖ ns|"all" ‖ before
//! expire         "expire"        ‖ ""|"shorten"|"extend" ‖ expiry (or expiry₀ ‖ expiry₁ …) ‖ hash₀ ‖ …
//! expire_all     "expire_all"    ‖ ns|"all" ‖ expiry
//! get_expiries   "get_expiries"  ‖ timestamp ‖ hash₀ ‖ …
//! revoke_subaccount / unrevoke_subaccount   name ‖ timestamp ‖ token₀(36 bytes) ‖ …
//! ```

use base64::Engine as _;
use serde_json::{Map, Value};

use super::Namespace;
use crate::identity::Identity;

/// Which namespaces a `delete_all`, `delete_before` or `expire_all` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespaces {
    /// One namespace.
    One(Namespace),
    /// Every namespace (`"all"`).
    All,
}

impl Namespaces {
    /// The form inside signed strings: `""` for namespace 0, `"all"`, or the number.
    pub fn signature_str(self) -> String {
        match self {
            Self::One(ns) => ns.signature_str(),
            Self::All => "all".to_owned(),
        }
    }
}

impl From<Namespace> for Namespaces {
    fn from(ns: Namespace) -> Self {
        Self::One(ns)
    }
}

/// Which way an `expire` may move expiries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ExpireMode {
    /// Either way (the empty string in the signature).
    #[default]
    Set,
    /// Only earlier (`"shorten": true`).
    Shorten,
    /// Only later (`"extend": true`).
    Extend,
}

impl ExpireMode {
    fn signature_str(self) -> &'static str {
        match self {
            Self::Set => "",
            Self::Shorten => "shorten",
            Self::Extend => "extend",
        }
    }
}

fn concat<S: AsRef<str>>(parts: &[&str], hashes: &[S]) -> Vec<u8> {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    for h in hashes {
        out.push_str(h.as_ref());
    }
    out.into_bytes()
}

/// What every method but `delete` and `expire` signs, as libsession `network::auth` builds it:
/// `method ‖ ns ‖ timestamp`.
pub fn method_namespace_timestamp(method: &str, ns: Namespace, timestamp_ms: u64) -> Vec<u8> {
    format!("{method}{}{timestamp_ms}", ns.signature_str()).into_bytes()
}

/// `store` (only needed for namespaces not divisible by 10): `"store" ‖ ns ‖ sig_timestamp`.
pub fn store(ns: Namespace, sig_timestamp_ms: u64) -> Vec<u8> {
    method_namespace_timestamp("store", ns, sig_timestamp_ms)
}

/// `retrieve`: `"retrieve" ‖ ns ‖ timestamp`.
pub fn retrieve(ns: Namespace, timestamp_ms: u64) -> Vec<u8> {
    method_namespace_timestamp("retrieve", ns, timestamp_ms)
}

/// `delete`: `"delete" ‖ hash₀ ‖ hash₁ ‖ …` (no timestamp).
pub fn delete<S: AsRef<str>>(hashes: &[S]) -> Vec<u8> {
    concat(&["delete"], hashes)
}

/// `delete_all`: `"delete_all" ‖ ns ‖ timestamp`.
pub fn delete_all(ns: Namespaces, timestamp_ms: u64) -> Vec<u8> {
    format!("delete_all{}{timestamp_ms}", ns.signature_str()).into_bytes()
}

/// `delete_before`: `"delete_before" ‖ ns ‖ before`.
pub fn delete_before(ns: Namespaces, before_ms: u64) -> Vec<u8> {
    format!("delete_before{}{before_ms}", ns.signature_str()).into_bytes()
}

/// `expire` with one expiry for every message: `"expire" ‖ mode ‖ expiry ‖ hash₀ ‖ …`.
pub fn expire<S: AsRef<str>>(mode: ExpireMode, expiry_ms: u64, hashes: &[S]) -> Vec<u8> {
    concat(
        &["expire", mode.signature_str(), &expiry_ms.to_string()],
        hashes,
    )
}

/// `expire` with one expiry per message: the expiries are concatenated in message order.
pub fn expire_each<S: AsRef<str>>(mode: ExpireMode, expiries_ms: &[u64], hashes: &[S]) -> Vec<u8> {
    let expiries: String = expiries_ms.iter().map(u64::to_string).collect();
    concat(&["expire", mode.signature_str(), &expiries], hashes)
}

/// `expire_all`: `"expire_all" ‖ ns ‖ expiry`.
pub fn expire_all(ns: Namespaces, expiry_ms: u64) -> Vec<u8> {
    format!("expire_all{}{expiry_ms}", ns.signature_str()).into_bytes()
}

/// `get_expiries`: `"get_expiries" ‖ timestamp ‖ hash₀ ‖ …`.
pub fn get_expiries<S: AsRef<str>>(timestamp_ms: u64, hashes: &[S]) -> Vec<u8> {
    concat(&["get_expiries", &timestamp_ms.to_string()], hashes)
}

/// `revoke_subaccount`: `"revoke_subaccount" ‖ timestamp ‖ token₀ ‖ …` (raw 36-byte tokens).
pub fn revoke_subaccount(timestamp_ms: u64, tokens: &[[u8; 36]]) -> Vec<u8> {
    with_tokens("revoke_subaccount", timestamp_ms, tokens)
}

/// `unrevoke_subaccount`: `"unrevoke_subaccount" ‖ timestamp ‖ token₀ ‖ …`.
pub fn unrevoke_subaccount(timestamp_ms: u64, tokens: &[[u8; 36]]) -> Vec<u8> {
    with_tokens("unrevoke_subaccount", timestamp_ms, tokens)
}

fn with_tokens(method: &str, timestamp_ms: u64, tokens: &[[u8; 36]]) -> Vec<u8> {
    let mut out = format!("{method}{timestamp_ms}").into_bytes();
    for t in tokens {
        out.extend_from_slice(t);
    }
    out
}

/// The standard base64 (88 characters, padded) of the identity's Ed25519 signature of
/// `message`, as the `signature` parameter carries it.
pub fn signature_b64(identity: &Identity, message: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(identity.sign(message))
}

/// The authentication parameters of a request by a `05` account (§4.2): `pubkey` (the Session
/// ID), `pubkey_ed25519` (which the server checks converts to it), `timestamp` and
/// `signature` of `message`. Merge them into the request's `params`.
pub fn signed_fields(identity: &Identity, message: &[u8], timestamp_ms: u64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("pubkey".into(), identity.session_id().to_string().into());
    m.insert(
        "pubkey_ed25519".into(),
        identity.ed25519_pub().to_hex().into(),
    );
    m.insert("timestamp".into(), timestamp_ms.into());
    m.insert("signature".into(), signature_b64(identity, message).into());
    m
}

/// The parameters libsession `network::auth` adds to a `method` request: [`signed_fields`] of
/// [`method_namespace_timestamp`], plus `namespace` when it is not 0.
pub fn request_fields(
    identity: &Identity,
    method: &str,
    ns: Namespace,
    timestamp_ms: u64,
) -> Map<String, Value> {
    let mut m = signed_fields(
        identity,
        &method_namespace_timestamp(method, ns, timestamp_ms),
        timestamp_ms,
    );
    if ns != Namespace::DEFAULT {
        m.insert("namespace".into(), ns.0.into());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Seed;

    fn seed1() -> Identity {
        let mut s = [0u8; 32];
        hex::decode_to_slice(
            "0123456789abcdef0123456789abcdef00000000000000000000000000000000",
            &mut s,
        )
        .unwrap();
        Identity::from_seed(Seed::from_bytes(s))
    }

    #[test]
    fn signatures_match_protocol_md() {
        // protocol.md §12.6 (seed 1; Ed25519 is deterministic)
        let id = seed1();
        let t = 1_700_000_000_123;
        for (msg, want) in [
            (
                retrieve(Namespace(0), t),
                "u6Y7SNgGjcfDbbWhoxPzjFCOk0IStZ6Xd8+XMw4Jc8bc8vSqWBNaZDCA+q0/ZKwkxKA65BJiOdsGh5YB3eWeAQ==",
            ),
            (
                retrieve(Namespace(2), t),
                "A3tkbR8nt7O85L5ygWQHD0P7q9WgE/P5WeW93Phu4OfxkrfhhP4bNtXX+eC2NZOInfjHs5+Ova17IxlZcXtiBQ==",
            ),
            (
                retrieve(Namespace(-10), t),
                "KokR+Nuub92Hu3Bdx9s3kRiPIcssWdF2/mmhpCglCSCIlh06F0jwpp9W15GebbkmHkyk9dGOfMkM2eRxZ3XMAQ==",
            ),
            (
                store(Namespace(2), t),
                "ZkkECWzWyUdkS+sIcdzpYgK8R3dyVjSoFz+fGMebqf+YLlDs30ASvAPI+AzucABVucDaf/dJjbTsJiBX+fmwDw==",
            ),
            (
                delete(&["hashA", "hashB"]),
                "awBFNEOVNKVxvqtf//dyOHOSvcZBPVWGlxmcDVjStt4O0s7OxhCv66aiDvdRZp1Or+Qmk6gYiXjl1BZkgQYlCg==",
            ),
        ] {
            assert_eq!(
                signature_b64(&id, &msg),
                want,
                "{}",
                String::from_utf8_lossy(&msg)
            );
        }
    }

    #[test]
    fn signed_strings() {
        let s = |v: Vec<u8>| String::from_utf8(v).unwrap();
        assert_eq!(s(delete_all(Namespaces::All, 5)), "delete_allall5");
        assert_eq!(s(delete_all(Namespace(0).into(), 5)), "delete_all5");
        assert_eq!(
            s(delete_before(Namespace(-10).into(), 7)),
            "delete_before-107"
        );
        assert_eq!(s(expire(ExpireMode::Set, 9, &["a", "b"])), "expire9ab");
        assert_eq!(s(expire(ExpireMode::Extend, 9, &["a"])), "expireextend9a");
        assert_eq!(
            s(expire_each(ExpireMode::Shorten, &[1, 2], &["a", "b"])),
            "expireshorten12ab"
        );
        assert_eq!(s(expire_all(Namespace(3).into(), 9)), "expire_all39");
        assert_eq!(s(get_expiries(4, &["x", "y"])), "get_expiries4xy");
        let mut want = b"revoke_subaccount8".to_vec();
        want.extend_from_slice(&[1; 36]);
        assert_eq!(revoke_subaccount(8, &[[1; 36]]), want);
        assert!(unrevoke_subaccount(8, &[]).starts_with(b"unrevoke_subaccount8"));
    }
}
