# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sesh_global_optspecs
    string join \n json q/quiet network= state-dir= config= h/help V/version
end

function __fish_sesh_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sesh_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sesh_using_subcommand
    set -l cmd (__fish_sesh_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sesh -n "__fish_sesh_needs_command" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_needs_command" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_needs_command" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_needs_command" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_needs_command" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_needs_command" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "keygen" -d 'Create a new identity and print its Session ID'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "recover" -d 'Restore an identity from its recovery phrase'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "id" -d 'Print the Session ID of an identity'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "phrase" -d 'Print the recovery phrase of an identity'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "seal" -d 'Seal a message for a recipient: print the base64 data a swarm stores'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "open" -d 'Open sealed messages: read base64 payloads from standard input, print the messages'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "devnet" -d 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "nodes" -d 'List the service nodes of the network'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "send" -d 'Send a message to one or more Session IDs through onion paths'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "receive" -d 'Receive new messages through onion paths, each exactly once'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "probe" -d 'Probe service nodes directly: are they up, healthy, and usable as onion relays?'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "path" -d 'Show, rebuild or test the onion paths, as the Session apps\' Path screen shows them'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "swarm" -d 'Show the swarm that stores a Session ID\'s messages, as the network answers it'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "resolve" -d 'Print the Session ID registered for an ONS name'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "profile" -d 'Set or show the display name and avatar your messages carry'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "delete" -d 'Delete messages from your own swarm'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "unsend" -d 'Unsend messages you sent: delete them from the recipient\'s view'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "react" -d 'React to a message with an emoji, or take the reaction back'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "read" -d 'Tell RECIPIENT you read their messages (a read receipt)'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "typing" -d 'Show RECIPIENT that you are typing, or that you stopped'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "accept" -d 'Accept RECIPIENT\'s message request'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "daemon" -d 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "config" -d 'Print where the configuration file is, or the settings in effect'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "contact" -d 'Name Session IDs: send to \'mom\' rather than to 66 hex characters'
complete -c sesh -n "__fish_sesh_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -s o -l output -d 'Write the identity file to FILE (\'-\' for standard output) [default: the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -l prefix -d 'Search on every core for a Session ID that starts with 05 and these hex digits (at most 10); each extra digit takes 16 times longer. A search expected to take more than 10 minutes is refused unless --force (which, with --prefix, never replaces an existing identity file)' -r
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -s f -l force -d 'Replace an existing identity file'
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand keygen" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand recover" -s o -l output -d 'Write the identity file to FILE (\'-\' for standard output) [default: the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand recover" -l format -d 'The phrase\'s format' -r -f -a "auto\t'13 words: Session\'s phrase; 12 words: BIP39'
session\t'Session\'s 13-word phrase'
bip39\t'A 12-word BIP39 phrase'"
complete -c sesh -n "__fish_sesh_using_subcommand recover" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand recover" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand recover" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand recover" -s f -l force -d 'Replace an existing identity file'
complete -c sesh -n "__fish_sesh_using_subcommand recover" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand recover" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand recover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand recover" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand id" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand id" -l qr -d 'Also show the Session ID as a QR code, the one the apps\' QR screens show: drawn on standard output above the ID (text, the default, or ascii), or as a PNG image written with -o. A drawing is not mixed into --json\'s JSON Lines: --json goes with --qr only when -o FILE takes the code elsewhere' -r -f -a "text\t'Unicode half blocks, two module rows per line (as `qrencode -t UTF8`); white on black on a terminal, unless NO_COLOR is set'
ascii\t'ASCII, \'##\' for a dark module and two spaces for a light one'
png\t'A PNG image (8 pixels per module); needs -o'"
complete -c sesh -n "__fish_sesh_using_subcommand id" -s o -l output -d 'Write the QR code to FILE instead of standard output, and the ID as without --qr. \'-\' is standard output: a drawing goes there above the ID as without -o, a PNG alone (standard output must not be a terminal) with the ID on standard error' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand id" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand id" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand id" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand id" -s f -l force -d 'Replace FILE when it exists (never through a symbolic link)'
complete -c sesh -n "__fish_sesh_using_subcommand id" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand id" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand id" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -l format -d 'The phrase\'s format' -r -f -a "session\t'Session\'s 13-word phrase, as the apps show it'
bip39\t'The 12-word BIP39 phrase of the same seed'"
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand phrase" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand seal" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand seal" -s m -l message -d 'The text [default: standard input, less one trailing newline]' -r
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l name -d 'Send DISPLAY_NAME as the sender\'s display name' -r
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l timestamp -d 'The time the message was sent, in milliseconds since the Unix epoch [default: now]' -r
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand seal" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand seal" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand seal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand seal" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand open" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand open" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand open" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand open" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand open" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand open" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand open" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand open" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l dir -d 'The directory for the nodes\' files: new, empty, or an earlier devnet\'s (refused while another devnet runs on it) [default: a new directory under the system\'s temporary directory]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l nodes -d 'How many service nodes' -r
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l swarm-size -d 'How many nodes per swarm' -r
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l clock-offset-ms -d 'Add this many milliseconds to every node\'s clock (to test clock skew)' -r
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l ons -d 'Register the ONS name NAME for SESSION_ID on the devnet (repeatable)' -r
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand devnet" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l refresh -d 'Fetch the list from the seed nodes even if the cached one is fresh'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l reveal -d 'Show the nodes\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand nodes" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand send" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand send" -s m -l message -d 'The text [default: standard input, less one trailing newline; none when attaching]' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -l name -d 'Send DISPLAY_NAME as the sender\'s display name for this message (at most 100 bytes) [default: display_name in sesh-config(5), else the profile\'s]' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -s a -l attach -d 'Attach FILE (\'-\' for standard input); give it again for more files' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand send" -l attach-name -d 'The file name of the attachment read from standard input (required with --attach -)' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -l ttl -d 'How long the swarm keeps the message (10s to 14d); ttl in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -l disappear -d 'Make the message disappear DURATION (10s to 14d) after it is read or sent (--after)' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -l after -d 'When the --disappear timer starts [default: read; to yourself always send, as in the apps\' Note to Self]' -r -f -a "read\t'When the recipient reads it (DELETE_AFTER_READ)'
send\t'When it is sent (DELETE_AFTER_SEND): the swarm keeps it only that long'"
complete -c sesh -n "__fish_sesh_using_subcommand send" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand send" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand send" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand send" -l no-sync -d 'Do not store a copy of the message in your own swarm for your other devices'
complete -c sesh -n "__fish_sesh_using_subcommand send" -l no-daemon -d 'Send alone even when a `sesh daemon` runs for this identity (by default the message goes through it)'
complete -c sesh -n "__fish_sesh_using_subcommand send" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand send" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand send" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l timeout -d 'Stop after DURATION (e.g. 30s, 5m)' -r
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l max -d 'Stop after N messages' -r
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l interval -d 'How often --follow polls' -r
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l save-attachments -d 'Download each attachment, and a sender\'s changed avatar, into DIR/SENDER-SESSION-ID/ [default: attachments_dir in sesh-config(5), else none]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l only -d 'Print only these kinds of rows (comma-separated); by default every kind but typing. The others are consumed unseen: without \'message\' in KINDs this needs --discard-others' -r -f -a "message\t'A visible message: text and/or attachments'
reaction\t'An emoji reaction to a message, or its removal'
receipt\t'A read receipt'
typing\t'A typing indicator (not printed unless asked for)'
unsend\t'A request to delete a message already sent'
request_accepted\t'A message request, accepted'
data_extraction\t'A screenshot or media-saved notice'
expiration_update\t'A change of the conversation\'s disappearing-message setting'
unknown\t'Anything else'"
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand receive" -s f -l follow -d 'Keep polling for new messages until interrupted'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l include-sent -d 'Also print the copies of messages this identity sent from its other devices'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l discard-others -d 'With --only, consume the messages it does not print, even text messages'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l no-daemon -d 'Receive alone even when a `sesh daemon` runs for this identity (by default the messages come from its subscription; it must not be subscribed to meanwhile)'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand receive" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l concurrency -d 'Probe at most N nodes at once' -r
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l timeout -d 'The time each request may take' -r
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l all -d 'Probe every node the network lists'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l onion -d 'Also send an onion request through each node as a relay'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l refresh -d 'Fetch the node list from the seed nodes even if the cached one is fresh'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l reveal -d 'Show the nodes\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand probe" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l geoip -d 'Show each hop\'s country from this MaxMind-format GeoIP database (.mmdb)' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l reveal -d 'Show the hops\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -f -a "show" -d 'Show the onion paths (building them when there are none)'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -f -a "new" -d 'Drop the onion paths and their guards, build new ones, and show them'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -f -a "test" -d 'Measure each hop\'s latency with onion requests ending at hop 1, 2 and 3'
complete -c sesh -n "__fish_sesh_using_subcommand path; and not __fish_seen_subcommand_from show new test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l geoip -d 'Show each hop\'s country from this MaxMind-format GeoIP database (.mmdb)' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l reveal -d 'Show the hops\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l geoip -d 'Show each hop\'s country from this MaxMind-format GeoIP database (.mmdb)' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l reveal -d 'Show the hops\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l geoip -d 'Show each hop\'s country from this MaxMind-format GeoIP database (.mmdb)' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l reveal -d 'Show the hops\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the onion paths (building them when there are none)'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from help" -f -a "new" -d 'Drop the onion paths and their guards, build new ones, and show them'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from help" -f -a "test" -d 'Measure each hop\'s latency with onion requests ending at hop 1, 2 and 3'
complete -c sesh -n "__fish_sesh_using_subcommand path; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -l reveal -d 'Show the members\' IP addresses and ports'
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand swarm" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -f -a "set" -d 'Set the display name or the avatar that every message sent carries'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -f -a "show" -d 'Show the profile'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and not __fish_seen_subcommand_from set show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l name -d 'The display name (at most 100 bytes)' -r
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l avatar -d 'The avatar: a PNG, JPEG, GIF or WebP image of at most 5 MiB (\'-\' for standard input)' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l no-avatar -d 'Remove the avatar'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set the display name or the avatar that every message sent carries'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the profile'
complete -c sesh -n "__fish_sesh_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand delete" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand delete" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand delete" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand delete" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand delete" -l all -d 'Delete every message of your swarm\'s namespace 0'
complete -c sesh -n "__fish_sesh_using_subcommand delete" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand delete" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand delete" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand unsend" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand react" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand react" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand react" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand react" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand react" -l remove -d 'Take the reaction back'
complete -c sesh -n "__fish_sesh_using_subcommand react" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand react" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand react" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand react" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand read" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand read" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand read" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand read" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand read" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand read" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand read" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand read" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand typing" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand typing" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand typing" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand typing" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand typing" -l stop -d 'Typing stopped'
complete -c sesh -n "__fish_sesh_using_subcommand typing" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand typing" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand typing" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand typing" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand accept" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand accept" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand accept" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand accept" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand accept" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand accept" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand accept" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand accept" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l socket -d 'Listen on this Unix socket [default: $XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l interval -d 'How often the swarm is polled while someone is subscribed' -r
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l stdio -d 'Speak JSON-RPC on standard input and output instead of a socket'
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand daemon" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "path" -d 'Print the path of the configuration file, whether or not it exists'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "show" -d 'Print the settings in effect and where each came from'
complete -c sesh -n "__fish_sesh_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the configuration file, whether or not it exists'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the settings in effect and where each came from'
complete -c sesh -n "__fish_sesh_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -f -a "add" -d 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -f -a "list" -d 'List the contacts'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -f -a "rm" -d 'Remove a contact'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and not __fish_seen_subcommand_from add list rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -s f -l force -d 'Replace a contact of the same name'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -s i -l identity -d 'The identity file (\'-\' for standard input) [default: identity in sesh-config(5), else the default identity file]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -l network -d 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default' -r
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -l state-dir -d 'Where sesh keeps what it learns about the network [default: the platform\'s state directory for sesh]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -l config -d 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]' -r -F
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -l json -d 'Print JSON Lines on standard output instead of text'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print nothing on standard error but errors'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "add" -d 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the contacts'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a contact'
complete -c sesh -n "__fish_sesh_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "keygen" -d 'Create a new identity and print its Session ID'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "recover" -d 'Restore an identity from its recovery phrase'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "id" -d 'Print the Session ID of an identity'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "phrase" -d 'Print the recovery phrase of an identity'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "seal" -d 'Seal a message for a recipient: print the base64 data a swarm stores'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "open" -d 'Open sealed messages: read base64 payloads from standard input, print the messages'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "devnet" -d 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "nodes" -d 'List the service nodes of the network'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "send" -d 'Send a message to one or more Session IDs through onion paths'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "receive" -d 'Receive new messages through onion paths, each exactly once'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "probe" -d 'Probe service nodes directly: are they up, healthy, and usable as onion relays?'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "path" -d 'Show, rebuild or test the onion paths, as the Session apps\' Path screen shows them'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "swarm" -d 'Show the swarm that stores a Session ID\'s messages, as the network answers it'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "resolve" -d 'Print the Session ID registered for an ONS name'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "profile" -d 'Set or show the display name and avatar your messages carry'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "delete" -d 'Delete messages from your own swarm'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "unsend" -d 'Unsend messages you sent: delete them from the recipient\'s view'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "react" -d 'React to a message with an emoji, or take the reaction back'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "read" -d 'Tell RECIPIENT you read their messages (a read receipt)'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "typing" -d 'Show RECIPIENT that you are typing, or that you stopped'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "accept" -d 'Accept RECIPIENT\'s message request'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "daemon" -d 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "config" -d 'Print where the configuration file is, or the settings in effect'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "contact" -d 'Name Session IDs: send to \'mom\' rather than to 66 hex characters'
complete -c sesh -n "__fish_sesh_using_subcommand help; and not __fish_seen_subcommand_from keygen recover id phrase seal open devnet nodes send receive probe path swarm resolve profile delete unsend react read typing accept daemon config contact help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from path" -f -a "show" -d 'Show the onion paths (building them when there are none)'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from path" -f -a "new" -d 'Drop the onion paths and their guards, build new ones, and show them'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from path" -f -a "test" -d 'Measure each hop\'s latency with onion requests ending at hop 1, 2 and 3'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "set" -d 'Set the display name or the avatar that every message sent carries'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'Show the profile'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the configuration file, whether or not it exists'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the settings in effect and where each came from'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "add" -d 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "list" -d 'List the contacts'
complete -c sesh -n "__fish_sesh_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "rm" -d 'Remove a contact'
