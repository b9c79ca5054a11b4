//! Floods against a real `sesh-node` (issue 10): the figures behind tests/integration/flood.rs.
//!
//! Each part starts its own one-node devnet (a storage node and a seed, release build) on
//! loopback; the flooder connects from 127.0.0.1, the well-behaved client from 127.0.0.2:
//!
//! 1. rate-limit floods of `info` (storage RPC), of real onion requests, and of storage RPCs
//!    claiming to be a swarm member's forwarded copy with a forged signature, 16 requests at
//!    once for a few seconds: answers per second by status, and the latency of the other
//!    address (asking 100 times a second, under its own limit) during the flood against a
//!    quiet baseline;
//! 2. 2 000 idle TLS connections from one address: how many the node keeps, and the other
//!    address's latency while they are held;
//! 3. 10 MiB JSON bodies to every route, one at a time and eight at once: the node's peak
//!    resident set over its size before (`VmHWM`, reset through `/proc/<pid>/clear_refs`);
//! 4. a retrieve over a mailbox of 100 000 messages (100 bytes each): one page, every page,
//!    and eight first pages at once from one address, their time and peak memory.
//!
//! Run with `cargo bench --bench flood`; it prints Markdown tables. The figures are in
//! BENCHMARKS.md ("Floods").

#![expect(clippy::print_stdout, reason = "the benchmark's report")]

#[path = "../tests/integration/support.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use sesh::clock::{Clock as _, Stopwatch, SystemClock};
use sesh::identity::{Identity, Seed};
use sesh::node::peer::Peer;
use sesh::rpc::{Namespace, auth};

use support::{
    BYSTANDER, FLOODER, FloodCounts, IdleFlood, Target, big_bodies, flat_array, flood, node_bin,
    one_node_devnet, onion_frame_around, onion_to, peak_rss_kib, prefill_mailbox, proc_status_kib,
    raise_fd_limit, reset_peak_rss,
};

const INFO: &str = r#"{"method":"info","params":{}}"#;
const STORAGE_RPC: &str = "/storage_rpc/v1";
const ONION: &str = "/onion_req/v2";
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long each flood lasts.
const FLOOD_FOR: Duration = Duration::from_secs(5);

fn client(from: std::net::IpAddr) -> Peer {
    Peer::bound(TIMEOUT, Some(from)).expect("an HTTPS client")
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// The p50, p99 and max of `samples` (sorted here), in ms.
fn spread(samples: &mut [Duration]) -> String {
    if samples.is_empty() {
        return "–".into();
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "{} / {} / {}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(samples[samples.len() - 1])
    )
}

/// One request of the well-behaved client: whether it got what it asked for.
type Ask<'a> = Box<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = bool> + 'a>> + 'a>;

/// How often the well-behaved client asks: 100 times a second, a third of its rate limit.
const PACE: Duration = Duration::from_millis(10);

/// Times `ask` `n` times, one every [`PACE`].
async fn quiet(ask: &Ask<'_>, n: usize) -> (Vec<Duration>, usize) {
    let (mut times, mut bad) = (Vec::with_capacity(n), 0);
    let mut pace = tokio::time::interval(PACE);
    for _ in 0..n {
        pace.tick().await;
        let t = Stopwatch::start();
        if !ask().await {
            bad += 1;
        }
        times.push(t.elapsed());
    }
    (times, bad)
}

async fn rate_floods() {
    println!(
        "\n### Rate-limit floods ({} s, 16 requests at once from 127.0.0.1)\n",
        FLOOD_FOR.as_secs()
    );
    println!(
        "| flood | answers/s | 200/s | 429/s | other/s | no answer | 127.0.0.2 quiet p50 / p99 / max ms | 127.0.0.2 during flood p50 / p99 / max ms | its failures |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|---|---:|");
    for kind in [
        "storage RPC info",
        "onion request (info)",
        "forged forwarded copy",
    ] {
        let (net, _dir) = one_node_devnet(node_bin()).await;
        let node = net.roster().pool().nodes()[0].clone();
        let base = format!("https://{node}");
        let info = json!({"method": "info", "params": {}});
        let me = node.ed25519.to_hex();
        let forged = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
        let forwarded = [
            ("X-Sesh-Forwarded-By", me.as_str()),
            ("X-Sesh-Forward-Signature", forged.as_str()),
        ];
        let (path, headers, bodies): (&str, &[(&str, &str)], Vec<Bytes>) = match kind {
            "storage RPC info" => (STORAGE_RPC, &[], vec![Bytes::from(INFO)]),
            "onion request (info)" => (
                ONION,
                &[],
                (0..64).map(|_| onion_to(&node, &info).0.into()).collect(),
            ),
            _ => (STORAGE_RPC, &forwarded, vec![Bytes::from(INFO)]),
        };
        let bystander = client(BYSTANDER);
        let ask: Ask<'_> = if path == ONION {
            Box::new(|| {
                Box::pin(async {
                    let (body, pending) = onion_to(&node, &info);
                    match bystander.post(&base, ONION, body.into()).await {
                        Ok((200, reply)) => pending.open(&reply).is_ok_and(|r| r.status == 200),
                        _ => false,
                    }
                })
            })
        } else {
            Box::new(|| {
                Box::pin(async {
                    matches!(
                        bystander.post(&base, STORAGE_RPC, Bytes::from(INFO)).await,
                        Ok((200, _))
                    )
                })
            })
        };
        let (mut before, _) = quiet(&ask, 200).await;

        let flooder = client(FLOODER);
        let counts = FloodCounts::default();
        let done = AtomicBool::new(false);
        let clock = Stopwatch::start();
        let keep_going = |_| clock.elapsed() < FLOOD_FOR;
        let target = Target {
            peer: &flooder,
            base: &base,
            path,
            headers,
            bodies: &bodies,
        };
        let flooding = async {
            flood(&target, 16, &keep_going, &counts).await;
            done.store(true, Ordering::Relaxed);
        };
        let asking = async {
            let (mut times, mut bad) = (Vec::new(), 0);
            // Once the flood has started and until it ends.
            while counts.total() < 16 && !done.load(Ordering::Relaxed) {
                tokio::task::yield_now().await;
            }
            let mut pace = tokio::time::interval(PACE);
            while !done.load(Ordering::Relaxed) {
                pace.tick().await;
                let t = Stopwatch::start();
                if !ask().await {
                    bad += 1;
                }
                times.push(t.elapsed());
            }
            (times, bad)
        };
        let ((), (mut during, bad)) = tokio::join!(flooding, asking);
        let secs = clock.elapsed().as_secs_f64();
        let per_s = |n: u64| format!("{:.0}", n as f64 / secs);
        println!(
            "| {kind} | {} | {} | {} | {} | {} | {} | {} | {bad} of {} |",
            per_s(counts.total()),
            per_s(counts.ok.load(Ordering::Relaxed)),
            per_s(counts.limited.load(Ordering::Relaxed)),
            per_s(counts.other.load(Ordering::Relaxed)),
            counts.failed.load(Ordering::Relaxed),
            spread(&mut before),
            spread(&mut during),
            during.len(),
        );
        net.shutdown().await;
    }
}

async fn idle_connections() {
    const IDLE: usize = 2_000;
    raise_fd_limit(IDLE as u64 + 1_024);
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let base = format!("https://{}", net.nodes()[0].addr);
    let bystander = client(BYSTANDER);
    let ask: Ask<'_> = Box::new(|| {
        Box::pin(async {
            matches!(
                bystander.post(&base, STORAGE_RPC, Bytes::from(INFO)).await,
                Ok((200, _))
            )
        })
    });
    let (mut before, _) = quiet(&ask, 200).await;
    let t = Stopwatch::start();
    let idle = IdleFlood::open(net.nodes()[0].addr, FLOODER, IDLE, Duration::from_secs(3)).await;
    let opened = t.elapsed();
    // A fresh client: its own new connection has to get in.
    let bystander = client(BYSTANDER);
    let ask: Ask<'_> = Box::new(|| {
        Box::pin(async {
            matches!(
                bystander.post(&base, STORAGE_RPC, Bytes::from(INFO)).await,
                Ok((200, _))
            )
        })
    });
    let (mut during, bad) = quiet(&ask, 200).await;
    println!("\n### {IDLE} idle TLS connections from 127.0.0.1\n");
    println!(
        "| kept by the node | refused | still queued | time to open all | 127.0.0.2 quiet p50 / p99 / max ms | 127.0.0.2 while held p50 / p99 / max ms | its failures |"
    );
    println!("|---:|---:|---:|---:|---|---|---:|");
    println!(
        "| {} | {} | {} | {} ms | {} | {} | {bad} of 200 |",
        idle.established,
        idle.refused,
        idle.pending,
        opened.as_millis(),
        spread(&mut before),
        spread(&mut during),
    );
    drop(idle);
    net.shutdown().await;
}

async fn big_bodies_memory() {
    const BODY: usize = sesh::node::MAX_REQUEST_BODY_SIZE;
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let node = net.nodes()[0].addr.to_string();
    let seed = net.seed().addr.to_string();
    let node_pid = net.nodes()[0].pid().expect("the node runs");
    let seed_pid = net.seed().pid().expect("the seed runs");
    let flooder = client(FLOODER);
    for (base, path, body) in [
        (&node, STORAGE_RPC, INFO),
        (
            &seed,
            "/json_rpc",
            r#"{"method":"get_n_service_nodes","params":{}}"#,
        ),
    ] {
        let _ = flooder.post(base, path, Bytes::from(body)).await;
    }
    let rss = |pid| proc_status_kib(pid, "VmRSS").expect("the node runs");
    println!(
        "\n### 10 MiB JSON bodies, one at a time (node RSS before: {:.1} MiB, seed {:.1} MiB)\n",
        rss(node_pid) as f64 / 1024.0,
        rss(seed_pid) as f64 / 1024.0
    );
    println!("| to | route | body | answer | time ms | peak over RSS before, MiB |");
    println!("|---|---|---|---:|---:|---:|");
    let mut resets = true;
    for case in big_bodies(BODY) {
        let (host, pid, who) = if case.to_seed {
            (&seed, seed_pid, "seed")
        } else {
            (&node, node_pid, "node")
        };
        resets &= reset_peak_rss(pid);
        let before = rss(pid);
        let base = format!("{}://{host}", case.scheme);
        let t = Stopwatch::start();
        let status = flooder
            .request(case.method, &base, case.path, &[], case.body)
            .await
            .map_or("no answer".to_owned(), |r| r.status.to_string());
        let took = t.elapsed();
        let growth = peak_rss_kib(pid).saturating_sub(before);
        println!(
            "| {who} | {} {}{} | {} | {status} | {} | {:.1} |",
            case.method,
            if case.scheme == "http" { "http " } else { "" },
            case.path,
            case.label,
            ms(took),
            growth as f64 / 1024.0
        );
    }
    for n in [3, 8] {
        resets &= reset_peak_rss(node_pid);
        let before = rss(node_pid);
        let flat = Bytes::from(flat_array(BODY));
        let framed = Bytes::from(onion_frame_around(&flat_array(
            BODY - onion_frame_around(&[]).len(),
        )));
        let t = Stopwatch::start();
        let statuses = futures_util::future::join_all((0..n).map(|i| {
            let (path, body) = if i % 2 == 0 {
                (STORAGE_RPC, flat.clone())
            } else {
                (ONION, framed.clone())
            };
            let (flooder, node) = (&flooder, &node);
            async move {
                flooder
                    .post(node, path, body)
                    .await
                    .map_or("no answer".to_owned(), |(s, _)| s.to_string())
            }
        }))
        .await;
        let took = t.elapsed();
        let growth = peak_rss_kib(node_pid).saturating_sub(before);
        println!(
            "| node | {n} at once, storage RPC and onion in turn | [0,0,…] | {} | {} | {:.1} |",
            statuses.join(" "),
            ms(took),
            growth as f64 / 1024.0
        );
    }
    if !resets {
        println!("\n(The peak could not be reset: each figure is the peak so far.)");
    }
    net.shutdown().await;
}

async fn big_retrieve() {
    const MESSAGES: usize = 100_000;
    const DATA_LEN: usize = 100;
    let (mut net, _dir) = one_node_devnet(node_bin()).await;
    let who = Identity::from_seed(Seed::from_legacy(&[42; 16]));
    let owner = who.session_id().to_bytes();
    net.kill(0).await;
    let t = Stopwatch::start();
    prefill_mailbox(
        &net.nodes()[0].dir.join("messages.sqlite3"),
        &owner,
        MESSAGES,
        DATA_LEN,
        SystemClock.now_ms(),
    );
    let filled = t.elapsed();
    net.restart(0).await.expect("the node starts again");
    let node = net.nodes()[0].addr.to_string();
    let pid = net.nodes()[0].pid().expect("the node runs");
    let bystander = client(BYSTANDER);
    let _ = bystander.post(&node, STORAGE_RPC, Bytes::from(INFO)).await;
    let retrieve = |last_hash: &str| {
        let ts = SystemClock.now_ms();
        let mut p = Value::Object(auth::signed_fields(
            &who,
            &auth::retrieve(Namespace::DEFAULT, ts),
            ts,
        ));
        p["last_hash"] = json!(last_hash);
        p["max_count"] = json!(10 * MESSAGES);
        p["max_size"] = json!(1_000_000_000_u64);
        Bytes::from(json!({"method": "retrieve", "params": p}).to_string())
    };
    let before = proc_status_kib(pid, "VmRSS").expect("the node runs");
    let reset = reset_peak_rss(pid);
    let (mut last, mut pages, mut total, mut first) = (String::new(), 0, 0, None);
    let t = Stopwatch::start();
    loop {
        let page = Stopwatch::start();
        let (status, body) = bystander
            .post(&node, STORAGE_RPC, retrieve(&last))
            .await
            .expect("the node answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).expect("JSON");
        let msgs = v["messages"].as_array().expect("messages");
        pages += 1;
        total += msgs.len();
        if first.is_none() {
            let growth = peak_rss_kib(pid).saturating_sub(before);
            first = Some((msgs.len(), body.len(), page.elapsed(), growth));
        }
        match msgs.last().and_then(|m| m["hash"].as_str()) {
            Some(h) if v["more"] == true => last = h.to_owned(),
            _ => break,
        }
    }
    let all = t.elapsed();
    let growth_all = peak_rss_kib(pid).saturating_sub(before);
    // Eight first pages at once, from one address.
    reset_peak_rss(pid);
    let before8 = proc_status_kib(pid, "VmRSS").expect("the node runs");
    let t = Stopwatch::start();
    let eight = futures_util::future::join_all((0..8).map(|_| {
        let (bystander, node, body) = (&bystander, &node, retrieve(""));
        async move {
            bystander
                .post(node, STORAGE_RPC, body)
                .await
                .map(|(s, b)| (s, b.len()))
        }
    }))
    .await;
    let took8 = t.elapsed();
    let growth8 = peak_rss_kib(pid).saturating_sub(before8);
    let ok8 = eight.iter().filter(|r| matches!(r, Ok((200, _)))).count();
    let (n, bytes, took, growth) = first.expect("one page");
    println!(
        "\n### Retrieve over {MESSAGES} messages of {DATA_LEN} bytes (prefilled in {} ms; node RSS before: {:.1} MiB)\n",
        filled.as_millis(),
        before as f64 / 1024.0
    );
    println!("| asked | pages | messages | answer bytes | time ms | peak over RSS before, MiB |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| everything, once | 1 | {n} (more: true) | {bytes} | {} | {:.1} |",
        ms(took),
        growth as f64 / 1024.0
    );
    println!(
        "| everything, page after page | {pages} | {total} | – | {} | {:.1} |",
        ms(all),
        growth_all as f64 / 1024.0
    );
    println!(
        "| everything, eight at once from one address | 8 | {ok8} answered 200 | – | {} | {:.1} |",
        ms(took8),
        growth8 as f64 / 1024.0
    );
    if !reset {
        println!("\n(The peak could not be reset: the figures are the peak since start.)");
    }
    net.shutdown().await;
}

fn main() {
    // `cargo bench` passes `--bench`; a filter picks parts by name.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        println!(
            "## Floods (sesh-node {}, {})",
            env!("CARGO_PKG_VERSION"),
            node_bin().display()
        );
        if wanted("rate") {
            rate_floods().await;
        }
        if wanted("idle") {
            idle_connections().await;
        }
        if wanted("bodies") {
            big_bodies_memory().await;
        }
        if wanted("retrieve") {
            big_retrieve().await;
        }
    });
}
