//! The storage RPC calls: store and retrieve on an account's swarm, and the one place where
//! the client builds the requests of the methods it uses (`store`, `retrieve`, `get_swarm`,
//! `info`, `get_n_service_nodes` and `oxend_request`) and decodes their answers, all through
//! the typed codec of [`crate::rpc`] (requests from [`crate::rpc::request`], answers decoded
//! from bytes with a size bound by [`crate::rpc::response::decode`]).
//!
//! What a member returns is checked, not believed: a stored message's hash must be the one
//! computed here ([`crate::rpc::message_hash`]); retrieved messages are named by the hash
//! computed from their data, and those whose timestamp no swarm could still hold are dropped
//! ([`plausible_timestamp`]).

use super::*;
use crate::rpc::limits;
use crate::rpc::request::{self, JsonRpcCall, Request};
use crate::rpc::response::{
    self, InfoResponse, JsonRpcReply, NodeTime, OxendResponse, RetrieveResponse, ServiceNodes,
    StoreResponse, SwarmResponse,
};

/// How far in the future a message's timestamp may lie: the network's clock window (±60 s,
/// protocol.md §4.7; a store's own timestamp may be at most 10 s ahead of the node's clock).
pub(crate) const FUTURE_WINDOW_MS: u64 = limits::SIGNATURE_WINDOW_MS;
/// How much older than the longest TTL a retrieved message may be: swarm members' clocks
/// lag, and expiry runs periodically, not at the millisecond.
pub(crate) const EXPIRY_MARGIN_MS: u64 = 60 * 60 * 1000;

/// Where a `store` landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOutcome {
    /// The message hash (§4.6), computed locally and confirmed by the member: the same for
    /// the same data, so a repeated store never makes a second message.
    pub hash: String,
    /// The swarm member that took it.
    pub node: Ed25519Pub,
}

/// One message as `retrieve` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrievedMessage {
    /// Its hash, computed from the account, namespace and data ([`crate::rpc::message_hash`]),
    /// not taken from the node: what the seen set deduplicates by.
    pub hash: String,
    /// What the member that served it calls it: the `last_hash` to continue after it at that
    /// member. Equal to `hash` unless the member lies.
    pub node_hash: String,
    /// When it was stored (the sender's timestamp, ms).
    pub timestamp_ms: u64,
    /// When the swarm will delete it (ms).
    pub expiration_ms: u64,
    /// The data as the swarm returned it: base64 (see [`RetrievedMessage::decode_data`]).
    pub data: String,
}

impl RetrievedMessage {
    /// The data's bytes.
    ///
    /// # Errors
    /// The base64 decoder's error when the node sent something else.
    pub fn decode_data(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(self.data.trim())
    }
}

/// What a `retrieve` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrieved {
    /// The messages after `last_hash`, oldest first, without those dropped as implausible.
    pub messages: Vec<RetrievedMessage>,
    /// Whether more are waiting (retrieve again after the last one).
    pub more: bool,
    /// The swarm member that answered.
    pub node: Ed25519Pub,
    /// How many messages were dropped: undecodable data, or a timestamp outside what a swarm
    /// may still hold.
    pub dropped: usize,
    /// The member's name for the last message it served, dropped ones included: where its
    /// cursor goes once every message is handled.
    pub last_node_hash: Option<String>,
}

// ---- the storage RPC, through the shared codec (`crate::rpc`) -------------------------------

/// The fields of a node list that sesh uses (libsession's, §5.1).
const NODE_LIST_FIELDS: &[&str] = &[
    "public_ip",
    "storage_port",
    "pubkey_x25519",
    "pubkey_ed25519",
    "requested_unlock_height",
    "height",
    "swarm_id",
    "storage_server_version",
];

/// An `info` request's body.
pub(crate) fn info_request() -> Vec<u8> {
    Request::Info.to_json()
}

/// A `get_swarm` request for `pubkey`.
pub(crate) fn get_swarm(pubkey: &SessionId) -> Request {
    Request::GetSwarm {
        pubkey: pubkey.to_bytes(),
    }
}

/// A direct guard test: `get_swarm` for a random account.
pub(crate) fn guard_test_request(pubkey: &SessionId) -> Vec<u8> {
    get_swarm(pubkey).to_json()
}

/// The seed request for the node list (§5.1). No `limit`: the whole list.
pub(crate) fn get_n_service_nodes_request() -> Vec<u8> {
    serde_json::to_vec(&JsonRpcCall::get_n_service_nodes(NODE_LIST_FIELDS)).unwrap_or_default()
}

/// The same question put to a service node: an `oxend_request` for `get_service_nodes`
/// (§5.2, §5.3).
pub(crate) fn oxend_node_list() -> Request {
    Request::OxendRequest {
        endpoint: "get_service_nodes".into(),
        fields: Some(NODE_LIST_FIELDS.iter().map(|f| (*f).to_owned()).collect()),
    }
}

/// [`oxend_node_list`] as a direct request's body.
pub(crate) fn oxend_node_list_request() -> Vec<u8> {
    oxend_node_list().to_json()
}

/// A pool from a node list, without nodes that report version 0 (libsession, §5.5).
fn usable_pool(list: &ServiceNodes) -> Result<SnodePool, String> {
    let (pool, _dropped) = SnodePool::from_service_nodes(list);
    let pool = SnodePool::new(
        pool.nodes()
            .iter()
            .filter(|n| n.version != Some([0, 0, 0]))
            .cloned(),
    );
    if pool.is_empty() {
        return Err("no usable service nodes in the list".into());
    }
    Ok(pool)
}

/// A node's `oxend_request` answer (onion or direct body) as a pool.
pub(crate) fn parse_node_list(body: &[u8]) -> Result<SnodePool, String> {
    let answer: OxendResponse<ServiceNodes> = response::decode(body).map_err(|e| e.to_string())?;
    usable_pool(&answer.result)
}

/// A seed's HTTP answer to [`get_n_service_nodes_request`].
pub(crate) fn parse_seed_reply(reply: &crate::transport::Reply) -> Result<SnodePool, String> {
    if reply.status != 200 {
        return Err(format!(
            "HTTP status {}: {}",
            reply.status,
            shorten(&String::from_utf8_lossy(&reply.body))
        ));
    }
    // session-desktop refuses any other content type (§5.1).
    if reply.content_type.as_deref() != Some("application/json") {
        return Err(format!(
            "content type is {}, not application/json",
            reply.content_type.as_deref().unwrap_or("missing")
        ));
    }
    let answer: JsonRpcReply<ServiceNodes> =
        response::decode(&reply.body).map_err(|e| e.to_string())?;
    match answer.result {
        Some(list) => usable_pool(&list),
        None => Err("no 'result'".into()),
    }
}

/// A node's direct HTTP answer to [`oxend_node_list_request`].
pub(crate) fn parse_node_reply(reply: &crate::transport::Reply) -> Result<SnodePool, String> {
    if reply.status != 200 {
        return Err(format!("HTTP status {}", reply.status));
    }
    parse_node_list(&reply.body)
}

/// A `get_swarm` answer (or a 421's body).
pub(crate) fn parse_swarm(body: &[u8]) -> Result<Swarm, String> {
    let answer: SwarmResponse = response::decode(body).map_err(|e| e.to_string())?;
    Swarm::from_response(&answer).map_err(|e| e.to_string())
}

/// The node's time in an answer: its `"t"`. `None` for a body that is not a JSON object
/// with a numeric `"t"` (a plain-text error).
pub(crate) fn time_of(body: &[u8]) -> Option<u64> {
    response::decode::<NodeTime>(body).ok()?.t
}

/// The time in an `info` answer (`"t"`, or `"timestamp"`).
pub(crate) fn info_time(body: &[u8]) -> Option<u64> {
    let info: InfoResponse = response::decode(body).ok()?;
    Some(info.t.unwrap_or(info.timestamp))
}

/// A `store` of `data` for `to` in namespace 0 (unsigned), expiring `ttl_ms` after
/// `timestamp_ms`.
pub(crate) fn store_request(
    to: &SessionId,
    data: Vec<u8>,
    ttl_ms: u64,
    timestamp_ms: u64,
) -> Request {
    Request::Store(request::Store {
        pubkey: to.to_bytes(),
        namespace: Namespace::DEFAULT,
        timestamp: timestamp_ms,
        expiry: timestamp_ms.saturating_add(ttl_ms),
        data,
        sig_timestamp: timestamp_ms,
        auth: None,
    })
}

/// The hash a `store` answer gives: the top-level copy, else the first member's.
pub(crate) fn store_hash(answer: &StoreResponse) -> Option<&str> {
    answer
        .hash
        .as_deref()
        .or_else(|| answer.swarm.values().find_map(|e| e.hash.as_deref()))
}

/// A signed `retrieve` of `identity`'s `namespace` after `last_hash` (from the oldest when
/// empty), at network time `now` (§4.3).
pub(crate) fn retrieve_request(
    identity: &Identity,
    namespace: Namespace,
    now: u64,
    last_hash: String,
) -> Request {
    let mut retrieve = Request::Retrieve(request::Retrieve {
        pubkey: identity.session_id().to_bytes(),
        namespace,
        last_hash: Some(last_hash).filter(|h| !h.is_empty()),
        max_count: None,
        max_size: (limits::RETRIEVE_MAX_SIZE / limits::RETRIEVE_DEFAULT_SIZE_DIVISOR) as usize,
        timestamp: Some(now),
        auth: None,
    });
    // The codec's own signed string (`"retrieve" + namespace + timestamp`), as the node
    // checks it.
    let signature = retrieve.signed_message().map(|m| identity.sign(&m));
    if let (Request::Retrieve(r), Some(signature)) = (&mut retrieve, signature) {
        r.auth = Some(request::Auth {
            signature,
            pubkey_ed25519: Some(identity.ed25519_pub().0),
        });
    }
    retrieve
}

/// A `retrieve` answer, decoded with its bounds.
pub(crate) fn parse_retrieve(body: &[u8]) -> Result<RetrieveResponse, String> {
    response::decode(body).map_err(|e| e.to_string())
}

/// What a signed `delete` or `delete_all` did in the account's swarm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The hashes some member says it deleted (their union, sorted).
    pub deleted: Vec<String>,
    /// How many members confirmed the deletion (answered without failing, with a list).
    pub confirmed: usize,
    /// How many members the answer names.
    pub members: usize,
}

impl DeleteOutcome {
    /// Whether every member named confirmed.
    pub fn complete(&self) -> bool {
        self.members > 0 && self.confirmed == self.members
    }
}

/// Signs `request` with `identity` (§4.3: the codec's own signed string for its method).
fn signed(identity: &Identity, mut request: Request) -> Request {
    let Some(message) = request.signed_message() else {
        return request;
    };
    let auth = request::Auth {
        signature: identity.sign(&message),
        pubkey_ed25519: Some(identity.ed25519_pub().0),
    };
    match &mut request {
        Request::Delete { auth: a, .. }
        | Request::DeleteAll { auth: a, .. }
        | Request::Expire { auth: a, .. } => *a = auth,
        _ => {}
    }
    request
}

/// A signed `expire` shortening `identity`'s messages `hashes` to `expiry_ms`
/// (`"expire" ‖ "shorten" ‖ expiry ‖ hash₀ ‖ …`).
pub(crate) fn expire_request(identity: &Identity, hashes: &[String], expiry_ms: u64) -> Request {
    signed(
        identity,
        Request::Expire {
            pubkey: identity.session_id().to_bytes(),
            messages: hashes.to_vec(),
            expiry: expiry_ms,
            mode: request::ExpireMode::Shorten,
            auth: request::Auth {
                signature: [0; 64],
                pubkey_ed25519: None,
            },
        },
    )
}

/// An `expire` answer: how many members' entries say they updated something.
pub(crate) fn parse_expire(body: &[u8]) -> Result<usize, String> {
    let answer: StoreResponse = response::decode(body).map_err(|e| e.to_string())?;
    Ok(answer
        .swarm
        .values()
        .filter(|e| !e.failed && e.updated.as_ref().is_some_and(|u| !u.is_empty()))
        .count())
}

/// A signed `delete` of `identity`'s messages `hashes` (`"delete" ‖ hash₀ ‖ …`).
pub(crate) fn delete_request(identity: &Identity, hashes: &[String]) -> Request {
    signed(
        identity,
        Request::Delete {
            pubkey: identity.session_id().to_bytes(),
            messages: hashes.to_vec(),
            required: false,
            timestamp: None,
            auth: request::Auth {
                signature: [0; 64],
                pubkey_ed25519: None,
            },
        },
    )
}

/// A signed `delete_all` of `identity`'s namespace 0 at network time `now`
/// (`"delete_all" ‖ "" ‖ now`).
pub(crate) fn delete_all_request(identity: &Identity, now: u64) -> Request {
    signed(
        identity,
        Request::DeleteAll {
            pubkey: identity.session_id().to_bytes(),
            namespace: Namespace::DEFAULT.into(),
            timestamp: now,
            auth: request::Auth {
                signature: [0; 64],
                pubkey_ed25519: None,
            },
        },
    )
}

/// A `delete`/`delete_all` answer for `account`: each member's entry of the `swarm` dict,
/// counted. An entry confirms only when it is keyed by one of `members` (the swarm as the
/// client knows it) and carries that member's signature of what it deleted
/// ([`response::delete_entry_verifies`]); any other entry counts as a member that failed, and
/// what it claims deleted is not reported.
pub(crate) fn parse_delete(
    body: &[u8],
    account: &SessionId,
    asked: response::DeleteAsked<'_>,
    members: &[Ed25519Pub],
) -> Result<DeleteOutcome, String> {
    let answer: StoreResponse = response::decode(body).map_err(|e| e.to_string())?;
    let account = account.to_bytes();
    let mut deleted = std::collections::BTreeSet::new();
    let mut confirmed = 0;
    for (key, entry) in &answer.swarm {
        let Some(member) = key
            .parse::<Ed25519Pub>()
            .ok()
            .filter(|k| members.contains(k))
        else {
            continue;
        };
        if !response::delete_entry_verifies(&account, asked, &member, entry) {
            continue;
        }
        let Some(list) = entry.deleted.as_ref() else {
            continue;
        };
        confirmed += 1;
        match list {
            response::Deleted::List(l) => deleted.extend(l.iter().cloned()),
            response::Deleted::ByNamespace(m) => deleted.extend(m.values().flatten().cloned()),
        }
    }
    // Of a `delete`, only what was asked for can have been deleted; of a `delete_all`, only
    // what has a message hash's form is reported (the strings are the members' own).
    match asked {
        response::DeleteAsked::Hashes(h) => deleted.retain(|d| h.iter().any(|a| a == d)),
        response::DeleteAsked::Timestamp(_) => deleted.retain(|d| looks_like_hash(d)),
    }
    Ok(DeleteOutcome {
        deleted: deleted.into_iter().collect(),
        confirmed,
        members: answer.swarm.len(),
    })
}

/// Whether `s` has a message hash's form: 43 characters of unpadded base64 (§4.6).
fn looks_like_hash(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

// ---- policy ------------------------------------------------------------------------------

/// Whether a message timestamped `timestamp_ms` may still be held by a swarm at network time
/// `now_ms`: not older than the longest TTL (plus [`EXPIRY_MARGIN_MS`]), not later than the
/// clock window ([`FUTURE_WINDOW_MS`]). A member that serves anything else is replaying or
/// forging. For the timestamp inside a message, see [`plausible_envelope_timestamp`].
pub(crate) fn plausible_timestamp(timestamp_ms: u64, now_ms: u64) -> bool {
    let oldest = now_ms.saturating_sub(*limits::TTL_PUBLIC_MS.end() + EXPIRY_MARGIN_MS);
    (oldest..=now_ms.saturating_add(FUTURE_WINDOW_MS)).contains(&timestamp_ms)
}

/// Until when (network time, ms) the seen set must remember a message first seen at `now_ms`
/// that a member says expires at `node_expiry_ms`. A swarm holds a message at most the longest
/// public TTL after it was stored, which was before `now_ms`; so the record is kept at least
/// that long (plus [`EXPIRY_MARGIN_MS`]) whatever the member says — a member naming an early
/// expiry cannot get the record pruned and the message printed again when another member
/// serves it — and at most the longest TTL any namespace allows, so a member naming a late
/// one cannot make the set grow without end.
pub fn seen_until(node_expiry_ms: u64, now_ms: u64) -> u64 {
    let least = now_ms.saturating_add(limits::MAX_TTL_PUBLIC_MS + EXPIRY_MARGIN_MS);
    let most = now_ms.saturating_add(limits::MAX_TTL_PRIVATE_MS + EXPIRY_MARGIN_MS);
    node_expiry_ms.clamp(least, most)
}

/// How far past network time a message's *envelope* may be stamped. The envelope carries its
/// sender's clock (corrected by the sender's own idea of the network offset), not a node's, and
/// a sender that learns of its skew only from a 406 stores the payload it already sealed: so
/// the future side allows an hour, where a node's storage timestamp gets the clock window.
pub const ENVELOPE_FUTURE_MS: u64 = 60 * 60 * 1000;

/// Whether a message whose signed envelope says `timestamp_ms` may still be held by a swarm at
/// network time `now_ms`: not older than the longest TTL (plus [`EXPIRY_MARGIN_MS`]), not
/// later than [`ENVELOPE_FUTURE_MS`]. A member can re-serve an old message under a fresh
/// storage timestamp, but cannot change the one its sender signed inside.
pub fn plausible_envelope_timestamp(timestamp_ms: u64, now_ms: u64) -> bool {
    let oldest = now_ms.saturating_sub(*limits::TTL_PUBLIC_MS.end() + EXPIRY_MARGIN_MS);
    (oldest..=now_ms.saturating_add(ENVELOPE_FUTURE_MS)).contains(&timestamp_ms)
}

/// Checks a retrieve's messages: each named by the hash computed from its data, those with
/// undecodable data or an implausible timestamp dropped. Returns the kept messages and how
/// many were dropped.
pub(crate) fn vet_messages(
    account: &SessionId,
    namespace: Namespace,
    raw: Vec<response::RetrievedMessage>,
    now_ms: u64,
) -> (Vec<RetrievedMessage>, usize) {
    let pubkey = account.to_bytes();
    let mut kept = Vec::with_capacity(raw.len());
    let mut dropped = 0;
    for m in raw {
        let data = base64::engine::general_purpose::STANDARD.decode(m.data.trim());
        match data {
            Ok(data) if plausible_timestamp(m.timestamp, now_ms) => {
                kept.push(RetrievedMessage {
                    hash: crate::rpc::message_hash(&pubkey, namespace, &data),
                    node_hash: m.hash,
                    timestamp_ms: m.timestamp,
                    expiration_ms: m.expiration,
                    data: m.data,
                });
            }
            _ => dropped += 1,
        }
    }
    (kept, dropped)
}

/// Whether a `store` answer confirms the hash computed locally.
pub(crate) fn check_store_answer(answer: &StoreResponse, expected: &str) -> Result<(), String> {
    match store_hash(answer) {
        Some(h) if h == expected => Ok(()),
        Some(h) => Err(format!(
            "message hash {} is not the data's {}",
            shorten(h),
            expected
        )),
        None => Err("no message hash".into()),
    }
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- storage RPC ---------------------------------------------------------------------

    /// Stores `data_b64` for `to` in namespace 0 (unsigned: anyone may store there, §4.4),
    /// with `ttl_ms` and the message's `timestamp_ms`, on a member of `to`'s swarm.
    ///
    /// The swarm names a message by the hash of its recipient and data (§4.6), so storing the
    /// same data again — as a retry after a lost answer does — yields the same hash and no
    /// second message. A member whose answer names another hash did not store it: it takes a
    /// strike, and the next member is tried.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty, non-base64 or oversized data or a TTL outside
    /// 10 s–14 days; [`Error::Refused`]/[`Error::BadRequest`] when the swarm refuses it;
    /// transient errors when no member could be reached or confirmed it.
    pub async fn store(
        &mut self,
        to: &SessionId,
        data_b64: &str,
        ttl_ms: u64,
        timestamp_ms: u64,
    ) -> Result<StoreOutcome, Error> {
        if data_b64.is_empty() || data_b64.len() > limits::MAX_DATA_B64_LEN {
            return Err(Error::InvalidInput(format!(
                "message data must be 1 to {} base64 characters, not {}",
                limits::MAX_DATA_B64_LEN,
                data_b64.len()
            )));
        }
        if !limits::TTL_PUBLIC_MS.contains(&ttl_ms) {
            return Err(Error::InvalidInput(format!(
                "TTL {ttl_ms} ms is outside 10 s to 14 days"
            )));
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(data_b64)
            .map_err(|e| Error::InvalidInput(format!("message data is not base64: {e}")))?;
        let expected = crate::rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
        let request = store_request(to, data, ttl_ms, timestamp_ms);
        let (node, ()) = self
            .swarm_request(
                to,
                "store",
                |_, _| request.clone(),
                |body| {
                    let answer: StoreResponse =
                        response::decode(body).map_err(|e| e.to_string())?;
                    check_store_answer(&answer, &expected)
                },
            )
            .await?;
        Ok(StoreOutcome {
            hash: expected,
            node: node.ed25519,
        })
    }

    /// Deletes `identity`'s messages `hashes` from its swarm with a signed `delete` (§4.3),
    /// sent to one member, which passes it to the others.
    ///
    /// # Errors
    /// [`Error::Refused`] when the signature is refused, [`Error::BadAnswer`] for a
    /// malformed answer, transient errors when no member could be reached.
    pub async fn delete_messages(
        &mut self,
        identity: &Identity,
        hashes: &[String],
    ) -> Result<DeleteOutcome, Error> {
        let account = identity.session_id();
        let request = delete_request(identity, hashes);
        let members = self.swarm_keys(&account).await?;
        let asked = response::DeleteAsked::Hashes(hashes);
        let (_, outcome) = self
            .swarm_request(
                &account,
                "delete",
                |_, _| request.clone(),
                |body| parse_delete(body, &account, asked, &members),
            )
            .await?;
        Ok(outcome)
    }

    /// Deletes every message of `identity`'s namespace 0 with a signed `delete_all` (§4.3).
    ///
    /// # Errors
    /// As [`Client::delete_messages`].
    pub async fn delete_all_messages(
        &mut self,
        identity: &Identity,
    ) -> Result<DeleteOutcome, Error> {
        let account = identity.session_id();
        let members = self.swarm_keys(&account).await?;
        // The timestamp of the request the answer is to (each attempt signs its own).
        let asked_at = std::cell::Cell::new(0);
        let (_, outcome) = self
            .swarm_request(
                &account,
                "delete_all",
                |_, now| {
                    asked_at.set(now);
                    delete_all_request(identity, now)
                },
                |body| {
                    let asked = response::DeleteAsked::Timestamp(asked_at.get());
                    parse_delete(body, &account, asked, &members)
                },
            )
            .await?;
        Ok(outcome)
    }

    /// Shortens the expiry of `identity`'s messages `hashes` to `expiry_ms` with a signed
    /// `expire` in "shorten" mode (§4.3: a member never lengthens one this way): what the
    /// apps do to a message that disappears after reading once it is read. How many members
    /// say they changed something; their word only, since nothing rests on it but how long
    /// a swarm keeps a message that was already delivered.
    ///
    /// # Errors
    /// As [`Client::delete_messages`].
    pub async fn shorten_expiry(
        &mut self,
        identity: &Identity,
        hashes: &[String],
        expiry_ms: u64,
    ) -> Result<usize, Error> {
        let account = identity.session_id();
        let request = expire_request(identity, hashes, expiry_ms);
        let (_, updated) = self
            .swarm_request(&account, "expire", |_, _| request.clone(), parse_expire)
            .await?;
        Ok(updated)
    }

    /// The Ed25519 keys of `account`'s swarm members, which sign their `delete` answers. A
    /// member that joins the swarm after this (a wrong-swarm answer moves the request) is
    /// not among them: its entry counts as failed, never as deleted.
    async fn swarm_keys(&mut self, account: &SessionId) -> Result<Vec<Ed25519Pub>, Error> {
        let swarm = self.swarm_for(account).await?;
        Ok(swarm.members.iter().map(|m| m.ed25519).collect())
    }

    /// Retrieves the messages of `identity`'s `namespace` after `last_hash` (from the oldest
    /// when `None`) from a random member of its swarm, with a signed request (§4.3: the
    /// signature of `"retrieve" + namespace + timestamp`, and `pubkey_ed25519`; see
    /// [`auth::request_fields`]).
    ///
    /// # Errors
    /// [`Error::Refused`] when the signature is refused, [`Error::BadAnswer`] for a
    /// malformed answer, transient errors when no member could be reached.
    pub async fn retrieve(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        last_hash: Option<&str>,
    ) -> Result<Retrieved, Error> {
        let last_hash = last_hash.unwrap_or("").to_owned();
        self.retrieve_with(identity, namespace, |_| last_hash.clone())
            .await
    }

    /// As [`Client::retrieve`], with the `last_hash` chosen for the member that is asked.
    ///
    /// Swarm members need not hold messages in the same order, nor all of them at once (one
    /// may have missed a copy), so a position in one member's list means nothing in
    /// another's: a receiver keeps one cursor per member, as session-desktop does
    /// (`getLastHashBySnode`), and its seen set (by [`RetrievedMessage::hash`], computed
    /// here) removes repeats.
    ///
    /// # Errors
    /// As [`Client::retrieve`].
    pub async fn retrieve_by_node(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        cursors: &HashMap<Ed25519Pub, String>,
    ) -> Result<Retrieved, Error> {
        self.retrieve_with(identity, namespace, |node| {
            cursors.get(node).cloned().unwrap_or_default()
        })
        .await
    }

    pub(super) async fn retrieve_with(
        &mut self,
        identity: &Identity,
        namespace: Namespace,
        last_hash: impl Fn(&Ed25519Pub) -> String,
    ) -> Result<Retrieved, Error> {
        let account = identity.session_id();
        let request = |node: &Snode, now: u64| {
            retrieve_request(identity, namespace, now, last_hash(&node.ed25519))
        };
        let (node, answer) = self
            .swarm_request(&account, "retrieve", request, parse_retrieve)
            .await?;
        let (raw, more) = (answer.messages, answer.more);
        let last_node_hash = raw.last().map(|m| m.hash.clone());
        let now = self.network_now_ms();
        let (messages, dropped) = vet_messages(&account, namespace, raw, now);
        // Seen entries of messages the swarm has dropped can go (with a margin for lagging
        // clocks): they cannot be returned again.
        self.state
            .prune_seen(now.saturating_sub(SEEN_GRACE_MS))
            .map_err(Error::State)?;
        Ok(Retrieved {
            messages,
            more,
            node: node.ed25519,
            dropped,
            last_node_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Seed;

    const NOW: u64 = 1_700_000_000_000;
    const DAY: u64 = 24 * 60 * 60 * 1000;

    fn b64(d: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(d)
    }

    fn raw(hash: &str, ts: u64, data: &[u8]) -> response::RetrievedMessage {
        response::RetrievedMessage {
            hash: hash.into(),
            timestamp: ts,
            expiration: ts + DAY,
            data: b64(data),
        }
    }

    #[test]
    fn timestamps_outside_what_a_swarm_holds_are_implausible() {
        assert!(plausible_timestamp(NOW, NOW));
        assert!(plausible_envelope_timestamp(NOW + ENVELOPE_FUTURE_MS, NOW));
        assert!(!plausible_envelope_timestamp(
            NOW + ENVELOPE_FUTURE_MS + 1,
            NOW
        ));
        assert!(plausible_envelope_timestamp(
            NOW - 14 * DAY - EXPIRY_MARGIN_MS,
            NOW
        ));
        assert!(!plausible_envelope_timestamp(
            NOW - 14 * DAY - EXPIRY_MARGIN_MS - 1,
            NOW
        ));
        // The seen set's memory: neither a member's early nor its late expiry decides it.
        let least = NOW + 14 * DAY + EXPIRY_MARGIN_MS;
        assert_eq!(seen_until(1, NOW), least);
        assert_eq!(seen_until(least + 5, NOW), least + 5);
        assert_eq!(seen_until(u64::MAX, NOW), NOW + 30 * DAY + EXPIRY_MARGIN_MS);
        assert!(plausible_timestamp(NOW + FUTURE_WINDOW_MS, NOW));
        assert!(!plausible_timestamp(NOW + FUTURE_WINDOW_MS + 1, NOW));
        assert!(plausible_timestamp(NOW - 14 * DAY, NOW));
        assert!(plausible_timestamp(NOW - 14 * DAY - EXPIRY_MARGIN_MS, NOW));
        assert!(!plausible_timestamp(
            NOW - 14 * DAY - EXPIRY_MARGIN_MS - 1,
            NOW
        ));
        assert!(!plausible_timestamp(0, NOW));
    }

    #[test]
    fn retrieved_messages_are_named_by_their_computed_hash() {
        let who = Identity::from_seed(Seed::from_legacy(&[7; 16])).session_id();
        let ns = Namespace::DEFAULT;
        let good = crate::rpc::message_hash(&who.to_bytes(), ns, b"one");
        let (kept, dropped) = vet_messages(
            &who,
            ns,
            vec![
                raw(&good, NOW, b"one"),
                // A member renaming a message (to make it print twice) does not rename it.
                raw("forged", NOW, b"one"),
                raw("old", NOW - 30 * DAY, b"two"),
                raw("future", NOW + DAY, b"three"),
                response::RetrievedMessage {
                    data: "not base64!".into(),
                    ..raw("junk", NOW, b"")
                },
            ],
            NOW,
        );
        assert_eq!(dropped, 3);
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|m| m.hash == good));
        assert_eq!(kept[1].node_hash, "forged");
    }

    #[test]
    fn the_node_reads_the_clients_requests_as_sent() {
        let id = Identity::from_seed(Seed::from_legacy(&[7; 16]));
        let who = id.session_id();
        // A store: unsigned, in namespace 0, expiring `ttl` after its timestamp.
        let store = store_request(&who, b"hi".to_vec(), 20_000, NOW);
        let parsed = request::parse(&store.to_json()).unwrap();
        let Request::Store(s) = &parsed else {
            panic!("not a store: {parsed:?}");
        };
        assert_eq!(
            (s.pubkey, s.timestamp, s.expiry),
            (who.to_bytes(), NOW, NOW + 20_000)
        );
        assert_eq!((s.data.as_slice(), s.auth.as_ref()), (&b"hi"[..], None));
        // A retrieve: signed over the codec's string, which the node verifies.
        let h1 = crate::rpc::message_hash(&who.to_bytes(), Namespace::DEFAULT, b"hi");
        let retrieve = retrieve_request(&id, Namespace::DEFAULT, NOW, h1.clone());
        let parsed = request::parse(&retrieve.to_json()).unwrap();
        assert_eq!(parsed, retrieve);
        let Request::Retrieve(r) = &parsed else {
            panic!("not a retrieve: {parsed:?}");
        };
        assert_eq!(r.last_hash.as_deref(), Some(h1.as_str()));
        let auth = r.auth.as_ref().unwrap();
        assert_eq!(auth.pubkey_ed25519, Some(id.ed25519_pub().0));
        let signed = parsed.signed_message().unwrap();
        assert_eq!(signed, b"retrieve1700000000000");
        assert_eq!(auth.signature, id.sign(&signed));
        // From the oldest: no `last_hash` at all.
        let first = retrieve_request(&id, Namespace::DEFAULT, NOW, String::new());
        assert!(
            !String::from_utf8(first.to_json())
                .unwrap()
                .contains("last_hash")
        );
        // The node list: active nodes only, with the fields sesh reads.
        let list = String::from_utf8(oxend_node_list_request()).unwrap();
        assert!(list.contains(r#""active_only":true"#), "{list}");
        assert!(matches!(
            request::parse(list.as_bytes()).unwrap(),
            Request::OxendRequest { fields: Some(f), .. } if f.len() == NODE_LIST_FIELDS.len()
        ));
    }

    #[test]
    fn deletes_are_signed_over_the_codecs_string_and_counted_by_member() {
        let id = Identity::from_seed(Seed::from_legacy(&[7; 16]));
        let del = delete_request(&id, &["a".into(), "b".into()]);
        let parsed = request::parse(&del.to_json()).unwrap();
        assert_eq!(parsed, del);
        assert_eq!(parsed.signed_message().unwrap(), b"deleteab");
        let Request::Delete { auth, .. } = &parsed else {
            panic!("not a delete: {parsed:?}");
        };
        assert_eq!(auth.signature, id.sign(b"deleteab"));
        let all = delete_all_request(&id, NOW);
        let parsed = request::parse(&all.to_json()).unwrap();
        assert_eq!(parsed.signed_message().unwrap(), b"delete_all1700000000000");
        let Request::DeleteAll { auth, .. } = &parsed else {
            panic!("not a delete_all: {parsed:?}");
        };
        assert_eq!(auth.signature, id.sign(b"delete_all1700000000000"));
        // Each member's entry counts only with its own signature of what it deleted.
        let members: Vec<Identity> = (1..=5u8)
            .map(|n| Identity::from_seed(Seed::from_legacy(&[n; 16])))
            .collect();
        let known: Vec<Ed25519Pub> = members[..4].iter().map(|m| m.ed25519_pub()).collect();
        let account = id.session_id();
        let signed = |m: &Identity, what: &str| {
            let s = format!("{}{what}", account);
            base64::engine::general_purpose::STANDARD.encode(m.sign(s.as_bytes()))
        };
        let entry = |m: &Identity, sig: Option<String>| {
            let sig = sig.map_or(String::new(), |s| format!(r#", "signature": "{s}""#));
            format!(
                r#""{}": {{"deleted": ["a", "b"]{sig}}}"#,
                m.ed25519_pub().to_hex()
            )
        };
        let body = format!(
            r#"{{"swarm": {{{}, {}, {}, {}, {}, "{}": {{"failed": true, "timeout": true}}}}}}"#,
            // account ‖ asked "a" "b" ‖ deleted "a" "b"
            entry(&members[0], Some(signed(&members[0], "abab"))),
            // Signed by another key, unsigned, over other hashes, not a swarm member.
            entry(&members[1], Some(signed(&members[2], "abab"))),
            entry(&members[2], None),
            entry(&members[3], Some(signed(&members[3], "abb"))),
            entry(&members[4], Some(signed(&members[4], "abab"))),
            "cd".repeat(32),
        );
        let asked = ["a".to_owned(), "b".to_owned()];
        let out = parse_delete(
            body.as_bytes(),
            &account,
            response::DeleteAsked::Hashes(&asked),
            &known,
        )
        .unwrap();
        assert_eq!(out.deleted, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!((out.confirmed, out.members), (1, 6));
        assert!(!out.complete());
        // delete_all: the timestamp of the request, not another.
        let body = format!(
            r#"{{"swarm": {{{}}}}}"#,
            entry(&members[0], Some(signed(&members[0], &format!("{NOW}ab"))))
        );
        let all = |t| {
            let asked = response::DeleteAsked::Timestamp(t);
            parse_delete(body.as_bytes(), &account, asked, &known).unwrap()
        };
        assert!(all(NOW).complete());
        assert_eq!(all(NOW + 1).confirmed, 0);
        assert!(all(NOW + 1).deleted.is_empty());
        // What a member says it deleted besides what was asked (signed, even) is not
        // reported; nor, of a delete_all, what has no hash's form (the "a" and "b" above).
        assert!(all(NOW).deleted.is_empty());
        let extra = r"\u001b[2J";
        let body = format!(
            r#"{{"swarm": {{"{}": {{"deleted": ["a", "{extra}"], "signature": "{}"}}}}}}"#,
            members[0].ed25519_pub().to_hex(),
            signed(&members[0], "aa\u{1b}[2J"),
        );
        let asked = ["a".to_owned()];
        let out = parse_delete(
            body.as_bytes(),
            &account,
            response::DeleteAsked::Hashes(&asked),
            &known,
        )
        .unwrap();
        assert_eq!((out.deleted, out.confirmed), (vec!["a".to_owned()], 1));
    }

    #[test]
    fn answers_are_decoded_with_what_is_wrong_and_where() {
        let err = parse_retrieve(br#"{"messages": [{"hash": 5}]}"#).unwrap_err();
        assert!(err.contains("retrieve") && err.contains("'hash'"), "{err}");
        let err = parse_swarm(b"<html>").unwrap_err();
        assert!(err.contains("get_swarm"), "{err}");
        let huge = vec![b' '; limits::MAX_REPLY_LEN + 1];
        let err = parse_node_list(&huge).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        assert_eq!(time_of(br#"{"t": 12, "hf": [19, 3]}"#), Some(12));
        assert_eq!(time_of(b"Timestamp error: check your clock"), None);
        assert_eq!(
            info_time(br#"{"version": [2, 11, 0], "timestamp": 9}"#),
            Some(9)
        );
    }

    #[test]
    fn a_store_answer_must_name_the_computed_hash() {
        let answer = |json: &str| response::decode::<StoreResponse>(json.as_bytes()).unwrap();
        assert!(check_store_answer(&answer(r#"{"hash": "abc", "swarm": {}}"#), "abc").is_ok());
        assert!(check_store_answer(&answer(r#"{"swarm": {"k": {"hash": "abc"}}}"#), "abc").is_ok());
        assert!(check_store_answer(&answer(r#"{"hash": "abd", "swarm": {}}"#), "abc").is_err());
        // A store answer without its members' entries is not a store answer.
        assert!(response::decode::<StoreResponse>(br#"{"hash": "abc"}"#).is_err());
        assert!(check_store_answer(&answer(r#"{"swarm": {}}"#), "abc").is_err());
    }
}
