//! `sesh receive`: fetch new messages from our swarm through an onion path, print each once.
//!
//! Order of effects, for "never lose, never repeat": fetch → open → write the message to
//! standard output and flush → record it as delivered (the cursor and the seen set, in one
//! transaction). A crash before the record delivers the message again on the next run; a
//! message already recorded is skipped.

use anyhow::Context as _;
use sesh::cli::ReceiveArgs;
use sesh::rpc::Namespace;
use sesh::{ErrorKind, message};
use std::io::Write as _;

use super::message::{message_json, message_text};
use super::{Ctx, Failed};

/// The namespace of 1:1 messages.
const NS: Namespace = Namespace::DEFAULT;

pub(crate) fn run(ctx: &Ctx, args: &ReceiveArgs) -> anyhow::Result<()> {
    let identity = ctx.load_identity(&args.identity)?;
    let account = identity.session_id();
    let mut client = ctx.client()?;
    let _lock = client
        .state()
        .lock_receive(&account)
        .map_err(sesh::client::Error::State)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (delivered, failed) = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);
        let (mut delivered, mut failed) = (0u64, 0u64);
        loop {
            let round = poll_once(ctx, &mut client, &identity, args.max.map(|m| m - delivered));
            let (d, f, more) = tokio::select! {
                r = round => r?,
                () = &mut until_deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            };
            delivered += d;
            failed += f;
            if args.max.is_some_and(|m| delivered >= m) {
                break;
            }
            if more {
                continue;
            }
            if !args.follow {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(args.interval) => {}
                () = &mut until_deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            }
        }
        anyhow::Ok((delivered, failed))
    })?;
    let now = client.network_now_ms();
    let _ = client.state().prune_seen(now);
    if failed == 0 {
        return Ok(());
    }
    Err(Failed {
        kind: if delivered == 0 {
            ErrorKind::Failure
        } else {
            ErrorKind::Partial
        },
        message: format!("{failed} message(s) could not be opened"),
    }
    .into())
}

/// One retrieve: prints what is new; returns (delivered, failed, more).
async fn poll_once(
    ctx: &Ctx,
    client: &mut super::NetClient,
    identity: &sesh::Identity,
    budget: Option<u64>,
) -> anyhow::Result<(u64, u64, bool)> {
    let account = identity.session_id();
    let last = client
        .state()
        .cursor(&account, NS)
        .map_err(sesh::client::Error::State)?;
    let got = client.retrieve(identity, NS, last.as_deref()).await?;
    let (mut delivered, mut failed) = (0u64, 0u64);
    for m in got.messages {
        if budget.is_some_and(|b| delivered >= b) {
            return Ok((delivered, failed, true));
        }
        let seen = client
            .state()
            .is_seen(&account, NS, &m.hash)
            .map_err(sesh::client::Error::State)?;
        if !seen {
            let opened = m
                .decode_data()
                .map_err(|e| format!("not base64: {e}"))
                .and_then(|data| message::open_data(identity, &data).map_err(|e| e.to_string()));
            match opened {
                Ok(msg) => {
                    if ctx.json {
                        let mut o = message_json(&msg);
                        o.insert("hash".into(), m.hash.clone().into());
                        o.insert("expires_at".into(), m.expiration_ms.into());
                        ctx.json_line(&serde_json::Value::Object(o))?;
                    } else {
                        ctx.line(message_text(&msg))?;
                    }
                    delivered += 1;
                }
                Err(why) => {
                    failed += 1;
                    let _ = std::io::stdout().flush();
                    let _ = writeln!(
                        std::io::stderr(),
                        "sesh: error: message {} could not be opened: {why}",
                        m.hash
                    );
                }
            }
        }
        // Written and flushed (or reported): now, and only now, it counts as delivered.
        client
            .state()
            .mark_delivered(&account, NS, &m.hash, m.expiration_ms)
            .map_err(sesh::client::Error::State)?;
    }
    Ok((delivered, failed, got.more))
}
