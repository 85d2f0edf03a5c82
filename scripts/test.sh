#!/usr/bin/env bash
# Sets everything up, then runs all the tests: every test in a normal build, and the unit
# tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
jobs=${OS1_JOBS:-$(nproc)}

scripts/setup.sh --tests
ctest --test-dir build --output-on-failure -j "$jobs"

# The sanitizer build reuses the cached llama.cpp and compiles only what the unit tests need.
llama_prefix=$(grep '^OS1_LLAMA_PREFIX:' build/CMakeCache.txt | cut -d= -f2-)
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DOS1_LLAMA_PREFIX="$llama_prefix" \
    -DOS1_SANITIZE_ADDRESS=ON -DOS1_SANITIZE_UNDEFINED=ON >/dev/null
cmake --build build-sanitize --target os1-unit-tests -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure -L unit -j "$jobs"
