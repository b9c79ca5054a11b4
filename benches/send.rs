//! End to end on a 10-node devnet (issue 11, target 4): what a send costs.
//!
//! Starts a 10-node devnet (swarms of 5, release `sesh-node`), then measures in the same run:
//!
//! 1. **cold `sesh send`**, a fresh process per message (release `sesh`, state warmed by one
//!    send first so that the pool and paths are cached, as on any send but the first): wall
//!    time from outside, and the command's own phase timings (`SESH_TIMINGS=1`: arguments,
//!    identity, network file, transport, state open, runtime, pool and paths, clock and seal,
//!    the store's round trips, the sync copy's seal and round trips (a copy for your other
//!    devices, in your own swarm: issue 12), profile, output, shutdown), and the mean CPU
//!    time per process;
//! 2. **repeat sends in one process** through the library (`Client`, as `sesh send` uses
//!    it: settle the clock, seal, store), after a first send: p50/p99 and the TLS handshakes
//!    made after the first send;
//! 3. **one direct HTTPS `store`** to a swarm member on a kept-alive connection (no onion):
//!    the floor a send's round trips are compared with.
//!
//! Run with `cargo bench --bench send` (about a minute); `SESH_BENCH_QUICK=1` for a smoke run
//! with few samples. It prints Markdown tables.

#![expect(clippy::print_stdout, reason = "the benchmark's report")]

#[path = "../tests/integration/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rand_core::OsRng;
use sesh::client::Client;
use sesh::clock::{Clock as _, Stopwatch, SystemClock};
use sesh::devnet::{Devnet, Options};
use sesh::identity::{Identity, Seed};
use sesh::message::{self, Outgoing};
use sesh::rpc::Namespace;
use sesh::rpc::request::{Request, Store};
use sesh::transport::http::HttpTransport;
use sesh::transport::{STORAGE_RPC_PATH, Target, Transport};

const TTL_MS: u64 = 10 * 60 * 1000;
const TIMEOUT: Duration = Duration::from_secs(30);

fn quick() -> bool {
    std::env::var_os("SESH_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// The value at quantile `q` (0..=1) of sorted samples.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The process's children's CPU time so far (user + system), from `/proc/self/stat`, in
/// clock ticks' resolution (10 ms): used only as a total over many runs.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): cutime and cstime are fields
    // 16 and 17 of the line, the 14th and 15th after the ')'.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// The steps of one `SESH_TIMINGS=1` line, in milliseconds, by name (`total` included).
fn parse_timings(stderr: &str) -> BTreeMap<String, f64> {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("sesh: timings: "))
        .unwrap_or_else(|| panic!("no timings line in {stderr:?}"));
    line.split(", ")
        .filter_map(|part| {
            let part = part.trim_end_matches(',').strip_suffix(" ms")?;
            let (name, v) = part.rsplit_once(' ')?;
            Some((name.to_owned(), v.parse().ok()?))
        })
        .collect()
}

struct Cold {
    wall: Vec<f64>,
    steps: BTreeMap<String, Vec<f64>>,
    cpu_total: Duration,
}

/// `n` cold `sesh send`s (after one that warms the state).
fn cold_sends(net: &Devnet, state: &Path, key: &Path, to: &str, n: usize) -> Cold {
    let sesh = env!("CARGO_BIN_EXE_sesh");
    let run = || {
        let start = Stopwatch::start();
        let out = Command::new(sesh)
            .env("SESH_TIMINGS", "1")
            .env_remove("SESH_NETWORK")
            .arg("--network")
            .arg(net.network_file())
            .arg("--state-dir")
            .arg(state)
            .args(["send", to, "-m", "bench", "-i"])
            .arg(key)
            .output()
            .expect("sesh send runs");
        let wall = start.elapsed();
        assert!(out.status.success(), "{out:?}");
        (wall, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    run();
    let cpu_before = children_cpu();
    let mut cold = Cold {
        wall: Vec::new(),
        steps: BTreeMap::new(),
        cpu_total: Duration::ZERO,
    };
    for _ in 0..n {
        let (wall, stderr) = run();
        cold.wall.push(ms(wall));
        for (k, v) in parse_timings(&stderr) {
            cold.steps.entry(k).or_default().push(v);
        }
    }
    cold.cpu_total = children_cpu() - cpu_before;
    cold
}

/// The real transport, noting each request that made a TLS handshake: which kind of target
/// it went to (the client sends one request at a time, so the count's change is its own).
#[derive(Clone)]
struct Attributing {
    http: Arc<HttpTransport>,
    noted: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Transport for Attributing {
    async fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<sesh::transport::Reply, sesh::transport::TransportError> {
        let before = self.http.tls_handshakes();
        let reply = self.http.post(target, body, timeout).await;
        if self.http.tls_handshakes() != before {
            let what = match target {
                Target::Seed(_) => "a seed".to_owned(),
                Target::Node { addr, path } => format!(
                    "{path} at {addr} (now {} connections to it)",
                    connections_to(*addr)
                ),
                _ => "another target".to_owned(),
            };
            let outcome = match &reply {
                Ok(r) => format!("HTTP {}", r.status),
                Err(e) => e.to_string(),
            };
            self.noted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(format!("{what}: {outcome}"));
        }
        reply
    }
}

type NetClient = Client<Attributing, SystemClock, OsRng>;

/// How many established TCP connections go from 127.0.0.1 to `to` (Linux, `/proc/net/tcp`):
/// after a new handshake to a guard, two means the old connection is still open (the pool
/// opened a second one), one that the old one was closed.
fn connections_to(to: std::net::SocketAddrV4) -> usize {
    let hex = |a: std::net::SocketAddrV4| {
        format!(
            "{:08X}:{:04X}",
            u32::from_le_bytes(a.ip().octets()),
            a.port()
        )
    };
    let want = hex(to);
    let from = format!("{:08X}:", u32::from_le_bytes([127, 0, 0, 1]));
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1].starts_with(&from) && f[2] == want && f[3] == "01"
        })
        .count()
}

/// One send as `sesh send` makes it: settle the clock, seal, store.
async fn send(c: &mut NetClient, from: &Identity, to: &Identity) {
    let now = c.settled_now_ms().await;
    let data = message::seal(
        from,
        &to.session_id(),
        &Outgoing::new("bench"),
        now,
        &mut OsRng,
    )
    .expect("sealed");
    tokio::time::timeout(
        TIMEOUT,
        c.store(&to.session_id(), &message::to_base64(&data), TTL_MS, now),
    )
    .await
    .expect("a store within the timeout")
    .expect("stored");
}

/// `n` sends from one client after a first: their times (ms) and the handshakes after the
/// first.
async fn repeat_sends(
    net: &Devnet,
    state: &Path,
    from: &Identity,
    to: &Identity,
    n: usize,
) -> (Vec<f64>, u64) {
    let transport = Arc::new(HttpTransport::new().expect("a transport"));
    let attributing = Attributing {
        http: transport.clone(),
        noted: Arc::default(),
    };
    let noted = attributing.noted.clone();
    let mut c =
        Client::open(net.network(), state, attributing, SystemClock, OsRng).expect("a client");
    send(&mut c, from, to).await;
    let first = transport.tls_handshakes();
    noted
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    let guards = |paths: Vec<sesh::onion::path::OnionPath>| -> Vec<String> {
        paths.iter().map(|p| p.guard().ed25519.to_hex()).collect()
    };
    let before = guards(c.paths().await.expect("paths"));
    let mut times = Vec::with_capacity(n);
    let mut last = first;
    for i in 0..n {
        let start = Stopwatch::start();
        send(&mut c, from, to).await;
        times.push(ms(start.elapsed()));
        let now = transport.tls_handshakes();
        if now != last {
            let guards_now = guards(c.paths().await.expect("paths"));
            let on: Vec<String> = noted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .drain(..)
                .collect();
            println!(
                "(send {i}: {} new TLS handshake(s); guards {}; on requests to {})",
                now - last,
                if guards_now == before {
                    "unchanged"
                } else {
                    "changed"
                },
                on.join(", ")
            );
            last = now;
        }
    }
    (times, transport.tls_handshakes() - first)
}

/// `n` direct `store`s of a sealed message to one member of `to`'s swarm, on a kept-alive
/// connection (one store first opens it): their times (ms).
async fn direct_stores(net: &Devnet, from: &Identity, to: &Identity, n: usize) -> Vec<f64> {
    let roster = net.roster();
    let swarm = roster
        .swarm_of(&to.session_id().to_bytes())
        .expect("a swarm");
    let member = roster.members(swarm)[0].clone();
    let target = Target::Node {
        addr: std::net::SocketAddrV4::new(member.ip, member.port),
        path: STORAGE_RPC_PATH,
    };
    let t = HttpTransport::new().expect("a transport");
    let mut times = Vec::with_capacity(n);
    for i in 0..=n {
        let now = SystemClock.now_ms();
        let data = message::seal(
            from,
            &to.session_id(),
            &Outgoing::new("bench"),
            now,
            &mut OsRng,
        )
        .expect("sealed");
        let body = Request::Store(Store {
            pubkey: to.session_id().to_bytes(),
            namespace: Namespace::DEFAULT,
            timestamp: now,
            expiry: now + TTL_MS,
            data,
            sig_timestamp: now,
            auth: None,
        })
        .to_json();
        let start = Stopwatch::start();
        let reply = t.post(&target, body, TIMEOUT).await.expect("an answer");
        let took = start.elapsed();
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        if i > 0 {
            times.push(ms(took));
        }
    }
    times
}

/// `n` parses of a `sesh send` command line with the command's own parser (clap, which
/// builds the whole command tree on each parse, as a fresh process does once): times (ms).
fn argument_parses(network: &Path, key: &Path, to: &str, n: usize) -> Vec<f64> {
    let args = [
        "sesh".into(),
        "--network".into(),
        network.as_os_str().to_owned(),
        "send".into(),
        to.into(),
        "-m".into(),
        "bench".into(),
        "-i".into(),
        key.as_os_str().to_owned(),
    ];
    (0..n)
        .map(|_| {
            let start = Stopwatch::start();
            let parsed = <sesh::cli::Cli as clap::Parser>::try_parse_from(args.clone());
            let took = start.elapsed();
            assert!(parsed.is_ok(), "the command line parses");
            ms(took)
        })
        .collect()
}

fn identity(n: u8) -> Identity {
    Identity::from_seed(Seed::from_legacy(&[n; 16]))
}

fn main() {
    let (n_cold, mut n_repeat) = if quick() { (5, 20) } else { (100, 300) };
    if let Some(n) = std::env::var("SESH_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        n_repeat = n;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let net = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(60),
            Devnet::start(Options {
                dir: dir.path().join("net"),
                nodes: 10,
                swarm_size: 5,
                node_bin: PathBuf::from(env!("CARGO_BIN_EXE_sesh-node")),
                clock_offset_ms: 0,
            }),
        )
        .await
        .expect("the devnet starts within a minute")
        .expect("the devnet starts")
    });
    let (alice_key, _) = support::keygen(dir.path(), "alice");
    let alice = sesh::store::read_identity(&alice_key).expect("alice's identity");
    let bob = identity(2);

    // (c) first, then (b), then (a): the devnet's stores pile up the same way in every run.
    let direct = sorted(rt.block_on(direct_stores(&net, &alice, &bob, n_repeat)));
    // On a single-threaded runtime, as `sesh` runs its commands (on a multi-threaded one,
    // hyper-util's pool sometimes opens a second connection to a guard whose idle one it has
    // not taken back yet: see the report).
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (repeat, new_handshakes) = single.block_on(repeat_sends(
        &net,
        &dir.path().join("lib-state"),
        &alice,
        &bob,
        n_repeat,
    ));
    let repeat = sorted(repeat);
    let cold = cold_sends(
        &net,
        &dir.path().join("cli-state"),
        &alice_key,
        &bob.session_id().to_string(),
        n_cold,
    );

    let parses = sorted(argument_parses(
        &net.network_file(),
        &alice_key,
        &bob.session_id().to_string(),
        n_cold,
    ));

    let wall = sorted(cold.wall.clone());
    let step = |name: &str| sorted(cold.steps.get(name).cloned().unwrap_or_default());
    let total = step("total");
    // Every round trip a send makes: the message's store and its sync copy's (steps named
    // "… (network)"), per send.
    let network_per_send: Vec<f64> = (0..cold.steps["total"].len())
        .map(|i| {
            cold.steps
                .iter()
                .filter(|(k, _)| k.ends_with("(network)"))
                .filter_map(|(_, v)| v.get(i))
                .sum()
        })
        .collect();
    let network = sorted(network_per_send.clone());
    let non_network: Vec<f64> = cold.steps["total"]
        .iter()
        .zip(&network_per_send)
        .map(|(t, n)| t - n)
        .collect();
    let non_network = sorted(non_network);
    let outside: Vec<f64> = cold
        .wall
        .iter()
        .zip(&cold.steps["total"])
        .map(|(w, t)| w - t)
        .collect();
    let outside = sorted(outside);

    println!("### Cold `sesh send` on a 10-node devnet ({n_cold} sends, fresh process each)\n");
    println!("| | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    let row = |name: &str, v: &[f64]| {
        println!(
            "| {name} | {:.2} | {:.2} |",
            quantile(v, 0.5),
            quantile(v, 0.99)
        );
    };
    row("wall, from outside", &wall);
    row("inside `send::run`", &total);
    row(
        "… of which the round trips (the message's store and its sync copy's)",
        &network,
    );
    row("… everything else (not network)", &non_network);
    row(
        "process start, argument parsing, exit (wall − inside)",
        &outside,
    );
    row(
        "… of which argument parsing (clap, timed in-process)",
        &parses,
    );
    println!(
        "\nCPU (user + system) of the {n_cold} processes, from outside (the children's time in \
         /proc/self/stat, counted in 10 ms ticks, so only the mean is meaningful): {:.2} ms per \
         send\n",
        ms(cold.cpu_total) / n_cold as f64
    );
    println!("Non-network steps inside the command (p50 / p99 ms):\n");
    println!("| step | p50 | p99 |");
    println!("|---|---:|---:|");
    for name in [
        "arguments",
        "identity and text",
        "size check",
        "network file",
        "transport",
        "state open",
        "runtime",
        "pool and paths",
        "profile",
        "clock and seal",
        "sync copy seal",
        "output",
        "shutdown",
    ] {
        let v = step(name);
        println!(
            "| {name} | {:.3} | {:.3} |",
            quantile(&v, 0.5),
            quantile(&v, 0.99)
        );
    }

    let (d50, r50, r99) = (
        quantile(&direct, 0.5),
        quantile(&repeat, 0.5),
        quantile(&repeat, 0.99),
    );
    println!("\n### Repeat sends in one process, against one direct store ({n_repeat} each)\n");
    println!("| | p50 ms | p99 ms | new TLS handshakes after the first send |");
    println!("|---|---:|---:|---:|");
    println!(
        "| repeat send through the library (seal, onion store) | {r50:.2} | {r99:.2} | {new_handshakes} |"
    );
    println!(
        "| direct HTTPS `store` to a swarm member (kept-alive) | {d50:.2} | {:.2} | – |",
        quantile(&direct, 0.99)
    );
    println!(
        "\nRatios: repeat-send p50 / direct p50 = **{:.1}×** (target ≤ 25×); \
         repeat-send p99 / direct p50 = **{:.1}×** (target ≤ 80×); non-network p50 of a cold \
         send = **{:.2} ms** (target ≤ 2 ms).",
        r50 / d50,
        r99 / d50,
        quantile(&non_network, 0.5)
    );
    rt.block_on(net.shutdown());
    if std::env::var_os("SESH_BENCH_KEEP").is_some_and(|v| v == "1") {
        println!("\n(devnet and logs kept in {})", dir.keep().display());
    }
}
