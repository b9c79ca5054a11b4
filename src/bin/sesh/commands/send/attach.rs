//! `sesh send --attach`: every file read, checked and encrypted before anything is sent, then
//! each uploaded once to the file server through an onion path (§10.1, §10.2).

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_core::OsRng;
use sesh::attachment::{self, MAX_FILE_SIZE, MAX_PADDED_LEN};
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
/// Standard input named twice or also for the identity, `--attach -` without
/// `--attach-name` or `--attach-name` without `--attach -`, a directory, a file too large
/// for the file server (exit status 2); a file that is missing or cannot be read (1).
pub(super) fn prepare(args: &SendArgs) -> Result<Vec<Prepared>> {
    let stdin_count = args.attach.iter().filter(|p| is_stdio(p)).count();
    let input = |msg: &str, hint: &str| -> Report {
        Report::from(sesh::Error::Input(msg.to_owned())).with_hint(Some(hint.to_owned()))
    };
    if stdin_count > 1 {
        return Err(input(
            "standard input can be attached only once",
            "give '--attach -' once; attach the other files by their paths",
        ));
    }
    if stdin_count == 1 && args.identity.identity.as_deref().is_some_and(is_stdio) {
        return Err(input(
            "the attachment and the identity cannot both come from standard input",
            "read the identity from its file (--identity FILE) or attach the file by its path",
        ));
    }
    if args.attach_name.is_some() && stdin_count == 0 {
        return Err(input(
            "--attach-name names the attachment read from standard input, and there is none",
            "give --attach - with it, or leave --attach-name out",
        ));
    }
    if stdin_count == 1 && args.attach_name.is_none() {
        return Err(input(
            "a file attached from standard input needs a name",
            "add --attach-name NAME, the file name the recipient sees (e.g. report.pdf)",
        ));
    }
    args.attach
        .iter()
        .map(|path| {
            let (shown, file_name) = if is_stdio(path) {
                let name = args.attach_name.clone().unwrap_or_default();
                (name.clone(), Some(name))
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
            // `read` held it to MAX_PADDED_LEN, far below u32::MAX.
            let size = u32::try_from(bytes.len())
                .map_err(|_| too_large(Size::Exactly(bytes.len() as u64)).context(what))?;
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

/// How large a refused file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    /// Its size.
    Exactly(u64),
    /// At least this many bytes (a stream, counted no further).
    AtLeast(u64),
}

/// How much of standard input is read to tell the size of one that is too large: past
/// this, it is "more than" (an endless stream must not hang the command).
const STDIN_COUNT_LIMIT: u64 = 1 << 30;

/// The refusal of a file too large for the file server (exit status 2).
fn too_large(size: Size) -> Report {
    let size = match size {
        Size::Exactly(n) => format!("{n} bytes"),
        Size::AtLeast(n) => format!("at least {n} bytes"),
    };
    Report::from(sesh::Error::Input(format!(
        "{size}: too large; a file holds at most {MAX_PADDED_LEN} bytes (the file server's \
         limit of {MAX_FILE_SIZE} bytes, once encrypted and padded)"
    )))
    .with_hint(Some(
        "send a smaller file, or split it (e.g. 'split -b 9M FILE') and attach the parts"
            .to_owned(),
    ))
}

/// A file's bytes, read up to one byte past the most an attachment can hold.
fn read(path: &Path) -> Result<Vec<u8>> {
    let limit = MAX_PADDED_LEN as u64;
    if is_stdio(path) {
        return match read_stdin(limit)? {
            Some(bytes) => Ok(bytes),
            // Tell the real size: the rest is counted (up to a bound), not kept.
            None => Err(too_large(count_rest_of_stdin(limit + 1))),
        };
    }
    let io = |source: std::io::Error| {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => "check the path; nothing was sent",
            std::io::ErrorKind::PermissionDenied => {
                "the file must be readable by you; nothing was sent"
            }
            _ => "nothing was sent",
        };
        Report::from(sesh::Error::Io {
            action: "reading",
            path: PathBuf::from(path),
            source,
        })
        .with_hint(Some(hint.to_owned()))
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(Report::from(sesh::Error::Input(
            "a directory, not a file".to_owned(),
        ))
        .with_hint(Some(
            "attach the files in it one by one, or an archive of it (e.g. 'tar czf dir.tgz DIR')"
                .to_owned(),
        )));
    }
    // A regular file's size is known: one too large is refused unread.
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(Size::Exactly(meta.len())));
    }
    let mut bytes = Vec::new();
    (&file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        // Not a regular file (a FIFO, a device): count what is left, up to a bound.
        let more =
            std::io::copy(&mut (&file).take(STDIN_COUNT_LIMIT), &mut std::io::sink()).unwrap_or(0);
        return Err(too_large(size_of(bytes.len() as u64, more)));
    }
    Ok(bytes)
}

/// The size of a stream of which `read` bytes were read, then `more` counted after them
/// (up to [`STDIN_COUNT_LIMIT`]).
fn size_of(read: u64, more: u64) -> Size {
    if more >= STDIN_COUNT_LIMIT {
        Size::AtLeast(read.saturating_add(more))
    } else {
        Size::Exactly(read.saturating_add(more))
    }
}

/// The size of standard input of which `read` bytes were already taken: the rest counted
/// and discarded, up to [`STDIN_COUNT_LIMIT`].
fn count_rest_of_stdin(read: u64) -> Size {
    let more = std::io::copy(
        &mut std::io::stdin().lock().take(STDIN_COUNT_LIMIT),
        &mut std::io::sink(),
    )
    .unwrap_or(0);
    size_of(read, more)
}

/// What the upload indicator shows: a spinner, which file of how many, its size and the
/// time spent. No bar, no percentage: an upload is one onion request, whose progress sesh
/// cannot see until the answer comes, and a bar that stays at 0 then jumps is worse than
/// none.
const PROGRESS_TEMPLATE: &str = "{spinner} {msg}, {elapsed}";

/// The indicator's message while `shown` (`len` bytes once encrypted, file `index` of
/// `count`, `total` bytes in all) uploads.
fn progress_message(shown: &str, len: u64, index: usize, count: usize, total: u64) -> String {
    let mut msg = format!(
        "uploading '{}' ({})",
        crate::escape::line(shown),
        HumanBytes(len)
    );
    if count > 1 {
        msg.push_str(&format!(
            ", file {index} of {count}, {} in all",
            HumanBytes(total)
        ));
    }
    msg
}

/// Uploads each prepared file once to `server`, in order: the pointers messages carry.
///
/// An indicator on standard error (a spinner, the file, its size and the time spent) shows
/// the uploads once they have taken [`SHOW_PROGRESS_AFTER`], when standard error is a
/// terminal (never when it is piped) and not `--quiet`.
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
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(PROGRESS_TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let may_show = std::io::stderr().is_terminal() && !ctx.quiet;
    let watch = Stopwatch::start();
    let count = prepared.len();
    let mut pointers = Vec::with_capacity(count);
    for (i, mut p) in prepared.into_iter().enumerate() {
        let blob = std::mem::take(&mut p.encrypted.blob);
        bar.set_message(progress_message(
            &p.shown,
            blob.len() as u64,
            i + 1,
            count,
            total,
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_indicator_claims_no_progress_it_cannot_see() {
        // One onion request: no bar, no percentage, no bytes-so-far that would stay at 0.
        for fake in [
            "{bar",
            "{wide_bar",
            "{percent",
            "{bytes",
            "{binary_bytes",
            "{pos",
            "{eta",
        ] {
            assert!(!PROGRESS_TEMPLATE.contains(fake), "{fake}");
        }
        assert!(PROGRESS_TEMPLATE.contains("{elapsed}"));
        assert_eq!(
            progress_message("core.gz", 11 * 1024 * 1024, 1, 1, 11 * 1024 * 1024),
            "uploading 'core.gz' (11.00 MiB)"
        );
        assert_eq!(
            progress_message("a\nb", 2048, 2, 3, 3 * 2048),
            "uploading 'a\\nb' (2.00 KiB), file 2 of 3, 6.00 KiB in all"
        );
    }
}
