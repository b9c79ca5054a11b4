//! The node's message store: SQLite, answered only once durable.
//!
//! Messages are kept per owner (the 33-byte account key: prefix byte and 32-byte key) and
//! namespace, in insertion order, with the hash, timestamp, expiry and data of protocol.md §13.6.
//! The hash (§4.6) is unique across the whole store: it already covers the owner and the
//! namespace, so two owners can never share one.
//!
//! Time is an argument (`now_ms`, milliseconds since the Unix epoch); nothing here reads the
//! clock. A message whose expiry is at or before `now_ms` is expired: no operation returns or
//! counts it, and [`Db::prune_expired`] removes it.
//!
//! The journal is a write-ahead log with `synchronous=FULL`, so a transaction that has returned
//! is on disk: a store is acknowledged only once it would survive a power cut.
//!
//! # Threads
//!
//! [`Db`] is synchronous and owns one connection. Async code uses [`Handle`], which runs each
//! call on tokio's blocking pool (`spawn_blocking`) behind a mutex: calls are serialized, which
//! is plenty for a test node and keeps SQLite's locking out of the picture.
//!
//! # Format
//!
//! ```text
//! messages(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, never reused
//!          owner BLOB (33 bytes), namespace INTEGER (i16),
//!          hash TEXT UNIQUE (43 chars), timestamp INTEGER (ms), expiry INTEGER (ms),
//!          data BLOB)
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension as _, params};

/// The database file in the node's directory.
pub(crate) const DB_FILE: &str = "messages.sqlite3";

/// The owner of a mailbox: the account's prefix byte (`05`, `03`, …) and 32-byte key.
pub(crate) type Owner = [u8; 33];

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database could not be opened or set up.
    #[error("opening the message database '{path}'")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("message database: {op} failed")]
    Query {
        /// The operation, e.g. "store".
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored message has this hash under another owner or namespace. Hashes cover both
    /// (§4.6), so this means a bug or a forged hash.
    #[error("message hash '{hash}' is already stored for another mailbox")]
    HashConflict {
        /// The hash.
        hash: String,
    },
    /// The blocking task running a [`Handle`] call panicked or was cancelled.
    #[error("message database task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The mailbox owner.
    pub owner: Owner,
    /// The namespace.
    pub namespace: i16,
    /// The message hash (§4.6): 43 characters of unpadded base64.
    pub hash: String,
    /// When the sender made it, in ms.
    pub timestamp_ms: u64,
    /// When it expires, in ms.
    pub expiry_ms: u64,
    /// The message data (raw bytes, not base64).
    pub data: Vec<u8>,
}

/// What [`Db::store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreOutcome {
    /// The hash was already stored (its expiry was extended if the new one is later).
    pub already: bool,
    /// The message's expiry now.
    pub expiry_ms: u64,
}

/// What [`Db::retrieve`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Retrieved {
    /// The messages, in insertion order; the last one's hash is the next `last_hash`.
    pub messages: Vec<Message>,
    /// More messages follow (the limits cut the list short).
    pub more: bool,
}

/// Which direction [`Db::expire`] may move an expiry: the request's own `shorten`/`extend`
/// (protocol.md §4.3 `expire`).
pub(crate) use crate::rpc::auth::ExpireMode;

/// What [`Db::expire`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ExpireOutcome {
    /// Hashes whose expiry was set, sorted.
    pub updated: Vec<String>,
    /// Hashes found but left alone by the mode, with their current expiry, sorted by hash.
    pub unchanged: Vec<(String, u64)>,
}

/// The size a message's data counts for against `max_size`: its base64 length, as it travels
/// in JSON (§13.6).
pub(crate) fn counted_size(data_len: usize) -> usize {
    data_len.div_ceil(3) * 4
}

/// The message store, on one SQLite connection.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_ms(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn q(op: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |source| Error::Query { op, source }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner BLOB NOT NULL,
    namespace INTEGER NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    timestamp INTEGER NOT NULL,
    expiry INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages (owner, namespace, id);
CREATE INDEX IF NOT EXISTS messages_expiry ON messages (expiry);
";

impl Db {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be opened or set up.
    pub(crate) fn open(path: &Path) -> Result<Self, Error> {
        let open_err = |source| Error::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        // Private before the first write: SQLite gives the -wal and -shm files the same mode.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Self::setup(conn).map_err(open_err)
    }

    /// A database in memory, gone when dropped (for tests).
    ///
    /// # Errors
    /// [`Error::Open`] when SQLite fails.
    pub(crate) fn open_in_memory() -> Result<Self, Error> {
        let open_err = |source| Error::Open {
            path: PathBuf::from(":memory:"),
            source,
        };
        let conn = Connection::open_in_memory().map_err(open_err)?;
        Self::setup(conn).map_err(open_err)
    }

    fn setup(conn: Connection) -> Result<Self, rusqlite::Error> {
        // WAL with synchronous=FULL: every commit is fsynced before it returns.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    /// Stores a message. A hash already stored (and not expired) is not stored again: its
    /// expiry is extended to `msg.expiry_ms` if that is later, and `already` is set
    /// (protocol.md §15.3, SS `database.cpp store`). An expired copy is replaced.
    ///
    /// # Errors
    /// [`Error::HashConflict`] when the hash is stored for another mailbox, [`Error::Query`]
    /// when SQLite fails.
    pub(crate) fn store(&mut self, msg: &Message, now_ms: u64) -> Result<StoreOutcome, Error> {
        let tx = self.conn.transaction().map_err(q("store"))?;
        tx.execute(
            "DELETE FROM messages WHERE hash = ?1 AND expiry <= ?2",
            params![msg.hash, ms(now_ms)],
        )
        .map_err(q("store"))?;
        let inserted = tx
            .execute(
                "INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (hash) DO NOTHING",
                params![
                    &msg.owner[..],
                    msg.namespace,
                    msg.hash,
                    ms(msg.timestamp_ms),
                    ms(msg.expiry_ms),
                    msg.data
                ],
            )
            .map_err(q("store"))?;
        let outcome = if inserted == 1 {
            StoreOutcome {
                already: false,
                expiry_ms: msg.expiry_ms,
            }
        } else {
            let expiry: Option<i64> = tx
                .query_row(
                    "UPDATE messages SET expiry = max(expiry, ?4)
                     WHERE hash = ?1 AND owner = ?2 AND namespace = ?3 RETURNING expiry",
                    params![msg.hash, &msg.owner[..], msg.namespace, ms(msg.expiry_ms)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(q("store"))?;
            let Some(expiry) = expiry else {
                return Err(Error::HashConflict {
                    hash: msg.hash.clone(),
                });
            };
            StoreOutcome {
                already: true,
                expiry_ms: from_ms(expiry),
            }
        };
        tx.commit().map_err(q("store"))?;
        Ok(outcome)
    }

    /// The messages of one mailbox stored after `last_hash`, in insertion order.
    ///
    /// When `last_hash` is `None`, empty, or not found (e.g. expired), the list starts from the
    /// beginning (§13.6, SS `database.cpp retrieve`). It stops at `max_count` messages, or
    /// before the total [`counted_size`] would pass `max_size`, but always holds at least one
    /// message when any is there; `more` tells whether any were left out.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn retrieve(
        &mut self,
        owner: &Owner,
        namespace: i16,
        last_hash: Option<&str>,
        max_count: Option<usize>,
        max_size: Option<usize>,
        now_ms: u64,
    ) -> Result<Retrieved, Error> {
        let tx = self.conn.transaction().map_err(q("retrieve"))?;
        let after: i64 = match last_hash.filter(|h| !h.is_empty()) {
            None => 0,
            Some(h) => tx
                .query_row(
                    "SELECT id FROM messages
                     WHERE owner = ?1 AND namespace = ?2 AND hash = ?3 AND expiry > ?4",
                    params![&owner[..], namespace, h, ms(now_ms)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(q("retrieve"))?
                .unwrap_or(0),
        };
        // One more row than asked for tells whether there are more.
        let limit = max_count.map_or(-1, |c| i64::try_from(c.max(1)).unwrap_or(i64::MAX - 1) + 1);
        let mut out = Retrieved::default();
        {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT hash, timestamp, expiry, data FROM messages
                     WHERE owner = ?1 AND namespace = ?2 AND id > ?3 AND expiry > ?4
                     ORDER BY id LIMIT ?5",
                )
                .map_err(q("retrieve"))?;
            let mut rows = stmt
                .query(params![&owner[..], namespace, after, ms(now_ms), limit])
                .map_err(q("retrieve"))?;
            let mut size = 0usize;
            while let Some(row) = rows.next().map_err(q("retrieve"))? {
                let data: Vec<u8> = row.get(3).map_err(q("retrieve"))?;
                let counted = counted_size(data.len());
                let full_count = max_count.is_some_and(|c| out.messages.len() >= c.max(1));
                let full_size = max_size.is_some_and(|m| size.saturating_add(counted) > m);
                if !out.messages.is_empty() && (full_count || full_size) {
                    out.more = true;
                    break;
                }
                size = size.saturating_add(counted);
                out.messages.push(Message {
                    owner: *owner,
                    namespace,
                    hash: row.get(0).map_err(q("retrieve"))?,
                    timestamp_ms: from_ms(row.get(1).map_err(q("retrieve"))?),
                    expiry_ms: from_ms(row.get(2).map_err(q("retrieve"))?),
                    data,
                });
            }
        }
        tx.commit().map_err(q("retrieve"))?;
        Ok(out)
    }

    /// Deletes the owner's messages with the given hashes (any namespace); returns the hashes
    /// deleted, sorted (the `deleted` list of §4.3 `delete`).
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn delete(
        &mut self,
        owner: &Owner,
        hashes: &[impl AsRef<str>],
        now_ms: u64,
    ) -> Result<Vec<String>, Error> {
        let tx = self.conn.transaction().map_err(q("delete"))?;
        let mut deleted = Vec::new();
        {
            let mut stmt = tx
                .prepare_cached(
                    "DELETE FROM messages WHERE owner = ?1 AND hash = ?2 RETURNING expiry",
                )
                .map_err(q("delete"))?;
            for h in hashes {
                let expiry: Option<i64> = stmt
                    .query_row(params![&owner[..], h.as_ref()], |row| row.get(0))
                    .optional()
                    .map_err(q("delete"))?;
                // An expired copy is removed too, but was not there to delete.
                if expiry.is_some_and(|e| from_ms(e) > now_ms) {
                    deleted.push(h.as_ref().to_owned());
                }
            }
        }
        tx.commit().map_err(q("delete"))?;
        deleted.sort();
        Ok(deleted)
    }

    /// Deletes all the owner's messages in `namespace` (all namespaces when `None`); returns
    /// `(namespace, hash)` of each, sorted by namespace then hash.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn delete_all(
        &mut self,
        owner: &Owner,
        namespace: Option<i16>,
        now_ms: u64,
    ) -> Result<Vec<(i16, String)>, Error> {
        self.delete_where(owner, namespace, i64::MAX, now_ms, "delete_all")
    }

    /// Deletes the owner's messages in `namespace` (all when `None`) whose timestamp is at or
    /// before `before_ms` (SS `delete_before`: "timestamps <= this value"); returns
    /// `(namespace, hash)` of each, sorted by namespace then hash.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn delete_before(
        &mut self,
        owner: &Owner,
        namespace: Option<i16>,
        before_ms: u64,
        now_ms: u64,
    ) -> Result<Vec<(i16, String)>, Error> {
        self.delete_where(owner, namespace, ms(before_ms), now_ms, "delete_before")
    }

    fn delete_where(
        &mut self,
        owner: &Owner,
        namespace: Option<i16>,
        before: i64,
        now_ms: u64,
        op: &'static str,
    ) -> Result<Vec<(i16, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "DELETE FROM messages
                 WHERE owner = ?1 AND (?2 IS NULL OR namespace = ?2) AND timestamp <= ?3
                 RETURNING namespace, hash, expiry",
            )
            .map_err(q(op))?;
        let rows = stmt
            .query_map(params![&owner[..], namespace, before], |row| {
                Ok((
                    row.get::<_, i16>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(q(op))?;
        let mut out = Vec::new();
        for row in rows {
            let (ns, hash, expiry) = row.map_err(q(op))?;
            if from_ms(expiry) > now_ms {
                out.push((ns, hash));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Sets the expiry of the owner's messages with the given hashes to `new_expiry_ms`, as far
    /// as `mode` allows (§4.3 `expire`). Hashes not found (or expired) are in neither list.
    ///
    /// The storage server also declines extensions smaller than 1% of a message's lifetime
    /// (newer SS `client_rpc_endpoints.h`); that policy is the caller's, not the store's.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn expire(
        &mut self,
        owner: &Owner,
        hashes: &[impl AsRef<str>],
        new_expiry_ms: u64,
        mode: ExpireMode,
        now_ms: u64,
    ) -> Result<ExpireOutcome, Error> {
        let tx = self.conn.transaction().map_err(q("expire"))?;
        let mut out = ExpireOutcome::default();
        {
            let mut get = tx
                .prepare_cached(
                    "SELECT id, expiry FROM messages WHERE owner = ?1 AND hash = ?2 AND expiry > ?3",
                )
                .map_err(q("expire"))?;
            let mut set = tx
                .prepare_cached("UPDATE messages SET expiry = ?2 WHERE id = ?1")
                .map_err(q("expire"))?;
            for h in hashes {
                let h = h.as_ref();
                let found: Option<(i64, i64)> = get
                    .query_row(params![&owner[..], h, ms(now_ms)], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()
                    .map_err(q("expire"))?;
                let Some((id, current)) = found else { continue };
                let current = from_ms(current);
                let apply = match mode {
                    ExpireMode::Shorten => new_expiry_ms < current,
                    ExpireMode::Extend => new_expiry_ms > current,
                    ExpireMode::Set => true,
                };
                if apply {
                    set.execute(params![id, ms(new_expiry_ms)])
                        .map_err(q("expire"))?;
                    out.updated.push(h.to_owned());
                } else {
                    out.unchanged.push((h.to_owned(), current));
                }
            }
        }
        tx.commit().map_err(q("expire"))?;
        out.updated.sort();
        out.updated.dedup();
        out.unchanged.sort();
        out.unchanged.dedup();
        Ok(out)
    }

    /// Shortens to `new_expiry_ms` every message of the owner in `namespace` (all when `None`)
    /// that expires later (§4.3 `expire_all`, which never extends); returns `(namespace, hash)`
    /// of each one changed, sorted by namespace then hash.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn expire_all(
        &mut self,
        owner: &Owner,
        namespace: Option<i16>,
        new_expiry_ms: u64,
        now_ms: u64,
    ) -> Result<Vec<(i16, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "UPDATE messages SET expiry = ?3
                 WHERE owner = ?1 AND (?2 IS NULL OR namespace = ?2) AND expiry > ?3
                   AND expiry > ?4
                 RETURNING namespace, hash",
            )
            .map_err(q("expire_all"))?;
        let rows = stmt
            .query_map(
                params![&owner[..], namespace, ms(new_expiry_ms), ms(now_ms)],
                |row| Ok((row.get::<_, i16>(0)?, row.get::<_, String>(1)?)),
            )
            .map_err(q("expire_all"))?;
        let mut out = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(q("expire_all"))?;
        out.sort();
        Ok(out)
    }

    /// The expiries of the owner's messages with the given hashes; hashes not found (or
    /// expired) are left out. Sorted by hash.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn get_expiries(
        &mut self,
        owner: &Owner,
        hashes: &[impl AsRef<str>],
        now_ms: u64,
    ) -> Result<Vec<(String, u64)>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT expiry FROM messages WHERE owner = ?1 AND hash = ?2 AND expiry > ?3",
            )
            .map_err(q("get_expiries"))?;
        let mut out = Vec::new();
        for h in hashes {
            let h = h.as_ref();
            let expiry: Option<i64> = stmt
                .query_row(params![&owner[..], h, ms(now_ms)], |row| row.get(0))
                .optional()
                .map_err(q("get_expiries"))?;
            if let Some(e) = expiry {
                out.push((h.to_owned(), from_ms(e)));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Removes every expired message; returns how many.
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite fails.
    pub(crate) fn prune_expired(&mut self, now_ms: u64) -> Result<usize, Error> {
        self.conn
            .execute(
                "DELETE FROM messages WHERE expiry <= ?1",
                params![ms(now_ms)],
            )
            .map_err(q("prune_expired"))
    }
}

/// The node's message store (SQLite), shared by async tasks: each call runs on tokio's blocking pool, one at a time.
#[derive(Debug, Clone)]
pub struct Handle {
    db: Arc<Mutex<Db>>,
}

impl Handle {
    /// Wraps a database.
    pub(crate) fn new(db: Db) -> Self {
        Self {
            db: Arc::new(Mutex::new(db)),
        }
    }

    /// Runs `f` on the database off the async threads.
    ///
    /// # Errors
    /// What `f` returns, or [`Error::Task`] when the blocking task panicked.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, Error> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            // A panic inside an earlier call rolled its transaction back: the connection is
            // still consistent, so a poisoned lock is taken over.
            let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut db)
        })
        .await
        .map_err(Error::Task)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Owner = [5; 33];
    const BOB: Owner = [3; 33];
    const NOW: u64 = 1_700_000_000_000;
    const DAY: u64 = 86_400_000;

    fn msg(owner: Owner, ns: i16, n: u32, data_len: usize) -> Message {
        Message {
            owner,
            namespace: ns,
            hash: format!("{:0>43}", format!("{}{ns}h{n}", owner[0])),
            timestamp_ms: NOW + u64::from(n),
            expiry_ms: NOW + DAY,
            data: vec![n as u8; data_len],
        }
    }

    fn hashes(r: &Retrieved) -> Vec<&str> {
        r.messages.iter().map(|m| m.hash.as_str()).collect()
    }

    #[test]
    fn persists_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let m = msg(ALICE, 0, 1, 10);
        {
            let mut db = Db::open(&path).unwrap();
            assert!(!db.store(&m, NOW).unwrap().already);
        }
        let mut db = Db::open(&path).unwrap();
        let r = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        assert_eq!(r.messages, vec![m]);
        assert!(!r.more);
        let mode: String = db
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = db
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn pages_with_last_hash() {
        let mut db = Db::open_in_memory().unwrap();
        let ms: Vec<_> = (0..5).map(|n| msg(ALICE, 0, n, 3)).collect();
        for m in &ms {
            db.store(m, NOW).unwrap();
        }
        // Another mailbox and namespace are not mixed in.
        db.store(&msg(ALICE, 2, 9, 3), NOW).unwrap();
        db.store(&msg(BOB, 0, 9, 3), NOW).unwrap();

        let page1 = db
            .retrieve(&ALICE, 0, Some(""), Some(2), None, NOW)
            .unwrap();
        assert_eq!(hashes(&page1), [&ms[0].hash, &ms[1].hash]);
        assert!(page1.more);
        let page2 = db
            .retrieve(&ALICE, 0, Some(&ms[1].hash), Some(2), None, NOW)
            .unwrap();
        assert_eq!(hashes(&page2), [&ms[2].hash, &ms[3].hash]);
        assert!(page2.more);
        let page3 = db
            .retrieve(&ALICE, 0, Some(&ms[3].hash), Some(2), None, NOW)
            .unwrap();
        assert_eq!(hashes(&page3), [&ms[4].hash]);
        assert!(!page3.more);
        let empty = db
            .retrieve(&ALICE, 0, Some(&ms[4].hash), None, None, NOW)
            .unwrap();
        assert_eq!(empty, Retrieved::default());
    }

    #[test]
    fn unknown_last_hash_restarts_from_the_beginning() {
        let mut db = Db::open_in_memory().unwrap();
        for n in 0..3 {
            db.store(&msg(ALICE, 0, n, 3), NOW).unwrap();
        }
        let r = db
            .retrieve(&ALICE, 0, Some("nope"), None, None, NOW)
            .unwrap();
        assert_eq!(r.messages.len(), 3);
        // A last_hash of another namespace is "not found" here too.
        db.store(&msg(ALICE, 5, 7, 3), NOW).unwrap();
        let other = msg(ALICE, 5, 7, 3).hash;
        let r = db
            .retrieve(&ALICE, 0, Some(&other), None, None, NOW)
            .unwrap();
        assert_eq!(r.messages.len(), 3);
    }

    #[test]
    fn max_size_counts_base64_and_returns_at_least_one() {
        let mut db = Db::open_in_memory().unwrap();
        // 30 bytes of data count as 40 base64 characters each.
        for n in 0..3 {
            db.store(&msg(ALICE, 0, n, 30), NOW).unwrap();
        }
        let r = db.retrieve(&ALICE, 0, None, None, Some(80), NOW).unwrap();
        assert_eq!(r.messages.len(), 2);
        assert!(r.more);
        let r = db.retrieve(&ALICE, 0, None, None, Some(79), NOW).unwrap();
        assert_eq!(r.messages.len(), 1);
        assert!(r.more);
        let r = db.retrieve(&ALICE, 0, None, None, Some(1), NOW).unwrap();
        assert_eq!(r.messages.len(), 1, "always at least one");
        let r = db.retrieve(&ALICE, 0, None, Some(0), None, NOW).unwrap();
        assert_eq!(r.messages.len(), 1, "always at least one");
        let r = db
            .retrieve(&ALICE, 0, None, Some(3), Some(120), NOW)
            .unwrap();
        assert_eq!(r.messages.len(), 3);
        assert!(!r.more);
        assert_eq!(counted_size(0), 0);
        assert_eq!(counted_size(1), 4);
        assert_eq!(counted_size(76_800), 102_400);
    }

    #[test]
    fn store_again_only_extends() {
        let mut db = Db::open_in_memory().unwrap();
        let mut m = msg(ALICE, 0, 1, 3);
        assert_eq!(
            db.store(&m, NOW).unwrap(),
            StoreOutcome {
                already: false,
                expiry_ms: NOW + DAY
            }
        );
        m.expiry_ms = NOW + 1000;
        assert_eq!(
            db.store(&m, NOW).unwrap(),
            StoreOutcome {
                already: true,
                expiry_ms: NOW + DAY
            }
        );
        m.expiry_ms = NOW + 2 * DAY;
        assert_eq!(
            db.store(&m, NOW).unwrap(),
            StoreOutcome {
                already: true,
                expiry_ms: NOW + 2 * DAY
            }
        );
        let r = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        assert_eq!(r.messages.len(), 1);
        // The same hash under another owner is a conflict, never an overwrite.
        let mut forged = m.clone();
        forged.owner = BOB;
        assert!(matches!(
            db.store(&forged, NOW),
            Err(Error::HashConflict { .. })
        ));
    }

    #[test]
    fn expired_messages_are_never_returned() {
        let mut db = Db::open_in_memory().unwrap();
        let mut short = msg(ALICE, 0, 1, 3);
        short.expiry_ms = NOW + 10;
        let long = msg(ALICE, 0, 2, 3);
        db.store(&short, NOW).unwrap();
        db.store(&long, NOW).unwrap();
        let later = NOW + 10;
        let r = db.retrieve(&ALICE, 0, None, None, None, later).unwrap();
        assert_eq!(hashes(&r), [&long.hash]);
        // An expired last_hash restarts from the beginning (of what is left).
        let r = db
            .retrieve(&ALICE, 0, Some(&short.hash), None, None, later)
            .unwrap();
        assert_eq!(hashes(&r), [&long.hash]);
        let both = [&short.hash, &long.hash];
        assert_eq!(
            db.get_expiries(&ALICE, &both, later).unwrap(),
            vec![(long.hash.clone(), long.expiry_ms)]
        );
        assert_eq!(db.prune_expired(later).unwrap(), 1);
        assert_eq!(db.prune_expired(later).unwrap(), 0);
        // Storing an expired hash again stores it anew, at the end.
        db.store(&short, NOW).unwrap();
        let r = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        assert_eq!(hashes(&r), [&long.hash, &short.hash]);
    }

    #[test]
    fn expire_modes() {
        let mut db = Db::open_in_memory().unwrap();
        let a = msg(ALICE, 0, 1, 3);
        let b = msg(ALICE, 2, 2, 3);
        db.store(&a, NOW).unwrap();
        db.store(&b, NOW).unwrap();
        let both = [a.hash.clone(), b.hash.clone(), "missing".to_owned()];
        let mut sorted = vec![a.hash.clone(), b.hash.clone()];
        sorted.sort();

        let out = db
            .expire(&ALICE, &both, NOW + 2 * DAY, ExpireMode::Shorten, NOW)
            .unwrap();
        assert!(out.updated.is_empty());
        assert_eq!(out.unchanged.len(), 2);
        assert!(out.unchanged.iter().all(|(_, e)| *e == NOW + DAY));

        let out = db
            .expire(&ALICE, &both, NOW + 2 * DAY, ExpireMode::Extend, NOW)
            .unwrap();
        assert_eq!(out.updated, sorted);
        assert!(out.unchanged.is_empty());

        let out = db
            .expire(&ALICE, &both, NOW + DAY, ExpireMode::Extend, NOW)
            .unwrap();
        assert!(out.updated.is_empty());

        let out = db
            .expire(&ALICE, &both, NOW + 100, ExpireMode::Set, NOW)
            .unwrap();
        assert_eq!(out.updated, sorted);
        assert_eq!(
            db.get_expiries(&ALICE, &both, NOW).unwrap().len(),
            2,
            "missing hashes are left out"
        );
        // Bob cannot touch Alice's messages.
        let out = db
            .expire(&BOB, &both, NOW + DAY, ExpireMode::Set, NOW)
            .unwrap();
        assert_eq!(out, ExpireOutcome::default());

        // expire_all only shortens.
        assert!(
            db.expire_all(&ALICE, None, NOW + DAY, NOW)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.expire_all(&ALICE, Some(2), NOW + 50, NOW).unwrap(),
            vec![(2, b.hash.clone())]
        );
        assert_eq!(
            db.get_expiries(&ALICE, &[&b.hash], NOW).unwrap(),
            vec![(b.hash.clone(), NOW + 50)]
        );
    }

    #[test]
    fn deletes() {
        let mut db = Db::open_in_memory().unwrap();
        let ms: Vec<_> = (0..4).map(|n| msg(ALICE, (n % 2) as i16, n, 3)).collect();
        for m in &ms {
            db.store(m, NOW).unwrap();
        }
        db.store(&msg(BOB, 0, 0, 3), NOW).unwrap();

        // delete: any namespace, only the owner's, sorted.
        let asked = [ms[3].hash.clone(), ms[0].hash.clone(), "missing".to_owned()];
        let mut expect = vec![ms[0].hash.clone(), ms[3].hash.clone()];
        expect.sort();
        assert_eq!(db.delete(&ALICE, &asked, NOW).unwrap(), expect);
        assert!(db.delete(&BOB, &[&ms[1].hash], NOW).unwrap().is_empty());

        // delete_before: timestamp <= before.
        assert_eq!(
            db.delete_before(&ALICE, Some(0), NOW + 2, NOW).unwrap(),
            vec![(0, ms[2].hash.clone())]
        );
        // delete_all over all namespaces.
        assert_eq!(
            db.delete_all(&ALICE, None, NOW).unwrap(),
            vec![(1, ms[1].hash.clone())]
        );
        assert_eq!(db.delete_all(&BOB, Some(0), NOW).unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_use_from_two_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let handle = Handle::new(Db::open(&dir.path().join(DB_FILE)).unwrap());
        let spawn = |owner: Owner| {
            let h = handle.clone();
            tokio::spawn(async move {
                for n in 0..20 {
                    let m = msg(owner, 0, n, 8);
                    h.call(move |db| db.store(&m, NOW)).await.unwrap();
                }
            })
        };
        let (a, b) = (spawn(ALICE), spawn(BOB));
        a.await.unwrap();
        b.await.unwrap();
        for owner in [ALICE, BOB] {
            let r = handle
                .call(move |db| db.retrieve(&owner, 0, None, None, None, NOW))
                .await
                .unwrap();
            let expect: Vec<_> = (0..20).map(|n| msg(owner, 0, n, 8).hash).collect();
            let got: Vec<_> = r.messages.into_iter().map(|m| m.hash).collect();
            assert_eq!(got, expect, "each task's messages, in its order");
        }
    }
}
