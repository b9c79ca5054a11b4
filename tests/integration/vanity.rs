//! `sesh keygen --prefix HEX`, issue 14 (4): vanity Session IDs.

use std::os::unix::fs::PermissionsExt as _;

use super::cli::sesh;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A two-digit prefix (given in upper case) is found, saved as keygen saves an identity
/// (mode 0600, the ID on standard output), after an estimate on standard error; and the
/// identity's recovery phrase restores the same Session ID.
#[test]
fn a_vanity_id_is_found_and_its_phrase_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = sesh(d, &["keygen", "--prefix", "Be", "-o", "v.key"], b"");
    assert!(out.status.success(), "{out:?}");
    let id = text(&out.stdout).trim().to_owned();
    assert!(id.starts_with("05be") && id.len() == 66, "{id}");
    let err = text(&out.stderr);
    assert!(
        err.contains("expected time") && err.contains("keys/s"),
        "{err}"
    );
    let mode = std::fs::metadata(d.join("v.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let phrase = sesh(d, &["phrase", "-i", "v.key"], b"");
    assert!(phrase.status.success(), "{phrase:?}");
    let keyfile = sesh(d, &["recover", "-o", "-"], &phrase.stdout);
    assert!(keyfile.status.success(), "{keyfile:?}");
    let restored = sesh(d, &["id", "-i", "-"], &keyfile.stdout);
    assert_eq!(text(&restored.stdout).trim(), id);
}

/// Prefixes that are not 1 to 10 hex digits are refused with exit 2, before any search and
/// without writing a file.
#[test]
fn invalid_prefixes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for bad in ["", "xyz", "12 3", "0x12", "abcdefabcde"] {
        let out = sesh(d, &["keygen", "--prefix", bad, "-o", "v.key"], b"");
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
        assert!(text(&out.stderr).contains("--prefix"), "{bad:?}: {out:?}");
        assert!(!d.join("v.key").exists());
    }
}

/// A prefix whose search would take far longer than the limit (10 digits: about 10¹² keys)
/// is refused with exit 2 and a hint to --force, after the estimate; nothing is written.
#[test]
fn a_search_over_the_time_limit_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = sesh(d, &["keygen", "--prefix", "abcdefabcd", "-o", "v.key"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("expected time") && err.contains("--force"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(!d.join("v.key").exists());
}

/// An identity file that exists is refused before the search, not after it.
#[test]
fn an_existing_file_is_refused_before_searching() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("v.key"), "keep me").unwrap();
    let out = sesh(d, &["keygen", "--prefix", "abcdefabcd", "-o", "v.key"], b"");
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    assert!(!text(&out.stderr).contains("expected time"), "{out:?}");
    assert_eq!(std::fs::read_to_string(d.join("v.key")).unwrap(), "keep me");
    // Not even with --force, which lifts the time limit only: a search never replaces an
    // identity.
    let out = sesh(
        d,
        &["keygen", "--prefix", "a", "--force", "-o", "v.key"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("never replaces"), "{out:?}");
    assert_eq!(std::fs::read_to_string(d.join("v.key")).unwrap(), "keep me");
}
