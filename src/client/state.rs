//! The client's durable state: one SQLite database per network, in the state directory.
//!
//! What the client learns about the network is kept between runs, so that a second `sesh`
//! command reuses the node pool, swarms, guards and paths of the first (protocol.md §5.3,
//! §7.6), and so that `sesh receive` resumes where it stopped and never delivers a message
//! twice.
//!
//! # Format
//! `<state dir>/state.sqlite3` (WAL, kept between processes; `synchronous=FULL` except the
//! writes of `State::relaxed`; `user_version` = [`SCHEMA_VERSION`]):
//! ```text
//! meta      (key TEXT PRIMARY KEY, value INTEGER)         pool_fetched_ms, clock_offset_ms
//! pool_node (pubkey_ed25519 TEXT PRIMARY KEY, pubkey_x25519 TEXT, public_ip TEXT,
//!            storage_port INTEGER, swarm_id INTEGER, storage_server_version TEXT,
//!            position INTEGER, dropped INTEGER)           the node list, in fetched order;
//!                                                         dropped = 1: left out of the pool
//! swarm     (pubkey TEXT PRIMARY KEY, swarm_id INTEGER, members TEXT, fetched_ms INTEGER)
//! guard     (position INTEGER PRIMARY KEY, node TEXT)     tested guard nodes
//! path      (position INTEGER PRIMARY KEY, hops TEXT, failures INTEGER)
//! strike    (pubkey_ed25519 TEXT PRIMARY KEY, count INTEGER)
//! seen      (account TEXT, namespace INTEGER, hash TEXT, expires_ms INTEGER,
//!            PRIMARY KEY (account, namespace, hash))
//! node_cursor (account TEXT, namespace INTEGER, node TEXT, last_hash TEXT,
//!            PRIMARY KEY (account, namespace, node))  receive cursor per swarm member
//! profile   (account TEXT PRIMARY KEY, display_name TEXT, profile_key BLOB, avatar BLOB,
//!            avatar_type TEXT, avatar_url TEXT, avatar_expires_s INTEGER,
//!            updated_s INTEGER)                       the identity's profile (sesh profile)
//! ```
//! Keys and Session IDs are lowercase hex; a swarm id (u64) is stored as the i64 with the same
//! bits; `members`, `node` and `hops` are JSON: a node is a `get_n_service_nodes` entry (see
//! [`Snode`]), a list of nodes is an array (a path's guard first). `storage_server_version` is
//! `"2.11.0"` or NULL.
//!
//! `pool_node` keeps the list as the seeds gave it: a node sesh stops routing through
//! ([`State::drop_node`]) is marked `dropped`, not deleted, so that the network's list
//! ([`State::listed_nodes`]) and the pool sesh routes through ([`State::pool`]) stay apart.
//!
//! Schema 1 also had `cursor (account, namespace, last_hash)`, one receive cursor per account;
//! `receive` reads the per-member `node_cursor` instead, so schema 2 drops it (and creates
//! `node_cursor`, which late schema-1 databases have and early ones lack). Schema 1 deleted
//! dropped nodes from `pool_node`; schema 2 adds the `dropped` column. Schema 3 adds `profile`.
//!
//! Several `sesh` processes may open the same state at once (cron jobs firing in the same
//! minute): see [`State::open`].
//!
//! Next to the database, `receive-<Session ID>.lock` holds the process id of the `sesh
//! receive` that runs for that account ([`State::lock_receive`]). Every file here is created
//! with mode 0600 (`PRIVATE_FILE_MODE`), the directory with 0700.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use crate::error::{ErrorKind, HasKind};
use crate::identity::{Ed25519Pub, SessionId};
use crate::onion::path::OnionPath;
use crate::profile::{Avatar, AvatarUpload, Profile};
use crate::rpc::Namespace;
use crate::swarm::{Snode, Swarm};

/// The database file's name in the state directory.
pub(crate) const DB_FILE: &str = "state.sqlite3";

/// The WAL's size in bytes above which [`State::open`] checkpoints it into the database and
/// truncates it (about 32 pages: a cold `sesh send` appends two or three).
const WAL_TRUNCATE_BYTES: u64 = 128 * 1024;

/// The schema this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;

/// How long a connection waits for another process's write lock before giving up
/// ([`StateError::Sql`] with a busy cause, [`ErrorKind::Transient`]).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The schema of a new database (version [`SCHEMA_VERSION`]).
const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
CREATE TABLE pool_node (
    pubkey_ed25519 TEXT PRIMARY KEY,
    pubkey_x25519 TEXT NOT NULL,
    public_ip TEXT NOT NULL,
    storage_port INTEGER NOT NULL,
    swarm_id INTEGER NOT NULL,
    storage_server_version TEXT,
    position INTEGER NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE swarm (
    pubkey TEXT PRIMARY KEY,
    swarm_id INTEGER NOT NULL,
    members TEXT NOT NULL,
    fetched_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE guard (position INTEGER PRIMARY KEY, node TEXT NOT NULL) STRICT;
CREATE TABLE path (
    position INTEGER PRIMARY KEY,
    hops TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE strike (pubkey_ed25519 TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT;
CREATE TABLE seen (
    account TEXT NOT NULL,
    namespace INTEGER NOT NULL,
    hash TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (account, namespace, hash)
) STRICT;
CREATE INDEX seen_expiry ON seen (expires_ms);
CREATE TABLE node_cursor (
    account TEXT NOT NULL,
    namespace INTEGER NOT NULL,
    node TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    PRIMARY KEY (account, namespace, node)
) STRICT;
";

/// The profile table (schema 3): one row per identity, see [`State::profile`]. Part of every
/// way to schema 3: a new database, and the migrations from 1 and 2.
const PROFILE_TABLE: &str = "
CREATE TABLE IF NOT EXISTS profile (
    account TEXT PRIMARY KEY,
    display_name TEXT,
    profile_key BLOB NOT NULL,
    avatar BLOB,
    avatar_type TEXT,
    avatar_url TEXT,
    avatar_expires_s INTEGER,
    updated_s INTEGER NOT NULL
) STRICT;
";

/// Schema 1 → 2: the per-member cursors become part of the schema (late schema-1 code
/// created the table when missing, early code did not); the account-wide cursor, which
/// nothing reads since `receive` keeps one per member, goes; dropped nodes are marked.
const MIGRATE_1_TO_2: &str = "
CREATE TABLE IF NOT EXISTS node_cursor (
    account TEXT NOT NULL,
    namespace INTEGER NOT NULL,
    node TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    PRIMARY KEY (account, namespace, node)
) STRICT;
DROP TABLE IF EXISTS cursor;
ALTER TABLE pool_node ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;
";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The state directory or a file in it could not be created, opened or written.
    #[error("{action} '{path}'")]
    Io {
        /// What sesh was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("state database '{path}': {action}")]
    Sql {
        /// What sesh was doing.
        action: &'static str,
        /// The database.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored value does not parse: the database was edited or damaged.
    #[error("state database '{path}': stored {what} does not parse: {reason}")]
    Corrupt {
        /// The database.
        path: PathBuf,
        /// Which value.
        what: &'static str,
        /// The parser's complaint.
        reason: String,
    },
    /// The database was written by a newer sesh.
    #[error("state database '{path}' has schema {found}; this sesh knows {SCHEMA_VERSION}")]
    NewerSchema {
        /// The database.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
    },
    /// Another `sesh receive` for the same account is running.
    #[error("another 'sesh receive' for {account}{} is running", .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    ReceiveBusy {
        /// The account (short form).
        account: String,
        /// The holder's process id, if it wrote one.
        pid: Option<u32>,
        /// The lock file.
        path: PathBuf,
    },
}

impl HasKind for StateError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::ReceiveBusy { .. } => ErrorKind::Transient,
            Self::Sql { source, .. } if is_busy(source) => ErrorKind::Transient,
            Self::Io { .. }
            | Self::Sql { .. }
            | Self::Corrupt { .. }
            | Self::NewerSchema { .. } => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::ReceiveBusy { .. } => {
                Some("wait for it to finish, or stop it; then run 'sesh receive' again".into())
            }
            Self::Corrupt { path, .. } => Some(format!(
                "the state is a cache plus receive cursors; moving '{}' aside makes a fresh one (already received messages may then be received again)",
                path.display()
            )),
            Self::NewerSchema { .. } => {
                Some("use the newer sesh, or a separate --state-dir".into())
            }
            _ => None,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A path as stored: its nodes and how often it failed since it last worked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRecord {
    /// The nodes, guard first.
    pub path: OnionPath,
    /// Failures counted against it (protocol.md §7.7: at 3 it is dropped).
    pub failures: u32,
}

/// A swarm as cached for one Session ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedSwarm {
    /// The swarm.
    pub swarm: Swarm,
    /// When it was learned (local clock, ms since the epoch).
    pub fetched_ms: u64,
}

/// The node pool as cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedPool {
    /// The nodes, in fetched order: all of them ([`State::listed_nodes`]) or those not
    /// dropped since ([`State::pool`]).
    pub nodes: Vec<Snode>,
    /// When it was fetched (local clock, ms since the epoch).
    pub fetched_ms: u64,
}

/// The client's state database. See the module docs for the schema.
#[derive(Debug)]
pub struct State {
    conn: Connection,
    dir: PathBuf,
    db: PathBuf,
}

fn ms_to_sql(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn sql_to_ms(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A swarm id as the i64 with the same bits (SQLite integers are signed).
fn swarm_to_sql(id: u64) -> i64 {
    i64::from_be_bytes(id.to_be_bytes())
}

fn swarm_from_sql(v: i64) -> u64 {
    u64::from_be_bytes(v.to_be_bytes())
}

impl State {
    /// Opens (creating if needed, mode 0700) the state directory `dir` and its database. The
    /// database file is created with mode 0600 before SQLite opens it (so its -wal and -shm
    /// files are 0600 too), and one left wider by an older sesh is made 0600.
    ///
    /// Safe when many processes open the same fresh state at once: the directory is made
    /// with `create_dir_all` (another process making it first is no error), WAL is turned on
    /// only when it is not already on, every connection waits up to 10 s for another's write
    /// lock, and the schema is created or migrated inside an `IMMEDIATE` transaction that
    /// reads the version again once it holds the write lock, so exactly one process does it.
    /// Every transaction on the connection is `IMMEDIATE` too (it takes the write lock at
    /// `BEGIN`, where the busy timeout applies, rather than failing on upgrade).
    ///
    /// # Errors
    /// [`StateError::Io`] when the directory cannot be made, [`StateError::Sql`] when the
    /// database cannot be opened or set up, [`StateError::NewerSchema`] for a database of a
    /// newer sesh.
    pub fn open(dir: &Path) -> Result<Self, StateError> {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(|source| StateError::Io {
            action: "creating state directory",
            path: dir.to_owned(),
            source,
        })?;
        let db = dir.join(DB_FILE);
        create_private(&db).map_err(|source| StateError::Io {
            action: "creating the state database",
            path: db.clone(),
            source,
        })?;
        let mut conn = Connection::open(&db).map_err(sql_err(&db, "opening"))?;
        // Several sesh processes may share the database (WAL lets readers and one writer
        // proceed together); a writer waits for another rather than failing at once.
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql_err(&db, "setting the busy timeout"))?;
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        use_wal(&conn).map_err(sql_err(&db, "turning on WAL"))?;
        // FULL: a receive cursor, once committed, survives a power loss.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql_err(&db, "setting synchronous=FULL"))?;
        // The WAL outlives the process: no checkpoint when the last connection closes, so a
        // command that wrote pays no checkpoint's two fsyncs at exit, and the next one appends
        // to the WAL instead of creating it again (a new WAL costs an fsync of its header and
        // one of the directory, whatever `synchronous` says). Durability is unchanged: a
        // commit at FULL is fsync'd in the WAL, and a checkpoint syncs before and after.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(sql_err(&db, "keeping the WAL at close"))?;
        // A process's first read rebuilds the WAL index from the whole WAL, and forgets what
        // earlier processes checkpointed (so each of its commits would checkpoint again once
        // the WAL is over wal_autocheckpoint): past WAL_TRUNCATE_BYTES, the WAL is moved into
        // the database and truncated here, once per about ten sends. Busy (another process
        // reads): left for a later open.
        let wal = db.with_file_name(format!("{DB_FILE}-wal"));
        if fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_BYTES) {
            // Only housekeeping: a failure leaves the WAL as it was, to the next open.
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let mut state = Self {
            conn,
            dir: dir.to_owned(),
            db,
        };
        state.migrate()?;
        Ok(state)
    }

    /// Brings the schema to [`SCHEMA_VERSION`]: creates it in a new database, migrates an
    /// older one. See [`State::open`] for why this is safe under concurrency.
    fn migrate(&mut self) -> Result<(), StateError> {
        // The common case needs no write lock.
        match user_version(&self.conn).map_err(self.sql("reading the schema version"))? {
            SCHEMA_VERSION => return Ok(()),
            found if found > SCHEMA_VERSION => {
                return Err(StateError::NewerSchema {
                    path: self.db.clone(),
                    found,
                });
            }
            _ => {}
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err(
                &self.db,
                "locking the database to set up its schema",
            ))?;
        // Another process may have created or migrated it while this one waited for the lock.
        let (scripts, action): (&[&str], _) =
            match user_version(&tx).map_err(sql_err(&self.db, "reading the schema version"))? {
                0 => (&[SCHEMA, PROFILE_TABLE], "creating the schema"),
                1 => (
                    &[MIGRATE_1_TO_2, PROFILE_TABLE],
                    "migrating the schema from version 1",
                ),
                2 => (&[PROFILE_TABLE], "migrating the schema from version 2"),
                SCHEMA_VERSION => return Ok(()),
                found => {
                    return Err(StateError::NewerSchema {
                        path: self.db.clone(),
                        found,
                    });
                }
            };
        scripts
            .iter()
            .try_for_each(|script| tx.execute_batch(script))
            .and_then(|()| tx.pragma_update(None, "user_version", SCHEMA_VERSION))
            .and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, action))
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sql(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> StateError + use<> {
        sql_err(&self.db, action)
    }

    fn corrupt(&self, what: &'static str, reason: impl ToString) -> StateError {
        StateError::Corrupt {
            path: self.db.clone(),
            what,
            reason: reason.to_string(),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<i64>, StateError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sql("reading meta"))
    }

    fn set_meta(&self, key: &str, value: i64) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(self.sql("writing meta"))
    }

    // ---- node pool -----------------------------------------------------------------------

    /// The cached node pool, if one was ever fetched: the nodes the seeds listed, minus
    /// those dropped since ([`State::drop_node`]).
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn pool(&self) -> Result<Option<CachedPool>, StateError> {
        self.cached_nodes(false)
    }

    /// The node list as the seeds gave it when the pool was last fetched, dropped nodes
    /// included: what the network lists, as far as the cache knows.
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn listed_nodes(&self) -> Result<Option<CachedPool>, StateError> {
        self.cached_nodes(true)
    }

    fn cached_nodes(&self, with_dropped: bool) -> Result<Option<CachedPool>, StateError> {
        let Some(fetched) = self.meta("pool_fetched_ms")? else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(if with_dropped {
                "SELECT pubkey_ed25519, pubkey_x25519, public_ip, storage_port, swarm_id,
                        storage_server_version
                 FROM pool_node ORDER BY position"
            } else {
                "SELECT pubkey_ed25519, pubkey_x25519, public_ip, storage_port, swarm_id,
                        storage_server_version
                 FROM pool_node WHERE dropped = 0 ORDER BY position"
            })
            .map_err(self.sql("reading the node pool"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading the node pool"))?;
        let mut nodes = Vec::with_capacity(rows.len());
        for (ed, x, ip, port, swarm, version) in rows {
            let bad = |e: String| self.corrupt("pool node", e);
            let version = match version {
                None => None,
                Some(v) => {
                    let parts: Vec<u16> = v
                        .split('.')
                        .map(str::parse)
                        .collect::<Result<_, _>>()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?;
                    Some(<[u16; 3]>::try_from(parts).map_err(|_| bad(format!("version {v}")))?)
                }
            };
            nodes.push(Snode {
                ed25519: ed.parse().map_err(|e| bad(format!("{e}")))?,
                x25519: x.parse().map_err(|e| bad(format!("{e}")))?,
                ip: ip.parse().map_err(|e| bad(format!("{e}")))?,
                port: u16::try_from(port).map_err(|e| bad(e.to_string()))?,
                swarm_id: swarm_from_sql(swarm),
                version,
            });
        }
        Ok(Some(CachedPool {
            nodes,
            fetched_ms: sql_to_ms(fetched),
        }))
    }

    /// Replaces the node pool, fetched at `fetched_ms`.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn save_pool(&mut self, nodes: &[Snode], fetched_ms: u64) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction()
            .map_err(sql_err(&self.db, "saving the node pool"))?;
        let res = (|| {
            tx.execute("DELETE FROM pool_node", [])?;
            {
                let mut ins = tx.prepare(
                    "INSERT OR REPLACE INTO pool_node (pubkey_ed25519, pubkey_x25519, public_ip,
                        storage_port, swarm_id, storage_server_version, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for (i, n) in nodes.iter().enumerate() {
                    ins.execute(params![
                        n.ed25519.to_hex(),
                        n.x25519.to_hex(),
                        n.ip.to_string(),
                        i64::from(n.port),
                        swarm_to_sql(n.swarm_id),
                        n.version.map(|[a, b, c]| format!("{a}.{b}.{c}")),
                        i64::try_from(i).unwrap_or(i64::MAX),
                    ])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('pool_fetched_ms', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [ms_to_sql(fetched_ms)],
            )?;
            Ok(())
        })();
        res.and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, "saving the node pool"))
    }

    /// Drops a node from the pool, every cached swarm, the guards, and its strikes (after
    /// "Next node not found" or 3 strikes, protocol.md §7.7). Paths are the caller's to mend.
    /// The node stays in [`State::listed_nodes`] until the pool is fetched again.
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn drop_node(&mut self, node: &Ed25519Pub) -> Result<(), StateError> {
        let key = node.to_hex();
        // Read and rewrite under one write lock, so that another process's guards or swarms
        // saved meanwhile are not overwritten with older ones.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(sql_err(&self.db, "dropping a node"))?;
        let swarms = self.all_swarms()?;
        let guards = self.guards()?;
        let res = (|| {
            tx.execute(
                "UPDATE pool_node SET dropped = 1 WHERE pubkey_ed25519 = ?1",
                [&key],
            )?;
            tx.execute("DELETE FROM strike WHERE pubkey_ed25519 = ?1", [&key])?;
            for (pubkey, cached) in &swarms {
                if cached.swarm.members.iter().any(|m| m.ed25519 == *node) {
                    let members: Vec<&Snode> = cached
                        .swarm
                        .members
                        .iter()
                        .filter(|m| m.ed25519 != *node)
                        .collect();
                    tx.execute(
                        "UPDATE swarm SET members = ?2 WHERE pubkey = ?1",
                        params![pubkey, to_json(&members)],
                    )?;
                }
            }
            if guards.iter().any(|g| g.ed25519 == *node) {
                tx.execute("DELETE FROM guard", [])?;
                for (i, g) in guards.iter().filter(|g| g.ed25519 != *node).enumerate() {
                    tx.execute(
                        "INSERT INTO guard (position, node) VALUES (?1, ?2)",
                        params![i64::try_from(i).unwrap_or(i64::MAX), to_json(g)],
                    )?;
                }
            }
            Ok(())
        })();
        res.and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, "dropping a node"))
    }

    // ---- swarms --------------------------------------------------------------------------

    fn all_swarms(&self) -> Result<Vec<(String, CachedSwarm)>, StateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT pubkey, swarm_id, members, fetched_ms FROM swarm")
            .map_err(self.sql("reading swarms"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading swarms"))?;
        rows.into_iter()
            .map(|(pk, id, members, fetched)| {
                let members: Vec<Snode> =
                    serde_json::from_str(&members).map_err(|e| self.corrupt("swarm", e))?;
                Ok((
                    pk,
                    CachedSwarm {
                        swarm: Swarm {
                            id: swarm_from_sql(id),
                            members,
                        },
                        fetched_ms: sql_to_ms(fetched),
                    },
                ))
            })
            .collect()
    }

    /// The cached swarm of a Session ID.
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn swarm(&self, account: &SessionId) -> Result<Option<CachedSwarm>, StateError> {
        let row: Option<(i64, String, i64)> = self
            .conn
            .query_row(
                "SELECT swarm_id, members, fetched_ms FROM swarm WHERE pubkey = ?1",
                [account.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.sql("reading a swarm"))?;
        row.map(|(id, members, fetched)| {
            let members: Vec<Snode> =
                serde_json::from_str(&members).map_err(|e| self.corrupt("swarm", e))?;
            Ok(CachedSwarm {
                swarm: Swarm {
                    id: swarm_from_sql(id),
                    members,
                },
                fetched_ms: sql_to_ms(fetched),
            })
        })
        .transpose()
    }

    /// Caches the swarm of a Session ID, learned at `fetched_ms`.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn save_swarm(
        &mut self,
        account: &SessionId,
        swarm: &Swarm,
        fetched_ms: u64,
    ) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO swarm (pubkey, swarm_id, members, fetched_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (pubkey) DO UPDATE SET swarm_id = excluded.swarm_id,
                    members = excluded.members, fetched_ms = excluded.fetched_ms",
                params![
                    account.to_string(),
                    swarm_to_sql(swarm.id),
                    to_json(&swarm.members),
                    ms_to_sql(fetched_ms)
                ],
            )
            .map(drop)
            .map_err(self.sql("saving a swarm"))
    }

    /// Forgets the cached swarm of a Session ID.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn forget_swarm(&mut self, account: &SessionId) -> Result<(), StateError> {
        self.conn
            .execute("DELETE FROM swarm WHERE pubkey = ?1", [account.to_string()])
            .map(drop)
            .map_err(self.sql("forgetting a swarm"))
    }

    // ---- guards and paths ----------------------------------------------------------------

    /// The guards that answered their test, in the order found.
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn guards(&self) -> Result<Vec<Snode>, StateError> {
        self.json_column("SELECT node FROM guard ORDER BY position", "guard")
    }

    /// Replaces the guards.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn save_guards(&mut self, guards: &[Snode]) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction()
            .map_err(sql_err(&self.db, "saving guards"))?;
        let res = (|| {
            tx.execute("DELETE FROM guard", [])?;
            for (i, g) in guards.iter().enumerate() {
                tx.execute(
                    "INSERT INTO guard (position, node) VALUES (?1, ?2)",
                    params![i64::try_from(i).unwrap_or(i64::MAX), to_json(g)],
                )?;
            }
            Ok(())
        })();
        res.and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, "saving guards"))
    }

    /// The saved paths. A stored path that is no longer valid (a node twice) is skipped.
    ///
    /// # Errors
    /// [`StateError::Sql`] or [`StateError::Corrupt`].
    pub fn paths(&self) -> Result<Vec<PathRecord>, StateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT hops, failures FROM path ORDER BY position")
            .map_err(self.sql("reading paths"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading paths"))?;
        let mut out = Vec::with_capacity(rows.len());
        for (hops, failures) in rows {
            let hops: Vec<Snode> =
                serde_json::from_str(&hops).map_err(|e| self.corrupt("path", e))?;
            if let Ok(path) = OnionPath::new(hops) {
                out.push(PathRecord {
                    path,
                    failures: u32::try_from(failures).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// Replaces the saved paths.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn save_paths(&mut self, paths: &[PathRecord]) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction()
            .map_err(sql_err(&self.db, "saving paths"))?;
        let res = (|| {
            tx.execute("DELETE FROM path", [])?;
            for (i, p) in paths.iter().enumerate() {
                tx.execute(
                    "INSERT INTO path (position, hops, failures) VALUES (?1, ?2, ?3)",
                    params![
                        i64::try_from(i).unwrap_or(i64::MAX),
                        to_json(p.path.hops()),
                        i64::from(p.failures)
                    ],
                )?;
            }
            Ok(())
        })();
        res.and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, "saving paths"))
    }

    /// Adds a strike against a node and returns its count.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn strike(&mut self, node: &Ed25519Pub) -> Result<u32, StateError> {
        self.conn
            .query_row(
                "INSERT INTO strike (pubkey_ed25519, count) VALUES (?1, 1)
                 ON CONFLICT (pubkey_ed25519) DO UPDATE SET count = count + 1
                 RETURNING count",
                [node.to_hex()],
                |r| r.get::<_, i64>(0),
            )
            .map(|c| u32::try_from(c).unwrap_or(u32::MAX))
            .map_err(self.sql("counting a strike"))
    }

    /// Forgets a node's strikes (it just did its part of a request that worked), and returns
    /// whether it had any. Reads first, so that the common case writes nothing.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn clear_strikes(&mut self, node: &Ed25519Pub) -> Result<bool, StateError> {
        if self.strikes(node)? == 0 {
            return Ok(false);
        }
        self.conn
            .execute(
                "DELETE FROM strike WHERE pubkey_ed25519 = ?1",
                [node.to_hex()],
            )
            .map(|n| n > 0)
            .map_err(self.sql("clearing strikes"))
    }

    /// A node's strikes.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn strikes(&self, node: &Ed25519Pub) -> Result<u32, StateError> {
        self.conn
            .query_row(
                "SELECT count FROM strike WHERE pubkey_ed25519 = ?1",
                [node.to_hex()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|c| c.map_or(0, |c| u32::try_from(c).unwrap_or(u32::MAX)))
            .map_err(self.sql("reading strikes"))
    }

    // ---- network clock -------------------------------------------------------------------

    /// The last known network clock offset: network time minus local time, in ms.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn clock_offset_ms(&self) -> Result<Option<i64>, StateError> {
        self.meta("clock_offset_ms")
    }

    /// Saves the network clock offset, without an fsync of its own (`State::relaxed`): a
    /// power cut may lose it, and the next command measures it again.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn save_clock_offset_ms(&mut self, offset: i64) -> Result<(), StateError> {
        self.relaxed(|st| st.set_meta("clock_offset_ms", offset))
    }

    /// Runs `write` (one or more autocommitted statements) at `synchronous=NORMAL`, then sets
    /// the connection back to `FULL`, whatever `write` returned. In WAL mode a commit at
    /// NORMAL is appended to the WAL without an fsync: it survives a crash of the process,
    /// not necessarily a power cut, until the next `FULL` commit or checkpoint syncs the WAL
    /// (which syncs it too: the WAL is written in order). SQLite reads the setting at each
    /// commit, so the writes after this one are as durable as before. Only for records whose
    /// loss costs no message: never a receive cursor or the seen set.
    ///
    /// # Errors
    /// `write`'s, else [`StateError::Sql`] from the pragmas.
    pub(crate) fn relaxed<T>(
        &mut self,
        write: impl FnOnce(&mut Self) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(self.sql("setting synchronous=NORMAL"))?;
        let written = write(self);
        // Back to FULL whatever the write did; failing that is the call's error, since the
        // writes after it must not run at NORMAL.
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(self.sql("setting synchronous=FULL"));
        match (written, restored) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        }
    }

    // ---- receiving -----------------------------------------------------------------------

    /// Whether the message `hash` of `account`'s `namespace` was delivered already (and has
    /// not expired from the seen set since).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn is_seen(
        &self,
        account: &SessionId,
        namespace: Namespace,
        hash: &str,
    ) -> Result<bool, StateError> {
        self.conn
            .query_row(
                "SELECT 1 FROM seen WHERE account = ?1 AND namespace = ?2 AND hash = ?3",
                params![account.to_string(), namespace.0, hash],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(self.sql("reading the seen set"))
    }

    /// The receive cursor at each swarm member that has one.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn node_cursors(
        &self,
        account: &SessionId,
        namespace: Namespace,
    ) -> Result<HashMap<Ed25519Pub, String>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT node, last_hash FROM node_cursor WHERE account = ?1 AND namespace = ?2",
            )
            .map_err(self.sql("reading the receive cursors"))?;
        let rows = stmt
            .query_map(params![account.to_string(), namespace.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading the receive cursors"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(node, hash)| Some((node.parse().ok()?, hash)))
            .collect())
    }

    /// Records a message from swarm member `node` as delivered: the seen set and the
    /// member's cursor, in one transaction.
    ///
    /// Call it *after* the message has been written out: a crash before this call delivers
    /// the message again on the next run, a crash after it does not, and no message is ever
    /// lost. Calling it again for the same message changes nothing but the member's cursor
    /// (and keeps the later expiry).
    ///
    /// # Errors
    /// [`StateError::Sql`]; then neither the seen set nor the cursor changed.
    pub fn mark_delivered_from(
        &mut self,
        account: &SessionId,
        namespace: Namespace,
        node: &Ed25519Pub,
        hash: &str,
        expires_ms: u64,
    ) -> Result<(), StateError> {
        self.mark_delivered_as(account, namespace, node, hash, hash, expires_ms)
    }

    /// Forgets seen messages that expired before `now_ms`: the swarm has dropped them, so
    /// they cannot come back. Returns how many were forgotten.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn prune_seen(&mut self, now_ms: u64) -> Result<usize, StateError> {
        self.conn
            .execute(
                "DELETE FROM seen WHERE expires_ms < ?1",
                [ms_to_sql(now_ms)],
            )
            .map_err(self.sql("pruning the seen set"))
    }

    /// Takes the exclusive receive lock of `account`: only one `sesh receive` per account
    /// runs at a time, or both would deliver the same messages. Released when the
    /// [`ReceiveLock`] is dropped (or the process ends).
    ///
    /// # Errors
    /// [`StateError::ReceiveBusy`] (naming the holder's pid when it wrote one) if another
    /// process, or another [`ReceiveLock`] in this one, holds it; [`StateError::Io`] if the
    /// lock file cannot be opened or written.
    pub fn lock_receive(&self, account: &SessionId) -> Result<ReceiveLock, StateError> {
        let path = self.dir.join(format!("receive-{account}.lock"));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        // Never truncate on open: that would erase the holder's pid. Private from the start,
        // like everything in the state directory.
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, PRIVATE_FILE_MODE);
        let mut file = opts.open(&path).map_err(io("opening lock file", &path))?;
        #[cfg(unix)]
        make_private(&file).map_err(io("making the lock file private", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(StateError::ReceiveBusy {
                    account: account.short(),
                    pid: text.trim().parse().ok(),
                    path,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("locking", &path)(e)),
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.flush())
            .map_err(io("writing lock file", &path))?;
        Ok(ReceiveLock { _file: file, path })
    }

    fn json_column<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        what: &'static str,
    ) -> Result<Vec<T>, StateError> {
        let mut stmt = self.conn.prepare(query).map_err(self.sql("reading"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading"))?;
        rows.iter()
            .map(|t| serde_json::from_str(t).map_err(|e| self.corrupt(what, e)))
            .collect()
    }
}

/// What the client learned about a network, kept apart from what the user received: the
/// part [`State::discard_network_cache`] forgets. (Methods added by the client for issue 9;
/// they use the existing tables and the `meta` key/value table.)
impl State {
    /// The fingerprint of the network (its seeds, pins and known nodes) that the cached pool,
    /// swarms, guards, paths and strikes were learned from (`meta` key `network_fingerprint`).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub(crate) fn network_fingerprint(&self) -> Result<Option<i64>, StateError> {
        self.meta("network_fingerprint")
    }

    /// Forgets everything learned from the network — the pool, swarms, guards, paths, strikes
    /// and clock offset — and records `fingerprint` as the network it now belongs to, in one
    /// transaction. Receive cursors and the seen set stay (they belong to the account).
    ///
    /// # Errors
    /// [`StateError::Sql`]; then nothing changed.
    pub fn discard_network_cache(&mut self, fingerprint: i64) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction()
            .map_err(sql_err(&self.db, "discarding the network cache"))?;
        let res = tx.execute_batch(
            "DELETE FROM pool_node; DELETE FROM swarm; DELETE FROM guard; DELETE FROM path;
             DELETE FROM strike;
             DELETE FROM meta WHERE key IN ('pool_fetched_ms', 'clock_offset_ms');",
        );
        let res = res.and_then(|()| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('network_fingerprint', ?1)
                 ON CONFLICT DO UPDATE SET value = excluded.value",
                [fingerprint],
            )
        });
        res.and_then(|_| tx.commit())
            .map_err(sql_err(&self.db, "discarding the network cache"))
    }

    /// Records a message from swarm member `node` as delivered when the seen set's hash (the
    /// one computed from the data) and the member's name for it (its cursor) differ: the seen
    /// set and the member's cursor, in one transaction. Call it only after the message was
    /// written out.
    ///
    /// # Errors
    /// [`StateError::Sql`]; nothing is recorded then.
    pub fn mark_delivered_as(
        &mut self,
        account: &SessionId,
        namespace: Namespace,
        node: &Ed25519Pub,
        hash: &str,
        node_hash: &str,
        expires_ms: u64,
    ) -> Result<(), StateError> {
        let one = Delivered {
            hash,
            node_hash,
            expires_ms,
        };
        self.record_delivered(
            account,
            namespace,
            node,
            &[one],
            "recording a delivered message",
        )
    }

    /// Which of `hashes` (messages of `account`'s `namespace`) were delivered already: one
    /// query for a whole page, where [`State::is_seen`] asks about one message.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn seen_among<'h>(
        &self,
        account: &SessionId,
        namespace: Namespace,
        hashes: impl IntoIterator<Item = &'h str>,
    ) -> Result<HashSet<String>, StateError> {
        let list = to_json(&hashes.into_iter().collect::<Vec<_>>());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT hash FROM seen WHERE account = ?1 AND namespace = ?2
                 AND hash IN (SELECT value FROM json_each(?3))",
            )
            .map_err(self.sql("reading the seen set"))?;
        stmt.query_map(params![account.to_string(), namespace.0, list], |r| {
            r.get::<_, String>(0)
        })
        .and_then(Iterator::collect::<Result<HashSet<_>, _>>)
        .map_err(self.sql("reading the seen set"))
    }

    /// Records a page of messages from swarm member `node` as delivered, in order, in one
    /// transaction (one durable write for the page, where [`State::mark_delivered_as`] makes
    /// one per message): each hash joins the seen set (keeping the later expiry), and the
    /// member's cursor moves to the last message's `node_hash`. The same end state as
    /// [`State::mark_delivered_as`] called for each in turn. Nothing to record, nothing done.
    ///
    /// Call it only after every one of them was written out (or reported): a crash before it
    /// delivers the page again, never loses it.
    ///
    /// # Errors
    /// [`StateError::Sql`]; then nothing is recorded.
    pub fn mark_delivered_batch(
        &mut self,
        account: &SessionId,
        namespace: Namespace,
        node: &Ed25519Pub,
        messages: &[Delivered<'_>],
    ) -> Result<(), StateError> {
        self.record_delivered(
            account,
            namespace,
            node,
            messages,
            "recording delivered messages",
        )
    }

    /// [`State::mark_delivered_batch`], whose errors say `action`.
    fn record_delivered(
        &mut self,
        account: &SessionId,
        namespace: Namespace,
        node: &Ed25519Pub,
        messages: &[Delivered<'_>],
        action: &'static str,
    ) -> Result<(), StateError> {
        let Some(last) = messages.last() else {
            return Ok(());
        };
        let account = account.to_string();
        let tx = self.conn.transaction().map_err(sql_err(&self.db, action))?;
        let res = (|| {
            let mut seen = tx.prepare_cached(
                "INSERT INTO seen (account, namespace, hash, expires_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET expires_ms = max(expires_ms, excluded.expires_ms)",
            )?;
            for m in messages {
                seen.execute(params![
                    account,
                    namespace.0,
                    m.hash,
                    ms_to_sql(m.expires_ms)
                ])?;
            }
            tx.execute(
                "INSERT INTO node_cursor (account, namespace, node, last_hash)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET last_hash = excluded.last_hash",
                params![account, namespace.0, node.to_hex(), last.node_hash],
            )?;
            Ok(())
        })();
        res.and_then(|()| tx.commit())
            .map_err(sql_err(&self.db, action))
    }

    /// Moves swarm member `node`'s receive cursor to `node_hash` without delivering anything
    /// (past messages that were dropped as implausible).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn skip_to(
        &mut self,
        account: &SessionId,
        namespace: Namespace,
        node: &Ed25519Pub,
        node_hash: &str,
    ) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO node_cursor (account, namespace, node, last_hash)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET last_hash = excluded.last_hash",
                params![account.to_string(), namespace.0, node.to_hex(), node_hash],
            )
            .map(|_| ())
            .map_err(self.sql("moving a receive cursor"))
    }
}

/// The identity's profile (issue 12): `sesh profile set` writes it, `sesh send` reads it and
/// records the avatar's uploads. One row per account, in the `profile` table.
impl State {
    /// The profile of `account`, if one was ever set.
    ///
    /// # Errors
    /// [`StateError::Sql`]; [`StateError::Corrupt`] when the stored profile key is not 32
    /// bytes or the avatar is no longer an image sesh accepts.
    pub fn profile(&self, account: &SessionId) -> Result<Option<Profile>, StateError> {
        type Row = (
            Option<String>,
            Vec<u8>,
            Option<Vec<u8>>,
            Option<String>,
            Option<i64>,
            i64,
        );
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT display_name, profile_key, avatar, avatar_url, avatar_expires_s,
                        updated_s
                 FROM profile WHERE account = ?1",
                [account.to_string()],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .map_err(self.sql("reading the profile"))?;
        let Some((display_name, key, avatar, url, expires_s, updated_s)) = row else {
            return Ok(None);
        };
        let key = Zeroizing::new(key);
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| self.corrupt("profile key", format!("{} bytes, not 32", key.len())))?;
        let mut profile = Profile::new(key, sql_to_ms(updated_s));
        profile.display_name = display_name;
        profile.avatar = avatar
            .map(|image| {
                let mut a = Avatar::new(image).map_err(|e| self.corrupt("avatar", e))?;
                a.upload = url
                    .zip(expires_s)
                    .map(|(url, exp)| AvatarUpload::new(url, sql_to_ms(exp)));
                Ok::<_, StateError>(a)
            })
            .transpose()?;
        Ok(Some(profile))
    }

    /// Saves `profile` as `account`'s, replacing the one before.
    ///
    /// # Errors
    /// [`StateError::Sql`]; then nothing changed.
    pub fn save_profile(
        &mut self,
        account: &SessionId,
        profile: &Profile,
    ) -> Result<(), StateError> {
        let avatar = profile.avatar.as_ref();
        let upload = avatar.and_then(|a| a.upload.as_ref());
        self.conn
            .execute(
                "INSERT INTO profile (account, display_name, profile_key, avatar, avatar_type,
                                      avatar_url, avatar_expires_s, updated_s)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (account) DO UPDATE SET
                     display_name = excluded.display_name,
                     profile_key = excluded.profile_key,
                     avatar = excluded.avatar,
                     avatar_type = excluded.avatar_type,
                     avatar_url = excluded.avatar_url,
                     avatar_expires_s = excluded.avatar_expires_s,
                     updated_s = excluded.updated_s",
                params![
                    account.to_string(),
                    profile.display_name,
                    profile.key.as_slice(),
                    avatar.map(|a| a.image.as_slice()),
                    avatar.map(|a| a.content_type.as_str()),
                    upload.map(|u| u.url.as_str()),
                    upload.map(|u| ms_to_sql(u.expires_s)),
                    ms_to_sql(profile.updated_s),
                ],
            )
            .map(drop)
            .map_err(self.sql("saving the profile"))
    }

    /// Records that `account`'s avatar `image` was uploaded as `upload`, the profile then
    /// changed at `updated_s` (receivers take the new URL only from a newer profile). Only
    /// when the avatar is still that image: a `sesh profile set --avatar` that ran during
    /// the upload wins. Returns whether it was recorded.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn save_avatar_upload(
        &mut self,
        account: &SessionId,
        image: &[u8],
        upload: &AvatarUpload,
        updated_s: u64,
    ) -> Result<bool, StateError> {
        self.conn
            .execute(
                "UPDATE profile SET avatar_url = ?3, avatar_expires_s = ?4, updated_s = ?5
                 WHERE account = ?1 AND avatar = ?2",
                params![
                    account.to_string(),
                    image,
                    upload.url,
                    ms_to_sql(upload.expires_s),
                    ms_to_sql(updated_s),
                ],
            )
            .map(|n| n == 1)
            .map_err(self.sql("saving the avatar's upload"))
    }
}

/// One message for [`State::mark_delivered_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered<'a> {
    /// Its hash, computed from its data (the seen set's key).
    pub hash: &'a str,
    /// The serving member's name for it (its cursor).
    pub node_hash: &'a str,
    /// How long the seen set remembers it (ms).
    pub expires_ms: u64,
}

/// The exclusive right to receive for one account; see [`State::lock_receive`].
#[derive(Debug)]
pub struct ReceiveLock {
    _file: fs::File,
    path: PathBuf,
}

impl ReceiveLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn sql_err(db: &Path, action: &'static str) -> impl FnOnce(rusqlite::Error) -> StateError + use<> {
    let path = db.to_owned();
    move |source| StateError::Sql {
        action,
        path,
        source,
    }
}

/// The mode of every file sesh makes in the state directory: the database (and so its -wal
/// and -shm files, which SQLite creates with the database's mode) and the receive lock files.
pub(crate) const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates the database file, if missing, with mode [`PRIVATE_FILE_MODE`] before SQLite opens
/// it (SQLite would create it with `0644 & !umask`, readable by others until a later chmod),
/// and tightens an existing one that an older sesh left wider. An empty file is a valid new
/// database. Never truncates.
fn create_private(db: &Path) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, PRIVATE_FILE_MODE);
    let file = opts.open(db)?;
    #[cfg(unix)]
    make_private(&file)?;
    Ok(())
}

/// Sets an open file's mode to [`PRIVATE_FILE_MODE`] unless it is already that (a file made
/// by an older sesh, or under an unusual umask, may be wider).
#[cfg(unix)]
fn make_private(file: &fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if file.metadata()?.permissions().mode() & 0o777 != PRIVATE_FILE_MODE {
        file.set_permissions(fs::Permissions::from_mode(PRIVATE_FILE_MODE))?;
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Turns on WAL unless it is on. The journal mode is stored in the database file, so only the
/// first open of a new database changes it; that change needs an exclusive lock, and a
/// process that loses the race for it may be told "busy" without the busy handler being
/// asked (SQLite does not wait for some lock upgrades), so it is tried again for up to
/// [`BUSY_TIMEOUT`].
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    let mode =
        |c: &Connection| c.pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0));
    let mut waited = std::time::Duration::ZERO;
    let step = std::time::Duration::from_millis(20);
    loop {
        let result = mode(conn).and_then(|m| {
            if m.eq_ignore_ascii_case("wal") {
                Ok(())
            } else {
                conn.pragma_update(None, "journal_mode", "WAL")
            }
        });
        match result {
            Err(e) if is_busy(&e) && waited < BUSY_TIMEOUT => {
                std::thread::sleep(step);
                waited += step;
            }
            other => return other,
        }
    }
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("should serialize nodes: plain strings and numbers")
}

mod address_book;
pub use address_book::{ContactNameError, MAX_CONTACT_NAME_CHARS, check_contact_name};
mod attachments;
pub use attachments::PendingAttachment;
mod contacts;
mod profile_sent;
mod sent;
pub use sent::SentMessage;

#[cfg(test)]
mod tests;
