//! Golden tests of the `sesh` command line (tests/cmd/*.toml, run by trycmd), and behaviour
//! that golden files cannot show: file modes, pipelines of several commands.
//!
//! Bless changed output with `TRYCMD=overwrite cargo test --test integration cli`.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

#[test]
fn golden_cases() {
    trycmd::TestCases::new()
        .register_bin("sesh", Path::new(env!("CARGO_BIN_EXE_sesh")))
        .env("NO_COLOR", "1")
        .env(
            "XDG_CONFIG_HOME",
            super::support::no_config_dir().display().to_string(),
        )
        .case("tests/cmd/*.toml");
}

/// Runs `sesh` with `args` in `dir`, feeding `stdin`, with a private HOME.
pub(crate) fn sesh(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = super::support::sesh_command()
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sesh runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin).expect("stdin takes the input");
    drop(input);
    child.wait_with_output().expect("sesh finishes")
}

fn stdout_of(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

#[test]
fn keygen_phrase_recover_id_agree() {
    // The issue's acceptance pipeline:
    // sesh keygen -o a.key && sesh phrase -i a.key | sesh recover -o - | sesh id -i -
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = stdout_of(&sesh(d, &["keygen", "-o", "a.key"], b""));
    let phrase = stdout_of(&sesh(d, &["phrase", "-i", "a.key"], b""));
    assert_eq!(phrase.split_whitespace().count(), 13);
    let keyfile = stdout_of(&sesh(d, &["recover", "-o", "-"], phrase.as_bytes()));
    let recovered = stdout_of(&sesh(d, &["id", "-i", "-"], keyfile.as_bytes()));
    let direct = stdout_of(&sesh(d, &["id", "-i", "a.key"], b""));
    assert_eq!(recovered, direct);
    assert_eq!(created, direct);
    assert_eq!(direct.trim().len(), 66);

    // The same through BIP39.
    let bip = stdout_of(&sesh(
        d,
        &["phrase", "--format", "bip39", "-i", "a.key"],
        b"",
    ));
    assert_eq!(bip.split_whitespace().count(), 12);
    let keyfile = stdout_of(&sesh(d, &["recover", "-o", "-"], bip.as_bytes()));
    assert_eq!(
        stdout_of(&sesh(d, &["id", "-i", "-"], keyfile.as_bytes())),
        direct
    );
}

#[cfg(unix)]
#[test]
fn key_files_are_private_and_never_clobbered() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = stdout_of(&sesh(d, &["keygen", "-o", "k"], b""));
    let mode = std::fs::metadata(d.join("k")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let again = sesh(d, &["keygen", "-o", "k"], b"");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(stdout_of(&sesh(d, &["id", "-i", "k"], b"")), first);

    let forced = stdout_of(&sesh(d, &["keygen", "-o", "k", "--force"], b""));
    assert_ne!(forced, first);
    assert_eq!(stdout_of(&sesh(d, &["id", "-i", "k"], b"")), forced);

    std::fs::set_permissions(d.join("k"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let refused = sesh(d, &["id", "-i", "k"], b"");
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.starts_with("sesh: error: key file 'k' is readable by others (mode 640)"),
        "{err}"
    );
    assert!(
        err.contains("hint: the file holds a secret key; run 'chmod 600 k'"),
        "{err}"
    );
}

#[test]
fn default_identity_location_and_env_override() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = stdout_of(&sesh(d, &["keygen"], b""));
    assert!(d.join("data/sesh/identity").is_file());
    assert_eq!(stdout_of(&sesh(d, &["id"], b"")), created);

    // SESH_IDENTITY names another file.
    stdout_of(&sesh(d, &["keygen", "-o", "other"], b""));
    let out = super::support::sesh_command()
        .args(["id"])
        .current_dir(d)
        .env("XDG_DATA_HOME", d.join("data"))
        .env("SESH_IDENTITY", d.join("other"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_ne!(String::from_utf8_lossy(&out.stdout), created);
}

#[test]
fn keygen_to_stdout_puts_the_id_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = sesh(dir.path(), &["keygen", "-o", "-"], b"");
    let keyfile = stdout_of(&out);
    let id = String::from_utf8(out.stderr).unwrap();
    assert!(keyfile.contains(&format!("# session id: {}", id.trim())));
    assert!(keyfile.contains("SESH-SECRET-SEED-HEX-"));
}

#[test]
fn phrase_secret_never_in_argv() {
    // `recover` has no argument that takes a phrase: a phrase given as an argument is a usage
    // error, not a recovered account.
    let dir = tempfile::tempdir().unwrap();
    let out = sesh(dir.path(), &["recover", "vexed", "enjoy"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// `sesh devnet` prints its network file on standard output and, on standard error, the
/// `export SESH_NETWORK=…` line; pasted into a shell, that line points the next command at the
/// devnet.
#[test]
fn devnet_prints_the_line_that_points_later_commands_at_it() {
    devnet_points_later_commands_at_it(false);
}

/// With `--json`, standard output stays JSON Lines: the network file is a `devnet` record.
#[test]
fn devnet_json_prints_a_record_on_stdout() {
    devnet_points_later_commands_at_it(true);
}

fn devnet_points_later_commands_at_it(json: bool) {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("a temp dir");
    let net_dir = dir.path().join("devnet");
    let json_flag: &[&str] = if json { &["--json"] } else { &[] };
    // As the README's `until [ -e …/network.toml ]` does: read the network file the moment it
    // exists; it must be whole then (a race, so a partial write is only caught sometimes).
    let network_file = net_dir.join("network.toml");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (path, stop) = (network_file.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    return Some(sesh::network::Network::from_toml(&text).map(drop));
                }
                std::thread::yield_now();
            }
            None
        })
    };
    let mut child = super::support::sesh_command()
        .args(json_flag)
        .args(["devnet", "--nodes", "2", "--swarm-size", "1", "--dir"])
        .arg(&net_dir)
        .env("SESH_NODE", env!("CARGO_BIN_EXE_sesh-node"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sesh devnet runs");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("stdout is piped");
    let tx_out = tx.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx_out.send(("stdout", line));
        }
    });
    let err = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(("stderr", line));
        }
    });
    let (mut printed, mut export, mut seen) = (None, None, Vec::new());
    while printed.is_none() || export.is_none() {
        let Ok((stream, line)) = rx.recv_timeout(Duration::from_secs(120)) else {
            let _ = sesh::devnet::sigterm(pid);
            panic!("no network file and export line within 2 minutes: {seen:?}");
        };
        match stream {
            "stdout" => printed = Some(line.clone()),
            _ if line.starts_with("export ") => export = Some(line.clone()),
            _ => {}
        }
        seen.push(line);
    }
    let result = std::panic::catch_unwind(|| {
        let printed = printed.expect("a line on stdout");
        if json {
            let record: serde_json::Value = serde_json::from_str(&printed).expect("stdout is JSON");
            assert_eq!(record["type"], "devnet", "{printed}");
            assert_eq!(record["network_file"].as_str(), network_file.to_str());
        } else {
            assert_eq!(Some(printed.as_str()), network_file.to_str(), "{seen:?}");
        }
        let export = export.expect("an export line");
        assert_eq!(
            export,
            format!("export SESH_NETWORK={}", network_file.display())
        );
        // What the shell does with the line: the next command uses the devnet.
        let value = export
            .strip_prefix("export SESH_NETWORK=")
            .expect("the variable");
        let nodes = super::support::sesh_command()
            .arg("nodes")
            .env("SESH_NETWORK", value)
            .env("SESH_STATE_DIR", dir.path().join("state"))
            .stdin(Stdio::null())
            .output()
            .expect("sesh nodes runs");
        assert_eq!(stdout_of(&nodes).lines().count(), 2);
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let first_read = watcher.join().expect("the watcher");
    let _ = sesh::devnet::sigterm(pid);
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    match first_read {
        Some(Ok(())) => {}
        Some(Err(e)) => panic!("the network file was read before it was whole: {e}"),
        None => panic!("the network file never appeared"),
    }
}

/// The README's devnet walk-through exports the network file its `sesh devnet --dir` makes,
/// in the form `sesh devnet` prints.
#[test]
fn readme_devnet_walk_through_exports_its_network_file() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    let start = readme.find("sesh devnet --dir ").expect("a devnet line");
    let block = &readme[start
        ..readme[start..]
            .find("```")
            .map_or(readme.len(), |e| start + e)];
    let dir = block["sesh devnet --dir ".len()..]
        .split_whitespace()
        .next()
        .expect("a directory");
    let expected = sesh::devnet::export_line(&Path::new(dir).join("network.toml"));
    let exports: Vec<&str> = block
        .lines()
        .filter(|l| l.starts_with("export "))
        .map(|l| l.split("  #").next().unwrap_or(l).trim_end())
        .collect();
    assert_eq!(exports, [expected.as_str()], "{block}");
    let later = block
        .lines()
        .position(|l| l.starts_with("sesh ") && !l.starts_with("sesh devnet"));
    let export_at = block.lines().position(|l| l.starts_with("export "));
    assert!(
        export_at < later,
        "the export comes before the commands that need it: {block}"
    );
    // A stopped devnet leaves its network file behind, and `cmd &` may not have started (and
    // removed it) when the shell's wait first looks: the walk-through removes it before
    // starting the devnet, else the wait would go on at once, before the new devnet is up.
    let network_file = format!("{dir}/network.toml");
    let waits_for_file = block
        .lines()
        .any(|l| l.starts_with("until ") && l.contains(&format!("-e {network_file} ")));
    let before = readme[..start].lines().last().unwrap_or_default();
    assert!(
        !waits_for_file || before.starts_with(&format!("rm -f {network_file}")),
        "no stale network file can end the wait: {before}\n{block}"
    );
}
