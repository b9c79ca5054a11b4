//! A local Session network on loopback: N `sesh-node` processes in swarms, a seed, and a
//! file server.
//!
//! Each node runs as its own process on its own address, 127.0.X.1, so that the client's rule
//! of distinct /24 subnets per path is exercised for real, and a test can stop or kill any one
//! of them. The launcher writes the node list (the roster) that every node watches, so swarms
//! can be moved while the network runs, and a network file (see [`crate::network`]) that
//! points any sesh command at the seed and the file server (`[file_server]`).
//!
//! The file server (`sesh-node --file-server`, [`crate::node::files`]) listens on plain HTTP
//! at 127.0.0.1; a devnet restarted on the same directory starts it on the same address when
//! that is free (so attachment URLs stay valid), with the same key and files.
//!
//! # Layout of the directory
//! ```text
//! DIR/devnet.lock         the launcher's lock (`flock`, with its pid): marks the directory
//!                         as a devnet's, and keeps a second devnet out while one runs
//! DIR/network.toml        the network file (`--network DIR/network.toml`)
//! DIR/roster.json         the node list, as get_n_service_nodes returns it
//! DIR/ons.json            the ONS records every node answers from (`--ons`)
//! DIR/seed/               the seed's identity, certificate, log and pid
//! DIR/node-01/ …          each node's identity, certificate, database, log (node.log), pid and
//!                         lock (the node's, see [`crate::node::LOCK_FILE`]); in tests,
//!                         ons.json: that node's own records, answered before the shared
//!                         ones ([`Devnet::register_names_on`]), to make nodes disagree
//! DIR/files/              the file server's identity, files (files.db), log (node.log), pid,
//!                         lock, and its last address (address)
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::identity::{Ed25519Pub, X25519Pub};
use crate::network::{FileServer, Network, SeedNode};
use crate::node::peer::Peer;
use crate::node::roster::{Roster, VERSION};
use crate::swarm::Snode;
use crate::transport::JSON_RPC_PATH;

/// The file name of the network file in the devnet directory.
pub(crate) const NETWORK_FILE: &str = "network.toml";
/// The file name of the roster in the devnet directory.
pub(crate) const ROSTER_FILE: &str = "roster.json";

/// The devnet directory's lock file, and the mark that the directory is a devnet's: a
/// non-empty directory without it is not touched.
pub const LOCK_FILE: &str = "devnet.lock";

/// The file server's directory name in the devnet directory.
pub const FILE_SERVER_DIR: &str = "files";

/// The file in the file server's directory that keeps its last address, to be reused.
const ADDRESS_FILE: &str = "address";

/// How long a node may take to start and answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start a devnet.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory for every node's files.
    pub dir: PathBuf,
    /// How many storage nodes.
    pub nodes: usize,
    /// How many nodes per swarm.
    pub swarm_size: usize,
    /// The `sesh-node` binary.
    pub node_bin: PathBuf,
    /// Added to every node's clock, ms (to test clock skew).
    pub clock_offset_ms: i64,
}

/// Why a devnet could not start or change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be written or read.
    #[error("{action} '{path}'")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A node process could not start or did not report.
    #[error("node {name} did not start: {why}")]
    Start {
        /// The node's directory name.
        name: String,
        /// What went wrong.
        why: String,
    },
    /// A node did not become ready in time.
    #[error("node {name} at {addr} did not answer within {secs} s")]
    NotReady {
        /// The node's directory name.
        name: String,
        /// Its address.
        addr: SocketAddr,
        /// The timeout.
        secs: u64,
    },
    /// Options that cannot make a network.
    #[error("{0}")]
    Options(String),
    /// Another devnet runs on the directory.
    #[error("the devnet directory '{}' is in use{}", path.display(), pid.map(|p| format!(" by process {p}")).unwrap_or_default())]
    InUse {
        /// The directory.
        path: PathBuf,
        /// The launcher holding it, when its lock file names one.
        pid: Option<u32>,
    },
    /// A directory that holds files but is not a devnet's (no [`LOCK_FILE`]): nothing in it
    /// is touched.
    #[error("'{}' is not a devnet directory (it is not empty and has no {LOCK_FILE})", path.display())]
    NotDevnet {
        /// The directory.
        path: PathBuf,
    },
}

impl crate::error::HasKind for Error {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Options(_) => crate::ErrorKind::InvalidInput,
            Self::InUse { .. } => crate::ErrorKind::Transient,
            _ => crate::ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::InUse { .. } => Some("stop that devnet first, or pick another --dir".to_owned()),
            Self::NotDevnet { .. } => Some("pick a new or empty directory for --dir".to_owned()),
            _ => None,
        }
    }
}

/// Takes the devnet directory `dir` for this process: creates it (mode 0700) if missing,
/// refuses a non-empty directory that is not a devnet's and one another devnet holds, and
/// returns the held lock.
fn claim_dir(dir: &Path) -> Result<std::fs::File, Error> {
    let lock_path = dir.join(LOCK_FILE);
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Io {
                action: "opening the devnet directory",
                path: dir.to_owned(),
                source: std::io::ErrorKind::NotADirectory.into(),
            });
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(io("reading", dir))?;
            let ours = lock_path.exists();
            if !ours && entries.next().is_some() {
                return Err(Error::NotDevnet {
                    path: dir.to_owned(),
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("reading", dir)(e)),
    }
    create_private_dir(dir).map_err(io("creating", dir))?;
    match crate::store::lock_with_pid(&lock_path).map_err(io("locking", &lock_path))? {
        crate::store::PidLock::Held(f) => Ok(f),
        crate::store::PidLock::Busy(pid) => Err(Error::InUse {
            path: dir.to_owned(),
            pid,
        }),
    }
}

/// The shell line that points the commands that follow at a devnet's network file:
/// `export SESH_NETWORK=/tmp/devnet/network.toml`, the path single-quoted when a POSIX shell
/// would otherwise split or expand it. `sesh devnet` prints it on standard error.
pub fn export_line(network_file: &Path) -> String {
    let path = network_file.to_string_lossy();
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        format!("export SESH_NETWORK={path}")
    } else {
        format!("export SESH_NETWORK='{}'", path.replace('\'', "'\\''"))
    }
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// One node process of the devnet.
#[derive(Debug)]
pub struct NodeProc {
    /// Its directory name (`node-01`, `seed`).
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its Ed25519 key.
    pub ed25519: Ed25519Pub,
    /// Its X25519 key.
    pub x25519: X25519Pub,
    /// SHA-256 of its TLS certificate.
    pub cert_sha256: [u8; 32],
    child: Option<Child>,
    /// The node's standard input: it stops when this is dropped (see `--stop-on-stdin-eof`).
    _lifeline: Option<tokio::process::ChildStdin>,
}

impl NodeProc {
    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Its log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

/// The devnet's file server process.
#[derive(Debug)]
pub struct FileServerProc {
    /// Its directory.
    pub dir: PathBuf,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The network file's `[file_server]` entry: its URL (`http://ADDR`) and keys.
    pub server: FileServer,
    child: Option<Child>,
    /// Its standard input: it stops when this is dropped.
    _lifeline: Option<tokio::process::ChildStdin>,
}

impl FileServerProc {
    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Its log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

/// A running devnet. Dropping it kills every node.
#[derive(Debug)]
pub struct Devnet {
    opts: Options,
    seed: NodeProc,
    nodes: Vec<NodeProc>,
    file_server: FileServerProc,
    roster: Roster,
    peer: Peer,
    /// The directory's [`LOCK_FILE`], held while the devnet lives.
    _lock: std::fs::File,
}

/// The address of storage node `i` (0-based): 127.0.X.1, one /24 each.
pub fn node_ip(i: usize) -> Ipv4Addr {
    let n = i + 1;
    Ipv4Addr::new(127, (n / 254) as u8, (n % 254 + 1) as u8, 1)
}

/// Evenly spread swarm ids for `n` swarms.
pub fn swarm_ids(n: usize) -> Vec<u64> {
    let n = n.max(1) as u128;
    (0..n)
        .map(|k| ((k * (1u128 << 64)) / n + (1u128 << 64) / (2 * n)) as u64)
        .collect()
}

impl Devnet {
    /// Starts the seed and the nodes, writes the roster and the network file, and waits until
    /// every node answers.
    ///
    /// # Errors
    /// [`Error::InUse`] when another devnet runs on the directory, [`Error::NotDevnet`] when
    /// it holds files but is not a devnet's; else [`Error`] naming the node that failed.
    pub async fn start(opts: Options) -> Result<Self, Error> {
        Self::start_with_names(opts, &[]).await
    }

    /// [`Devnet::start`], with these ONS names registered ([`Devnet::register_names`])
    /// before the network file is written.
    ///
    /// # Errors
    /// As [`Devnet::start`].
    pub async fn start_with_names(
        opts: Options,
        names: &[(crate::ons::Name, crate::identity::SessionId)],
    ) -> Result<Self, Error> {
        if opts.nodes == 0 || opts.swarm_size == 0 {
            return Err(Error::Options(
                "--nodes and --swarm-size must be at least 1".into(),
            ));
        }
        if opts.nodes > 60_000 {
            return Err(Error::Options("at most 60000 nodes".into()));
        }
        let lock = claim_dir(&opts.dir)?;
        let roster_path = opts.dir.join(ROSTER_FILE);
        // A stale roster from an earlier run would make the new nodes ready too early, and a
        // stale network file would say the devnet is up (it is written once every node
        // answers).
        let _ = std::fs::remove_file(&roster_path);
        let _ = std::fs::remove_file(opts.dir.join(NETWORK_FILE));
        let peer = Peer::new(Duration::from_secs(5)).map_err(|e| Error::Start {
            name: "client".into(),
            why: e.to_string(),
        })?;
        let seed = spawn(
            &opts,
            "seed",
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            true,
        )
        .await?;
        let file_server = spawn_file_server(&opts).await?;
        let mut nodes = Vec::with_capacity(opts.nodes);
        for i in 0..opts.nodes {
            let name = format!("node-{:02}", i + 1);
            let addr = SocketAddr::new(IpAddr::V4(node_ip(i)), 0);
            nodes.push(spawn(&opts, &name, addr, false).await?);
        }
        let ids = swarm_ids(opts.nodes / opts.swarm_size);
        let snodes: Vec<Snode> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| snode_of(n, ids[i % ids.len()]))
            .collect();
        let roster = Roster::new(snodes, 1);
        let net = Self {
            opts,
            seed,
            nodes,
            file_server,
            roster,
            peer,
            _lock: lock,
        };
        net.write_roster()?;
        net.register_names(names)?;
        net.wait_ready().await?;
        net.write_network_file()?;
        Ok(net)
    }

    /// The network file.
    pub fn network_file(&self) -> PathBuf {
        self.opts.dir.join(NETWORK_FILE)
    }

    /// Registers ONS names: writes the records, encrypted as the real network's
    /// ([`crate::ons::encrypt`], a random nonce each), where every node reads them
    /// ([`crate::node::service::ONS_FILE`] next to the roster). Replaces earlier names.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn register_names(
        &self,
        names: &[(crate::ons::Name, crate::identity::SessionId)],
    ) -> Result<(), Error> {
        write_ons(&self.opts.dir, names)
    }

    /// Registers ONS names on the `index`th node only (from 0), in its own
    /// [`crate::node::service::ONS_FILE`], which it reads before the shared one: for tests
    /// of nodes that disagree. Replaces that node's earlier names.
    ///
    /// # Errors
    /// [`Error::Options`] when there is no such node; [`Error::Io`] when the file cannot be
    /// written.
    pub fn register_names_on(
        &self,
        index: usize,
        names: &[(crate::ons::Name, crate::identity::SessionId)],
    ) -> Result<(), Error> {
        let node = self
            .nodes
            .get(index)
            .ok_or_else(|| Error::Options(format!("no node {index}")))?;
        write_ons(&node.dir, names)
    }

    /// The roster file the nodes re-read (who is on the network).
    pub fn roster_file(&self) -> PathBuf {
        self.opts.dir.join(ROSTER_FILE)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.opts.dir
    }

    /// The network, as the network file describes it.
    pub fn network(&self) -> Network {
        Network {
            name: "devnet".into(),
            subnet_diversity: true,
            seeds: vec![SeedNode {
                url: format!("https://{}{JSON_RPC_PATH}", self.seed.addr),
                pin: Some(self.seed.cert_sha256),
            }],
            known_nodes: Vec::new(),
            file_server: Some(self.file_server.server.clone()),
        }
    }

    /// The file server.
    pub fn file_server(&self) -> &FileServerProc {
        &self.file_server
    }

    /// The storage nodes.
    pub fn nodes(&self) -> &[NodeProc] {
        &self.nodes
    }

    /// The seed.
    pub fn seed(&self) -> &NodeProc {
        &self.seed
    }

    /// The current roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Replaces the roster (e.g. to move a node to another swarm); nodes pick it up on their
    /// next request.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn set_roster(&mut self, roster: Roster) -> Result<(), Error> {
        self.roster = roster;
        self.write_roster()
    }

    /// Kills node `i` at once (SIGKILL), as a crash.
    pub async fn kill(&mut self, i: usize) {
        if let Some(n) = self.nodes.get_mut(i)
            && let Some(mut c) = n.child.take()
        {
            let _ = c.kill().await;
        }
    }

    /// Starts node `i` again on the same address, with the same directory (and so the same
    /// keys and messages).
    ///
    /// # Errors
    /// [`Error`] when it does not start or answer.
    pub async fn restart(&mut self, i: usize) -> Result<(), Error> {
        self.kill(i).await;
        let Some(n) = self.nodes.get(i) else {
            return Err(Error::Options(format!("no node {i}")));
        };
        let (name, addr) = (n.name.clone(), n.addr);
        let fresh = spawn(&self.opts, &name, addr, false).await?;
        self.nodes[i] = fresh;
        let n = &self.nodes[i];
        wait_answer(&self.peer, n).await
    }

    /// Stops every node and the file server (SIGTERM, then SIGKILL after a grace period).
    pub async fn shutdown(mut self) {
        for c in self.children() {
            terminate(c);
        }
        let mut children: Vec<Child> = Vec::new();
        for n in self.nodes.iter_mut().chain(std::iter::once(&mut self.seed)) {
            children.extend(n.child.take());
        }
        children.extend(self.file_server.child.take());
        for mut c in children {
            if tokio::time::timeout(Duration::from_secs(5), c.wait())
                .await
                .is_err()
            {
                let _ = c.kill().await;
            }
        }
    }

    /// Every process still held: the nodes, the seed and the file server.
    fn children(&mut self) -> impl Iterator<Item = &mut Child> {
        self.nodes
            .iter_mut()
            .chain(std::iter::once(&mut self.seed))
            .filter_map(|n| n.child.as_mut())
            .chain(self.file_server.child.as_mut())
    }

    fn write_roster(&self) -> Result<(), Error> {
        let path = self.opts.dir.join(ROSTER_FILE);
        let tmp = self.opts.dir.join(".roster.json.tmp");
        std::fs::write(&tmp, self.roster.to_json().to_string()).map_err(io("writing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("writing", &path))
    }

    fn write_network_file(&self) -> Result<(), Error> {
        let path = self.network_file();
        let text = format!(
            "# A local Session network started by `sesh devnet`; its nodes are in {ROSTER_FILE}.\n{}",
            self.network().to_toml()
        );
        // Whole or not at all: scripts (the README's `until [ -e …/network.toml ]`) read it
        // the moment it exists.
        let tmp = self.opts.dir.join(".network.toml.tmp");
        std::fs::write(&tmp, text).map_err(io("writing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("writing", &path))
    }

    async fn wait_ready(&self) -> Result<(), Error> {
        wait_seed(&self.peer, &self.seed).await?;
        for n in &self.nodes {
            wait_answer(&self.peer, n).await?;
        }
        Ok(())
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        for c in self.children() {
            let _ = c.start_kill();
        }
    }
}

fn terminate(c: &mut Child) {
    // SIGTERM lets the node finish in-flight requests and close its database.
    if !c.id().is_some_and(sigterm) {
        let _ = c.start_kill();
    }
}

/// Sends SIGTERM to process `pid`; whether it was sent.
pub fn sigterm(pid: u32) -> bool {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|p| rustix::process::kill_process(p, rustix::process::Signal::TERM).is_ok())
}

fn snode_of(n: &NodeProc, swarm_id: u64) -> Snode {
    let ip = match n.addr.ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
    };
    Snode {
        ed25519: n.ed25519,
        x25519: n.x25519,
        ip,
        port: n.addr.port(),
        swarm_id,
        version: Some(VERSION),
    }
}

/// Creates `dir` and its missing parents with mode 0700: a node's directory holds its identity
/// and TLS key (an existing directory keeps its mode).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Which kind of `sesh-node` to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Storage,
    Seed,
    FileServer,
}

/// A started `sesh-node`: its process, lifeline, the JSON line it printed, its address.
struct Started {
    dir: PathBuf,
    child: Child,
    stdin: tokio::process::ChildStdin,
    line: Value,
    addr: SocketAddr,
    ed25519: Ed25519Pub,
    x25519: X25519Pub,
}

/// Starts one storage node or the seed.
async fn spawn(
    opts: &Options,
    name: &str,
    listen: SocketAddr,
    seed: bool,
) -> Result<NodeProc, Error> {
    let kind = if seed { Kind::Seed } else { Kind::Storage };
    let s = spawn_node(opts, name, listen, kind).await?;
    let mut cert_sha256 = [0u8; 32];
    let cert = s
        .line
        .get("cert_sha256")
        .and_then(Value::as_str)
        .unwrap_or_default();
    hex::decode_to_slice(cert, &mut cert_sha256).map_err(|_| Error::Start {
        name: name.to_owned(),
        why: format!("bad certificate hash in '{}'", s.line),
    })?;
    Ok(NodeProc {
        name: name.to_owned(),
        dir: s.dir,
        addr: s.addr,
        ed25519: s.ed25519,
        x25519: s.x25519,
        cert_sha256,
        child: Some(s.child),
        _lifeline: Some(s.stdin),
    })
}

/// Starts the file server: on its last address when it had one and that is still free,
/// else on any free port of 127.0.0.1; records the address for the next start.
async fn spawn_file_server(opts: &Options) -> Result<FileServerProc, Error> {
    let dir = opts.dir.join(FILE_SERVER_DIR);
    let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let last = std::fs::read_to_string(dir.join(ADDRESS_FILE))
        .ok()
        .and_then(|t| t.trim().parse::<SocketAddr>().ok())
        .filter(|a| a.ip().is_loopback());
    let started = match last {
        Some(addr) => match spawn_node(opts, FILE_SERVER_DIR, addr, Kind::FileServer).await {
            Ok(s) => s,
            // Taken by now, most likely: any port will do.
            Err(_) => spawn_node(opts, FILE_SERVER_DIR, any, Kind::FileServer).await?,
        },
        None => spawn_node(opts, FILE_SERVER_DIR, any, Kind::FileServer).await?,
    };
    let url = format!("http://{}", started.addr);
    let server = FileServer::new(&url, started.ed25519).map_err(|e| Error::Start {
        name: FILE_SERVER_DIR.to_owned(),
        why: e.to_string(),
    })?;
    if server.x25519 != started.x25519 {
        return Err(Error::Start {
            name: FILE_SERVER_DIR.to_owned(),
            why: format!(
                "its X25519 key is not its Ed25519 key's in '{}'",
                started.line
            ),
        });
    }
    let address_path = dir.join(ADDRESS_FILE);
    std::fs::write(&address_path, format!("{}\n", started.addr))
        .map_err(io("writing", &address_path))?;
    Ok(FileServerProc {
        dir: started.dir,
        addr: started.addr,
        server,
        child: Some(started.child),
        _lifeline: Some(started.stdin),
    })
}

/// Starts one `sesh-node` and reads the line it prints once listening.
async fn spawn_node(
    opts: &Options,
    name: &str,
    listen: SocketAddr,
    kind: Kind,
) -> Result<Started, Error> {
    let dir = opts.dir.join(name);
    create_private_dir(&dir).map_err(io("creating", &dir))?;
    let mut cmd = Command::new(&opts.node_bin);
    cmd.arg("--dir")
        .arg(&dir)
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--log")
        .arg(dir.join("node.log"))
        .arg("--json");
    match kind {
        Kind::Storage => {}
        Kind::Seed => {
            cmd.arg("--seed");
        }
        Kind::FileServer => {
            cmd.arg("--file-server");
        }
    }
    if kind != Kind::FileServer {
        cmd.arg("--roster").arg(opts.dir.join(ROSTER_FILE));
    }
    // The node stops when this pipe closes: when the devnet ends, however it ends (even
    // SIGKILL), no node outlives it.
    cmd.arg("--stop-on-stdin-eof");
    if opts.clock_offset_ms != 0 {
        cmd.arg(format!("--clock-offset-ms={}", opts.clock_offset_ms));
    }
    let stderr_path = dir.join("stderr.log");
    let stderr = std::fs::File::create(&stderr_path).map_err(io("creating", &stderr_path))?;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .kill_on_drop(true);
    let start_err = |why: String| Error::Start {
        name: name.to_owned(),
        why,
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| start_err(format!("running '{}': {e}", opts.node_bin.display())))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| start_err("no stdout".into()))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| start_err("no stdin".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(START_TIMEOUT, lines.next_line())
        .await
        .map_err(|_| start_err(format!("no address within {} s", START_TIMEOUT.as_secs())))?
        .map_err(|e| start_err(e.to_string()))?
        .ok_or_else(|| {
            let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            start_err(format!("it exited: {}", log.trim()))
        })?;
    // Trusted: the one line our own sesh-node child prints on standard output.
    let v: Value = serde_json::from_str(&line)
        .map_err(|_| start_err(format!("unexpected output '{line}'")))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let addr: SocketAddr = field("address")
        .parse()
        .map_err(|_| start_err(format!("bad address in '{line}'")))?;
    let ed25519 = field("pubkey_ed25519")
        .parse()
        .map_err(|_| start_err(format!("bad key in '{line}'")))?;
    let x25519 = field("pubkey_x25519")
        .parse()
        .map_err(|_| start_err(format!("bad key in '{line}'")))?;
    if let Some(pid) = child.id() {
        let pid_path = dir.join("pid");
        std::fs::write(&pid_path, format!("{pid}\n")).map_err(io("writing", &pid_path))?;
    }
    // Keep reading (and discarding) its stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Started {
        dir,
        child,
        stdin,
        line: v,
        addr,
        ed25519,
        x25519,
    })
}

/// Waits until a storage node answers a storage request (so it has the roster).
async fn wait_answer(peer: &Peer, n: &NodeProc) -> Result<(), Error> {
    let body =
        json!({"method": "get_swarm", "params": {"pubkey": format!("05{}", n.x25519)}}).to_string();
    let url = format!("https://{}", n.addr);
    poll_until(n, || async {
        matches!(
            peer.post(
                &url,
                crate::transport::STORAGE_RPC_PATH,
                body.clone().into()
            )
            .await,
            Ok((200, _))
        )
    })
    .await
}

async fn wait_seed(peer: &Peer, n: &NodeProc) -> Result<(), Error> {
    let body = json!({"jsonrpc": "2.0", "method": "get_n_service_nodes", "params": {}}).to_string();
    let url = format!("https://{}", n.addr);
    poll_until(n, || async {
        matches!(
            peer.post(&url, JSON_RPC_PATH, body.clone().into()).await,
            Ok((200, _))
        )
    })
    .await
}

async fn poll_until<F, Fut>(n: &NodeProc, mut ok: F) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if ok().await {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::NotReady {
                name: n.name.clone(),
                addr: n.addr,
                secs: START_TIMEOUT.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes ONS records for `names` into `dir`'s [`crate::node::service::ONS_FILE`], encrypted
/// as the real network's ([`crate::ons::encrypt`], a random nonce each), replacing the file.
fn write_ons(
    dir: &Path,
    names: &[(crate::ons::Name, crate::identity::SessionId)],
) -> Result<(), Error> {
    use base64::Engine as _;
    use rand_core::RngCore as _;
    let mut records = serde_json::Map::new();
    for (name, id) in names {
        let mut nonce = [0u8; crate::ons::NONCE_LEN];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let r = crate::ons::encrypt(name, id, nonce);
        records.insert(
            base64::engine::general_purpose::STANDARD.encode(name.hash()),
            serde_json::json!({"encrypted_value": r.encrypted_value, "nonce": r.nonce}),
        );
    }
    let path = dir.join(crate::node::service::ONS_FILE);
    let tmp = dir.join(".ons.json.tmp");
    let text = serde_json::to_vec_pretty(&records).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(io("writing", &tmp))?;
    std::fs::rename(&tmp, &path).map_err(io("writing", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_line_names_the_network_file() {
        assert_eq!(
            export_line(Path::new("/tmp/devnet/network.toml")),
            "export SESH_NETWORK=/tmp/devnet/network.toml"
        );
    }

    #[test]
    fn export_line_quotes_what_a_shell_would_split() {
        assert_eq!(
            export_line(Path::new("/tmp/my net/it's.toml")),
            "export SESH_NETWORK='/tmp/my net/it'\\''s.toml'"
        );
    }
}
