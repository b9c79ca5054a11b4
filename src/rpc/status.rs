//! What an HTTP status (and, for onion hops, a plaintext body) means: one mapping that the
//! client, the node and every test double share.
//!
//! Classification only: what to do about an outcome (strike, retry, resync) is the caller's
//! policy. Texts are session-storage-server's (protocol.md §4.8, §7.7, §15), which
//! session-desktop and libsession-util match on.

use crate::identity::Ed25519Pub;

/// The start of the plaintext a hop answers (502) when it does not know the next hop.
pub const NEXT_NODE_NOT_FOUND: &str = "Next node not found: ";
/// The start of the plaintext a hop answers (502) when it cannot reach the next hop.
pub const NEXT_NODE_UNREACHABLE: &str = "Next node is currently unreachable: ";
/// The plaintext a hop answers with 504 when the next hop did not answer in time.
pub const REQUEST_TIME_OUT: &str = "Request time out";

/// The text `Next node not found: <hex key>` a hop answers for an unknown next hop.
pub fn next_node_not_found(key: &Ed25519Pub) -> String {
    format!("{NEXT_NODE_NOT_FOUND}{}", key.to_hex())
}

/// The text `Next node is currently unreachable: <hex key>` for a next hop that failed.
pub fn next_node_unreachable(key: &Ed25519Pub) -> String {
    format!("{NEXT_NODE_UNREACHABLE}{}", key.to_hex())
}

/// What an answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// 2xx: success.
    Ok,
    /// 406 or 425: the request's timestamp is too far from the node's clock.
    ClockOutOfSync,
    /// 421: the node is not in the account's swarm (the body may list the right one).
    WrongSwarm,
    /// 400: the node could not parse the request.
    Malformed,
    /// 401 or 403: the node refused it (signature, authentication, TTL).
    Refused {
        /// 401 or 403.
        status: u16,
    },
    /// 404: nothing matched (e.g. `delete` with `required`).
    NotFound,
    /// 413: the request (or its data) is too large.
    TooLarge,
    /// 429: the node is rate limiting the sender.
    RateLimited,
    /// A hop of an onion path does not know the next one (`Next node not found: <key>`).
    NextNodeNotFound(Ed25519Pub),
    /// A hop of an onion path could not reach the next one (`Next node is currently
    /// unreachable: <key>`).
    NextNodeUnreachable(Ed25519Pub),
    /// 504: a hop (or the node) timed out.
    Timeout,
    /// Any other 5xx: the node or a hop failed.
    ServerError {
        /// The status.
        status: u16,
    },
    /// Anything else (1xx, 3xx, other 4xx).
    Other {
        /// The status.
        status: u16,
    },
}

/// The outcome of a status alone: for a node's own answer (a decrypted onion reply, a direct
/// storage RPC reply), whose body is not a hop's text.
pub fn of_status(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Ok,
        406 | 425 => Outcome::ClockOutOfSync,
        421 => Outcome::WrongSwarm,
        400 => Outcome::Malformed,
        401 | 403 => Outcome::Refused { status },
        404 => Outcome::NotFound,
        413 => Outcome::TooLarge,
        429 => Outcome::RateLimited,
        504 => Outcome::Timeout,
        500..=599 => Outcome::ServerError { status },
        _ => Outcome::Other { status },
    }
}

/// The outcome of a plaintext answer to an onion request (status ≠ 200 from the guard,
/// protocol.md §7.7): the "next node" texts name a key, whatever the status (over QUIC they
/// come after "502 Bad Gateway\n\n"); otherwise as [`of_status`].
///
/// # Security
/// The text is not authenticated: any hop or anyone on the wire may have written it.
pub fn of_path_reply(status: u16, body: &[u8]) -> Outcome {
    if status != 200 {
        let text = String::from_utf8_lossy(body);
        if let Some(key) = key_after(&text, NEXT_NODE_NOT_FOUND) {
            return Outcome::NextNodeNotFound(key);
        }
        if let Some(key) = key_after(&text, NEXT_NODE_UNREACHABLE) {
            return Outcome::NextNodeUnreachable(key);
        }
    }
    of_status(status)
}

/// The 64-hex-digit key right after `pattern` in `text`.
fn key_after(text: &str, pattern: &str) -> Option<Ed25519Pub> {
    let i = text.find(pattern)?;
    text[i + pattern.len()..].get(..64)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "d7b7ed16b48e7ad3e9a64b7f5a0a3f7fd7a34d5b1a93d2b9cd67b5a3c06b0e07";

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(of_status(200), Outcome::Ok);
        assert_eq!(of_status(406), Outcome::ClockOutOfSync);
        assert_eq!(of_status(425), Outcome::ClockOutOfSync);
        assert_eq!(of_status(421), Outcome::WrongSwarm);
        assert_eq!(of_status(400), Outcome::Malformed);
        assert_eq!(of_status(401), Outcome::Refused { status: 401 });
        assert_eq!(of_status(403), Outcome::Refused { status: 403 });
        assert_eq!(of_status(404), Outcome::NotFound);
        assert_eq!(of_status(413), Outcome::TooLarge);
        assert_eq!(of_status(429), Outcome::RateLimited);
        assert_eq!(of_status(504), Outcome::Timeout);
        assert_eq!(of_status(502), Outcome::ServerError { status: 502 });
        assert_eq!(of_status(302), Outcome::Other { status: 302 });
    }

    #[test]
    fn hop_texts_name_the_key() {
        let key: Ed25519Pub = KEY.parse().unwrap();
        let nf = next_node_not_found(&key);
        assert_eq!(
            of_path_reply(502, nf.as_bytes()),
            Outcome::NextNodeNotFound(key)
        );
        let quic = format!("502 Bad Gateway\n\n{}", next_node_unreachable(&key));
        assert_eq!(
            of_path_reply(502, quic.as_bytes()),
            Outcome::NextNodeUnreachable(key)
        );
        assert_eq!(
            of_path_reply(504, REQUEST_TIME_OUT.as_bytes()),
            Outcome::Timeout
        );
    }

    #[test]
    fn a_short_or_bad_key_is_not_a_hop_text() {
        let short = format!("{NEXT_NODE_NOT_FOUND}{}", &KEY[..40]);
        assert_eq!(
            of_path_reply(502, short.as_bytes()),
            Outcome::ServerError { status: 502 }
        );
        let bad = format!("{NEXT_NODE_NOT_FOUND}{}", "zz".repeat(32));
        assert_eq!(
            of_path_reply(502, bad.as_bytes()),
            Outcome::ServerError { status: 502 }
        );
        // A 200 body is the destination's, never a hop's text.
        let nf = format!("{NEXT_NODE_NOT_FOUND}{KEY}");
        assert_eq!(of_path_reply(200, nf.as_bytes()), Outcome::Ok);
    }
}
