//! First use by many processes at once (issue 9): cron jobs firing in the same minute start
//! `sesh` against one state directory that does not exist yet. Every one of them must work:
//! before the fix, some exited 1 with "creating the schema: table meta already exists" and
//! their messages were never sent.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::devnet::devnet;

/// How many processes start at once.
const PROCESSES: usize = 50;

/// How long all of them together may take before the test gives up (and stops them).
const DEADLINE: Duration = Duration::from_secs(240);

fn sesh(network: &Path, state: &Path) -> Command {
    let mut c = super::support::sesh_command();
    c.env("SESH_NETWORK", network)
        .env("SESH_STATE_DIR", state)
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Starts every command before waiting for any, then collects their outputs. Any still
/// running at [`DEADLINE`] are stopped and the test fails.
fn run_all_at_once(cmds: Vec<Command>) -> Vec<Output> {
    let children: Vec<Child> = cmds
        .into_iter()
        .map(|mut c| c.spawn().expect("sesh starts"))
        .collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    for (i, child) in children.into_iter().enumerate() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((i, child.wait_with_output()));
        });
    }
    drop(tx);
    let started = sesh::clock::Stopwatch::start();
    let mut outputs: Vec<Option<Output>> = vec![None; pids.len()];
    for _ in 0..pids.len() {
        let left = DEADLINE.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok((i, out)) => outputs[i] = Some(out.expect("sesh finishes")),
            Err(_) => {
                for (pid, out) in pids.iter().zip(&outputs) {
                    if out.is_none() {
                        let _ = sesh::devnet::sigterm(*pid);
                    }
                }
                let pending = outputs.iter().filter(|o| o.is_none()).count();
                panic!("{pending} sesh process(es) still running after {DEADLINE:?}");
            }
        }
    }
    outputs.into_iter().map(Option::unwrap).collect()
}

fn failures(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.status.success())
        .map(|(i, o)| {
            format!(
                "process {i}: {}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_processes_on_one_fresh_state_all_succeed() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let network = net.network_file();

    // Opening the state: 50 `sesh nodes` on a state directory that does not exist yet.
    let state = d.join("nodes-state");
    let outputs = run_all_at_once(
        (0..PROCESSES)
            .map(|_| {
                let mut c = sesh(&network, &state);
                c.args(["nodes", "-q"]);
                c
            })
            .collect(),
    );
    let failed = failures(&outputs);
    assert!(failed.is_empty(), "{failed:#?}");
    for o in &outputs {
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            6,
            "{o:?}"
        );
    }

    // Sending: 50 `sesh send` of one sender, each with its own message, on a fresh state.
    let (alice, _) = super::support::keygen(d, "alice");
    let (bob, bob_id) = super::support::keygen(d, "bob");
    let state = d.join("alice-state");
    let outputs = run_all_at_once(
        (0..PROCESSES)
            .map(|i| {
                let mut c = sesh(&network, &state);
                c.args([
                    "send",
                    "-q",
                    "--json",
                    "-m",
                    &format!("cron job {i}"),
                    &bob_id,
                ])
                .arg("-i")
                .arg(&alice);
                c
            })
            .collect(),
    );
    let failed = failures(&outputs);
    assert!(failed.is_empty(), "{failed:#?}");

    // Every message arrives, once.
    let out = sesh(&network, &d.join("bob-state"))
        .args(["receive", "--json", "-i"])
        .arg(&bob)
        .output()
        .expect("sesh receive runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
            v["text"].as_str().expect("a text").to_owned()
        })
        .collect();
    got.sort();
    let mut want: Vec<String> = (0..PROCESSES).map(|i| format!("cron job {i}")).collect();
    want.sort();
    assert_eq!(got, want);

    net.shutdown().await;
}
