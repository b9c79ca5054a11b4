//! `sesh`: the command-line client. Parses arguments, runs one command, reports.

mod commands;
mod escape;
mod output;
mod render;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match sesh::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return render::clap_error(&e),
    };
    let ctx = commands::Ctx::new(&cli.global);
    match commands::run(&ctx, cli.command) {
        Ok(code) => code,
        Err(e) => render::error(&e),
    }
}
