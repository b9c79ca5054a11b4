
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sesh-node' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sesh-node'
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
        'sesh-node' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The node''s directory, created if missing; one node at a time (it holds DIR/lock)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The address to listen on (port 0: any free port)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Write the log to FILE (''-'' for standard error) [default: DIR/node.log]')
            [CompletionResult]::new('--roster', '--roster', [CompletionResultType]::ParameterName, 'The node list to serve and route by (a get_n_service_nodes result, as `sesh devnet` writes it); re-read when it changes. Until it exists the node answers 503. Not taken by a file server')
            [CompletionResult]::new('--clock-offset-ms', '--clock-offset-ms', [CompletionResultType]::ParameterName, 'Add this many milliseconds to the node''s clock (to test clock skew)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the listening line as JSON')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Act as a seed: answer get_n_service_nodes on /json_rpc, and nothing else')
            [CompletionResult]::new('--file-server', '--file-server', [CompletionResultType]::ParameterName, 'Act as a Session file server on plain HTTP (uploads, downloads, onion v4 requests), not as a service node')
            [CompletionResult]::new('--stop-on-stdin-eof', '--stop-on-stdin-eof', [CompletionResultType]::ParameterName, 'Stop when standard input reaches its end: a launcher that holds the other end of a pipe (as `sesh devnet` does) takes its nodes with it however it ends')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
