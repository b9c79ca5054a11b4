
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sesh' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sesh'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sesh' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create a new identity and print its Session ID')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Restore an identity from its recovery phrase')
            [CompletionResult]::new('id', 'id', [CompletionResultType]::ParameterValue, 'Print the Session ID of an identity')
            [CompletionResult]::new('phrase', 'phrase', [CompletionResultType]::ParameterValue, 'Print the recovery phrase of an identity')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal a message for a recipient: print the base64 data a swarm stores')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open sealed messages: read base64 payloads from standard input, print the messages')
            [CompletionResult]::new('devnet', 'devnet', [CompletionResultType]::ParameterValue, 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server')
            [CompletionResult]::new('nodes', 'nodes', [CompletionResultType]::ParameterValue, 'List the service nodes of the network')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a message to one or more Session IDs through onion paths')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Receive new messages through onion paths, each exactly once')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe service nodes directly: are they up, healthy, and usable as onion relays?')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Show, rebuild or test the onion paths, as the Session apps'' Path screen shows them')
            [CompletionResult]::new('swarm', 'swarm', [CompletionResultType]::ParameterValue, 'Show the swarm that stores a Session ID''s messages, as the network answers it')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Print the Session ID registered for an ONS name')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Set or show the display name and avatar your messages carry')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete messages from your own swarm')
            [CompletionResult]::new('unsend', 'unsend', [CompletionResultType]::ParameterValue, 'Unsend messages you sent: delete them from the recipient''s view')
            [CompletionResult]::new('react', 'react', [CompletionResultType]::ParameterValue, 'React to a message with an emoji, or take the reaction back')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Tell RECIPIENT you read their messages (a read receipt)')
            [CompletionResult]::new('typing', 'typing', [CompletionResultType]::ParameterValue, 'Show RECIPIENT that you are typing, or that you stopped')
            [CompletionResult]::new('accept', 'accept', [CompletionResultType]::ParameterValue, 'Accept RECIPIENT''s message request')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print where the configuration file is, or the settings in effect')
            [CompletionResult]::new('contact', 'contact', [CompletionResultType]::ParameterValue, 'Name Session IDs: send to ''mom'' rather than to 66 hex characters')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;keygen' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Search on every core for a Session ID that starts with 05 and these hex digits (at most 10); each extra digit takes 16 times longer. A search expected to take more than 10 minutes is refused unless --force (which, with --prefix, never replaces an existing identity file)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace an existing identity file')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing identity file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;recover' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the identity file to FILE (''-'' for standard output) [default: the default identity file]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The phrase''s format')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace an existing identity file')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing identity file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;id' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Also show the Session ID as a QR code, the one the apps'' QR screens show: drawn on standard output above the ID (text, the default, or ascii), or as a PNG image written with -o. A drawing is not mixed into --json''s JSON Lines: --json goes with --qr only when -o FILE takes the code elsewhere')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the QR code to FILE instead of standard output, and the ID as without --qr. ''-'' is standard output: a drawing goes there above the ID as without -o, a PNG alone (standard output must not be a terminal) with the ID on standard error')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the QR code to FILE instead of standard output, and the ID as without --qr. ''-'' is standard output: a drawing goes there above the ID as without -o, a PNG alone (standard output must not be a terminal) with the ID on standard error')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace FILE when it exists (never through a symbolic link)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE when it exists (never through a symbolic link)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;phrase' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The phrase''s format')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;seal' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The text [default: standard input, less one trailing newline]')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The text [default: standard input, less one trailing newline]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Send DISPLAY_NAME as the sender''s display name')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'The time the message was sent, in milliseconds since the Unix epoch [default: now]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;open' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;devnet' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory for the nodes'' files: new, empty, or an earlier devnet''s (refused while another devnet runs on it) [default: a new directory under the system''s temporary directory]')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'How many service nodes')
            [CompletionResult]::new('--swarm-size', '--swarm-size', [CompletionResultType]::ParameterName, 'How many nodes per swarm')
            [CompletionResult]::new('--clock-offset-ms', '--clock-offset-ms', [CompletionResultType]::ParameterName, 'Add this many milliseconds to every node''s clock (to test clock skew)')
            [CompletionResult]::new('--ons', '--ons', [CompletionResultType]::ParameterName, 'Register the ONS name NAME for SESSION_ID on the devnet (repeatable)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;nodes' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch the list from the seed nodes even if the cached one is fresh')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the nodes'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;send' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The text [default: standard input, less one trailing newline; none when attaching]')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The text [default: standard input, less one trailing newline; none when attaching]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Send DISPLAY_NAME as the sender''s display name for this message (at most 100 bytes) [default: display_name in sesh-config(5), else the profile''s]')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Attach FILE (''-'' for standard input); give it again for more files')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach FILE (''-'' for standard input); give it again for more files')
            [CompletionResult]::new('--attach-name', '--attach-name', [CompletionResultType]::ParameterName, 'The file name of the attachment read from standard input (required with --attach -)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long the swarm keeps the message (10s to 14d); ttl in sesh-config(5) comes before the default')
            [CompletionResult]::new('--disappear', '--disappear', [CompletionResultType]::ParameterName, 'Make the message disappear DURATION (10s to 14d) after it is read or sent (--after)')
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'When the --disappear timer starts [default: read; to yourself always send, as in the apps'' Note to Self]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'Do not store a copy of the message in your own swarm for your other devices')
            [CompletionResult]::new('--no-daemon', '--no-daemon', [CompletionResultType]::ParameterName, 'Send alone even when a `sesh daemon` runs for this identity (by default the message goes through it)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;receive' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Stop after DURATION (e.g. 30s, 5m)')
            [CompletionResult]::new('--max', '--max', [CompletionResultType]::ParameterName, 'Stop after N messages')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often --follow polls')
            [CompletionResult]::new('--save-attachments', '--save-attachments', [CompletionResultType]::ParameterName, 'Download each attachment, and a sender''s changed avatar, into DIR/SENDER-SESSION-ID/ [default: attachments_dir in sesh-config(5), else none]')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Print only these kinds of rows (comma-separated); by default every kind but typing. The others are consumed unseen: without ''message'' in KINDs this needs --discard-others')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep polling for new messages until interrupted')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep polling for new messages until interrupted')
            [CompletionResult]::new('--include-sent', '--include-sent', [CompletionResultType]::ParameterName, 'Also print the copies of messages this identity sent from its other devices')
            [CompletionResult]::new('--discard-others', '--discard-others', [CompletionResultType]::ParameterName, 'With --only, consume the messages it does not print, even text messages')
            [CompletionResult]::new('--no-daemon', '--no-daemon', [CompletionResultType]::ParameterName, 'Receive alone even when a `sesh daemon` runs for this identity (by default the messages come from its subscription; it must not be subscribed to meanwhile)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;probe' {
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Probe at most N nodes at once')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The time each request may take')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Probe every node the network lists')
            [CompletionResult]::new('--onion', '--onion', [CompletionResultType]::ParameterName, 'Also send an onion request through each node as a relay')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch the node list from the seed nodes even if the cached one is fresh')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the nodes'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;path' {
            [CompletionResult]::new('--geoip', '--geoip', [CompletionResultType]::ParameterName, 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the hops'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the onion paths (building them when there are none)')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Drop the onion paths and their guards, build new ones, and show them')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;path;show' {
            [CompletionResult]::new('--geoip', '--geoip', [CompletionResultType]::ParameterName, 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the hops'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;path;new' {
            [CompletionResult]::new('--geoip', '--geoip', [CompletionResultType]::ParameterName, 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the hops'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;path;test' {
            [CompletionResult]::new('--geoip', '--geoip', [CompletionResultType]::ParameterName, 'Show each hop''s country from this MaxMind-format GeoIP database (.mmdb)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the hops'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;path;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the onion paths (building them when there are none)')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Drop the onion paths and their guards, build new ones, and show them')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;path;help;show' {
            break
        }
        'sesh;path;help;new' {
            break
        }
        'sesh;path;help;test' {
            break
        }
        'sesh;path;help;help' {
            break
        }
        'sesh;swarm' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show the members'' IP addresses and ports')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;resolve' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;profile' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the display name or the avatar that every message sent carries')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;profile;set' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The display name (at most 100 bytes)')
            [CompletionResult]::new('--avatar', '--avatar', [CompletionResultType]::ParameterName, 'The avatar: a PNG, JPEG, GIF or WebP image of at most 5 MiB (''-'' for standard input)')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--no-avatar', '--no-avatar', [CompletionResultType]::ParameterName, 'Remove the avatar')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;profile;show' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;profile;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the display name or the avatar that every message sent carries')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;profile;help;set' {
            break
        }
        'sesh;profile;help;show' {
            break
        }
        'sesh;profile;help;help' {
            break
        }
        'sesh;delete' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every message of your swarm''s namespace 0')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;unsend' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;react' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Take the reaction back')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;read' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;typing' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Typing stopped')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;accept' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;daemon' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Listen on this Unix socket [default: $XDG_RUNTIME_DIR/sesh/NETWORK-ID.sock]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often the swarm is polled while someone is subscribed')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--stdio', '--stdio', [CompletionResultType]::ParameterName, 'Speak JSON-RPC on standard input and output instead of a socket')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;config' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file, whether or not it exists')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the settings in effect and where each came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;config;path' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;config;show' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file, whether or not it exists')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the settings in effect and where each came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;config;help;path' {
            break
        }
        'sesh;config;help;show' {
            break
        }
        'sesh;config;help;help' {
            break
        }
        'sesh;contact' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Name a Session ID (or the Session ID of an ONS name, resolved now)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the contacts')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a contact')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;contact;add' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace a contact of the same name')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a contact of the same name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;contact;list' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;contact;rm' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The identity file (''-'' for standard input) [default: identity in sesh-config(5), else the default identity file]')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'The Session network: mainnet, testnet, or the path of a network file; network in sesh-config(5) comes before the default')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where sesh keeps what it learns about the network [default: the platform''s state directory for sesh]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (sesh-config(5)) [default: $XDG_CONFIG_HOME/sesh/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines on standard output instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on standard error but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sesh;contact;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Name a Session ID (or the Session ID of an ONS name, resolved now)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the contacts')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a contact')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;contact;help;add' {
            break
        }
        'sesh;contact;help;list' {
            break
        }
        'sesh;contact;help;rm' {
            break
        }
        'sesh;contact;help;help' {
            break
        }
        'sesh;help' {
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Create a new identity and print its Session ID')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Restore an identity from its recovery phrase')
            [CompletionResult]::new('id', 'id', [CompletionResultType]::ParameterValue, 'Print the Session ID of an identity')
            [CompletionResult]::new('phrase', 'phrase', [CompletionResultType]::ParameterValue, 'Print the recovery phrase of an identity')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal a message for a recipient: print the base64 data a swarm stores')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Open sealed messages: read base64 payloads from standard input, print the messages')
            [CompletionResult]::new('devnet', 'devnet', [CompletionResultType]::ParameterValue, 'Run a local Session network on loopback: service nodes in swarms, a seed, and a file server')
            [CompletionResult]::new('nodes', 'nodes', [CompletionResultType]::ParameterValue, 'List the service nodes of the network')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a message to one or more Session IDs through onion paths')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Receive new messages through onion paths, each exactly once')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe service nodes directly: are they up, healthy, and usable as onion relays?')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Show, rebuild or test the onion paths, as the Session apps'' Path screen shows them')
            [CompletionResult]::new('swarm', 'swarm', [CompletionResultType]::ParameterValue, 'Show the swarm that stores a Session ID''s messages, as the network answers it')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Print the Session ID registered for an ONS name')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Set or show the display name and avatar your messages carry')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete messages from your own swarm')
            [CompletionResult]::new('unsend', 'unsend', [CompletionResultType]::ParameterValue, 'Unsend messages you sent: delete them from the recipient''s view')
            [CompletionResult]::new('react', 'react', [CompletionResultType]::ParameterValue, 'React to a message with an emoji, or take the reaction back')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Tell RECIPIENT you read their messages (a read receipt)')
            [CompletionResult]::new('typing', 'typing', [CompletionResultType]::ParameterValue, 'Show RECIPIENT that you are typing, or that you stopped')
            [CompletionResult]::new('accept', 'accept', [CompletionResultType]::ParameterValue, 'Accept RECIPIENT''s message request')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Serve JSON-RPC 2.0 for one identity on a Unix socket or standard input/output')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print where the configuration file is, or the settings in effect')
            [CompletionResult]::new('contact', 'contact', [CompletionResultType]::ParameterValue, 'Name Session IDs: send to ''mom'' rather than to 66 hex characters')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sesh;help;keygen' {
            break
        }
        'sesh;help;recover' {
            break
        }
        'sesh;help;id' {
            break
        }
        'sesh;help;phrase' {
            break
        }
        'sesh;help;seal' {
            break
        }
        'sesh;help;open' {
            break
        }
        'sesh;help;devnet' {
            break
        }
        'sesh;help;nodes' {
            break
        }
        'sesh;help;send' {
            break
        }
        'sesh;help;receive' {
            break
        }
        'sesh;help;probe' {
            break
        }
        'sesh;help;path' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the onion paths (building them when there are none)')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Drop the onion paths and their guards, build new ones, and show them')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Measure each hop''s latency with onion requests ending at hop 1, 2 and 3')
            break
        }
        'sesh;help;path;show' {
            break
        }
        'sesh;help;path;new' {
            break
        }
        'sesh;help;path;test' {
            break
        }
        'sesh;help;swarm' {
            break
        }
        'sesh;help;resolve' {
            break
        }
        'sesh;help;profile' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the display name or the avatar that every message sent carries')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the profile')
            break
        }
        'sesh;help;profile;set' {
            break
        }
        'sesh;help;profile;show' {
            break
        }
        'sesh;help;delete' {
            break
        }
        'sesh;help;unsend' {
            break
        }
        'sesh;help;react' {
            break
        }
        'sesh;help;read' {
            break
        }
        'sesh;help;typing' {
            break
        }
        'sesh;help;accept' {
            break
        }
        'sesh;help;daemon' {
            break
        }
        'sesh;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the configuration file, whether or not it exists')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the settings in effect and where each came from')
            break
        }
        'sesh;help;config;path' {
            break
        }
        'sesh;help;config;show' {
            break
        }
        'sesh;help;contact' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Name a Session ID (or the Session ID of an ONS name, resolved now)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the contacts')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a contact')
            break
        }
        'sesh;help;contact;add' {
            break
        }
        'sesh;help;contact;list' {
            break
        }
        'sesh;help;contact;rm' {
            break
        }
        'sesh;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
