
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
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
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
            cand devnet 'Run a local Session network on loopback: service nodes in swarms, and a seed'
            cand nodes 'List the service nodes of the network'
            cand send 'Send a message to one or more Session IDs through onion paths'
            cand receive 'Receive new messages through onion paths, each exactly once'
        }
        &'sesh;keygen'= {
            cand -o 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --output 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
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
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
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
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;phrase'= {
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --format 'The phrase''s format'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;seal'= {
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand -m 'The text [default: standard input, less one trailing newline]'
            cand --message 'The text [default: standard input, less one trailing newline]'
            cand --name 'Send DISPLAY_NAME as the sender''s display name'
            cand --timestamp 'The time the message was sent, in milliseconds since the Unix epoch [default: now]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;open'= {
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;devnet'= {
            cand --dir 'The directory for the nodes'' files [default: a new directory under the system''s temporary directory]'
            cand --nodes 'How many service nodes'
            cand --swarm-size 'How many nodes per swarm'
            cand --clock-offset-ms 'Add this many milliseconds to every node''s clock (to test clock skew)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;nodes'= {
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
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
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand -m 'The text [default: standard input, less one trailing newline]'
            cand --message 'The text [default: standard input, less one trailing newline]'
            cand --name 'Send DISPLAY_NAME as the sender''s display name'
            cand --ttl 'How long the swarm keeps the message (10s to 14d)'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sesh;receive'= {
            cand -i 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --identity 'The identity file (''-'' for standard input) [default: the default identity file]'
            cand --timeout 'Stop after DURATION (e.g. 30s, 5m)'
            cand --max 'Stop after N messages'
            cand --interval 'How often --follow polls'
            cand --network 'The Session network: mainnet, testnet, or the path of a network file'
            cand --state-dir 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]'
            cand -f 'Keep polling for new messages until interrupted'
            cand --follow 'Keep polling for new messages until interrupted'
            cand --json 'Print JSON Lines on standard output instead of text'
            cand -q 'Print nothing on standard error but errors'
            cand --quiet 'Print nothing on standard error but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
