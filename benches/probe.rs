//! `sesh probe --all` over a large pool: N in-process HTTPS nodes answering `info` (the
//! local node's stand-in service), each on its own loopback address 127.0.X.1 as on a devnet,
//! probed by a fresh client (cold connections: TCP, TLS, two `info` requests per node) with
//! the default options (100 at once, 5 s timeout).
//!
//! In the same run (issue 11, target 6):
//!
//! * `tls_connect`, the baseline: opening a TLS connection (TCP and handshake, the client's
//!   TLS configuration for service nodes) to each of the same nodes, 100 at once;
//! * the peak memory of the `sesh probe --all` command (release build, a fresh process) over
//!   the 2 000 nodes, listed by an in-process plain-HTTP seed: its maximum resident set, as
//!   `/usr/bin/time -f %M` reads it from the kernel (else `VmHWM` polled while it runs).
//!
//! Run with `cargo bench --bench probe` (`SESH_BENCH_QUICK=1`: only 200 nodes, fewer
//! samples); the figures are in BENCHMARKS.md.

#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
#![expect(clippy::print_stdout, reason = "the memory figure is printed")]

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_core::OsRng;
use sesh::client::probe::Options;
use sesh::client::{Client, State};
use sesh::clock::{Clock, Stopwatch, SystemClock};
use sesh::devnet::node_ip;
use sesh::identity::{Identity, Seed};
use sesh::network::{Network, SeedNode};
use sesh::node::roster::Roster;
use sesh::node::{self, InfoService, Limits, Log, ServerCert};
use sesh::swarm::Snode;
use sesh::transport::http::{HttpTransport, service_node_tls};
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// Starts `n` nodes; they stop when the returned sender is dropped.
async fn start_nodes(n: usize, cert: &ServerCert) -> (Vec<Snode>, watch::Sender<()>) {
    let (stop, stopped) = watch::channel(());
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(SystemClock);
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let listener = node::bind(SocketAddr::new(IpAddr::V4(node_ip(i)), 0))
            .await
            .expect("a loopback address");
        let addr = listener.local_addr().expect("a bound address");
        let mut seed = [0u8; 16];
        seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let id = Identity::from_seed(Seed::from_legacy(&seed));
        nodes.push(Snode {
            ed25519: id.ed25519_pub(),
            x25519: id.x25519_pub(),
            ip: node_ip(i),
            port: addr.port(),
            swarm_id: 0,
            version: Some([2, 8, 0]),
        });
        let mut stopped = stopped.clone();
        tokio::spawn(node::run(
            listener,
            Arc::clone(&cert.config),
            Arc::new(InfoService::new(Arc::clone(&clock))),
            Limits::default(),
            Log::discard(),
            async move {
                let _ = stopped.changed().await;
            },
        ));
    }
    (nodes, stop)
}

/// Opens a TLS connection (TCP and handshake) to each node, `concurrency` at once, as the
/// client's transport would (its TLS configuration for service nodes); each is dropped once
/// open, as the nodes' servers would see a probe's connection end.
async fn tls_connect_all(nodes: &[Snode], concurrency: usize) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(
        service_node_tls().expect("the TLS configuration"),
    ));
    let opened = stream::iter(nodes)
        .map(|n| {
            let connector = connector.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect((n.ip, n.port)).await?;
                let name = rustls::pki_types::ServerName::IpAddress(IpAddr::V4(n.ip).into());
                connector.connect(name, tcp).await.map(drop)
            }
        })
        .buffer_unordered(concurrency)
        .filter(|r| std::future::ready(r.is_ok()))
        .count()
        .await;
    assert_eq!(opened, nodes.len(), "every connection opens");
}

/// A plain-HTTP seed on 127.0.0.1 answering every request with `nodes` as the
/// `get_n_service_nodes` result; it stops with the runtime.
async fn start_seed(nodes: &[Snode]) -> SocketAddr {
    let result = Roster::new(nodes.to_vec(), 1).service_nodes(None);
    let body =
        serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "id": 0, "result": result}))
            .expect("JSON");
    let answer: Arc<[u8]> = [
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body,
    ]
    .concat()
    .into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                // The request: headers, then as many body bytes as they announce.
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let _ = sock.write_all(&answer).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// The peak resident set (KiB) of `sesh probe --all` over `nodes`, listed by an in-process
/// seed.
fn probe_command_peak_kib(rt: &Runtime, nodes: &[Snode], dir: &Path) -> u64 {
    let seed = rt.block_on(start_seed(nodes));
    let network = Network {
        name: "probebench".into(),
        subnet_diversity: true,
        seeds: vec![SeedNode {
            url: format!("http://{seed}/json_rpc"),
            pin: None,
        }],
        known_nodes: Vec::new(),
        file_server: None,
    };
    let file = dir.join("probebench.toml");
    std::fs::write(&file, network.to_toml()).expect("the network file written");
    let sesh = env!("CARGO_BIN_EXE_sesh");
    let gnu_time = Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.args(["-f", "%M", sesh]);
        c
    } else {
        Command::new(sesh)
    };
    cmd.env_remove("SESH_NETWORK")
        .arg("--network")
        .arg(&file)
        .arg("--state-dir")
        .arg(dir.join("probe-command-state"))
        .args(["probe", "--all", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("sesh probe runs");
    let pid = child.id();
    // Without GNU time: the peak as the kernel reports it while the process lives.
    let mut polled = 0u64;
    let stderr = std::thread::spawn(move || child.wait_with_output());
    while !stderr.is_finished() {
        if let Some(kib) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
        {
            polled = polled.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = stderr
        .join()
        .expect("the waiting thread")
        .expect("sesh probe finishes");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sesh probe --all failed: {text}");
    if gnu_time.exists() {
        text.lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("GNU time's %M")
    } else {
        polled
    }
}

fn quick() -> bool {
    std::env::var_os("SESH_BENCH_QUICK").is_some_and(|v| v == "1")
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = node::Home::open(
        dir.path(),
        std::time::SystemTime::UNIX_EPOCH,
        &mut rand_core::OsRng,
    )
    .expect("a node directory with a certificate");
    let cert = home.tls;
    let network = Network {
        name: "bench".into(),
        subnet_diversity: true,
        seeds: Vec::new(),
        known_nodes: Vec::new(),
        file_server: None,
    };
    let options = Options::default();
    let mut group = c.benchmark_group("probe");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(if quick() { 3 } else { 20 }));
    let sizes: &[usize] = if quick() { &[200] } else { &[200, 2000] };
    for &n in sizes {
        let (nodes, stop) = rt.block_on(start_nodes(n, &cert));
        // The pool is cached in the state, so no seed is asked.
        let state_dir = dir.path().join(format!("state-{n}"));
        State::open(&state_dir)
            .expect("a state database")
            .save_pool(&nodes, SystemClock.now_ms())
            .expect("the pool saved");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("all", n), &nodes, |b, nodes| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let transport = HttpTransport::new().expect("a transport");
                    let mut client =
                        Client::open(network.clone(), &state_dir, transport, SystemClock, OsRng)
                            .expect("a client");
                    let watch = Stopwatch::start();
                    let reports = rt
                        .block_on(client.probe(nodes, &options, |_, _| {}))
                        .expect("probes");
                    total += watch.elapsed();
                    assert!(reports.iter().all(|r| r.passed()), "every node passes");
                }
                total
            });
        });
        group.bench_with_input(BenchmarkId::new("tls_connect", n), &nodes, |b, nodes| {
            b.iter(|| rt.block_on(tls_connect_all(nodes, options.concurrency)));
        });
        let peak = probe_command_peak_kib(&rt, &nodes, dir.path());
        println!(
            "probe/command_peak_memory/{n}: `sesh probe --all` peak resident set {:.1} MiB",
            peak as f64 / 1024.0
        );
        drop(stop);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
