//! The commands: each turns resolved arguments into library calls and prints the result.

mod config;
mod contact;
mod conversation;
mod daemon;
mod devnet;
mod identity;
mod message;
mod network;
mod path;
mod probe;
mod profile;
mod receive;
mod resolve;
mod send;
mod swarm;
mod unsend;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock, PoisonError};

use rand_core::OsRng;
use sesh::cli::{Command, GlobalArgs, IdentityArg};
use sesh::client::Client;
use sesh::clock::SystemClock;
use sesh::network::Network;
use sesh::transport::http::HttpTransport;
use sesh::{Identity, SessionId, store};

use crate::escape;
use crate::output::Record;
use crate::render::Report;

/// What a command returns: a [`Report`] on failure.
pub(crate) type Result<T, E = Report> = std::result::Result<T, E>;

/// The largest network file read (a devnet's is a few hundred bytes; a long list of known
/// nodes, a few hundred KiB).
const MAX_NETWORK_FILE: u64 = 1 << 20;

/// The network client the commands use.
pub(crate) type NetClient = Client<HttpTransport, SystemClock, OsRng>;

/// What every command needs: the output mode, the streams, where the network is, and the
/// configuration file's settings. Shared between threads by `sesh daemon`.
pub(crate) struct Ctx {
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    network: String,
    state_dir: Option<PathBuf>,
    /// Where the `network` came from (`sesh config show`).
    network_source: sesh::config::Source,
    /// The configuration file's path, once [`Ctx::configure`]d.
    config_path: Option<PathBuf>,
    /// The configuration file's settings (none until [`Ctx::configure`]d).
    config: sesh::config::Config,
    /// The command's `-i`, whose address book recipients are looked up in.
    recipient_identity: Option<PathBuf>,
    /// The Session ID of that identity, once read (`None`: it could not be).
    owner: OnceLock<Option<SessionId>>,
    /// An identity read to look contacts up, for [`Ctx::load_identity`] to take (an identity
    /// from standard input or a FIFO can be read once only).
    read_identity: Mutex<Option<(PathBuf, Identity)>>,
}

impl Clone for Ctx {
    /// The same settings; an identity kept for [`Ctx::load_identity`] stays with the
    /// original.
    fn clone(&self) -> Self {
        Self {
            json: self.json,
            quiet: self.quiet,
            network: self.network.clone(),
            state_dir: self.state_dir.clone(),
            network_source: self.network_source,
            config_path: self.config_path.clone(),
            config: self.config.clone(),
            recipient_identity: self.recipient_identity.clone(),
            owner: self.owner.clone(),
            read_identity: Mutex::new(None),
        }
    }
}

impl Ctx {
    pub(crate) fn new(global: &GlobalArgs) -> Self {
        Self {
            json: global.json,
            quiet: global.quiet,
            network: global.network.clone(),
            state_dir: global.state_dir.clone(),
            network_source: sesh::config::Source::Default,
            config_path: None,
            config: sesh::config::Config::default(),
            recipient_identity: None,
            owner: OnceLock::new(),
            read_identity: Mutex::new(None),
        }
    }

    /// The configuration file's settings (after the command line and the environment were
    /// applied, the file's own values: e.g. `daemon_socket`).
    pub(crate) fn config(&self) -> &sesh::config::Config {
        &self.config
    }

    /// The identity file: `-i` (or `SESH_IDENTITY`), else the configuration file's, else the
    /// default identity file.
    fn identity_path(&self, given: Option<&Path>) -> Result<PathBuf> {
        Ok(match (given, self.config.identity.as_deref()) {
            (Some(p), _) | (None, Some(p)) => p.to_owned(),
            (None, None) => store::default_identity_path()?,
        })
    }

    /// The Session ID of the identity whose address book recipients are looked up in: the
    /// command's identity, read once (and kept for [`Ctx::load_identity`]). `None` when there
    /// is no identity file: recipients then go without contacts (a command that needs the
    /// identity says so when it loads it). An identity that cannot be read is an error.
    pub(crate) fn owner(&self) -> Result<Option<SessionId>> {
        if let Some(id) = self.owner.get() {
            return Ok(*id);
        }
        let path = self.identity_path(self.recipient_identity.as_deref())?;
        let id = match read_identity_at(&path) {
            Ok(identity) => {
                let id = identity.session_id();
                *self
                    .read_identity
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some((path, identity));
                Some(id)
            }
            Err(sesh::Error::NoIdentity { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(*self.owner.get_or_init(|| id))
    }

    /// The network named by `--network`: a built-in name, else a network file.
    pub(crate) fn network(&self) -> Result<Network> {
        if let Some(net) = Network::builtin(&self.network) {
            return Ok(net);
        }
        let path = Path::new(&self.network);
        let bad = |what: &str| -> Report {
            sesh::Error::Input(format!("network file '{}': {what}", path.display())).into()
        };
        let file = match store::open_input(path, store::FIFO_WRITER_WAIT) {
            Ok(f) => f,
            Err(e) if store::is_no_writer(&e) => return Err(bad(&e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(sesh::Error::Input(format!(
                    "unknown network '{}': not mainnet or testnet, and no such network file",
                    self.network
                ))
                .into());
            }
            Err(source) => {
                return Err(sesh::Error::Io {
                    action: "reading network file",
                    path: path.to_owned(),
                    source,
                }
                .into());
            }
        };
        let io = |source| sesh::Error::Io {
            action: "reading network file",
            path: path.to_owned(),
            source,
        };
        if file.metadata().map_err(io)?.is_dir() {
            return Err(bad("a directory, not a network file"));
        }
        // Bounded: `--network /dev/zero` is refused, not read until memory runs out.
        let mut bytes = Vec::new();
        file.take(MAX_NETWORK_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_NETWORK_FILE {
            return Err(bad(&format!(
                "larger than {MAX_NETWORK_FILE} bytes, more than any network file"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
        Network::from_toml(&text).map_err(|e| bad(&e.to_string()))
    }

    /// A client of the `--network`, with its state in `--state-dir`/NETWORK.
    pub(crate) fn client(&self) -> Result<NetClient> {
        self.client_with(|_| {})
    }

    /// [`Ctx::client`], calling `done` with the name of each step as it ends (for timings:
    /// "network file", "transport", "state open").
    pub(crate) fn client_with(&self, mut done: impl FnMut(&'static str)) -> Result<NetClient> {
        let network = self.network()?;
        let dir = self.state_dir_of(&network)?;
        done("network file");
        // `SetupError` has no kind: a TLS setup that fails will fail again.
        let transport = HttpTransport::new().map_err(Report::failure)?;
        done("transport");
        let client = Client::open(network, &dir, transport, SystemClock, OsRng)?;
        done("state open");
        Ok(client)
    }

    /// The state directory of `network`: `--state-dir`/NETWORK.
    fn state_dir_of(&self, network: &Network) -> Result<PathBuf> {
        let base = match &self.state_dir {
            Some(d) => d.clone(),
            None => store::default_state_dir()?,
        };
        Ok(base.join(&network.name))
    }

    /// The state database of the `--network`, without a network client (for what is kept
    /// per identity: the profile).
    pub(crate) fn state(&self) -> Result<sesh::client::State> {
        let dir = self.state_dir_of(&self.network()?)?;
        Ok(sesh::client::State::open(&dir)?)
    }

    /// A note for people on standard error, unless `--quiet`; control characters escaped
    /// (a note can quote a node).
    pub(crate) fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr(),
                "sesh: {}",
                escape::line(&msg.to_string())
            );
        }
    }

    /// Writes one line of data on standard output.
    pub(crate) fn line(&self, text: impl std::fmt::Display) -> Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")
            .and_then(|()| out.flush())
            .map_err(|source| sesh::Error::Io {
                action: "writing",
                path: PathBuf::from("-"),
                source,
            })?;
        Ok(())
    }

    /// Writes one JSON Lines record on standard output.
    pub(crate) fn record(&self, record: &Record<'_>) -> Result<()> {
        let text = serde_json::to_string(record).map_err(Report::failure)?;
        self.line(text)
    }

    /// Loads the identity named by `-i`, `SESH_IDENTITY`, the configuration file or the
    /// default path.
    pub(crate) fn load_identity(&self, arg: &IdentityArg) -> Result<Identity> {
        let path = self.identity_path(arg.identity.as_deref())?;
        let mut read = self
            .read_identity
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if read.as_ref().is_some_and(|(p, _)| *p == path)
            && let Some((_, identity)) = read.take()
        {
            return Ok(identity);
        }
        Ok(read_identity_at(&path)?)
    }
}

/// Reads the identity file at `path` ('-': standard input).
fn read_identity_at(path: &Path) -> std::result::Result<Identity, sesh::Error> {
    if is_stdio(path) {
        return store::read_identity_from(std::io::stdin().lock(), Path::new("-"));
    }
    store::read_identity(path)
}

/// The `-i` of a command that takes recipients (whose address book they are looked up in).
fn recipient_identity(command: &Command) -> Option<&IdentityArg> {
    match command {
        Command::Send(a) => Some(&a.identity),
        Command::Seal(a) => Some(&a.identity),
        Command::Swarm(a) => Some(&a.identity),
        Command::React(a) => Some(&a.identity),
        Command::Read(a) => Some(&a.identity),
        Command::Typing(a) => Some(&a.identity),
        Command::Accept(a) => Some(&a.identity),
        _ => None,
    }
}

/// The threads `open` and `receive` decrypt on: `SESH_THREADS` when it is a positive number,
/// else one per core this process may run on.
pub(crate) fn workers() -> sesh::parallel::Workers {
    sesh::parallel::Workers::from_env_or_available(std::env::var("SESH_THREADS").ok().as_deref())
}

/// Runs a future to completion on a runtime for this command.
pub(crate) fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(f))
}

/// The single-threaded runtime a command runs its futures on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Report::failure(e).context("starting the async runtime"))
}

/// `-` names standard input or output.
pub(crate) fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Reads all of standard input, up to `limit` bytes: `None` when there is more.
pub(crate) fn read_stdin(limit: u64) -> Result<Option<Vec<u8>>> {
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
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

/// Whether standard input is a terminal (then secrets are prompted for, without echo).
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Runs one command.
pub(crate) fn run(ctx: &Ctx, command: Command) -> Result<ExitCode> {
    match command {
        Command::Keygen(a) => identity::keygen(ctx, &a),
        Command::Recover(a) => identity::recover(ctx, &a),
        Command::Id(a) => identity::id(ctx, &a),
        Command::Phrase(a) => identity::phrase(ctx, &a),
        Command::Seal(a) => message::seal(ctx, &a),
        Command::Open(a) => message::open(ctx, &a),
        Command::Devnet(a) => devnet::run(ctx, &a),
        Command::Nodes(a) => network::nodes(ctx, &a),
        Command::Send(a) => send::run(ctx, &a),
        Command::Receive(a) => receive::run(ctx, &a),
        Command::Probe(a) => probe::run(ctx, &a),
        Command::Path(a) => path::run(ctx, &a),
        Command::Swarm(a) => swarm::run(ctx, &a),
        Command::Resolve(a) => resolve::run(ctx, &a),
        Command::Profile(a) => profile::run(ctx, &a),
        Command::Delete(a) => unsend::delete(ctx, &a),
        Command::Unsend(a) => unsend::unsend(ctx, &a),
        Command::React(a) => conversation::react(ctx, &a),
        Command::Read(a) => conversation::read(ctx, &a),
        Command::Typing(a) => conversation::typing(ctx, &a),
        Command::Accept(a) => conversation::accept(ctx, &a),
        Command::Daemon(a) => daemon::run(ctx, &a),
        Command::Config(a) => config::run(ctx, &a),
        Command::Contact(a) => contact::run(ctx, &a),
    }?;
    Ok(ExitCode::SUCCESS)
}
