#!/usr/bin/env bash
# Runs one libFuzzer target built by build.sh.
# Usage: fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]   (default 60 seconds)
# New inputs go to fuzz/corpus/TARGET (git-ignored); hand-written seeds in fuzz/seeds/TARGET are
# read but never written; crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET [SECONDS] [libFuzzer flags...]}
secs=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
triple=$(rustc -vV | sed -n 's/^host: //p')
bin=target/$triple/release/$target
[[ -x $bin ]] || { echo "$bin missing: run fuzz/build.sh $target first" >&2; exit 1; }
mkdir -p "corpus/$target" "artifacts/$target"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@" \
    "corpus/$target" "seeds/$target"
