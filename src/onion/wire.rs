//! The framing of one onion request layer: a size-prefixed blob followed by a JSON object.
//!
//! Mirrors session-storage-server `oxenss/rpc/onion_processing.cpp parse_combined_payload` and
//! libsession-util `src/onionreq/builder.cpp` (protocol.md §7.2). No crypto here.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest layer sesh encodes or decodes: the storage server's 10 MiB request limit plus
/// room for the layers' own overhead.
pub const MAX_LAYER_LEN: usize = crate::rpc::limits::MAX_REQUEST_BODY + 64 * 1024;

/// The longest routing JSON a layer may carry: 4 KiB. An honest one is a few hundred bytes
/// (two hex keys and an encryption type, or a proxy's host, target, method, port and
/// protocol); the bound is checked before the JSON is parsed.
pub use crate::rpc::limits::MAX_ROUTING_JSON_LEN;

/// One layer of an onion request: a blob and the routing header that says what to do with it.
///
/// # Format
/// ```text
/// [u32 little-endian: N][N bytes: blob][UTF-8 JSON object: the rest, no terminator]
/// ```
/// The blob is a ciphertext for the next hop, or at the destination the request body. The
/// JSON is the [`Routing`] header: `ephemeral_key`/`enc_type` (outermost layer),
/// `destination`/`ephemeral_key`/`enc_type` (relay), `headers` (final destination) or
/// `host`/`target`/… (proxy to a server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    blob: Vec<u8>,
    routing: Routing,
}

impl Layer {
    /// A layer from its parts.
    ///
    /// # Errors
    /// [`DecodeError::TooLarge`] if the encoded layer would exceed [`MAX_LAYER_LEN`],
    /// [`DecodeError::RoutingTooLarge`] if its routing JSON would exceed
    /// [`MAX_ROUTING_JSON_LEN`].
    pub fn new(blob: Vec<u8>, routing: Routing) -> Result<Self, DecodeError> {
        let layer = Self { blob, routing };
        // The header is small; serializing it twice for the check only happens on this path.
        let json_len = layer.routing.to_json().len();
        if json_len > MAX_ROUTING_JSON_LEN {
            return Err(DecodeError::RoutingTooLarge {
                len: json_len,
                max: MAX_ROUTING_JSON_LEN,
            });
        }
        let len = 4 + layer.blob.len() + json_len;
        if len > MAX_LAYER_LEN {
            return Err(DecodeError::TooLarge {
                len,
                max: MAX_LAYER_LEN,
            });
        }
        Ok(layer)
    }

    /// The blob.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The routing header.
    pub fn routing(&self) -> &Routing {
        &self.routing
    }

    /// The blob and the routing header.
    pub fn into_parts(self) -> (Vec<u8>, Routing) {
        (self.blob, self.routing)
    }

    /// The layer's bytes. The JSON is compact, its keys in alphabetical order (as libsession
    /// emits them), absent fields left out.
    pub fn encode(&self) -> Vec<u8> {
        let json = self.routing.to_json();
        let n = u32::try_from(self.blob.len())
            .expect("should fit: Layer::new bounds the blob by MAX_LAYER_LEN");
        let mut out = Vec::with_capacity(4 + self.blob.len() + json.len());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&self.blob);
        out.extend_from_slice(json.as_bytes());
        out
    }

    /// Parses a layer. Whitespace around the JSON is allowed, as the storage server allows it.
    /// The header is parsed straight into [`Routing`]: unknown keys are skipped without being
    /// kept, and a known key of an unexpected JSON type is kept as its [`Scalar`] for the
    /// interpreter to refuse (or ignore, when its case does not read it).
    ///
    /// # Errors
    /// A [`DecodeError`] saying which part is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_LAYER_LEN {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: MAX_LAYER_LEN,
            });
        }
        let Some((prefix, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(DecodeError::NoSize { len: bytes.len() });
        };
        let n = u32::from_le_bytes(*prefix);
        let blob_len = usize::try_from(n).ok().filter(|&n| n <= rest.len()).ok_or(
            DecodeError::BlobLength {
                declared: n,
                available: rest.len(),
            },
        )?;
        let (blob, tail) = rest.split_at(blob_len);
        if tail.len() > MAX_ROUTING_JSON_LEN {
            return Err(DecodeError::RoutingTooLarge {
                len: tail.len(),
                max: MAX_ROUTING_JSON_LEN,
            });
        }
        if tail.iter().all(u8::is_ascii_whitespace) {
            return Err(DecodeError::MissingJson);
        }
        let routing = match serde_json::from_slice::<Header>(tail) {
            Ok(Header::Object(routing)) => *routing,
            Ok(Header::Not(found)) => return Err(DecodeError::NotAnObject { found }),
            Err(e) => {
                return Err(DecodeError::Json {
                    reason: e.to_string(),
                });
            }
        };
        Ok(Self {
            blob: blob.to_vec(),
            routing,
        })
    }
}

/// The routing header of a layer (protocol.md §7.2/§7.3): every key a client, relay or
/// destination reads, each present or not. Keys are declared (and so serialized) in
/// alphabetical order, the order libsession's JSON library writes them. Other keys are
/// tolerated and dropped, as the storage server ignores them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// Final destination: `false` turns off base64 for the reply (default on).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub base64: Option<Scalar>,
    /// Relay: the next node's Ed25519 key, hex.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination: Option<Scalar>,
    /// The next layer's encryption (`aes-gcm` by default, or `xchacha20`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub enc_type: Option<Scalar>,
    /// The ephemeral X25519 key of the layer this header is for, hex.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_key: Option<Scalar>,
    /// Final destination: present (any value; libsession sends `""`) means "for this node".
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub headers: Option<Scalar>,
    /// The hop number a relay gives the next node (negative counts as 0).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub hop_no: Option<Scalar>,
    /// Proxy: the server's host.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub host: Option<Scalar>,
    /// Final destination: `true` embeds a JSON reply body as JSON.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub json: Option<Scalar>,
    /// Proxy: the HTTP method (default `POST`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<Scalar>,
    /// Proxy: the server's port (default 443).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub port: Option<Scalar>,
    /// Proxy: `http` or `https` (default).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol: Option<Scalar>,
    /// Proxy: the path on the server.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub target: Option<Scalar>,
}

impl Routing {
    /// The header as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("should serialize: strings, numbers and booleans")
    }
}

/// A key that is there, even as `null` (the storage server tests presence with `contains`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
    Scalar::deserialize(d).map(Some)
}

/// The value of one routing key, typed by what JSON gave. Arrays and objects are skipped
/// while parsing (none of the keys takes one): only their kind is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scalar {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array (its contents are not kept).
    Array,
    /// An object (its contents are not kept).
    Object,
}

impl Scalar {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The JSON type's name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<u64> for Scalar {
    fn from(n: u64) -> Self {
        Self::Number(n.into())
    }
}

impl From<bool> for Scalar {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// As JSON (`"abc"`, `12`, `null`); an array or object as `[…]`/`{…}`.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => {
                let quoted = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
            Self::Array => f.write_str("[…]"),
            Self::Object => f.write_str("{…}"),
        }
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => n.serialize(s),
            Self::String(v) => s.serialize_str(v),
            Self::Array => s.serialize_seq(Some(0))?.end(),
            Self::Object => s.serialize_map(Some(0))?.end(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                serde_json::Number::from_f64(n)
                    .map(Scalar::Number)
                    .ok_or_else(|| E::custom("a non-finite number"))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::String(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Scalar, E> {
                Ok(Scalar::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Object)
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON after the blob: a routing header, or the kind of JSON it is instead.
enum Header {
    Object(Box<Routing>),
    Not(&'static str),
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Header;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Header, A::Error> {
                Routing::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|r| Header::Object(Box::new(r)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Header, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Header::Not("an array"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Header, E> {
                Ok(Header::Not("null"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Header, E> {
                Ok(Header::Not("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Header, E> {
                Ok(Header::Not("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Header, E> {
                Ok(Header::Not("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Header, E> {
                Ok(Header::Not("a number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Header, E> {
                Ok(Header::Not("a string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Why bytes are not an onion request layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer than the 4 bytes of the size prefix.
    #[error("unexpected payload size {len}; expected a 4-byte ciphertext size")]
    NoSize {
        /// The input's length.
        len: usize,
    },
    /// The size prefix claims more bytes than follow it.
    #[error("unexpected payload size {available}, expected >= {declared}")]
    BlobLength {
        /// The size the prefix declares.
        declared: u32,
        /// The bytes after the prefix.
        available: usize,
    },
    /// Nothing (or only whitespace) after the blob.
    #[error("no JSON after the ciphertext")]
    MissingJson,
    /// The bytes after the blob are not valid JSON.
    #[error("invalid JSON after the ciphertext: {reason}")]
    Json {
        /// The JSON parser's message.
        reason: String,
    },
    /// The JSON after the blob is valid but not an object.
    #[error("JSON after the ciphertext is {found}, not an object")]
    NotAnObject {
        /// What it is instead.
        found: &'static str,
    },
    /// The routing JSON after the blob is longer than any honest one.
    #[error("routing JSON of {len} bytes exceeds the {max}-byte limit")]
    RoutingTooLarge {
        /// Its length.
        len: usize,
        /// The limit, [`MAX_ROUTING_JSON_LEN`].
        max: usize,
    },
    /// The layer is larger than sesh handles.
    #[error("onion request layer of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit, [`MAX_LAYER_LEN`].
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_json_is_bounded_before_it_is_parsed() {
        let mut bytes = vec![1, 0, 0, 0, b'x'];
        let host = "h".repeat(MAX_ROUTING_JSON_LEN);
        bytes.extend_from_slice(format!(r#"{{"host":"{host}"}}"#).as_bytes());
        assert_eq!(
            Layer::decode(&bytes),
            Err(DecodeError::RoutingTooLarge {
                len: MAX_ROUTING_JSON_LEN + 11,
                max: MAX_ROUTING_JSON_LEN
            })
        );
        // Even when it is not JSON at all: the length is checked first.
        let mut bytes = vec![0, 0, 0, 0];
        bytes.extend(std::iter::repeat_n(b'[', MAX_ROUTING_JSON_LEN + 1));
        assert!(matches!(
            Layer::decode(&bytes),
            Err(DecodeError::RoutingTooLarge { .. })
        ));
        // Up to the bound is fine.
        let host = "h".repeat(MAX_ROUTING_JSON_LEN - 11);
        let mut bytes = vec![0, 0, 0, 0];
        bytes.extend_from_slice(format!(r#"{{"host":"{host}"}}"#).as_bytes());
        assert!(Layer::decode(&bytes).is_ok());
        let routing = Routing {
            host: Some("h".repeat(MAX_ROUTING_JSON_LEN).into()),
            ..Routing::default()
        };
        assert!(matches!(
            Layer::new(Vec::new(), routing),
            Err(DecodeError::RoutingTooLarge { .. })
        ));
    }

    #[test]
    fn round_trips_and_keeps_key_order() {
        let routing = Routing {
            ephemeral_key: Some("ab".into()),
            enc_type: Some("xchacha20".into()),
            ..Routing::default()
        };
        let layer = Layer::new(b"\x00blob\xff".to_vec(), routing).unwrap();
        let bytes = layer.encode();
        assert_eq!(&bytes[..4], &[6, 0, 0, 0]);
        assert_eq!(
            &bytes[10..],
            br#"{"enc_type":"xchacha20","ephemeral_key":"ab"}"#
        );
        assert_eq!(Layer::decode(&bytes).unwrap(), layer);
    }

    #[test]
    fn decode_errors_are_specific() {
        assert_eq!(
            Layer::decode(b"\x01\x00"),
            Err(DecodeError::NoSize { len: 2 })
        );
        assert_eq!(
            Layer::decode(b"\x06\x00\x00\x00abc{}"),
            Err(DecodeError::BlobLength {
                declared: 6,
                available: 5
            })
        );
        assert_eq!(
            Layer::decode(b"\xff\xff\xff\xffabc"),
            Err(DecodeError::BlobLength {
                declared: u32::MAX,
                available: 3
            })
        );
        assert_eq!(
            Layer::decode(b"\x03\x00\x00\x00abc"),
            Err(DecodeError::MissingJson)
        );
        assert_eq!(
            Layer::decode(b"\x03\x00\x00\x00abc \n"),
            Err(DecodeError::MissingJson)
        );
        assert!(matches!(
            Layer::decode(b"\x03\x00\x00\x00abc{\"a\":"),
            Err(DecodeError::Json { .. })
        ));
        assert!(matches!(
            Layer::decode(b"\x03\x00\x00\x00abc{} x"),
            Err(DecodeError::Json { .. })
        ));
        assert_eq!(
            Layer::decode(b"\x00\x00\x00\x00[1]"),
            Err(DecodeError::NotAnObject { found: "an array" })
        );
        // Whitespace around the object is fine; an empty blob is fine.
        let l = Layer::decode(b"\x00\x00\x00\x00 {\"headers\": \"\"} \n").unwrap();
        assert!(l.blob().is_empty());
        assert_eq!(l.routing().headers, Some("".into()));
    }

    #[test]
    fn headers_are_typed_and_tolerant() {
        // Unknown keys, nested or not, are skipped; a known key keeps whatever JSON gave it.
        let mut bytes = vec![0, 0, 0, 0];
        bytes.extend_from_slice(
            br#"{"extra":{"a":[1,{"b":null}]},"hop_no":-3,"headers":null,"port":[1,2],"host":{"x":1},"json":true,"target":"/t\u00e9"}"#,
        );
        let r = Layer::decode(&bytes).unwrap().into_parts().1;
        assert_eq!(r.hop_no.as_ref().and_then(Scalar::as_i64), Some(-3));
        // Present as null still counts as present (the storage server's `contains`).
        assert_eq!(r.headers, Some(Scalar::Null));
        assert_eq!(r.port, Some(Scalar::Array));
        assert_eq!(r.host.as_ref().map(Scalar::kind), Some("an object"));
        assert_eq!(r.json, Some(Scalar::Bool(true)));
        assert_eq!(r.target.as_ref().and_then(Scalar::as_str), Some("/t\u{e9}"));
        assert_eq!(r.destination, None);
        assert_eq!(Scalar::from("a\"b").to_string(), r#""a\"b""#);
        // A key given twice is refused rather than silently taking one of them.
        assert!(matches!(
            Layer::decode(b"\x00\x00\x00\x00{\"host\":\"a\",\"host\":\"b\"}"),
            Err(DecodeError::Json { .. })
        ));
        for (json, found) in [("null", "null"), ("1.5", "a number"), ("\"s\"", "a string")] {
            let bytes = [&[0u8; 4][..], json.as_bytes()].concat();
            assert_eq!(
                Layer::decode(&bytes),
                Err(DecodeError::NotAnObject { found })
            );
        }
    }

    #[test]
    fn sizes_are_bounded() {
        let big = vec![0u8; MAX_LAYER_LEN];
        assert!(matches!(
            Layer::new(big.clone(), Routing::default()),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            Layer::decode(&[big, vec![0]].concat()),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
