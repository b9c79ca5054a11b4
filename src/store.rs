//! Files on disk: the default paths, and reading and writing identity files safely.
//!
//! Key files are created with mode 0600, written to a temporary file in the same directory and
//! moved into place, so a crash never leaves a half-written key and an existing key is replaced
//! only when asked (`force`). A key file that other users can read is refused.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// Reads and parses an identity file, refusing a regular file that others can read (a device
/// or a pipe is read whatever its mode).
///
/// # Errors
/// [`Error::NoIdentity`] when the file does not exist, [`Error::KeyFilePermissions`] when it
/// is a regular file whose mode lets others read it, [`Error::KeyFile`] when it does not parse, [`Error::Io`] otherwise.
pub fn read_identity(path: &Path) -> Result<Identity, Error> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoIdentity {
                path: path.to_owned(),
            });
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
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    // Errors name `path`, the file asked for, never the temporary file.
    let result = write_new(&tmp, contents, path).and_then(|()| {
        if force {
            fs::rename(&tmp, path).map_err(io_error("replacing", path))
        } else {
            // A hard link fails if the target exists: an atomic "create, never clobber".
            match fs::hard_link(&tmp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(Error::AlreadyExists {
                        path: path.to_owned(),
                    })
                }
                Err(e) => Err(io_error("creating", path)(e)),
            }
        }
    });
    // The temporary file is gone after a rename; after a link (or a failure) remove it.
    let _ = fs::remove_file(&tmp);
    result?;
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `tmp` (mode 0600) holding `contents`; errors name `shown`.
fn write_new(tmp: &Path, contents: &[u8], shown: &Path) -> Result<(), Error> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(tmp).map_err(io_error("creating", shown))?;
    f.write_all(contents)
        .and_then(|()| f.sync_all())
        .map_err(io_error("writing", shown))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        // A directory in place of the temporary file makes creating it fail, root or not.
        let p = dir.path().join("x.key");
        let tmp = dir
            .path()
            .join(format!(".x.key.tmp-{}", std::process::id()));
        fs::create_dir(&tmp).unwrap();
        let e = write_secret_file(&p, b"secret", false, false).unwrap_err();
        let shown = e.to_string();
        assert_eq!(shown, format!("creating '{}'", p.display()));
        assert!(!p.exists());
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
