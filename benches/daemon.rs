//! Sends through `sesh daemon` against one-shot `sesh send` (issue 14, "done when"), on a
//! 10-node devnet (swarms of 5, release `sesh-node`) on loopback, in the same run:
//!
//! 1. **one-shot `sesh send`**: a fresh process per message, no daemon (the state warmed by
//!    one send first, so that the pool and paths are cached, as on any send but the first);
//! 2. **`sesh send` through the daemon**: the same command, a fresh process per message,
//!    while `sesh daemon` runs for the identity (the command finds it on its default socket
//!    and hands it the message);
//! 3. **a bot's `send`**: JSON-RPC `send` requests on one connection to the daemon's socket,
//!    one after another, as a bot makes them.
//!
//! Each a wall time per message, from outside, p50 and p99, and the ratios to 1. Run with
//! `cargo bench --bench daemon` (about a minute); `SESH_BENCH_QUICK=1` for a smoke run. It
//! prints a Markdown table.

#![expect(clippy::print_stdout, reason = "the benchmark's report")]

#[path = "../tests/integration/support.rs"]
mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sesh::clock::Stopwatch;
use sesh::devnet::{Devnet, Options};

fn quick() -> bool {
    std::env::var_os("SESH_BENCH_QUICK").is_some_and(|v| v == "1")
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How `sesh` is run: the network, a state directory, a runtime directory (where the daemon's
/// default socket goes), the identity.
struct Env<'a> {
    net: &'a Devnet,
    state: PathBuf,
    runtime: PathBuf,
    key: &'a Path,
}

impl Env<'_> {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sesh"));
        c.env_remove("SESH_NETWORK")
            .env_remove("SESH_IDENTITY")
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .arg("--network")
            .arg(self.net.network_file())
            .arg("--state-dir")
            .arg(&self.state)
            .args(args)
            .arg("-i")
            .arg(self.key);
        c
    }
}

/// `n` `sesh send`s, each a fresh process (after one that warms the state): sorted wall
/// times, ms.
fn sends(env: &Env<'_>, to: &str, n: usize) -> Vec<f64> {
    let run = || {
        let start = Stopwatch::start();
        let out = env
            .cmd(&["send", to, "-m", "bench"])
            .output()
            .expect("sesh send runs");
        assert!(out.status.success(), "{out:?}");
        ms(start.elapsed())
    };
    run();
    let mut v: Vec<f64> = (0..n).map(|_| run()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// `n` JSON-RPC `send`s on one connection (after one): sorted wall times, ms.
fn rpc_sends(socket: &Path, to: &str, n: usize) -> Vec<f64> {
    let stream = UnixStream::connect(socket).expect("connects to the daemon");
    let mut w = stream.try_clone().expect("clones");
    let mut r = BufReader::new(stream);
    let mut send = |i: usize| {
        let start = Stopwatch::start();
        let req = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"send\",\"params\":{{\"recipients\":\
             [\"{to}\"],\"message\":\"bench\"}}}}\n"
        );
        w.write_all(req.as_bytes()).expect("writes");
        let mut line = String::new();
        r.read_line(&mut line).expect("an answer");
        assert!(line.contains("\"sent\":[{"), "{line}");
        ms(start.elapsed())
    };
    send(0);
    let mut v: Vec<f64> = (1..=n).map(&mut send).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    let (n_cli, n_rpc) = if quick() { (5, 20) } else { (100, 300) };
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
    let (key, _) = support::keygen(dir.path(), "alice");
    let (_, bob) = support::keygen(dir.path(), "bob");
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).expect("a runtime directory");
    let env = Env {
        net: &net,
        state: dir.path().join("state"),
        runtime,
        key: &key,
    };

    let alone = sends(&env, &bob, n_cli);

    let mut daemon = env
        .cmd(&["daemon"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sesh daemon starts");
    let mut line = String::new();
    BufReader::new(daemon.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the socket's path");
    let socket = PathBuf::from(line.trim_end());
    let through = sends(&env, &bob, n_cli);
    let rpc = rpc_sends(&socket, &bob, n_rpc);
    let _ = daemon.kill();
    let _ = daemon.wait();
    rt.block_on(net.shutdown());

    let base = quantile(&alone, 0.5);
    println!("| per message (10-node devnet, loopback) | n | p50 | p99 | p50 against one-shot |");
    println!("|---|---|---|---|---|");
    for (what, v) in [
        ("one-shot `sesh send` (no daemon)", &alone),
        ("`sesh send` through `sesh daemon`", &through),
        ("JSON-RPC `send` on the daemon's socket", &rpc),
    ] {
        let p50 = quantile(v, 0.5);
        println!(
            "| {what} | {} | {p50:.2} ms | {:.2} ms | {:.2}× |",
            v.len(),
            quantile(v, 0.99),
            p50 / base
        );
    }
}
