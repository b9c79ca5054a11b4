//! Reporting: errors and hints on standard error, and the exit status they decide.

use std::io::Write;
use std::process::ExitCode;

use sesh::{ErrorKind, HasKind};

/// Prints a clap error the way every sesh error looks, or help and version on stdout.
pub(crate) fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(ErrorKind::InvalidInput.exit_code());
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().peekable();
    let first = lines.next().unwrap_or_default();
    let mut first = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    // "the following required arguments were not provided:" lists them on indented lines.
    if first.ends_with(':') {
        let mut items = Vec::new();
        while let Some(item) = lines.next_if(|l| l.starts_with("  ")) {
            items.push(item.trim());
        }
        first = format!("{} {}", first, items.join(", "));
    }
    let hint = lines
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip: "))
        .map(str::to_owned)
        .unwrap_or_else(|| "see 'sesh --help'".to_owned());
    report(&first, Some(&hint));
    ExitCode::from(ErrorKind::InvalidInput.exit_code())
}

/// Prints an error chain and returns the exit status its kind decides.
pub(crate) fn error(e: &anyhow::Error) -> ExitCode {
    // A closed standard output is how pipelines end (`sesh open | head -1`): not an error.
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<sesh::Error>(), Some(sesh::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let (kind, hint) = classify(e);
    report(&format!("{e:#}"), hint.as_deref());
    ExitCode::from(kind.exit_code())
}

/// The kind and hint of the first error in the chain that knows them.
fn classify(e: &anyhow::Error) -> (ErrorKind, Option<String>) {
    for cause in e.chain() {
        if let Some(err) = cause.downcast_ref::<sesh::Error>() {
            return (err.kind(), err.hint());
        }
        if let Some(err) = cause.downcast_ref::<sesh::client::Error>() {
            return (err.kind(), err.hint());
        }
        if let Some(err) = cause.downcast_ref::<sesh::client::probe::QueryError>() {
            return (err.kind(), err.hint());
        }
        if let Some(err) = cause.downcast_ref::<crate::commands::Failed>() {
            return (err.kind, None);
        }
    }
    (ErrorKind::Failure, None)
}

fn report(message: &str, hint: Option<&str>) {
    let _ = std::io::stdout().flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sesh: error: {message}");
    if let Some(h) = hint {
        let _ = writeln!(err, "hint: {h}");
    }
}
