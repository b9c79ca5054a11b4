//! Writing received files: under DIR/<sender>/, atomically (a temporary file, fsync'd, then
//! linked or renamed into place), mode 0600, never overwriting an attachment.
//!
//! DIR/<sender> must be a real directory: a symbolic link there (planted by another user of
//! DIR, or left by mistake) is refused, not followed. The first time a run uses a sender's
//! directory it removes the temporary files (`.sesh-partial-<pid>-<n>`) that a sesh which
//! died mid-write left there: those whose process is gone (a live one may be writing).

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The mode of saved files.
const FILE_MODE: u32 = 0o600;
/// The mode of the directories made for senders.
const DIR_MODE: u32 = 0o700;
/// How many numbered names are tried before giving up.
const MAX_SUFFIX: u32 = 9999;

/// Makes `dir` (and its parents) if missing, mode 0700 for what it makes.
pub(super) fn make_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(dir)
}

/// The prefix of temporary files.
const PARTIAL_PREFIX: &str = ".sesh-partial-";

/// DIR/`sender`, made (mode 0700, and DIR synced so that it stays) if missing; refused when
/// it is a symbolic link or not a directory. Stale temporary files in it are removed the
/// first time a run uses it.
pub(super) fn sender_dir(dir: &Path, sender: &str) -> std::io::Result<PathBuf> {
    let path = dir.join(sender);
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
            match b.create(&path) {
                Ok(()) => sync_dir(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            fs::symlink_metadata(&path)?
        }
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; refusing to follow it (make it a directory or remove it)",
            path.display()
        )));
    }
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a directory",
            path.display()
        )));
    }
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let first = CLEANED
        .lock()
        .map(|mut set| set.get_or_insert_with(HashSet::new).insert(path.clone()))
        .unwrap_or(false);
    if first {
        remove_stale_partials(&path);
    }
    Ok(path)
}

/// Removes `dir`'s temporary files whose writer is no longer running (best effort).
fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PARTIAL_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists (one of another user counts: it may be writing).
fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// `name` with ` (n)` before its extension: `a.tar.gz` → `a.tar (1).gz`, `notes` →
/// `notes (1)`. A leading dot is not an extension (names from `safe_file_name` have none).
pub(super) fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Writes `data` to a new temporary file in `dir`: synced, mode 0600.
fn temp_file(dir: &Path, data: &[u8]) -> std::io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{PARTIAL_PREFIX}{}-{n}", std::process::id()));
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, FILE_MODE);
        let mut file = match opts.open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file.write_all(data).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        return Ok(path);
    }
}

fn sync_dir(dir: &Path) {
    // Best effort: the rename or link is durable once the directory is.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether a hard link failed because the file system has none (or refuses them here):
/// then the file is written in place under its final name instead.
fn no_hard_links(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(e),
        Some(Errno::PERM | Errno::NOTSUP | Errno::XDEV | Errno::MLINK)
    )
}

/// Writes `data` as a new file `path` (never replacing one): synced, mode 0600. On failure
/// nothing is left under `path`.
fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, FILE_MODE);
    let mut file = opts.open(path)?;
    let written = file.write_all(data).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// Saves `data` as `dir/name`, or `dir/name (1).ext`, `(2)`, … when taken: never replacing a
/// file. `dir` is a sender's directory from [`sender_dir`]. Returns the path written.
pub(super) fn save_new(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    let tmp = temp_file(dir, data)?;
    let mut linking = true;
    let result = (|| {
        for n in 0..=MAX_SUFFIX {
            let candidate = if n == 0 {
                name.to_owned()
            } else {
                numbered(name, n)
            };
            let path = dir.join(candidate);
            // A hard link fails if the name exists: an atomic "create, never replace". A file
            // system without hard links gets the file written under its name (`create_new`:
            // still never replacing; a crash may leave it short, as any non-atomic write).
            let made = if linking {
                match fs::hard_link(&tmp, &path) {
                    Err(e) if no_hard_links(&e) => {
                        linking = false;
                        write_new(&path, data)
                    }
                    other => other,
                }
            } else {
                write_new(&path, data)
            };
            match made {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{name} and {MAX_SUFFIX} numbered names after it exist"),
        ))
    })();
    let _ = fs::remove_file(&tmp);
    if result.is_ok() {
        sync_dir(dir);
    }
    result
}

/// Saves `data` as `dir/name`, atomically replacing what was there. `dir` is a sender's
/// directory from [`sender_dir`].
pub(super) fn save_replacing(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    let tmp = temp_file(dir, data)?;
    let path = dir.join(name);
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered("a.txt", 1), "a (1).txt");
        assert_eq!(numbered("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(numbered("notes", 3), "notes (3)");
        assert_eq!(numbered(".x", 1), ".x (1)");
    }

    #[test]
    fn never_overwrites_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = sender_dir(dir.path(), "05ab").expect("made");
        let a = save_new(&sub, "f.txt", b"one").expect("first");
        let b = save_new(&sub, "f.txt", b"two").expect("second");
        let c = save_new(&sub, "f.txt", b"three").expect("third");
        assert_eq!(a, sub.join("f.txt"));
        assert_eq!(b, sub.join("f (1).txt"));
        assert_eq!(c, sub.join("f (2).txt"));
        assert_eq!(fs::read(&a).expect("read"), b"one");
        assert_eq!(fs::read(&b).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(&sub)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&a).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, FILE_MODE);
            let mode = fs::metadata(&sub).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, DIR_MODE);
        }
    }

    #[test]
    fn replacing_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = save_replacing(dir.path(), "avatar.png", b"old").expect("first");
        let q = save_replacing(dir.path(), "avatar.png", b"new").expect("second");
        assert_eq!(p, q);
        assert_eq!(fs::read(&q).expect("read"), b"new");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_sender_directory_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("05ab")).expect("link");
        let e = sender_dir(dir.path(), "05ab").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        fs::write(dir.path().join("05cd"), b"x").expect("write");
        let e = sender_dir(dir.path(), "05cd").unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert_eq!(fs::read_dir(elsewhere.path()).expect("list").count(), 0);
    }

    #[test]
    fn stale_temporary_files_are_removed_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("05ef");
        make_dir(&sub).expect("mkdir");
        // A pid beyond Linux's pid_max: no such process. Our own pid: alive.
        let stale = sub.join(format!("{PARTIAL_PREFIX}{}-0", 1u32 << 30));
        let live = sub.join(format!("{PARTIAL_PREFIX}{}-7", std::process::id()));
        let other = sub.join(".sesh-partial-x");
        for p in [&stale, &live, &other] {
            fs::write(p, b"x").expect("write");
        }
        sender_dir(dir.path(), "05ef").expect("dir");
        assert!(!stale.exists());
        assert!(live.exists() && other.exists());
    }

    #[test]
    fn writing_in_place_never_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        write_new(&p, b"one").expect("first");
        let e = write_new(&p, b"two").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).expect("read"), b"one");
        assert!(no_hard_links(&std::io::Error::from_raw_os_error(18)));
        assert!(!no_hard_links(&std::io::Error::from_raw_os_error(17)));
    }
}
