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
//! call on tokio's blocking pool (`spawn_blocking`). Writes are serialized on one connection
//! behind a mutex, which keeps SQLite's write locking out of the picture; stores are
//! group-committed ([`Handle::store`], [`Db::store_many`]): the stores that arrive while the
//! writer is busy share one transaction and one fsync, each in its own savepoint so that a
//! refused one leaves the others stored, and each is answered only once that commit returned.
//! Reads ([`Handle::read`]: retrieve, get_expiries) run on read-only connections of their own,
//! which in WAL mode see the last commit without waiting for a writer's fsync.
//!
//! # Bounds
//!
//! [`StoreLimits`]: the database file may not grow past `max_db_bytes` (SQLite's
//! `max_page_count`, as session-storage-server caps its database at 3.5 GB); a mailbox (one
//! owner's namespace) holds at most `max_mailbox_messages` messages and `max_mailbox_bytes`
//! bytes of data. A store over either is refused ([`Error::Full`], [`Error::MailboxFull`]);
//! the storage server's answer for a full database is a swarm entry with `failed` and
//! `query_failure` set (SS `request_handler.cpp` store, `database.cpp` `StoreResult::Full`).
//! A retrieve reads at most as many rows as its size budget can hold (`LIMIT` in the query),
//! one at a time.
//!
//! # Format
//!
//! ```text
//! messages(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, never reused
//!          owner BLOB (33 bytes), namespace INTEGER (i16),
//!          hash TEXT UNIQUE (43 chars), timestamp INTEGER (ms), expiry INTEGER (ms),
//!          data BLOB)
//! mailboxes(owner, namespace, messages, bytes)     -- kept by triggers on messages
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
    /// The database file could not be created private (mode 0600).
    #[error("creating the message database '{path}'")]
    Create {
        /// The database file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
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
    /// The database has reached [`StoreLimits::max_db_bytes`] (or the disk is full).
    #[error("the message database is full")]
    Full,
    /// The mailbox has reached [`StoreLimits::max_mailbox_messages`] or
    /// [`StoreLimits::max_mailbox_bytes`].
    #[error("the mailbox is full")]
    MailboxFull,
    /// The blocking task running a [`Handle`] call panicked or was cancelled.
    #[error("message database task failed")]
    Task(#[source] tokio::task::JoinError),
    /// The shared transaction of several stores could not begin or commit: none of them was
    /// stored.
    #[error("message database: the shared commit failed")]
    Commit {
        /// SQLite's error, shared by every store of the transaction.
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// SQLite rolled back the shared transaction of several stores while one of them failed
    /// (it may, for some errors): none of them was stored.
    #[error("message database: the shared transaction was rolled back")]
    RolledBack,
    /// The database's writer stopped (it panicked) before answering.
    #[error("the database writer stopped before answering")]
    Lost,
    /// The caller of a [`Handle`] call went away before the database was free: its work was
    /// not done.
    #[error("the database work was abandoned by its caller")]
    Abandoned,
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

/// What each message counts for against a retrieve's `max_size` besides its data: the storage
/// server's `DEFAULT_MSG_OVERHEAD` (100) plus the 43-character hash (SS `database.cpp
/// retrieve`). It also bounds how many rows a retrieve reads: `max_size / 143 + 1`.
pub(crate) const RETRIEVE_MESSAGE_OVERHEAD: usize = 100 + 43;

/// The default of [`StoreLimits::max_db_bytes`]: session-storage-server's `SIZE_LIMIT`
/// (3.5 GiB).
pub const MAX_DB_BYTES: u64 = 3584 * 1024 * 1024;
/// The default of [`StoreLimits::max_mailbox_messages`]: 200 000.
pub const MAX_MAILBOX_MESSAGES: u64 = 200_000;
/// The default of [`StoreLimits::max_mailbox_bytes`]: 256 MiB of message data.
pub const MAX_MAILBOX_BYTES: u64 = 256 * 1024 * 1024;

/// How much the store holds at most (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// The largest the database file may grow, bytes (rounded down to whole pages).
    pub max_db_bytes: u64,
    /// The most messages one mailbox (owner and namespace) holds.
    pub max_mailbox_messages: u64,
    /// The most bytes of message data one mailbox holds.
    pub max_mailbox_bytes: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            max_db_bytes: MAX_DB_BYTES,
            max_mailbox_messages: MAX_MAILBOX_MESSAGES,
            max_mailbox_bytes: MAX_MAILBOX_BYTES,
        }
    }
}

/// Creates `path` empty with mode 0600 if it does not exist, so that the database (and the
/// `-wal` and `-shm` files, which SQLite gives the database file's mode) is never readable by
/// others, not even for a moment; an existing file is made 0600.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    drop(o.open(path)?);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The message store, on one SQLite connection.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
    limits: StoreLimits,
    /// How many store transactions ([`Db::store_many`]) committed since opening.
    store_commits: u64,
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

/// A store's SQLite error: [`Error::Full`] when the database (or disk) is full.
fn store_err(e: rusqlite::Error) -> Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        Error::Full
    } else {
        Error::Query {
            op: "store",
            source: e,
        }
    }
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
CREATE TABLE IF NOT EXISTS mailboxes (
    owner BLOB NOT NULL,
    namespace INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (owner, namespace)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS mailbox_add AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO mailboxes VALUES (NEW.owner, NEW.namespace, 0, 0);
    UPDATE mailboxes SET messages = messages + 1, bytes = bytes + length(NEW.data)
        WHERE owner = NEW.owner AND namespace = NEW.namespace;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_remove AFTER DELETE ON messages BEGIN
    UPDATE mailboxes SET messages = messages - 1, bytes = bytes - length(OLD.data)
        WHERE owner = OLD.owner AND namespace = OLD.namespace;
    DELETE FROM mailboxes
        WHERE owner = OLD.owner AND namespace = OLD.namespace AND messages <= 0;
END;
";

/// Recounts every mailbox (at open: the counts of a database written before they were kept).
const RECOUNT: &str = "
DELETE FROM mailboxes;
INSERT INTO mailboxes
    SELECT owner, namespace, count(*), coalesce(sum(length(data)), 0)
    FROM messages GROUP BY owner, namespace;
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
        // Private before SQLite opens it: SQLite gives the -wal and -shm files the same mode.
        create_private(path).map_err(|source| Error::Create {
            path: path.to_owned(),
            source,
        })?;
        let conn = Connection::open(path).map_err(open_err)?;
        Self::setup(conn).map_err(open_err)
    }

    /// A second connection to the database at `path` (already opened by [`Db::open`]), for
    /// reads only: SQLite refuses it any write (`query_only`).
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be opened.
    pub(crate) fn open_reader(path: &Path) -> Result<Self, Error> {
        let open_err = |source| Error::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
        Ok(Self {
            conn,
            limits: StoreLimits::default(),
            store_commits: 0,
        })
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
        conn.execute_batch(RECOUNT)?;
        let mut db = Self {
            conn,
            limits: StoreLimits::default(),
            store_commits: 0,
        };
        db.set_limits(StoreLimits::default())?;
        Ok(db)
    }

    /// Sets how much the store holds at most. A database already larger than `max_db_bytes`
    /// keeps its size and takes no new message until it shrinks.
    ///
    /// # Errors
    /// SQLite's, when the page limit cannot be set.
    pub(crate) fn set_limits(&mut self, limits: StoreLimits) -> Result<(), rusqlite::Error> {
        let page_size: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |row| row.get(0))?;
        let pages = i64::try_from(limits.max_db_bytes).unwrap_or(i64::MAX) / page_size.max(1);
        let _: i64 =
            self.conn
                .pragma_update_and_check(None, "max_page_count", pages.max(1), |row| row.get(0))?;
        self.limits = limits;
        Ok(())
    }

    /// Whether a new message of `len` bytes fits in its mailbox.
    fn mailbox_has_room(
        tx: &Connection,
        limits: StoreLimits,
        msg: &Message,
    ) -> Result<bool, rusqlite::Error> {
        let (count, bytes): (i64, i64) = tx
            .prepare_cached(
                "SELECT messages, bytes FROM mailboxes WHERE owner = ?1 AND namespace = ?2",
            )?
            .query_row(params![&msg.owner[..], msg.namespace], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?
            .unwrap_or((0, 0));
        let len = u64::try_from(msg.data.len()).unwrap_or(u64::MAX);
        Ok(
            u64::try_from(count).unwrap_or(0) < limits.max_mailbox_messages
                && u64::try_from(bytes).unwrap_or(0).saturating_add(len)
                    <= limits.max_mailbox_bytes,
        )
    }

    /// Stores a message. A hash already stored (and not expired) is not stored again: its
    /// expiry is extended to `msg.expiry_ms` if that is later, and `already` is set
    /// (protocol.md §15.3, SS `database.cpp store`). An expired copy is replaced.
    ///
    /// A new message that would take its mailbox past [`StoreLimits`] is refused, once the
    /// mailbox's expired messages have been removed; one that would take the database past its
    /// size is refused too.
    ///
    /// # Errors
    /// [`Error::MailboxFull`], [`Error::Full`], [`Error::HashConflict`] when the hash is stored
    /// for another mailbox, [`Error::Query`] when SQLite fails.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the node stores through Handle::store")
    )]
    pub(crate) fn store(&mut self, msg: &Message, now_ms: u64) -> Result<StoreOutcome, Error> {
        self.store_many(&[(msg, now_ms)])
            .pop()
            .unwrap_or(Err(Error::Lost))
    }

    /// Stores several messages in one transaction, so one commit (one fsync) makes them all
    /// durable: each answer is what [`Db::store`] would have answered for it alone, in order.
    /// Each message has its own savepoint, so a refused one ([`Error::MailboxFull`],
    /// [`Error::Full`], [`Error::HashConflict`]) leaves the others stored. When the
    /// transaction itself cannot begin or commit, nothing was stored and every answer is an
    /// error ([`Error::Full`] for a full disk, else [`Error::Commit`]).
    pub(crate) fn store_many(
        &mut self,
        batch: &[(&Message, u64)],
    ) -> Vec<Result<StoreOutcome, Error>> {
        let limits = self.limits;
        let failed_all = |e: rusqlite::Error| -> Vec<Result<StoreOutcome, Error>> {
            let full = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull);
            let e = Arc::new(e);
            batch
                .iter()
                .map(|_| {
                    Err(if full {
                        Error::Full
                    } else {
                        Error::Commit {
                            source: Arc::clone(&e),
                        }
                    })
                })
                .collect()
        };
        let mut tx = match self.conn.transaction() {
            Ok(tx) => tx,
            Err(e) => return failed_all(e),
        };
        let mut out = Vec::with_capacity(batch.len());
        for (msg, now_ms) in batch {
            let one = match tx.savepoint() {
                // A refused store's savepoint is dropped, which rolls back its work only.
                Ok(sp) => match Self::store_in(&sp, limits, msg, *now_ms) {
                    Ok(o) => sp.commit().map(|()| o).map_err(store_err),
                    Err(e) => Err(e),
                },
                Err(e) => Err(store_err(e)),
            };
            // On some errors (SQLITE_FULL among them, when the statement kept no journal of
            // its own) SQLite rolls back the whole transaction, not the savepoint: every
            // store of the batch so far is gone, those answered Ok included, and the next
            // savepoint would open a transaction of its own. The whole batch is refused, as
            // the failing store was (a full database stays `Full`).
            if tx.is_autocommit() {
                let full = matches!(one, Err(Error::Full));
                return batch
                    .iter()
                    .map(|_| Err(if full { Error::Full } else { Error::RolledBack }))
                    .collect();
            }
            out.push(one);
        }
        match tx.commit() {
            Ok(()) => {
                self.store_commits += 1;
                out
            }
            Err(e) => failed_all(e),
        }
    }

    /// One store's work inside a transaction (see [`Db::store`]).
    fn store_in(
        conn: &Connection,
        limits: StoreLimits,
        msg: &Message,
        now_ms: u64,
    ) -> Result<StoreOutcome, Error> {
        // Statements are prepared once per connection: parsing them took a few percent of a
        // store's CPU (benches/node_load.rs).
        conn.prepare_cached("DELETE FROM messages WHERE hash = ?1 AND expiry <= ?2")
            .and_then(|mut s| s.execute(params![msg.hash, ms(now_ms)]))
            .map_err(q("store"))?;
        let known: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM messages WHERE hash = ?1)")
            .and_then(|mut s| s.query_row(params![msg.hash], |row| row.get(0)))
            .map_err(q("store"))?;
        if !known && !Self::mailbox_has_room(conn, limits, msg).map_err(q("store"))? {
            conn.execute(
                "DELETE FROM messages WHERE owner = ?1 AND namespace = ?2 AND expiry <= ?3",
                params![&msg.owner[..], msg.namespace, ms(now_ms)],
            )
            .map_err(store_err)?;
            if !Self::mailbox_has_room(conn, limits, msg).map_err(q("store"))? {
                return Err(Error::MailboxFull);
            }
        }
        let inserted = conn
            .prepare_cached(
                "INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (hash) DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    &msg.owner[..],
                    msg.namespace,
                    msg.hash,
                    ms(msg.timestamp_ms),
                    ms(msg.expiry_ms),
                    msg.data
                ])
            })
            .map_err(store_err)?;
        if inserted == 1 {
            return Ok(StoreOutcome {
                already: false,
                expiry_ms: msg.expiry_ms,
            });
        }
        let expiry: Option<i64> = conn
            .prepare_cached(
                "UPDATE messages SET expiry = max(expiry, ?4)
                 WHERE hash = ?1 AND owner = ?2 AND namespace = ?3 RETURNING expiry",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![msg.hash, &msg.owner[..], msg.namespace, ms(msg.expiry_ms)],
                    |row| row.get(0),
                )
                .optional()
            })
            .map_err(q("store"))?;
        let Some(expiry) = expiry else {
            return Err(Error::HashConflict {
                hash: msg.hash.clone(),
            });
        };
        Ok(StoreOutcome {
            already: true,
            expiry_ms: from_ms(expiry),
        })
    }

    /// The messages of one mailbox stored after `last_hash`, in insertion order.
    ///
    /// When `last_hash` is `None`, empty, or not found (e.g. expired), the list starts from the
    /// beginning (§13.6, SS `database.cpp retrieve`). It stops at `max_count` messages, or
    /// before the total size would pass `max_size` (each message counts its [`counted_size`]
    /// plus [`RETRIEVE_MESSAGE_OVERHEAD`], as SS counts), but always holds at least one
    /// message when any is there; `more` tells whether any were left out. The query's `LIMIT`
    /// is what the budget can hold, so a large mailbox is never read whole.
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
        // One snapshot for the lookup of `last_hash` and the rows after it; BEGIN and COMMIT are
        // cached statements (a `Transaction` parses its SQL on every call).
        self.conn
            .prepare_cached("BEGIN")
            .and_then(|mut s| s.execute([]))
            .map_err(q("retrieve"))?;
        let read = Self::retrieve_in(
            &self.conn, owner, namespace, last_hash, max_count, max_size, now_ms,
        );
        // A read-only transaction: COMMIT and ROLLBACK both just end it.
        let end = self
            .conn
            .prepare_cached(if read.is_ok() { "COMMIT" } else { "ROLLBACK" })
            .and_then(|mut s| s.execute([]))
            .map_err(q("retrieve"));
        let out = read?;
        end?;
        Ok(out)
    }

    /// [`Db::retrieve`] inside its transaction.
    fn retrieve_in(
        tx: &Connection,
        owner: &Owner,
        namespace: i16,
        last_hash: Option<&str>,
        max_count: Option<usize>,
        max_size: Option<usize>,
        now_ms: u64,
    ) -> Result<Retrieved, Error> {
        let after: i64 = match last_hash.filter(|h| !h.is_empty()) {
            None => 0,
            Some(h) => tx
                .prepare_cached(
                    "SELECT id FROM messages
                     WHERE owner = ?1 AND namespace = ?2 AND hash = ?3 AND expiry > ?4",
                )
                .and_then(|mut s| {
                    s.query_row(params![&owner[..], namespace, h, ms(now_ms)], |row| {
                        row.get(0)
                    })
                })
                .optional()
                .map_err(q("retrieve"))?
                .unwrap_or(0),
        };
        // At most as many rows as the budget holds, and one more to tell whether there are more.
        let by_size = max_size.map(|m| m / RETRIEVE_MESSAGE_OVERHEAD + 1);
        let rows_wanted = match (max_count.map(|c| c.max(1)), by_size) {
            (Some(c), Some(s)) => Some(c.min(s)),
            (c, s) => c.or(s),
        };
        let limit = rows_wanted.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX - 1) + 1);
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
                let counted = counted_size(data.len()) + RETRIEVE_MESSAGE_OVERHEAD;
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

/// The most read-only connections [`Handle::open`] opens.
pub(crate) const MAX_READERS: usize = 4;

/// Which connections a [`Handle`] call may run on.
enum Conns {
    /// This one.
    One(Arc<Mutex<Db>>),
    /// Any of these (not empty).
    Any(Arc<[Mutex<Db>]>),
}

/// The most stores one shared transaction takes; more wait for the next.
const MAX_BATCH: usize = 256;

/// A store waiting for the writer.
struct PendingStore {
    msg: Message,
    now_ms: u64,
    answer: tokio::sync::oneshot::Sender<Result<StoreOutcome, Error>>,
}

/// The stores waiting for the writer, and whether a writer task is draining them.
#[derive(Default)]
struct StoreQueue {
    waiting: Vec<PendingStore>,
    draining: bool,
}

/// The node's message store (SQLite), shared by async tasks; every call runs on tokio's
/// blocking pool.
///
/// Writes go through one connection, one call at a time. Stores are group-committed
/// ([`Handle::store`]): those that arrive while the writer is busy wait in a queue, and the
/// writer stores them all in one transaction, so one fsync makes them all durable; each
/// caller is answered only after that commit. Reads ([`Handle::read`]) have their own
/// connections when the store is a file (one per core, up to [`MAX_READERS`]): in WAL mode
/// they see the last commit and never wait for a write's fsync.
#[derive(Clone)]
pub struct Handle {
    db: Arc<Mutex<Db>>,
    /// Read-only connections; empty when reads share `db`.
    readers: Arc<[Mutex<Db>]>,
    queue: Arc<Mutex<StoreQueue>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("readers", &self.readers.len())
            .finish_non_exhaustive()
    }
}

/// Takes a lock over a poisoned one: a panic inside a call rolled its transaction back, so the
/// connection (or the queue) is still consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The guard when `m` is free, poisoned or not (as [`lock`], a panic inside an earlier call
/// does not retire the connection); `None` when it is held.
fn try_lock<T>(m: &Mutex<T>) -> Option<std::sync::MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

impl Handle {
    /// Wraps a database; reads share its connection.
    pub(crate) fn new(db: Db) -> Self {
        Self {
            db: Arc::new(Mutex::new(db)),
            readers: Arc::new([]),
            queue: Arc::default(),
        }
    }

    /// Opens (creating if needed) the database at `path`, with read-only connections for
    /// reads, one per core (at most [`MAX_READERS`]).
    ///
    /// # Errors
    /// As [`Db::open`].
    pub(crate) fn open(path: &Path) -> Result<Self, Error> {
        let db = Db::open(path)?;
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_READERS));
        let readers = (0..n)
            .map(|_| Db::open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            readers: readers.into(),
            ..Self::new(db)
        })
    }

    /// Sets how much the store holds at most ([`StoreLimits`]).
    ///
    /// # Errors
    /// [`Error::Query`] when SQLite refuses the page limit.
    pub async fn set_limits(&self, limits: StoreLimits) -> Result<(), Error> {
        self.call(move |db| db.set_limits(limits).map_err(q("set_limits")))
            .await
    }

    /// Runs `f` on the writing connection off the async threads.
    ///
    /// # Errors
    /// What `f` returns, or [`Error::Task`] when the blocking task panicked.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, Error> + Send + 'static,
    {
        Self::run(Conns::One(Arc::clone(&self.db)), f).await
    }

    /// Runs `f`, which only reads, on the reading connection (the writing one when there is
    /// none).
    ///
    /// # Errors
    /// As [`Handle::call`].
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, Error> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.call(f).await;
        }
        Self::run(Conns::Any(Arc::clone(&self.readers)), f).await
    }

    /// Runs `f`, a read whose work the caller has bounded to well under a millisecond (a
    /// few rows), on the calling thread when a reading connection is free: no hand-off to the
    /// blocking pool and back. When none is free (or there are none) it is [`Handle::read`].
    ///
    /// # Errors
    /// As [`Handle::call`].
    pub(crate) async fn read_small<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, Error> + Send + 'static,
    {
        match self.try_on_free_reader(f) {
            Ok(done) => done,
            Err(f) => self.read(f).await,
        }
    }

    /// Runs `f` on a free reading connection, or gives it back when none is free.
    fn try_on_free_reader<T, F>(&self, f: F) -> Result<Result<T, Error>, F>
    where
        F: FnOnce(&mut Db) -> Result<T, Error>,
    {
        match self.readers.iter().find_map(try_lock) {
            Some(mut free) => Ok(f(&mut free)),
            None => Err(f),
        }
    }

    async fn run<T, F>(conns: Conns, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, Error> + Send + 'static,
    {
        // Dropped with this future: a call whose caller has gone (its request timed out, its
        // client left) is skipped rather than run when the database is free.
        let (waiting, mut watch) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::task::spawn_blocking(move || {
            let mut db = match &conns {
                Conns::One(db) => lock(db),
                // A free connection if there is one, else wait for the first.
                Conns::Any(dbs) => match dbs.iter().find_map(try_lock) {
                    Some(free) => free,
                    None => lock(&dbs[0]),
                },
            };
            let gone = matches!(
                watch.try_recv(),
                Err(tokio::sync::oneshot::error::TryRecvError::Closed)
            );
            if gone {
                Err(Error::Abandoned)
            } else {
                f(&mut db)
            }
        })
        .await
        .map_err(Error::Task)?;
        drop(waiting);
        done
    }

    /// Stores a message ([`Db::store`]), sharing the transaction and its fsync with the stores
    /// that arrive while the writer is busy; answered once the commit is durable. A store
    /// whose caller has gone before the writer takes it is skipped.
    ///
    /// # Errors
    /// As [`Db::store_many`], or [`Error::Lost`] when the writer panicked.
    pub(crate) async fn store(&self, msg: Message, now_ms: u64) -> Result<StoreOutcome, Error> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let start = {
            let mut queue = lock(&self.queue);
            queue.waiting.push(PendingStore {
                msg,
                now_ms,
                answer,
            });
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            let (db, queue) = (Arc::clone(&self.db), Arc::clone(&self.queue));
            // Not awaited: the writer answers through the channels, and carries on with what
            // arrives meanwhile even if this caller goes away.
            drop(tokio::task::spawn_blocking(move || drain(&db, &queue)));
        }
        answered.await.unwrap_or(Err(Error::Lost))
    }
}

/// The writer: stores what waits in `queue`, a batch per transaction, until it is empty.
fn drain(db: &Mutex<Db>, queue: &Mutex<StoreQueue>) {
    /// Should the writer panic, the queue gets a writer again, and whoever waits is answered
    /// [`Error::Lost`] (their channels are dropped).
    struct OnPanic<'a>(&'a Mutex<StoreQueue>);
    impl Drop for OnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let mut q = lock(self.0);
                q.waiting.clear();
                q.draining = false;
            }
        }
    }
    let _guard = OnPanic(queue);
    loop {
        // The batch is taken once the connection is ours: what arrived while another call held
        // it joins this transaction.
        let mut db = lock(db);
        let batch: Vec<PendingStore> = {
            let mut q = lock(queue);
            q.waiting.retain(|p| !p.answer.is_closed());
            if q.waiting.is_empty() {
                q.draining = false;
                return;
            }
            let n = q.waiting.len().min(MAX_BATCH);
            q.waiting.drain(..n).collect()
        };
        let refs: Vec<(&Message, u64)> = batch.iter().map(|p| (&p.msg, p.now_ms)).collect();
        let results = db.store_many(&refs);
        drop(refs);
        drop(db);
        for (p, r) in batch.into_iter().zip(results) {
            // A caller gone meanwhile no longer wants the answer; its message is stored.
            let _ = p.answer.send(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_whose_caller_has_gone_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let h = Handle::new(Db::open_in_memory().unwrap());
        // A first call holds the database...
        let (first, release_tx) = hold_writer(&h).await;
        // ...while a second is queued, and its caller gives up.
        let ran = Arc::new(AtomicBool::new(false));
        let mut second = Box::pin(h.call({
            let ran = Arc::clone(&ran);
            move |_| {
                ran.store(true, Ordering::SeqCst);
                Ok(())
            }
        }));
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), &mut second);
        assert!(waited.await.is_err(), "queued behind the first");
        drop(second);
        release_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
        // Once the second's work is gone (done or skipped), it was skipped.
        tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while Arc::strong_count(&ran) > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
        assert!(!ran.load(Ordering::SeqCst));
        h.call(|_| Ok(())).await.unwrap();
    }

    /// Holds the writing connection until `release` is sent; returns once it holds it.
    async fn hold_writer(
        h: &Handle,
    ) -> (
        tokio::task::JoinHandle<Result<(), Error>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let held = tokio::spawn({
            let h = h.clone();
            async move {
                h.call(move |_| {
                    let _ = locked_tx.send(());
                    let _ = release_rx.recv();
                    Ok(())
                })
                .await
            }
        });
        locked_rx.await.unwrap();
        (held, release_tx)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_stores_share_one_commit_and_are_durable() {
        const N: u32 = 50;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let h = Handle::open(&path).unwrap();
        let (held, release) = hold_writer(&h).await;
        // N stores arrive while the writer is busy; the last is a copy of the first.
        let nth = |n: u32| {
            if n == N - 1 {
                msg(ALICE, 0, 0, 8)
            } else {
                msg(if n.is_multiple_of(2) { ALICE } else { BOB }, 0, n, 8)
            }
        };
        let stores: Vec<_> = (0..N)
            .map(|n| {
                let h = h.clone();
                let m = nth(n);
                tokio::spawn(async move { h.store(m, NOW).await })
            })
            .collect();
        tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while lock(&h.queue).waiting.len() < N as usize {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        let mut already = 0;
        for s in stores {
            let o = s.await.unwrap().unwrap();
            assert_eq!(o.expiry_ms, NOW + DAY);
            already += usize::from(o.already);
        }
        assert_eq!(already, 1, "the copy is answered as already stored");
        let commits = h.call(|db| Ok(db.store_commits)).await.unwrap();
        assert_eq!(commits, 1, "one transaction, one fsync, for all of them");
        drop(h);
        // Reopened: every answered store is there.
        let mut db = Db::open(&path).unwrap();
        let mut got = Vec::new();
        for owner in [ALICE, BOB] {
            let r = db.retrieve(&owner, 0, None, None, None, NOW).unwrap();
            got.extend(r.messages.into_iter().map(|m| m.hash));
        }
        let mut expect: Vec<_> = (0..N - 1).map(|n| nth(n).hash).collect();
        got.sort();
        expect.sort();
        assert_eq!(got, expect);
    }

    #[test]
    fn a_refused_store_leaves_the_rest_of_its_batch_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let mut db = Db::open(&path).unwrap();
        db.set_limits(StoreLimits {
            max_mailbox_messages: 2,
            ..StoreLimits::default()
        })
        .unwrap();
        let (a0, a1, a2, b0) = (
            msg(ALICE, 0, 0, 5),
            msg(ALICE, 0, 1, 5),
            msg(ALICE, 0, 2, 5),
            msg(BOB, 0, 0, 5),
        );
        let mut forged = msg(ALICE, 0, 0, 5);
        forged.owner = BOB;
        let out = db.store_many(&[
            (&a0, NOW),
            (&a1, NOW),
            (&a2, NOW),
            (&forged, NOW),
            (&b0, NOW),
            (&a0, NOW),
        ]);
        assert_eq!(out.len(), 6);
        let stored = StoreOutcome {
            already: false,
            expiry_ms: NOW + DAY,
        };
        assert_eq!(out[0].as_ref().unwrap(), &stored);
        assert_eq!(out[1].as_ref().unwrap(), &stored);
        assert!(matches!(out[2], Err(Error::MailboxFull)), "{:?}", out[2]);
        assert!(
            matches!(out[3], Err(Error::HashConflict { .. })),
            "{:?}",
            out[3]
        );
        assert_eq!(out[4].as_ref().unwrap(), &stored);
        assert!(out[5].as_ref().unwrap().already);
        drop(db);
        let mut db = Db::open(&path).unwrap();
        let r = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        assert_eq!(hashes(&r), [&a0.hash, &a1.hash]);
        let r = db.retrieve(&BOB, 0, None, None, None, NOW).unwrap();
        assert_eq!(hashes(&r), [&b0.hash]);
        // The counts kept by the triggers match: the refused store left no trace.
        db.conn.execute_batch(RECOUNT).unwrap();
        let counted: i64 = db
            .conn
            .query_row(
                "SELECT messages FROM mailboxes WHERE owner = ?1",
                params![&ALICE[..]],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(counted, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_do_not_wait_for_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let h = Handle::open(&dir.path().join(DB_FILE)).unwrap();
        let m = msg(ALICE, 0, 1, 8);
        h.store(m.clone(), NOW).await.unwrap();
        let (held, release) = hold_writer(&h).await;
        // The writer is busy (as during a commit's fsync); a read is answered all the same,
        // with what was committed.
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            h.read(|db| db.retrieve(&ALICE, 0, None, None, None, NOW)),
        )
        .await
        .expect("a read is not queued behind the writer")
        .unwrap();
        assert_eq!(r.messages, vec![m]);
        // The reading connection refuses writes.
        let e = h
            .read(|db| db.prune_expired(NOW + 2 * DAY))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Query { .. }), "{e:?}");
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn small_reads_run_inline_on_a_free_reader_and_wait_for_one_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let h = Handle::open(&dir.path().join(DB_FILE)).unwrap();
        let m = msg(ALICE, 0, 1, 8);
        h.store(m.clone(), NOW).await.unwrap();
        let here = std::thread::current().id();
        let read = |db: &mut Db| {
            let r = db.retrieve(&ALICE, 0, None, Some(10), None, NOW)?;
            Ok((std::thread::current().id(), r.messages))
        };
        // A reader is free: the read runs on this thread, and sees the commit.
        let (on, got) = h.read_small(read).await.unwrap();
        assert_eq!((on, got), (here, vec![m.clone()]));
        // Every reader busy: it is not run here (which would block this thread on the
        // lock) but on the blocking pool, once one is free.
        let guards: Vec<_> = h.readers.iter().map(|r| r.lock().unwrap()).collect();
        let pending = tokio::spawn({
            let h = h.clone();
            async move { h.read_small(read).await }
        });
        tokio::task::yield_now().await;
        assert!(!pending.is_finished());
        drop(guards);
        let (on, got) = pending.await.unwrap().unwrap();
        assert_ne!(on, here);
        assert_eq!(got, vec![m]);
    }

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
        // 30 bytes of data count as 40 base64 characters each, plus 143 of overhead.
        for n in 0..3 {
            db.store(&msg(ALICE, 0, n, 30), NOW).unwrap();
        }
        let r = db.retrieve(&ALICE, 0, None, None, Some(366), NOW).unwrap();
        assert_eq!(r.messages.len(), 2);
        assert!(r.more);
        let r = db.retrieve(&ALICE, 0, None, None, Some(365), NOW).unwrap();
        assert_eq!(r.messages.len(), 1);
        assert!(r.more);
        let r = db.retrieve(&ALICE, 0, None, None, Some(1), NOW).unwrap();
        assert_eq!(r.messages.len(), 1, "always at least one");
        let r = db.retrieve(&ALICE, 0, None, Some(0), None, NOW).unwrap();
        assert_eq!(r.messages.len(), 1, "always at least one");
        let r = db
            .retrieve(&ALICE, 0, None, Some(3), Some(549), NOW)
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

    #[test]
    fn database_and_wal_are_private_from_the_start() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        create_private(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600, "before SQLite opens it");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut db = Db::open(&path).unwrap();
        db.store(&msg(ALICE, 0, 1, 10), NOW).unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }

    #[test]
    fn retrieve_reads_no_more_rows_than_the_budget_holds() {
        let mut db = Db::open_in_memory().unwrap();
        for n in 0..50 {
            db.store(&msg(ALICE, 0, n, 0), NOW).unwrap();
        }
        // Empty messages still count 143 each: 10 fit in 1 430.
        let r = db.retrieve(&ALICE, 0, None, None, Some(1430), NOW).unwrap();
        assert_eq!(r.messages.len(), 10);
        assert!(r.more);
        let r = db
            .retrieve(&ALICE, 0, None, None, Some(50 * 143), NOW)
            .unwrap();
        assert_eq!(r.messages.len(), 50);
        assert!(!r.more);
    }

    #[test]
    fn mailbox_quota_refuses_new_messages_but_not_copies() {
        let mut db = Db::open_in_memory().unwrap();
        db.set_limits(StoreLimits {
            max_mailbox_messages: 3,
            max_mailbox_bytes: 25,
            ..StoreLimits::default()
        })
        .unwrap();
        for n in 0..3 {
            db.store(&msg(ALICE, 0, n, 5), NOW).unwrap();
        }
        assert!(matches!(
            db.store(&msg(ALICE, 0, 3, 5), NOW),
            Err(Error::MailboxFull)
        ));
        // A copy of a stored message is not a new one.
        assert!(db.store(&msg(ALICE, 0, 1, 5), NOW).unwrap().already);
        // Other mailboxes have their own quota.
        db.store(&msg(ALICE, 1, 3, 5), NOW).unwrap();
        db.store(&msg(BOB, 0, 3, 5), NOW).unwrap();
        // Deleting makes room; so does expiry.
        db.delete(&ALICE, &[msg(ALICE, 0, 0, 5).hash], NOW).unwrap();
        db.store(&msg(ALICE, 0, 4, 5), NOW).unwrap();
        let mut short = msg(ALICE, 0, 5, 5);
        assert!(matches!(db.store(&short, NOW), Err(Error::MailboxFull)));
        db.expire_all(&ALICE, Some(0), NOW + 10, NOW).unwrap();
        short.expiry_ms = NOW + DAY;
        db.store(&short, NOW + 10).unwrap();
        // Bytes: 3 × 5 stored in namespace 2; 11 more would pass 25.
        for n in 0..2 {
            db.store(&msg(ALICE, 2, n, 5), NOW).unwrap();
        }
        assert!(matches!(
            db.store(&msg(ALICE, 2, 9, 16), NOW),
            Err(Error::MailboxFull)
        ));
        db.store(&msg(ALICE, 2, 9, 15), NOW).unwrap();
    }

    #[test]
    fn mailbox_counts_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let limits = StoreLimits {
            max_mailbox_messages: 2,
            ..StoreLimits::default()
        };
        {
            let mut db = Db::open(&path).unwrap();
            db.store(&msg(ALICE, 0, 0, 5), NOW).unwrap();
            db.store(&msg(ALICE, 0, 1, 5), NOW).unwrap();
            // As a database written before mailboxes were counted.
            db.conn.execute("DELETE FROM mailboxes", []).unwrap();
        }
        let mut db = Db::open(&path).unwrap();
        db.set_limits(limits).unwrap();
        assert!(matches!(
            db.store(&msg(ALICE, 0, 2, 5), NOW),
            Err(Error::MailboxFull)
        ));
    }

    #[test]
    fn a_full_database_refuses_stores() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::open(&dir.path().join(DB_FILE)).unwrap();
        db.set_limits(StoreLimits {
            max_db_bytes: 256 * 1024,
            ..StoreLimits::default()
        })
        .unwrap();
        let mut refused = None;
        for n in 0..100 {
            match db.store(&msg(ALICE, 0, n, 10_000), NOW) {
                Ok(_) => {}
                Err(e) => {
                    refused = Some((n, e));
                    break;
                }
            }
        }
        let (n, e) = refused.expect("the database fills up");
        assert!(matches!(e, Error::Full), "{e:?}");
        assert!(n > 5, "some messages fit first ({n})");
        // What was stored is still there, and reads still work.
        let r = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        assert_eq!(r.messages.len(), n as usize);
        // Deleting makes room again.
        db.delete_all(&ALICE, None, NOW).unwrap();
        db.store(&msg(ALICE, 0, 500, 10_000), NOW).unwrap();
    }

    #[test]
    fn a_batch_that_fills_the_database_answers_only_what_it_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let mut db = Db::open(&path).unwrap();
        db.set_limits(StoreLimits {
            max_db_bytes: 256 * 1024,
            ..StoreLimits::default()
        })
        .unwrap();
        let msgs: Vec<Message> = (0..60).map(|n| msg(ALICE, 0, n, 10_000)).collect();
        let batch: Vec<(&Message, u64)> = msgs.iter().map(|m| (m, NOW)).collect();
        let out = db.store_many(&batch);
        assert_eq!(out.len(), msgs.len());
        assert!(
            out.iter().any(|o| matches!(o, Err(Error::Full))),
            "the database fills up: {out:?}"
        );
        assert!(
            out.iter()
                .all(|o| matches!(o, Ok(_) | Err(Error::Full | Error::RolledBack))),
            "{out:?}"
        );
        // Whatever path SQLite took (the savepoint or the whole transaction rolled back),
        // a store answered Ok is stored and durable, and one refused is not.
        drop(db);
        let mut db = Db::open(&path).unwrap();
        let kept = db.retrieve(&ALICE, 0, None, None, None, NOW).unwrap();
        let kept: std::collections::HashSet<&str> = hashes(&kept).into_iter().collect();
        for (m, o) in msgs.iter().zip(&out) {
            assert_eq!(
                kept.contains(m.hash.as_str()),
                o.is_ok(),
                "{}: {o:?}",
                m.hash
            );
        }
    }

    #[test]
    fn a_poisoned_connection_is_still_free() {
        let m = std::sync::Arc::new(Mutex::new(5));
        let m2 = std::sync::Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _g = m2.lock().unwrap();
            panic!("poisons the lock (expected in this test)");
        })
        .join();
        assert!(m.is_poisoned());
        assert_eq!(try_lock(&m).map(|g| *g), Some(5));
        let held = lock(&m);
        assert!(try_lock(&m).is_none());
        drop(held);
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
