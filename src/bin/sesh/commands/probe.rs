//! `sesh probe`: direct health checks of service nodes, with a verdict per node.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};
use sesh::ErrorKind;
use sesh::cli::ProbeArgs;
use sesh::client::probe::{self, NodeQuery, RelayCheck, Report};
use sesh::clock::{Stopwatch, format_ms, round_ms};
use sesh::swarm::Snode;

use super::path::version_text;
use super::{Ctx, Result, block_on};
use crate::escape;
use crate::output::{NodeFields, ProbeRecord, Record, SummaryRecord, swarm_id};

/// One node asked about: as given, and the pool's node it names (if any), as an index into
/// the probed nodes.
struct Entry {
    given: String,
    target: Option<usize>,
}

pub(crate) fn run(ctx: &Ctx, args: &ProbeArgs) -> Result<()> {
    // Resolve the names before touching the network.
    let queries = args
        .nodes
        .iter()
        .map(|s| s.parse::<NodeQuery>().map(|q| (s.clone(), q)))
        .collect::<Result<Vec<_>, _>>()?;
    if args.timeout.is_zero() {
        return Err(sesh::Error::Input("--timeout must be more than 0s".to_owned()).into());
    }
    let options = probe::Options {
        concurrency: usize::from(args.concurrency),
        timeout: args.timeout,
        onion: args.onion,
    };
    let started = Stopwatch::start();
    let mut client = ctx.client()?;
    // What the network lists now, not the pool sesh routes through: that one leaves out the
    // nodes that failed, and a health check must see them fail (issue 9). --refresh also
    // makes the fetched list the pool.
    let pool = block_on(async {
        if args.refresh {
            client.pool(true).await.cloned()
        } else {
            client.fetch_listed_nodes().await
        }
    })??;

    let mut targets: Vec<Snode> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    if args.all {
        for n in pool.nodes() {
            entries.push(Entry {
                given: n.ed25519.to_hex(),
                target: Some(targets.len()),
            });
            targets.push(n.clone());
        }
    } else {
        for (given, q) in queries {
            let target = q.find(&pool)?.map(|n| {
                targets
                    .iter()
                    .position(|t| t.ed25519 == n.ed25519)
                    .unwrap_or_else(|| {
                        targets.push(n.clone());
                        targets.len() - 1
                    })
            });
            entries.push(Entry { given, target });
        }
    }

    let bar = if std::io::stderr().is_terminal() && !ctx.quiet && !ctx.json && !targets.is_empty() {
        let style = ProgressStyle::with_template("{bar:40} {pos}/{len} probes, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        ProgressBar::new(targets.len() as u64).with_style(style)
    } else {
        ProgressBar::hidden()
    };
    let reports = block_on(client.probe(&targets, &options, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }))??;
    bar.finish_and_clear();

    let (mut passed, mut failed, mut not_found) = (0usize, 0usize, 0usize);
    for e in &entries {
        let report = e.target.and_then(|i| reports.get(i));
        match report {
            None => not_found += 1,
            Some(r) if r.passed() => passed += 1,
            Some(_) => failed += 1,
        }
        if ctx.json {
            ctx.record(&Record::Probe(probe_record(&e.given, report, args.reveal)))?;
        } else {
            ctx.line(probe_text(&e.given, report, args.reveal))?;
        }
    }
    let elapsed = started.elapsed();
    if ctx.json {
        ctx.record(&Record::Summary(SummaryRecord {
            probed: entries.len(),
            passed,
            failed,
            not_found,
            elapsed_ms: round_ms(elapsed),
        }))?;
    }
    ctx.note(format_args!(
        "probed {} node(s) of {} in {}: {passed} passed, {failed} failed, {not_found} not found",
        entries.len(),
        client.network(),
        humantime::format_duration(std::time::Duration::from_millis(round_ms(elapsed))),
    ));
    if failed + not_found == 0 {
        return Ok(());
    }
    Err(crate::render::Report::summary(
        if passed == 0 {
            ErrorKind::Failure
        } else {
            ErrorKind::Partial
        },
        format!(
            "{} of {} node(s) failed or were not found",
            failed + not_found,
            entries.len()
        ),
    ))
}

/// The record of one node; the key set is the same for every verdict.
fn probe_record(given: &str, report: Option<&Report>, reveal: bool) -> ProbeRecord {
    match report {
        None => ProbeRecord {
            node: given.to_owned(),
            fields: NodeFields::default(),
            verdict: "not_found",
            reason: Some("not in the network's list".to_owned()),
            reachable: false,
            version: None,
            latency_ms: None,
            clock_offset_ms: None,
            swarm_id: None,
            onion: None,
        },
        Some(r) => ProbeRecord {
            node: given.to_owned(),
            fields: NodeFields::of(&r.node, reveal),
            verdict: if r.passed() { "pass" } else { "fail" },
            reason: r.failure.as_ref().map(ToString::to_string),
            reachable: r.reachable,
            version: r.version,
            latency_ms: r.latency_ms(),
            clock_offset_ms: r.clock_offset_ms,
            swarm_id: swarm_id(&r.node),
            onion: match r.relay {
                RelayCheck::Passed => Some(true),
                RelayCheck::Failed => Some(false),
                _ => None,
            },
        },
    }
}

/// `<key>  pass  v2.8.0  12 ms  clock +0.0 s  swarm <hex>[  onion ok]`, `<key>  FAIL
/// <reason>`, or `<node>  NOT FOUND  not in the network's list`; with `reveal`, `ip:port` at the end.
fn probe_text(given: &str, report: Option<&Report>, reveal: bool) -> String {
    let Some(r) = report else {
        return format!(
            "{}  NOT FOUND  not in the network's list",
            escape::line(given)
        );
    };
    let mut line = match &r.failure {
        Some(f) => format!("{}  FAIL  {}", r.node.ed25519, escape::line(&f.to_string())),
        None => {
            let mut l = format!(
                "{}  pass  {}  {}  clock {}  swarm {}",
                r.node.ed25519,
                version_text(r.version),
                r.latency.map_or_else(|| "-".to_owned(), format_ms),
                r.clock_offset_ms
                    .map_or_else(|| "-".to_owned(), probe::format_offset),
                swarm_id(&r.node).map_or_else(|| "-".to_owned(), |id| format!("{id:016x}")),
            );
            match r.relay {
                RelayCheck::Passed => l.push_str("  onion ok"),
                RelayCheck::NoDestination => {
                    l.push_str("  onion untested (no other node answered)");
                }
                _ => {}
            }
            l
        }
    };
    if reveal {
        line.push_str(&format!("  {}:{}", r.node.ip, r.node.port));
    }
    line
}
