//! `sesh send`: seal a message for each recipient and store it in their swarm through an
//! onion path.

use std::io::Write as _;

use rand_core::OsRng;
use sesh::cli::SendArgs;
use sesh::message::{self, Outgoing};
use sesh::rpc::{self, Namespace};
use sesh::{ErrorKind, HasKind as _, SessionId};

use super::message::{load_sender, parse_recipient};
use super::{Ctx, Failed, block_on};

pub(crate) fn run(ctx: &Ctx, args: &SendArgs) -> anyhow::Result<()> {
    // Resolve everything before touching the network.
    let recipients = args
        .recipients
        .iter()
        .map(|r| parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    let ttl_ms = u64::try_from(args.ttl.as_millis()).unwrap_or(u64::MAX);
    if !(10_000..=14 * 86_400_000).contains(&ttl_ms) {
        return Err(sesh::Error::Input(format!(
            "--ttl must be between 10s and 14d, not {}",
            humantime::format_duration(args.ttl)
        ))
        .into());
    }
    let (identity, text) = load_sender(ctx, &args.identity, args.message.as_ref())?;
    if text.is_empty() && args.message.is_none() {
        return Err(sesh::Error::Input(
            "the message is empty (standard input had no text); give -m '' to send an empty one"
                .to_owned(),
        )
        .into());
    }
    let mut out = Outgoing::new(text);
    out.display_name.clone_from(&args.name);
    // A message too long to seal is the input's fault: say so before touching the network.
    message::seal(&identity, &recipients[0], &out, 0, &mut OsRng).map_err(sesh::Error::Seal)?;

    let mut client = ctx.client()?;
    let mut out_err: Option<anyhow::Error> = None;
    let mut failures: Vec<ErrorKind> = Vec::new();
    block_on(async {
        for to in &recipients {
            let result = send_one(&mut client, &identity, to, &out, ttl_ms).await;
            match result {
                Ok((hash, timestamp)) => {
                    let printed = if ctx.json {
                        ctx.json_line(&serde_json::json!({
                            "type": "sent", "to": to, "hash": hash, "timestamp": timestamp,
                        }))
                    } else {
                        ctx.line(format_args!("{to} {hash}"))
                    };
                    // A closed standard output does not stop the other recipients' sends.
                    if let Err(e) = printed {
                        out_err.get_or_insert(e);
                    }
                }
                Err(e) => {
                    let kind = e.kind();
                    failures.push(kind);
                    let _ = std::io::stdout().flush();
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "sesh: error: sending to {}: {e:#}", to.short());
                    if let Some(h) = e.hint() {
                        let _ = writeln!(err, "hint: {h}");
                    }
                }
            }
        }
        anyhow::Ok(())
    })??;
    if failures.is_empty() {
        return out_err.map_or(Ok(()), Err);
    }
    let kind = if failures.len() < recipients.len() {
        ErrorKind::Partial
    } else if failures.iter().all(|k| *k == ErrorKind::Transient) {
        ErrorKind::Transient
    } else {
        ErrorKind::Failure
    };
    Err(Failed {
        kind,
        message: format!(
            "{} of {} recipients failed",
            failures.len(),
            recipients.len()
        ),
    }
    .into())
}

/// Seals once and stores; the client retries the same payload on other paths and members,
/// so a retry cannot store a second message. When a node says our clock is off even after
/// the client resynchronised, the same payload is stored again with the corrected store
/// timestamp (the message keeps the time it was sealed with; its hash, which covers only the
/// payload, stays the same).
async fn send_one(
    client: &mut super::NetClient,
    identity: &sesh::Identity,
    to: &SessionId,
    out: &Outgoing,
    ttl_ms: u64,
) -> Result<(String, u64), SendError> {
    let timestamp = client.network_now_ms();
    let data = message::seal(identity, to, out, timestamp, &mut OsRng)
        .map_err(|e| SendError::Lib(sesh::Error::Seal(e).into()))?;
    let b64 = message::to_base64(&data);
    let hash = rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
    let mut store_ts = timestamp;
    let mut retried = false;
    loop {
        match client.store(to, &b64, ttl_ms, store_ts).await {
            Ok(o) => return Ok((o.hash, timestamp)),
            Err(sesh::client::Error::ClockOutOfSync { .. }) if !retried => {
                retried = true;
                store_ts = client.network_now_ms();
            }
            // The request may have reached the swarm before the path failed: name the hash
            // it would have, so that a re-run can be checked rather than doubled.
            Err(e) if e.kind() == ErrorKind::Transient => return Err(SendError::Unknown(e, hash)),
            Err(e) => return Err(SendError::Client(e)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error(transparent)]
    Client(sesh::client::Error),
    #[error("{0}")]
    Unknown(sesh::client::Error, String),
    #[error(transparent)]
    Lib(anyhow::Error),
}

impl SendError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Client(e) | Self::Unknown(e, _) => e.kind(),
            Self::Lib(_) => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Client(e) => e.hint(),
            Self::Unknown(_, hash) => Some(format!(
                "it may have been stored anyway, with hash {hash}; re-running sends another copy"
            )),
            Self::Lib(_) => None,
        }
    }
}
