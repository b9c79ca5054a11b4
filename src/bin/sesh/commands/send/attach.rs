//! `sesh send --attach`: every file read, checked and encrypted before anything is sent, then
//! each uploaded once to the file server through an onion path (§10.1, §10.2).

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_core::OsRng;
use sesh::attachment::{self, MAX_PADDED_LEN};
use sesh::cli::SendArgs;
use sesh::clock::Stopwatch;
use sesh::message::OutgoingAttachment;
use sesh::network::FileServer;

use super::super::{Ctx, NetClient, Result, is_stdio, read_stdin};
use crate::render::Report;

/// Uploads are shown by a progress bar once they have taken this long (on a terminal).
const SHOW_PROGRESS_AFTER: Duration = Duration::from_secs(2);

/// The longest file id sesh accepts from a file server (`client::files`): the size check
/// before any upload counts with it.
pub(super) const LONGEST_ID: usize = 128;

/// How many of a file's first bytes decide its content type.
const HEAD_LEN: usize = 64;

/// A file read and encrypted, not yet uploaded.
pub(super) struct Prepared {
    /// How the command line named it, for messages.
    shown: String,
    file_name: Option<String>,
    content_type: &'static str,
    size: u32,
    encrypted: attachment::Encrypted,
}

impl Prepared {
    /// The pointer a message carries of this file, once uploaded as `id` at `url`.
    fn pointer(&self, id: String, url: String) -> OutgoingAttachment {
        let mut a = OutgoingAttachment::new(
            id,
            url,
            self.encrypted.key.to_vec(),
            self.encrypted.digest.to_vec(),
            self.size,
            self.content_type,
        );
        a.file_name.clone_from(&self.file_name);
        a
    }

    /// The pointer with the longest id a file server gives (for the size check before any
    /// upload: a message that fits with it fits with the real one).
    pub(super) fn placeholder(&self, server: &FileServer) -> OutgoingAttachment {
        let id = "0".repeat(LONGEST_ID);
        self.pointer(id.clone(), format!("{}/file/{id}", server.url))
    }
}

/// Reads, checks and encrypts every `--attach` file: nothing is sent yet.
///
/// # Errors
/// Standard input named twice or also for the identity, `--attach-name` without `--attach
/// -` (exit status 2); a file that cannot be read (1); a file too large for the file server
/// (2).
pub(super) fn prepare(args: &SendArgs) -> Result<Vec<Prepared>> {
    let stdin_count = args.attach.iter().filter(|p| is_stdio(p)).count();
    let input = |msg: &str| -> Report { sesh::Error::Input(msg.to_owned()).into() };
    if stdin_count > 1 {
        return Err(input("standard input can be attached only once"));
    }
    if stdin_count == 1 && args.identity.identity.as_deref().is_some_and(is_stdio) {
        return Err(input(
            "the attachment and the identity cannot both come from standard input",
        ));
    }
    if args.attach_name.is_some() && stdin_count == 0 {
        return Err(input(
            "--attach-name names the attachment read from standard input: give --attach -",
        ));
    }
    args.attach
        .iter()
        .map(|path| {
            let (shown, file_name) = if is_stdio(path) {
                ("-".to_owned(), args.attach_name.clone())
            } else {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                (path.display().to_string(), name)
            };
            let what = format!("attachment '{shown}'");
            let bytes = read(path).map_err(|e| e.context(what.clone()))?;
            let head = &bytes[..bytes.len().min(HEAD_LEN)];
            let content_type = attachment::content_type(file_name.as_deref(), head);
            let encrypted = attachment::encrypt(&bytes, &mut OsRng)
                .map_err(|e| Report::from(e).context(what.clone()))?;
            let size = u32::try_from(bytes.len()).map_err(|_| {
                Report::from(attachment::Error::TooLarge {
                    len: bytes.len(),
                    max: MAX_PADDED_LEN,
                })
                .context(what)
            })?;
            Ok(Prepared {
                shown,
                file_name,
                content_type,
                size,
                encrypted,
            })
        })
        .collect()
}

/// A file's bytes, read up to one byte past the most an attachment can hold.
fn read(path: &Path) -> Result<Vec<u8>> {
    let limit = MAX_PADDED_LEN as u64;
    let too_large = |len: u64| attachment::Error::TooLarge {
        len: usize::try_from(len).unwrap_or(usize::MAX),
        max: MAX_PADDED_LEN,
    };
    if is_stdio(path) {
        return Ok(read_stdin(limit)?.ok_or_else(|| too_large(limit + 1))?);
    }
    let io = |source| sesh::Error::Io {
        action: "reading",
        path: PathBuf::from(path),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(sesh::Error::Input("a directory, not a file".to_owned()).into());
    }
    // A regular file's size is known: one too large is refused unread.
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(meta.len()).into());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64).into());
    }
    Ok(bytes)
}

/// Uploads each prepared file once to `server`, in order: the pointers messages carry.
///
/// A progress bar on standard error shows the uploads once they have taken
/// [`SHOW_PROGRESS_AFTER`], when standard error is a terminal (never when it is piped) and
/// not `--quiet`.
///
/// # Errors
/// The first upload that fails, naming its file; nothing has been sent then.
pub(super) async fn upload_all(
    ctx: &Ctx,
    client: &mut NetClient,
    server: &FileServer,
    prepared: Vec<Prepared>,
) -> Result<Vec<OutgoingAttachment>> {
    let total: u64 = prepared.iter().map(|p| p.encrypted.blob.len() as u64).sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} uploading {msg} {bar:30} {binary_bytes}/{binary_total_bytes}, {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let may_show = std::io::stderr().is_terminal() && !ctx.quiet;
    let watch = Stopwatch::start();
    let count = prepared.len();
    let mut pointers = Vec::with_capacity(count);
    for (i, mut p) in prepared.into_iter().enumerate() {
        bar.set_message(format!("{} of {count}", i + 1));
        let blob = std::mem::take(&mut p.encrypted.blob);
        let len = blob.len() as u64;
        let upload = client.upload_file(server, blob);
        tokio::pin!(upload);
        let uploaded = loop {
            let shown = !bar.is_hidden();
            if may_show && !shown && watch.elapsed() >= SHOW_PROGRESS_AFTER {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            let wait = if may_show && bar.is_hidden() {
                SHOW_PROGRESS_AFTER.saturating_sub(watch.elapsed())
            } else {
                // Nothing more to decide: wait for the upload alone.
                Duration::MAX
            };
            tokio::select! {
                r = &mut upload => break r,
                () = sleep_or_never(wait) => {}
            }
        };
        let uploaded = uploaded.map_err(|e| {
            bar.finish_and_clear();
            Report::from(e).context(format!("uploading attachment '{}'", p.shown))
        })?;
        bar.inc(len);
        pointers.push(p.pointer(uploaded.id, uploaded.url));
    }
    bar.finish_and_clear();
    Ok(pointers)
}

/// Sleeps `d`, or forever when `d` is [`Duration::MAX`].
async fn sleep_or_never(d: Duration) {
    if d == Duration::MAX {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(d).await;
}
