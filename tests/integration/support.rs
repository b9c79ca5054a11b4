//! Shared test helpers: the vectors file and hex decoding.

#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;

/// The `sesh` binary Cargo built beside these tests or benches.
pub fn sesh_bin() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_sesh"))
}

/// A `sesh` command that reads no configuration file but one a test writes: its
/// `XDG_CONFIG_HOME` is a directory that does not exist (a test may set its own after), and
/// `SESH_CONFIG` is unset, so a developer's own configuration never changes a test's result.
pub fn sesh_command() -> std::process::Command {
    let mut c = std::process::Command::new(sesh_bin());
    c.env("XDG_CONFIG_HOME", no_config_dir())
        .env_remove("SESH_CONFIG");
    c
}

/// A directory no one creates: as `XDG_CONFIG_HOME`, no configuration file.
pub fn no_config_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sesh-tests-no-config-home")
}

/// The `sesh-node` binary Cargo built beside these tests or benches.
pub fn node_bin() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_sesh-node"))
}

/// The shared protocol vectors (tests/vectors/vectors.json).
pub fn vectors() -> &'static serde_json::Value {
    static V: OnceLock<serde_json::Value> = OnceLock::new();
    V.get_or_init(|| {
        let text = include_str!("../vectors/vectors.json");
        serde_json::from_str(text).expect("vectors.json parses")
    })
}

/// The array at `path` (keys separated by '.') in the vectors file.
pub fn cases(path: &str) -> &'static [serde_json::Value] {
    let mut v = vectors();
    for key in path.split('.') {
        v = &v[key];
    }
    v.as_array()
        .unwrap_or_else(|| panic!("vectors has no array at {path}"))
}

/// Decodes hex into a fixed-size array.
pub fn hex_array<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).unwrap_or_else(|e| panic!("bad hex {s}: {e}"));
    out
}

/// The string at `key` of a case.
pub fn str_of<'a>(case: &'a serde_json::Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("case has no string {key}: {case}"))
}

/// A deterministic RNG for tests (SHA-512 in counter mode over a seed), so that a failing
/// proptest case, which prints its seed, replays exactly.
pub struct TestRng {
    seed: [u8; 32],
    counter: u64,
    buf: Vec<u8>,
}

impl TestRng {
    /// An RNG that yields the same bytes for the same seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            buf: Vec::new(),
        }
    }
}

impl rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        use sha2::Digest as _;
        for d in dest {
            if self.buf.is_empty() {
                let mut h = sha2::Sha512::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.counter += 1;
                self.buf = h.finalize().to_vec();
            }
            *d = self.buf.pop().expect("refilled above");
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for TestRng {}

/// The identity of a 16-byte legacy seed given in hex.
pub fn identity_of(seed_hex: &str) -> sesh::Identity {
    let seed16: [u8; 16] = hex_array(seed_hex);
    sesh::Identity::from_seed(sesh::identity::Seed::from_legacy(&seed16))
}

/// Decodes hex of any length.
pub fn hex_vec(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Floods and memory (issue 10): shared by tests/integration/flood.rs and benches/flood.rs.
// ---------------------------------------------------------------------------------------------

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The flooding client's address.
pub const FLOODER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
/// A second, well-behaved client's address.
pub const BYSTANDER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A `sesh-node` devnet of one storage node (a swarm of one) and its seed, in a fresh
/// temporary directory. Dropping the devnet kills its processes; dropping the directory removes
/// it, so a failing test leaves nothing behind.
pub async fn one_node_devnet(node_bin: &Path) -> (sesh::devnet::Devnet, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let opts = sesh::devnet::Options {
        dir: dir.path().join("net"),
        nodes: 1,
        swarm_size: 1,
        node_bin: node_bin.to_owned(),
        clock_offset_ms: 0,
    };
    let net = tokio::time::timeout(Duration::from_secs(60), sesh::devnet::Devnet::start(opts))
        .await
        .expect("the devnet starts within a minute")
        .expect("the devnet starts");
    (net, dir)
}

/// The process's soft limit on open files raised to at least `want` (up to the hard limit);
/// returns the soft limit now in force. Child processes (the nodes) inherit it.
pub fn raise_fd_limit(want: u64) -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    let current = lim.current.unwrap_or(u64::MAX);
    if current >= want {
        return current;
    }
    let target = lim.maximum.map_or(want, |max| want.min(max));
    lim.current = Some(target);
    match setrlimit(Resource::Nofile, lim) {
        Ok(()) => target,
        Err(_) => current,
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM`, `VmRSS`), or `None` when the process is
/// gone.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// The peak resident set size of process `pid` (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM").unwrap_or_else(|| panic!("process {pid} is gone"))
}

/// Whether process `pid` runs (a zombie has no memory fields).
pub fn is_alive(pid: u32) -> bool {
    proc_status_kib(pid, "VmRSS").is_some()
}

/// Resets the peak resident set size of `pid` to its current size (`/proc/<pid>/clear_refs`,
/// value 5); whether the kernel let us.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), b"5").is_ok()
}

/// A JSON array of `len` bytes exactly: `[0,0,…,0]`.
pub fn flat_array(len: usize) -> Vec<u8> {
    array_of(b"0", len)
}

/// A JSON array of `len` bytes exactly, of copies of `item` (spaces pad the end).
pub fn array_of(item: &[u8], len: usize) -> Vec<u8> {
    assert!(len >= item.len() + 2, "no room for one item");
    let mut v = Vec::with_capacity(len);
    v.push(b'[');
    v.extend_from_slice(item);
    while v.len() + 1 + item.len() < len {
        v.push(b',');
        v.extend_from_slice(item);
    }
    v.resize(len - 1, b' ');
    v.push(b']');
    v
}

/// A JSON array nested `len / 2` deep: `[[[…]]]`, `len` bytes (`len` even).
pub fn nested_array(len: usize) -> Vec<u8> {
    let depth = len / 2;
    let mut v = vec![b'['; depth];
    v.resize(depth * 2, b']');
    v
}

/// A JSON object `{"method":<method>,"params":{"<key>":[<item>,…]}}` of `len` bytes, the array
/// filling what is left: a request that names a real method and hides its bulk in the params.
pub fn method_with_array(method: &str, key: &str, item: &[u8], len: usize) -> Vec<u8> {
    let head = format!(r#"{{"method":"{method}","params":{{"{key}":"#);
    let tail = "}}";
    let mut v = head.into_bytes();
    v.extend_from_slice(&array_of(item, len - v.len() - tail.len()));
    v.extend_from_slice(tail.as_bytes());
    debug_assert_eq!(v.len(), len);
    v
}

/// An `/onion_req/v2` body (protocol.md §7.2: a 4-byte little-endian length, that many bytes of
/// ciphertext, then the routing JSON) whose routing JSON is `json`: what a node parses before
/// any crypto.
pub fn onion_frame_around(json: &[u8]) -> Vec<u8> {
    let ciphertext = [0u8; 16];
    let mut v = Vec::with_capacity(4 + ciphertext.len() + json.len());
    v.extend_from_slice(&u32::try_from(ciphertext.len()).expect("16").to_le_bytes());
    v.extend_from_slice(&ciphertext);
    v.extend_from_slice(json);
    v
}

/// The first storage node of a devnet as an onion destination, and an onion request to it
/// (no hops: the node is its own guard) carrying `payload`.
pub fn onion_to(
    node: &sesh::swarm::Snode,
    payload: &serde_json::Value,
) -> (Vec<u8>, sesh::onion::PendingReply) {
    sesh::onion::build(
        &[],
        &sesh::onion::Destination::Snode(sesh::onion::HopKeys::from(node)),
        payload.to_string().as_bytes(),
        sesh::onion::EncType::AesGcm,
        &mut rand_core::OsRng,
    )
    .expect("an onion request")
}

/// What a flood got back.
#[derive(Debug, Default)]
pub struct FloodCounts {
    /// 200 answers.
    pub ok: AtomicU64,
    /// 429 answers.
    pub limited: AtomicU64,
    /// Any other status.
    pub other: AtomicU64,
    /// No answer (refused, reset, timed out).
    pub failed: AtomicU64,
}

impl FloodCounts {
    /// All answers and failures so far.
    pub fn total(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
            + self.limited.load(Ordering::Relaxed)
            + self.other.load(Ordering::Relaxed)
            + self.failed.load(Ordering::Relaxed)
    }
}

/// What a flood sends, and where.
pub struct Target<'a> {
    /// The client, bound to the flooder's address.
    pub peer: &'a sesh::node::peer::Peer,
    /// `https://ip:port`.
    pub base: &'a str,
    /// The route.
    pub path: &'a str,
    /// Extra headers on every request.
    pub headers: &'a [(&'a str, &'a str)],
    /// The bodies, sent in turn.
    pub bodies: &'a [bytes::Bytes],
}

/// Sends `target`'s requests from `workers` concurrent requests while `keep_going(sent)` says
/// so (`sent`: requests started so far), counting the answers in `counts`.
pub async fn flood(
    target: &Target<'_>,
    workers: usize,
    keep_going: &(dyn Fn(u64) -> bool + Sync),
    counts: &FloodCounts,
) {
    let sent = AtomicU64::new(0);
    let worker = || async {
        loop {
            let n = sent.fetch_add(1, Ordering::Relaxed);
            if !keep_going(n) {
                return;
            }
            let body = target.bodies[(n as usize) % target.bodies.len()].clone();
            let r = target
                .peer
                .request("POST", target.base, target.path, target.headers, body)
                .await;
            let counter = match r.map(|r| r.status) {
                Ok(200) => &counts.ok,
                Ok(429) => &counts.limited,
                Ok(_) => &counts.other,
                Err(_) => &counts.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    };
    futures_util::future::join_all((0..workers).map(|_| worker())).await;
}

/// What happened to one connection of an [`IdleFlood`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// The node accepted it and completed the TLS handshake; it now waits for a request.
    Established,
    /// The node refused it, or closed it before the handshake completed.
    Refused,
    /// The node closed it after the handshake.
    Closed,
}

/// Idle TLS connections from one address, held until dropped.
pub struct IdleFlood {
    /// Connections the node shook hands on (and that it had not closed when counted).
    pub established: usize,
    /// Connections the node refused.
    pub refused: usize,
    /// Connections still waiting for the node (in its listen queue, say).
    pub pending: usize,
    events: tokio::sync::mpsc::UnboundedReceiver<Idle>,
    _tasks: tokio::task::JoinSet<()>,
}

impl IdleFlood {
    /// Opens `n` connections to `node` from `from` at once, completes a TLS handshake on each
    /// and then says nothing; returns once every connection was established or refused, or
    /// when none was for `settle` (the rest stay pending, queued at the node, and are kept).
    pub async fn open(node: SocketAddr, from: IpAddr, n: usize, settle: Duration) -> Self {
        use tokio::io::AsyncReadExt as _;
        let tls = Arc::new(sesh::transport::http::service_node_tls().expect("the client TLS"));
        let connector = tokio_rustls::TlsConnector::from(tls);
        let name = rustls::pki_types::ServerName::IpAddress(node.ip().into());
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (connector, name, tx) = (connector.clone(), name.clone(), tx.clone());
            tasks.spawn(async move {
                let connected = async {
                    let socket = tokio::net::TcpSocket::new_v4().ok()?;
                    socket.bind(SocketAddr::new(from, 0)).ok()?;
                    let tcp = socket.connect(node).await.ok()?;
                    connector.connect(name, tcp).await.ok()
                };
                let Some(mut tls) = connected.await else {
                    let _ = tx.send(Idle::Refused);
                    return;
                };
                let _ = tx.send(Idle::Established);
                // The node says nothing on an idle connection: any return is its end.
                let mut b = [0u8; 1];
                let _ = tls.read(&mut b).await;
                let _ = tx.send(Idle::Closed);
            });
        }
        let (mut established, mut refused) = (0, 0);
        while established + refused < n {
            match tokio::time::timeout(settle, events.recv()).await {
                Ok(Some(Idle::Established)) => established += 1,
                Ok(Some(Idle::Refused)) => refused += 1,
                Ok(Some(Idle::Closed)) => {
                    established -= 1;
                    refused += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        Self {
            established,
            refused,
            pending: n - established - refused,
            events,
            _tasks: tasks,
        }
    }

    /// Completes when the node closes a connection it had shaken hands on.
    pub async fn next_close(&mut self) {
        loop {
            match self.events.recv().await {
                Some(Idle::Closed) => return,
                Some(_) => {}
                None => std::future::pending().await,
            }
        }
    }
}

/// Fills the mailbox of `owner` (namespace 0) with `n` messages of `data_len` bytes each,
/// straight into a stopped node's database file (its own schema, made by the node when it
/// first started, whose triggers keep the per-mailbox accounting), as stores through the RPC
/// would have left it: real hashes (§4.6), sent at `now_ms`, expiring a day later. Keep `n`
/// within the node's mailbox quota (`sesh::node::MAX_MAILBOX_MESSAGES`) for a state the RPC
/// could have made.
pub fn prefill_mailbox(db: &Path, owner: &[u8; 33], n: usize, data_len: usize, now_ms: u64) {
    let mut conn = rusqlite::Connection::open(db).expect("the node's database opens");
    let tx = conn.transaction().expect("a transaction");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data)
                 VALUES (?1, 0, ?2, ?3, ?4, ?5)",
            )
            .expect("the node's schema has a messages table");
        let now = i64::try_from(now_ms).expect("a time in range");
        let expiry = now + 86_400_000;
        let mut data = vec![0u8; data_len.max(8)];
        for i in 0..n {
            data[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let hash = sesh::rpc::message_hash(owner, sesh::rpc::Namespace::DEFAULT, &data);
            insert
                .execute(rusqlite::params![&owner[..], hash, now, expiry, &data])
                .expect("a message row");
        }
    }
    tx.commit().expect("the messages are committed");
}

/// One oversized body for one route: what [`big_bodies`] lists.
pub struct BigBody {
    /// To the seed (`true`) or to the storage node.
    pub to_seed: bool,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The route.
    pub path: &'static str,
    /// What the body is.
    pub label: &'static str,
    /// The body.
    pub body: bytes::Bytes,
}

/// Bodies of `len` bytes of JSON for every route a devnet's nodes admit, and a few they do
/// not (plain HTTP to the storage routes, `/json_rpc` to a storage node): flat and nested
/// arrays, real methods with the bulk in their params, and onion requests whose routing JSON
/// (read before any crypto) is the bulk.
pub fn big_bodies(len: usize) -> Vec<BigBody> {
    use bytes::Bytes;
    let flat = Bytes::from(flat_array(len));
    let nested = Bytes::from(nested_array(len));
    let routing = len - onion_frame_around(&[]).len();
    let case = |to_seed, scheme, method, path, label, body| BigBody {
        to_seed,
        scheme,
        method,
        path,
        label,
        body,
    };
    let (rpc, onion, ping, json_rpc) = (
        "/storage_rpc/v1",
        "/onion_req/v2",
        "/ping_test/v1",
        "/json_rpc",
    );
    vec![
        case(false, "https", "POST", rpc, "[0,0,…]", flat.clone()),
        case(false, "https", "POST", rpc, "[[[…]]]", nested.clone()),
        case(
            false,
            "https",
            "POST",
            rpc,
            "info, params {pad: [0,0,…]}",
            method_with_array("info", "pad", b"0", len).into(),
        ),
        case(
            false,
            "https",
            "POST",
            rpc,
            "batch, requests [{},{},…]",
            method_with_array("batch", "requests", b"{}", len).into(),
        ),
        case(
            false,
            "https",
            "POST",
            rpc,
            "sequence, requests [{method: info},…]",
            method_with_array("sequence", "requests", br#"{"method":"info"}"#, len).into(),
        ),
        case(false, "https", "POST", onion, "[0,0,…]", flat.clone()),
        case(false, "https", "POST", onion, "[[[…]]]", nested.clone()),
        case(
            false,
            "https",
            "POST",
            onion,
            "layer, routing JSON [0,0,…]",
            onion_frame_around(&flat_array(routing)).into(),
        ),
        case(
            false,
            "https",
            "POST",
            onion,
            "layer, routing JSON [[[…]]]",
            onion_frame_around(&nested_array(routing)).into(),
        ),
        case(
            false,
            "https",
            "POST",
            onion,
            "layer, routing JSON [{ephemeral_key},…]",
            onion_frame_around(&array_of(br#"{"ephemeral_key":"00"}"#, routing)).into(),
        ),
        case(false, "https", "GET", ping, "[0,0,…]", flat.clone()),
        case(
            false,
            "https",
            "POST",
            json_rpc,
            "[0,0,…] (not a storage route)",
            flat.clone(),
        ),
        case(
            false,
            "http",
            "POST",
            rpc,
            "[0,0,…] over plain HTTP",
            flat.clone(),
        ),
        case(
            false,
            "http",
            "POST",
            onion,
            "[0,0,…] over plain HTTP",
            flat.clone(),
        ),
        case(true, "https", "POST", json_rpc, "[0,0,…]", flat.clone()),
        case(true, "https", "POST", json_rpc, "[[[…]]]", nested.clone()),
        case(
            true,
            "https",
            "POST",
            json_rpc,
            "get_n_service_nodes, params {fields: [0,0,…]}",
            method_with_array("get_n_service_nodes", "fields", b"0", len).into(),
        ),
        case(
            true,
            "http",
            "POST",
            json_rpc,
            "[0,0,…] over plain HTTP",
            flat.clone(),
        ),
        case(
            true,
            "http",
            "POST",
            json_rpc,
            "[[[…]]] over plain HTTP",
            nested,
        ),
    ]
}

/// How long a `sesh` command in a test may run before it is killed and the test fails.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Makes a new identity at `dir/NAME.key` with `sesh keygen`; returns its path and Session ID.
pub fn keygen(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let key = dir.join(format!("{name}.key"));
    let out = super::support::sesh_command()
        .args(["keygen", "-q", "-o"])
        .arg(&key)
        .output()
        .expect("sesh keygen runs");
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8(out.stdout)
        .expect("a UTF-8 Session ID")
        .trim()
        .to_owned();
    (key, id)
}

/// Runs `cmd` with `stdin` (if any) written to its input, and waits for it at most `limit`:
/// past that it is stopped (SIGTERM) and the test fails, so a hang is a failure, not a stuck
/// run. Standard output and error are as `cmd` set them (pipe them to capture them).
pub fn output_within(
    cmd: &mut std::process::Command,
    stdin: Option<&[u8]>,
    limit: Duration,
) -> std::process::Output {
    if stdin.is_some() {
        cmd.stdin(std::process::Stdio::piped());
    }
    let what: Vec<_> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut child = cmd.spawn().expect("sesh runs");
    if let Some(input) = stdin {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("a stdin pipe");
        // A command that refuses its input may close the pipe before reading it all.
        let _ = pipe.write_all(input);
    }
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("sesh finishes"),
        Err(_) => {
            let _ = sesh::devnet::sigterm(pid);
            panic!("sesh {what:?} did not finish within {limit:?}");
        }
    }
}
