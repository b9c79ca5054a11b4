//! `sesh delete` and `sesh unsend`: delete messages from one's own swarm (signed `delete` /
//! `delete_all`, §4.3), and take back a message sent (a `delete` of its copy in one's own
//! swarm, then an unsend message to its recipient and to one's own swarm).

use rand_core::OsRng;
use sesh::cli::{DeleteArgs, UnsendArgs};
use sesh::client::{DeleteOutcome, SentMessage};
use sesh::message::wire::{Content, Unsend};
use sesh::rpc::limits::MAX_TTL_PUBLIC_MS;
use sesh::{ErrorKind, Identity};

use sesh::rpc::{self, Namespace};

use super::send::store;
use super::{Ctx, NetClient, Result, runtime};
use crate::escape;
use crate::output::{DeletedRecord, Record, UnsentRecord};
use crate::render::Report;

pub(crate) fn delete(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let identity = ctx.load_identity(&args.identity)?;
    let mut client = ctx.client()?;
    let rt = runtime()?;
    let outcome = rt.block_on(async {
        if args.all {
            client.delete_all_messages(&identity).await
        } else {
            client.delete_messages(&identity, &args.hashes).await
        }
    })?;
    // Of `delete HASH…`, only the hashes asked for are reported (`Client::delete_messages`):
    // each one no member deleted is said.
    if !args.all {
        for h in args.hashes.iter().filter(|h| !outcome.deleted.contains(h)) {
            ctx.note(format_args!(
                "warning: no member of your swarm deleted {} (mistyped, expired, or already \
                 deleted?)",
                escape::line(h)
            ));
        }
    }
    if ctx.json {
        ctx.record(&Record::Deleted(DeletedRecord {
            deleted: outcome.deleted.clone(),
            confirmed: outcome.confirmed,
            members: outcome.members,
        }))?;
    } else {
        // Escaped: after `delete --all`, these strings are the members' own.
        for h in &outcome.deleted {
            ctx.line(escape::line(h))?;
        }
    }
    ctx.note(format_args!(
        "{} message(s) deleted; {} of {} swarm member(s) confirmed",
        outcome.deleted.len(),
        outcome.confirmed,
        outcome.members
    ));
    unconfirmed(&outcome)
}

/// Exit status 4 when some members of the swarm did not confirm a deletion.
fn unconfirmed(outcome: &DeleteOutcome) -> Result<()> {
    if outcome.complete() {
        return Ok(());
    }
    Err(Report::with_kind(
        ErrorKind::Partial,
        format!(
            "only {} of {} swarm members confirmed the deletion",
            outcome.confirmed, outcome.members
        ),
        Some("run the command again: a member that missed it may keep the messages".into()),
    ))
}

pub(crate) fn unsend(ctx: &Ctx, args: &UnsendArgs) -> Result<()> {
    let identity = ctx.load_identity(&args.identity)?;
    let me = identity.session_id();
    let mut client = ctx.client()?;
    let sent = recorded(&mut client, &me, &args.hashes)?;
    let rt = runtime()?;
    let complete = rt.block_on(unsend_all(ctx, &mut client, &identity, &sent, &mut |r| {
        if ctx.json {
            ctx.record(&Record::Unsent(r))
        } else {
            ctx.line(format_args!("{} {}", r.to, r.hash))
        }
    }))?;
    if !complete {
        return Err(Report::with_kind(
            ErrorKind::Partial,
            "the unsend messages were sent, but not every member of your swarm confirmed \
             deleting the copies"
                .into(),
            Some("delete them with 'sesh delete HASH'".into()),
        ));
    }
    Ok(())
}

/// The messages `hashes` name, as `sesh send` recorded them: every one known before
/// anything is sent (exit status 2 for one that is not).
pub(crate) fn recorded(
    client: &mut NetClient,
    me: &sesh::SessionId,
    hashes: &[String],
) -> Result<Vec<SentMessage>> {
    let mut sent = Vec::with_capacity(hashes.len());
    for hash in hashes {
        match client.state().sent_message(me, hash)? {
            Some(s) => sent.push(s),
            None => {
                return Err(Report::with_kind(
                    ErrorKind::InvalidInput,
                    format!("no message sent with hash {hash} is recorded"),
                    Some("give a hash 'sesh send' printed, from this state directory".into()),
                ));
            }
        }
    }
    Ok(sent)
}

/// Takes back each of `sent` in turn ([`unsend_one`]), giving `done` its row once it is
/// done: whether every member of one's swarm confirmed deleting the copies.
pub(crate) async fn unsend_all(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &Identity,
    sent: &[SentMessage],
    done: &mut dyn FnMut(UnsentRecord) -> Result<()>,
) -> Result<bool> {
    let mut partial = false;
    let mut last_ms = 0;
    for (i, s) in sent.iter().enumerate() {
        let deleted = unsend_one(ctx, client, identity, s, &mut last_ms)
            .await
            .map_err(|r| {
                let r = r.context(format!("unsending {} (to {})", s.hash, s.recipient.short()));
                if i == 0 {
                    r
                } else {
                    r.with_hint(Some(
                        "the hashes before it were unsent; run 'sesh unsend' again with the \
                         others"
                            .into(),
                    ))
                }
            })?;
        let complete = deleted.as_ref().is_none_or(DeleteOutcome::complete);
        partial |= !complete;
        let deleted = deleted.map(|d| d.deleted).unwrap_or_default();
        done(UnsentRecord {
            hash: s.hash.clone(),
            to: s.recipient.to_string(),
            timestamp: s.timestamp_ms,
            deleted,
        })?;
    }
    Ok(!partial)
}

/// Deletes the copy of `s` in one's own swarm, then sends the unsend message for it to its
/// recipient and to one's own swarm (in the apps' order: a deletion that fails sends
/// nothing, and the command can be run again): what the deletion did, when there was a copy.
/// The unsend is stamped after `after_ms` (one per message, strictly increasing, as the apps
/// stamp them: a receiver may drop two alike); `after_ms` becomes its timestamp.
async fn unsend_one(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &Identity,
    s: &SentMessage,
    after_ms: &mut u64,
) -> Result<Option<DeleteOutcome>> {
    let me = identity.session_id();
    // The copy in one's own swarm: the sync copy, or the message itself when sent to oneself.
    let copy = if s.recipient == me {
        Some(s.hash.clone())
    } else {
        s.sync_hash.clone()
    };
    let deleted = match copy {
        Some(copy) => Some(client.delete_messages(identity, &[copy]).await?),
        None => None,
    };
    let timestamp = client
        .settled_now_ms()
        .await
        .max(after_ms.saturating_add(1));
    *after_ms = timestamp;
    let content = Content {
        unsend_request: Some(Unsend {
            timestamp: s.timestamp_ms,
            author: me.to_string(),
        }),
        sig_timestamp: Some(timestamp),
        ..Content::default()
    };
    let mut targets = vec![s.recipient];
    if s.recipient != me {
        targets.push(me);
    }
    for to in &targets {
        let data = sesh::message::seal_content(identity, to, &content, timestamp, &mut OsRng)
            .map_err(Report::failure)?;
        let hash = rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
        let b64 = sesh::message::to_base64(&data);
        // As every message is stored: again once with the node's time after a clock
        // complaint, and the swarm's hash checked.
        store(ctx, client, to, &b64, &hash, MAX_TTL_PUBLIC_MS, timestamp)
            .await
            .map_err(|e| e.report(to))?;
    }
    Ok(deleted)
}
