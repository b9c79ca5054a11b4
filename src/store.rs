//! Files on disk: the default paths, and reading and writing identity files safely.
//!
//! Key files are created with mode 0600, written to a temporary file in the same directory and
//! moved into place, so a crash never leaves a half-written key and an existing key is replaced
//! only when asked (`force`). A key file that other users can read is refused.
//!
//! A file a user names as input (`-i`, `--network`, `--geoip`) is opened with
//! [`open_input`]: a pipe or FIFO works (`-i <(pass show sesh)`), but a FIFO that no process
//! opens for writing within [`FIFO_WRITER_WAIT`] is refused instead of waited for forever.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
use crate::identity::{Identity, keyfile};

/// The environment variable naming the identity file.
pub const IDENTITY_ENV: &str = "SESH_IDENTITY";

/// The default identity file: `identity` in the platform's data directory for sesh
/// (`$XDG_DATA_HOME/sesh/identity` on Linux).
///
/// # Errors
/// [`Error::NoDataDir`] when no home directory can be found.
pub fn default_identity_path() -> Result<PathBuf, Error> {
    directories::ProjectDirs::from("", "", "sesh")
        .map(|d| d.data_dir().join("identity"))
        .ok_or(Error::NoDataDir)
}

/// The default state directory, where the client keeps one directory per network: the
/// platform's state directory for sesh (`$XDG_STATE_HOME/sesh` on Linux), or its data
/// directory where there is no state directory (macOS, Windows).
///
/// # Errors
/// [`Error::NoStateDir`] when no home directory can be found.
pub fn default_state_dir() -> Result<PathBuf, Error> {
    let dirs = directories::ProjectDirs::from("", "", "sesh").ok_or(Error::NoStateDir)?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_dir())
        .to_owned())
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// How long a FIFO named as an input file may go without a writer before it is refused.
///
/// Process substitution (`<(…)`) and a writer started just before sesh open their end at once;
/// a FIFO nobody writes to would otherwise block the command for ever.
pub const FIFO_WRITER_WAIT: Duration = Duration::from_secs(5);

/// The error [`open_input`] gives for a FIFO that no process opened for writing in time
/// (inside an [`std::io::Error`] of kind `TimedOut`; see [`is_no_writer`]).
#[derive(Debug, thiserror::Error)]
#[error(
    "a FIFO that no process opened for writing within {}",
    humantime::format_duration(*.0)
)]
pub struct NoWriter(Duration);

/// Whether `e` is [`open_input`]'s error for a FIFO without a writer.
pub fn is_no_writer(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NoWriter>())
}

/// A file a user named as input, opened by [`open_input`].
#[derive(Debug)]
pub struct InputFile {
    file: fs::File,
    /// A byte read while finding out whether a FIFO has a writer, to be read first.
    first: Option<u8>,
}

impl InputFile {
    /// The open file's metadata.
    ///
    /// # Errors
    /// When the operating system cannot tell.
    pub fn metadata(&self) -> std::io::Result<fs::Metadata> {
        self.file.metadata()
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let (Some(slot), Some(b)) = (buf.first_mut(), self.first) {
            *slot = b;
            self.first = None;
            return Ok(1);
        }
        self.file.read(buf)
    }
}

/// Opens a file a user named, for reading, without waiting for ever on a FIFO.
///
/// A regular file, a device, a pipe (`/dev/stdin`, `<(…)`) or a FIFO with a writer reads as
/// usual (a writer that keeps its end open is waited for, as standard input is). A FIFO that
/// no process opens for writing within `wait` is refused: the error's kind is `TimedOut` and
/// [`is_no_writer`] tells it apart.
///
/// # Errors
/// The operating system's, from opening the file; the [`NoWriter`] error above.
#[cfg(unix)]
pub fn open_input(path: &Path, wait: Duration) -> std::io::Result<InputFile> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};

    // Non-blocking, so that opening a FIFO returns at once instead of waiting for a writer.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits().cast_signed())
        .open(path)?;
    let first = if file.metadata()?.file_type().is_fifo() {
        wait_for_writer(&file, wait)?
    } else {
        None
    };
    // Reads from here on block, as reads of any file do.
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(InputFile { file, first })
}

/// Opens a file a user named, for reading.
///
/// # Errors
/// The operating system's.
#[cfg(not(unix))]
pub fn open_input(path: &Path, _wait: Duration) -> std::io::Result<InputFile> {
    Ok(InputFile {
        file: fs::File::open(path)?,
        first: None,
    })
}

/// Waits until the FIFO `file` (opened non-blocking) has something to read, or a writer that
/// has not written yet, for at most `wait`; returns a byte read on the way.
#[cfg(unix)]
fn wait_for_writer(mut file: &fs::File, wait: Duration) -> std::io::Result<Option<u8>> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};

    let watch = crate::clock::Stopwatch::start();
    loop {
        let left = wait.saturating_sub(watch.elapsed());
        let timeout = Timespec::try_from(left).map_err(std::io::Error::other)?;
        let mut fds = [PollFd::new(&file, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => {}
            // Data, or a writer that came and went: read as usual.
            Ok(_) => return Ok(None),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        // Nothing to read in time. A non-blocking read tells whether a writer holds the FIFO
        // open (it would block) or none does (end of file at once).
        let mut byte = [0u8];
        return match file.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
            Ok(0) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                NoWriter(wait),
            )),
            // Written between the poll and the read.
            Ok(_) => Ok(Some(byte[0])),
        };
    }
}

/// Reads and parses an identity file, refusing a regular file that others can read (a device
/// or a pipe is read whatever its mode).
///
/// # Errors
/// [`Error::NoIdentity`] when the file does not exist, [`Error::KeyFilePermissions`] when it
/// is a regular file whose mode lets others read it, [`Error::KeyFile`] when it does not parse,
/// [`Error::Input`] for a directory or a FIFO without a writer ([`open_input`]),
/// [`Error::Io`] otherwise.
pub fn read_identity(path: &Path) -> Result<Identity, Error> {
    let file = match open_input(path, FIFO_WRITER_WAIT) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoIdentity {
                path: path.to_owned(),
            });
        }
        Err(e) if is_no_writer(&e) => {
            return Err(Error::Input(format!("key file '{}': {e}", path.display())));
        }
        Err(e) => return Err(io_error("opening", path)(e)),
    };
    let meta = file.metadata().map_err(io_error("reading", path))?;
    if meta.is_dir() {
        return Err(Error::Input(format!(
            "'{}' is a directory, not a key file",
            path.display()
        )));
    }
    // The mode of a regular file is the key's protection; a device or a pipe (`/dev/null`,
    // `<(…)`) holds no key at rest, and its mode says nothing about one.
    #[cfg(unix)]
    if meta.is_file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::KeyFilePermissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    read_identity_from(file, path)
}

/// Reads and parses an identity from a stream (`name` is used in errors).
///
/// # Errors
/// [`Error::KeyFile`] when it does not parse, [`Error::Io`] when reading fails.
pub fn read_identity_from(reader: impl Read, name: &Path) -> Result<Identity, Error> {
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    reader
        .take(keyfile::MAX_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(io_error("reading", name))?;
    keyfile::decode(&buf).map_err(|source| Error::KeyFile {
        path: name.to_owned(),
        source,
    })
}

/// Writes a secret file with mode 0600, atomically.
///
/// Creates missing parent directories (mode 0700) when `create_parents`. Without `force` an
/// existing file is left alone and [`Error::AlreadyExists`] returned; a directory or a device
/// is never replaced ([`Error::Input`]).
///
/// # Errors
/// [`Error::AlreadyExists`], [`Error::Input`], or [`Error::Io`] naming the path.
pub fn write_secret_file(
    path: &Path,
    contents: &[u8],
    force: bool,
    create_parents: bool,
) -> Result<(), Error> {
    match path.symlink_metadata() {
        // A device or a directory is never replaced, even with --force: `-o /dev/full
        // --force` would otherwise put a key file where the device was.
        Ok(m) if !m.is_file() && !m.is_symlink() => {
            return Err(Error::Input(format!(
                "'{}' is not a regular file; an identity is written to a file, or to '-'",
                path.display()
            )));
        }
        Ok(_) if !force => {
            return Err(Error::AlreadyExists {
                path: path.to_owned(),
            });
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if create_parents && !dir.exists() {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&dir)
            .map_err(io_error("creating directory", &dir))?;
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Input(format!("'{}' is not a file name", path.display())))?;
    // Errors name `path`, the file asked for, never the temporary file.
    let tmp = create_temporary(
        &dir,
        &file_name.to_string_lossy(),
        contents,
        path,
        random_u64,
    )?;
    let result = if force {
        fs::rename(&tmp, path).map_err(io_error("replacing", path))
    } else {
        // A hard link fails if the target exists: an atomic "create, never clobber".
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::AlreadyExists {
                path: path.to_owned(),
            }),
            Err(e) => Err(io_error("creating", path)(e)),
        }
    };
    // The temporary file is gone after a rename; after a link (or a failure) remove it.
    let _ = fs::remove_file(&tmp);
    result?;
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// How many temporary names are tried before giving up.
const TEMPORARY_TRIES: usize = 16;

/// A random number for a temporary file's name: from the operating system, or (should it
/// fail) the process id and a count, which a retry on a taken name makes do.
fn random_u64() -> u64 {
    use rand_core::RngCore as _;
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let mut bytes = [0u8; 8];
    if rand_core::OsRng.try_fill_bytes(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (u64::from(std::process::id()) << 32) | u64::from(count)
}

/// Creates a new temporary file `.NAME.tmp-<random>` in `dir` (mode 0600) holding `contents`
/// and returns its path. A name already taken (a stale file of an earlier run) is passed over
/// for another. Errors name `shown`, the file asked for; a temporary file that could not be
/// written is removed.
fn create_temporary(
    dir: &Path,
    name: &str,
    contents: &[u8],
    shown: &Path,
    mut random: impl FnMut() -> u64,
) -> Result<PathBuf, Error> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut tries = 0;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.tmp-{:016x}", random()));
        match opts.open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e)
                if e.kind() == std::io::ErrorKind::AlreadyExists && tries + 1 < TEMPORARY_TRIES =>
            {
                tries += 1;
            }
            Err(e) => return Err(io_error("creating", shown)(e)),
        }
    };
    match f
        .write_all(contents)
        .and_then(|()| f.sync_all())
        .map_err(io_error("writing", shown))
    {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// An exclusive advisory lock on a file, or who holds it.
#[derive(Debug)]
pub(crate) enum PidLock {
    /// Held by this process for as long as the file stays open; it holds this process's id.
    Held(fs::File),
    /// Held by another process (or another open of the file in this one): the id written in
    /// it, when there is one.
    Busy(Option<u32>),
}

/// Takes the exclusive advisory lock (`flock`) of `path`, creating it (mode 0600) if missing,
/// and writes this process's id in it. The lock ends with the process, however it ends, so a
/// stale file never keeps a directory busy.
///
/// # Errors
/// The I/O error of opening, locking or writing the file.
pub(crate) fn lock_with_pid(path: &Path) -> std::io::Result<PidLock> {
    use std::io::Seek as _;
    // Never truncate on open: that would erase the holder's pid.
    let mut opts = fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = (&mut file).take(64).read_to_string(&mut text);
            return Ok(PidLock::Busy(text.trim().parse().ok()));
        }
        Err(fs::TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(PidLock::Held(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_lock_is_exclusive_names_its_holder_and_ends_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let PidLock::Held(held) = lock_with_pid(&path).unwrap() else {
            panic!("a free lock is taken");
        };
        match lock_with_pid(&path).unwrap() {
            PidLock::Busy(pid) => assert_eq!(pid, Some(std::process::id())),
            PidLock::Held(_) => panic!("a held lock is taken twice"),
        }
        drop(held);
        assert!(matches!(lock_with_pid(&path).unwrap(), PidLock::Held(_)));
    }
    use crate::identity::Seed;

    #[test]
    fn writes_0600_and_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/key");
        let id = Identity::from_seed(Seed::from_legacy(&[1; 16]));
        let text = keyfile::encode(&id, std::time::UNIX_EPOCH);
        write_secret_file(&p, text.as_bytes(), false, true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(matches!(
            write_secret_file(&p, b"x", false, true),
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(read_identity(&p).unwrap().session_id(), id.session_id());
        write_secret_file(&p, text.as_bytes(), true, true).unwrap();
        assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn errors_name_the_file_asked_for_not_the_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        // A file in place of the directory makes creating the temporary file fail, root or not.
        fs::write(dir.path().join("afile"), b"").unwrap();
        let p = dir.path().join("afile/x.key");
        let e = write_secret_file(&p, b"secret", false, false).unwrap_err();
        assert_eq!(e.to_string(), format!("creating '{}'", p.display()));
        // Every temporary name taken: the error still names the file asked for.
        let p = dir.path().join("x.key");
        fs::create_dir(dir.path().join(".x.key.tmp-0000000000000007")).unwrap();
        let e = create_temporary(dir.path(), "x.key", b"secret", &p, || 7).unwrap_err();
        assert_eq!(e.to_string(), format!("creating '{}'", p.display()));
        assert!(!p.exists());
    }

    #[test]
    fn a_stale_temporary_file_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.key");
        // Left by an earlier process with this pid (the names sesh used to give them).
        let stale = dir
            .path()
            .join(format!(".x.key.tmp-{}", std::process::id()));
        fs::write(&stale, b"stale").unwrap();
        write_secret_file(&p, b"secret", false, false).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"secret");
        // A random name that is taken is passed over for the next one.
        let taken = dir.path().join(".y.key.tmp-0000000000000001");
        fs::write(&taken, b"stale").unwrap();
        let mut next = [1, 2].into_iter();
        let tmp =
            create_temporary(dir.path(), "y.key", b"new", &p, || next.next().unwrap_or(3)).unwrap();
        assert_eq!(tmp, dir.path().join(".y.key.tmp-0000000000000002"));
        assert_eq!(fs::read(&tmp).unwrap(), b"new");
        // Another's temporary files are left alone.
        assert_eq!(fs::read(&stale).unwrap(), b"stale");
        assert_eq!(fs::read(&taken).unwrap(), b"stale");
    }

    #[cfg(unix)]
    fn mkfifo(dir: &Path) -> PathBuf {
        use rustix::fs::{CWD, FileType, Mode, mknodat};
        let p = dir.join("fifo");
        mknodat(CWD, &p, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        p
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_writer_is_refused_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = mkfifo(dir.path());
        let e = open_input(&fifo, Duration::from_millis(100)).unwrap_err();
        assert!(is_no_writer(&e), "{e:?}");
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(
            e.to_string(),
            "a FIFO that no process opened for writing within 100ms"
        );
        assert!(!is_no_writer(&std::io::Error::from(
            std::io::ErrorKind::TimedOut
        )));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_whose_writer_has_not_written_yet_is_read_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = mkfifo(dir.path());
        // Opened for reading and writing, so a writer holds it before the reader comes.
        let mut writer = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let mut input = open_input(&fifo, Duration::from_millis(50)).unwrap();
        writer.write_all(b"late").unwrap();
        drop(writer);
        let mut got = Vec::new();
        input.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"late");
    }

    #[cfg(unix)]
    #[test]
    fn an_identity_is_read_from_a_fifo_with_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = mkfifo(dir.path());
        let id = Identity::from_seed(Seed::from_legacy(&[3; 16]));
        let text = keyfile::encode(&id, std::time::UNIX_EPOCH);
        let writer = {
            let fifo = fifo.clone();
            // Opening for writing waits for the reader, whichever comes first.
            std::thread::spawn(move || fs::write(fifo, text))
        };
        assert_eq!(read_identity(&fifo).unwrap().session_id(), id.session_id());
        writer.join().unwrap().unwrap();
    }

    #[test]
    fn the_byte_read_while_waiting_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rest");
        fs::write(&p, b"bc").unwrap();
        let mut input = InputFile {
            file: fs::File::open(&p).unwrap(),
            first: Some(b'a'),
        };
        let mut got = Vec::new();
        input.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"abc");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_directory_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        for (p, force) in [
            (Path::new("/dev/null"), true),
            (Path::new("/dev/null"), false),
            (dir.path(), true),
        ] {
            assert!(
                matches!(
                    write_secret_file(p, b"secret", force, false),
                    Err(Error::Input(_))
                ),
                "{p:?}"
            );
        }
        use std::os::unix::fs::FileTypeExt as _;
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn the_mode_rule_is_for_regular_files_only() {
        // /dev/null is 0666: read (and refused as an empty key file), not refused for its mode.
        assert!(matches!(
            read_identity(Path::new("/dev/null")),
            Err(Error::KeyFile { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_readable_key_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        fs::write(&p, "x").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_identity(&p),
            Err(Error::KeyFilePermissions { mode: 0o644, .. })
        ));
    }
}
