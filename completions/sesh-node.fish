complete -c sesh-node -l dir -d 'The node\'s directory, created if missing; one node at a time (it holds DIR/lock)' -r -F
complete -c sesh-node -l listen -d 'The address to listen on (port 0: any free port)' -r
complete -c sesh-node -l log -d 'Write the log to FILE (\'-\' for standard error) [default: DIR/node.log]' -r -F
complete -c sesh-node -l roster -d 'The node list to serve and route by (a get_n_service_nodes result, as `sesh devnet` writes it); re-read when it changes. Until it exists the node answers 503. Not taken by a file server' -r -F
complete -c sesh-node -l clock-offset-ms -d 'Add this many milliseconds to the node\'s clock (to test clock skew)' -r
complete -c sesh-node -l json -d 'Print the listening line as JSON'
complete -c sesh-node -l seed -d 'Act as a seed: answer get_n_service_nodes on /json_rpc, and nothing else'
complete -c sesh-node -l file-server -d 'Act as a Session file server on plain HTTP (uploads, downloads, onion v4 requests), not as a service node'
complete -c sesh-node -l stop-on-stdin-eof -d 'Stop when standard input reaches its end: a launcher that holds the other end of a pipe (as `sesh devnet` does) takes its nodes with it however it ends'
complete -c sesh-node -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sesh-node -s V -l version -d 'Print version'
