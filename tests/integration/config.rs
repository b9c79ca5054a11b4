//! The configuration file (issue 14): where it is, what it sets, and that the command line
//! and the environment come before it.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::support::{COMMAND_LIMIT, keygen, output_within, sesh_command};

/// A private home: XDG directories under it, no SESH_* variables.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// The file `sesh` reads by default here.
    fn config_file(&self) -> PathBuf {
        self.path("config/sesh/config.toml")
    }

    fn write_config(&self, text: &str) {
        let f = self.config_file();
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = sesh_command();
        c.args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env_remove("SESH_NETWORK")
            .env_remove("SESH_STATE_DIR")
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, c: &mut Command) -> Output {
        output_within(c, None, COMMAND_LIMIT)
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sesh config show --json` as key → (value, source).
fn settings(out: &Output) -> std::collections::HashMap<String, (Value, String)> {
    assert!(out.status.success(), "{}", stderr(out));
    stdout(out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["type"], "setting");
            (
                v["key"].as_str().unwrap().to_owned(),
                (v["value"].clone(), v["source"].as_str().unwrap().to_owned()),
            )
        })
        .collect()
}

#[test]
fn config_path_honours_xdg_config_home_sesh_config_and_the_flag() {
    let h = Home::new();
    let out = h.run(&mut h.cmd(&["config", "path"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), h.config_file().display().to_string());
    // Without XDG_CONFIG_HOME: under HOME.
    let out = h.run(h.cmd(&["config", "path"]).env_remove("XDG_CONFIG_HOME"));
    assert_eq!(
        stdout(&out),
        h.path(".config/sesh/config.toml").display().to_string()
    );
    let other = h.path("elsewhere.toml");
    let out = h.run(h.cmd(&["config", "path"]).env("SESH_CONFIG", &other));
    assert_eq!(stdout(&out), other.display().to_string());
    let flag = h.path("flag.toml");
    let out = h.run(
        h.cmd(&["config", "path", "--config"])
            .arg(&flag)
            .env("SESH_CONFIG", &other),
    );
    assert_eq!(stdout(&out), flag.display().to_string());
    // Printed even when the file is bad: it is how one finds it to fix it.
    h.write_config("this is not toml\n");
    let out = h.run(&mut h.cmd(&["config", "path"]));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_bad_file_is_refused_naming_the_file_and_the_line() {
    let h = Home::new();
    h.write_config("network = \"testnet\"\n# a comment\nttl = \"3 fortnights\"\n");
    let out = h.run(&mut h.cmd(&["config", "show"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&h.config_file().display().to_string()),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("ttl"), "{err}");
    // Not TOML: the line too, and every command refuses it (not only config show).
    h.write_config("network = \"testnet\"\nnetwork = [\n");
    let out = h.run(&mut h.cmd(&["contact", "list"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn an_unknown_key_is_refused_by_name_and_line() {
    let h = Home::new();
    h.write_config("network = \"testnet\"\n\ndisplay_nmae = \"Bob\"\n");
    let out = h.run(&mut h.cmd(&["config", "show"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 3, column 1: unknown key 'display_nmae'"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_no_configuration_unless_named() {
    let h = Home::new();
    let out = h.run(&mut h.cmd(&["--json", "config", "show"]));
    let s = settings(&out);
    assert_eq!(s["network"], (Value::from("mainnet"), "default".into()));
    assert_eq!(s["ttl"].1, "default");
    let out = h.run(
        h.cmd(&["config", "show"])
            .env("SESH_CONFIG", h.path("nope.toml")),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

/// The network a command uses, from the error it gives for a network that does not exist
/// (offline: no network is asked).
fn network_used(h: &Home, c: &mut Command) -> String {
    let out = h.run(c);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let start = err.find("unknown network '").expect("an unknown network") + 17;
    err[start..].split('\'').next().unwrap().to_owned()
}

#[test]
fn the_network_comes_from_the_flag_then_the_environment_then_the_file() {
    let h = Home::new();
    let (key, _) = keygen(h.dir.path(), "me");
    let list = |h: &Home| {
        let mut c = h.cmd(&["contact", "list", "-i"]);
        c.arg(&key);
        c
    };
    // Built-in: mainnet (the address book opens offline).
    let out = h.run(&mut list(&h));
    assert!(out.status.success(), "{}", stderr(&out));
    h.write_config("network = \"from-file\"\n");
    assert_eq!(network_used(&h, &mut list(&h)), "from-file");
    assert_eq!(
        network_used(&h, list(&h).env("SESH_NETWORK", "from-env")),
        "from-env"
    );
    assert_eq!(
        network_used(
            &h,
            list(&h)
                .args(["--network", "from-flag"])
                .env("SESH_NETWORK", "from-env")
        ),
        "from-flag"
    );
    let s = settings(
        &h.run(
            h.cmd(&["--json", "config", "show"])
                .env("SESH_NETWORK", "e"),
        ),
    );
    assert_eq!(s["network"], (Value::from("e"), "environment".into()));
}

#[test]
fn the_identity_comes_from_the_flag_then_the_environment_then_the_file() {
    let h = Home::new();
    let (file_key, file_id) = keygen(h.dir.path(), "file");
    let (env_key, env_id) = keygen(h.dir.path(), "env");
    let (flag_key, flag_id) = keygen(h.dir.path(), "flag");
    // Built-in: the default identity file, which does not exist here.
    let out = h.run(&mut h.cmd(&["id"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("data/sesh/identity"),
        "{}",
        stderr(&out)
    );
    h.write_config(&format!("identity = \"{}\"\n", file_key.display()));
    let out = h.run(&mut h.cmd(&["id"]));
    assert_eq!(stdout(&out), file_id, "{}", stderr(&out));
    let out = h.run(h.cmd(&["id"]).env("SESH_IDENTITY", &env_key));
    assert_eq!(stdout(&out), env_id, "{}", stderr(&out));
    let out = h.run(
        h.cmd(&["id", "-i"])
            .arg(&flag_key)
            .env("SESH_IDENTITY", &env_key),
    );
    assert_eq!(stdout(&out), flag_id, "{}", stderr(&out));
}

#[test]
fn home_relative_paths_are_under_home() {
    let h = Home::new();
    let (_, id) = keygen(h.dir.path(), "me");
    h.write_config("identity = \"~/me.key\"\nattachments_dir = \"~/dl\"\n");
    let out = h.run(&mut h.cmd(&["id"]));
    assert_eq!(stdout(&out), id, "{}", stderr(&out));
    let s = settings(&h.run(&mut h.cmd(&["--json", "config", "show"])));
    let dl = Path::new(s["attachments_dir"].0.as_str().unwrap()).to_owned();
    assert_eq!(dl, h.path("dl"));
}

#[test]
fn the_hand_written_man_page_documents_every_key() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/sesh-config.5"))
            .expect("man/sesh-config.5 is there");
    for key in sesh::config::KEYS {
        assert!(
            page.contains(&format!("\n.B {key}\n")),
            "sesh-config(5) does not document {key}"
        );
    }
}
