//! `sesh nodes`: the network's service nodes.

use sesh::cli::NodesArgs;
use sesh::clock::{Clock, SystemClock};
use sesh::swarm::Snode;

use super::{Ctx, Result, block_on};
use crate::output::{NodeFields, NodeRecord, Record, swarm_id};

pub(crate) fn nodes(ctx: &Ctx, args: &NodesArgs) -> Result<()> {
    let mut client = ctx.client()?;
    let started = SystemClock.now_ms();
    let pool = block_on(async { client.pool(args.refresh).await.cloned() })??;
    // The list as the seeds gave it, with the nodes sesh has stopped routing through since:
    // what the network lists, not only what sesh uses (issue 9).
    let listed = client
        .state()
        .listed_nodes()
        .map_err(sesh::client::Error::State)?
        .map_or_else(|| pool.nodes().to_vec(), |l| l.nodes);
    for n in &listed {
        if ctx.json {
            ctx.record(&Record::Node(NodeRecord {
                node: NodeFields::of(n, args.reveal),
                swarm_id: swarm_id(n),
                version: n.version,
                storage_server_version: n.version,
                routed: pool.get(&n.ed25519).is_some(),
            }))?;
        } else {
            ctx.line(node_text(n, args.reveal))?;
        }
    }
    let when = match client.pool_fetched_ms() {
        Some(t) if t >= started => "fetched from the seed nodes now".to_owned(),
        Some(t) => {
            let age = std::time::Duration::from_secs(started.saturating_sub(t) / 1000);
            format!("cached, fetched {} ago", humantime::format_duration(age))
        }
        None => "cached".to_owned(),
    };
    let unused = listed.len().saturating_sub(pool.len());
    let unused = if unused == 0 {
        String::new()
    } else {
        format!("; sesh no longer routes through {unused} of them, which failed")
    };
    ctx.note(format_args!(
        "{} service nodes of {} ({when}{unused})",
        listed.len(),
        client.network()
    ));
    Ok(())
}

/// `<ed25519>  swarm <hex>  v<version>[  <ip:port>]`.
fn node_text(n: &Snode, reveal: bool) -> String {
    let swarm = swarm_id(n).map_or_else(|| "-".to_owned(), |id| format!("{id:016x}"));
    let version = n
        .version
        .map_or_else(|| "-".to_owned(), |[a, b, c]| format!("v{a}.{b}.{c}"));
    let mut line = format!("{}  swarm {swarm}  {version}", n.ed25519);
    if reveal {
        line.push_str(&format!("  {}:{}", n.ip, n.port));
    }
    line
}
