//! Onion requests to non-node servers, "v4" (protocol.md §7.5): the bencoded request a client
//! encrypts to a server (file server, community server) and the bencoded response it gets back.
//!
//! Mirrors session-desktop `onionv4.ts` (`encodeV4Request`, `decodeV4Response`), libsession-util
//! `Builder::generate_payload` and SOGS `handle_v4_onionreq_plaintext`.
//!
//! ```text
//! request:   l<len>:{"method":"POST","endpoint":"/file","headers":{…}}[<len>:<body>]e
//! response:  l<len>:{"code":200,"headers":{…}}<len>:<body>e
//! ```
//!
//! The request is 1 or 2 byte strings (the body only when there is one); the response is always
//! 2. Decoding is strict: a list of byte strings only, lengths in canonical decimal (no leading
//! zeros, no sign, at most [`MAX_LEN_DIGITS`] digits) and within the input, nothing after the
//! closing `e`, the JSON part at most [`MAX_META_LEN`] bytes. A server uses [`open_request`] and
//! [`respond`]; a client builds with [`super::build`] to a [`super::Destination::Server`] and
//! reads the answer with [`open_response`].
//!
//! Nothing here does I/O; randomness comes in as an argument.

use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use super::hop::{CryptoError, NodeKeys};
use super::{PeelError, PendingReply, ReplyKey, decrypt_layer};

/// The path a server answers onion v4 requests on (what the last hop POSTs to).
pub const TARGET: &str = "/oxen/v4/lsrpc";

/// The longest JSON part (request line or response meta) accepted: 64 KiB, far beyond any
/// honest header set.
pub const MAX_META_LEN: usize = 64 * 1024;

/// The most digits a length prefix may have: 10 (lengths under 10 GB; the input bounds them
/// further).
pub const MAX_LEN_DIGITS: usize = 10;

/// Why bytes are not a v4 request or response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum V4Error {
    /// The bytes do not start with the bencoded list marker `l`.
    #[error("v4 message does not start with 'l'")]
    NotAList,
    /// A length prefix is not canonical decimal followed by `:`.
    #[error("bad string length at byte {offset}: {problem}")]
    Length {
        /// Where the length starts.
        offset: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A string is longer than the bytes that follow its length.
    #[error("string of {declared} bytes at byte {offset}, but only {available} follow")]
    Truncated {
        /// Where the string starts.
        offset: usize,
        /// The length it declares.
        declared: usize,
        /// The bytes left.
        available: usize,
    },
    /// The list is not closed by `e`.
    #[error("v4 message is not terminated by 'e'")]
    Unterminated,
    /// Bytes follow the closing `e`.
    #[error("{extra} bytes after the end of the v4 message")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The wrong number of parts.
    #[error("v4 message has {found} parts, expected {expected}")]
    PartCount {
        /// The parts found (counting stops one past the most allowed).
        found: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The JSON part is longer than [`MAX_META_LEN`].
    #[error("v4 JSON part of {len} bytes exceeds the {max}-byte limit")]
    MetaTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The JSON part is not a JSON object.
    #[error("v4 JSON part is invalid: {reason}")]
    Json {
        /// The parser's message.
        reason: String,
    },
    /// A field of the JSON part is missing or wrong.
    #[error("v4 field '{field}': {problem}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

fn field(field: &'static str, problem: impl Into<String>) -> V4Error {
    V4Error::Field {
        field,
        problem: problem.into(),
    }
}

/// A request to a server: what the server runs as if it came over plain HTTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method, e.g. `GET` or `POST`.
    pub method: String,
    /// The path and query, starting with `/`, e.g. `/file/123`.
    pub endpoint: String,
    /// Request headers, in order (names are case-insensitive to the server).
    pub headers: Vec<(String, String)>,
    /// The body: present for POST/PUT, absent for GET/DELETE.
    pub body: Option<Vec<u8>>,
}

/// A server's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status the server gave the request.
    pub code: u16,
    /// Response headers (servers send lower-case names, without `content-length`).
    pub headers: Vec<(String, String)>,
    /// The body, raw.
    pub body: Vec<u8>,
}

impl Request {
    /// The bencoded request: `l<len>:<json>[<len>:<body>]e`, JSON keys in the order
    /// `method`, `endpoint`, `headers` (as session-desktop writes them).
    pub fn encode(&self) -> Vec<u8> {
        let mut meta = Map::new();
        meta.insert("method".into(), Value::String(self.method.clone()));
        meta.insert("endpoint".into(), Value::String(self.endpoint.clone()));
        meta.insert("headers".into(), headers_json(&self.headers));
        let meta = Value::Object(meta).to_string();
        let mut parts: Vec<&[u8]> = vec![meta.as_bytes()];
        if let Some(body) = &self.body {
            parts.push(body);
        }
        encode_list(&parts)
    }

    /// Parses a bencoded request (what a server does after decrypting).
    ///
    /// # Errors
    /// A [`V4Error`] for anything but a list of 1 or 2 strings whose first is
    /// `{"method": string, "endpoint": "/…", "headers"?: {string: string}}`.
    pub fn decode(bytes: &[u8]) -> Result<Self, V4Error> {
        let parts = decode_list(bytes, 2)?;
        let (meta, body) = match parts.as_slice() {
            [meta] => (*meta, None),
            [meta, body] => (*meta, Some(body.to_vec())),
            _ => {
                return Err(V4Error::PartCount {
                    found: parts.len(),
                    expected: "1 or 2",
                });
            }
        };
        let mut meta = meta_object(meta)?;
        let method = match meta.remove("method") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(field("method", "not a string")),
            None => return Err(field("method", "missing")),
        };
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(field("method", format!("{method:?} is not an HTTP method")));
        }
        let endpoint = match meta.remove("endpoint") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(field("endpoint", "not a string")),
            None => return Err(field("endpoint", "missing")),
        };
        if !endpoint.starts_with('/') {
            return Err(field("endpoint", "does not start with '/'"));
        }
        let headers = headers_of(meta.remove("headers"), false)?;
        Ok(Self {
            method,
            endpoint,
            headers,
            body,
        })
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl Response {
    /// The bencoded response: `l<len>:{"code":…,"headers":{…}}<len>:<body>e`.
    pub fn encode(&self) -> Vec<u8> {
        let mut meta = Map::new();
        meta.insert("code".into(), Value::from(self.code));
        meta.insert("headers".into(), headers_json(&self.headers));
        let meta = Value::Object(meta).to_string();
        encode_list(&[meta.as_bytes(), &self.body])
    }

    /// Parses a bencoded response (what a client does after decrypting).
    ///
    /// # Errors
    /// A [`V4Error`] for anything but a list of exactly 2 strings whose first is
    /// `{"code": 100..=999, "headers"?: {string: scalar}}`.
    pub fn decode(bytes: &[u8]) -> Result<Self, V4Error> {
        let parts = decode_list(bytes, 2)?;
        let [meta, body] = parts.as_slice() else {
            return Err(V4Error::PartCount {
                found: parts.len(),
                expected: "2",
            });
        };
        let mut meta = meta_object(meta)?;
        let code = match meta.remove("code") {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (100..=999).contains(c))
                .ok_or_else(|| field("code", format!("{n} is not an HTTP status")))?,
            Some(_) => return Err(field("code", "not a number")),
            None => return Err(field("code", "missing")),
        };
        let headers = headers_of(meta.remove("headers"), true)?;
        Ok(Self {
            code,
            headers,
            body: body.to_vec(),
        })
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn headers_json(headers: &[(String, String)]) -> Value {
    Value::Object(
        headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// `headers` → pairs. Requests need string values; responses may carry numbers and booleans
/// (kept as their JSON text), as servers built on dynamic languages sometimes send.
fn headers_of(v: Option<Value>, scalars: bool) -> Result<Vec<(String, String)>, V4Error> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(field("headers", "not an object")),
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) if scalars => Ok((k, n.to_string())),
            Value::Bool(b) if scalars => Ok((k, b.to_string())),
            _ => Err(field("headers", format!("value of {k:?} is not a string"))),
        })
        .collect()
}

fn meta_object(meta: &[u8]) -> Result<Map<String, Value>, V4Error> {
    if meta.len() > MAX_META_LEN {
        return Err(V4Error::MetaTooLarge {
            len: meta.len(),
            max: MAX_META_LEN,
        });
    }
    match serde_json::from_slice::<Value>(meta) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(V4Error::Json {
            reason: "not an object".into(),
        }),
        Err(e) => Err(V4Error::Json {
            reason: e.to_string(),
        }),
    }
}

fn encode_list(parts: &[&[u8]]) -> Vec<u8> {
    let len = 2 + parts.iter().map(|p| p.len() + 12).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.push(b'l');
    for p in parts {
        out.extend_from_slice(p.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(p);
    }
    out.push(b'e');
    out
}

/// A bencoded list of at most `max` byte strings → the strings (borrowed). Stops with
/// [`V4Error::PartCount`] at the first string past `max`.
fn decode_list(bytes: &[u8], max: usize) -> Result<Vec<&[u8]>, V4Error> {
    let Some((&b'l', mut rest)) = bytes.split_first() else {
        return Err(V4Error::NotAList);
    };
    let mut parts = Vec::with_capacity(max);
    loop {
        let offset = bytes.len() - rest.len();
        match rest.first() {
            None => return Err(V4Error::Unterminated),
            Some(b'e') => {
                if rest.len() > 1 {
                    return Err(V4Error::TrailingBytes {
                        extra: rest.len() - 1,
                    });
                }
                return Ok(parts);
            }
            Some(_) => {}
        }
        if parts.len() == max {
            return Err(V4Error::PartCount {
                found: max + 1,
                expected: if max == 2 { "at most 2" } else { "fewer" },
            });
        }
        let colon = rest
            .iter()
            .take(MAX_LEN_DIGITS + 1)
            .position(|&b| b == b':')
            .ok_or(V4Error::Length {
                offset,
                problem: "no ':' within 10 digits",
            })?;
        let digits = &rest[..colon];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(V4Error::Length {
                offset,
                problem: "not a decimal number",
            });
        }
        if digits.len() > 1 && digits[0] == b'0' {
            return Err(V4Error::Length {
                offset,
                problem: "leading zero",
            });
        }
        // At most 10 ASCII digits: fits a u64, and the comparison below bounds it.
        let declared = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        rest = &rest[colon + 1..];
        let available = rest.len();
        let declared = usize::try_from(declared)
            .ok()
            .filter(|&d| d <= available)
            .ok_or(V4Error::Truncated {
                offset: offset + colon + 1,
                declared: usize::try_from(declared).unwrap_or(usize::MAX),
                available,
            })?;
        let (part, tail) = rest.split_at(declared);
        parts.push(part);
        rest = tail;
    }
}

// ---------------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------------

/// Why a server cannot run a v4 onion request; [`OpenError::http_reply`] is its answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The POST body is not an onion layer to this server's key: answered in plain text.
    #[error(transparent)]
    Layer(#[from] PeelError),
    /// The layer decrypts but its plaintext is not a v4 request: answered encrypted, as
    /// `400 Invalid v4 onion request` (SOGS).
    #[error("invalid v4 onion request: {error}")]
    Request {
        /// What is wrong.
        error: V4Error,
        /// The key to answer with.
        reply: ReplyKey,
    },
}

impl OpenError {
    /// The HTTP status and body to answer with: the plain-text 400 of a bad layer, or a 200
    /// carrying the encrypted v4 `400 Invalid v4 onion request`.
    pub fn http_reply(&self, rng: &mut (impl RngCore + CryptoRng)) -> (u16, Vec<u8>) {
        match self {
            Self::Layer(e) => (e.http_status().max(400), e.to_string().into_bytes()),
            Self::Request { reply, .. } => {
                let answer = Response {
                    code: 400,
                    headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                    body: b"Invalid v4 onion request".to_vec(),
                };
                match respond(reply, &answer, rng) {
                    Ok(body) => (200, body),
                    // Unreachable for a few dozen bytes; answer plainly rather than panic.
                    Err(e) => (500, e.to_string().into_bytes()),
                }
            }
        }
    }
}

/// What a server does with the body POSTed to [`TARGET`]: decrypts the layer
/// (`[N][blob]{"ephemeral_key", "enc_type"}`) with its X25519 key pair and parses the v4
/// request. Keep the [`ReplyKey`] for [`respond`].
///
/// # Errors
/// [`OpenError::Layer`] for a layer that is malformed or not to this key;
/// [`OpenError::Request`] for a plaintext that is not a v4 request.
pub fn open_request(server: &NodeKeys<'_>, body: &[u8]) -> Result<(Request, ReplyKey), OpenError> {
    let unwrapped = decrypt_layer(server, body)?;
    match Request::decode(&unwrapped.plaintext) {
        Ok(req) => Ok((req, unwrapped.reply)),
        Err(error) => Err(OpenError::Request {
            error,
            reply: unwrapped.reply,
        }),
    }
}

/// The HTTP 200 body answering a v4 request: the encoded response, encrypted raw (not base64)
/// with the request's key. Header names are lower-cased and `content-length` dropped, as SOGS
/// does.
///
/// # Errors
/// [`CryptoError::TooLong`] for a body beyond the AEAD's limit.
pub fn respond(
    reply: &ReplyKey,
    response: &Response,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, CryptoError> {
    let headers = response
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| k != "content-length")
        .collect();
    let wire = Response {
        code: response.code,
        headers,
        body: response.body.clone(),
    };
    reply.seal(&wire.encode(), rng)
}

// ---------------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------------

/// Why a server's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The answer does not decrypt with the request's key: it came from elsewhere or was
    /// altered on the way.
    #[error("server reply does not decrypt")]
    Decrypt(#[source] super::Error),
    /// It decrypts but is not a v4 response.
    #[error("server reply is not a v4 response: {0}")]
    Malformed(#[source] V4Error),
}

/// Opens the HTTP 200 body of a v4 request's answer: decrypts it raw with the request's key
/// and parses the v4 response. (A non-200 HTTP status is a hop's plain-text error: don't call
/// this then.)
///
/// # Errors
/// [`ReplyError::Decrypt`] or [`ReplyError::Malformed`].
pub fn open_response(pending: &PendingReply, http_body: &[u8]) -> Result<Response, ReplyError> {
    let plaintext = pending.decrypt(http_body).map_err(ReplyError::Decrypt)?;
    Response::decode(&plaintext).map_err(ReplyError::Malformed)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::onion::{Destination, EncType, ServerDestination, build};

    fn get(endpoint: &str) -> Request {
        Request {
            method: "GET".into(),
            endpoint: endpoint.into(),
            headers: vec![],
            body: None,
        }
    }

    #[test]
    fn request_encodes_as_desktop_and_protocol_example() {
        // protocol.md §7.5's example.
        assert_eq!(
            get("/room/x").encode(),
            br#"l50:{"method":"GET","endpoint":"/room/x","headers":{}}e"#.to_vec()
        );
        let post = Request {
            method: "POST".into(),
            endpoint: "/file".into(),
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Some(b"ab".to_vec()),
        };
        let wire = post.encode();
        assert!(
            wire.ends_with(b"}2:abe"),
            "{}",
            String::from_utf8_lossy(&wire)
        );
        assert_eq!(Request::decode(&wire), Ok(post));
    }

    #[test]
    fn response_encodes_two_parts_even_when_body_is_empty() {
        let r = Response {
            code: 404,
            headers: vec![],
            body: vec![],
        };
        assert_eq!(r.encode(), br#"l25:{"code":404,"headers":{}}0:e"#.to_vec());
        assert_eq!(Response::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn strict_framing() {
        let meta = br#"{"code":200,"headers":{}}"#;
        let ok = [&b"l25:"[..], meta, b"2:hie"].concat();
        assert!(Response::decode(&ok).is_ok());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "empty"),
            (b"d1:ae".to_vec(), "not a list"),
            ([&b"l025:"[..], meta, b"2:hie"].concat(), "leading zero"),
            (
                [&b"l25:"[..], meta, b"02:hie"].concat(),
                "leading zero body",
            ),
            ([&b"l+25:"[..], meta, b"2:hie"].concat(), "sign"),
            ([&b"l25:"[..], meta, b"2:hi"].concat(), "unterminated"),
            ([&b"l25:"[..], meta, b"2:hiex"].concat(), "trailing"),
            ([&b"l25:"[..], meta, b"3:hie"].concat(), "truncated"),
            (
                [&b"l25:"[..], meta, b"99999999999:hie"].concat(),
                "too many digits",
            ),
            ([&b"l25:"[..], meta, b"e"].concat(), "one part"),
            ([&b"l25:"[..], meta, b"2:hi1:xe"].concat(), "three parts"),
            ([&b"l25:"[..], meta, b"i1ee"].concat(), "integer item"),
        ];
        for (bytes, what) in cases {
            assert!(Response::decode(&bytes).is_err(), "{what} accepted");
        }
        assert_eq!(
            Response::decode(&[&b"l025:"[..], meta, b"2:hie"].concat()),
            Err(V4Error::Length {
                offset: 1,
                problem: "leading zero"
            })
        );
    }

    #[test]
    fn strict_fields() {
        let req = |json: &str| Request::decode(format!("l{}:{json}e", json.len()).as_bytes());
        assert!(req(r#"{"method":"GET","endpoint":"/x"}"#).is_ok());
        assert!(req(r#"{"method":"GET","endpoint":"x","headers":{}}"#).is_err());
        assert!(req(r#"{"method":"GET","headers":{}}"#).is_err());
        assert!(req(r#"{"method":"","endpoint":"/x"}"#).is_err());
        assert!(req(r#"{"method":"GET","endpoint":"/x","headers":{"a":1}}"#).is_err());
        assert!(req(r#"["GET"]"#).is_err());
        let resp = |json: &str| {
            Response::decode(format!("l{}:{json}0:e", json.len()).as_bytes()).map(|r| r.code)
        };
        assert_eq!(resp(r#"{"code":200}"#), Ok(200));
        assert!(resp(r#"{"code":"200","headers":{}}"#).is_err());
        assert!(resp(r#"{"code":70000,"headers":{}}"#).is_err());
        assert!(resp(r#"{"code":99,"headers":{}}"#).is_err());
        assert!(resp(r#"{"headers":{}}"#).is_err());
        let json = r#"{"code":200,"headers":{"x-n":5}}"#;
        assert_eq!(
            Response::decode(format!("l{}:{json}0:e", json.len()).as_bytes()).map(|r| r.headers),
            Ok(vec![("x-n".into(), "5".into())])
        );
    }

    #[test]
    fn meta_is_bounded() {
        let big = format!(
            r#"{{"code":200,"headers":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_META_LEN)
        );
        let bytes = format!("l{}:{big}0:e", big.len());
        assert!(matches!(
            Response::decode(bytes.as_bytes()),
            Err(V4Error::MetaTooLarge { .. })
        ));
    }

    #[test]
    fn server_opens_what_the_client_builds_and_client_reads_the_answer() {
        let mut rng = rand_core::OsRng;
        let secret = [7u8; 32];
        let keys = NodeKeys::new(&secret);
        let dest = Destination::Server(ServerDestination {
            host: "127.0.0.1".into(),
            target: TARGET.into(),
            scheme: crate::onion::Scheme::Http,
            port: 1,
            x25519: keys.public(),
        });
        let req = Request {
            method: "POST".into(),
            endpoint: "/file".into(),
            headers: vec![],
            body: Some(vec![0, 1, 2, 255]),
        };
        for enc in [EncType::AesGcm, EncType::XChaCha20] {
            // An empty path: the body is what the exit node would POST to the server, less
            // the routing the exit added (decrypt_layer reads only ephemeral_key/enc_type).
            let (body, pending) = build(&[], &dest, &req.encode(), enc, &mut rng).unwrap();
            let (got, reply) = open_request(&keys, &body).unwrap();
            assert_eq!(got, req);
            let answer = Response {
                code: 200,
                headers: vec![("Content-Length".into(), "9".into())],
                body: br#"{"id":"1"}"#.to_vec(),
            };
            let sealed = respond(&reply, &answer, &mut rng).unwrap();
            let opened = open_response(&pending, &sealed).unwrap();
            assert_eq!(opened.code, 200);
            assert_eq!(opened.body, answer.body);
            assert!(opened.headers.is_empty(), "content-length is dropped");
            // Another request's key cannot read it.
            let (_, other) = build(&[], &dest, b"x", enc, &mut rng).unwrap();
            assert!(matches!(
                open_response(&other, &sealed),
                Err(ReplyError::Decrypt(_))
            ));
        }
    }

    #[test]
    fn server_answers_garbage_plaintext_with_encrypted_400() {
        let mut rng = rand_core::OsRng;
        let secret = [9u8; 32];
        let keys = NodeKeys::new(&secret);
        let dest = Destination::Server(ServerDestination {
            host: "h".into(),
            target: TARGET.into(),
            scheme: crate::onion::Scheme::Https,
            port: 443,
            x25519: keys.public(),
        });
        let (body, pending) = build(&[], &dest, b"not bencode", EncType::AesGcm, &mut rng).unwrap();
        let err = open_request(&keys, &body).unwrap_err();
        assert!(matches!(err, OpenError::Request { .. }));
        let (status, answer) = err.http_reply(&mut rng);
        assert_eq!(status, 200);
        let opened = open_response(&pending, &answer).unwrap();
        assert_eq!(opened.code, 400);
        assert_eq!(opened.body, b"Invalid v4 onion request");
        // Not a layer at all: plain 400.
        let err = open_request(&keys, b"junk").unwrap_err();
        assert_eq!(err.http_reply(&mut rng).0, 400);
    }

    fn arb_headers() -> impl Strategy<Value = Vec<(String, String)>> {
        // Distinct names: a JSON object keeps one value per name.
        proptest::collection::btree_map("[a-zA-Z-]{1,12}", "\\PC{0,20}", 0..4)
            .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Request::decode(&bytes);
            let _ = Response::decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_near_valid(
            prefix in "l[0-9]{0,3}:?",
            tail in proptest::collection::vec(any::<u8>(), 0..60),
        ) {
            let bytes = [prefix.as_bytes(), &tail].concat();
            let _ = Request::decode(&bytes);
            let _ = Response::decode(&bytes);
        }

        #[test]
        fn request_round_trips(
            method in "[A-Z]{1,7}",
            endpoint in "/\\PC{0,30}",
            headers in arb_headers(),
            body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..100)),
        ) {
            let req = Request { method, endpoint, headers, body };
            prop_assert_eq!(Request::decode(&req.encode()), Ok(req));
        }

        #[test]
        fn response_round_trips(
            code in 100u16..1000,
            headers in arb_headers(),
            body in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let resp = Response { code, headers, body };
            prop_assert_eq!(Response::decode(&resp.encode()), Ok(resp));
        }
    }
}
