#!/usr/bin/env bash
# Builds the libFuzzer targets the way `cargo fuzz build` does (SanitizerCoverage + AddressSanitizer),
# on a stable toolchain: RUSTC_BOOTSTRAP=1 unlocks the one nightly flag needed (-Zsanitizer).
# Usage: fuzz/build.sh [--no-asan] [TARGET...]   (default: all targets)
set -euo pipefail
cd "$(dirname "$0")"
asan=1
if [[ "${1:-}" == "--no-asan" ]]; then asan=0; shift; fi
triple=$(rustc -vV | sed -n 's/^host: //p')
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
if [[ $asan == 1 ]]; then flags+=" -Zsanitizer=address"; fi
bins=()
for t in "$@"; do bins+=(--bin "$t"); done
RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" cargo build --release --target "$triple" "${bins[@]}"
echo "built into fuzz/target/$triple/release/"
