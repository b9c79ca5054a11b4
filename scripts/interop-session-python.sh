#!/usr/bin/env bash
# Interoperability check: session-python (a third-party, pure-Python Session client from PyPI)
# against a sesh devnet, in both directions:
#   1. session-python sends a message to a sesh identity; `sesh receive --json` must print it,
#      from the session-python identity, with the same text;
#   2. `sesh send` sends a message to the session-python identity; session-python's poller must
#      return it, from the sesh identity, with the same text;
#   3. session-python sends a file, through the devnet's file server, to the sesh identity;
#      `sesh receive --save-attachments` must save it with identical bytes and name;
#   4. `sesh send --attach` sends a file to the session-python identity; session-python's own
#      get_file must download and decrypt it with identical bytes and name;
#   5. session-python sends a reaction, a read receipt, a typing indicator and an unsend to the
#      sesh identity; `sesh receive --json` must print each as its row type with its fields;
#   6. a bot of a few lines (contrib/echo-bot.py) runs against `sesh daemon`'s socket for the
#      sesh identity; session-python sends it a message, the bot answers through the daemon's
#      `send`, and session-python's poller must return the answer.
# session-python is installed unmodified into a scratch virtual environment; the driver
# (scripts/interop_session_python.py) only replaces its seed list at run time with the devnet's
# seed and refuses any connection outside 127.0.0.0/8. Only pip talks to PyPI.
#
# Not part of `cargo test` (it needs PyPI). Exits 0 only if both directions work. Everything
# lives in a temporary directory, removed at the end with the devnet stopped, whatever happens
# (KEEP=1 keeps the directory). SESSION_PYTHON_VERSION overrides the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

version=${SESSION_PYTHON_VERSION:-1.0.5}
python=${PYTHON:-python3}

say() { printf '\n==> %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sesh-interop.XXXXXX")
devnet_pid=""
daemon_pid=""
bot_pid=""
cleanup() {
    status=$?
    for pid in "$bot_pid" "$daemon_pid"; do
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "$devnet_pid" ]; then
        kill "$devnet_pid" 2>/dev/null || true
        wait "$devnet_pid" 2>/dev/null || true
    fi
    if [ "$status" != 0 ] && [ -s "$work/devnet.err" ]; then
        echo "--- devnet standard error:" >&2
        tail -n 20 "$work/devnet.err" >&2
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
    if [ "$status" = 0 ]; then echo "PASS: session-python $version and sesh exchange messages, files and the other kinds of content, and a bot on sesh daemon answers session-python";
    else echo "FAIL (exit status $status)" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Building sesh and sesh-node"
cargo build --locked --bins --quiet
target=${CARGO_TARGET_DIR:-$repo/target}
sesh=$target/debug/sesh
[ -x "$sesh" ] || { echo "no $sesh after cargo build" >&2; exit 1; }

say "Installing session-python $version into a scratch virtual environment"
"$python" -m venv "$work/venv"
py=$work/venv/bin/python
"$py" -m pip install --quiet --disable-pip-version-check "session-python==$version"
"$py" -m pip show session-python | sed -n 's/^\(Name\|Version\): /  \1: /p'
driver=(
    "$py" "$repo/scripts/interop_session_python.py"
)

say "Starting a devnet on loopback (10 nodes, swarms of 5, and a seed)"
"$sesh" devnet --dir "$work/devnet" --nodes 10 --swarm-size 5 >"$work/devnet.out" 2>"$work/devnet.err" &
devnet_pid=$!
for _ in $(seq 600); do
    [ -s "$work/devnet.out" ] && break
    kill -0 "$devnet_pid" 2>/dev/null || { echo "the devnet exited" >&2; exit 1; }
    sleep 0.1
done
network=$(head -n1 "$work/devnet.out")
[ -n "$network" ] && [ -e "$network" ] || { echo "the devnet did not start" >&2; exit 1; }
export SESH_NETWORK=$network SESH_STATE_DIR=$work/state
echo "  network file: $network"
awk '/^\[/{s=($0=="[[seed]]")} s && /^url = /{sub(/^url = /,"  seed: ");print} /^\[file_server\]/{f=1} f && /^url = /{sub(/^url = /,"  file server: ");print;f=0}' "$network"

say "Making identities: one with sesh, one with session-python"
sesh_id=$("$sesh" keygen -q -o "$work/sesh.key")
"${driver[@]}" new >"$work/py.json"
py_id=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["session_id"])' "$work/py.json")
py_mnemonic=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["mnemonic"])' "$work/py.json")
echo "  sesh:           $sesh_id"
echo "  session-python: $py_id"

stamp=$(date +%s)
text1="Hello sesh, from session-python $version ($stamp)"
text2="Hello session-python, from sesh ($stamp)"

say "1. session-python sends to the sesh identity; sesh receives"
"${driver[@]}" send "$network" "$py_mnemonic" "$sesh_id" "$text1"
: >"$work/received.jsonl"
found=""
for _ in 1 2 3 4 5; do
    "$sesh" receive -q -i "$work/sesh.key" --json >>"$work/received.jsonl"
    if "$py" - "$work/received.jsonl" "$py_id" "$text1" <<'PY'
import json, sys
path, sender, text = sys.argv[1:]
for line in open(path):
    m = json.loads(line)
    if m.get("type") == "message" and m.get("from") == sender and m.get("text") == text:
        sys.exit(0)
sys.exit(1)
PY
    then found=1; break; fi
    sleep 1
done
if [ -z "$found" ]; then
    echo "sesh receive did not print the message from session-python; it printed:" >&2
    cat "$work/received.jsonl" >&2
    exit 1
fi
echo "  OK: sesh receive --json printed the message from $py_id with the text \"$text1\""

say "2. sesh sends to the session-python identity; session-python polls"
"$sesh" send -q -i "$work/sesh.key" "$py_id" -m "$text2" >/dev/null
"${driver[@]}" poll "$network" "$py_mnemonic" "$sesh_id" "$text2" 10
echo "  OK: session-python's poller returned the message from $sesh_id with the text \"$text2\""

say "3. session-python sends a file to the sesh identity; sesh receive --save-attachments saves it"
head -c 300000 /dev/urandom >"$work/from-python.bin"
name3="graph from python ($stamp).bin"
"${driver[@]}" send-file "$network" "$py_mnemonic" "$sesh_id" "$work/from-python.bin" "$name3" "a file"
: >"$work/received-files.jsonl"
saved=""
for _ in 1 2 3 4 5; do
    "$sesh" receive -q -i "$work/sesh.key" --json --save-attachments "$work/saved" >>"$work/received-files.jsonl"
    saved=$("$py" - "$work/received-files.jsonl" "$py_id" <<'PY'
import json, sys
path, sender = sys.argv[1:]
for line in open(path):
    m = json.loads(line)
    for a in m.get("attachments") or []:
        if m.get("from") == sender and a.get("path"):
            print(a["path"])
            sys.exit(0)
sys.exit(1)
PY
) && break
    sleep 1
done
if [ -z "$saved" ]; then
    echo "sesh receive --save-attachments saved no attachment from session-python; it printed:" >&2
    cat "$work/received-files.jsonl" >&2
    exit 1
fi
[ "$saved" = "$work/saved/$py_id/$name3" ] || { echo "saved as $saved, expected $work/saved/$py_id/$name3" >&2; exit 1; }
cmp "$work/from-python.bin" "$saved" || { echo "the saved file differs from what session-python sent" >&2; exit 1; }
echo "  OK: sesh saved $saved with the bytes session-python sent"

say "4. sesh send --attach sends a file to the session-python identity; session-python downloads it"
head -c 250000 /dev/urandom >"$work/from-sesh.bin"
name4="log-from-sesh-$stamp.bin"
cp "$work/from-sesh.bin" "$work/$name4"
"$sesh" send -q -i "$work/sesh.key" "$py_id" --attach "$work/$name4" -m "a file from sesh" >/dev/null
got_name=$("${driver[@]}" fetch-file "$network" "$py_mnemonic" "$sesh_id" "$work/fetched.bin" 10)
[ "$got_name" = "$name4" ] || { echo "session-python saw the name \"$got_name\", expected \"$name4\"" >&2; exit 1; }
cmp "$work/from-sesh.bin" "$work/fetched.bin" || { echo "session-python decrypted different bytes" >&2; exit 1; }
echo "  OK: session-python's get_file returned the bytes sesh sent, named $name4"

say "5. session-python sends a reaction, a read receipt, a typing indicator and an unsend; sesh receives"
react_ts=$("$sesh" send -q --json -i "$work/sesh.key" "$py_id" -m "react to this" |
    "$py" -c 'import json,sys; print(json.loads(sys.stdin.readline())["timestamp"])')
"${driver[@]}" kinds "$network" "$py_mnemonic" "$sesh_id" "$react_ts" >"$work/kinds.json"
: >"$work/received-kinds.jsonl"
ok=""
for _ in 1 2 3 4 5; do
    "$sesh" receive -q -i "$work/sesh.key" --json --only message,reaction,receipt,typing,unsend \
        >>"$work/received-kinds.jsonl"
    if "$py" - "$work/received-kinds.jsonl" "$work/kinds.json" "$sesh_id" <<'PY'
import json, sys
rows_path, sent_path, sesh_id = sys.argv[1:]
sent = json.load(open(sent_path))
rows = [json.loads(l) for l in open(rows_path) if l.strip()]
mine = [r for r in rows if r.get("from") == sent["from"]]
def has(pred):
    return any(pred(r) for r in mine)
checks = {
    "reaction": has(lambda r: r.get("type") == "reaction" and r.get("emoji") == sent["emoji"]
                    and r.get("timestamp") == sent["react_ts"] and r.get("author") == sesh_id
                    and r.get("removed") is False),
    "receipt": has(lambda r: r.get("type") == "receipt" and r.get("timestamps") == [sent["react_ts"]]),
    "typing": has(lambda r: r.get("type") == "typing" and r.get("started") is True),
    "unsend": has(lambda r: r.get("type") == "unsend" and r.get("timestamp") == sent["unsent_ts"]
                  and r.get("author") == sent["from"]),
}
missing = [k for k, v in checks.items() if not v]
if missing:
    print("missing: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PY
    then ok=1; break; fi
    sleep 1
done
if [ -z "$ok" ]; then
    echo "sesh receive did not print every kind session-python sent; it printed:" >&2
    cat "$work/received-kinds.jsonl" >&2
    exit 1
fi
echo "  OK: sesh receive --json printed the reaction, read receipt, typing indicator and unsend as their row types"

say "6. a bot on sesh daemon's socket answers session-python"
"$sesh" daemon -i "$work/sesh.key" --interval 500ms --socket "$work/bot.sock" \
    >"$work/daemon.out" 2>"$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 300); do
    [ -s "$work/daemon.out" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || { echo "sesh daemon exited:" >&2; cat "$work/daemon.err" >&2; exit 1; }
    sleep 0.1
done
[ "$(head -n1 "$work/daemon.out")" = "$work/bot.sock" ] || { echo "sesh daemon did not start" >&2; exit 1; }
echo "  sesh daemon listens on $work/bot.sock"
echo "  the bot:"
sed 's/^/    | /' "$repo/contrib/echo-bot.py"
"$py" "$repo/contrib/echo-bot.py" "$work/bot.sock" 2>"$work/bot.err" &
bot_pid=$!
text6="Hello bot, from session-python $version ($stamp)"
"${driver[@]}" send "$network" "$py_mnemonic" "$sesh_id" "$text6"
"${driver[@]}" poll "$network" "$py_mnemonic" "$sesh_id" "you said: $text6" 30 || {
    echo "--- sesh daemon's standard error:" >&2; cat "$work/daemon.err" >&2
    echo "--- the bot's standard error:" >&2; cat "$work/bot.err" >&2
    exit 1
}
kill -0 "$bot_pid" 2>/dev/null || { echo "the bot exited:" >&2; cat "$work/bot.err" >&2; exit 1; }
echo "  OK: the bot received \"$text6\" through sesh daemon and its answer reached session-python"
