//! Writing received files: under DIR/<sender>/, atomically (a temporary file, fsync'd, then
//! linked or renamed into place), mode 0600, never overwriting an attachment.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
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
        let path = dir.join(format!(".sesh-partial-{}-{n}", std::process::id()));
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

/// Saves `data` as `dir/name`, or `dir/name (1).ext`, `(2)`, … when taken: never replacing a
/// file. Returns the path written.
pub(super) fn save_new(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    make_dir(dir)?;
    let tmp = temp_file(dir, data)?;
    let result = (|| {
        for n in 0..=MAX_SUFFIX {
            let candidate = if n == 0 {
                name.to_owned()
            } else {
                numbered(name, n)
            };
            let path = dir.join(candidate);
            // A hard link fails if the name exists: an atomic "create, never replace".
            match fs::hard_link(&tmp, &path) {
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

/// Saves `data` as `dir/name`, atomically replacing what was there.
pub(super) fn save_replacing(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    make_dir(dir)?;
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
        let sub = dir.path().join("05ab");
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
}
