//! The file server's store: one SQLite table of files, their upload and expiry times.
//!
//! Every write is one transaction in WAL mode with `synchronous = FULL`: an upload answered
//! is on disk (fsync'd) whole, and a crash leaves either the whole file or nothing. Ids are
//! random decimal numbers under 2^53 (session-file-server's `BACKWARDS_COMPAT_IDS`; clients
//! such as session-python do `int(id)`), drawn again on a collision.

use std::path::Path;

use rand_core::RngCore;
use rusqlite::{Connection, OptionalExtension as _, params};

/// Ids are below this (2^53: exact in a JSON number / a JavaScript double).
pub(crate) const ID_LIMIT: u64 = 1 << 53;

/// Ids drawn before giving up on a full id space (session-file-server tries 25).
const ID_ATTEMPTS: usize = 25;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed (the disk, the file, a corrupt database).
    #[error("the file store")]
    Sqlite(#[from] rusqlite::Error),
    /// The store holds its maximum already: 507, as the real server answers when it cannot
    /// store.
    #[error("the file store is full ({used} of {max} bytes)")]
    Full {
        /// Bytes held.
        used: u64,
        /// The limit.
        max: u64,
    },
    /// Every id drawn was taken (does not happen unless the randomness is broken).
    #[error("no free file id after {ID_ATTEMPTS} attempts")]
    NoFreeId,
}

/// What is known about a stored file (`GET /file/<id>/info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Info {
    /// Its length, bytes.
    pub(crate) size: u64,
    /// When it was uploaded, ms since the epoch.
    pub(crate) uploaded_ms: u64,
    /// When it expires, ms since the epoch.
    pub(crate) expires_ms: u64,
}

/// The store (one connection; callers serialise access).
#[derive(Debug)]
pub(crate) struct Store {
    conn: Connection,
    max_bytes: u64,
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn unms(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// Opens (creating) the store at `path`, holding at most `max_bytes` of files.
    pub(crate) fn open(path: &Path, max_bytes: u64) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, max_bytes)
    }

    #[cfg(test)]
    pub(crate) fn in_memory(max_bytes: u64) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, max_bytes)
    }

    fn init(conn: Connection, max_bytes: u64) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL + FULL: each commit is fsync'd before it returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS files (
                 id INTEGER PRIMARY KEY,
                 data BLOB NOT NULL,
                 size INTEGER NOT NULL,
                 uploaded INTEGER NOT NULL,
                 expires INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS files_expires ON files (expires);",
        )?;
        Ok(Self { conn, max_bytes })
    }

    /// Stores `data` at `now_ms` until `expires_ms` under a fresh random id.
    pub(crate) fn insert(
        &mut self,
        data: &[u8],
        now_ms: u64,
        expires_ms: u64,
        rng: &mut impl RngCore,
    ) -> Result<u64, StoreError> {
        let size = data.len() as u64;
        let tx = self.conn.transaction()?;
        // Expired files do not count against the limit (the cleanup task removes them).
        let used: i64 = tx.query_row(
            "SELECT COALESCE(SUM(size), 0) FROM files WHERE expires > ?1",
            params![ms(now_ms)],
            |r| r.get(0),
        )?;
        let used = unms(used);
        if used.saturating_add(size) > self.max_bytes {
            return Err(StoreError::Full {
                used,
                max: self.max_bytes,
            });
        }
        for _ in 0..ID_ATTEMPTS {
            let id = rng.next_u64() % ID_LIMIT;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO files (id, data, size, uploaded, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ms(id), data, ms(size), ms(now_ms), ms(expires_ms)],
            )?;
            if inserted == 1 {
                tx.commit()?;
                return Ok(id);
            }
        }
        Err(StoreError::NoFreeId)
    }

    /// The file `id`, unless missing or expired at `now_ms`.
    pub(crate) fn get(&self, id: u64, now_ms: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM files WHERE id = ?1 AND expires > ?2",
                params![ms(id), ms(now_ms)],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// What is known about file `id`, unless missing or expired at `now_ms`.
    pub(crate) fn info(&self, id: u64, now_ms: u64) -> Result<Option<Info>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT size, uploaded, expires FROM files WHERE id = ?1 AND expires > ?2",
                params![ms(id), ms(now_ms)],
                |r| {
                    Ok(Info {
                        size: unms(r.get(0)?),
                        uploaded_ms: unms(r.get(1)?),
                        expires_ms: unms(r.get(2)?),
                    })
                },
            )
            .optional()?)
    }

    /// Removes the files expired at `now_ms`; how many.
    pub(crate) fn prune(&mut self, now_ms: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM files WHERE expires <= ?1", params![ms(now_ms)])?)
    }

    /// How many files the table holds, expired or not.
    #[cfg(test)]
    pub(crate) fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM files", [], |r| r.get(0))?;
        Ok(unms(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws the same id over and over.
    struct Stuck(u64);
    impl RngCore for Stuck {
        fn next_u32(&mut self) -> u32 {
            self.0 as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            dest.fill(0);
            Ok(())
        }
    }

    #[test]
    fn ids_are_below_2_pow_53_and_a_taken_id_is_not_reused() {
        let mut s = Store::in_memory(1 << 20).unwrap();
        let id = s.insert(b"a", 0, 10, &mut Stuck(u64::MAX)).unwrap();
        assert_eq!(id, u64::MAX % ID_LIMIT);
        assert!(id < ID_LIMIT);
        assert!(matches!(
            s.insert(b"b", 0, 10, &mut Stuck(u64::MAX)),
            Err(StoreError::NoFreeId)
        ));
        assert_eq!(s.get(id, 0).unwrap().as_deref(), Some(&b"a"[..]));
    }

    #[test]
    fn expired_files_are_gone_before_and_after_pruning() {
        let mut s = Store::in_memory(1 << 20).unwrap();
        let id = s.insert(b"abc", 1_000, 5_000, &mut Stuck(7)).unwrap();
        assert_eq!(
            s.info(id, 4_999).unwrap(),
            Some(Info {
                size: 3,
                uploaded_ms: 1_000,
                expires_ms: 5_000
            })
        );
        assert_eq!(s.get(id, 5_000).unwrap(), None);
        assert_eq!(s.info(id, 5_000).unwrap(), None);
        assert_eq!(s.prune(4_999).unwrap(), 0);
        assert_eq!(s.prune(5_000).unwrap(), 1);
        assert_eq!(s.count().unwrap(), 0);
    }

    #[test]
    fn a_full_store_refuses_until_files_expire() {
        let mut s = Store::in_memory(10).unwrap();
        s.insert(&[0; 8], 0, 100, &mut Stuck(1)).unwrap();
        assert!(matches!(
            s.insert(&[0; 3], 0, 100, &mut Stuck(2)),
            Err(StoreError::Full { used: 8, max: 10 })
        ));
        s.insert(&[0; 3], 100, 200, &mut Stuck(2)).unwrap();
    }
}
