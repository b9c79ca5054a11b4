//! `sesh react`, `read`, `typing` and `accept`: the conversation's messages other than text
//! (issue 13), sealed and stored as `sesh send` stores a message ([`super::send`]'s store,
//! with its retry after a node's clock correction). Also what `sesh send` does for message
//! requests: [`accept_pending`] before a reply, [`mark_talked`] after.
//!
//! Each prints, per message stored, `RECIPIENT HASH`, or with `--json`
//! `{"type": "sent", "kind", "to", "hash", "timestamp", "sync_hash"}`, `kind` one of
//! `reaction`, `receipt`, `typing`, `request_accepted`.

use rand_core::OsRng;
use sesh::cli::{AcceptArgs, ReactArgs, ReadArgs, RowKind, TypingArgs};
use sesh::clock::{Clock as _, SystemClock};
use sesh::message::control::{self, ReactionTo};
use sesh::message::wire::Content;
use sesh::message::{self, Outgoing};
use sesh::rpc::{self, Namespace};
use sesh::{Identity, SessionId};

use super::resolve::{recipient, recipients};
use super::send::{SendError, store};
use super::{Ctx, NetClient, Result, runtime};

/// `sesh react`.
pub(crate) fn react(ctx: &Ctx, args: &ReactArgs) -> Result<()> {
    let (to, r) = react_args(ctx, args)?;
    let identity = ctx.load_identity(&args.identity)?;
    let mut client = ctx.client()?;
    let c = react_control(&mut client, &identity, to, r)?;
    finish(ctx, client, &identity, c)
}

/// `sesh react`'s arguments, checked: the recipient and the reaction.
pub(crate) fn react_args(ctx: &Ctx, args: &ReactArgs) -> Result<(SessionId, ReactionTo)> {
    control::check_emoji(&args.emoji).map_err(input)?;
    // The conversation and the reacted message's author: the same name is asked once.
    let [to, author] = recipients(ctx, &[&args.recipient, &args.author])?[..] else {
        // Two texts, two IDs.
        return Err(sesh::Error::Input("RECIPIENT and AUTHOR are needed".into()).into());
    };
    let r = ReactionTo {
        timestamp_ms: args.timestamp,
        author,
        emoji: args.emoji.clone(),
        remove: args.remove,
    };
    Ok((to, r))
}

/// The reaction `r` for `to`, carrying the sender's profile.
pub(crate) fn react_control(
    client: &mut NetClient,
    identity: &Identity,
    to: SessionId,
    r: ReactionTo,
) -> Result<Control> {
    let from = profile_of(client, identity)?;
    // A copy for the sender's other devices, as for a text message; none to oneself.
    let sync = (to != identity.session_id()).then(|| from.sync_copy(&to));
    // A reaction is a reply: to a message request, the acceptance goes first (as the apps'
    // sendMessageJob does before a reaction too).
    Ok(Control {
        to,
        kind: Kind {
            name: "reaction",
            ttl_ms: control::CONTROL_TTL_MS,
        },
        reply: Some(from.clone()),
        build: Box::new(move |t| {
            (
                control::reaction(&r, &from, t),
                sync.as_ref().map(|s| control::reaction(&r, s, t)),
            )
        }),
    })
}

/// `sesh read`.
pub(crate) fn read(ctx: &Ctx, args: &ReadArgs) -> Result<()> {
    let to = read_args(ctx, args)?;
    let identity = ctx.load_identity(&args.identity)?;
    let client = ctx.client()?;
    finish(
        ctx,
        client,
        &identity,
        read_control(to, args.timestamps.clone()),
    )
}

/// `sesh read`'s arguments, checked: the recipient (the timestamps are a receipt's).
pub(crate) fn read_args(ctx: &Ctx, args: &ReadArgs) -> Result<SessionId> {
    control::read_receipt(&args.timestamps, 0).map_err(input)?;
    recipient(ctx, &args.recipient)
}

/// A read receipt of `timestamps` (checked by [`read_args`]) for `to`.
pub(crate) fn read_control(to: SessionId, timestamps: Vec<u64>) -> Control {
    Control {
        to,
        kind: Kind {
            name: "receipt",
            ttl_ms: control::CONTROL_TTL_MS,
        },
        reply: None,
        build: Box::new(move |t| {
            // Checked before: never empty.
            let c = control::read_receipt(&timestamps, t).unwrap_or_default();
            (c, None)
        }),
    }
}

/// `sesh typing`.
pub(crate) fn typing(ctx: &Ctx, args: &TypingArgs) -> Result<()> {
    let to = typing_args(ctx, args)?;
    let identity = ctx.load_identity(&args.identity)?;
    let client = ctx.client()?;
    finish(ctx, client, &identity, typing_control(to, !args.stop))
}

/// `sesh typing`'s recipient.
pub(crate) fn typing_args(ctx: &Ctx, args: &TypingArgs) -> Result<SessionId> {
    recipient(ctx, &args.recipient)
}

/// A typing indicator for `to`: started, or stopped.
pub(crate) fn typing_control(to: SessionId, started: bool) -> Control {
    Control {
        to,
        kind: Kind {
            name: "typing",
            ttl_ms: control::TYPING_TTL_MS,
        },
        reply: None,
        build: Box::new(move |t| (control::typing(started, t), None)),
    }
}

/// `sesh accept`.
pub(crate) fn accept(ctx: &Ctx, args: &AcceptArgs) -> Result<()> {
    let to = recipient(ctx, &args.recipient)?;
    let identity = ctx.load_identity(&args.identity)?;
    let mut client = ctx.client()?;
    let from = profile_of(&mut client, &identity)?;
    let c = Control {
        to,
        kind: Kind {
            name: "request_accepted",
            ttl_ms: control::CONTROL_TTL_MS,
        },
        reply: None,
        build: Box::new(move |t| (control::request_accepted(&from, t), None)),
    };
    finish(ctx, client, &identity, c)
}

/// What is sent: its name in the output and how long the swarm keeps it.
#[derive(Clone, Copy)]
struct Kind {
    name: &'static str,
    ttl_ms: u64,
}

/// A conversation message to send: to whom, of what kind, and how to build it at the
/// network's time (the Content, and the copy for the sender's other devices if any). With
/// `reply` (the sender's profile), it answers `to` as a message does.
pub(crate) struct Control {
    to: SessionId,
    kind: Kind,
    reply: Option<Outgoing>,
    build: Box<dyn Fn(u64) -> (Content, Option<Content>)>,
}

/// A conversation message stored: its row.
pub(crate) struct ControlSent {
    kind: &'static str,
    to: SessionId,
    hash: String,
    timestamp: u64,
    sync_hash: Option<String>,
}

impl ControlSent {
    /// `{"type": "sent", "kind", "to", "hash", "timestamp", "sync_hash"}`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "sent",
            "kind": self.kind,
            "to": self.to.to_string(),
            "hash": self.hash,
            "timestamp": self.timestamp,
            "sync_hash": self.sync_hash,
        })
    }
}

/// A refused argument: exit status 2.
fn input(e: control::ControlError) -> sesh::Error {
    sesh::Error::Input(e.to_string())
}

/// The profile every message of `identity` carries (`sesh profile set`), as an [`Outgoing`]
/// without text: the display name, and the avatar once uploaded (`sesh send` uploads it).
fn profile_of(client: &mut NetClient, identity: &Identity) -> Result<Outgoing> {
    let me = identity.session_id();
    let mut out = Outgoing::default();
    if let Some(p) = client.state().profile(&me)? {
        let last_sent = client.state().last_sent_name(&me)?;
        p.apply_to(&mut out, SystemClock.now_ms() / 1000, last_sent.as_ref());
    }
    Ok(out)
}

/// Sends `c` ([`send_control`]) and prints its row.
fn finish(ctx: &Ctx, mut client: NetClient, identity: &Identity, c: Control) -> Result<()> {
    let rt = runtime()?;
    let sent = rt.block_on(send_control(ctx, &mut client, identity, c))?;
    if ctx.json {
        ctx.line(sent.to_json())
    } else {
        ctx.line(format_args!("{} {}", sent.to, sent.hash))
    }
}

/// Seals what `c` builds at the network's time for its recipient and stores it, then the
/// copy for the sender's other devices when it makes one. With `reply` (the sender's
/// profile), what is sent answers the recipient as a message does: a pending request from
/// them is accepted first, and the conversation is then accepted.
pub(crate) async fn send_control(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &Identity,
    c: Control,
) -> Result<ControlSent> {
    let me = identity.session_id();
    let Control {
        to,
        kind,
        reply,
        build,
    } = c;
    let to = &to;
    if let Some(profile) = &reply {
        accept_pending(ctx, client, identity, to, profile)
            .await
            .map_err(|e| e.report(to))?;
    }
    let timestamp = client.settled_now_ms().await;
    let (content, sync) = build(timestamp);
    let hash = seal_and_store(ctx, client, identity, to, &content, timestamp, kind)
        .await
        .map_err(|e| e.report(to))?;
    let sync_hash = match sync {
        Some(c) => Some(
            seal_and_store(ctx, client, identity, &me, &c, timestamp, kind)
                .await
                .map_err(|e| e.report_sync(to, &hash))?,
        ),
        None => None,
    };
    // Stored: from here on a failure of the state is a warning, and the row is printed.
    if kind.name == "request_accepted" || reply.is_some() {
        mark_talked(client, &me, to);
    }
    Ok(ControlSent {
        kind: kind.name,
        to: *to,
        hash,
        timestamp,
        sync_hash,
    })
}

/// Seals `content` (its `sigTimestamp` is `timestamp`) from `identity` to `to` and stores it
/// in `to`'s swarm: its hash.
async fn seal_and_store(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &Identity,
    to: &SessionId,
    content: &Content,
    timestamp: u64,
    kind: Kind,
) -> Result<String, SendError> {
    let data = message::seal_content(identity, to, content, timestamp, &mut OsRng)
        .map_err(|e| SendError::Seal(sesh::Error::Seal(e)))?;
    let hash = rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
    let b64 = message::to_base64(&data);
    store(ctx, client, to, &b64, &hash, kind.ttl_ms, timestamp).await?;
    Ok(hash)
}

/// How much earlier than the reply an acceptance sent with it is stamped (session-desktop's
/// `sendMessageJob`).
const ACCEPTANCE_LEAD_MS: u64 = 100;

/// Before `sesh send`'s message to `to`: when `to` wrote first and was never answered, the
/// acceptance the apps send before the first reply to a message request (with the profile
/// `out` carries), stored first.
pub(super) async fn accept_pending(
    ctx: &Ctx,
    client: &mut NetClient,
    identity: &Identity,
    to: &SessionId,
    out: &Outgoing,
) -> Result<(), SendError> {
    let me = identity.session_id();
    // Shown by a receive in this process (the daemon's poller) but not recorded yet: the
    // page is recorded once written, and a bot may answer first.
    let shown = shown_requests()
        .lock()
        .is_ok_and(|s| s.contains(&(me, *to)))
        && !client.state().is_accepted(&me, to).unwrap_or(false);
    let pending = shown
        || client
            .state()
            .is_pending_request(&me, to)
            .unwrap_or_else(|e| {
                crate::render::warning_line(&format!(
                    "whether {} waits for an acceptance could not be read ({e}); none is sent",
                    to.short()
                ));
                false
            });
    if !pending {
        return Ok(());
    }
    // Stamped before the reply that follows, as the apps stamp it (now - 100 ms): a
    // receiver ordering by time sees the acceptance first, and never two alike.
    let timestamp = client
        .settled_now_ms()
        .await
        .saturating_sub(ACCEPTANCE_LEAD_MS);
    let content = control::request_accepted(out, timestamp);
    let kind = Kind {
        name: "request_accepted",
        ttl_ms: control::CONTROL_TTL_MS,
    };
    seal_and_store(ctx, client, identity, to, &content, timestamp, kind)
        .await
        .map(drop)
}

/// After `sesh send` stored a message to `to`: the conversation is accepted (their messages
/// are no longer requests). A state that cannot record it is a warning: the message was sent.
pub(super) fn mark_talked(client: &mut NetClient, me: &SessionId, to: &SessionId) {
    // Already accepted (every send after the first to someone): no write, no fsync.
    if matches!(client.state().is_accepted(me, to), Ok(true)) {
        return;
    }
    if let Err(e) = client.state().mark_accepted(me, to) {
        crate::render::warning_line(&format!(
            "the conversation with {} could not be recorded as accepted: {e}",
            to.short()
        ));
    }
}

/// The requests this process showed, as (account, sender): what [`accept_pending`] knows
/// before the page that showed them is recorded.
fn shown_requests() -> &'static std::sync::Mutex<std::collections::HashSet<(SessionId, SessionId)>>
{
    static SHOWN: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashSet<(SessionId, SessionId)>>,
    > = std::sync::OnceLock::new();
    SHOWN.get_or_init(Default::default)
}

/// `sesh receive`'s message requests: a message from a sender this account never sent to nor
/// accepted is marked `"request": true` (text: ` [request]` after its heading), and its sender
/// recorded as requesting, so that the first `sesh send` to them accepts first.
pub(super) struct Requests {
    account: SessionId,
    /// Who the account sent to or accepted, when the page was fetched.
    accepted: std::collections::HashSet<String>,
    /// The senders of the page's requests, recorded by [`Requests::save`].
    senders: std::sync::Mutex<Vec<SessionId>>,
}

impl Requests {
    /// The account's accepted peers, from the state.
    pub(super) fn load(client: &mut NetClient, account: &SessionId) -> Result<Self> {
        let accepted = client.state().accepted_peers(account)?;
        Ok(Self {
            account: *account,
            accepted: accepted.into_iter().collect(),
            senders: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Whether `msg` is a message request: from a sender never sent to nor accepted, and of
    /// a kind that opens a request in the apps — a visible message, or a reaction (both made
    /// a conversation there); a receipt, typing indicator or unsend from a stranger does not.
    pub(super) fn is_request(&self, msg: &message::Message) -> bool {
        msg.sender != self.account
            && !self.accepted.contains(&msg.sender.to_string())
            && matches!(
                super::message::row_kind(msg),
                RowKind::Message | RowKind::Reaction
            )
    }

    /// `row`, the rendering of `msg`, marked when `msg` is a request. Nothing is recorded:
    /// [`Requests::shown`] does that once the row is out.
    pub(super) fn mark(
        &self,
        row: Result<String>,
        msg: &message::Message,
        json: bool,
    ) -> Result<String> {
        let row = row?;
        Ok(if self.is_request(msg) {
            mark_row(row, json)
        } else {
            row
        })
    }

    /// Notes that a request from `sender` was shown, for [`Requests::save`] — and at once
    /// for this process's sends ([`accept_pending`]), before the row is written.
    pub(super) fn shown(&self, sender: SessionId) {
        if let Ok(mut shown) = shown_requests().lock() {
            shown.insert((self.account, sender));
        }
        if let Ok(mut senders) = self.senders.lock() {
            senders.push(sender);
        }
    }

    /// Records the page's requesting senders.
    pub(super) fn save(&self, client: &mut NetClient) -> Result<()> {
        let senders = match self.senders.lock() {
            Ok(mut s) => std::mem::take(&mut *s),
            Err(_) => return Ok(()),
        };
        for sender in senders {
            client.state().note_incoming(&self.account, &sender)?;
        }
        Ok(())
    }
}

/// `sesh receive`'s unsends: an unsend from the author of the message it names (as the apps,
/// one from anyone else is ignored) has that message deleted from this account's swarm too,
/// as the apps do on the recipient's side (only the swarm's owner can sign the deletion).
/// Unsends of this account's own messages are skipped: `sesh unsend` deleted the copy.
pub(super) struct Unsends {
    account: SessionId,
    /// `(author, timestamp)` of the messages unsent in the page.
    unsent: std::sync::Mutex<Vec<(SessionId, u64)>>,
}

impl Unsends {
    pub(super) fn new(account: SessionId) -> Self {
        Self {
            account,
            unsent: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Notes `msg` when it is an unsend to act on.
    pub(super) fn note(&self, msg: &message::Message) {
        let Some(u) = &msg.content.unsend_request else {
            return;
        };
        if u.author != msg.sender.to_string() || msg.sender == self.account {
            return;
        }
        if let Ok(mut unsent) = self.unsent.lock() {
            unsent.push((msg.sender, u.timestamp));
        }
    }

    /// Deletes the noted messages from `identity`'s swarm: found by reading it through (only
    /// when there is an unsend), matched by sender and timestamp. A failure is a warning: the
    /// unsend rows were printed, and the messages expire anyway.
    pub(super) async fn apply(&self, client: &mut NetClient, identity: &Identity) {
        let unsent = match self.unsent.lock() {
            Ok(mut u) => std::mem::take(&mut *u),
            Err(_) => return,
        };
        if unsent.is_empty() {
            return;
        }
        if let Err(e) = delete_unsent(client, identity, &unsent).await {
            crate::render::warning_line(&format!(
                "unsent message(s) could not be deleted from your swarm: {e}"
            ));
        }
    }
}

/// Deletes from `identity`'s swarm the messages sent by `unsent`'s authors at its timestamps.
async fn delete_unsent(
    client: &mut NetClient,
    identity: &Identity,
    unsent: &[(SessionId, u64)],
) -> Result<(), sesh::client::Error> {
    let mut hashes = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let got = client
            .retrieve(identity, Namespace::DEFAULT, last.as_deref())
            .await?;
        for m in &got.messages {
            let Ok(data) = m.decode_data() else { continue };
            let Ok(msg) = message::open_data(identity, &data) else {
                continue;
            };
            // The unsend itself names the message too: only the message is deleted.
            if msg.content.unsend_request.is_none()
                && unsent.contains(&(msg.sender, msg.timestamp_ms))
            {
                hashes.push(m.hash.clone());
            }
        }
        last = got.messages.last().map(|m| m.node_hash.clone());
        if !got.more || last.is_none() {
            break;
        }
    }
    if !hashes.is_empty() {
        client.delete_messages(identity, &hashes).await?;
    }
    Ok(())
}

/// A message row marked as a request: `"request": true` in its JSON object, or ` [request]`
/// at the end of its first text line.
fn mark_row(row: String, json: bool) -> String {
    if json {
        if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_str(&row) {
            o.insert("request".to_owned(), serde_json::Value::Bool(true));
            return serde_json::Value::Object(o).to_string();
        }
        return row;
    }
    match row.split_once('\n') {
        Some((head, rest)) => format!("{head} [request]\n{rest}"),
        None => format!("{row} [request]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_row_is_marked_in_json_and_text() {
        let row = mark_row(r#"{"type":"message","text":"hi"}"#.to_owned(), true);
        let v: serde_json::Value = serde_json::from_str(&row).unwrap();
        assert_eq!(v["request"], true);
        assert_eq!(v["text"], "hi");
        assert_eq!(
            mark_row("from 05ab at 12:00\n    hi".to_owned(), false),
            "from 05ab at 12:00 [request]\n    hi"
        );
        assert_eq!(
            mark_row("from 05ab".to_owned(), false),
            "from 05ab [request]"
        );
    }
}
