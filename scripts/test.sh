#!/usr/bin/env bash
# Sets everything up, then runs all the tests: every test in a normal build, the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer, the tests labelled `threads`
# under ThreadSanitizer, and a short run of every fuzz target.
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

# ThreadSanitizer over the tests labelled `threads`, on the models that the first build
# generated; this build too compiles only what those tests need.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOS1_LLAMA_PREFIX="$llama_prefix" \
    -DOS1_SANITIZE_THREAD=ON -DOS1_TEST_MODELS_DIR="$repo_root/build/test-models" >/dev/null
cmake --build build-tsan --target os1-thread-tests -j "$jobs"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build-tsan --output-on-failure -L threads -j "$jobs"

# Every fuzz target for 15 seconds (a minute and a half in all), from its seed corpus and what
# earlier runs kept: a smoke test that the targets build and that nothing they already reach
# crashes. scripts/fuzz.sh alone runs them for longer (10 minutes each by default).
OS1_LLAMA_PREFIX="$llama_prefix" scripts/fuzz.sh --seconds 15
