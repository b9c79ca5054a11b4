//! What `sesh send` remembers of each message it stored (issue 13): its hash, recipient,
//! timestamp and the hash of its copy in the sender's own swarm, so that `sesh unsend HASH`
//! can name the message to the recipient (by timestamp and author) and delete the copy.
//!
//! ```text
//! sent (account TEXT, hash TEXT, recipient TEXT, timestamp INTEGER, sync_hash TEXT,
//!       PRIMARY KEY (account, hash))
//! ```
//!
//! Created when first needed (`CREATE TABLE IF NOT EXISTS`), without a schema version of its
//! own: a database without it is one that recorded nothing sent.

use rusqlite::{OptionalExtension as _, params};

use super::{State, StateError, ms_to_sql, sql_to_ms};
use crate::identity::SessionId;

const TABLE: &str = "
CREATE TABLE IF NOT EXISTS sent (
    account TEXT NOT NULL,
    hash TEXT NOT NULL,
    recipient TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    sync_hash TEXT,
    PRIMARY KEY (account, hash)
) STRICT;
";

/// A message `sesh send` stored, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// Its hash in the recipient's swarm.
    pub hash: String,
    /// Who it went to.
    pub recipient: SessionId,
    /// Its timestamp (the envelope's and `sigTimestamp`, ms).
    pub timestamp_ms: u64,
    /// The hash of the copy in the sender's own swarm, when one was stored.
    pub sync_hash: Option<String>,
}

impl State {
    fn sent_table(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch(TABLE)
            .map_err(self.sql("creating the sent table"))
    }

    /// Records a message `account` sent. Recording the same hash again replaces the record.
    ///
    /// Committed without an fsync of its own (`State::relaxed`): the record only lets
    /// `sesh unsend` name the message, so a power cut may lose it (a process crash may not).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn record_sent(
        &mut self,
        account: &SessionId,
        sent: &SentMessage,
    ) -> Result<(), StateError> {
        self.sent_table()?;
        self.relaxed(|st| {
            st.conn
                .execute(
                    "INSERT OR REPLACE INTO sent (account, hash, recipient, timestamp, sync_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        account.to_string(),
                        sent.hash,
                        sent.recipient.to_string(),
                        ms_to_sql(sent.timestamp_ms),
                        sent.sync_hash
                    ],
                )
                .map(drop)
                .map_err(st.sql("recording a sent message"))
        })
    }

    /// The message `account` sent whose hash (in the recipient's swarm, or its sync copy's
    /// in the sender's) is `hash`, if recorded.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn sent_message(
        &self,
        account: &SessionId,
        hash: &str,
    ) -> Result<Option<SentMessage>, StateError> {
        self.sent_table()?;
        let row = self
            .conn
            .query_row(
                "SELECT hash, recipient, timestamp, sync_hash FROM sent
                 WHERE account = ?1 AND (hash = ?2 OR sync_hash = ?2)",
                params![account.to_string(), hash],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(self.sql("reading a sent message"))?;
        let Some((hash, recipient, ts, sync_hash)) = row else {
            return Ok(None);
        };
        // A recipient that does not parse is a record this sesh did not write.
        let Ok(recipient) = recipient.parse::<SessionId>() else {
            return Ok(None);
        };
        Ok(Some(SentMessage {
            hash,
            recipient,
            timestamp_ms: sql_to_ms(ts),
            sync_hash,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_message_is_found_by_its_hash_or_its_copys() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open(dir.path()).unwrap();
        let me: SessionId = format!("05{}", "ab".repeat(32)).parse().unwrap();
        let you: SessionId = format!("05{}", "cd".repeat(32)).parse().unwrap();
        assert_eq!(st.sent_message(&me, "h1").unwrap(), None);
        let sent = SentMessage {
            hash: "h1".into(),
            recipient: you,
            timestamp_ms: 1_700_000_000_000,
            sync_hash: Some("s1".into()),
        };
        st.record_sent(&me, &sent).unwrap();
        assert_eq!(st.sent_message(&me, "h1").unwrap(), Some(sent.clone()));
        assert_eq!(st.sent_message(&me, "s1").unwrap(), Some(sent));
        // Another account's record is not its.
        assert_eq!(st.sent_message(&you, "h1").unwrap(), None);
    }

    fn synchronous(st: &State) -> i64 {
        st.conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap()
    }

    /// The record is written at NORMAL, and the connection is FULL again afterwards (2 =
    /// FULL), so that cursors and the rest stay fsync'd on commit; and the record is there
    /// for another connection (another `sesh` process) to read.
    #[test]
    fn recording_a_sent_message_leaves_the_connection_fully_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open(dir.path()).unwrap();
        assert_eq!(synchronous(&st), 2);
        let me: SessionId = format!("05{}", "ab".repeat(32)).parse().unwrap();
        let sent = SentMessage {
            hash: "h1".into(),
            recipient: me,
            timestamp_ms: 1,
            sync_hash: None,
        };
        st.record_sent(&me, &sent).unwrap();
        assert_eq!(synchronous(&st), 2);
        st.save_clock_offset_ms(-5).unwrap();
        assert_eq!(synchronous(&st), 2);
        // Inside, the write runs at NORMAL (1); after a failed write, FULL again.
        let inside = st.relaxed(|st| Ok(synchronous(st))).unwrap();
        assert_eq!(inside, 1);
        let failed = st.relaxed(|st| {
            st.conn
                .execute("INSERT INTO no_such_table VALUES (1)", [])
                .map_err(st.sql("failing"))
        });
        assert!(failed.is_err());
        assert_eq!(synchronous(&st), 2);
        let other = State::open(dir.path()).unwrap();
        assert_eq!(other.sent_message(&me, "h1").unwrap(), Some(sent));
        assert_eq!(other.clock_offset_ms().unwrap(), Some(-5));
    }
}
