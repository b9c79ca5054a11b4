//! `sesh receive`: fetch new messages from our swarm through an onion path, print each once.
//!
//! Order of effects, for "never lose, never repeat", a page at a time: fetch → open (on every
//! core, handled in the page's order) → write the messages to standard output and flush →
//! record them as delivered (the seen set and the member's cursor, the whole page in one
//! transaction). A crash before the record delivers the page again on the next run; a message
//! already recorded is skipped.
//!
//! With `--save-attachments`, a message with attachments (or a sender's new avatar) is set
//! aside while the page is printed, then its files are downloaded and saved, and only then is
//! it printed and recorded with the page: delivered once its files are saved or their
//! failure is on its row. A download that failed for a reason that may pass (the network) is
//! kept in the state and tried again ([`retry_pending`]): at the start of the next run, and
//! while following, after a wait that starts at the poll interval and doubles while they
//! still fail. A crash between saving and recording saves the files again (under numbered
//! names) on the next run: repeated, never lost.
//!
//! What a sender can make sesh do is bounded: at most [`MAX_ATTACHMENTS`] files per message,
//! only ever fetched from the network's own file server (a URL naming another host is asked
//! for by its id there, and the MAC and digest decide), a missing file or a bad pointer given
//! up at once. Any attachment not saved makes the run end with exit status 4 (partial).

mod disappear;
mod save;

use std::collections::HashSet;
use std::path::Path;

use prost::Message as _;
use sesh::attachment::{self, FileUrl, content_type, extension_for, safe_file_name};
use sesh::cli::{ReceiveArgs, RowKind};
use sesh::client::RetrievedMessage;
use sesh::client::state::{Delivered, PendingAttachment};
use sesh::message::{Attachment, Message, wire};
use sesh::parallel::{self, Event, Workers};
use sesh::rpc::Namespace;
use sesh::{ErrorKind, HasKind as _, SessionId, message};

use super::message::{
    SinkRow, StdoutBuf, attachment_line, attachment_row, format_time, kind_fields, kind_record,
    kind_text, message_record, message_text_with, row_kind,
};
use super::{Ctx, NetClient, Result};
use crate::escape;
use crate::output::{AttachmentRecord, Record};
use crate::render::{self, Context as _, Report};

/// The namespace of 1:1 messages.
const NS: Namespace = Namespace::DEFAULT;

pub(crate) fn run(ctx: &Ctx, args: &ReceiveArgs) -> Result<()> {
    // Rows --only does not print are delivered all the same: a filter that would consume
    // the messages people write must be asked for as such.
    if !args.only.is_empty() && !args.only.contains(&RowKind::Message) && !args.discard_others {
        return Err(Report::with_kind(
            ErrorKind::InvalidInput,
            "--only without 'message' would consume the messages it does not print".into(),
            Some("add 'message' to --only, or pass --discard-others to consume them unseen".into()),
        ));
    }
    // Through the identity's daemon when one runs (issue 14): it holds the receive lock.
    if !args.no_daemon
        && let Some(done) = super::daemon::client::receive(ctx, args)
    {
        return done;
    }
    let identity = ctx.load_identity(&args.identity)?;
    let account = identity.session_id();
    let mut client = ctx.client()?;
    let _lock = client
        .state()
        .lock_receive(&account)
        .map_err(sesh::client::Error::State)?;
    let opts = Options {
        save_dir: args.save_attachments.as_deref(),
        include_sent: args.include_sent,
        only: &args.only,
        sink: None,
    };
    if let Some(dir) = opts.save_dir {
        check_save_dir(&client, dir)?;
        save::make_dir(dir)
            .map_err(Report::failure)
            .context(format!("making '{}'", dir.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Report::failure)
        .context("starting the async runtime")?;
    // Attachments not saved (by message hash and index): what decides the exit status.
    let mut unsaved: HashSet<(String, u32)> = HashSet::new();
    let (delivered, failed) = runtime.block_on(async {
        // When the downloads that failed are tried again next, and the wait after that.
        let mut retry_at = tokio::time::Instant::now();
        let mut retry_wait = args.interval;
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
            let round = async {
                if let Some(dir) = opts.save_dir
                    && tokio::time::Instant::now() >= retry_at
                {
                    let left = retry_pending(ctx, &mut client, &account, dir, &mut unsaved).await?;
                    // Still failing: wait longer before the next try; nothing left: the next
                    // failure is tried again after one interval.
                    retry_wait = if left == 0 {
                        args.interval
                    } else {
                        (retry_wait * 2).min(MAX_BACKOFF)
                    };
                    retry_at = tokio::time::Instant::now() + retry_wait.max(args.interval);
                }
                poll_once(
                    ctx,
                    &mut client,
                    &identity,
                    &opts,
                    args.max.map(|m| m - delivered),
                    &mut unsaved,
                )
                .await
            };
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
    let unsaved = unsaved_report(unsaved.len());
    if failed == 0 {
        return unsaved.map_or(Ok(()), Err);
    }
    if let Some(r) = unsaved {
        render::error_line(&r.message(), r.hint());
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

/// The exit status's error when `n` attachments were not saved: partial (exit 4), with a
/// line on standard error; each row already says why.
fn unsaved_report(n: usize) -> Option<Report> {
    (n > 0).then(|| {
        Report::with_kind(
            ErrorKind::Partial,
            format!("{n} attachment(s) could not be saved"),
            Some(
                "each attachment's row says why; those that failed on the network are tried \
                 again by the next receive --save-attachments"
                    .into(),
            ),
        )
    })
}

/// Refuses, before anything is fetched, a --save-attachments that cannot work: a network
/// without a file server, or a DIR that is not a directory.
fn check_save_dir(client: &NetClient, dir: &Path) -> Result<()> {
    let invalid = |message: String, hint: &str| {
        Err(Report::with_kind(
            ErrorKind::InvalidInput,
            message,
            Some(hint.to_owned()),
        ))
    };
    if client.network().file_server.is_none() {
        return invalid(
            format!(
                "--save-attachments: network '{}' has no file server",
                client.network().name
            ),
            "add a [file_server] table (url, pubkey_ed25519, pubkey_x25519) to the network \
             file, or receive without --save-attachments",
        );
    }
    if let Ok(meta) = std::fs::metadata(dir)
        && !meta.is_dir()
    {
        return invalid(
            format!("--save-attachments: '{}' is not a directory", dir.display()),
            "give a directory (it is made if missing); files go to DIR/<sender Session ID>/",
        );
    }
    Ok(())
}

/// The longest wait between polls after network failures.
pub(super) const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(300);

/// Completes when standard output is a pipe or socket whose reader has gone (as `tail -f`
/// notices): a follower whose output nobody reads stops, and frees the receive lock. Watched
/// by a detached thread, so that nothing waits for it at exit.
pub(super) fn stdout_closed() -> tokio::sync::oneshot::Receiver<()> {
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
pub(super) async fn poll_once(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &sesh::Identity,
    opts: &Options<'_>,
    budget: Option<u64>,
    unsaved: &mut HashSet<(String, u32)>,
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
    let requests = super::conversation::Requests::load(client, &account)?;
    let contacts = super::contact::names(client.state(), &account)?;
    let unsends = super::conversation::Unsends::new(account);
    let read_timers = disappear::ReadTimers::new(account);
    // When this page is read: a message that disappears after reading expires its timer
    // after this (its row says so; `read_timers` tells the swarm).
    let read_at_ms = client.network_now_ms();
    let (save, include_sent, only) = (opts.save_dir.is_some(), opts.include_sent, opts.only);
    let for_sink = opts.sink.is_some();
    let work = |(m, fresh): (&RetrievedMessage, bool)| -> Option<Opened> {
        if !fresh {
            return None;
        }
        let opened = m
            .decode_data()
            .map_err(|e| format!("not base64: {e}"))
            .and_then(|data| message::open_data(identity, &data).map_err(|e| e.to_string()));
        Some(opened.map(|msg| {
            unsends.note(&msg);
            read_timers.note(&msg, &m.hash);
            let sent = msg.timestamp_ms;
            let copy = sent_copy(&msg, &account);
            // What `sesh unsend` (or another device) stored for this account's own other
            // devices: an unsend of its own message, which names no conversation.
            let own_unsend = msg.sender == account && row_kind(&msg) == RowKind::Unsend;
            let shown = if ((copy.is_some() || own_unsend) && !include_sent)
                || !wanted(only, row_kind(&msg))
            {
                Shown::Skip
            } else if save && (!msg.attachments.is_empty() || new_avatar_possible(&msg, &account)) {
                Shown::Later(Box::new(msg))
            } else {
                // For the daemon's subscribers, the text form too, and what they filter on.
                let for_sink = for_sink.then(|| {
                    let row = render_row(
                        &msg,
                        copy,
                        false,
                        m,
                        None,
                        read_at_ms,
                        contacts.get(&msg.sender),
                    );
                    let text = requests.mark(row, &msg, false);
                    (row_kind(&msg), copy.is_some() || own_unsend, text)
                });
                Shown::Ready(
                    requests.mark(
                        render_row(
                            &msg,
                            copy,
                            json,
                            m,
                            None,
                            read_at_ms,
                            contacts.get(&msg.sender),
                        ),
                        &msg,
                        json,
                    ),
                    requests.is_request(&msg).then_some(msg.sender),
                    for_sink,
                )
            };
            (sent, shown)
        }))
    };
    let (mut delivered, mut failed) = (0u64, 0u64);
    let mut out = StdoutBuf::with(opts.sink.clone());
    // Handled in order, with their place in the page: `marks[..written]` had what they print
    // flushed.
    let mut marks: Vec<(usize, Delivered<'_>)> = Vec::with_capacity(got.messages.len());
    let mut written = 0usize;
    let mut index = 0usize;
    // Messages whose files are saved before they are printed, with their place in the page.
    let mut later: Vec<(Box<Message>, usize)> = Vec::new();
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
                if out.flush_early()? {
                    written = marks.len();
                }
                return Ok(());
            }
            Event::Item(opened) => opened,
        };
        if budget.is_some_and(|b| delivered >= b) {
            out_of_budget = true;
            return Err(None);
        }
        let m = &got.messages[index];
        index += 1;
        let hash = &m.hash;
        match opened {
            None => {}
            // Sealed and signed by its sender, yet stamped outside what a swarm may still
            // hold: a member re-serving an old message (or one forged ahead). Not shown, and
            // recorded as seen so that it is not judged again.
            Some(Ok((sent, _)))
                if !sesh::client::plausible_envelope_timestamp(sent, net.network_now_ms()) =>
            {
                if out.flush_early()? {
                    written = marks.len();
                }
                ctx.note(format_args!(
                    "warning: message {hash} ignored: sent at {}, outside what a swarm may \
                     still hold",
                    format_time(sent)
                ));
            }
            Some(Ok((_, Shown::Ready(shown, requester, for_sink)))) => {
                match for_sink {
                    None => out.push(&shown?),
                    Some((kind, own, text)) => out.push_row(SinkRow {
                        kind,
                        own,
                        json: shown?,
                        text: text?,
                    }),
                }
                if let Some(sender) = requester {
                    requests.shown(sender);
                }
                delivered += 1;
            }
            // A copy of our own message for our other devices, not asked for: delivered
            // silently.
            Some(Ok((_, Shown::Skip))) => {}
            Some(Ok((_, Shown::Later(msg)))) => {
                delivered += 1;
                later.push((msg, index - 1));
                // Recorded once it is printed, after its files are saved.
                return Ok(());
            }
            Some(Err(why)) => {
                failed += 1;
                if out.flush_early()? {
                    written = marks.len();
                }
                let line = format!("message {hash} could not be opened: {why}");
                match &opts.sink {
                    Some(sink) => sink.failed(&line),
                    None => render::error_line(&line, None),
                }
            }
        }
        // The seen set holds the hash computed from the data (a member cannot rename a
        // message to have it printed twice), for as long as a swarm may hold it (not as long
        // as the member says); the member's cursor, its own name for it.
        marks.push((
            index - 1,
            Delivered {
                hash,
                node_hash: &m.node_hash,
                expires_ms: sesh::client::seen_until(m.expiration_ms, net.network_now_ms()),
            },
        ));
        if out.is_full() {
            out.flush()?;
            written = marks.len();
        }
        Ok(())
    });
    let mut error = match handled {
        // What was not flushed yet is dropped: not recorded, it comes again.
        Err(Some(e)) => Some(e),
        Ok(()) | Err(None) => out.flush().err(),
    };
    // Written and flushed (or reported): now, and only now, they count as delivered.
    if error.is_some() {
        marks.truncate(written);
    }
    // The messages set aside: their files saved, then printed and flushed one by one, each
    // recorded only once it is out. A failure of the state or of standard output stops there.
    // The first one not printed holds the page back: nothing from it on is recorded (the
    // member's cursor must not pass it), so it and what follows come again.
    let mut held_from = later.first().map_or(usize::MAX, |(_, i)| *i);
    if let (None, Some(dir)) = (&error, opts.save_dir) {
        for (msg, i) in later {
            let m = &got.messages[i];
            let copy = sent_copy(&msg, &account);
            let step = async {
                let saved = save_message(client, &account, dir, &msg, m, unsaved).await?;
                let row = render_row(
                    &msg,
                    copy,
                    json,
                    m,
                    Some(&saved),
                    read_at_ms,
                    contacts.get(&msg.sender),
                );
                out.push(&requests.mark(row, &msg, json)?);
                out.flush()
            };
            if let Err(e) = step.await {
                held_from = i;
                error = Some(e);
                break;
            }
            if requests.is_request(&msg) {
                requests.shown(msg.sender);
            }
            marks.push((
                i,
                Delivered {
                    hash: &m.hash,
                    node_hash: &m.node_hash,
                    expires_ms: sesh::client::seen_until(m.expiration_ms, client.network_now_ms()),
                },
            ));
            held_from = usize::MAX;
        }
    }
    marks.retain(|(i, _)| *i < held_from);
    // In page order, so that the member's cursor ends on the page's last recorded message.
    marks.sort_by_key(|(i, _)| *i);
    let marks: Vec<Delivered<'_>> = marks.into_iter().map(|(_, d)| d).collect();
    requests.save(client)?;
    client
        .state()
        .mark_delivered_batch(&account, NS, &got.node, &marks)
        .map_err(sesh::client::Error::State)?;
    if let Some(e) = error {
        return Err(e);
    }
    unsends.apply(client, identity).await;
    read_timers.apply(client, identity).await;
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

/// A new message, opened (on a worker thread): its envelope time and what to do with it, or
/// why it did not open.
type Opened = std::result::Result<(u64, Shown), String>;

/// What to do with an opened message.
enum Shown {
    /// Print this; the sender when it is a message request (recorded once printed); for a
    /// sink, the row's kind, whether it is one's own, and its text form.
    Ready(
        Result<String>,
        Option<SessionId>,
        Option<(RowKind, bool, Result<String>)>,
    ),
    /// Print nothing: a copy of a message sent from another device, without --include-sent.
    Skip,
    /// Save its files first, then print it.
    Later(Box<Message>),
}

/// What `receive` was asked to do besides printing.
pub(super) struct Options<'a> {
    /// --save-attachments.
    pub(super) save_dir: Option<&'a Path>,
    /// --include-sent.
    pub(super) include_sent: bool,
    /// --only: the kinds of rows to print (empty: all but typing indicators).
    pub(super) only: &'a [RowKind],
    /// Where the rows go instead of standard output (`sesh daemon`'s subscribers).
    pub(super) sink: Option<std::sync::Arc<dyn super::message::Sink>>,
}

/// Whether `--only` (`only`) asks for rows of `kind`; without it, every kind but typing
/// indicators is printed. The others are delivered silently.
pub(super) fn wanted(only: &[RowKind], kind: RowKind) -> bool {
    if only.is_empty() {
        kind != RowKind::Typing
    } else {
        only.contains(&kind)
    }
}

/// How many times a failed download is tried (the first time included) before it is given
/// up.
const MAX_ATTEMPTS: u32 = 10;

/// The most attachments of one message that are downloaded (session-desktop's limit on what
/// it sends); the rest are reported as skipped.
const MAX_ATTACHMENTS: usize = 32;

/// Where a message's files went: per attachment the saved path or why not, and the avatar's.
#[derive(Default)]
struct Saved {
    files: Vec<std::result::Result<String, String>>,
    avatar: Option<std::result::Result<String, String>>,
}

/// The conversation of a copy of our own message sent from another device: `syncTarget`, on
/// a message from this account.
fn sent_copy<'m>(msg: &'m Message, account: &SessionId) -> Option<&'m SessionId> {
    msg.sync_target.as_ref().filter(|_| msg.sender == *account)
}

/// Whether the message names a profile picture that --save-attachments may have to save.
fn new_avatar_possible(msg: &Message, account: &SessionId) -> bool {
    msg.sender != *account && msg.profile_picture.is_some() && msg.profile_key.is_some()
}

/// A message's row, JSON or text: a `sent` row headed `to` for a copy sent from another
/// device (`copy`), with where its files were saved when they were. Read at `read_at_ms`:
/// a message that disappears after reading expires at most its timer later.
fn render_row(
    msg: &Message,
    copy: Option<&SessionId>,
    json: bool,
    m: &RetrievedMessage,
    saved: Option<&Saved>,
    read_at_ms: u64,
    contact: Option<&String>,
) -> Result<String> {
    let expires_at = disappear::expires_at(msg, m.expiration_ms, read_at_ms);
    let files = saved.map_or(&[][..], |s| s.files.as_slice());
    let avatar = saved.and_then(|s| s.avatar.as_ref());
    if let Some(fields) = kind_fields(msg) {
        if !json {
            return Ok(kind_text(msg, &fields, copy));
        }
        let mut r = kind_record(msg, fields, copy);
        r.hash = Some(m.hash.clone());
        r.expires_at = Some(expires_at);
        return serde_json::to_string(&Record::Kind(r)).map_err(Report::failure);
    }
    if json {
        let mut r = message_record(msg);
        r.hash = Some(m.hash.clone());
        r.expires_at = Some(expires_at);
        for (row, result) in r.attachments.iter_mut().zip(files) {
            match result {
                Ok(path) => row.path = Some(path.clone()),
                Err(why) => row.error = Some(why.clone()),
            }
        }
        match avatar {
            Some(Ok(path)) => r.avatar = Some(path.clone()),
            Some(Err(why)) => r.avatar_error = Some(why.clone()),
            None => {}
        }
        let record = match copy {
            Some(to) => {
                r.to = Some(to.to_string());
                Record::SentCopy(r)
            }
            None => {
                r.contact = contact.cloned();
                Record::Message(r)
            }
        };
        return serde_json::to_string(&record).map_err(Report::failure);
    }
    let mut text = message_text_with(msg, copy, files);
    if let (None, Some(name)) = (copy, contact) {
        // `from ID …` as `from NAME (ID) …`.
        let from = format!("from {}", msg.sender);
        if let Some(rest) = text.strip_prefix(&from) {
            text = format!("from {} ({}){rest}", escape::line(name), msg.sender);
        }
    }
    match avatar {
        Some(Ok(path)) => text.push_str(&format!(
            "\n{}[avatar saved as {}]",
            escape::INDENT,
            escape::line(path)
        )),
        Some(Err(why)) => text.push_str(&format!(
            "\n{}[avatar NOT SAVED: {}]",
            escape::INDENT,
            escape::line(why)
        )),
        None => {}
    }
    Ok(text)
}

/// Why a file could not be fetched, and whether trying again later may help.
struct FetchError {
    why: String,
    retry: bool,
}

impl FetchError {
    fn fatal(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            retry: false,
        }
    }
}

/// Downloads the blob `url` names through an onion path, always from the network's own file
/// server: a URL naming another host (with a `p=` key or not) is asked for by its id there
/// (session-python writes `http://filev2.getsession.org/file/<id>` whichever server it
/// uploaded to); the MAC and digest decide whether the answer is the file. A sender never
/// makes sesh contact a host of its choosing. Only failures that may pass (the network, a
/// busy server) are worth trying again; a missing file (404) is not.
async fn download(
    client: &mut NetClient,
    url: &FileUrl,
) -> std::result::Result<Vec<u8>, FetchError> {
    let Some(server) = client.network().file_server.clone() else {
        return Err(FetchError::fatal(
            "this network has no file server (no [file_server] in the network file)",
        ));
    };
    client
        .download_file(&server, &url.id)
        .await
        .map_err(|e| FetchError {
            why: format!("downloading: {e}"),
            retry: e.kind() == ErrorKind::Transient,
        })
}

/// Downloads and decrypts an attachment: the MAC and digest checked, cut to its size.
async fn fetch(client: &mut NetClient, a: &Attachment) -> std::result::Result<Vec<u8>, FetchError> {
    let url = match (a.url.as_deref(), &client.network().file_server) {
        (Some(url), _) => FileUrl::parse(url),
        // An old pointer with only a file id: on the network's file server.
        (None, Some(fs)) if a.legacy_id != 0 => FileUrl::parse(&format!(
            "{}/file/{}",
            fs.url.trim_end_matches('/'),
            a.legacy_id
        )),
        (None, _) => return Err(FetchError::fatal("the attachment has no URL")),
    }
    .map_err(|e| FetchError::fatal(e.to_string()))?;
    let key = a
        .key
        .as_deref()
        .ok_or_else(|| FetchError::fatal("the attachment has no key"))?;
    let blob = download(client, &url).await?;
    attachment::decrypt(
        &blob,
        key,
        a.digest.as_deref(),
        a.size.map(u64::from),
        url.deterministic,
    )
    .map_err(|e| FetchError::fatal(format!("refused: {e}")))
}

/// The name an attachment is saved under: the sender's, made safe; else `attachment` with
/// the extension of its content type (the sender's, else sniffed).
fn file_name_for(a: &Attachment, data: &[u8]) -> String {
    if let Some(name) = a.file_name.as_deref().filter(|n| !n.trim().is_empty()) {
        return not_avatar(safe_file_name(name));
    }
    let ext = a
        .content_type
        .as_deref()
        .and_then(extension_for)
        .or_else(|| extension_for(content_type(None, data)));
    match ext {
        Some(ext) => format!("attachment.{ext}"),
        None => "attachment".to_owned(),
    }
}

/// `name`, renamed when it could be taken for the sender's avatar (`avatar`, `avatar.*`, in
/// any case): `avatar (attachment).png`. Avatars are saved as `avatar.<ext>` and replaced
/// when they change; an attachment must never be one of them.
fn not_avatar(name: String) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext)),
        _ => (name.as_str(), None),
    };
    if !stem.eq_ignore_ascii_case("avatar") {
        return name;
    }
    match ext {
        Some(ext) => format!("{stem} (attachment).{ext}"),
        None => format!("{stem} (attachment)"),
    }
}

/// Fetches and saves attachment `index` of message `m` (from `sender`, sent at
/// `timestamp_ms`); a failure that may pass is kept to be tried again.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site each, all plain values"
)]
async fn save_one(
    client: &mut NetClient,
    account: &SessionId,
    dir: &Path,
    sender: &SessionId,
    timestamp_ms: u64,
    hash: &str,
    index: u32,
    pointer: &wire::AttachmentPointer,
    attempts: u32,
    expires_ms: u64,
    unsaved: &mut HashSet<(String, u32)>,
) -> Result<std::result::Result<String, String>> {
    let a = Attachment::from_pointer(pointer);
    let written = |e: std::io::Error| FetchError {
        why: format!("writing the file: {e}"),
        retry: true,
    };
    // The directory first: no download for a file that cannot be written.
    let result = match save::sender_dir(dir, &sender.to_string()) {
        Ok(sender_dir) => match fetch(client, &a).await {
            Ok(data) => save::save_new(&sender_dir, &file_name_for(&a, &data), &data)
                .map(|p| p.display().to_string())
                .map_err(written),
            Err(e) => Err(e),
        },
        Err(e) => Err(written(e)),
    };
    let key = (hash.to_owned(), index);
    if result.is_ok() {
        unsaved.remove(&key);
    } else {
        unsaved.insert(key);
    }
    match result {
        Ok(path) => {
            client
                .state()
                .remove_pending_attachment(account, hash, index)
                .map_err(sesh::client::Error::State)?;
            Ok(Ok(path))
        }
        Err(e) if e.retry && attempts < MAX_ATTEMPTS => {
            let pending = PendingAttachment::new(
                hash,
                index,
                *sender,
                timestamp_ms,
                pointer.encode_to_vec(),
                expires_ms,
            );
            client
                .state()
                .add_pending_attachment(account, &pending)
                .map_err(sesh::client::Error::State)?;
            Ok(Err(format!("{}; the next receive tries again", e.why)))
        }
        Err(e) => {
            client
                .state()
                .remove_pending_attachment(account, hash, index)
                .map_err(sesh::client::Error::State)?;
            Ok(Err(e.why))
        }
    }
}

/// Saves a message's attachments, and its sender's avatar when it changed.
async fn save_message(
    client: &mut NetClient,
    account: &SessionId,
    dir: &Path,
    msg: &Message,
    m: &RetrievedMessage,
    unsaved: &mut HashSet<(String, u32)>,
) -> Result<Saved> {
    let mut saved = Saved::default();
    let pointers = msg
        .content
        .data_message
        .as_ref()
        .map_or(&[][..], |d| d.attachments.as_slice());
    // Kept to retry for as long as the file server keeps files (about as long as a swarm).
    let expires_ms = m
        .expiration_ms
        .max(msg.timestamp_ms.saturating_add(FILE_TTL_MS));
    for (i, pointer) in pointers.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        if i >= MAX_ATTACHMENTS {
            unsaved.insert((m.hash.clone(), index));
            saved.files.push(Err(format!(
                "skipped: a message may carry at most {MAX_ATTACHMENTS} attachments"
            )));
            continue;
        }
        saved.files.push(
            save_one(
                client,
                account,
                dir,
                &msg.sender,
                msg.timestamp_ms,
                &m.hash,
                index,
                pointer,
                1,
                expires_ms,
                unsaved,
            )
            .await?,
        );
    }
    if new_avatar_possible(msg, account)
        && let (Some(url), Some(key)) = (&msg.profile_picture, &msg.profile_key)
    {
        let seen = client
            .state()
            .avatar_seen(account, &msg.sender)
            .map_err(sesh::client::Error::State)?;
        if seen.as_deref() != Some(url.as_str()) {
            let before = client
                .state()
                .avatar_file(account, &msg.sender)
                .map_err(sesh::client::Error::State)?;
            let result = save_avatar(client, dir, &msg.sender, url, key, before.as_deref()).await;
            if let Ok(path) = &result {
                client
                    .state()
                    .set_avatar_saved(account, &msg.sender, url, path)
                    .map_err(sesh::client::Error::State)?;
            }
            saved.avatar = Some(result);
        }
    }
    Ok(saved)
}

/// About how long a file server keeps a file (ms): 14 days.
const FILE_TTL_MS: u64 = 14 * 24 * 3600 * 1000;

/// Image extensions an avatar is saved with (`bin` for anything else).
const AVATAR_EXTENSIONS: &[&str] = &["png", "jpg", "gif", "webp", "bmp", "heic", "bin"];

/// Downloads, decrypts and saves `sender`'s avatar as DIR/<sender>/avatar.<ext>, and removes
/// the one saved before (`before`, from the state): only that file, never another
/// `avatar.*` (attachments are never saved under such a name, see [`not_avatar`]; a file of
/// that name that is not our last avatar is left alone and the new one numbered).
async fn save_avatar(
    client: &mut NetClient,
    dir: &Path,
    sender: &SessionId,
    url: &str,
    key: &[u8],
    before: Option<&str>,
) -> std::result::Result<String, String> {
    let writing = |e: std::io::Error| format!("writing the file: {e}");
    let sender_dir = save::sender_dir(dir, &sender.to_string()).map_err(writing)?;
    let url = FileUrl::parse(url).map_err(|e| e.to_string())?;
    let blob = download(client, &url).await.map_err(|e| e.why)?;
    // A deterministic avatar carries its key in the URL (`e=`).
    let key = url.profile_key.as_deref().unwrap_or(key);
    let image =
        attachment::decrypt_profile_picture(&blob, key).map_err(|e| format!("refused: {e}"))?;
    let ext = extension_for(content_type(None, &image))
        .filter(|e| AVATAR_EXTENSIONS.contains(e))
        .unwrap_or("bin");
    let name = format!("avatar.{ext}");
    let target = sender_dir.join(&name);
    let ours = before.is_some_and(|b| Path::new(b) == target);
    let path = if ours || std::fs::symlink_metadata(&target).is_err() {
        save::save_replacing(&sender_dir, &name, &image)
    } else {
        save::save_new(&sender_dir, &name, &image)
    }
    .map_err(writing)?;
    if let Some(before) = before.map(Path::new)
        && before != path
        && before.parent() == Some(sender_dir.as_path())
    {
        let _ = std::fs::remove_file(before);
    }
    Ok(path.display().to_string())
}

/// Tries again the downloads that failed earlier, printing an `attachment` row for each
/// (saved, failed again, or given up). Returns how many are still kept to try again.
async fn retry_pending(
    ctx: &Ctx,
    client: &mut NetClient,
    account: &SessionId,
    dir: &Path,
    unsaved: &mut HashSet<(String, u32)>,
) -> Result<usize> {
    let now = client.network_now_ms();
    let pending = client
        .state()
        .pending_attachments(account, now)
        .map_err(sesh::client::Error::State)?;
    let mut out = StdoutBuf::new();
    for p in pending {
        let Ok(pointer) = wire::AttachmentPointer::decode(p.pointer.as_slice()) else {
            client
                .state()
                .remove_pending_attachment(account, &p.hash, p.index)
                .map_err(sesh::client::Error::State)?;
            continue;
        };
        let result = save_one(
            client,
            account,
            dir,
            &p.sender,
            p.timestamp_ms,
            &p.hash,
            p.index,
            &pointer,
            p.attempts + 1,
            p.expires_ms,
            unsaved,
        )
        .await?;
        let a = Attachment::from_pointer(&pointer);
        let line = if ctx.json {
            let mut row = attachment_row(&a);
            match &result {
                Ok(path) => row.path = Some(path.clone()),
                Err(why) => row.error = Some(why.clone()),
            }
            serde_json::to_string(&Record::Attachment(AttachmentRecord {
                from: p.sender.to_string(),
                hash: p.hash.clone(),
                timestamp: p.timestamp_ms,
                attachment: row,
            }))
            .map_err(Report::failure)?
        } else {
            format!(
                "from {} at {} (message {}, again)\n{}",
                p.sender,
                format_time(p.timestamp_ms),
                p.hash,
                attachment_line(&a, Some(&result))
            )
        };
        out.push(&line);
        out.flush()?;
    }
    let now = client.network_now_ms();
    let left = client
        .state()
        .pending_attachments(account, now)
        .map_err(sesh::client::Error::State)?;
    Ok(left.len())
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;
    use sesh::identity::Seed;
    use sesh::message::wire::{AttachmentPointer, Content, DataMessage};

    use super::*;

    /// `content` as `open` gives it, sent by `from` to itself.
    fn opened(from: &sesh::Identity, content: Content) -> Message {
        let mut content = content;
        content.sig_timestamp = Some(1_800_000_000_000);
        let data = message::seal_content(
            from,
            &from.session_id(),
            &content,
            1_800_000_000_000,
            &mut OsRng,
        )
        .expect("seals");
        message::open_data(from, &data).expect("opens")
    }

    fn me() -> sesh::Identity {
        sesh::Identity::from_seed(Seed::from_legacy(&[1; 16]))
    }

    #[test]
    fn attachment_lines_escape_the_senders_words_and_say_where_files_went() {
        let msg = opened(
            &me(),
            Content {
                data_message: Some(DataMessage {
                    attachments: vec![
                        AttachmentPointer {
                            file_name: Some("../x\n from 05ff at 2020".into()),
                            content_type: Some("text/plain\u{1b}[2J".into()),
                            size: Some(3),
                            url: Some("http://h/file/1".into()),
                            ..AttachmentPointer::default()
                        },
                        AttachmentPointer::default(),
                    ],
                    ..DataMessage::default()
                }),
                ..Content::default()
            },
        );
        assert_eq!(msg.attachments.len(), 2);
        let text = message_text_with(&msg, None, &[Ok("/d/x".into()), Err("refused: MAC".into())]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(
            lines[1],
            "  [attachment ../x\\n from 05ff at 2020, text/plain\\u{1b}[2J, 3 bytes] \
             http://h/file/1 saved as /d/x"
        );
        assert_eq!(lines[2], "  [attachment] NOT SAVED: refused: MAC");
    }

    #[test]
    fn sync_copies_are_recognised_only_from_this_account() {
        let me = me();
        let other = sesh::Identity::from_seed(Seed::from_legacy(&[2; 16]));
        let copy = |target: &str| Content {
            data_message: Some(DataMessage {
                body: Some("hi".into()),
                sync_target: Some(target.into()),
                ..DataMessage::default()
            }),
            ..Content::default()
        };
        let to = other.session_id();
        let msg = opened(&me, copy(&to.to_string()));
        assert_eq!(sent_copy(&msg, &me.session_id()), Some(&to));
        // Another account's message naming a syncTarget is not ours to call a copy.
        assert_eq!(sent_copy(&msg, &to), None);
        // Nor is a syncTarget that is not a Session ID.
        let msg = opened(&me, copy("not an id"));
        assert_eq!(sent_copy(&msg, &me.session_id()), None);
        let text = message_text_with(&msg, Some(&to), &[]);
        assert!(text.starts_with(&format!("to {to} at ")), "{text}");
    }

    #[test]
    fn unnamed_attachments_are_named_by_their_type() {
        let a = |ct: Option<&str>, name: Option<&str>| {
            Attachment::from_pointer(&AttachmentPointer {
                content_type: ct.map(Into::into),
                file_name: name.map(Into::into),
                ..AttachmentPointer::default()
            })
        };
        assert_eq!(
            file_name_for(&a(Some("image/png"), None), b""),
            "attachment.png"
        );
        assert_eq!(
            file_name_for(&a(None, Some("  ")), b"%PDF-1.4"),
            "attachment.pdf"
        );
        assert_eq!(file_name_for(&a(None, None), b"\0\x01"), "attachment");
        assert_eq!(
            file_name_for(&a(None, Some("../../etc/passwd")), b""),
            "passwd"
        );
    }

    #[test]
    fn attachments_are_never_named_like_the_avatar() {
        let a = |name: &str| {
            file_name_for(
                &Attachment::from_pointer(&AttachmentPointer {
                    file_name: Some(name.into()),
                    ..AttachmentPointer::default()
                }),
                b"",
            )
        };
        assert_eq!(a("avatar.png"), "avatar (attachment).png");
        assert_eq!(a("AVATAR.JPG"), "AVATAR (attachment).JPG");
        assert_eq!(a("../Avatar.webp"), "Avatar (attachment).webp");
        assert_eq!(a("avatar"), "avatar (attachment)");
        assert_eq!(a("avatar.tar.gz"), "avatar.tar.gz");
        assert_eq!(a("my avatar.png"), "my avatar.png");
    }
}
