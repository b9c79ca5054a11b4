//! A minimal service: `POST /storage_rpc/v1` answering `info` only, with the storage server's
//! top-level error texts (protocol.md §15.5). It exercises the server layer ([`super::run`])
//! without a store or a roster: the server's own tests and the probe benchmark use it; a real
//! node serves [`super::service::NodeService`].

use std::sync::Arc;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;

use super::http::{Admit, BoxFuture, Request, Response, Service};
use crate::clock::Clock;
use crate::onion::Scalar;

pub(crate) use super::roster::{HARDFORK, VERSION};

/// Answers `info`; every other method is unknown.
#[derive(Clone)]
pub struct InfoService {
    clock: Arc<dyn Clock + Send + Sync>,
}

impl std::fmt::Debug for InfoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfoService").finish_non_exhaustive()
    }
}

impl InfoService {
    /// A service telling the time by `clock`.
    pub fn new(clock: Arc<dyn Clock + Send + Sync>) -> Self {
        Self { clock }
    }

    fn answer(&self, body: &[u8]) -> Response {
        // The storage server's top-level checks, in its order (SS request_handler.cpp).
        let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let call = if is_object {
            serde_json::from_slice::<Call>(body).ok()
        } else {
            // Valid JSON that is not an object has no `method`; anything else is not JSON.
            serde_json::from_slice::<IgnoredAny>(body)
                .ok()
                .map(|_| Call::default())
        };
        let Some(call) = call else {
            return Response::text(400, "invalid json");
        };
        let Some(Scalar::String(method)) = call.method else {
            return Response::text(400, "invalid json: no `method` field");
        };
        if call.params != Some(Scalar::Object) {
            return Response::text(400, "invalid json: no `params` field");
        }
        match method.as_str() {
            "info" => {
                let now = self.clock.now_ms();
                Response::json(
                    200,
                    &json!({"version": VERSION, "timestamp": now, "t": now, "hf": HARDFORK}),
                )
            }
            other => Response::text(400, format!("no method {other}")),
        }
    }
}

/// The top level of a request, parsed straight from the untrusted body: each key typed by
/// what JSON gave it (an object or array is skipped, not kept), other keys skipped.
#[derive(Debug, Default, Deserialize)]
struct Call {
    #[serde(default)]
    method: Option<Scalar>,
    #[serde(default)]
    params: Option<Scalar>,
}

impl Service for InfoService {
    fn admit(&self, method: &str, path: &str) -> Admit {
        if method == "POST" && path == crate::transport::STORAGE_RPC_PATH {
            Admit::ClientRpc
        } else {
            Admit::NotFound
        }
    }

    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        let resp = self.answer(&request.body);
        Box::pin(std::future::ready(resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[test]
    fn info_and_errors() {
        let s = InfoService::new(Arc::new(FixedClock::from_ms(1_700_000_000_000)));
        let r = s.answer(br#"{"method":"info","params":{}}"#);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body,
            r#"{"version":[2,11,0],"timestamp":1700000000000,"t":1700000000000,"hf":[21,0]}"#
        );
        assert_eq!(s.answer(b"{").body, "invalid json");
        assert_eq!(s.answer(b"{}").body, "invalid json: no `method` field");
        assert_eq!(
            s.answer(br#"{"method":"info"}"#).body,
            "invalid json: no `params` field"
        );
        let r = s.answer(br#"{"method":"store","params":{}}"#);
        assert_eq!((r.status, &r.body[..]), (400, &b"no method store"[..]));
        // Typed, not a tree: a non-object or a wrongly typed key says which key is missing.
        assert_eq!(s.answer(b" [1,2]").body, "invalid json: no `method` field");
        assert_eq!(s.answer(b"[1,").body, "invalid json");
        assert_eq!(
            s.answer(br#"["info",{}]"#).body,
            "invalid json: no `method` field"
        );
        assert_eq!(
            s.answer(br#"{"method":1,"params":{}}"#).body,
            "invalid json: no `method` field"
        );
        assert_eq!(
            s.answer(br#"{"method":"info","params":[{}]}"#).body,
            "invalid json: no `params` field"
        );
        let r =
            s.answer(br#" {"extra":{"deep":[1,2,{"x":null}]},"params":{"a":[]},"method":"info"} "#);
        assert_eq!(r.status, 200);
    }
}
