//! JSON-RPC 2.0 framing for `sesh daemon`: one JSON object per line, both ways. Sans-IO:
//! bytes in, requests and response lines out; the daemon moves the bytes.
//!
//! # Format
//! A request is one line `{"jsonrpc": "2.0", "id": ID, "method": NAME, "params": {...}}`
//! (params by name, or absent); without `"id"` it is a notification, executed and never
//! answered. A response is one line `{"jsonrpc": "2.0", "id": ID, "result": ...}` or
//! `{"jsonrpc": "2.0", "id": ID, "error": {"code", "message", "data"?}}`. Batches (arrays)
//! are refused with -32600. The standard codes: -32700 parse error (not JSON, not UTF-8),
//! -32600 invalid request (and a line longer than [`MAX_LINE`]), -32601 unknown method,
//! -32602 bad params. A sesh error is [`SESH_ERROR`] (-32000), its `data` being
//! `{"kind": "failure"|"invalid_input"|"transient"|"partial", "exit_status": 1|2|3|4,
//! "hint": TEXT|null}`: the kind and exit status the same command would have had.

use serde::Serialize;
use serde_json::Value;
use sesh::ErrorKind;

/// The longest request line: a full message text (at most 76 800 bytes sealed, JSON-escaped
/// up to 6 bytes a byte) plus room for attachment paths and names. Longer lines are
/// refused, never held whole.
pub(crate) const MAX_LINE: usize = (1 << 20) + 64 * 1024;

/// Invalid JSON.
pub(crate) const PARSE_ERROR: i64 = -32700;
/// Not a request object (or a batch, or a line too long).
pub(crate) const INVALID_REQUEST: i64 = -32600;
/// No such method.
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
/// The params do not fit the method.
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// A sesh error: the command would have failed with `data.exit_status`.
pub(crate) const SESH_ERROR: i64 = -32000;

/// One line, split off a stream by [`Framer`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A line, without its `\n` (nor a `\r` before it).
    Line(Vec<u8>),
    /// A line longer than the limit: its bytes were dropped as they came.
    TooLong,
}

/// Splits a byte stream into lines of at most `max` bytes, holding no more than that.
pub(crate) struct Framer {
    buf: Vec<u8>,
    max: usize,
    /// Inside a line already too long: skip to its end.
    skipping: bool,
}

impl Framer {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            max,
            skipping: false,
        }
    }

    /// Takes the next bytes of the stream; appends the lines they complete to `out`.
    pub(crate) fn feed(&mut self, mut data: &[u8], out: &mut Vec<Frame>) {
        while !data.is_empty() {
            let newline = data.iter().position(|&b| b == b'\n');
            let chunk = &data[..newline.unwrap_or(data.len())];
            if !self.skipping {
                if self.buf.len() + chunk.len() > self.max {
                    self.skipping = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let Some(i) = newline else { return };
            data = &data[i + 1..];
            if std::mem::take(&mut self.skipping) {
                out.push(Frame::TooLong);
            } else {
                let mut line = std::mem::take(&mut self.buf);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                out.push(Frame::Line(line));
            }
        }
    }

    /// The end of the stream: a last line without `\n`, if any.
    pub(crate) fn finish(&mut self) -> Option<Frame> {
        if std::mem::take(&mut self.skipping) {
            return Some(Frame::TooLong);
        }
        let line = std::mem::take(&mut self.buf);
        (!line.trim_ascii().is_empty()).then_some(Frame::Line(line))
    }
}

/// A request, as read.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    /// `None` for a notification (no answer).
    pub(crate) id: Option<Value>,
    pub(crate) method: String,
    /// The params object (`{}` when absent).
    pub(crate) params: Value,
}

/// What a line is: a request to run, a line to ignore (blank), or the error to answer.
#[derive(Debug, PartialEq)]
pub(crate) enum Parsed {
    Request(Request),
    Blank,
    /// The error response to write (a line).
    Error(String),
}

/// Reads one line as a request.
pub(crate) fn parse(frame: &Frame) -> Parsed {
    let line = match frame {
        Frame::TooLong => {
            return Parsed::Error(error(
                &Value::Null,
                INVALID_REQUEST,
                &format!("the request is longer than {MAX_LINE} bytes"),
                None,
            ));
        }
        Frame::Line(l) => l,
    };
    if line.trim_ascii().is_empty() {
        return Parsed::Blank;
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            return Parsed::Error(error(
                &Value::Null,
                PARSE_ERROR,
                &format!("not JSON: {e}"),
                None,
            ));
        }
    };
    let invalid = |id: &Value, why: &str| Parsed::Error(error(id, INVALID_REQUEST, why, None));
    let mut obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => return invalid(&Value::Null, "batch requests are not supported"),
        _ => return invalid(&Value::Null, "a request is a JSON object"),
    };
    // An id that is not a string, number or null is not one; answered with null.
    let id = match obj.remove("id") {
        None => None,
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(v),
        Some(_) => return invalid(&Value::Null, "\"id\" must be a string, a number or null"),
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return invalid(&answer_id, "\"jsonrpc\" must be \"2.0\"");
    }
    let Some(Value::String(method)) = obj.remove("method") else {
        return invalid(&answer_id, "\"method\" must be a string");
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(p @ Value::Object(_)) => p,
        Some(Value::Array(_)) => {
            return Parsed::Error(error(
                &answer_id,
                INVALID_PARAMS,
                "params are given by name (an object), not by position",
                None,
            ));
        }
        Some(_) => return invalid(&answer_id, "\"params\" must be an object"),
    };
    Parsed::Request(Request { id, method, params })
}

/// The `data` of a sesh error: its kind, the exit status the command would have had, and
/// its hint.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorData<'a> {
    pub(crate) kind: &'static str,
    pub(crate) exit_status: u8,
    pub(crate) hint: Option<&'a str>,
}

impl<'a> ErrorData<'a> {
    pub(crate) fn new(kind: ErrorKind, hint: Option<&'a str>) -> Self {
        Self {
            kind: kind.as_str(),
            exit_status: kind.exit_code(),
            hint,
        }
    }
}

/// A success response line.
pub(crate) fn success(id: &Value, result: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Success<'a, T> {
        jsonrpc: &'static str,
        id: &'a Value,
        result: &'a T,
    }
    to_line(&Success {
        jsonrpc: "2.0",
        id,
        result,
    })
}

/// An error response line.
pub(crate) fn error(id: &Value, code: i64, message: &str, data: Option<&ErrorData<'_>>) -> String {
    #[derive(Serialize)]
    struct Error<'a> {
        code: i64,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a ErrorData<'a>>,
    }
    #[derive(Serialize)]
    struct Response<'a> {
        jsonrpc: &'static str,
        id: &'a Value,
        error: Error<'a>,
    }
    to_line(&Response {
        jsonrpc: "2.0",
        id,
        error: Error {
            code,
            message,
            data,
        },
    })
}

/// A notification line.
pub(crate) fn notification(method: &str, params: &Value) -> String {
    #[derive(Serialize)]
    struct Notification<'a> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a Value,
    }
    to_line(&Notification {
        jsonrpc: "2.0",
        method,
        params,
    })
}

/// A notification line whose params are `params`, already JSON text (a record as `sesh
/// receive --json` prints it, kept byte for byte).
pub(crate) fn notification_raw(method: &str, params: &str) -> String {
    // `method` is ours (never a peer's); `params` is one JSON value from serde_json.
    format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":{},\"params\":{params}}}",
        Value::String(method.to_owned())
    )
}

fn to_line(v: &impl Serialize) -> String {
    // Serializing these plain structs of JSON values cannot fail; were it ever to, the
    // client gets an internal error rather than a broken line.
    serde_json::to_string(v).unwrap_or_else(|_| {
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"internal \
         error\"}}"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frames(chunks: &[&[u8]], max: usize) -> Vec<Frame> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, &mut out);
        }
        out.extend(f.finish());
        out
    }

    fn err_of(p: Parsed) -> Value {
        match p {
            Parsed::Error(line) => serde_json::from_str(&line).expect("a JSON line"),
            other => panic!("not an error: {other:?}"),
        }
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn lines_are_split_across_chunks_and_long_ones_dropped_as_they_come() {
        assert_eq!(
            frames(&[b"ab", b"c\r\nde\n", b"f"], 10),
            vec![line("abc"), line("de"), line("f")]
        );
        // 11 bytes in a 10-byte frame: refused, and the next line still read.
        assert_eq!(
            frames(&[b"0123456", b"7890", b"123\nok\n"], 10),
            vec![Frame::TooLong, line("ok")]
        );
        assert_eq!(frames(&[b"0123456789", b"x"], 10), vec![Frame::TooLong]);
        assert_eq!(frames(&[b"  "], 10), vec![]);
        // Never more than the limit is held, whatever comes without a newline.
        let mut f = Framer::new(10);
        let mut out = Vec::new();
        for _ in 0..1000 {
            f.feed(&[b'x'; 100], &mut out);
            assert!(f.buf.len() <= 10);
        }
        assert!(out.is_empty());
    }

    #[test]
    fn requests_and_notifications_are_read() {
        let p = parse(&line(
            r#"{"jsonrpc":"2.0","id":7,"method":"send","params":{"message":"hi"}}"#,
        ));
        assert_eq!(
            p,
            Parsed::Request(Request {
                id: Some(json!(7)),
                method: "send".into(),
                params: json!({"message": "hi"}),
            })
        );
        let p = parse(&line(r#"{"jsonrpc":"2.0","method":"version"}"#));
        assert_eq!(
            p,
            Parsed::Request(Request {
                id: None,
                method: "version".into(),
                params: json!({}),
            })
        );
        assert_eq!(parse(&line(" \t")), Parsed::Blank);
    }

    #[test]
    fn malformed_requests_get_the_standard_codes() {
        let e = err_of(parse(&line("{not json")));
        assert_eq!(e["error"]["code"], PARSE_ERROR);
        assert_eq!(e["id"], Value::Null);
        assert_eq!(e["jsonrpc"], "2.0");
        let e = err_of(parse(&Frame::Line(vec![0xff, 0xfe])));
        assert_eq!(e["error"]["code"], PARSE_ERROR);
        for bad in [
            r#"[{"jsonrpc":"2.0","id":1,"method":"id"}]"#,
            r#""id""#,
            r#"{"jsonrpc":"1.0","id":1,"method":"id"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"id"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"id","params":3}"#,
        ] {
            let e = err_of(parse(&line(bad)));
            assert_eq!(e["error"]["code"], INVALID_REQUEST, "{bad}");
        }
        // The id is echoed when it could be read.
        let e = err_of(parse(&line(r#"{"jsonrpc":"1.0","id":"a","method":"id"}"#)));
        assert_eq!(e["id"], "a");
        let e = err_of(parse(&line(
            r#"{"jsonrpc":"2.0","id":2,"method":"send","params":[1]}"#,
        )));
        assert_eq!(e["error"]["code"], INVALID_PARAMS);
        assert_eq!(e["id"], 2);
        let e = err_of(parse(&Frame::TooLong));
        assert_eq!(e["error"]["code"], INVALID_REQUEST);
    }

    #[test]
    fn sesh_errors_carry_kind_exit_status_and_hint() {
        let data = ErrorData::new(ErrorKind::InvalidInput, Some("give an ID"));
        let e: Value =
            serde_json::from_str(&error(&json!(3), SESH_ERROR, "bad", Some(&data))).unwrap();
        assert_eq!(
            e,
            json!({"jsonrpc": "2.0", "id": 3, "error": {"code": -32000, "message": "bad",
                "data": {"kind": "invalid_input", "exit_status": 2, "hint": "give an ID"}}})
        );
        let ok: Value = serde_json::from_str(&success(&json!("x"), &json!({"a": 1}))).unwrap();
        assert_eq!(ok, json!({"jsonrpc": "2.0", "id": "x", "result": {"a": 1}}));
        let n: Value =
            serde_json::from_str(&notification_raw("receive", r#"{"type":"message"}"#)).unwrap();
        assert_eq!(
            n,
            json!({"jsonrpc": "2.0", "method": "receive", "params": {"type": "message"}})
        );
    }

    #[test]
    fn no_input_panics() {
        // A few hostile shapes; parse must answer each without panicking.
        for s in [
            "",
            "null",
            "1e999",
            "{}",
            r#"{"jsonrpc":"2.0"}"#,
            "\u{0}",
            "[]",
            "{\"a\":",
            r#"{"jsonrpc":"2.0","id":1e400,"method":"x"}"#,
        ] {
            let _ = parse(&line(s));
        }
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(&line(&deep)), Parsed::Error(_)));
    }
}
