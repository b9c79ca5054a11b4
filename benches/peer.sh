#!/usr/bin/env bash
# sesh side by side with session-python (PyPI, MIT): the same seal, open of 2,000 payloads and
# 1,000-message receive, each as a ratio measured in the same run (issue 11, target 7).
#
#   benches/peer.sh            # full run, a few minutes
#   benches/peer.sh --quick    # smaller counts, about a minute
#
# Builds sesh and sesh-node (release), installs session-python into its own virtual
# environment (target/peer-venv, kept between runs; SESH_PEER_VENV moves it), runs sesh's
# `message/seal` criterion benchmark for the in-process seal figure (SKIP_CRITERION=1 skips
# it), then benches/peer.py, which prints Markdown tables for BENCHMARKS.md. Only pip talks
# to PyPI; everything else stays on 127.0.0.0/8. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
version=${SESSION_PYTHON_VERSION:-1.0.5}
python=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-$repo/target}
venv=${SESH_PEER_VENV:-$target/peer-venv}

echo "==> Building sesh and sesh-node (release)" >&2
cargo build --release --locked --bins --quiet
sesh=$target/release/sesh

if ! "$venv/bin/python" -m pip show session-python 2>/dev/null | grep -qx "Version: $version"; then
    echo "==> Installing session-python $version into $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "session-python==$version"
fi

estimates=$target/criterion/message/seal/5/new/estimates.json
if [ "${SKIP_CRITERION:-0}" != 1 ]; then
    echo "==> cargo bench --bench message -- 'message/seal/5\$'" >&2
    cargo bench --locked --bench message -- 'message/seal/5$' >&2
fi
[ -e "$estimates" ] && export SESH_CRITERION_SEAL=$estimates

echo "==> Comparing" >&2
exec "$venv/bin/python" "$repo/benches/peer.py" "$sesh" "$@"
