//! `sesh receive`: fetch new messages from our swarm through an onion path, print each once.
//!
//! Order of effects, for "never lose, never repeat", a page at a time: fetch → open (on every
//! core, handled in the page's order) → write the messages to standard output and flush →
//! record them as delivered (the seen set and the member's cursor, the whole page in one
//! transaction). A crash before the record delivers the page again on the next run; a message
//! already recorded is skipped.

use std::collections::HashSet;

use sesh::cli::ReceiveArgs;
use sesh::client::RetrievedMessage;
use sesh::client::state::Delivered;
use sesh::parallel::{self, Event, Workers};
use sesh::rpc::Namespace;
use sesh::{ErrorKind, message};

use super::message::{StdoutBuf, format_time, message_record, message_text};
use super::{Ctx, Result};
use crate::output::Record;
use crate::render::{self, Context as _, Report};

/// The namespace of 1:1 messages.
const NS: Namespace = Namespace::DEFAULT;

pub(crate) fn run(ctx: &Ctx, args: &ReceiveArgs) -> Result<()> {
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
        .map_err(Report::failure)
        .context("starting the async runtime")?;
    let (delivered, failed) = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(Report::failure)
            .context("listening for SIGTERM")?;
        let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);
        let mut stdout_closed = stdout_closed();
        let (mut delivered, mut failed) = (0u64, 0u64);
        let mut backoff = args.interval;
        loop {
            let round = poll_once(ctx, &mut client, &identity, args.max.map(|m| m - delivered));
            let result = tokio::select! {
                r = round => r,
                () = &mut until_deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = &mut stdout_closed => break,
            };
            let (d, f, more) = match result {
                Ok(r) => {
                    backoff = args.interval;
                    r
                }
                // Following, a network failure is weathered: say so, wait longer, go on.
                Err(e) if args.follow && e.kind() == ErrorKind::Transient => {
                    // Heal: read the shared state again (another sesh may have refreshed the
                    // pool), and let the next round refetch a pool that does not work.
                    client.reload();
                    ctx.note(format_args!(
                        "warning: {}; trying again in {}",
                        e.message(),
                        humantime::format_duration(backoff)
                    ));
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut until_deadline => break,
                        _ = tokio::signal::ctrl_c() => break,
                        _ = term.recv() => break,
                        _ = &mut stdout_closed => break,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                Err(e) => return Err(e),
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
                _ = &mut stdout_closed => break,
            }
        }
        Ok::<_, Report>((delivered, failed))
    })?;
    if failed == 0 {
        return Ok(());
    }
    Err(Report::summary(
        if delivered == 0 {
            ErrorKind::Failure
        } else {
            ErrorKind::Partial
        },
        format!("{failed} message(s) could not be opened"),
    ))
}

/// The longest wait between polls after network failures.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(300);

/// Completes when standard output is a pipe or socket whose reader has gone (as `tail -f`
/// notices): a follower whose output nobody reads stops, and frees the receive lock. Watched
/// by a detached thread, so that nothing waits for it at exit.
fn stdout_closed() -> tokio::sync::oneshot::Receiver<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    let (tx, rx) = tokio::sync::oneshot::channel();
    let is_pipe = rustix::fs::fstat(std::io::stdout())
        .map(|st| {
            let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
            matches!(
                kind,
                rustix::fs::FileType::Fifo | rustix::fs::FileType::Socket
            )
        })
        .unwrap_or(false);
    if is_pipe {
        std::thread::spawn(move || {
            let stdout = std::io::stdout();
            loop {
                let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
                match poll(&mut fds, None) {
                    Ok(_) if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) => {
                        let _ = tx.send(());
                        return;
                    }
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(_) => return,
                }
            }
        });
    } else {
        // Never completes: a file or terminal does not go away.
        std::mem::forget(tx);
    }
    rx
}

/// One retrieve: prints what is new; returns (delivered, failed, more).
///
/// The page's new messages are opened on every core ([`parallel::ordered_map`]) and handled
/// in the page's order; what they print is flushed, and only then is the page recorded as
/// delivered, in one transaction. A write that fails records only what was flushed before
/// it: the rest comes again on the next run (repeated, never lost).
async fn poll_once(
    ctx: &Ctx,
    client: &mut super::NetClient,
    identity: &sesh::Identity,
    budget: Option<u64>,
) -> Result<(u64, u64, bool)> {
    let account = identity.session_id();
    // One cursor per swarm member: their lists need not agree (see `retrieve_by_node`).
    let cursors = client
        .state()
        .node_cursors(&account, NS)
        .map_err(sesh::client::Error::State)?;
    let got = client.retrieve_by_node(identity, NS, &cursors).await?;
    // Hashes are computed by the client from the data: a member cannot rename a message.
    let seen = client
        .state()
        .seen_among(&account, NS, got.messages.iter().map(|m| m.hash.as_str()))
        .map_err(sesh::client::Error::State)?;
    // Opened only when neither delivered before nor earlier in this page (a member may
    // serve one message twice under two names).
    let mut in_page = HashSet::new();
    let fresh: Vec<bool> = got
        .messages
        .iter()
        .map(|m| !seen.contains(&m.hash) && in_page.insert(m.hash.as_str()))
        .collect();
    let json = ctx.json;
    let work = |(m, fresh): (&RetrievedMessage, bool)| -> Option<Opened> {
        if !fresh {
            return None;
        }
        let opened = m
            .decode_data()
            .map_err(|e| format!("not base64: {e}"))
            .and_then(|data| message::open_data(identity, &data).map_err(|e| e.to_string()));
        Some(opened.map(|msg| {
            let shown = if json {
                let mut r = message_record(&msg);
                r.hash = Some(m.hash.clone());
                r.expires_at = Some(m.expiration_ms);
                serde_json::to_string(&Record::Message(r)).map_err(Report::failure)
            } else {
                Ok(message_text(&msg))
            };
            (msg.timestamp_ms, shown)
        }))
    };
    let (mut delivered, mut failed) = (0u64, 0u64);
    let mut out = StdoutBuf::new();
    // Handled in order: `marks[..written]` had what they print flushed.
    let mut marks: Vec<Delivered<'_>> = Vec::with_capacity(got.messages.len());
    let mut written = 0usize;
    let mut out_of_budget = false;
    let net = &*client;
    let items = got.messages.iter().zip(fresh.iter().copied());
    // Threads only when there is something to open (a poll that finds nothing new, as most
    // polls of --follow do, spawns none).
    let workers = if fresh.contains(&true) {
        super::workers()
    } else {
        Workers::new(1)
    };
    let handled = parallel::ordered_map(workers, items, work, |event| {
        let opened = match event {
            Event::Idle => {
                out.flush()?;
                written = marks.len();
                return Ok(());
            }
            Event::Item(opened) => opened,
        };
        if budget.is_some_and(|b| delivered >= b) {
            out_of_budget = true;
            return Err(None);
        }
        let m = &got.messages[marks.len()];
        let hash = &m.hash;
        match opened {
            None => {}
            // Sealed and signed by its sender, yet stamped outside what a swarm may still
            // hold: a member re-serving an old message (or one forged ahead). Not shown, and
            // recorded as seen so that it is not judged again.
            Some(Ok((sent, _)))
                if !sesh::client::plausible_envelope_timestamp(sent, net.network_now_ms()) =>
            {
                out.flush()?;
                written = marks.len();
                ctx.note(format_args!(
                    "warning: message {hash} ignored: sent at {}, outside what a swarm may \
                     still hold",
                    format_time(sent)
                ));
            }
            Some(Ok((_, shown))) => {
                out.push(&shown?);
                delivered += 1;
            }
            Some(Err(why)) => {
                failed += 1;
                out.flush()?;
                written = marks.len();
                render::error_line(&format!("message {hash} could not be opened: {why}"), None);
            }
        }
        // The seen set holds the hash computed from the data (a member cannot rename a
        // message to have it printed twice), for as long as a swarm may hold it (not as long
        // as the member says); the member's cursor, its own name for it.
        marks.push(Delivered {
            hash,
            node_hash: &m.node_hash,
            expires_ms: sesh::client::seen_until(m.expiration_ms, net.network_now_ms()),
        });
        if out.is_full() {
            out.flush()?;
            written = marks.len();
        }
        Ok(())
    });
    let error = match handled {
        // What was not flushed yet is dropped: not recorded, it comes again.
        Err(Some(e)) => Some(e),
        Ok(()) | Err(None) => out.flush().err(),
    };
    // Written and flushed (or reported): now, and only now, they count as delivered.
    if error.is_some() {
        marks.truncate(written);
    }
    client
        .state()
        .mark_delivered_batch(&account, NS, &got.node, &marks)
        .map_err(sesh::client::Error::State)?;
    if let Some(e) = error {
        return Err(e);
    }
    if out_of_budget {
        return Ok((delivered, failed, true));
    }
    // Messages dropped as implausible after the last one kept: move past them.
    let last_kept = got.messages.last().map(|m| &m.node_hash);
    if let Some(last) = &got.last_node_hash
        && last_kept != Some(last)
    {
        client
            .state()
            .skip_to(&account, NS, &got.node, last)
            .map_err(sesh::client::Error::State)?;
    }
    Ok((delivered, failed, got.more))
}

/// A new message, opened (on a worker thread): its envelope time and what to print, or why
/// it did not open.
type Opened = std::result::Result<(u64, Result<String>), String>;
