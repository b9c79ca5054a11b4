//! Opening and receiving at volume (issue 11, targets 1 and 5): the figures behind
//! `sesh open` and `sesh receive` on every core.
//!
//! 1. `sesh --json open` of 2 000 payloads (fresh processes, standard output to /dev/null),
//!    pinned to one core with `taskset -c 0` and on every core, in turn: the wall time of the
//!    whole process, best of five (target 1: ≥ 1.8× faster on 2 cores than on 1).
//! 2. Receive at volume: a devnet of six `sesh-node`s (release build, swarms of one) on
//!    loopback; N messages sealed to one recipient and stored straight into its swarm through
//!    the library's HTTPS client (from 16 loopback addresses at once, under the node's
//!    per-address rate limit); then
//!    * the fetch: every page through onion requests with the library's `Client`, nothing
//!      decrypted, from a state where the pool and paths are known;
//!    * the decrypt stage: the N payloads opened in-process (base64 decode and
//!      `message::open`), on one thread and on every thread
//!      (`sesh::parallel::ordered_map`), messages/s and per core (target ≥ 4 500/s per core);
//!    * the whole `sesh --json receive` (fresh process, the same warm state, standard output
//!      to a file whose lines are counted): target ≤ 2× (decrypt stage + fetch).
//!
//! Run with `cargo bench --bench receive` (N = 10 000); `SESH_BENCH_N=2000` for a quick run.
//! Prints Markdown tables.

#![expect(clippy::print_stdout, reason = "the benchmark's report")]

#[path = "../tests/integration/support.rs"]
mod support;

use support::{node_bin, sesh_bin};

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand_core::OsRng;
use serde_json::json;
use sesh::client::Client;
use sesh::clock::{Clock as _, Stopwatch, SystemClock};
use sesh::devnet::{Devnet, Options};
use sesh::identity::{Identity, Seed};
use sesh::message::{self, Outgoing};
use sesh::node::peer::Peer;
use sesh::parallel::{self, Event, Workers};
use sesh::rpc::Namespace;
use sesh::transport::http::HttpTransport;

/// How many payloads `sesh open` gets (target 1).
const OPEN_PAYLOADS: usize = 2000;
/// Runs of each whole-process measurement; the best counts.
const RUNS: usize = 5;
/// Loopback addresses the stores come from (each has its own rate-limit bucket).
const STORE_SOURCES: u8 = 16;

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// A timing: wall time, then CPU time (user + system); ordered by wall time.
type Timing = (Duration, Duration);

/// The best (shortest) of `runs` timings of `f`.
fn best(runs: usize, mut f: impl FnMut() -> Timing) -> Timing {
    (0..runs).map(|_| f()).min().unwrap_or_default()
}

/// The best of `runs` timings of `a` and of `b`, taken in turn (so that a burst of load
/// from elsewhere on the machine does not fall on one side only).
fn best_of_pair(
    runs: usize,
    mut a: impl FnMut() -> Timing,
    mut b: impl FnMut() -> Timing,
) -> (Timing, Timing) {
    let (mut best_a, mut best_b) = (
        (Duration::MAX, Duration::ZERO),
        (Duration::MAX, Duration::ZERO),
    );
    for _ in 0..runs {
        best_a = best_a.min(a());
        best_b = best_b.min(b());
    }
    (best_a, best_b)
}

/// CPU time (user + system) of this process, and of its children that have been waited for,
/// from `/proc/self/stat` (in clock ticks of 10 ms).
fn cpu_times() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = |i: usize, j: usize| {
        Duration::from_millis(
            10 * (f.get(i).copied().unwrap_or(0) + f.get(j).copied().unwrap_or(0)),
        )
    };
    // After the command's name: utime and stime are fields 14 and 15, cutime and cstime 16
    // and 17 (proc(5)), here 11, 12, 13 and 14.
    (ticks(11, 12), ticks(13, 14))
}

/// Writes `identity`'s key file at `path`.
fn key_file(path: &Path, identity: &Identity) {
    let text = sesh::identity::keyfile::encode(identity, std::time::UNIX_EPOCH);
    sesh::store::write_secret_file(path, text.as_bytes(), true, false).expect("a key file");
}

/// `n` messages from `from` to `to`, sealed on every core, as base64.
fn seal_many(from: &Identity, to: &Identity, n: usize, t0: u64) -> Vec<String> {
    let to = to.session_id();
    let mut out = Vec::with_capacity(n);
    let r: Result<(), ()> = parallel::ordered_map(
        Workers::available(),
        0..n,
        |i| {
            let text = Outgoing::new(format!("message {i:05}: the quick brown fox"));
            let data = message::seal(from, &to, &text, t0 + i as u64, &mut OsRng).expect("sealed");
            message::to_base64(&data)
        },
        |e| {
            if let Event::Item(b64) = e {
                out.push(b64);
            }
            Ok(())
        },
    );
    r.expect("no error");
    out
}

/// Opens every payload on `workers`; returns the time taken.
fn decrypt(me: &Identity, payloads: &[String], workers: Workers) -> Timing {
    let cpu = cpu_times().0;
    let t = Stopwatch::start();
    let mut opened = 0usize;
    let r: Result<(), ()> = parallel::ordered_map(
        workers,
        payloads.iter(),
        |p| message::open(me, p).is_ok(),
        |e| {
            if let Event::Item(ok) = e {
                assert!(ok, "every payload opens");
                opened += 1;
            }
            Ok(())
        },
    );
    r.expect("no error");
    let took = t.elapsed();
    assert_eq!(opened, payloads.len());
    (took, cpu_times().0.saturating_sub(cpu))
}

/// Runs `sesh` with `args`, standard input from `stdin`, standard output to `stdout`, pinned
/// to `cpus` if given; returns the wall time of the whole process.
fn time_sesh(cpus: Option<&str>, args: &[&str], stdin: Option<&Path>, stdout: &Path) -> Timing {
    let mut cmd = match cpus {
        Some(list) => {
            let mut c = Command::new("taskset");
            c.args(["-c", list]).arg(sesh_bin());
            c
        }
        None => Command::new(sesh_bin()),
    };
    cmd.args(args)
        .env_remove("SESH_IDENTITY")
        .stdout(std::fs::File::create(stdout).expect("an output file"))
        .stderr(Stdio::piped());
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).expect("the input file")),
        None => cmd.stdin(Stdio::null()),
    };
    let cpu = cpu_times().1;
    let t = Stopwatch::start();
    let out = cmd.output().expect("sesh runs");
    let took = t.elapsed();
    let cpu = cpu_times().1.saturating_sub(cpu);
    assert!(
        out.status.success(),
        "sesh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, cpu)
}

fn count_lines(p: &Path) -> usize {
    std::fs::read(p)
        .expect("the output")
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn open_on_one_and_every_core(dir: &Path, key: &Path, payloads: &[String]) {
    let n = payloads.len().min(OPEN_PAYLOADS);
    let input = dir.join("payloads.txt");
    let text: String = payloads[..n].iter().map(|p| format!("{p}\n")).collect();
    std::fs::write(&input, text).expect("the payloads file");
    let key = key.to_str().expect("a UTF-8 path");
    let args = ["--json", "open", "-i", key];
    // Once to a file, to check it prints every message; then to /dev/null.
    let check = dir.join("open.out");
    time_sesh(None, &args, Some(&input), &check);
    assert_eq!(count_lines(&check), n);
    let null = Path::new("/dev/null");
    let (one, all) = best_of_pair(
        RUNS,
        || time_sesh(Some("0"), &args, Some(&input), null),
        || time_sesh(None, &args, Some(&input), null),
    );
    let cores = Workers::available().threads();
    println!("\n### `sesh --json open` of {n} payloads (whole process, best of {RUNS})\n");
    println!("| cores | wall s | payloads/s | CPU s (user + sys) | speed-up over 1 core |");
    println!("|---:|---:|---:|---:|---:|");
    let rate = |t: Duration| n as f64 / t.as_secs_f64();
    println!(
        "| 1 (`taskset -c 0`) | {} | {:.0} | {} | 1.00× |",
        secs(one.0),
        rate(one.0),
        secs(one.1)
    );
    println!(
        "| {cores} (all) | {} | {:.0} | {} | {:.2}× |",
        secs(all.0),
        rate(all.0),
        secs(all.1),
        one.0.as_secs_f64() / all.0.as_secs_f64()
    );
}

/// Stores every payload for `to` straight into its swarm member `node`, from
/// [`STORE_SOURCES`] loopback addresses at once.
async fn store_all(node: &str, to: &str, payloads: &[String], t0: u64) {
    let base = format!("https://{node}");
    let sources = usize::from(STORE_SOURCES);
    let tasks = (0..sources).map(|k| {
        let base = &base;
        async move {
            let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 20 + k as u8));
            let peer = Peer::bound(Duration::from_secs(30), Some(ip)).expect("an HTTPS client");
            for (i, data) in payloads.iter().enumerate().skip(k).step_by(sources) {
                let body = json!({"method": "store", "params": {
                    "pubkey": to, "timestamp": t0 + i as u64, "ttl": 3_600_000,
                    "data": data}})
                .to_string();
                loop {
                    let (status, answer) = peer
                        .post(base, "/storage_rpc/v1", body.clone().into())
                        .await
                        .expect("the node answers");
                    match status {
                        200 => break,
                        429 => tokio::time::sleep(Duration::from_millis(50)).await,
                        s => panic!("store: {s} {}", String::from_utf8_lossy(&answer)),
                    }
                }
            }
        }
    });
    futures_util::future::join_all(tasks).await;
}

type NetClient = Client<HttpTransport, SystemClock, OsRng>;

fn client(net: &Devnet, base: &Path) -> NetClient {
    let network = net.network();
    let dir = base.join(&network.name);
    Client::open(
        network,
        &dir,
        HttpTransport::new().expect("a transport"),
        SystemClock,
        OsRng,
    )
    .expect("a client")
}

/// Every page for `me`, as `receive` asks for them (a cursor per member); returns how many
/// messages came.
async fn fetch_all(c: &mut NetClient, me: &Identity) -> usize {
    let mut cursors = HashMap::new();
    let mut total = 0;
    loop {
        let got = c
            .retrieve_by_node(me, Namespace::DEFAULT, &cursors)
            .await
            .expect("a retrieve");
        total += got.messages.len();
        if let Some(last) = got.last_node_hash {
            cursors.insert(got.node, last);
        }
        if !got.more {
            return total;
        }
    }
}

/// A copy of the (flat) state directories under `from`.
fn copy_state(from: &Path, to: &Path) {
    for net in std::fs::read_dir(from).expect("the warm state") {
        let net = net.expect("an entry").path();
        let dest = to.join(net.file_name().expect("a name"));
        std::fs::create_dir_all(&dest).expect("a state directory");
        for f in std::fs::read_dir(&net).expect("a state directory") {
            let f = f.expect("an entry").path();
            if f.is_file() {
                std::fs::copy(&f, dest.join(f.file_name().expect("a name"))).expect("copied");
            }
        }
    }
}

fn main() {
    let n: usize = std::env::var("SESH_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let alice = Identity::from_seed(Seed::from_legacy(&[1; 16]));
    let bob = Identity::from_seed(Seed::from_legacy(&[2; 16]));
    let bob_key = d.join("bob.key");
    key_file(&bob_key, &bob);
    let cores = Workers::available().threads();
    println!(
        "## Opening and receiving (sesh {}, {cores} cores available, N = {n})",
        env!("CARGO_PKG_VERSION")
    );

    let t0 = SystemClock.now_ms();
    let t = Stopwatch::start();
    let payloads = seal_many(&alice, &bob, n, t0);
    let sealed_in = t.elapsed();

    open_on_one_and_every_core(d, &bob_key, &payloads);

    // The decrypt stage, in-process.
    let (one, all) = best_of_pair(
        3,
        || decrypt(&bob, &payloads, Workers::new(1)),
        || decrypt(&bob, &payloads, Workers::available()),
    );
    let rate = |t: Duration| n as f64 / t.as_secs_f64();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let net = rt.block_on(async {
        let opts = Options {
            dir: d.join("net"),
            nodes: 6,
            swarm_size: 1,
            node_bin: node_bin().to_owned(),
            clock_offset_ms: 0,
        };
        tokio::time::timeout(Duration::from_secs(60), Devnet::start(opts))
            .await
            .expect("the devnet starts within a minute")
            .expect("the devnet starts")
    });
    let bob_sid = bob.session_id();
    let member = {
        let r = net.roster();
        let id = r.swarm_of(&bob_sid.to_bytes()).expect("a swarm");
        r.members(id)[0].to_string()
    };
    let t = Stopwatch::start();
    rt.block_on(store_all(&member, &bob_sid.to_string(), &payloads, t0));
    let stored_in = t.elapsed();

    // A warm state: pool, swarm and paths known, nothing delivered.
    let warm = d.join("warm");
    {
        let mut c = client(&net, &warm);
        let _ = rt.block_on(c.retrieve(&bob, Namespace::DEFAULT, None));
    }
    let mut run = 0;
    let mut fresh_state = || {
        run += 1;
        let s = d.join(format!("state-{run}"));
        copy_state(&warm, &s);
        s
    };
    let fetch = best(3, || {
        let mut c = client(&net, &fresh_state());
        let cpu = cpu_times().0;
        let t = Stopwatch::start();
        let got = rt.block_on(fetch_all(&mut c, &bob));
        let took = t.elapsed();
        assert_eq!(got, n, "every stored message is fetched");
        (took, cpu_times().0.saturating_sub(cpu))
    });
    let network = net.network_file();
    let network = network.to_str().expect("a UTF-8 path");
    let key = bob_key.to_str().expect("a UTF-8 path");
    let out = d.join("receive.out");
    let command = best(3, || {
        let state = fresh_state();
        let state = state.to_str().expect("a UTF-8 path");
        let args = [
            "--network",
            network,
            "--state-dir",
            state,
            "--json",
            "receive",
            "-i",
            key,
        ];
        let took = time_sesh(None, &args, None, &out);
        assert_eq!(count_lines(&out), n, "every message is printed once");
        took
    });

    println!(
        "\n### Receive at volume: {n} messages (sealed in {} s, stored in {} s)\n",
        secs(sealed_in),
        secs(stored_in)
    );
    println!("| stage | wall s | messages/s | per core | CPU s (user + sys) |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| decrypt, 1 thread | {} | {:.0} | {:.0} | {} |",
        secs(one.0),
        rate(one.0),
        rate(one.0),
        secs(one.1)
    );
    println!(
        "| decrypt, {cores} threads | {} | {:.0} | {:.0} ({:.2}× 1 thread) | {} |",
        secs(all.0),
        rate(all.0),
        rate(all.0) / cores as f64,
        one.0.as_secs_f64() / all.0.as_secs_f64(),
        secs(all.1)
    );
    println!(
        "| fetch (library, every page, warm state; CPU of this process) | {} | {:.0} | | {} |",
        secs(fetch.0),
        rate(fetch.0),
        secs(fetch.1)
    );
    println!(
        "| whole `sesh --json receive` (fresh process, warm state) | {} | {:.0} | | {} |",
        secs(command.0),
        rate(command.0),
        secs(command.1)
    );
    println!(
        "\nWhole command / (decrypt on {cores} threads + fetch) = {:.2} (target ≤ 2)",
        command.0.as_secs_f64() / (all.0 + fetch.0).as_secs_f64()
    );
    rt.block_on(net.shutdown());
}
