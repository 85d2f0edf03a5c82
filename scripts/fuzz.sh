#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, in build-fuzz/ with clang, ASan and UBSan) and runs each
# for a set time. New inputs that reach new code are kept in .fuzz/corpus/TARGET (git-ignored)
# and fed back on the next run, together with the seed corpus in fuzz/corpus/TARGET. A crash,
# hang, leak or memory blow-up stops that target and leaves its reproducer in
# .fuzz/crashes/TARGET/; rerun it with `build-fuzz/fuzz/TARGET FILE`.
#
# Usage: scripts/fuzz.sh [--seconds N] [--parallel P] [TARGET...]
#   --seconds N    how long each target runs (default 600)
#   --parallel P   how many targets run at once (default 1)
#   TARGET         fuzz-completion-request, fuzz-json-body, ... (default: every fuzz/fuzz-*.cpp)
#
# Prints, per target, the executions, the coverage (libFuzzer's cov: and ft:) and the corpus
# size. Exits 1 when any target found a problem, 2 on a usage error.
# Environment: CXX and CC (default clang++-14 and clang-14), OS1_LLAMA_PREFIX, OS1_JOBS.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"

seconds=600
parallel=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=${2:?--seconds needs a number}; shift ;;
        --parallel) parallel=${2:?--parallel needs a number}; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done
case "$seconds$parallel" in
    *[!0-9]*) echo "fuzz: --seconds and --parallel take whole numbers" >&2; exit 2 ;;
esac
[ "$parallel" -ge 1 ] || parallel=1
if [ ${#targets[@]} -eq 0 ]; then
    for source in fuzz/fuzz-*.cpp; do
        targets+=("$(basename "$source" .cpp)")
    done
fi
for target in "${targets[@]}"; do
    if [ ! -f "fuzz/$target.cpp" ]; then
        echo "fuzz: no target '$target' (fuzz/$target.cpp does not exist)" >&2
        exit 2
    fi
done

# The longest input each target is given: room for what its format needs, and no more, since
# longer inputs make every run slower.
max_len_of() {
    case "$1" in
        fuzz-http-request) echo 16384 ;;
        fuzz-persona-card) echo 32768 ;;
        fuzz-memory-import) echo 32768 ;;
        fuzz-time-expression) echo 1024 ;;
        fuzz-lorebook) echo 2048 ;;
        fuzz-model-check) echo 65536 ;;
        fuzz-whisper-model-file) echo 16384 ;;
        *) echo 16384 ;;
    esac
}

# --- the build --------------------------------------------------------------------------
export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}
if ! command -v "$CXX" >/dev/null 2>&1; then
    echo "fuzz: $CXX is missing; install clang-14, libclang-rt-14-dev and libomp-14-dev (or set CXX and CC)" >&2
    exit 1
fi
llama_prefix=${OS1_LLAMA_PREFIX:-}
if [ -z "$llama_prefix" ] && [ -f build/CMakeCache.txt ]; then
    llama_prefix=$(grep '^OS1_LLAMA_PREFIX:' build/CMakeCache.txt | cut -d= -f2-)
fi
[ -n "$llama_prefix" ] || llama_prefix=$(scripts/build-llama.sh | tail -n 1)
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DOS1_LLAMA_PREFIX="$llama_prefix" -DOS1_FUZZ=ON -DOS1_BUILD_TESTS=OFF)
command -v ccache >/dev/null 2>&1 && cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz "${cmake_args[@]}" >/dev/null
cmake --build build-fuzz --target "${targets[@]}" -j "${OS1_JOBS:-$(nproc)}"

# --- the runs ---------------------------------------------------------------------------
mkdir -p .fuzz/logs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_target() {
    local target=$1
    local corpus=.fuzz/corpus/$target crashes=.fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes" "fuzz/corpus/$target"
    local args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")" -timeout=10 -rss_limit_mb=2048
                -artifact_prefix="$crashes/" -print_final_stats=1)
    [ -f "fuzz/$target.dict" ] && args+=(-dict="fuzz/$target.dict")
    # New inputs go to the first folder; the seeds are only read.
    "build-fuzz/fuzz/$target" "${args[@]}" "$corpus" "fuzz/corpus/$target" >".fuzz/logs/$target.log" 2>&1
}

running=0
for target in "${targets[@]}"; do
    echo "fuzz: $target for ${seconds}s (log: .fuzz/logs/$target.log)" >&2
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

# --- the report -------------------------------------------------------------------------
failed=0
printf '%-26s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
for target in "${targets[@]}"; do
    log=.fuzz/logs/$target.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # The last status line: "#123 DONE cov: 456 ft: 789 corp: 12/3Kb ..." (or the last pulse).
    status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
    artifacts=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    result=ok
    if [ -n "$artifacts" ] || ! grep -q '^Done [0-9]* runs' "$log"; then
        result="FAILED: see $log"
        failed=1
    fi
    printf '%-26s %12s %8s %8s %8s  %s\n' "$target" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    for artifact in $artifacts; do
        printf '    reproducer: %s (rerun: build-fuzz/fuzz/%s %s)\n' "$artifact" "$target" "$artifact"
    done
done
exit "$failed"
