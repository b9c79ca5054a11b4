//! `sesh-node`: a local service node. Opens its directory, listens, prints its address, and
//! serves until SIGINT or SIGTERM.

#![expect(clippy::print_stderr, reason = "CLI errors")]

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use sesh::HasKind as _;
use sesh::cli::NodeCli;
use sesh::clock::{Clock, OffsetClock, SystemClock};
use sesh::node::hostile::{self, Hostile, Mode};
use sesh::node::peer::{MAX_SERVER_ANSWER, Peer, SERVER_TIMEOUT, ServerClient};
use sesh::node::roster::RosterFile;
use sesh::node::service::{NodeService, PEER_TIMEOUT, Role};
use sesh::node::{self, Config, Home, Log, Service, files};

fn main() -> ExitCode {
    let cli = match NodeCli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    // Test-only misbehaviour, read before anything starts: a bad value is a usage error, and
    // a node told to lie says so at once, however it was started.
    let misbehave = match Misbehave::from_env() {
        Ok(m) => m,
        Err((e, hint)) => {
            eprintln!("sesh-node: error: {e:#}");
            eprintln!("hint: {hint}");
            return ExitCode::from(2);
        }
    };
    if let Some(mode) = &misbehave.mode {
        eprintln!("sesh-node: {}", hostile::warning(mode));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sesh-node: error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(cli, misbehave)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sesh-node: error: {e:#}");
            let kind = e.chain().find_map(|c| c.downcast_ref::<node::Error>());
            if let Some(hint) = kind.and_then(|k| k.hint()) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(kind.map_or(1, |k| k.kind().exit_code()))
        }
    }
}

/// Help and version on standard output (a failed write is exit 1); a usage error as one
/// `sesh-node: error:` line and a hint, exit 2.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        let mut out = std::io::stdout().lock();
        let written = if std::io::IsTerminal::is_terminal(&out) {
            e.print()
        } else {
            write!(out, "{}", e.render()).and_then(|()| out.flush())
        };
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sesh-node: error: writing to standard output: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let (line, tip) = sesh::cli::usage_error(e);
    eprintln!("sesh-node: error: {line}");
    match tip {
        Some(tip) => eprintln!("hint: {tip}; see 'sesh-node --help'"),
        None => eprintln!("hint: see 'sesh-node --help'"),
    }
    ExitCode::from(2)
}

async fn serve(cli: NodeCli, misbehave: Misbehave) -> anyhow::Result<()> {
    if cli.file_server {
        return serve_files(cli).await;
    }
    let mut config = Config {
        listen: cli.listen,
        ..Config::new(&cli.dir)
    };
    // Room for every connection slot and the node's own files and connections besides.
    let fd_limit = node::raise_fd_limit();
    config.limits.max_connections =
        node::connections_within_fd_limit(config.limits.max_connections, fd_limit);
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(OffsetClock {
        inner: SystemClock,
        offset_ms: cli.clock_offset_ms,
    });
    let home = Home::open(&config.dir, clock.now(), &mut rand_core::OsRng)?;
    let log = match &cli.log {
        Some(p) if p.as_os_str() == "-" => Log::stderr(Arc::clone(&clock)),
        Some(p) => open_log(p, &clock)?,
        None => open_log(&config.dir.join(node::LOG_FILE), &clock)?,
    };
    // Register for the signals before announcing the address, so a launcher that signals
    // as soon as it reads the line is heard.
    let shutdown = shutdown_signal(cli.stop_on_stdin_eof)?;
    if let Some(mode) = &misbehave.mode {
        log.line(hostile::warning(mode));
    }
    let listener = node::bind(config.listen).await?;
    let addr = listener.local_addr().context("reading the bound address")?;
    // A dripping node serves behind a proxy that drips its answers (test-only).
    let (listener, dripper) = if misbehave.mode == Some(Mode::Drip) {
        let inside = node::bind(SocketAddr::new(addr.ip(), 0)).await?;
        let backend = inside.local_addr().context("reading the bound address")?;
        let proxy = hostile::drip(listener, backend, hostile::DRIP_EVERY, hostile::DRIP_AFTER);
        (inside, Some(tokio::spawn(proxy)))
    } else {
        (listener, None)
    };
    let ed25519 = home.identity.ed25519_pub();
    log.line(format_args!("listening on {addr} as {ed25519}"));

    let line = if cli.json {
        serde_json::json!({
            "type": "listening",
            "address": addr.to_string(),
            "pubkey_ed25519": ed25519.to_hex(),
            "pubkey_x25519": home.identity.x25519_pub().to_hex(),
            "cert_sha256": home.tls.cert_sha256_hex,
            "spki_sha256_base64": home.tls.spki_sha256_base64,
        })
        .to_string()
    } else {
        addr.to_string()
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("writing to standard output")?;
    drop(out);

    let pruner = tokio::spawn(node::prune_expired_every(
        home.db.clone(),
        Arc::clone(&clock),
        Duration::from_secs(10),
        log.clone(),
    ));
    // Connections to other nodes leave from our own address, so their logs name us.
    let local = Some(addr.ip()).filter(|ip| !ip.is_unspecified());
    let peer = Peer::bound(PEER_TIMEOUT, local).context("setting up the client to other nodes")?;
    // Onion requests proxied to file servers leave from our address too.
    let servers = ServerClient::new(local, SERVER_TIMEOUT, MAX_SERVER_ANSWER)
        .context("setting up the client to file servers")?;
    let (role, db) = if cli.seed {
        (Role::Seed, None)
    } else {
        (Role::Storage, Some(home.db.clone()))
    };
    let service: Arc<dyn Service> = Arc::new(
        NodeService::new(
            role,
            home.identity,
            // clap requires --roster without --file-server, which returned above.
            RosterFile::new(cli.roster.as_deref().context(
                "internal error: no --roster reached the service node (the argument parser \
                 requires it); please report this",
            )?),
            db,
            peer.transport(),
            Arc::clone(&clock),
            log.clone(),
        )
        .with_own_ons_file(home.dir.join(node::service::ONS_FILE))
        .with_server_client(servers),
    );
    // A test-only liar around the real service. An environment variable rather than an
    // option, so that no man page or completion offers it.
    let service = match misbehave.mode {
        None => service,
        Some(mode) => {
            let identity = sesh::store::read_identity(&config.dir.join(node::IDENTITY_FILE))
                .context("reading the node identity again")?;
            let mut hostile =
                Hostile::new(service, mode, identity, Arc::clone(&clock), log.clone());
            if let Some(times) = misbehave.times {
                hostile = hostile.relay_lies(times);
            }
            Arc::new(hostile)
        }
    };
    let result = node::run(
        listener,
        Arc::clone(&home.tls.config),
        service,
        config.limits,
        log.clone(),
        shutdown,
    )
    .await;
    pruner.abort();
    if let Some(d) = dripper {
        d.abort();
    }
    log.line("stopped");
    Ok(result?)
}

/// Test-only: how long a file server keeps files, in whole seconds (default 14 days), e.g.
/// `SESH_FILE_SERVER_TTL_SECS=2` to watch files expire. An environment variable rather than an
/// option, so that no man page or completion offers it.
const FILE_TTL_ENV: &str = "SESH_FILE_SERVER_TTL_SECS";

/// How often a file server removes expired files (the real one: every 15 s), or sooner when
/// files live shorter than that.
const FILE_CLEANUP_EVERY: Duration = Duration::from_secs(15);

/// `sesh-node --file-server`: a Session file server on plain HTTP.
async fn serve_files(cli: NodeCli) -> anyhow::Result<()> {
    let ttl = match env_parsed::<u64>(FILE_TTL_ENV)? {
        Some(0) => anyhow::bail!("{FILE_TTL_ENV} must be at least 1 (second)"),
        Some(s) => Duration::from_secs(s),
        None => files::DEFAULT_TTL,
    };
    let mut limits = node::Limits::default();
    let fd_limit = node::raise_fd_limit();
    limits.max_connections = node::connections_within_fd_limit(limits.max_connections, fd_limit);
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(OffsetClock {
        inner: SystemClock,
        offset_ms: cli.clock_offset_ms,
    });
    let home = files::FilesHome::open(&cli.dir, clock.now(), &mut rand_core::OsRng)?;
    let log = match &cli.log {
        Some(p) if p.as_os_str() == "-" => Log::stderr(Arc::clone(&clock)),
        Some(p) => open_log(p, &clock)?,
        None => open_log(&cli.dir.join(node::LOG_FILE), &clock)?,
    };
    let shutdown = shutdown_signal(cli.stop_on_stdin_eof)?;
    let listener = node::bind(cli.listen).await?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let ed25519 = home.identity.ed25519_pub();
    let url = format!("http://{addr}");
    log.line(format_args!(
        "file server listening on {url} as {ed25519}, keeping files {}",
        humantime::format_duration(ttl)
    ));
    let line = if cli.json {
        serde_json::json!({
            "type": "listening",
            "address": addr.to_string(),
            "url": url,
            "pubkey_ed25519": ed25519.to_hex(),
            "pubkey_x25519": home.identity.x25519_pub().to_hex(),
        })
        .to_string()
    } else {
        addr.to_string()
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("writing to standard output")?;
    drop(out);

    let cleaner = tokio::spawn(files::prune_expired_files_every(
        home.store.clone(),
        Arc::clone(&clock),
        FILE_CLEANUP_EVERY.min(ttl),
        log.clone(),
    ));
    let service = Arc::new(files::FileService::new(
        // Moved out; the directory's lock stays held in `home` until the server stops.
        home.identity,
        home.store.clone(),
        Arc::clone(&clock),
        log.clone(),
        ttl,
    ));
    let result = node::run_plain(listener, service, limits, log.clone(), shutdown).await;
    cleaner.abort();
    log.line("stopped");
    Ok(result?)
}

/// The environment variable that makes the node lie on purpose, for tests: a
/// [`sesh::node::hostile::Mode`], e.g. `SESH_NODE_MISBEHAVE=store-wrong-hash`.
const MISBEHAVE_ENV: &str = "SESH_NODE_MISBEHAVE";

/// How many times a misbehaving node lies as a hop (default: every time), e.g.
/// `SESH_NODE_MISBEHAVE_TIMES=1`.
const MISBEHAVE_TIMES_ENV: &str = "SESH_NODE_MISBEHAVE_TIMES";

/// The test-only misbehaviour the environment asks for.
struct Misbehave {
    mode: Option<Mode>,
    times: Option<u64>,
}

impl Misbehave {
    /// The misbehaviour, or what is wrong with it and a hint.
    fn from_env() -> Result<Self, (anyhow::Error, String)> {
        let mode = env_parsed(MISBEHAVE_ENV).map_err(|e| {
            let modes = hostile::MODES.join(", ");
            (
                e,
                format!("{MISBEHAVE_ENV} takes one of: {modes} (or unset it)"),
            )
        })?;
        let times = env_parsed(MISBEHAVE_TIMES_ENV).map_err(|e| {
            let hint = format!("{MISBEHAVE_TIMES_ENV} takes a whole number (or unset it)");
            (e, hint)
        })?;
        Ok(Self { mode, times })
    }
}

/// The variable `name` parsed, `None` when unset or empty.
fn env_parsed<T>(name: &str) -> anyhow::Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(s) if s.is_empty() => Ok(None),
        Ok(s) => Ok(Some(s.parse().context(name.to_owned())?)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(e).context(name.to_owned()),
    }
}

fn open_log(path: &std::path::Path, clock: &Arc<dyn Clock + Send + Sync>) -> anyhow::Result<Log> {
    Log::file(path, Arc::clone(clock))
        .map_err(|source| node::Error::Log {
            path: path.to_owned(),
            source,
        })
        .map_err(Into::into)
}

/// Completes on the first SIGINT or SIGTERM, or, when asked, at the end of standard input.
fn shutdown_signal(on_eof: bool) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        if on_eof {
            // A detached thread: a blocking read must not hold up the runtime's shutdown.
            std::thread::spawn(move || {
                use std::io::Read as _;
                let mut sink = [0u8; 256];
                let mut stdin = std::io::stdin().lock();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                let _ = eof_tx.send(());
            });
        } else {
            std::mem::forget(eof_tx);
        }
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = eof_rx => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
