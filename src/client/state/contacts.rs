//! Who an account has talked to (issue 13, message requests): a peer is *accepted* once the
//! account sent them anything or accepted their request, and *requesting* while they wrote
//! first and got no answer. A message from a peer that is not accepted is a message request,
//! as the Session apps show it.
//!
//! ```text
//! contact (account TEXT, peer TEXT, accepted INTEGER, PRIMARY KEY (account, peer))
//! ```
//!
//! Created when first needed (`CREATE TABLE IF NOT EXISTS`), without a schema version of its
//! own: a database without it is one that has talked to no one yet.

use rusqlite::{OptionalExtension as _, params};

use super::{State, StateError};
use crate::identity::SessionId;

const TABLE: &str = "
CREATE TABLE IF NOT EXISTS contact (
    account TEXT NOT NULL,
    peer TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    PRIMARY KEY (account, peer)
) STRICT;
";

impl State {
    fn contact_table(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch(TABLE)
            .map_err(self.sql("creating the contact table"))
    }

    /// Whether a message from `peer` to `account` is a message request: `peer` is not
    /// `account` itself and `account` never sent to `peer` nor accepted them. Records `peer`
    /// as requesting when so.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn note_incoming(
        &mut self,
        account: &SessionId,
        peer: &SessionId,
    ) -> Result<bool, StateError> {
        if account == peer {
            return Ok(false);
        }
        self.contact_table()?;
        self.conn
            .execute(
                "INSERT INTO contact (account, peer, accepted) VALUES (?1, ?2, 0)
                 ON CONFLICT (account, peer) DO NOTHING",
                params![account.to_string(), peer.to_string()],
            )
            .map_err(self.sql("recording a sender"))?;
        Ok(!self.is_accepted(account, peer)?)
    }

    /// Whether `peer` wrote to `account` first and `account` has not answered nor accepted
    /// them yet: the first reply is then preceded by an acceptance.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn is_pending_request(
        &self,
        account: &SessionId,
        peer: &SessionId,
    ) -> Result<bool, StateError> {
        Ok(self.contact(account, peer)? == Some(false))
    }

    /// Whether `account` has sent to `peer` or accepted them.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn is_accepted(&self, account: &SessionId, peer: &SessionId) -> Result<bool, StateError> {
        Ok(self.contact(account, peer)? == Some(true))
    }

    /// Records that `account` sent to `peer` or accepted them: their messages are no longer
    /// requests.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn mark_accepted(
        &mut self,
        account: &SessionId,
        peer: &SessionId,
    ) -> Result<(), StateError> {
        self.contact_table()?;
        self.conn
            .execute(
                "INSERT INTO contact (account, peer, accepted) VALUES (?1, ?2, 1)
                 ON CONFLICT (account, peer) DO UPDATE SET accepted = 1",
                params![account.to_string(), peer.to_string()],
            )
            .map(drop)
            .map_err(self.sql("recording an accepted conversation"))
    }

    /// The peers `account` has sent to or accepted, as Session IDs.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn accepted_peers(&self, account: &SessionId) -> Result<Vec<String>, StateError> {
        self.contact_table()?;
        let mut stmt = self
            .conn
            .prepare("SELECT peer FROM contact WHERE account = ?1 AND accepted = 1")
            .map_err(self.sql("reading the accepted contacts"))?;
        let peers: Result<Vec<String>, rusqlite::Error> = stmt
            .query_map([account.to_string()], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect);
        peers.map_err(self.sql("reading the accepted contacts"))
    }

    /// `Some(accepted)` when `peer` is known to `account`.
    fn contact(&self, account: &SessionId, peer: &SessionId) -> Result<Option<bool>, StateError> {
        self.contact_table()?;
        self.conn
            .query_row(
                "SELECT accepted FROM contact WHERE account = ?1 AND peer = ?2",
                [account.to_string(), peer.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|a| a.map(|a| a != 0))
            .map_err(self.sql("reading a contact"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: &str) -> SessionId {
        format!("05{}", byte.repeat(32)).parse().unwrap()
    }

    #[test]
    fn a_sender_is_a_request_until_answered_or_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open(dir.path()).unwrap();
        let (me, alice, bob) = (id("aa"), id("bb"), id("cc"));
        assert!(!st.is_pending_request(&me, &alice).unwrap());
        // Alice writes first: a request, every message until answered.
        assert!(st.note_incoming(&me, &alice).unwrap());
        assert!(st.note_incoming(&me, &alice).unwrap());
        assert!(st.is_pending_request(&me, &alice).unwrap());
        st.mark_accepted(&me, &alice).unwrap();
        assert!(!st.is_pending_request(&me, &alice).unwrap());
        assert!(!st.note_incoming(&me, &alice).unwrap());
        // Sending first makes the answers no requests, and is not a request to answer.
        st.mark_accepted(&me, &bob).unwrap();
        assert!(!st.note_incoming(&me, &bob).unwrap());
        assert!(!st.is_pending_request(&me, &bob).unwrap());
        // Per account: Alice is still unknown to Bob.
        assert!(st.note_incoming(&bob, &alice).unwrap());
        // One's own copies are never requests.
        assert!(!st.note_incoming(&me, &me).unwrap());
        // Kept across openings.
        drop(st);
        let st = State::open(dir.path()).unwrap();
        assert!(st.is_accepted(&me, &alice).unwrap());
        assert!(st.is_pending_request(&bob, &alice).unwrap());
        let mut peers = st.accepted_peers(&me).unwrap();
        peers.sort();
        assert_eq!(peers, [alice.to_string(), bob.to_string()]);
        assert!(st.accepted_peers(&bob).unwrap().is_empty());
    }
}
