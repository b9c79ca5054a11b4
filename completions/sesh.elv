
use builtin;
use str;

set edit:completion:arg-completer[sesh] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sesh'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sesh'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand keygen 'Create a new identity and print its Session ID'
            cand recover 'Restore an identity from its recovery phrase'
            cand id 'Print the Session ID of an identity'
            cand phrase 'Print the recovery phrase of an identity'
            cand seal 'Seal a message for a recipient: print the base64 data a swarm stores'
            cand open 'Open sealed messages: read base64 payloads from standard input, print the messages'
            cand devnet 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server'
            cand nodes 'List the service nodes of the network'
            cand send 'Send a message to one or more Session IDs through onion paths'
            cand receive 'Receive new messages through onion paths, each exactly once'
            cand probe 'Probe service nodes directly: are they up, healthy, and usable as onion relays?'
            cand path 'Show, rebuild or test the onion paths, as the Session apps'' Path screen shows them'
            cand swarm 'Show the swarm that stores a Session ID''s messages, as the network answers it'
            cand resolve 'Print the Session ID registered for an ONS name'
            cand profile 'Set or show the display name and avatar your messages carry'
            cand delete 'Delete messages from your own swarm'
            cand unsend 'Unsend messages you sent: delete them from the recipient''s view'
            cand react 'React to a message with an emoji, or take the reaction back'
            cand read 'Tell RECIPIENT you read their messages (a read receipt)'
            cand typing 'Show RECIPIENT that you are typing, or that you stopped'
            cand accept 'Accept RECIPIENT''s message request'
            cand daemon 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output'
            cand config 'Print where the configuration file is, or the settings in effect'
            cand contact 'Name Session IDs: send to ''mom'' rather than to 66 hex characters'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;keygen'= {
            cand -o 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --output 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --prefix 'Search on every core for a Session ID that starts with 05 and these hex digits (at most 10); each extra digit takes 16 times longer. A search expected to take more than 10 minutes is refused unless --force (which, with --prefix, never replaces an existing identity file)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand -f 'Replace an existing identity file'
            cand --force 'Replace an existing identity file'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;recover'= {
            cand -o 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --output 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --format 'The phrase''s format'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand -f 'Replace an existing identity file'
            cand --force 'Replace an existing identity file'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;id'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --qr 'Also show the Session ID as a QR code, the one the apps'' QR screens show: drawn on standard output above the ID (text, the default, or ascii), or as a PNG image written with -o. A drawing is not mixed into --json''s JSON Lines: --json goes with --qr only when -o FILE takes the code elsewhere'
            cand -o 'Write the QR code to FILE instead of standard output, and the ID as without --qr. ''-'' is standard output: a drawing goes there above the ID as without -o, a PNG alone (standard output must not be a terminal) with the ID on standard error'
            cand --output 'Write the QR code to FILE instead of standard output, and the ID as without --qr. ''-'' is standard output: a drawing goes there above the ID as without -o, a PNG alone (standard output must not be a terminal) with the ID on standard error'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand -f 'Replace FILE when it exists (never through a symbolic link)'
            cand --force 'Replace FILE when it exists (never through a symbolic link)'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;phrase'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --format 'The phrase''s format'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;seal'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand -m 'The text [default: standard input, less one trailing newline]'
            cand --message 'The text [default: standard input, less one trailing newline]'
            cand --name 'Send DISPLAY_NAME as the sender''s display name'
            cand --timestamp 'The time the message was sent, in milliseconds since the Unix epoch [default: now]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;open'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;devnet'= {
            cand --dir 'The directory for the nodes'' files: new, empty, or an earlier devnet''s (refused while another devnet runs on it) [default: a new directory under the system''s temporary directory]'
            cand --nodes 'How many service nodes'
            cand --swarm-size 'How many nodes per swarm'
            cand --clock-offset-ms 'Add this many milliseconds to every node''s clock (to test clock skew)'
            cand --ons 'Register the ONS name NAME for SESSION_ID on the devnet (repeatable)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;nodes'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --refresh 'Fetch the list from the seed nodes even if the cached one is fresh'
            cand --reveal 'Show the nodes'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;send'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand -m 'The text [default: standard input, less one trailing newline; none when attaching]'
            cand --message 'The text [default: standard input, less one trailing newline; none when attaching]'
            cand --name 'Send DISPLAY_NAME as the sender''s display name for this message (at most 100 bytes) [default: display_name in sesh-config(5), else the profile''s]'
            cand -a 'Attach FILE (''-'' for standard input); give it again for more files'
            cand --attach 'Attach FILE (''-'' for standard input); give it again for more files'
            cand --attach-name 'The file name of the attachment read from standard input (required with --attach -)'
            cand --ttl 'How long the swarm keeps the message (10s to 14d); ttl in sesh-config(5) comes before the default'
            cand --disappear 'Make the message disappear DURATION (10s to 14d) after it is read or sent (--after)'
            cand --after 'When the --disappear timer starts [default: read; to yourself always send, as in the apps'' Note to Self]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --no-sync 'Do not store a copy of the message in your own swarm for your other devices'
            cand --no-daemon 'Send alone even when a `sesh daemon` runs for this identity (by default the message goes through it)'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;receive'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --timeout 'Stop after DURATION (e.g. 30s, 5m)'
            cand --max 'Stop after N messages'
            cand --interval 'How often --follow polls'
            cand --save-attachments 'Download each attachment, and a sender''s changed avatar, into DIR/SENDER-SESSION-ID/ [default: attachments_dir in sesh-config(5), else none]'
            cand --only 'Print only these kinds of rows (comma-separated); by default every kind but typing. The others are consumed unseen: without ''message'' in KINDs this needs --discard-others'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand -f 'Keep polling for new messages until interrupted'
            cand --follow 'Keep polling for new messages until interrupted'
            cand --include-sent 'Also print the copies of messages this identity sent from its other devices'
            cand --discard-others 'With --only, consume the messages it does not print, even text messages'
            cand --no-daemon 'Receive alone even when a `sesh daemon` runs for this identity (by default the messages come from its subscription; it must not be subscribed to meanwhile)'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;probe'= {
            cand --concurrency 'Probe at most N nodes at once'
            cand --timeout 'The time each request may take'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --all 'Probe every node the network lists'
            cand --onion 'Also send an onion request through each node as a relay'
            cand --refresh 'Fetch the node list from the seed nodes even if the cached one is fresh'
            cand --reveal 'Show the nodes'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;path'= {
            cand --geoip 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --reveal 'Show the hops'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Show the onion paths (building them when there are none)'
            cand new 'Drop the onion paths and their guards, build new ones, and show them'
            cand test 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;path;show'= {
            cand --geoip 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --reveal 'Show the hops'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;path;new'= {
            cand --geoip 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --reveal 'Show the hops'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;path;test'= {
            cand --geoip 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --reveal 'Show the hops'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;path;help'= {
            cand show 'Show the onion paths (building them when there are none)'
            cand new 'Drop the onion paths and their guards, build new ones, and show them'
            cand test 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;path;help;show'= {
        }
        &'sesh;path;help;new'= {
        }
        &'sesh;path;help;test'= {
        }
        &'sesh;path;help;help'= {
        }
        &'sesh;swarm'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --reveal 'Show the members'' IP addresses and ports'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;resolve'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;profile'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Set the display name or the avatar that every message sent carries'
            cand show 'Show the profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;profile;set'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --name 'The display name (at most 100 bytes)'
            cand --avatar 'The avatar: a PNG, JPEG, GIF or WebP image of at most 5 MiB (''-'' for standard input)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --no-avatar 'Remove the avatar'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;profile;show'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;profile;help'= {
            cand set 'Set the display name or the avatar that every message sent carries'
            cand show 'Show the profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;profile;help;set'= {
        }
        &'sesh;profile;help;show'= {
        }
        &'sesh;profile;help;help'= {
        }
        &'sesh;delete'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --all 'Delete every message of your swarm''s namespace 0'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;unsend'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;react'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --remove 'Take the reaction back'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;read'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;typing'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --stop 'Typing stopped'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;accept'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;daemon'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --socket 'Listen on this Unix socket [default: $XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock]'
            cand --interval 'How often the swarm is polled while someone is subscribed'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --stdio 'Speak JSON-RPC on standard input and output instead of a socket'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;config'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the path of the configuration file, whether or not it exists'
            cand show 'Print the settings in effect and where each came from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;config;path'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;config;show'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;config;help'= {
            cand path 'Print the path of the configuration file, whether or not it exists'
            cand show 'Print the settings in effect and where each came from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;config;help;path'= {
        }
        &'sesh;config;help;show'= {
        }
        &'sesh;config;help;help'= {
        }
        &'sesh;contact'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
            cand list 'List the contacts'
            cand rm 'Remove a contact'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;contact;add'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand -f 'Replace a contact of the same name'
            cand --force 'Replace a contact of the same name'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;contact;list'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;contact;rm'= {
            cand -i 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --config 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;contact;help'= {
            cand add 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
            cand list 'List the contacts'
            cand rm 'Remove a contact'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;contact;help;add'= {
        }
        &'sesh;contact;help;list'= {
        }
        &'sesh;contact;help;rm'= {
        }
        &'sesh;contact;help;help'= {
        }
        &'sesh;help'= {
            cand keygen 'Create a new identity and print its Session ID'
            cand recover 'Restore an identity from its recovery phrase'
            cand id 'Print the Session ID of an identity'
            cand phrase 'Print the recovery phrase of an identity'
            cand seal 'Seal a message for a recipient: print the base64 data a swarm stores'
            cand open 'Open sealed messages: read base64 payloads from standard input, print the messages'
            cand devnet 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server'
            cand nodes 'List the service nodes of the network'
            cand send 'Send a message to one or more Session IDs through onion paths'
            cand receive 'Receive new messages through onion paths, each exactly once'
            cand probe 'Probe service nodes directly: are they up, healthy, and usable as onion relays?'
            cand path 'Show, rebuild or test the onion paths, as the Session apps'' Path screen shows them'
            cand swarm 'Show the swarm that stores a Session ID''s messages, as the network answers it'
            cand resolve 'Print the Session ID registered for an ONS name'
            cand profile 'Set or show the display name and avatar your messages carry'
            cand delete 'Delete messages from your own swarm'
            cand unsend 'Unsend messages you sent: delete them from the recipient''s view'
            cand react 'React to a message with an emoji, or take the reaction back'
            cand read 'Tell RECIPIENT you read their messages (a read receipt)'
            cand typing 'Show RECIPIENT that you are typing, or that you stopped'
            cand accept 'Accept RECIPIENT''s message request'
            cand daemon 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output'
            cand config 'Print where the configuration file is, or the settings in effect'
            cand contact 'Name Session IDs: send to ''mom'' rather than to 66 hex characters'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sesh;help;keygen'= {
        }
        &'sesh;help;recover'= {
        }
        &'sesh;help;id'= {
        }
        &'sesh;help;phrase'= {
        }
        &'sesh;help;seal'= {
        }
        &'sesh;help;open'= {
        }
        &'sesh;help;devnet'= {
        }
        &'sesh;help;nodes'= {
        }
        &'sesh;help;send'= {
        }
        &'sesh;help;receive'= {
        }
        &'sesh;help;probe'= {
        }
        &'sesh;help;path'= {
            cand show 'Show the onion paths (building them when there are none)'
            cand new 'Drop the onion paths and their guards, build new ones, and show them'
            cand test 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3'
        }
        &'sesh;help;path;show'= {
        }
        &'sesh;help;path;new'= {
        }
        &'sesh;help;path;test'= {
        }
        &'sesh;help;swarm'= {
        }
        &'sesh;help;resolve'= {
        }
        &'sesh;help;profile'= {
            cand set 'Set the display name or the avatar that every message sent carries'
            cand show 'Show the profile'
        }
        &'sesh;help;profile;set'= {
        }
        &'sesh;help;profile;show'= {
        }
        &'sesh;help;delete'= {
        }
        &'sesh;help;unsend'= {
        }
        &'sesh;help;react'= {
        }
        &'sesh;help;read'= {
        }
        &'sesh;help;typing'= {
        }
        &'sesh;help;accept'= {
        }
        &'sesh;help;daemon'= {
        }
        &'sesh;help;config'= {
            cand path 'Print the path of the configuration file, whether or not it exists'
            cand show 'Print the settings in effect and where each came from'
        }
        &'sesh;help;config;path'= {
        }
        &'sesh;help;config;show'= {
        }
        &'sesh;help;contact'= {
            cand add 'Name a Session ID (or the Session ID of an ONS name, resolved now)'
            cand list 'List the contacts'
            cand rm 'Remove a contact'
        }
        &'sesh;help;contact;add'= {
        }
        &'sesh;help;contact;list'= {
        }
        &'sesh;help;contact;rm'= {
        }
        &'sesh;help;help'= {
        }
    ]
    $completions[$command]
}
