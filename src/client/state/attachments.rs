//! What `sesh receive --save-attachments` remembers between runs (issue 12): attachments
//! whose download failed, to try again on the next run, and the last profile-picture URL
//! seen from each sender, so that an avatar is saved only when it changes.
//!
//! ```text
//! attachment_retry (account TEXT, hash TEXT, idx INTEGER, sender TEXT, timestamp INTEGER,
//!                   pointer BLOB, attempts INTEGER, expires INTEGER,
//!                   PRIMARY KEY (account, hash, idx))   pointer: the AttachmentPointer protobuf
//! avatar_seen      (account TEXT, sender TEXT, url TEXT, PRIMARY KEY (account, sender))
//! avatar_file      (account TEXT, sender TEXT, path TEXT, PRIMARY KEY (account, sender))
//! ```
//!
//! `avatar_file` is where the sender's last avatar was saved: the one file a new avatar
//! replaces (never a saved attachment that happens to be named `avatar.*`).
//!
//! The tables are created when first needed (`CREATE TABLE IF NOT EXISTS`), without a schema
//! version of their own: a database without them is one where nothing failed and no avatar
//! was seen. The pointer holds the attachment's key, as the message did; the database is
//! private to its owner ([`super::PRIVATE_FILE_MODE`]).

use rusqlite::{OptionalExtension as _, params};

use super::{State, StateError, ms_to_sql, sql_to_ms};
use crate::identity::SessionId;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS attachment_retry (
    account TEXT NOT NULL,
    hash TEXT NOT NULL,
    idx INTEGER NOT NULL,
    sender TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    pointer BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (account, hash, idx)
) STRICT;
CREATE TABLE IF NOT EXISTS avatar_seen (
    account TEXT NOT NULL,
    sender TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (account, sender)
) STRICT;
CREATE TABLE IF NOT EXISTS avatar_file (
    account TEXT NOT NULL,
    sender TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (account, sender)
) STRICT;
";

/// An attachment whose download failed, kept to be tried again.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingAttachment {
    /// The hash of the message that carried it.
    pub hash: String,
    /// Its position among the message's attachments.
    pub index: u32,
    /// Who sent the message.
    pub sender: SessionId,
    /// When the message was sent (ms).
    pub timestamp_ms: u64,
    /// The `AttachmentPointer`, as protobuf bytes.
    pub pointer: Vec<u8>,
    /// How many downloads failed so far.
    pub attempts: u32,
    /// When to give up (ms): the file server will have deleted it.
    pub expires_ms: u64,
}

impl std::fmt::Debug for PendingAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pointer holds the file's key.
        f.debug_struct("PendingAttachment")
            .field("hash", &self.hash)
            .field("index", &self.index)
            .field("sender", &self.sender)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl PendingAttachment {
    /// A first failure of attachment `index` of message `hash`.
    pub fn new(
        hash: impl Into<String>,
        index: u32,
        sender: SessionId,
        timestamp_ms: u64,
        pointer: Vec<u8>,
        expires_ms: u64,
    ) -> Self {
        Self {
            hash: hash.into(),
            index,
            sender,
            timestamp_ms,
            pointer,
            attempts: 1,
            expires_ms,
        }
    }
}

impl State {
    fn attachment_tables(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch(TABLES)
            .map_err(self.sql("creating the attachment tables"))
    }

    /// Keeps `pending` to be tried again (replacing an earlier entry for the same attachment,
    /// whose attempts it takes over plus one).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn add_pending_attachment(
        &mut self,
        account: &SessionId,
        pending: &PendingAttachment,
    ) -> Result<(), StateError> {
        self.attachment_tables()?;
        self.conn
            .execute(
                "INSERT INTO attachment_retry
                     (account, hash, idx, sender, timestamp, pointer, attempts, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT DO UPDATE SET attempts = attempts + 1",
                params![
                    account.to_string(),
                    pending.hash,
                    pending.index,
                    pending.sender.to_string(),
                    ms_to_sql(pending.timestamp_ms),
                    pending.pointer,
                    pending.attempts,
                    ms_to_sql(pending.expires_ms),
                ],
            )
            .map(drop)
            .map_err(self.sql("keeping a failed attachment"))
    }

    /// The attachments of `account` waiting to be tried again, oldest message first. Those
    /// expired by `now_ms` are forgotten.
    ///
    /// # Errors
    /// [`StateError::Sql`]; [`StateError::Corrupt`] for a row whose sender is not a Session ID.
    pub fn pending_attachments(
        &mut self,
        account: &SessionId,
        now_ms: u64,
    ) -> Result<Vec<PendingAttachment>, StateError> {
        self.attachment_tables()?;
        self.conn
            .execute(
                "DELETE FROM attachment_retry WHERE account = ?1 AND expires <= ?2",
                params![account.to_string(), ms_to_sql(now_ms)],
            )
            .map_err(self.sql("forgetting expired attachments"))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT hash, idx, sender, timestamp, pointer, attempts, expires
                 FROM attachment_retry WHERE account = ?1 ORDER BY timestamp, hash, idx",
            )
            .map_err(self.sql("reading failed attachments"))?;
        let rows = stmt
            .query_map([account.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, u32>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading failed attachments"))?;
        rows.into_iter()
            .map(|(hash, index, sender, ts, pointer, attempts, expires)| {
                let sender = sender
                    .parse()
                    .map_err(|e| self.corrupt("attachment_retry.sender", e))?;
                Ok(PendingAttachment {
                    hash,
                    index,
                    sender,
                    timestamp_ms: sql_to_ms(ts),
                    pointer,
                    attempts,
                    expires_ms: sql_to_ms(expires),
                })
            })
            .collect()
    }

    /// Forgets a waiting attachment: saved, or given up on.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn remove_pending_attachment(
        &mut self,
        account: &SessionId,
        hash: &str,
        index: u32,
    ) -> Result<(), StateError> {
        self.attachment_tables()?;
        self.conn
            .execute(
                "DELETE FROM attachment_retry WHERE account = ?1 AND hash = ?2 AND idx = ?3",
                params![account.to_string(), hash, index],
            )
            .map(drop)
            .map_err(self.sql("forgetting a failed attachment"))
    }

    /// The profile-picture URL last saved for `sender`, if any.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn avatar_seen(
        &mut self,
        account: &SessionId,
        sender: &SessionId,
    ) -> Result<Option<String>, StateError> {
        self.attachment_tables()?;
        self.conn
            .query_row(
                "SELECT url FROM avatar_seen WHERE account = ?1 AND sender = ?2",
                params![account.to_string(), sender.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("reading a sender's avatar URL"))
    }

    /// Records that `sender`'s avatar at `url` was saved.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn set_avatar_seen(
        &mut self,
        account: &SessionId,
        sender: &SessionId,
        url: &str,
    ) -> Result<(), StateError> {
        self.attachment_tables()?;
        self.conn
            .execute(
                "INSERT INTO avatar_seen (account, sender, url) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET url = excluded.url",
                params![account.to_string(), sender.to_string(), url],
            )
            .map(drop)
            .map_err(self.sql("recording a sender's avatar URL"))
    }

    /// Where `sender`'s last avatar was saved, if it was.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn avatar_file(
        &mut self,
        account: &SessionId,
        sender: &SessionId,
    ) -> Result<Option<String>, StateError> {
        self.attachment_tables()?;
        self.conn
            .query_row(
                "SELECT path FROM avatar_file WHERE account = ?1 AND sender = ?2",
                params![account.to_string(), sender.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("reading where a sender's avatar was saved"))
    }

    /// Records that `sender`'s avatar at `url` was saved as `path`.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn set_avatar_saved(
        &mut self,
        account: &SessionId,
        sender: &SessionId,
        url: &str,
        path: &str,
    ) -> Result<(), StateError> {
        self.attachment_tables()?;
        const ACTION: &str = "recording where a sender's avatar was saved";
        let on_err = self.sql(ACTION);
        // One commit: the URL and the file it was saved as change together (one fsync, and
        // never a URL recorded without its file).
        let (account, sender) = (account.to_string(), sender.to_string());
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(self.sql(ACTION))?;
        tx.execute(
            "INSERT INTO avatar_seen (account, sender, url) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET url = excluded.url",
            params![account, sender, url],
        )
        .and_then(|_| {
            tx.execute(
                "INSERT INTO avatar_file (account, sender, path) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET path = excluded.path",
                params![account, sender, path],
            )
        })
        .and_then(|_| tx.commit())
        .map_err(on_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> (tempfile::TempDir, State) {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = State::open(dir.path()).expect("opens");
        (dir, state)
    }

    fn id(b: u8) -> SessionId {
        format!("05{}", hex::encode([b; 32])).parse().expect("id")
    }

    #[test]
    fn failed_attachments_are_kept_until_removed_or_expired() {
        let (_dir, mut s) = state();
        let me = id(1);
        let p = PendingAttachment::new("h1", 0, id(2), 1000, vec![1, 2, 3], 50_000);
        s.add_pending_attachment(&me, &p).expect("add");
        s.add_pending_attachment(&me, &p).expect("again");
        let q = PendingAttachment::new("h0", 1, id(2), 500, vec![4], 10_000);
        s.add_pending_attachment(&me, &q).expect("add");
        let got = s.pending_attachments(&me, 0).expect("read");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].hash, "h0", "oldest first");
        assert_eq!(got[1].attempts, 2, "a second failure counts");
        assert_eq!(got[1].pointer, vec![1, 2, 3]);
        assert!(s.pending_attachments(&id(9), 0).expect("other").is_empty());
        // Past q's expiry only p is left.
        let got = s.pending_attachments(&me, 20_000).expect("read");
        assert_eq!(got.len(), 1);
        s.remove_pending_attachment(&me, "h1", 0).expect("remove");
        assert!(s.pending_attachments(&me, 0).expect("read").is_empty());
    }

    #[test]
    fn avatar_urls_are_remembered_per_sender() {
        let (_dir, mut s) = state();
        let me = id(1);
        assert_eq!(s.avatar_seen(&me, &id(2)).expect("read"), None);
        s.set_avatar_seen(&me, &id(2), "http://h/file/1")
            .expect("set");
        s.set_avatar_seen(&me, &id(2), "http://h/file/2")
            .expect("set");
        assert_eq!(
            s.avatar_seen(&me, &id(2)).expect("read").as_deref(),
            Some("http://h/file/2")
        );
        assert_eq!(s.avatar_seen(&me, &id(3)).expect("read"), None);
    }

    #[test]
    fn avatar_files_are_remembered_per_sender() {
        let (_dir, mut s) = state();
        let me = id(1);
        assert_eq!(s.avatar_file(&me, &id(2)).expect("read"), None);
        s.set_avatar_saved(&me, &id(2), "http://h/file/1", "/d/a.png")
            .expect("set");
        s.set_avatar_saved(&me, &id(2), "http://h/file/2", "/d/a.jpg")
            .expect("set");
        assert_eq!(
            s.avatar_file(&me, &id(2)).expect("read").as_deref(),
            Some("/d/a.jpg")
        );
        assert_eq!(
            s.avatar_seen(&me, &id(2)).expect("read").as_deref(),
            Some("http://h/file/2")
        );
        assert_eq!(s.avatar_file(&me, &id(3)).expect("read"), None);
    }
}
