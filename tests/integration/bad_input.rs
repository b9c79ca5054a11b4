//! Bad input everywhere (issue 10): every command, given bad input, prints one `sesh: error:`
//! line (and at most one `hint:`), exits with the documented status (2 for the input's fault,
//! 1 for a file or directory that cannot be used), and never panics, hangs, prints partial
//! output or leaves a partial file.
//!
//! Table-driven: each [`Case`] is a command line, its standard input and what must come of
//! it. Every run is bounded in time and points at a network whose only seed is 127.0.0.1:1
//! (nothing listens there), so that a case that wrongly got as far as the network fails fast
//! and never leaves loopback.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// How long one run may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(30);

/// A Session ID's 64 hex digits after the prefix.
const KEY_HEX: &str = "d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";

/// A valid 13-word phrase (protocol.md §9 vectors) and ones that are not.
const PHRASE: &str =
    "puffin luxury annoyed rustled memoir faxed smidgen puddle kiwi nylon utopia zinger kiwi";

/// The fixture directory: key files, network files and state directories, good and bad.
struct Fixture {
    dir: tempfile::TempDir,
    /// The Session ID of `good.key`.
    id: String,
}

impl Fixture {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        let id = sesh::Identity::from_seed(sesh::identity::Seed::from_legacy(&[7; 16]));
        let text = sesh::identity::keyfile::encode(&id, std::time::UNIX_EPOCH);
        let secret = |name: &str, bytes: &[u8]| {
            sesh::store::write_secret_file(&d.join(name), bytes, false, false).expect("a key file");
        };
        secret("good.key", text.as_bytes());
        secret("truncated.key", &text.as_bytes()[..text.len() * 2 / 3]);
        secret("empty.key", b"");
        secret(
            "binary.key",
            &(0..=255u8).cycle().take(300).collect::<Vec<u8>>(),
        );
        secret(
            "wrong-format.key",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n\
              -----END OPENSSH PRIVATE KEY-----\n",
        );
        secret(
            "json.key",
            br#"{"seed": "0707070707070707070707070707070707070707070707070707070707070707"}"#,
        );
        std::fs::write(d.join("open.key"), text.as_bytes()).expect("a key file");
        std::fs::set_permissions(d.join("open.key"), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        std::fs::create_dir(d.join("dir.key")).expect("a directory");

        let write = |name: &str, bytes: &[u8]| std::fs::write(d.join(name), bytes).expect("a file");
        write(
            "closed.toml",
            b"name = \"closed\"\nsubnet_diversity = false\n\n[[seed]]\n\
              url = \"http://127.0.0.1:1/json_rpc\"\n",
        );
        write("garbage.toml", b"\x00\xff\xfe garbage \x1b[31m\n");
        write("syntax.toml", b"name = \"x\"\n[[seed]\nurl = = 3\n");
        write("empty.toml", b"");
        write("noseeds.toml", b"name = \"x\"\n");
        write(
            "unpinned.toml",
            b"name = \"x\"\n[[seed]]\nurl = \"https://127.0.0.1:1/json_rpc\"\n",
        );
        write(
            "badname.toml",
            b"name = \"../x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/\"\n",
        );
        write(
            "pinnedhttp.toml",
            b"name = \"x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/json_rpc\"\n\
              cert_sha256 = \"8ba7c857123f662cf05d15e8a48aa6953bc6c3ab1702633fa6ef9d89c63e27c5\"\n",
        );
        write("afile", b"not a directory");
        write("big.txt", &vec![b'a'; 80_000]);
        write("garbage.mmdb", b"\x00\x01 not a MaxMind database");
        Self {
            dir,
            id: id.session_id().to_string(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The names in the fixture directory, to see that a failed command left nothing.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("the fixture")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n != "state" && n != "data")
            .collect();
        names.sort();
        names
    }

    /// Runs `sesh` in the fixture directory, bounded by [`HANG`].
    fn run(&self, args: &[OsString], stdin: &[u8], stdout: Out) -> Output {
        self.run_env(args, &[], stdin, stdout)
    }

    /// [`Self::run`], with more environment variables.
    fn run_env(
        &self,
        args: &[OsString],
        env: &[(&str, OsString)],
        stdin: &[u8],
        stdout: Out,
    ) -> Output {
        let d = self.dir.path();
        let mut cmd = super::support::sesh_command();
        cmd.args(args)
            .current_dir(d)
            .env("HOME", d)
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("SESH_NETWORK", d.join("closed.toml"))
            .env("SESH_STATE_DIR", d.join("state"))
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1")
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            cmd.env(name, value);
        }
        match stdout {
            Out::Pipe => cmd.stdout(Stdio::piped()),
            Out::Full => cmd.stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            ),
        };
        let mut child = cmd.spawn().expect("sesh runs");
        let pid = child.id();
        let mut input = child.stdin.take().expect("stdin is piped");
        let stdin = stdin.to_vec();
        // A command that does not read its input must not block the test.
        std::thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(HANG) {
            Ok(out) => out.expect("sesh finishes"),
            Err(_) => {
                let _ = sesh::devnet::sigterm(pid);
                panic!("sesh {args:?} hung (no exit within {HANG:?})");
            }
        }
    }
}

/// Where standard output goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Out {
    Pipe,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
}

/// One bad command line and what must come of it.
struct Case {
    args: Vec<OsString>,
    stdin: Vec<u8>,
    /// More environment variables.
    env: Vec<(&'static str, OsString)>,
    stdout: Out,
    /// The exit status.
    status: i32,
    /// What the error line must contain.
    says: &'static str,
    /// What the hint must contain, when there must be one.
    hint: Option<&'static str>,
    /// A file that must not exist afterwards.
    absent: Option<&'static str>,
}

fn case(args: &[&str], status: i32, says: &'static str) -> Case {
    Case {
        args: args.iter().map(OsString::from).collect(),
        stdin: Vec::new(),
        env: Vec::new(),
        stdout: Out::Pipe,
        status,
        says,
        hint: None,
        absent: None,
    }
}

impl Case {
    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    fn absent(mut self, name: &'static str) -> Self {
        self.absent = Some(name);
        self
    }

    fn full(mut self) -> Self {
        self.stdout = Out::Full;
        self
    }

    fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    fn env(mut self, name: &'static str, value: impl Into<OsString>) -> Self {
        self.env.push((name, value.into()));
        self
    }
}

/// Runs every case and reports all that failed at once.
fn check(fx: &Fixture, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in &cases {
        let before = fx.listing();
        let out = fx.run_env(&c.args, &c.env, &c.stdin, c.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut why = Vec::new();
        if out.status.code() != Some(c.status) {
            why.push(format!(
                "exit status {:?}, not {}",
                out.status.code(),
                c.status
            ));
        }
        if c.stdout == Out::Pipe && !out.stdout.is_empty() {
            why.push(format!(
                "standard output is not empty: {:?}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            why.push("a panic".to_owned());
        }
        let lines: Vec<&str> = stderr.lines().collect();
        match lines.as_slice() {
            [error] | [error, _] if error.starts_with("sesh: error: ") => {
                if !error.contains(c.says) {
                    why.push(format!("the error does not say {:?}", c.says));
                }
                if stderr.len() > 2000 {
                    why.push(format!("{} bytes on standard error", stderr.len()));
                }
            }
            _ => why.push("not one 'sesh: error:' line and at most one more".to_owned()),
        }
        match (lines.get(1), c.hint) {
            (Some(h), _) if !h.starts_with("hint: ") => {
                why.push("the second line is not a hint".to_owned());
            }
            (Some(h), Some(want)) if !h.contains(want) => {
                why.push(format!("the hint does not say {want:?}"));
            }
            (None, Some(want)) => why.push(format!("no hint (want {want:?})")),
            _ => {}
        }
        if let Some(name) = c.absent
            && fx.path(name).exists()
        {
            why.push(format!("'{name}' was written"));
        }
        let after = fx.listing();
        if after != before {
            why.push(format!("files left behind: {before:?} -> {after:?}"));
        }
        if !why.is_empty() {
            failures.push(format!(
                "sesh {:?}:\n  {}\n  stderr: {stderr:?}",
                c.args,
                why.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every kind of bad Session ID, named for what it is, wherever a command takes one.
#[test]
fn bad_session_ids_are_named_for_what_they_are() {
    let fx = Fixture::new();
    let long = format!("05{}", "ab".repeat(50_000));
    let ids: [(String, &str, Option<&str>); 10] = [
        (
            format!("15{KEY_HEX}"),
            "a blinded community ID (prefix 15)",
            Some("community"),
        ),
        (
            format!("25{KEY_HEX}"),
            "a blinded community ID (prefix 25)",
            Some("community"),
        ),
        (
            format!("03{KEY_HEX}"),
            "a group ID (prefix 03)",
            Some("groups"),
        ),
        (
            format!("00{KEY_HEX}"),
            "an unblinded Ed25519 key (prefix 00)",
            Some("starts with 05"),
        ),
        (
            "05abc".to_owned(),
            "expected 66 hex characters, got 5",
            Some("66 hex"),
        ),
        (
            format!("05{KEY_HEX}ab"),
            "expected 66 hex characters, got 68",
            Some("66 hex"),
        ),
        (
            format!("05{}zz", &KEY_HEX[2..]),
            "character 65 ('z') is not a hex digit",
            Some("66 hex"),
        ),
        (String::new(), "got 0", Some("66 hex")),
        (
            format!("05{}\u{1b}[2J", &KEY_HEX[3..]),
            "\\u{1b}",
            Some("66 hex"),
        ),
        (long, "… (100002 bytes)", Some("66 hex")),
    ];
    let mut cases = Vec::new();
    // A Session ID of the right form whose key nothing can be sealed to (a small-order point).
    let zero = format!("05{}", "00".repeat(32));
    for cmd in ["seal", "send"] {
        cases.push(
            case(
                &[cmd, "-i", "good.key", "-m", "hi"],
                2,
                "not a usable X25519 public key",
            )
            .arg(&zero),
        );
    }
    for (id, says, hint) in ids {
        let with_hint = |c: Case| match hint {
            Some(h) => c.hint(h),
            None => c,
        };
        cases.push(with_hint(
            case(&["seal", "-i", "good.key", "-m", "hi"], 2, says).arg(&id),
        ));
        cases.push(with_hint(
            case(&["send", "-i", "good.key", "-m", "hi"], 2, says).arg(&id),
        ));
        // A bad recipient after a good one: nothing is sent to the good one either.
        cases.push(with_hint(
            case(&["send", "-i", "good.key", "-m", "hi", &fx.id], 2, says).arg(&id),
        ));
        cases.push(with_hint(case(&["swarm"], 2, says).arg(&id)));
    }
    check(&fx, cases);
}

/// Recovery phrases that do not decode: exit 2, one line, no identity file written. (The
/// wording belongs to the phrase module; only the shape is checked here.)
#[test]
fn bad_phrases_write_nothing() {
    let fx = Fixture::new();
    let mut words: Vec<&str> = PHRASE.split(' ').collect();
    let good = words.join(" ");
    words[12] = "luxury";
    let bad_checksum = words.join(" ");
    words[12] = "kiwi";
    // Words are matched by their first three letters (as the apps do): "qqq" matches none.
    words[3] = "qqqqq";
    let unknown = words.join(" ");
    let bip39_bad = "abandon ".repeat(12);
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("a wrong checksum", bad_checksum.into_bytes()),
        ("an unknown word", unknown.into_bytes()),
        ("12 words, bad BIP39 checksum", bip39_bad.into_bytes()),
        ("5 words", b"puffin luxury annoyed rustled memoir".to_vec()),
        ("nothing", Vec::new()),
        ("blank", b"  \n\n".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00, 0x80]),
        ("too much", vec![b'a'; 20_000]),
        ("control characters", b"puffin\x1b[2J luxury\x07".to_vec()),
    ];
    let mut cases = Vec::new();
    for (_what, stdin) in &inputs {
        cases.push(
            case(&["recover", "-o", "new.key"], 2, "")
                .stdin(stdin.clone())
                .absent("new.key"),
        );
        cases.push(case(&["recover", "-o", "-"], 2, "").stdin(stdin.clone()));
    }
    // The good phrase, where the identity cannot go: --json with -o -, a device.
    cases.push(
        case(
            &["--json", "recover", "-o", "-"],
            2,
            "--json cannot be used with -o -",
        )
        .stdin(good.clone()),
    );
    cases.push(
        case(
            &["recover", "-o", "/dev/null", "--force"],
            2,
            "not a regular file",
        )
        .stdin(good.clone()),
    );
    check(&fx, cases);
}

/// Identity files that are truncated, of another format, binary, empty, a directory, missing,
/// or readable by others, for every command that reads one.
#[test]
fn bad_identity_files_are_refused_by_every_command() {
    let fx = Fixture::new();
    let to = fx.id.clone();
    let commands: Vec<Vec<String>> = vec![
        vec!["id".into()],
        vec!["phrase".into()],
        vec!["seal".into(), to.clone(), "-m".into(), "hi".into()],
        vec!["open".into()],
        vec!["send".into(), to.clone(), "-m".into(), "hi".into()],
        vec!["receive".into()],
        vec!["swarm".into()],
    ];
    let files: [(&str, i32, &str, Option<&str>); 8] = [
        (
            "truncated.key",
            2,
            "invalid key file 'truncated.key'",
            Some("sesh keygen"),
        ),
        (
            "empty.key",
            2,
            "invalid key file 'empty.key'",
            Some("sesh keygen"),
        ),
        (
            "binary.key",
            2,
            "invalid key file 'binary.key'",
            Some("sesh keygen"),
        ),
        (
            "wrong-format.key",
            2,
            "invalid key file 'wrong-format.key'",
            Some("sesh keygen"),
        ),
        (
            "json.key",
            2,
            "invalid key file 'json.key'",
            Some("sesh keygen"),
        ),
        ("dir.key", 2, "'dir.key' is a directory", None),
        (
            "missing.key",
            1,
            "no identity at 'missing.key'",
            Some("sesh keygen"),
        ),
        (
            "open.key",
            1,
            "key file 'open.key' is readable by others (mode 644)",
            Some("run 'chmod 600 open.key'"),
        ),
    ];
    let mut cases = Vec::new();
    for cmd in &commands {
        for (file, status, says, hint) in files {
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let c = case(&args, status, says).arg("-i").arg(file).stdin("x\n");
            cases.push(match hint {
                Some(h) => c.hint(h),
                None => c,
            });
        }
    }
    // The same bad key file on standard input.
    for (file, _, _, _) in &files[..5] {
        let bytes = std::fs::read(fx.path(file)).expect("the key file");
        cases.push(case(&["id", "-i", "-"], 2, "invalid key file '-'").stdin(bytes));
    }
    // The default identity, when there is none.
    cases.push(case(&["id"], 1, "no identity at").hint("sesh keygen"));
    check(&fx, cases);
}

/// A device is not a key file: its mode is not a key's (no chmod hint for /dev/null), and it
/// is read, bounded, and refused for what it holds.
#[test]
fn devices_as_identity_files_are_read_bounded_and_refused_for_their_content() {
    let fx = Fixture::new();
    check(
        &fx,
        vec![
            case(
                &["id", "-i", "/dev/null"],
                2,
                "invalid key file '/dev/null'",
            )
            .hint("sesh keygen"),
            case(
                &["id", "-i", "/dev/zero"],
                2,
                "invalid key file '/dev/zero'",
            )
            .hint("sesh keygen"),
            case(
                &["phrase", "-i", "/dev/urandom"],
                2,
                "invalid key file '/dev/urandom'",
            ),
        ],
    );
    let out = fx.run(
        &["id".into(), "-i".into(), "/dev/null".into()],
        b"",
        Out::Pipe,
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("chmod"),
        "{out:?}"
    );
}

/// Standard input that is empty, binary, or longer than any message; texts over the storage
/// limit; arguments that are not UTF-8.
#[test]
fn bad_message_input_is_refused_before_anything_is_sent() {
    use std::os::unix::ffi::OsStringExt;
    let fx = Fixture::new();
    let to = fx.id.as_str();
    let long = "a".repeat(77_000);
    let big = std::fs::read(fx.path("big.txt")).expect("big.txt");
    let mut cases = Vec::new();
    for cmd in ["seal", "send"] {
        let base = [cmd, "-i", "good.key", to];
        cases.push(case(&base, 2, "the message is empty").stdin(""));
        cases.push(case(&base, 2, "the message is not UTF-8 text").stdin(vec![0xff, 0xfe, b'\n']));
        cases.push(
            case(&base, 2, "standard input holds more than 76802 bytes")
                .stdin(big.clone())
                .hint("76 800 bytes"),
        );
        cases.push(
            case(
                &[cmd, "-i", "good.key", to, "-m"],
                2,
                "the message is too long",
            )
            .arg(&long)
            .hint("76 800 bytes"),
        );
        // `send` holds a display name to what a profile name may be (100 bytes) before it
        // seals anything; `seal` only refuses the sealed message's size.
        let (error, hint) = if cmd == "send" {
            ("at most 100 are allowed", "1 to 100 bytes")
        } else {
            ("the message is too long", "76 800 bytes")
        };
        cases.push(
            case(&[cmd, "-i", "good.key", to, "-m", "hi", "--name"], 2, error)
                .arg(&long)
                .hint(hint),
        );
        cases.push(
            case(&[cmd, "-i", "good.key", to, "-m"], 2, "invalid UTF-8")
                .arg(OsString::from_vec(vec![b'h', 0xff, b'i'])),
        );
        cases.push(case(
            &[cmd, "-i", "-", to],
            2,
            "cannot both come from standard input",
        ));
    }
    cases.push(case(
        &["seal", "-i", "good.key", to, "-m", "hi", "--timestamp", "0"],
        2,
        "'0'",
    ));
    cases.push(case(
        &["seal", "-i", "good.key", to, "-m", "hi", "--timestamp", "x"],
        2,
        "'x'",
    ));
    cases.push(case(
        &["open", "-i", "-"],
        2,
        "the payloads come from standard input",
    ));
    check(&fx, cases);
}

/// A single payload that does not open is one error line, exit 2, no tally; binary input
/// included. No payload at all (empty input, blank lines) is refused as seal refuses it.
#[test]
fn open_reports_a_bad_payload_once() {
    let fx = Fixture::new();
    let mut cases = Vec::new();
    for (stdin, says) in [
        (&b"\xff\xfe\x00garbage\n"[..], "line 1: not base64"),
        (b"not base64!\n", "line 1: not base64"),
        (b"!!!!\n", "line 1: not base64"),
        (b"AAAA\n", "line 1: "),
        (&vec![b'A'; 200_000], "line 1: "),
        (b"", "standard input had no payloads"),
        (b"\n  \n\r\n\n", "standard input had no payloads"),
    ] {
        cases.push(case(&["open", "-i", "good.key"], 2, says).stdin(stdin));
    }
    check(&fx, cases);
}

/// Network files that are missing, garbage, not a network, or endless; for every command
/// that uses the network, by --network and by SESH_NETWORK.
#[test]
fn bad_network_files_are_refused_by_every_network_command() {
    let fx = Fixture::new();
    let to = fx.id.clone();
    let commands: Vec<Vec<String>> = vec![
        vec!["nodes".into()],
        vec![
            "send".into(),
            "-i".into(),
            "good.key".into(),
            "-m".into(),
            "hi".into(),
            to,
        ],
        vec!["receive".into(), "-i".into(), "good.key".into()],
        vec!["probe".into(), "--all".into()],
        vec!["path".into()],
        vec!["swarm".into(), "-i".into(), "good.key".into()],
    ];
    let networks: [(&str, &str); 11] = [
        ("missing.toml", "unknown network 'missing.toml'"),
        ("pinnedhttp.toml", "a pinned seed must use https"),
        (
            "garbage.toml",
            "network file 'garbage.toml': not UTF-8 text",
        ),
        ("syntax.toml", "network file 'syntax.toml': line 2, column"),
        (
            "empty.toml",
            "network file 'empty.toml': line 1, column 1: missing field `name`",
        ),
        (
            "noseeds.toml",
            "network file 'noseeds.toml': the network has no [[seed]]",
        ),
        ("unpinned.toml", "no cert_sha256 pin"),
        ("badname.toml", "network name '../x'"),
        ("dir.key", "network file 'dir.key': a directory"),
        ("/dev/zero", "larger than 1048576 bytes"),
        ("/dev/null", "missing field `name`"),
    ];
    let mut cases = Vec::new();
    for cmd in &commands {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        for (net, says) in networks {
            cases.push(case(&args, 2, says).arg("--network").arg(net));
        }
    }
    check(&fx, cases);
    // SESH_NETWORK is read the same way.
    let out = super::support::sesh_command()
        .arg("nodes")
        .current_dir(fx.dir.path())
        .env("SESH_NETWORK", "garbage.toml")
        .env("SESH_STATE_DIR", fx.path("state"))
        .stdin(Stdio::null())
        .output()
        .expect("sesh runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sesh: error: network file 'garbage.toml': not UTF-8 text\n"
    );
}

/// Makes a FIFO in the fixture directory.
fn mkfifo(fx: &Fixture, name: &str) -> PathBuf {
    use rustix::fs::{CWD, FileType, Mode, mknodat};
    let p = fx.path(name);
    mknodat(CWD, &p, FileType::Fifo, Mode::from_raw_mode(0o600), 0).expect("mkfifo");
    p
}

/// A FIFO that no process writes to, named wherever sesh reads a file, is refused after
/// `sesh::store::FIFO_WRITER_WAIT` instead of blocking the command for ever.
#[test]
fn fifos_without_a_writer_are_refused_not_waited_for() {
    let fx = Fixture::new();
    mkfifo(&fx, "nowriter");
    let said = "'nowriter': a FIFO that no process opened for writing within 5s";
    // As sesh(1) FILES says.
    assert_eq!(sesh::store::FIFO_WRITER_WAIT, Duration::from_secs(5));
    assert!(
        sesh::cli::FILES
            .iter()
            .any(|(_, text)| text.contains("within 5 seconds is refused (exit status 2)"))
    );
    let cases = vec![
        case(&["id", "-i", "nowriter"], 2, said),
        case(&["phrase"], 2, said).env("SESH_IDENTITY", "nowriter"),
        case(&["nodes", "--network", "nowriter"], 2, said),
        case(&["nodes"], 2, said).env("SESH_NETWORK", "nowriter"),
        case(
            &["path", "show", "--geoip", "nowriter", "--network", "nosuch"],
            2,
            said,
        ),
    ];
    // At the same time: each waits for its writer.
    std::thread::scope(|s| {
        for c in cases {
            let fx = &fx;
            s.spawn(move || check(fx, vec![c]));
        }
    });
}

/// A FIFO or pipe with a writer reads as before: a FIFO whose writer comes after sesh opened
/// it, and standard input as a file (as `-i <(…)` gives one).
#[test]
fn fifos_and_pipes_with_a_writer_are_read() {
    let fx = Fixture::new();
    let fifo = mkfifo(&fx, "writer");
    let key = std::fs::read(fx.path("good.key")).expect("the key file");
    let writer = {
        let key = key.clone();
        // Opening a FIFO for writing waits until sesh opens it for reading.
        std::thread::spawn(move || std::fs::write(fifo, key))
    };
    let out = fx.run(&["id".into(), "-i".into(), "writer".into()], b"", Out::Pipe);
    // Should sesh not have opened it, open it here, so that the writer ends.
    use std::os::unix::fs::OpenOptionsExt as _;
    drop(
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(fx.path("writer")),
    );
    let _ = writer.join();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&fx.id),
        "{out:?}"
    );

    let out = fx.run(
        &["id".into(), "-i".into(), "/dev/stdin".into()],
        &key,
        Out::Pipe,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&fx.id),
        "{out:?}"
    );
    // A pipe whose writer wrote nothing: an empty key file, refused for that.
    check(
        &fx,
        vec![case(
            &["id", "-i", "/dev/stdin"],
            2,
            "invalid key file '/dev/stdin'",
        )],
    );
}

/// State directories that cannot be used (a file, a device, a place nobody can write) and
/// outputs that cannot be written (/dev/full, a file in place of a directory): exit 1, the
/// path asked for named, nothing partial left.
#[test]
fn unwritable_state_and_outputs_fail_cleanly() {
    let fx = Fixture::new();
    let to = fx.id.clone();
    let mut cases = Vec::new();
    for state in ["afile", "/dev/full", "/proc/self/sesh-state"] {
        for cmd in [
            vec!["nodes"],
            vec!["send", "-i", "good.key", "-m", "hi", &to],
            vec!["receive", "-i", "good.key"],
            vec!["path"],
        ] {
            cases.push(
                case(&cmd, 1, "client state: creating state directory")
                    .arg("--state-dir")
                    .arg(state),
            );
        }
    }
    // Identity files where none can be written: the error names the file asked for, never
    // the temporary file it is written through.
    cases.push(case(
        &["keygen", "-o", "afile/x.key"],
        1,
        "creating 'afile/x.key'",
    ));
    cases.push(case(
        &["keygen", "-o", "/proc/self/x.key"],
        1,
        "creating '/proc/self/x.key'",
    ));
    cases.push(case(&["keygen", "-o", "dir.key"], 2, "not a regular file"));
    cases.push(case(
        &["keygen", "-o", "dir.key", "--force"],
        2,
        "not a regular file",
    ));
    cases.push(case(
        &["keygen", "-o", "/dev/full", "--force"],
        2,
        "not a regular file",
    ));
    cases.push(
        case(
            &["keygen", "-o", "good.key"],
            1,
            "'good.key' already exists",
        )
        .hint("--force"),
    );
    // Standard output that is full: nothing was stored, so the failure is the command's.
    cases.push(case(&["keygen", "-o", "-"], 1, "writing the identity to '-'").full());
    cases.push(case(&["id", "-i", "good.key"], 1, "writing '-'").full());
    cases.push(case(&["phrase", "-i", "good.key"], 1, "writing '-'").full());
    cases.push(
        case(
            &["seal", "-i", "good.key", "-m", "hi", &to],
            1,
            "writing '-'",
        )
        .full(),
    );
    // A read-only directory, where the permission bits bind (not as root).
    let ro = fx.path("ro");
    std::fs::create_dir(&ro).expect("a directory");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    }
    if std::fs::write(ro.join("probe"), b"").is_err() {
        cases.push(case(
            &["keygen", "-o", "ro/x.key"],
            1,
            "creating 'ro/x.key'",
        ));
        cases.push(
            case(&["nodes"], 1, "client state: creating state directory")
                .arg("--state-dir")
                .arg("ro/state"),
        );
    } else {
        let _ = std::fs::remove_file(ro.join("probe"));
    }
    check(&fx, cases);
    assert!(std::fs::read_dir(&ro).expect("ro").next().is_none());
}

/// Durations that do not parse, or that a swarm would refuse, are refused as the user spelled
/// them; numbers out of range too.
#[test]
fn bad_durations_and_numbers_are_usage_errors() {
    let fx = Fixture::new();
    let to = fx.id.clone();
    let send = |ttl: &str| {
        vec![
            "send".to_owned(),
            "-i".into(),
            "good.key".into(),
            "-m".into(),
            "hi".into(),
            to.clone(),
            "--ttl".into(),
            ttl.into(),
        ]
    };
    let mut cases = Vec::new();
    for (ttl, says) in [
        (
            "15d",
            "invalid value '15d' for '--ttl <DURATION>': a swarm keeps a message from 10s to 14d",
        ),
        ("9s", "'9s'"),
        ("0s", "'0s'"),
        ("1x", "unknown time unit"),
        ("", "'' for '--ttl"),
        // Read as an option, not a value: still a usage error.
        ("-1s", "unexpected argument '-1'"),
        ("99999999999999999999d", "99999999999999999999d"),
        // Over a year as well as over 14 days: the TTL's own range, not durations' limit.
        (
            "30d",
            "'30d' for '--ttl <DURATION>': a swarm keeps a message from 10s to 14d",
        ),
        (
            "99999999999d",
            "'99999999999d' for '--ttl <DURATION>': a swarm keeps a message from 10s to 14d",
        ),
        ("14 days and a bit", "'14 days and a bit'"),
    ] {
        let args = send(ttl);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cases.push(case(&args, 2, says).hint("see 'sesh send --help'"));
    }
    for (args, says) in [
        (
            &["receive", "-i", "good.key", "--timeout", "soon"][..],
            "'soon'",
        ),
        (
            &["receive", "-i", "good.key", "--interval", "10ms"],
            "at least 100ms",
        ),
        (&["receive", "-i", "good.key", "--max", "0"], "'0'"),
        // Past what `now + timeout` can hold: refused, not a panic.
        (
            &["receive", "-i", "good.key", "--timeout", "500000000000y"],
            "at most 365d",
        ),
        (
            &[
                "receive",
                "-i",
                "good.key",
                "-f",
                "--interval",
                "500000000000y",
            ],
            "at most 365d",
        ),
        (
            &["probe", "--all", "--timeout", "500000000000y"],
            "at most 365d",
        ),
        (
            &["probe", "--all", "--timeout", "0s"],
            "--timeout must be more than 0s",
        ),
        (&["probe", "--all", "--timeout", "5"], "'5'"),
        (&["probe", "--all", "--concurrency", "100000"], "'100000'"),
        (&["devnet", "--nodes", "0"], "'0'"),
        (&["devnet", "--swarm-size", "0"], "'0'"),
        (&["devnet", "--nodes", "many"], "'many'"),
    ] {
        cases.push(case(args, 2, says));
    }
    check(&fx, cases);
}

/// Usage errors point at the help of the subcommand that was run.
#[test]
fn usage_errors_point_at_the_subcommands_help() {
    let fx = Fixture::new();
    let mut cases = Vec::new();
    for (args, hint) in [
        (&["seal"][..], "see 'sesh seal --help'"),
        (&["send", "--bogus", "x"], "see 'sesh send --help'"),
        (
            &["--network", "closed.toml", "receive", "extra"],
            "see 'sesh receive --help'",
        ),
        (
            &["path", "test", "--frobnicate"],
            "see 'sesh path test --help'",
        ),
        (&["probe", "--all", "1f00"], "see 'sesh probe --help'"),
        (&["phrase", "--format", "latin"], "see 'sesh phrase --help'"),
        (&["keygen", "-o"], "see 'sesh keygen --help'"),
        (&["frobnicate"], "see 'sesh --help'"),
        (&["--bogus"], "see 'sesh --help'"),
    ] {
        cases.push(case(args, 2, "").hint(hint));
    }
    check(&fx, cases);
}

/// `--json` is honoured or refused: `keygen -o -` and `recover -o -` would put an identity
/// file where JSON Lines are promised, so they refuse it; `keygen -o FILE` honours it.
#[test]
fn json_is_honoured_or_refused() {
    let fx = Fixture::new();
    check(
        &fx,
        vec![case(
            &["--json", "keygen", "-o", "-"],
            2,
            "--json cannot be used with -o -",
        )],
    );
    let out = fx.run(
        &[
            "keygen".into(),
            "--json".into(),
            "-o".into(),
            "new.key".into(),
        ],
        b"",
        Out::Pipe,
    );
    assert_eq!(out.status.code(), Some(0));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON record");
    assert_eq!(record["type"], "identity");
}

/// A message sealed in 1970 or two days ahead opens (the apps show it too), with a warning on
/// standard error; one whose signed time differs from its envelope's is refused.
#[test]
fn open_warns_of_a_time_before_session_or_far_ahead() {
    use sesh::clock::Clock as _;
    let fx = Fixture::new();
    let now = sesh::clock::SystemClock.now_ms();
    let two_days = 2 * 86_400_000;
    for (ts, warning) in [
        (1, Some("1970-01-01T00:00:00.001Z, before Session existed")),
        (now + two_days, Some("ahead of this computer's clock")),
        (now, None),
    ] {
        let sealed = fx.run(
            &[
                "seal".into(),
                "-i".into(),
                "good.key".into(),
                fx.id.clone().into(),
                "-m".into(),
                "hi".into(),
                "--timestamp".into(),
                ts.to_string().into(),
            ],
            b"",
            Out::Pipe,
        );
        assert_eq!(sealed.status.code(), Some(0));
        let opened = fx.run(
            &["open".into(), "-i".into(), "good.key".into()],
            &sealed.stdout,
            Out::Pipe,
        );
        let err = String::from_utf8_lossy(&opened.stderr);
        assert_eq!(opened.status.code(), Some(0), "{err}");
        assert!(String::from_utf8_lossy(&opened.stdout).contains("\n  hi"));
        match warning {
            Some(w) => {
                assert!(err.starts_with("sesh: warning: line 1: "), "{err}");
                assert!(err.contains(w), "{err}");
                assert_eq!(err.lines().count(), 1, "{err}");
            }
            None => assert!(err.is_empty(), "{err}"),
        }
    }
}

/// `sesh probe` with every node failing is a failure (1), not a partial one (4): a seed on
/// loopback lists two nodes on ports where nothing listens.
#[test]
fn probe_exits_1_when_every_node_failed() {
    use std::io::{BufRead, BufReader, Read};
    let fx = Fixture::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let node = |n: u8, port: u16| {
        serde_json::json!({
            "public_ip": "127.0.0.1", "storage_port": port,
            "pubkey_ed25519": hex::encode([n; 32]), "pubkey_x25519": hex::encode([n + 1; 32]),
            "swarm_id": 1, "storage_server_version": [2, 11, 0]
        })
    };
    let answer = serde_json::json!({"jsonrpc": "2.0", "id": 0, "result": {
        "service_node_states": [node(1, 1), node(3, 2)], "height": 1}})
    .to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().expect("a stream"));
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    std::fs::write(
        fx.path("seed.toml"),
        format!(
            "name = \"seeded\"\nsubnet_diversity = false\n[[seed]]\n\
             url = \"http://127.0.0.1:{port}/json_rpc\"\n"
        ),
    )
    .expect("a network file");
    let out = fx.run(
        &[
            "probe".into(),
            "--all".into(),
            "--timeout".into(),
            "5s".into(),
            "--network".into(),
            "seed.toml".into(),
        ],
        b"",
        Out::Pipe,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{err}\n{text}");
    assert_eq!(text.matches("  FAIL  ").count(), 2, "{text}");
    assert!(
        err.ends_with("sesh: 2 of 2 node(s) failed or were not found\n"),
        "{err}"
    );
}

/// `sesh send … > /dev/full`: the message is stored, so it was sent: exit 0, and a warning
/// (shown even with --quiet) names the recipient and the hash its line would have carried, so
/// that a script which retries on failure does not send it twice. Each recipient gets it once
/// (bob, named twice, too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_whose_line_cannot_be_written_is_sent_once() {
    let (net, dir) = super::devnet::devnet(6, 3).await;
    let d = dir.path();
    let user = |name: &str| super::support::keygen(d, name);
    let ((alice, _), (bob, bob_id), (carol, carol_id)) =
        (user("alice"), user("bob"), user("carol"));
    let network = net.network_file();
    let run = |key: &PathBuf, args: &[&str], stdout: Out| {
        let mut cmd = super::support::sesh_command();
        cmd.args(args)
            .arg("-i")
            .arg(key)
            .env("SESH_NETWORK", &network)
            .env("SESH_STATE_DIR", key.with_extension("state"))
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        match stdout {
            Out::Pipe => cmd.stdout(Stdio::piped()),
            Out::Full => cmd.stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            ),
        };
        super::support::output_within(&mut cmd, None, super::support::COMMAND_LIMIT)
    };
    // A failed assertion drops the devnet, which kills its nodes.
    {
        let out = run(
            &alice,
            &[
                "send",
                "--quiet",
                "-m",
                "once only",
                &bob_id,
                &carol_id,
                &bob_id,
            ],
            Out::Full,
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        let mut hashes = Vec::new();
        for (line, to) in lines.iter().zip([&bob_id, &carol_id]) {
            let rest = line
                .strip_prefix(&format!("sesh: warning: sent to {to} (hash "))
                .unwrap_or_else(|| panic!("{line}"));
            let (hash, why) = rest.split_once(')').expect("a hash");
            assert_eq!(hash.len(), 43, "{line}");
            assert!(
                why.starts_with(", but its line could not be written: writing '-': "),
                "{line}"
            );
            hashes.push(hash.to_owned());
        }
        // A receive that cannot write the message out fails (1) and does not count it as
        // delivered: the next receive prints it.
        let out = run(&bob, &["receive"], Out::Full);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("sesh: error: writing '-': "), "{err}");
        for (key, hash) in [(&bob, &hashes[0]), (&carol, &hashes[1])] {
            let out = run(key, &["receive", "--json"], Out::Pipe);
            assert_eq!(out.status.code(), Some(0));
            let got: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str(l).expect("JSON"))
                .collect();
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0]["hash"], hash.as_str());
            assert_eq!(got[0]["text"], "once only");
        }
    }
    net.shutdown().await;
}

/// Runs `sesh-node` in the fixture directory with its standard input closed and
/// `--stop-on-stdin-eof`, so that a node that wrongly starts stops at once; bounded by [`HANG`].
fn run_node(fx: &Fixture, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_sesh-node"))
        .args(args)
        .arg("--stop-on-stdin-eof")
        .current_dir(fx.dir.path())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sesh-node runs");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(HANG) {
        Ok(out) => out.expect("sesh-node finishes"),
        Err(_) => {
            let _ = sesh::devnet::sigterm(pid);
            panic!("sesh-node {args:?} hung (no exit within {HANG:?})");
        }
    }
}

/// A clock offset that would move the node's clock before 1970 or past 9999 is a usage error,
/// not a panic when the first log line is stamped; `sesh devnet` refuses it as well.
#[test]
fn a_clock_offset_out_of_range_is_a_usage_error() {
    let fx = Fixture::new();
    for offset in [
        "-1795892000000",
        "253402300800000",
        "9223372036854775807",
        "99999999999999999999",
    ] {
        let out = run_node(
            &fx,
            &[
                "--dir",
                "node",
                "--roster",
                "roster.json",
                "--log",
                "-",
                "--listen",
                "127.0.0.1:0",
                &format!("--clock-offset-ms={offset}"),
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{offset}: {err}");
        assert!(!err.contains("panicked"), "{offset}: {err}");
        assert!(
            err.starts_with("sesh-node: error: ") && err.contains("clock offset"),
            "{offset}: {err}"
        );
        assert!(
            !fx.path("node").exists(),
            "{offset}: the node directory was made"
        );
    }
    let mut cases = Vec::new();
    for offset in ["-1795892000000", "253402300800000"] {
        let arg = format!("--clock-offset-ms={offset}");
        cases.push(case(&["devnet", "--dir", "dn", &arg], 2, "clock offset"));
    }
    check(&fx, cases);
}

/// A directory that holds files but is not a devnet's, or that is a file, is refused and
/// nothing in it is touched (issue 10, F1 and F7).
#[test]
fn devnet_refuses_a_directory_that_is_not_a_devnets() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("mine")).expect("a directory");
    for f in ["roster.json", "network.toml"] {
        std::fs::write(fx.path("mine").join(f), "keep").expect("a file");
    }
    check(
        &fx,
        vec![
            case(
                &["devnet", "--dir", "mine"],
                1,
                "'mine' is not a devnet directory",
            )
            .hint("pick a new or empty directory"),
            case(
                &["devnet", "--dir", "afile"],
                1,
                "devnet directory 'afile': not a directory",
            ),
        ],
    );
    for f in ["roster.json", "network.toml"] {
        assert_eq!(std::fs::read(fx.path("mine").join(f)).unwrap(), b"keep");
    }
    let names: Vec<_> = std::fs::read_dir(fx.path("mine")).unwrap().collect();
    assert_eq!(names.len(), 2, "files were added");
}

/// Help and version are output like any other: a write that fails is an error, exit 1.
#[test]
fn help_and_version_report_a_failed_write() {
    let fx = Fixture::new();
    let mut cases = Vec::new();
    for args in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["-V"],
        &["send", "--help"],
        &["path", "test", "-h"],
    ] {
        cases.push(case(args, 1, "writing '-': No space left on device").full());
    }
    check(&fx, cases);
}

/// `sesh-node`'s usage errors look like its other errors: one `sesh-node: error:` line and a
/// hint at its help, exit 2; its help and version report a failed write, exit 1.
#[test]
fn node_usage_errors_are_one_line_and_a_hint() {
    let fx = Fixture::new();
    let base = ["--dir", "node", "--roster", "roster.json"];
    let with =
        |more: &[&'static str]| -> Vec<&'static str> { base.iter().chain(more).copied().collect() };
    for (args, says) in [
        (
            vec![],
            "required arguments were not provided: --dir <DIR>, --roster <FILE>",
        ),
        (
            with(&["--listen", "bogus"]),
            "invalid value 'bogus' for '--listen",
        ),
        (
            with(&["--clock-offset-ms", "99999999999999999999"]),
            "for '--clock-offset-ms <MS>'",
        ),
        (
            with(&["--frobnicate"]),
            "unexpected argument '--frobnicate'",
        ),
    ] {
        let out = run_node(&fx, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(
            lines[0].starts_with("sesh-node: error: "),
            "{args:?}: {err}"
        );
        assert!(lines[0].contains(says), "{args:?}: {err}");
        assert!(
            lines[1].starts_with("hint: ") && lines[1].ends_with("see 'sesh-node --help'"),
            "{args:?}: {err}"
        );
        assert!(
            !fx.path("node").exists(),
            "{args:?}: the node directory was made"
        );
    }
    // A file where the node's directory should be.
    let out = run_node(&fx, &["--dir", "afile", "--roster", "roster.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim_end(),
        "sesh-node: error: creating the node directory 'afile': not a directory"
    );
    for flag in ["--help", "-h", "--version", "-V"] {
        let out = Command::new(env!("CARGO_BIN_EXE_sesh-node"))
            .arg(flag)
            .stdin(Stdio::null())
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            )
            .output()
            .expect("sesh-node runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {err}");
        assert_eq!(
            err.trim_end(),
            "sesh-node: error: writing to standard output: No space left on device (os error 28)",
            "{flag}"
        );
    }
}

/// A node's 400 answer quotes a bad value from the request cut short, not whole.
#[test]
fn a_refusal_quotes_a_long_value_cut_short() {
    let long = "x".repeat(10_000);
    let pubkey = format!("05{KEY_HEX}");
    for body in [
        serde_json::json!({"method": long, "params": {}}),
        serde_json::json!({"method": "retrieve", "params": {
            "pubkey": pubkey, "last_hash": long,
        }}),
        serde_json::json!({"method": "store", "params": {
            "pubkey": pubkey, "timestamp": long, "ttl": "86400000", "data": "AAAA",
        }}),
    ] {
        let e = sesh::rpc::request::parse(body.to_string().as_bytes())
            .expect_err("a bad request is refused");
        assert_eq!(e.status, 400, "{}", e.message);
        assert!(
            e.message.len() < 200,
            "{} bytes: {}",
            e.message.len(),
            e.message
        );
        assert!(
            e.message.contains(&format!("{}…", "x".repeat(64))),
            "{}",
            e.message
        );
    }
}
