//! `sesh keygen`, `sesh recover`, `sesh id` and `sesh phrase`.

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;

use rand_core::OsRng;
use sesh::cli::{
    IdArgs, KeygenArgs, OutputArg, PhraseArgs, PhraseFormat, QrFormat, RecoverArgs, RecoverFormat,
};
use sesh::clock::{Clock, SystemClock};
use sesh::identity::{Seed, keyfile};
use sesh::{ErrorKind, Identity, mnemonic, store};
use zeroize::Zeroizing;

use super::{Ctx, Result, is_stdio, read_stdin, stdin_is_terminal};
use crate::output::{IdentityRecord, PhraseRecord, Record};
use crate::render::Report;

pub(crate) fn keygen(ctx: &Ctx, args: &KeygenArgs) -> Result<()> {
    refuse_json_with_stdout(ctx, &args.output)?;
    let identity = match &args.prefix {
        None => Identity::generate(&mut OsRng),
        Some(hex) => vanity::find(ctx, hex, &args.output)?,
    };
    // With --prefix, --force lifts the search's time limit; it never lets a search replace
    // an identity file (an account would be lost for a nicer ID).
    let mut output = args.output.clone();
    if args.prefix.is_some() {
        output.force = false;
    }
    save(ctx, &identity, &output)
}

/// `sesh keygen --prefix HEX` (issue 14): the search on every core, its estimate, progress
/// and Ctrl-C. What one try is lives in `sesh::identity::vanity`.
mod vanity {
    use std::io::{IsTerminal as _, Write as _};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::time::Instant;

    use rand_core::OsRng;
    use sesh::cli::OutputArg;
    use sesh::identity::vanity::{self, Prefix};
    use sesh::{ErrorKind, Identity, store};

    use super::super::{Ctx, Result, is_stdio};
    use crate::render::Report;

    /// A search expected to take longer is refused without --force.
    const LIMIT: Duration = Duration::from_secs(10 * 60);
    /// How long the rate is measured before the estimate is printed.
    const MEASURE: Duration = Duration::from_millis(300);
    /// Seeds a thread tries between two looks at the stop flag.
    const BATCH: u64 = 256;

    /// The threads' shared state.
    #[derive(Default)]
    struct Search {
        tries: AtomicU64,
        stop: AtomicBool,
        found: Mutex<Option<Identity>>,
    }

    /// Searches for an identity whose Session ID starts with `05` + `hex`.
    pub(super) fn find(ctx: &Ctx, hex: &str, out: &OutputArg) -> Result<Identity> {
        let prefix = Prefix::parse(hex).map_err(|e| {
            Report::with_kind(
                ErrorKind::InvalidInput,
                format!("--prefix: {e}"),
                Some("give 1 to 10 hex digits, those that follow 05 (e.g. --prefix abc)".into()),
            )
        })?;
        if prefix.to_hex().starts_with("05") {
            ctx.note(format_args!(
                "note: HEX follows the 05 every Session ID starts with: searching for 05{}",
                prefix.to_hex()
            ));
        }
        // A file that would be refused at the end is refused before the search: a search
        // never replaces an identity, --force or not (--force lifts the time limit).
        let target = match &out.output {
            Some(p) if is_stdio(p) => None,
            Some(p) => Some(p.clone()),
            None => Some(store::default_identity_path()?),
        };
        if let Some(path) = target.filter(|p| p.symlink_metadata().is_ok()) {
            return Err(Report::with_kind(
                ErrorKind::Failure,
                format!("'{}' already exists", path.display()),
                Some(
                    "a vanity search never replaces an identity (with --prefix, --force only \
                     lifts the time limit): give another file with -o, or move this one away"
                        .into(),
                ),
            ));
        }
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let search = Arc::new(Search::default());
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (search, prefix) = (Arc::clone(&search), prefix.clone());
                std::thread::spawn(move || work(&search, &prefix))
            })
            .collect();
        let result = watch(ctx, &search, &prefix, threads, out.force);
        search.stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.join();
        }
        result
    }

    /// One thread: batches of random seeds until one matches or the search stops.
    fn work(search: &Search, prefix: &Prefix) {
        while !search.stop.load(Ordering::Relaxed) {
            if let Some(id) = vanity::search(prefix, &mut OsRng, BATCH) {
                if let Ok(mut found) = search.found.lock() {
                    found.get_or_insert(id);
                }
                search.stop.store(true, Ordering::Relaxed);
            }
            search.tries.fetch_add(BATCH, Ordering::Relaxed);
        }
    }

    /// The main thread: measures the rate, prints the estimate, refuses a search over
    /// [`LIMIT`], shows progress on a terminal, and stops on Ctrl-C.
    fn watch(
        ctx: &Ctx,
        search: &Search,
        prefix: &Prefix,
        threads: usize,
        force: bool,
    ) -> Result<Identity> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Report::failure)?;
        let progress = std::io::stderr().is_terminal() && !ctx.quiet;
        let start = Instant::now();
        let expected = prefix.expected_tries();
        rt.block_on(async {
            let ctrl_c = tokio::signal::ctrl_c();
            tokio::pin!(ctrl_c);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut estimated = false;
            let mut shown = Instant::now();
            loop {
                tokio::select! {
                    _ = &mut ctrl_c => {
                        search.stop.store(true, Ordering::Relaxed);
                        if progress {
                            let _ = write!(std::io::stderr(), "\r\x1b[K");
                        }
                        return Err(Report::with_kind(
                            ErrorKind::Failure,
                            format!(
                                "the search for 05{} was interrupted after {} keys; nothing \
                                 was written",
                                prefix.to_hex(),
                                search.tries.load(Ordering::Relaxed)
                            ),
                            None,
                        ));
                    }
                    _ = tick.tick() => {}
                }
                let elapsed = start.elapsed();
                let tries = search.tries.load(Ordering::Relaxed);
                let rate = tries as f64 / elapsed.as_secs_f64().max(1e-3);
                if !estimated && (elapsed >= MEASURE || search.stop.load(Ordering::Relaxed)) {
                    estimated = true;
                    let eta = expected / rate.max(1.0);
                    ctx.note(format_args!(
                        "searching for a Session ID starting with 05{}: {:.0} keys/s on {threads} \
                         threads, {} keys on average, expected time {}",
                        prefix.to_hex(),
                        rate,
                        expected,
                        human(eta)
                    ));
                    if !force && eta > LIMIT.as_secs_f64() && !search.stop.load(Ordering::Relaxed) {
                        search.stop.store(true, Ordering::Relaxed);
                        return Err(Report::with_kind(
                            ErrorKind::InvalidInput,
                            format!(
                                "a search for 05{} is expected to take {}, more than the limit \
                                 of {}",
                                prefix.to_hex(),
                                human(eta),
                                human(LIMIT.as_secs_f64())
                            ),
                            Some("use a shorter prefix, or --force to search anyway".into()),
                        ));
                    }
                }
                if search.stop.load(Ordering::Relaxed) {
                    if progress {
                        let _ = write!(std::io::stderr(), "\r\x1b[K");
                    }
                    let found = search.found.lock().ok().and_then(|mut f| f.take());
                    return found.ok_or_else(|| {
                        Report::failure(anyhow::anyhow!("the search stopped without a key"))
                    });
                }
                if progress && estimated && shown.elapsed() >= Duration::from_millis(500) {
                    shown = Instant::now();
                    let _ = write!(
                        std::io::stderr(),
                        "\r\x1b[K{tries} keys in {}, {:.0}/s ({:.0}% of the average)",
                        human(elapsed.as_secs_f64()),
                        rate,
                        100.0 * tries as f64 / expected
                    );
                }
            }
        })
    }

    /// A duration for people: "under a second", "40 s", "12 min", "3.5 h", "20 days",
    /// "3 years".
    pub(super) fn human(secs: f64) -> String {
        const MIN: f64 = 60.0;
        const HOUR: f64 = 60.0 * MIN;
        const DAY: f64 = 24.0 * HOUR;
        const YEAR: f64 = 365.25 * DAY;
        match secs {
            s if s < 1.0 => "under a second".to_owned(),
            s if s < 90.0 => format!("{s:.0} s"),
            s if s < 90.0 * MIN => format!("{:.0} min", s / MIN),
            s if s < 48.0 * HOUR => format!("{:.1} h", s / HOUR),
            s if s < 2.0 * YEAR => format!("{:.0} days", s / DAY),
            s => format!("{:.0} years", s / YEAR),
        }
    }
}

pub(crate) fn recover(ctx: &Ctx, args: &RecoverArgs) -> Result<()> {
    refuse_json_with_stdout(ctx, &args.output)?;
    let phrase = read_phrase()?;
    let seed = match args.format {
        RecoverFormat::Auto => mnemonic::decode_any(&phrase).map(|(_, s)| s),
        RecoverFormat::Session => mnemonic::decode(&phrase),
        RecoverFormat::Bip39 => mnemonic::decode_bip39(&phrase),
    }
    .map_err(sesh::Error::Phrase)?;
    let identity = Identity::from_seed(Seed::from_legacy(&seed));
    save(ctx, &identity, &args.output)
}

/// `--json` with `-o -` is refused: standard output would carry the identity file, not JSON
/// Lines, and the Session ID goes to standard error.
fn refuse_json_with_stdout(ctx: &Ctx, out: &OutputArg) -> Result<()> {
    if ctx.json && out.output.as_deref().is_some_and(is_stdio) {
        return Err(sesh::Error::Input(
            "--json cannot be used with -o -: standard output carries the identity file; \
             name a file with -o FILE, or leave out --json"
                .to_owned(),
        )
        .into());
    }
    Ok(())
}

/// The phrase from a prompt without echo on a terminal, else all of standard input.
fn read_phrase() -> Result<Zeroizing<String>> {
    if stdin_is_terminal() {
        let p =
            rpassword::prompt_password("recovery phrase: ").map_err(|source| sesh::Error::Io {
                action: "reading the phrase from",
                path: PathBuf::from("/dev/tty"),
                source,
            })?;
        return Ok(Zeroizing::new(p));
    }
    let limit = 16 * 1024;
    let bytes = Zeroizing::new(read_stdin(limit)?.ok_or_else(|| {
        sesh::Error::Input(format!(
            "standard input holds more than {limit} bytes, more than any recovery phrase"
        ))
    })?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| sesh::Error::Input("the recovery phrase is not UTF-8 text".to_owned()))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Writes the identity where `-o` says and prints its Session ID.
fn save(ctx: &Ctx, identity: &Identity, out: &OutputArg) -> Result<()> {
    let text = keyfile::encode(identity, SystemClock.now());
    let sid = identity.session_id();
    match &out.output {
        Some(p) if is_stdio(p) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|source| sesh::Error::Io {
                    action: "writing the identity to",
                    path: PathBuf::from("-"),
                    source,
                })?;
            // The Session ID goes to stderr so that stdout is only the key file.
            if !ctx.quiet {
                let _ = writeln!(std::io::stderr(), "{sid}");
            }
        }
        other => {
            let (path, is_default) = match other {
                Some(p) => (p.clone(), false),
                None => (store::default_identity_path()?, true),
            };
            store::write_secret_file(&path, text.as_bytes(), out.force, is_default)?;
            ctx.note(format_args!("wrote identity '{}'", path.display()));
            print_id(ctx, identity)?;
        }
    }
    Ok(())
}

fn print_id(ctx: &Ctx, identity: &Identity) -> Result<()> {
    if ctx.json {
        ctx.record(&Record::Identity(IdentityRecord {
            session_id: identity.session_id().to_string(),
            pubkey_ed25519: identity.ed25519_pub().to_hex(),
            pubkey_x25519: identity.x25519_pub().to_hex(),
        }))
    } else {
        ctx.line(identity.session_id())
    }
}

pub(crate) fn id(ctx: &Ctx, args: &IdArgs) -> Result<()> {
    let Some(format) = args.qr else {
        let identity = ctx.load_identity(&args.identity)?;
        return print_id(ctx, &identity);
    };
    let to_stdout = args.output.as_deref().is_none_or(is_stdio);
    if ctx.json && to_stdout {
        return Err(Report::with_kind(
            ErrorKind::InvalidInput,
            "--json cannot be used with a QR code on standard output: JSON Lines carry no \
             drawings"
                .to_owned(),
            Some("write the code to a file with -o FILE, or leave out --json".to_owned()),
        ));
    }
    if format == QrFormat::Png && to_stdout && std::io::stdout().is_terminal() {
        return Err(Report::with_kind(
            ErrorKind::InvalidInput,
            "standard output is a terminal: a PNG image is not written to it".to_owned(),
            Some("name a file with -o FILE, or pipe the output (-o - | ...)".to_owned()),
        ));
    }
    let identity = ctx.load_identity(&args.identity)?;
    let sid = identity.session_id();
    // The payload of the apps' QR screens: the Session ID as it is printed (lowercase hex).
    let qr = sesh::qr::encode(&sid.to_string())?;
    let bytes = match format {
        // Fixed colours on a terminal that takes them, so the code reads the same on light
        // and dark themes; plain glyphs in a file or a pipe, or when NO_COLOR is set.
        QrFormat::Text if to_stdout && colour_on_stdout() => qr.to_ansi_half_blocks().into_bytes(),
        QrFormat::Text => qr.to_half_blocks().into_bytes(),
        QrFormat::Ascii => qr.to_ascii().into_bytes(),
        QrFormat::Png => qr.to_png(sesh::qr::DEFAULT_SCALE),
    };
    match &args.output {
        Some(path) if !is_stdio(path) => {
            write_new(path, &bytes, args.force)?;
            ctx.note(format_args!("wrote QR code '{}'", path.display()));
            print_id(ctx, &identity)
        }
        _ => {
            write_stdout(&bytes)?;
            if format == QrFormat::Png {
                // Standard output is the image alone; the ID goes to stderr, as keygen's.
                if !ctx.quiet {
                    let _ = writeln!(std::io::stderr(), "{sid}");
                }
                Ok(())
            } else {
                // Under the drawing, so that a person can compare what a phone reads.
                ctx.line(sid)
            }
        }
    }
}

/// Whether standard output is a terminal that may be given colours (`NO_COLOR` unset or
/// empty, see no-color.org; `TERM=dumb` has none).
fn colour_on_stdout() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|source| sesh::Error::Io {
            action: "writing the QR code to",
            path: PathBuf::from("-"),
            source,
        })?;
    Ok(())
}

pub(crate) fn phrase(ctx: &Ctx, args: &PhraseArgs) -> Result<()> {
    let identity = ctx.load_identity(&args.identity)?;
    let (name, phrase) = match args.format {
        PhraseFormat::Session => (
            "session",
            identity.seed().legacy().map(|s| mnemonic::encode(&s)),
        ),
        PhraseFormat::Bip39 => (
            "bip39",
            identity.seed().legacy().map(|s| mnemonic::encode_bip39(&s)),
        ),
    };
    let phrase = phrase.ok_or(sesh::Error::NoPhrase { format: name })?;
    if ctx.json {
        ctx.record(&Record::Phrase(PhraseRecord {
            format: name,
            phrase: phrase.as_str(),
            session_id: identity.session_id().to_string(),
        }))
    } else {
        ctx.line(phrase.as_str())
    }
}

/// Writes `bytes` to `path` as `store::write_secret_file` writes a key file (atomically; an
/// existing file, perhaps an identity, refused unless `force`; a directory or device never
/// replaced), and never to a symbolic link, even with `force`.
fn write_new(path: &std::path::Path, bytes: &[u8], force: bool) -> Result<()> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(sesh::Error::Input(format!(
            "'{}' is a symbolic link: the QR code is not written through it",
            path.display()
        ))
        .into());
    }
    Ok(store::write_secret_file(path, bytes, force, false)?)
}
