//! Node throughput (issue 11, target 3): requests per second one `sesh-node` answers on
//! loopback, against a bare HTTPS server doing no work, measured in the same run.
//!
//! The generator keeps `CONNS` keep-alive connections busy for a fixed time, each connection
//! from its own source address (127.250.x.y), so that the node's per-address rate limit
//! (300 a second) and connection limit apply as they would to that many clients; nothing is
//! switched off. Answers other than 200 and requests that got no answer are counted apart.
//!
//! Phases (each against a devnet of release-build `sesh-node` processes, as benches/flood.rs):
//!
//! 1. `bare`: this binary re-executed as a server (`--bare-server`): hyper and rustls with the
//!    node's own TLS configuration (its certificate, ciphers and ALPN, from [`Home::open`]) and
//!    the same number of runtime worker threads, answering 200 with a 2-byte body;
//! 2. `store`: namespace-0 stores of 1 KiB messages to 256 recipients, each message new, by
//!    the direct storage RPC (`/storage_rpc/v1`) to a one-node devnet (a swarm of one: no
//!    replication);
//! 3. `store (onion)`: the same stores as onion requests to the node as its own guard (one
//!    layer peeled, then the store), built beforehand with `sesh::onion::build` and sent in
//!    turn (after the first round they are stores of a message already there);
//! 4. `retrieve`: signed retrieves of the first 10 messages of one of the 256 mailboxes;
//! 5. `store-swarm`: the stores of 2. to the first node of a swarm of three, which stores each
//!    and replicates it to the two other members before answering;
//! 6. `relay`: onion requests for `info` at another node, with the node as the guard: it
//!    peels one layer and relays to the next node over its pooled connections. A devnet of
//!    1 + `SESH_LOAD_RELAY_TO` (default 32) nodes: the measured node relays to the others in
//!    turn, because each of them rate-limits a relaying node at 600 requests a second
//!    (`Rate::SERVICE_NODE`, as the storage server), which would otherwise be what is measured
//!    (6 next nodes cap the phase at 3 600 a second).
//!
//! Then `bare` again, to see how much the machine drifted. Each phase has one second of
//! warm-up (TLS handshakes) that is not counted. The last column counts the TCP connections
//! the machine opened while a phase counted (`ActiveOpens`, all of loopback, so other
//! programs' too): near 0 shows that the generator's connections and the node's own to the
//! other nodes (relays, replication) are kept alive and reused rather than opened per request.
//!
//! CPU columns: the CPU time (user and system) the server processes used while counting (the
//! bare server, or every node of the phase's devnet: for `relay` the next nodes' work is
//! included, for `store-swarm` the replicas'), and this generator's, per answer 200; and the
//! bare server's µs per answer divided by the phase's. On a machine whose cores the generator
//! and the servers share, that ratio is what the requests/s ratio would be if the server had
//! the cores to itself.
//!
//! Run with `cargo bench --bench node_load` (about 90 s); `SESH_LOAD_QUICK=1` (or the argument
//! `quick`) runs each phase 2 s. `SESH_LOAD_CONNS` sets the connections (default 64);
//! `SESH_LOAD_ONLY=store,onion-store,retrieve,store-swarm,relay` runs only those phases (bare always runs).
//! It prints a Markdown table; the pids of the measured nodes go to stderr, for a profiler.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the benchmark's report"
)]

#[path = "../tests/integration/support.rs"]
mod support;

use support::node_bin;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use sesh::clock::{Clock as _, Stopwatch, SystemClock};
use sesh::identity::{Identity, Seed};
use sesh::node::peer::Peer;
use sesh::onion::{Destination, EncType, HopKeys};
use sesh::rpc::{Namespace, auth};
use sesh::swarm::Snode;
use tokio::io::AsyncBufReadExt as _;

const STORAGE_RPC: &str = "/storage_rpc/v1";
const ONION: &str = "/onion_req/v2";
const TIMEOUT: Duration = Duration::from_secs(30);
const WARM_UP: Duration = Duration::from_secs(1);
/// Recipients of the stores (and mailboxes of the retrieves).
const RECIPIENTS: usize = 256;
/// The size of a stored message.
const DATA_LEN: usize = 1024;
/// Onion requests built beforehand per onion phase.
const ONION_POOL: usize = 3000;

/// The source address of connection `i`: 127.250.x.y, away from the devnet's 127.0.x.1.
fn source(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        250,
        u8::try_from(i / 250).expect("fewer than 64 000 connections"),
        u8::try_from(i % 250 + 1).expect("below 251"),
    ))
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    other: AtomicU64,
    failed: AtomicU64,
}

/// What one phase measured.
struct Rate {
    ok: f64,
    other: f64,
    failed: f64,
    /// TCP connections opened on the machine (all of loopback) while counting: about 0 when
    /// every connection, the node's own to other nodes included, is kept alive and reused.
    opened: Option<u64>,
    /// CPU time the server processes (the bare server, or every node of the devnet) used
    /// while counting, per answer 200, in microseconds (`/proc/<pid>/stat`).
    server_us: Option<f64>,
    /// The same for this generator process.
    generator_us: Option<f64>,
}

/// The CPU time (user and system, all threads) the processes `pids` used so far, in seconds.
fn cpu_seconds(pids: &[u32]) -> Option<f64> {
    let mut ticks = 0u64;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) end with ')'.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
        ticks += f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    }
    // USER_HZ is 100 on Linux.
    Some(ticks as f64 / 100.0)
}

/// The kernel's count of TCP connections opened (`ActiveOpens` in `/proc/net/snmp`).
fn tcp_active_opens() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut tcp = snmp.lines().filter(|l| l.starts_with("Tcp:"));
    let (names, values) = (tcp.next()?, tcp.next()?);
    let i = names.split_whitespace().position(|n| n == "ActiveOpens")?;
    values.split_whitespace().nth(i)?.parse().ok()
}

/// Requests from `conns` keep-alive connections (one per source address) to `base` for
/// `measure` after [`WARM_UP`]; `body(n)` is the n-th request's body.
async fn load(
    base: &str,
    path: &str,
    conns: usize,
    measure: Duration,
    body: Arc<dyn Fn(u64) -> Bytes + Send + Sync>,
    servers: &[u32],
) -> Rate {
    eprintln!("load {path}");
    let counts = Arc::new(Counts::default());
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..conns)
        .map(|i| {
            let peer = Peer::bound(TIMEOUT, Some(source(i))).expect("an HTTPS client");
            let (counts, counting, stop, sent, body) = (
                Arc::clone(&counts),
                Arc::clone(&counting),
                Arc::clone(&stop),
                Arc::clone(&sent),
                Arc::clone(&body),
            );
            let (base, path) = (base.to_owned(), path.to_owned());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let b = body(sent.fetch_add(1, Ordering::Relaxed));
                    let r = peer.request("POST", &base, &path, &[], b).await;
                    if !counting.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let c = match r.map(|r| r.status) {
                        Ok(200) => &counts.ok,
                        Ok(_) => &counts.other,
                        Err(_) => &counts.failed,
                    };
                    c.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(WARM_UP).await;
    counting.store(true, Ordering::Relaxed);
    let opens_before = tcp_active_opens();
    let me = [std::process::id()];
    let cpu_before = (cpu_seconds(servers), cpu_seconds(&me));
    let t = Stopwatch::start();
    tokio::time::sleep(measure).await;
    stop.store(true, Ordering::Relaxed);
    let cpu_after = (cpu_seconds(servers), cpu_seconds(&me));
    let opened = tcp_active_opens()
        .zip(opens_before)
        .map(|(a, b)| a.saturating_sub(b));
    let secs = t.elapsed().as_secs_f64();
    for w in workers {
        let _ = w.await;
    }
    let per_s = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / secs;
    let oks = counts.ok.load(Ordering::Relaxed) as f64;
    let us_per_ok = |after: Option<f64>, before: Option<f64>| {
        after.zip(before).map(|(a, b)| (a - b) * 1e6 / oks)
    };
    Rate {
        ok: per_s(&counts.ok),
        other: per_s(&counts.other),
        failed: per_s(&counts.failed),
        opened,
        server_us: us_per_ok(cpu_after.0, cpu_before.0),
        generator_us: us_per_ok(cpu_after.1, cpu_before.1),
    }
}

/// A devnet of `nodes` storage nodes in swarms of `swarm_size`, in a fresh temporary
/// directory.
async fn devnet(nodes: usize, swarm_size: usize) -> (sesh::devnet::Devnet, tempfile::TempDir) {
    if nodes == 1 {
        return support::one_node_devnet(node_bin()).await;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let opts = sesh::devnet::Options {
        dir: dir.path().join("net"),
        nodes,
        swarm_size,
        node_bin: node_bin().to_owned(),
        clock_offset_ms: 0,
    };
    let net = tokio::time::timeout(Duration::from_secs(60), sesh::devnet::Devnet::start(opts))
        .await
        .expect("the devnet starts within a minute")
        .expect("the devnet starts");
    (net, dir)
}

fn recipients() -> Vec<Identity> {
    (0..RECIPIENTS)
        .map(|i| {
            let mut seed = [7u8; 16];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            Identity::from_seed(Seed::from_legacy(&seed))
        })
        .collect()
}

/// The `params` of a namespace-0 store of message `n` (1 KiB, unique per `n`) to `to`.
fn store_params(to: &str, n: u64, salt: u64) -> Value {
    let mut data = vec![0x5a_u8; DATA_LEN];
    data[..8].copy_from_slice(&n.to_le_bytes());
    data[8..16].copy_from_slice(&salt.to_le_bytes());
    json!({
        "pubkey": to,
        "timestamp": SystemClock.now_ms(),
        "ttl": 3_600_000,
        "data": base64::engine::general_purpose::STANDARD.encode(&data),
    })
}

fn rpc(method: &str, params: Value) -> Value {
    json!({"method": method, "params": params})
}

fn onion_pool(path: &[HopKeys], dest: &Snode, payload: impl Fn(usize) -> Value) -> Vec<Bytes> {
    (0..ONION_POOL)
        .map(|i| {
            let (body, _) = sesh::onion::build(
                path,
                &Destination::Snode(HopKeys::from(dest)),
                payload(i).to_string().as_bytes(),
                EncType::AesGcm,
                &mut rand_core::OsRng,
            )
            .expect("an onion request");
            Bytes::from(body)
        })
        .collect()
}

fn cycle(pool: Vec<Bytes>) -> Arc<dyn Fn(u64) -> Bytes + Send + Sync> {
    Arc::new(move |n| pool[(n as usize) % pool.len()].clone())
}

/// The bare server, in its own process: prints `listening <addr>`, serves until stdin closes.
struct Bare {
    _child: tokio::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

async fn start_bare() -> Bare {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .arg("--bare-server")
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the bare server starts");
    let out = child.stdout.take().expect("its stdout");
    let mut line = String::new();
    tokio::io::BufReader::new(out)
        .read_line(&mut line)
        .await
        .expect("the bare server says where it listens");
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|a| a.parse().ok())
        .expect("listening <addr>");
    Bare {
        _child: child,
        addr,
        _dir: dir,
    }
}

/// The bare server's process: the node's TLS configuration and runtime, no work.
fn bare_server(dir: &Path) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let home = sesh::node::Home::open(dir, SystemClock.now(), &mut rand_core::OsRng)
        .expect("a node directory for the certificate");
    let tls = tokio_rustls::TlsAcceptor::from(Arc::clone(&home.tls.config));
    // As sesh-node: a multi-threaded runtime with the default number of workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.1.1:0")
            .await
            .expect("a port");
        println!("listening {}", listener.local_addr().expect("its address"));
        // Stops when the bench closes stdin (or dies).
        std::thread::spawn(|| {
            let mut buf = [0u8; 1];
            let _ = std::io::Read::read(&mut std::io::stdin(), &mut buf);
            std::process::exit(0);
        });
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let tls = tls.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(stream) = tls.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|req| async move {
                    // Reads the body, as the node does, and answers a tiny 200.
                    let _ = http_body_util::BodyExt::collect(req.into_body()).await;
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(Bytes::from_static(b"{}")),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn row(what: &str, r: &Rate, bare: f64, bare_us: Option<f64>) {
    let us = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.0}"));
    let cpu_ratio = bare_us
        .zip(r.server_us)
        .map_or("–".to_owned(), |(b, s)| format!("{:.2}", b / s));
    println!(
        "| {what} | {:.0} | {:.0} | {:.0} | {:.2} | {} | {} | {cpu_ratio} | {} |",
        r.ok,
        r.other,
        r.failed,
        r.ok / bare,
        us(r.server_us),
        us(r.generator_us),
        r.opened.map_or("–".to_owned(), |n| n.to_string())
    );
}

/// The pids of a devnet's nodes, whose CPU time a phase counts.
fn node_pids(net: &sesh::devnet::Devnet) -> Vec<u32> {
    net.nodes().iter().filter_map(|n| n.pid()).collect()
}

/// Whether the phase `name` runs (`SESH_LOAD_ONLY`: a comma-separated list; all by default).
fn wanted(name: &str) -> bool {
    std::env::var("SESH_LOAD_ONLY").map_or(true, |only| only.split(',').any(|o| o == name))
}

const SKIPPED: Rate = Rate {
    ok: f64::NAN,
    other: f64::NAN,
    failed: f64::NAN,
    opened: None,
    server_us: None,
    generator_us: None,
};

async fn run(measure: Duration, conns: usize, relay_to: usize) {
    support::raise_fd_limit(4096);
    let who = recipients();
    let ids: Arc<Vec<String>> = Arc::new(who.iter().map(|w| w.session_id().to_string()).collect());
    let salt = SystemClock.now_ms();

    let bare = start_bare().await;
    let bare_base = bare.addr.to_string();
    let ok_body: Arc<dyn Fn(u64) -> Bytes + Send + Sync> =
        Arc::new(|_| Bytes::from_static(br#"{"method":"info","params":{}}"#));
    let bare_pid: Vec<u32> = bare._child.id().into_iter().collect();
    let bare1 = load(
        &bare_base,
        STORAGE_RPC,
        conns,
        measure,
        Arc::clone(&ok_body),
        &bare_pid,
    )
    .await;

    // One node: stores, onion stores, retrieves.
    let (net, _dir) = devnet(1, 1).await;
    let node = net.roster().pool().nodes()[0].clone();
    let base = node.to_string();
    eprintln!("node pid {}", net.nodes()[0].pid().map_or(0, |p| p));
    let pids = node_pids(&net);
    let store = if wanted("store") {
        let ids = Arc::clone(&ids);
        let body: Arc<dyn Fn(u64) -> Bytes + Send + Sync> = Arc::new(move |n| {
            let to = &ids[(n as usize) % RECIPIENTS];
            Bytes::from(rpc("store", store_params(to, n, salt)).to_string())
        });
        load(&base, STORAGE_RPC, conns, measure, body, &pids).await
    } else {
        SKIPPED
    };
    let onion_store = if wanted("onion-store") {
        let pool = onion_pool(&[], &node, |i| {
            rpc("store", store_params(&ids[i % RECIPIENTS], i as u64, !salt))
        });
        load(&base, ONION, conns, measure, cycle(pool), &pids).await
    } else {
        SKIPPED
    };
    let retrieve = if wanted("retrieve") {
        let ts = SystemClock.now_ms();
        let pool: Vec<Bytes> = who
            .iter()
            .map(|w| {
                let mut p = Value::Object(auth::signed_fields(
                    w,
                    &auth::retrieve(Namespace::DEFAULT, ts),
                    ts,
                ));
                p["last_hash"] = json!("");
                p["max_count"] = json!(10);
                Bytes::from(rpc("retrieve", p).to_string())
            })
            .collect();
        load(&base, STORAGE_RPC, conns, measure, cycle(pool), &pids).await
    } else {
        SKIPPED
    };
    drop(net);

    // A swarm of three: each store is also replicated to the two other members.
    let store_swarm = if wanted("store-swarm") {
        let (net, _dir) = devnet(3, 3).await;
        let base = net.roster().pool().nodes()[0].to_string();
        let ids = Arc::clone(&ids);
        let body: Arc<dyn Fn(u64) -> Bytes + Send + Sync> = Arc::new(move |n| {
            let to = &ids[(n as usize) % RECIPIENTS];
            Bytes::from(rpc("store", store_params(to, n, salt ^ 0x55)).to_string())
        });
        let r = load(&base, STORAGE_RPC, conns, measure, body, &node_pids(&net)).await;
        drop(net);
        r
    } else {
        SKIPPED
    };

    // The first node relays to the others, in turn.
    let relay = if wanted("relay") {
        let (net, _dir) = devnet(1 + relay_to, 1).await;
        eprintln!(
            "relaying node pid {}",
            net.nodes()[0].pid().map_or(0, |p| p)
        );
        let nodes = net.roster().pool().nodes().to_vec();
        let guard = [HopKeys::from(&nodes[0])];
        let pool: Vec<Bytes> = (0..ONION_POOL)
            .map(|i| {
                let (body, _) = sesh::onion::build(
                    &guard,
                    &Destination::Snode(HopKeys::from(&nodes[1 + i % relay_to])),
                    br#"{"method":"info","params":{}}"#,
                    EncType::AesGcm,
                    &mut rand_core::OsRng,
                )
                .expect("an onion request");
                Bytes::from(body)
            })
            .collect();
        let r = load(
            &nodes[0].to_string(),
            ONION,
            conns,
            measure,
            cycle(pool),
            &node_pids(&net),
        )
        .await;
        drop(net);
        r
    } else {
        SKIPPED
    };

    let bare2 = load(&bare_base, STORAGE_RPC, conns, measure, ok_body, &bare_pid).await;
    drop(bare);
    let bare_ok = f64::midpoint(bare1.ok, bare2.ok);
    let bare_us = bare1
        .server_us
        .zip(bare2.server_us)
        .map(|(a, b)| f64::midpoint(a, b));

    println!(
        "\n### Node throughput ({conns} keep-alive connections, one per source address, {} s per phase)\n",
        measure.as_secs()
    );
    println!(
        "| requests | 200/s | other/s | no answer/s | ratio to bare | server CPU µs/200 | generator CPU µs/200 | CPU ratio (bare µs / server µs) | TCP connections opened while counting |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    row("bare HTTPS (before)", &bare1, bare_ok, bare_us);
    row("bare HTTPS (after)", &bare2, bare_ok, bare_us);
    row("store (storage RPC)", &store, bare_ok, bare_us);
    row(
        "store (onion, node as guard)",
        &onion_store,
        bare_ok,
        bare_us,
    );
    row(
        "store (storage RPC, swarm of 3: 2 replicas each)",
        &store_swarm,
        bare_ok,
        bare_us,
    );
    row("retrieve (10 of 1 KiB)", &retrieve, bare_ok, bare_us);
    row(
        &format!("relay (guard → one of {relay_to} nodes, info)"),
        &relay,
        bare_ok,
        bare_us,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--bare-server") {
        bare_server(Path::new(args.get(2).expect("a directory")));
        return;
    }
    let quick = std::env::var_os("SESH_LOAD_QUICK").is_some() || args.iter().any(|a| a == "quick");
    let conns = std::env::var("SESH_LOAD_CONNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    let relay_to = std::env::var("SESH_LOAD_RELAY_TO")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(32)
        .max(1);
    let measure = Duration::from_secs(if quick { 2 } else { 12 });
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(measure, conns, relay_to));
}
