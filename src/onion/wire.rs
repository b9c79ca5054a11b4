//! The framing of one onion request layer: a size-prefixed blob followed by a JSON object.
//!
//! Mirrors session-storage-server `oxenss/rpc/onion_processing.cpp parse_combined_payload` and
//! libsession-util `src/onionreq/builder.cpp` (protocol.md §7.2). No crypto here.

use serde_json::{Map, Value};

/// The largest layer sesh encodes or decodes: the storage server's 10 MiB request limit plus
/// room for the layers' own overhead.
pub const MAX_LAYER_LEN: usize = crate::rpc::limits::MAX_REQUEST_BODY + 64 * 1024;

/// One layer of an onion request: a blob and the JSON that says what to do with it.
///
/// # Format
/// ```text
/// [u32 little-endian: N][N bytes: blob][UTF-8 JSON object: the rest, no terminator]
/// ```
/// The blob is a ciphertext for the next hop, or at the destination the request body. The
/// JSON is routing data: `ephemeral_key`/`enc_type` (outermost layer), `destination`/
/// `ephemeral_key`/`enc_type` (relay), `headers` (final destination) or `host`/`target`/…
/// (proxy to a server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    blob: Vec<u8>,
    json: Map<String, Value>,
}

impl Layer {
    /// A layer from its parts.
    ///
    /// # Errors
    /// [`DecodeError::TooLarge`] if the encoded layer would exceed [`MAX_LAYER_LEN`].
    pub fn new(blob: Vec<u8>, json: Map<String, Value>) -> Result<Self, DecodeError> {
        let layer = Self { blob, json };
        // The JSON is small; serializing it twice for the check only happens on this path.
        let len = 4 + layer.blob.len() + Value::Object(layer.json.clone()).to_string().len();
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

    /// The JSON object.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The blob and the JSON object.
    pub fn into_parts(self) -> (Vec<u8>, Map<String, Value>) {
        (self.blob, self.json)
    }

    /// The layer's bytes. The JSON is compact, its keys in the map's order.
    pub fn encode(&self) -> Vec<u8> {
        let json = Value::Object(self.json.clone()).to_string();
        let n = u32::try_from(self.blob.len())
            .expect("should fit: Layer::new bounds the blob by MAX_LAYER_LEN");
        let mut out = Vec::with_capacity(4 + self.blob.len() + json.len());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&self.blob);
        out.extend_from_slice(json.as_bytes());
        out
    }

    /// Parses a layer. Whitespace around the JSON is allowed, as the storage server allows it.
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
        if tail.iter().all(u8::is_ascii_whitespace) {
            return Err(DecodeError::MissingJson);
        }
        let json = match serde_json::from_slice::<Value>(tail) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(DecodeError::NotAnObject {
                    found: json_type(&other),
                });
            }
            Err(e) => {
                return Err(DecodeError::Json {
                    reason: e.to_string(),
                });
            }
        };
        Ok(Self {
            blob: blob.to_vec(),
            json,
        })
    }
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn round_trips_and_keeps_key_order() {
        let layer = Layer::new(
            b"\x00blob\xff".to_vec(),
            obj(json!({"enc_type": "xchacha20", "ephemeral_key": "ab"})),
        )
        .unwrap();
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
        assert_eq!(l.json()["headers"], "");
    }

    #[test]
    fn sizes_are_bounded() {
        let big = vec![0u8; MAX_LAYER_LEN];
        assert!(matches!(
            Layer::new(big.clone(), Map::new()),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            Layer::decode(&[big, vec![0]].concat()),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
