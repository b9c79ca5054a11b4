//! `sesh swarm`: the swarm of a Session ID, as the network answers it.

use serde_json::json;
use sesh::SessionId;
use sesh::cli::SwarmArgs;
use sesh::client::short_key;

use super::path::version_text;
use super::{Ctx, block_on};

pub(crate) fn run(ctx: &Ctx, args: &SwarmArgs) -> anyhow::Result<()> {
    let account: SessionId = match &args.session_id {
        Some(s) => s.parse().map_err(|source| sesh::Error::SessionId {
            input: s.clone(),
            source,
        })?,
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
        let members: Vec<serde_json::Value> = swarm
            .members
            .iter()
            .map(|m| {
                let mut v = json!({
                    "pubkey_ed25519": m.ed25519.to_hex(),
                    "version": version(m),
                });
                if args.reveal {
                    v["ip"] = json!(m.ip.to_string());
                    v["port"] = json!(m.port);
                }
                v
            })
            .collect();
        ctx.json_line(&json!({
            "type": "swarm",
            "session_id": account,
            "swarm_id": swarm.id,
            "members": members,
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
