#!/usr/bin/env bash
# Reproduces the engine figures in BENCHMARKS.md: generates the 0.5b benchmark models (Qwen2.5-0.5B
# shape, random weights) at q8_0 and q4_0, then runs `os1 bench engine --json` on each, which
# also runs llama.cpp's llama-bench from the same source, in rounds. About 7 minutes a model;
# run on an otherwise idle machine.
# Usage: bench/engine.sh [BUILD_DIR] [MODEL_DIR]
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$repo_root/build}
model_dir=${2:-$build_dir/bench-models}
os1="$build_dir/src/cli/os1"
mkdir -p "$model_dir"
for quant in q8_0 q4_0; do
    model="$model_dir/qwen2-0.5b-$quant.gguf"
    [ -f "$model" ] || "$os1" dev make-model --preset 0.5b --arch qwen2 --quant "$quant" --seed 1 --out "$model"
    echo "== $quant" >&2
    "$os1" bench engine --model "$model" --json
done
