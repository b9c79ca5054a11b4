//! `sesh swarm`: the swarm of a Session ID, as the network answers it.

use sesh::SessionId;
use sesh::cli::SwarmArgs;
use sesh::transport::short_key;

use super::path::version_text;
use super::{Ctx, Result, block_on};
use crate::output::{NodeFields, Record, SwarmMember, SwarmRecord};

pub(crate) fn run(ctx: &Ctx, args: &SwarmArgs) -> Result<()> {
    let account: SessionId = match &args.session_id {
        Some(s) => super::resolve::recipient(ctx, s)?,
        None => ctx.load_identity(&args.identity)?.session_id(),
    };
    let mut client = ctx.client()?;
    let (swarm, pool) = block_on(async {
        let swarm = client.fetch_swarm(&account).await?;
        let pool = client.pool(false).await?.clone();
        Ok::<_, sesh::client::Error>((swarm, pool))
    })??;
    // get_swarm names no versions: the pool has them.
    let version = |m: &sesh::swarm::Snode| m.version.or_else(|| pool.get(&m.ed25519)?.version);
    if ctx.json {
        let members = swarm
            .members
            .iter()
            .map(|m| SwarmMember {
                node: NodeFields::of(m, args.reveal),
                version: version(m),
            })
            .collect();
        ctx.record(&Record::Swarm(SwarmRecord {
            session_id: account.to_string(),
            swarm_id: swarm.id,
            members,
        }))?;
    } else {
        ctx.line(format_args!("swarm {:016x}", swarm.id))?;
        for m in &swarm.members {
            let mut line = format!("{}  {}", short_key(&m.ed25519), version_text(version(m)));
            if args.reveal {
                line.push_str(&format!("  {}:{}", m.ip, m.port));
            }
            ctx.line(line)?;
        }
    }
    ctx.note(format_args!(
        "{} member(s) in the swarm of {}",
        swarm.members.len(),
        account.short()
    ));
    Ok(())
}
