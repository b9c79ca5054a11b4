//! The identity file: a small text envelope around the seed, in the style of age's key files.
//!
//! # Format
//! ```text
//! # sesh identity: keep this file secret
//! # created: 2026-11-26T07:50:00Z
//! # session id: 05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72
//! SESH-SECRET-SEED-HEX-0123456789abcdef0123456789abcdef00000000000000000000000000000000
//! ```
//!
//! Lines starting with `#` are comments and blank lines are ignored. Exactly one line holds the
//! secret: the prefix [`SECRET_PREFIX`] and the 32-byte Ed25519 seed as 64 hex characters (or
//! the 16-byte legacy seed as 32). When a `# session id:` comment is present it must match the
//! seed, which catches a file whose secret line was damaged.
//!
//! This module only formats and parses text; reading and writing files is [`crate::store`]'s.

use std::time::SystemTime;

use zeroize::Zeroizing;

use super::{Identity, Seed, SessionId};

/// The prefix of the line that holds the seed.
pub const SECRET_PREFIX: &str = "SESH-SECRET-SEED-HEX-";

/// The largest key file parsed, in bytes; anything larger is not a key file.
pub(crate) const MAX_LEN: usize = 64 * 1024;

/// Formats an identity as a key file, created at `created`.
pub fn encode(identity: &Identity, created: SystemTime) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# sesh identity: keep this file secret\n# created: {}\n# session id: {}\n{}{}\n",
        humantime::format_rfc3339_seconds(created),
        identity.session_id(),
        SECRET_PREFIX,
        Zeroizing::new(hex::encode(identity.seed().as_bytes())).as_str(),
    ))
}

/// Parses a key file.
///
/// # Errors
/// [`Error`] says what is wrong and on which line; the secret itself is never included.
pub fn decode(text: &[u8]) -> Result<Identity, Error> {
    if text.len() > MAX_LEN {
        return Err(Error::TooLarge { len: text.len() });
    }
    let text = std::str::from_utf8(text).map_err(|_| Error::NotText)?;
    let mut seed: Option<(usize, Seed)> = None;
    let mut claimed: Option<(usize, SessionId)> = None;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(id) = comment.trim().strip_prefix("session id:") {
                let id = id
                    .trim()
                    .parse()
                    .map_err(|_| Error::BadSessionIdComment { line: lineno })?;
                claimed = Some((lineno, id));
            }
            continue;
        }
        let Some(secret) = line.strip_prefix(SECRET_PREFIX) else {
            return Err(Error::UnexpectedLine { line: lineno });
        };
        if seed.is_some() {
            return Err(Error::SecondSecret { line: lineno });
        }
        seed = Some((lineno, parse_seed(secret, lineno)?));
    }
    let Some((_, seed)) = seed else {
        return Err(Error::NoSecret);
    };
    let identity = Identity::from_seed(seed);
    if let Some((line, id)) = claimed
        && id != identity.session_id()
    {
        return Err(Error::SessionIdMismatch { line });
    }
    Ok(identity)
}

fn parse_seed(secret: &str, line: usize) -> Result<Seed, Error> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    match secret.len() {
        64 => hex::decode_to_slice(secret, bytes.as_mut()),
        32 => hex::decode_to_slice(secret, &mut bytes[..16]),
        len => return Err(Error::SecretLength { line, len }),
    }
    .map_err(|_| Error::SecretNotHex { line })?;
    Ok(Seed::from_bytes(*bytes))
}

/// Why a key file did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Larger than any key file.
    #[error("{len} bytes is too large for a key file")]
    TooLarge {
        /// The size.
        len: usize,
    },
    /// Not UTF-8 text.
    #[error("not a text file")]
    NotText,
    /// A line that is neither a comment nor the secret.
    #[error("line {line} is neither a comment nor a '{SECRET_PREFIX}' line")]
    UnexpectedLine {
        /// 1-based line number.
        line: usize,
    },
    /// More than one secret line.
    #[error("line {line} is a second secret line")]
    SecondSecret {
        /// 1-based line number.
        line: usize,
    },
    /// No secret line at all.
    #[error("no '{SECRET_PREFIX}' line")]
    NoSecret,
    /// The secret has the wrong length.
    #[error("the secret on line {line} has {len} characters, expected 64")]
    SecretLength {
        /// 1-based line number.
        line: usize,
        /// Its length.
        len: usize,
    },
    /// The secret is not hex.
    #[error("the secret on line {line} is not hexadecimal")]
    SecretNotHex {
        /// 1-based line number.
        line: usize,
    },
    /// The `# session id:` comment does not parse.
    #[error("the session id comment on line {line} is not a Session ID")]
    BadSessionIdComment {
        /// 1-based line number.
        line: usize,
    },
    /// The `# session id:` comment names another account than the secret.
    #[error("the session id on line {line} does not match the secret (damaged file?)")]
    SessionIdMismatch {
        /// 1-based line number.
        line: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn identity() -> Identity {
        Identity::from_seed(Seed::from_legacy(&[7u8; 16]))
    }

    #[test]
    fn round_trips() {
        let id = identity();
        let text = encode(&id, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert!(
            text.contains("# created: 2023-11-14T22:13:20Z"),
            "{}",
            *text
        );
        let back = decode(text.as_bytes()).unwrap();
        assert_eq!(back.session_id(), id.session_id());
        assert_eq!(back.seed(), id.seed());
    }

    #[test]
    fn accepts_a_bare_secret_line_and_a_legacy_seed() {
        let line = format!("{SECRET_PREFIX}{}\n", "07".repeat(16));
        assert_eq!(
            decode(line.as_bytes()).unwrap().session_id(),
            identity().session_id()
        );
    }

    #[test]
    fn rejects_damage() {
        let text = encode(&identity(), UNIX_EPOCH).to_string();
        let damaged = text.replace(&format!("{SECRET_PREFIX}07"), &format!("{SECRET_PREFIX}08"));
        assert_eq!(
            decode(damaged.as_bytes()).unwrap_err(),
            Error::SessionIdMismatch { line: 3 }
        );
        assert_eq!(decode(b"# nothing\n").unwrap_err(), Error::NoSecret);
        assert_eq!(
            decode(b"hello\n").unwrap_err(),
            Error::UnexpectedLine { line: 1 }
        );
        assert_eq!(decode(&[0xff, 0xfe]).unwrap_err(), Error::NotText);
        let short = format!("{SECRET_PREFIX}abcd");
        assert_eq!(
            decode(short.as_bytes()).unwrap_err(),
            Error::SecretLength { line: 1, len: 4 }
        );
        let twice = format!("{text}{SECRET_PREFIX}{}\n", "00".repeat(32));
        assert_eq!(
            decode(twice.as_bytes()).unwrap_err(),
            Error::SecondSecret { line: 5 }
        );
    }
}
