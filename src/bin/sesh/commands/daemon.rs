//! `sesh daemon`: one long-lived process per identity, speaking JSON-RPC 2.0 (one object a
//! line, [`jsonrpc`]) on a Unix socket or on standard input/output.
//!
//! Three threads share the work, each with what it needs kept warm:
//! - the main thread runs the connections (a single-threaded runtime): it reads requests,
//!   answers `version`, `id`, `subscribe` and `unsubscribe` itself, and writes every line
//!   (responses and notifications) through one writer task per connection;
//! - the request thread owns a network client (pool, paths, connections) and runs the
//!   requests that need the network (`send`, `resolve`, `react`, `read`, `typing`,
//!   `unsend`, `delete`) one after another, through the same code as the commands
//!   ([`super::send::deliver`], [`super::conversation::send_control`],
//!   [`super::unsend::unsend_all`]);
//! - the poller thread owns a second client and, only while someone is subscribed, polls
//!   the swarm as `receive --follow` does, through [`super::receive::poll_once`], whose rows
//!   go to the subscribers ([`Subscribers`]) instead of standard output.
//!
//! # Exactly once
//! `poll_once` records a page as delivered only after its flush succeeded. Here a flush
//! hands the page's notifications to every subscriber's writer and waits (at most
//! [`WRITE_WAIT`]) until each has written and flushed them; a subscriber whose connection
//! broke, or that took longer, is dropped. The flush succeeds when at least one subscriber
//! took the page: then it is recorded. With none, nothing is recorded, and the page waits in
//! the swarm for the next subscriber. A daemon killed after a write and before the record
//! delivers that page again once restarted: never lost, at worst the last page repeated.
//! "Written" means handed to the kernel: a client that dies after that loses what it did not
//! read (as a pipe reader of `sesh receive` would). A subscriber dropped for being slow may
//! still be written the page it was slow on, later: when it was the only one, that page was
//! not recorded and comes again.
//!
//! A subscription carries `sesh receive`'s options ([`Sub`]): the poll serves the union of
//! what the subscribers asked ([`poll_for`]), each getting only its own rows; with `max`,
//! the poll's budget is the fewest rows a subscriber still takes, so that no page is
//! recorded past what was written to it (the rest comes to the next); with
//! `until_caught_up`, it ends ([`caught_up`]) after the first poll that started after it
//! and found nothing more. That is how `sesh receive` runs through the daemon
//! ([`client`]), which is also where `sesh send` finds it.
//!
//! Each connection's lines wait in a bounded queue ([`MAX_QUEUED`]): a client that does not
//! read its answers is disconnected rather than held in memory.
//!
//! # Errors
//! JSON-RPC's codes for what is not a good request ([`jsonrpc`]); -32000 for what the
//! command would have failed at, with its kind, exit status and hint in `data`.

pub(crate) mod client;
mod jsonrpc;

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use sesh::cli::{
    DaemonArgs, DisappearAfter, IdentityArg, ReactArgs, ReadArgs, RowKind, SendArgs, TypingArgs,
};
use sesh::client::state::ReceiveLock;
use sesh::network::Network;
use sesh::{ErrorKind, Identity, SessionId};
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use self::jsonrpc::{ErrorData, Frame, Framer, Parsed};
use super::message::{Sink, SinkRow};
use super::{Ctx, NetClient, Result};
use crate::output::SentRecord;
use crate::render::{Context as _, Report};

/// How long a shutdown waits for the requests under way, and for the poll under way.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(30);

/// How long a page of notifications may take to be written to a subscriber before it is
/// dropped (so that a stuck client cannot stall every other one).
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// The most connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 256;

/// The most lines (responses, pages of notifications) waiting to be written to one
/// connection. A client that sends requests but does not read its answers fills it: it is
/// then disconnected (and unsubscribed), with a note on standard error, rather than let the
/// daemon's memory grow.
const MAX_QUEUED: usize = 1024;

/// The longest `sun_path` of a Unix socket address (108 bytes with its NUL on Linux).
const MAX_SOCKET_PATH: usize = 107;

pub(crate) fn run(ctx: &Ctx, args: &DaemonArgs) -> Result<()> {
    if args.stdio
        && args
            .identity
            .identity
            .as_deref()
            .is_some_and(super::is_stdio)
    {
        return Err(sesh::Error::Input(
            "with --stdio, standard input carries the requests, so the identity cannot; \
             name it with -i FILE"
                .to_owned(),
        )
        .into());
    }
    let identity = Arc::new(ctx.load_identity(&args.identity)?);
    // Bound before any thread starts: the umask it sets is the process's.
    let bound = if args.stdio {
        None
    } else {
        let path = match &args.socket {
            Some(p) => p.clone(),
            // Where `sesh send` and `sesh receive` look for it ([`client::daemon_socket`]).
            None => client::daemon_socket(ctx, &identity.session_id())?,
        };
        Some(bind(&path, args.socket.is_none())?)
    };
    // Rows as `receive --json` prints them.
    let mut dctx = ctx.clone();
    dctx.json = true;
    // Recipients are looked up in this identity's contacts (never by reading -i again: it
    // may have been standard input).
    let _ = dctx.owner.set(Some(identity.session_id()));
    let dctx = Arc::new(dctx);
    let hub = Arc::new(Hub {
        subs: Mutex::new(Subs::default()),
        state: Mutex::new(ctx.state()?),
        account: identity.session_id(),
        wake: Notify::new(),
    });
    let closing = Arc::new(AtomicBool::new(false));
    let requests = spawn_requests(
        dctx.clone(),
        ctx.client()?,
        identity.clone(),
        closing.clone(),
    )?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let poller = spawn_poller(
        dctx.clone(),
        ctx.client()?,
        identity.clone(),
        hub.clone(),
        stop_rx,
        args.interval,
    )?;
    let shared = Arc::new(Shared {
        identity,
        hub,
        requests,
        in_flight: AtomicUsize::new(0),
        idle: Notify::new(),
        closing,
        next_id: AtomicU64::new(1),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Report::failure)
        .context("starting the async runtime")?;
    let served = rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(Report::failure)
            .context("listening for SIGTERM")?;
        let stopped = async {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        match &bound {
            Some(b) => {
                let listener = b
                    .listener
                    .try_clone()
                    .and_then(|l| {
                        l.set_nonblocking(true)?;
                        tokio::net::UnixListener::from_std(l)
                    })
                    .map_err(Report::failure)
                    .context("listening")?;
                // Scripts wait for this line: the socket takes connections from now on.
                ctx.line(b.path.display())?;
                ctx.note(format_args!("listening on {}", b.path.display()));
                accept_loop(shared.clone(), listener, stopped).await;
            }
            None => {
                let conn = serve(
                    shared.clone(),
                    Input::Stdin(stdin_reader()),
                    Writer::Stdout,
                    shared.next_id.fetch_add(1, Ordering::Relaxed),
                );
                tokio::select! {
                    () = conn => {}
                    () = stopped => {}
                }
            }
        }
        // Stop: no new request; those under way finish (bounded), then the poll under way.
        shared.closing.store(true, Ordering::SeqCst);
        let drained = async {
            loop {
                // Registered before the count is read: a last answer in between still wakes.
                let idle = shared.idle.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if shared.in_flight.load(Ordering::SeqCst) == 0 {
                    break;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_WAIT, drained).await.is_err() {
            ctx.note("warning: stopping with requests still under way");
        }
        let _ = stop_tx.send(true);
        shared.hub.wake.notify_one();
        if tokio::time::timeout(SHUTDOWN_WAIT, poller).await.is_err() {
            ctx.note("warning: stopping with a poll still under way; its page comes again");
        }
        Ok::<(), Report>(())
    });
    // The standard input reader may be blocked in a read that never ends: not waited for.
    rt.shutdown_background();
    if let Some(b) = bound {
        let _ = std::fs::remove_file(&b.path);
    }
    served
}

/// The default socket: `$XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock`, or in the network's state
/// directory when there is no runtime directory. Named by the network (its name cut to 24
/// safe characters) and the first 16 hex digits of the Session ID after `05`, to keep the
/// path short (a socket's path is at most 107 bytes).
fn default_socket(ctx: &Ctx, network: &Network, id: &SessionId) -> Result<PathBuf> {
    let net: String = network
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(24)
        .collect();
    let id = id.to_string();
    let name = format!("{net}-{}.sock", &id[2..18]);
    Ok(
        match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("sesh").join(name),
            None => ctx.state_dir_of(network)?.join(name),
        },
    )
}

/// A listening socket, and the lock that makes it ours.
struct Bound {
    listener: std::os::unix::net::UnixListener,
    path: PathBuf,
    _lock: std::fs::File,
}

/// Takes `PATH.lock` (refused when another daemon holds it), replaces a socket file left by
/// a daemon that was killed, and listens on `path` with mode 0600. `own_dir`: the directory
/// is sesh's (the default), made 0700; a `--socket` directory is left as it is.
fn bind(path: &Path, own_dir: bool) -> Result<Bound> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(Report::with_kind(
            ErrorKind::InvalidInput,
            format!(
                "the socket path '{}' is {len} bytes long; a Unix socket's is at most \
                 {MAX_SOCKET_PATH}",
                path.display()
            ),
            Some("give a shorter one with --socket PATH".to_owned()),
        ));
    }
    let io = |action: &'static str, p: &Path| {
        let path = p.to_owned();
        move |source| {
            Report::from(sesh::Error::Io {
                action,
                path,
                source,
            })
        }
    };
    if own_dir && let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io("making the socket directory", dir))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("making the socket directory private", dir))?;
    }
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        // Never through a symbolic link planted at PATH.lock (it is truncated below).
        .custom_flags(i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0))
        .open(&lock_path)
        .map_err(io("opening the lock file", &lock_path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            // The holder's pid, shown only when it is one (the file is not trusted text).
            let pid = std::fs::read_to_string(&lock_path)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok());
            return Err(Report::with_kind(
                ErrorKind::Failure,
                format!(
                    "another sesh daemon{} is serving '{}'",
                    pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                    path.display()
                ),
                Some("talk to that one, stop it first, or give another --socket PATH".to_owned()),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(io("locking", &lock_path)(e));
        }
    }
    let _ = lock.set_len(0);
    let _ = writeln!(lock, "{}", std::process::id());
    // A socket left by a daemon that was killed: ours to replace, since we hold the lock.
    // Anything else at that path is not ours to remove.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt as _;
        if !meta.file_type().is_socket() {
            return Err(Report::with_kind(
                ErrorKind::Failure,
                format!("'{}' exists and is not a socket", path.display()),
                Some("remove it, or give another --socket PATH".to_owned()),
            ));
        }
        std::fs::remove_file(path).map_err(io("removing the old socket", path))?;
    }
    // No moment when the socket is open to others: made 0600 by the umask, then again.
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let listener = std::os::unix::net::UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = listener.map_err(io("listening on", path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(io("making the socket private", path))?;
    Ok(Bound {
        listener,
        path: path.to_owned(),
        _lock: lock,
    })
}

/// What the connections share.
struct Shared {
    identity: Arc<Identity>,
    hub: Arc<Hub>,
    requests: std::sync::mpsc::Sender<Task>,
    /// Requests handed to the request thread and not yet answered.
    in_flight: AtomicUsize,
    /// Notified when `in_flight` drops to 0.
    idle: Notify,
    /// Stopping: requests that need the network are refused, and those queued but not
    /// started are answered so.
    closing: Arc<AtomicBool>,
    /// Connection and subscription ids.
    next_id: AtomicU64,
}

/// The subscribers, and the receive lock held while there are any.
struct Hub {
    subs: Mutex<Subs>,
    /// The state, to take the receive lock.
    state: Mutex<sesh::client::State>,
    account: SessionId,
    /// Wakes the poller: a first subscriber, or the stop.
    wake: Notify,
}

#[derive(Default)]
struct Subs {
    /// By connection: its subscription.
    by_conn: BTreeMap<u64, Sub>,
    /// The polls started so far (the one under way included).
    round: u64,
    /// Held while anyone is subscribed (taken by `subscribe`, let go by the poller once no
    /// one is).
    lock: Option<ReceiveLock>,
    /// Pages written to subscribers that acknowledge (`ack`), by (connection, page), and
    /// whom to tell when the acknowledgement comes: kept apart from `by_conn`, since a
    /// subscriber whose `max` a page reaches is ended before it acknowledges it.
    awaiting: BTreeMap<(u64, u64), std::sync::mpsc::Sender<(u64, bool)>>,
    /// The pages handed out so far (their numbers in `page_end`).
    pages: u64,
}

/// A connection's subscription: what it asked for (`subscribe`'s params).
struct Sub {
    id: u64,
    outbox: Outbox,
    /// Rows as `sesh receive` prints them for people (`receive_text`), not JSON.
    text: bool,
    /// The kinds of rows it gets (as `--only`; empty: all but typing indicators).
    only: Vec<RowKind>,
    /// Whether it gets one's own messages sent from other devices (`--include-sent`).
    include_sent: bool,
    /// How many rows it takes still (`--max`): ended once they are written.
    left: Option<u64>,
    /// Ended (with a `caught_up` notification) after the first poll that started after it
    /// subscribed and found nothing more (`sesh receive` without `--follow`).
    until_caught_up: bool,
    /// [`Subs::round`] when it subscribed.
    joined: u64,
    /// A page counts as taken only once it says so (`ack {page}` after its `page_end`
    /// notification), not once written: what `sesh receive` through the daemon asks, so
    /// that rows it did not print come again.
    acks: bool,
}

impl Sub {
    fn wants(&self, row: &SinkRow) -> bool {
        (!row.own || self.include_sent) && super::receive::wanted(&self.only, row.kind)
    }
}

/// A line (or lines) for a connection's writer, and whom to tell once written.
struct Out {
    bytes: Vec<u8>,
    ack: Ack,
}

enum Ack {
    None,
    /// A page of notifications: (connection, written) to the poller thread.
    Page(u64, std::sync::mpsc::Sender<(u64, bool)>),
    /// A page for a subscriber that acknowledges: only a failed write is told here (the
    /// success comes with its `ack`).
    PageToAcknowledge(u64, std::sync::mpsc::Sender<(u64, bool)>),
    /// A response to a request that was in flight.
    Response(oneshot::Sender<()>),
}

async fn accept_loop(
    shared: Arc<Shared>,
    listener: tokio::net::UnixListener,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s,
            () = &mut stopped => return,
        };
        let Ok(slot) = slot else { return };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut stopped => return,
        };
        match accepted {
            Ok((stream, _)) => {
                let shared = shared.clone();
                let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let (r, w) = stream.into_split();
                    serve(shared, Input::Socket(r), Writer::Socket(w), id).await;
                    drop(slot);
                });
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "sesh: warning: accepting: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Where a connection's requests come from.
enum Input {
    Socket(tokio::net::unix::OwnedReadHalf),
    /// Chunks of standard input, read by a thread ([`stdin_reader`]).
    Stdin(mpsc::Receiver<Vec<u8>>),
}

/// Where a connection's lines go.
enum Writer {
    Socket(tokio::net::unix::OwnedWriteHalf),
    /// Standard output, written by a thread: a page is acknowledged only once `write` and
    /// `flush` returned (no buffer of ours in between).
    Stdout,
}

/// Reads standard input on a thread of its own (blocking reads), in chunks.
fn stdin_reader() -> mpsc::Receiver<Vec<u8>> {
    use std::io::Read as _;
    let (tx, rx) = mpsc::channel(4);
    let _ = std::thread::Builder::new()
        .name("sesh-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                };
                if tx.blocking_send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
    rx
}

/// Serves one connection until its input ends.
async fn serve(shared: Arc<Shared>, mut input: Input, writer: Writer, conn: u64) {
    let (tx, rx) = Outbox::new(conn, MAX_QUEUED);
    let writing = match writer {
        Writer::Socket(w) => tokio::spawn(write_loop(w, rx)),
        Writer::Stdout => tokio::task::spawn_blocking(move || write_stdout(rx)),
    };
    let mut framer = Framer::new(jsonrpc::MAX_LINE);
    let mut buf = vec![0u8; 64 * 1024];
    let mut frames = Vec::new();
    let overflow = tx.overflow.clone();
    let mut overflowed = false;
    loop {
        // What came: a length of `buf`, or a chunk of standard input.
        let read = async {
            match &mut input {
                Input::Socket(r) => match r.read(&mut buf).await {
                    Ok(0) | Err(_) => None,
                    Ok(n) => Some(Err(n)),
                },
                Input::Stdin(rx) => rx.recv().await.map(Ok),
            }
        };
        let came = tokio::select! {
            c = read => c,
            () = overflow.notified() => {
                overflowed = true;
                None
            }
        };
        let chunk: Vec<u8>;
        let data = match came {
            None => break,
            Some(Err(n)) => &buf[..n],
            Some(Ok(c)) => {
                chunk = c;
                &chunk[..]
            }
        };
        framer.feed(data, &mut frames);
        for frame in frames.drain(..) {
            handle(&shared, conn, &tx, &frame);
        }
    }
    if !overflowed && let Some(frame) = framer.finish() {
        handle(&shared, conn, &tx, &frame);
    }
    // Gone: no more notifications for it, nor acknowledgements.
    shared.hub.gone(conn);
    drop(tx);
    if overflowed {
        // Its writer may be stuck on a client that does not read: not waited for.
        writing.abort();
    } else {
        let _ = writing.await;
    }
}

/// A connection's queue of lines to write, bounded ([`MAX_QUEUED`]).
#[derive(Clone)]
struct Outbox {
    conn: u64,
    tx: mpsc::Sender<Out>,
    /// Notified when the queue was full: the connection is to be closed.
    overflow: Arc<Notify>,
}

impl Outbox {
    fn new(conn: u64, capacity: usize) -> (Self, mpsc::Receiver<Out>) {
        let (tx, rx) = mpsc::channel(capacity);
        let outbox = Self {
            conn,
            tx,
            overflow: Arc::new(Notify::new()),
        };
        (outbox, rx)
    }

    /// Queues `out`; false when the connection is gone or its queue is full (then it is to
    /// be closed; whoever waits on `out`'s ack is told by its drop).
    fn push(&self, out: Out) -> bool {
        match self.tx.try_send(out) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "sesh: warning: connection {} does not read its answers ({} lines \
                     waiting); disconnecting it",
                    self.conn,
                    self.tx.max_capacity()
                );
                self.overflow.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Writes the connection's lines in order, each batch flushed; tells who waits.
async fn write_loop<W: AsyncWrite + Unpin + Send>(mut w: W, mut rx: mpsc::Receiver<Out>) {
    let mut broken = false;
    while let Some(out) = rx.recv().await {
        let ok = !broken && w.write_all(&out.bytes).await.is_ok() && w.flush().await.is_ok();
        broken |= !ok;
        acknowledge(out.ack, ok);
    }
}

/// [`write_loop`] for standard output, on a blocking thread.
fn write_stdout(mut rx: mpsc::Receiver<Out>) {
    let mut broken = false;
    while let Some(out) = rx.blocking_recv() {
        let ok = !broken && {
            let mut w = std::io::stdout().lock();
            w.write_all(&out.bytes).and_then(|()| w.flush()).is_ok()
        };
        broken |= !ok;
        acknowledge(out.ack, ok);
    }
}

fn acknowledge(ack: Ack, ok: bool) {
    match ack {
        Ack::None => {}
        Ack::Page(conn, tx) => {
            let _ = tx.send((conn, ok));
        }
        Ack::PageToAcknowledge(conn, tx) => {
            if !ok {
                let _ = tx.send((conn, false));
            }
        }
        Ack::Response(tx) => {
            let _ = tx.send(());
        }
    }
}

impl Hub {
    /// Ends `conn`'s subscription, if any. The last one gone, the poller is woken to let go
    /// of the receive lock at once (not after its next sleep).
    fn unsubscribe(&self, conn: u64) {
        let mut subs = self.subs_lock();
        if subs.by_conn.remove(&conn).is_some() && subs.by_conn.is_empty() {
            self.wake.notify_one();
        }
    }

    /// `conn` is gone: a page it was to acknowledge never will be (the poller is told at
    /// once, rather than after its wait).
    fn gone(&self, conn: u64) {
        self.unsubscribe(conn);
        let mut subs = self.subs_lock();
        let pages: Vec<(u64, u64)> = subs
            .awaiting
            .keys()
            .filter(|(c, _)| *c == conn)
            .copied()
            .collect();
        for key in pages {
            if let Some(tx) = subs.awaiting.remove(&key) {
                let _ = tx.send((conn, false));
            }
        }
    }

    fn subs_lock(&self) -> std::sync::MutexGuard<'_, Subs> {
        // A thread that panicked while holding it left plain data: still usable.
        self.subs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Answers one line.
fn handle(shared: &Arc<Shared>, conn: u64, tx: &Outbox, frame: &Frame) {
    let send = |line: String| {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        tx.push(Out {
            bytes,
            ack: Ack::None,
        });
    };
    let req = match jsonrpc::parse(frame) {
        Parsed::Blank => return,
        Parsed::Error(line) => return send(line),
        Parsed::Request(r) => r,
    };
    let id = req.id.clone();
    let reply = |result: std::result::Result<Value, Reply>| {
        // A notification is never answered, even with an error.
        let Some(id) = &id else { return };
        send(match result {
            Ok(v) => jsonrpc::success(id, &v),
            Err(e) => e.line(id),
        });
    };
    match req.method.as_str() {
        "version" => reply(Ok(json!({
            "name": "sesh",
            "version": env!("CARGO_PKG_VERSION"),
        }))),
        "id" => reply(Ok(json!({
            "session_id": shared.identity.session_id().to_string(),
        }))),
        "subscribe" => reply(subscribe(shared, conn, tx, req.params)),
        "unsubscribe" => reply(unsubscribe(shared, conn, req.params)),
        "ack" => reply(acknowledged(shared, conn, req.params)),
        "send" | "resolve" | "react" | "read" | "typing" | "unsend" | "delete" => {
            let call = match Call::parse(&req.method, req.params) {
                Ok(c) => c,
                Err(e) => return reply(Err(e)),
            };
            if shared.closing.load(Ordering::SeqCst) {
                return reply(Err(Reply::Sesh(Report::with_kind(
                    ErrorKind::Transient,
                    "the daemon is stopping".to_owned(),
                    Some("send the request again once it runs again".to_owned()),
                ))));
            }
            let (done_tx, done_rx) = oneshot::channel();
            shared.in_flight.fetch_add(1, Ordering::SeqCst);
            if shared
                .requests
                .send(Task {
                    call,
                    reply: done_tx,
                })
                .is_err()
            {
                finished(shared);
                return reply(Err(Reply::Sesh(Report::with_kind(
                    ErrorKind::Failure,
                    "the daemon's request thread has stopped".to_owned(),
                    None,
                ))));
            }
            let (shared, tx) = (shared.clone(), tx.clone());
            tokio::spawn(async move {
                let result = done_rx.await.unwrap_or_else(|_| {
                    Err(Reply::Sesh(Report::with_kind(
                        ErrorKind::Failure,
                        "the request was dropped".to_owned(),
                        None,
                    )))
                });
                if let Some(id) = &id {
                    let mut bytes = match result {
                        Ok(v) => jsonrpc::success(id, &v),
                        Err(e) => e.line(id),
                    }
                    .into_bytes();
                    bytes.push(b'\n');
                    let (ack_tx, ack_rx) = oneshot::channel();
                    if tx.push(Out {
                        bytes,
                        ack: Ack::Response(ack_tx),
                    }) {
                        let _ = ack_rx.await;
                    }
                }
                finished(&shared);
            });
        }
        other => reply(Err(Reply::Rpc(
            jsonrpc::METHOD_NOT_FOUND,
            format!("no method '{}'", crate::escape::line(other)),
        ))),
    }
}

/// One request answered: wakes a shutdown waiting for the last.
fn finished(shared: &Shared) {
    if shared.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
        shared.idle.notify_waiters();
    }
}

/// Why a request failed: a JSON-RPC error of its own, or a sesh error.
enum Reply {
    Rpc(i64, String),
    Sesh(Report),
}

impl Reply {
    fn line(&self, id: &Value) -> String {
        match self {
            Self::Rpc(code, message) => jsonrpc::error(id, *code, message, None),
            Self::Sesh(r) => jsonrpc::error(
                id,
                jsonrpc::SESH_ERROR,
                &r.message(),
                Some(&ErrorData::new(r.kind(), r.hint())),
            ),
        }
    }
}

impl From<Report> for Reply {
    fn from(r: Report) -> Self {
        Self::Sesh(r)
    }
}

fn bad_params(e: impl std::fmt::Display) -> Reply {
    Reply::Rpc(jsonrpc::INVALID_PARAMS, format!("bad params: {e}"))
}

/// `subscribe`: this connection gets every incoming message as a `receive` notification
/// from now on; the first subscriber takes the receive lock. A connection has one
/// subscription: subscribing again returns the same id (its params unchanged).
///
/// Params, all optional, as `sesh receive`'s options: `only` (row kinds), `include_sent`,
/// `max` (rows; the subscription ends once they are written), `format` (`"json"`, or
/// `"text"`: `receive_text` notifications `{"row": TEXT}` instead), `until_caught_up`
/// (ends, with a `caught_up` notification, after the first poll that started after it
/// and found nothing more; a poll that failed ends it with `caught_up` `{"error": {...}}`).
fn subscribe(
    shared: &Shared,
    conn: u64,
    tx: &Outbox,
    params: Value,
) -> std::result::Result<Value, Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        #[serde(default)]
        only: Vec<String>,
        #[serde(default)]
        include_sent: bool,
        max: Option<u64>,
        format: Option<String>,
        #[serde(default)]
        until_caught_up: bool,
        #[serde(default)]
        ack: bool,
    }
    let p: Params = serde_json::from_value(params).map_err(bad_params)?;
    let only = p
        .only
        .iter()
        .map(|k| {
            <RowKind as clap::ValueEnum>::from_str(k, false)
                .map_err(|_| bad_params(format_args!("no row kind '{}'", crate::escape::line(k))))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let text = match p.format.as_deref() {
        None | Some("json") => false,
        Some("text") => true,
        Some(_) => return Err(bad_params("\"format\" is \"json\" or \"text\"")),
    };
    if p.max == Some(0) {
        return Err(bad_params("\"max\" is at least 1"));
    }
    let hub = &shared.hub;
    let mut subs = hub.subs_lock();
    if let Some(sub) = subs.by_conn.get(&conn) {
        return Ok(json!(sub.id));
    }
    if subs.lock.is_none() {
        let state = hub
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let lock = state
            .lock_receive(&hub.account)
            .map_err(|e| Report::from(sesh::client::Error::State(e)))?;
        subs.lock = Some(lock);
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let joined = subs.round;
    subs.by_conn.insert(
        conn,
        Sub {
            id,
            outbox: tx.clone(),
            text,
            only,
            include_sent: p.include_sent,
            left: p.max,
            until_caught_up: p.until_caught_up,
            joined,
            acks: p.ack,
        },
    );
    hub.wake.notify_one();
    Ok(json!(id))
}

/// `ack {page}`: the subscriber on this connection has taken page `page` (its rows are
/// printed, or otherwise safe): it may now be recorded as delivered.
fn acknowledged(shared: &Shared, conn: u64, params: Value) -> std::result::Result<Value, Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        page: u64,
    }
    let p: Params = serde_json::from_value(params).map_err(bad_params)?;
    let waiter = shared.hub.subs_lock().awaiting.remove(&(conn, p.page));
    match waiter {
        Some(tx) => {
            let _ = tx.send((conn, true));
            Ok(json!(true))
        }
        None => Err(bad_params(format_args!(
            "no page {} awaits an acknowledgement on this connection",
            p.page
        ))),
    }
}

/// `unsubscribe`: no more notifications on this connection (`{"subscription": ID}`
/// optional; it must be this connection's).
fn unsubscribe(shared: &Shared, conn: u64, params: Value) -> std::result::Result<Value, Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        subscription: Option<u64>,
    }
    let p: Params = serde_json::from_value(params).map_err(bad_params)?;
    let subs = shared.hub.subs_lock();
    match (subs.by_conn.get(&conn).map(|s| s.id), p.subscription) {
        (Some(id), Some(asked)) if id != asked => Err(bad_params(format_args!(
            "subscription {asked} is not this connection's"
        ))),
        (None, Some(asked)) => Err(bad_params(format_args!(
            "subscription {asked} is not this connection's"
        ))),
        (found, _) => {
            let was = found.is_some();
            drop(subs);
            shared.hub.unsubscribe(conn);
            Ok(json!(was))
        }
    }
}

/// A request for the request thread, with its params read: named as the command's
/// arguments.
enum Call {
    Send(Box<SendArgs>),
    Resolve(String),
    React(ReactArgs),
    Read(ReadArgs),
    Typing(TypingArgs),
    Unsend(Vec<String>),
    /// The hashes, or every message (`all`).
    Delete(Vec<String>, bool),
}

impl Call {
    fn parse(method: &str, params: Value) -> std::result::Result<Self, Reply> {
        fn read<T: serde::de::DeserializeOwned>(params: Value) -> std::result::Result<T, Reply> {
            serde_json::from_value(params).map_err(bad_params)
        }
        let none = || IdentityArg { identity: None };
        Ok(match method {
            "send" => Self::Send(Box::new(send_args(params)?)),
            "resolve" => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    name: String,
                }
                Self::Resolve(read::<Params>(params)?.name)
            }
            "react" => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    recipient: String,
                    timestamp: u64,
                    author: String,
                    emoji: String,
                    #[serde(default)]
                    remove: bool,
                }
                let p: Params = read(params)?;
                Self::React(ReactArgs {
                    recipient: p.recipient,
                    timestamp: p.timestamp,
                    author: p.author,
                    emoji: p.emoji,
                    remove: p.remove,
                    identity: none(),
                })
            }
            "read" => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    recipient: String,
                    timestamps: Vec<u64>,
                }
                let p: Params = read(params)?;
                if p.timestamps.is_empty() {
                    return Err(bad_params("\"timestamps\" is empty"));
                }
                Self::Read(ReadArgs {
                    recipient: p.recipient,
                    timestamps: p.timestamps,
                    identity: none(),
                })
            }
            "typing" => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    recipient: String,
                    #[serde(default)]
                    stop: bool,
                }
                let p: Params = read(params)?;
                Self::Typing(TypingArgs {
                    recipient: p.recipient,
                    stop: p.stop,
                    identity: none(),
                })
            }
            "unsend" => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    hashes: Vec<String>,
                }
                let p: Params = read(params)?;
                if p.hashes.is_empty() {
                    return Err(bad_params("\"hashes\" is empty"));
                }
                Self::Unsend(p.hashes)
            }
            _ => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    #[serde(default)]
                    hashes: Vec<String>,
                    #[serde(default)]
                    all: bool,
                }
                let p: Params = read(params)?;
                if p.hashes.is_empty() != p.all {
                    return Err(bad_params("give \"hashes\" or \"all\": true, not both"));
                }
                Self::Delete(p.hashes, p.all)
            }
        })
    }
}

/// `send`'s params, as `sesh send`'s arguments.
fn send_args(params: Value) -> std::result::Result<SendArgs, Reply> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        recipients: Vec<String>,
        message: Option<String>,
        #[serde(default)]
        attachments: Vec<PathBuf>,
        /// Seconds.
        ttl: Option<u64>,
        /// Seconds.
        disappear: Option<u64>,
        after: Option<String>,
        name: Option<String>,
        #[serde(default)]
        no_sync: bool,
    }
    let p: Params = serde_json::from_value(params).map_err(bad_params)?;
    if p.recipients.is_empty() {
        return Err(bad_params("\"recipients\" is empty"));
    }
    if p.message.is_none() && p.attachments.is_empty() {
        return Err(bad_params("give \"message\", \"attachments\" or both"));
    }
    if p.attachments.iter().any(|a| super::is_stdio(a)) {
        return Err(bad_params(
            "an attachment is a file path; the daemon has no standard input to read",
        ));
    }
    // As --ttl and --disappear: 10 s to 14 d.
    let span = |what: &str, s: u64| {
        if (10..=14 * 86_400).contains(&s) {
            Ok(Duration::from_secs(s))
        } else {
            Err(bad_params(format_args!(
                "\"{what}\" is {s} seconds; it must be 10 to 1209600 (14 days)"
            )))
        }
    };
    let ttl = span("ttl", p.ttl.unwrap_or(14 * 86_400))?;
    let disappear = p.disappear.map(|s| span("disappear", s)).transpose()?;
    let after = match p.after.as_deref() {
        None => None,
        Some(_) if disappear.is_none() => return Err(bad_params("\"after\" needs \"disappear\"")),
        Some("read") => Some(DisappearAfter::Read),
        Some("send") => Some(DisappearAfter::Send),
        Some(_) => return Err(bad_params("\"after\" is \"read\" or \"send\"")),
    };
    Ok(SendArgs {
        recipients: p.recipients,
        identity: IdentityArg { identity: None },
        message: p.message,
        name: p.name,
        attach: p.attachments,
        attach_name: None,
        ttl,
        no_sync: p.no_sync,
        disappear,
        after,
        no_daemon: true,
    })
}

/// A request for the request thread, and where its answer goes.
struct Task {
    call: Call,
    reply: oneshot::Sender<std::result::Result<Value, Reply>>,
}

/// Starts the request thread: it runs each request in turn with one warm client.
fn spawn_requests(
    ctx: Arc<Ctx>,
    mut client: NetClient,
    identity: Arc<Identity>,
    closing: Arc<AtomicBool>,
) -> Result<std::sync::mpsc::Sender<Task>> {
    let (tx, rx) = std::sync::mpsc::channel::<Task>();
    let rt = super::runtime()?;
    std::thread::Builder::new()
        .name("sesh-requests".into())
        .spawn(move || {
            while let Ok(task) = rx.recv() {
                // Queued before the stop and not started: answered, not run (a send begun
                // now could be cut off by the end of the wait, stored but unanswered).
                if closing.load(Ordering::SeqCst) {
                    let _ = task.reply.send(Err(Reply::Sesh(Report::with_kind(
                        ErrorKind::Transient,
                        "the daemon is stopping; this request was not started".to_owned(),
                        Some("send the request again once it runs again".to_owned()),
                    ))));
                    continue;
                }
                let result = match task.call {
                    Call::Send(args) => send(&ctx, &rt, &mut client, &identity, &args),
                    Call::Resolve(name) => resolve(&rt, &mut client, &name),
                    Call::Unsend(hashes) => unsend(&ctx, &rt, &mut client, &identity, &hashes),
                    Call::Delete(hashes, all) => delete(&rt, &mut client, &identity, &hashes, all),
                    Call::React(a) => conversation(&ctx, &rt, &mut client, &identity, |c| {
                        let (to, r) = super::conversation::react_args(&ctx, &a)?;
                        super::conversation::react_control(c, &identity, to, r)
                    }),
                    Call::Read(a) => conversation(&ctx, &rt, &mut client, &identity, |_| {
                        let to = super::conversation::read_args(&ctx, &a)?;
                        Ok(super::conversation::read_control(to, a.timestamps.clone()))
                    }),
                    Call::Typing(a) => conversation(&ctx, &rt, &mut client, &identity, |_| {
                        let to = super::conversation::typing_args(&ctx, &a)?;
                        Ok(super::conversation::typing_control(to, !a.stop))
                    }),
                };
                let _ = task.reply.send(result);
            }
        })
        .map_err(Report::failure)
        .context("starting the request thread")?;
    Ok(tx)
}

/// `react`, `read`, `typing`: the conversation message `make` makes, sent as the command
/// sends it -> `{"type": "sent", "kind", "to", "hash", "timestamp", "sync_hash"}`.
fn conversation(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &mut NetClient,
    identity: &Identity,
    make: impl FnOnce(&mut NetClient) -> Result<super::conversation::Control>,
) -> std::result::Result<Value, Reply> {
    let c = make(client)?;
    let sent = rt.block_on(super::conversation::send_control(ctx, client, identity, c))?;
    Ok(sent.to_json())
}

/// `unsend {hashes}` -> `{"unsent": [{"hash", "to", "timestamp", "deleted"}], "complete"}`
/// (`complete`: every member of one's swarm confirmed deleting the copies; else `sesh
/// unsend` would exit 4).
fn unsend(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &mut NetClient,
    identity: &Identity,
    hashes: &[String],
) -> std::result::Result<Value, Reply> {
    let sent = super::unsend::recorded(client, &identity.session_id(), hashes)?;
    let mut rows = Vec::new();
    let complete = rt.block_on(super::unsend::unsend_all(
        ctx,
        client,
        identity,
        &sent,
        &mut |r| {
            rows.push(json!({
                "hash": r.hash,
                "to": r.to,
                "timestamp": r.timestamp,
                "deleted": r.deleted,
            }));
            Ok(())
        },
    ))?;
    Ok(json!({"unsent": rows, "complete": complete}))
}

/// `delete {hashes}` or `delete {all: true}` -> `{"deleted", "confirmed", "members",
/// "complete"}`, as `sesh delete --json` (`complete`: every member confirmed).
fn delete(
    rt: &tokio::runtime::Runtime,
    client: &mut NetClient,
    identity: &Identity,
    hashes: &[String],
    all: bool,
) -> std::result::Result<Value, Reply> {
    let outcome = rt
        .block_on(async {
            if all {
                client.delete_all_messages(identity).await
            } else {
                client.delete_messages(identity, hashes).await
            }
        })
        .map_err(Report::from)?;
    Ok(json!({
        "deleted": outcome.deleted,
        "confirmed": outcome.confirmed,
        "members": outcome.members,
        "complete": outcome.complete(),
    }))
}

/// `resolve {name}` -> `{"name", "session_id"}`, as `sesh resolve --json`.
fn resolve(
    rt: &tokio::runtime::Runtime,
    client: &mut NetClient,
    name: &str,
) -> std::result::Result<Value, Reply> {
    let name = sesh::ons::Name::parse(name).map_err(|e| {
        Report::from(sesh::Error::Input(format!(
            "'{}' is not a valid ONS name: {e}",
            crate::escape::line(name)
        )))
    })?;
    let found = rt
        .block_on(client.resolve_ons(&name))
        .map_err(Report::from)?;
    let id = found.ok_or_else(|| {
        Report::from(sesh::Error::Input(format!(
            "no Session ID is registered for {name}"
        )))
    })?;
    Ok(json!({"name": name.to_string(), "session_id": id.to_string()}))
}

/// `send`: through [`super::send::deliver`] with the warm client; every recipient's
/// outcome in `sent` or `failed`. What fails before any send (a recipient that is not one,
/// a file that cannot be read) is the request's error.
fn send(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    client: &mut NetClient,
    identity: &Arc<Identity>,
    args: &SendArgs,
) -> std::result::Result<Value, Reply> {
    use super::send::{Deliveries, Job, Timings, deliver};
    #[derive(Default)]
    struct Collected {
        sent: Vec<Value>,
        failed: Vec<Value>,
        sync_failed: Vec<Value>,
    }
    impl Deliveries for Collected {
        fn sent(&mut self, r: SentRecord) {
            let mut v = json!({
                "to": r.to,
                "hash": r.hash,
                "timestamp": r.timestamp,
                "sync_hash": r.sync_hash,
            });
            if !r.attachments.is_empty() {
                v["attachments"] = json!(r.attachments);
            }
            self.sent.push(v);
        }
        fn sync_failed(&mut self, to: &SessionId, report: Report) {
            self.sync_failed.push(json!({
                "to": to.to_string(),
                "error": report.message(),
                "hint": report.hint(),
            }));
        }
        fn failed(&mut self, to: &SessionId, report: Report, _alone: bool) -> Result<()> {
            self.failed.push(json!({
                "to": to.to_string(),
                "error": report.message(),
                "kind": report.kind().as_str(),
                "hint": report.hint(),
            }));
            Ok(())
        }
    }
    let mut timings = Timings::from_env();
    // Resolved outside the runtime: a name is resolved as `sesh send` does.
    let mut job = Job::new(ctx, args, Some(identity.clone()), &mut timings)?;
    job.ready(client, &mut timings)?;
    let mut got = Collected::default();
    let tally = rt.block_on(deliver(ctx, client, job, &mut timings, &mut got))?;
    // SESH_TIMINGS=1: each send's steps on the daemon's standard error, as `sesh send`'s.
    timings.report();
    // `copies` and `sync_failed`: the copies for one's other devices that were to be
    // stored, and those that failed (what makes `sesh send` exit 4 when all else went).
    Ok(json!({
        "sent": got.sent,
        "failed": got.failed,
        "copies": tally.copies,
        "sync_failed": got.sync_failed,
    }))
}

/// Where the poller's rows go: every subscriber, as `receive` notifications.
struct Subscribers {
    hub: Arc<Hub>,
    /// How long a subscriber may take to write a page ([`WRITE_WAIT`]).
    wait: Duration,
    /// Set when a page reached no subscriber (so it was not recorded).
    lost: AtomicBool,
}

impl Sink for Subscribers {
    fn write_lines(&self, lines: &[u8]) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(lines.len() + 64);
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let text = std::str::from_utf8(line).map_err(std::io::Error::other)?;
            bytes.extend_from_slice(jsonrpc::notification_raw("receive", text).as_bytes());
            bytes.push(b'\n');
        }
        self.page(|_| (bytes.clone(), 0))
    }

    fn write_rows(&self, rows: &[SinkRow]) -> std::io::Result<()> {
        self.page(|sub| {
            let mut bytes = Vec::new();
            let mut n = 0u64;
            for row in rows.iter().filter(|r| sub.wants(r)) {
                let line = if sub.text {
                    jsonrpc::notification("receive_text", &json!({"row": row.text}))
                } else {
                    jsonrpc::notification_raw("receive", &row.json)
                };
                bytes.extend_from_slice(line.as_bytes());
                bytes.push(b'\n');
                n += 1;
            }
            (bytes, n)
        })
    }

    fn failed(&self, message: &str) {
        let mut line = jsonrpc::notification("receive_error", &json!({"message": message}));
        line.push('\n');
        let subs = self.hub.subs_lock();
        for sub in subs.by_conn.values() {
            sub.outbox.push(Out {
                bytes: line.clone().into_bytes(),
                ack: Ack::None,
            });
        }
    }
}

impl Subscribers {
    /// Hands a page to every subscriber (`bytes_for` gives its lines and how many rows they
    /// are; none is a page taken with nothing to write) and waits until each wrote it: Ok
    /// when at least one did. A subscriber whose connection broke, or that was too slow, is
    /// dropped; one whose `max` the page reaches is ended.
    fn page(&self, bytes_for: impl Fn(&Sub) -> (Vec<u8>, u64)) -> std::io::Result<()> {
        let (ack_tx, ack_rx) = std::sync::mpsc::channel();
        let mut waiting: HashSet<u64> = HashSet::new();
        let mut took = 0usize;
        {
            let mut subs = self.hub.subs_lock();
            let mut gone = Vec::new();
            let Subs {
                by_conn,
                awaiting,
                pages,
                ..
            } = &mut *subs;
            for (conn, sub) in by_conn.iter_mut() {
                let (mut bytes, n) = bytes_for(sub);
                if bytes.is_empty() {
                    took += 1;
                    continue;
                }
                let ack = if sub.acks {
                    // Ends with `page_end`; taken when the subscriber acknowledges it.
                    *pages += 1;
                    let end = jsonrpc::notification("page_end", &json!({"page": *pages}));
                    bytes.extend_from_slice(end.as_bytes());
                    bytes.push(b'\n');
                    awaiting.insert((*conn, *pages), ack_tx.clone());
                    Ack::PageToAcknowledge(*conn, ack_tx.clone())
                } else {
                    Ack::Page(*conn, ack_tx.clone())
                };
                let out = Out { bytes, ack };
                if sub.outbox.push(out) {
                    waiting.insert(*conn);
                } else {
                    // Its connection is gone (or does not read).
                    gone.push(*conn);
                }
                if let Some(left) = &mut sub.left {
                    *left = left.saturating_sub(n);
                    if *left == 0 {
                        // All it asked for: no more, whether this write succeeds or not.
                        gone.push(*conn);
                    }
                }
            }
            for conn in gone {
                subs.by_conn.remove(&conn);
            }
        }
        drop(ack_tx);
        let watch = sesh::clock::Stopwatch::start();
        while !waiting.is_empty() {
            let left = self.wait.saturating_sub(watch.elapsed());
            match ack_rx.recv_timeout(left) {
                Ok((conn, ok)) => {
                    waiting.remove(&conn);
                    if ok {
                        took += 1;
                    } else {
                        self.hub.subs_lock().by_conn.remove(&conn);
                    }
                }
                Err(_) => break,
            }
        }
        // Too slow: unsubscribed, so that it cannot stall the others, and told so (after
        // the page it did not take in time, which comes again to whoever subscribes).
        let mut subs = self.hub.subs_lock();
        // One page at a time: an acknowledgement that did not come in time is no longer
        // awaited (it would come too late to count).
        subs.awaiting.clear();
        for conn in &waiting {
            if let Some(sub) = subs.by_conn.remove(conn) {
                let note = jsonrpc::notification_raw(
                    "unsubscribed",
                    r#"{"reason":"too slow: a page of notifications was not taken in time"}"#,
                );
                let _ = sub.outbox.push(Out {
                    bytes: format!("{note}\n").into_bytes(),
                    ack: Ack::None,
                });
            }
        }
        if subs.by_conn.is_empty() {
            self.hub.wake.notify_one();
        }
        drop(subs);
        if took == 0 {
            self.lost.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other(
                "no subscriber took the messages; they wait in the swarm",
            ));
        }
        Ok(())
    }
}

/// What the poll serves: the union of what the subscribers asked (the kinds, one's own
/// messages) and the fewest rows one of them still takes. Each subscriber's rows are then
/// filtered to what it asked ([`Sub::wants`]).
fn poll_for(subs: &Subs) -> (Vec<RowKind>, bool, Option<u64>) {
    use clap::ValueEnum as _;
    let mut kinds: Vec<RowKind> = Vec::new();
    for sub in subs.by_conn.values() {
        for k in RowKind::value_variants() {
            if super::receive::wanted(&sub.only, *k) && !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    let include_sent = subs.by_conn.values().any(|s| s.include_sent);
    let budget = subs.by_conn.values().filter_map(|s| s.left).min();
    (kinds, include_sent, budget)
}

/// After a poll that started as round `round` and found nothing more (or failed: `error`),
/// ends the subscriptions that wait for that (`until_caught_up`, subscribed before it
/// started) with a `caught_up` notification.
fn caught_up(hub: &Hub, round: u64, error: Option<&Report>) {
    let params = match error {
        None => json!({}),
        Some(e) => json!({"error": {
            "message": e.message(),
            "kind": e.kind().as_str(),
            "exit_status": e.kind().exit_code(),
            "hint": e.hint(),
        }}),
    };
    let mut line = jsonrpc::notification("caught_up", &params);
    line.push('\n');
    let mut subs = hub.subs_lock();
    let done: Vec<u64> = subs
        .by_conn
        .iter()
        .filter(|(_, s)| s.until_caught_up && s.joined < round)
        .map(|(c, _)| *c)
        .collect();
    let ended: Vec<Sub> = done.iter().filter_map(|c| subs.by_conn.remove(c)).collect();
    if subs.by_conn.is_empty() {
        // Let go before they are told: a `sesh receive --no-daemon` run after one that
        // ended here finds the lock free.
        subs.lock = None;
    }
    for sub in ended {
        sub.outbox.push(Out {
            bytes: line.clone().into_bytes(),
            ack: Ack::None,
        });
    }
}

/// Starts the poller thread; the receiver completes when it has stopped.
fn spawn_poller(
    ctx: Arc<Ctx>,
    mut client: NetClient,
    identity: Arc<Identity>,
    hub: Arc<Hub>,
    mut stop: watch::Receiver<bool>,
    interval: Duration,
) -> Result<oneshot::Receiver<()>> {
    let (done_tx, done_rx) = oneshot::channel();
    let rt = super::runtime()?;
    std::thread::Builder::new()
        .name("sesh-poller".into())
        .spawn(move || {
            rt.block_on(async {
                let mut backoff = interval;
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let asked = {
                        let mut subs = hub.subs_lock();
                        if subs.by_conn.is_empty() {
                            // No one to deliver to: messages wait, and `sesh receive` may run.
                            subs.lock = None;
                            None
                        } else {
                            subs.round += 1;
                            Some((poll_for(&subs), subs.round))
                        }
                    };
                    let Some(((only, include_sent, budget), round)) = asked else {
                        tokio::select! {
                            () = hub.wake.notified() => {}
                            _ = stop.changed() => {}
                        }
                        continue;
                    };
                    let sink = Arc::new(Subscribers {
                        hub: hub.clone(),
                        wait: WRITE_WAIT,
                        lost: AtomicBool::new(false),
                    });
                    let opts = super::receive::Options {
                        save_dir: None,
                        include_sent,
                        only: &only,
                        sink: Some(sink.clone()),
                    };
                    let polled = super::receive::poll_once(
                        &ctx,
                        &mut client,
                        &identity,
                        &opts,
                        budget,
                        &mut HashSet::new(),
                    )
                    .await;
                    let wait = match polled {
                        Ok((_, _, more)) => {
                            backoff = interval;
                            if more {
                                continue;
                            }
                            caught_up(&hub, round, None);
                            interval
                        }
                        // Its subscribers left: the page waits for the next one.
                        Err(_) if sink.lost.load(Ordering::SeqCst) => continue,
                        Err(e) => {
                            // Those waiting for this poll get its error (as `sesh receive`
                            // without --follow would have had it).
                            caught_up(&hub, round, Some(&e));
                            if e.kind() == ErrorKind::Transient {
                                // As `receive --follow`: read the state again, wait longer.
                                client.reload();
                            }
                            ctx.note(format_args!(
                                "warning: {}; polling again in {}",
                                e.message(),
                                humantime::format_duration(backoff)
                            ));
                            let w = backoff;
                            backoff = (backoff * 2).min(super::receive::MAX_BACKOFF);
                            w
                        }
                    };
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = hub.wake.notified() => {}
                        _ = stop.changed() => {}
                    }
                }
            });
            let _ = done_tx.send(());
        })
        .map_err(Report::failure)
        .context("starting the poller thread")?;
    Ok(done_rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(dir: &Path) -> Arc<Hub> {
        Arc::new(Hub {
            subs: Mutex::new(Subs::default()),
            state: Mutex::new(sesh::client::State::open(dir).expect("a state")),
            account: Identity::from_seed(sesh::identity::Seed::from_legacy(&[1; 16])).session_id(),
            wake: Notify::new(),
        })
    }

    /// A subscriber on connection `conn` whose writer answers `ok` (or never, with `None`)
    /// and hands over what it was given.
    fn subscriber(hub: &Hub, conn: u64, ok: Option<bool>) -> std::thread::JoinHandle<Vec<u8>> {
        let (tx, mut rx) = Outbox::new(conn, 16);
        hub.subs_lock().by_conn.insert(
            conn,
            Sub {
                id: conn + 100,
                outbox: tx,
                text: false,
                only: Vec::new(),
                include_sent: false,
                left: None,
                until_caught_up: false,
                joined: 0,
                acks: false,
            },
        );
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut held = Vec::new();
            while let Some(out) = rx.blocking_recv() {
                got.extend_from_slice(&out.bytes);
                match ok {
                    Some(ok) => acknowledge(out.ack, ok),
                    // Never answers (a stuck client): the ack is kept, unsent.
                    None => held.push(out.ack),
                }
            }
            got
        })
    }

    fn sink(hub: &Arc<Hub>) -> Subscribers {
        Subscribers {
            hub: hub.clone(),
            // Long enough for a loaded machine's good subscriber; a stuck one costs it once.
            wait: Duration::from_secs(2),
            lost: AtomicBool::new(false),
        }
    }

    #[test]
    fn each_subscriber_gets_the_rows_it_asked_for_and_ends_when_it_asked() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let hub = hub(dir.path());
        // 1: defaults; 2: text, reactions only, at most 1 row; 3: with one's own, until
        // caught up.
        let plain = subscriber(&hub, 1, Some(true));
        let picky = subscriber(&hub, 2, Some(true));
        let own = subscriber(&hub, 3, Some(true));
        {
            let mut subs = hub.subs_lock();
            let s = subs.by_conn.get_mut(&2).unwrap();
            s.text = true;
            s.only = vec![RowKind::Reaction];
            s.left = Some(1);
            let s = subs.by_conn.get_mut(&3).unwrap();
            s.include_sent = true;
            s.until_caught_up = true;
            s.joined = 1;
            let (kinds, include_sent, budget) = poll_for(&subs);
            assert!(kinds.contains(&RowKind::Message) && kinds.contains(&RowKind::Reaction));
            assert!(!kinds.contains(&RowKind::Typing));
            assert!(include_sent);
            assert_eq!(budget, Some(1));
        }
        let row = |kind, own: bool, n: u32| SinkRow {
            kind,
            own,
            json: format!("{{\"n\":{n}}}"),
            text: format!("row {n}"),
        };
        let s = sink(&hub);
        s.write_rows(&[
            row(RowKind::Message, false, 1),
            row(RowKind::Reaction, false, 2),
            row(RowKind::Message, true, 3),
            row(RowKind::Typing, false, 4),
        ])
        .expect("delivered");
        // 2 had its one row: ended.
        assert_eq!(
            hub.subs_lock().by_conn.keys().copied().collect::<Vec<_>>(),
            [1, 3]
        );
        // A poll that started before 3 subscribed does not end it; the next one does.
        caught_up(&hub, 1, None);
        assert_eq!(hub.subs_lock().by_conn.len(), 2);
        caught_up(&hub, 2, None);
        assert_eq!(
            hub.subs_lock().by_conn.keys().copied().collect::<Vec<_>>(),
            [1]
        );
        hub.subs_lock().by_conn.clear();
        let text =
            |h: std::thread::JoinHandle<Vec<u8>>| String::from_utf8(h.join().unwrap()).unwrap();
        let plain = text(plain);
        assert!(
            plain.contains("{\"n\":1}") && plain.contains("{\"n\":2}"),
            "{plain}"
        );
        assert!(
            !plain.contains("{\"n\":3}") && !plain.contains("{\"n\":4}"),
            "{plain}"
        );
        assert_eq!(
            text(picky),
            "{\"jsonrpc\":\"2.0\",\"method\":\"receive_text\",\"params\":{\"row\":\"row 2\"}}\n"
        );
        let own = text(own);
        assert!(own.contains("{\"n\":3}"), "{own}");
        assert!(
            own.ends_with("{\"jsonrpc\":\"2.0\",\"method\":\"caught_up\",\"params\":{}}\n"),
            "{own}"
        );
    }

    #[test]
    fn a_connection_whose_queue_is_full_is_to_be_closed() {
        let (tx, mut rx) = Outbox::new(7, 2);
        let line = || Out {
            bytes: b"x\n".to_vec(),
            ack: Ack::None,
        };
        assert!(tx.push(line()));
        assert!(tx.push(line()));
        // Nobody reads: the third is refused and the connection told to close.
        let closing = tx.overflow.clone();
        let told = closing.notified();
        tokio::pin!(told);
        assert!(!tx.push(line()));
        assert!(told.as_mut().enable(), "the overflow was signalled");
        // Read, there is room again.
        assert!(rx.try_recv().is_ok());
        assert!(tx.push(line()));
    }

    #[test]
    fn a_page_is_delivered_when_a_subscriber_took_it_and_lost_when_none_did() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let hub = hub(dir.path());
        let rows = b"{\"type\":\"message\",\"text\":\"a\"}\n{\"type\":\"receipt\"}\n";

        // No one subscribed: not delivered (not recorded; it waits in the swarm).
        let s = sink(&hub);
        assert!(s.write_lines(rows).is_err());
        assert!(s.lost.load(Ordering::SeqCst));

        // One took it, one broke, one is stuck: delivered; the other two are dropped.
        let good = subscriber(&hub, 1, Some(true));
        let broken = subscriber(&hub, 2, Some(false));
        let stuck = subscriber(&hub, 3, None);
        let s = sink(&hub);
        s.write_lines(rows).expect("delivered");
        assert!(!s.lost.load(Ordering::SeqCst));
        assert_eq!(
            hub.subs_lock().by_conn.keys().copied().collect::<Vec<_>>(),
            [1]
        );
        hub.subs_lock().by_conn.clear();
        let got = String::from_utf8(good.join().unwrap()).unwrap();
        // Each row is a notification whose params are the row, byte for byte.
        assert_eq!(
            got,
            "{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":{\"type\":\"message\",\
             \"text\":\"a\"}}\n{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":\
             {\"type\":\"receipt\"}}\n"
        );
        assert_eq!(broken.join().unwrap().len(), got.len());
        // The stuck one is told it was unsubscribed, after the page it did not take.
        let stuck = String::from_utf8(stuck.join().unwrap()).unwrap();
        assert!(stuck.starts_with(&got), "{stuck}");
        assert!(
            stuck[got.len()..].starts_with("{\"jsonrpc\":\"2.0\",\"method\":\"unsubscribed\""),
            "{stuck}"
        );

        // Every subscriber broke: not delivered.
        let broken = subscriber(&hub, 4, Some(false));
        let s = sink(&hub);
        assert!(s.write_lines(rows).is_err());
        assert!(s.lost.load(Ordering::SeqCst));
        assert!(hub.subs_lock().by_conn.is_empty());
        broken.join().unwrap();
    }
}
