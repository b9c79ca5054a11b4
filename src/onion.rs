//! Onion requests: building them (client), peeling them (service node), and opening replies.
//!
//! Mirrors libsession-util `src/onionreq/builder.cpp`, `parser.cpp`, `response_parser.cpp`,
//! session-storage-server `oxenss/rpc/onion_processing.cpp`, `request_handler.cpp` and
//! `server/https.cpp`, and session-desktop `ts/session/apis/snode_api/onions.ts`
//! (protocol.md §7, §13, §15.10).
//!
//! A request through path `[G, R1, R2]` to destination `D` is four nested [`wire::Layer`]s,
//! each encrypted to one node ([`hop`]):
//!
//! ```text
//! HTTP body to G:  [N] Enc_G( [N] Enc_R1( [N] Enc_R2( [N] Enc_D( [N] payload {"headers":""} )
//!                                                      {"destination":D,"enc_type","ephemeral_key"} )
//!                                         {"destination":R2,…} )
//!                            {"destination":R1,…} )
//!                  {"enc_type":…,"ephemeral_key":A_G}
//! reply from D:    base64( Enc_D( {"status":200,"body":"<RPC response JSON as a string>"} ) )
//! ```
//!
//! The client side is two steps, in the shape of arti's `client1`/`client2`: [`build`] returns
//! the bytes to POST to the guard's `/onion_req/v2` and a [`PendingReply`]; the caller moves the
//! bytes and hands the answer to [`PendingReply::open`]. A service node (the local `sesh-node`)
//! calls [`peel`] on what it receives and gets a [`Peeled`]: relay it, answer it, or proxy it.
//! Nothing here does I/O; randomness comes in as an argument.

pub mod hop;
pub mod path;
pub mod v4;
pub mod wire;

use std::fmt;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand_core::{CryptoRng, RngCore};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::{ErrorKind, HasKind};
use crate::identity::{Ed25519Pub, X25519Pub};
use crate::swarm::Snode;

pub use hop::{CryptoError, EncType, LayerKey, NodeKeys};
pub use path::{OnionPath, PathError, PathPolicy};
pub use wire::{Layer, Routing, Scalar};

/// The highest hop number a node accepts (session-storage-server `MAX_ONION_HOPS`); so at most
/// 15 relays before the destination.
pub const MAX_ONION_HOPS: u32 = 15;

/// The largest request payload [`build`] accepts: the storage server's 10 MiB body limit.
pub const MAX_PAYLOAD_LEN: usize = crate::rpc::limits::MAX_REQUEST_BODY;

/// Storage servers send base64 with padding; accept it without, too.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The keys of one hop (or of a snode destination): what a layer names and encrypts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HopKeys {
    /// The Ed25519 key, by which the previous hop finds this node.
    pub ed25519: Ed25519Pub,
    /// The X25519 key the layer is encrypted to.
    pub x25519: X25519Pub,
}

impl From<&Snode> for HopKeys {
    fn from(s: &Snode) -> Self {
        Self {
            ed25519: s.ed25519,
            x25519: s.x25519,
        }
    }
}

/// `http` or `https`, for a server destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scheme {
    /// Plain HTTP (default port 80).
    Http,
    /// HTTPS (default port 443); what the storage server assumes when unspecified.
    #[default]
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A server reached through the last hop acting as an HTTP proxy (file server, community
/// server; protocol.md §7.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDestination {
    /// Host name or address.
    pub host: String,
    /// The path to POST to; storage servers only proxy `/oxen/…/lsrpc` and `/loki/…/lsrpc`.
    pub target: String,
    /// `http` or `https`.
    pub scheme: Scheme,
    /// The port.
    pub port: u16,
    /// The server's X25519 key; the payload is encrypted to it.
    pub x25519: X25519Pub,
}

/// Where an onion request ends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Destination {
    /// A service node, which runs the payload as a storage RPC request (v3 style, §7.3).
    Snode(HopKeys),
    /// A server behind the last hop (§7.5); the payload is the server's own request format
    /// (v4: bencoded, [`v4::Request`]), and its reply comes back raw: open it with
    /// [`v4::open_response`].
    Server(ServerDestination),
}

/// Why a request could not be built or its reply not opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// More relays than nodes accept. A bug in the caller.
    #[error("path of {len} hops is longer than the {max} storage servers accept")]
    PathTooLong {
        /// Hops given.
        len: usize,
        /// The limit, [`MAX_ONION_HOPS`].
        max: usize,
    },
    /// The destination is also a hop of the path. Choose a path without it.
    #[error("destination {node} is hop {hop} of the path")]
    DestinationInPath {
        /// The destination.
        node: Ed25519Pub,
        /// Its index in the path.
        hop: usize,
    },
    /// The payload is larger than storage servers accept.
    #[error("request of {len} bytes exceeds the {max}-byte limit")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The limit, [`MAX_PAYLOAD_LEN`].
        max: usize,
    },
    /// A node's X25519 key is a low-order point: the node list is corrupt or malicious.
    /// Refresh the pool.
    #[error("X25519 key {key} is a low-order point")]
    LowOrderKey {
        /// The key.
        key: X25519Pub,
    },
    /// The reply body is empty.
    #[error("empty onion reply")]
    EmptyReply,
    /// The reply body is not base64 (nor JSON with a base64 `result`).
    #[error("onion reply is not base64: {reason}")]
    ReplyBase64 {
        /// The decoder's message.
        reason: String,
    },
    /// The reply does not decrypt with the destination's layer key: it came from elsewhere or
    /// was altered.
    #[error("onion reply does not decrypt")]
    ReplyDecrypt(#[source] CryptoError),
    /// The decrypted reply is not the JSON object `{"status": …, "body": …}`.
    #[error("onion reply is not a JSON status object: {reason}")]
    ReplyJson {
        /// What is wrong.
        reason: String,
    },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            // A path or destination that garbles replies: another path may work.
            Self::EmptyReply
            | Self::ReplyBase64 { .. }
            | Self::ReplyDecrypt(_)
            | Self::ReplyJson { .. } => ErrorKind::Transient,
            Self::PathTooLong { .. }
            | Self::DestinationInPath { .. }
            | Self::PayloadTooLarge { .. }
            | Self::LowOrderKey { .. } => ErrorKind::Failure,
        }
    }
}

/// A fresh ephemeral key pair and the layer key it shares with `node`.
fn ephemeral(
    enc: EncType,
    node: &X25519Pub,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(X25519Pub, LayerKey), Error> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(secret.as_mut());
    // One base-point multiplication: the public key goes both into the routing JSON and,
    // for XChaCha20, into the layer key.
    let public = hop::x25519_public(&secret);
    let key = LayerKey::for_client_with_public(enc, &secret, &public, node)
        .map_err(|_| Error::LowOrderKey { key: *node })?;
    Ok((public, key))
}

fn seal_layer(
    key: &LayerKey,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, Error> {
    key.encrypt(plaintext, rng)
        .map_err(|_| Error::PayloadTooLarge {
            len: plaintext.len(),
            max: MAX_PAYLOAD_LEN,
        })
}

fn frame(blob: Vec<u8>, routing: Routing) -> Result<Vec<u8>, Error> {
    let len = blob.len();
    Layer::new(blob, routing)
        .map(|l| l.encode())
        .map_err(|_| Error::PayloadTooLarge {
            len,
            max: MAX_PAYLOAD_LEN,
        })
}

/// Builds an onion request through `path` (guard first; may be empty) to `dest`.
///
/// Returns the HTTP body to POST to the first hop's `/onion_req/v2` — the guard, or with an
/// empty path the destination itself — and the [`PendingReply`] that opens the answer. A path
/// of 1 or 2 hops with a snode destination is how to test a prefix of a path. Every layer is
/// encrypted with `enc` and a fresh ephemeral key. JSON keys are sorted as libsession's
/// builder (nlohmann) emits them.
///
/// # Errors
/// [`Error::PathTooLong`] beyond [`MAX_ONION_HOPS`] hops; [`Error::DestinationInPath`];
/// [`Error::PayloadTooLarge`] beyond [`MAX_PAYLOAD_LEN`]; [`Error::LowOrderKey`] for a bad
/// node key.
pub fn build(
    path: &[HopKeys],
    dest: &Destination,
    payload: &[u8],
    enc: EncType,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Vec<u8>, PendingReply), Error> {
    if path.len() > MAX_ONION_HOPS as usize {
        return Err(Error::PathTooLong {
            len: path.len(),
            max: MAX_ONION_HOPS as usize,
        });
    }
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(Error::PayloadTooLarge {
            len: payload.len(),
            max: MAX_PAYLOAD_LEN,
        });
    }
    let enc_name = enc.as_str();

    // The destination's layer, and the routing JSON the last relay gets for it.
    let (mut blob, mut routing, reply_key) = match dest {
        Destination::Snode(d) => {
            if let Some(hop) = path.iter().position(|h| h.ed25519 == d.ed25519) {
                return Err(Error::DestinationInPath {
                    node: d.ed25519,
                    hop,
                });
            }
            let final_routing = Routing {
                headers: Some("".into()),
                ..Routing::default()
            };
            let inner = frame(payload.to_vec(), final_routing)?;
            let (a, key) = ephemeral(enc, &d.x25519, rng)?;
            let blob = seal_layer(&key, &inner, rng)?;
            let routing = Routing {
                destination: Some(d.ed25519.to_hex().into()),
                enc_type: Some(enc_name.into()),
                ephemeral_key: Some(a.to_hex().into()),
                ..Routing::default()
            };
            (blob, routing, key)
        }
        Destination::Server(s) => {
            // libsession Builder::build: the server gets the payload itself, encrypted; the
            // last relay gets where to send it.
            let (a, key) = ephemeral(enc, &s.x25519, rng)?;
            let blob = seal_layer(&key, payload, rng)?;
            let routing = Routing {
                enc_type: Some(enc_name.into()),
                ephemeral_key: Some(a.to_hex().into()),
                host: Some(s.host.as_str().into()),
                method: Some("POST".into()),
                port: Some(u64::from(s.port).into()),
                protocol: Some(s.scheme.as_str().into()),
                target: Some(s.target.as_str().into()),
                ..Routing::default()
            };
            (blob, routing, key)
        }
    };

    // Wrap for each relay, last first.
    for hop in path.iter().rev() {
        let plaintext = frame(blob, routing)?;
        let (a, key) = ephemeral(enc, &hop.x25519, rng)?;
        blob = seal_layer(&key, &plaintext, rng)?;
        routing = Routing {
            destination: Some(hop.ed25519.to_hex().into()),
            enc_type: Some(enc_name.into()),
            ephemeral_key: Some(a.to_hex().into()),
            ..Routing::default()
        };
    }

    // The first hop learns only how to decrypt its layer.
    let outer = Routing {
        enc_type: routing.enc_type,
        ephemeral_key: routing.ephemeral_key,
        ..Routing::default()
    };
    let body = frame(blob, outer)?;
    Ok((body, PendingReply { key: reply_key }))
}

/// What a client keeps after [`build`] to read the destination's reply: the destination
/// layer's key.
///
/// # Security
/// Holds a secret key; `Debug` prints `[redacted]`.
#[derive(Clone, Debug)]
pub struct PendingReply {
    key: LayerKey,
}

/// A snode destination's answer, decrypted (protocol.md §7.4).
///
/// # Format
/// ```text
/// HTTP 200 body:  base64(nonce ‖ Enc({"status": 200, "body": "<response JSON as a string>"}))
///                 or {"result": "<that base64>"}
/// ```
/// `status_code` is accepted for `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The destination's HTTP status for the inner request (200, 421, 406, …).
    pub status: u16,
    /// The body: for storage RPC, the response JSON as a string.
    pub body: String,
}

impl PendingReply {
    /// The reply key of a request built elsewhere: its encryption type, the destination
    /// layer's ephemeral secret, and the destination's X25519 key.
    ///
    /// # Errors
    /// [`Error::LowOrderKey`] for a low-order destination key.
    pub fn new(
        enc: EncType,
        ephemeral_secret: &[u8; 32],
        destination: &X25519Pub,
    ) -> Result<Self, Error> {
        let key = LayerKey::for_client(enc, ephemeral_secret, destination)
            .map_err(|_| Error::LowOrderKey { key: *destination })?;
        Ok(Self { key })
    }

    /// The encryption type of the request, and so of the reply.
    pub fn enc_type(&self) -> EncType {
        self.key.enc_type()
    }

    /// Decrypts raw reply bytes (a server destination's v4 reply, or a snode reply requested
    /// with `"base64": false`).
    ///
    /// # Errors
    /// [`Error::ReplyDecrypt`] if they do not decrypt with this request's key.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        self.key.decrypt(ciphertext).map_err(Error::ReplyDecrypt)
    }

    /// Opens the HTTP 200 body of a snode destination's reply (v3, protocol.md §7.4).
    ///
    /// The body is base64, or a JSON object whose string `result` is the base64; it decrypts
    /// to `{"status" or "status_code": n, "body": …}`. A non-string `body` (asked for with
    /// `"json": true`) is returned serialized. A non-200 HTTP status means a hop failed and
    /// the body is plain text: don't call this then (see [`crate::rpc::status::of_path_reply`]).
    ///
    /// # Errors
    /// [`Error::EmptyReply`], [`Error::ReplyBase64`], [`Error::ReplyDecrypt`] or
    /// [`Error::ReplyJson`], in the order the steps fail.
    pub fn open(&self, http_body: &[u8]) -> Result<Response, Error> {
        let text = http_body.trim_ascii();
        if text.is_empty() {
            return Err(Error::EmptyReply);
        }
        // session-desktop decodeOnionResult: use `result` if the body is JSON with one.
        let wrapped = serde_json::from_slice::<WrappedReply>(text).ok();
        let b64 = match wrapped.as_ref().and_then(|w| w.result.as_deref()) {
            Some(s) => s.trim().as_bytes(),
            None => text,
        };
        let ciphertext = BASE64.decode(b64).map_err(|e| Error::ReplyBase64 {
            reason: e.to_string(),
        })?;
        let plaintext = self.decrypt(&ciphertext)?;
        parse_v3_plaintext(&plaintext)
    }
}

/// A guard's 200 body when it wraps the reply: `{"result": "<base64>"}`. Decoded straight
/// into this type (the reply is untrusted): anything else means the body is the base64 itself.
#[derive(serde::Deserialize)]
struct WrappedReply {
    result: Option<String>,
}

/// A number field of the reply envelope, or something else (which counts as absent, as in
/// session-desktop's `status_code || status`). Anything else is skipped without being kept (a
/// derived `untagged` enum would buffer it, however large, to try each variant).
enum EnvelopeNumber {
    Number(serde_json::Number),
    Other,
}

impl<'de> serde::Deserialize<'de> for EnvelopeNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, SeqAccess};
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = EnvelopeNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<EnvelopeNumber, E> {
                Ok(EnvelopeNumber::Number(n.into()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<EnvelopeNumber, E> {
                Ok(EnvelopeNumber::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<EnvelopeNumber, E> {
                Ok(serde_json::Number::from_f64(n)
                    .map_or(EnvelopeNumber::Other, EnvelopeNumber::Number))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<EnvelopeNumber, E> {
                Ok(EnvelopeNumber::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<EnvelopeNumber, E> {
                Ok(EnvelopeNumber::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnvelopeNumber, E> {
                Ok(EnvelopeNumber::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnvelopeNumber, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(EnvelopeNumber::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvelopeNumber, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(EnvelopeNumber::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl EnvelopeNumber {
    fn nonzero(&self) -> Option<u64> {
        match self {
            Self::Number(n) => n.as_u64().filter(|&c| c != 0),
            Self::Other => None,
        }
    }
}

/// The decrypted v3 envelope, decoded straight into typed fields: `body` is kept as the raw
/// JSON text it was sent as (a string is unquoted), never parsed into a tree.
#[derive(serde::Deserialize)]
struct ReplyEnvelope {
    status_code: Option<EnvelopeNumber>,
    status: Option<EnvelopeNumber>,
    body: Option<Box<serde_json::value::RawValue>>,
}

/// `{"status"|"status_code": n, "body": …}` → [`Response`].
fn parse_v3_plaintext(plaintext: &[u8]) -> Result<Response, Error> {
    let bad = |reason: String| Error::ReplyJson { reason };
    let v: ReplyEnvelope = serde_json::from_slice(plaintext).map_err(|e| bad(e.to_string()))?;
    // session-desktop: `status_code || status` (so a 0 status_code falls through).
    let status = v
        .status_code
        .as_ref()
        .and_then(EnvelopeNumber::nonzero)
        .or_else(|| v.status.as_ref().and_then(EnvelopeNumber::nonzero))
        .ok_or_else(|| bad("no numeric 'status'".to_owned()))?;
    let status = u16::try_from(status).map_err(|_| bad(format!("status {status} out of range")))?;
    let body = match v.body.as_deref().map(serde_json::value::RawValue::get) {
        None | Some("null") => String::new(),
        Some(raw) if raw.starts_with('"') => {
            serde_json::from_str::<String>(raw).map_err(|e| bad(e.to_string()))?
        }
        Some(raw) => raw.to_owned(),
    };
    Ok(Response { status, body })
}

// ---------------------------------------------------------------------------------------------
// Node side
// ---------------------------------------------------------------------------------------------

/// The key a node answers the client with: the layer key of the layer it decrypted.
///
/// # Security
/// Holds a secret key; `Debug` prints `[redacted]`.
#[derive(Clone, Debug)]
pub struct ReplyKey(LayerKey);

impl ReplyKey {
    /// The encryption type the reply uses (the request's).
    pub fn enc_type(&self) -> EncType {
        self.0.enc_type()
    }

    /// The layer key.
    pub fn layer_key(&self) -> &LayerKey {
        &self.0
    }

    /// Encrypts a reply: `nonce ‖ ciphertext ‖ tag`, raw.
    ///
    /// # Errors
    /// [`CryptoError::TooLong`] for a plaintext beyond the AEAD's limit.
    pub fn seal(
        &self,
        plaintext: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.encrypt(plaintext, rng)
    }

    /// The text body of a destination's HTTP 200 answer:
    /// `base64(Enc({"status": status, "body": body}))` (storage server `wrap_proxy_response`).
    ///
    /// # Errors
    /// [`CryptoError::TooLong`] for a body beyond the AEAD's limit.
    pub fn seal_response(
        &self,
        status: u16,
        body: &str,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<String, CryptoError> {
        let inner = json!({"status": status, "body": body}).to_string();
        Ok(BASE64.encode(self.seal(inner.as_bytes(), rng)?))
    }
}

/// A request to pass on to the next service node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    /// The next node's Ed25519 key. A node that does not know it answers 502
    /// `Next node not found: <hex>`.
    pub destination: Ed25519Pub,
    /// The ephemeral key for the next node's layer.
    pub ephemeral_key: X25519Pub,
    /// The next layer's encryption.
    pub enc_type: EncType,
    /// The next node's hop number (this node's + 1).
    pub hop_no: u32,
    /// What the next node gets: `[N][blob]{"enc_type","ephemeral_key","hop_no"}`, ready for
    /// its [`peel`]. (Storage servers send the same fields bencoded over their internal
    /// transport.)
    pub next_layer: Vec<u8>,
    /// The routing header this node decrypted.
    pub routing: Routing,
}

/// A request for this node itself: a storage RPC request to run and answer.
#[derive(Clone, Debug)]
pub struct Final {
    /// The request body (storage RPC JSON `{"method", "params"}` as bytes).
    pub payload: Vec<u8>,
    /// `"json": true`: embed a JSON response body as JSON rather than as a string.
    pub json: bool,
    /// `"base64": false` turns off base64 for the reply (default on).
    pub base64: bool,
    /// The routing header (it has `"headers"`).
    pub routing: Routing,
    /// The key to encrypt the reply with.
    pub reply: ReplyKey,
}

impl Final {
    /// The HTTP 200 body answering this request, honouring its `json` and `base64` options
    /// (storage server `wrap_proxy_response`). A string `body` is sent as is; any other JSON
    /// is embedded (`json: true`) or serialized into a string.
    ///
    /// # Errors
    /// [`CryptoError::TooLong`] for a body beyond the AEAD's limit.
    pub fn respond(
        &self,
        status: u16,
        body: &Value,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vec<u8>, CryptoError> {
        let body = match body {
            Value::String(_) => body.clone(),
            other if self.json => other.clone(),
            other => Value::String(other.to_string()),
        };
        let inner = json!({"status": status, "body": body}).to_string();
        let sealed = self.reply.seal(inner.as_bytes(), rng)?;
        Ok(if self.base64 {
            BASE64.encode(sealed).into_bytes()
        } else {
            sealed
        })
    }
}

/// A request to forward to an HTTP(S) server (protocol.md §7.2 case 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// The server's host: a name, an IPv4 address or a bracketed IPv6 address (`peel`
    /// refuses anything else).
    pub host: String,
    /// The path; checked to be `/oxen/…/lsrpc` or `/loki/…/lsrpc` without a query.
    pub target: String,
    /// The port (default 443).
    pub port: u16,
    /// `http` or `https` (default).
    pub scheme: Scheme,
    /// The method named in the request (storage servers always POST).
    pub method: String,
    /// What to POST: this node's whole decrypted layer, `[N][blob]{json}`.
    pub layer_plaintext: Vec<u8>,
    /// The routing header.
    pub routing: Routing,
}

impl Proxy {
    /// The URL to POST to, as the storage server builds it (port only if not the default).
    pub fn url(&self) -> String {
        let port = if self.port == self.scheme.default_port() {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        let slash = if self.target.starts_with('/') {
            ""
        } else {
            "/"
        };
        // `peel` admits only valid hosts and targets; a `Proxy` built by hand with anything
        // else still cannot move the request elsewhere: the characters that would end the
        // host or the path are percent-encoded, which leaves an unusable URL, not another one.
        let host = if is_valid_host(&self.host) {
            self.host.clone()
        } else {
            percent_encode(&self.host, |c| {
                c.is_ascii_alphanumeric() || c == '.' || c == '-'
            })
        };
        let target = percent_encode(&self.target, |c| {
            c.is_ascii_graphic() && !matches!(c, '?' | '#' | '%' | '\\')
        });
        format!("{}://{host}{port}{slash}{target}", self.scheme)
    }
}

/// Whether `host` is one an exit node forwards to: a name of ASCII letters, digits, `-` and
/// non-empty `.`-separated labels (an IPv4 address is one), or a bracketed IPv6 address.
/// Anything else (a port, a path, a query, user info, spaces) would let the routing JSON
/// choose a URL other than `scheme://host:port/target`.
pub(crate) fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `s` with every byte of a character `keep` refuses written as `%XX`.
fn percent_encode(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if keep(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// What a node does with an onion request layer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Peeled {
    /// Pass it on.
    Relay(Relay),
    /// Answer it.
    Final(Final),
    /// Forward it to a server.
    Proxy(Proxy),
}

/// A decrypted layer: what [`decrypt_layer`] returns.
#[derive(Clone, Debug)]
pub struct Unwrapped {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The key to answer with.
    pub reply: ReplyKey,
    /// The layer's hop number (0 if absent).
    pub hop_no: u32,
}

/// Why a node refuses an onion request layer; [`PeelError::http_reply`] is its answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PeelError {
    /// The layer's framing is wrong. (Not a `#[source]`: the message already includes it,
    /// as the storage server's plain-text answer does.)
    #[error("Error parsing onion request: {0}")]
    Layer(wire::DecodeError),
    /// The layer's JSON lacks a field or has a bad one (`ephemeral_key`, `enc_type`, `hop_no`).
    #[error("Error parsing onion request: {problem}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The hop number is above [`MAX_ONION_HOPS`].
    #[error("onion request max path length exceeded")]
    HopLimit {
        /// The hop number.
        hop_no: u32,
    },
    /// The blob does not decrypt with this node's key.
    #[error("Invalid ciphertext")]
    Ciphertext(#[source] CryptoError),
    /// The decrypted layer is not `[N][blob]{json}` or its JSON is not a valid instruction.
    /// The node answers this one encrypted.
    #[error("Invalid json")]
    InvalidJson {
        /// What is wrong.
        reason: String,
        /// The key to answer with.
        reply: ReplyKey,
    },
    /// A proxy request to a scheme or target the node will not proxy to. Answered encrypted.
    #[error("Invalid url")]
    InvalidUrl {
        /// The `protocol` given.
        protocol: String,
        /// The `target` given.
        target: String,
        /// The key to answer with.
        reply: ReplyKey,
    },
}

impl PeelError {
    /// The HTTP status a storage server answers with (protocol.md §15.10).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Layer(_) | Self::Field { .. } | Self::HopLimit { .. } | Self::Ciphertext(_) => {
                400
            }
            // Answered as a successful onion reply carrying the 400 inside.
            Self::InvalidJson { .. } | Self::InvalidUrl { .. } => 200,
        }
    }

    /// The HTTP status and text body a storage server sends for this error: plain text, or
    /// for [`PeelError::InvalidJson`]/[`PeelError::InvalidUrl`] the encrypted base64
    /// `{"status":400,"body":"Invalid json"|"Invalid url"}` under status 200.
    pub fn http_reply(&self, rng: &mut (impl RngCore + CryptoRng)) -> (u16, String) {
        let sealed = |reply: &ReplyKey, msg: &str, rng: &mut _| {
            reply
                .seal_response(400, msg, rng)
                .expect("should encrypt a reply of a few dozen bytes")
        };
        let body = match self {
            Self::InvalidJson { reply, .. } => sealed(reply, "Invalid json", rng),
            Self::InvalidUrl { reply, .. } => sealed(reply, "Invalid url", rng),
            other => other.to_string(),
        };
        (self.http_status(), body)
    }
}

fn field_error(field: &'static str, problem: impl Into<String>) -> PeelError {
    PeelError::Field {
        field,
        problem: problem.into(),
    }
}

fn hex_x25519(v: &Scalar) -> Option<X25519Pub> {
    v.as_str()?.parse().ok()
}

/// Decrypts one layer with the node's X25519 key pair, without interpreting the plaintext.
///
/// The layer's JSON gives `ephemeral_key` (required), `enc_type` (default AES-GCM) and
/// `hop_no` (default 0; negative counts as 0). This is also what a server destination does
/// with the request it is proxied (libsession-util `parser.cpp`).
///
/// # Errors
/// [`PeelError::Layer`]/[`PeelError::Field`] for a malformed layer,
/// [`PeelError::HopLimit`] for a hop number above 15, [`PeelError::Ciphertext`] when the blob
/// does not decrypt.
pub fn decrypt_layer(node: &NodeKeys<'_>, layer: &[u8]) -> Result<Unwrapped, PeelError> {
    let layer = Layer::decode(layer).map_err(PeelError::Layer)?;
    let json = layer.routing();
    let ephemeral_key = match &json.ephemeral_key {
        None => {
            return Err(field_error(
                "ephemeral_key",
                "key 'ephemeral_key' not found",
            ));
        }
        Some(v) => hex_x25519(v)
            .ok_or_else(|| field_error("ephemeral_key", format!("invalid ephemeral_key {v}")))?,
    };
    let enc_type = match &json.enc_type {
        None => EncType::default(),
        Some(Scalar::String(s)) => s
            .parse()
            .map_err(|e: hop::UnknownEncType| field_error("enc_type", e.to_string()))?,
        Some(v) => return Err(field_error("enc_type", format!("invalid enc_type {v}"))),
    };
    // session-storage-server https.cpp: a client may give a fake starting hop number.
    let hop_no = match &json.hop_no {
        None => 0,
        Some(v) => {
            let n = v
                .as_i64()
                .ok_or_else(|| field_error("hop_no", format!("invalid hop_no {v}")))?;
            u32::try_from(n.max(0)).unwrap_or(u32::MAX)
        }
    };
    // session-storage-server omq.cpp checks this before decrypting. It checks only relayed
    // requests; sesh checks every layer, which differs only for a client that sends a fake
    // hop_no above 15 to its guard.
    if hop_no > MAX_ONION_HOPS {
        return Err(PeelError::HopLimit { hop_no });
    }
    let key = LayerKey::for_node(enc_type, node, &ephemeral_key).map_err(PeelError::Ciphertext)?;
    let plaintext = key.decrypt(layer.blob()).map_err(PeelError::Ciphertext)?;
    Ok(Unwrapped {
        plaintext,
        reply: ReplyKey(key),
        hop_no,
    })
}

/// Peels one layer: decrypts it with the node's X25519 key pair and says what to do.
///
/// `layer` is the HTTP body a client POSTs to `/onion_req/v2`, or a [`Relay::next_layer`]
/// from the previous node. Mirrors session-storage-server `process_inner_request`: a routing
/// JSON with `headers` is for this node ([`Peeled::Final`]); with `host`, for a server
/// ([`Peeled::Proxy`]); otherwise for the node named by `destination` ([`Peeled::Relay`]).
///
/// # Errors
/// The errors of [`decrypt_layer`]; then [`PeelError::InvalidJson`] when the plaintext is not
/// a valid instruction and [`PeelError::InvalidUrl`] for a proxy target the storage server
/// would refuse. [`PeelError::http_reply`] gives the answer to send.
pub fn peel(node: &NodeKeys<'_>, layer: &[u8]) -> Result<Peeled, PeelError> {
    let Unwrapped {
        plaintext,
        reply,
        hop_no,
    } = decrypt_layer(node, layer)?;
    match interpret(&plaintext, hop_no) {
        Ok(Interpreted::Relay(r)) => Ok(Peeled::Relay(r)),
        Ok(Interpreted::Final {
            payload,
            json,
            base64,
            routing,
        }) => Ok(Peeled::Final(Final {
            payload,
            json,
            base64,
            routing,
            reply,
        })),
        Ok(Interpreted::Proxy {
            host,
            target,
            port,
            protocol,
            method,
            routing,
        }) => {
            // request_handler.cpp process_onion_req(RelayToServerInfo&&) and
            // onion_processing.cpp is_onion_url_target_allowed.
            let allowed = (target.starts_with("/oxen/") || target.starts_with("/loki/"))
                && target.ends_with("/lsrpc")
                && !target.contains('?');
            let scheme = match protocol.as_str() {
                "https" => Some(Scheme::Https),
                "http" => Some(Scheme::Http),
                _ => None,
            };
            match scheme {
                Some(scheme) if allowed => Ok(Peeled::Proxy(Proxy {
                    host,
                    target,
                    port,
                    scheme,
                    method,
                    layer_plaintext: plaintext,
                    routing,
                })),
                _ => Err(PeelError::InvalidUrl {
                    protocol,
                    target,
                    reply,
                }),
            }
        }
        Err(reason) => Err(PeelError::InvalidJson { reason, reply }),
    }
}

enum Interpreted {
    Relay(Relay),
    Final {
        payload: Vec<u8>,
        json: bool,
        base64: bool,
        routing: Routing,
    },
    Proxy {
        host: String,
        target: String,
        port: u16,
        protocol: String,
        method: String,
        routing: Routing,
    },
}

/// The decrypted plaintext of a layer → what it asks for; `Err` is the "Invalid json" case.
fn interpret(plaintext: &[u8], hop_no: u32) -> Result<Interpreted, String> {
    let (blob, routing) = Layer::decode(plaintext)
        .map_err(|e| e.to_string())?
        .into_parts();
    let opt_bool = |k: &str, v: &Option<Scalar>, default: bool| match v {
        None => Ok(default),
        Some(Scalar::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("'{k}' is {}, not a boolean", v.kind())),
    };
    let opt_str = |k: &str, v: &Option<Scalar>, default: &str| match v {
        None => Ok(default.to_owned()),
        Some(Scalar::String(s)) => Ok(s.clone()),
        Some(v) => Err(format!("'{k}' is {}, not a string", v.kind())),
    };

    if routing.headers.is_some() {
        return Ok(Interpreted::Final {
            payload: blob,
            json: opt_bool("json", &routing.json, false)?,
            base64: opt_bool("base64", &routing.base64, true)?,
            routing,
        });
    }

    if let Some(host) = &routing.host {
        let host = host
            .as_str()
            .ok_or_else(|| "'host' is not a string".to_owned())?
            .to_owned();
        if !is_valid_host(&host) {
            return Err(
                "'host' is not a host name, an IPv4 address or a bracketed IPv6 address".to_owned(),
            );
        }
        let target = match &routing.target {
            None => return Err("key 'target' not found".to_owned()),
            Some(Scalar::String(s)) => s.clone(),
            Some(v) => return Err(format!("'target' is {}, not a string", v.kind())),
        };
        let port = match &routing.port {
            None => 443,
            Some(v) => v
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| format!("invalid port {v}"))?,
        };
        // A string other than http/https is "Invalid url", checked by the caller.
        let protocol = opt_str("protocol", &routing.protocol, "https")?;
        let method = opt_str("method", &routing.method, "POST")?;
        return Ok(Interpreted::Proxy {
            host,
            target,
            port,
            protocol,
            method,
            routing,
        });
    }

    let destination: Ed25519Pub = match &routing.destination {
        None => return Err("key 'destination' not found".to_owned()),
        Some(v) => v
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("invalid destination {v}"))?,
    };
    let ephemeral_key = match &routing.ephemeral_key {
        None => return Err("key 'ephemeral_key' not found".to_owned()),
        Some(v) => hex_x25519(v).ok_or_else(|| format!("invalid ephemeral_key {v}"))?,
    };
    let enc_type: EncType = match &routing.enc_type {
        None => EncType::default(),
        Some(Scalar::String(s)) => s.parse().map_err(|e: hop::UnknownEncType| e.to_string())?,
        Some(v) => return Err(format!("invalid enc_type {v}")),
    };
    let next_hop = hop_no.saturating_add(1);
    let next_layer = Layer::new(
        blob,
        Routing {
            enc_type: Some(enc_type.as_str().into()),
            ephemeral_key: Some(ephemeral_key.to_hex().into()),
            hop_no: Some(u64::from(next_hop).into()),
            ..Routing::default()
        },
    )
    .map_err(|e| e.to_string())?
    .encode();
    Ok(Interpreted::Relay(Relay {
        destination,
        ephemeral_key,
        enc_type,
        hop_no: next_hop,
        next_layer,
        routing,
    }))
}
