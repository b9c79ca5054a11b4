//! Storage RPC answers as typed values: what a node sends back for each method, decoded from
//! bytes with a size bound, and encoded by the node from the same structs.
//!
//! Shapes follow session-storage-server `oxenss/rpc/request_handler.cpp` (protocol.md §4.3,
//! §4.5, §5.1, §15.4). Every field a node adds that sesh does not use is ignored on decode;
//! `t` and `hf` (the node's clock and hard fork, SS `add_misc_response_fields`) are kept where
//! a node sends them.
//!
//! # Security
//! Everything here comes from a node, which may lie: [`decode`] only checks that an answer
//! has the right shape and stays within the limits of [`super::limits`]. Whether to believe
//! it (a swarm list, a hash) is the caller's decision.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::limits::{MAX_DATA_B64_LEN, MAX_REPLY_LEN};
use crate::identity::{Ed25519Pub, X25519Pub};
use crate::swarm::{INVALID_SWARM_ID, Snode, SnodeParseError, Swarm};

/// Why an answer did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The answer is larger than [`MAX_REPLY_LEN`] (or the bound given).
    #[error("{what} answer is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Which answer.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The answer is not JSON of the expected shape; `reason` names the field.
    #[error("invalid {what} answer: {reason}")]
    Invalid {
        /// Which answer.
        what: &'static str,
        /// What is wrong and where (`in 'messages': in 'hash': invalid type: …`).
        reason: String,
    },
}

/// An answer type [`decode`] reads.
pub trait Answer: DeserializeOwned {
    /// Its name in errors (`"retrieve"`).
    const WHAT: &'static str;

    /// Checks beyond the shape (limits); the error names the field.
    ///
    /// # Errors
    /// A description of what breaks a limit.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Decodes an answer of at most [`MAX_REPLY_LEN`] bytes.
///
/// # Errors
/// [`DecodeError`] for a too large, malformed or out-of-limits answer.
pub fn decode<T: Answer>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_bounded(bytes, MAX_REPLY_LEN)
}

/// Decodes an answer of at most `max` bytes.
///
/// # Errors
/// As [`decode`].
pub fn decode_bounded<T: Answer>(bytes: &[u8], max: usize) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            what: T::WHAT,
            len: bytes.len(),
            max,
        });
    }
    let invalid = |reason: String| DecodeError::Invalid {
        what: T::WHAT,
        reason,
    };
    let value: T = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    value.check().map_err(invalid)?;
    Ok(value)
}

/// `deserialize_with` helpers that put the field's name in front of an error.
mod named {
    macro_rules! fields {
        ($($name:ident),* $(,)?) => {$(
            #[allow(non_snake_case, dead_code)]
            pub(crate) fn $name<'de, D, T>(d: D) -> Result<T, D::Error>
            where
                D: serde::Deserializer<'de>,
                T: serde::Deserialize<'de>,
            {
                T::deserialize(d).map_err(|e| {
                    // serde_json adds the position again on the way out: keep one.
                    let text = e.to_string();
                    let text = text.split(" at line ").next().unwrap_or_default();
                    serde::de::Error::custom(format_args!("in '{}': {text}", stringify!($name)))
                })
            }
        )*};
    }
    fields!(
        messages,
        hash,
        timestamp,
        expiration,
        data,
        more,
        t,
        hf,
        swarm,
        snodes,
        version,
        service_node_states,
        results,
        code,
        body,
        result,
        expiry,
        signature,
    );
}

/// The node's clock and hard fork, which most answers carry. Each answer has them as its own
/// `t` and `hf` fields (not flattened: serde would buffer the whole answer to flatten them);
/// `misc()` on an answer gives them together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misc {
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

macro_rules! misc_accessors {
    ($($ty:ident $(<$g:ident>)?),* $(,)?) => {$(
        impl$(<$g>)? $ty$(<$g>)? {
            /// The node's clock and hard fork, as this answer carries them.
            pub fn misc(&self) -> Misc {
                Misc {
                    t: self.t,
                    hf: self.hf.clone(),
                }
            }

            /// Sets `t` and `hf` (the node's side).
            #[must_use]
            pub fn with_misc(mut self, misc: Misc) -> Self {
                self.t = misc.t;
                self.hf = misc.hf;
                self
            }
        }
    )*};
}

misc_accessors!(
    StoreResponse,
    RetrieveResponse,
    SwarmResponse,
    InfoResponse,
    OxendResponse<T>,
);

/// Only the node's clock of any answer (`{"t": …}`; everything else is ignored): what a client
/// learns the network time from, whatever the method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTime {
    /// The node's time, ms since the epoch.
    #[serde(default, deserialize_with = "named::t")]
    pub t: Option<u64>,
}

impl Answer for NodeTime {
    const WHAT: &'static str = "node time";
}

// ---------------------------------------------------------------------------------------------
// store (and the swarm dict of every recursive request)
// ---------------------------------------------------------------------------------------------

/// One member's entry of the `swarm` dict of a recursive request's answer: for a store its
/// hash and signature; for a delete or expire what it deleted or updated; or why it failed.
/// ([`SwarmEntry`] is the same type.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEntry {
    /// The hash the member gave the message (43 characters of unpadded base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hash")]
    pub hash: Option<String>,
    /// The member's Ed25519 signature of `hash`, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::signature")]
    pub signature: Option<String>,
    /// When the message expires there, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::expiry")]
    pub expiry: Option<u64>,
    /// The member had it already.
    #[serde(default, skip_serializing_if = "is_false")]
    pub already: bool,
    /// `delete*`: the hashes deleted (by namespace for `"namespace": "all"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
    /// `expire*`: the hashes whose expiry changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Vec<String>>,
    /// `expire`: the hashes left as they were, with their expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<BTreeMap<String, u64>>,
    /// The member failed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Its HTTP status, when it failed with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Its error text, when it failed with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// It did not answer in time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
    /// It could not be reached.
    #[serde(default, skip_serializing_if = "is_false")]
    pub query_failure: bool,
    /// Its answer did not parse.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bad_peer_response: bool,
}

/// Any member's entry of a recursive request's `swarm` dict.
pub type SwarmEntry = StoreEntry;

/// What a `delete` or `delete_all` asked, which each member's answer signs after the account.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DeleteAsked<'a> {
    /// `delete`: the requested hashes, in the request's order.
    Hashes(&'a [String]),
    /// `delete_all`: the request's timestamp (ms).
    Timestamp(u64),
}

/// The string a member signs in its entry of a `delete`/`delete_all` answer (SS
/// `client_rpc_endpoints.h`): the account's Session ID in hex ‖ the request's hashes (delete)
/// or its timestamp in decimal (delete_all) ‖ the deleted hashes, in the entry's order; for
/// lists by namespace, namespace after namespace in numeric order.
pub(crate) fn delete_signed_string(
    account: &[u8; 33],
    asked: DeleteAsked<'_>,
    deleted: &Deleted,
) -> Vec<u8> {
    let mut out = hex::encode(account).into_bytes();
    match asked {
        DeleteAsked::Hashes(h) => h.iter().for_each(|h| out.extend_from_slice(h.as_bytes())),
        DeleteAsked::Timestamp(t) => out.extend_from_slice(t.to_string().as_bytes()),
    }
    match deleted {
        Deleted::List(l) => l.iter().for_each(|h| out.extend_from_slice(h.as_bytes())),
        Deleted::ByNamespace(m) => {
            let mut by_ns: Vec<(i64, &Vec<String>)> = m
                .iter()
                .map(|(k, v)| (k.parse().unwrap_or(i64::MAX), v))
                .collect();
            by_ns.sort_by_key(|(n, _)| *n);
            for (_, l) in by_ns {
                l.iter().for_each(|h| out.extend_from_slice(h.as_bytes()));
            }
        }
    }
    out
}

/// Whether `entry`, the entry of swarm member `member` (its Ed25519 key, as the client knows
/// it from the swarm's list, not as the answer names it) in a `delete`/`delete_all` answer for
/// `account`, confirms a deletion: it has not failed, lists what it deleted, and carries
/// `member`'s Ed25519 signature (standard base64) of [`delete_signed_string`]. A missing,
/// malformed or wrong signature, or one over other hashes, confirms nothing.
pub(crate) fn delete_entry_verifies(
    account: &[u8; 33],
    asked: DeleteAsked<'_>,
    member: &Ed25519Pub,
    entry: &StoreEntry,
) -> bool {
    let (Some(deleted), Some(sig), false) = (&entry.deleted, &entry.signature, entry.failed) else {
        return false;
    };
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig.as_bytes()) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
        return false;
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&member.0) else {
        return false;
    };
    key.verify_strict(
        &delete_signed_string(account, asked, deleted),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .is_ok()
}

/// What a member deleted: a list, or lists by namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Deleted {
    /// The hashes (one namespace).
    List(Vec<String>),
    /// The hashes by namespace (decimal keys).
    ByNamespace(BTreeMap<String, Vec<String>>),
}

/// Chooses the variant by the JSON's first token and parses straight into it (a derived
/// `untagged` would first buffer the value into serde's private tree to try each variant).
impl<'de> Deserialize<'de> for Deleted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Deleted;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of hashes or an object of them by namespace")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Deleted, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Deleted::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Deleted, A::Error> {
                BTreeMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Deleted::ByNamespace)
            }
        }
        d.deserialize_any(V)
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

impl Answer for StoreEntry {
    const WHAT: &'static str = "swarm member";
}

impl StoreEntry {
    /// A successful entry.
    pub fn stored(hash: String, signature: String, expiry: u64, already: bool) -> Self {
        Self {
            hash: Some(hash),
            signature: Some(signature),
            expiry: Some(expiry),
            already,
            ..Self::default()
        }
    }

    /// Whether the member stored it (no failure and a hash).
    pub fn is_stored(&self) -> bool {
        !self.failed && self.hash.is_some()
    }
}

/// A `store` answer: the hash (from the node asked) and each member's entry, keyed by the
/// member's Ed25519 key (hex).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreResponse {
    /// Each member's entry.
    #[serde(deserialize_with = "named::swarm")]
    pub swarm: BTreeMap<String, StoreEntry>,
    /// The hash, as the node asked computed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hash")]
    pub hash: Option<String>,
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The node's hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

impl Answer for StoreResponse {
    const WHAT: &'static str = "store";
}

// ---------------------------------------------------------------------------------------------
// retrieve
// ---------------------------------------------------------------------------------------------

/// One message of a `retrieve` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrievedMessage {
    /// The hash the node gives it.
    #[serde(deserialize_with = "named::hash")]
    pub hash: String,
    /// The sender's timestamp, ms.
    #[serde(deserialize_with = "named::timestamp")]
    pub timestamp: u64,
    /// When it expires, ms.
    #[serde(deserialize_with = "named::expiration")]
    pub expiration: u64,
    /// The stored bytes, base64 (at most [`MAX_DATA_B64_LEN`] characters).
    #[serde(deserialize_with = "named::data")]
    pub data: String,
}

impl RetrievedMessage {
    /// A message with these bytes (base64-encoded here).
    pub fn new(hash: String, timestamp: u64, expiration: u64, data: &[u8]) -> Self {
        Self {
            hash,
            timestamp,
            expiration,
            data: base64::engine::general_purpose::STANDARD.encode(data),
        }
    }

    /// The stored bytes.
    ///
    /// # Errors
    /// When `data` is not base64.
    pub fn data_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(self.data.as_bytes())
    }
}

/// A `retrieve` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrieveResponse {
    /// The messages, oldest first.
    #[serde(deserialize_with = "named::messages")]
    pub messages: Vec<RetrievedMessage>,
    /// Whether more messages are waiting.
    #[serde(default, deserialize_with = "named::more")]
    pub more: bool,
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The node's hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

impl Answer for RetrieveResponse {
    const WHAT: &'static str = "retrieve";

    fn check(&self) -> Result<(), String> {
        for (i, m) in self.messages.iter().enumerate() {
            if m.data.len() > MAX_DATA_B64_LEN {
                return Err(format!(
                    "in 'messages[{i}]': in 'data': {} base64 characters, more than {MAX_DATA_B64_LEN}",
                    m.data.len()
                ));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// get_swarm (and the body of a 421)
// ---------------------------------------------------------------------------------------------

/// A port as a number or a decimal string (`"port": "22021"`, `"port_https": 22021`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Port {
    /// A number.
    Number(u16),
    /// A decimal string.
    Text(
        #[serde(
            serialize_with = "port_text::serialize",
            deserialize_with = "port_text::deserialize"
        )]
        u16,
    ),
}

impl Port {
    /// The port number.
    pub fn get(self) -> u16 {
        match self {
            Self::Number(p) | Self::Text(p) => p,
        }
    }
}

mod port_text {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub(super) fn serialize<S: Serializer>(p: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(p)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One member of a `get_swarm` answer (protocol.md §4.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmMember {
    /// The legacy `<base32z>.snode` address (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The legacy key, hex (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey_legacy: Option<String>,
    /// The Ed25519 key, hex ("" when unknown).
    #[serde(default)]
    pub pubkey_ed25519: String,
    /// The X25519 key, hex ("" when unknown).
    #[serde(default)]
    pub pubkey_x25519: String,
    /// The HTTPS port as a string (deprecated copy of `port_https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// The HTTPS port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_https: Option<Port>,
    /// The OxenMQ port (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_omq: Option<u16>,
    /// The QUIC port (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_quic: Option<u16>,
    /// The IPv4 address ("" or "0.0.0.0" without an uptime proof).
    #[serde(default)]
    pub ip: String,
}

impl SwarmMember {
    /// The entry a node lists for `n`.
    pub fn of(n: &Snode) -> Self {
        Self {
            pubkey_ed25519: n.ed25519.to_hex(),
            pubkey_x25519: n.x25519.to_hex(),
            port: Some(Port::Text(n.port)),
            port_https: Some(Port::Number(n.port)),
            ip: n.ip.to_string(),
            ..Self::default()
        }
    }

    /// The member as a node of swarm `swarm_id`; `Ok(None)` when it is listed but unusable
    /// (no address, an empty key).
    ///
    /// # Errors
    /// [`SnodeParseError`] naming a malformed field.
    pub fn to_snode(&self, swarm_id: u64) -> Result<Option<Snode>, SnodeParseError> {
        let bad = |field: &'static str, value: &str| SnodeParseError::Invalid {
            field,
            value: shorten(value),
        };
        if self.ip.is_empty() {
            return Ok(None);
        }
        let ip: Ipv4Addr = self.ip.parse().map_err(|_| bad("ip", &self.ip))?;
        let port = self
            .port_https
            .or(self.port)
            .ok_or(SnodeParseError::Missing("port"))?
            .get();
        if self.pubkey_ed25519.is_empty() || self.pubkey_x25519.is_empty() {
            return Ok(None);
        }
        let ed25519: Ed25519Pub = self
            .pubkey_ed25519
            .parse()
            .map_err(|_| bad("pubkey_ed25519", &self.pubkey_ed25519))?;
        let x25519: X25519Pub = self
            .pubkey_x25519
            .parse()
            .map_err(|_| bad("pubkey_x25519", &self.pubkey_x25519))?;
        Ok(Some(Snode {
            ed25519,
            x25519,
            ip,
            port,
            swarm_id,
            version: None,
        })
        .filter(Snode::is_usable))
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(77).collect();
    if out.len() < s.len() {
        out.push_str("...");
    }
    out
}

/// A `get_swarm` answer, also the body of a 421 (protocol.md §4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmResponse {
    /// The members.
    #[serde(deserialize_with = "named::snodes")]
    pub snodes: Vec<SwarmMember>,
    /// The swarm id, lowercase hex, not zero-padded (`ffffffffffffffff` for none).
    #[serde(default = "invalid_swarm_hex", deserialize_with = "named::swarm")]
    pub swarm: String,
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The node's hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

fn invalid_swarm_hex() -> String {
    format!("{INVALID_SWARM_ID:x}")
}

impl SwarmResponse {
    /// The answer a node gives for swarm `id` (none: [`INVALID_SWARM_ID`], no members).
    pub fn of(id: Option<u64>, members: &[&Snode]) -> Self {
        Self {
            snodes: members.iter().map(|n| SwarmMember::of(n)).collect(),
            swarm: format!("{:x}", id.unwrap_or(INVALID_SWARM_ID)),
            t: None,
            hf: None,
        }
    }

    /// The swarm id.
    ///
    /// # Errors
    /// [`SnodeParseError::Invalid`] when `swarm` is not hex.
    pub fn swarm_id(&self) -> Result<u64, SnodeParseError> {
        u64::from_str_radix(&self.swarm, 16).map_err(|_| SnodeParseError::Invalid {
            field: "swarm",
            value: shorten(&self.swarm),
        })
    }

    /// The swarm, its unusable members dropped.
    ///
    /// # Errors
    /// [`SnodeParseError`] for a malformed id or member.
    pub fn to_swarm(&self) -> Result<Swarm, SnodeParseError> {
        let id = self.swarm_id()?;
        let mut members = Vec::with_capacity(self.snodes.len());
        for m in &self.snodes {
            if let Some(s) = m.to_snode(id)? {
                members.push(s);
            }
        }
        Ok(Swarm { id, members })
    }
}

impl Answer for SwarmResponse {
    const WHAT: &'static str = "get_swarm";
}

// ---------------------------------------------------------------------------------------------
// info
// ---------------------------------------------------------------------------------------------

/// An `info` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoResponse {
    /// The storage server version `[major, minor, patch]`.
    #[serde(deserialize_with = "named::version")]
    pub version: Vec<u16>,
    /// The node's time, ms.
    #[serde(deserialize_with = "named::timestamp")]
    pub timestamp: u64,
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The node's hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

impl Answer for InfoResponse {
    const WHAT: &'static str = "info";
}

// ---------------------------------------------------------------------------------------------
// get_n_service_nodes (seeds, and oxend_request get_service_nodes)
// ---------------------------------------------------------------------------------------------

/// One `service_node_states` entry (protocol.md §5.1). Every field is optional: a client asks
/// for the ones it wants, and a node without an uptime proof has an empty address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceNodeState {
    /// Its public IPv4 address ("" or "0.0.0.0" without an uptime proof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// Its HTTPS port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_port: Option<Port>,
    /// Its OxenMQ port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_lmq_port: Option<u16>,
    /// Its Ed25519 key, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey_ed25519: Option<String>,
    /// Its X25519 key, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey_x25519: Option<String>,
    /// Its swarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm_id: Option<u64>,
    /// Its storage server version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_server_version: Option<[u16; 3]>,
    /// Set when it is leaving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_unlock_height: Option<u64>,
}

impl ServiceNodeState {
    /// The full entry a node lists for `n`.
    pub fn of(n: &Snode, default_version: [u16; 3]) -> Self {
        Self {
            public_ip: Some(n.ip.to_string()),
            storage_port: Some(Port::Number(n.port)),
            storage_lmq_port: Some(0),
            pubkey_ed25519: Some(n.ed25519.to_hex()),
            pubkey_x25519: Some(n.x25519.to_hex()),
            swarm_id: Some(n.swarm_id),
            storage_server_version: Some(n.version.unwrap_or(default_version)),
            requested_unlock_height: Some(0),
        }
    }

    /// Keeps only the fields named (unknown names are ignored).
    #[must_use]
    pub fn only(self, fields: &[&str]) -> Self {
        let keep = |name: &str| fields.contains(&name);
        Self {
            public_ip: self.public_ip.filter(|_| keep("public_ip")),
            storage_port: self.storage_port.filter(|_| keep("storage_port")),
            storage_lmq_port: self.storage_lmq_port.filter(|_| keep("storage_lmq_port")),
            pubkey_ed25519: self.pubkey_ed25519.filter(|_| keep("pubkey_ed25519")),
            pubkey_x25519: self.pubkey_x25519.filter(|_| keep("pubkey_x25519")),
            swarm_id: self.swarm_id.filter(|_| keep("swarm_id")),
            storage_server_version: self
                .storage_server_version
                .filter(|_| keep("storage_server_version")),
            requested_unlock_height: self
                .requested_unlock_height
                .filter(|_| keep("requested_unlock_height")),
        }
    }

    /// The node, or `Ok(None)` when it is listed but unusable (protocol.md §5.1).
    ///
    /// # Errors
    /// [`SnodeParseError`] naming a missing or malformed field.
    pub fn to_snode(&self) -> Result<Option<Snode>, SnodeParseError> {
        let bad = |field: &'static str, value: &str| SnodeParseError::Invalid {
            field,
            value: shorten(value),
        };
        let Some(ip) = self.public_ip.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad("public_ip", ip))?;
        let port = self
            .storage_port
            .ok_or(SnodeParseError::Missing("storage_port"))?
            .get();
        let ed = self
            .pubkey_ed25519
            .as_deref()
            .ok_or(SnodeParseError::Missing("pubkey_ed25519"))?;
        let x = self
            .pubkey_x25519
            .as_deref()
            .ok_or(SnodeParseError::Missing("pubkey_x25519"))?;
        if ed.is_empty() || x.is_empty() {
            return Ok(None);
        }
        let ed25519: Ed25519Pub = ed.parse().map_err(|_| bad("pubkey_ed25519", ed))?;
        let x25519: X25519Pub = x.parse().map_err(|_| bad("pubkey_x25519", x))?;
        Ok(Some(Snode {
            ed25519,
            x25519,
            ip,
            port,
            swarm_id: self.swarm_id.unwrap_or(INVALID_SWARM_ID),
            version: self.storage_server_version,
        })
        .filter(Snode::is_usable))
    }
}

/// The `result` of `get_n_service_nodes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceNodes {
    /// The nodes.
    #[serde(deserialize_with = "named::service_node_states")]
    pub service_node_states: Vec<ServiceNodeState>,
    /// The chain height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// The height being synced to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_height: Option<u64>,
    /// The hard fork.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardfork: Option<u16>,
    /// The snode revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snode_revision: Option<u16>,
    /// "OK".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl ServiceNodes {
    /// The usable nodes, and how many entries were dropped as unusable or malformed.
    pub fn usable(&self) -> (Vec<Snode>, usize) {
        let nodes: Vec<Snode> = self
            .service_node_states
            .iter()
            .filter_map(|s| s.to_snode().ok().flatten())
            .collect();
        let dropped = self.service_node_states.len() - nodes.len();
        (nodes, dropped)
    }
}

/// A JSON-RPC request id: a number, a string or null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonRpcId {
    /// A number.
    Number(i64),
    /// A string.
    Text(String),
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonRpcError {
    /// The error code (−32700 parse error, −32601 method not found).
    pub code: i64,
    /// Its text.
    pub message: String,
}

/// A seed's JSON-RPC answer: `{"jsonrpc": "2.0", "id": …, "result": …}` or `"error"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct JsonRpcReply<T> {
    /// "2.0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonrpc: Option<String>,
    /// The request's id.
    #[serde(default)]
    pub id: Option<JsonRpcId>,
    /// The answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::result")]
    pub result: Option<T>,
    /// Or the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonRpcError>,
}

impl Answer for JsonRpcReply<ServiceNodes> {
    const WHAT: &'static str = "get_n_service_nodes";

    fn check(&self) -> Result<(), String> {
        match (&self.result, &self.error) {
            (Some(_), _) => Ok(()),
            (None, Some(e)) => Err(format!("error {}: {}", e.code, e.message)),
            (None, None) => Err("no 'result'".into()),
        }
    }
}

/// The `result` of an `oxend_request` to a node (`{"result": …}` plus `t`, `hf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct OxendResponse<T> {
    /// oxend's answer.
    #[serde(deserialize_with = "named::result")]
    pub result: T,
    /// The node's time, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::t")]
    pub t: Option<u64>,
    /// The node's hard fork version `[major, minor]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "named::hf")]
    pub hf: Option<Vec<u16>>,
}

impl Answer for OxendResponse<ServiceNodes> {
    const WHAT: &'static str = "oxend_request get_service_nodes";
}

/// oxend's `ons_resolve` result: both fields absent when no name is registered (protocol.md
/// §9); other fields (`expiration_height`, …) are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnsResolved {
    /// The encrypted Session ID, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_value: Option<String>,
    /// The nonce, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// The most hex characters of an `ons_resolve` field sesh reads (a Session ID record is 98).
pub const MAX_ONS_FIELD_LEN: usize = 512;

impl Answer for OxendResponse<OnsResolved> {
    const WHAT: &'static str = "oxend_request ons_resolve";

    fn check(&self) -> Result<(), String> {
        let long = |f: &Option<String>| f.as_ref().is_some_and(|v| v.len() > MAX_ONS_FIELD_LEN);
        if long(&self.result.encrypted_value) || long(&self.result.nonce) {
            return Err(format!(
                "in 'result': a field over {MAX_ONS_FIELD_LEN} characters"
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// batch and sequence
// ---------------------------------------------------------------------------------------------

/// A subrequest's body: the typed answer on success, the node's text otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SubBody<T> {
    /// The answer.
    Ok(T),
    /// A plain-text error.
    Text(String),
}

/// A string is the text, an object the answer, parsed straight into `T` (a derived `untagged`
/// would first buffer the whole body, every retrieved message included, to try each variant).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for SubBody<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = SubBody<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an answer object or an error text")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SubBody<T>, E> {
                Ok(SubBody::Text(s.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<SubBody<T>, E> {
                Ok(SubBody::Text(s))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SubBody<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(SubBody::Ok)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// One subrequest's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct SubResult<T> {
    /// Its HTTP status.
    #[serde(deserialize_with = "named::code")]
    pub code: u16,
    /// Its body.
    #[serde(deserialize_with = "named::body")]
    pub body: SubBody<T>,
}

/// A `batch` or `sequence` answer whose subrequests all answer `T` (a sequence stops at the
/// first failure, so it may have fewer results than requests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct BatchResponse<T> {
    /// One result per subrequest answered, in order.
    #[serde(deserialize_with = "named::results")]
    pub results: Vec<SubResult<T>>,
}

impl<T: Answer> Answer for BatchResponse<T> {
    const WHAT: &'static str = "batch";

    fn check(&self) -> Result<(), String> {
        if self.results.len() > super::limits::MAX_SUBREQUESTS {
            return Err(format!(
                "in 'results': {} results, more than {}",
                self.results.len(),
                super::limits::MAX_SUBREQUESTS
            ));
        }
        for (i, r) in self.results.iter().enumerate() {
            if let SubBody::Ok(body) = &r.body {
                body.check()
                    .map_err(|e| format!("in 'results[{i}]': {e}"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
