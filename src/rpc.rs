//! The storage RPC, one codec for the client, the node and the tests: namespaces, the hash a
//! swarm gives each stored message, and
//!
//! | module | what |
//! |---|---|
//! | [`limits`] | every limit: data size, TTLs, clock windows, retrieve caps, body and reply bounds |
//! | [`request`] | typed requests: the node's parser (bytes → [`request::Request`]) and their JSON |
//! | [`response`] | typed answers, decoded with a size bound and encoded by the node |
//! | [`status`] | what an HTTP status (and a hop's plaintext error) means |
//! | [`auth`] | the strings authenticated requests sign |
//!
//! Protocol.md §4, §5.1, §7.7, §15; session-storage-server `oxenss/rpc/`. No I/O happens here.

pub mod auth;
pub mod limits;
pub mod request;
pub mod response;
pub mod status;

use std::fmt;

use base64::Engine as _;
use blake2::Digest as _;
use blake2::digest::consts::U32;

pub use limits::MAX_DATA_LEN;

/// A storage namespace: one of the separate mailboxes of an account (§4.4).
///
/// `Display` prints the decimal number; [`Namespace::signature_str`] gives the form used inside
/// signed strings and the message hash, where the default namespace 0 is the empty string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(pub i16);

impl Namespace {
    /// Namespace 0: the inbox of 1:1 messages, where anyone may store.
    pub const DEFAULT: Self = Self(0);
    /// Namespace −10: legacy closed groups (deprecated).
    pub const LEGACY_CLOSED_GROUP: Self = Self(-10);
    /// Namespace 2: the user-profile config.
    pub const USER_PROFILE: Self = Self(2);
    /// Namespace 3: the contacts config.
    pub const CONTACTS: Self = Self(3);
    /// Namespace 4: the conversation-info config.
    pub const CONVO_INFO_VOLATILE: Self = Self(4);
    /// Namespace 5: the user-groups config.
    pub const USER_GROUPS: Self = Self(5);

    /// The namespace as it appears in signed strings and hashes: `""` for 0, else the decimal
    /// number (`"-10"`).
    pub fn signature_str(self) -> String {
        if self.0 == 0 {
            String::new()
        } else {
            self.0.to_string()
        }
    }

    /// Whether anyone may store into it without a signature (divisible by 10, §4.4).
    pub fn is_public_inbox(self) -> bool {
        self.0 % 10 == 0
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<i16> for Namespace {
    fn from(n: i16) -> Self {
        Self(n)
    }
}

/// The hash a swarm gives a stored message (SS `computeMessageHash`, §4.6): the unpadded
/// base64 of `BLAKE2b-32(pubkey ‖ namespace ‖ data)`, 43 characters.
///
/// `pubkey` is the 33-byte account key (prefix byte included), `namespace` is
/// [`Namespace::signature_str`], `data` the raw bytes (not base64).
pub fn message_hash(pubkey: &[u8; 33], namespace: Namespace, data: &[u8]) -> String {
    let mut h = blake2::Blake2b::<U32>::new();
    h.update(pubkey);
    h.update(namespace.signature_str().as_bytes());
    h.update(data);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hash_matches_the_storage_server() {
        // protocol.md §12.5 (session-storage-server unit_test/service_node.cpp)
        let mut pk = [0u8; 33];
        hex::decode_to_slice(
            "05ffba630924aa1224bb930dde21c0d11bf004608f2812217f8ac812d6c7e3ad48",
            &mut pk,
        )
        .unwrap();
        let data = base64::engine::general_purpose::STANDARD
            .decode(
                "CAES1gIKA1BVVBIPL2FwaS92MS9tZXNzYWdlGrsCCAYovfqZv4YvQq8CVwutUBbhRzZw80TvR6uTYMKg9DSa\
                 grtpeEpY31L7VxawfS8aSya0SiDa4J025SkjP13YX8g5pxgQ8Z6hgfNArMqr/tSijJ9miVKVDJ63YWE85O8k\
                 yWF8tdtZR5j0Vxb+JH5U8Rg1bp7ftKk3OSf7JJMcrUUrDnctQHe540zJ2OTDJ03DfubkX5NmKqEu5nhXGxee\
                 Dv3mTiL63fjtCvZYcikfjf6Nh1AX++HTgJ9SGoEIMastGUorFrmmXb2sbjHxNiJn0Radj/VzcA9VxYwBW5+A\
                 bGQ2d9+vvm7X+8vh+jIenJfjxf+8CWER+9adNfb4YUH07I+godNCV0O0J05gzqfKdT7J8MBZzFBtKrbk8oCa\
                 gPpTsq/wZyYFKFKKD+q+zh704dYBILvs5yXUA96pIAA=",
            )
            .unwrap();
        assert_eq!(
            message_hash(&pk, Namespace::DEFAULT, &data),
            "4sMyAuaZlMwww3oFvfhazfw7ASx/7TDtO+TVc8aAjHs"
        );
        assert_eq!(
            message_hash(&pk, Namespace::LEGACY_CLOSED_GROUP, &data),
            "RKfzPoxgrGv0+bnaytg85gAqKN+/g2sRHtNB1ZrkTkE"
        );
    }

    #[test]
    fn namespace_forms() {
        assert_eq!(Namespace(0).signature_str(), "");
        assert_eq!(Namespace(-10).signature_str(), "-10");
        assert_eq!(Namespace(0).to_string(), "0");
        assert!(Namespace(-30).is_public_inbox());
        assert!(!Namespace(3).is_public_inbox());
    }
}
