//! `sesh`: the command-line client. Parses arguments, runs one command, reports.

mod commands;
mod escape;
mod output;
mod render;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

fn main() -> ExitCode {
    // The matches say which values were given (command line, environment) and which are
    // defaults, under which the configuration file's come.
    let parsed = sesh::cli::Cli::command()
        .try_get_matches()
        .and_then(|m| sesh::cli::Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return render::clap_error(&e),
    };
    let mut command = cli.command;
    let mut ctx = commands::Ctx::new(&cli.global);
    if let Err(e) = ctx.configure(&cli.global, &matches, &mut command) {
        return render::error(&e);
    }
    match commands::run(&ctx, command) {
        Ok(code) => code,
        Err(e) => render::error(&e),
    }
}
