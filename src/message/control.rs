//! The Content of the conversation's other kinds (issue 13, deliverable 4): a reaction, a
//! read receipt, a typing indicator and a message request's acceptance. Pure builders: the
//! timestamp is an argument, and each Content carries it as `sigTimestamp` (§3.5), to be
//! sealed with [`super::seal_content`] at the same time.
//!
//! What they carry besides their own message follows session-python 1.0.5 (`client.py`) and
//! session-desktop:
//! - a reaction is a `dataMessage` with the legacy `timestamp`, the `reaction` and no `body`,
//!   plus the sender's profile as every visible message carries it (session-python sends the
//!   display name); its copy for the sender's other devices names the conversation in
//!   `syncTarget`, as for a text message;
//! - a read receipt is `receiptMessage { type READ, timestamp… }` alone (never synced);
//! - a typing indicator is `typingMessage { timestamp, action }` alone (never synced);
//! - an acceptance is `messageRequestResponse { isApproved true, profileKey, profile }`, the
//!   key and picture only together, as session-python and desktop send them.

use crate::identity::SessionId;
use crate::message::Outgoing;
use crate::message::wire::{
    Content, DataMessage, LokiProfile, MessageRequestResponse, Reaction, ReceiptMessage,
    TypingMessage,
};

/// How long a swarm keeps a typing indicator (session-desktop `TTL_DEFAULT.TYPING_MESSAGE`,
/// §3.5): 20 seconds.
pub const TYPING_TTL_MS: u64 = 20 * 1000;

/// How long a swarm keeps the other kinds (session-desktop `TTL_DEFAULT.CONTENT_MESSAGE`):
/// 14 days.
pub const CONTROL_TTL_MS: u64 = 14 * 24 * 60 * 60 * 1000;

/// The longest emoji a reaction may carry, in bytes: room for the longest ZWJ sequences
/// (family emoji with skin tones are about 40 bytes), short enough that a reaction is never
/// used as a message.
pub const MAX_EMOJI_LEN: usize = 64;

/// `ReceiptMessage.type` READ.
const RECEIPT_READ: u32 = 1;

/// `Reaction.action` REACT.
const REACT: u32 = 0;
/// `Reaction.action` REMOVE.
const REMOVE: u32 = 1;

/// `TypingMessage.action` STARTED.
const STARTED: u32 = 0;
/// `TypingMessage.action` STOPPED.
const STOPPED: u32 = 1;

/// Why a control message's input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The emoji is empty (or only white space).
    #[error("the emoji is empty")]
    EmptyEmoji,
    /// The emoji is longer than [`MAX_EMOJI_LEN`] bytes.
    #[error("the emoji is {len} bytes long; a reaction carries at most {max}")]
    EmojiTooLong {
        /// Its length in bytes.
        len: usize,
        /// [`MAX_EMOJI_LEN`].
        max: usize,
    },
    /// The emoji holds a control character or white space.
    #[error("the emoji holds a control character or white space")]
    EmojiControl,
    /// A read receipt names no message.
    #[error("a read receipt needs at least one message timestamp")]
    NoTimestamps,
}

/// A reaction to the message sent at `timestamp_ms` by `author`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionTo {
    /// The reacted message's timestamp (its envelope timestamp), in ms.
    pub timestamp_ms: u64,
    /// Who sent the reacted message.
    pub author: SessionId,
    /// The emoji.
    pub emoji: String,
    /// Whether the reaction is taken back rather than added.
    pub remove: bool,
}

/// Checks that `emoji` is what a reaction may carry: not empty, at most [`MAX_EMOJI_LEN`]
/// bytes, no control characters or white space.
///
/// # Errors
/// The [`ControlError`] saying which.
pub fn check_emoji(emoji: &str) -> Result<(), ControlError> {
    if emoji.trim().is_empty() {
        return Err(ControlError::EmptyEmoji);
    }
    if emoji.len() > MAX_EMOJI_LEN {
        return Err(ControlError::EmojiTooLong {
            len: emoji.len(),
            max: MAX_EMOJI_LEN,
        });
    }
    if emoji.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ControlError::EmojiControl);
    }
    Ok(())
}

/// The profile part of `from` (display name, picture, update time) as a visible message
/// carries it: the `profile` and the `profileKey`.
fn profile_of(from: &Outgoing, timestamp_ms: u64) -> (Option<LokiProfile>, Option<Vec<u8>>) {
    let data = from
        .to_content(timestamp_ms)
        .data_message
        .unwrap_or_default();
    (data.profile, data.profile_key)
}

/// The Content of a reaction sent at `timestamp_ms`, with the profile `from` carries (its text
/// and attachments are ignored) and, for the copy to the sender's other devices, its
/// `syncTarget` (see [`Outgoing::sync_copy`]).
pub fn reaction(r: &ReactionTo, from: &Outgoing, timestamp_ms: u64) -> Content {
    let (profile, profile_key) = profile_of(from, timestamp_ms);
    Content {
        data_message: Some(DataMessage {
            timestamp: Some(timestamp_ms),
            reaction: Some(Reaction {
                id: r.timestamp_ms,
                author: r.author.to_string(),
                emoji: Some(r.emoji.clone()),
                action: if r.remove { REMOVE } else { REACT },
            }),
            profile,
            profile_key,
            sync_target: from.sync_target.map(|t| t.to_string()),
            ..DataMessage::default()
        }),
        sig_timestamp: Some(timestamp_ms),
        ..Content::default()
    }
}

/// The Content of a read receipt for the messages sent at `timestamps` (ms), sent at
/// `timestamp_ms`.
///
/// # Errors
/// [`ControlError::NoTimestamps`] when `timestamps` is empty.
pub fn read_receipt(timestamps: &[u64], timestamp_ms: u64) -> Result<Content, ControlError> {
    if timestamps.is_empty() {
        return Err(ControlError::NoTimestamps);
    }
    Ok(Content {
        receipt_message: Some(ReceiptMessage {
            r#type: RECEIPT_READ,
            timestamp: timestamps.to_vec(),
        }),
        sig_timestamp: Some(timestamp_ms),
        ..Content::default()
    })
}

/// The Content of a typing indicator (`started`, or stopped) sent at `timestamp_ms`.
pub fn typing(started: bool, timestamp_ms: u64) -> Content {
    Content {
        typing_message: Some(TypingMessage {
            timestamp: timestamp_ms,
            action: if started { STARTED } else { STOPPED },
        }),
        sig_timestamp: Some(timestamp_ms),
        ..Content::default()
    }
}

/// The Content that accepts a message request, sent at `timestamp_ms`, with the profile
/// `from` carries (its text and attachments are ignored).
pub fn request_accepted(from: &Outgoing, timestamp_ms: u64) -> Content {
    let (profile, profile_key) = profile_of(from, timestamp_ms);
    Content {
        message_request_response: Some(MessageRequestResponse {
            is_approved: true,
            profile_key,
            profile,
        }),
        sig_timestamp: Some(timestamp_ms),
        ..Content::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ProfilePicture;

    const T: u64 = 1_700_000_000_123;

    fn author() -> SessionId {
        format!("05{}", "ab".repeat(32)).parse().unwrap()
    }

    #[test]
    fn a_reaction_is_a_data_message_without_body() {
        let r = ReactionTo {
            timestamp_ms: 1_699_999_999_000,
            author: author(),
            emoji: "👍".into(),
            remove: false,
        };
        let mut from = Outgoing::new("ignored");
        from.display_name = Some("bot".into());
        let c = reaction(&r, &from, T);
        assert_eq!(c.sig_timestamp, Some(T));
        let d = c.data_message.unwrap();
        assert_eq!(d.body, None);
        assert_eq!(d.timestamp, Some(T));
        assert_eq!(d.sync_target, None);
        assert_eq!(d.profile.unwrap().display_name.as_deref(), Some("bot"));
        assert_eq!(
            d.reaction,
            Some(Reaction {
                id: 1_699_999_999_000,
                author: author().to_string(),
                emoji: Some("👍".into()),
                action: REACT,
            })
        );
        let removed = ReactionTo { remove: true, ..r };
        let c = reaction(&removed, &from.sync_copy(&author()), T);
        let d = c.data_message.unwrap();
        assert_eq!(d.reaction.unwrap().action, REMOVE);
        assert_eq!(d.sync_target, Some(author().to_string()));
    }

    #[test]
    fn receipts_and_typing_carry_only_their_message() {
        let c = read_receipt(&[5, 7], T).unwrap();
        assert_eq!(c.sig_timestamp, Some(T));
        assert_eq!(c.data_message, None);
        let r = c.receipt_message.unwrap();
        assert_eq!((r.r#type, r.timestamp), (RECEIPT_READ, vec![5, 7]));
        assert_eq!(read_receipt(&[], T), Err(ControlError::NoTimestamps));

        let c = typing(true, T);
        assert_eq!(c.sig_timestamp, Some(T));
        assert_eq!(c.data_message, None);
        assert_eq!(
            c.typing_message,
            Some(TypingMessage {
                timestamp: T,
                action: STARTED
            })
        );
        assert_eq!(typing(false, T).typing_message.unwrap().action, STOPPED);
    }

    #[test]
    fn an_acceptance_carries_the_profile_key_with_the_picture_only() {
        let c = request_accepted(&Outgoing::new(""), T);
        assert_eq!(c.data_message, None);
        let m = c.message_request_response.unwrap();
        assert!(m.is_approved);
        assert_eq!((m.profile, m.profile_key), (None, None));
        assert_eq!(c.sig_timestamp, Some(T));

        let mut from = Outgoing::new("");
        from.display_name = Some("bot".into());
        from.profile_picture = Some(ProfilePicture::new("http://fs/file/7", [5; 32]));
        let m = request_accepted(&from, T).message_request_response.unwrap();
        assert_eq!(m.profile_key, Some(vec![5; 32]));
        let p = m.profile.unwrap();
        assert_eq!(p.display_name.as_deref(), Some("bot"));
        assert_eq!(p.profile_picture.as_deref(), Some("http://fs/file/7"));
    }

    #[test]
    fn emoji_are_held_to_short_visible_text() {
        assert_eq!(check_emoji("👍"), Ok(()));
        assert_eq!(check_emoji("👨‍👩‍👧‍👦"), Ok(()));
        assert_eq!(check_emoji(""), Err(ControlError::EmptyEmoji));
        assert_eq!(check_emoji("  "), Err(ControlError::EmptyEmoji));
        assert_eq!(check_emoji("a\u{1b}b"), Err(ControlError::EmojiControl));
        assert_eq!(check_emoji("a b"), Err(ControlError::EmojiControl));
        assert_eq!(
            check_emoji(&"x".repeat(65)),
            Err(ControlError::EmojiTooLong { len: 65, max: 64 })
        );
    }
}
