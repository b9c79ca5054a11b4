//! The commands: each turns resolved arguments into library calls and prints the result.

mod devnet;
mod identity;
mod message;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use sesh::cli::{Command, GlobalArgs, IdentityArg};
use sesh::{ErrorKind, Identity, store};

/// What every command needs: the output mode and the streams.
pub(crate) struct Ctx {
    pub(crate) json: bool,
    pub(crate) quiet: bool,
}

impl Ctx {
    pub(crate) fn new(global: &GlobalArgs) -> Self {
        Self {
            json: global.json,
            quiet: global.quiet,
        }
    }

    /// A note for people on standard error, unless `--quiet`.
    pub(crate) fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "sesh: {msg}");
        }
    }

    /// Writes one line of data on standard output.
    pub(crate) fn line(&self, text: impl std::fmt::Display) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")
            .and_then(|()| out.flush())
            .context("writing to standard output")
    }

    /// Writes one JSON Lines object on standard output.
    pub(crate) fn json_line(&self, value: &serde_json::Value) -> anyhow::Result<()> {
        self.line(value)
    }

    /// Loads the identity named by `-i`, `SESH_IDENTITY` or the default path.
    pub(crate) fn load_identity(&self, arg: &IdentityArg) -> anyhow::Result<Identity> {
        let path = match &arg.identity {
            Some(p) => p.clone(),
            None => store::default_identity_path()?,
        };
        if is_stdio(&path) {
            return Ok(store::read_identity_from(
                std::io::stdin().lock(),
                Path::new("-"),
            )?);
        }
        Ok(store::read_identity(&path)?)
    }
}

/// `-` names standard input or output.
pub(crate) fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Reads all of standard input, up to `limit` bytes.
pub(crate) fn read_stdin(limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|source| sesh::Error::Io {
            action: "reading",
            path: PathBuf::from("-"),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(
            sesh::Error::Input(format!("standard input is larger than {limit} bytes")).into(),
        );
    }
    Ok(buf)
}

/// Whether standard input is a terminal (then secrets are prompted for, without echo).
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// A failure already reported item by item: only its kind is left to decide the exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failed {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

/// Runs one command.
pub(crate) fn run(ctx: &Ctx, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Keygen(a) => identity::keygen(ctx, &a),
        Command::Recover(a) => identity::recover(ctx, &a),
        Command::Id(a) => identity::id(ctx, &a),
        Command::Phrase(a) => identity::phrase(ctx, &a),
        Command::Seal(a) => message::seal(ctx, &a),
        Command::Open(a) => message::open(ctx, &a),
        Command::Devnet(a) => devnet::run(ctx, &a),
    }?;
    Ok(ExitCode::SUCCESS)
}
