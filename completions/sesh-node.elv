
use builtin;
use str;

set edit:completion:arg-completer[sesh-node] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sesh-node'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sesh-node'= {
            cand --dir 'The node''s directory, created if missing; one node at a time (it holds DIR/lock)'
            cand --listen 'The address to listen on (port 0: any free port)'
            cand --log 'Write the log to FILE (''-'' for standard error) [default: DIR/node.log]'
            cand --roster 'The node list to serve and route by (a get_n_service_nodes result, as `sesh devnet` writes it); re-read when it changes. Until it exists the node answers 503. Not taken by a file server'
            cand --clock-offset-ms 'Add this many milliseconds to the node''s clock (to test clock skew)'
            cand --json 'Print the listening line as JSON'
            cand --seed 'Act as a seed: answer get_n_service_nodes on /json_rpc, and nothing else'
            cand --file-server 'Act as a Session file server on plain HTTP (uploads, downloads, onion v4 requests), not as a service node'
            cand --stop-on-stdin-eof 'Stop when standard input reaches its end: a launcher that holds the other end of a pipe (as `sesh devnet` does) takes its nodes with it however it ends'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
