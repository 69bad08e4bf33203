#!/usr/bin/env bash
# Near-duplicate benchmark: Storyline (`storyline dedup`, release, end to end) vs
# datasketch 2.x and rensa 0.5 on a corpus with planted duplicates.
#   bench/run.sh            20,000 articles, 3 repetitions (medians)
#   bench/run.sh --small    2,000 articles, 1 repetition (CI)
# Extra arguments go to bench.py (e.g. --n 50000 --reps 5).
set -euo pipefail
cd "$(dirname "$0")/.."

N=20000
REPS=3
EXTRA=()
for a in "$@"; do
  case "$a" in
    --small) N=2000; REPS=1 ;;
    *) EXTRA+=("$a") ;;
  esac
done

VENV=bench/.venv
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "datasketch==2.0.*" "rensa==0.5.*"
"$VENV/bin/python" -c 'import datasketch, importlib.metadata as m; print("datasketch", m.version("datasketch"), "| rensa", m.version("rensa"))'

echo "building storyline (release)..." >&2
cargo build --release -q -p storyline-cli
BIN=target/release/storyline
if ! "$BIN" dedup --help >/dev/null 2>&1; then
  echo "error: $BIN has no 'dedup' subcommand (cmd_dedup not wired into main.rs yet)" >&2
  exit 1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

exec "$VENV/bin/python" bench/bench.py run --n "$N" --reps "$REPS" \
  --storyline "$BIN dedup" "${EXTRA[@]}"
