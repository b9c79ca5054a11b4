//! The file server role of `sesh-node` (`sesh-node --file-server`): a Session file server
//! (protocol.md §10.1) for the devnet, speaking the real server's API over plain HTTP.
//!
//! Mirrors session-file-server (`fileserver/routes.py`, `onion_req.py`, `cleanup.py`):
//!
//! | request | answer |
//! |---|---|
//! | `POST /file`, raw body of 1 to [`MAX_FILE_SIZE`] bytes | 200 `{"id": "<decimal>", "expires": <unix seconds>}` |
//! | `POST /file`, empty or over the limit | 413 `{"status_code": 413}` (over the limit: before the body is read, and the connection closed) |
//! | `GET /file/<id>` | 200, the bytes, `application/octet-stream`; 404 `{"status_code": 404}` if missing or expired |
//! | `GET /file/<id>/info` | 200 `{"size", "uploaded", "expires"}` (unix seconds); 404 likewise |
//! | `POST /oxen/v4/lsrpc` | an onion v4 request (§7.5): `[N][blob]{json}` decrypted with the server's X25519 key, its inner request run against the routes above, answered `Enc(l<meta><body>e)` raw; a body that does not decrypt → 400 in plain text; one that decrypts to something else → the encrypted `400 Invalid v4 onion request` |
//!
//! The wrong method on a route answers 405, an unknown route 404. Ids are random decimal
//! numbers under 2^53 (the real server's backwards-compatible ids, which session-python's
//! `int(id)` needs). Files live in a SQLite table (`DIR/files.db`, every upload fsync'd in one
//! transaction), for [`DEFAULT_TTL`] (14 days) unless the server is told otherwise; a cleanup
//! task ([`prune_expired_files_every`]) removes expired files, which are gone to every route
//! the moment they expire. The store holds at most [`MAX_STORE_BYTES`]; past it an upload gets
//! 507 `{"status_code": 507}`.
//!
//! The server's key pair is the node identity in its directory (`DIR/identity`): the Ed25519
//! key is the file server's `pubkey_ed25519`, its X25519 form the key onion requests are
//! encrypted to. The HTTP server and its limits are the node's ([`super::run_plain`]).

mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::json;

use self::store::Store;
pub use self::store::StoreError;
use super::{
    Admit, BoxFuture, Error, Log, MAX_REQUEST_BODY_SIZE, MAX_SMALL_ROUTE_BODY, Request, Response,
    Service, chain,
};
use crate::clock::Clock;
use crate::identity::Identity;
use crate::onion::{NodeKeys, v4};

/// The largest file accepted: 10 000 000 bytes, the limit clients encrypt for
/// ([`crate::attachment::MAX_FILE_SIZE`]: session-desktop `MAX_ATTACHMENT_FILESIZE_BYTES`;
/// Session's file server).
pub const MAX_FILE_SIZE: usize = crate::attachment::MAX_FILE_SIZE;

/// How long a file is kept unless the server is told otherwise: 14 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// The most file bytes the store holds (1 GiB): past it, uploads get 507.
pub const MAX_STORE_BYTES: u64 = 1 << 30;

/// The store's file in the server's directory.
pub const DB_FILE: &str = "files.db";

/// The upload route.
const FILE_ROUTE: &str = "/file";

/// `Content-Type` of downloads.
const OCTET_STREAM: &str = "application/octet-stream";

/// The file server's store, shared by the service and the cleanup task.
#[derive(Debug, Clone)]
pub struct FileStore(Arc<Mutex<Store>>);

impl FileStore {
    /// Opens (creating) the store at `path`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] when the database cannot be opened or made.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self(Arc::new(Mutex::new(Store::open(
            path,
            MAX_STORE_BYTES,
        )?))))
    }

    /// Runs `f` on the store on a blocking thread (SQLite waits on the disk).
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut s)
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Worker(e.to_string())))
    }

    /// Removes the files expired at `now_ms`; how many.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub async fn prune(&self, now_ms: u64) -> Result<usize, StoreError> {
        self.call(move |s| s.prune(now_ms)).await
    }
}

/// The file server's directory, opened: its lock (with the pid), identity and store.
#[derive(Debug)]
pub struct FilesHome {
    /// The directory.
    pub dir: PathBuf,
    /// The server's key pair (Ed25519; its X25519 form is the onion key).
    pub identity: Identity,
    /// The files.
    pub store: FileStore,
    _lock: std::fs::File,
}

impl FilesHome {
    /// Opens the server's directory, creating it (mode 0700) and what is missing: a new
    /// identity (from `rng`, dated `now`), an empty store.
    ///
    /// # Errors
    /// [`Error::InUse`] when another process holds the directory; [`Error::Dir`],
    /// [`Error::Identity`] or [`Error::FileStore`], naming what failed.
    pub fn open(
        dir: &Path,
        now: SystemTime,
        rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng),
    ) -> Result<Self, Error> {
        let lock = super::lock_dir(dir)?;
        let identity = super::load_or_create_identity(&dir.join(super::IDENTITY_FILE), now, rng)?;
        let store = FileStore::open(&dir.join(DB_FILE)).map_err(Error::FileStore)?;
        Ok(Self {
            dir: dir.to_owned(),
            identity,
            store,
            _lock: lock,
        })
    }
}

/// Removes expired files every `every`, forever; spawn it and abort it at shutdown.
pub async fn prune_expired_files_every(
    store: FileStore,
    clock: Arc<dyn Clock + Send + Sync>,
    every: Duration,
    log: Log,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.prune(clock.now_ms()).await {
            Ok(0) => {}
            Ok(n) => log.line(format_args!("removed {n} expired files")),
            Err(e) => log.line(format_args!("removing expired files failed: {e}")),
        }
    }
}

/// The file server: the routes of the module documentation.
pub struct FileService {
    identity: Identity,
    store: FileStore,
    clock: Arc<dyn Clock + Send + Sync>,
    log: Log,
    ttl: Duration,
}

impl std::fmt::Debug for FileService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileService")
            .field("ed25519", &self.identity.ed25519_pub())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A route of the file server, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Upload,
    Download(&'a str),
    Info(&'a str),
    Onion,
}

fn route_of(path: &str) -> Option<Route<'_>> {
    if path == FILE_ROUTE {
        return Some(Route::Upload);
    }
    if path == v4::TARGET {
        return Some(Route::Onion);
    }
    let rest = path.strip_prefix("/file/")?;
    match rest.split_once('/') {
        None if !rest.is_empty() => Some(Route::Download(rest)),
        Some((id, "info")) if !id.is_empty() => Some(Route::Info(id)),
        _ => None,
    }
}

/// A file id as the routes take it: decimal digits for a number under 2^53.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|n| *n < store::ID_LIMIT)
}

/// The real server's JSON error: `{"status_code": N}` with status N.
fn error(status: u16) -> Response {
    Response::json(status, &json!({ "status_code": status }))
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl FileService {
    /// A file server with `identity`'s keys, keeping files in `store` for `ttl`.
    pub fn new(
        identity: Identity,
        store: FileStore,
        clock: Arc<dyn Clock + Send + Sync>,
        log: Log,
        ttl: Duration,
    ) -> Self {
        Self {
            identity,
            store,
            clock,
            log,
            ttl,
        }
    }

    /// Runs a request (direct, or the inner request of an onion request) against the file
    /// routes.
    async fn run(&self, method: &str, path: &str, body: Bytes) -> Response {
        match (route_of(path), method) {
            (Some(Route::Upload), "POST") => self.upload(body).await,
            (Some(Route::Download(id)), "GET") => self.download(id).await,
            (Some(Route::Info(id)), "GET") => self.info(id).await,
            (Some(Route::Onion) | None, _) => Response::not_found(method, path),
            (Some(_), _) => Response::reason(405),
        }
    }

    async fn upload(&self, body: Bytes) -> Response {
        if body.is_empty() || body.len() > MAX_FILE_SIZE {
            self.log.line(format_args!(
                "refused an upload of {} bytes (1 to {MAX_FILE_SIZE})",
                body.len()
            ));
            return error(413);
        }
        let now = self.clock.now_ms();
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        let expires = now.saturating_add(ttl_ms);
        let len = body.len();
        let stored = self
            .store
            .call(move |s| s.insert(&body, now, expires, &mut rand_core::OsRng))
            .await;
        match stored {
            Ok(id) => {
                self.log.line(format_args!("stored file {id}: {len} bytes"));
                Response::json(
                    200,
                    &json!({ "id": id.to_string(), "expires": secs(expires) }),
                )
            }
            Err(e @ StoreError::Full { .. }) => {
                self.log.line(format_args!("refused an upload: {e}"));
                error(507)
            }
            Err(e) => {
                self.log
                    .line(format_args!("storing a file failed: {}", chain(&e)));
                error(500)
            }
        }
    }

    async fn download(&self, id: &str) -> Response {
        let Some(id) = parse_id(id) else {
            return error(404);
        };
        let now = self.clock.now_ms();
        match self.store.call(move |s| s.get(id, now)).await {
            Ok(Some(data)) => Response::bytes(200, OCTET_STREAM, data),
            Ok(None) => error(404),
            Err(e) => {
                self.log
                    .line(format_args!("reading file {id} failed: {}", chain(&e)));
                error(500)
            }
        }
    }

    async fn info(&self, id: &str) -> Response {
        let Some(id) = parse_id(id) else {
            return error(404);
        };
        let now = self.clock.now_ms();
        match self.store.call(move |s| s.info(id, now)).await {
            Ok(Some(i)) => Response::json(
                200,
                &json!({
                    "size": i.size,
                    "uploaded": secs(i.uploaded_ms),
                    "expires": secs(i.expires_ms),
                }),
            ),
            Ok(None) => error(404),
            Err(e) => {
                self.log
                    .line(format_args!("reading file {id} failed: {}", chain(&e)));
                error(500)
            }
        }
    }

    /// `POST /oxen/v4/lsrpc`: decrypt, run the inner request, answer it encrypted.
    async fn onion(&self, body: &[u8]) -> Response {
        let keys = NodeKeys::new(self.identity.x25519_secret());
        let (inner, reply) = match v4::open_request(&keys, body) {
            Ok(opened) => opened,
            Err(e) => {
                self.log.line(format_args!("onion v4 request refused: {e}"));
                let (status, body) = e.http_reply(&mut rand_core::OsRng);
                let content_type = if status == 200 {
                    OCTET_STREAM
                } else {
                    super::http::CONTENT_TYPE_TEXT
                };
                return Response::bytes(status, content_type, body);
            }
        };
        let path = inner
            .endpoint
            .split_once('?')
            .map_or(inner.endpoint.as_str(), |(p, _)| p);
        let body = Bytes::from(inner.body.unwrap_or_default());
        let answer = self.run(&inner.method, path, body).await;
        self.log.line(format_args!(
            "onion v4 {} {path}: {}",
            inner.method, answer.status
        ));
        let answer = v4::Response {
            code: answer.status,
            headers: vec![("content-type".to_owned(), answer.content_type.to_owned())],
            body: answer.body.to_vec(),
        };
        match v4::respond(&reply, &answer, &mut rand_core::OsRng) {
            Ok(sealed) => Response::bytes(200, OCTET_STREAM, sealed),
            Err(e) => {
                self.log
                    .line(format_args!("sealing an onion v4 answer failed: {e}"));
                Response::reason(500)
            }
        }
    }
}

impl Service for FileService {
    fn admit(&self, _method: &str, path: &str) -> Admit {
        match route_of(path) {
            Some(Route::Upload) => Admit::Plain {
                max_body: MAX_FILE_SIZE,
            },
            Some(Route::Onion) => Admit::Plain {
                max_body: MAX_REQUEST_BODY_SIZE,
            },
            Some(Route::Download(_) | Route::Info(_)) => Admit::Plain {
                max_body: MAX_SMALL_ROUTE_BODY,
            },
            None => Admit::NotFound,
        }
    }

    fn too_large(&self, path: &str) -> Response {
        if path == FILE_ROUTE {
            // The real server's refusal (routes.py `error_resp(PAYLOAD_TOO_LARGE)`).
            error(413)
        } else {
            Response::text(413, "Request body too large")
        }
    }

    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(async move {
            if route_of(&request.path) == Some(Route::Onion) {
                if request.method != "POST" {
                    return Response::reason(405);
                }
                return self.onion(&request.body).await;
            }
            self.run(&request.method, &request.path, request.body).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_ids_are_the_real_servers() {
        assert_eq!(route_of("/file"), Some(Route::Upload));
        assert_eq!(route_of("/file/12"), Some(Route::Download("12")));
        assert_eq!(route_of("/file/12/info"), Some(Route::Info("12")));
        assert_eq!(route_of("/oxen/v4/lsrpc"), Some(Route::Onion));
        for none in [
            "/",
            "/file/",
            "/file//info",
            "/file/1/2",
            "/files/1",
            "/file/1/info/",
        ] {
            assert_eq!(route_of(none), None, "{none}");
        }
        assert_eq!(parse_id("9007199254740991"), Some((1 << 53) - 1));
        for bad in [
            "9007199254740992",
            "",
            "+1",
            "1e3",
            "12345678901234567",
            "-1",
            "a",
        ] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }
}
