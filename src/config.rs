//! The configuration file (`sesh-config(5)`): defaults for the options people give every
//! time. Sans-IO: [`Config::parse`] reads the text; the binary finds and reads the file.
//!
//! ```toml
//! identity = "~/keys/bot.identity"   # default for -i
//! network = "testnet"                # default for --network (a name or a network file)
//! display_name = "Bot"               # default for send --name
//! ttl = "7d"                         # default for send --ttl
//! attachments_dir = "~/Downloads"    # default for receive --save-attachments
//! daemon_socket = "/run/user/1000/sesh.sock"
//! ```
//!
//! Precedence, applied by the binary: command line > environment (`SESH_*`) > this file >
//! built-in default. Every key is optional; an unknown key is an error (a typo must not
//! silently do nothing), and so is a value of the wrong type.

use std::path::PathBuf;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

/// The keys a configuration file may have, in the order `sesh config show` lists them.
pub const KEYS: &[&str] = &[
    "identity",
    "network",
    "display_name",
    "ttl",
    "attachments_dir",
    "daemon_socket",
];

/// The values a configuration file sets; `None`: not set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The default identity file (`-i`).
    pub identity: Option<PathBuf>,
    /// The default network: a built-in name or a network file (`--network`).
    pub network: Option<String>,
    /// The default display name of `sesh send` (`--name`).
    pub display_name: Option<String>,
    /// The default TTL of `sesh send` (`--ttl`), within what a swarm keeps (10s to 14d).
    pub ttl: Option<Duration>,
    /// The default directory of `sesh receive --save-attachments`.
    pub attachments_dir: Option<PathBuf>,
    /// The Unix socket `sesh daemon` listens on.
    pub daemon_socket: Option<PathBuf>,
}

/// Why a configuration file was refused; every variant names the line and column (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not TOML.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// Where.
        line: usize,
        /// Where in the line.
        column: usize,
        /// What the TOML parser said.
        message: String,
    },
    /// A key sesh does not know (a typo, or a newer sesh's).
    #[error("line {line}, column {column}: unknown key '{key}' (known: {})", KEYS.join(", "))]
    UnknownKey {
        /// The key.
        key: String,
        /// Where.
        line: usize,
        /// Where in the line.
        column: usize,
    },
    /// A known key with a value it cannot have.
    #[error("line {line}, column {column}: {key}: {message}")]
    Value {
        /// The key.
        key: &'static str,
        /// Where.
        line: usize,
        /// Where in the line.
        column: usize,
        /// Why.
        message: String,
    },
}

impl ConfigError {
    /// The line (from 1) the error is on.
    #[must_use]
    pub fn line(&self) -> usize {
        match self {
            Self::Syntax { line, .. }
            | Self::UnknownKey { line, .. }
            | Self::Value { line, .. } => *line,
        }
    }
}

/// Line and column (both from 1, the column in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl Config {
    /// Reads a configuration file's text.
    ///
    /// # Errors
    /// [`ConfigError`]: not TOML, an unknown key (a table is one too), or a bad value: every
    /// value is a string; `ttl` a duration from 10s to 14d (as `send --ttl`); `display_name`
    /// as `sesh profile set --name` accepts; paths and names not empty.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let table = DeTable::parse(text).map_err(|e| {
            let (line, column) = position(text, e.span().map_or(0, |s| s.start));
            ConfigError::Syntax {
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        let mut config = Self::default();
        for (key, value) in table.get_ref() {
            let at = |span: std::ops::Range<usize>| position(text, span.start);
            let Some(&name) = KEYS.iter().find(|k| **k == key.get_ref().as_ref()) else {
                let (line, column) = at(key.span());
                return Err(ConfigError::UnknownKey {
                    key: key.get_ref().to_string(),
                    line,
                    column,
                });
            };
            let (line, column) = at(value.span());
            let bad = |message: String| ConfigError::Value {
                key: name,
                line,
                column,
                message,
            };
            let DeValue::String(s) = value.get_ref() else {
                return Err(bad(format!(
                    "must be a string, not {}",
                    value.get_ref().type_str()
                )));
            };
            let s = s.to_string();
            if s.is_empty() {
                return Err(bad("must not be empty".into()));
            }
            match name {
                "identity" => config.identity = Some(PathBuf::from(s)),
                "network" => config.network = Some(s),
                "display_name" => {
                    crate::profile::check_name(&s).map_err(|e| bad(e.to_string()))?;
                    config.display_name = Some(s);
                }
                "ttl" => config.ttl = Some(crate::cli::parse_ttl(&s).map_err(bad)?),
                "attachments_dir" => config.attachments_dir = Some(PathBuf::from(s)),
                _ => config.daemon_socket = Some(PathBuf::from(s)),
            }
        }
        Ok(config)
    }
}

/// Where a setting's value came from (`sesh config show`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The command line.
    Flag,
    /// An environment variable.
    Env,
    /// The configuration file.
    File,
    /// sesh's own default.
    Default,
}

impl Source {
    /// How `sesh config show` names it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flag => "command line",
            Self::Env => "environment",
            Self::File => "file",
            Self::Default => "default",
        }
    }
}

/// One setting by precedence: `given` (the command line or the environment, with its
/// source), else `file`, else `builtin`.
#[must_use]
pub fn pick<T>(given: Option<(T, Source)>, file: Option<T>, builtin: T) -> (T, Source) {
    match (given, file) {
        (Some(g), _) => g,
        (None, Some(f)) => (f, Source::File),
        (None, None) => (builtin, Source::Default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read() {
        let c = Config::parse(
            "identity = \"/k/id\"\nnetwork = \"testnet\"\ndisplay_name = \"Bot\"\n\
             ttl = \"7d\"\nattachments_dir = \"/dl\"\ndaemon_socket = \"/run/s.sock\"\n",
        )
        .unwrap();
        assert_eq!(c.identity, Some(PathBuf::from("/k/id")));
        assert_eq!(c.network.as_deref(), Some("testnet"));
        assert_eq!(c.display_name.as_deref(), Some("Bot"));
        assert_eq!(c.ttl, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(c.attachments_dir, Some(PathBuf::from("/dl")));
        assert_eq!(c.daemon_socket, Some(PathBuf::from("/run/s.sock")));
        assert_eq!(Config::parse("# nothing\n\n").unwrap(), Config::default());
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let e = Config::parse("network = \"testnet\"\n\n  netwrok = \"mainnet\"\n").unwrap_err();
        assert_eq!(
            e,
            ConfigError::UnknownKey {
                key: "netwrok".into(),
                line: 3,
                column: 3
            }
        );
        assert!(
            e.to_string()
                .starts_with("line 3, column 3: unknown key 'netwrok'")
        );
        // A table is no key sesh knows either.
        assert_eq!(Config::parse("[daemon]\nx = 1\n").unwrap_err().line(), 1);
    }

    #[test]
    fn bad_values_and_syntax_name_their_line() {
        let e = Config::parse("network = \"testnet\"\nttl = \"15d\"\n").unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Value {
                    key: "ttl",
                    line: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Config::parse("ttl = 7\n").unwrap_err();
        assert!(e.to_string().contains("must be a string"), "{e}");
        let e = Config::parse("display_name = \"a\\u0007b\"\n").unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Value {
                    key: "display_name",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Config::parse("identity = \"\"\n").unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Value {
                    key: "identity",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Config::parse("network = \"testnet\"\nnetwork = \n").unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn precedence_is_given_then_file_then_builtin() {
        assert_eq!(pick(Some((1, Source::Env)), Some(2), 3), (1, Source::Env));
        assert_eq!(pick(None, Some(2), 3), (2, Source::File));
        assert_eq!(pick(None::<(i32, Source)>, None, 3), (3, Source::Default));
    }
}
