//! `sesh id --qr`: the Session ID's QR code on standard output, in a file, or refused.

use std::path::Path;
use std::process::Output;

use super::cli::sesh;

const KEY: &[u8] = include_bytes!("../cmd/id-stdin.stdin");
const SID: &str = "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";

fn id(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["id", "-i", "-"];
    args.extend_from_slice(extra);
    sesh(dir, &args, KEY)
}

/// Like [`id`] with nothing on standard input: a usage error exits before reading it, and
/// feeding it could then meet a closed pipe.
fn refused(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["id", "-i", "-"];
    args.extend_from_slice(extra);
    sesh(dir, &args, b"")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn usage_error(o: &Output, said: &str) {
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(said), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

/// Reads a module grid back with an independent QR decoder.
fn decode(modules: &[Vec<bool>]) -> String {
    let n = modules.len();
    let scale = 4;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(n * scale, n * scale, |x, y| {
        if modules[y / scale][x / scale] {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the code decodes").1
}

/// Splits `sesh id --qr` output into the drawing's lines and the ID line under it.
fn drawing_and_id(out: &str) -> (Vec<&str>, &str) {
    let mut lines: Vec<&str> = out.lines().collect();
    let last = lines.pop().expect("an ID line");
    (lines, last)
}

#[test]
fn qr_draws_half_blocks_that_scan_as_the_id_above_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&id(dir.path(), &["--qr"]));
    assert_eq!(ok(&id(dir.path(), &["--qr=text"])), out);
    let (drawing, sid) = drawing_and_id(&out);
    assert_eq!(sid, SID);
    // Glyphs are light modules, spaces dark (qrencode -t UTF8); two rows per line.
    let n = drawing[0].chars().count();
    assert_eq!(drawing.len(), n.div_ceil(2));
    let mut m = Vec::new();
    for line in &drawing {
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        for c in line.chars() {
            let (t, b) = match c {
                '█' => (false, false),
                '▀' => (false, true),
                '▄' => (true, false),
                ' ' => (true, true),
                other => panic!("unexpected {other:?} in {line:?}"),
            };
            top.push(t);
            bottom.push(b);
        }
        assert_eq!(top.len(), n);
        m.push(top);
        m.push(bottom);
    }
    m.truncate(n);
    // The 4-module quiet zone is light on every side.
    for (y, row) in m.iter().enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            if x < 4 || y < 4 || x >= n - 4 || y >= n - 4 {
                assert!(!dark, "quiet zone at ({x}, {y})");
            }
        }
    }
    assert_eq!(decode(&m), SID);
}

#[test]
fn qr_ascii_scans_as_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&id(dir.path(), &["--qr=ascii"]));
    assert!(out.is_ascii());
    let (drawing, sid) = drawing_and_id(&out);
    assert_eq!(sid, SID);
    let m: Vec<Vec<bool>> = drawing
        .iter()
        .map(|l| l.as_bytes().chunks(2).map(|p| p == b"##").collect())
        .collect();
    assert_eq!(m.len(), m[0].len());
    assert_eq!(decode(&m), SID);
}

/// Width and height from a PNG's IHDR, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n");
    assert_eq!(png[12..16], *b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let h = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    (w, h)
}

#[test]
fn qr_png_writes_the_image_and_prints_the_id_as_without_qr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = ok(&id(d, &[]));
    assert_eq!(plain, format!("{SID}\n"));
    let o = id(d, &["--qr=png", "-o", "code.png"]);
    assert_eq!(ok(&o), plain);
    let png = std::fs::read(d.join("code.png")).unwrap();
    let qr = sesh::qr::encode(SID).unwrap();
    // 8 pixels a module, the quiet zone included.
    let side = u32::try_from((qr.width() + 8) * 8).unwrap();
    assert_eq!(png_size(&png), (side, side));
    assert_eq!(png, qr.to_png(sesh::qr::DEFAULT_SCALE));

    // With --json the record is the one `sesh id --json` prints.
    let json = ok(&id(d, &["--json"]));
    assert_eq!(ok(&id(d, &["--json", "--qr=png", "-o", "again.png"])), json);
    assert_eq!(std::fs::read(d.join("again.png")).unwrap(), png);

    // -o - into a pipe: standard output is the image alone, the ID on standard error.
    let o = id(d, &["--qr=png", "-o", "-"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(o.stdout, png);
    assert_eq!(String::from_utf8_lossy(&o.stderr), format!("{SID}\n"));

    // A drawing with -o - is what it is without -o: the drawing, then the ID.
    assert_eq!(
        ok(&id(d, &["--qr=ascii", "-o", "-"])),
        ok(&id(d, &["--qr=ascii"]))
    );

    // A drawing can go to a file too.
    let o = id(d, &["--qr=ascii", "-o", "code.txt"]);
    assert_eq!(ok(&o), plain);
    assert_eq!(
        std::fs::read_to_string(d.join("code.txt")).unwrap(),
        qr.to_ascii()
    );

    // An existing file (an identity file, say) is not replaced without --force, and never
    // through a symbolic link.
    std::fs::write(d.join("me.key"), "secret").unwrap();
    let o = id(d, &["--qr=png", "-o", "me.key"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--force"),
        "{o:?}"
    );
    assert_eq!(std::fs::read_to_string(d.join("me.key")).unwrap(), "secret");
    std::os::unix::fs::symlink(d.join("me.key"), d.join("link.png")).unwrap();
    let o = id(d, &["--qr=png", "-o", "link.png", "--force"]);
    assert_ne!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(std::fs::read_to_string(d.join("me.key")).unwrap(), "secret");
    let o = id(d, &["--qr=ascii", "-o", "code.txt", "--force"]);
    assert_eq!(ok(&o), plain);
}

#[test]
fn qr_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    usage_error(&refused(d, &["--qr=png"]), "--output <FILE>");
    usage_error(&refused(d, &["--qr=svg"]), "svg");
    usage_error(&refused(d, &["-o", "x.png"]), "--qr");
    usage_error(&refused(d, &["--json", "--qr"]), "--json");
    usage_error(&refused(d, &["--json", "--qr=ascii"]), "--json");
    usage_error(&refused(d, &["--json", "--qr=png", "-o", "-"]), "--json");
    assert!(!d.join("x.png").exists());
}

/// Runs `sesh id -i KEY ARGS` with standard output on a pseudo-terminal, through util-linux
/// `script` (in Debian's essential bsdutils): its exit status and what the terminal showed.
fn on_terminal(dir: &Path, args: &str, no_color: bool) -> (Option<i32>, String) {
    let key = dir.join("k.key");
    std::fs::write(&key, KEY).expect("the key is written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .expect("the key is made private");
    }
    let line = format!(
        "'{}' id -i '{}' {args}",
        env!("CARGO_BIN_EXE_sesh"),
        key.display()
    );
    let mut cmd = std::process::Command::new("script");
    cmd.env("XDG_CONFIG_HOME", super::support::no_config_dir())
        .env_remove("SESH_CONFIG");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let o = cmd.output().expect("script (util-linux) runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_png_is_refused_and_the_drawing_has_fixed_colours() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, shown) = on_terminal(d, "--qr=png -o -", false);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("standard output is a terminal"), "{shown}");
    assert!(shown.contains("hint: name a file with -o FILE"), "{shown}");
    assert!(!shown.contains("PNG\r\n"), "{shown}");

    let (code, shown) = on_terminal(d, "--qr", false);
    assert_eq!(code, Some(0), "{shown}");
    let drawn: Vec<&str> = shown.lines().filter(|l| l.contains('█')).collect();
    assert!(!drawn.is_empty(), "{shown}");
    for line in drawn {
        assert!(line.starts_with("\x1b[97;40m"), "{line:?}");
        assert!(line.trim_end_matches('\r').ends_with("\x1b[0m"), "{line:?}");
    }
    assert!(shown.contains(SID), "{shown}");

    let (code, shown) = on_terminal(d, "--qr", true);
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains('\x1b'), "NO_COLOR: {shown:?}");
    assert!(shown.contains('█'), "{shown}");
}
