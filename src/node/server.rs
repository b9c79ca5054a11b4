//! The HTTPS server of [`super::run`]: accepting connections within their limits, the TLS
//! handshake, HTTP/1.1, the per-request checks in the order the module documentation of
//! [`crate::node`] lists them, the request-body and answer budgets, and writing answers within
//! their deadline.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Body as _, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue, SERVER};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::{
    Admit, Error, Limits, Log, MAX_HEADER_BUFFER, Rate, Request, Response, SERVER_HEADER, Service,
    http, rate, service,
};

/// What every connection task shares.
struct Shared {
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    rate: Option<Mutex<rate::RateLimiter>>,
    /// Buckets of the nodes relaying onion requests, per node key ([`Rate::SERVICE_NODE`]),
    /// when client requests are rate-limited.
    node_rate: Option<Mutex<rate::RateLimiter<[u8; 32]>>>,
    /// Open connections per client.
    conns: Arc<rate::PerClient>,
    /// Request body bytes in flight per client.
    bodies: Arc<rate::PerClient>,
    /// Request body bytes in flight from all clients (under [`SERVER_KEY`]).
    all_bodies: Arc<rate::PerClient>,
    /// Answer bytes made and not yet written, per client.
    answers: Arc<rate::PerClient>,
    /// Answer bytes made and not yet written, for all clients (under [`SERVER_KEY`]).
    all_answers: Arc<rate::PerClient>,
    /// How many refusals the log has been told of lately.
    refusals: Mutex<LogBudget>,
    /// The origin of the rate limiter's time (tokio's clock, so paused-time tests work).
    origin: tokio::time::Instant,
}

impl Shared {
    /// Logs a line about a connection or request refused, within [`REFUSALS_LOGGED_PER_SECOND`].
    fn log_limited(&self, msg: impl std::fmt::Display) {
        log_within(&self.refusals, &self.log, tokio::time::Instant::now(), msg);
    }
}

/// Logs `msg` at `now` if `budget` allows, first saying how many lines it left out before.
fn log_within(
    budget: &Mutex<LogBudget>,
    log: &Log,
    now: tokio::time::Instant,
    msg: impl std::fmt::Display,
) {
    let quiet = budget.lock().unwrap_or_else(|e| e.into_inner()).admit(now);
    if let Some(quiet) = quiet {
        if quiet > 0 {
            log.line(format_args!(
                "{quiet} more refusals in the last second, not logged"
            ));
        }
        log.line(msg);
    }
}

/// The most refusals the server logs a second: a flood of bad requests must not fill the disk
/// with log lines. Past it, refusals are counted and the count logged with the next line.
const REFUSALS_LOGGED_PER_SECOND: u32 = 20;

/// Lines logged in the current second, and those left out.
#[derive(Debug, Default)]
struct LogBudget {
    since: Option<tokio::time::Instant>,
    logged: u32,
    quiet: u64,
}

impl LogBudget {
    /// Whether to log a line at `now`: `Some(n)` with the `n` lines left out before it.
    fn admit(&mut self, now: tokio::time::Instant) -> Option<u64> {
        let new_second = self
            .since
            .is_none_or(|s| now.duration_since(s) >= Duration::from_secs(1));
        if new_second {
            self.since = Some(now);
            self.logged = 0;
        }
        if self.logged >= REFUSALS_LOGGED_PER_SECOND {
            self.quiet += 1;
            return None;
        }
        self.logged += 1;
        Some(std::mem::take(&mut self.quiet))
    }
}

/// Serves HTTPS on `listener` until `shutdown` completes, then shuts down gracefully.
///
/// Requests go to `service` (see the module documentation for what the server answers
/// itself). After `shutdown`, no connection is accepted; requests in flight may finish within
/// [`Limits::shutdown_grace`], and idle connections are closed.
///
/// # Errors
/// [`Error::Accept`] when accepting fails in a way that will not pass (transient failures,
/// such as running out of file descriptors, are logged and retried).
pub async fn run(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    shutdown: impl Future,
) -> Result<(), Error> {
    serve(
        listener,
        Some(TlsAcceptor::from(tls)),
        service,
        limits,
        log,
        shutdown,
    )
    .await
}

/// Serves plain HTTP (no TLS) on `listener` until `shutdown` completes, as [`run`] serves
/// HTTPS, with the same limits: the file server's listener (a Session file server speaks
/// plain HTTP; onion requests keep its traffic confidential). Only the service's
/// [`Admit::Plain`] and [`Admit::Seed`] routes are answered; a TLS handshake is not HTTP and
/// gets 400.
///
/// # Errors
/// As [`run`].
pub async fn run_plain(
    listener: TcpListener,
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    shutdown: impl Future,
) -> Result<(), Error> {
    serve(listener, None, service, limits, log, shutdown).await
}

async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    service: Arc<dyn Service>,
    limits: Limits,
    log: Log,
    shutdown: impl Future,
) -> Result<(), Error> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(());
    let shared = Arc::new(Shared {
        service,
        rate: limits.rate.map(|r| Mutex::new(rate::RateLimiter::new(r))),
        node_rate: limits
            .rate
            .map(|_| Mutex::new(rate::RateLimiter::new(Rate::SERVICE_NODE))),
        conns: rate::PerClient::new(limits.max_connections_per_ip),
        refusals: Mutex::new(LogBudget::default()),
        bodies: rate::PerClient::new(limits.max_body_in_flight_per_ip),
        all_bodies: rate::PerClient::new(limits.max_body_in_flight),
        answers: rate::PerClient::new(limits.max_answer_in_flight_per_ip),
        all_answers: rate::PerClient::new(limits.max_answer_in_flight),
        limits,
        log,
        origin: tokio::time::Instant::now(),
    });
    let mut tasks = JoinSet::new();
    let mut backoff = Duration::from_millis(10);
    tokio::pin!(shutdown);

    let result = loop {
        let permit = tokio::select! {
            biased;
            _ = &mut shutdown => break Ok(()),
            p = Arc::clone(&permits).acquire_owned() => {
                p.expect("should: the semaphore is never closed")
            }
        };
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break Ok(()),
            a = listener.accept() => a,
        };
        // Finished connections are reaped here, so the set holds live ones only.
        while tasks.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                // One address may not hold more than its share of the slots: a connection
                // over it is closed at once, and its slot freed with it.
                let Some(claim) = shared.conns.claim(peer.ip(), 1) else {
                    drop(stream);
                    continue;
                };
                tasks.spawn(connection(
                    stream,
                    peer,
                    acceptor.clone(),
                    Arc::clone(&shared),
                    stop_rx.clone(),
                    (permit, claim),
                ));
            }
            Err(e) if is_transient_accept_error(&e) => {
                // E.g. out of file descriptors: wait a little (up to 1 s), as mini-redis does.
                shared
                    .log
                    .line(format_args!("accept failed, retrying: {e}"));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            Err(e) => break Err(Error::Accept(e)),
        }
    };

    drop(listener);
    let in_flight = tasks.len();
    // Every connection sees the change and shuts down gracefully.
    let _ = stop_tx.send(());
    let drained = tokio::time::timeout(shared.limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        shared.log.line(format_args!(
            "shutdown: {} of {in_flight} connections did not finish in time; dropped",
            tasks.len()
        ));
        tasks.shutdown().await;
    }
    result
}

fn is_transient_accept_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    // EMFILE (24) / ENFILE (23): out of descriptors, until some connection closes.
    matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::Interrupted | K::WouldBlock
    ) || matches!(e.raw_os_error(), Some(23 | 24))
}

/// Serves one connection: TLS handshake, then HTTP/1.1 requests until the client leaves, goes
/// idle, or shutdown is asked. `_slot` (the global permit and the client's share) is held
/// until the connection ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<()>,
    _slot: (OwnedSemaphorePermit, rate::Claim),
) {
    let _ = stream.set_nodelay(true);
    let write_timeout = shared.limits.write_timeout;
    // A plain-HTTP server: no handshake; the request head's own deadline (`idle_timeout`)
    // bounds a silent client.
    let Some(acceptor) = acceptor else {
        let io = WriteTimeout::new(stream, write_timeout);
        let deadline = io.deadline.clone();
        serve_http(TokioIo::new(io), peer, false, shared, stop, deadline).await;
        return;
    };
    // The first byte and the whole handshake share one deadline: a connection that says
    // nothing, or too little, holds its slot for at most `handshake_timeout`.
    let deadline = tokio::time::Instant::now() + shared.limits.handshake_timeout;
    // A TLS connection starts with a handshake record (0x16). Anything else is plain HTTP,
    // which seeds must also speak: some clients fetch the node list over http (protocol.md
    // §5.1 testnet, §15.11); only the seed's route answers it (see `Admit::plain_http`).
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first));
    let is_tls = tokio::select! {
        r = peeked => match r {
            Ok(Ok(1)) => first[0] == 0x16,
            _ => return,
        },
        _ = stop.changed() => return,
    };
    if !is_tls {
        let io = WriteTimeout::new(stream, write_timeout);
        let deadline = io.deadline.clone();
        serve_http(TokioIo::new(io), peer, false, shared, stop, deadline).await;
        return;
    }
    let handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream));
    let tls = tokio::select! {
        r = handshake => match r {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                shared.log_limited(format_args!("TLS handshake with {peer} failed: {e}"));
                return;
            }
            Err(_) => {
                shared.log_limited(format_args!("TLS handshake with {peer} timed out"));
                return;
            }
        },
        _ = stop.changed() => return,
    };
    // One line per handshake completed: how many connections clients made, which tests
    // count (a warm client makes one per node it uses).
    shared.log.line(format_args!("TLS handshake with {peer}"));
    let io = WriteTimeout::new(tls, write_timeout);
    let deadline = io.deadline.clone();
    serve_http(TokioIo::new(io), peer, true, shared, stop, deadline).await;
}

/// The deadline of the answer being written on a connection, if it has one: set by its
/// [`HeldBody`], enforced by the connection's [`WriteTimeout`] with a timer.
#[derive(Debug, Clone, Default)]
struct WriteDeadline(Arc<Mutex<Option<tokio::time::Instant>>>);

impl WriteDeadline {
    fn get(&self) -> Option<tokio::time::Instant> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, deadline: Option<tokio::time::Instant>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    /// Clears the deadline if it is still `deadline` (not a later answer's).
    fn clear(&self, deadline: Option<tokio::time::Instant>) {
        let mut d = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if deadline.is_some() && *d == deadline {
            *d = None;
        }
    }
}

/// A stream whose writes fail with [`std::io::ErrorKind::TimedOut`] once none of a write has
/// gone out for `timeout`, or once the answer being written is past its [`WriteDeadline`]: a
/// client that stops reading its response, or reads it a few bytes at a time, cannot hold the
/// connection, and the response's memory, for long.
struct WriteTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write could not go ahead; reset when one does.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// The deadline of the answer being written, and a timer for it.
    deadline: WriteDeadline,
    deadline_timer: Option<(tokio::time::Instant, std::pin::Pin<Box<tokio::time::Sleep>>)>,
}

impl<S> WriteTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
            deadline: WriteDeadline::default(),
            deadline_timer: None,
        }
    }

    /// `Ready(error)` once the answer's deadline has passed; otherwise its timer is set to
    /// wake the task then.
    fn poll_deadline(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Error> {
        let Some(deadline) = self.deadline.get() else {
            self.deadline_timer = None;
            return std::task::Poll::Pending;
        };
        if self
            .deadline_timer
            .as_ref()
            .is_none_or(|(d, _)| *d != deadline)
        {
            self.deadline_timer = Some((deadline, Box::pin(tokio::time::sleep_until(deadline))));
        }
        let Some((_, timer)) = self.deadline_timer.as_mut() else {
            return std::task::Poll::Pending;
        };
        timer.as_mut().poll(cx).map(|()| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took the response too slowly",
            )
        })
    }

    /// After the inner stream said `Pending`: `Ready(error)` once the stall has lasted
    /// `timeout`.
    fn poll_stall(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Error> {
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        sleep.as_mut().poll(cx).map(|()| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took none of the response in time",
            )
        })
    }

    fn track<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        r: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        if let Poll::Ready(e) = self.poll_deadline(cx) {
            return Poll::Ready(Err(e));
        }
        match r {
            Poll::Pending => self.poll_stall(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        this.track(cx, r)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.track(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_flush(cx);
        this.track(cx, r)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.inner).poll_shutdown(cx);
        this.track(cx, r)
    }
}

/// Serves HTTP/1.1 requests on one connection until the client leaves, goes idle, or
/// shutdown is asked. `tls`: whether the connection is HTTPS.
async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<()>,
    deadline: WriteDeadline,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = {
        let shared = Arc::clone(&shared);
        hyper::service::service_fn(move |req| {
            let (shared, deadline) = (Arc::clone(&shared), deadline.clone());
            async move {
                let mut held = None;
                let resp = respond(&shared, req, peer, tls, &mut held).await;
                let timeout = shared.limits.write_timeout;
                Ok::<_, Infallible>(to_hyper(resp, held, timeout, &deadline))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.idle_timeout)
        .max_buf_size(MAX_HEADER_BUFFER)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            // Finish the request in flight, if any, then close.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Takes a token from the client's rate limit bucket: `false` when it is empty.
fn rate_allows(shared: &Shared, peer: SocketAddr) -> bool {
    let Some(rate) = shared.rate.as_ref() else {
        return true;
    };
    let now = shared.origin.elapsed();
    rate.lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow(peer.ip(), now)
}

/// Takes a token from a relaying node's bucket: `false` when it is empty.
fn node_rate_allows(shared: &Shared, node: [u8; 32]) -> bool {
    let Some(rate) = shared.node_rate.as_ref() else {
        return true;
    };
    let now = shared.origin.elapsed();
    rate.lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow_key(node, now)
}

/// Why a body could not be read.
enum BodyError {
    /// Over the per-request limit: 413.
    TooLarge,
    /// Over the client's in-flight budget: 429.
    OverBudget,
    /// Over the server's in-flight budget: 503.
    ServerBusy,
    /// The connection failed: 400.
    Read(hyper::Error),
}

/// A body's share of the client's and the server's in-flight budgets.
struct BodyClaim {
    client: rate::Claim,
    server: rate::Claim,
}

impl BodyClaim {
    /// Claims a body's declared length `n` of the client's budget; the server's budget is
    /// claimed as bytes arrive, so that bodies declared and not sent cannot hold it.
    fn new(shared: &Shared, peer: SocketAddr, n: usize) -> Result<Self, BodyError> {
        let client = shared
            .bodies
            .claim(peer.ip(), n)
            .ok_or(BodyError::OverBudget)?;
        let server = shared
            .all_bodies
            .claim(SERVER_KEY, 0)
            .ok_or(BodyError::ServerBusy)?;
        Ok(Self { client, server })
    }

    /// Claims an answer's `n` bytes of the client's and the server's answer budgets, held
    /// until it is written; `None` when it does not fit.
    ///
    /// An answer under [`SMALL_ANSWER`] always fits (and is counted): one at a time per
    /// connection, they take at most `max_connections` × 64 KiB, and a full budget must not
    /// turn the answers to small requests (a store, a forwarded copy, `info`) into 503s.
    fn answer(shared: &Shared, peer: SocketAddr, n: usize) -> Option<Self> {
        if n < SMALL_ANSWER {
            return Some(Self {
                client: shared.answers.claim_over(peer.ip(), n),
                server: shared.all_answers.claim_over(SERVER_KEY, n),
            });
        }
        let client = shared.answers.claim(peer.ip(), n)?;
        let server = shared.all_answers.claim(SERVER_KEY, n)?;
        Some(Self { client, server })
    }
}

/// The one key the server-wide body budget counts under.
const SERVER_KEY: std::net::IpAddr = std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// Reads a body of at most `max` bytes, counting the memory it takes against `claim` (the
/// client's and the server's in-flight budgets) as bytes arrive: with its first bytes, the
/// declared length `claimed` (already claimed of the client's budget) is reserved at once,
/// bounded by `max`; a body without a length grows by doubling, each growth claimed before it
/// is made, so the budgets count the buffer's capacity, not only its bytes.
async fn read_body<B>(
    mut body: B,
    max: usize,
    claim: &mut BodyClaim,
    claimed: usize,
) -> Result<Vec<u8>, BodyError>
where
    B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    // What the client's and the server's claims hold for this body.
    let (mut client_held, mut server_held) = (claimed, 0usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let len = buf.len().saturating_add(data.len());
        if len > max {
            return Err(BodyError::TooLarge);
        }
        if len > buf.capacity() {
            let want = if claimed >= len {
                claimed
            } else {
                len.max(buf.capacity().saturating_mul(2))
            }
            .min(max);
            if want > client_held {
                if !claim.client.grow(want - client_held) {
                    return Err(BodyError::OverBudget);
                }
                client_held = want;
            }
            if want > server_held {
                if !claim.server.grow(want - server_held) {
                    return Err(BodyError::ServerBusy);
                }
                server_held = want;
            }
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf)
}

/// Applies the server's checks, reads the body and asks the service. The answer's claims are
/// left in `held`, to be kept until the response is written.
async fn respond(
    shared: &Shared,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    tls: bool,
    held: &mut Option<BodyClaim>,
) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let target = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let refuse = |resp: Response, why: &str| {
        shared.log_limited(format_args!(
            "{} {method} {target} from {}: {why}",
            resp.status,
            peer.ip()
        ));
        resp
    };

    let admit = shared.service.admit(method, path);
    if admit == Admit::NotFound {
        return refuse(Response::not_found(method, target), "no such route");
    }
    if !tls && !admit.plain_http() {
        return refuse(
            Response::text(400, "This route is served over HTTPS only").closing(),
            "plain HTTP",
        );
    }
    // A request that names a forwarding peer skips the rate check before its body only when
    // its headers and source address can be that peer's (a member of our swarm, from its
    // listed address, a signature of the right shape); any other takes a token at once.
    let names_forwarder = parts.headers.contains_key(service::FORWARDED_BY);
    let maybe_peer_copy = admit.rate_limited()
        && names_forwarder
        && shared.service.may_be_peer_copy(path, &parts.headers, peer);
    // An onion request relayed by a roster member from its listed address draws on that
    // node's bucket, not on its address's client bucket (SS counts nodes by key, apart).
    let relaying = if admit == Admit::Onion {
        shared.service.relaying_node(&parts.headers, peer)
    } else {
        None
    };
    let allowed = || match relaying {
        Some(node) => node_rate_allows(shared, node),
        None => rate_allows(shared, peer),
    };
    if admit.rate_limited() && !maybe_peer_copy && !allowed() {
        return refuse(Response::reason(429), "rate limited");
    }
    // SS https.cpp: an empty value does not count.
    if admit == Admit::ClientRpc
        && parts
            .headers
            .get("x-loki-long-poll")
            .is_some_and(|v| !v.is_empty())
    {
        return refuse(
            Response::text(
                410,
                "long polling is no longer supported, client upgrade required",
            ),
            "long poll",
        );
    }

    let max = admit.max_body(shared.limits.max_body);
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if declared > max {
        return refuse(
            shared.service.too_large(path).closing(),
            "Content-Length too large",
        );
    }
    // The declared length is claimed up front, so that parallel large bodies from one client
    // are refused before they are read; a body without a length claims as it arrives.
    let over_budget = |e: BodyError| match e {
        BodyError::ServerBusy => refuse(
            Response::reason(503).closing(),
            "too many request bytes in flight from all clients",
        ),
        _ => refuse(
            Response::reason(429).closing(),
            "too many request bytes in flight from this client",
        ),
    };
    let mut claim = match BodyClaim::new(shared, peer, declared) {
        Ok(c) => c,
        Err(e) => return over_budget(e),
    };

    let deadline = tokio::time::Instant::now() + shared.limits.request_timeout;
    let read = tokio::time::timeout_at(deadline, read_body(body, max, &mut claim, declared));
    let body = match read.await {
        Ok(Ok(body)) => Bytes::from(body),
        Ok(Err(BodyError::TooLarge)) => {
            return refuse(shared.service.too_large(path).closing(), "body too large");
        }
        Ok(Err(e @ (BodyError::OverBudget | BodyError::ServerBusy))) => return over_budget(e),
        Ok(Err(BodyError::Read(e))) => {
            return refuse(
                Response::reason(400).closing(),
                &format!("reading the body failed: {e}"),
            );
        }
        Err(_) => return refuse(Response::reason(408).closing(), "body timed out"),
    };

    let mut request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: parts.headers.clone(),
        body,
        peer,
        peer_copy: false,
    };
    // The one signature check of a peer's copy; its answer goes to the service with it. The
    // source address decided only whether a token was taken before the body: a copy from
    // elsewhere (a node behind NAT, or listening on every address) has taken one, and is
    // verified and accepted all the same.
    if admit.rate_limited() && names_forwarder {
        request.peer_copy = shared.service.is_peer_copy(&request);
        if maybe_peer_copy && !request.peer_copy && !rate_allows(shared, peer) {
            return refuse(Response::reason(429), "rate limited");
        }
    }
    let answer = tokio::time::timeout_at(deadline, shared.service.handle(request)).await;
    let resp = match answer {
        // The service logs its own refusals, with their reasons: one line per request.
        Ok(resp) => resp,
        Err(_) => refuse(Response::text(504, "Request time out"), "service timed out"),
    };
    // The request's body is gone; its claims go with it. The answer counts against the
    // answer budgets (never the request ones) until written: a client that reads slowly holds
    // its answer budget, not more, and an answer that does not fit is dropped at once.
    drop(claim);
    match BodyClaim::answer(shared, peer, resp.body.len()) {
        Some(answer) => {
            *held = Some(answer);
            resp
        }
        None => {
            drop(resp);
            refuse(
                Response::reason(503),
                "too many answer bytes waiting to be written",
            )
        }
    }
}

/// The most bytes of a response handed to hyper at once: hyper asks for more as its write
/// buffer drains, so a response's claims are held until all but this much is written.
const RESPONSE_CHUNK: usize = 16 * 1024;

/// The slowest a client may take an answer of [`SMALL_ANSWER`] or more: past `write_timeout`
/// plus its length at this rate (16 KiB/s, so that clients on slow links such as EDGE, 3G or
/// Tor still take a full retrieve), the connection is closed. A client that reads a few bytes
/// now and then cannot keep a large response (and its memory) for long.
pub const MIN_RESPONSE_BYTES_PER_SECOND: usize = 16 * 1024;

/// Answers shorter than this (64 KiB) have no total deadline: only `write_timeout` without
/// any progress ends them.
pub const SMALL_ANSWER: usize = 64 * 1024;

/// The time an answer of `len` bytes may take to be written: `None` for one under
/// [`SMALL_ANSWER`], else `write_timeout` plus `len` at [`MIN_RESPONSE_BYTES_PER_SECOND`].
fn answer_time(len: usize, write_timeout: Duration) -> Option<Duration> {
    if len < SMALL_ANSWER {
        return None;
    }
    let secs = u64::try_from(len / MIN_RESPONSE_BYTES_PER_SECOND).unwrap_or(u64::MAX);
    Some(write_timeout.saturating_add(Duration::from_secs(secs)))
}

/// A response body: handed to hyper in [`RESPONSE_CHUNK`]s, holding the request's claims until
/// its last chunk is taken, and failing (which closes the connection) once its write deadline
/// has passed; the connection's [`WriteTimeout`] also enforces the deadline with a timer while
/// hyper writes what it has taken.
struct HeldBody {
    rest: Bytes,
    claim: Option<BodyClaim>,
    deadline: Option<tokio::time::Instant>,
    shared_deadline: WriteDeadline,
}

impl HeldBody {
    /// `body`, holding `claim`, to be written within [`answer_time`].
    fn new(
        body: Bytes,
        claim: Option<BodyClaim>,
        write_timeout: Duration,
        shared_deadline: &WriteDeadline,
    ) -> Self {
        let deadline =
            answer_time(body.len(), write_timeout).map(|t| tokio::time::Instant::now() + t);
        shared_deadline.set(deadline);
        Self {
            rest: body,
            claim,
            deadline,
            shared_deadline: shared_deadline.clone(),
        }
    }
}

impl Drop for HeldBody {
    fn drop(&mut self) {
        self.shared_deadline.clear(self.deadline);
    }
}

impl hyper::body::Body for HeldBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.rest.is_empty() {
            this.claim = None;
            return Poll::Ready(None);
        }
        if this
            .deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
        {
            this.claim = None;
            this.rest = Bytes::new();
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took the response too slowly",
            ))));
        }
        let chunk = this.rest.split_to(this.rest.len().min(RESPONSE_CHUNK));
        if this.rest.is_empty() {
            this.claim = None;
        }
        Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(u64::try_from(self.rest.len()).unwrap_or(u64::MAX))
    }
}

fn to_hyper(
    resp: Response,
    claim: Option<BodyClaim>,
    write_timeout: Duration,
    deadline: &WriteDeadline,
) -> hyper::Response<HeldBody> {
    let mut builder = hyper::Response::builder()
        .status(resp.status)
        .header(CONTENT_TYPE, resp.content_type)
        .header(SERVER, SERVER_HEADER);
    for (name, value) in &resp.headers {
        builder = builder.header(*name, value.as_str());
    }
    if resp.close {
        builder = builder.header(CONNECTION, "close");
    }
    match builder.body(()) {
        Ok(r) => r.map(|()| HeldBody::new(resp.body, claim, write_timeout, deadline)),
        Err(_) => {
            // A status or header the service made up that HTTP cannot carry: a bug.
            let body = Bytes::from_static(b"Internal Server Error\n");
            let mut r = hyper::Response::new(HeldBody::new(body, claim, write_timeout, deadline));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(http::CONTENT_TYPE_TEXT),
            );
            r.headers_mut()
                .insert(SERVER, HeaderValue::from_static(SERVER_HEADER));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::*;

    #[test]
    fn responses_carry_server_and_content_type() {
        let to_hyper =
            |r| super::to_hyper(r, None, Duration::from_secs(1), &WriteDeadline::default());
        let r = to_hyper(Response::json(200, &serde_json::json!({})).with_header("X-A", "b"));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[SERVER], SERVER_HEADER);
        assert_eq!(r.headers()["x-a"], "b");
        assert!(r.headers().get(CONNECTION).is_none());
        let r = to_hyper(Response::text(413, "Request body too large").closing());
        assert_eq!(r.headers()[CONNECTION], "close");
    }

    #[test]
    fn unrepresentable_response_becomes_500() {
        let to_hyper =
            |r| super::to_hyper(r, None, Duration::from_secs(1), &WriteDeadline::default());
        let r = to_hyper(Response::text(1000, "?"));
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()[SERVER], SERVER_HEADER);
        let r = to_hyper(Response::text(200, "x").with_header("X-Bad", "a\nb"));
        assert_eq!(r.status(), 500);
    }

    use std::net::IpAddr;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::{Notify, oneshot};

    /// A bound on every wait: it only turns a hang into a failure.
    const BOUND: Duration = Duration::from_secs(60);
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    /// The length of `/big`'s answer: more than loopback's socket buffers take unread.
    const BIG: usize = 16 * 1024 * 1024;

    /// Routes by path: `/seed` and `/big` (a [`BIG`] answer; both plain HTTP too), `/onion`, `/rpc` (client RPC), `/gate`
    /// (answers when released); anything else is not found. A request is a peer's copy when
    /// its forwarder header says `good` (from the member's address) or `elsewhere` (from
    /// another address).
    #[derive(Default)]
    struct Routes {
        arrived: Notify,
        release: Notify,
        /// How many signatures `is_peer_copy` checked.
        verified: std::sync::atomic::AtomicUsize,
    }

    impl Service for Routes {
        fn admit(&self, _method: &str, path: &str) -> Admit {
            match path {
                "/seed" => Admit::Seed,
                "/onion" => Admit::Onion,
                "/rpc" => Admit::ClientRpc,
                "/gate" => Admit::Read,
                "/big" => Admit::Seed,
                _ => Admit::NotFound,
            }
        }

        /// `good` and `badsig` look like a member's headers; only `good` verifies.
        fn may_be_peer_copy(&self, _path: &str, headers: &http::HeaderMap, _: SocketAddr) -> bool {
            let by = headers.get(service::FORWARDED_BY);
            by.is_some_and(|v| v == "good" || v == "badsig")
        }

        /// `node` names a relaying node at its listed address.
        fn relaying_node(&self, headers: &http::HeaderMap, _: SocketAddr) -> Option<[u8; 32]> {
            (headers.get(service::RELAYED_BY)? == "node").then_some([1; 32])
        }

        fn is_peer_copy(&self, request: &Request) -> bool {
            self.verified
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let by = request.header(service::FORWARDED_BY);
            by == Some("good") || by == Some("elsewhere")
        }

        fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
            Box::pin(async move {
                if request.path == "/gate" {
                    self.arrived.notify_one();
                    self.release.notified().await;
                }
                if request.peer_copy {
                    return Response::text(200, "peer copy");
                }
                if request.path == "/big" {
                    return Response::bytes(200, "text/plain", vec![b'x'; BIG]);
                }
                Response::text(200, format!("{} bytes", request.body.len()))
            })
        }
    }

    struct Node {
        addr: SocketAddr,
        stop: Option<oneshot::Sender<()>>,
        server: tokio::task::JoinHandle<Result<(), Error>>,
        _dir: tempfile::TempDir,
    }

    impl Drop for Node {
        fn drop(&mut self) {
            drop(self.stop.take());
            self.server.abort();
        }
    }

    async fn start(service: Arc<dyn Service>, limits: Limits) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::open(dir.path(), SystemTime::UNIX_EPOCH, &mut rand_core::OsRng).unwrap();
        let listener = bind(DEFAULT_LISTEN).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(run(
            listener,
            Arc::clone(&home.tls.config),
            service,
            limits,
            Log::discard(),
            async move {
                let _ = stopped.await;
            },
        ));
        Node {
            addr,
            stop: Some(stop),
            server,
            _dir: dir,
        }
    }

    /// The default limits with a client rate of `bucket_size` tokens, `per_second` refilled.
    fn rate_limited(bucket_size: u32, per_second: u32) -> Limits {
        Limits {
            rate: Some(Rate {
                bucket_size,
                per_second,
            }),
            ..Limits::default()
        }
    }

    fn peer_from(ip: Option<IpAddr>) -> peer::Peer {
        peer::Peer::bound(BOUND, ip).unwrap()
    }

    async fn tcp_from(ip: IpAddr, to: SocketAddr) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(ip, 0)).unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Sends raw bytes over plain TCP and reads until the server closes.
    async fn plain_exchange(stream: &mut TcpStream, request: &[u8]) -> String {
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(BOUND, stream.read_to_end(&mut out))
            .await
            .expect("the server should close the connection");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn plain_post(path: &str, body: &str) -> Vec<u8> {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn plain_http_only_on_the_seed_route() {
        let node = start(Arc::new(Routes::default()), Limits::default()).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, &plain_post("/seed", "abc")).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("3 bytes"), "{answer}");
        for path in ["/rpc", "/onion", "/gate"] {
            let mut s = tcp_from(local, node.addr).await;
            let answer = plain_exchange(&mut s, &plain_post(path, "abc")).await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
            assert!(answer.contains("HTTPS only"), "{path}: {answer}");
        }
        // Over HTTPS every route answers.
        let p = peer_from(None);
        for path in ["/seed", "/rpc", "/onion"] {
            let (status, _) = p
                .post(&node.addr.to_string(), path, "x".into())
                .await
                .unwrap();
            assert_eq!(status, 200, "{path}");
        }
    }

    #[tokio::test]
    async fn request_headers_are_bounded() {
        let node = start(Arc::new(Routes::default()), Limits::default()).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let request = |header: usize| {
            format!(
                "POST /seed HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\
                 Content-Length: 1\r\n\r\nx",
                "a".repeat(header)
            )
        };
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, request(30 * 1024).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // hyper's default buffer (some 400 KB) would take these headers.
        let mut s = tcp_from(local, node.addr).await;
        let answer = plain_exchange(&mut s, request(300 * 1024).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    }

    #[tokio::test]
    async fn the_seed_and_ping_routes_take_small_bodies_and_the_seed_is_rate_limited() {
        let limits = rate_limited(3, 0);
        let routes = Arc::new(Routes::default());
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        let p = peer_from(Some(OTHER));
        for path in ["/seed", "/gate"] {
            let (status, _) = p
                .post(&base, path, body(MAX_SMALL_ROUTE_BODY + 1))
                .await
                .unwrap();
            assert_eq!(status, 413, "{path}");
        }
        routes.release.notify_one();
        let (status, text) = p
            .post(&base, "/gate", body(MAX_SMALL_ROUTE_BODY))
            .await
            .unwrap();
        assert_eq!((status, &text[..]), (200, &b"65536 bytes"[..]));
        // The seed route takes a token a request, like the client routes.
        let p = peer_from(None);
        for _ in 0..3 {
            assert_eq!(p.post(&base, "/seed", body(1)).await.unwrap().0, 200);
        }
        assert_eq!(p.post(&base, "/seed", body(1)).await.unwrap().0, 429);
    }

    #[tokio::test]
    async fn connections_are_capped_per_address() {
        let limits = Limits {
            max_connections_per_ip: 3,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Three idle connections hold 127.0.0.1's share...
        let mut idle = Vec::new();
        for _ in 0..3 {
            idle.push(tcp_from(local, node.addr).await);
        }
        // ...so a fourth is closed at once, without an answer.
        let mut extra = tcp_from(local, node.addr).await;
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(BOUND, extra.read(&mut buf))
            .await
            .expect("the server closes the extra connection")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
        // Another address is served meanwhile.
        let (status, body) = peer_from(Some(OTHER))
            .post(&node.addr.to_string(), "/rpc", "abc".into())
            .await
            .unwrap();
        assert_eq!((status, &body[..]), (200, &b"3 bytes"[..]));
        // Once one idle connection leaves, 127.0.0.1 gets its slot back.
        drop(idle.pop());
        let answer = served_once_freed(local, node.addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn body_bytes_in_flight_are_budgeted_per_address() {
        let routes = Arc::new(Routes::default());
        let limits = Limits {
            max_body_in_flight_per_ip: 100,
            ..Limits::default()
        };
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        // A body over the whole budget is refused before it is read.
        let (status, _) = peer_from(None)
            .post(&base, "/rpc", body(101))
            .await
            .unwrap();
        assert_eq!(status, 429);
        // 60 bytes held by a request in flight leave 40 for the same address...
        let held = {
            let (p, base) = (peer_from(None), base.clone());
            tokio::spawn(async move { p.post(&base, "/gate", body(60)).await })
        };
        tokio::time::timeout(BOUND, routes.arrived.notified())
            .await
            .expect("the gated request arrives");
        let (status, _) = peer_from(None).post(&base, "/rpc", body(41)).await.unwrap();
        assert_eq!(status, 429, "over what is left of the budget");
        let (status, _) = peer_from(None).post(&base, "/rpc", body(40)).await.unwrap();
        assert_eq!(status, 200);
        // ...while another address has its own budget.
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/rpc", body(100))
            .await
            .unwrap();
        assert_eq!(status, 200);
        routes.release.notify_one();
        let (status, _) = tokio::time::timeout(BOUND, held)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        // Given back once answered.
        let (status, _) = peer_from(None)
            .post(&base, "/rpc", body(100))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn body_bytes_in_flight_are_budgeted_for_the_whole_server() {
        let routes = Arc::new(Routes::default());
        let limits = Limits {
            max_body_in_flight: 100,
            ..Limits::default()
        };
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let body = |n: usize| Bytes::from(vec![b'x'; n]);
        let held = {
            let (p, base) = (peer_from(None), base.clone());
            tokio::spawn(async move { p.post(&base, "/gate", body(60)).await })
        };
        tokio::time::timeout(BOUND, routes.arrived.notified())
            .await
            .expect("the gated request arrives");
        // Another address, within its own budget, finds the server's spent.
        let other = peer_from(Some(OTHER));
        let (status, text) = other.post(&base, "/rpc", body(41)).await.unwrap();
        assert_eq!((status, &text[..]), (503, &b"Service Unavailable\n"[..]));
        let (status, _) = other.post(&base, "/rpc", body(40)).await.unwrap();
        assert_eq!(status, 200);
        routes.release.notify_one();
        let (status, _) = tokio::time::timeout(BOUND, held)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        let (status, _) = other.post(&base, "/rpc", body(100)).await.unwrap();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn the_server_budget_counts_bytes_as_they_arrive() {
        let limits = Limits {
            max_body_in_flight: 100,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        // A body of 90 declared, its reading begun (hyper says `100 Continue` once the server
        // reads the body), none of it sent...
        let mut stalled = tcp_from(IpAddr::V4(Ipv4Addr::LOCALHOST), node.addr).await;
        stalled
            .write_all(
                b"POST /seed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                  Expect: 100-continue\r\nContent-Length: 90\r\n\r\n",
            )
            .await
            .unwrap();
        let mut cont = [0u8; 12];
        tokio::time::timeout(BOUND, stalled.read_exact(&mut cont))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&cont, b"HTTP/1.1 100");
        // ...holds none of the server's budget.
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/rpc", Bytes::from(vec![b'x'; 50]))
            .await
            .unwrap();
        assert_eq!(status, 200);
        stalled.write_all(&[b'x'; 90]).await.unwrap();
        let answer = until_closed(&mut stalled).await;
        assert!(answer.ends_with("90 bytes"), "{answer}");
    }

    #[tokio::test]
    async fn onion_route_is_rate_limited_and_a_forwarder_header_alone_exempts_nothing() {
        let limits = rate_limited(2, 0);
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |path: &'static str, by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let headers: &[(&str, &str)] = if by.is_empty() {
                    &[]
                } else {
                    &[(service::FORWARDED_BY, by)]
                };
                p.request("POST", &base, path, headers, "x".into())
                    .await
                    .unwrap()
                    .status
            }
        };
        assert_eq!(post("/onion", "").await, 200);
        // A forged forwarder header takes a token like any client request.
        assert_eq!(post("/rpc", "forged").await, 200);
        assert_eq!(post("/onion", "").await, 429);
        assert_eq!(post("/rpc", "forged").await, 429);
        assert_eq!(post("/rpc", "").await, 429);
        // A verified peer copy is not a client request.
        for _ in 0..5 {
            assert_eq!(post("/rpc", "good").await, 200);
        }
        // Routes that are not limited still answer.
        assert_eq!(post("/gate_unknown", "").await, 404);
        let (status, _) = peer_from(Some(OTHER))
            .post(&base, "/onion", "x".into())
            .await
            .unwrap();
        assert_eq!(status, 200, "another address has its own bucket");
    }

    #[tokio::test]
    async fn a_forwarder_is_judged_from_headers_before_the_body_and_verified_once() {
        let limits = rate_limited(1, 0);
        let routes = Arc::new(Routes::default());
        let node = start(routes.clone(), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let r = p
                    .request(
                        "POST",
                        &base,
                        "/rpc",
                        &[(service::FORWARDED_BY, by)],
                        "x".into(),
                    )
                    .await
                    .unwrap();
                (r.status, String::from_utf8_lossy(&r.body).into_owned())
            }
        };
        let verified = || routes.verified.load(std::sync::atomic::Ordering::SeqCst);
        // A verified copy is checked once and handed on as one.
        assert_eq!(post("good").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 1);
        // A copy from an address not the member's listed one takes the one token before its
        // body is read, and is then verified and accepted as a copy all the same.
        assert_eq!(post("elsewhere").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 2);
        // With no token left, such headers are refused before the body, no signature checked.
        assert_eq!(post("elsewhere").await.0, 429);
        assert_eq!(post("forged").await.0, 429);
        assert_eq!(verified(), 2, "no signature checked without a token");
        // A member's headers whose signature fails take a token after the one check.
        assert_eq!(post("badsig").await.0, 429);
        assert_eq!(verified(), 3);
        assert_eq!(post("good").await, (200, "peer copy".to_owned()));
        assert_eq!(verified(), 4);
    }

    #[tokio::test]
    async fn a_relaying_node_draws_on_its_own_bucket() {
        let limits = rate_limited(1, 0);
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let p = peer_from(None);
        let post = |by: &'static str| {
            let (p, base) = (p.clone(), base.clone());
            async move {
                let headers: &[(&str, &str)] = if by.is_empty() {
                    &[]
                } else {
                    &[(service::RELAYED_BY, by)]
                };
                p.request("POST", &base, "/onion", headers, "x".into())
                    .await
                    .unwrap()
                    .status
            }
        };
        // The address's one client token goes...
        assert_eq!(post("").await, 200);
        assert_eq!(post("").await, 429);
        assert_eq!(post("stranger").await, 429, "a relayer not vouched for");
        // ...while relays from a node at its listed address take the node's tokens.
        for _ in 0..3 {
            assert_eq!(post("node").await, 200);
        }
    }

    /// A plain-HTTP exchange from `ip`, retried (within [`BOUND`]) while the server closes the
    /// connection unanswered because it has not yet seen an earlier one go.
    async fn served_once_freed(ip: IpAddr, addr: SocketAddr) -> String {
        tokio::time::timeout(BOUND, async {
            loop {
                let mut s = tcp_from(ip, addr).await;
                let answer = plain_exchange(&mut s, &plain_post("/seed", "ab")).await;
                if !answer.is_empty() {
                    return answer;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the address gets its slot back")
    }

    /// Reads until the server closes; what it sent.
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(BOUND, stream.read_to_end(&mut out))
            .await
            .expect("the server should close the connection");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn silent_and_idle_connections_do_not_keep_their_slot() {
        let limits = Limits {
            max_connections_per_ip: 1,
            handshake_timeout: Duration::from_millis(200),
            idle_timeout: Duration::from_millis(200),
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // A connection that never says a word is closed...
        let mut silent = tcp_from(local, node.addr).await;
        assert_eq!(until_closed(&mut silent).await, "");
        // ...as is one that stops half-way through a TLS handshake...
        let mut half = tcp_from(local, node.addr).await;
        half.write_all(&[0x16, 3, 1]).await.unwrap();
        assert_eq!(until_closed(&mut half).await, "");
        // ...and a kept-alive plain-HTTP connection gone idle after its answer.
        let mut idle = tcp_from(local, node.addr).await;
        idle.write_all(b"POST /seed HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
            .await
            .unwrap();
        let answer = until_closed(&mut idle).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Each gave its slot back: the one connection 127.0.0.1 may hold is served.
        let answer = served_once_freed(local, node.addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[tokio::test]
    async fn a_write_nobody_reads_times_out() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut w = WriteTimeout::new(ours, Duration::from_millis(100));
        // Writes that go out reset the clock.
        w.write_all(&[0; 64]).await.unwrap();
        let mut sink = [0u8; 64];
        theirs.read_exact(&mut sink).await.unwrap();
        w.write_all(&[0; 64]).await.unwrap();
        // Nobody reads any more: the next write stalls and fails.
        let err = w.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }

    /// Reads one response off `stream`: its head and its body (by `Content-Length`).
    async fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
        tokio::time::timeout(BOUND, async {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(stream.read_u8().await.unwrap());
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            let mut body = vec![0; len];
            stream.read_exact(&mut body).await.unwrap();
            (head, body)
        })
        .await
        .expect("a response")
    }

    #[tokio::test]
    async fn answers_have_their_own_budgets_and_one_that_does_not_fit_is_dropped_alone() {
        let limits = Limits {
            max_body_in_flight_per_ip: 1024 * 1024,
            max_body_in_flight: 1024 * 1024,
            max_answer_in_flight_per_ip: BIG,
            max_answer_in_flight: BIG,
            ..Limits::default()
        };
        let node = start(Arc::new(Routes::default()), limits).await;
        let base = node.addr.to_string();
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut slow = tcp_from(local, node.addr).await;
        slow.write_all(&plain_post("/big", "x")).await.unwrap();
        // The answer has begun, so it is made; the client reads no more of it.
        let mut head = [0u8; 12];
        tokio::time::timeout(BOUND, slow.read_exact(&mut head))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        // Its unwritten bytes, over both request budgets and filling both answer budgets,
        // refuse no request, and small answers still go out...
        for ip in [None, Some(OTHER)] {
            let (status, _) = peer_from(ip)
                .post(&base, "/rpc", "abc".into())
                .await
                .unwrap();
            assert_eq!(status, 200);
        }
        // ...but a second big answer does not fit, from this address or any other: it is
        // replaced by 503, and the connection stays open for the next request.
        for ip in [local, OTHER] {
            let mut again = tcp_from(ip, node.addr).await;
            let kept = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
            again.write_all(kept).await.unwrap();
            let (head, _) = read_response(&mut again).await;
            assert!(head.starts_with("http/1.1 503"), "{head}");
            assert!(!head.contains("connection: close"), "{head}");
            again.write_all(&plain_post("/seed", "x")).await.unwrap();
            let (head, _) = read_response(&mut again).await;
            assert!(head.starts_with("http/1.1 200"), "{head}");
        }
        // The held answer is given back once the connection is gone.
        drop(slow);
        tokio::time::timeout(BOUND, async {
            loop {
                let mut s = tcp_from(OTHER, node.addr).await;
                s.write_all(&plain_post("/big", "x")).await.unwrap();
                let (head, body) = read_response(&mut s).await;
                if head.starts_with("http/1.1 200") {
                    assert_eq!(body.len(), BIG);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the answer budget is given back");
    }

    #[tokio::test]
    async fn a_response_taken_too_slowly_fails_and_gives_its_claim_back() {
        use hyper::body::Body as _;
        let budget = rate::PerClient::new(usize::MAX);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let claim = BodyClaim {
            client: budget.claim(ip, 10).unwrap(),
            server: budget.claim(SERVER_KEY, 10).unwrap(),
        };
        let len = 3 * RESPONSE_CHUNK;
        let cell = WriteDeadline::default();
        let mut body = HeldBody::new(Bytes::from(vec![0; len]), Some(claim), BOUND, &cell);
        assert_eq!(body.size_hint().exact(), Some(len as u64));
        // Handed over a chunk at a time, the claim held meanwhile.
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap().len(), RESPONSE_CHUNK);
        assert_eq!(budget.used(ip), 10);
        // Past its deadline, the next chunk is an error (hyper closes the connection), and
        // the claim is given back.
        body.deadline = Some(tokio::time::Instant::now());
        assert!(body.frame().await.unwrap().is_err());
        assert_eq!(budget.used(ip), 0);
        assert!(body.frame().await.is_none());
        drop(body);
        assert_eq!(cell.get(), None, "a body gone clears its deadline");
    }

    #[test]
    fn a_deadline_grows_with_the_length_and_small_answers_have_none() {
        let t = Duration::from_secs(30);
        assert_eq!(answer_time(0, t), None);
        assert_eq!(answer_time(SMALL_ANSWER - 1, t), None);
        // 16 KiB/s: a 1 MiB answer may take 30 s plus 64 s.
        assert_eq!(answer_time(1024 * 1024, t), Some(Duration::from_secs(94)));
        assert_eq!(
            answer_time(10 * MIN_RESPONSE_BYTES_PER_SECOND, t),
            Some(Duration::from_secs(40))
        );
    }

    #[tokio::test]
    async fn a_write_deadline_is_enforced_by_a_timer_despite_progress() {
        // The client takes a byte every 20 ms: never the 2 s without progress.
        let (ours, mut theirs) = tokio::io::duplex(16);
        let reader = tokio::spawn(async move {
            let mut b = [0u8; 1];
            while theirs.read(&mut b).await.is_ok_and(|n| n > 0) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let mut w = WriteTimeout::new(ours, Duration::from_secs(2));
        // Without a deadline, a slow but steady client takes it all.
        tokio::time::timeout(BOUND, w.write_all(&[0; 48]))
            .await
            .unwrap()
            .unwrap();
        // With one, the write fails once it has passed, though bytes keep going out (at this
        // pace the write would take half an hour).
        w.deadline.set(Some(
            tokio::time::Instant::now() + Duration::from_millis(300),
        ));
        let err = tokio::time::timeout(BOUND, w.write_all(&[0; 100_000]))
            .await
            .expect("the deadline ends the write")
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        reader.abort();
    }

    /// A body of the given frames, declaring `declared` bytes.
    struct Frames(std::collections::VecDeque<Bytes>, u64);

    impl hyper::body::Body for Frames {
        type Data = Bytes;
        type Error = hyper::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
            let next = self.get_mut().0.pop_front();
            std::task::Poll::Ready(next.map(|b| Ok(hyper::body::Frame::data(b))))
        }

        fn size_hint(&self) -> hyper::body::SizeHint {
            let mut h = hyper::body::SizeHint::new();
            h.set_lower(self.1);
            h
        }
    }

    #[tokio::test]
    async fn a_body_reserves_its_declared_length_and_counts_what_it_takes() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let read = |frames: usize, each: usize, declared: usize| async move {
            let client = rate::PerClient::new(usize::MAX);
            let server = rate::PerClient::new(usize::MAX);
            let mut claim = BodyClaim {
                client: client.claim(ip, declared).unwrap(),
                server: server.claim(SERVER_KEY, 0).unwrap(),
            };
            let body = Frames(
                (0..frames).map(|_| Bytes::from(vec![1; each])).collect(),
                declared as u64,
            );
            let buf = read_body(body, MAX_REQUEST_BODY_SIZE, &mut claim, declared)
                .await
                .ok()
                .unwrap();
            (buf, client.used(ip), server.used(SERVER_KEY))
        };
        // A declared length is reserved once, exactly, and counted as it is.
        let (buf, client, server) = read(10, 100_000, 1_000_000).await;
        assert_eq!((buf.len(), buf.capacity()), (1_000_000, 1_000_000));
        assert_eq!((client, server), (1_000_000, 1_000_000));
        // A body without a length grows by doubling, and what it takes is counted.
        let (buf, client, server) = read(10, 10_000, 0).await;
        assert_eq!(buf.len(), 100_000);
        assert!(buf.capacity() > buf.len());
        assert_eq!((client, server), (buf.capacity(), buf.capacity()));
    }

    #[test]
    fn refusals_are_logged_at_most_twenty_a_second() {
        let mut b = LogBudget::default();
        let t0 = tokio::time::Instant::now();
        for _ in 0..REFUSALS_LOGGED_PER_SECOND {
            assert_eq!(b.admit(t0), Some(0));
        }
        for _ in 0..5 {
            assert_eq!(b.admit(t0 + Duration::from_millis(999)), None);
        }
        // The next second's first line carries the count left out.
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Some(5));
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Some(0));
    }

    #[test]
    fn budgeted_lines_say_how_many_were_left_out() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let log = Log::to_writer(buf.clone(), Arc::new(crate::clock::FixedClock::from_ms(0)));
        let budget = Mutex::new(LogBudget::default());
        let t0 = tokio::time::Instant::now();
        for n in 0..25 {
            log_within(&budget, &log, t0, format_args!("TLS handshake {n} failed"));
        }
        log_within(&budget, &log, t0 + Duration::from_secs(1), "next");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 22, "{text}");
        assert!(lines[20].ends_with(" 5 more refusals in the last second, not logged"));
        assert!(lines[21].ends_with(" next"));
    }

    #[test]
    fn out_of_descriptors_is_transient() {
        assert!(is_transient_accept_error(
            &std::io::Error::from_raw_os_error(24)
        ));
        assert!(!is_transient_accept_error(&std::io::Error::from(
            std::io::ErrorKind::InvalidInput
        )));
    }
}
