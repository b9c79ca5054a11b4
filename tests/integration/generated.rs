//! The man pages in man/ and the completions in completions/ are generated from the clap
//! definitions; this test fails when they are stale.
//!
//! Rewrite them with `SESH_BLESS=1 cargo test --test integration generated`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every generated file: its path under the crate root and its contents.
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for cmd in [sesh::cli::command(), sesh::cli::node_command()] {
        // `sesh help COMMAND` is `sesh COMMAND --help`, whose page is already there.
        let mut pages = without_help_subcommand(cmd.clone());
        pages.build();
        man_pages(&pages, &mut out);
        let mut cmd = cmd;
        cmd.build();
        let name = cmd.get_name().to_owned();
        for (shell, file) in [
            (clap_complete::Shell::Bash, format!("{name}.bash")),
            (clap_complete::Shell::Zsh, format!("_{name}")),
            (clap_complete::Shell::Fish, format!("{name}.fish")),
            (clap_complete::Shell::Elvish, format!("{name}.elv")),
            (clap_complete::Shell::PowerShell, format!("_{name}.ps1")),
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut buf);
            out.push((Path::new("completions").join(file), buf));
        }
    }
    out
}

/// `cmd` without clap's `help` subcommands, at every level.
fn without_help_subcommand(mut cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .filter(|n| n != "help")
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, without_help_subcommand);
    }
    cmd.disable_help_subcommand(true)
}

fn man_pages(cmd: &clap::Command, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    // After help is for the terminal; the man page gets real sections instead.
    let man = clap_mangen::Man::new(
        cmd.clone()
            .after_help(None::<&str>)
            .after_long_help(None::<&str>),
    );
    let mut buf = Vec::new();
    man.render(&mut buf).expect("rendering to memory");
    buf.extend_from_slice(extra_sections(cmd.get_name().starts_with("sesh-node")).as_bytes());
    out.push((Path::new("man").join(man.get_filename()), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, out);
    }
}

/// EXIT STATUS, ENVIRONMENT, FILES and OUTPUT, from the same data as `--help`.
fn extra_sections(node: bool) -> String {
    use clap_mangen::roff::{Roff, bold, roman};
    let mut r = Roff::default();
    r.control("SH", ["EXIT STATUS"]);
    for (code, text) in sesh::cli::EXIT_STATUS {
        r.control("TP", []);
        r.text([bold(code.to_string())]);
        r.text([roman(*text)]);
    }
    if node {
        return r.to_roff();
    }
    r.control("SH", ["OUTPUT"]);
    r.text([roman(sesh::cli::OUTPUT)]);
    r.control("SH", ["ENVIRONMENT"]);
    for (name, text) in sesh::cli::ENVIRONMENT {
        r.control("TP", []);
        r.text([bold(*name)]);
        r.text([roman(*text)]);
    }
    r.control("SH", ["FILES"]);
    for (name, text) in sesh::cli::FILES {
        r.control("TP", []);
        r.text([bold(*name)]);
        r.text([roman(*text)]);
    }
    r.to_roff()
}

#[test]
fn man_pages_and_completions_are_current() {
    let bless = std::env::var_os("SESH_BLESS").is_some();
    let mut stale = Vec::new();
    for (path, want) in generated() {
        let full = root().join(&path);
        if std::fs::read(&full).ok().as_deref() == Some(&want[..]) {
            continue;
        }
        if bless {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &want).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nrewrite them with: SESH_BLESS=1 cargo test --test integration generated"
    );
}

#[test]
fn cli_definition_is_consistent() {
    sesh::cli::command().debug_assert();
    sesh::cli::node_command().debug_assert();
}

#[test]
fn every_man_page_documents_exit_status() {
    for (path, text) in generated() {
        if path.starts_with("man") {
            let text = String::from_utf8(text).unwrap();
            assert!(text.contains("EXIT STATUS"), "{}", path.display());
        }
    }
}
