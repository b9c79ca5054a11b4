//! The crate's error kinds: what went wrong decides the exit status and whether a retry helps.

use std::fmt;
use std::path::PathBuf;

use crate::identity;
use crate::message;
use crate::mnemonic;

/// What kind of failure an error is: decides the exit status and whether to retry.
///
/// The numbers are the exit statuses documented in `sesh(1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operation failed; repeating it unchanged will fail again (exit 1).
    Failure,
    /// The command line or an input was malformed (exit 2). Fix the input.
    InvalidInput,
    /// The network or another temporary condition failed (exit 3). A retry may help.
    Transient,
    /// Some items failed while others succeeded (exit 4).
    Partial,
}

impl ErrorKind {
    /// The process exit status for this kind of failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Failure => 1,
            Self::InvalidInput => 2,
            Self::Transient => 3,
            Self::Partial => 4,
        }
    }

    /// Whether repeating the operation may succeed.
    pub fn is_retriable(self) -> bool {
        matches!(self, Self::Transient)
    }

    /// A stable snake_case name, for JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::InvalidInput => "invalid_input",
            Self::Transient => "transient",
            Self::Partial => "partial",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors that know their [`ErrorKind`] and may carry a hint for the user.
///
/// The `sesh` binary takes a failed command's exit status and hint from this trait alone: a
/// library error becomes the binary's report only through a conversion that asks it, so
/// every error enum a command can return implements `HasKind` (an error type without it
/// does not compile into a report).
pub trait HasKind {
    /// The kind of failure.
    fn kind(&self) -> ErrorKind;

    /// One line telling the user what to do about it, where that helps.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// The crate's top-level error: what a command failed at, with the underlying cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Session ID did not parse.
    #[error("invalid Session ID '{}'", shorten(input))]
    SessionId {
        /// The text as given (a Session ID is public); shown cut short when it is far longer
        /// than a Session ID.
        input: String,
        /// Why it is not a usable Session ID.
        #[source]
        source: identity::ParseError,
    },
    /// A recovery phrase did not decode.
    #[error("invalid recovery phrase")]
    Phrase(#[source] mnemonic::DecodeError),
    /// A key file did not parse.
    #[error("invalid key file '{path}'")]
    KeyFile {
        /// Where the key file came from (`-` for standard input).
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: identity::keyfile::Error,
    },
    /// A key file is readable by other users.
    #[error("key file '{path}' is readable by others (mode {mode:03o})")]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The output file exists and `--force` was not given.
    #[error("'{path}' already exists")]
    AlreadyExists {
        /// The file that would have been overwritten.
        path: PathBuf,
    },
    /// No identity file where one was expected.
    #[error("no identity at '{path}'")]
    NoIdentity {
        /// Where sesh looked.
        path: PathBuf,
    },
    /// No home or data directory could be found for the default paths.
    #[error("no data directory could be determined for the default identity")]
    NoDataDir,
    /// No home or state directory could be found for the client's state.
    #[error("no state directory could be determined")]
    NoStateDir,
    /// Reading or writing a file or stream failed.
    #[error("{action} '{path}'")]
    Io {
        /// What sesh was doing, e.g. "reading".
        action: &'static str,
        /// The file or stream (`-` for standard input or output).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The identity cannot be shown as the requested phrase.
    #[error("this identity has no {format} recovery phrase")]
    NoPhrase {
        /// The phrase format asked for.
        format: &'static str,
    },
    /// The input was not what the command expects.
    #[error("{0}")]
    Input(String),
    /// A message could not be sealed (too long, or an unusable recipient key).
    #[error("cannot seal the message")]
    Seal(#[source] message::SealError),
    /// The text on standard input is longer than any sealed message can be: refused before
    /// reading it all.
    #[error("cannot seal the message: standard input holds more than {max} bytes of text")]
    TextTooLong {
        /// The most that was read before giving up.
        max: u64,
    },
    /// A stored message (one line of input) did not open.
    #[error("line {line}")]
    Open {
        /// The 1-based line number of the payload.
        line: usize,
        /// Why it did not open.
        #[source]
        source: message::OpenError,
    },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::SessionId { .. }
            | Self::Phrase(_)
            | Self::KeyFile { .. }
            | Self::Input(_)
            | Self::Seal(_)
            | Self::TextTooLong { .. }
            | Self::Open { .. } => ErrorKind::InvalidInput,
            Self::Io { source, .. } if is_transient_io(source) => ErrorKind::Transient,
            Self::KeyFilePermissions { .. }
            | Self::AlreadyExists { .. }
            | Self::NoIdentity { .. }
            | Self::NoDataDir
            | Self::NoStateDir
            | Self::Io { .. }
            | Self::NoPhrase { .. } => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::SessionId { source, .. } => source.hint().map(str::to_owned),
            Self::Phrase(e) => e.hint().map(str::to_owned),
            Self::KeyFile { .. } => {
                Some("a key file is made by 'sesh keygen' or 'sesh recover'".to_owned())
            }
            Self::KeyFilePermissions { path, .. } => Some(format!(
                "the file holds a secret key; run 'chmod 600 {}'",
                path.display()
            )),
            Self::AlreadyExists { .. } => Some("use --force to replace it".to_owned()),
            Self::NoIdentity { .. } => Some(
                "create one with 'sesh keygen' or 'sesh recover', or name one with -i FILE"
                    .to_owned(),
            ),
            Self::NoDataDir => Some("name the identity file with -i FILE".to_owned()),
            Self::NoStateDir => Some("name one with --state-dir DIR".to_owned()),
            Self::NoPhrase { .. } => Some(
                "only identities made from a 16-byte seed (all Session accounts) have one"
                    .to_owned(),
            ),
            Self::Seal(message::SealError::TooLarge { .. }) | Self::TextTooLong { .. } => Some(
                "a message must fit in 76 800 bytes once sealed; send a shorter text".to_owned(),
            ),
            Self::Open { source, .. } => match source {
                message::OpenError::Decrypt => {
                    Some("is it addressed to this identity? name another with -i FILE".to_owned())
                }
                _ => None,
            },
            Self::Io { .. } | Self::Input(_) | Self::Seal(_) => None,
        }
    }
}

/// The longest input quoted whole in an error; longer ones are cut (a pasted file is not
/// echoed back in full).
const MAX_QUOTED: usize = 80;

/// `s`, or its start and an ellipsis when it is longer than [`MAX_QUOTED`] characters.
fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_QUOTED) {
        None => s.into(),
        Some((end, _)) => format!("{}… ({} bytes)", &s[..end], s.len()).into(),
    }
}

fn is_transient_io(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::Interrupted | K::WouldBlock | K::TimedOut | K::ConnectionReset | K::ConnectionAborted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_session_id_is_quoted_cut_short() {
        let e = |input: &str| Error::SessionId {
            input: input.to_owned(),
            source: input.parse::<crate::SessionId>().unwrap_err(),
        };
        let short = "05abc";
        assert_eq!(e(short).to_string(), "invalid Session ID '05abc'");
        let long = "é".repeat(100_000);
        let shown = e(&long).to_string();
        assert!(shown.len() < 300, "{shown}");
        assert!(shown.ends_with("… (200000 bytes)'"), "{shown}");
    }

    #[test]
    fn too_much_text_is_invalid_input_with_the_seal_hint() {
        let e = Error::TextTooLong { max: 76_802 };
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            e.hint(),
            Error::Seal(message::SealError::TooLarge { len: 1, max: 1 }).hint()
        );
    }
}
