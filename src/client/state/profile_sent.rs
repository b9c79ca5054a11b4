//! What `sesh send` remembers of the profile it sent (issue 12): the display name the last
//! message carried and its `lastProfileUpdateSeconds`, so that a `send --name` override is
//! followed by a newer profile when the name goes back (see [`crate::profile::Profile::apply_to`]).
//!
//! ```text
//! profile_sent (account TEXT PRIMARY KEY, name TEXT, updated_s INTEGER)
//! ```
//!
//! Created when first needed (`CREATE TABLE IF NOT EXISTS`), without a schema version of its
//! own: a database without it is one whose messages carried the profile's own name.

use rusqlite::{OptionalExtension as _, params};

use super::{State, StateError, ms_to_sql, sql_to_ms};
use crate::identity::SessionId;
use crate::profile::SentName;

const TABLE: &str = "
CREATE TABLE IF NOT EXISTS profile_sent (
    account TEXT PRIMARY KEY,
    name TEXT,
    updated_s INTEGER NOT NULL
) STRICT;
";

impl State {
    fn profile_sent_table(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch(TABLE)
            .map_err(self.sql("creating the profile_sent table"))
    }

    /// The display name and update time `account`'s last message carried, if recorded.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn last_sent_name(&self, account: &SessionId) -> Result<Option<SentName>, StateError> {
        self.profile_sent_table()?;
        self.conn
            .query_row(
                "SELECT name, updated_s FROM profile_sent WHERE account = ?1",
                [account.to_string()],
                |r| {
                    Ok(SentName {
                        name: r.get(0)?,
                        updated_s: sql_to_ms(r.get(1)?),
                    })
                },
            )
            .optional()
            .map_err(self.sql("reading the last name sent"))
    }

    /// Records `sent` as what `account`'s last message carried. Never goes back in time: a
    /// concurrent send that recorded a newer update time keeps it.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn save_sent_name(
        &mut self,
        account: &SessionId,
        sent: &SentName,
    ) -> Result<(), StateError> {
        self.profile_sent_table()?;
        self.conn
            .execute(
                "INSERT INTO profile_sent (account, name, updated_s) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET
                     name = excluded.name, updated_s = excluded.updated_s
                 WHERE excluded.updated_s >= profile_sent.updated_s",
                params![account.to_string(), sent.name, ms_to_sql(sent.updated_s)],
            )
            .map(drop)
            .map_err(self.sql("recording the name sent"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_name_sent_is_kept_and_never_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open(dir.path()).unwrap();
        let me: SessionId = format!("05{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(st.last_sent_name(&me).unwrap(), None);
        let alarm = SentName {
            name: Some("alarm".into()),
            updated_s: 300,
        };
        st.save_sent_name(&me, &alarm).unwrap();
        assert_eq!(st.last_sent_name(&me).unwrap(), Some(alarm.clone()));
        let older = SentName {
            name: Some("bot".into()),
            updated_s: 200,
        };
        st.save_sent_name(&me, &older).unwrap();
        assert_eq!(st.last_sent_name(&me).unwrap(), Some(alarm));
        let none = SentName {
            name: None,
            updated_s: 400,
        };
        st.save_sent_name(&me, &none).unwrap();
        assert_eq!(st.last_sent_name(&me).unwrap(), Some(none));
    }
}
