#!/usr/bin/env bash
# Sets everything up, then runs all the tests: every test in a normal build, and the unit
# tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
jobs=${OS1_JOBS:-$(nproc)}

scripts/setup.sh --tests
ctest --test-dir build --output-on-failure -j "$jobs"

scripts/setup.sh --tests --sanitize --build-dir build-sanitize
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure -L unit -j "$jobs"
