#!/usr/bin/env bash
# The sesh quick start: build sesh, start a local Session network (a devnet) on loopback,
# make two identities, send a message from one to the other through a 3-hop onion path,
# receive it, and show what happened. Everything stays on 127.0.0.0/8 and in a temporary
# directory, which is removed at the end (set KEEP=1 to keep it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Building sesh and sesh-node (a few minutes the first time)"
cargo build --locked --bins --quiet
sesh=$PWD/target/debug/sesh

work=$(mktemp -d "${TMPDIR:-/tmp}/sesh-quickstart.XXXXXX")
devnet_pid=""
cleanup() {
    if [ -n "$devnet_pid" ]; then kill "$devnet_pid" 2>/dev/null || true; wait "$devnet_pid" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say "Starting a devnet: 10 service nodes in swarms of 5, each on its own 127.0.X.1, and a seed"
"$sesh" devnet --dir "$work/devnet" --nodes 10 --swarm-size 5 >"$work/devnet.out" 2>"$work/devnet.err" &
devnet_pid=$!
for _ in $(seq 600); do
    [ -s "$work/devnet.out" ] && break
    if ! kill -0 "$devnet_pid" 2>/dev/null; then cat "$work/devnet.err"; exit 1; fi
    sleep 0.1
done
network=$(head -n1 "$work/devnet.out")
[ -n "$network" ] || { echo "the devnet did not start"; cat "$work/devnet.err"; exit 1; }
echo "network file: $network"
export SESH_NETWORK=$network SESH_STATE_DIR=$work/state

say "Making two identities"
alice=$("$sesh" keygen -q -o "$work/alice.key")
bob=$("$sesh" keygen -q -o "$work/bob.key")
echo "Alice: $alice"
echo "Bob:   $bob"

say "Alice sends Bob a message (sealed for Bob, stored in Bob's swarm through an onion path)"
"$sesh" send -i "$work/alice.key" "$bob" -m "Hello Bob! Sent by sesh through a 3-hop onion path."

say "The path it took, from the nodes' logs (each hop knows only its neighbours)"
for log in "$work"/devnet/node-*/node.log; do
    node=$(basename "$(dirname "$log")")
    grep -h "onion_req relay\|storage_rpc store 200 via=onion" "$log" | sed "s/^/  $node: /" || true
done | sort -k2 | cut -c1-160

say "Bob receives it (a signed retrieve from his own swarm, through an onion path)"
"$sesh" receive -i "$work/bob.key"

say "Receiving again prints nothing: each message is delivered once"
"$sesh" receive -i "$work/bob.key"
echo "(nothing new)"

say "Done: the message went Alice -> guard -> relay -> exit -> Bob's swarm, and back to Bob the same way"
