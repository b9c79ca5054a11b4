//! `sesh devnet`: a local network in the foreground.

use std::io::Write as _;
use std::path::PathBuf;

use sesh::cli::DevnetArgs;
use sesh::devnet::{Devnet, Options};

use super::{Ctx, Result};
use crate::output::{DevnetRecord, Record};
use crate::render::{Context as _, Report};

/// Where `sesh-node` is: `SESH_NODE`, else next to this binary, else on the PATH.
fn node_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SESH_NODE") {
        return PathBuf::from(p);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("sesh-node")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("sesh-node"))
}

pub(crate) fn run(ctx: &Ctx, args: &DevnetArgs) -> Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("sesh-devnet-{}", std::process::id())),
    };
    let opts = Options {
        dir: dir.clone(),
        nodes: usize::from(args.nodes),
        swarm_size: usize::from(args.swarm_size),
        node_bin: node_bin(),
        clock_offset_ms: args.clock_offset_ms,
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(Report::failure)
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(Report::failure)
            .context("listening for SIGTERM")?;
        let net = tokio::select! {
            net = Devnet::start_with_names(opts, &args.ons) => net.context("starting the devnet")?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        };
        let file_server = &net.file_server().server;
        ctx.note(format_args!(
            "devnet: {} nodes in swarms of {}, seed at {}, file server at {}; logs in '{}'",
            args.nodes,
            args.swarm_size,
            net.seed().addr,
            file_server.url,
            dir.display()
        ));
        if ctx.json {
            ctx.record(&Record::Devnet(DevnetRecord {
                network_file: net.network_file().display().to_string(),
                seed: net.seed().addr.to_string(),
                file_server: file_server.url.clone(),
                nodes: usize::from(args.nodes),
                swarm_size: usize::from(args.swarm_size),
            }))?;
        } else {
            ctx.line(net.network_file().display())?;
        }
        // For the commands that follow, in another shell (pasted from the README).
        if !ctx.quiet {
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                sesh::devnet::export_line(&net.network_file())
            );
        }
        ctx.note("running; interrupt (Ctrl-C) to stop every node and the file server");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        ctx.note("stopping");
        net.shutdown().await;
        Ok::<(), Report>(())
    })
}
