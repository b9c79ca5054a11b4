//! Secrets never leak (issue 10): every `sesh` command runs against a devnet, and everything
//! it leaves behind — standard output and error, the nodes' logs, every file in the state,
//! home and node directories (SQLite databases and their -wal files read as bytes) — is
//! searched for the identity's seed (hex, upper-case hex, base64 and raw bytes), its X25519
//! secret, its recovery phrase (both formats, and any two of its words in sequence) and the
//! text of the messages sent. None may appear, except where printing it is the command's job
//! (`sesh phrase` and `recover -o -`/`keygen -o -` print secrets on standard output; `open`
//! and `receive` print the message). The files sesh makes are private: key files and state
//! files 0600, directories 0700.
//!
//! The network is `sesh devnet` itself, run in the foreground as a user would and stopped with
//! SIGTERM (killed, nodes and all, if the test fails first).
//!
//! sesh has no verbosity switch and `sesh-node` one level (every request, to `node.log`):
//! the commands run without `--quiet`, once as text and once with `--json`, the nodes log to
//! their files, and `RUST_LOG`/`RUST_BACKTRACE` are set in case a dependency reads them.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use sesh::identity::keyfile;
use sesh::mnemonic;

/// The message text sent, sealed and received: distinctive enough that finding it anywhere
/// means it leaked.
const MARKER: &str = "zq-MARKER-of-a-secret-message-4f1c9a";

/// What the test's `sesh` processes see: a devnet, a home of their own, all the logging there is.
struct Env {
    root: PathBuf,
    network: PathBuf,
}

/// What one command printed, and which of its outputs may carry which secret by design.
struct Run {
    label: String,
    out: Output,
    /// Standard output prints the identity's secrets by design (`phrase`, `-o -`).
    stdout_has_secret: bool,
    /// Standard output prints the message by design (`open`, `receive`).
    stdout_has_message: bool,
}

impl Env {
    fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
    fn state(&self) -> PathBuf {
        self.root.join("state")
    }
    fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    /// `XDG_DATA_HOME`, where the default identity goes: a secret by design, kept apart.
    fn data(&self) -> PathBuf {
        self.keys().join("data")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = super::support::sesh_command();
        c.args(args);
        if self.network.as_os_str().is_empty() {
            c.env_remove("SESH_NETWORK");
        } else {
            c.env("SESH_NETWORK", &self.network);
        }
        c.env("SESH_STATE_DIR", self.state())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_STATE_HOME", self.home().join("xdg-state"))
            .env("XDG_CONFIG_HOME", self.home().join("xdg-config"))
            .env("XDG_CACHE_HOME", self.home().join("xdg-cache"))
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }
}

/// Runs a command with `stdin` as its input, killing it after two minutes.
fn run(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
    super::support::output_within(&mut cmd, stdin, super::support::COMMAND_LIMIT)
}

/// Every command of `sesh --help`, each in its own process.
struct Session {
    env: Env,
    runs: Vec<Run>,
}

impl Session {
    /// Runs `args` (and again with `--json` when `json`), recording the output; the exit status
    /// must be one of the documented ones (no panic, no signal).
    fn go(&mut self, args: &[&str], stdin: Option<&[u8]>, json: bool) -> Output {
        let mut variants = vec![args.to_vec()];
        if json {
            let mut j = args.to_vec();
            j.push("--json");
            variants.push(j);
        }
        let mut first = None;
        for a in variants {
            let out = run(self.env.cmd(&a), stdin);
            let code = out.status.code();
            assert!(
                matches!(code, Some(0..=4)),
                "sesh {a:?} ended with {:?}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            self.runs.push(Run {
                label: format!("sesh {}", a.join(" ")),
                out: out.clone(),
                stdout_has_secret: false,
                stdout_has_message: false,
            });
            first.get_or_insert(out);
        }
        first.expect("one run")
    }

    /// As [`Session::go`], and the command must succeed.
    fn ok(&mut self, args: &[&str], stdin: Option<&[u8]>, json: bool) -> Output {
        let out = self.go(args, stdin, json);
        assert!(
            out.status.success(),
            "sesh {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Marks the last `n` runs' standard output as printing a secret or the message by design.
    fn by_design(&mut self, n: usize, secret: bool, message: bool) {
        let len = self.runs.len();
        for r in &mut self.runs[len - n..] {
            r.stdout_has_secret |= secret;
            r.stdout_has_message |= message;
        }
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            files_under(&p, out);
        } else if t.is_file() {
            out.push(p);
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// One secret in every form it could leak in.
fn forms(label: &str, bytes: &[u8], out: &mut BTreeMap<String, Vec<u8>>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    out.insert(format!("{label} (raw)"), bytes.to_vec());
    out.insert(format!("{label} (hex)"), hex::encode(bytes).into_bytes());
    out.insert(
        format!("{label} (HEX)"),
        hex::encode_upper(bytes).into_bytes(),
    );
    // Without its padding, which depends on the length.
    let enc = b64.encode(bytes);
    out.insert(
        format!("{label} (base64)"),
        enc.trim_end_matches('=').as_bytes().to_vec(),
    );
}

fn phrase_needles(label: &str, phrase: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    out.insert(label.to_owned(), phrase.as_bytes().to_vec());
    let words: Vec<&str> = phrase.split_whitespace().collect();
    for pair in words.windows(2) {
        let seq = pair.join(" ");
        out.insert(format!("{label} words '{seq}'"), seq.into_bytes());
    }
}

/// `sesh devnet` in the foreground: stopped with SIGTERM when dropped, so a failing test
/// leaves no nodes behind (the nodes stop when it does: they watch their standard input).
struct DevnetProc {
    child: Option<Child>,
    stdout: Vec<u8>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    lines: mpsc::Receiver<String>,
    rest: Option<std::thread::JoinHandle<()>>,
}

impl DevnetProc {
    fn start(env: &Env, dir: &Path) -> (Self, PathBuf) {
        let d = path_str(dir);
        let mut child = env
            .cmd(&["devnet", "--dir", d, "--nodes", "6", "--swarm-size", "3"])
            .spawn()
            .expect("sesh devnet runs");
        let mut err = child.stderr.take().expect("a stderr pipe");
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        });
        let out = child.stdout.take().expect("a stdout pipe");
        let (tx, lines) = mpsc::channel();
        let rest = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut me = Self {
            child: Some(child),
            stdout: Vec::new(),
            stderr: Some(stderr),
            lines,
            rest: Some(rest),
        };
        let first = me
            .lines
            .recv_timeout(Duration::from_secs(90))
            .expect("sesh devnet prints its network file within 90 s");
        me.stdout.extend_from_slice(first.as_bytes());
        me.stdout.push(b'\n');
        (me, PathBuf::from(first))
    }

    /// Stops it with SIGTERM and returns what it printed.
    fn stop(mut self) -> Output {
        let mut child = self.child.take().expect("running");
        let _ = sesh::devnet::sigterm(child.id());
        // Bounded: up to 60 s, then SIGKILL.
        let mut status = None;
        for _ in 0..600 {
            if let Some(s) = child.try_wait().expect("sesh devnet's status") {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let Some(status) = status else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sesh devnet did not stop within 60 s of SIGTERM");
        };
        if let Some(r) = self.rest.take() {
            let _ = r.join();
        }
        for line in self.lines.try_iter() {
            self.stdout.extend_from_slice(line.as_bytes());
            self.stdout.push(b'\n');
        }
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        Output {
            status,
            stdout: std::mem::take(&mut self.stdout),
            stderr,
        }
    }
}

impl Drop for DevnetProc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = sesh::devnet::sigterm(c.id());
            // Bounded: SIGTERM first, then SIGKILL.
            for _ in 0..50 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn no_command_leaks_a_secret_and_every_file_is_private() {
    let root = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(root.path().join("keys")).unwrap();
    std::fs::create_dir_all(root.path().join("home")).unwrap();
    let net_path = root.path().join("net");
    let mut s = Session {
        env: Env {
            root: root.path().to_owned(),
            network: PathBuf::new(),
        },
        runs: Vec::new(),
    };
    let (devnet, network) = DevnetProc::start(&s.env, &net_path);
    s.env.network = network;
    let keys = s.env.keys();
    let alice_key = keys.join("alice.key");
    let bob_key = keys.join("bob.key");
    let (alice_k, bob_k) = (path_str(&alice_key), path_str(&bob_key));

    // Identities: keygen to a file, to the default place and to standard output.
    s.ok(&["keygen", "-o", alice_k], None, false);
    s.ok(&["keygen", "-o", bob_k], None, false);
    s.ok(&["keygen"], None, false);
    s.ok(&["keygen", "-o", "-"], None, false);
    s.by_design(1, true, false);
    let alice = keyfile::decode(&std::fs::read(&alice_key).unwrap()).expect("a key file");
    let bob_id = keyfile::decode(&std::fs::read(&bob_key).unwrap())
        .expect("a key file")
        .session_id()
        .to_string();
    let alice_id = alice.session_id().to_string();
    let legacy = alice.seed().legacy().expect("keygen makes a 16-byte seed");
    let phrase = mnemonic::encode(&legacy);
    let bip39 = mnemonic::encode_bip39(&legacy);

    s.ok(&["id", "-i", alice_k], None, true);
    s.ok(&["phrase", "-i", alice_k], None, true);
    s.by_design(2, true, false);
    assert!(text(&s.runs[s.runs.len() - 2].out).contains(phrase.as_str()));
    s.ok(&["phrase", "-i", alice_k, "--format", "bip39"], None, true);
    s.by_design(2, true, false);

    // Recovery, both formats, to files and to standard output.
    let rec1 = keys.join("recovered.key");
    let rec2 = keys.join("recovered-bip39.key");
    s.ok(
        &["recover", "-o", path_str(&rec1)],
        Some(phrase.as_bytes()),
        false,
    );
    s.ok(
        &["recover", "--format", "bip39", "-o", path_str(&rec2)],
        Some(bip39.as_bytes()),
        false,
    );
    s.ok(&["recover", "-o", "-"], Some(phrase.as_bytes()), false);
    s.by_design(1, true, false);
    // A mistyped fifth word: its first two letters replaced by "xq", which no Session word
    // starts with, so that the rest of the real word is in the typo. Its error names the
    // position only.
    let mut words: Vec<String> = phrase.split_whitespace().map(str::to_owned).collect();
    let typo = format!("xq{}", &words[4][2..]);
    words[4] = typo.clone();
    let bad = s.go(
        &["recover", "-o", path_str(&keys.join("never.key"))],
        Some(words.join(" ").as_bytes()),
        false,
    );
    assert_eq!(bad.status.code(), Some(2));

    // Sealing and opening offline.
    let sealed = s.ok(&["seal", &bob_id, "-i", alice_k, "-m", MARKER], None, false);
    let payload = sealed.stdout.clone();
    s.ok(
        &["seal", &bob_id, "-i", alice_k],
        Some(MARKER.as_bytes()),
        true,
    );
    let opened = s.ok(&["open", "-i", bob_k], Some(&payload), true);
    s.by_design(2, false, true);
    assert!(text(&opened).contains(MARKER), "open prints the message");
    // Opened with the wrong key, and garbage: errors only.
    s.go(&["open", "-i", alice_k], Some(&payload), true);
    s.go(
        &["open", "-i", bob_k],
        Some(b"bm90IGEgbWVzc2FnZQ==\n"),
        false,
    );

    // The network: nodes, swarms, paths, probes, sending and receiving.
    s.ok(&["nodes"], None, true);
    s.ok(&["nodes", "--refresh", "--reveal"], None, true);
    s.ok(&["swarm", "-i", alice_k], None, true);
    s.ok(&["swarm", &bob_id, "--reveal"], None, true);
    s.ok(&["path"], None, true);
    s.ok(&["path", "new", "--reveal"], None, false);
    s.go(&["path", "test"], None, true);
    s.go(&["probe", "--all"], None, true);
    s.go(&["probe", "--all", "--onion"], None, false);
    s.ok(&["send", &bob_id, "-i", alice_k, "-m", MARKER], None, true);
    s.ok(
        &["send", &bob_id, &alice_id, "-i", alice_k],
        Some(MARKER.as_bytes()),
        false,
    );
    let got = s.ok(&["receive", "-i", bob_k], None, false);
    s.by_design(1, false, true);
    assert!(text(&got).contains(MARKER), "bob receives the message");
    s.ok(&["receive", "-i", alice_k, "--json"], None, false);
    s.by_design(1, false, true);
    s.ok(&["receive", "-i", bob_k], None, true);
    s.by_design(2, false, true);
    // A send that fails (no such recipient kind) names no secret either.
    s.go(
        &["send", "15deadbeef", "-i", alice_k, "-m", MARKER],
        None,
        false,
    );

    // Stop the nodes, so that their logs and databases are complete.
    let out = devnet.stop();
    assert!(out.status.success(), "sesh devnet: {out:?}");
    s.runs.push(Run {
        label: "sesh devnet".into(),
        out,
        stdout_has_secret: false,
        stdout_has_message: false,
    });

    // What must never be found.
    let mut seeds = BTreeMap::new();
    forms("seed", alice.seed().as_bytes(), &mut seeds);
    forms("legacy seed", legacy.as_ref(), &mut seeds);
    forms("x25519 secret", alice.x25519_secret(), &mut seeds);
    phrase_needles("phrase", &phrase, &mut seeds);
    phrase_needles("BIP39 phrase", &bip39, &mut seeds);
    seeds.insert("the mistyped word".into(), typo.clone().into_bytes());
    let message: BTreeMap<String, Vec<u8>> =
        [("message text".to_owned(), MARKER.as_bytes().to_vec())].into();

    // The search finds what it looks for where it is meant to be.
    let key_text = std::fs::read(&alice_key).unwrap();
    assert!(contains(&key_text, &seeds["seed (hex)"]));
    let phrase_out = s
        .runs
        .iter()
        .find(|r| r.label.starts_with("sesh phrase"))
        .expect("a phrase run");
    assert!(contains(&phrase_out.out.stdout, &seeds["phrase"]));
    assert!(contains(&opened.stdout, &message["message text"]));

    let mut hits = Vec::new();
    let mut check = |place: &str, hay: &[u8], secrets: bool, msg: bool| {
        for (set, on) in [(&seeds, secrets), (&message, msg)] {
            if !on {
                continue;
            }
            for (what, needle) in set {
                if contains(hay, needle) {
                    hits.push(format!("{what} in {place}"));
                }
            }
        }
    };
    for r in &s.runs {
        check(&format!("stderr of {}", r.label), &r.out.stderr, true, true);
        check(
            &format!("stdout of {}", r.label),
            &r.out.stdout,
            !r.stdout_has_secret,
            !r.stdout_has_message,
        );
    }
    let mut files = Vec::new();
    files_under(&net_path, &mut files);
    let node_logs = files.iter().filter(|f| f.ends_with("node.log")).count();
    assert!(node_logs >= 6, "every node keeps a log: {files:?}");
    let node_dbs = files
        .iter()
        .filter(|f| f.ends_with("messages.sqlite3"))
        .count();
    assert!(node_dbs >= 6, "every node keeps a database: {files:?}");
    files_under(&s.env.state(), &mut files);
    files_under(&s.env.home(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("state.sqlite3")),
        "the client kept state: {files:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        check(&f.display().to_string(), &bytes, true, true);
    }
    assert!(hits.is_empty(), "secrets found:\n{}", hits.join("\n"));
    eprintln!(
        "searched the output of {} commands and {} files ({} node logs, {} node databases)",
        s.runs.len(),
        files.len(),
        node_logs,
        node_dbs
    );

    // The typo's error says where, not what.
    let bad_err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        bad_err.starts_with("sesh: error: invalid recovery phrase"),
        "{bad_err}"
    );

    // Modes: key files 0600, state files 0600, directories 0700.
    #[cfg(unix)]
    {
        let default_identity = s.env.data().join("sesh").join("identity");
        for key in [&alice_key, &bob_key, &rec1, &rec2, &default_identity] {
            assert_eq!(mode(key), 0o600, "{}", key.display());
        }
        assert_eq!(mode(&s.env.data().join("sesh")), 0o700);
        let state = s.env.state();
        assert_eq!(mode(&state), 0o700, "{}", state.display());
        let mut state_files = Vec::new();
        files_under(&state, &mut state_files);
        let mut locks = 0;
        for f in &state_files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
            let dir = f.parent().expect("a parent");
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
            locks += usize::from(f.extension().is_some_and(|e| e == "lock"));
        }
        assert!(
            locks >= 2,
            "a receive lock file per account: {state_files:?}"
        );
        for n in net_path.read_dir().unwrap().flatten() {
            let p = n.path();
            if p.join("identity").exists() {
                assert_eq!(mode(&p), 0o700, "{}", p.display());
                assert_eq!(mode(&p.join("identity")), 0o600, "{}", p.display());
                assert_eq!(mode(&p.join("node.log")), 0o600, "{}", p.display());
            }
        }
    }
}
