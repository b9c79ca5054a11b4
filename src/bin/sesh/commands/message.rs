//! `sesh seal` and `sesh open`: the 1:1 message format, offline.

use std::io::{BufRead, Write as _};
use std::path::PathBuf;

use rand_core::OsRng;
use sesh::cli::{IdentityArg, OpenArgs, RowKind, SealArgs};
use sesh::clock::{self, Clock, SystemClock};
use sesh::message::wire::{self, ExpirationType};
use sesh::message::{self, Attachment, Message, Outgoing};
use sesh::parallel::{self, Event};
use sesh::rpc::{self, Namespace};
use sesh::{ErrorKind, Identity, SessionId};

use super::{Ctx, Result, is_stdio, read_stdin, stdin_is_terminal};
use crate::escape;
use crate::output::{AttachmentRow, KindFields, KindRecord, MessageRecord, Record, SealedRecord};
use crate::render::{self, Report};

pub(crate) fn seal(ctx: &Ctx, args: &SealArgs) -> Result<()> {
    // Resolve everything before doing anything (style §2.13).
    // Offline for a Session ID; a name is resolved on the network (its help says so).
    let to = super::resolve::recipient(ctx, &args.recipient)?;
    let (identity, text) = load_sender(ctx, &args.identity, args.message.as_ref())?;
    let text = text_or_refuse_empty(args.message.as_ref(), text)?;
    let timestamp = args.timestamp.unwrap_or_else(|| SystemClock.now_ms());

    let mut out = Outgoing::new(text);
    out.display_name.clone_from(&args.name);
    let data =
        message::seal(&identity, &to, &out, timestamp, &mut OsRng).map_err(sesh::Error::Seal)?;
    let b64 = message::to_base64(&data);
    if ctx.json {
        ctx.record(&Record::Sealed(SealedRecord {
            to: to.to_string(),
            timestamp,
            hash: rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data),
            data: b64,
        }))
    } else {
        ctx.line(b64)
    }
}

/// The sender's identity and the text, from `-i` and `-m` or standard input (never both
/// from standard input).
pub(crate) fn load_sender(
    ctx: &Ctx,
    identity: &IdentityArg,
    message: Option<&String>,
) -> Result<(Identity, String)> {
    if message.is_none() && identity.identity.as_deref().is_some_and(is_stdio) {
        return Err(sesh::Error::Input(
            "the text and the identity cannot both come from standard input; \
             give the text with -m TEXT or the identity with -i FILE"
                .to_owned(),
        )
        .into());
    }
    let identity = ctx.load_identity(identity)?;
    let text = match message {
        Some(t) => t.clone(),
        None => read_text(ctx)?,
    };
    Ok((identity, text))
}

/// The text of a message, from -m or standard input; empty standard input is refused (more
/// likely a broken pipeline than a wish to send nothing), an empty -m is not.
pub(crate) fn text_or_refuse_empty(message: Option<&String>, text: String) -> Result<String> {
    if text.is_empty() && message.is_none() {
        return Err(sesh::Error::Input(
            "the message is empty (standard input had no text); give -m '' for an empty one"
                .to_owned(),
        )
        .into());
    }
    Ok(text)
}

/// The text from standard input, less one trailing newline (so that `echo hi | sesh seal`
/// sends "hi").
fn read_text(ctx: &Ctx) -> Result<String> {
    if stdin_is_terminal() {
        ctx.note("reading the message from standard input (end it with Ctrl-D)");
    }
    // Anything longer cannot be sealed; +2 leaves room for a final "\r\n".
    let limit = rpc::MAX_DATA_LEN as u64 + 2;
    let bytes = read_stdin(limit)?.ok_or(sesh::Error::TextTooLong { max: limit })?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| sesh::Error::Input("the message is not UTF-8 text".to_owned()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// The longest line `open` keeps: a full payload plus generous surrounding whitespace. Longer
/// lines are skipped as too large without being held in memory.
const MAX_LINE: usize = sesh::rpc::limits::MAX_DATA_B64_LEN + 4096;

pub(crate) fn open(ctx: &Ctx, args: &OpenArgs) -> Result<()> {
    if args.identity.identity.as_deref().is_some_and(is_stdio) {
        return Err(sesh::Error::Input(
            "the payloads come from standard input, so the identity cannot; \
             name it with -i FILE"
                .to_owned(),
        )
        .into());
    }
    let identity = ctx.load_identity(&args.identity)?;
    let json = ctx.json;
    // Opened on every core, printed in input order (`parallel::ordered_map`): the work is
    // pure, so the output is the same bytes as one at a time.
    let work = |(line, payload): (usize, Payload)| -> Opened {
        let opened = match payload {
            Payload::Text(text) => message::open(&identity, &text),
            Payload::TooLong(len) => Err(message::OpenError::TooLarge {
                len,
                max: sesh::rpc::limits::MAX_DATA_B64_LEN,
            }),
            Payload::Unreadable(e) => return Opened::Unreadable(e),
        };
        match opened {
            Ok(m) => Opened::Message {
                warning: time_warning(m.timestamp_ms, SystemClock.now_ms())
                    .map(|w| format!("warning: line {line}: {w}")),
                shown: render_message(json, &m),
            },
            Err(error) => Opened::Failed { line, error },
        }
    };
    let mut out = StdoutBuf::new();
    let (mut total, mut failed) = (0usize, 0usize);
    // The first failure is held back until a second payload shows up: when it was the only
    // one, it is the command's own error (with its hint), not an item and a tally.
    let mut held: Option<Report> = None;
    // The kind every failure shares, if they share one: the exit status when all failed.
    let mut failed_kind: Option<ErrorKind> = None;
    let mut mixed = false;
    let input = Payloads::new(std::io::BufReader::with_capacity(
        64 * 1024,
        std::io::stdin(),
    ));
    let delivered = parallel::ordered_map(super::workers(), input, work, |event| {
        let opened = match event {
            Event::Idle => return out.flush(),
            Event::Item(opened) => opened,
        };
        let result = match opened {
            Opened::Unreadable(source) => {
                return Err(sesh::Error::Io {
                    action: "reading",
                    path: PathBuf::from("-"),
                    source,
                }
                .into());
            }
            Opened::Message { shown, warning } => Ok((shown, warning)),
            Opened::Failed { line, error } => Err((line, error)),
        };
        total += 1;
        if let Some(r) = held.take() {
            out.flush()?;
            render::error_line(&r.message(), None);
        }
        match result {
            Ok((shown, warning)) => {
                if let Some(w) = warning {
                    out.flush()?;
                    ctx.note(w);
                }
                out.push(&shown?);
                if out.is_full() {
                    out.flush()?;
                }
            }
            Err((line, source)) => {
                failed += 1;
                let r = Report::from(sesh::Error::Open { line, source });
                mixed |= failed_kind.is_some_and(|k| k != r.kind());
                failed_kind = Some(r.kind());
                if total == 1 {
                    held = Some(r);
                } else {
                    out.flush()?;
                    render::error_line(&r.message(), None);
                }
            }
        }
        Ok(())
    });
    // What was printed reaches standard output before any error is reported.
    out.flush()?;
    delivered?;
    if total == 0 {
        return Err(sesh::Error::Input(
            "standard input had no payloads (one base64 payload a line)".to_owned(),
        )
        .into());
    }
    if let Some(r) = held {
        return Err(r);
    }
    if failed == 0 {
        return Ok(());
    }
    let kind = match failed_kind {
        _ if failed < total => ErrorKind::Partial,
        Some(k) if !mixed => k,
        _ => ErrorKind::Failure,
    };
    Err(Report::summary(
        kind,
        format!("{failed} of {total} payloads failed"),
    ))
}

/// One payload of `open`'s input, as read.
enum Payload {
    /// A line that is not blank (without its `\n`).
    Text(Vec<u8>),
    /// A line over [`MAX_LINE`] bytes (its length): never held whole.
    TooLong(usize),
    /// Reading failed: the last item.
    Unreadable(std::io::Error),
}

/// The payloads of a stream, one a line, each with its line number (from 1); blank lines are
/// skipped but counted.
struct Payloads<R> {
    reader: R,
    line: usize,
    done: bool,
}

impl<R: BufRead> Payloads<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Payloads<R> {
    type Item = (usize, Payload);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line += 1;
            let mut buf = Vec::new();
            let payload = match read_line(&mut self.reader, &mut buf) {
                Err(e) => {
                    self.done = true;
                    Payload::Unreadable(e)
                }
                Ok(Line::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Line::Text) if buf.trim_ascii().is_empty() => continue,
                Ok(Line::Text) => Payload::Text(buf),
                Ok(Line::TooLong(len)) => Payload::TooLong(len),
            };
            return Some((self.line, payload));
        }
        None
    }
}

/// A payload, opened (on a worker thread).
enum Opened {
    /// The lines to print, and a warning about its time to give first.
    Message {
        shown: Result<String>,
        warning: Option<String>,
    },
    /// It did not open.
    Failed {
        line: usize,
        error: message::OpenError,
    },
    /// Standard input could not be read.
    Unreadable(std::io::Error),
}

/// Standard output, written a batch of lines at a time: the caller flushes before anything
/// goes to standard error (so that the two interleave as when every line was flushed), when
/// the buffer is full, when the work stalls, and at the end.
///
/// Its lines go to a [`Sink`] instead when it has one (the daemon's subscribers).
pub(crate) struct StdoutBuf {
    buf: Vec<u8>,
    sink: Option<std::sync::Arc<dyn Sink>>,
    /// The rows for the sink ([`StdoutBuf::push_row`]).
    rows: Vec<SinkRow>,
}

/// Where a [`StdoutBuf`] writes instead of standard output: `sesh daemon`'s subscribers.
pub(crate) trait Sink: Send + Sync {
    /// Writes `lines` (whole lines, each ending in `\n`), returning once they are out: an
    /// error when they may not be.
    fn write_lines(&self, lines: &[u8]) -> std::io::Result<()>;
    /// Writes `rows` (each in both forms, to be filtered per reader); by default their
    /// JSON lines.
    fn write_rows(&self, rows: &[SinkRow]) -> std::io::Result<()> {
        let mut lines = Vec::new();
        for r in rows {
            lines.extend_from_slice(r.json.as_bytes());
            lines.push(b'\n');
        }
        self.write_lines(&lines)
    }
    /// A message that could not be opened (what `receive` prints as an error line).
    fn failed(&self, _message: &str) {}
}

/// A row of `receive` for a [`Sink`]: its kind, whether it is one's own (a copy sent from
/// another device, or one's own unsend), and its JSON and text forms.
pub(crate) struct SinkRow {
    pub(crate) kind: sesh::cli::RowKind,
    pub(crate) own: bool,
    pub(crate) json: String,
    pub(crate) text: String,
}

impl StdoutBuf {
    /// Past this many bytes, [`StdoutBuf::is_full`].
    const FULL: usize = 64 * 1024;

    pub(crate) fn new() -> Self {
        Self::with(None)
    }

    /// Writing to `sink`, or to standard output when `None`.
    pub(crate) fn with(sink: Option<std::sync::Arc<dyn Sink>>) -> Self {
        Self {
            buf: Vec::new(),
            sink,
            rows: Vec::new(),
        }
    }

    /// Adds one row for the sink, in both forms.
    pub(crate) fn push_row(&mut self, row: SinkRow) {
        self.buf.extend_from_slice(row.json.as_bytes());
        self.buf.extend_from_slice(row.text.as_bytes());
        self.rows.push(row);
    }

    /// Adds one line (a `\n` is added).
    pub(crate) fn push(&mut self, line: &str) {
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
    }

    /// Whether it is time to flush (never, into a sink: see [`StdoutBuf::flush_early`]).
    pub(crate) fn is_full(&self) -> bool {
        self.sink.is_none() && self.buf.len() >= Self::FULL
    }

    /// A flush before the end of a page: standard output gets what is ready (a reader sees
    /// rows as they open), a sink nothing — the daemon's subscribers take a retrieved page
    /// whole, so that each page they take is recorded before the next is written (one they
    /// acknowledged is never delivered again, even after a crash). Whether it flushed.
    pub(crate) fn flush_early(&mut self) -> Result<bool> {
        if self.sink.is_some() {
            return Ok(false);
        }
        self.flush().map(|()| true)
    }

    /// Writes out and flushes what was pushed. The buffer is empty afterwards, even when
    /// writing failed (what failed to be written is not tried again).
    ///
    /// # Errors
    /// A write error is never transient (even `WouldBlock` or a reset socket): how much of
    /// the buffer went out is unknown, so `receive --follow` must not weather it and print
    /// the buffer's messages again.
    pub(crate) fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let written = match &self.sink {
            Some(sink) if !self.rows.is_empty() => {
                let rows = std::mem::take(&mut self.rows);
                sink.write_rows(&rows)
            }
            Some(sink) => sink.write_lines(&self.buf),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&self.buf).and_then(|()| out.flush())
            }
        };
        self.buf.clear();
        let path = PathBuf::from(if self.sink.is_some() {
            "subscribers"
        } else {
            "-"
        });
        written.map_err(|source| {
            Report::from(sesh::Error::Io {
                action: "writing",
                path,
                source,
            })
            .not_transient()
        })
    }
}

/// A message as `open` prints it: its record (`message` or its kind's), or its text for
/// people.
fn render_message(json: bool, m: &Message) -> Result<String> {
    match kind_fields(m) {
        None if json => {
            serde_json::to_string(&Record::Message(message_record(m))).map_err(Report::failure)
        }
        None => Ok(message_text(m)),
        Some(f) if json => {
            serde_json::to_string(&Record::Kind(kind_record(m, f, None))).map_err(Report::failure)
        }
        Some(f) => Ok(kind_text(m, &f, None)),
    }
}

/// The row kind of a Content: `message` for a visible one.
pub(crate) fn row_kind(m: &Message) -> RowKind {
    kind_fields(m).map_or(RowKind::Message, |f| f.kind())
}

/// What a Content that is not a visible message says, or `None` for a visible message (a
/// `dataMessage` that is neither a reaction nor a disappearing-message update). The kind is
/// that of the first message field set, in field order; a value sesh does not know (a
/// reaction action, receipt type, typing action or notice type past those defined, a request
/// refused) makes it `unknown`, never dropped.
pub(crate) fn kind_fields(m: &Message) -> Option<KindFields> {
    let c = &m.content;
    let unknown = || {
        Some(KindFields::Unknown {
            fields: set_fields(c),
        })
    };
    if let Some(d) = &c.data_message {
        if let Some(r) = &d.reaction {
            if r.action > 1 {
                return unknown();
            }
            return Some(KindFields::Reaction {
                emoji: r.emoji.clone(),
                removed: r.action == 1,
                timestamp: r.id,
                author: r.author.clone(),
            });
        }
        if d.flags.unwrap_or(0) & wire::DATA_FLAG_EXPIRATION_TIMER_UPDATE != 0 {
            return Some(KindFields::ExpirationUpdate {
                expiration_type: m.expiration_type.map(expiration_str),
                expiration_timer: m.expiration_timer_s,
            });
        }
        // A message shows something: text, files, a quote, a link preview or an invitation.
        // A dataMessage with none of them (a group update sesh does not decode, say) is no
        // empty message but an unknown content.
        let shows = d.body.as_deref().is_some_and(|b| !b.is_empty())
            || !d.attachments.is_empty()
            || d.quote.is_some()
            || !d.preview.is_empty()
            || d.open_group_invitation.is_some();
        if !shows {
            return unknown();
        }
        return None;
    }
    if c.call_message.is_some() {
        return unknown();
    }
    if let Some(r) = &c.receipt_message {
        // READ = 1 (DELIVERY = 0 is no longer sent).
        if r.r#type != 1 {
            return unknown();
        }
        return Some(KindFields::Receipt {
            timestamps: r.timestamp.clone(),
        });
    }
    if let Some(t) = &c.typing_message {
        return match t.action {
            0 => Some(KindFields::Typing { started: true }),
            1 => Some(KindFields::Typing { started: false }),
            _ => unknown(),
        };
    }
    if let Some(n) = &c.data_extraction_notification {
        return match n.r#type {
            1 => Some(KindFields::DataExtraction {
                event: "screenshot",
            }),
            2 => Some(KindFields::DataExtraction {
                event: "media_saved",
            }),
            _ => unknown(),
        };
    }
    if let Some(u) = &c.unsend_request {
        // One may only take back one's own messages: an unsend naming another author is not
        // one (the apps drop it), and is shown as the unknown content it is, never as an
        // unsend a script would act on.
        if !u.author.eq_ignore_ascii_case(&m.sender.to_string()) {
            return unknown();
        }
        return Some(KindFields::Unsend {
            timestamp: u.timestamp,
            author: u.author.clone(),
        });
    }
    if let Some(r) = &c.message_request_response {
        if !r.is_approved {
            return unknown();
        }
        return Some(KindFields::RequestAccepted {});
    }
    unknown()
}

/// The Content's fields that are set, by their protobuf names.
fn set_fields(c: &wire::Content) -> Vec<&'static str> {
    [
        ("dataMessage", c.data_message.is_some()),
        ("callMessage", c.call_message.is_some()),
        ("receiptMessage", c.receipt_message.is_some()),
        ("typingMessage", c.typing_message.is_some()),
        (
            "dataExtractionNotification",
            c.data_extraction_notification.is_some(),
        ),
        ("unsendRequest", c.unsend_request.is_some()),
        (
            "messageRequestResponse",
            c.message_request_response.is_some(),
        ),
        ("expirationType", c.expiration_type.is_some()),
        ("expirationTimer", c.expiration_timer.is_some()),
        ("sigTimestamp", c.sig_timestamp.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

/// A Content that is not a visible message as its record; `to` for a copy sent from another
/// device. `receive` fills in `hash` and `expires_at`.
pub(crate) fn kind_record(m: &Message, fields: KindFields, to: Option<&SessionId>) -> KindRecord {
    KindRecord {
        kind: fields.kind().as_str(),
        to: to.map(ToString::to_string),
        from: m.sender.to_string(),
        sent_at: m.timestamp_ms,
        display_name: m.display_name.clone(),
        sender_ed25519: m.sender_ed25519.to_hex(),
        fields,
        hash: None,
        expires_at: None,
    }
}

/// A Content that is not a visible message, for people: one line, `from … at …: ` (or `to
/// …` for a copy sent from another device) and what it says, every word the sender chose
/// escaped.
pub(crate) fn kind_text(m: &Message, fields: &KindFields, to: Option<&SessionId>) -> String {
    let mut out = match to {
        Some(to) => format!("to {to}"),
        None => format!("from {}", m.sender),
    };
    if let Some(n) = &m.display_name {
        out.push_str(&format!(" ({})", escape::line(n)));
    }
    out.push_str(&format!(" at {}: ", format_time(m.timestamp_ms)));
    let message_of = |author: &str, ts: u64| {
        format!(
            "the message of {} sent at {}",
            escape::line(author),
            format_time(ts)
        )
    };
    let said = match fields {
        KindFields::Reaction {
            emoji,
            removed,
            timestamp,
            author,
        } => {
            let emoji = emoji
                .as_deref()
                .map_or_else(|| "(no emoji)".to_owned(), escape::line);
            let verb = if *removed {
                "removed the reaction"
            } else {
                "reacted"
            };
            format!("[{verb} {emoji} to {}]", message_of(author, *timestamp))
        }
        KindFields::Receipt { timestamps } => {
            let times: Vec<String> = timestamps.iter().map(|&t| format_time(t)).collect();
            format!(
                "[read receipt for the messages sent at {}]",
                times.join(", ")
            )
        }
        KindFields::Typing { started: true } => "[started typing]".to_owned(),
        KindFields::Typing { started: false } => "[stopped typing]".to_owned(),
        KindFields::Unsend { timestamp, author } => {
            format!("[unsent {}]", message_of(author, *timestamp))
        }
        KindFields::RequestAccepted {} => "[accepted the message request]".to_owned(),
        KindFields::DataExtraction { event } => match *event {
            "screenshot" => "[took a screenshot]".to_owned(),
            _ => "[saved media]".to_owned(),
        },
        KindFields::ExpirationUpdate {
            expiration_type,
            expiration_timer,
        } => match (expiration_type, expiration_timer) {
            (Some(t), Some(s)) if *s > 0 => format!(
                "[disappearing messages: {t}, after {}]",
                span(u64::from(*s) * 1000)
            ),
            _ => "[disappearing messages turned off]".to_owned(),
        },
        KindFields::Unknown { fields } => {
            format!("[a message of an unknown kind: {}]", fields.join(", "))
        }
    };
    out.push_str(&said);
    out
}

/// What to say about a message's time (`sent_ms`) against this computer's clock (`now_ms`),
/// if anything: the apps show any time as the message gives it, and so does `open`, but a
/// time before Session existed or far ahead is called out (on standard error).
fn time_warning(sent_ms: u64, now_ms: u64) -> Option<String> {
    let why = match message::judge_sent_time(sent_ms, now_ms) {
        message::SentTime::BeforeSession => "before Session existed".to_owned(),
        message::SentTime::Ahead { by_ms } => {
            format!("{} ahead of this computer's clock", span(by_ms))
        }
        _ => return None,
    };
    Some(format!(
        "the message says it was sent at {}, {why}; the sender's clock is wrong or the time \
         is forged",
        format_time(sent_ms)
    ))
}

/// A span of time in the units `--ttl` and `--timeout` take, at most two of them: `2d`,
/// `1d 6h`, `5m 30s`, `40s`.
pub(crate) fn span(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut secs = ms / 1000;
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        if secs >= size && parts.len() < 2 {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        } else if !parts.is_empty() {
            break;
        }
    }
    if parts.is_empty() {
        return format!("{ms}ms");
    }
    parts.join(" ")
}

enum Line {
    Eof,
    Text,
    /// A line over [`MAX_LINE`] bytes (its length): skipped, never held whole.
    TooLong(usize),
}

/// Reads one line (without its `\n`) into `buf`, holding at most [`MAX_LINE`] bytes.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    let (mut len, mut any, mut too_long) = (0usize, false, false);
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong(len),
                (true, false) => Line::Text,
            });
        }
        any = true;
        let newline = avail.iter().position(|&b| b == b'\n');
        let chunk = &avail[..newline.unwrap_or(avail.len())];
        len += chunk.len();
        if !too_long {
            if buf.len() + chunk.len() > MAX_LINE {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let used = newline.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(if too_long {
                Line::TooLong(len)
            } else {
                Line::Text
            });
        }
    }
}

fn expiration_str(t: ExpirationType) -> &'static str {
    match t {
        ExpirationType::DeleteAfterRead => "delete_after_read",
        ExpirationType::DeleteAfterSend => "delete_after_send",
        ExpirationType::Unknown => "unknown",
    }
}

/// A message as a `message` record; `receive` fills in `hash` and `expires_at`.
pub(crate) fn message_record(m: &Message) -> MessageRecord {
    MessageRecord {
        to: None,
        from: m.sender.to_string(),
        timestamp: m.timestamp_ms,
        text: m.text.clone(),
        kind: m.kind.as_str(),
        display_name: m.display_name.clone(),
        contact: None,
        sender_ed25519: m.sender_ed25519.to_hex(),
        expiration_type: m.expiration_type.map(expiration_str),
        expiration_timer: m.expiration_timer_s.map(u64::from),
        attachments: m.attachments.iter().map(attachment_row).collect(),
        hash: None,
        expires_at: None,
        avatar: None,
        avatar_error: None,
    }
}

/// An attachment as its sender describes it, for a record.
pub(crate) fn attachment_row(a: &Attachment) -> AttachmentRow {
    AttachmentRow {
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size: a.size,
        url: a.url.clone(),
        path: None,
        error: None,
    }
}

/// A message for people: a `from … at …` line at column 0, then the body, every line of it
/// indented and escaped ([`escape::body`]), so that no body can forge a header; then a line
/// per attachment.
pub(crate) fn message_text(m: &Message) -> String {
    message_text_with(m, None, &[])
}

/// [`message_text`], headed `to …` for a copy of a message sent to `to`, and with where
/// each attachment was saved (or why it was not), in order, when `saved` has it.
pub(crate) fn message_text_with(
    m: &Message,
    to: Option<&SessionId>,
    saved: &[std::result::Result<String, String>],
) -> String {
    let mut out = match to {
        Some(to) => format!("to {to}"),
        None => format!("from {}", m.sender),
    };
    if let Some(n) = &m.display_name {
        out.push_str(&format!(" ({})", escape::line(n)));
    }
    out.push_str(&format!(" at {}\n", format_time(m.timestamp_ms)));
    match &m.text {
        Some(t) => out.push_str(&escape::body(t)),
        None if m.attachments.is_empty() => {
            out.push_str(&format!("{}[{}]", escape::INDENT, m.kind));
        }
        None => {}
    }
    for (i, a) in m.attachments.iter().enumerate() {
        if i > 0 || m.text.is_some() {
            out.push('\n');
        }
        out.push_str(&attachment_line(a, saved.get(i)));
    }
    out
}

/// `  [attachment NAME, TYPE, N bytes] URL`, then where it was saved or why not; every part
/// the sender chose escaped.
pub(crate) fn attachment_line(
    a: &Attachment,
    saved: Option<&std::result::Result<String, String>>,
) -> String {
    let mut out = format!("{}[attachment", escape::INDENT);
    if let Some(n) = &a.file_name {
        out.push_str(&format!(" {}", escape::line(n)));
    }
    if let Some(t) = &a.content_type {
        out.push_str(&format!(", {}", escape::line(t)));
    }
    if let Some(s) = a.size {
        out.push_str(&format!(", {s} bytes"));
    }
    out.push(']');
    if let Some(u) = &a.url {
        out.push_str(&format!(" {}", escape::line(u)));
    }
    match saved {
        Some(Ok(path)) => out.push_str(&format!(" saved as {}", escape::line(path))),
        Some(Err(why)) => out.push_str(&format!(" NOT SAVED: {}", escape::line(why))),
        None => {}
    }
    out
}

/// RFC 3339 with milliseconds, or the raw number past what RFC 3339 can show (year 9999).
pub(crate) fn format_time(ms: u64) -> String {
    const MAX_RFC3339_MS: u64 = 253_402_300_800_000;
    if ms >= MAX_RFC3339_MS {
        return format!("{ms} ms after the epoch");
    }
    humantime::format_rfc3339_millis(clock::from_ms(ms)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sesh::identity::Seed;
    use sesh::message::wire::{
        Content, DataExtractionNotification, DataMessage, MessageRequestResponse, Reaction,
        ReceiptMessage, TypingMessage, Unsend,
    };

    const SENT: u64 = 1_800_000_000_000;

    /// `content`, sealed by a fixed identity to itself and opened.
    fn opened(mut content: Content) -> Message {
        let me = Identity::from_seed(Seed::from_legacy(&[1; 16]));
        content.sig_timestamp = Some(SENT);
        let data = message::seal_content(&me, &me.session_id(), &content, SENT, &mut OsRng)
            .expect("seals");
        message::open_data(&me, &data).expect("opens")
    }

    /// The JSON row of `content`, as `open --json` prints it.
    fn row(content: Content) -> serde_json::Value {
        let line = render_message(true, &opened(content)).expect("renders");
        serde_json::from_str(&line).expect("JSON")
    }

    fn data(d: DataMessage) -> Content {
        Content {
            data_message: Some(d),
            ..Content::default()
        }
    }

    const AUTHOR: &str = "05aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn every_content_kind_is_its_own_row() {
        let reaction = |action| {
            data(DataMessage {
                reaction: Some(Reaction {
                    id: 1234,
                    author: AUTHOR.into(),
                    emoji: Some("👍".into()),
                    action,
                }),
                ..DataMessage::default()
            })
        };
        let r = row(reaction(0));
        assert_eq!(r["type"], "reaction");
        assert_eq!(r["emoji"], "👍");
        assert_eq!(r["removed"], false);
        assert_eq!(r["timestamp"], 1234);
        assert_eq!(r["author"], AUTHOR);
        assert_eq!(r["sent_at"], SENT);
        assert_eq!(row(reaction(1))["removed"], true);
        assert_eq!(row(reaction(7))["type"], "unknown");

        // A dataMessage that shows nothing is no message.
        let r = row(data(DataMessage::default()));
        assert_eq!(r["type"], "unknown");
        assert_eq!(r["fields"][0], "dataMessage");

        let r = row(Content {
            receipt_message: Some(ReceiptMessage {
                r#type: 1,
                timestamp: vec![5, 6],
            }),
            ..Content::default()
        });
        assert_eq!(r["type"], "receipt");
        assert_eq!(r["timestamps"], serde_json::json!([5, 6]));

        for (action, started) in [(0, true), (1, false)] {
            let r = row(Content {
                typing_message: Some(TypingMessage {
                    timestamp: SENT,
                    action,
                }),
                ..Content::default()
            });
            assert_eq!(r["type"], "typing");
            assert_eq!(r["started"], started);
        }

        let unsend = |author: String| Content {
            unsend_request: Some(Unsend {
                timestamp: 99,
                author,
            }),
            ..Content::default()
        };
        let sender = Identity::from_seed(Seed::from_legacy(&[1; 16])).session_id();
        let r = row(unsend(sender.to_string()));
        assert_eq!(r["type"], "unsend");
        assert_eq!(r["timestamp"], 99);
        assert_eq!(r["author"], sender.to_string());
        // Another author's message cannot be taken back by this sender.
        let r = row(unsend(AUTHOR.into()));
        assert_eq!(r["type"], "unknown");
        assert_eq!(r["fields"][0], "unsendRequest");

        let accept = |is_approved| Content {
            message_request_response: Some(MessageRequestResponse {
                is_approved,
                ..MessageRequestResponse::default()
            }),
            ..Content::default()
        };
        assert_eq!(row(accept(true))["type"], "request_accepted");
        assert_eq!(row(accept(false))["type"], "unknown");

        for (t, event) in [(1, "screenshot"), (2, "media_saved")] {
            let r = row(Content {
                data_extraction_notification: Some(DataExtractionNotification {
                    r#type: t,
                    timestamp: None,
                }),
                ..Content::default()
            });
            assert_eq!(r["type"], "data_extraction");
            assert_eq!(r["event"], event);
        }

        let r = row(Content {
            expiration_type: Some(ExpirationType::DeleteAfterSend as i32),
            expiration_timer: Some(3600),
            ..data(DataMessage {
                flags: Some(wire::DATA_FLAG_EXPIRATION_TIMER_UPDATE),
                ..DataMessage::default()
            })
        });
        assert_eq!(r["type"], "expiration_update");
        assert_eq!(r["expiration_type"], "delete_after_send");
        assert_eq!(r["expiration_timer"], 3600);

        // Nothing sesh knows: named by the fields that are set.
        let r = row(Content::default());
        assert_eq!(r["type"], "unknown");
        assert_eq!(r["fields"], serde_json::json!(["sigTimestamp"]));

        // A visible message keeps its row.
        let r = row(data(DataMessage {
            body: Some("hi".into()),
            ..DataMessage::default()
        }));
        assert_eq!(r["type"], "message");
        assert_eq!(r["text"], "hi");
        assert_eq!(r["timestamp"], SENT);
    }

    #[test]
    fn kinds_are_one_line_of_escaped_text() {
        let m = opened(data(DataMessage {
            reaction: Some(Reaction {
                id: 1234,
                author: "05x\nfrom 05ff at 2020".into(),
                emoji: Some("\u{1b}[2J".into()),
                action: 0,
            }),
            ..DataMessage::default()
        }));
        assert_eq!(row_kind(&m), RowKind::Reaction);
        let text = render_message(false, &m).expect("renders");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains("[reacted \\u{1b}[2J to the message of 05x\\nfrom"),
            "{text}"
        );
        let m = opened(Content {
            typing_message: Some(TypingMessage {
                timestamp: SENT,
                action: 1,
            }),
            ..Content::default()
        });
        assert_eq!(row_kind(&m), RowKind::Typing);
        let text = render_message(false, &m).expect("renders");
        assert!(text.ends_with(": [stopped typing]"), "{text}");
    }

    #[test]
    fn a_time_from_1970_or_two_days_ahead_is_called_out() {
        let now = 1_800_000_000_000;
        assert_eq!(time_warning(now - 1000, now), None);
        let w = time_warning(1, now).expect("a warning");
        assert!(
            w.contains("1970-01-01T00:00:00.001Z, before Session existed"),
            "{w}"
        );
        let w = time_warning(now + 2 * 86_400_000, now).expect("a warning");
        assert!(w.contains(", 2d ahead of this computer's clock"), "{w}");
    }

    #[test]
    fn spans_read_as_durations_are_written() {
        assert_eq!(span(2 * 86_400_000), "2d");
        assert_eq!(span(86_400_000 + 6 * 3_600_000 + 59_000), "1d 6h");
        assert_eq!(span(330_000), "5m 30s");
        assert_eq!(span(3_600_000 + 5_000), "1h");
        assert_eq!(span(999), "999ms");
        assert_eq!(span(u64::MAX).split(' ').count(), 2);
    }
}
