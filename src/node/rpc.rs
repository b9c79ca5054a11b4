//! Storage RPC requests as the local node receives them: parsing, validation and
//! authentication, without I/O.
//!
//! Mirrors session-storage-server `oxenss/rpc/client_rpc_endpoints.cpp` (parsing, error texts)
//! and `request_handler.cpp` (checks and their order), as summarised in protocol.md §4 and §15.
//! The caller supplies the time; what a request does to the store is
//! [`crate::node::service`]'s.
//!
//! # Format
//! ```text
//! POST /storage_rpc/v1
//! {"jsonrpc": "2.0" (ignored), "method": "<name>", "params": {…}}
//! ```

use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

use crate::identity::Ed25519Pub;
use crate::rpc::Namespace;
use crate::rpc::auth;
pub use crate::rpc::auth::{ExpireMode, Namespaces};

/// A user's storage key: a prefix byte (05, 03, …) and 32 key bytes.
pub type Pubkey = [u8; 33];

use crate::rpc::limits::{
    FORWARDED_WINDOW_MS, MAX_DATA_B64_LEN, MAX_DATA_LEN as MAX_DATA, MAX_SUBREQUESTS,
    RETRIEVE_DEFAULT_SIZE_DIVISOR, RETRIEVE_MAX_SIZE, SIGNATURE_WINDOW_MS,
};

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

    fn parse(message: impl std::fmt::Display) -> Self {
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
        /// Its parameters.
        params: Value,
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
            Self::OxendRequest { .. } => "oxend_request",
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
    let v: Value = serde_json::from_slice(body).map_err(|_| RpcError::new(400, "invalid json"))?;
    let Some(obj) = v.as_object() else {
        return Err(RpcError::new(400, "invalid json"));
    };
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Err(RpcError::new(400, "invalid json: no `method` field"));
    };
    let Some(params) = obj.get("params").filter(|p| p.is_object()) else {
        return Err(RpcError::new(400, "invalid json: no `params` field"));
    };
    parse_method(method, params, false)
}

fn parse_method(method: &str, params: &Value, nested: bool) -> Result<Request, RpcError> {
    let p = Params(params);
    match method {
        "store" => parse_store(&p),
        "retrieve" => parse_retrieve(&p),
        "delete" => Ok(Request::Delete {
            pubkey: p.pubkey()?,
            messages: p.str_array("messages")?,
            required: p.bool("required")?.unwrap_or(false),
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
                    "invalid oxend endpoint '{endpoint}'"
                )));
            }
            Ok(Request::OxendRequest {
                endpoint,
                params: params.get("params").cloned().unwrap_or(Value::Null),
            })
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
            "Invalid batch subrequest: invalid method \"{method}\""
        ))),
        other if nested => Err(RpcError::parse(format!(
            "Invalid batch subrequest: invalid method \"{other}\""
        ))),
        other => Err(RpcError::new(400, format!("no method {other}"))),
    }
}

/// Batch subrequests: all or nothing (protocol.md §15.4).
fn parse_subrequests(params: &Value) -> Result<Vec<Request>, RpcError> {
    let Some(reqs) = params.get("requests").and_then(Value::as_array) else {
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
            let method = r
                .get("method")
                .and_then(Value::as_str)
                .ok_or_else(|| RpcError::parse("Invalid batch subrequest: no `method` field"))?;
            let params = r
                .get("params")
                .filter(|p| p.is_object())
                .ok_or_else(|| RpcError::parse("Invalid batch subrequest: no `params` field"))?;
            parse_method(method, params, true)
        })
        .collect()
}

fn parse_store(p: &Params<'_>) -> Result<Request, RpcError> {
    let pubkey = p.pubkey()?;
    let namespace = p.namespace()?;
    let timestamp = p.required(p.stringified_u64("timestamp")?, "timestamp")?;
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
    let auth = if p.0.get("signature").is_some_and(|s| !s.is_null()) {
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
            return Err(RpcError::new(400, format!("Invalid last_hash: {h}")));
        }
    }
    let max_count = p
        .int("max_count")?
        .map(|n| usize::try_from(n.max(1)).unwrap_or(1));
    let max_size = match p.int("max_size")? {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) if n < 0 => usize::try_from(RETRIEVE_MAX_SIZE / n.saturating_neg()).unwrap_or(0),
        _ => usize::try_from(RETRIEVE_MAX_SIZE / RETRIEVE_DEFAULT_SIZE_DIVISOR).unwrap_or(0),
    };
    let timestamp = p.timestamp("timestamp")?;
    let auth = if p.0.get("signature").is_some_and(|s| !s.is_null()) {
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
struct Params<'a>(&'a Value);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
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
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::wrong(name, "string")),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
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
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| RpcError::parse(format!("Invalid value given for '{name}': \"{s}\""))),
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
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(a)) => a
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
            Some(Value::String(s)) if s == "all" => Ok(Namespaces::All),
            Some(Value::String(_)) => Err(Self::wrong("namespace", "integer or \"all\"")),
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
            .is_some_and(|v| v.as_str() != Some(""))
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

fn check_ms(name: &str, ms: u64) -> Result<u64, RpcError> {
    // Less than a million seconds since the epoch: almost surely seconds, not milliseconds.
    if ms < 1_000_000_000 {
        return Err(RpcError::parse(format!(
            "Invalid timestamp for '{name}': timestamp must be in milliseconds"
        )));
    }
    Ok(ms)
}

/// Whether a namespace may be read without a signature: −10 and public outboxes −(20n+1).
pub fn retrieve_is_public(ns: Namespace) -> bool {
    ns.0 == -10 || (ns.0 < 0 && (-i32::from(ns.0)) % 20 == 1)
}

/// Whether anyone may store in a namespace (divisible by 10).
pub fn store_is_public(ns: Namespace) -> bool {
    ns.0 % 10 == 0
}

/// Checks a request signature over `message` by the account `pubkey`.
///
/// For `05` accounts the signature is by `pubkey_ed25519`, which must convert to the X25519 key
/// of the pubkey; for other prefixes the pubkey itself is the Ed25519 key (protocol.md §4.2).
///
/// # Errors
/// 401 with the storage server's text when the signature does not verify.
pub fn verify(pubkey: &Pubkey, auth: &Auth, message: &[u8]) -> Result<(), RpcError> {
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
        let mut k = [0u8; 32];
        k.copy_from_slice(&pubkey[1..]);
        k
    };
    let vk = VerifyingKey::from_bytes(&key)
        .map_err(|_| RpcError::new(401, "Signature verification failed"))?;
    vk.verify_strict(message, &Signature::from_bytes(&auth.signature))
        .map_err(|_| RpcError::new(401, "Signature verification failed"))
}

/// Checks a signature timestamp against the node's clock.
///
/// # Errors
/// 406 when it is more than the window away.
pub fn check_clock(method: &str, ts: u64, now_ms: u64, forwarded: bool) -> Result<(), RpcError> {
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

/// The string a request's signature covers (protocol.md §4.3), from [`crate::rpc::auth`].
pub fn signed_message(req: &Request) -> Option<Vec<u8>> {
    Some(match req {
        Request::Store(s) => auth::store(s.namespace, s.sig_timestamp),
        Request::Retrieve(r) => auth::retrieve(r.namespace, r.timestamp?),
        Request::Delete { messages, .. } => auth::delete(messages),
        Request::DeleteAll {
            namespace,
            timestamp,
            ..
        } => auth::delete_all(*namespace, *timestamp),
        Request::DeleteBefore {
            namespace, before, ..
        } => auth::delete_before(*namespace, *before),
        Request::Expire {
            messages,
            expiry,
            mode,
            ..
        } => auth::expire(*mode, *expiry, messages),
        Request::ExpireAll {
            namespace, expiry, ..
        } => auth::expire_all(*namespace, *expiry),
        Request::GetExpiries {
            messages,
            timestamp,
            ..
        } => auth::get_expiries(*timestamp, messages),
        Request::Info
        | Request::GetSwarm { .. }
        | Request::OxendRequest { .. }
        | Request::Batch(_)
        | Request::Sequence(_) => return None,
    })
}

impl RpcError {
    /// 400 for a missing required field.
    pub fn parse_missing(name: &str) -> Self {
        Self::parse(format!("Required field '{name}' missing"))
    }
}
