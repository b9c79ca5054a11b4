//! The command-line interface as data: clap definitions shared by the `sesh` binary, the man
//! pages and the shell completions.
//!
//! Nothing here does work; `src/bin/sesh` resolves these values and calls the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit statuses, the same for every command (`sesh(1)` EXIT STATUS).
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (0, "success"),
    (
        1,
        "failure: the operation failed, and repeating it unchanged will fail again",
    ),
    (
        2,
        "usage error or invalid input: a bad argument, Session ID, phrase or key file",
    ),
    (3, "network or temporary failure: a retry may help"),
    (4, "partial failure: some items failed, others succeeded"),
];

/// Environment variables read (`sesh(1)` ENVIRONMENT).
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("SESH_IDENTITY", "the identity file, when -i is not given"),
    (
        "SESH_NETWORK",
        "the network (mainnet, testnet, or a network file), when --network is not given",
    ),
    (
        "SESH_STATE_DIR",
        "the state directory, when --state-dir is not given",
    ),
];

/// Files used (`sesh(1)` FILES).
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/sesh/identity",
        "the default identity file (~/.local/share/sesh/identity when XDG_DATA_HOME is unset)",
    ),
    (
        "$XDG_STATE_HOME/sesh/NETWORK/state.sqlite3",
        "what sesh learned about a network (service nodes, swarms, onion paths, clock offset) \
         and where receiving stopped; one directory per network, under --state-dir when given \
         (~/.local/state/sesh when XDG_STATE_HOME is unset; the data directory on systems \
         without a state directory)",
    ),
];

/// How output is organised (`sesh(1)` OUTPUT).
pub const OUTPUT: &str = "Data goes to standard output; messages for people, errors \
                          ('sesh: error: ...') and hints ('hint: ...') go to standard error. With \
                          --json, standard output carries JSON Lines: one object per line, each \
                          with a \"type\" field. Secrets are never taken from arguments.";

/// The text `--help` ends with: the sections above, for the terminal.
pub const AFTER_HELP: &str = "\
Exit status: 0 success; 1 failure; 2 usage error or invalid input; 3 network or temporary \
failure (a retry may help); 4 partial failure (some items failed, others succeeded).

Environment: SESH_IDENTITY names the identity file when -i is not given; the default is \
$XDG_DATA_HOME/sesh/identity. SESH_NETWORK and SESH_STATE_DIR stand for --network and \
--state-dir.

Data goes to standard output; messages for people, errors and hints go to standard error. \
With --json, standard output carries JSON Lines. Secrets are never taken from arguments.";

/// A command-line client for the Session messenger.
#[derive(Debug, Parser)]
#[command(
    name = "sesh",
    version,
    about = "A command-line client for the Session messenger",
    long_about = "sesh sends and reads Session messages from the command line: identities and \
                  recovery phrases, end-to-end encrypted 1:1 messages, and the service-node \
                  network through onion requests.",
    after_long_help = AFTER_HELP,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print JSON Lines on standard output instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing on standard error but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The Session network: mainnet, testnet, or the path of a network file.
    #[arg(
        long,
        global = true,
        value_name = "NAME|FILE",
        env = "SESH_NETWORK",
        default_value = "mainnet"
    )]
    pub network: String,
    /// Where sesh keeps what it learns about the network [default: the platform's state
    /// directory for sesh].
    #[arg(long, global = true, value_name = "DIR", env = "SESH_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new identity and print its Session ID.
    #[command(
        long_about = "Create a new identity (a random 16-byte seed, as the Session apps make) and \
                      print its Session ID on standard output.\n\nThe identity file is written to \
                      FILE, or to the default identity file when -o is not given, with mode 0600; \
                      an existing file is never replaced without --force. With -o - the \
                      identity file goes to standard output and the Session ID to standard \
                      error.",
        after_long_help = AFTER_HELP
    )]
    Keygen(KeygenArgs),
    /// Restore an identity from its recovery phrase.
    #[command(
        long_about = "Restore an identity from its recovery phrase and print its Session ID.\n\n\
                      The phrase is read from standard input when it is not a terminal, or from a \
                      prompt that does not echo; never from an argument. It may be Session's \
                      13-word phrase (as the apps show it) or a 12-word BIP39 phrase of the same \
                      seed. The identity file is written as by 'sesh keygen'.",
        after_long_help = AFTER_HELP
    )]
    Recover(RecoverArgs),
    /// Print the Session ID of an identity.
    #[command(
        long_about = "Print the Session ID of an identity. With --json, print one object with \
                      \"session_id\", \"ed25519_pubkey\" and \"x25519_pubkey\" (64 lowercase hex \
                      characters each, no prefix).",
        after_long_help = AFTER_HELP
    )]
    Id(IdArgs),
    /// Print the recovery phrase of an identity.
    #[command(
        long_about = "Print the recovery phrase of an identity: Session's 13 words (the default, \
                      as the apps show it) or the 12-word BIP39 phrase of the same seed. Anyone \
                      with the phrase has the account: keep it secret.",
        after_long_help = AFTER_HELP
    )]
    Phrase(PhraseArgs),
    /// List the service nodes of the network.
    #[command(
        long_about = "List the service nodes of the network, as its seed nodes give them. The \
                      list is cached in the state directory and fetched again when it is older \
                      than 2 hours, smaller than 12 nodes, or --refresh is given.\n\nText \
                      output has one node per line: its Ed25519 key, its swarm id (hex) and \
                      its storage server version. With --json, each node is one object with \
                      \"type\": \"node\" and the fields of the seed's list: \"pubkey_ed25519\", \
                      \"pubkey_x25519\", \"public_ip\", \"storage_port\", \"swarm_id\" and \
                      \"storage_server_version\" (null when unknown).\n\nNode addresses are \
                      hidden unless --reveal is given: text output leaves them out, and JSON \
                      has null \"public_ip\" and \"storage_port\".",
        after_long_help = AFTER_HELP
    )]
    Nodes(NodesArgs),
}

/// Where an identity is read from.
#[derive(Debug, Args)]
pub struct IdentityArg {
    /// The identity file ('-' for standard input) [default: the default identity file].
    #[arg(short, long, value_name = "FILE", env = "SESH_IDENTITY")]
    pub identity: Option<PathBuf>,
}

/// Where a new identity file is written.
#[derive(Debug, Args)]
pub struct OutputArg {
    /// Write the identity file to FILE ('-' for standard output) [default: the default
    /// identity file].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing identity file.
    #[arg(short, long)]
    pub force: bool,
}

/// Arguments of `sesh keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where the identity goes.
    #[command(flatten)]
    pub output: OutputArg,
}

/// The phrase formats `sesh recover` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecoverFormat {
    /// 13 words: Session's phrase; 12 words: BIP39.
    Auto,
    /// Session's 13-word phrase.
    Session,
    /// A 12-word BIP39 phrase.
    Bip39,
}

/// The phrase formats `sesh phrase` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhraseFormat {
    /// Session's 13-word phrase, as the apps show it.
    Session,
    /// The 12-word BIP39 phrase of the same seed.
    Bip39,
}

/// Arguments of `sesh recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Where the identity goes.
    #[command(flatten)]
    pub output: OutputArg,
    /// The phrase's format.
    #[arg(long, value_enum, default_value_t = RecoverFormat::Auto)]
    pub format: RecoverFormat,
}

/// Arguments of `sesh id`.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh phrase`.
#[derive(Debug, Args)]
pub struct PhraseArgs {
    /// The identity.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// The phrase's format.
    #[arg(long, value_enum, default_value_t = PhraseFormat::Session)]
    pub format: PhraseFormat,
}

/// Arguments of `sesh nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    /// Fetch the list from the seed nodes even if the cached one is fresh.
    #[arg(long)]
    pub refresh: bool,
    /// Show the nodes' IP addresses and ports.
    #[arg(long)]
    pub reveal: bool,
}

/// The `sesh` command, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
