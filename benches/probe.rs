//! `sesh probe --all` over a large pool: N in-process HTTPS nodes answering `info` (the
//! local node's stand-in service), each on its own loopback address 127.0.X.1 as on a devnet,
//! probed by a fresh client (cold connections: TCP, TLS, two `info` requests per node) with
//! the default options (100 at once, 5 s timeout).
//!
//! Run with `cargo bench --bench probe`; the figures are in BENCHMARKS.md.

#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_core::OsRng;
use sesh::client::probe::Options;
use sesh::client::{Client, State};
use sesh::clock::{Clock, Stopwatch, SystemClock};
use sesh::devnet::node_ip;
use sesh::identity::{Identity, Seed};
use sesh::network::Network;
use sesh::node::{self, InfoService, Limits, Log, ServerCert};
use sesh::swarm::Snode;
use sesh::transport::http::HttpTransport;
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
    };
    let options = Options::default();
    let mut group = c.benchmark_group("probe");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    for n in [200, 2000] {
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
        drop(stop);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
