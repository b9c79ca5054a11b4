//! Reporting: errors and hints on standard error, and the exit status they decide.
//!
//! Every error leaving a command is a [`Report`]. The only way to make one from a library
//! error is [`From`], which asks the error's [`HasKind`] for its kind and hint at that
//! moment: an error type without a kind does not compile into a `Report`, so the exit status
//! is never guessed from a list of types.

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use sesh::{ErrorKind, HasKind};

use crate::escape;

/// A failed command: what to print, and the kind that decides the exit status.
#[derive(Debug)]
pub(crate) struct Report {
    error: anyhow::Error,
    kind: ErrorKind,
    hint: Option<String>,
    /// The items already had their own `sesh: error:` lines: this is only their tally.
    summary: bool,
}

impl<E> From<E> for Report
where
    E: HasKind + std::error::Error + Send + Sync + 'static,
{
    /// The one place an exit status is decided: from the error's own [`HasKind`].
    fn from(e: E) -> Self {
        Self {
            kind: e.kind(),
            hint: e.hint(),
            error: e.into(),
            summary: false,
        }
    }
}

impl Report {
    /// A failure with no library error behind it (the runtime, a signal handler).
    pub(crate) fn failure(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            kind: ErrorKind::Failure,
            hint: None,
            summary: false,
        }
    }

    /// An error of the given kind with no library error behind it, printed with its hint.
    pub(crate) fn with_kind(kind: ErrorKind, message: String, hint: Option<String>) -> Self {
        Self {
            error: anyhow::Error::msg(message),
            kind,
            hint,
            summary: false,
        }
    }

    /// The tally of items that failed and were reported one by one: printed without a
    /// second `error:`, it only decides the exit status.
    pub(crate) fn summary(kind: ErrorKind, message: String) -> Self {
        Self {
            error: anyhow::Error::msg(message),
            kind,
            hint: None,
            summary: true,
        }
    }

    /// The same error, as a failure when it was transient: for what a retry would repeat
    /// rather than mend.
    pub(crate) fn not_transient(mut self) -> Self {
        if self.kind == ErrorKind::Transient {
            self.kind = ErrorKind::Failure;
        }
        self
    }

    /// The exit status's kind.
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The hint, if the error has one.
    pub(crate) fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Wraps the error in what the command was doing, keeping its kind and hint.
    pub(crate) fn context<C>(mut self, what: C) -> Self
    where
        C: Display + Send + Sync + 'static,
    {
        self.error = self.error.context(what);
        self
    }

    /// Replaces the hint.
    pub(crate) fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// The message: the chain of causes, outermost first (`a: b: c`).
    pub(crate) fn message(&self) -> String {
        format!("{:#}", self.error)
    }

    /// Whether the error is standard output closing under us (`sesh open | head -1`).
    fn is_broken_pipe(&self) -> bool {
        self.error.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
    }
}

/// Adds what the command was doing to an error, keeping its kind and hint.
pub(crate) trait Context<T> {
    /// Wraps the error in `what`.
    fn context<C>(self, what: C) -> Result<T, Report>
    where
        C: Display + Send + Sync + 'static;
}

impl<T, E: Into<Report>> Context<T> for Result<T, E> {
    fn context<C>(self, what: C) -> Result<T, Report>
    where
        C: Display + Send + Sync + 'static,
    {
        self.map_err(|e| e.into().context(what))
    }
}

/// Prints a clap error the way every sesh error looks, or help and version on stdout.
pub(crate) fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        return print_help(e);
    }
    let see = format!(
        "see '{} --help'",
        subcommand_path(std::env::args_os().skip(1))
    );
    if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
        error_line("no command given", Some(&see));
        return ExitCode::from(ErrorKind::InvalidInput.exit_code());
    }
    let (first, tip) = sesh::cli::usage_error(e);
    let hint = match tip {
        Some(tip) => format!("{tip}; {see}"),
        None => see,
    };
    error_line(&first, Some(&hint));
    ExitCode::from(ErrorKind::InvalidInput.exit_code())
}

/// Prints the help or version clap made on standard output; a write that fails is an error
/// like any other write of standard output (exit 1), a closed pipe is not.
fn print_help(e: &clap::Error) -> ExitCode {
    use std::io::IsTerminal as _;
    let mut out = std::io::stdout().lock();
    // On a terminal clap colours it; elsewhere it is the same text without colour.
    let written = if out.is_terminal() {
        e.print()
    } else {
        write!(out, "{}", e.render()).and_then(|()| out.flush())
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(source) => error(&Report::from(sesh::Error::Io {
            action: "writing",
            path: "-".into(),
            source,
        })),
    }
}

/// The command a command line was running, as far as it names one (`sesh`, `sesh seal`,
/// `sesh path test`): its `--help` is the one a usage error points at. Options are skipped
/// with their values, so `sesh --network x seal --bogus` is `sesh seal`.
pub(crate) fn subcommand_path<I>(args: I) -> String
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    let mut root = sesh::cli::command();
    // Built, so that the global options are known to every subcommand.
    root.build();
    let mut cmd = &root;
    let mut path = vec![cmd.get_name().to_owned()];
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else { break };
        if arg == "--" {
            break;
        }
        if let Some(opt) = arg.strip_prefix('-').filter(|o| !o.is_empty()) {
            // `--name=value` and `-xVALUE` carry their value; `--name value` does not.
            let takes_value = if let Some(long) = opt.strip_prefix('-') {
                !long.contains('=')
                    && cmd
                        .get_arguments()
                        .find(|a| a.get_long() == Some(long))
                        .is_some_and(|a| a.get_action().takes_values())
            } else {
                opt.chars().count() == 1
                    && cmd
                        .get_arguments()
                        .find(|a| a.get_short() == opt.chars().next())
                        .is_some_and(|a| a.get_action().takes_values())
            };
            if takes_value {
                let _ = args.next();
            }
            continue;
        }
        match cmd.find_subcommand(arg) {
            // `sesh help WHAT`: its errors are about WHAT, whose help is `sesh … --help`.
            Some(sub) if sub.get_name() != "help" => {
                cmd = sub;
                path.push(sub.get_name().to_owned());
            }
            _ => break,
        }
    }
    path.join(" ")
}

/// Prints a failed command's error and returns the exit status its kind decides.
pub(crate) fn error(r: &Report) -> ExitCode {
    // A closed standard output is how pipelines end (`sesh open | head -1`): not an error.
    if r.is_broken_pipe() {
        return ExitCode::SUCCESS;
    }
    if r.summary {
        let _ = std::io::stdout().flush();
        let _ = writeln!(std::io::stderr(), "sesh: {}", escape::line(&r.message()));
    } else {
        error_line(&r.message(), r.hint());
    }
    ExitCode::from(r.kind.exit_code())
}

/// Prints one `sesh: warning:` line, even with `--quiet`: something the user must know
/// although the command did what it was asked (a message sent whose line could not be
/// written out).
pub(crate) fn warning_line(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "sesh: warning: {}",
        escape::line(message)
    );
}

/// Prints one `sesh: error:` line and its hint, control characters escaped (a node's message
/// can be part of it).
pub(crate) fn error_line(message: &str, hint: Option<&str>) {
    let _ = std::io::stdout().flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sesh: error: {}", escape::line(message));
    if let Some(h) = hint {
        let _ = writeln!(err, "hint: {}", escape::line(h));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stdout_write_error_is_not_weathered_as_transient() {
        let io = |kind| sesh::Error::Io {
            action: "writing",
            path: "-".into(),
            source: std::io::Error::from(kind),
        };
        let r = Report::from(io(std::io::ErrorKind::WouldBlock));
        assert_eq!(r.kind(), ErrorKind::Transient);
        let r = r.not_transient();
        assert_eq!(r.kind(), ErrorKind::Failure);
        assert_eq!(r.message(), "writing '-': operation would block");
        // Other kinds keep theirs.
        let r = Report::from(sesh::Error::Input("x".into())).not_transient();
        assert_eq!(r.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_devnet_option_error_is_invalid_input_through_context() {
        let r: Result<(), _> = Err(sesh::devnet::Error::Options("at most 60000 nodes".into()));
        let r = r.context("starting the devnet").unwrap_err();
        assert_eq!(r.kind(), ErrorKind::InvalidInput);
        assert_eq!(r.kind().exit_code(), 2);
        assert_eq!(r.message(), "starting the devnet: at most 60000 nodes");
    }

    #[test]
    fn a_report_keeps_the_kind_and_hint_of_the_error_it_came_from() {
        let e = sesh::client::Error::NoSeed {
            network: "devnet".into(),
            tried: 1,
            last: "refused".into(),
        };
        let hint = e.hint();
        let r = Report::from(e).context("sending to 05ab…cdef");
        assert_eq!(r.kind(), ErrorKind::Transient);
        assert_eq!(r.hint(), hint.as_deref());
        assert!(
            r.message()
                .starts_with("sending to 05ab…cdef: no seed node")
        );
    }

    #[test]
    fn a_usage_error_points_at_the_subcommands_help() {
        let p = |args: &[&str]| subcommand_path(args.iter().copied());
        assert_eq!(p(&[]), "sesh");
        assert_eq!(p(&["frobnicate"]), "sesh");
        assert_eq!(p(&["seal", "--bogus"]), "sesh seal");
        assert_eq!(p(&["--network", "seal", "send", "-x"]), "sesh send");
        assert_eq!(p(&["--network=x", "-q", "probe", "--all"]), "sesh probe");
        assert_eq!(
            p(&["path", "--geoip", "test", "new", "--bogus"]),
            "sesh path new"
        );
        assert_eq!(p(&["send", "-m", "seal", "x"]), "sesh send");
        assert_eq!(p(&["--", "seal"]), "sesh");
        assert_eq!(p(&["path", "--network", "test", "new"]), "sesh path new");
    }

    #[test]
    fn a_broken_pipe_under_an_io_error_is_found() {
        let r = Report::from(sesh::Error::Io {
            action: "writing",
            path: "-".into(),
            source: std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        });
        assert!(r.is_broken_pipe());
        assert!(!Report::failure(std::io::Error::other("x")).is_broken_pipe());
    }
}
