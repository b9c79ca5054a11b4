//! The local node's server plumbing over real HTTPS on loopback: routes, limits, graceful
//! shutdown, and the `sesh-node` binary's start and stop.
//!
//! Every wait is bounded by a timeout that only turns a hang into a failure; nothing asserts
//! on timing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sesh::clock::FixedClock;
use sesh::node::peer::Peer;
use sesh::node::{
    self, Admit, BoxFuture, Home, InfoService, Limits, Log, Rate, Request, Response, Service,
};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// A bound on every wait: long enough for a loaded machine, short enough to fail a hang.
const BOUND: Duration = Duration::from_secs(60);
const INFO: &str = r#"{"method":"info","params":{}}"#;
const NOW_MS: u64 = 1_700_000_000_000;

struct Running {
    addr: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), node::Error>>,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn shut_down(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(BOUND, self.server)
            .await
            .expect("the server should stop within the bound")
            .expect("the server task should not panic")
            .expect("the server should stop cleanly");
    }
}

async fn start(service: Arc<dyn Service>, limits: Limits) -> Running {
    start_logged(service, limits, Log::discard()).await
}

async fn start_logged(service: Arc<dyn Service>, limits: Limits, log: Log) -> Running {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = Home::open(dir.path(), SystemTime::UNIX_EPOCH, &mut rand_core::OsRng)
        .expect("the node directory opens");
    let listener = node::bind(node::DEFAULT_LISTEN)
        .await
        .expect("loopback binds");
    let addr = listener.local_addr().expect("a bound address").to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(node::run(
        listener,
        Arc::clone(&home.tls.config),
        service,
        limits,
        log,
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        stop,
        server,
        _dir: dir,
    }
}

fn info_service() -> Arc<dyn Service> {
    Arc::new(InfoService::new(Arc::new(FixedClock::from_ms(NOW_MS))))
}

fn peer() -> Peer {
    Peer::new(BOUND).expect("the HTTPS client builds")
}

#[tokio::test]
async fn info_answers_json() {
    let node = start(info_service(), Limits::default()).await;
    let r = peer()
        .request(
            "POST",
            &node.addr,
            "/storage_rpc/v1",
            &[],
            Bytes::from(INFO),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["version"], serde_json::json!([2, 11, 0]));
    assert_eq!(v["t"], NOW_MS);
    // The same pooled client again, through `post`.
    let (status, body) = peer()
        .post(
            &node.addr,
            "/storage_rpc/v1",
            Bytes::from(r#"{"method":"nope","params":{}}"#),
        )
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (400, &b"no method nope"[..]));
    node.shut_down().await;
}

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("no panic while logging")
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn unknown_path_is_404_text() {
    let lines = Lines::default();
    let log = Log::to_writer(lines.clone(), Arc::new(FixedClock::from_ms(NOW_MS)));
    let node = start_logged(info_service(), Limits::default(), log).await;
    let r = peer()
        .request("GET", &node.addr, "/get_nothing/v1?x=1", &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type.as_deref(), Some("text/plain"));
    assert_eq!(&r.body[..], b"GET /get_nothing/v1?x=1 Not Found");
    node.shut_down().await;
    let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    // One line per TLS handshake (issue 14's count of a client's connections), then the
    // request's.
    let (handshake, log) = log.split_once('\n').expect("two lines");
    assert!(
        handshake.starts_with("2023-11-14T22:13:20.000Z TLS handshake with 127.0.0.1:"),
        "{handshake}"
    );
    assert_eq!(
        log,
        "2023-11-14T22:13:20.000Z 404 GET /get_nothing/v1?x=1 from 127.0.0.1: no such route\n"
    );
}

#[tokio::test]
async fn oversize_body_is_413() {
    let node = start(info_service(), Limits::default()).await;
    let body = Bytes::from(vec![b'x'; 11 * 1024 * 1024]);
    let r = peer()
        .request("POST", &node.addr, "/storage_rpc/v1", &[], body)
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(&r.body[..], b"Request body too large");
    // Exactly the limit is read (and then found not to be JSON).
    let body = Bytes::from(vec![b'x'; node::MAX_REQUEST_BODY_SIZE]);
    let (status, body) = peer()
        .post(&node.addr, "/storage_rpc/v1", body)
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (400, &b"invalid json"[..]));
    node.shut_down().await;
}

#[tokio::test]
async fn long_poll_header_is_410() {
    let node = start(info_service(), Limits::default()).await;
    let r = peer()
        .request(
            "POST",
            &node.addr,
            "/storage_rpc/v1",
            &[("X-Loki-Long-Poll", "true")],
            Bytes::from(INFO),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 410);
    assert_eq!(r.content_type.as_deref(), Some("text/plain"));
    node.shut_down().await;
}

#[tokio::test]
async fn empty_bucket_is_429() {
    let limits = Limits {
        rate: Some(Rate {
            bucket_size: 2,
            per_second: 0,
        }),
        ..Limits::default()
    };
    let node = start(info_service(), limits).await;
    let p = peer();
    let post = || p.post(&node.addr, "/storage_rpc/v1", Bytes::from(INFO));
    assert_eq!(post().await.unwrap().0, 200);
    assert_eq!(post().await.unwrap().0, 200);
    let (status, body) = post().await.unwrap();
    assert_eq!((status, &body[..]), (429, &b"Too Many Requests\n"[..]));
    node.shut_down().await;
}

/// Answers once told to, and says when a request has arrived.
struct Gate {
    arrived: Notify,
    release: Notify,
}

impl Service for Gate {
    fn admit(&self, _method: &str, _path: &str) -> Admit {
        Admit::Read
    }

    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(async move {
            self.arrived.notify_one();
            self.release.notified().await;
            Response::text(200, format!("{} bytes", request.body.len()))
        })
    }
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let gate = Arc::new(Gate {
        arrived: Notify::new(),
        release: Notify::new(),
    });
    let node = start(gate.clone(), Limits::default()).await;
    let addr = node.addr.clone();
    let in_flight = tokio::spawn(async move {
        peer()
            .post(&addr, "/onion_req/v2", Bytes::from_static(b"abc"))
            .await
    });
    tokio::time::timeout(BOUND, gate.arrived.notified())
        .await
        .expect("the request should reach the service");

    let Running {
        stop, server, addr, ..
    } = node;
    stop.send(()).unwrap();
    // New connections are no longer accepted once the server has stopped listening; the
    // request in flight still gets its answer.
    gate.release.notify_one();
    let (status, body) = tokio::time::timeout(BOUND, in_flight)
        .await
        .expect("the request should finish")
        .unwrap()
        .unwrap();
    assert_eq!((status, &body[..]), (200, &b"3 bytes"[..]));
    tokio::time::timeout(BOUND, server)
        .await
        .expect("the server should stop")
        .unwrap()
        .unwrap();
    let err = peer()
        .post(&addr, "/onion_req/v2", Bytes::new())
        .await
        .unwrap_err();
    assert_eq!(err.gateway_status(), 502, "{err:?}");
}

#[tokio::test]
async fn shutdown_with_idle_connections_completes() {
    let node = start(info_service(), Limits::default()).await;
    let p = peer();
    // Leaves a kept-alive connection in the client's pool.
    let (status, _) = p
        .post(&node.addr, "/storage_rpc/v1", Bytes::from(INFO))
        .await
        .unwrap();
    assert_eq!(status, 200);
    node.shut_down().await;
}

/// Runs `sesh-node`, returns it and its first stdout line.
async fn spawn_binary(dir: &std::path::Path, json: bool) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sesh-node"));
    cmd.arg("--dir")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .arg("--roster")
        .arg(dir.join("no-roster-yet.json"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    if json {
        cmd.arg("--json");
    }
    let mut child = cmd.spawn().expect("sesh-node starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    tokio::time::timeout(
        BOUND,
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("sesh-node should print its address")
    .expect("stdout is readable");
    (child, line.trim_end().to_owned())
}

async fn terminate(mut child: tokio::process::Child) {
    let pid = child.id().expect("sesh-node is running");
    assert!(sesh::devnet::sigterm(pid), "SIGTERM was sent");
    let status = tokio::time::timeout(BOUND, child.wait())
        .await
        .expect("sesh-node should exit after SIGTERM")
        .expect("waiting for sesh-node works");
    assert!(status.success(), "{status:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn binary_serves_info_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (child, line) = spawn_binary(dir.path(), false).await;
    let addr: SocketAddr = line.parse().expect("the first line is the address");
    assert!(addr.ip().is_loopback());
    let r = peer()
        .request("POST", &line, "/storage_rpc/v1", &[], Bytes::from(INFO))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    terminate(child).await;

    // The second start keeps the identity and the certificate.
    let (child, first) = spawn_binary(dir.path(), true).await;
    terminate(child).await;
    let (child, second) = spawn_binary(dir.path(), true).await;
    terminate(child).await;
    let a: serde_json::Value = serde_json::from_str(&first).unwrap();
    let b: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(a["type"], "listening");
    for key in [
        "pubkey_ed25519",
        "pubkey_x25519",
        "cert_sha256",
        "spki_sha256_base64",
    ] {
        assert!(a[key].is_string(), "{key}");
        assert_eq!(a[key], b[key], "{key}");
    }
    let log = std::fs::read_to_string(dir.path().join(node::LOG_FILE)).unwrap();
    assert!(log.lines().any(|l| l.ends_with(" stopped")), "{log}");
}

/// Sends raw bytes over TLS and reads until the server closes.
async fn raw_exchange(addr: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the node accepts");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(
        sesh::transport::http::service_node_tls().expect("TLS is set up"),
    ));
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a server name");
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("the TLS handshake completes");
    tls.write_all(request).await.expect("the request is sent");
    let mut out = Vec::new();
    // The server closes after a 413; a reset after the answer is fine too.
    let _ = tokio::time::timeout(BOUND, tls.read_to_end(&mut out))
        .await
        .expect("the server should close the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn chunked_body_past_the_limit_is_413_and_closes() {
    let limits = Limits {
        max_body: 16,
        ..Limits::default()
    };
    let node = start(info_service(), limits).await;
    let answer = raw_exchange(
        &node.addr,
        b"POST /storage_rpc/v1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n\
          14\r\n01234567890123456789\r\n0\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(lower.contains("\r\nserver: sesh-node/"), "{answer}");
    assert!(
        lower.contains("\r\ncontent-type: text/plain\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("\r\n\r\nRequest body too large"),
        "{answer}"
    );
    node.shut_down().await;
}

/// Runs `sesh-node` with `env` set, stdin closed, until it exits (bounded).
fn run_binary_with(dir: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sesh-node"));
    cmd.arg("--dir")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "--stop-on-stdin-eof"])
        .arg("--roster")
        .arg(dir.join("no-roster-yet.json"))
        .env_remove("SESH_NODE_MISBEHAVE")
        .env_remove("SESH_NODE_MISBEHAVE_TIMES")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null());
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sesh-node starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(BOUND) {
        Ok(out) => out.expect("sesh-node ends"),
        Err(_) => {
            let _ = sesh::devnet::sigterm(pid);
            panic!("sesh-node did not end within {BOUND:?}");
        }
    }
}

/// Issue 9: a bad `SESH_NODE_MISBEHAVE` (or `_TIMES`) is a usage error, exit status 2, one
/// `sesh-node: error:` line and a hint that lists the modes; the node does not start.
#[test]
fn a_bad_misbehaviour_is_exit_2_with_the_modes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_binary_with(dir.path(), &[("SESH_NODE_MISBEHAVE", "lie-a-lot")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "it started: {out:?}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("sesh-node: error: SESH_NODE_MISBEHAVE")
            && lines[0].contains("lie-a-lot"),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: "), "{err}");
    for mode in sesh::node::hostile::MODES {
        assert!(lines[1].contains(mode), "{mode} missing: {err}");
    }

    let out = run_binary_with(
        dir.path(),
        &[
            ("SESH_NODE_MISBEHAVE", "huge"),
            ("SESH_NODE_MISBEHAVE_TIMES", "once"),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "it started: {out:?}");
    assert!(
        err.starts_with("sesh-node: error: SESH_NODE_MISBEHAVE_TIMES"),
        "{err}"
    );
    assert!(err.contains("\nhint: "), "{err}");
}

/// Issue 9: a node told to lie says so loudly, on standard error and in its log; an honest
/// node does not.
#[test]
fn a_misbehaving_node_warns_on_stderr_and_in_its_log() {
    const WARNING: &str =
        "warning: SESH_NODE_MISBEHAVE=store-wrong-hash — this node lies on purpose (test only)";
    let dir = tempfile::tempdir().unwrap();
    // Stdin is closed: the node starts, prints its address and stops at once.
    let out = run_binary_with(dir.path(), &[("SESH_NODE_MISBEHAVE", "store-wrong-hash")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!out.stdout.is_empty(), "it never listened: {out:?}");
    assert_eq!(
        err.lines().next(),
        Some(format!("sesh-node: {WARNING}").as_str()),
        "{err}"
    );
    let log = std::fs::read_to_string(dir.path().join(node::LOG_FILE)).unwrap();
    assert!(log.lines().any(|l| l.ends_with(WARNING)), "{log}");

    let honest = tempfile::tempdir().unwrap();
    let out = run_binary_with(honest.path(), &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.is_empty(), "it never listened: {out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
    let log = std::fs::read_to_string(honest.path().join(node::LOG_FILE)).unwrap();
    assert!(log.lines().any(|l| l.ends_with(" stopped")), "{log}");
    assert!(!log.contains("SESH_NODE_MISBEHAVE"), "{log}");
}

/// A TCP proxy on `ip` in front of `to` that counts the connections it accepts.
async fn counting_proxy(
    ip: std::net::Ipv4Addr,
    to: SocketAddr,
) -> (u16, Arc<std::sync::atomic::AtomicUsize>, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind((ip, 0))
        .await
        .expect("a port for the proxy");
    let port = listener.local_addr().expect("its address").port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    let task = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (port, accepted, task)
}

/// A node's relays (onion hops) and its replication to its swarm reuse one kept-alive
/// connection to the other node: one TCP connection (so one TLS handshake) for twenty
/// requests, not one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_and_replication_reuse_one_connection() {
    use base64::Engine as _;
    use serde_json::json;
    use std::sync::atomic::Ordering;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let opts = sesh::devnet::Options {
        dir: dir.path().join("net"),
        nodes: 2,
        swarm_size: 2,
        node_bin: env!("CARGO_BIN_EXE_sesh-node").into(),
        clock_offset_ms: 0,
    };
    let mut net = tokio::time::timeout(BOUND, sesh::devnet::Devnet::start(opts))
        .await
        .expect("the devnet starts within the bound")
        .expect("the devnet starts");
    let nodes = net.roster().pool().nodes().to_vec();
    let (a, b) = (nodes[0].clone(), nodes[1].clone());
    // B is listed at the proxy's port: whatever A sends to B goes through it.
    let (port, accepted, proxy) = counting_proxy(b.ip, SocketAddr::from((b.ip, b.port))).await;
    let mut listed = nodes.clone();
    listed[1].port = port;
    net.set_roster(node::roster::Roster::new(listed, 2))
        .expect("the new roster is written");
    let proxied_b = {
        let mut b = b.clone();
        b.port = port;
        b
    };

    let client =
        Peer::bound(BOUND, Some(std::net::IpAddr::from([127, 0, 0, 1]))).expect("an HTTPS client");
    let to_a = a.to_string();
    for _ in 0..10 {
        let (body, _) = sesh::onion::build(
            &[sesh::onion::HopKeys::from(&a)],
            &sesh::onion::Destination::Snode(sesh::onion::HopKeys::from(&proxied_b)),
            INFO.as_bytes(),
            sesh::onion::EncType::AesGcm,
            &mut rand_core::OsRng,
        )
        .expect("an onion request");
        let (status, answer) = client
            .post(&to_a, "/onion_req/v2", Bytes::from(body))
            .await
            .expect("A answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "ten relays to B, one connection"
    );

    let to = sesh::Identity::from_seed(sesh::identity::Seed::from_legacy(&[9; 16]));
    for n in 0..10u8 {
        let store = json!({"method": "store", "params": {
            "pubkey": to.session_id().to_string(),
            "timestamp": sesh::clock::Clock::now_ms(&sesh::clock::SystemClock),
            "ttl": 600_000,
            "data": base64::engine::general_purpose::STANDARD.encode([n; 32]),
        }});
        let (status, answer) = client
            .post(&to_a, "/storage_rpc/v1", Bytes::from(store.to_string()))
            .await
            .expect("A answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let v: serde_json::Value = serde_json::from_slice(&answer).expect("JSON");
        let entry = &v["swarm"][b.ed25519.to_hex()];
        assert!(entry["hash"].is_string(), "B stored a copy: {v}");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "ten replicated stores to B too: the same connection"
    );
    proxy.abort();
    net.shutdown().await;
}
