//! `sesh seal` and `sesh open` as a user runs them: pipelines, files of payloads, exit statuses.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use super::support::{cases, identity_of, str_of};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("should work in the test harness"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs sesh with `args` and `stdin`, in the temp dir, with no default identity.
    fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = super::support::sesh_command()
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("SESH_IDENTITY")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("should work in the test harness");
        let mut input = child.stdin.take().expect("should work in the test harness");
        let stdin = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let out = child
            .wait_with_output()
            .expect("should work in the test harness");
        writer.join().expect("should work in the test harness");
        out
    }

    /// Makes a key file with `sesh keygen -o` and returns its Session ID.
    fn keygen(&self, name: &str) -> String {
        let out = self.run(&["keygen", "-o", name], b"");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    }

    /// Writes the key file of a 16-byte vector seed.
    fn key_of_seed(&self, name: &str, seed_hex: &str) -> PathBuf {
        let text = sesh::identity::keyfile::encode(&identity_of(seed_hex), std::time::UNIX_EPOCH);
        let p = self.path(name);
        sesh::store::write_secret_file(&p, text.as_bytes(), true, false)
            .expect("should work in the test harness");
        p
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("should work in the test harness")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("should work in the test harness")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("should work in the test harness")
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("should work in the test harness"))
        .collect()
}

#[test]
fn seal_pipes_into_open() {
    let env = Env::new();
    let alice = env.keygen("alice.key");
    let bob = env.keygen("bob.key");
    let sealed = env.run(
        &[
            "seal",
            &bob,
            "-m",
            "hi",
            "-i",
            "alice.key",
            "--name",
            "Alice",
        ],
        b"",
    );
    assert_eq!(code(&sealed), 0, "{}", stderr(&sealed));
    let payload = stdout(&sealed);
    assert_eq!(payload.lines().count(), 1);

    let opened = env.run(&["open", "-i", "bob.key"], payload.as_bytes());
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    let text = stdout(&opened);
    assert!(
        text.starts_with(&format!("from {alice} (Alice) at ")),
        "{text}"
    );
    assert!(text.ends_with("\n  hi\n"), "{text}");

    let opened = env.run(&["--json", "open", "-i", "bob.key"], payload.as_bytes());
    let msgs = json_lines(&opened);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["type"], "message");
    assert_eq!(msgs[0]["from"], alice.as_str());
    assert_eq!(msgs[0]["text"], "hi");
    assert_eq!(msgs[0]["display_name"], "Alice");
    assert_eq!(msgs[0]["kind"], "data");
    assert!(msgs[0]["timestamp"].as_u64().unwrap() > 1_600_000_000_000);
}

#[test]
fn seal_reads_stdin_less_one_newline_and_takes_a_timestamp() {
    let env = Env::new();
    env.keygen("alice.key");
    let bob = env.keygen("bob.key");
    let sealed = env.run(
        &[
            "seal",
            &bob,
            "-i",
            "alice.key",
            "--timestamp",
            "1700000000000",
        ],
        b"two lines\n\n",
    );
    assert_eq!(code(&sealed), 0, "{}", stderr(&sealed));
    let opened = env.run(&["--json", "open", "-i", "bob.key"], &sealed.stdout);
    let msgs = json_lines(&opened);
    assert_eq!(msgs[0]["text"], "two lines\n");
    assert_eq!(msgs[0]["timestamp"], 1_700_000_000_000u64);
    assert!(msgs[0].get("display_name").is_none());
}

#[test]
fn note_to_self() {
    let env = Env::new();
    let me = env.keygen("me.key");
    let sealed = env.run(&["seal", &me, "-m", "remember", "-i", "me.key"], b"");
    let opened = env.run(&["--json", "open", "-i", "me.key"], &sealed.stdout);
    assert_eq!(code(&opened), 0);
    assert_eq!(json_lines(&opened)[0]["from"], me.as_str());
}

#[test]
fn open_reports_bad_lines_and_goes_on() {
    let env = Env::new();
    env.keygen("alice.key");
    let bob = env.keygen("bob.key");
    let carol = env.keygen("carol.key");
    let to_bob = env.run(&["seal", &bob, "-m", "one", "-i", "alice.key"], b"");
    let to_carol = env.run(&["seal", &carol, "-m", "two", "-i", "alice.key"], b"");
    let mut input = Vec::new();
    input.extend_from_slice(&to_bob.stdout); // line 1
    input.extend_from_slice(b"\n"); // line 2: blank, skipped
    input.extend_from_slice(b"@@@ not base64\n"); // line 3
    input.extend_from_slice(&to_carol.stdout); // line 4: not ours
    input.extend_from_slice(&to_bob.stdout); // line 5

    let opened = env.run(&["open", "-i", "bob.key"], &input);
    assert_eq!(code(&opened), 4, "{}", stderr(&opened));
    let err = stderr(&opened);
    assert!(err.contains("sesh: error: line 3: not base64"), "{err}");
    assert!(err.contains("sesh: error: line 4: cannot decrypt"), "{err}");
    assert!(err.contains("\nsesh: 2 of 4 payloads failed\n"), "{err}");
    // One line per failed payload, and the tally is not another error.
    assert_eq!(err.matches("sesh: error:").count(), 2, "{err}");
    assert_eq!(stdout(&opened).matches("\n  one\n").count(), 2);

    // Nothing opens: every failure is invalid input, exit 2. Several payloads: one error
    // line each and the tally.
    let mut two = to_carol.stdout.clone();
    two.extend_from_slice(b"!!!!\n");
    let opened = env.run(&["open", "-i", "bob.key"], &two);
    assert_eq!(code(&opened), 2, "{}", stderr(&opened));
    assert!(stderr(&opened).ends_with("\nsesh: 2 of 2 payloads failed\n"));
    assert_eq!(stderr(&opened).matches("sesh: error:").count(), 2);

    // One payload that fails: its error (and hint) alone, no tally.
    let opened = env.run(&["open", "-i", "bob.key"], &to_carol.stdout);
    assert_eq!(code(&opened), 2);
    let err = stderr(&opened);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("sesh: error: line 1: cannot decrypt"),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: "), "{err}");

    // No payloads at all is refused, as seal and send refuse empty input.
    for empty in [&b""[..], b"\n \n"] {
        let opened = env.run(&["open", "-i", "bob.key"], empty);
        assert_eq!(code(&opened), 2);
        assert_eq!(
            stderr(&opened),
            "sesh: error: standard input had no payloads (one base64 payload a line)\n"
        );
        assert_eq!(stdout(&opened), "");
    }
}

#[test]
fn open_survives_huge_and_binary_lines() {
    let env = Env::new();
    env.keygen("bob.key");
    let mut input = vec![b'A'; 300_000];
    input.push(b'\n');
    input.extend_from_slice(&[0xff, 0x00, 0x80, b'\n']);
    input.extend_from_slice(&[b'x'; 200_000]); // no final newline
    let opened = env.run(&["open", "-i", "bob.key"], &input);
    // None opened, each for bad input: 2.
    assert_eq!(code(&opened), 2);
    let err = stderr(&opened);
    assert!(err.contains("line 1: 300000 bytes is larger"), "{err}");
    assert!(err.contains("line 2: not base64"), "{err}");
    assert!(err.contains("line 3: 200000 bytes is larger"), "{err}");
}

#[test]
fn seal_refuses_bad_recipients_and_long_texts() {
    let env = Env::new();
    env.keygen("alice.key");
    let bad = env.run(&["seal", "05abc", "-m", "hi", "-i", "alice.key"], b"");
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("invalid Session ID '05abc'"));
    let blinded = format!("15{}", "0".repeat(64));
    let bad = env.run(&["seal", &blinded, "-m", "hi", "-i", "alice.key"], b"");
    assert_eq!(code(&bad), 2);

    let bob = env.keygen("bob.key");
    let long = vec![b'x'; 76_700];
    let out = env.run(&["seal", &bob, "-i", "alice.key"], &long);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
    let out = env.run(&["seal", &bob, "-i", "alice.key"], &[0xff, 0xfe]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not UTF-8"));
}

#[test]
fn stdin_cannot_be_both_text_and_identity() {
    let env = Env::new();
    let bob = env.keygen("bob.key");
    let out = env.run(&["seal", &bob, "-i", "-"], b"");
    assert_eq!(code(&out), 2);
    let out = env.run(&["open", "-i", "-"], b"");
    assert_eq!(code(&out), 2);
}

#[test]
fn open_reads_files_of_vector_payloads() {
    // The payloads of independent implementations, grouped by recipient.
    let env = Env::new();
    let mut by_recipient: std::collections::BTreeMap<&str, Vec<&serde_json::Value>> =
        Default::default();
    for case in cases("message_1o1")
        .iter()
        .chain(cases("message_1o1_libsession"))
    {
        by_recipient
            .entry(str_of(case, "recipient_seed_hex"))
            .or_default()
            .push(case);
    }
    for (i, (seed, cases)) in by_recipient.iter().enumerate() {
        let key = env.key_of_seed(&format!("r{i}.key"), seed);
        let input: String = cases
            .iter()
            .map(|c| format!("{}\n", str_of(c, "storage_data_b64")))
            .collect();
        let out = env.run(
            &["--json", "open", "-i", key.to_str().unwrap()],
            input.as_bytes(),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let msgs = json_lines(&out);
        assert_eq!(msgs.len(), cases.len());
        for (m, c) in msgs.iter().zip(cases) {
            assert_eq!(m["text"], c["text"]);
            assert_eq!(m["timestamp"], c["timestamp_ms"]);
            assert_eq!(m["from"], c["sender_session_id"]);
            assert_eq!(m["sender_ed25519"], c["sender_ed25519_pk_hex"]);
            if let Some(n) = c["display_name"].as_str() {
                assert_eq!(m["display_name"], n);
            }
        }
    }
}

#[test]
fn sealed_json_names_the_hash() {
    let env = Env::new();
    env.keygen("alice.key");
    let bob = env.keygen("bob.key");
    let out = env.run(&["--json", "seal", &bob, "-m", "x", "-i", "alice.key"], b"");
    let v = &json_lines(&out)[0];
    assert_eq!(v["type"], "sealed");
    assert_eq!(v["to"], bob.as_str());
    assert_eq!(v["hash"].as_str().unwrap().len(), 43);
    let opened = env.run(
        &["open", "-i", "bob.key"],
        v["data"].as_str().unwrap().as_bytes(),
    );
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
}

/// Seals `text` from alice to bob and opens it as text; returns what `open` printed.
fn seal_and_open(env: &Env, text: &str, name: Option<&str>) -> String {
    let bob = env.keygen("bob.key");
    env.keygen("alice.key");
    let mut args = vec!["seal", &bob, "-m", text, "-i", "alice.key"];
    if let Some(n) = name {
        args.extend(["--name", n]);
    }
    let sealed = env.run(&args, b"");
    assert_eq!(code(&sealed), 0, "{}", stderr(&sealed));
    let opened = env.run(&["open", "-i", "bob.key"], &sealed.stdout);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    stdout(&opened)
}

#[test]
fn a_message_body_cannot_forge_a_header_line() {
    let env = Env::new();
    let forger = "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72";
    let body =
        format!("see you\nfrom {forger} at 2026-01-01T00:00:00.000Z\r\nsend me your phrase\n\nbye");
    let text = seal_and_open(&env, &body, None);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("from ")).collect();
    assert_eq!(headers.len(), 1, "{text}");
    assert!(!headers[0].contains(forger), "{text}");
    assert!(
        text.ends_with(&format!(
            " at {}\n  see you\n  from {forger} at 2026-01-01T00:00:00.000Z\n  send me your phrase\n\n  bye\n",
            &headers[0][headers[0].rfind(" at ").unwrap() + 4..]
        )),
        "{text}"
    );
}

#[test]
fn ansi_escapes_in_a_message_and_a_name_are_shown_not_obeyed() {
    let env = Env::new();
    let text = seal_and_open(
        &env,
        "\u{1b}[2J\u{1b}[31mred\u{9b}0m\u{7}",
        Some("Eve\u{1b}]0;owned\u{7}\nfrom x"),
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains(" (Eve\\u{1b}]0;owned\\u{7}\\nfrom x) at "),
        "{text}"
    );
    assert!(
        text.ends_with("\n  \\u{1b}[2J\\u{1b}[31mred\\u{9b}0m\\u{7}\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
}

/// What `sesh open` must print for one line of input, worked out here one line at a time.
enum Expect {
    /// Skipped: a blank line.
    Blank,
    /// Opened: (a warning on standard error first, then) these lines on standard output.
    Shown {
        warning: Option<String>,
        json: String,
        text: String,
    },
    /// Refused: this error line on standard error.
    Refused(String),
}

/// 300 lines: payloads to bob (some stamped before Session existed), to carol, garbage and
/// blank lines, mixed; the first one fails (so it is held, then printed once a second
/// payload comes).
fn mixed_payloads(bob: &sesh::SessionId, carol: &sesh::SessionId) -> (Vec<u8>, Vec<Expect>) {
    use sesh::message::{self, Outgoing};
    let alice = identity_of("0123456789abcdef0123456789abcdef");
    let bob_id = identity_of("00000000000000000000000000000b0b");
    let mut rng = super::support::TestRng::from_seed([11; 32]);
    let (mut input, mut expect) = (Vec::new(), Vec::new());
    let time = |ms: u64| humantime::format_rfc3339_millis(sesh::clock::from_ms(ms)).to_string();
    for i in 0..300u64 {
        let line_no = i as usize + 1;
        let refused = |why: String| Expect::Refused(format!("sesh: error: {why}"));
        let line: Vec<u8> = match i % 10 {
            0 | 7 => b"@@ not base64 @@".to_vec(),
            3 => Vec::new(),
            5 => {
                let data = message::seal(
                    &alice,
                    carol,
                    &Outgoing::new("x"),
                    1_700_000_000_000,
                    &mut rng,
                )
                .expect("seals");
                message::to_base64(&data).into_bytes()
            }
            k => {
                // Every tenth kept message is stamped in 1970: opened, with a warning.
                let ts = if k == 9 { 1 + i } else { 1_700_000_000_000 + i };
                let text = format!("message {i}");
                let data =
                    message::seal(&alice, bob, &Outgoing::new(text), ts, &mut rng).expect("seals");
                message::to_base64(&data).into_bytes()
            }
        };
        input.extend_from_slice(&line);
        input.push(b'\n');
        if line.is_empty() {
            expect.push(Expect::Blank);
            continue;
        }
        expect.push(match message::open(&bob_id, &line) {
            Ok(m) => {
                let text = m.text.clone().expect("a text");
                let json = serde_json::json!({
                    "type": "message",
                    "from": m.sender.to_string(),
                    "timestamp": m.timestamp_ms,
                    "text": text,
                    "kind": "data",
                    "sender_ed25519": m.sender_ed25519.to_hex(),
                });
                Expect::Shown {
                    warning: (m.timestamp_ms < 1_000_000_000_000).then(|| {
                        format!(
                            "sesh: warning: line {line_no}: the message says it was sent at {}, \
                             before Session existed; the sender's clock is wrong or the time is \
                             forged",
                            time(m.timestamp_ms)
                        )
                    }),
                    json: json.to_string(),
                    text: format!("from {} at {}\n  {text}", m.sender, time(m.timestamp_ms)),
                }
            }
            Err(source) => refused(format!(
                "{:#}",
                anyhow::Error::new(sesh::Error::Open {
                    line: line_no,
                    source
                })
            )),
        });
    }
    (input, expect)
}

#[test]
fn open_on_every_core_prints_what_one_at_a_time_would_in_order() {
    let env = Env::new();
    let bob_key = env.key_of_seed("bob.key", "00000000000000000000000000000b0b");
    let carol = identity_of("000000000000000000000000000ca401").session_id();
    let bob: sesh::SessionId = identity_of("00000000000000000000000000000b0b").session_id();
    let (input, expect) = mixed_payloads(&bob, &carol);
    let payloads = expect
        .iter()
        .filter(|e| !matches!(e, Expect::Blank))
        .count();
    let failed = expect
        .iter()
        .filter(|e| matches!(e, Expect::Refused(_)))
        .count();
    assert!(
        failed > 50 && failed < payloads,
        "a mix: {failed} of {payloads}"
    );
    for json in [true, false] {
        // Standard output and error into one file: the order they interleave in counts too.
        let both = env.path(&format!("both-{json}"));
        let file = std::fs::File::create(&both).expect("should work in the test harness");
        let mut args = vec!["open", "-i", bob_key.to_str().expect("a UTF-8 path")];
        if json {
            args.insert(0, "--json");
        }
        let mut child = super::support::sesh_command()
            .args(&args)
            .current_dir(env.dir.path())
            .env_remove("SESH_IDENTITY")
            // Several threads even where CI gives one core.
            .env("SESH_THREADS", "4")
            .stdin(Stdio::piped())
            .stdout(file.try_clone().expect("should work in the test harness"))
            .stderr(file)
            .spawn()
            .expect("should work in the test harness");
        let mut pipe = child.stdin.take().expect("a pipe");
        let feed = input.clone();
        let writer = std::thread::spawn(move || pipe.write_all(&feed));
        let status = child.wait().expect("should work in the test harness");
        writer
            .join()
            .expect("should work in the test harness")
            .expect("the input is written");
        let mut want = String::new();
        let mut held = None;
        let mut total = 0;
        for e in &expect {
            if matches!(e, Expect::Blank) {
                continue;
            }
            total += 1;
            if let Some(h) = held.take() {
                want.push_str(&format!("{h}\n"));
            }
            match e {
                Expect::Blank => {}
                Expect::Shown {
                    warning,
                    json: j,
                    text,
                } => {
                    if let Some(w) = warning {
                        want.push_str(&format!("{w}\n"));
                    }
                    want.push_str(&format!("{}\n", if json { j } else { text }));
                }
                Expect::Refused(line) if total == 1 => held = Some(line),
                Expect::Refused(line) => want.push_str(&format!("{line}\n")),
            }
        }
        want.push_str(&format!("sesh: {failed} of {payloads} payloads failed\n"));
        let got = std::fs::read_to_string(&both).expect("should work in the test harness");
        assert_eq!(status.code(), Some(4), "{got}");
        if got != want {
            let first = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or(0);
            panic!(
                "json={json}: first difference at output line {}:\n got: {:?}\nwant: {:?}",
                first + 1,
                got.lines().nth(first),
                want.lines().nth(first)
            );
        }
    }
}
