//! The storage RPC calls: store and retrieve on an account's swarm.

use super::*;

/// Where a `store` landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOutcome {
    /// The message hash the swarm gave it (§4.6): the same for the same data, so a repeated
    /// store never makes a second message.
    pub hash: String,
    /// The swarm member that took it.
    pub node: Ed25519Pub,
}

/// One message as `retrieve` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrievedMessage {
    /// Its hash: the `last_hash` to continue after it.
    pub hash: String,
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
    /// The messages after `last_hash`, oldest first.
    pub messages: Vec<RetrievedMessage>,
    /// Whether more are waiting (retrieve again after the last one).
    pub more: bool,
    /// The swarm member that answered.
    pub node: Ed25519Pub,
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- storage RPC ---------------------------------------------------------------------

    /// Stores `data_b64` for `to` in namespace 0 (unsigned: anyone may store there, §4.4),
    /// with `ttl_ms` and the message's `timestamp_ms`, on a member of `to`'s swarm.
    ///
    /// The swarm names a message by the hash of its recipient and data (§4.6), so storing the
    /// same data again — as a retry after a lost answer does — yields the same hash and no
    /// second message.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty or oversized data or a TTL outside 10 s–14 days;
    /// [`Error::Refused`]/[`Error::BadRequest`] when the swarm refuses it; transient errors
    /// when no member could be reached.
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
        let params = json!({
            "pubkey": to.to_string(),
            "namespace": 0,
            "timestamp": timestamp_ms,
            "ttl": ttl_ms,
            "data": data_b64,
        });
        let (node, body) = self
            .swarm_request(to, "store", |_, _| params.clone())
            .await?;
        let hash = body
            .get("hash")
            .and_then(Value::as_str)
            .or_else(|| {
                body.get("swarm")?
                    .as_object()?
                    .values()
                    .find_map(|v| v.get("hash")?.as_str())
            })
            .ok_or_else(|| Error::BadAnswer {
                node: short_key(&node.ed25519),
                method: "store".into(),
                reason: "no message hash".into(),
            })?;
        Ok(StoreOutcome {
            hash: hash.to_owned(),
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
    /// (`getLastHashBySnode`), and its seen set removes repeats.
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
            let mut p = auth::request_fields(identity, "retrieve", namespace, now);
            // Sent even for namespace 0, where the server would assume it.
            p.insert("namespace".into(), namespace.0.into());
            p.insert("last_hash".into(), last_hash(&node.ed25519).into());
            Value::Object(p)
        };
        let (node, body) = self.swarm_request(&account, "retrieve", params).await?;
        let bad = |reason: String| Error::BadAnswer {
            node: short_key(&node.ed25519),
            method: "retrieve".into(),
            reason,
        };
        let entries = body
            .get("messages")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no 'messages' array".into()))?;
        let mut messages = Vec::with_capacity(entries.len());
        for m in entries {
            let field = |k: &str| {
                m.get(k)
                    .ok_or_else(|| bad(format!("a message has no '{k}'")))
            };
            let num = |k: &str| {
                field(k)?
                    .as_u64()
                    .ok_or_else(|| bad(format!("a message's '{k}' is not a number")))
            };
            let text = |k: &str| {
                field(k)?
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("a message's '{k}' is not a string")))
            };
            messages.push(RetrievedMessage {
                hash: text("hash")?,
                timestamp_ms: num("timestamp")?,
                expiration_ms: num("expiration")?,
                data: text("data")?,
            });
        }
        let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
        // Seen entries of messages the swarm has dropped can go (with a margin for lagging
        // clocks): they cannot be returned again.
        let now = self.network_now_ms();
        self.state
            .prune_seen(now.saturating_sub(SEEN_GRACE_MS))
            .map_err(Error::State)?;
        Ok(Retrieved {
            messages,
            more,
            node: node.ed25519,
        })
    }
}
