//! The other side of [`super`]: `sesh send` through the daemon that runs for its identity,
//! when one does.
//!
//! Detection is by connecting: no socket at [`daemon_socket`], or a socket nobody listens on
//! (a daemon that was killed), and the command works alone, silently. A daemon that answers
//! serves the request; its errors are the command's, with the exit status it carries
//! (`data.exit_status`, from `data.kind`), and what the command prints is what it prints
//! alone: a line (or `--json` record) per message sent, an error line per recipient that
//! failed, exit 4 when some did.
//!
//! Once a request is written the command never falls back: a daemon that dies before
//! answering may have sent the message, and sending it alone would send it twice.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};
use sesh::cli::{DisappearAfter, SendArgs};
use sesh::{ErrorKind, SessionId};

use super::super::{Ctx, Result};
use crate::output::{Record, SentAttachment, SentRecord};
use crate::render::{self, Context as _, Report};

/// Where the daemon for `identity` listens: the default socket for it and the network
/// ([`super::default_socket`]). The one place a configured socket is to be plugged in.
pub(crate) fn daemon_socket(ctx: &Ctx, identity: &SessionId) -> Result<PathBuf> {
    let network = ctx.network()?;
    super::default_socket(ctx, &network, identity)
}

/// A connection to a running daemon.
pub(crate) struct Conn {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next: u64,
    path: PathBuf,
}

/// How a call went wrong after it was written.
pub(crate) enum CallError {
    /// The daemon answered with an error: the command's.
    Answered(Report),
    /// The connection broke, or the answer was not one.
    Broken(Report),
}

impl CallError {
    pub(crate) fn report(self) -> Report {
        match self {
            Self::Answered(r) | Self::Broken(r) => r,
        }
    }
}

impl Conn {
    /// Connects to the daemon for `identity`; `None` when none runs there (no socket, or no
    /// one listening), or when the one there serves another identity.
    pub(crate) fn to_daemon_of(ctx: &Ctx, identity: &SessionId) -> Option<Self> {
        let path = daemon_socket(ctx, identity).ok()?;
        let stream = match UnixStream::connect(&path) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return None;
            }
            Err(e) => {
                ctx.note(format_args!(
                    "warning: not using the daemon at '{}' ({e}); working alone",
                    path.display()
                ));
                return None;
            }
        };
        let writer = stream.try_clone().ok()?;
        let mut conn = Self {
            reader: BufReader::new(stream),
            writer,
            next: 1,
            path,
        };
        // The socket is named by the ID's first 64 bits: make sure it is this identity's.
        let id = conn.call("id", json!({})).ok()?;
        if id["session_id"].as_str() != Some(identity.to_string().as_str()) {
            ctx.note(format_args!(
                "warning: the daemon at '{}' serves another identity; working alone",
                conn.path.display()
            ));
            return None;
        }
        Some(conn)
    }

    /// Calls `method` and waits for its answer (notifications before it are skipped).
    pub(crate) fn call(
        &mut self,
        method: &str,
        params: Value,
    ) -> std::result::Result<Value, CallError> {
        let id = self.next;
        self.next += 1;
        let mut line =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        line.push('\n');
        let broken = |what: String| {
            CallError::Broken(Report::with_kind(
                ErrorKind::Failure,
                what,
                Some("look at the daemon's log; pass --no-daemon to work without it".to_owned()),
            ))
        };
        self.writer
            .write_all(line.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|e| {
                broken(format!(
                    "writing to the daemon at '{}': {e}",
                    self.path.display()
                ))
            })?;
        loop {
            let mut answer = String::new();
            match self.reader.read_line(&mut answer) {
                Ok(0) => {
                    return Err(broken(format!(
                        "the daemon at '{}' closed the connection before answering '{method}'",
                        self.path.display()
                    )));
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(broken(format!(
                        "reading from the daemon at '{}': {e}",
                        self.path.display()
                    )));
                }
            }
            let v: Value = serde_json::from_str(&answer)
                .map_err(|e| broken(format!("the daemon's answer is not JSON: {e}")))?;
            if v.get("id") != Some(&json!(id)) {
                continue;
            }
            if let Some(e) = v.get("error") {
                return Err(CallError::Answered(error_report(e)));
            }
            return Ok(v.get("result").cloned().unwrap_or(Value::Null));
        }
    }
}

/// The command's error from a JSON-RPC error: a sesh error keeps its kind (and so the
/// command's exit status) and hint; any other (the daemon did not understand the request)
/// is a failure.
fn error_report(e: &Value) -> Report {
    let message = e["message"]
        .as_str()
        .unwrap_or("the daemon refused the request");
    let data = &e["data"];
    let kind = match (data["kind"].as_str(), data["exit_status"].as_u64()) {
        (Some("invalid_input"), _) | (None, Some(2)) => ErrorKind::InvalidInput,
        (Some("transient"), _) | (None, Some(3)) => ErrorKind::Transient,
        (Some("partial"), _) | (None, Some(4)) => ErrorKind::Partial,
        _ => ErrorKind::Failure,
    };
    let hint = match data["hint"].as_str() {
        Some(h) => Some(h.to_owned()),
        None if e["code"].as_i64() != Some(super::jsonrpc::SESH_ERROR) => {
            Some("the daemon may be another version; pass --no-daemon to work alone".to_owned())
        }
        None => None,
    };
    Report::with_kind(kind, message.to_owned(), hint)
}

/// `sesh send` through the daemon: `None` when there is none (or the send is one it cannot
/// take), so that the command works alone.
pub(crate) fn send(ctx: &Ctx, args: &SendArgs) -> Option<Result<()>> {
    // An attachment from standard input, or an identity from it: the daemon takes files by
    // path only, and reading the identity here would leave nothing for working alone.
    // Those sends work alone (the daemon's receive lock does not stand in a send's way).
    if args.attach.iter().any(|a| super::super::is_stdio(a))
        || args
            .identity
            .identity
            .as_deref()
            .is_some_and(super::super::is_stdio)
    {
        return None;
    }
    // Durations the daemon takes in whole seconds; any other works alone.
    let secs = |d: std::time::Duration| (d.subsec_nanos() == 0).then_some(d.as_secs());
    let ttl = secs(args.ttl)?;
    let disappear = match args.disappear {
        Some(d) => Some(secs(d)?),
        None => None,
    };
    // An identity that does not load is reported as working alone reports it.
    let identity = ctx.load_identity(&args.identity).ok()?;
    let mut conn = Conn::to_daemon_of(ctx, &identity.session_id())?;
    Some(send_through(ctx, args, &mut conn, ttl, disappear))
}

fn send_through(
    ctx: &Ctx,
    args: &SendArgs,
    conn: &mut Conn,
    ttl: u64,
    disappear: Option<u64>,
) -> Result<()> {
    // The text from standard input is read here, as alone (none when attaching).
    let message = if args.attach.is_empty() {
        let (_, text) =
            super::super::message::load_sender(ctx, &args.identity, args.message.as_ref())?;
        Some(super::super::message::text_or_refuse_empty(
            args.message.as_ref(),
            text,
        )?)
    } else {
        args.message.clone()
    };
    let attachments = args
        .attach
        .iter()
        .map(|p| {
            std::path::absolute(p).map_err(|source| {
                Report::from(sesh::Error::Io {
                    action: "finding the absolute path of",
                    path: p.clone(),
                    source,
                })
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut params = json!({
        "recipients": args.recipients,
        "ttl": ttl,
        "no_sync": args.no_sync,
    });
    if let Some(m) = message {
        params["message"] = json!(m);
    }
    if !attachments.is_empty() {
        params["attachments"] = json!(attachments);
    }
    if let Some(name) = &args.name {
        params["name"] = json!(name);
    }
    if let Some(d) = disappear {
        params["disappear"] = json!(d);
    }
    if let Some(after) = args.after {
        params["after"] = json!(match after {
            DisappearAfter::Read => "read",
            DisappearAfter::Send => "send",
        });
    }
    let result = conn.call("send", params).map_err(CallError::report)?;
    let answer: SendAnswer = serde_json::from_value(result).map_err(|e| {
        Report::with_kind(
            ErrorKind::Failure,
            format!("the daemon's answer to 'send' is not one: {e}"),
            Some("the messages may have been sent; look at the daemon's log".to_owned()),
        )
    })?;
    print_answer(ctx, answer)
}

/// The daemon's `send` result.
#[derive(Deserialize)]
struct SendAnswer {
    sent: Vec<Sent>,
    failed: Vec<Failed>,
    #[serde(default)]
    copies: usize,
    #[serde(default)]
    sync_failed: Vec<Failed>,
}

#[derive(Deserialize)]
struct Sent {
    to: String,
    hash: String,
    timestamp: u64,
    sync_hash: Option<String>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct Attachment {
    file_name: Option<String>,
    content_type: String,
    size: u32,
    url: String,
}

#[derive(Deserialize)]
struct Failed {
    error: String,
    #[serde(default)]
    kind: Option<String>,
    hint: Option<String>,
}

fn kind_of(name: Option<&str>) -> ErrorKind {
    match name {
        Some("invalid_input") => ErrorKind::InvalidInput,
        Some("transient") => ErrorKind::Transient,
        Some("partial") => ErrorKind::Partial,
        _ => ErrorKind::Failure,
    }
}

/// Prints what `sesh send` alone prints for the same outcome, and returns its exit status.
fn print_answer(ctx: &Ctx, answer: SendAnswer) -> Result<()> {
    if let Some(only) = only_failure(&answer) {
        return Err(only);
    }
    let outcome = answer_outcome(&answer);
    for s in answer.sent {
        let (to, hash) = (s.to.clone(), s.hash.clone());
        let printed = if ctx.json {
            ctx.record(&Record::Sent(SentRecord {
                to: s.to,
                hash: s.hash,
                timestamp: s.timestamp,
                sync_hash: s.sync_hash,
                attachments: s
                    .attachments
                    .into_iter()
                    .map(|a| SentAttachment {
                        file_name: a.file_name,
                        content_type: a.content_type,
                        size: a.size,
                        url: a.url,
                    })
                    .collect(),
            }))
        } else {
            ctx.line(format_args!("{to} {hash}"))
        };
        if let Err(e) = printed {
            render::warning_line(&format!(
                "sent to {to} (hash {hash}), but its line could not be written: {}",
                e.message()
            ));
        }
    }
    for f in answer.sync_failed.iter().chain(&answer.failed) {
        render::error_line(&f.error, f.hint.as_deref());
    }
    outcome
}

/// The only recipient failed: its error is the command's (as alone).
fn only_failure(answer: &SendAnswer) -> Option<Report> {
    let f = answer.failed.first()?;
    (answer.sent.len() + answer.failed.len() == 1)
        .then(|| Report::with_kind(kind_of(f.kind.as_deref()), f.error.clone(), f.hint.clone()))
}

/// The exit status `sesh send` alone has for the same outcome: partial (4) when some
/// recipients, or some copies for one's other devices, failed.
fn answer_outcome(answer: &SendAnswer) -> Result<()> {
    let failures: Vec<ErrorKind> = answer
        .failed
        .iter()
        .map(|f| kind_of(f.kind.as_deref()))
        .collect();
    super::super::send::outcome(
        answer.sent.len() + answer.failed.len(),
        &failures,
        answer.copies,
        answer.sync_failed.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_answer_has_the_exit_status_of_the_same_send_alone() {
        let answer = |v: Value| -> SendAnswer { serde_json::from_value(v).unwrap() };
        let sent = json!({"to": "05aa", "hash": "h", "timestamp": 1, "sync_hash": "s"});
        let failed = json!({"to": "05bb", "error": "sending to 05bb…: down", "kind": "transient",
            "hint": null});
        let a = answer(json!({"sent": [sent], "failed": [], "copies": 1, "sync_failed": []}));
        assert!(only_failure(&a).is_none());
        assert!(answer_outcome(&a).is_ok());
        // One of two failed: partial (4).
        let a = answer(json!({"sent": [sent], "failed": [failed], "copies": 1,
            "sync_failed": []}));
        assert!(only_failure(&a).is_none());
        assert_eq!(answer_outcome(&a).unwrap_err().kind(), ErrorKind::Partial);
        // The only one failed: its error, its kind (3).
        let a = answer(json!({"sent": [], "failed": [failed], "copies": 0, "sync_failed": []}));
        let r = only_failure(&a).expect("the command's error");
        assert_eq!(r.kind(), ErrorKind::Transient);
        assert_eq!(r.message(), "sending to 05bb…: down");
        // Sent, but the copy for one's other devices failed: partial.
        let a = answer(json!({"sent": [sent], "failed": [], "copies": 1,
            "sync_failed": [{"to": "05aa", "error": "x", "hint": "y"}]}));
        assert_eq!(answer_outcome(&a).unwrap_err().kind(), ErrorKind::Partial);
    }

    #[test]
    fn a_daemons_error_keeps_the_commands_exit_status_and_hint() {
        let e = json!({"code": -32000, "message": "bad recipient",
            "data": {"kind": "invalid_input", "exit_status": 2, "hint": "give an ID"}});
        let r = error_report(&e);
        assert_eq!(r.kind(), ErrorKind::InvalidInput);
        assert_eq!(r.message(), "bad recipient");
        assert_eq!(r.hint(), Some("give an ID"));
        let e = json!({"code": -32000, "message": "x", "data": {"exit_status": 3}});
        assert_eq!(error_report(&e).kind(), ErrorKind::Transient);
        let e = json!({"code": -32000, "message": "x",
            "data": {"kind": "partial", "exit_status": 4, "hint": null}});
        assert_eq!(error_report(&e).kind(), ErrorKind::Partial);
        assert_eq!(error_report(&e).hint(), None);
        // Not a sesh error: the daemon did not take the request.
        let e = json!({"code": -32602, "message": "bad params: unknown field"});
        let r = error_report(&e);
        assert_eq!(r.kind(), ErrorKind::Failure);
        assert!(r.hint().is_some_and(|h| h.contains("--no-daemon")));
    }
}

/// `sesh receive` through the daemon: `None` when there is none (or the identity comes
/// from standard input), so that the command works alone; also with --save-attachments,
/// which the daemon does not do, unless the daemon has subscribers (then an error saying
/// so: alone would find the receive lock held).
///
/// It subscribes with the command's options (`only`, `include_sent`, `max`, the format,
/// and, without --follow, `until_caught_up`) and prints each row as it comes, as alone.
/// The daemon records a page as delivered once written to this connection: a `sesh
/// receive` killed between that and its own write to standard output loses those rows
/// (alone, they would come again).
pub(crate) fn receive(ctx: &Ctx, args: &sesh::cli::ReceiveArgs) -> Option<Result<()>> {
    if args
        .identity
        .identity
        .as_deref()
        .is_some_and(super::super::is_stdio)
    {
        return None;
    }
    let identity = ctx.load_identity(&args.identity).ok()?;
    let account = identity.session_id();
    let conn = Conn::to_daemon_of(ctx, &account)?;
    if args.save_attachments.is_some() {
        // Alone, then: possible only while the daemon has no subscriber (it holds the
        // receive lock while it has one). Said plainly rather than as a lock held.
        drop(conn);
        let free = ctx
            .state()
            .ok()
            .map(|state| state.lock_receive(&account).is_ok());
        return match free {
            Some(false) => Some(Err(Report::with_kind(
                ErrorKind::Failure,
                "--save-attachments is not done through 'sesh daemon', and the daemon for \
                 this identity has subscribers (it holds the receive lock meanwhile)"
                    .to_owned(),
                Some(
                    "receive without --save-attachments (through the daemon), or stop its \
                     subscribers or the daemon first"
                        .to_owned(),
                ),
            ))),
            _ => None,
        };
    }
    Some(receive_through(ctx, args, conn))
}

/// What a subscription brought, until it ended.
#[derive(Default)]
struct Received {
    delivered: u64,
    failed: u64,
}

fn receive_through(ctx: &Ctx, args: &sesh::cli::ReceiveArgs, conn: Conn) -> Result<()> {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let rt = super::super::runtime()?;
    let path = conn.path.clone();
    let broken = move |what: String| {
        Report::with_kind(
            ErrorKind::Failure,
            format!("{what} (the daemon at '{}')", path.display()),
            Some("look at the daemon's log; pass --no-daemon to work without it".to_owned()),
        )
    };
    let mut params = json!({
        "only": args.only.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "include_sent": args.include_sent,
        "format": if ctx.json { "json" } else { "text" },
        "until_caught_up": !args.follow,
        // Rows count as delivered once printed (acknowledged after each page), not once
        // written to this connection: a receive stopped before printing gets them again.
        "ack": true,
    });
    if let Some(max) = args.max {
        params["max"] = json!(max);
    }
    let request = json!({"jsonrpc": "2.0", "id": "subscribe", "method": "subscribe",
        "params": params});
    let got = rt.block_on(async {
        let stream = conn.writer;
        drop(conn.reader);
        stream
            .set_nonblocking(true)
            .map_err(|e| broken(format!("using the connection: {e}")))?;
        let stream = tokio::net::UnixStream::from_std(stream)
            .map_err(|e| broken(format!("using the connection: {e}")))?;
        let (r, mut w) = stream.into_split();
        let mut lines = tokio::io::BufReader::new(r).lines();
        w.write_all(format!("{request}\n").as_bytes())
            .await
            .map_err(|e| broken(format!("writing: {e}")))?;
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
        let mut stdout_closed = super::super::receive::stdout_closed();
        let mut got = Received::default();
        loop {
            let line = tokio::select! {
                l = lines.next_line() => l,
                () = &mut until_deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = &mut stdout_closed => break,
            };
            let line = match line {
                Ok(Some(l)) => l,
                Ok(None) => return Err(broken("the daemon closed the connection".to_owned())),
                Err(e) => return Err(broken(format!("reading: {e}"))),
            };
            match handle_line(&line, &mut got)? {
                Step::More => {}
                Step::End => break,
                Step::PageEnd(page) => {
                    // Printed and flushed (each row is): the page may be recorded.
                    let ack = json!({"jsonrpc": "2.0", "method": "ack",
                        "params": {"page": page}});
                    w.write_all(format!("{ack}\n").as_bytes())
                        .await
                        .map_err(|e| broken(format!("writing: {e}")))?;
                    if args.max.is_some_and(|m| got.delivered >= m) {
                        break;
                    }
                }
            }
        }
        Ok::<_, Report>(got)
    })?;
    if got.failed == 0 {
        return Ok(());
    }
    Err(Report::summary(
        if got.delivered == 0 {
            ErrorKind::Failure
        } else {
            ErrorKind::Partial
        },
        format!("{} message(s) could not be opened", got.failed),
    ))
}

/// The start of a `receive` notification as the daemon writes it: the row follows, byte
/// for byte as `sesh receive --json` prints it.
const RECEIVE_PREFIX: &str = "{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":";

/// What to do after a line from the daemon.
enum Step {
    More,
    /// The subscription ended (`caught_up`).
    End,
    /// A page's rows are all here (`page_end`): acknowledge it.
    PageEnd(u64),
}

/// Handles one line from the daemon.
fn handle_line(line: &str, got: &mut Received) -> Result<Step> {
    let print = |row: &str| -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(row.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|source| {
                Report::from(sesh::Error::Io {
                    action: "writing",
                    path: PathBuf::from("-"),
                    source,
                })
            })
    };
    if let Some(row) = line
        .strip_prefix(RECEIVE_PREFIX)
        .and_then(|r| r.strip_suffix('}'))
    {
        print(row)?;
        got.delivered += 1;
        return Ok(Step::More);
    }
    let v: Value = serde_json::from_str(line)
        .map_err(Report::failure)
        .context("the daemon's line is not JSON")?;
    if let Some(e) = v.get("error") {
        // The answer to `subscribe`: refused.
        return Err(error_report(e));
    }
    match v["method"].as_str() {
        Some("receive") => {
            print(&v["params"].to_string())?;
            got.delivered += 1;
        }
        Some("receive_text") => {
            print(v["params"]["row"].as_str().unwrap_or_default())?;
            got.delivered += 1;
        }
        Some("receive_error") => {
            got.failed += 1;
            render::error_line(v["params"]["message"].as_str().unwrap_or_default(), None);
        }
        Some("caught_up") => {
            if let Some(e) = v["params"].get("error") {
                return Err(error_report(&json!({
                    "code": super::jsonrpc::SESH_ERROR,
                    "message": e["message"],
                    "data": e,
                })));
            }
            return Ok(Step::End);
        }
        Some("page_end") => {
            if let Some(page) = v["params"]["page"].as_u64() {
                return Ok(Step::PageEnd(page));
            }
        }
        // The answer to `subscribe` (its id), and anything else: nothing to print.
        _ => {}
    }
    Ok(Step::More)
}
