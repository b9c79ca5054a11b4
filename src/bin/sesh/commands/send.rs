//! `sesh send`: seal a message for each recipient and store it in their swarm through an
//! onion path.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use rand_core::OsRng;
use sesh::attachment;
use sesh::cli::SendArgs;
use sesh::clock::{Clock as _, Stopwatch, SystemClock};
use sesh::message::{self, Outgoing, ProfilePicture};
use sesh::profile::{AvatarUpload, DEFAULT_FILE_TTL_S, Profile};
use sesh::rpc::{self, Namespace};
use sesh::{ErrorKind, SessionId};

use super::conversation;
use super::message::{load_sender, text_or_refuse_empty};
use super::{Ctx, NetClient, Result, runtime};
use crate::output::{Record, SentAttachment, SentRecord};
use crate::render::{self, Report};

mod attach;

pub(crate) fn run(ctx: &Ctx, args: &SendArgs) -> Result<()> {
    // Through the identity's daemon when one runs (issue 14); else alone.
    if !args.no_daemon
        && let Some(done) = super::daemon::client::send(ctx, args)
    {
        return done;
    }
    let mut timings = Timings::from_env();
    let sent = send(ctx, args, &mut timings);
    timings.report();
    sent
}

fn send(ctx: &Ctx, args: &SendArgs, timings: &mut Timings) -> Result<()> {
    let mut job = Job::new(ctx, args, None, timings)?;
    let mut client = ctx.client_with(|step| timings.mark(step))?;
    job.ready(&mut client, timings)?;
    let rt = runtime()?;
    timings.mark("runtime");
    let tally = rt.block_on(deliver(
        ctx,
        &mut client,
        job,
        timings,
        &mut Printer { ctx },
    ))?;
    drop(client);
    drop(rt);
    timings.mark("shutdown");
    outcome(
        tally.recipients,
        &tally.failures,
        tally.copies,
        tally.sync_failures,
    )
}

/// One send, resolved: what `sesh send` and `sesh daemon`'s `send` method deliver.
pub(crate) struct Job {
    recipients: Vec<SessionId>,
    identity: Arc<sesh::Identity>,
    out: Outgoing,
    ttl_ms: u64,
    /// Copies for the sender's other devices.
    sync: bool,
    prepared: Vec<attach::Prepared>,
    attaching: bool,
    /// Filled by [`Job::ready`].
    profile: Option<Profile>,
    last_sent: Option<sesh::profile::SentName>,
    file_server: Option<sesh::network::FileServer>,
}

/// How a [`deliver`] went: the recipients, those that failed (each already reported), and
/// the copies for the sender's other devices (how many were to be stored, how many failed).
pub(crate) struct Tally {
    pub(crate) recipients: usize,
    pub(crate) failures: Vec<ErrorKind>,
    pub(crate) copies: usize,
    pub(crate) sync_failures: usize,
}

/// What becomes of each recipient's result: printed (`sesh send`) or collected (the
/// daemon).
pub(crate) trait Deliveries {
    /// The message to `record.to` was stored (and recorded for `sesh unsend`).
    fn sent(&mut self, record: SentRecord);
    /// The message to `to` was not stored; `alone` when it was the only recipient. An
    /// error stops the send.
    fn failed(&mut self, to: &SessionId, report: Report, alone: bool) -> Result<()>;
    /// The message to `to` was stored, but its copy for the sender's other devices was not.
    fn sync_failed(&mut self, _to: &SessionId, report: Report) {
        render::error_line(&report.message(), report.hint());
    }
}

/// `sesh send`'s [`Deliveries`]: a line (or record) per message sent, on standard output;
/// an error per failure, on standard error (the only recipient's is the command's).
struct Printer<'a> {
    ctx: &'a Ctx,
}

impl Deliveries for Printer<'_> {
    fn sent(&mut self, record: SentRecord) {
        let (to, hash) = (record.to.clone(), record.hash.clone());
        let printed = if self.ctx.json {
            self.ctx.record(&Record::Sent(record))
        } else {
            self.ctx.line(format_args!("{to} {hash}"))
        };
        // The message is stored: it was sent, whatever happens to its line. A full disk or
        // a closed standard output does not make it a failure (a script that retries would
        // send it twice) nor stop the other recipients' sends; the warning names the hash
        // instead.
        if let Err(e) = printed {
            render::warning_line(&format!(
                "sent to {to} (hash {hash}), but its line could not be written: {}",
                e.message()
            ));
        }
    }

    fn failed(&mut self, _to: &SessionId, report: Report, alone: bool) -> Result<()> {
        // One recipient: its error is the command's, printed once.
        if alone {
            return Err(report);
        }
        render::error_line(&report.message(), report.hint());
        Ok(())
    }
}

impl Job {
    /// Resolves and checks everything before touching the network: the recipients, the
    /// text (or standard input), the attachments (read and encrypted), the size. `identity`
    /// is the sender's when already loaded (the daemon); else `args.identity` is read.
    pub(crate) fn new(
        ctx: &Ctx,
        args: &SendArgs,
        identity: Option<Arc<sesh::Identity>>,
        timings: &mut Timings,
    ) -> Result<Self> {
        // Resolved before anything else; each distinct name asked once.
        let texts: Vec<&str> = args.recipients.iter().map(String::as_str).collect();
        let mut recipients = super::resolve::recipients(ctx, &texts)?;
        // A recipient named twice (a list built by a script) gets one message, not two.
        let mut seen = std::collections::HashSet::new();
        recipients.retain(|r| seen.insert(*r));
        // The name a message carries is held to what `profile set --name` accepts.
        if let Some(name) = &args.name {
            sesh::profile::check_name(name)?;
        }
        // The parser held --ttl to what a swarm keeps (10s to 14d).
        let mut ttl_ms = u64::try_from(args.ttl.as_millis()).unwrap_or(u64::MAX);
        let expiration = disappearing(args);
        if let Some((message::wire::ExpirationType::DeleteAfterSend, secs)) = expiration {
            // Gone from the swarm when it disappears from the apps.
            ttl_ms = ttl_ms.min(u64::from(secs) * 1000);
        }
        timings.mark("arguments");
        // Attachments: every file read, checked and encrypted before anything else (standard
        // input may be one of them); with them the text is the caption, and may be absent.
        let attaching = !args.attach.is_empty();
        let prepared = attach::prepare(args)?;
        if attaching {
            timings.mark("attachments read and encrypted");
        }
        let (identity, text) = match identity {
            Some(identity) => (identity, args.message.clone().unwrap_or_default()),
            None if attaching => {
                let identity = ctx.load_identity(&args.identity)?;
                (Arc::new(identity), args.message.clone().unwrap_or_default())
            }
            None => {
                let (identity, text) = load_sender(ctx, &args.identity, args.message.as_ref())?;
                let text = text_or_refuse_empty(args.message.as_ref(), text)?;
                (Arc::new(identity), text)
            }
        };
        timings.mark("identity and text");
        // Copies for the sender's other devices (§3.5 step 7), unless asked not to; a
        // message to oneself is already in one's own swarm.
        let sync = !args.no_sync;
        let mut out = Outgoing::new(text);
        out.display_name.clone_from(&args.name);
        out.expiration = expiration;
        // A message too long to seal is the input's fault: say so before touching the
        // network or the state, and again once the profile is in it.
        size_check(&identity, &recipients[0], &out, sync)?;
        timings.mark("size check");
        Ok(Self {
            recipients,
            identity,
            out,
            ttl_ms,
            sync,
            prepared,
            attaching,
            profile: None,
            last_sent: None,
            file_server: None,
        })
    }

    /// Adds the profile, which every message carries (`sesh profile set`), and checks what
    /// the uploads will add, before any.
    pub(crate) fn ready(&mut self, client: &mut NetClient, timings: &mut Timings) -> Result<()> {
        let me = self.identity.session_id();
        let (identity, out, sync) = (&*self.identity, &mut self.out, self.sync);
        let to = &self.recipients[0];
        self.profile = client.state().profile(&me)?;
        // The name and time the last message carried: a name that differs is a newer change.
        self.last_sent = match &self.profile {
            Some(_) => client.state().last_sent_name(&me)?,
            None => None,
        };
        if let Some(p) = &self.profile {
            p.apply_to(out, SystemClock.now_ms() / 1000, self.last_sent.as_ref());
            size_check(identity, to, out, sync)?;
        }
        timings.mark("profile");
        self.file_server = client.network().file_server.clone();
        if self.attaching && self.file_server.is_none() {
            return Err(sesh::Error::Input(format!(
                "network '{}' has no file server to upload attachments to",
                client.network().name
            ))
            .into());
        }
        // What the uploads below add to the message, checked before any: the attachments'
        // pointers and an avatar not yet uploaded, with the longest file id a server gives.
        if let Some(server) = &self.file_server {
            let longest_url = format!("{}/file/{}", server.url, "0".repeat(attach::LONGEST_ID));
            let mut largest = out.clone();
            largest.attachments = self
                .prepared
                .iter()
                .map(|p| p.placeholder(server))
                .collect();
            if self.profile.as_ref().is_some_and(|p| p.avatar.is_some())
                && out.profile_picture.is_none()
            {
                largest.profile_picture = Some(ProfilePicture::new(longest_url, [0; 32]));
            }
            size_check(identity, to, &largest, sync)?;
        }
        Ok(())
    }
}

/// Sends a [`Job`] (made [`Job::ready`]) to each recipient in turn through `client`, telling
/// `results` how each went.
pub(crate) async fn deliver(
    ctx: &Ctx,
    client: &mut NetClient,
    job: Job,
    timings: &mut Timings,
    results: &mut dyn Deliveries,
) -> Result<Tally> {
    let Job {
        recipients,
        identity,
        mut out,
        ttl_ms,
        sync,
        prepared,
        attaching,
        mut profile,
        last_sent,
        file_server,
    } = job;
    let me = identity.session_id();
    // The pool and paths the state holds, loaded here rather than inside the first request
    // only to time them apart from the round trips (a store would load them the same way).
    client.load_cached()?;
    timings.mark("pool and paths");
    let mut failures: Vec<ErrorKind> = Vec::new();
    // Copies for the sender's other devices: how many were to be stored, how many failed.
    let (mut copies, mut sync_failures) = (0usize, 0usize);
    if let Some(p) = &mut profile {
        // Now with the network's time, which decides whether the avatar's upload is
        // still good, or must be made again before a message points to it.
        let now_s = client.settled_now_ms().await / 1000;
        if refresh_avatar(ctx, client, &me, p, now_s).await? {
            timings.mark("avatar upload");
        }
        let sent = p.apply_to(&mut out, now_s, last_sent.as_ref());
        // Recorded before the sends: whatever of them reaches a receiver, the next
        // message's time is at least this one's.
        if last_sent.as_ref() != Some(&sent) {
            client.state().save_sent_name(&me, &sent)?;
        }
    }
    // Each file uploaded once, before any message refers to it.
    if let Some(server) = file_server.as_ref().filter(|_| attaching) {
        out.attachments = attach::upload_all(ctx, client, server, prepared).await?;
        timings.mark("attachments upload");
    }
    let attachments: Vec<SentAttachment> = out
        .attachments
        .iter()
        .map(|a| SentAttachment {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            url: a.url.clone(),
        })
        .collect();
    for to in &recipients {
        let sync_to = (sync && *to != me).then_some(&*identity);
        // A reply to a message request is preceded by its acceptance (issue 13).
        let sent = match conversation::accept_pending(ctx, client, &identity, to, &out).await {
            Ok(()) => send_one(ctx, client, &identity, to, &out, sync_to, ttl_ms, timings).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(sent) => {
                conversation::mark_talked(client, &me, to);
                copies += usize::from(sent.sync.is_some());
                let sync_hash = match sent.sync {
                    Some(Ok(hash)) => Some(hash),
                    Some(Err(e)) => {
                        sync_failures += 1;
                        results.sync_failed(to, e.report_sync(to, &sent.hash));
                        None
                    }
                    None => None,
                };
                let (hash, timestamp) = (sent.hash, sent.timestamp);
                // Recorded for `sesh unsend` before the line says it was sent. The
                // message is stored whatever happens here: a failure is a warning.
                let record = sesh::client::SentMessage {
                    hash: hash.clone(),
                    recipient: *to,
                    timestamp_ms: timestamp,
                    sync_hash: sync_hash.clone(),
                };
                if let Err(e) = client.state().record_sent(&me, &record) {
                    render::warning_line(&format!(
                        "sent to {to} (hash {hash}), but not recorded for 'sesh unsend': {e}"
                    ));
                }
                results.sent(SentRecord {
                    to: to.to_string(),
                    hash,
                    timestamp,
                    sync_hash,
                    attachments: attachments.clone(),
                });
                timings.mark("output");
            }
            Err(e) => {
                let r = e.report(to);
                failures.push(r.kind());
                results.failed(to, r, recipients.len() == 1)?;
            }
        }
    }
    Ok(Tally {
        recipients: recipients.len(),
        failures,
        copies,
        sync_failures,
    })
}

/// The disappearing-message setting `--disappear`/`--after` ask for: the expiration type and
/// timer (whole seconds; the parser held the duration to 10 s–14 d), as the apps set them.
fn disappearing(args: &SendArgs) -> Option<(message::wire::ExpirationType, u32)> {
    let secs = u32::try_from(args.disappear?.as_secs()).unwrap_or(u32::MAX);
    let kind = match args.after {
        Some(sesh::cli::DisappearAfter::Send) => message::wire::ExpirationType::DeleteAfterSend,
        Some(sesh::cli::DisappearAfter::Read) | None => {
            message::wire::ExpirationType::DeleteAfterRead
        }
    };
    Some((kind, secs))
}

/// The command's result once every recipient was tried: `failures` are the recipients that
/// failed (each already reported), `sync_failures` the copies for the sender's other devices
/// that could not be stored although their message was (each reported too), of `copies`
/// that were to be.
///
/// A failed copy makes the command a partial failure (exit status 4): the message was sent,
/// so a retry would send it twice, but the sender's other devices will not show it.
pub(crate) fn outcome(
    recipients: usize,
    failures: &[ErrorKind],
    copies: usize,
    sync_failures: usize,
) -> Result<()> {
    let copies = (sync_failures > 0).then(|| {
        format!(
            "{sync_failures} of {copies} {} for your other devices could not be stored",
            if copies == 1 { "copy" } else { "copies" }
        )
    });
    if failures.is_empty() {
        return match copies {
            None => Ok(()),
            Some(c) => Err(Report::summary(ErrorKind::Partial, c)),
        };
    }
    let kind = if failures.len() < recipients {
        ErrorKind::Partial
    } else if failures.iter().all(|k| *k == failures[0]) {
        // Every recipient failed the same way: the command did.
        failures[0]
    } else {
        ErrorKind::Failure
    };
    let mut tally = format!("{} of {recipients} recipients failed", failures.len());
    if let Some(c) = copies {
        tally = format!("{tally}; {c}");
    }
    Err(Report::summary(kind, tally))
}

/// Uploads the profile's avatar, encrypted with the profile key (§10.4), when it was never
/// uploaded or its upload expires within a day, and records the upload in the state: whether
/// it uploaded.
///
/// A failed upload while the previous one is still good is a warning (messages point to the
/// previous one); with none to point to, the send stops before anything is sent.
async fn refresh_avatar(
    ctx: &Ctx,
    client: &mut super::NetClient,
    me: &SessionId,
    p: &mut Profile,
    now_s: u64,
) -> Result<bool> {
    let Some(avatar) = p.avatar.as_mut().filter(|a| a.needs_upload(now_s)) else {
        return Ok(false);
    };
    let Some(server) = client.network().file_server.clone() else {
        ctx.note(format_args!(
            "network '{}' has no file server: messages carry no avatar",
            client.network().name
        ));
        return Ok(false);
    };
    let blob = attachment::encrypt_profile_picture(&avatar.image, &p.key, &mut OsRng);
    match client.upload_file(&server, blob).await {
        Ok(up) => {
            // The server's word on expiry, if sane; else its usual keep (14 days).
            let expires_s = up
                .expires
                .filter(|e| e.is_finite() && *e >= 0.0 && *e < 1e15)
                .map_or(now_s.saturating_add(DEFAULT_FILE_TTL_S), |e| e as u64);
            let upload = AvatarUpload::new(up.url, expires_s);
            // A new URL is a change of profile: receivers take it only from a newer one.
            let updated_s = now_s.max(p.updated_s.saturating_add(1));
            client
                .state()
                .save_avatar_upload(me, &avatar.image, &upload, updated_s)?;
            avatar.upload = Some(upload);
            p.updated_s = updated_s;
            Ok(true)
        }
        Err(e) => {
            let r = Report::from(e).context("uploading the avatar");
            match avatar.usable_upload(now_s) {
                Some(old) => {
                    render::warning_line(&format!(
                        "{}; messages point to the previous upload, kept until {}",
                        r.message(),
                        super::message::format_time(old.expires_s.saturating_mul(1000))
                    ));
                    Ok(false)
                }
                None => Err(r.with_hint(Some(
                    "nothing was sent; run again, or send without the avatar after \
                     'sesh profile set --no-avatar'"
                        .to_owned(),
                ))),
            }
        }
    }
}

/// Refuses a message too long to seal, before anything is sent.
///
/// Sealed at this computer's time, whose encoding is as long as the network time's (the
/// timestamp's varint is 6 bytes from 1971 to 2109), so what passes here seals later too.
/// With `sync`, the copy for the sender's other devices is the larger (it names the
/// recipient, and every Session ID is as long): it is the one checked.
fn size_check(identity: &sesh::Identity, to: &SessionId, out: &Outgoing, sync: bool) -> Result<()> {
    let largest = if sync { out.sync_copy(to) } else { out.clone() };
    message::seal(identity, to, &largest, SystemClock.now_ms(), &mut OsRng)
        .map_err(sesh::Error::Seal)?;
    Ok(())
}

/// A message stored in its recipient's swarm.
struct Sent {
    hash: String,
    timestamp: u64,
    /// The copy for the sender's other devices: its hash once stored, or why it was not;
    /// `None` when none was to be stored.
    sync: Option<Result<String, SendError>>,
}

/// Seals once and stores; the client retries the same payload on other paths and members,
/// so a retry cannot store a second message. When a node says our clock is off even after
/// the client resynchronised, the same payload is stored again with the corrected store
/// timestamp (the message keeps the time it was sealed with; its hash, which covers only the
/// payload, stays the same).
///
/// With `sync_to` (the sender), the same Content with `syncTarget` naming the recipient is
/// then sealed to the sender and stored in their own swarm with the same timestamp (§3.5 step
/// 7), only once the recipient's message is stored: a copy never claims a message that was
/// not sent.
#[expect(
    clippy::too_many_arguments,
    reason = "one send's inputs, named at the one call"
)]
async fn send_one(
    ctx: &Ctx,
    client: &mut super::NetClient,
    identity: &sesh::Identity,
    to: &SessionId,
    out: &Outgoing,
    sync_to: Option<&sesh::Identity>,
    ttl_ms: u64,
    timings: &mut Timings,
) -> Result<Sent, SendError> {
    use message::wire::ExpirationType::{DeleteAfterRead, DeleteAfterSend};
    // A message to oneself is read as it is sent: the apps only offer "after send" there
    // (desktop's changeToDisappearingMessageType), and the swarm keeps it no longer.
    let to_self;
    let (out, ttl_ms) = match out.expiration {
        Some((DeleteAfterRead, secs)) if *to == identity.session_id() => {
            to_self = {
                let mut o = out.clone();
                o.expiration = Some((DeleteAfterSend, secs));
                o
            };
            (&to_self, ttl_ms.min(u64::from(secs) * 1000))
        }
        _ => (out, ttl_ms),
    };
    // The sender's own copy of a message that disappears after reading is read already: the
    // apps store it for the timer only.
    let sync_ttl_ms = match out.expiration {
        Some((DeleteAfterRead, secs)) => ttl_ms.min(u64::from(secs) * 1000),
        _ => ttl_ms,
    };
    // Settled first: a payload sealed with a skewed clock keeps that time inside, even when a
    // node's 406 later corrects the store timestamp.
    let timestamp = client.settled_now_ms().await;
    let data = message::seal(identity, to, out, timestamp, &mut OsRng)
        .map_err(|e| SendError::Seal(sesh::Error::Seal(e)))?;
    let b64 = message::to_base64(&data);
    let hash = rpc::message_hash(&to.to_bytes(), Namespace::DEFAULT, &data);
    timings.mark("clock and seal");
    store(ctx, client, to, &b64, &hash, ttl_ms, timestamp).await?;
    timings.mark("store (network)");
    let sync = match sync_to {
        Some(me) => {
            Some(store_sync_copy(ctx, client, me, to, out, sync_ttl_ms, timestamp, timings).await)
        }
        None => None,
    };
    Ok(Sent {
        hash,
        timestamp,
        sync,
    })
}

/// Seals `out` with `syncTarget` = `to` for the sender `me`, and stores it in their own swarm,
/// stamped `timestamp` as the message it copies: the copy's hash.
#[expect(
    clippy::too_many_arguments,
    reason = "one send's context, passed down once"
)]
async fn store_sync_copy(
    ctx: &Ctx,
    client: &mut super::NetClient,
    me: &sesh::Identity,
    to: &SessionId,
    out: &Outgoing,
    ttl_ms: u64,
    timestamp: u64,
    timings: &mut Timings,
) -> Result<String, SendError> {
    let own = me.session_id();
    let data = message::seal(me, &own, &out.sync_copy(to), timestamp, &mut OsRng)
        .map_err(|e| SendError::Seal(sesh::Error::Seal(e)))?;
    let hash = rpc::message_hash(&own.to_bytes(), Namespace::DEFAULT, &data);
    timings.mark("sync copy seal");
    let stored = store(
        ctx,
        client,
        &own,
        &message::to_base64(&data),
        &hash,
        ttl_ms,
        timestamp,
    )
    .await;
    timings.mark("sync copy store (network)");
    stored.map(|()| hash)
}

/// Stores the sealed payload, again with a corrected store timestamp after a 406.
pub(super) async fn store(
    ctx: &Ctx,
    client: &mut super::NetClient,
    to: &SessionId,
    b64: &str,
    hash: &str,
    ttl_ms: u64,
    timestamp: u64,
) -> Result<(), SendError> {
    let mut store_ts = timestamp;
    let mut retried = false;
    loop {
        match client.store(to, b64, ttl_ms, store_ts).await {
            Ok(o) => {
                if let Some(warning) = hash_mismatch(hash, &o.hash) {
                    ctx.note(warning);
                }
                return Ok(());
            }
            Err(sesh::client::Error::ClockOutOfSync { .. }) if !retried => {
                retried = true;
                store_ts = client.network_now_ms();
            }
            Err(error) => {
                return Err(SendError::Store {
                    error,
                    hash: hash.to_owned(),
                });
            }
        }
    }
}

/// `SESH_TIMINGS=1`: how long each step of the command took, on standard error when it
/// ends, to see where a send's time goes. Step names and durations only: never the text, a
/// key or an address.
pub(crate) struct Timings {
    /// `None` unless `SESH_TIMINGS=1`: the stopwatch, and when the last step ended on it.
    on: Option<(Stopwatch, Duration)>,
    steps: Vec<(&'static str, Duration)>,
}

impl Timings {
    pub(crate) fn from_env() -> Self {
        let on = std::env::var_os("SESH_TIMINGS").is_some_and(|v| v == "1");
        Self {
            on: on.then(|| (Stopwatch::start(), Duration::ZERO)),
            steps: Vec::new(),
        }
    }

    /// Ends the step `name` (it began when the previous one ended).
    fn mark(&mut self, name: &'static str) {
        if let Some((watch, last)) = &mut self.on {
            let now = watch.elapsed();
            self.steps.push((name, now.saturating_sub(*last)));
            *last = now;
        }
    }

    /// One line: `sesh: timings: arguments 0.010 ms, …, total 12.300 ms`.
    pub(crate) fn report(&self) {
        let Some((_, last)) = self.on else { return };
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
        let mut line = String::from("sesh: timings:");
        for (name, d) in &self.steps {
            line.push_str(&format!(" {name} {},", ms(*d)));
        }
        line.push_str(&format!(" total {}", ms(last)));
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// A warning when the member that stored the message named another hash than the one
/// computed here from the recipient and the data (§4.6). `send` prints the computed hash,
/// never the member's answer, which is a node's word (it could be anything, escape sequences
/// included), so a member cannot make `send` print a hash that `receive` will not see.
fn hash_mismatch(computed: &str, answered: &str) -> Option<String> {
    (computed != answered).then(|| {
        // A hash is 43 characters: more is shown as the start only.
        let mut shown: String = answered.chars().take(64).collect();
        if shown.len() < answered.len() {
            shown.push('…');
        }
        format!(
            "warning: the swarm member answered hash '{shown}', not the message's hash \
             {computed}; it may not have stored the message as sent"
        )
    })
}

/// Why one recipient's send failed.
pub(super) enum SendError {
    /// The message could not be sealed.
    Seal(sesh::Error),
    /// The store failed; `hash` is the hash the message would have in the swarm.
    Store {
        error: sesh::client::Error,
        hash: String,
    },
}

impl SendError {
    /// The error of a copy for the sender's other devices that was not stored, although the
    /// message to `to` was (as `hash`).
    pub(super) fn report_sync(self, to: &SessionId, hash: &str) -> Report {
        let what = format!(
            "storing the copy of the message to {} for your other devices",
            to.short()
        );
        let r = match self {
            Self::Seal(e) => Report::from(e),
            Self::Store { error, .. } => Report::from(error),
        };
        r.context(what).with_hint(Some(format!(
            "the message itself was sent (hash {hash}); re-running would send it again"
        )))
    }

    /// The error as the command reports it, naming the recipient. When the request may have
    /// reached the swarm before the failure, the hint names the hash it would have, so that
    /// a re-run can be checked rather than doubled.
    pub(super) fn report(self, to: &SessionId) -> Report {
        let what = format!("sending to {}", to.short());
        match self {
            Self::Seal(e) => Report::from(e).context(what),
            Self::Store { error, hash } => {
                let maybe_stored = error.may_have_reached_swarm();
                let r = Report::from(error).context(what);
                if maybe_stored {
                    r.with_hint(Some(format!(
                        "it may have been stored anyway, with hash {hash}; \
                         re-running sends another copy"
                    )))
                } else {
                    r
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_that_failed_makes_the_send_partial_never_a_retry() {
        assert!(outcome(2, &[], 2, 0).is_ok());
        // The message was sent, its copy was not: partial (4), not a network failure (3)
        // that a script would retry, sending the message twice.
        let r = outcome(1, &[], 1, 1).unwrap_err();
        assert_eq!(r.kind(), ErrorKind::Partial);
        assert_eq!(
            r.message(),
            "1 of 1 copy for your other devices could not be stored"
        );
        let r = outcome(3, &[ErrorKind::Transient], 2, 1).unwrap_err();
        assert_eq!(r.kind(), ErrorKind::Partial);
        assert_eq!(
            r.message(),
            "1 of 3 recipients failed; 1 of 2 copies for your other devices could not be stored"
        );
        // Every recipient failed the same way: that is the command's kind.
        let r = outcome(2, &[ErrorKind::Transient; 2], 0, 0).unwrap_err();
        assert_eq!(r.kind(), ErrorKind::Transient);
    }

    #[test]
    fn a_members_hash_is_never_what_send_prints() {
        assert_eq!(hash_mismatch("CcyrwRSU", "CcyrwRSU"), None);
        let forged = "x\n05ab… deadbeef\u{1b}]0;owned\u{7}";
        let warning = hash_mismatch("CcyrwRSU", forged).expect("a warning");
        assert!(
            warning.contains("not the message's hash CcyrwRSU"),
            "{warning}"
        );
        // Printed through Ctx::note, which escapes it.
        assert!(!crate::escape::line(&warning).contains(['\n', '\u{1b}']));
        let huge = "A".repeat(1 << 20);
        assert!(hash_mismatch("CcyrwRSU", &huge).unwrap().len() < 200);
    }
}
