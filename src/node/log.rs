//! The node's log: one timestamped line per event, to a file, standard error or nowhere.
//!
//! Lines name requests by method, path, status and client address only: never message data,
//! keys or request bodies.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

/// The size at which the log file is rotated: 64 MiB (one older file is kept).
pub const MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// After a rotation failed, how many lines go to the file in hand before it is tried again.
const ROTATE_RETRY_LINES: u32 = 100;

/// A log file that is renamed to `<path>.1` and started afresh once it would pass `cap`.
///
/// Only a regular file is rotated: a log on a device, a FIFO or a socket (`/dev/stdout`,
/// `/dev/null`) is written to and never renamed. A rotation that fails (the directory not
/// writable, descriptors exhausted) leaves the lines going to the file in hand, and is tried
/// again [`ROTATE_RETRY_LINES`] lines later: logging never stops for it.
struct Rotating {
    path: std::path::PathBuf,
    file: fs::File,
    written: u64,
    cap: u64,
    /// Whether the file is a regular file (else it is never rotated).
    regular: bool,
    /// Lines to write before trying a failed rotation again.
    retry_in: u32,
}

impl Rotating {
    fn open(path: &Path, cap: u64) -> io::Result<Self> {
        let file = Self::open_file(path)?;
        let meta = file.metadata()?;
        let regular = meta.file_type().is_file();
        // A log file made before (or by someone else) is made private too; best effort,
        // since a file we may append to but do not own cannot be changed.
        #[cfg(unix)]
        if regular {
            use std::os::unix::fs::PermissionsExt as _;
            if meta.permissions().mode() & 0o077 != 0 {
                let _ = file.set_permissions(fs::Permissions::from_mode(0o600));
            }
        }
        Ok(Self {
            path: path.to_owned(),
            file,
            written: meta.len(),
            cap,
            regular,
            retry_in: 0,
        })
    }

    fn open_file(path: &Path) -> io::Result<fs::File> {
        let mut opts = fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(path)
    }

    /// Renames the file to `<path>.1` and opens a new one. When the file is gone already (it
    /// was renamed before and the new one could not be opened, or someone removed it), only
    /// the new one is opened. On failure the file in hand is kept.
    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        match fs::rename(&self.path, old) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.file = Self::open_file(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for Rotating {
    /// Writes `buf` (one line) whole into one file: the files hold whole lines, each at most
    /// `cap` long unless a single line is longer.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        let full = self.written > 0 && self.written.saturating_add(len) > self.cap;
        if self.regular && full {
            if self.retry_in == 0 {
                if self.rotate().is_err() {
                    self.retry_in = ROTATE_RETRY_LINES;
                }
            } else {
                self.retry_in -= 1;
            }
        }
        self.file.write_all(buf)?;
        self.written = self.written.saturating_add(len);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A shared handle to a log sink; cheap to clone.
#[derive(Clone)]
pub struct Log {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    sink: Mutex<Box<dyn Write + Send>>,
    clock: Arc<dyn Clock + Send + Sync>,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

impl Log {
    /// A log that drops every line.
    pub fn discard() -> Self {
        Self { inner: None }
    }

    /// A log on standard error.
    pub fn stderr(clock: Arc<dyn Clock + Send + Sync>) -> Self {
        Self::to_writer(io::stderr(), clock)
    }

    /// A log appended to the file at `path`, created with mode 0600 if missing (an existing
    /// regular file is made 0600). Once a regular file would pass [`MAX_LOG_BYTES`], it is
    /// renamed to `<path>.1` (replacing the one before) and a new file started: the log never
    /// takes much more than twice that on disk. Anything else (`/dev/stdout`, a FIFO) is
    /// never rotated; a rotation that fails is tried again later, the lines kept meanwhile.
    ///
    /// # Errors
    /// The operating system's error when the file cannot be opened.
    pub fn file(path: &Path, clock: Arc<dyn Clock + Send + Sync>) -> io::Result<Self> {
        Self::file_capped(path, clock, MAX_LOG_BYTES)
    }

    /// [`Log::file`] with another size cap.
    pub(crate) fn file_capped(
        path: &Path,
        clock: Arc<dyn Clock + Send + Sync>,
        cap: u64,
    ) -> io::Result<Self> {
        let file = Rotating::open(path, cap)?;
        Ok(Self::to_writer(file, clock))
    }

    /// A log written to any writer (tests pass a buffer).
    pub fn to_writer(
        writer: impl Write + Send + 'static,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Self {
        Self {
            inner: Some(Arc::new(Inner {
                sink: Mutex::new(Box::new(writer)),
                clock,
            })),
        }
    }

    /// Writes one line: an RFC 3339 UTC timestamp, a space, then `msg`.
    ///
    /// A failing sink is ignored: logging never stops the node.
    pub fn line(&self, msg: impl fmt::Display) {
        let Some(inner) = &self.inner else {
            return;
        };
        // Control characters from requests are escaped, so that no request can forge a line.
        let msg = escape_controls(msg.to_string());
        let line = format!(
            "{} {msg}\n",
            humantime::format_rfc3339_millis(inner.clock.now())
        );
        // A panic while holding the lock leaves the writer usable.
        let mut sink = inner.sink.lock().unwrap_or_else(|e| e.into_inner());
        let _ = sink.write_all(line.as_bytes()).and_then(|()| sink.flush());
    }
}

/// `msg` with each control character replaced by its `char::escape_default` form; every line
/// the node writes goes through it, so the common case (nothing to escape) costs one scan and
/// no allocation (it took one allocation per character before, a few percent of a node's CPU
/// per request in benches/node_load.rs).
fn escape_controls(msg: String) -> String {
    if !msg.chars().any(char::is_control) {
        return msg;
    }
    let mut out = String::with_capacity(msg.len() + 8);
    for c in msg.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    proptest::proptest! {
        #[test]
        fn escaping_is_the_per_character_escape(msg in "(?s).{0,40}", ctl in "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\n\\r\\t a-z]{0,20}") {
            for m in [msg.clone(), ctl.clone(), format!("{msg}{ctl}")] {
                // The implementation this replaced.
                let reference: String = m
                    .chars()
                    .flat_map(|c| {
                        let escaped: Vec<char> = if c.is_control() {
                            c.escape_default().collect()
                        } else {
                            vec![c]
                        };
                        escaped
                    })
                    .collect();
                proptest::prop_assert_eq!(escape_controls(m), reference);
            }
        }
    }

    #[test]
    fn lines_are_timestamped() {
        let buf = Buf::default();
        let log = Log::to_writer(
            buf.clone(),
            Arc::new(FixedClock::from_ms(1_700_000_000_123)),
        );
        log.line(format_args!(
            "429 POST /storage_rpc/v1 from {}",
            "127.0.0.1"
        ));
        Log::discard().line("nothing");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "2023-11-14T22:13:20.123Z 429 POST /storage_rpc/v1 from 127.0.0.1\n"
        );
    }

    #[test]
    fn file_log_is_rotated_at_its_cap_keeping_one_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        let cap = 200;
        let log = Log::file_capped(&p, Arc::new(FixedClock::from_ms(0)), cap).unwrap();
        for n in 0..100 {
            log.line(format_args!("line {n:03}"));
        }
        let now = fs::read_to_string(&p).unwrap();
        let old = fs::read_to_string(dir.path().join("node.log.1")).unwrap();
        assert!(now.len() as u64 <= cap && old.len() as u64 <= cap);
        assert!(now.ends_with("line 099\n"), "{now}");
        // Whole lines in each, the older ones in node.log.1.
        assert!(old.ends_with('\n') && now.starts_with("1970"), "{old}{now}");
        assert!(!dir.path().join("node.log.2").exists());
        // Reopened, it counts what is there already.
        let log = Log::file_capped(&p, Arc::new(FixedClock::from_ms(0)), cap).unwrap();
        for _ in 0..10 {
            log.line("more");
        }
        assert!(fs::metadata(&p).unwrap().len() <= cap);
    }

    #[cfg(unix)]
    #[test]
    fn a_log_that_is_not_a_regular_file_is_never_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        std::os::unix::fs::symlink("/dev/null", &p).unwrap();
        let log = Log::file_capped(&p, Arc::new(FixedClock::from_ms(0)), 100).unwrap();
        for n in 0..50 {
            log.line(format_args!("line {n:03}"));
        }
        assert!(fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        assert!(!dir.path().join("node.log.1").exists());
    }

    #[test]
    fn a_rotation_that_fails_keeps_logging_and_is_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        // A non-empty directory where the old file goes: the rename fails, even for root.
        let old = dir.path().join("node.log.1");
        fs::create_dir(&old).unwrap();
        fs::write(old.join("x"), "").unwrap();
        let log = Log::file_capped(&p, Arc::new(FixedClock::from_ms(0)), 100).unwrap();
        for n in 0..50 {
            log.line(format_args!("line {n:03}"));
        }
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(
            text.lines().count(),
            50,
            "every line kept in the file in hand"
        );
        // Once the way is clear, a later line rotates.
        fs::remove_dir_all(&old).unwrap();
        for _ in 0..(ROTATE_RETRY_LINES + 2) {
            log.line("later");
        }
        assert!(fs::metadata(&old).unwrap().is_file());
        assert!(fs::metadata(&p).unwrap().len() <= 100);
        // A log file removed from under the node is started again, not lost.
        fs::remove_file(&p).unwrap();
        for _ in 0..10 {
            log.line("after removal");
        }
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains("after removal"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_log_file_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        fs::write(&p, "old\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let _log = Log::file(&p, Arc::new(FixedClock::from_ms(0))).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn file_log_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        let log = Log::file(&p, Arc::new(FixedClock::from_ms(0))).unwrap();
        log.line("started");
        log.line("stopped");
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(text.lines().count(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
