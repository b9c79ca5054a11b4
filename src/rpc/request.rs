//! Storage RPC requests as typed values: what a client sends and what a node reads.
//!
//! [`parse`] is the node's side: it decodes a `/storage_rpc/v1` body (or an onion request's
//! final payload) straight from bytes into a [`Request`], with the checks, their order and the
//! error texts of session-storage-server `oxenss/rpc/client_rpc_endpoints.cpp` (protocol.md §4,
//! §15). Untrusted JSON goes into fixed structs: the known fields of a params object, each a
//! JSON scalar or list (a private `Field`), and unknown fields are skipped, not kept.
//! `Serialize` is the client's side (and the node's, when it forwards a request to its swarm):
//! a [`Request`] serializes to `{"method": …, "params": {…}}` that [`parse`] reads back.
//!
//! # Format
//! ```text
//! POST /storage_rpc/v1
//! {"jsonrpc": "2.0" (ignored), "method": "<name>", "params": {…}}
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::Namespace;
pub use super::auth::{ExpireMode, Namespaces};
use super::limits::{
    MAX_DATA_B64_LEN, MAX_DATA_LEN as MAX_DATA, MAX_SUBREQUESTS, RETRIEVE_DEFAULT_SIZE_DIVISOR,
    RETRIEVE_MAX_SIZE,
};
pub use super::response::{JsonRpcId, ServiceNodes};

/// A user's storage key: a prefix byte (05, 03, …) and 32 key bytes.
pub type Pubkey = [u8; 33];

/// A refused request: the HTTP status and the plain-text body a storage server sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct RpcError {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub message: String,
}

impl RpcError {
    /// A refusal with `status` and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn parse(message: impl std::fmt::Display) -> Self {
        Self::new(400, format!("invalid request: {message}"))
    }
}

/// The authentication fields of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The Ed25519 signature.
    pub signature: [u8; 64],
    /// The account's Ed25519 key, required for `05` pubkeys.
    pub pubkey_ed25519: Option<[u8; 32]>,
}

/// `store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// Whose inbox.
    pub pubkey: Pubkey,
    /// The namespace.
    pub namespace: Namespace,
    /// The sender's timestamp, ms.
    pub timestamp: u64,
    /// When the message expires, ms.
    pub expiry: u64,
    /// The message bytes (decoded from base64).
    pub data: Vec<u8>,
    /// The signature timestamp (defaults to `timestamp`).
    pub sig_timestamp: u64,
    /// Authentication, required outside public namespaces.
    pub auth: Option<Auth>,
}

/// `retrieve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrieve {
    /// Whose inbox.
    pub pubkey: Pubkey,
    /// The namespace.
    pub namespace: Namespace,
    /// Return messages stored after this one ("" or absent: from the start).
    pub last_hash: Option<String>,
    /// At most this many messages.
    pub max_count: Option<usize>,
    /// At most this many bytes of data (base64), resolved from `max_size`.
    pub max_size: usize,
    /// The signature timestamp.
    pub timestamp: Option<u64>,
    /// Authentication, required except in public outboxes and namespace −10.
    pub auth: Option<Auth>,
}

/// A parsed storage RPC request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// Store a message.
    Store(Store),
    /// Fetch messages.
    Retrieve(Retrieve),
    /// Delete messages by hash.
    Delete {
        /// Whose.
        pubkey: Pubkey,
        /// The hashes.
        messages: Vec<String>,
        /// 404 when nothing was deleted.
        required: bool,
        /// When the client made the request, ms: not in the storage server's protocol (nor in
        /// the signature); sesh-node checks it against its clock when a client sends it.
        timestamp: Option<u64>,
        /// Authentication.
        auth: Auth,
    },
    /// Delete every message of a namespace (or all).
    DeleteAll {
        /// Whose.
        pubkey: Pubkey,
        /// Which namespaces.
        namespace: Namespaces,
        /// Signature timestamp.
        timestamp: u64,
        /// Authentication.
        auth: Auth,
    },
    /// Delete messages stored before a time.
    DeleteBefore {
        /// Whose.
        pubkey: Pubkey,
        /// Which namespaces.
        namespace: Namespaces,
        /// The cut-off, ms.
        before: u64,
        /// Authentication.
        auth: Auth,
    },
    /// Change the expiry of messages.
    Expire {
        /// Whose.
        pubkey: Pubkey,
        /// The hashes.
        messages: Vec<String>,
        /// The new expiry, ms.
        expiry: u64,
        /// Shorten, extend or either.
        mode: ExpireMode,
        /// Authentication.
        auth: Auth,
    },
    /// Shorten the expiry of every message of a namespace.
    ExpireAll {
        /// Whose.
        pubkey: Pubkey,
        /// Which namespaces.
        namespace: Namespaces,
        /// The new expiry, ms.
        expiry: u64,
        /// Authentication.
        auth: Auth,
    },
    /// The expiries of messages.
    GetExpiries {
        /// Whose.
        pubkey: Pubkey,
        /// The hashes.
        messages: Vec<String>,
        /// Signature timestamp.
        timestamp: u64,
        /// Authentication.
        auth: Auth,
    },
    /// The node's version and time.
    Info,
    /// The swarm of a pubkey.
    GetSwarm {
        /// Whose swarm.
        pubkey: Pubkey,
    },
    /// A question for the node's oxend (only `get_service_nodes` and `ons_resolve`).
    OxendRequest {
        /// The oxend endpoint.
        endpoint: String,
        /// For `get_service_nodes`: the fields wanted (none: all).
        fields: Option<Vec<String>>,
    },
    /// `oxend_request` `ons_resolve`: the ONS record of a name (protocol.md §9).
    OnsResolve {
        /// `BLAKE2b-256(lowercase name)` ([`crate::ons::Name::hash`]).
        name_hash: [u8; 32],
    },
    /// Subrequests answered independently.
    Batch(Vec<Self>),
    /// Subrequests answered in order, stopping at the first failure.
    Sequence(Vec<Self>),
}

impl Request {
    /// The method name, for logs.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Store(_) => "store",
            Self::Retrieve(_) => "retrieve",
            Self::Delete { .. } => "delete",
            Self::DeleteAll { .. } => "delete_all",
            Self::DeleteBefore { .. } => "delete_before",
            Self::Expire { .. } => "expire",
            Self::ExpireAll { .. } => "expire_all",
            Self::GetExpiries { .. } => "get_expiries",
            Self::Info => "info",
            Self::GetSwarm { .. } => "get_swarm",
            Self::OxendRequest { .. } | Self::OnsResolve { .. } => "oxend_request",
            Self::Batch(_) => "batch",
            Self::Sequence(_) => "sequence",
        }
    }

    /// The pubkey the request is about, if any (for the swarm check).
    pub fn pubkey(&self) -> Option<&Pubkey> {
        match self {
            Self::Store(s) => Some(&s.pubkey),
            Self::Retrieve(r) => Some(&r.pubkey),
            Self::Delete { pubkey, .. }
            | Self::DeleteAll { pubkey, .. }
            | Self::DeleteBefore { pubkey, .. }
            | Self::Expire { pubkey, .. }
            | Self::ExpireAll { pubkey, .. }
            | Self::GetExpiries { pubkey, .. } => Some(pubkey),
            Self::Info
            | Self::GetSwarm { .. }
            | Self::OxendRequest { .. }
            | Self::OnsResolve { .. }
            | Self::Batch(_)
            | Self::Sequence(_) => None,
        }
    }

    /// Whether the swarm forwards this request to every member (protocol.md §4.3).
    pub fn is_recursive(&self) -> bool {
        matches!(
            self,
            Self::Store(_)
                | Self::Delete { .. }
                | Self::DeleteAll { .. }
                | Self::DeleteBefore { .. }
                | Self::Expire { .. }
                | Self::ExpireAll { .. }
        )
    }
}

/// Parses a `/storage_rpc/v1` body (or an onion request's final payload).
///
/// # Errors
/// [`RpcError`] with the status and text a storage server answers (protocol.md §15.5).
pub fn parse(body: &[u8]) -> Result<Request, RpcError> {
    let call: Slot<RawCall> = FieldBudget::with(|| serde_json::from_slice(body)).map_err(|e| {
        if e.to_string().starts_with(TOO_MANY_VALUES) {
            RpcError::parse(format!(
                "more than {MAX_FIELD_VALUES} JSON values in the request's fields"
            ))
        } else {
            RpcError::new(400, "invalid json")
        }
    })?;
    let Slot::Map(call) = call else {
        return Err(RpcError::new(400, "invalid json"));
    };
    let Some(Field::Str(method)) = &call.method else {
        return Err(RpcError::new(400, "invalid json: no `method` field"));
    };
    let Some(Slot::Map(params)) = &call.params else {
        return Err(RpcError::new(400, "invalid json: no `params` field"));
    };
    parse_method(method, params, false)
}

fn parse_method(method: &str, params: &RawParams, nested: bool) -> Result<Request, RpcError> {
    let p = Params(params);
    match method {
        "store" => parse_store(&p),
        "retrieve" => parse_retrieve(&p),
        "delete" => Ok(Request::Delete {
            pubkey: p.pubkey()?,
            messages: p.str_array("messages")?,
            required: p.bool("required")?.unwrap_or(false),
            // Not a storage server field: one that is not a millisecond time is ignored, so
            // that no request the storage server takes is refused for it.
            timestamp: p
                .get("timestamp")
                .and_then(Field::as_u64)
                .filter(|&t| check_ms("timestamp", t).is_ok()),
            auth: p.auth()?,
        }),
        "delete_all" => Ok(Request::DeleteAll {
            pubkey: p.pubkey()?,
            namespace: p.namespaces()?,
            timestamp: p.required(p.timestamp("timestamp")?, "timestamp")?,
            auth: p.auth()?,
        }),
        "delete_before" => Ok(Request::DeleteBefore {
            pubkey: p.pubkey()?,
            namespace: p.namespaces()?,
            before: p.required(p.timestamp("before")?, "before")?,
            auth: p.auth()?,
        }),
        "expire" => {
            let shorten = p.bool("shorten")?.unwrap_or(false);
            let extend = p.bool("extend")?.unwrap_or(false);
            if shorten && extend {
                return Err(RpcError::parse(
                    "cannot specify both 'shorten' and 'extend'",
                ));
            }
            Ok(Request::Expire {
                pubkey: p.pubkey()?,
                messages: p.str_array("messages")?,
                expiry: p.required(p.timestamp("expiry")?, "expiry")?,
                mode: if shorten {
                    ExpireMode::Shorten
                } else if extend {
                    ExpireMode::Extend
                } else {
                    ExpireMode::Set
                },
                auth: p.auth()?,
            })
        }
        "expire_all" => Ok(Request::ExpireAll {
            pubkey: p.pubkey()?,
            namespace: p.namespaces()?,
            expiry: p.required(p.timestamp("expiry")?, "expiry")?,
            auth: p.auth()?,
        }),
        "get_expiries" => Ok(Request::GetExpiries {
            pubkey: p.pubkey()?,
            messages: p.str_array("messages")?,
            timestamp: p.required(p.timestamp("timestamp")?, "timestamp")?,
            auth: p.auth()?,
        }),
        "info" => Ok(Request::Info),
        "get_swarm" | "get_snodes_for_pubkey" => Ok(Request::GetSwarm {
            pubkey: p.pubkey()?,
        }),
        "oxend_request" => {
            let endpoint = p.required(p.string("endpoint")?, "endpoint")?;
            if endpoint != "get_service_nodes" && endpoint != "ons_resolve" {
                return Err(RpcError::parse(format!(
                    "invalid oxend endpoint '{}'",
                    echo(&endpoint)
                )));
            }
            if endpoint == "ons_resolve" {
                return parse_ons_resolve(p.get("params"));
            }
            let fields = match p.get("params") {
                Some(Field::Object(o)) => o
                    .iter()
                    .find(|(k, _)| k == "fields")
                    .and_then(|(_, f)| f.field_names()),
                _ => None,
            };
            Ok(Request::OxendRequest { endpoint, fields })
        }
        "batch" | "sequence" if !nested => {
            let subs = parse_subrequests(params)?;
            Ok(if method == "batch" {
                Request::Batch(subs)
            } else {
                Request::Sequence(subs)
            })
        }
        "batch" | "sequence" | "ifelse" if nested => Err(RpcError::parse(format!(
            "Invalid batch subrequest: invalid method \"{}\"",
            echo(method)
        ))),
        other if nested => Err(RpcError::parse(format!(
            "Invalid batch subrequest: invalid method \"{}\"",
            echo(other)
        ))),
        other => Err(RpcError::new(400, format!("no method {}", echo(other)))),
    }
}

/// `ons_resolve` params: `{"type": 0, "name_hash": "<base64 of 32 bytes>"}` (type 0 is
/// Session, the only type sesh asks about; absent means 0 as in oxend).
fn parse_ons_resolve(params: Option<&Field>) -> Result<Request, RpcError> {
    let Some(Field::Object(o)) = params else {
        return Err(RpcError::parse("ons_resolve: no `params` object"));
    };
    let get = |k: &str| o.iter().find(|(n, _)| n == k).map(|(_, f)| f);
    match get("type") {
        None => {}
        Some(t) if t.as_u64() == Some(0) => {}
        Some(_) => {
            return Err(RpcError::parse(
                "ons_resolve: only type 0 (Session) is supported",
            ));
        }
    }
    let name_hash = get("name_hash")
        .and_then(Field::as_str)
        .and_then(|h| BASE64.decode(h).ok())
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .ok_or_else(|| RpcError::parse("ons_resolve: `name_hash` is not 32 bytes of base64"))?;
    Ok(Request::OnsResolve { name_hash })
}

/// Batch subrequests: all or nothing (protocol.md §15.4).
fn parse_subrequests(params: &RawParams) -> Result<Vec<Request>, RpcError> {
    let Some(Requests::List(reqs)) = &params.requests else {
        return Err(RpcError::parse("Required field 'requests' missing"));
    };
    if reqs.is_empty() {
        return Err(RpcError::parse("Batch must have at least one subrequest"));
    }
    if reqs.len() > MAX_SUBREQUESTS {
        return Err(RpcError::parse(format!(
            "Batch must not contain more than {MAX_SUBREQUESTS} subrequests"
        )));
    }
    reqs.iter()
        .map(|r| {
            let Slot::Map(r) = r else {
                return Err(RpcError::parse(
                    "Invalid batch subrequest: no `method` field",
                ));
            };
            let Some(Field::Str(method)) = &r.method else {
                return Err(RpcError::parse(
                    "Invalid batch subrequest: no `method` field",
                ));
            };
            let Some(Slot::Map(params)) = &r.params else {
                return Err(RpcError::parse(
                    "Invalid batch subrequest: no `params` field",
                ));
            };
            parse_method(method, params, true)
        })
        .collect()
}

fn parse_store(p: &Params<'_>) -> Result<Request, RpcError> {
    let pubkey = p.pubkey()?;
    let namespace = p.namespace()?;
    // Checked as `expiry` is: otherwise a store in seconds with a `ttl` would parse but its
    // re-encoding (which carries the `expiry`) would not (found by fuzz/node_request).
    let timestamp = check_ms(
        "timestamp",
        p.required(p.stringified_u64("timestamp")?, "timestamp")?,
    )?;
    let ttl = p.stringified_u64("ttl")?;
    let expiry = p.timestamp("expiry")?;
    let expiry = match (ttl, expiry) {
        (Some(_), Some(_)) => {
            return Err(RpcError::parse("Cannot specify both 'ttl' and 'expiry'"));
        }
        (Some(ttl), None) => timestamp.saturating_add(ttl),
        (None, Some(e)) => e,
        (None, None) => return Err(RpcError::parse("Required field 'ttl' or 'expiry' missing")),
    };
    let data_b64 = p.required(p.string("data")?, "data")?;
    if data_b64.len() > MAX_DATA_B64_LEN {
        return Err(RpcError::new(
            413,
            format!("Message body exceeds maximum allowed length of {MAX_DATA}"),
        ));
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(data_b64.trim_end_matches('=').as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(data_b64.trim_end_matches('='))
        })
        .map_err(|_| RpcError::parse("Invalid 'data' value: not base64"))?;
    if data.len() > MAX_DATA {
        return Err(RpcError::new(
            413,
            format!("Message body exceeds maximum allowed length of {MAX_DATA}"),
        ));
    }
    let sig_timestamp = p.timestamp("sig_timestamp")?.unwrap_or(timestamp);
    let auth = if p.get("signature").is_some() {
        Some(p.auth()?)
    } else {
        None
    };
    Ok(Request::Store(Store {
        pubkey,
        namespace,
        timestamp,
        expiry,
        data,
        sig_timestamp,
        auth,
    }))
}

fn parse_retrieve(p: &Params<'_>) -> Result<Request, RpcError> {
    let pubkey = p.pubkey()?;
    let namespace = p.namespace()?;
    let last_hash = match (p.string("last_hash")?, p.string("lastHash")?) {
        (Some(h), _) | (None, Some(h)) => Some(h),
        (None, None) => None,
    }
    .filter(|h| !h.is_empty());
    if let Some(h) = &last_hash {
        let valid = h.len() == 43
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !valid {
            return Err(RpcError::new(
                400,
                format!("Invalid last_hash: {}", echo(h)),
            ));
        }
    }
    // As SS request_handler.cpp retrieve: 0 means "not given"; a negative count is 1; a
    // negative size -k is RETRIEVE_MAX_SIZE / k; neither given is -5; a size over
    // RETRIEVE_MAX_SIZE, or none with a count, is RETRIEVE_MAX_SIZE. Every retrieve is bounded.
    let max_count = p
        .int("max_count")?
        .filter(|&n| n != 0)
        .map(|n| usize::try_from(n.max(1)).unwrap_or(usize::MAX));
    let max_size = match (p.int("max_size")?.filter(|&n| n != 0), max_count) {
        (Some(n), _) if n < 0 => RETRIEVE_MAX_SIZE / n.saturating_neg(),
        (Some(n), _) => n.min(RETRIEVE_MAX_SIZE),
        (None, None) => RETRIEVE_MAX_SIZE / RETRIEVE_DEFAULT_SIZE_DIVISOR,
        (None, Some(_)) => RETRIEVE_MAX_SIZE,
    };
    let max_size = usize::try_from(max_size).unwrap_or(0);
    let timestamp = p.timestamp("timestamp")?;
    let auth = if p.get("signature").is_some() {
        Some(p.auth()?)
    } else {
        None
    };
    Ok(Request::Retrieve(Retrieve {
        pubkey,
        namespace,
        last_hash,
        max_count,
        max_size,
        timestamp,
        auth,
    }))
}

/// Typed access to a params object, with the storage server's error texts.
struct Params<'a>(&'a RawParams);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&Field> {
        self.0.get(name)
    }

    fn wrong(name: &str, what: &str) -> RpcError {
        RpcError::parse(format!("Invalid value given for '{name}': expected {what}"))
    }

    fn required<T>(&self, v: Option<T>, name: &str) -> Result<T, RpcError> {
        v.ok_or_else(|| RpcError::parse(format!("Required field '{name}' missing")))
    }

    fn string(&self, name: &str) -> Result<Option<String>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::wrong(name, "string")),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Self::wrong(name, "boolean")),
        }
    }

    fn int(&self, name: &str) -> Result<Option<i64>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Self::wrong(name, "integer")),
        }
    }

    fn timestamp(&self, name: &str) -> Result<Option<u64>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                let ms = v
                    .as_u64()
                    .ok_or_else(|| Self::wrong(name, "integer timestamp (in milliseconds)"))?;
                check_ms(name, ms).map(Some)
            }
        }
    }

    /// An integer that older clients send as a string (store's `timestamp` and `ttl`).
    fn stringified_u64(&self, name: &str) -> Result<Option<u64>, RpcError> {
        match self.get(name) {
            Some(Field::Str(s)) => s.parse().map(Some).map_err(|_| {
                RpcError::parse(format!("Invalid value given for '{name}': \"{}\"", echo(s)))
            }),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Self::wrong(name, "positive integer")),
            None => Ok(None),
        }
    }

    fn str_array(&self, name: &str) -> Result<Vec<String>, RpcError> {
        match self.get(name) {
            None => Err(RpcError::parse(format!("Required field '{name}' missing"))),
            Some(Field::Str(s)) => Ok(vec![s.clone()]),
            Some(Field::List(a)) if a.len() > crate::rpc::limits::MAX_HASHES_PER_REQUEST => {
                Err(RpcError::parse(format!(
                    "too many entries in '{name}': at most {}",
                    crate::rpc::limits::MAX_HASHES_PER_REQUEST
                )))
            }
            Some(Field::List(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Self::wrong(name, "string array"))
                })
                .collect(),
            Some(_) => Err(Self::wrong(name, "string array")),
        }
    }

    fn pubkey(&self) -> Result<Pubkey, RpcError> {
        let Some(text) = self.string("pubkey")?.or(self.string("pubKey")?) else {
            return Err(RpcError::parse("Required field 'pubkey' missing"));
        };
        let mut out = [0u8; 33];
        let ok = match text.len() {
            66 => hex::decode_to_slice(&text, &mut out).is_ok(),
            _ => false,
        };
        if ok {
            Ok(out)
        } else {
            Err(RpcError::parse(
                "Pubkey must be 66 hex digits (33 bytes) long",
            ))
        }
    }

    fn namespace(&self) -> Result<Namespace, RpcError> {
        match self.get("namespace") {
            None => Ok(Namespace::DEFAULT),
            Some(v) => {
                let n = v
                    .as_i64()
                    .ok_or_else(|| Self::wrong("namespace", "16-bit integer"))?;
                i16::try_from(n).map(Namespace).map_err(|_| {
                    RpcError::parse("Invalid value given for 'namespace': value out of range")
                })
            }
        }
    }

    fn namespaces(&self) -> Result<Namespaces, RpcError> {
        match self.get("namespace") {
            Some(Field::Str(s)) if s == "all" => Ok(Namespaces::All),
            Some(Field::Str(_)) => Err(Self::wrong("namespace", "integer or \"all\"")),
            _ => self.namespace().map(Namespaces::One),
        }
    }

    fn auth(&self) -> Result<Auth, RpcError> {
        let sig = self.required(self.string("signature")?, "signature")?;
        if !(sig.len() == 86 || (sig.len() == 88 && sig.ends_with("=="))) {
            return Err(RpcError::parse(
                "invalid signature: expected base64 encoded Ed25519 signature",
            ));
        }
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(sig.trim_end_matches('='))
            .map_err(|_| {
                RpcError::parse("invalid signature: expected base64 encoded Ed25519 signature")
            })?;
        let signature: [u8; 64] = raw.try_into().map_err(|_| {
            RpcError::parse("invalid signature: expected base64 encoded Ed25519 signature")
        })?;
        let pubkey_ed25519 = match self.string("pubkey_ed25519")? {
            None => None,
            Some(h) => {
                let mut k = [0u8; 32];
                if h.len() != 64 {
                    return Err(RpcError::parse(
                        "Invalid pubkey_ed25519: expected 64 hex char or 32 byte pubkey",
                    ));
                }
                hex::decode_to_slice(&h, &mut k)
                    .map_err(|_| RpcError::parse("invalid pubkey_ed25519: value is not hex"))?;
                Some(k)
            }
        };
        if self
            .get("subaccount")
            .is_some_and(|v| !matches!(v, Field::Str(s) if s.is_empty()))
        {
            return Err(RpcError::new(
                401,
                "subaccount authentication is not supported by this node",
            ));
        }
        Ok(Auth {
            signature,
            pubkey_ed25519,
        })
    }
}

/// The longest a value from the request is quoted back in an error, in characters.
const ECHO_MAX_CHARS: usize = 64;

/// A value from the request as an error quotes it: whole up to [`ECHO_MAX_CHARS`] characters,
/// else its start and `…`, so that a 10 000-character field does not come back whole.
fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_MAX_CHARS) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

fn check_ms(name: &str, ms: u64) -> Result<u64, RpcError> {
    // Less than a million seconds since the epoch: almost surely seconds, not milliseconds.
    if ms < 1_000_000_000 {
        return Err(RpcError::parse(format!(
            "Invalid timestamp for '{name}': timestamp must be in milliseconds"
        )));
    }
    Ok(ms)
}

impl RpcError {
    /// 400 for a missing required field.
    pub fn parse_missing(name: &str) -> Self {
        Self::parse(format!("Required field '{name}' missing"))
    }
}

// ---------------------------------------------------------------------------------------------
// The untrusted JSON, as fixed structs
// ---------------------------------------------------------------------------------------------

/// The most JSON values one parse keeps in its fields (every scalar, list and object inside a
/// known field counts one): 100 000, e.g. a `delete` of 100 000 hashes (a 4.5 MB body). A
/// [`Field`] is 32 bytes, so the tree a request can make is a few MB, whatever its body holds;
/// values of unknown fields, and subrequests past [`MAX_SUBREQUESTS`], are skipped without
/// being kept or counted.
pub(crate) const MAX_FIELD_VALUES: usize = 100_000;

/// The error text that says the budget ran out.
const TOO_MANY_VALUES: &str = "too many JSON values";

thread_local! {
    /// How many more values the parse running on this thread may keep; see [`FieldBudget`].
    static FIELD_BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// The budget of [`MAX_FIELD_VALUES`] for one parse. Deserialization is synchronous, so a
/// thread-local count is the parse's own; it is restored when the parse ends.
struct FieldBudget(usize);

impl FieldBudget {
    fn with<T>(f: impl FnOnce() -> T) -> T {
        let _restore = Self(FIELD_BUDGET.with(|b| b.replace(MAX_FIELD_VALUES)));
        f()
    }

    /// Takes one value from the budget; an error once it is spent.
    fn take<E: de::Error>() -> Result<(), E> {
        FIELD_BUDGET.with(|b| match b.get().checked_sub(1) {
            Some(left) => {
                b.set(left);
                Ok(())
            }
            None => Err(E::custom(TOO_MANY_VALUES)),
        })
    }
}

impl Drop for FieldBudget {
    fn drop(&mut self) {
        FIELD_BUDGET.with(|b| b.set(self.0));
    }
}

/// A JSON value of a params field: what a storage server's `json` accessors can tell apart.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float,
    Str(String),
    List(Vec<Self>),
    Object(Vec<(String, Self)>),
}

impl Field {
    fn as_u64(&self) -> Option<u64> {
        match self {
            Self::UInt(n) => Some(*n),
            Self::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            Self::UInt(n) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `get_service_nodes` `fields`: `{"name": true, …}` or `["name", …]`.
    fn field_names(&self) -> Option<Vec<String>> {
        match self {
            Self::Object(m) => Some(
                m.iter()
                    .filter(|(_, v)| !matches!(v, Self::Bool(false)))
                    .map(|(k, _)| k.clone())
                    .collect(),
            ),
            Self::List(a) => Some(
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Int(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::UInt(n))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Float)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Str(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Field, E> {
                FieldBudget::take()?;
                Ok(Field::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                FieldBudget::take()?;
                let mut out = Vec::new();
                while let Some(f) = seq.next_element()? {
                    out.push(f);
                }
                Ok(Field::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                FieldBudget::take()?;
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Field>()? {
                    out.push((k, v));
                }
                Ok(Field::Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object decoded as `T`, or anything else (skipped).
#[derive(Debug)]
enum Slot<T> {
    Map(T),
    Other,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Slot<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Slot::Map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Slot::Other)
            }
            fn visit_unit<E>(self) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A batch's `requests`: a list of calls, or anything else.
#[derive(Debug)]
enum Requests {
    List(Vec<Slot<RawCall>>),
    Other,
}

impl<'de> Deserialize<'de> for Requests {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Requests;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Requests, A::Error> {
                // One more than the limit is enough to refuse the batch; the rest is skipped.
                let mut out = Vec::new();
                while out.len() <= MAX_SUBREQUESTS {
                    match seq.next_element()? {
                        Some(call) => out.push(call),
                        None => return Ok(Requests::List(out)),
                    }
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Requests::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Requests, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Requests::Other)
            }
            fn visit_unit<E>(self) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Requests, E> {
                Ok(Requests::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"method", "params"}`.
#[derive(Debug, serde::Deserialize)]
struct RawCall {
    #[serde(default)]
    method: Option<Field>,
    #[serde(default)]
    params: Option<Slot<RawParams>>,
}

/// Every params field a storage method reads; others are skipped.
#[derive(Debug, Default, serde::Deserialize)]
#[allow(clippy::struct_field_names)]
struct RawParams {
    pubkey: Option<Field>,
    #[serde(rename = "pubKey")]
    pubkey_camel: Option<Field>,
    namespace: Option<Field>,
    timestamp: Option<Field>,
    ttl: Option<Field>,
    expiry: Option<Field>,
    data: Option<Field>,
    sig_timestamp: Option<Field>,
    signature: Option<Field>,
    pubkey_ed25519: Option<Field>,
    subaccount: Option<Field>,
    last_hash: Option<Field>,
    #[serde(rename = "lastHash")]
    last_hash_camel: Option<Field>,
    max_count: Option<Field>,
    max_size: Option<Field>,
    messages: Option<Field>,
    required: Option<Field>,
    shorten: Option<Field>,
    extend: Option<Field>,
    before: Option<Field>,
    endpoint: Option<Field>,
    params: Option<Field>,
    requests: Option<Requests>,
}

impl RawParams {
    /// A field by its JSON name; JSON `null` counts as absent.
    fn get(&self, name: &str) -> Option<&Field> {
        let f = match name {
            "pubkey" => &self.pubkey,
            "pubKey" => &self.pubkey_camel,
            "namespace" => &self.namespace,
            "timestamp" => &self.timestamp,
            "ttl" => &self.ttl,
            "expiry" => &self.expiry,
            "data" => &self.data,
            "sig_timestamp" => &self.sig_timestamp,
            "signature" => &self.signature,
            "pubkey_ed25519" => &self.pubkey_ed25519,
            "subaccount" => &self.subaccount,
            "last_hash" => &self.last_hash,
            "lastHash" => &self.last_hash_camel,
            "max_count" => &self.max_count,
            "max_size" => &self.max_size,
            "messages" => &self.messages,
            "required" => &self.required,
            "shorten" => &self.shorten,
            "extend" => &self.extend,
            "before" => &self.before,
            "endpoint" => &self.endpoint,
            "params" => &self.params,
            _ => &None,
        };
        f.as_ref().filter(|f| **f != Field::Null)
    }
}

// ---------------------------------------------------------------------------------------------
// The client's side: requests as JSON
// ---------------------------------------------------------------------------------------------

impl Serialize for Request {
    /// `{"method": …, "params": {…}}`, which [`parse`] reads back as the same request.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("method", self.method())?;
        m.serialize_entry("params", &ParamsOf(self))?;
        m.end()
    }
}

impl Request {
    /// The string a request's signature covers (protocol.md §4.3), from [`super::auth`]: a
    /// client signs it (with the account's Ed25519 key) into [`Auth::signature`]; a node
    /// verifies it. `None` for unsigned methods (and a retrieve without a timestamp).
    pub fn signed_message(&self) -> Option<Vec<u8>> {
        Some(match self {
            Self::Store(s) => super::auth::store(s.namespace, s.sig_timestamp),
            Self::Retrieve(r) => super::auth::retrieve(r.namespace, r.timestamp?),
            Self::Delete { messages, .. } => super::auth::delete(messages),
            Self::DeleteAll {
                namespace,
                timestamp,
                ..
            } => super::auth::delete_all(*namespace, *timestamp),
            Self::DeleteBefore {
                namespace, before, ..
            } => super::auth::delete_before(*namespace, *before),
            Self::Expire {
                messages,
                expiry,
                mode,
                ..
            } => super::auth::expire(*mode, *expiry, messages),
            Self::ExpireAll {
                namespace, expiry, ..
            } => super::auth::expire_all(*namespace, *expiry),
            Self::GetExpiries {
                messages,
                timestamp,
                ..
            } => super::auth::get_expiries(*timestamp, messages),
            Self::Info
            | Self::GetSwarm { .. }
            | Self::OxendRequest { .. }
            | Self::OnsResolve { .. }
            | Self::Batch(_)
            | Self::Sequence(_) => return None,
        })
    }

    /// The request as the JSON body of `/storage_rpc/v1` (or an onion request's payload).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

struct ParamsOf<'a>(&'a Request);

struct NamespacesOf(Namespaces);

impl Serialize for NamespacesOf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Namespaces::All => s.serialize_str("all"),
            Namespaces::One(n) => s.serialize_i16(n.0),
        }
    }
}

fn auth_entries<M: SerializeMap>(m: &mut M, auth: &Auth) -> Result<(), M::Error> {
    m.serialize_entry("signature", &BASE64.encode(auth.signature))?;
    if let Some(ed) = &auth.pubkey_ed25519 {
        m.serialize_entry("pubkey_ed25519", &hex::encode(ed))?;
    }
    Ok(())
}

impl Serialize for ParamsOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.0 {
            Request::Store(st) => {
                m.serialize_entry("pubkey", &hex::encode(st.pubkey))?;
                m.serialize_entry("namespace", &st.namespace.0)?;
                m.serialize_entry("timestamp", &st.timestamp)?;
                m.serialize_entry("expiry", &st.expiry)?;
                m.serialize_entry("data", &BASE64.encode(&st.data))?;
                if st.sig_timestamp != st.timestamp {
                    m.serialize_entry("sig_timestamp", &st.sig_timestamp)?;
                }
                if let Some(a) = &st.auth {
                    auth_entries(&mut m, a)?;
                }
            }
            Request::Retrieve(r) => {
                m.serialize_entry("pubkey", &hex::encode(r.pubkey))?;
                m.serialize_entry("namespace", &r.namespace.0)?;
                if let Some(h) = &r.last_hash {
                    m.serialize_entry("last_hash", h)?;
                }
                if let Some(n) = r.max_count {
                    m.serialize_entry("max_count", &n)?;
                }
                m.serialize_entry("max_size", &r.max_size)?;
                if let Some(t) = r.timestamp {
                    m.serialize_entry("timestamp", &t)?;
                }
                if let Some(a) = &r.auth {
                    auth_entries(&mut m, a)?;
                }
            }
            Request::Delete {
                pubkey,
                messages,
                required,
                timestamp,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("messages", messages)?;
                if *required {
                    m.serialize_entry("required", &true)?;
                }
                if let Some(t) = timestamp {
                    m.serialize_entry("timestamp", t)?;
                }
                auth_entries(&mut m, auth)?;
            }
            Request::DeleteAll {
                pubkey,
                namespace,
                timestamp,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("namespace", &NamespacesOf(*namespace))?;
                m.serialize_entry("timestamp", timestamp)?;
                auth_entries(&mut m, auth)?;
            }
            Request::DeleteBefore {
                pubkey,
                namespace,
                before,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("namespace", &NamespacesOf(*namespace))?;
                m.serialize_entry("before", before)?;
                auth_entries(&mut m, auth)?;
            }
            Request::Expire {
                pubkey,
                messages,
                expiry,
                mode,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("messages", messages)?;
                m.serialize_entry("expiry", expiry)?;
                match mode {
                    ExpireMode::Shorten => m.serialize_entry("shorten", &true)?,
                    ExpireMode::Extend => m.serialize_entry("extend", &true)?,
                    ExpireMode::Set => {}
                }
                auth_entries(&mut m, auth)?;
            }
            Request::ExpireAll {
                pubkey,
                namespace,
                expiry,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("namespace", &NamespacesOf(*namespace))?;
                m.serialize_entry("expiry", expiry)?;
                auth_entries(&mut m, auth)?;
            }
            Request::GetExpiries {
                pubkey,
                messages,
                timestamp,
                auth,
            } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
                m.serialize_entry("messages", messages)?;
                m.serialize_entry("timestamp", timestamp)?;
                auth_entries(&mut m, auth)?;
            }
            Request::Info => {}
            Request::GetSwarm { pubkey } => {
                m.serialize_entry("pubkey", &hex::encode(pubkey))?;
            }
            Request::OxendRequest { endpoint, fields } => {
                m.serialize_entry("endpoint", endpoint)?;
                if let Some(f) = fields {
                    m.serialize_entry("params", &FieldsParam(f))?;
                }
            }
            Request::OnsResolve { name_hash } => {
                m.serialize_entry("endpoint", "ons_resolve")?;
                m.serialize_entry(
                    "params",
                    &serde_json::json!({"type": 0, "name_hash": BASE64.encode(name_hash)}),
                )?;
            }
            Request::Batch(subs) | Request::Sequence(subs) => {
                m.serialize_entry("requests", subs)?;
            }
        }
        m.end()
    }
}

/// `{"active_only": true, "fields": {"name": true, …}}`: a client asks for active nodes only,
/// as it asks a seed ([`JsonRpcCall`]).
struct FieldsParam<'a>(&'a [String]);

impl Serialize for FieldsParam<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("active_only", &true)?;
        m.serialize_entry("fields", &FieldSet(self.0))?;
        m.end()
    }
}

struct FieldSet<'a>(&'a [String]);

impl Serialize for FieldSet<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for f in self.0 {
            m.serialize_entry(f, &true)?;
        }
        m.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds: JSON-RPC get_n_service_nodes
// ---------------------------------------------------------------------------------------------

/// A JSON-RPC call to a seed (`/json_rpc`, protocol.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRpcCall {
    /// The call's id, echoed in the answer.
    pub id: Option<JsonRpcId>,
    /// The method (`get_n_service_nodes`).
    pub method: String,
    /// The `service_node_states` fields wanted (none: all).
    pub fields: Option<Vec<String>>,
}

impl JsonRpcCall {
    /// `get_n_service_nodes` with `active_only` and these fields, as sesh asks a seed.
    pub fn get_n_service_nodes(fields: &[&str]) -> Self {
        Self {
            id: Some(JsonRpcId::Number(0)),
            method: "get_n_service_nodes".into(),
            fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
        }
    }

    /// Parses a seed's request body; `None` when it is not a JSON object (a JSON-RPC parse
    /// error, −32700). A missing `method` is the empty string.
    pub fn parse(body: &[u8]) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(default)]
            id: Option<Field>,
            #[serde(default)]
            method: Option<Field>,
            #[serde(default)]
            params: Option<Field>,
        }
        let parsed = FieldBudget::with(|| serde_json::from_slice::<Slot<Raw>>(body));
        let Slot::Map(raw) = parsed.ok()? else {
            return None;
        };
        let id = match raw.id {
            Some(Field::Str(s)) => Some(JsonRpcId::Text(s)),
            Some(f) => f.as_i64().map(JsonRpcId::Number),
            None => None,
        };
        let method = raw
            .method
            .as_ref()
            .and_then(Field::as_str)
            .unwrap_or_default()
            .to_owned();
        let fields = match &raw.params {
            Some(Field::Object(o)) => o
                .iter()
                .find(|(k, _)| k == "fields")
                .and_then(|(_, f)| f.field_names()),
            _ => None,
        };
        Some(Self { id, method, fields })
    }
}

impl Serialize for JsonRpcCall {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Params<'a>(Option<&'a [String]>);
        impl Serialize for Params<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("active_only", &true)?;
                if let Some(f) = self.0 {
                    m.serialize_entry("fields", &FieldSet(f))?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("jsonrpc", "2.0")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("method", &self.method)?;
        m.serialize_entry("params", &Params(self.fields.as_deref()))?;
        m.end()
    }
}

#[cfg(test)]
mod tests;
