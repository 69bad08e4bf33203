#!/usr/bin/env bash
# Scale figures of the one-pipeline issue, measured against the previous release in the same run:
# `storyline cluster` and `storyline ingest` (durable batches) of N generated articles (default
# 1,000,000; `loadgen fill`: storylines of templated reports with varied people, organisations,
# places and dates over a year, ~6 % syndicated copies), with peak RSS (/usr/bin/time -v),
# articles/s, bytes on disk per article beyond its text, and the time to reopen the database.
#
#   bench/scale.sh [N] [BASE_REV]      # BASE_REV: the previous release (default 7d4c20a)
#   SCALE_SKIP_BASE=1 bench/scale.sh   # only this build
#
# The previous release is built from a git worktree into its own target dir (a few minutes the
# first time; kept in $SCALE_WORK for later runs).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BASE=${2:-7d4c20a}
WORK=${SCALE_WORK:-/tmp/storyline-scale}
mkdir -p "$WORK"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

cargo build --release -q -p storyline-cli -p storyline-loadgen
NEW=$PWD/target/release/storyline
bins=("new:$NEW")
if [ -z "${SCALE_SKIP_BASE:-}" ]; then
  if [ ! -d "$WORK/base" ]; then
    git worktree add --detach "$WORK/base" "$BASE" >/dev/null
  fi
  (cd "$WORK/base" && CARGO_TARGET_DIR="$WORK/base-target" cargo build --release -q -p storyline-cli)
  bins+=("base:$WORK/base-target/release/storyline")
fi

CORPUS=$WORK/corpus-$N.jsonl
[ -s "$CORPUS" ] || ./target/release/loadgen fill --n "$N" --out "$CORPUS" --seed 9 >&2
TEXT_BYTES=$(python3 -c '
import json,sys
print(sum(len((json.loads(l).get("title") or "").encode()) + len(json.loads(l)["text"].encode()) for l in open(sys.argv[1])))' "$CORPUS")

# run NAME BIN ARGS...: prints "seconds peak_mib"
measure() {
  local log=$WORK/time.log
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$log")
  echo "$wall $rss"
}

printf "%-6s %-8s %10s %12s %10s %14s %10s\n" build command seconds articles/s peak_MiB disk_B/article reopen_s
for b in "${bins[@]}"; do
  name=${b%%:*}; bin=${b#*:}
  read -r s rss < <(measure "$bin" cluster "$CORPUS" --out "$WORK/clusters-$name.jsonl")
  printf "%-6s %-8s %10.1f %12.0f %10s %14s %10s\n" "$name" cluster "$s" "$(echo "$N / $s" | bc -l)" "$rss" - -
  db=$WORK/db-$name.redb
  rm -f "$db"
  read -r s rss < <(measure "$bin" ingest "$CORPUS" --db "$db")
  size=$(stat -c %s "$db")
  per=$(( (size - TEXT_BYTES) / N ))
  # Reopen: open the database (load the snapshot, replay the log after it); the export of one
  # unknown id (the previous release has no `delete`) or the delete of one fails right after.
  start=$(date +%s.%N)
  if [ "$name" = new ]; then
    "$bin" delete --db "$db" __no_such_article__ >/dev/null 2>&1 || true
  else
    "$bin" export --db "$db" --out /dev/null >/dev/null 2>&1 || true
  fi
  reopen=$(echo "$(date +%s.%N) - $start" | bc -l)
  printf "%-6s %-8s %10.1f %12.0f %10s %14s %10.1f\n" "$name" ingest "$s" "$(echo "$N / $s" | bc -l)" "$rss" "$per" "$reopen"
done
echo "(N = $N generated articles, $TEXT_BYTES bytes of title + text; reopen: open, then one failing delete (new) or a whole export to /dev/null (base, which has no delete))"
