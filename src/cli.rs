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
        "failure: the operation failed, and repeating it unchanged will fail again; also a \
         file or directory that cannot be used as it is (missing, unreadable, a key file \
         others can read, a file where a directory should be)",
    ),
    (
        2,
        "usage error or invalid input: a bad argument, Session ID or phrase, or a key file \
         whose content is bad (truncated, binary, another format, oversized) or that is a \
         directory",
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
    (
        "SESH_CONFIG",
        "the configuration file, when --config is not given",
    ),
    (
        "SESH_THREADS",
        "how many threads open and receive decrypt on (default: one per core)",
    ),
    (
        "SESH_TIMINGS",
        "when 1, send prints the time each of its steps took on standard error (step names \
         and durations only)",
    ),
];

/// Files used (`sesh(1)` FILES).
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/sesh/config.toml",
        "the configuration file, sesh-config(5): defaults for -i, --network, send --name and \
         --ttl, receive --save-attachments (~/.config/sesh/config.toml when XDG_CONFIG_HOME \
         is unset); the command line and the environment come before it",
    ),
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
    (
        "-i, --network, --geoip FILE",
        "a file sesh reads may be a pipe or a FIFO, as process substitution gives (-i \
         <(pass show sesh)); a FIFO that no process opens for writing within 5 seconds is \
         refused (exit status 2), not waited for",
    ),
];

/// How output is organised (`sesh(1)` OUTPUT).
pub const OUTPUT: &str = "Data goes to standard output; messages for people, errors \
                          ('sesh: error: ...') and hints ('hint: ...') go to standard error. A \
                          failure prints one 'sesh: error:' line; when items fail one by one \
                          (recipients, payloads, nodes, hops), each has its own line and a last \
                          line 'sesh: N of M ... failed' gives the tally. With --json, standard \
                          output carries JSON Lines: one object per line, each with a \"type\" \
                          field. A service node has the same fields in every object that names \
                          one: \"pubkey_ed25519\" and \"pubkey_x25519\" (hex), \"public_ip\" \
                          and \"storage_port\" (null unless --reveal). Text that comes from the \
                          network or from a message (message text, display names, a node's error \
                          message, a probe's reason) is printed with every control character \
                          shown as an escape (\\n, \\r, \\t, \\u{1b}, …; likewise the \
                          bidirectional-text controls and U+2028/U+2029), so that it cannot drive \
                          the terminal. Secrets are never taken from arguments. A message \
                          'sesh send' stored counts as sent (exit status 0) even when its line \
                          could not then be written to standard output; a 'sesh: warning:' \
                          line names its hash instead, so that a retry does not send it twice.";

/// The text `--help` ends with: the sections above, for the terminal.
pub(crate) const AFTER_HELP: &str = "\
Exit status: 0 success; 1 failure; 2 usage error or invalid input; 3 network or temporary \
failure (a retry may help); 4 partial failure (some items failed, others succeeded).

Environment: SESH_IDENTITY names the identity file when -i is not given; the default is \
$XDG_DATA_HOME/sesh/identity. SESH_NETWORK, SESH_STATE_DIR and SESH_CONFIG stand for \
--network, --state-dir and --config. Defaults can be set in $XDG_CONFIG_HOME/sesh/config.toml \
(sesh-config(5)); the command line and the environment come before it.

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
    /// The Session network: mainnet, testnet, or the path of a network file; network in
    /// sesh-config(5) comes before the default.
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
    /// The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml].
    #[arg(long, global = true, value_name = "FILE", env = "SESH_CONFIG")]
    pub config: Option<PathBuf>,
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
                      error; --json is refused with -o -, since standard output then carries \
                      the identity file.\n\nWith --prefix HEX, keygen tries random seeds on \
                      every core until a Session ID starts with 05HEX. It first measures how many \
                      keys a second it can try and prints the expected time on standard error \
                      (with progress while it runs, when standard error is a terminal), and \
                      refuses (exit 2) when that is over 10 minutes unless --force. A search \
                      never replaces an existing identity file, --force or not (exit 1, before \
                      searching). The identity found is an \
                      ordinary one: it has a recovery phrase. Ctrl-C stops the search and \
                      writes nothing (exit 1).",
        after_long_help = AFTER_HELP
    )]
    Keygen(KeygenArgs),
    /// Restore an identity from its recovery phrase.
    #[command(
        long_about = "Restore an identity from its recovery phrase and print its Session ID.\n\n\
                      The phrase is read from standard input when it is not a terminal, or from a \
                      prompt that does not echo; never from an argument. It may be Session's \
                      13-word phrase (as the apps show it) or a 12-word BIP39 phrase of the same \
                      seed. The identity file is written as by 'sesh keygen' (so --json is \
                      refused with -o -).",
        after_long_help = AFTER_HELP
    )]
    Recover(RecoverArgs),
    /// Print the Session ID of an identity.
    #[command(
        long_about = "Print the Session ID of an identity. With --json, print one object with \
                      \"type\": \"identity\", \"session_id\", \"pubkey_ed25519\" and \
                      \"pubkey_x25519\" (64 lowercase hex characters each, no prefix). With \
                      --qr, draw it as a QR code too.",
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
    /// Seal a message for a recipient: print the base64 data a swarm stores.
    #[command(
        long_about = "Seal a 1:1 message from an identity to RECIPIENT (a Session ID or an ONS \
                      name) and print, on one line, the base64 data a service node stores for \
                      it: the same bytes the Session apps send, readable by them and by 'sesh \
                      open'. Nothing is sent over the network; only a RECIPIENT given as an \
                      ONS name goes online, to resolve it as 'sesh resolve' does (give a \
                      Session ID to stay offline).\n\n\
                      The text is TEXT, or all of standard input less one trailing newline; \
                      empty standard input is refused (give -m '' to seal an empty text). A \
                      sealed message is at most 76 800 bytes, so a text can be a little over \
                      76 000 bytes long. The message is stamped with the current time, or MS \
                      (milliseconds since the Unix epoch). With --json, print one object with \
                      \"type\": \"sealed\", \"to\", \"timestamp\" (ms), \"data\" (the base64) \
                      and \"hash\" (the hash a service node will give it in namespace 0).",
        after_long_help = AFTER_HELP
    )]
    Seal(SealArgs),
    /// Open sealed messages: read base64 payloads from standard input, print the messages.
    #[command(
        long_about = "Open the messages sealed to an identity: read base64 payloads (as 'sesh \
                      seal' prints them and service nodes store them) from standard input, one \
                      per line, and print each message. Blank lines are skipped; base64 with or \
                      without '=' padding is accepted. Each message is checked as the Session \
                      apps check it: its signature, that it was sealed to this identity, and that \
                      the time in its envelope is the time it signed (else it is refused). Like \
                      the apps, sesh shows the sender's time as the message gives it, but a \
                      message that says it was sent more than an hour ahead of this \
                      computer's clock, or before 2020 (before Session existed), gets a line \
                      'sesh: warning: line N: …' on standard error (unless --quiet): its \
                      time is only the sender's word.\n\n\
                      Each message prints as a line 'from SESSION_ID (DISPLAY NAME) at TIME' \
                      (the name only when the message carries one; TIME in RFC 3339, UTC), then \
                      its text, every line of it indented by two spaces: only sesh's own 'from' \
                      lines start at the left margin, so a message cannot forge one. A line \
                      break in the text (LF or CRLF) starts a new indented line; a tab stays a \
                      tab; every other control character (ESC, CR, the C1 controls, DEL), the \
                      bidirectional-text controls and U+2028/U+2029 are shown as escapes \
                      (\\u{1b}, \\r, …), in the display name newlines too. Use --json for \
                      the exact text. A message without text (a read receipt, a typing \
                      indicator…) prints its kind in brackets, indented.\n\n\
                      With --json, print one object per message: \"type\": \"message\", \
                      \"from\" (the sender's Session ID), \"timestamp\" (ms since the epoch), \
                      \"text\" (null when there is none), \"kind\" (data, receipt, typing, call, \
                      data_extraction, unsend, message_request_response or other), \
                      \"sender_ed25519\" (hex), and when present \"display_name\", \
                      \"expiration_type\" (delete_after_read, delete_after_send or unknown), \
                      \"expiration_timer\" (seconds) and \"attachments\" (an array of \
                      {\"file_name\", \"content_type\", \"size\", \"url\"}, as the sender \
                      describes them; in text, one '[attachment …]' line each).\n\n\
                      A payload that does not open is reported on standard error as 'sesh: \
                      error: line N: CAUSE' and the others are still opened; when there was \
                      more than one payload, a last line 'sesh: N of M payloads failed' gives \
                      the tally. The exit status is then 4 if some payloads opened; if none \
                      did, 2 (every way a payload fails to open is invalid input). Standard \
                      input with no payload at all (empty, or only blank lines) is refused, \
                      exit status 2.",
        after_long_help = AFTER_HELP
    )]
    Open(OpenArgs),
    /// Run a local Session network on loopback: service nodes in swarms, a seed, and a file
    /// server.
    #[command(
        long_about = "Start a local Session network: N sesh-node processes (each on its own \
                      loopback address 127.0.X.1, so every node is in its own /24 subnet), \
                      grouped in swarms, a seed that serves the node list, and a Session file \
                      server (sesh-node --file-server, plain HTTP on 127.0.0.1) for \
                      attachments. When every node answers, the path of the network file \
                      (with the file server as its [file_server]) is printed on standard \
                      output (with --json, a \"devnet\" record: network_file, seed, \
                      file_server (its URL), nodes, swarm_size), and on standard error the \
                      file server's URL and the shell line 'export SESH_NETWORK=FILE' that \
                      points the sesh commands that follow at it (or give them --network \
                      FILE). The network runs in the foreground until interrupted (SIGINT or \
                      SIGTERM), then every node and the file server are stopped.\n\nEach node \
                      keeps its keys, certificate, messages, log (node.log) and pid under DIR, \
                      and the file server its key, files, log and pid under DIR/files, so a \
                      test can stop or kill one, and a restarted devnet with the same DIR keeps \
                      its messages and files (the file server on its old address when free).",
        after_long_help = AFTER_HELP
    )]
    Devnet(DevnetArgs),
    /// List the service nodes of the network.
    #[command(
        long_about = "List the service nodes of the network, as its seed nodes give them. The \
                      list is cached in the state directory and fetched again when it is older \
                      than 2 hours, smaller than 8 nodes, or --refresh is given.\n\nText \
                      output has one node per line: its Ed25519 key, its swarm id (hex) and \
                      its storage server version. With --json, each node is one object with \
                      \"type\": \"node\" and the fields of the seed's list: \"pubkey_ed25519\", \
                      \"pubkey_x25519\", \"public_ip\", \"storage_port\", \"swarm_id\", and the \
                      storage server version (null when unknown) as \"version\", the name \
                      path, probe and swarm use, and as \"storage_server_version\". \
                      \"routed\" is true while sesh routes through the node and false once \
                      it stopped using it after failures (the network still lists \
                      it).\n\nNode addresses are hidden unless --reveal is given: text \
                      output leaves them out, and JSON has null \"public_ip\" and \"storage_port\".",
        after_long_help = AFTER_HELP
    )]
    Nodes(NodesArgs),
    /// Send a message to one or more Session IDs through onion paths.
    #[command(
        long_about = "Seal a message for each RECIPIENT and store it in the recipient's swarm \
                      through a 3-hop onion request: no service node learns both who sends and \
                      who receives. The text comes from -m, or from standard input (less one \
                      trailing newline). A RECIPIENT is a Session ID or an ONS name (resolved \
                      as 'sesh resolve' does, each name once); a string that is neither a \
                      valid Session ID nor a registered name exits 2 before anything is sent. \
                      A recipient named more than once gets one message.\n\nFor each recipient one line is printed: the \
                      recipient's Session ID and the stored message's hash (with --json: \
                      {\"type\": \"sent\", \"to\", \"hash\", \"timestamp\", \"sync_hash\" and, with \
                      --attach, \"attachments\"}). 'sesh receive --include-sent' prints rows of the same \
                      type for copies of messages sent from your other devices, but in the \
                      shape of a received message (\"from\", \"to\", \"text\", …): a row \
                      with \"from\" is such a copy, one without it is this command's. A failed \
                      attempt is retried on another path or swarm member with the same sealed \
                      payload, so a retry never stores a second message.\n\n\
                      A recipient that fails is reported on standard error, 'sesh: error: \
                      sending to 05…: CAUSE'; with several recipients the others are still \
                      sent to and a last line 'sesh: N of M recipients failed' gives the tally. \
                      When the request may have reached the recipient's swarm before failing \
                      (a timeout, a failed path, a node's error), the hint says the message may \
                      have been stored anyway and names its hash; when it cannot have left \
                      this machine (no seed node answered, no onion path could be built) it \
                      does not. Exit status 4 when some recipients failed, 3 when the network \
                      could not be reached, 2 when the input is at fault (a Session ID, the \
                      identity, a text too long to seal, --ttl, --name, an attachment).\n\n\
                      A message that was stored counts as sent, and the exit status is 0, even \
                      when its line could not be written to standard output (a full disk, a \
                      closed pipe): a line 'sesh: warning: sent to 05… (hash HASH), but …' on \
                      standard error names it instead, so that a script which retries on \
                      failure does not send it twice.\n\n\
                      With --attach FILE (repeatable; '-' reads standard input, once, and \
                      then needs --attach-name NAME, the file name the recipient sees), each \
                      file is encrypted as the Session apps do (AES-256-CBC \
                      and HMAC-SHA256 with a fresh key, padded), uploaded once to the \
                      network's file server through a 3-hop onion request, and referenced by \
                      one message per recipient (its name, its content type from its first \
                      bytes or its extension, its size, the key and the digest); -m is then \
                      the caption, and optional. Every file is read, checked and encrypted \
                      before anything is sent: a file that is missing or cannot be read (exit \
                      status 1), a directory, or a file whose encrypted form exceeds the file \
                      server's 10 000 000 bytes (a file of more than 9 999 951 bytes; the \
                      error gives its size; exit status 2) stops the command before any \
                      upload. On a terminal, uploads that take more than two seconds are shown \
                      on standard error by a spinner with the file, its size and the time \
                      spent (an upload is one onion request: there is no percentage to show); \
                      never when standard error is not a terminal. With --json the sent object \
                      has \"attachments\": [{\"file_name\", \"content_type\", \"size\", \
                      \"url\"}].\n\n\
                      Each message also carries the profile set with 'sesh profile set' (the \
                      display name, and the avatar once uploaded). --name overrides the name \
                      for this message, held to the rules of 'sesh profile set --name'; the \
                      next message without it carries the profile's name as a newer change, \
                      so receivers show that name again. After a recipient's message is stored, a copy of it \
                      naming the recipient (syncTarget, as the Session apps and session-python \
                      make) is sealed to your own Session ID and stored in your own swarm with \
                      the same timestamp, so that the Session app restored from the same \
                      recovery phrase shows the conversation; --no-sync sends none, and a \
                      message to yourself needs none. With --json the sent object has \
                      \"sync_hash\", the copy's hash (null when none was stored). A copy that \
                      could not be stored although its message was is reported as 'sesh: \
                      error: storing the copy of the message to 05… for your other devices: \
                      CAUSE', with a hint naming the sent message's hash, and makes the exit \
                      status 4 (partial): the message was sent, so re-running would send it \
                      again.",
        after_long_help = AFTER_HELP
    )]
    Send(SendArgs),
    /// Receive new messages through onion paths, each exactly once.
    #[command(
        long_about = "Fetch this identity's new messages from its swarm through a 3-hop onion \
                      request (a signed retrieve), open them, and print each once, oldest \
                      first. Across runs no message is lost or repeated: the position in the \
                      inbox and the hashes already delivered are kept in the state directory, \
                      and advanced only after a message has been written out, so a crash \
                      delivers it again rather than losing it. Only one receive per identity \
                      runs at a time.\n\nWith --follow, polls until interrupted (SIGINT or \
                      SIGTERM), --timeout passes, or standard output is closed; network failures \
                      are reported and retried with a growing delay. A message that does not \
                      open is reported on standard error with its hash and the rest go on \
                      (exit status 4 if others opened, 1 if none did).\n\nText output is a \
                      'from … at …' line and the text, every line indented and control \
                      characters escaped, as for 'sesh open', then one '[attachment …]' line \
                      per attachment (its name, type, size and URL); --json prints the object \
                      'sesh open' prints, with \"hash\" and \"expires_at\" (ms) added, per \
                      line: \"display_name\" when the sender gives one, and \"attachments\": \
                      [{\"file_name\", \"content_type\", \"size\", \"url\"}] when there are \
                      any.\n\n\
                      With --save-attachments DIR, each attachment is downloaded through an \
                      onion path, checked (MAC and digest), decrypted (the deterministic \"S\" \
                      format too) and saved as DIR/<sender's Session ID>/<file name>: the name \
                      is the sender's with any directory part, control characters and leading \
                      dots removed; a file that exists is never overwritten, the new one gets \
                      ' (1)', ' (2)', … before its extension; files are written to a temporary \
                      name and linked into place, mode 0600. The row gains \"path\", or \
                      \"error\" when the file could not be fetched or failed its checks. A \
                      message counts as delivered once its attachments are saved or their \
                      failure is on its row; a download that failed is tried again by the next \
                      receive, and by a running --follow after a growing delay (printed then \
                      as {\"type\": \"attachment\", \"from\", \"hash\", \"timestamp\", \
                      \"file_name\", \"content_type\", \"size\", \"url\", \"path\" or \
                      \"error\"}), when it failed on the network or the server was busy; a \
                      tampered file, a file the server does not have (404) and an unusable \
                      pointer are not. Files are only ever fetched from the network's file \
                      server ([file_server] in the network file; without one, \
                      --save-attachments is refused): a URL naming another host is fetched by \
                      its id from there, and the checks decide. At most 32 attachments of a \
                      message are fetched; the rest are reported as skipped. Any attachment \
                      not saved, whether this run's or one tried again, makes the exit status \
                      4, with 'sesh: error: N attachment(s) could not be saved' on standard \
                      error (with --follow, when it stops). Messages with attachments are \
                      printed after the other messages of their batch. A sender's avatar is \
                      saved as DIR/<sender>/avatar.<ext> when its URL differs from the last \
                      one saved, replacing only the avatar saved before (the row gains \
                      \"avatar\", or \"avatar_error\"); an attachment named avatar.* is saved \
                      as 'avatar (attachment).<ext>' instead. DIR/<sender> must be a \
                      directory, not a symbolic link.\n\n\
                      A copy of a message this identity sent from another device (it carries \
                      the conversation's Session ID, 'syncTarget') is skipped, unless \
                      --include-sent is given: then it is printed as 'to … at …', or with \
                      --json as {\"type\": \"sent\", \"to\", …} with the fields of a message.\n\n\
                      Every Content is one row, nothing is dropped. Besides messages: \
                      {\"type\": \"reaction\", \"emoji\", \"removed\", \"timestamp\" and \
                      \"author\" (of the message reacted to)}, \"receipt\" (\"timestamps\" \
                      read), \"typing\" (\"started\": true or false), \"unsend\" \
                      (\"timestamp\" and \"author\" of the message unsent; when its \
                      author sent it, that message is also deleted from your swarm, as the \
                      apps do), \
                      \"request_accepted\", \"data_extraction\" (\"event\": screenshot or \
                      media_saved), \"expiration_update\" (\"expiration_type\", \
                      \"expiration_timer\") and \"unknown\" (\"fields\": the Content's field \
                      names); each with \"from\", \"sent_at\" (ms), \"sender_ed25519\", \
                      \"hash\" and \"expires_at\". Text output has one line per such row. \
                      --only KIND,... prints only those kinds (the rest are still recorded as \
                      delivered, so without 'message' it needs --discard-others); by default \
                      typing indicators are not printed.\n\n\
                      A message that disappears after reading starts its timer once \
                      delivered: receive then tells your swarm to keep it no longer (a signed \
                      'expire' that shortens), as the apps do when a message is read.",
        after_long_help = AFTER_HELP
    )]
    Receive(ReceiveArgs),
    /// Probe service nodes directly: are they up, healthy, and usable as onion relays?
    #[command(
        long_about = "Probe service nodes of the network's list, as its seed nodes give it \
                      now, and report, per node, whether it is healthy: a pass, a FAIL with \
                      the reason, or NOT FOUND when the network does not list the node. NODE \
                      is an Ed25519 key (or a unique prefix of one, as 'sesh nodes' lists \
                      them) or IP:PORT; --all probes every node the network lists, including \
                      those sesh stopped routing through.\n\n\
                      A probe is a direct HTTPS request, not an onion request: the probed \
                      node sees your IP address. Each node gets two 'info' requests on one \
                      connection: the first must answer 200 with the storage server version; \
                      the second gives the round-trip latency and the node's clock, compared \
                      with ours at the middle of the round trip. With --onion, an onion \
                      request then goes through the node as a relay to another node that \
                      answered. A node fails when it is unreachable or times out, answers \
                      other than 200 or garbled, gives no version, has a clock more than 60 s \
                      off ours (signed requests would fail), or with --onion does not relay. \
                      If every node is off by about the same amount, our clock is the one \
                      that is wrong.\n\n\
                      Text output has one line per node: its key, the verdict, version, \
                      latency, clock offset and swarm id, or the reason for a FAIL; a summary \
                      goes to standard error (and on a terminal, a progress bar while \
                      probing). A reason quoting a node has its control characters escaped. \
                      With --json, each node is one object {\"type\": \"probe\", \
                      \"node\" (as given, or the key with --all), \"pubkey_ed25519\" and \
                      \"pubkey_x25519\" (null when not found), \"public_ip\" and \
                      \"storage_port\" (null unless --reveal), \"verdict\" (pass, fail or \
                      not_found), \"reason\" (null on \
                      a pass), \"reachable\", \"version\" ([major, minor, patch] or null), \
                      \"latency_ms\", \"clock_offset_ms\" (its time minus ours), \"swarm_id\" \
                      (a number, or null), \"onion\" (true, false, or null when not \
                      tested)}; then one {\"type\": \
                      \"summary\", \"probed\", \"passed\", \"failed\", \"not_found\", \
                      \"elapsed_ms\"}.\n\n\
                      Exit status 1 when no node passed (every one failed or was not found), \
                      4 when some passed and others did not.",
        after_long_help = AFTER_HELP
    )]
    Probe(ProbeArgs),
    /// Show, rebuild or test the onion paths, as the Session apps' Path screen shows them.
    #[command(
        long_about = "Show the onion paths sesh sends through (You → guard → middle → exit → \
                      destination), build new ones, or measure each hop's latency.\n\n\
                      'sesh path show' (the default) prints each path on a line: every hop's \
                      short Ed25519 key, its storage server version, and its country when a \
                      MaxMind-format GeoIP database (GeoLite2-Country, GeoLite2-City, or \
                      another with country.iso_code) is given with --geoip. Paths are built \
                      first when there are none. 'sesh path new' drops the paths and their \
                      guards, builds new ones, and shows them. 'sesh path test' sends onion \
                      requests (an 'info') that end at hop 1, then hop 2 through hop 1, then \
                      hop 3 through hops 1 and 2, the fastest of three each, and prints a row \
                      per hop: the latency to it and the increment over the hop before. A hop \
                      that fails is reported with the reason, the hops after it are skipped, \
                      and the exit status is 4.\n\n\
                      IP addresses are hidden unless --reveal is given. With --json, show and \
                      new print one object per path: {\"type\": \"path\", \"index\" and \"path\" (both the path's number, 1, 2, …, \
                      as \"path\" in test's hop objects), \
                      \"hops\": [{\"pubkey_ed25519\", \"pubkey_x25519\", \"public_ip\" and \
                      \"storage_port\" (null unless --reveal), \"version\" ([major, minor, \
                      patch] or null), \"country\" (only with --geoip; null when unknown)}]}; \
                      test prints one object per hop: {\"type\": \"hop\", \"path\", \"hop\" \
                      (1 = guard), \"pubkey_ed25519\", \"pubkey_x25519\", \"public_ip\", \
                      \"storage_port\", \"latency_ms\", \"increment_ms\", \"error\"} (latency \
                      and increment null and error a text when the hop failed), with \
                      \"country\" as for show. A hop's error text is escaped as text output.",
        after_long_help = AFTER_HELP
    )]
    Path(PathArgs),
    /// Show the swarm that stores a Session ID's messages, as the network answers it.
    #[command(
        long_about = "Ask the network (a get_swarm through an onion path) which swarm stores \
                      the messages of SESSION_ID, or of the identity's own Session ID when \
                      none is given, and print the swarm id (hex), then each member: its \
                      short Ed25519 key and storage server version. IP addresses are hidden \
                      unless --reveal is given.\n\n\
                      With --json, print one object {\"type\": \"swarm\", \"session_id\", \
                      \"swarm_id\" (a number), \"members\": [{\"pubkey_ed25519\", \
                      \"pubkey_x25519\", \"public_ip\" and \"storage_port\" (null unless \
                      --reveal), \"version\" ([major, minor, patch] or null)}]}.",
        after_long_help = AFTER_HELP
    )]
    Swarm(SwarmArgs),
    /// Print the Session ID registered for an ONS name.
    #[command(
        long_about = "Ask three service nodes (each through an onion path) which Session ID \
                      is registered for the ONS name NAME (case does not matter), and print \
                      it; the three must agree. With --json, print one object \
                      {\"type\": \"resolved\", \"name\" (lowercased), \"session_id\"}. \
                      A name no one registered exits 2; nodes that disagree exit 3, naming \
                      what each said (by node key, never by address). Every command that \
                      takes a recipient (send, react, read, typing, accept, seal, swarm) also \
                      takes an ONS name and resolves it the same way.",
        after_long_help = AFTER_HELP
    )]
    Resolve(ResolveArgs),
    /// Set or show the display name and avatar your messages carry.
    #[command(
        long_about = "Set or show the profile that every message 'sesh send' sends carries: a \
                      display name, and an avatar, as the Session apps show them. The profile \
                      is kept per identity in the state directory of the network (so a \
                      devnet's profile is its own).\n\n\
                      'sesh profile set' changes it: --name NAME (at most 100 bytes, no \
                      control characters), --avatar FILE (a PNG, JPEG, GIF or WebP image of \
                      at most 5 MiB; '-' reads it from standard input) or --no-avatar. The \
                      avatar is encrypted with a 32-byte profile key made once per identity \
                      and uploaded to the file server by the next 'sesh send', which uploads \
                      it again when less than a day remains before the file server deletes \
                      it; until then messages carry the name only. 'sesh send --name' \
                      overrides the name for one message; the next message without it makes \
                      receivers show the profile's name again.\n\n\
                      Both print the profile: the Session ID, the name, and the avatar's type, \
                      size and upload. With --json, one object {\"type\": \"profile\", \
                      \"session_id\", \"display_name\" (null when none), \"avatar\" (null, \
                      or {\"content_type\", \"size\", \"url\" (null until uploaded), \
                      \"expires_at\" (ms, null until uploaded)}), \"updated_at\" (ms, null \
                      when there is no profile yet)}. The profile key is never printed.",
        after_long_help = AFTER_HELP
    )]
    Profile(ProfileArgs),
    /// Delete messages from your own swarm.
    #[command(
        long_about = "Delete messages from your own swarm with a signed 'delete' (the hashes \
                      given) or 'delete_all' (--all: every message of namespace 0), sent through \
                      an onion path to one member, which passes it to the rest of the swarm. \
                      Prints the hashes deleted; with --json, one object with \"type\": \
                      \"deleted\", \"deleted\" (the hashes), \"confirmed\" and \"members\". \
                      Exit status 4 when some members did not confirm.",
        after_long_help = AFTER_HELP
    )]
    Delete(DeleteArgs),
    /// Unsend messages you sent: delete them from the recipient's view.
    #[command(
        long_about = "Unsend messages sent with 'sesh send', named by the hash it printed: for \
                      each, in the apps' order, a signed 'delete' of its copy in your own swarm \
                      (when that fails, nothing is sent: run the command again), then an unsend \
                      message (its timestamp and your Session ID as the author) to the recipient \
                      and to your own swarm. A hash 'sesh send' did not record \
                      is refused (exit status 2). With --json, one object per hash with \
                      \"type\": \"unsent\", \"hash\", \"to\", \"timestamp\" and \
                      \"deleted\" (the copies deleted from your swarm).",
        after_long_help = AFTER_HELP
    )]
    Unsend(UnsendArgs),
    /// React to a message with an emoji, or take the reaction back.
    #[command(
        long_about = "React to the message AUTHOR sent at TIMESTAMP (ms, as 'sesh receive' \
                      shows it) in the conversation with RECIPIENT, as the Session apps do: a \
                      message carrying the reaction and your profile, and a copy for your \
                      other devices in your own swarm. --remove takes the reaction back. The \
                      emoji is at most 64 bytes, without white space or control characters. \
                      With --json: {\"type\": \"sent\", \"kind\": \"reaction\", \"to\", \
                      \"hash\", \"timestamp\", \"sync_hash\"}.",
        after_long_help = AFTER_HELP
    )]
    React(ReactArgs),
    /// Tell RECIPIENT you read their messages (a read receipt).
    #[command(
        long_about = "Send RECIPIENT a read receipt for their messages sent at TIMESTAMP... \
                      (ms, as 'sesh receive' shows them). With --json: {\"type\": \"sent\", \
                      \"kind\": \"receipt\", \"to\", \"hash\", \"timestamp\", \
                      \"sync_hash\": null}.",
        after_long_help = AFTER_HELP
    )]
    Read(ReadArgs),
    /// Show RECIPIENT that you are typing, or that you stopped.
    #[command(
        long_about = "Send RECIPIENT a typing indicator (started; --stop: stopped), kept by \
                      the swarm for 20 seconds as the apps send it. With --json: {\"type\": \
                      \"sent\", \"kind\": \"typing\", \"to\", \"hash\", \"timestamp\", \
                      \"sync_hash\": null}.",
        after_long_help = AFTER_HELP
    )]
    Typing(TypingArgs),
    /// Accept RECIPIENT's message request.
    #[command(
        long_about = "Accept the message request of RECIPIENT (someone who wrote to you \
                      first): send the message request response the apps send, with your \
                      profile, and remember the conversation as accepted, so that their \
                      messages are no longer marked as requests. 'sesh send' sends the same \
                      response before its first reply to a request. With --json: {\"type\": \
                      \"sent\", \"kind\": \"request_accepted\", \"to\", \"hash\", \
                      \"timestamp\", \"sync_hash\": null}.",
        after_long_help = AFTER_HELP
    )]
    Accept(AcceptArgs),
    /// Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output.
    #[command(
        long_about = "Run one long-lived process for an identity that keeps the node pool, \
                      onion paths, connections and keys warm, and speaks JSON-RPC 2.0, one \
                      JSON object per line, on a Unix socket (by default \
                      $XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock, else in the state directory; \
                      directory 0700, socket 0600) or, with --stdio, on standard input and \
                      output. A second daemon for the same socket is refused (exit 1). Once \
                      listening, the socket's path is printed on standard output (one line); \
                      notes go to standard error. SIGINT or SIGTERM stops it: no new \
                      connection is taken, requests under way finish (for up to 30 seconds), \
                      the socket is removed, and it exits 0; with --stdio it also ends when \
                      standard input does.\n\n\
                      Methods (params by name): version; id -> {\"session_id\"}; resolve \
                      {name} -> {\"name\", \"session_id\"}; send {recipients: [ID or ONS \
                      name...], message, attachments?: [path...], ttl?: seconds, disappear?: \
                      seconds, after?: \"read\"|\"send\", name?, no_sync?} -> {\"sent\": \
                      [{\"to\", \"hash\", \"timestamp\", \"sync_hash\", \"attachments\"?}], \
                      \"failed\": [{\"to\", \"error\", \"kind\", \"hint\"}], \"copies\": the \
                      copies for one's other devices to store, \"sync_failed\": [{\"to\", \
                      \"error\", \"hint\"}]}; \
                      react {recipient, timestamp, author, emoji, remove?}, read \
                      {recipient, timestamps}, typing {recipient, stop?} -> the record 'sesh \
                      react --json' prints; unsend {hashes} -> {\"unsent\": [...], \
                      \"complete\"}; delete {hashes} or {all: true} -> {\"deleted\", \
                      \"confirmed\", \"members\", \"complete\"}; subscribe {only?: [kind...], \
                      include_sent?, max?, format?: \"json\"|\"text\", until_caught_up?, ack?} -> a \
                      subscription id, then every incoming message arrives as a notification \
                      {\"method\": \"receive\", \"params\": the object 'sesh receive --json' \
                      prints} (with format text: {\"method\": \"receive_text\", \"params\": \
                      {\"row\": what 'sesh receive' prints}}), a message that does not open as \
                      {\"method\": \"receive_error\", \"params\": {\"message\"}}; with max, the \
                      subscription ends once that many rows were written; with \
                      until_caught_up, it ends with a {\"method\": \"caught_up\"} notification \
                      after the first poll that started after it and found nothing more (its \
                      params {\"error\": {...}} when that poll failed); with ack, each page \
                      of rows ends with {\"method\": \"page_end\", \"params\": {\"page\": N}} \
                      and counts as taken only once the client sends ack {page: N} (what \
                      'sesh receive' does once it printed them: a receive stopped before \
                      comes again); unsubscribe. One subscription per connection (notifications carry no \
                      subscription id); a client that closes its writing side ends its \
                      subscription (answers to its requests under way are still written); a subscriber that takes more than 10 seconds to \
                      take a page of notifications is unsubscribed, and told so by an \
                      \"unsubscribed\" notification. The swarm is polled (every --interval, backing off after \
                      network failures) only while someone is subscribed: with no \
                      subscriber, messages wait in the swarm. A message is recorded as \
                      delivered only once its notification was written to (or, with ack, \
                      acknowledged by) every subscriber \
                      (a subscriber whose connection broke is dropped; with none left, \
                      nothing is recorded and it comes again); a daemon killed between the \
                      write and the record delivers that last page again after a restart: \
                      never lost, at worst repeated — except to a subscriber that \
                      acknowledges (ack): pages go out whole, one at a time, each recorded as \
                      soon as acknowledged, so one it acknowledged never comes again. While subscribed, the daemon holds the \
                      identity's receive lock.\n\n\
                      While a daemon runs on the default socket of an identity, 'sesh send' \
                      and 'sesh receive' for that identity go through it (a send with \
                      --attach - or a receive with --save-attachments works alone; \
                      --no-daemon forces working alone), printing what they print alone, \
                      with the same exit statuses. A client that does not read its answers \
                      (1024 lines waiting) is disconnected.\n\n\
                      Errors: -32700 parse error, -32600 invalid request (a batch, a line \
                      over 1 MiB), -32601 unknown method, -32602 bad params, and -32000 for \
                      a sesh error, whose data is {\"kind\": \"failure\"|\"invalid_input\"|\
                      \"transient\"|\"partial\", \"exit_status\": the command's, \"hint\"}.",
        after_long_help = AFTER_HELP
    )]
    Daemon(DaemonArgs),
    /// Print where the configuration file is, or the settings in effect.
    #[command(
        long_about = "Print where the configuration file (sesh-config(5)) is: 'sesh config \
                      path' prints its path, whether or not the file exists (--config FILE, \
                      else SESH_CONFIG, else $XDG_CONFIG_HOME/sesh/config.toml). 'sesh config \
                      show' reads it and prints each setting in effect and where its value \
                      came from (command line, environment, file or default); with --json, \
                      one object per setting {\"type\": \"setting\", \"key\", \"value\" \
                      (null when unset), \"source\"}.\n\n\
                      A configuration file that is not valid (not TOML, an unknown key, a bad \
                      value) is an error naming the file and the line, for every command but \
                      'sesh config path' (exit status 2). A missing file is no configuration, \
                      unless it was named with --config or SESH_CONFIG (exit status 1).",
        after_long_help = AFTER_HELP
    )]
    Config(ConfigArgs),
    /// Name Session IDs: send to 'mom' rather than to 66 hex characters.
    #[command(
        long_about = "Keep an address book: names for Session IDs, per identity, in the state \
                      directory of the network (as the profile). Every command that takes a \
                      recipient (send, react, read, typing, accept, seal, swarm) then takes a \
                      contact name: a RECIPIENT is read as a Session ID when it is one, else as \
                      a contact name of the identity (exactly, case counts; no network \
                      needed), else as an ONS name (resolved on the network). With -i -, the \
                      identity is not known when recipients are read: contacts are not used.\n\n\
                      'sesh contact add NAME ID_OR_ONS' names a Session ID, or the Session ID an \
                      ONS name has now (resolved once, when added). NAME is at most 64 \
                      characters, printable, without white space at either end, and not itself \
                      a Session ID; a NAME already in the book is refused (exit status 2) \
                      unless --force replaces it. 'sesh contact list' prints 'NAME SESSION_ID' \
                      lines, by name (with --json, {\"type\": \"contact\", \"name\", \
                      \"session_id\"} objects). 'sesh contact rm NAME' removes one (exit \
                      status 1 when there is none). 'sesh receive' shows the contact name of a \
                      sender it knows: 'from NAME (SESSION_ID) at …', and \"contact\" in \
                      --json message rows.",
        after_long_help = AFTER_HELP
    )]
    Contact(ContactArgs),
}

/// Arguments of `sesh config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// What `sesh config` does.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigAction {
    /// Print the path of the configuration file, whether or not it exists.
    Path,
    /// Print the settings in effect and where each came from.
    Show,
}

/// Arguments of `sesh contact`.
#[derive(Debug, Args)]
pub struct ContactArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ContactAction,
}

/// What `sesh contact` does.
#[derive(Debug, Subcommand)]
pub enum ContactAction {
    /// Name a Session ID (or the Session ID of an ONS name, resolved now).
    Add(ContactAddArgs),
    /// List the contacts.
    List(ContactListArgs),
    /// Remove a contact.
    Rm(ContactRmArgs),
}

/// Arguments of `sesh contact add`.
#[derive(Debug, Args)]
pub struct ContactAddArgs {
    /// The name (at most 64 characters, not a Session ID).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// A Session ID, or an ONS name (resolved now; the Session ID is kept).
    #[arg(value_name = "ID_OR_ONS")]
    pub target: String,
    /// Replace a contact of the same name.
    #[arg(short, long)]
    pub force: bool,
    /// The identity whose address book it is.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh contact list`.
#[derive(Debug, Args)]
pub struct ContactListArgs {
    /// The identity whose address book it is.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh contact rm`.
#[derive(Debug, Args)]
pub struct ContactRmArgs {
    /// The name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The identity whose address book it is.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Where an identity is read from.
#[derive(Debug, Args)]
pub struct IdentityArg {
    /// The identity file ('-' for standard input) [default: identity in sesh-config(5), else
    /// the default identity file].
    #[arg(short, long, value_name = "FILE", env = "SESH_IDENTITY")]
    pub identity: Option<PathBuf>,
}

/// Where a new identity file is written.
#[derive(Debug, Clone, Args)]
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
    /// Search on every core for a Session ID that starts with 05 and these hex digits (at
    /// most 10); each extra digit takes 16 times longer. A search expected to take more than
    /// 10 minutes is refused unless --force (which, with --prefix, never replaces an
    /// existing identity file).
    #[arg(long, value_name = "HEX")]
    pub prefix: Option<String>,
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

/// How `sesh id --qr` shows the QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QrFormat {
    /// Unicode half blocks, two module rows per line (as `qrencode -t UTF8`); white on
    /// black on a terminal, unless NO_COLOR is set.
    Text,
    /// ASCII, '##' for a dark module and two spaces for a light one.
    Ascii,
    /// A PNG image (8 pixels per module); needs -o.
    Png,
}

/// Arguments of `sesh id`.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The identity.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// Also show the Session ID as a QR code, the one the apps' QR screens show: drawn on
    /// standard output above the ID (text, the default, or ascii), or as a PNG image written
    /// with -o. A drawing is not mixed into --json's JSON Lines: --json goes with --qr only
    /// when -o FILE takes the code elsewhere.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "text"
    )]
    pub qr: Option<QrFormat>,
    /// Write the QR code to FILE instead of standard output, and the ID as without --qr.
    /// '-' is standard output: a drawing goes there above the ID as without -o, a PNG alone
    /// (standard output must not be a terminal) with the ID on standard error.
    #[arg(
        short,
        long,
        value_name = "FILE",
        requires = "qr",
        required_if_eq("qr", "png")
    )]
    pub output: Option<PathBuf>,
    /// Replace FILE when it exists (never through a symbolic link).
    #[arg(short, long, requires = "output")]
    pub force: bool,
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

/// Arguments of `sesh seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The recipient: a Session ID (66 hex characters starting with 05) or an ONS name
    /// (resolved on the network).
    #[arg(value_name = "RECIPIENT")]
    pub recipient: String,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// The text [default: standard input, less one trailing newline].
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Send DISPLAY_NAME as the sender's display name.
    #[arg(long, value_name = "DISPLAY_NAME")]
    pub name: Option<String>,
    /// The time the message was sent, in milliseconds since the Unix epoch [default: now].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timestamp: Option<u64>,
}

/// Arguments of `sesh open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The recipient's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// The directory for the nodes' files: new, empty, or an earlier devnet's (refused while
    /// another devnet runs on it) [default: a new directory under the system's temporary
    /// directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// How many service nodes.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..=2000))]
    pub nodes: u16,
    /// How many nodes per swarm.
    #[arg(long, value_name = "K", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub swarm_size: u16,
    /// Add this many milliseconds to every node's clock (to test clock skew).
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        allow_negative_numbers = true,
        hide = true,
        value_parser = parse_clock_offset_ms
    )]
    pub clock_offset_ms: i64,
    /// Register the ONS name NAME for SESSION_ID on the devnet (repeatable).
    #[arg(long = "ons", value_name = "NAME=SESSION_ID", value_parser = parse_ons_entry)]
    pub ons: Vec<(crate::ons::Name, crate::identity::SessionId)>,
}

/// `NAME=SESSION_ID` of `sesh devnet --ons`.
fn parse_ons_entry(s: &str) -> Result<(crate::ons::Name, crate::identity::SessionId), String> {
    let (name, id) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=SESSION_ID"))?;
    let name = crate::ons::Name::parse(name).map_err(|e| format!("'{name}': {e}"))?;
    let id = id.parse().map_err(|e| format!("'{id}': {e}"))?;
    Ok((name, id))
}

/// Arguments of `sesh send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The recipients: Session IDs (66 hex characters starting with 05) or ONS names.
    #[arg(value_name = "RECIPIENT", required = true)]
    pub recipients: Vec<String>,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// The text [default: standard input, less one trailing newline; none when attaching].
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Send DISPLAY_NAME as the sender's display name for this message (at most 100 bytes)
    /// [default: display_name in sesh-config(5), else the profile's].
    #[arg(long, value_name = "DISPLAY_NAME")]
    pub name: Option<String>,
    /// Attach FILE ('-' for standard input); give it again for more files.
    #[arg(short, long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// The file name of the attachment read from standard input (required with --attach -).
    #[arg(long, value_name = "NAME", requires = "attach")]
    pub attach_name: Option<String>,
    /// How long the swarm keeps the message (10s to 14d); ttl in sesh-config(5) comes
    /// before the default.
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_ttl)]
    pub ttl: std::time::Duration,
    /// Do not store a copy of the message in your own swarm for your other devices.
    #[arg(long)]
    pub no_sync: bool,
    /// Make the message disappear DURATION (10s to 14d) after it is read or sent (--after).
    #[arg(long, value_name = "DURATION", value_parser = parse_ttl)]
    pub disappear: Option<std::time::Duration>,
    /// When the --disappear timer starts [default: read; to yourself always send, as in the
    /// apps' Note to Self].
    #[arg(long, value_enum, value_name = "WHEN", requires = "disappear")]
    pub after: Option<DisappearAfter>,
    /// Send alone even when a `sesh daemon` runs for this identity (by default the message
    /// goes through it).
    #[arg(long)]
    pub no_daemon: bool,
}

/// When a disappearing message's timer starts (`Content.expirationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DisappearAfter {
    /// When the recipient reads it (DELETE_AFTER_READ).
    Read,
    /// When it is sent (DELETE_AFTER_SEND): the swarm keeps it only that long.
    Send,
}

/// Arguments of `sesh delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The hashes of the messages to delete.
    #[arg(
        value_name = "HASH",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub hashes: Vec<String>,
    /// Delete every message of your swarm's namespace 0.
    #[arg(long)]
    pub all: bool,
    /// Whose swarm.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh unsend`.
#[derive(Debug, Args)]
pub struct UnsendArgs {
    /// The hashes 'sesh send' printed for the messages.
    #[arg(value_name = "HASH", required = true)]
    pub hashes: Vec<String>,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ProfileAction,
}

/// What `sesh profile` does.
#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Set the display name or the avatar that every message sent carries.
    Set(ProfileSetArgs),
    /// Show the profile.
    Show(ProfileShowArgs),
}

/// Arguments of `sesh profile set`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["name", "avatar", "no_avatar"])
))]
pub struct ProfileSetArgs {
    /// The identity whose profile it is.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// The display name (at most 100 bytes).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The avatar: a PNG, JPEG, GIF or WebP image of at most 5 MiB ('-' for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "no_avatar")]
    pub avatar: Option<PathBuf>,
    /// Remove the avatar.
    #[arg(long)]
    pub no_avatar: bool,
}

/// Arguments of `sesh profile show`.
#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// The identity whose profile it is.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh react`.
#[derive(Debug, Args)]
pub struct ReactArgs {
    /// The conversation: a Session ID or an ONS name, who the reaction goes to.
    #[arg(value_name = "RECIPIENT")]
    pub recipient: String,
    /// The reacted message's timestamp, in ms.
    #[arg(value_name = "TIMESTAMP")]
    pub timestamp: u64,
    /// The reacted message's sender: a Session ID or an ONS name.
    #[arg(value_name = "AUTHOR")]
    pub author: String,
    /// The emoji.
    #[arg(value_name = "EMOJI")]
    pub emoji: String,
    /// Take the reaction back.
    #[arg(long)]
    pub remove: bool,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Who the receipt goes to: a Session ID or an ONS name.
    #[arg(value_name = "RECIPIENT")]
    pub recipient: String,
    /// The timestamps (ms) of the messages read.
    #[arg(value_name = "TIMESTAMP", required = true)]
    pub timestamps: Vec<u64>,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh typing`.
#[derive(Debug, Args)]
pub struct TypingArgs {
    /// Who the indicator goes to: a Session ID or an ONS name.
    #[arg(value_name = "RECIPIENT")]
    pub recipient: String,
    /// Typing stopped.
    #[arg(long)]
    pub stop: bool,
    /// The sender's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Whose message request is accepted: a Session ID or an ONS name.
    #[arg(value_name = "RECIPIENT")]
    pub recipient: String,
    /// The accepting identity.
    #[command(flatten)]
    pub identity: IdentityArg,
}

/// Arguments of `sesh daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// The identity served.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// Listen on this Unix socket [default: $XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock].
    #[arg(long, value_name = "PATH", conflicts_with = "stdio")]
    pub socket: Option<std::path::PathBuf>,
    /// Speak JSON-RPC on standard input and output instead of a socket.
    #[arg(long)]
    pub stdio: bool,
    /// How often the swarm is polled while someone is subscribed.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    pub interval: std::time::Duration,
}

/// Arguments of `sesh receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// The recipient's identity.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// Keep polling for new messages until interrupted.
    #[arg(short, long)]
    pub follow: bool,
    /// Stop after DURATION (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Stop after N messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,
    /// How often --follow polls.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    pub interval: std::time::Duration,
    /// Download each attachment, and a sender's changed avatar, into DIR/SENDER-SESSION-ID/
    /// [default: attachments_dir in sesh-config(5), else none].
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<std::path::PathBuf>,
    /// Also print the copies of messages this identity sent from its other devices.
    #[arg(long)]
    pub include_sent: bool,
    /// Print only these kinds of rows (comma-separated); by default every kind but typing.
    /// The others are consumed unseen: without 'message' in KINDs this needs --discard-others.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',')]
    pub only: Vec<RowKind>,
    /// With --only, consume the messages it does not print, even text messages.
    #[arg(long, requires = "only")]
    pub discard_others: bool,
    /// Receive alone even when a `sesh daemon` runs for this identity (by default the
    /// messages come from its subscription; it must not be subscribed to meanwhile).
    #[arg(long)]
    pub no_daemon: bool,
}

/// The kinds of rows `sesh receive` and `sesh open` print, one per Content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum RowKind {
    /// A visible message: text and/or attachments.
    #[value(name = "message")]
    Message,
    /// An emoji reaction to a message, or its removal.
    #[value(name = "reaction")]
    Reaction,
    /// A read receipt.
    #[value(name = "receipt")]
    Receipt,
    /// A typing indicator (not printed unless asked for).
    #[value(name = "typing")]
    Typing,
    /// A request to delete a message already sent.
    #[value(name = "unsend")]
    Unsend,
    /// A message request, accepted.
    #[value(name = "request_accepted")]
    RequestAccepted,
    /// A screenshot or media-saved notice.
    #[value(name = "data_extraction")]
    DataExtraction,
    /// A change of the conversation's disappearing-message setting.
    #[value(name = "expiration_update")]
    ExpirationUpdate,
    /// Anything else.
    #[value(name = "unknown")]
    Unknown,
}

impl RowKind {
    /// Its name: the row's `"type"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Reaction => "reaction",
            Self::Receipt => "receipt",
            Self::Typing => "typing",
            Self::Unsend => "unsend",
            Self::RequestAccepted => "request_accepted",
            Self::DataExtraction => "data_extraction",
            Self::ExpirationUpdate => "expiration_update",
            Self::Unknown => "unknown",
        }
    }
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d < std::time::Duration::from_millis(100) {
        return Err("the polling interval must be at least 100ms".to_owned());
    }
    Ok(d)
}

/// The longest duration any option takes: a year. Longer ones are no one's intent, and
/// would overflow the clock arithmetic they feed (`now + timeout`).
const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(365 * 86_400);

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30s, 5m, 2h, 14d)"))?;
    if d > MAX_DURATION {
        return Err("at most 365d".to_owned());
    }
    Ok(d)
}

/// The largest clock offset a node takes, either way: ten years. A clock moved further could
/// fall before 1970 or past year 9999, which no timestamp or log line can show.
pub const MAX_CLOCK_OFFSET_MS: i64 = 10 * 365 * 86_400 * 1000;

/// A node clock offset in milliseconds, within [`MAX_CLOCK_OFFSET_MS`] either way.
fn parse_clock_offset_ms(s: &str) -> Result<i64, String> {
    let range = || {
        format!("a clock offset is a whole number of ms within ±{MAX_CLOCK_OFFSET_MS} (ten years)")
    };
    let ms: i64 = s.trim().parse().map_err(|_| range())?;
    if ms.checked_abs().is_none_or(|a| a > MAX_CLOCK_OFFSET_MS) {
        return Err(range());
    }
    Ok(ms)
}

/// A message's TTL: a duration a swarm accepts for a public namespace, 10s to 14d. Refused
/// here, so that the error quotes the value as the user spelled it.
pub(crate) fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    const RANGE: &str = "a swarm keeps a message from 10s to 14d";
    // Any length that parses, however long (or too long to count), is out of the TTL's
    // range: say that range, not the general limit of durations.
    let d = match humantime::parse_duration(s) {
        Ok(d) => d,
        Err(humantime::DurationError::NumberOverflow) => return Err(RANGE.to_owned()),
        Err(e) => return Err(format!("{e} (examples: 30s, 5m, 2h, 14d)")),
    };
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if !crate::rpc::limits::TTL_PUBLIC_MS.contains(&ms) {
        return Err(RANGE.to_owned());
    }
    Ok(d)
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

/// Arguments of `sesh probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The nodes: Ed25519 keys (or unique prefixes of them) or IP:PORT addresses.
    #[arg(
        value_name = "NODE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub nodes: Vec<String>,
    /// Probe every node the network lists.
    #[arg(long)]
    pub all: bool,
    /// Probe at most N nodes at once.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// The time each request may take.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Also send an onion request through each node as a relay.
    #[arg(long)]
    pub onion: bool,
    /// Fetch the node list from the seed nodes even if the cached one is fresh.
    #[arg(long)]
    pub refresh: bool,
    /// Show the nodes' IP addresses and ports.
    #[arg(long)]
    pub reveal: bool,
}

/// Arguments of `sesh path`.
#[derive(Debug, Args)]
pub struct PathArgs {
    /// What to do [default: show].
    #[command(subcommand)]
    pub action: Option<PathAction>,
    /// Show the hops' IP addresses and ports.
    #[arg(long, global = true)]
    pub reveal: bool,
    /// Show each hop's country from this MaxMind-format GeoIP database (.mmdb).
    #[arg(long, value_name = "FILE", global = true)]
    pub geoip: Option<PathBuf>,
}

/// What `sesh path` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum PathAction {
    /// Show the onion paths (building them when there are none).
    Show,
    /// Drop the onion paths and their guards, build new ones, and show them.
    New,
    /// Measure each hop's latency with onion requests ending at hop 1, 2 and 3.
    Test,
}

/// Arguments of `sesh resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The ONS name: letters, digits, '_' and '-' (not first or last), at most 64.
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Arguments of `sesh swarm`.
#[derive(Debug, Args)]
pub struct SwarmArgs {
    /// A Session ID or an ONS name [default: the identity's Session ID].
    #[arg(value_name = "SESSION_ID")]
    pub session_id: Option<String>,
    /// The identity whose swarm to show when no SESSION_ID is given.
    #[command(flatten)]
    pub identity: IdentityArg,
    /// Show the members' IP addresses and ports.
    #[arg(long)]
    pub reveal: bool,
}

/// The `sesh` command, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The sections of `sesh-node`'s man page after the options.
pub(crate) const NODE_AFTER_HELP: &str = "\
FILES
  DIR/identity          the node's Ed25519 identity (key file, mode 0600)
  DIR/cert.pem,key.pem  its self-signed TLS certificate and key (key mode 0600)
  DIR/messages.sqlite3  its message store
  DIR/node.log          its log, unless --log is given
  DIR/files.db          with --file-server: the files (no certificate, no message store)

Once listening, the node prints its address on standard output, one line (with --json, one
JSON object with \"type\":\"listening\", the address, keys and certificate pins; a file
server's has its \"url\" instead of pins), and serves until SIGINT or SIGTERM.

With --file-server it is a Session file server instead, on plain HTTP: POST /file (at most
10000000 bytes), GET /file/ID, GET /file/ID/info, and onion v4 requests on POST /oxen/v4/lsrpc,
encrypted to the X25519 form of its identity. Files are kept 14 days.";

/// A local Session service node, for an offline test network.
#[derive(Debug, Parser)]
#[command(
    name = "sesh-node",
    version,
    about = "A local Session service node, for an offline test network",
    long_about = "sesh-node serves the Session storage servers' HTTPS protocol (storage RPC and \
                  onion requests) from a directory holding its identity, TLS certificate and \
                  messages. It listens on loopback unless told otherwise.",
    after_long_help = NODE_AFTER_HELP,
    max_term_width = 100
)]
pub struct NodeCli {
    /// The node's directory, created if missing; one node at a time (it holds DIR/lock).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The address to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Write the log to FILE ('-' for standard error) [default: DIR/node.log].
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Print the listening line as JSON.
    #[arg(long)]
    pub json: bool,
    /// The node list to serve and route by (a get_n_service_nodes result, as `sesh devnet`
    /// writes it); re-read when it changes. Until it exists the node answers 503. Not taken
    /// by a file server.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "file_server",
        conflicts_with = "file_server"
    )]
    pub roster: Option<PathBuf>,
    /// Act as a seed: answer get_n_service_nodes on /json_rpc, and nothing else.
    #[arg(long)]
    pub seed: bool,
    /// Act as a Session file server on plain HTTP (uploads, downloads, onion v4 requests),
    /// not as a service node.
    #[arg(long, conflicts_with = "seed")]
    pub file_server: bool,
    /// Add this many milliseconds to the node's clock (to test clock skew).
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = parse_clock_offset_ms
    )]
    pub clock_offset_ms: i64,
    /// Stop when standard input reaches its end: a launcher that holds the other end of a
    /// pipe (as `sesh devnet` does) takes its nodes with it however it ends.
    #[arg(long)]
    pub stop_on_stdin_eof: bool,
}

/// A clap usage error as one line, and clap's tip if it gives one: its first line without
/// `error: `, with the list of missing arguments that clap puts on the indented lines
/// below it joined on.
pub fn usage_error(e: &clap::Error) -> (String, Option<String>) {
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
    let tip = lines
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip: "))
        .map(str::to_owned);
    (first, tip)
}

/// The `sesh-node` command, for man pages and completions.
pub fn node_command() -> clap::Command {
    <NodeCli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ttl_outside_what_a_swarm_keeps_is_refused_as_spelled() {
        assert_eq!(
            parse_ttl("15d"),
            Err("a swarm keeps a message from 10s to 14d".to_owned())
        );
        assert!(parse_ttl("9s").is_err());
        for long in ["30d", "366d", "99999999999d", "99999999999999999999d"] {
            assert_eq!(
                parse_ttl(long),
                Err("a swarm keeps a message from 10s to 14d".to_owned()),
                "{long}"
            );
        }
        assert!(parse_ttl("1x").unwrap_err().contains("examples: 30s"));
        assert_eq!(
            parse_ttl("14d"),
            Ok(std::time::Duration::from_secs(14 * 86_400))
        );
        assert_eq!(parse_ttl("10s"), Ok(std::time::Duration::from_secs(10)));
    }

    #[test]
    fn a_usage_error_is_one_line_and_its_tip() {
        let e = NodeCli::try_parse_from(["sesh-node"]).unwrap_err();
        assert_eq!(
            usage_error(&e),
            (
                "the following required arguments were not provided: --dir <DIR>, \
                 --roster <FILE>"
                    .to_owned(),
                None
            )
        );
        let e = NodeCli::try_parse_from(["sesh-node", "--dri", "x"]).unwrap_err();
        let (line, _) = usage_error(&e);
        assert_eq!(line, "unexpected argument '--dri' found");
    }

    #[test]
    fn a_clock_offset_that_would_leave_1970_to_9999_is_refused() {
        assert_eq!(parse_clock_offset_ms("-120000"), Ok(-120_000));
        assert_eq!(
            parse_clock_offset_ms(&MAX_CLOCK_OFFSET_MS.to_string()),
            Ok(MAX_CLOCK_OFFSET_MS)
        );
        for bad in [
            "-1795892000000",
            "253402300800000",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "x",
        ] {
            assert!(parse_clock_offset_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_duration_past_a_year_is_refused_before_it_can_overflow() {
        assert_eq!(parse_duration("365d"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("366d"), Err("at most 365d".to_owned()));
        assert_eq!(
            parse_duration("500000000000y"),
            Err("at most 365d".to_owned())
        );
        assert!(parse_interval("500000000000y").is_err());
    }
}
