//! Floods against real `sesh-node` processes (issue 10, item 2): a client over the rate limit
//! is refused while another address is served; idle connections from one address do not lock
//! out another; 10 MiB JSON bodies on every route keep the node's peak memory bounded; a
//! retrieve over a mailbox of 100 000 messages is clamped and bounded.
//!
//! Each test starts its own one-node devnet (a storage node and a seed) on loopback; the
//! flooder connects from 127.0.0.1 and the well-behaved client from 127.0.0.2. Dropping the
//! devnet kills its processes and dropping its directory removes it, so a failing test leaves
//! nothing behind. Every wait is bounded by a timeout that only turns a hang into a failure;
//! memory is read from `/proc/<pid>/status` (`VmHWM`, the peak resident set).
//!
//! The figures (requests per second, latencies, peaks) come from `cargo bench --bench flood`
//! (benches/flood.rs, BENCHMARKS.md), which runs the same floods longer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use sesh::clock::{Clock as _, SystemClock};
use sesh::identity::{Identity, Seed};
use sesh::node::peer::Peer;
use sesh::rpc::{Namespace, auth};

use super::support::{
    BYSTANDER, FLOODER, FloodCounts, IdleFlood, Target, big_bodies, flat_array, flood, is_alive,
    node_bin, one_node_devnet, onion_frame_around, onion_to, peak_rss_kib, prefill_mailbox,
    raise_fd_limit,
};

/// A bound on every wait: long enough for a loaded machine, short enough to fail a hang.
const BOUND: Duration = Duration::from_secs(30);
const INFO: &str = r#"{"method":"info","params":{}}"#;
const STORAGE_RPC: &str = "/storage_rpc/v1";
const ONION: &str = "/onion_req/v2";

/// The storage server's client rate limit (`sesh::node::Rate::STORAGE_SERVER`): the burst a
/// fresh client gets.
const BURST: u64 = sesh::node::Rate::STORAGE_SERVER.bucket_size as u64;

/// The largest body a node reads: 10 MiB.
const BODY: usize = sesh::node::MAX_REQUEST_BODY_SIZE;

/// How much a node's peak resident set may grow over its baseline while it is sent 10 MiB
/// bodies, alone and eight at once from one address, or answers a retrieve over 100 000
/// messages. Measured in debug builds (BENCHMARKS.md, "Floods", has the release figures): over
/// a baseline taken after one whitespace-padded 10 MiB request, one body at a time peaked at
/// +16–21 MiB and eight at once at +23–44 MiB (the per-address budget lets three in); the
/// retrieve's first page (7 MB of JSON) at about +43 MiB. Parsing one 10 MiB array into
/// `serde_json::Value`, as the node did before issue 10, took 2.6 GiB.
const HEADROOM_KIB: u64 = 64 * 1024;

fn client(from: std::net::IpAddr) -> Peer {
    Peer::bound(BOUND, Some(from)).expect("an HTTPS client")
}

/// How many requests a flood sends at least: ten times the burst, so ten times what the limit
/// lets through in the first second or so.
const FLOOD: u64 = 10 * BURST;

/// Floods `path` on `base` from [`FLOODER`] with `bodies` and `headers`, at least [`FLOOD`]
/// requests; once the node refuses the flood with 429, `bystander` (a client on [`BYSTANDER`])
/// asks three times while the flood goes on. Returns the flood's counts and the whole seconds
/// it lasted (rounded up, plus one). Fails if the flood was never refused.
async fn flood_and_ask<F, Fut>(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    bodies: &[Bytes],
    bystander: F,
) -> (FloodCounts, u64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let flooder = client(FLOODER);
    let counts = FloodCounts::default();
    let (asked, abort) = (AtomicU64::new(0), AtomicBool::new(false));
    let keep_going = |sent: u64| {
        !abort.load(Ordering::Relaxed) && (sent < FLOOD || asked.load(Ordering::Relaxed) < 3)
    };
    let target = Target {
        peer: &flooder,
        base,
        path,
        headers,
        bodies,
    };
    let started = sesh::clock::Stopwatch::start();
    let flooding = flood(&target, 16, &keep_going, &counts);
    let watching = async {
        let deadline = tokio::time::Instant::now() + BOUND;
        let mut ticks = tokio::time::interval(Duration::from_millis(5));
        while counts.limited.load(Ordering::Relaxed) == 0 {
            let sent = counts.total();
            if sent >= FLOOD || tokio::time::Instant::now() >= deadline {
                abort.store(true, Ordering::Relaxed);
                panic!("{path}: {sent} requests from one address and none refused: {counts:?}");
            }
            ticks.tick().await;
        }
        for _ in 0..3 {
            bystander().await;
            asked.fetch_add(1, Ordering::Relaxed);
        }
    };
    tokio::join!(flooding, watching);
    // The limit let through no more than its burst and its refill over the flood (whole
    // seconds, and one more for the clocks' edges): an upper bound whatever the machine's speed.
    let rate = sesh::node::Rate::STORAGE_SERVER;
    let secs = started.elapsed().as_secs() + 2;
    let most = BURST + u64::from(rate.per_second) * secs;
    assert!(
        counts.ok.load(Ordering::Relaxed) + counts.other.load(Ordering::Relaxed) <= most,
        "{path}: more answered than the limit allows in {secs} s ({most}): {counts:?}"
    );
    assert!(counts.total() >= FLOOD, "{counts:?}");
    (counts, secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_rpc_flood_is_refused_while_another_address_is_served() {
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let base = format!("https://{}", net.nodes()[0].addr);
    let bystander = client(BYSTANDER);
    let log = net.nodes()[0].log_file();
    let (counts, secs) = flood_and_ask(&base, STORAGE_RPC, &[], &[Bytes::from(INFO)], || async {
        let (status, body) = bystander
            .post(&base, STORAGE_RPC, Bytes::from(INFO))
            .await
            .expect("the node answers the other address");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    })
    .await;
    // The flooder had its burst, then 429s; nothing else.
    assert!(counts.ok.load(Ordering::Relaxed) >= 1, "{counts:?}");
    assert!(counts.limited.load(Ordering::Relaxed) >= 1, "{counts:?}");
    assert_eq!(counts.other.load(Ordering::Relaxed), 0, "{counts:?}");
    net.shutdown().await;
    // Thousands of refusals, but the log took at most 20 lines a second of them: a flood does
    // not fill the node's disk.
    let log = std::fs::read_to_string(&log).expect("the node's log");
    let refusals = log.lines().filter(|l| l.contains(" 429 ")).count();
    let limited = counts.limited.load(Ordering::Relaxed);
    assert!(
        refusals as u64 <= 20 * secs,
        "{refusals} lines logged for {limited} refusals in {secs} s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_claiming_to_be_a_forwarded_copy_is_still_limited() {
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let node = &net.nodes()[0];
    let base = format!("https://{}", node.addr);
    // The node's own key as the forwarder (a member of its swarm, so the signature is really
    // checked), and a signature that does not verify.
    let me = node.ed25519.to_hex();
    let forged = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
    let headers = [
        ("X-Sesh-Forwarded-By", me.as_str()),
        ("X-Sesh-Forward-Signature", forged.as_str()),
    ];
    let bystander = client(BYSTANDER);
    let (counts, _) = flood_and_ask(
        &base,
        STORAGE_RPC,
        &headers,
        &[Bytes::from(INFO)],
        || async {
            let (status, body) = bystander
                .post(&base, STORAGE_RPC, Bytes::from(INFO))
                .await
                .expect("the node answers the other address");
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        },
    )
    .await;
    // Refused as forged (401) while its bucket lasted, then limited like any client.
    assert_eq!(counts.ok.load(Ordering::Relaxed), 0, "{counts:?}");
    assert!(counts.other.load(Ordering::Relaxed) >= 1, "{counts:?}");
    assert!(counts.limited.load(Ordering::Relaxed) >= 1, "{counts:?}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_onion_flood_is_refused_while_another_address_is_served() {
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let node = net.roster().pool().nodes()[0].clone();
    let base = format!("https://{node}");
    let info = json!({"method": "info", "params": {}});
    // Real onion requests: every one the node does not refuse costs it an agreement and an
    // AEAD open.
    let onions: Vec<Bytes> = (0..16).map(|_| onion_to(&node, &info).0.into()).collect();
    let bystander = client(BYSTANDER);
    let (counts, _) = flood_and_ask(&base, ONION, &[], &onions, || async {
        let (body, pending) = onion_to(&node, &info);
        let (status, reply) = bystander
            .post(&base, ONION, body.into())
            .await
            .expect("the node answers the other address");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
        let inner = pending.open(&reply).expect("the onion reply opens");
        assert_eq!(inner.status, 200, "{}", inner.body);
    })
    .await;
    assert!(counts.ok.load(Ordering::Relaxed) >= 1, "{counts:?}");
    assert!(counts.limited.load(Ordering::Relaxed) >= 1, "{counts:?}");
    assert_eq!(counts.other.load(Ordering::Relaxed), 0, "{counts:?}");
    net.shutdown().await;
}

/// How many idle connections the flooder opens.
const IDLE: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_one_address_leave_another_served() {
    // The test holds IDLE sockets, and so may the node (it inherits the limit).
    let limit = raise_fd_limit(IDLE as u64 + 1_024);
    assert!(
        limit >= IDLE as u64 + 256,
        "the open-file limit ({limit}) is too low for {IDLE} connections: raise `ulimit -n`"
    );
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let addr = net.nodes()[0].addr;
    let base = format!("https://{addr}");

    // Connect and shake hands, then say nothing: each connection the node keeps waits for a
    // request's headers; those it neither refuses nor keeps wait in its listen queue.
    let mut idle = IdleFlood::open(addr, FLOODER, IDLE, Duration::from_secs(3)).await;
    let (kept, refused, pending) = (idle.established, idle.refused, idle.pending);
    // The node keeps no more than one address's share (the devnet's own client may hold one
    // of them) and closes the rest at once.
    assert!(
        kept <= sesh::node::MAX_CONNECTIONS_PER_IP,
        "{kept} held, {refused} refused, {pending} queued"
    );

    // While they are held, another address is served: the answer comes before the node lets
    // go of any of them. (A node without a per-address cap would take the other address's
    // connection only once its header timeout freed a slot.)
    let bystander = client(BYSTANDER);
    let served = tokio::select! {
        biased;
        r = bystander.post(&base, STORAGE_RPC, Bytes::from(INFO)) => r,
        () = idle.next_close() => panic!(
            "the node closed an idle connection before it served the other address \
             ({kept} held, {refused} refused, {pending} queued)"
        ),
    };
    let (status, body) = served.unwrap_or_else(|e| {
        panic!(
            "the other address is not served while {kept} idle connections are held \
             ({refused} refused, {pending} queued): {e}"
        )
    });
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // Once the flooder lets go, its address is served again (as soon as the node has seen its
    // connections close: until then a new one is over the cap and closed at once).
    drop(idle);
    let deadline = tokio::time::Instant::now() + BOUND;
    let mut retry = tokio::time::interval(Duration::from_millis(50));
    loop {
        match client(FLOODER)
            .post(&base, STORAGE_RPC, Bytes::from(INFO))
            .await
        {
            Ok((status, _)) => {
                assert_eq!(status, 200);
                break;
            }
            Err(e) => assert!(
                tokio::time::Instant::now() < deadline,
                "the flooder's address is not served once it closed its connections: {e}"
            ),
        }
        retry.tick().await;
    }
    net.shutdown().await;
}

/// What a route was sent and how the node took it.
#[derive(Debug)]
#[allow(dead_code, reason = "read through Debug in failure messages")]
struct Sent {
    what: String,
    status: Option<u16>,
    peak_kib: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_mib_json_bodies_on_every_route_leave_memory_bounded() {
    let (net, _dir) = one_node_devnet(node_bin()).await;
    let node = format!("{}", net.nodes()[0].addr);
    let seed = format!("{}", net.seed().addr);
    let node_pid = net.nodes()[0].pid().expect("the node runs");
    let seed_pid = net.seed().pid().expect("the seed runs");
    let flooder = client(FLOODER);
    // Baselines once each has answered a valid request padded with whitespace to the largest
    // body its route takes (10 MiB; 64 KiB on the seed's route): the runtime, TLS and the
    // allocator have then held one maximal body, which parsing whitespace adds nothing to.
    let padded = |json: &str, len: usize| {
        let mut v = vec![b' '; len - json.len()];
        v.extend_from_slice(json.as_bytes());
        Bytes::from(v)
    };
    for (base, path, body, len) in [
        (&node, STORAGE_RPC, INFO, BODY),
        (
            &seed,
            "/json_rpc",
            r#"{"method":"get_n_service_nodes","params":{}}"#,
            sesh::node::MAX_SMALL_ROUTE_BODY,
        ),
    ] {
        let (status, _) = flooder
            .post(base, path, padded(body, len))
            .await
            .expect("the node answers");
        assert_eq!(status, 200, "{base}{path}");
    }
    let node_base = peak_rss_kib(node_pid);
    let seed_base = peak_rss_kib(seed_pid);

    let flat = Bytes::from(flat_array(BODY));
    let routing = BODY - onion_frame_around(&[]).len();
    let mut sent = Vec::new();
    for case in big_bodies(BODY) {
        let (host, pid, baseline) = if case.to_seed {
            (&seed, seed_pid, seed_base)
        } else {
            (&node, node_pid, node_base)
        };
        let base = format!("{}://{host}", case.scheme);
        let what = format!("{} {base}{}: {}", case.method, case.path, case.label);
        let status = flooder
            .request(case.method, &base, case.path, &[], case.body)
            .await
            .ok()
            .map(|r| r.status);
        let peak_kib = peak_rss_kib(pid);
        sent.push(Sent {
            what,
            status,
            peak_kib,
        });
        assert!(
            peak_kib <= baseline + HEADROOM_KIB,
            "peak {peak_kib} KiB over the bound of {baseline} + {HEADROOM_KIB} KiB:\n{sent:#?}"
        );
        assert!(
            status.is_none_or(|s| s < 500),
            "a server error for a bad body:\n{sent:#?}"
        );
    }

    // Eight at once from one address, on both storage routes.
    let framed = Bytes::from(onion_frame_around(&flat_array(routing)));
    let parallel = (0..8).map(|i| {
        let (path, body) = if i % 2 == 0 {
            (STORAGE_RPC, flat.clone())
        } else {
            (ONION, framed.clone())
        };
        let (flooder, node) = (&flooder, &node);
        async move { flooder.post(node, path, body).await.ok().map(|(s, _)| s) }
    });
    let statuses = futures_util::future::join_all(parallel).await;
    let peak_kib = peak_rss_kib(node_pid);
    assert!(
        peak_kib <= node_base + HEADROOM_KIB,
        "eight 10 MiB bodies at once: peak {peak_kib} KiB over the bound of {node_base} + \
         {HEADROOM_KIB} KiB (answers {statuses:?}); one at a time:\n{sent:#?}"
    );

    // Both still answer, both addresses.
    assert!(is_alive(node_pid), "the node died:\n{sent:#?}");
    for from in [FLOODER, BYSTANDER] {
        let (status, body) = client(from)
            .post(&node, STORAGE_RPC, Bytes::from(INFO))
            .await
            .expect("the node answers info afterwards");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).expect("info is JSON");
        assert!(v["version"].is_array(), "{v}");
    }
    let (status, _) = client(BYSTANDER)
        .post(
            &seed,
            "/json_rpc",
            Bytes::from(r#"{"method":"get_n_service_nodes","params":{}}"#),
        )
        .await
        .expect("the seed answers afterwards");
    assert_eq!(status, 200);
    net.shutdown().await;
}

/// Messages in the mailbox of the retrieve test, and the size of each.
const MESSAGES: usize = 100_000;
const DATA_LEN: usize = 100;
const _: () = assert!(MESSAGES as u64 <= sesh::node::MAX_MAILBOX_MESSAGES);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrieve_over_a_hundred_thousand_messages_is_clamped_and_bounded() {
    let (mut net, _dir) = one_node_devnet(node_bin()).await;
    let who = Identity::from_seed(Seed::from_legacy(&[42; 16]));
    let owner = who.session_id().to_bytes();
    // Straight into the stopped node's database: a hundred thousand stores through the RPC
    // would be a hundred thousand fsyncs.
    net.kill(0).await;
    let db = net.nodes()[0].dir.join("messages.sqlite3");
    let now = SystemClock.now_ms();
    prefill_mailbox(&db, &owner, MESSAGES, DATA_LEN, now);
    net.restart(0).await.expect("the node starts again");
    let node = format!("{}", net.nodes()[0].addr);
    let pid = net.nodes()[0].pid().expect("the node runs");
    let (status, _) = client(BYSTANDER)
        .post(&node, STORAGE_RPC, Bytes::from(INFO))
        .await
        .expect("the node answers");
    assert_eq!(status, 200);
    let baseline = peak_rss_kib(pid);

    // Ask for everything.
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
    let (status, body) = client(BYSTANDER)
        .post(&node, STORAGE_RPC, retrieve(""))
        .await
        .expect("the node answers a retrieve of everything");
    let peak_kib = peak_rss_kib(pid);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("the answer is JSON");
    let got = v["messages"].as_array().expect("a message list");
    assert!(
        !got.is_empty() && got.len() < MESSAGES,
        "{} of {MESSAGES} messages in one answer",
        got.len()
    );
    assert_eq!(v["more"], true, "a clamped answer says there is more");
    assert!(
        peak_kib <= baseline + HEADROOM_KIB,
        "peak {peak_kib} KiB over the bound of {baseline} + {HEADROOM_KIB} KiB for {} messages",
        got.len()
    );
    // In insertion order, and the next page goes on where this one stopped.
    let hash_of = |i: usize| {
        let mut data = vec![0u8; DATA_LEN];
        data[..8].copy_from_slice(&(i as u64).to_le_bytes());
        sesh::rpc::message_hash(&owner, Namespace::DEFAULT, &data)
    };
    assert_eq!(got[0]["hash"], hash_of(0));
    let last = got.last().and_then(|m| m["hash"].as_str()).expect("a hash");
    assert_eq!(last, hash_of(got.len() - 1));
    let first_page = got.len();
    let (status, body) = client(BYSTANDER)
        .post(&node, STORAGE_RPC, retrieve(last))
        .await
        .expect("the node answers the next page");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).expect("the answer is JSON");
    assert_eq!(v["messages"][0]["hash"], hash_of(first_page));
    // The second page may be built on the other worker thread, whose malloc arena keeps
    // what it freed, as the first thread's does (glibc): two pages' worth, not one. (An
    // answer costs about six times its size while it goes through serde_json::Value; see
    // SECURITY.md, known limits.)
    let peak_kib = peak_rss_kib(pid);
    assert!(
        peak_kib <= baseline + 2 * HEADROOM_KIB,
        "peak {peak_kib} KiB after the second page, over the bound of {baseline} + 2 × \
         {HEADROOM_KIB} KiB"
    );
    assert!(is_alive(pid));
    net.shutdown().await;
}
