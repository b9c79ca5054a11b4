//! The address book (issue 14, `sesh contact`): names people give to Session IDs, kept per
//! account, so that `sesh send mom` needs no 66 hex characters. Not the `contact` table of
//! message requests ([`super::contacts`]): that one records who talked to whom, this one
//! only what the user typed.
//!
//! ```text
//! address_book (account TEXT, name TEXT, session_id TEXT, PRIMARY KEY (account, name))
//! ```
//!
//! Created when first needed (`CREATE TABLE IF NOT EXISTS`), without a schema version of its
//! own, as the `contact` table: a database without it is one with no contacts yet.

use rusqlite::{OptionalExtension as _, params};

use super::{State, StateError};
use crate::identity::SessionId;

const TABLE: &str = "
CREATE TABLE IF NOT EXISTS address_book (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    PRIMARY KEY (account, name)
) STRICT;
";

/// The longest contact name, in characters.
pub const MAX_CONTACT_NAME_CHARS: usize = 64;

/// Why a contact name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContactNameError {
    /// Empty.
    #[error("a contact name cannot be empty")]
    Empty,
    /// More than [`MAX_CONTACT_NAME_CHARS`] characters.
    #[error("a contact name has at most {MAX_CONTACT_NAME_CHARS} characters, not {0}")]
    TooLong(usize),
    /// White space at the start or the end.
    #[error("a contact name cannot start or end with white space")]
    Padded,
    /// A control character (or a bidirectional-text control, or a line separator).
    #[error("a contact name cannot contain control characters")]
    Control,
    /// A valid Session ID: it would always be read as that ID.
    #[error("a contact name cannot be a Session ID (a Session ID is always read as itself)")]
    SessionId,
}

/// Checks a contact name: printable, not empty, no white space at the ends, at most
/// [`MAX_CONTACT_NAME_CHARS`] characters, and not a valid Session ID.
///
/// # Errors
/// [`ContactNameError`].
pub fn check_contact_name(name: &str) -> Result<(), ContactNameError> {
    if name.is_empty() {
        return Err(ContactNameError::Empty);
    }
    if name.parse::<SessionId>().is_ok() {
        return Err(ContactNameError::SessionId);
    }
    let n = name.chars().count();
    if n > MAX_CONTACT_NAME_CHARS {
        return Err(ContactNameError::TooLong(n));
    }
    if name.trim() != name {
        return Err(ContactNameError::Padded);
    }
    let unprintable = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if name.chars().any(unprintable) {
        return Err(ContactNameError::Control);
    }
    Ok(())
}

impl State {
    fn address_book_table(&self) -> Result<(), StateError> {
        self.conn
            .execute_batch(TABLE)
            .map_err(self.sql("creating the address book"))
    }

    /// Names `id` `name` in `account`'s address book. An existing `name` is replaced only
    /// when `replace`; returns whether it existed (and, without `replace`, was left as is).
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn add_contact(
        &mut self,
        account: &SessionId,
        name: &str,
        id: &SessionId,
        replace: bool,
    ) -> Result<bool, StateError> {
        self.address_book_table()?;
        let existed = self.contact_id(account, name)?.is_some();
        if existed && !replace {
            return Ok(true);
        }
        self.conn
            .execute(
                "INSERT INTO address_book (account, name, session_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account, name) DO UPDATE SET session_id = excluded.session_id",
                params![account.to_string(), name, id.to_string()],
            )
            .map_err(self.sql("adding a contact"))?;
        Ok(existed)
    }

    /// Removes `name` from `account`'s address book; whether it was there.
    ///
    /// # Errors
    /// [`StateError::Sql`].
    pub fn remove_contact(&mut self, account: &SessionId, name: &str) -> Result<bool, StateError> {
        self.address_book_table()?;
        let n = self
            .conn
            .execute(
                "DELETE FROM address_book WHERE account = ?1 AND name = ?2",
                params![account.to_string(), name],
            )
            .map_err(self.sql("removing a contact"))?;
        Ok(n > 0)
    }

    /// The Session ID `account` named `name` (names are exact: case counts).
    ///
    /// # Errors
    /// [`StateError::Sql`], or [`StateError::Corrupt`] for a stored ID that does not parse.
    pub fn contact_id(
        &self,
        account: &SessionId,
        name: &str,
    ) -> Result<Option<SessionId>, StateError> {
        self.address_book_table()?;
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT session_id FROM address_book WHERE account = ?1 AND name = ?2",
                params![account.to_string(), name],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("reading a contact"))?;
        id.map(|s| {
            s.parse()
                .map_err(|e| self.corrupt("address book", format!("{s}: {e}")))
        })
        .transpose()
    }

    /// `account`'s address book: (name, Session ID), by name.
    ///
    /// # Errors
    /// [`StateError::Sql`], or [`StateError::Corrupt`] for a stored ID that does not parse.
    pub fn contact_list(
        &self,
        account: &SessionId,
    ) -> Result<Vec<(String, SessionId)>, StateError> {
        self.address_book_table()?;
        let mut stmt = self
            .conn
            .prepare("SELECT name, session_id FROM address_book WHERE account = ?1 ORDER BY name")
            .map_err(self.sql("reading the address book"))?;
        let rows = stmt
            .query_map(params![account.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(self.sql("reading the address book"))?;
        rows.into_iter()
            .map(|(name, s)| match s.parse() {
                Ok(id) => Ok((name, id)),
                Err(e) => Err(self.corrupt("address book", format!("{s}: {e}"))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: u8) -> SessionId {
        format!("05{}", hex::encode([b; 32])).parse().unwrap()
    }

    #[test]
    fn contacts_are_kept_per_account_and_replaced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        let (me, other) = (id(1), id(2));
        assert!(s.contact_list(&me).unwrap().is_empty());
        assert!(!s.add_contact(&me, "mom", &id(3), false).unwrap());
        assert!(s.add_contact(&me, "mom", &id(4), false).unwrap());
        assert_eq!(s.contact_id(&me, "mom").unwrap(), Some(id(3)));
        assert!(s.add_contact(&me, "mom", &id(4), true).unwrap());
        assert_eq!(s.contact_id(&me, "mom").unwrap(), Some(id(4)));
        assert_eq!(s.contact_id(&me, "Mom").unwrap(), None);
        assert_eq!(s.contact_id(&other, "mom").unwrap(), None);
        s.add_contact(&me, "dad", &id(5), false).unwrap();
        assert_eq!(
            s.contact_list(&me).unwrap(),
            vec![("dad".to_owned(), id(5)), ("mom".to_owned(), id(4))]
        );
        assert!(s.remove_contact(&me, "mom").unwrap());
        assert!(!s.remove_contact(&me, "mom").unwrap());
        assert_eq!(s.contact_list(&me).unwrap().len(), 1);
    }

    #[test]
    fn contact_names_are_checked() {
        assert_eq!(check_contact_name("mom"), Ok(()));
        assert_eq!(check_contact_name("Tante Émilie"), Ok(()));
        assert_eq!(check_contact_name(""), Err(ContactNameError::Empty));
        assert_eq!(check_contact_name(" mom"), Err(ContactNameError::Padded));
        assert_eq!(check_contact_name("mom\t"), Err(ContactNameError::Padded));
        assert_eq!(
            check_contact_name("m\u{1b}m"),
            Err(ContactNameError::Control)
        );
        assert_eq!(
            check_contact_name("m\u{202e}m"),
            Err(ContactNameError::Control)
        );
        assert_eq!(check_contact_name(&"é".repeat(64)), Ok(()));
        assert_eq!(
            check_contact_name(&"é".repeat(65)),
            Err(ContactNameError::TooLong(65))
        );
        assert_eq!(
            check_contact_name(&id(7).to_string()),
            Err(ContactNameError::SessionId)
        );
    }
}
