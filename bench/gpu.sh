#!/usr/bin/env bash
# The CUDA build's tests and engine figures on a GPU host that has none of os1's build
# dependencies (a rented GPU machine, say). Two steps:
#
#   bench/gpu.sh pack BUILD_DIR BUNDLE
#       On the build machine: packs BUILD_DIR's os1 (built with OS1_CUDA=1), llama-bench from
#       the same llama.cpp build, the model tests, the shared libraries they need that are not
#       glibc or CUDA's, and llama.cpp's vocab files into BUNDLE (.tar.xz, about 55 MB for
#       one GPU generation).
#   bench/gpu.sh run BUNDLE OUT_DIR [SECONDS]
#       On the GPU host: runs the model tests, then `os1 bench engine --json` on the generated
#       0.5b model at q4_0 (again with 4 CPU threads instead of all), q8_0 and f16 and on the
#       8b shape at q4_0, each on the GPU and each against llama-bench. Writes gpu.txt, tests.log, engine-*.json, engine.log and
#       summary.txt into OUT_DIR as it goes, and skips what would not finish within SECONDS
#       (default 480).
#
# The test binaries hold the absolute paths of the build they came from; `run` recreates those
# paths as links into the unpacked bundle, so it needs write access to them (root on a
# throwaway machine).
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
model_tests=(test-engine test-token-sampler-model test-token-counter test-json-grammar-model test-embedder
             test-companion-host-engine test-chat-cli test-bench-engine)

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

pack() {
    local build_dir bundle stage
    build_dir=$(cd "$1" && pwd)
    bundle=$2
    local prefix source
    prefix=$(sed -n 's/^OS1_LLAMA_PREFIX:PATH=//p' "$build_dir/CMakeCache.txt")
    source=$(cat "$prefix/source-dir")
    grep -q '^OS1_CUDA:BOOL=ON' "$build_dir/CMakeCache.txt" ||
        { echo "gpu.sh: $build_dir is not a CUDA build (configure it with -DOS1_CUDA=ON)" >&2; exit 1; }
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' RETURN
    mkdir -p "$stage/bin" "$stage/tests" "$stage/lib" "$stage/vocab"
    cp "$build_dir/src/cli/os1" "$prefix/bin/llama-bench" "$stage/bin/"
    for test in "${model_tests[@]}"; do cp "$build_dir/tests/$test" "$stage/tests/"; done
    strip --strip-debug "$stage"/bin/* "$stage"/tests/*
    cp "$source"/models/ggml-vocab-qwen2.gguf "$source"/models/ggml-vocab-llama-bpe.gguf "$stage/vocab/"
    cp "$(sed -n 's/^OS1_VADER_LEXICON_FILE:FILEPATH=//p' "$build_dir/CMakeCache.txt")" "$stage/vader_lexicon.txt"
    # Every shared library but glibc's and CUDA's, which the GPU host has in versions that match
    # its kernel and driver.
    ldd "$stage"/bin/* "$stage"/tests/* | awk '/=> \// {print $3}' | sort -u |
        grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*|libcuda|libcudart|libcublas[^/]*)\.so' |
        while read -r lib; do cp -L "$lib" "$stage/lib/"; done
    printf 'build_dir=%q\nllama_prefix=%q\nllama_source=%q\nsource_dir=%q\n' "$build_dir" "$prefix" "$source" \
        "$repo_root" >"$stage/paths.env"
    tar -C "$stage" -cf - . | xz -T0 -9 --lzma2=dict=256MiB >"$bundle"
    echo "gpu.sh: wrote $bundle ($(du -h "$bundle" | cut -f1))" >&2
}

run() {
    local bundle out budget work started
    bundle=$(realpath "$1")
    out=$(mkdir -p "$2" && cd "$2" && pwd)
    budget=${3:-480}
    started=$(date +%s)
    work=$(mktemp -d)
    tar -C "$work" -xJf "$bundle"
    local build_dir llama_prefix llama_source source_dir
    # shellcheck disable=SC1091
    source "$work/paths.env"
    # From here on a step that fails is reported and the next one runs: a GPU machine is often
    # lent for minutes, and one failure should not cost the rest.
    set +e

    # The paths the binaries were built with, pointing into the bundle and this checkout.
    [ -e "$source_dir" ] || { mkdir -p "$(dirname "$source_dir")" && ln -s "$repo_root" "$source_dir"; }
    mkdir -p "$build_dir/src/cli" "$build_dir/tests" "$build_dir/test-models" "$llama_prefix/bin" "$llama_source/models"
    link() { [ -e "$2" ] || ln -s "$1" "$2"; }  # on the build machine itself, the build's own
    link "$work/bin/os1" "$build_dir/src/cli/os1"
    link "$work/bin/llama-bench" "$llama_prefix/bin/llama-bench"
    for vocab in "$work"/vocab/*.gguf; do link "$vocab" "$llama_source/models/$(basename "$vocab")"; done
    local cuda_libs
    cuda_libs=$(find /usr/local/ /usr/lib /opt \( -name 'libcublas.so.*' -o -name 'libcuda.so.1' \) -printf '%h\n' \
        2>/dev/null | sort -u | tr '\n' ':')
    export LD_LIBRARY_PATH="$work/lib:$cuda_libs${LD_LIBRARY_PATH:-}"
    export OS1_VADER_LEXICON="$work/vader_lexicon.txt"
    local os1="$build_dir/src/cli/os1"

    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
    { echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; ldd "$os1" | grep -E 'not found|cuda|cublas'; "$os1" --version;
      "$work/bin/llama-bench" --list-devices; } >>"$out/gpu.txt" 2>&1
    echo "== model tests" >&2
    cmake -DOS1="$os1" -DOUT="$build_dir/test-models" -P "$repo_root/tests/make-test-models.cmake" >&2
    : >"$out/tests.log"
    local passed=0 failed=0
    for test in "${model_tests[@]}"; do
        local test_start=$SECONDS
        echo "== $test" >>"$out/tests.log"
        if (cd "$work" && timeout 150 "$work/tests/$test" --gtest_brief=1) >>"$out/tests.log" 2>&1; then
            passed=$((passed + 1))
            echo "passed in $((SECONDS - test_start)) s" >>"$out/tests.log"
        else
            failed=$((failed + 1))
            echo "FAILED: $test after $((SECONDS - test_start)) s" >>"$out/tests.log"
        fi
    done
    echo "model tests on the GPU: $passed passed, $failed failed" | tee "$out/summary.txt" >&2

    # A measurement is skipped when the time left is less than an estimate of what it takes.
    local models="$work/models"
    mkdir -p "$models"
    measure() {
        local name=$1 need=$2 preset=$3 arch=$4 quant=$5 runs=$6
        local extra=("${@:7}")  # more options for os1 bench engine
        if [ $(($(date +%s) - started + need)) -gt "$budget" ]; then
            echo "$name: skipped, $need s would overrun the budget" | tee -a "$out/summary.txt" >&2
            return
        fi
        echo "== $name" >&2
        local model="$models/$name.gguf"
        "$os1" dev make-model --preset "$preset" --arch "$arch" --quant "$quant" --seed 1 --out "$model" >&2 ||
            { echo "$name: os1 dev make-model failed" >>"$out/summary.txt"; return; }
        echo "== $name" >>"$out/engine.log"
        "$os1" bench engine --model "$model" --runs "$runs" "${extra[@]}" --json >"$out/engine-$name.json" \
            2>>"$out/engine.log" ||
            echo "$name: os1 bench engine failed, see engine.log" >>"$out/summary.txt"
        rm -f "$model"
        summarise "$name" "$out/engine-$name.json" >>"$out/summary.txt" 2>/dev/null || true
    }
    measure 0.5b-q4_0 75 0.5b qwen2 q4_0 5
    # With every layer on the GPU the CPU threads only wait; whether fewer of them leave the
    # engine's own threads (the reader of each reply) a free core.
    measure 0.5b-q4_0-4-threads 75 0.5b qwen2 q4_0 5 --threads 4
    measure 0.5b-q8_0 75 0.5b qwen2 q8_0 5
    measure 0.5b-f16 60 0.5b qwen2 f16 3
    measure 8b-q4_0 200 8b llama q4_0 3
    cat "$out/summary.txt"
}

# One line per model from bench engine's JSON.
summarise() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
t, c = r["throughput"], r["conversation"]
print(f"{name}: gpu={r.get('gpu')} pp {t['prompt_processing']['os1_tps']:.0f}/{t['prompt_processing']['llama_bench_tps']:.0f} t/s"
      f" = {t['prompt_processing']['ratio']:.3f} (spread {t['prompt_processing']['spread']:.3f};"
      f" os1's first prompt after replies {t['prompt_processing']['os1_first_prompt_tps']:.0f} t/s),"
      f" gen {t['generation']['os1_tps']:.0f}/{t['generation']['llama_bench_tps']:.0f} t/s"
      f" = {t['generation']['ratio']:.3f} (spread {t['generation']['spread']:.3f}),"
      f" ttft {c['turn_1']['ttft_ms']:.1f}/{c['turn_20']['ttft_ms']:.1f}/{c['turn_50']['ttft_ms']:.1f} ms,"
      f" turn 20/1 {c['ratio_20']:.2f}, turn 50/1 {c['ratio_50']:.2f}")
k = t["generation"]["os1_token_us"]
print(f"  a generated token: os1 {k['whole']:.0f} us = llama_decode {k['decode']:.0f} + waiting {k['wait']:.0f}"
      f" + sampling and text {k['sample']:.0f} + the rest {k['rest']:.0f} ({k['graph_builds']:.0f} graphs built);"
      f" llama-bench {t['generation']['llama_bench_us_per_token']:.0f} us")
EOF
}

case "${1:-}" in
    pack) [ $# -eq 3 ] || usage; pack "$2" "$3" ;;
    run) [ $# -ge 3 ] || usage; run "$2" "$3" "${4:-}" ;;
    *) usage ;;
esac
