//! Every limit of the storage RPC, in one place: what a node accepts and what a client sends
//! or reads. Both ends, and every test double, use these names; nothing else defines them.
//!
//! Values are session-storage-server's (protocol.md §4.1, §4.3, §4.7, §15), except
//! [`MAX_REPLY_LEN`], which is sesh's own bound on what it reads from the network.

use std::ops::RangeInclusive;

/// The most `data` a `store` accepts, in raw bytes; session-storage-server
/// `store::MAX_MESSAGE_BODY` (§4.3).
pub const MAX_DATA_LEN: usize = 76_800;

/// The most `data` a `store` accepts as base64 text: 4/3 of [`MAX_DATA_LEN`] (102 400).
pub const MAX_DATA_B64_LEN: usize = MAX_DATA_LEN.div_ceil(3) * 4;

/// The shortest TTL a store may have, ms (10 s).
pub const MIN_TTL_MS: u64 = 10_000;

/// The longest TTL in a public namespace (one divisible by 10), ms (14 days).
pub const MAX_TTL_PUBLIC_MS: u64 = 14 * 24 * 3600 * 1000;

/// The longest TTL in a private (signed) namespace, ms (30 days).
pub const MAX_TTL_PRIVATE_MS: u64 = 30 * 24 * 3600 * 1000;

/// The TTLs a store into a public namespace may have (§4.7): 10 s to 14 days.
pub const TTL_PUBLIC_MS: RangeInclusive<u64> = MIN_TTL_MS..=MAX_TTL_PUBLIC_MS;

/// The TTLs a signed store into a private namespace may have: 10 s to 30 days.
pub const TTL_PRIVATE_MS: RangeInclusive<u64> = MIN_TTL_MS..=MAX_TTL_PRIVATE_MS;

/// How far a signed request's timestamp may be from the node's clock, ms (±60 s, §4.7).
pub const SIGNATURE_WINDOW_MS: u64 = 60_000;

/// The same for a copy forwarded by another swarm member, ms (±70 s).
pub const FORWARDED_WINDOW_MS: u64 = 70_000;

/// How far in the future a store's `timestamp` may be, and how far in the past its expiry,
/// ms (10 s, §4.7).
pub const STORE_FUTURE_MS: u64 = 10_000;

/// The `max_size` budget of a retrieve, bytes of base64 data: a negative `max_size` `-k`
/// asks for `RETRIEVE_MAX_SIZE / k` (SS `RETRIEVE_MAX_SIZE`, §4.3).
pub const RETRIEVE_MAX_SIZE: i64 = 7_800_000;

/// The divisor of [`RETRIEVE_MAX_SIZE`] when a retrieve names no `max_size` (1.56 MB).
pub const RETRIEVE_DEFAULT_SIZE_DIVISOR: i64 = 5;

/// The most subrequests of one `batch` or `sequence` (§15.4).
pub const MAX_SUBREQUESTS: usize = 20;

/// The most message hashes one `delete`, `expire` or `get_expiries` takes, per request or per
/// subrequest of a `batch` or `sequence` (so a batch carries at most [`MAX_SUBREQUESTS`] times
/// this, within the body's element cap): each is a database statement under the store's one
/// lock. The storage server has no such cap (only its 10 MB body limit, some 200 000 hashes);
/// a client deleting more sends several requests.
pub const MAX_HASHES_PER_REQUEST: usize = 10_000;

/// The largest request body a node reads: 10 MiB, as the storage server
/// (`MAX_REQUEST_BODY_SIZE`, §4.1). Larger requests get 413.
pub const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;

/// The longest routing JSON of one onion request layer (the JSON after the blob, §7.2): 4 KiB,
/// checked before it is parsed. Honest ones are a few hundred bytes. sesh's own bound (the
/// storage server has none but its 10 MiB body limit).
pub const MAX_ROUTING_JSON_LEN: usize = 4096;

/// The largest reply a client (or a node, for its peer traffic) reads from a node or a seed:
/// 16 MiB. Anything larger is refused while it streams in, never buffered whole.
///
/// Why this bound: the largest honest reply is a retrieve that fills the whole
/// [`RETRIEVE_MAX_SIZE`] budget (7.8 MB of base64 data) plus, per message, about 150 bytes of
/// JSON fields; as an onion reply it is escaped into a JSON string, encrypted and base64'd
/// again (×4/3), about 10.5 MB. A full `get_n_service_nodes` list (≈2 000 nodes) is under
/// 1 MiB, and an onion hop relays at most [`MAX_REQUEST_BODY`] plus its layers. 16 MiB holds all
/// of these with room, and is half of what sesh accepted before.
pub const MAX_REPLY_LEN: usize = 16 * 1024 * 1024;

// The reply bound holds a full retrieve (data plus ~10 % JSON, base64'd again in the onion
// reply) and anything an onion hop relays.
const _: () = assert!((RETRIEVE_MAX_SIZE as usize) * 11 / 10 * 4 / 3 < MAX_REPLY_LEN);
const _: () = assert!(MAX_REQUEST_BODY < MAX_REPLY_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_limit_is_four_thirds_of_the_raw_limit() {
        assert_eq!(MAX_DATA_B64_LEN, 102_400);
        assert_eq!(TTL_PUBLIC_MS, 10_000..=1_209_600_000);
        assert_eq!(*TTL_PRIVATE_MS.end(), 2_592_000_000);
    }
}
