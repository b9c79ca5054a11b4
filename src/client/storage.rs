//! The storage RPC calls: store and retrieve on an account's swarm, and the one place that
//! builds and reads the JSON of the storage RPC methods the client uses (`store`,
//! `retrieve`, `get_swarm`, `info`, `get_n_service_nodes` and `oxend_request`), to be swapped
//! for the typed codec of `crate::rpc` in one go.
//!
//! What a member returns is checked, not believed: a stored message's hash must be the one
//! computed here ([`crate::rpc::message_hash`]); retrieved messages are named by the hash
//! computed from their data, and those whose timestamp no swarm could still hold are dropped
//! ([`plausible_timestamp`]).

use super::*;

/// How far in the future a message's timestamp may lie: the network's clock window (±60 s,
/// protocol.md §4.7; a store's own timestamp may be at most 10 s ahead of the node's clock).
pub(crate) const FUTURE_WINDOW_MS: u64 = 60_000;
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

// ---- the JSON of the storage RPC ---------------------------------------------------------

/// An onion request's payload: `{"method": …, "params": …}`.
pub(crate) fn rpc_payload(method: &str, params: Value) -> Vec<u8> {
    json!({"method": method, "params": params})
        .to_string()
        .into_bytes()
}

/// An `info` request.
pub(crate) fn info_request() -> Vec<u8> {
    rpc_payload("info", json!({}))
}

/// A direct guard test: `get_swarm` for a random account.
pub(crate) fn guard_test_request(pubkey: &SessionId) -> Vec<u8> {
    rpc_payload("get_swarm", get_swarm_params(pubkey))
}

pub(crate) fn get_swarm_params(pubkey: &SessionId) -> Value {
    json!({"pubkey": pubkey.to_string()})
}

/// The fields of a node list that sesh uses (libsession's, §5.1).
fn node_list_fields() -> Value {
    json!({
        "public_ip": true,
        "storage_port": true,
        "pubkey_x25519": true,
        "pubkey_ed25519": true,
        "requested_unlock_height": true,
        "height": true,
        "swarm_id": true,
        "storage_server_version": true,
    })
}

/// The seed request for the node list (§5.1). No `limit`: the whole list.
pub(crate) fn get_n_service_nodes_request() -> Vec<u8> {
    json!({
        "jsonrpc": "2.0",
        "method": "get_n_service_nodes",
        "params": {"active_only": true, "fields": node_list_fields()},
    })
    .to_string()
    .into_bytes()
}

/// The same question put to a service node: the params of an `oxend_request` for
/// `get_service_nodes` (§5.2, §5.3).
pub(crate) fn oxend_node_list_params() -> Value {
    json!({
        "endpoint": "get_service_nodes",
        "params": {"active_only": true, "fields": node_list_fields()},
    })
}

/// [`oxend_node_list_params`] as a direct request's body.
pub(crate) fn oxend_node_list_request() -> Vec<u8> {
    rpc_payload("oxend_request", oxend_node_list_params())
}

/// A pool from a node list answer (a seed's JSON-RPC answer, or a node's `oxend_request`
/// answer), without nodes that report version 0 (libsession, §5.5).
pub(crate) fn parse_node_list(v: &Value) -> Result<SnodePool, String> {
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(format!("JSON-RPC error {}", shorten(&err.to_string())));
    }
    let (pool, _dropped) = SnodePool::from_get_n_service_nodes(v).map_err(|e| e.to_string())?;
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
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("not JSON: {e}"))?;
    parse_node_list(&v)
}

/// A node's direct HTTP answer to [`oxend_node_list_request`].
pub(crate) fn parse_node_reply(reply: &crate::transport::Reply) -> Result<SnodePool, String> {
    if reply.status != 200 {
        return Err(format!("HTTP status {}", reply.status));
    }
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("not JSON: {e}"))?;
    parse_node_list(&v)
}

/// A `get_swarm` answer (or a 421's body).
pub(crate) fn parse_swarm(v: &Value) -> Result<Swarm, String> {
    Swarm::from_get_swarm(v).map_err(|e| e.to_string())
}

/// The node's time in an answer: its `"t"`, or the last `"t"` of batch subresults.
pub(crate) fn time_of(body: &Value) -> Option<u64> {
    body.get("t").and_then(Value::as_u64).or_else(|| {
        body.get("results")?
            .as_array()?
            .iter()
            .filter_map(|r| r.get("body")?.get("t")?.as_u64())
            .next_back()
    })
}

/// The time in an `info` answer (`"t"`, or `"timestamp"`).
pub(crate) fn info_time(body: &Value) -> Option<u64> {
    body.get("t")
        .or_else(|| body.get("timestamp"))
        .and_then(Value::as_u64)
}

/// The time in a raw JSON answer (a direct request's body).
pub(crate) fn parse_time(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(time_of)
}

pub(crate) fn store_params(
    to: &SessionId,
    data_b64: &str,
    ttl_ms: u64,
    timestamp_ms: u64,
) -> Value {
    json!({
        "pubkey": to.to_string(),
        "namespace": 0,
        "timestamp": timestamp_ms,
        "ttl": ttl_ms,
        "data": data_b64,
    })
}

/// The hash a `store` answer gives: the top-level copy, else the first member's.
pub(crate) fn store_hash(body: &Value) -> Option<&str> {
    body.get("hash").and_then(Value::as_str).or_else(|| {
        body.get("swarm")?
            .as_object()?
            .values()
            .find_map(|v| v.get("hash")?.as_str())
    })
}

pub(crate) fn retrieve_params(
    identity: &Identity,
    namespace: Namespace,
    now: u64,
    last_hash: String,
) -> Value {
    let mut p = auth::request_fields(identity, "retrieve", namespace, now);
    // Sent even for namespace 0, where the server would assume it.
    p.insert("namespace".into(), namespace.0.into());
    p.insert("last_hash".into(), last_hash.into());
    Value::Object(p)
}

/// One entry of a `retrieve` answer, as the node gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawMessage {
    pub(crate) hash: String,
    pub(crate) timestamp_ms: u64,
    pub(crate) expiration_ms: u64,
    pub(crate) data: String,
}

/// A `retrieve` answer: its messages and `more`.
pub(crate) fn parse_retrieve(body: &Value) -> Result<(Vec<RawMessage>, bool), String> {
    let entries = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("no 'messages' array")?;
    let mut messages = Vec::with_capacity(entries.len());
    for m in entries {
        let field = |k: &str| m.get(k).ok_or_else(|| format!("a message has no '{k}'"));
        let num = |k: &str| {
            field(k)?
                .as_u64()
                .ok_or_else(|| format!("a message's '{k}' is not a number"))
        };
        let text = |k: &str| {
            field(k)?
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("a message's '{k}' is not a string"))
        };
        messages.push(RawMessage {
            hash: text("hash")?,
            timestamp_ms: num("timestamp")?,
            expiration_ms: num("expiration")?,
            data: text("data")?,
        });
    }
    let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
    Ok((messages, more))
}

// ---- policy ------------------------------------------------------------------------------

/// Whether a message timestamped `timestamp_ms` may still be held by a swarm at network time
/// `now_ms`: not older than the longest TTL (plus [`EXPIRY_MARGIN_MS`]), not later than the
/// clock window ([`FUTURE_WINDOW_MS`]). A member that serves anything else is replaying or
/// forging.
pub(crate) fn plausible_timestamp(timestamp_ms: u64, now_ms: u64) -> bool {
    let oldest = now_ms.saturating_sub(*TTL_RANGE_MS.end() + EXPIRY_MARGIN_MS);
    (oldest..=now_ms.saturating_add(FUTURE_WINDOW_MS)).contains(&timestamp_ms)
}

/// Checks a retrieve's messages: each named by the hash computed from its data, those with
/// undecodable data or an implausible timestamp dropped. Returns the kept messages and how
/// many were dropped.
pub(crate) fn vet_messages(
    account: &SessionId,
    namespace: Namespace,
    raw: Vec<RawMessage>,
    now_ms: u64,
) -> (Vec<RetrievedMessage>, usize) {
    let pubkey = account.to_bytes();
    let mut kept = Vec::with_capacity(raw.len());
    let mut dropped = 0;
    for m in raw {
        let data = base64::engine::general_purpose::STANDARD.decode(m.data.trim());
        match data {
            Ok(data) if plausible_timestamp(m.timestamp_ms, now_ms) => {
                kept.push(RetrievedMessage {
                    hash: crate::rpc::message_hash(&pubkey, namespace, &data),
                    node_hash: m.hash,
                    timestamp_ms: m.timestamp_ms,
                    expiration_ms: m.expiration_ms,
                    data: m.data,
                });
            }
            _ => dropped += 1,
        }
    }
    (kept, dropped)
}

/// Whether a `store` answer confirms the hash computed locally.
pub(crate) fn check_store_answer(body: &Value, expected: &str) -> Result<(), String> {
    match store_hash(body) {
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
        if data_b64.is_empty() || data_b64.len() > MAX_STORE_DATA_B64 {
            return Err(Error::InvalidInput(format!(
                "message data must be 1 to {MAX_STORE_DATA_B64} base64 characters, not {}",
                data_b64.len()
            )));
        }
        if !TTL_RANGE_MS.contains(&ttl_ms) {
            return Err(Error::InvalidInput(format!(
                "TTL {ttl_ms} ms is outside 10 s to 14 days"
            )));
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(data_b64)
            .map_err(|e| Error::InvalidInput(format!("message data is not base64: {e}")))?;
        let expected = crate::rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
        let params = store_params(to, data_b64, ttl_ms, timestamp_ms);
        let (node, _body) = self
            .swarm_request(
                to,
                "store",
                |_, _| params.clone(),
                |body| check_store_answer(body, &expected),
            )
            .await?;
        Ok(StoreOutcome {
            hash: expected,
            node: node.ed25519,
        })
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
        let params = |node: &Snode, now: u64| {
            retrieve_params(identity, namespace, now, last_hash(&node.ed25519))
        };
        let (node, body) = self
            .swarm_request(&account, "retrieve", params, |body| {
                parse_retrieve(body).map(|_| ())
            })
            .await?;
        let (raw, more) = parse_retrieve(&body).map_err(|reason| Error::BadAnswer {
            node: short_key(&node.ed25519),
            method: "retrieve".into(),
            reason,
        })?;
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

    fn raw(hash: &str, ts: u64, data: &[u8]) -> RawMessage {
        RawMessage {
            hash: hash.into(),
            timestamp_ms: ts,
            expiration_ms: ts + DAY,
            data: b64(data),
        }
    }

    #[test]
    fn timestamps_outside_what_a_swarm_holds_are_implausible() {
        assert!(plausible_timestamp(NOW, NOW));
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
                RawMessage {
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
    fn a_store_answer_must_name_the_computed_hash() {
        assert!(check_store_answer(&json!({"hash": "abc"}), "abc").is_ok());
        assert!(check_store_answer(&json!({"swarm": {"k": {"hash": "abc"}}}), "abc").is_ok());
        assert!(check_store_answer(&json!({"hash": "abd"}), "abc").is_err());
        assert!(check_store_answer(&json!({}), "abc").is_err());
    }
}
