//! A node that lies on purpose, for tests: `SESH_NODE_MISBEHAVE=MODE sesh-node …` (an
//! environment variable rather than an option, so no man page or completion offers it).
//!
//! [`Hostile`] wraps the node's real [`Service`] and changes its answers at the HTTP level
//! (method, path, body bytes), so the real service stays untouched. Each [`Mode`] is one lie
//! a malicious guard, relay or swarm member could tell; the client's tests
//! (`tests/integration/hostile.rs`) show that sesh stays correct when it is told.
//!
//! Where the node sits on an onion path decides what it can forge:
//!
//! * as a **hop** (it peels a [`Peeled::Relay`] layer) it can only answer with a plaintext
//!   HTTP status and body, which the client sees as the path's answer;
//! * as the **destination** (it peels a [`Peeled::Final`] layer) its answer travels inside the
//!   encrypted reply, so it can lie about anything a storage RPC answer says;
//! * as the **guard**, the client talks to it directly: it can send any bytes, or none.
//!
//! Every lie is one line in the node's log, starting with `misbehave`, so a test can tell
//! that the lie was told. `SESH_NODE_MISBEHAVE_TIMES=N` limits a hop's lies to N
//! ([`Hostile::relay_lies`]); [`Mode::Drip`] also puts a byte-dripping proxy ([`drip`]) in
//! front of the node's listener.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, STANDARD_NO_PAD as BASE64_NO_PAD};
use bytes::Bytes;
use rand_core::{OsRng, RngCore as _};
use serde_json::{Value, json};

use super::Log;
use super::http::{
    Admit, BoxFuture, CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT, HeaderMap, Request, Response, Service,
};
use crate::clock::Clock;
use crate::identity::{Ed25519Pub, Identity, SessionId};
use crate::message::{self, Outgoing};
use crate::onion::{self, Peeled};
use crate::rpc::{Namespace, message_hash};
use crate::transport::{ONION_REQ_PATH, STORAGE_RPC_PATH};

/// The size of the [`Mode::Huge`] answer: twice what the client reads.
pub const HUGE_BODY: usize = 64 * 1024 * 1024;
/// How long [`Mode::Slow`] waits before answering, unless told.
pub const SLOW_DEFAULT: Duration = Duration::from_secs(30);
/// How old the stale message of [`Mode::RetrieveStale`] claims to be: longer than any
/// swarm keeps a message (the longest TTL is 14 days).
pub const STALE_AGE: Duration = Duration::from_secs(20 * 24 * 60 * 60);
/// How far in the future the other stale message of [`Mode::RetrieveStale`] claims to be.
pub const FUTURE_AGE: Duration = Duration::from_secs(2 * 24 * 60 * 60);

/// Which node a forged "next node" error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// The hop the request was really going to (a hop of the path).
    Next,
    /// This key (e.g. a node that is not on the path).
    Key(Ed25519Pub),
}

/// One way to lie. Parsed from `NAME` or `NAME=ARG` (see [`Mode::from_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// `not-found[=KEY]`: as a hop, answer `502 Next node not found: <key>` instead of
    /// forwarding (the next hop's key, or KEY).
    NotFound(Named),
    /// `unreachable[=KEY]`: as a hop, answer `502 Next node is currently unreachable: <key>`.
    Unreachable(Named),
    /// `forged-421`: as a hop, answer a plaintext 421 whose swarm is this node, the members of
    /// some real swarm with forged X25519 keys and addresses, and two made-up nodes; as the
    /// destination, take every store with 200 and the right hash, and drop it.
    Forged421,
    /// `swarm-lie`: as the destination, answer `get_swarm` with this node, the real members
    /// with forged X25519 keys and addresses, and two made-up nodes; take every store with 200
    /// and the right hash, and drop it.
    SwarmLie,
    /// `store-wrong-hash`: as the destination, answer a store 200 with a hash that is not the
    /// message's, and drop the message.
    StoreWrongHash,
    /// `retrieve-duplicates`: as the destination, serve every retrieved message twice, the
    /// second copy under a forged hash.
    RetrieveDuplicates,
    /// `retrieve-replay`: as the destination, ignore `last_hash` (re-serve every message from
    /// the start) and give each message a fresh forged hash every time.
    RetrieveReplay,
    /// `retrieve-stale`: as the destination, add to every retrieve two messages sealed by this
    /// node to the account, one stamped [`STALE_AGE`] ago, one [`FUTURE_AGE`] ahead.
    RetrieveStale,
    /// `huge`: answer every onion request 200 with [`HUGE_BODY`] bytes.
    Huge,
    /// `slow[=SECS]`: answer every onion request honestly, but only after SECS seconds
    /// ([`SLOW_DEFAULT`]). The server sends an answer whole, so this is a late answer rather
    /// than a byte-by-byte drip (the client's request timeout covers both).
    Slow(Duration),
    /// `silent`: never answer an onion request (the server gives up with 504 after its
    /// request timeout).
    Silent,
    /// `garbage`: answer every onion request 200 with random bytes.
    Garbage,
    /// `drip`: serve behind a TCP proxy ([`drip`]) that passes the TLS handshake, then sends
    /// the node's answers one byte every [`DRIP_EVERY`]; onion requests are answered after
    /// [`DRIP_AFTER`], so that their answers are dripped.
    Drip,
}

/// A mode that [`Mode::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown misbehaviour '{0}'")]
pub struct UnknownMode(String);

/// Every mode [`Mode::from_str`] takes, as a user writes it (for a hint).
pub const MODES: &[&str] = &[
    "not-found[=KEY]",
    "unreachable[=KEY]",
    "forged-421",
    "swarm-lie",
    "store-wrong-hash",
    "retrieve-duplicates",
    "retrieve-replay",
    "retrieve-stale",
    "huge",
    "slow[=SECS]",
    "silent",
    "garbage",
    "drip",
];

/// The line a misbehaving node prints on standard error and writes to its log at start, so
/// that a node left lying by a stray environment variable says so.
pub fn warning(mode: &Mode) -> String {
    format!("warning: SESH_NODE_MISBEHAVE={mode} — this node lies on purpose (test only)")
}

impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || UnknownMode(s.to_owned());
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let named = |arg: Option<&str>| match arg {
            None => Ok(Named::Next),
            Some(k) => k.parse().map(Named::Key).map_err(|_| bad()),
        };
        let plain = |m: Self| if arg.is_some() { Err(bad()) } else { Ok(m) };
        match name {
            "not-found" => named(arg).map(Self::NotFound),
            "unreachable" => named(arg).map(Self::Unreachable),
            "slow" => match arg {
                None => Ok(Self::Slow(SLOW_DEFAULT)),
                Some(a) => a
                    .parse()
                    .map(|s| Self::Slow(Duration::from_secs(s)))
                    .map_err(|_| bad()),
            },
            "forged-421" => plain(Self::Forged421),
            "swarm-lie" => plain(Self::SwarmLie),
            "store-wrong-hash" => plain(Self::StoreWrongHash),
            "retrieve-duplicates" => plain(Self::RetrieveDuplicates),
            "retrieve-replay" => plain(Self::RetrieveReplay),
            "retrieve-stale" => plain(Self::RetrieveStale),
            "huge" => plain(Self::Huge),
            "silent" => plain(Self::Silent),
            "garbage" => plain(Self::Garbage),
            "drip" => plain(Self::Drip),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = |f: &mut fmt::Formatter<'_>, name: &str, n: &Named| match n {
            Named::Next => write!(f, "{name}"),
            Named::Key(k) => write!(f, "{name}={k}"),
        };
        match self {
            Self::NotFound(n) => named(f, "not-found", n),
            Self::Unreachable(n) => named(f, "unreachable", n),
            Self::Forged421 => write!(f, "forged-421"),
            Self::SwarmLie => write!(f, "swarm-lie"),
            Self::StoreWrongHash => write!(f, "store-wrong-hash"),
            Self::RetrieveDuplicates => write!(f, "retrieve-duplicates"),
            Self::RetrieveReplay => write!(f, "retrieve-replay"),
            Self::RetrieveStale => write!(f, "retrieve-stale"),
            Self::Huge => write!(f, "huge"),
            Self::Slow(d) => write!(f, "slow={}", d.as_secs()),
            Self::Silent => write!(f, "silent"),
            Self::Garbage => write!(f, "garbage"),
            Self::Drip => write!(f, "drip"),
        }
    }
}

/// How often [`drip`] sends one byte of an answer.
pub const DRIP_EVERY: Duration = Duration::from_millis(200);
/// How long [`drip`] passes bytes freely on a new connection (the TLS handshake), and how long
/// a [`Mode::Drip`] node waits before answering an onion request (so that the answer comes
/// after that window and is dripped).
pub const DRIP_AFTER: Duration = Duration::from_millis(800);

/// Accepts connections on `listener` and forwards each to `backend`: requests as they come,
/// answers freely for the first `free` of a connection (its TLS handshake), then one byte
/// every `every`. Runs until its task is aborted.
pub async fn drip(
    listener: tokio::net::TcpListener,
    backend: std::net::SocketAddr,
    every: Duration,
    free: Duration,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        tokio::spawn(async move {
            let Ok(server) = tokio::net::TcpStream::connect(backend).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let opened = tokio::time::Instant::now();
            let (mut client_rd, mut client_wr) = client.into_split();
            let (mut server_rd, mut server_wr) = server.into_split();
            let up = tokio::io::copy(&mut client_rd, &mut server_wr);
            let down = async {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = server_rd.read(&mut buf).await?;
                    if n == 0 {
                        return client_wr.shutdown().await;
                    }
                    if opened.elapsed() < free {
                        client_wr.write_all(&buf[..n]).await?;
                        continue;
                    }
                    for b in &buf[..n] {
                        client_wr.write_all(std::slice::from_ref(b)).await?;
                        tokio::time::sleep(every).await;
                    }
                }
            };
            // Either side ending ends the connection.
            tokio::select! {
                _ = up => {}
                _ = down => {}
            }
        });
    }
}

/// The real service, wrapped by a liar.
pub struct Hostile {
    inner: Arc<dyn Service>,
    mode: Mode,
    /// How many more lies this node tells as a hop (`None`: no end).
    relay_lies: Option<AtomicU64>,
    identity: Identity,
    clock: Arc<dyn Clock + Send + Sync>,
    log: Log,
}

impl fmt::Debug for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hostile")
            .field("mode", &self.mode)
            .field("ed25519", &self.identity.ed25519_pub())
            .finish_non_exhaustive()
    }
}

impl Hostile {
    /// Wraps `inner`, the service of the node whose keys are `identity`, to lie as `mode`
    /// says; `clock` stamps made-up answers and `log` records every lie.
    pub fn new(
        inner: Arc<dyn Service>,
        mode: Mode,
        identity: Identity,
        clock: Arc<dyn Clock + Send + Sync>,
        log: Log,
    ) -> Self {
        Self {
            inner,
            mode,
            relay_lies: None,
            identity,
            clock,
            log,
        }
    }

    /// Tells the hop's lies ([`Mode::NotFound`], [`Mode::Unreachable`], [`Mode::Forged421`])
    /// only `times` times, then forwards honestly: one lie shows what one lie does. Other
    /// lies are not counted.
    #[must_use]
    pub fn relay_lies(mut self, times: u64) -> Self {
        self.relay_lies = Some(AtomicU64::new(times));
        self
    }

    /// Whether to tell one more hop's lie (and counts it).
    fn take_relay_lie(&self) -> bool {
        self.relay_lies.as_ref().is_none_or(|left| {
            left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    fn lied(&self, what: impl fmt::Display) {
        self.log
            .line(format_args!("misbehave {}: {what}", self.mode));
    }

    async fn onion(&self, req: Request) -> Response {
        match self.mode {
            Mode::Huge => {
                self.lied(format_args!("{HUGE_BODY} bytes"));
                return Response::bytes(200, CONTENT_TYPE_TEXT, vec![b'A'; HUGE_BODY]);
            }
            Mode::Garbage => {
                self.lied("garbage bytes");
                let mut junk = vec![0u8; 4096];
                OsRng.fill_bytes(&mut junk);
                return Response::bytes(200, CONTENT_TYPE_TEXT, junk);
            }
            Mode::Silent => {
                self.lied("no answer");
                std::future::pending::<()>().await;
            }
            Mode::Drip => {
                self.lied("answer dripped");
                tokio::time::sleep(DRIP_AFTER).await;
                return self.inner.handle(req).await;
            }
            Mode::Slow(d) => {
                self.lied(format_args!("answering in {} s", d.as_secs()));
                tokio::time::sleep(d).await;
                return self.inner.handle(req).await;
            }
            _ => {}
        }
        let peeled = onion::peel(&onion::NodeKeys::from(&self.identity), &req.body);
        match peeled {
            Ok(Peeled::Relay(relay)) => match self.mode {
                Mode::NotFound(n) | Mode::Unreachable(n) if self.take_relay_lie() => {
                    let key = match n {
                        Named::Next => relay.destination,
                        Named::Key(k) => k,
                    };
                    let text = if matches!(self.mode, Mode::NotFound(_)) {
                        format!("Next node not found: {}", key.to_hex())
                    } else {
                        format!("Next node is currently unreachable: {}", key.to_hex())
                    };
                    self.lied(&text);
                    Response::text(502, text)
                }
                Mode::Forged421 if self.take_relay_lie() => {
                    // Real nodes (some swarm's members) with forged keys and addresses, so
                    // that the forged swarm looks like nodes of the pool.
                    let some = json!({"method": "get_swarm", "params": {
                        "pubkey": format!("05{}", self.identity.x25519_pub().to_hex())}});
                    let (status, real) = self.ask_inner(some.to_string(), &req).await;
                    let real = match real.get("snodes") {
                        Some(Value::Array(a)) if status == 200 => a.clone(),
                        _ => Vec::new(),
                    };
                    self.lied(format_args!(
                        "plaintext 421 naming made-up nodes and {} real ones with forged keys",
                        real.len()
                    ));
                    Response::json(421, &self.fake_swarm(&real))
                }
                _ => self.inner.handle(req).await,
            },
            Ok(Peeled::Final(f)) => {
                let Some((status, body)) = self.destination(&f.payload, &req).await else {
                    return self.inner.handle(req).await;
                };
                match f.respond(status, &body, &mut OsRng) {
                    Ok(bytes) => Response::bytes(200, CONTENT_TYPE_TEXT, bytes),
                    Err(_) => Response::text(500, "internal error"),
                }
            }
            _ => self.inner.handle(req).await,
        }
    }

    /// The lie this node tells as the destination of `payload`, if it tells one: a status and
    /// a body for the encrypted reply.
    async fn destination(&self, payload: &[u8], req: &Request) -> Option<(u16, Value)> {
        // A tree on purpose: this test-only liar (never on unless SESH_NODE_MISBEHAVE is set)
        // rewrites arbitrary requests and answers; the payload is bounded by the onion layer's
        // size limit.
        let rpc: Value = serde_json::from_slice(payload).ok()?;
        let method = rpc.get("method").and_then(Value::as_str)?;
        let params = rpc.get("params")?;
        match (self.mode, method) {
            (Mode::Forged421 | Mode::SwarmLie, "store") => {
                let hash = real_hash(params)?;
                self.lied(format_args!("store taken and dropped, hash {hash}"));
                Some((200, self.store_answer(&hash)))
            }
            (Mode::SwarmLie, "get_swarm") => {
                // The real members, by Ed25519 key, but with our X25519 keys and addresses.
                let (status, real) = self.ask_inner(rpc.to_string(), req).await;
                let real = match real.get("snodes") {
                    Some(Value::Array(a)) if status == 200 => a.clone(),
                    _ => Vec::new(),
                };
                self.lied(format_args!(
                    "get_swarm names made-up nodes and {} members with forged keys",
                    real.len()
                ));
                Some((200, self.fake_swarm(&real)))
            }
            (Mode::StoreWrongHash, "store") => {
                let mut forged = [0u8; 32];
                OsRng.fill_bytes(&mut forged);
                let hash = BASE64_NO_PAD.encode(forged);
                self.lied(format_args!("store dropped, answered with hash {hash}"));
                Some((200, self.store_answer(&hash)))
            }
            (Mode::RetrieveDuplicates | Mode::RetrieveReplay | Mode::RetrieveStale, "retrieve") => {
                let mut rpc = rpc.clone();
                if self.mode == Mode::RetrieveReplay
                    && let Some(p) = rpc.get_mut("params").and_then(Value::as_object_mut)
                {
                    p.remove("last_hash");
                }
                let (status, mut body) = self.ask_inner(rpc.to_string(), req).await;
                if status == 200 {
                    self.rewrite_retrieve(&mut body, params);
                }
                Some((status, body))
            }
            _ => None,
        }
    }

    /// Runs a storage RPC on the real service, as if it came straight from the client.
    async fn ask_inner(&self, body: String, req: &Request) -> (u16, Value) {
        let inner = Request {
            method: "POST".to_owned(),
            path: STORAGE_RPC_PATH.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::from(body),
            peer: req.peer,
            peer_copy: false,
        };
        let resp = self.inner.handle(inner).await;
        let value = if resp.content_type == CONTENT_TYPE_JSON {
            // Trusted: the answer of the real service this liar wraps, in the same process.
            serde_json::from_slice(&resp.body).unwrap_or(Value::Null)
        } else {
            Value::String(String::from_utf8_lossy(&resp.body).into_owned())
        };
        (resp.status, value)
    }

    fn rewrite_retrieve(&self, body: &mut Value, params: &Value) {
        let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) else {
            return;
        };
        match self.mode {
            Mode::RetrieveDuplicates => {
                let copies: Vec<Value> = messages
                    .iter()
                    .map(|m| {
                        let mut c = m.clone();
                        c["hash"] = json!(forged_hash());
                        c
                    })
                    .collect();
                let n = copies.len();
                let mut both = Vec::with_capacity(2 * n);
                for (m, c) in messages.drain(..).zip(copies) {
                    both.push(m);
                    both.push(c);
                }
                *messages = both;
                self.lied(format_args!("{n} messages served twice"));
            }
            Mode::RetrieveReplay => {
                for m in messages.iter_mut() {
                    m["hash"] = json!(forged_hash());
                }
                self.lied(format_args!(
                    "{} messages re-served under new hashes",
                    messages.len()
                ));
            }
            Mode::RetrieveStale => {
                let Some(to) = params
                    .get("pubkey")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<SessionId>().ok())
                else {
                    return;
                };
                let now = self.clock.now_ms();
                let old = now.saturating_sub(ms(STALE_AGE));
                let ahead = now.saturating_add(ms(FUTURE_AGE));
                for (ts, text) in [(old, "stale message"), (ahead, "message from the future")] {
                    let Ok(data) =
                        message::seal(&self.identity, &to, &Outgoing::new(text), ts, &mut OsRng)
                    else {
                        continue;
                    };
                    messages.push(json!({
                        "hash": forged_hash(),
                        "timestamp": now,
                        "expiration": now + 60_000,
                        "data": BASE64.encode(data),
                    }));
                }
                self.lied("served a stale and a future message");
            }
            _ => {}
        }
    }

    /// A store's answer naming `hash`, as one member that took it.
    fn store_answer(&self, hash: &str) -> Value {
        let me = self.identity.ed25519_pub().to_hex();
        let sig = BASE64.encode(self.identity.sign(hash.as_bytes()));
        let now = self.clock.now_ms();
        json!({
            "hash": hash,
            "swarm": {me: {"hash": hash, "signature": sig, "expiry": now + 600_000}},
            "t": now,
            "hf": super::roster::HARDFORK,
        })
    }

    /// A swarm of this node, the `real` members with forged X25519 keys and addresses, and
    /// two made-up nodes (random keys, addresses nobody serves).
    fn fake_swarm(&self, real: &[Value]) -> Value {
        let mut snodes = vec![json!({
            "pubkey_ed25519": self.identity.ed25519_pub().to_hex(),
            "pubkey_x25519": self.identity.x25519_pub().to_hex(),
            "ip": "127.0.0.1",
            "port": "1",
            "port_https": 1,
        })];
        let me = self.identity.ed25519_pub().to_hex();
        let real = real
            .iter()
            .filter_map(|m| m.get("pubkey_ed25519").and_then(Value::as_str))
            .filter(|k| *k != me)
            .map(str::to_owned);
        let made_up = (0..2).map(|_| {
            let mut ed = [0u8; 32];
            OsRng.fill_bytes(&mut ed);
            hex::encode(ed)
        });
        for (i, ed) in real.chain(made_up).enumerate() {
            let mut x = [0u8; 32];
            OsRng.fill_bytes(&mut x);
            snodes.push(json!({
                "pubkey_ed25519": ed,
                "pubkey_x25519": hex::encode(x),
                "ip": format!("127.0.{}.66", 240 + i % 16),
                "port": "6666",
                "port_https": 6666,
            }));
        }
        json!({
            "snodes": snodes,
            "swarm": "1",
            "t": self.clock.now_ms(),
            "hf": super::roster::HARDFORK,
        })
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A random 43-character hash, shaped like a real one.
fn forged_hash() -> String {
    let mut h = [0u8; 32];
    OsRng.fill_bytes(&mut h);
    BASE64_NO_PAD.encode(h)
}

/// The hash the swarm would give a store's message (namespace 0 only: what sesh sends).
fn real_hash(params: &Value) -> Option<String> {
    let mut pubkey = [0u8; 33];
    hex::decode_to_slice(params.get("pubkey")?.as_str()?, &mut pubkey).ok()?;
    let data = BASE64.decode(params.get("data")?.as_str()?).ok()?;
    let ns = params.get("namespace").and_then(Value::as_i64).unwrap_or(0);
    let ns = i16::try_from(ns).ok()?;
    Some(message_hash(&pubkey, Namespace(ns), &data))
}

impl Service for Hostile {
    fn admit(&self, method: &str, path: &str) -> Admit {
        self.inner.admit(method, path)
    }

    fn may_be_peer_copy(
        &self,
        path: &str,
        headers: &super::http::HeaderMap,
        peer: std::net::SocketAddr,
    ) -> bool {
        self.inner.may_be_peer_copy(path, headers, peer)
    }

    fn is_peer_copy(&self, request: &Request) -> bool {
        self.inner.is_peer_copy(request)
    }

    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(async move {
            if request.path == ONION_REQ_PATH {
                self.onion(request).await
            } else {
                self.inner.handle(request).await
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::clock::SystemClock;
    use crate::identity::Seed;
    use crate::onion::{Destination, EncType, HopKeys};

    /// The real service's stand-in: retrieve finds two messages; anything else is "honest".
    #[derive(Default)]
    struct Honest {
        asked: Mutex<Vec<String>>,
    }

    impl Service for Honest {
        fn admit(&self, _: &str, _: &str) -> Admit {
            Admit::Read
        }

        fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
            Box::pin(async move {
                let body = String::from_utf8_lossy(&request.body).into_owned();
                self.asked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("{} {body}", request.path));
                if body.contains("\"retrieve\"") {
                    let m = |h: &str, d: &[u8]| json!({"hash": h, "timestamp": 1, "expiration": 2, "data": BASE64.encode(d)});
                    return Response::json(
                        200,
                        &json!({"messages": [m("h1", b"one"), m("h2", b"two")], "more": false}),
                    );
                }
                Response::text(200, "honest")
            })
        }
    }

    fn identity(n: u8) -> Identity {
        Identity::from_seed(Seed::from_bytes([n; 32]))
    }

    fn keys(id: &Identity) -> HopKeys {
        HopKeys {
            ed25519: id.ed25519_pub(),
            x25519: id.x25519_pub(),
        }
    }

    fn liar(mode: Mode) -> (Hostile, Arc<Honest>) {
        let inner = Arc::new(Honest::default());
        let h = Hostile::new(
            Arc::clone(&inner) as Arc<dyn Service>,
            mode,
            identity(1),
            Arc::new(SystemClock),
            Log::discard(),
        );
        (h, inner)
    }

    fn onion_request(body: Vec<u8>) -> Request {
        Request {
            method: "POST".into(),
            path: ONION_REQ_PATH.into(),
            headers: HeaderMap::new(),
            body: body.into(),
            peer: std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
            peer_copy: false,
        }
    }

    /// Asks the liar (identity 1) as the guard of a path to identity 2, then 3.
    async fn as_guard(mode: Mode) -> (Response, Arc<Honest>) {
        let (h, inner) = liar(mode);
        let (body, _) = onion::build(
            &[keys(&identity(1)), keys(&identity(2))],
            &Destination::Snode(keys(&identity(3))),
            br#"{"method":"info","params":{}}"#,
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (h.handle(onion_request(body)).await, inner)
    }

    /// Asks the liar (identity 1) as the destination of `payload`; the opened reply.
    async fn as_destination(mode: Mode, payload: &Value) -> (onion::Response, Arc<Honest>) {
        let (h, inner) = liar(mode);
        let (body, pending) = onion::build(
            &[],
            &Destination::Snode(keys(&identity(1))),
            payload.to_string().as_bytes(),
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let resp = h.handle(onion_request(body)).await;
        assert_eq!(resp.status, 200);
        let opened = pending.open(&resp.body).unwrap_or_else(|e| panic!("{e}"));
        (opened, inner)
    }

    fn text(r: &Response) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[tokio::test]
    async fn a_hop_forges_next_node_errors() {
        let next = identity(2).ed25519_pub().to_hex();
        let (r, inner) = as_guard(Mode::NotFound(Named::Next)).await;
        assert_eq!(
            (r.status, text(&r)),
            (502, format!("Next node not found: {next}"))
        );
        assert!(
            inner
                .asked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        );
        let other = identity(9).ed25519_pub();
        let (r, _) = as_guard(Mode::Unreachable(Named::Key(other))).await;
        assert_eq!(
            (r.status, text(&r)),
            (
                502,
                format!("Next node is currently unreachable: {}", other.to_hex())
            )
        );
        let (r, _) = as_guard(Mode::Forged421).await;
        assert_eq!(r.status, 421);
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        assert_eq!(v["snodes"].as_array().map(Vec::len), Some(3), "{v}");
        // A destination's lie is no hop's: the request is forwarded as usual.
        let (r, inner) = as_guard(Mode::StoreWrongHash).await;
        assert_eq!(text(&r), "honest");
        assert_eq!(
            inner.asked.lock().unwrap_or_else(|e| e.into_inner()).len(),
            1
        );
    }

    #[tokio::test]
    async fn a_hop_lies_only_as_often_as_told() {
        let (h, inner) = liar(Mode::NotFound(Named::Next));
        let h = h.relay_lies(1);
        let request = || {
            onion::build(
                &[keys(&identity(1)), keys(&identity(2))],
                &Destination::Snode(keys(&identity(3))),
                b"{}",
                EncType::AesGcm,
                &mut OsRng,
            )
            .map(|(body, _)| onion_request(body))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(h.handle(request()).await.status, 502);
        assert_eq!(text(&h.handle(request()).await), "honest");
        assert_eq!(
            inner.asked.lock().unwrap_or_else(|e| e.into_inner()).len(),
            1
        );
    }

    #[tokio::test]
    async fn a_destination_lies_inside_the_encrypted_reply() {
        let to = format!("05{}", "22".repeat(32));
        let store = json!({"method": "store", "params": {"pubkey": to, "timestamp": 1,
                           "ttl": 60_000, "data": BASE64.encode(b"hello")}});
        let real = real_hash(&store["params"]).unwrap_or_default();

        let (r, inner) = as_destination(Mode::StoreWrongHash, &store).await;
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert_eq!(r.status, 200);
        assert_ne!(v["hash"], json!(real), "{v}");
        assert!(
            inner
                .asked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty(),
            "dropped"
        );

        let (r, inner) = as_destination(Mode::SwarmLie, &store).await;
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert_eq!(v["hash"], json!(real), "a sink answers like a member: {v}");
        assert!(
            inner
                .asked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty(),
            "dropped"
        );

        let retrieve = json!({"method": "retrieve", "params": {"pubkey": to, "last_hash": "h1"}});
        let (r, inner) = as_destination(Mode::RetrieveDuplicates, &retrieve).await;
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        let msgs = v["messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(msgs.len(), 4, "{v}");
        assert_eq!(msgs[0]["data"], msgs[1]["data"]);
        assert_ne!(msgs[0]["hash"], msgs[1]["hash"]);
        let asked = inner
            .asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert!(asked[0].contains("\"last_hash\":\"h1\""), "{asked:?}");

        let (r, inner) = as_destination(Mode::RetrieveReplay, &retrieve).await;
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert_ne!(v["messages"][0]["hash"], json!("h1"), "{v}");
        let asked = inner
            .asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert!(!asked[0].contains("last_hash"), "{asked:?}");

        let (r, _) = as_destination(Mode::RetrieveStale, &retrieve).await;
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert_eq!(v["messages"].as_array().map(Vec::len), Some(4), "{v}");

        // Other methods reach the real service, which gets the onion request as it came.
        let (h, inner) = liar(Mode::StoreWrongHash);
        let (body, _) = onion::build(
            &[],
            &Destination::Snode(keys(&identity(1))),
            br#"{"method":"info","params":{}}"#,
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = h.handle(onion_request(body)).await;
        assert_eq!(text(&r), "honest");
        let asked = inner
            .asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert!(asked[0].starts_with(ONION_REQ_PATH), "{asked:?}");
    }

    #[tokio::test]
    async fn transport_lies_answer_before_peeling() {
        let (h, _) = liar(Mode::Garbage);
        let r = h.handle(onion_request(b"not even an onion".to_vec())).await;
        assert_eq!((r.status, r.body.len()), (200, 4096));
        let (h, _) = liar(Mode::Huge);
        let r = h.handle(onion_request(Vec::new())).await;
        assert_eq!(r.body.len(), HUGE_BODY);
        let (h, _) = liar(Mode::Silent);
        let answered = tokio::time::timeout(
            Duration::from_millis(50),
            h.handle(onion_request(Vec::new())),
        )
        .await;
        assert!(answered.is_err(), "a silent node answered");
    }

    #[test]
    fn modes_parse_and_print_back() {
        let key = "aa".repeat(32);
        for s in [
            "not-found".to_owned(),
            format!("not-found={key}"),
            "unreachable".to_owned(),
            format!("unreachable={key}"),
            "forged-421".to_owned(),
            "swarm-lie".to_owned(),
            "store-wrong-hash".to_owned(),
            "retrieve-duplicates".to_owned(),
            "retrieve-replay".to_owned(),
            "retrieve-stale".to_owned(),
            "huge".to_owned(),
            "slow=7".to_owned(),
            "silent".to_owned(),
            "garbage".to_owned(),
            "drip".to_owned(),
        ] {
            let m: Mode = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(m.to_string(), s);
        }
        assert_eq!("slow".parse(), Ok(Mode::Slow(SLOW_DEFAULT)));
        for bad in ["", "lie", "huge=1", "not-found=zz", "slow=soon"] {
            assert!(bad.parse::<Mode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hint_lists_modes_each_once() {
        for m in MODES {
            let name = m.split_once('[').map_or(*m, |(n, _)| n);
            assert!(name.parse::<Mode>().is_ok(), "{m}");
        }
        // No mode twice.
        let kinds: std::collections::HashSet<_> = MODES
            .iter()
            .map(|m| {
                let m: Mode = m.split_once('[').map_or(*m, |(n, _)| n).parse().unwrap();
                std::mem::discriminant(&m)
            })
            .collect();
        assert_eq!(kinds.len(), MODES.len());
    }

    #[test]
    fn the_real_hash_is_the_swarms() {
        let pk = format!("05{}", "11".repeat(32));
        let params = json!({"pubkey": pk, "data": BASE64.encode(b"hi"), "namespace": 0});
        let mut raw = [0u8; 33];
        hex::decode_to_slice(&pk, &mut raw).unwrap_or_default();
        assert_eq!(
            real_hash(&params),
            Some(message_hash(&raw, Namespace(0), b"hi"))
        );
        assert_ne!(forged_hash(), forged_hash());
        assert_eq!(forged_hash().len(), 43);
    }
}
