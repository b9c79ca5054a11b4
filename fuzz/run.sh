#!/bin/sh
# Runs one fuzz target, or all of them, at low priority:
#
#   fuzz/run.sh <target> [seconds]        one target (default 600 s)
#   fuzz/run.sh all [seconds] [jobs]      every target, `jobs` at a time (default 600 s, 2)
#   fuzz/run.sh list                      the targets
#
# The corpus grows in fuzz/corpus/<target>/ (git-ignored), seeded from fuzz/seeds/<target>/;
# a crash goes to fuzz/artifacts/<target>/ and a log of each run to fuzz/logs/<target>.log.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1
# unlocks the nightly flags it uses. Builds optimized with debug assertions and overflow
# checks (-O -a), so an arithmetic overflow is a finding too.
set -eu
cd "$(dirname "$0")"
# The fuzz crate is its own workspace with its own target directory.
unset CARGO_TARGET_DIR
export RUSTC_BOOTSTRAP=1

targets() { sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^sesh-fuzz$'; }

one() {
    t=$1 secs=$2
    mkdir -p "corpus/$t" "artifacts/$t" logs
    nice -n 19 cargo fuzz run -O -a "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"logs/$t.log" 2>&1 &&
        status=0 || status=$?
    done_line=$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "logs/$t.log" || echo "stopped early (see logs/$t.log)")
    echo "$t: exit $status: $done_line"
    return $status
}

case "${1:-}" in
list) targets ;;
all)
    secs=${2:-600} jobs=${3:-2}
    nice -n 19 cargo fuzz build -O -a
    targets | xargs -P "$jobs" -I{} sh -c "'$0' {} $secs || true"
    ;;
"") echo "usage: $0 <target>|all|list [seconds] [jobs]" >&2; exit 2 ;;
*)
    secs=${2:-600}
    targets | grep -qx "$1" || { echo "no target '$1' (try: $0 list)" >&2; exit 2; }
    nice -n 19 cargo fuzz build -O -a "$1"
    one "$1" "$secs"
    ;;
esac
