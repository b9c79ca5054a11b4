//! What a sesh-node answers: the storage RPC, onion requests and, for a seed, the node list.
//!
//! The routes and their semantics follow session-storage-server (`oxenss/server/https.cpp`,
//! `oxenss/rpc/request_handler.cpp`, `onion_processing.cpp`) as protocol.md §4, §7, §13 and §15
//! describe them. Parsing is [`crate::rpc::request`]'s and onion layers [`crate::onion`]'s:
//! the same code the client uses to build them; the signature and clock checks are the node's. This module adds the store, the swarm
//! (replication to the other members) and the hops to other nodes.
//!
//! Replication: a recursive request (store, delete, expire…) is executed locally and forwarded,
//! as the same `{"method","params"}` JSON, to every other member of the swarm over HTTPS with
//! the headers `x-sesh-forwarded-by` and `x-sesh-forward-signature` (the sender's Ed25519 key and its
//! signature of the body). A member accepts a forwarded request only from a node of its own
//! swarm, connecting from that node's listed address, whose signature the server verified
//! (once, before the request reaches [`NodeService`]); it executes it locally and answers its
//! own entry of the `swarm` dict. An onion relay whose next node is this node itself is
//! refused (502).

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use rand_core::OsRng;
use serde_json::{Map, Value, json};

use super::Log;
use super::db::{self, Message};
use super::http::{Admit, BoxFuture, Request as HttpRequest, Response, Service};
use super::peer::{MAX_SERVER_ANSWER, SERVER_TIMEOUT, ServerClient};
use super::roster::{HARDFORK, Roster, RosterFile, VERSION};
use super::rpc::{self, Namespaces, Request, RpcError};
use crate::clock::Clock;
use crate::identity::{Ed25519Pub, Identity};
use crate::onion::{self, Peeled};
use crate::rpc::request::JsonRpcCall;
use crate::rpc::response::{
    self, BatchResponse, InfoResponse, JsonRpcError, JsonRpcId, JsonRpcReply, Misc, OxendResponse,
    RetrieveResponse, RetrievedMessage, StoreEntry, SubBody, SubResult, SwarmEntry,
};
use crate::rpc::status::{self as rpc_status, REQUEST_TIME_OUT};
use crate::rpc::{Namespace, limits, message_hash};
use crate::transport::http::HttpTransport;
use crate::transport::{ONION_REQ_PATH, PING_TEST_PATH, STORAGE_RPC_PATH};
use crate::transport::{Target, Transport};

/// Header naming the swarm member that forwarded a request (hex Ed25519 key).
pub(crate) const FORWARDED_BY: &str = "x-sesh-forwarded-by";
/// A retrieve of at most this many bytes of data, or at most [`INLINE_RETRIEVE_ROWS`]
/// messages, reads its rows on the async thread that serves it ([`db::Handle::read_small`]).
const INLINE_RETRIEVE_BYTES: usize = 64 * 1024;
/// See [`INLINE_RETRIEVE_BYTES`].
const INLINE_RETRIEVE_ROWS: usize = 16;

/// Header carrying the forwarding member's signature of the body (base64).
pub(crate) const FORWARD_SIGNATURE: &str = "x-sesh-forward-signature";
pub(crate) use crate::transport::JSON_RPC_PATH;
/// Header naming the node relaying an onion request (hex Ed25519 key), set by `sesh-node` on
/// every relay it makes; trusted (for the node's rate bucket) only from that roster member's
/// listed address.
pub(crate) const RELAYED_BY: &str = "x-sesh-relayed-by";
/// Header counting the node-to-node relays an onion request has been through, set by
/// `sesh-node` on every relay it makes. It is honoured from anyone: a client can only make its
/// own request refused sooner by sending it, and a relaying node always sets it.
pub(crate) const RELAY_HOPS: &str = "x-sesh-relay-hops";
/// The most node-to-node relays an onion request may go through: a node refuses (502) to
/// relay a request that has been relayed this many times. A Session path relays two or three
/// times; without a limit, layers alternating between two nodes would make one client token
/// dozens of relays.
pub const MAX_RELAY_HOPS: u8 = 4;

/// How long a hop may take to answer.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a swarm member may take to take a forwarded copy: well inside [`PEER_TIMEOUT`],
/// so that one hung member cannot make the hop before us give up on a store that succeeded.
pub(crate) const REPLICATION_TIMEOUT: Duration = Duration::from_secs(3);

/// What a node is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A storage server: storage RPC and onion requests.
    Storage,
    /// A seed: answers `get_n_service_nodes` on `/json_rpc`, nothing else.
    Seed,
}

/// Where a storage request came from, for checks and logs.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// Straight from a client's connection.
    Direct(SocketAddr),
    /// The last hop of an onion request, arriving on this connection.
    Onion(SocketAddr),
    /// Forwarded by a member of our swarm.
    Forwarded(SocketAddr),
}

impl Origin {
    fn describe(self) -> String {
        match self {
            Self::Direct(a) => format!("via=direct peer={}", a.ip()),
            Self::Onion(a) => format!("via=onion peer={}", a.ip()),
            Self::Forwarded(a) => format!("via=swarm peer={}", a.ip()),
        }
    }
}

/// The node's answers.
///
/// `T` carries its traffic to other nodes (onion hops, swarm replication): HTTPS in a running
/// node, [`crate::transport::memory::MemoryNetwork`] in tests.
pub struct NodeService<T = Arc<HttpTransport>> {
    role: Role,
    identity: Identity,
    roster: RosterFile,
    db: Option<db::Handle>,
    peer: T,
    /// The client to servers that onion requests are proxied to, made at the first one.
    servers: OnceLock<Result<ServerClient, String>>,
    clock: Arc<dyn Clock + Send + Sync>,
    log: Log,
    /// This node's own ONS records ([`NodeService::with_own_ons_file`]), before the shared
    /// ones.
    own_ons: Option<std::path::PathBuf>,
}

impl<T> std::fmt::Debug for NodeService<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeService")
            .field("role", &self.role)
            .field("ed25519", &self.identity.ed25519_pub())
            .finish_non_exhaustive()
    }
}

type Answer = (u16, Value);

/// The file of ONS records next to the roster (`sesh devnet --ons` writes it): a JSON object
/// from base64 `name_hash` to `{"encrypted_value", "nonce"}`, records encrypted as the real
/// network's ([`crate::ons::encrypt`]). A node may also have its own, in its directory
/// ([`NodeService::with_own_ons_file`]): its records come first.
pub const ONS_FILE: &str = "ons.json";

/// The record for `name_hash` in the ONS file `file`: `None` when it has none (also when the
/// file is missing or unreadable).
fn ons_record(file: &std::path::Path, name_hash: &[u8; 32]) -> Option<Value> {
    let key = BASE64.encode(name_hash);
    std::fs::read(file)
        .ok()
        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
        .and_then(|mut m| m.remove(&key))
        .filter(Value::is_object)
}

fn no_store() -> Answer {
    (
        503,
        Value::String("Service node is not ready: no store".into()),
    )
}

fn text_answer(e: RpcError) -> Answer {
    (e.status, Value::String(e.message))
}

impl<T: Transport + Send + Sync> NodeService<T> {
    /// A node with this identity, roster file, store (none for a seed) and outbound client.
    pub fn new(
        role: Role,
        identity: Identity,
        roster: RosterFile,
        db: Option<db::Handle>,
        peer: T,
        clock: Arc<dyn Clock + Send + Sync>,
        log: Log,
    ) -> Self {
        Self {
            role,
            identity,
            roster,
            db,
            peer,
            servers: OnceLock::new(),
            clock,
            log,
            own_ons: None,
        }
    }

    /// ONS records of this node only (its directory's [`ONS_FILE`]), answered before those
    /// of the file next to the roster, which every node shares: a devnet whose nodes
    /// disagree about a name (`sesh devnet` never writes this file; tests do, through
    /// [`crate::devnet::Devnet::register_names_on`]).
    #[must_use]
    pub fn with_own_ons_file(mut self, file: std::path::PathBuf) -> Self {
        self.own_ons = Some(file);
        self
    }

    /// The `ons_resolve` result for `name_hash`: this node's own record, else the shared
    /// one, else `{}` as oxend answers for a name no one registered.
    fn ons_resolve(&self, name_hash: &[u8; 32]) -> Value {
        self.own_ons
            .as_deref()
            .and_then(|f| ons_record(f, name_hash))
            .or_else(|| ons_record(&self.roster.path().with_file_name(ONS_FILE), name_hash))
            .unwrap_or_else(|| json!({}))
    }

    /// The client to use for onion requests proxied to servers (file servers), instead of
    /// one made at the first such request with connections leaving from the node's listed
    /// address.
    #[must_use]
    pub fn with_server_client(self, client: ServerClient) -> Self {
        // A fresh service's cell is empty: this cannot fail.
        let _ = self.servers.set(Ok(client));
        self
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// `t` and `hf` as a typed answer carries them.
    fn misc_fields(&self) -> Misc {
        Misc {
            t: Some(self.now()),
            hf: Some(HARDFORK.to_vec()),
        }
    }

    /// The `info` answer.
    fn info(&self) -> Value {
        to_json(
            &InfoResponse {
                version: VERSION.to_vec(),
                timestamp: self.now(),
                t: None,
                hf: None,
            }
            .with_misc(self.misc_fields()),
        )
    }

    /// `t` and `hf`, added to most answers (SS `add_misc_response_fields`).
    fn misc(&self, mut v: Value) -> Value {
        if let Value::Object(m) = &mut v {
            m.insert("t".into(), json!(self.now()));
            m.insert("hf".into(), json!(HARDFORK));
        }
        v
    }

    fn me(&self) -> Ed25519Pub {
        self.identity.ed25519_pub()
    }

    fn sign_b64(&self, msg: &[u8]) -> String {
        BASE64.encode(self.identity.sign(msg))
    }

    /// Our swarm, from the current roster.
    fn my_swarm(&self, roster: &Roster) -> Option<u64> {
        roster.node(&self.me()).map(|n| n.swarm_id)
    }

    async fn storage_rpc(&self, body: &[u8], origin: Origin) -> Response {
        let answer = self.storage_rpc_answer(body, origin).await;
        to_response(answer)
    }

    /// Runs a storage RPC body and returns its status and body (object or text).
    async fn storage_rpc_answer(&self, body: &[u8], origin: Origin) -> Answer {
        let roster = self.roster.current();
        let parsed = rpc::parse(body);
        if matches!(parsed, Ok(Request::Info)) {
            // `info` needs no node list: it is how a launcher sees the node is up.
            return (200, self.info());
        }
        let Some(roster) = roster else {
            return (
                503,
                Value::String("Service node is not ready: no service node list yet".into()),
            );
        };
        let (status, value, method) = match parsed {
            Err(e) => {
                let (s, v) = text_answer(e);
                (s, v, "?")
            }
            Ok(req) => {
                let method = req.method();
                let (s, v) = match req {
                    Request::Batch(subs) | Request::Sequence(subs) => {
                        let sequence = method == "sequence";
                        let mut results = Vec::with_capacity(subs.len());
                        // The retrieves of one batch share one budget: twenty full ones
                        // would make a 156 MB answer to a 4 KB request.
                        let mut budget = usize::try_from(limits::RETRIEVE_MAX_SIZE).unwrap_or(0);
                        for mut sub in subs {
                            let name = sub.method();
                            if let Request::Retrieve(r) = &mut sub {
                                r.max_size = r.max_size.min(budget);
                            }
                            let (code, body) = self.one(&roster, sub, origin).await;
                            budget = budget.saturating_sub(retrieved_size(&body));
                            self.log.line(format_args!(
                                "storage_rpc {method}/{name} {code} {}",
                                origin.describe()
                            ));
                            let stop = sequence && !(200..300).contains(&code);
                            results.push(SubResult {
                                code,
                                body: SubBody::Ok(body),
                            });
                            if stop {
                                break;
                            }
                        }
                        (200, to_json(&BatchResponse { results }))
                    }
                    single => self.one(&roster, single, origin).await,
                };
                (s, v, method)
            }
        };
        self.log.line(format_args!(
            "storage_rpc {method} {status} {}",
            origin.describe()
        ));
        (status, value)
    }

    /// One (sub)request.
    async fn one(&self, roster: &Roster, req: Request, origin: Origin) -> Answer {
        let forwarded = matches!(origin, Origin::Forwarded(_));
        if let Some(pk) = req.pubkey() {
            let theirs = roster.swarm_of(pk);
            if theirs != self.my_swarm(roster) || theirs.is_none() {
                return (421, self.misc(to_json(&roster.swarm_answer(theirs))));
            }
        }
        let now = self.now();
        if let Err(e) = self.check(&req, now, forwarded) {
            return text_answer(e);
        }
        match &req {
            Request::Info => (200, self.info()),
            Request::GetSwarm { pubkey } => (
                200,
                self.misc(to_json(&roster.swarm_answer(roster.swarm_of(pubkey)))),
            ),
            Request::OxendRequest { endpoint, fields } => match endpoint.as_str() {
                "get_service_nodes" => (
                    200,
                    self.misc(to_json(&OxendResponse {
                        result: roster.service_nodes(fields.as_deref()),
                        t: None,
                        hf: None,
                    })),
                ),
                _ => (200, self.misc(json!({"result": {"entries": []}}))),
            },
            Request::OnsResolve { name_hash } => {
                let result = self.ons_resolve(name_hash);
                // The answer, not the name: a line per lookup (tests count them).
                let found = result.as_object().is_some_and(|o| !o.is_empty());
                self.log.line(format_args!(
                    "ons_resolve {}",
                    if found { "found" } else { "not registered" }
                ));
                (200, self.misc(json!({ "result": result })))
            }
            Request::Retrieve(r) => self.retrieve(r, now).await,
            Request::GetExpiries {
                pubkey, messages, ..
            } => {
                let (pk, hashes) = (*pubkey, messages.clone());
                match self
                    .db_read(move |db| db.get_expiries(&pk, &hashes, now))
                    .await
                {
                    Ok(list) => {
                        let m: Map<String, Value> =
                            list.into_iter().map(|(h, e)| (h, json!(e))).collect();
                        (200, self.misc(json!({"expiries": m})))
                    }
                    Err(e) => e,
                }
            }
            _ if forwarded => self.local_entry(&req, now).await,
            _ => self.recursive(roster, &req, now).await,
        }
    }

    /// Authentication and clock checks, in the storage server's order (§15.9).
    fn check(&self, req: &Request, now: u64, forwarded: bool) -> Result<(), RpcError> {
        let window_check = |method: &str, ts: u64| rpc::check_clock(method, ts, now, forwarded);
        match req {
            Request::Store(s) => {
                let public = rpc::store_is_public(s.namespace);
                let max = if public {
                    limits::MAX_TTL_PUBLIC_MS
                } else {
                    limits::MAX_TTL_PRIVATE_MS
                };
                let ttl = s.expiry.saturating_sub(s.timestamp);
                if !(limits::MIN_TTL_MS..=max).contains(&ttl) || s.expiry < s.timestamp {
                    return Err(RpcError::new(403, "Provided expiry/TTL is not valid."));
                }
                if s.timestamp > now + limits::STORE_FUTURE_MS
                    || s.expiry.saturating_add(limits::STORE_FUTURE_MS) < now
                {
                    return Err(RpcError::new(406, "Timestamp error: check your clock"));
                }
                if !public {
                    let Some(auth) = &s.auth else {
                        return Err(RpcError::new(401, "store: request signature required"));
                    };
                    window_check("store", s.sig_timestamp)?;
                    rpc::verify(&s.pubkey, auth, &signed(req))?;
                }
                Ok(())
            }
            Request::Retrieve(r) => {
                if rpc::retrieve_is_public(r.namespace) {
                    return Ok(());
                }
                let Some(auth) = &r.auth else {
                    return Err(RpcError::new(401, "retrieve: request signature required"));
                };
                let Some(ts) = r.timestamp else {
                    return Err(RpcError::parse_missing("timestamp"));
                };
                window_check("retrieve", ts)?;
                rpc::verify(&r.pubkey, auth, &signed(req))
            }
            Request::Delete {
                pubkey,
                timestamp,
                auth,
                ..
            } => {
                // Not in the protocol: checked when a client sends it (see rpc::request).
                if let Some(ts) = timestamp {
                    window_check("delete", *ts)?;
                }
                rpc::verify(pubkey, auth, &signed(req))
            }
            Request::DeleteAll {
                pubkey,
                timestamp,
                auth,
                ..
            }
            | Request::GetExpiries {
                pubkey,
                timestamp,
                auth,
                ..
            } => {
                window_check(req.method(), *timestamp)?;
                rpc::verify(pubkey, auth, &signed(req))
            }
            // The storage server's checks of the time each carries (SS request_handler.cpp):
            // a cut-off at most a minute ahead, an expiry not in the past.
            Request::DeleteBefore {
                pubkey,
                before,
                auth,
                ..
            } => {
                if *before > now.saturating_add(limits::SIGNATURE_WINDOW_MS) {
                    return Err(RpcError::new(
                        401,
                        "delete_before timestamp too far in the future",
                    ));
                }
                rpc::verify(pubkey, auth, &signed(req))
            }
            Request::Expire {
                pubkey,
                expiry,
                auth,
                ..
            } => {
                if *expiry < now.saturating_sub(limits::SIGNATURE_WINDOW_MS) {
                    return Err(RpcError::new(
                        401,
                        "expire: timestamp should be >= current time",
                    ));
                }
                rpc::verify(pubkey, auth, &signed(req))
            }
            Request::ExpireAll {
                pubkey,
                expiry,
                auth,
                ..
            } => {
                let window = if forwarded {
                    limits::FORWARDED_WINDOW_MS
                } else {
                    limits::SIGNATURE_WINDOW_MS
                };
                if *expiry < now.saturating_sub(window) {
                    return Err(RpcError::new(
                        406,
                        "expire_all timestamp should be >= current time",
                    ));
                }
                rpc::verify(pubkey, auth, &signed(req))
            }
            _ => Ok(()),
        }
    }

    async fn db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::Db) -> Result<R, db::Error> + Send + 'static,
    ) -> Result<R, Answer> {
        let Some(handle) = &self.db else {
            return Err(no_store());
        };
        handle.call(f).await.map_err(|e| self.db_failed(&e))
    }

    /// As [`Self::db`] for `f` that only reads: on the reading connection, which never waits
    /// for a write's fsync.
    async fn db_read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::Db) -> Result<R, db::Error> + Send + 'static,
    ) -> Result<R, Answer> {
        let Some(handle) = &self.db else {
            return Err(no_store());
        };
        handle.read(f).await.map_err(|e| self.db_failed(&e))
    }

    /// Stores a message, group-committed with the stores arriving meanwhile
    /// ([`db::Handle::store`]). A full database or mailbox is `Ok(Err(_))`: this member's
    /// failure, not the node's.
    async fn db_store(
        &self,
        msg: Message,
        now: u64,
    ) -> Result<Result<db::StoreOutcome, db::Error>, Answer> {
        let Some(handle) = &self.db else {
            return Err(no_store());
        };
        match handle.store(msg, now).await {
            Ok(o) => Ok(Ok(o)),
            Err(e @ (db::Error::Full | db::Error::MailboxFull)) => Ok(Err(e)),
            Err(e) => Err(self.db_failed(&e)),
        }
    }

    fn db_failed(&self, e: &db::Error) -> Answer {
        self.log.line(format_args!("database error: {e}"));
        (500, Value::String("internal error".into()))
    }

    async fn retrieve(&self, r: &rpc::Retrieve, now: u64) -> Answer {
        let (pk, ns, last, count, size) = (
            r.pubkey,
            r.namespace.0,
            r.last_hash.clone(),
            r.max_count,
            r.max_size,
        );
        let read =
            move |db: &mut db::Db| db.retrieve(&pk, ns, last.as_deref(), count, Some(size), now);
        // A retrieve of a few rows or bytes reads on this thread; a large one off it.
        let small =
            size <= INLINE_RETRIEVE_BYTES || count.is_some_and(|c| c <= INLINE_RETRIEVE_ROWS);
        let got = match &self.db {
            None => Err(no_store()),
            Some(handle) if small => handle
                .read_small(read)
                .await
                .map_err(|e| self.db_failed(&e)),
            Some(_) => self.db_read(read).await,
        };
        match got {
            Ok(found) => {
                let messages = found
                    .messages
                    .iter()
                    .map(|m| {
                        RetrievedMessage::new(m.hash.clone(), m.timestamp_ms, m.expiry_ms, &m.data)
                    })
                    .collect();
                let answer = RetrieveResponse {
                    messages,
                    more: found.more,
                    t: None,
                    hf: None,
                }
                .with_misc(self.misc_fields());
                (200, to_json(&answer))
            }
            Err(e) => e,
        }
    }

    /// Executes a recursive request here and on every other member of the swarm, and
    /// assembles the `swarm` dict.
    async fn recursive(&self, roster: &Roster, req: &Request, now: u64) -> Answer {
        let my_swarm = self.my_swarm(roster);
        let peers: Vec<_> = my_swarm
            .map(|id| roster.members(id))
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.ed25519 != self.me())
            .cloned()
            .collect();
        // The forwarded body and its signature only when there is someone to forward to: a
        // swarm of one signs only its own answer.
        let (body, sig) = if peers.is_empty() {
            (String::new(), String::new())
        } else {
            let body = String::from_utf8_lossy(&req.to_json()).into_owned();
            let sig = self.sign_b64(body.as_bytes());
            (body, sig)
        };
        let me_hex = self.me().to_hex();
        let forwards = peers.iter().map(|n| {
            let target = Target::Node {
                addr: SocketAddrV4::new(n.ip, n.port),
                path: STORAGE_RPC_PATH,
            };
            let body = body.clone();
            let headers = [
                (FORWARDED_BY, me_hex.clone()),
                (FORWARD_SIGNATURE, sig.clone()),
            ];
            async move {
                let res = self
                    .peer
                    .post_with_headers(&target, &headers, body.into_bytes(), REPLICATION_TIMEOUT)
                    .await;
                let entry = match res {
                    // Decoded into its type, within a bound: a member's word is passed on
                    // only in the shape a member answers.
                    Ok(r) if r.status == 200 => response::decode::<SwarmEntry>(&r.body)
                        .map_or_else(|_| json!({"bad_peer_response": true}), |e| to_json(&e)),
                    Ok(r) => json!({"failed": true, "code": r.status,
                                    "reason": String::from_utf8_lossy(&r.body)}),
                    Err(e) if e.is_timeout() => json!({"failed": true, "timeout": true}),
                    Err(_) => json!({"failed": true, "query_failure": true}),
                };
                (n.ed25519.to_hex(), entry)
            }
        });
        let (mine, others) = tokio::join!(
            self.local_entry(req, now),
            futures_join_all(forwards.collect())
        );
        let (my_status, my_entry) = mine;
        if !(200..300).contains(&my_status) {
            // Our own copy failed (e.g. 404 for `required`): answer that as the storage
            // server does.
            return (my_status, my_entry);
        }
        let mut swarm = Map::new();
        let top_hash = my_entry.get("hash").cloned();
        swarm.insert(self.me().to_hex(), my_entry);
        for (k, v) in others {
            swarm.insert(k, v);
        }
        let all_failed = swarm
            .values()
            .all(|v| v.get("failed").and_then(Value::as_bool).unwrap_or(false));
        let mut out = json!({"swarm": swarm});
        if let Some(h) = top_hash {
            out["hash"] = h;
        }
        (if all_failed { 500 } else { 200 }, self.misc(out))
    }

    /// Executes a recursive request on this node only: our entry of the `swarm` dict.
    async fn local_entry(&self, req: &Request, now: u64) -> Answer {
        let res = match req {
            Request::Store(s) => {
                let hash = message_hash(&s.pubkey, s.namespace, &s.data);
                let msg = Message {
                    owner: s.pubkey,
                    namespace: s.namespace.0,
                    hash: hash.clone(),
                    timestamp_ms: s.timestamp,
                    expiry_ms: s.expiry,
                    data: s.data.clone(),
                };
                // A full store is this member's failure, as the storage server reports it:
                // `failed` and `query_failure` in its swarm entry (SS `StoreResult::Full`).
                let stored = self.db_store(msg, now).await;
                match stored {
                    Ok(Ok(o)) => {
                        let signature = self.sign_b64(hash.as_bytes());
                        Ok(to_json(&StoreEntry::stored(
                            hash,
                            signature,
                            o.expiry_ms,
                            o.already,
                        )))
                    }
                    Ok(Err(full)) => {
                        self.log.line(format_args!("store refused: {full}"));
                        Ok(to_json(&StoreEntry {
                            failed: true,
                            query_failure: true,
                            reason: Some(full.to_string()),
                            ..StoreEntry::default()
                        }))
                    }
                    Err(e) => Err(e),
                }
            }
            Request::Delete {
                pubkey,
                messages,
                required,
                ..
            } => {
                let (pk, hashes) = (*pubkey, messages.clone());
                let deleted = match self.db(move |db| db.delete(&pk, &hashes, now)).await {
                    Ok(d) => d,
                    Err(e) => return e,
                };
                if *required && deleted.is_empty() {
                    return (404, Value::String("no messages deleted".into()));
                }
                // Signature over pubkey ‖ requested hashes ‖ deleted hashes (SS delete).
                let sig = format!(
                    "{}{}{}",
                    hex::encode(pubkey),
                    messages.concat(),
                    deleted.concat()
                );
                Ok(json!({"deleted": deleted, "signature": self.sign_b64(sig.as_bytes())}))
            }
            Request::DeleteAll {
                pubkey,
                namespace,
                timestamp,
                ..
            } => {
                let (pk, ns) = (*pubkey, one_ns(*namespace));
                self.db(move |db| db.delete_all(&pk, ns, now))
                    .await
                    .map(|d| self.deleted_entry(pubkey, *namespace, &timestamp.to_string(), d))
            }
            Request::DeleteBefore {
                pubkey,
                namespace,
                before,
                ..
            } => {
                let (pk, ns, b) = (*pubkey, one_ns(*namespace), *before);
                self.db(move |db| db.delete_before(&pk, ns, b, now))
                    .await
                    .map(|d| self.deleted_entry(pubkey, *namespace, &before.to_string(), d))
            }
            Request::Expire {
                pubkey,
                messages,
                expiry,
                mode,
                ..
            } => {
                // No later than the longest TTL from now (SS request_handler.cpp expire).
                let expiry = &(*expiry).min(now.saturating_add(limits::MAX_TTL_PRIVATE_MS));
                let (pk, hashes, e, m) = (*pubkey, messages.clone(), *expiry, *mode);
                self.db(move |db| db.expire(&pk, &hashes, e, m, now))
                    .await
                    .map(|o| {
                        let unchanged: Map<String, Value> = o
                            .unchanged
                            .iter()
                            .map(|(h, e)| (h.clone(), json!(e)))
                            .collect();
                        let sig = format!(
                            "{}{expiry}{}{}",
                            hex::encode(pubkey),
                            messages.concat(),
                            o.updated.concat()
                        );
                        json!({
                            "updated": o.updated,
                            "unchanged": unchanged,
                            "expiry": expiry,
                            "signature": self.sign_b64(sig.as_bytes()),
                        })
                    })
            }
            Request::ExpireAll {
                pubkey,
                namespace,
                expiry,
                ..
            } => {
                let expiry = &(*expiry).min(now.saturating_add(limits::MAX_TTL_PRIVATE_MS));
                let (pk, ns, e) = (*pubkey, one_ns(*namespace), *expiry);
                self.db(move |db| db.expire_all(&pk, ns, e, now))
                    .await
                    .map(|u| {
                        let updated: Vec<String> = u.into_iter().map(|(_, h)| h).collect();
                        let sig = format!("{}{expiry}{}", hex::encode(pubkey), updated.concat());
                        json!({"updated": updated, "expiry": expiry,
                           "signature": self.sign_b64(sig.as_bytes())})
                    })
            }
            _ => {
                return (
                    400,
                    Value::String("invalid request: not a swarm request".into()),
                );
            }
        };
        match res {
            Ok(v) => (200, v),
            Err(e) => e,
        }
    }

    fn deleted_entry(
        &self,
        pubkey: &[u8; 33],
        ns: Namespaces,
        ts: &str,
        deleted: Vec<(i16, String)>,
    ) -> Value {
        let all: Vec<&str> = deleted.iter().map(|(_, h)| h.as_str()).collect();
        let sig = format!("{}{ts}{}", hex::encode(pubkey), all.concat());
        let listed = match ns {
            Namespaces::One(_) => json!(all),
            Namespaces::All => {
                let mut by_ns: Map<String, Value> = Map::new();
                for (n, h) in &deleted {
                    let e = by_ns.entry(n.to_string()).or_insert_with(|| json!([]));
                    if let Value::Array(a) = e {
                        a.push(json!(h));
                    }
                }
                Value::Object(by_ns)
            }
        };
        json!({"deleted": listed, "signature": self.sign_b64(sig.as_bytes())})
    }

    /// Checks, from a request's headers alone, that it names a forwarder that is a member of
    /// our swarm, with a signature of the right shape: the member's listed address, key and
    /// the signature, for [`Self::forward_verifies`].
    fn forwarder(
        &self,
        headers: &super::http::HeaderMap,
    ) -> Result<(std::net::Ipv4Addr, VerifyingKey, Signature), String> {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let by = header(FORWARDED_BY).unwrap_or_default();
        let key: Ed25519Pub = by.parse().map_err(|_| "bad forwarder key".to_owned())?;
        let roster = self.roster.current().ok_or("no roster")?;
        let sender = roster.node(&key).ok_or("forwarder is not a known node")?;
        if Some(sender.swarm_id) != self.my_swarm(&roster) {
            return Err("forwarder is not in our swarm".into());
        }
        let sig = header(FORWARD_SIGNATURE).unwrap_or_default();
        let sig: [u8; 64] = BASE64
            .decode(sig)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or("bad forward signature")?;
        let vk = VerifyingKey::from_bytes(key.as_bytes()).map_err(|_| "bad forwarder key")?;
        Ok((sender.ip, vk, Signature::from_bytes(&sig)))
    }

    /// Whether a forwarded request's signature over its body verifies (one SHA-512 over the
    /// body: done once per request, by the server, through [`Service::is_peer_copy`]).
    fn forward_verifies(&self, req: &HttpRequest) -> bool {
        self.forwarder(&req.headers)
            .is_ok_and(|(_, vk, sig)| vk.verify_strict(&req.body, &sig).is_ok())
    }

    async fn onion(&self, req: HttpRequest) -> Response {
        if self.roster.current().is_none() {
            return Response::text(503, format!("Snode not ready: {}", self.me().to_hex()));
        }
        let peeled = onion::peel(&onion::NodeKeys::from(&self.identity), &req.body);
        match peeled {
            Err(e) => {
                let (status, body) = e.http_reply(&mut OsRng);
                self.log.line(format_args!(
                    "onion_req rejected {status} peer={}: {e}",
                    req.peer.ip()
                ));
                Response::text(status, body)
            }
            Ok(Peeled::Relay(relay)) => {
                let Some(roster) = self.roster.current() else {
                    return Response::text(503, "Service node is not ready");
                };
                // Missing: a client's request; unreadable: refused as if past the limit.
                let hops = req
                    .header(RELAY_HOPS)
                    .map_or(Some(0), |h| h.parse::<u8>().ok());
                let Some(hops) = hops.filter(|&h| h < MAX_RELAY_HOPS) else {
                    self.log.line(format_args!(
                        "onion_req relay 502 peer={}: relayed too many times",
                        req.peer.ip()
                    ));
                    return Response::text(502, "sesh-node: too many relay hops");
                };
                // A relay to ourselves would let one request (one rate-limit token) chain
                // through this node as many times as its layers allow.
                if relay.destination == self.me() {
                    self.log.line(format_args!(
                        "onion_req relay 502 peer={}: next node is this node",
                        req.peer.ip()
                    ));
                    return Response::text(502, "sesh-node does not relay to itself");
                }
                let Some(next) = roster.node(&relay.destination).cloned() else {
                    self.log.line(format_args!(
                        "onion_req relay 502 peer={}: next node unknown",
                        req.peer.ip()
                    ));
                    return Response::text(
                        502,
                        rpc_status::next_node_not_found(&relay.destination),
                    );
                };
                let target = Target::Node {
                    addr: SocketAddrV4::new(next.ip, next.port),
                    path: ONION_REQ_PATH,
                };
                let headers = [
                    (RELAYED_BY, self.me().to_hex()),
                    (RELAY_HOPS, (hops + 1).to_string()),
                ];
                match self
                    .peer
                    .post_with_headers(&target, &headers, relay.next_layer, PEER_TIMEOUT)
                    .await
                {
                    Ok(r) => {
                        self.log.line(format_args!(
                            "onion_req relay {} peer={} next={}",
                            r.status,
                            req.peer.ip(),
                            short(&next.ed25519)
                        ));
                        let mut resp =
                            Response::bytes(r.status, super::http::CONTENT_TYPE_TEXT, r.body);
                        if r.content_type.as_deref() == Some(super::http::CONTENT_TYPE_JSON) {
                            resp.content_type = super::http::CONTENT_TYPE_JSON;
                        }
                        resp
                    }
                    Err(e) => {
                        let status = e.gateway_status();
                        self.log.line(format_args!(
                            "onion_req relay {status} peer={} next={}: {e}",
                            req.peer.ip(),
                            short(&next.ed25519)
                        ));
                        let text = if status == 504 {
                            REQUEST_TIME_OUT.to_owned()
                        } else {
                            // The storage server's words (libsession-util drops the node).
                            rpc_status::next_node_unreachable(&next.ed25519)
                        };
                        Response::text(status, text)
                    }
                }
            }
            Ok(Peeled::Final(f)) => {
                let (status, body) = self
                    .storage_rpc_answer(&f.payload, Origin::Onion(req.peer))
                    .await;
                match f.respond(status, &body, &mut OsRng) {
                    Ok(bytes) => Response::bytes(200, super::http::CONTENT_TYPE_TEXT, bytes),
                    Err(_) => Response::text(500, "internal error"),
                }
            }
            Ok(Peeled::Proxy(p)) => self.proxy(p, req.peer).await,
        }
    }

    /// The client to servers, bound to this node's listed address so that a server sees the
    /// node that connected (the exit), made once.
    fn server_client(&self) -> Result<&ServerClient, &str> {
        self.servers
            .get_or_init(|| {
                let local = self
                    .roster
                    .current()
                    .and_then(|r| r.node(&self.me()).map(|n| std::net::IpAddr::V4(n.ip)));
                ServerClient::new(local, SERVER_TIMEOUT, MAX_SERVER_ANSWER)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The exit of an onion request to a server (protocol.md §7.2 case 2, §7.5), as the storage
    /// server's `process_onion_req(RelayToServerInfo&&)`: POSTs this node's whole decrypted
    /// layer to `protocol://host[:port]/target` (scheme, target and host checked by
    /// [`onion::peel`]: a host name or address, any port), and answers with the server's status and body unmodified; 504 when
    /// the server does not answer within [`SERVER_TIMEOUT`], 502 when it cannot be reached or
    /// its answer exceeds [`MAX_SERVER_ANSWER`]. The log names the server and sizes, never
    /// contents.
    async fn proxy(&self, p: onion::Proxy, peer: SocketAddr) -> Response {
        let server = format!("{}://{}:{}", p.scheme, p.host, p.port);
        let client = match self.server_client() {
            Ok(c) => c,
            Err(e) => {
                self.log.line(format_args!(
                    "onion_req proxy 502 peer={} server={server}: {e}",
                    peer.ip()
                ));
                return Response::text(502, "sesh-node cannot reach servers");
            }
        };
        let sent = p.layer_plaintext.len();
        match client.post(&p.url(), p.layer_plaintext).await {
            Ok(r) => {
                self.log.line(format_args!(
                    "onion_req proxy {} peer={} server={server} sent={sent} received={}",
                    r.status,
                    peer.ip(),
                    r.body.len()
                ));
                let content_type = match r.content_type.as_deref() {
                    Some(super::http::CONTENT_TYPE_JSON) => super::http::CONTENT_TYPE_JSON,
                    Some(t) if t.starts_with(super::http::CONTENT_TYPE_TEXT) => {
                        super::http::CONTENT_TYPE_TEXT
                    }
                    _ => "application/octet-stream",
                };
                Response::bytes(r.status, content_type, r.body)
            }
            Err(e) => {
                let status = e.gateway_status();
                self.log.line(format_args!(
                    "onion_req proxy {status} peer={} server={server} sent={sent}: {e}",
                    peer.ip()
                ));
                Response::text(status, e.to_string())
            }
        }
    }

    fn seed(&self, req: &HttpRequest) -> Response {
        let Some(roster) = self.roster.current() else {
            return Response::text(503, "Service node list is not ready");
        };
        let reply = |id, result, error| JsonRpcReply {
            jsonrpc: Some("2.0".into()),
            id,
            result,
            error,
        };
        let Some(call) = JsonRpcCall::parse(&req.body) else {
            let error = JsonRpcError {
                code: -32700,
                message: "Parse error".into(),
            };
            return Response::json(200, &to_json(&reply(None, None, Some(error))));
        };
        let id = call.id.or(Some(JsonRpcId::Number(0)));
        let method = call.method.as_str();
        self.log
            .line(format_args!("json_rpc {method} peer={}", req.peer.ip()));
        if method != "get_n_service_nodes" && method != "get_service_nodes" {
            let error = JsonRpcError {
                code: -32601,
                message: "Method not found".into(),
            };
            return Response::json(200, &to_json(&reply(id, None, Some(error))));
        }
        let result = roster.service_nodes(call.fields.as_deref());
        Response::json(200, &to_json(&reply(id, Some(result), None)))
    }
}

/// What a retrieve answer's messages count against a `max_size` budget (as the store counts
/// them: base64 data plus [`db::RETRIEVE_MESSAGE_OVERHEAD`] each); 0 for any other answer.
fn retrieved_size(answer: &Value) -> usize {
    answer
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |messages| {
            messages
                .iter()
                .map(|m| {
                    let data = m.get("data").and_then(Value::as_str).map_or(0, str::len);
                    data + db::RETRIEVE_MESSAGE_OVERHEAD
                })
                .sum()
        })
}

fn signed(req: &Request) -> Vec<u8> {
    rpc::signed_message(req).unwrap_or_default()
}

fn one_ns(ns: Namespaces) -> Option<i16> {
    match ns {
        Namespaces::All => None,
        Namespaces::One(Namespace(n)) => Some(n),
    }
}

fn short(k: &Ed25519Pub) -> String {
    k.to_hex()[..8].to_owned()
}

/// A typed answer as the JSON the node sends (its own data: it always serializes).
fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn to_response((status, body): Answer) -> Response {
    match body {
        Value::String(s) => Response::text(status, s),
        other => Response::json(status, &other),
    }
}

/// Awaits futures concurrently, keeping their order.
async fn futures_join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

impl<T: Transport + Send + Sync + 'static> Service for NodeService<T> {
    fn admit(&self, method: &str, path: &str) -> Admit {
        match (self.role, method, path) {
            (Role::Storage, "POST", STORAGE_RPC_PATH) => Admit::ClientRpc,
            (Role::Storage, "POST", ONION_REQ_PATH) => Admit::Onion,
            (Role::Storage, "GET", PING_TEST_PATH) => Admit::Read,
            (Role::Seed, "POST", JSON_RPC_PATH) => Admit::Seed,
            _ => Admit::NotFound,
        }
    }

    fn may_be_peer_copy(
        &self,
        path: &str,
        headers: &super::http::HeaderMap,
        peer: SocketAddr,
    ) -> bool {
        // Nodes connect from their own listed address when they can (sesh-node binds its
        // outgoing connections to a specific listen address); only a copy from there skips the
        // token before its body. A copy from elsewhere takes one and is still verified.
        path == STORAGE_RPC_PATH
            && headers.contains_key(FORWARDED_BY)
            && self.forwarder(headers).is_ok_and(|(ip, _, _)| {
                super::rate::client_key(peer.ip()) == std::net::IpAddr::V4(ip)
            })
    }

    fn relaying_node(
        &self,
        headers: &super::http::HeaderMap,
        peer: SocketAddr,
    ) -> Option<[u8; 32]> {
        let by = headers.get(RELAYED_BY)?.to_str().ok()?;
        let key: Ed25519Pub = by.parse().ok()?;
        let roster = self.roster.current()?;
        let node = roster.node(&key)?;
        (super::rate::client_key(peer.ip()) == std::net::IpAddr::V4(node.ip))
            .then(|| *key.as_bytes())
    }

    fn is_peer_copy(&self, request: &HttpRequest) -> bool {
        request.path == STORAGE_RPC_PATH
            && request.header(FORWARDED_BY).is_some()
            && self.forward_verifies(request)
    }

    fn handle(&self, request: HttpRequest) -> BoxFuture<'_, Response> {
        Box::pin(async move {
            match request.path.as_str() {
                STORAGE_RPC_PATH if request.header(FORWARDED_BY).is_some() => {
                    // The server verified the signature once (`is_peer_copy`); only why it
                    // failed is worked out here, from the headers.
                    let verdict = if request.peer_copy {
                        Ok(())
                    } else {
                        Err(self.forwarder(&request.headers).map_or_else(
                            |why| why,
                            |_| "forward signature does not verify".to_owned(),
                        ))
                    };
                    match verdict {
                        Ok(()) => {
                            self.storage_rpc(&request.body, Origin::Forwarded(request.peer))
                                .await
                        }
                        Err(why) => {
                            self.log.line(format_args!(
                                "storage_rpc forwarded request refused peer={}: {why}",
                                request.peer.ip()
                            ));
                            Response::text(401, format!("forwarded request refused: {why}"))
                        }
                    }
                }
                STORAGE_RPC_PATH => {
                    self.storage_rpc(&request.body, Origin::Direct(request.peer))
                        .await
                }
                ONION_REQ_PATH => self.onion(request).await,
                PING_TEST_PATH => Response::text(200, "")
                    .with_header("X-Oxen-Snode-Pubkey", BASE64.encode(self.me().as_bytes())),
                JSON_RPC_PATH => self.seed(&request),
                other => Response::not_found(&request.method, other),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::clock::FixedClock;
    use crate::identity::Seed;
    use crate::rpc::request::{Auth, ExpireMode, Store};
    use crate::swarm::Snode;
    use crate::transport::memory::MemoryNetwork;

    const NOW: u64 = 1_700_000_000_000;
    const MIN: u64 = 60_000;
    const DAY: u64 = 86_400_000;

    /// A one-node network: the node, its store, and a client identity.
    fn node() -> (
        NodeService<crate::transport::memory::MemoryLink>,
        db::Handle,
        Identity,
    ) {
        let identity = Identity::from_seed(Seed::from_bytes([7; 32]));
        let me = Snode {
            ed25519: identity.ed25519_pub(),
            x25519: identity.x25519_pub(),
            ip: Ipv4Addr::new(127, 0, 0, 1),
            port: 1,
            swarm_id: 0,
            version: None,
        };
        let db = db::Handle::new(db::Db::open_in_memory().unwrap());
        let service = NodeService::new(
            Role::Storage,
            identity,
            RosterFile::fixed(Roster::new(vec![me], 1)),
            Some(db.clone()),
            MemoryNetwork::default().link(),
            Arc::new(FixedClock::from_ms(NOW)),
            Log::discard(),
        );
        (service, db, Identity::from_seed(Seed::from_bytes([9; 32])))
    }

    fn pubkey(user: &Identity) -> [u8; 33] {
        let mut pk = [5u8; 33];
        pk[1..].copy_from_slice(user.x25519_pub().as_bytes());
        pk
    }

    /// Signs `req` (its `auth` is replaced) as `user`.
    fn signed_by(user: &Identity, mut req: Request) -> Vec<u8> {
        let auth = Auth {
            signature: [0; 64],
            pubkey_ed25519: Some(*user.ed25519_pub().as_bytes()),
        };
        let set = |r: &mut Request, a: Auth| match r {
            Request::Delete { auth, .. }
            | Request::DeleteBefore { auth, .. }
            | Request::Expire { auth, .. }
            | Request::ExpireAll { auth, .. } => *auth = a,
            _ => {}
        };
        set(&mut req, auth.clone());
        let sig = user.sign(&req.signed_message().unwrap());
        set(
            &mut req,
            Auth {
                signature: sig,
                ..auth
            },
        );
        req.to_json()
    }

    async fn ask(node: &NodeService<crate::transport::memory::MemoryLink>, body: &[u8]) -> Answer {
        let peer = SocketAddr::from(([127, 0, 0, 9], 1));
        node.storage_rpc_answer(body, Origin::Direct(peer)).await
    }

    fn store(user: &Identity, n: u8) -> Vec<u8> {
        Request::Store(Store {
            pubkey: pubkey(user),
            namespace: Namespace(0),
            timestamp: NOW,
            expiry: NOW + DAY,
            data: vec![n; 10],
            sig_timestamp: NOW,
            auth: None,
        })
        .to_json()
    }

    fn no_auth() -> Auth {
        Auth {
            signature: [0; 64],
            pubkey_ed25519: None,
        }
    }

    #[tokio::test]
    async fn delete_and_expire_times_are_checked() {
        let (node, _db, user) = node();
        let pk = pubkey(&user);
        let delete = |timestamp| Request::Delete {
            pubkey: pk,
            messages: vec!["h".repeat(43)],
            required: false,
            timestamp,
            auth: no_auth(),
        };
        let (status, body) = ask(&node, &signed_by(&user, delete(Some(NOW - 2 * MIN)))).await;
        assert_eq!(
            (status, body),
            (406, json!("delete timestamp too far from current time"))
        );
        assert_eq!(
            ask(&node, &signed_by(&user, delete(Some(NOW)))).await.0,
            200
        );
        assert_eq!(ask(&node, &signed_by(&user, delete(None))).await.0, 200);

        let before = |before| Request::DeleteBefore {
            pubkey: pk,
            namespace: Namespaces::All,
            before,
            auth: no_auth(),
        };
        let (status, _) = ask(&node, &signed_by(&user, before(NOW + 2 * MIN))).await;
        assert_eq!(status, 401);
        assert_eq!(ask(&node, &signed_by(&user, before(NOW))).await.0, 200);

        let expire = |expiry| Request::Expire {
            pubkey: pk,
            messages: vec!["h".repeat(43)],
            expiry,
            mode: ExpireMode::Set,
            auth: no_auth(),
        };
        let (status, _) = ask(&node, &signed_by(&user, expire(NOW - 2 * MIN))).await;
        assert_eq!(status, 401);
        assert_eq!(
            ask(&node, &signed_by(&user, expire(NOW + MIN))).await.0,
            200
        );

        let expire_all = |expiry| Request::ExpireAll {
            pubkey: pk,
            namespace: Namespaces::All,
            expiry,
            auth: no_auth(),
        };
        let (status, _) = ask(&node, &signed_by(&user, expire_all(NOW - 2 * MIN))).await;
        assert_eq!(status, 406);
        assert_eq!(
            ask(&node, &signed_by(&user, expire_all(NOW + MIN))).await.0,
            200
        );
    }

    #[tokio::test]
    async fn a_relay_to_this_node_itself_is_refused() {
        use crate::onion::{Destination, EncType};
        let (node, _db, user) = node();
        let me = crate::onion::HopKeys {
            ed25519: node.me(),
            x25519: node.identity.x25519_pub(),
        };
        // This node is the guard and the next hop; the destination does not matter.
        let elsewhere = crate::onion::HopKeys {
            ed25519: user.ed25519_pub(),
            x25519: user.x25519_pub(),
        };
        let (body, _) = onion::build(
            &[me, me],
            &Destination::Snode(elsewhere),
            br#"{"method":"info","params":{}}"#,
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap();
        let req = HttpRequest {
            method: "POST".into(),
            path: ONION_REQ_PATH.into(),
            headers: super::super::http::HeaderMap::new(),
            body: body.into(),
            peer: SocketAddr::from(([127, 0, 0, 9], 1)),
            peer_copy: false,
        };
        let resp = node.onion(req).await;
        assert_eq!(
            (resp.status, &resp.body[..]),
            (502, &b"sesh-node does not relay to itself"[..])
        );
    }

    #[tokio::test]
    async fn a_request_relayed_too_many_times_is_refused() {
        use crate::onion::{Destination, EncType};
        let (node, _db, user) = node();
        let me = crate::onion::HopKeys {
            ed25519: node.me(),
            x25519: node.identity.x25519_pub(),
        };
        let elsewhere = crate::onion::HopKeys {
            ed25519: user.ed25519_pub(),
            x25519: user.x25519_pub(),
        };
        let (body, _) = onion::build(
            &[me, me],
            &Destination::Snode(elsewhere),
            br#"{"method":"info","params":{}}"#,
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap();
        let relay = |hops: &str| {
            let mut headers = super::super::http::HeaderMap::new();
            headers.insert(RELAY_HOPS, hops.parse().unwrap());
            HttpRequest {
                method: "POST".into(),
                path: ONION_REQ_PATH.into(),
                headers,
                body: body.clone().into(),
                peer: SocketAddr::from(([127, 0, 0, 9], 1)),
                peer_copy: false,
            }
        };
        let too_many = (502, &b"sesh-node: too many relay hops"[..]);
        for hops in ["4", "200", "x"] {
            let resp = node.onion(relay(hops)).await;
            assert_eq!((resp.status, &resp.body[..]), too_many, "{hops}");
        }
        // Under the limit, the relay goes on (here to the refusal to relay to itself).
        let resp = node.onion(relay("3")).await;
        assert_eq!(
            (resp.status, &resp.body[..]),
            (502, &b"sesh-node does not relay to itself"[..])
        );
    }

    #[tokio::test]
    async fn layers_alternating_between_two_nodes_stop_at_the_relay_limit() {
        use crate::onion::{Destination, EncType, HopKeys};
        let clock: Arc<dyn Clock + Send + Sync> = Arc::new(FixedClock::from_ms(NOW));
        let (net, nodes) = MemoryNetwork::devnet(1, 3, 5, clock).unwrap();
        let (a, b) = (HopKeys::from(&nodes[0]), HopKeys::from(&nodes[1]));
        let (body, _) = onion::build(
            &[a, b, a, b, a, b, a, b, a, b],
            &Destination::Snode(HopKeys::from(&nodes[2])),
            br#"{"method":"info","params":{}}"#,
            EncType::AesGcm,
            &mut OsRng,
        )
        .unwrap();
        let target = Target::Node {
            addr: SocketAddrV4::new(nodes[0].ip, nodes[0].port),
            path: ONION_REQ_PATH,
        };
        let reply = net.post(&target, body, PEER_TIMEOUT).await.unwrap();
        assert_eq!(
            (reply.status, &reply.body[..]),
            (502, &b"sesh-node: too many relay hops"[..])
        );
        let relays = net
            .requests()
            .iter()
            .filter(|r| r.from_node && r.status.is_some())
            .count();
        assert_eq!(relays, usize::from(MAX_RELAY_HOPS));
    }

    #[tokio::test]
    async fn expire_is_clamped_to_the_longest_ttl() {
        let (node, db, user) = node();
        let pk = pubkey(&user);
        let (status, v) = ask(&node, &store(&user, 1)).await;
        assert_eq!(status, 200, "{v}");
        let hash = v["hash"].as_str().unwrap().to_owned();
        let far = NOW + 365 * DAY;
        let req = Request::Expire {
            pubkey: pk,
            messages: vec![hash.clone()],
            expiry: far,
            mode: ExpireMode::Extend,
            auth: no_auth(),
        };
        let (status, v) = ask(&node, &signed_by(&user, req)).await;
        assert_eq!(status, 200, "{v}");
        let hashes = vec![hash.clone()];
        let got = db
            .call(move |db| db.get_expiries(&pk, &hashes, NOW))
            .await
            .unwrap();
        assert_eq!(got, vec![(hash, NOW + limits::MAX_TTL_PRIVATE_MS)]);
    }

    #[tokio::test]
    async fn the_retrieves_of_a_batch_share_one_size_budget() {
        let (node, db, user) = node();
        let pk = pubkey(&user);
        // 120 messages of 76 800 bytes (102 400 in base64): 9.4 MB in all.
        for n in 0..120u32 {
            let msg = db::Message {
                owner: pk,
                namespace: -10,
                hash: format!("{n:0>43}"),
                timestamp_ms: NOW,
                expiry_ms: NOW + DAY,
                data: vec![0; limits::MAX_DATA_LEN],
            };
            db.call(move |db| db.store(&msg, NOW)).await.unwrap();
        }
        // Namespace -10 is readable without a signature.
        let retrieve = json!({"method": "retrieve",
            "params": {"pubkey": hex::encode(pk), "namespace": -10, "max_size": -1}});
        let body = json!({"method": "batch", "params": {"requests": [retrieve, retrieve]}});
        let (status, v) = ask(&node, body.to_string().as_bytes()).await;
        assert_eq!(status, 200);
        let results = v["results"].as_array().unwrap();
        let count = |i: usize| results[i]["body"]["messages"].as_array().unwrap().len();
        // The first takes the whole 7.8 MB (76 messages); the second gets what is left: one
        // message, as every retrieve returns at least one.
        assert_eq!(count(0), 76);
        assert_eq!(count(1), 1);
        assert_eq!(results[1]["body"]["more"], json!(true));
        // Alone, a retrieve has the whole budget.
        let (_, v) = ask(&node, retrieve.to_string().as_bytes()).await;
        assert_eq!(v["messages"].as_array().unwrap().len(), 76);
    }

    #[tokio::test]
    async fn a_full_mailbox_fails_the_store_as_the_storage_server_does() {
        let (node, db, user) = node();
        db.set_limits(db::StoreLimits {
            max_mailbox_messages: 1,
            ..db::StoreLimits::default()
        })
        .await
        .unwrap();
        assert_eq!(ask(&node, &store(&user, 1)).await.0, 200);
        let (status, v) = ask(&node, &store(&user, 2)).await;
        // The only member failed: 500, with its entry saying why.
        assert_eq!(status, 500, "{v}");
        let entry = &v["swarm"][node.me().to_hex()];
        assert_eq!(entry["failed"], json!(true), "{v}");
        assert_eq!(entry["query_failure"], json!(true), "{v}");
        assert_eq!(entry["reason"], json!("the mailbox is full"), "{v}");
        // Another account still stores.
        let other = Identity::from_seed(Seed::from_bytes([10; 32]));
        assert_eq!(ask(&node, &store(&other, 2)).await.0, 200);
    }
}
