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

/// A log file that is renamed to `<path>.1` and started afresh once it would pass `cap`.
struct Rotating {
    path: std::path::PathBuf,
    file: fs::File,
    written: u64,
    cap: u64,
}

impl Rotating {
    fn open(path: &Path, cap: u64) -> io::Result<Self> {
        let file = Self::open_file(path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            file,
            written,
            cap,
        })
    }

    fn open_file(path: &Path) -> io::Result<fs::File> {
        let mut opts = fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(path)
    }

    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        fs::rename(&self.path, old)?;
        self.file = Self::open_file(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for Rotating {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        if self.written > 0 && self.written.saturating_add(len) > self.cap {
            self.rotate()?;
        }
        // A line longer than the cap itself is cut to it.
        let room = usize::try_from(self.cap.saturating_sub(self.written)).unwrap_or(usize::MAX);
        let n = self.file.write(&buf[..buf.len().min(room.max(1))])?;
        self.written = self
            .written
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
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

    /// A log appended to the file at `path`, created with mode 0600 if missing. Once it
    /// would pass [`MAX_LOG_BYTES`], it is renamed to `<path>.1` (replacing the one before)
    /// and a new file started: the log never takes more than twice that on disk.
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
        let msg: String = msg
            .to_string()
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
        let line = format!(
            "{} {msg}\n",
            humantime::format_rfc3339_millis(inner.clock.now())
        );
        // A panic while holding the lock leaves the writer usable.
        let mut sink = inner.sink.lock().unwrap_or_else(|e| e.into_inner());
        let _ = sink.write_all(line.as_bytes()).and_then(|()| sink.flush());
    }
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
