//! `sesh probe`, `sesh path` and `sesh swarm` on a devnet (issue 6): verdicts and exit
//! statuses, hidden addresses, a row per hop, and the JSON schemas, pinned key by key (names,
//! order and types).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use sesh::devnet::Devnet;

use super::devnet::{devnet, devnet_with, identity};

/// The CLI pointed at one devnet, with its own state directory.
struct Cli {
    network: PathBuf,
    state: PathBuf,
}

impl Cli {
    fn new(net: &Devnet, dir: &Path) -> Self {
        Self {
            network: net.network_file(),
            state: dir.join("state"),
        }
    }

    /// Runs `sesh args…`, killed if it takes more than two minutes.
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = super::support::sesh_command();
        cmd.args(args)
            .env("SESH_NETWORK", &self.network)
            .env("SESH_STATE_DIR", &self.state)
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
    }

    /// Runs and expects exit status `code`; returns standard output.
    fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "sesh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs with `--json`, expects `code`, and parses the lines.
    fn json(&self, args: &[&str], code: i32) -> Vec<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.expect(&all, code)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect()
    }
}

/// The keys of an object in order, each with its JSON type.
fn shape(v: &Value) -> Vec<(String, &'static str)> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .iter()
        .map(|(k, v)| {
            let t = match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            (k.clone(), t)
        })
        .collect()
}

fn assert_shape(v: &Value, expected: &[(&str, &str)]) {
    let expected: Vec<(String, &str)> = expected.iter().map(|(k, t)| ((*k).into(), *t)).collect();
    let got: Vec<(String, &str)> = shape(v).into_iter().collect();
    assert_eq!(got, expected, "schema of {v}");
}

const PROBE_PASS: &[(&str, &str)] = &[
    ("type", "string"),
    ("node", "string"),
    ("pubkey_ed25519", "string"),
    ("pubkey_x25519", "string"),
    ("public_ip", "null"),
    ("storage_port", "null"),
    ("verdict", "string"),
    ("reason", "null"),
    ("reachable", "bool"),
    ("version", "array"),
    ("latency_ms", "number"),
    ("clock_offset_ms", "number"),
    ("swarm_id", "number"),
    ("onion", "null"),
];

/// A `sesh nodes --json` row (without --reveal).
const NODE: &[(&str, &str)] = &[
    ("type", "string"),
    ("pubkey_ed25519", "string"),
    ("pubkey_x25519", "string"),
    ("public_ip", "null"),
    ("storage_port", "null"),
    ("swarm_id", "number"),
    ("version", "array"),
    ("storage_server_version", "array"),
    ("routed", "bool"),
];

const SUMMARY: &[(&str, &str)] = &[
    ("type", "string"),
    ("probed", "number"),
    ("passed", "number"),
    ("failed", "number"),
    ("not_found", "number"),
    ("elapsed_ms", "number"),
];

fn with(
    base: &[(&'static str, &'static str)],
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = base.to_vec();
    for (k, t) in changes {
        match out.iter_mut().find(|(bk, _)| bk == k) {
            Some(e) => e.1 = t,
            None => out.push((k, t)),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_passes_live_nodes_and_fails_a_killed_one() {
    let (mut net, dir) = devnet(6, 3).await;
    let cli = Cli::new(&net, dir.path());
    let keys: Vec<String> = net.nodes().iter().map(|n| n.ed25519.to_hex()).collect();

    // Every node is up.
    let all = cli.json(&["probe", "--all"], 0);
    assert_eq!(all.len(), 7);
    for obj in &all[..6] {
        assert_shape(obj, PROBE_PASS);
        assert_eq!(obj["type"], "probe");
        assert_eq!(obj["verdict"], "pass");
        assert_eq!(obj["reachable"], true);
        assert_eq!(obj["node"], obj["pubkey_ed25519"]);
        assert!(
            keys.contains(&obj["node"].as_str().unwrap().to_owned()),
            "{obj}"
        );
        assert_eq!(obj["version"].as_array().unwrap().len(), 3);
        // Same machine, same clock: well inside the window.
        assert!(obj["clock_offset_ms"].as_i64().unwrap().abs() < 60_000);
    }
    assert_shape(&all[6], SUMMARY);
    assert_eq!(all[6]["type"], "summary");
    assert_eq!(
        (
            &all[6]["probed"],
            &all[6]["passed"],
            &all[6]["failed"],
            &all[6]["not_found"]
        ),
        (&6.into(), &6.into(), &0.into(), &0.into())
    );

    // Named by a key prefix and by address; text output; addresses only with --reveal.
    let addr = net.nodes()[1].addr.to_string();
    let text = cli.expect(&["probe", &keys[0][..10], &addr], 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("{}  pass  v", keys[0])),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{}  pass  v", keys[1])),
        "{text}"
    );
    assert!(!text.contains("127.0."), "{text}");
    let revealed = cli.expect(&["probe", "--reveal", &keys[0]], 0);
    assert!(
        revealed
            .trim_end()
            .ends_with(&net.nodes()[0].addr.to_string()),
        "{revealed}"
    );

    // A killed node fails, the others still pass and relay onion requests: exit status 4.
    net.kill(0).await;
    let all = cli.json(&["probe", "--all", "--onion", "--reveal"], 4);
    assert_eq!(all.len(), 7);
    let mut failed = 0;
    for obj in &all[..6] {
        if obj["pubkey_ed25519"] == keys[0].as_str() {
            failed += 1;
            assert_shape(
                obj,
                &with(
                    PROBE_PASS,
                    &[
                        ("reason", "string"),
                        ("version", "null"),
                        ("latency_ms", "null"),
                        ("clock_offset_ms", "null"),
                        ("public_ip", "string"),
                        ("storage_port", "number"),
                    ],
                ),
            );
            assert_eq!(obj["verdict"], "fail");
            assert_eq!(obj["reachable"], false);
            assert!(
                obj["reason"].as_str().unwrap().starts_with("unreachable: "),
                "{obj}"
            );
        } else {
            assert_shape(
                obj,
                &with(
                    PROBE_PASS,
                    &[
                        ("onion", "bool"),
                        ("public_ip", "string"),
                        ("storage_port", "number"),
                    ],
                ),
            );
            assert_eq!(obj["verdict"], "pass", "{obj}");
            assert_eq!(obj["onion"], true, "{obj}");
            // The address the network lists, under the names `get_n_service_nodes` uses.
            let n = net
                .nodes()
                .iter()
                .find(|n| obj["pubkey_ed25519"] == n.ed25519.to_hex().as_str())
                .unwrap();
            assert_eq!(obj["public_ip"], n.addr.ip().to_string().as_str(), "{obj}");
            assert_eq!(obj["storage_port"], n.addr.port(), "{obj}");
        }
    }
    assert_eq!(failed, 1);
    assert_eq!(
        (&all[6]["passed"], &all[6]["failed"]),
        (&5.into(), &1.into())
    );

    let text = cli.expect(&["probe", &keys[0], &keys[2]], 4);
    assert!(
        text.contains(&format!("{}  FAIL  unreachable: ", keys[0])),
        "{text}"
    );
    assert!(text.contains(&format!("{}  pass  ", keys[2])), "{text}");

    // A node that is not in the pool.
    let absent = "f".repeat(64);
    let obj = &cli.json(&["probe", &absent, &keys[3]], 4)[0];
    assert_shape(
        obj,
        &with(
            PROBE_PASS,
            &[
                ("pubkey_ed25519", "null"),
                ("pubkey_x25519", "null"),
                ("reason", "string"),
                ("version", "null"),
                ("latency_ms", "null"),
                ("clock_offset_ms", "null"),
                ("swarm_id", "null"),
            ],
        ),
    );
    assert_eq!(obj["verdict"], "not_found");
    assert_eq!(obj["node"], absent.as_str());
    // The only node asked about was not found: exit 1, since none passed (issue 10).
    let text = cli.expect(&["probe", "1.2.3.4:5"], 1);
    assert_eq!(text, "1.2.3.4:5  NOT FOUND  not in the network's list\n");

    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_hide_addresses_and_test_prints_a_row_per_hop() {
    let (mut net, dir) = devnet(6, 3).await;
    let cli = Cli::new(&net, dir.path());

    // show (the default): two paths of three hops, no addresses.
    let text = cli.expect(&["path"], 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("path {}: You → ", i + 1)), "{l}");
        assert!(l.ends_with(" → destination"), "{l}");
        assert_eq!(l.matches(" → ").count(), 4, "{l}");
        assert_eq!(l.matches(" (v2.").count(), 3, "{l}");
    }
    assert!(!text.contains("127.0."), "{text}");
    // The same paths, with addresses.
    let revealed = cli.expect(&["path", "show", "--reveal"], 0);
    assert_eq!(revealed.matches("127.0.").count(), 6, "{revealed}");

    let paths = cli.json(&["path", "show"], 0);
    assert_eq!(paths.len(), 2);
    let hop_shape = [
        ("pubkey_ed25519", "string"),
        ("pubkey_x25519", "string"),
        ("public_ip", "null"),
        ("storage_port", "null"),
        ("version", "array"),
    ];
    for (i, p) in paths.iter().enumerate() {
        assert_shape(
            p,
            &[
                ("type", "string"),
                ("index", "number"),
                ("path", "number"),
                ("hops", "array"),
            ],
        );
        assert_eq!(p["type"], "path");
        assert_eq!(p["index"], i + 1);
        // The path's number has the name `path test`'s hop records give it.
        assert_eq!(p["path"], i + 1);
        let hops = p["hops"].as_array().unwrap();
        assert_eq!(hops.len(), 3);
        for h in hops {
            assert_shape(h, &hop_shape);
        }
    }
    let keys_of = |paths: &[Value]| -> Vec<String> {
        paths
            .iter()
            .flat_map(|p| p["hops"].as_array().unwrap().clone())
            .map(|h| h["pubkey_ed25519"].as_str().unwrap().to_owned())
            .collect()
    };
    // The paths persist between runs.
    let again = cli.json(&["path"], 0);
    assert_eq!(keys_of(&again), keys_of(&paths));
    let revealed = cli.json(&["path", "--reveal"], 0);
    for h in revealed[0]["hops"].as_array().unwrap() {
        assert_shape(
            h,
            &[
                ("pubkey_ed25519", "string"),
                ("pubkey_x25519", "string"),
                ("public_ip", "string"),
                ("storage_port", "number"),
                ("version", "array"),
            ],
        );
    }

    // Countries from a MaxMind-format database.
    let db = dir.path().join("countries.mmdb");
    std::fs::write(
        &db,
        mmdb::country_db(&[([127, 0, 0, 0], 16, "NL"), ([10, 0, 0, 0], 8, "DE")]),
    )
    .unwrap();
    let db = db.to_str().unwrap();
    let text = cli.expect(&["path", "--geoip", db], 0);
    assert_eq!(text.matches(", NL)").count(), 6, "{text}");
    let geo = cli.json(&["path", "show", "--geoip", db], 0);
    for h in geo[1]["hops"].as_array().unwrap() {
        assert_shape(
            h,
            &[
                ("pubkey_ed25519", "string"),
                ("pubkey_x25519", "string"),
                ("public_ip", "null"),
                ("storage_port", "null"),
                ("version", "array"),
                ("country", "string"),
            ],
        );
        assert_eq!(h["country"], "NL");
    }
    // A database is not ours either: its text is escaped like the network's.
    let evil = dir.path().join("evil.mmdb");
    std::fs::write(
        &evil,
        mmdb::country_db(&[([127, 0, 0, 0], 16, "N\u{1b}[2J\nL")]),
    )
    .unwrap();
    let text = cli.expect(&["path", "--geoip", evil.to_str().unwrap()], 0);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert_eq!(text.matches(", N\\u{1b}[2J\\nL)").count(), 6, "{text}");

    // test: one row per hop, in order.
    let text = cli.expect(&["path", "test"], 0);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 6, "{text}");
    for (i, r) in rows.iter().enumerate() {
        assert!(
            r.starts_with(&format!("path {}  hop {}  ", i / 3 + 1, i % 3 + 1)),
            "{r}"
        );
        assert!(r.ends_with(" ms"), "{r}");
    }
    assert!(!text.contains("127.0."), "{text}");
    let hops = cli.json(&["path", "test"], 0);
    assert_eq!(hops.len(), 6);
    let path_keys = keys_of(&paths);
    for (i, h) in hops.iter().enumerate() {
        assert_shape(
            h,
            &[
                ("type", "string"),
                ("path", "number"),
                ("hop", "number"),
                ("pubkey_ed25519", "string"),
                ("pubkey_x25519", "string"),
                ("public_ip", "null"),
                ("storage_port", "null"),
                ("latency_ms", "number"),
                ("increment_ms", "number"),
                ("error", "null"),
            ],
        );
        assert_eq!(h["type"], "hop");
        assert_eq!(
            (&h["path"], &h["hop"]),
            (&(i / 3 + 1).into(), &(i % 3 + 1).into())
        );
        assert_eq!(h["pubkey_ed25519"], path_keys[i].as_str());
        if i % 3 == 0 {
            assert_eq!(h["increment_ms"], h["latency_ms"]);
        }
    }

    // new: fresh paths, which are then the ones shown.
    let fresh = cli.json(&["path", "new"], 0);
    assert_eq!(fresh.len(), 2);
    assert_eq!(keys_of(&cli.json(&["path"], 0)), keys_of(&fresh));

    // swarm: as the roster says, addresses hidden unless asked for.
    let bob = identity(2);
    let id = bob.session_id().to_string();
    let roster = net.roster();
    let swarm_id = roster.swarm_of(&bob.session_id().to_bytes()).unwrap();
    let mut members: Vec<String> = roster
        .members(swarm_id)
        .iter()
        .map(|n| n.ed25519.to_hex())
        .collect();
    members.sort();
    let obj = &cli.json(&["swarm", &id], 0)[0];
    assert_shape(
        obj,
        &[
            ("type", "string"),
            ("session_id", "string"),
            ("swarm_id", "number"),
            ("members", "array"),
        ],
    );
    assert_eq!(obj["type"], "swarm");
    assert_eq!(obj["session_id"], id.as_str());
    assert_eq!(obj["swarm_id"], swarm_id);
    let mut got: Vec<String> = obj["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_shape(
                m,
                &[
                    ("pubkey_ed25519", "string"),
                    ("pubkey_x25519", "string"),
                    ("public_ip", "null"),
                    ("storage_port", "null"),
                    ("version", "array"),
                ],
            );
            m["pubkey_ed25519"].as_str().unwrap().to_owned()
        })
        .collect();
    got.sort();
    assert_eq!(got, members);
    let text = cli.expect(&["swarm", &id], 0);
    assert_eq!(
        text.lines().next(),
        Some(format!("swarm {swarm_id:016x}").as_str())
    );
    assert_eq!(text.lines().count(), 1 + members.len());
    assert!(!text.contains("127.0."), "{text}");
    let text = cli.expect(&["swarm", "--reveal", &id], 0);
    assert_eq!(text.matches("127.0.").count(), members.len(), "{text}");

    // One node, one name for its address and version: nodes, path, swarm and probe agree
    // with the roster.
    let address_of = |v: &Value| {
        (
            v["pubkey_ed25519"].as_str().unwrap().to_owned(),
            v["pubkey_x25519"].as_str().unwrap().to_owned(),
            v["public_ip"].as_str().unwrap().to_owned(),
            v["storage_port"].as_u64().unwrap(),
            v["version"].as_array().unwrap().clone(),
        )
    };
    let listed: Vec<_> = cli
        .json(&["nodes", "--reveal"], 0)
        .iter()
        .map(address_of)
        .collect();
    let mut seen = 0;
    for v in cli.json(&["path", "--reveal"], 0)[0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            cli.json(&["swarm", "--reveal", &id], 0)[0]["members"]
                .as_array()
                .unwrap(),
        )
        .chain(&cli.json(&["probe", "--reveal", &members[0]], 0)[..1])
    {
        assert!(listed.contains(&address_of(v)), "{v} not in {listed:?}");
        seen += 1;
    }
    assert_eq!(seen, 3 + members.len() + 1);

    // A dead middle hop: its row says why, the exit's row is skipped, exit status 4.
    let paths = cli.json(&["path"], 0);
    let middle = paths[0]["hops"][1]["pubkey_ed25519"]
        .as_str()
        .unwrap()
        .to_owned();
    let i = net
        .nodes()
        .iter()
        .position(|n| n.ed25519.to_hex() == middle)
        .unwrap();
    net.kill(i).await;
    let hops = cli.json(&["path", "test"], 4);
    assert_eq!(hops.len(), 6);
    let failed_shape = [
        ("type", "string"),
        ("path", "number"),
        ("hop", "number"),
        ("pubkey_ed25519", "string"),
        ("pubkey_x25519", "string"),
        ("public_ip", "null"),
        ("storage_port", "null"),
        ("latency_ms", "null"),
        ("increment_ms", "null"),
        ("error", "string"),
    ];
    assert_eq!(hops[0]["error"], Value::Null);
    assert_shape(&hops[1], &failed_shape);
    assert_eq!(hops[1]["pubkey_ed25519"], middle.as_str());
    assert_shape(&hops[2], &failed_shape);
    assert_eq!(hops[2]["error"], "skipped: hop 2 failed");
    assert!(hops[3..].iter().all(|h| h["error"].is_null()), "{hops:?}");
    let text = cli.expect(&["path", "test"], 4);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 6, "{text}");
    assert!(rows[1].contains("  FAIL  "), "{text}");
    assert!(rows[2].ends_with("  FAIL  skipped: hop 2 failed"), "{text}");

    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_fails_nodes_whose_clock_is_off() {
    // Every node's clock is two minutes ahead of ours: beyond the 60 s signature window.
    let (net, dir) = devnet_with(2, 1, 120_000).await;
    let cli = Cli::new(&net, dir.path());
    // Every node failed: a failure (1), not a partial one (4; issue 10).
    let all = cli.json(&["probe", "--all"], 1);
    assert_eq!(all.len(), 3);
    for obj in &all[..2] {
        assert_shape(obj, &with(PROBE_PASS, &[("reason", "string")]));
        assert_eq!(obj["verdict"], "fail");
        let offset = obj["clock_offset_ms"].as_i64().unwrap();
        assert!(offset > 60_000, "{obj}");
        let reason = obj["reason"].as_str().unwrap();
        assert!(reason.starts_with("clock off by +1"), "{reason}");
        assert!(
            reason.ends_with(" s (signed requests allow ±60 s)"),
            "{reason}"
        );
    }
    assert_eq!(
        (&all[2]["passed"], &all[2]["failed"]),
        (&0.into(), &2.into())
    );
    net.shutdown().await;
}

/// A writer of tiny MaxMind DB files (format 2.0, IPv4, 24-bit records), enough for
/// `--geoip`: each network maps to `{"country": {"iso_code": CC}}`. The format is MaxMind's
/// published "MaxMind DB File Format Specification" (search tree, 16-byte separator, data
/// section, then "\xAB\xCD\xEFMaxMind.com" and the metadata map). Written here so that no
/// binary database (and no licence question) is committed.
mod mmdb {
    #[derive(Clone, Copy)]
    enum Record {
        Empty,
        Node(usize),
        Data(usize),
    }

    /// Control byte(s) of a field of `kind` (1–15) and `size` (< 29).
    fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
        assert!(size < 29);
        let size = u8::try_from(size).expect("a small size");
        if kind <= 7 {
            out.push((kind << 5) | size);
        } else {
            out.push(size);
            out.push(kind - 7);
        }
    }

    fn string(out: &mut Vec<u8>, s: &str) {
        control(out, 2, s.len());
        out.extend_from_slice(s.as_bytes());
    }

    /// An unsigned integer of `kind` (5 uint16, 6 uint32, 9 uint64), without leading zeros.
    fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        control(out, kind, 8 - skip);
        out.extend_from_slice(&bytes[skip..]);
    }

    pub(super) fn country_db(networks: &[([u8; 4], u8, &str)]) -> Vec<u8> {
        let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty; 2]];
        for (i, (ip, len, _)) in networks.iter().enumerate() {
            let bits = u32::from_be_bytes(*ip);
            let mut n = 0;
            for depth in 0..*len {
                let bit = ((bits >> (31 - depth)) & 1) as usize;
                if depth + 1 == *len {
                    nodes[n][bit] = Record::Data(i);
                } else if let Record::Node(m) = nodes[n][bit] {
                    n = m;
                } else {
                    nodes.push([Record::Empty; 2]);
                    let m = nodes.len() - 1;
                    nodes[n][bit] = Record::Node(m);
                    n = m;
                }
            }
        }
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for (_, _, cc) in networks {
            offsets.push(data.len());
            control(&mut data, 7, 1);
            string(&mut data, "country");
            control(&mut data, 7, 1);
            string(&mut data, "iso_code");
            string(&mut data, cc);
        }
        let count = nodes.len();
        let mut out = Vec::new();
        for node in &nodes {
            for r in node {
                let v = match *r {
                    Record::Empty => count,
                    Record::Node(m) => m,
                    Record::Data(i) => count + 16 + offsets[i],
                };
                out.extend_from_slice(
                    &u32::try_from(v).expect("a 24-bit record").to_be_bytes()[1..],
                );
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        control(&mut out, 7, 9);
        string(&mut out, "node_count");
        uint(&mut out, 6, count as u64);
        string(&mut out, "record_size");
        uint(&mut out, 5, 24);
        string(&mut out, "ip_version");
        uint(&mut out, 5, 4);
        string(&mut out, "database_type");
        string(&mut out, "sesh-test-country");
        string(&mut out, "languages");
        control(&mut out, 11, 1);
        string(&mut out, "en");
        string(&mut out, "binary_format_major_version");
        uint(&mut out, 5, 2);
        string(&mut out, "binary_format_minor_version");
        uint(&mut out, 5, 0);
        string(&mut out, "build_epoch");
        uint(&mut out, 9, 1_700_000_000);
        string(&mut out, "description");
        control(&mut out, 7, 1);
        string(&mut out, "en");
        string(&mut out, "sesh test database");
        out
    }
}

/// Issue 9: `sesh probe --all` passed every node while two refused connections, because it
/// probed the cached pool, from which sesh had dropped them; `sesh nodes` showed 8 of 10. A
/// health check probes what the network lists, and `sesh nodes` lists it; the dead nodes
/// FAIL with the real cause, not "unknown to the network" or "not in the pool".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_all_checks_what_the_network_lists_not_the_pool() {
    use sesh::client::state::State;

    // Ten nodes: with two dropped, the cached pool keeps the minimum of 8 and is not refetched.
    let (mut net, dir) = devnet(10, 5).await;
    let cli = Cli::new(&net, dir.path());
    let keys: Vec<String> = net.nodes().iter().map(|n| n.ed25519.to_hex()).collect();
    let rows = cli.json(&["nodes"], 0);
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["routed"] == true), "{rows:?}");

    // Two nodes go down, and sesh drops them from the pool it routes through, as it does when
    // a relay says they are unreachable (done here on the state, so that it is certain).
    net.kill(3).await;
    net.kill(7).await;
    let dead = [keys[3].as_str(), keys[7].as_str()];
    {
        let mut st = State::open(&cli.state.join("devnet")).unwrap();
        st.drop_node(&net.nodes()[3].ed25519).unwrap();
        st.drop_node(&net.nodes()[7].ed25519).unwrap();
        assert_eq!(st.pool().unwrap().unwrap().nodes.len(), 8);
    }

    // probe --all: ten rows, the two dead ones FAIL with the cause; exit status 4.
    let rows = cli.json(&["probe", "--all"], 4);
    assert_eq!(rows.len(), 11, "{rows:?}");
    let mut failed: Vec<&str> = Vec::new();
    for r in &rows[..10] {
        let key = r["pubkey_ed25519"].as_str().unwrap();
        if r["verdict"] == "fail" {
            failed.push(key);
            assert_eq!(r["reason"], "unreachable: connection refused", "{r}");
        } else {
            assert_eq!(r["verdict"], "pass", "{r}");
        }
    }
    failed.sort_unstable();
    let mut want = dead.to_vec();
    want.sort_unstable();
    assert_eq!(failed, want);
    assert_eq!(
        (
            &rows[10]["probed"],
            &rows[10]["passed"],
            &rows[10]["failed"]
        ),
        (&10.into(), &8.into(), &2.into())
    );
    let text = cli.expect(&["probe", "--all"], 4);
    assert_eq!(
        text.matches("  FAIL  unreachable: connection refused")
            .count(),
        2
    );
    assert_eq!(text.matches("  pass  ").count(), 8, "{text}");

    // A dead node named on its own: FAIL with the cause, not NOT FOUND.
    let text = cli.expect(&["probe", dead[0]], 1);
    assert_eq!(
        text,
        format!("{}  FAIL  unreachable: connection refused\n", dead[0])
    );

    // sesh nodes lists all ten, marks the two it no longer routes through, and says so.
    let rows = cli.json(&["nodes"], 0);
    assert_eq!(rows.len(), 10, "{rows:?}");
    for r in &rows {
        assert_shape(r, NODE);
        let key = r["pubkey_ed25519"].as_str().unwrap();
        assert_eq!(r["routed"], !dead.contains(&key), "{r}");
    }
    let out = cli.run(&["nodes"]);
    assert_eq!(out.status.code(), Some(0));
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 10, "{listed}");
    for k in dead {
        assert!(listed.contains(k), "{listed}");
    }
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(note.contains("10 service nodes of "), "{note}");
    assert!(
        note.contains("sesh no longer routes through 2 of them"),
        "{note}"
    );
    // Probing changed nothing about the pool sesh routes through.
    let st = State::open(&cli.state.join("devnet")).unwrap();
    assert_eq!(st.pool().unwrap().unwrap().nodes.len(), 8);

    net.shutdown().await;
}
