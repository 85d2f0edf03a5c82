#!/usr/bin/env bash
# Builds llama.cpp (libllama + ggml, and optionally the reference tools llama-bench and
# llama-server) into a cache folder keyed by source version and build flags, so that a
# second build with the same inputs is a no-op. Prints the install prefix on the last line.
#
# Usage: scripts/build-llama.sh [--tools] [--cuda] [--source DIR]
#   --tools       also build llama-bench and llama-server (benchmarks and tests need them)
#   --cuda        build ggml's CUDA backend (needs nvcc)
#   --source DIR  use another llama.cpp checkout instead of the pinned npm bundle
#
# Environment: OS1_CACHE_DIR (default: $XDG_CACHE_HOME/os1 or ~/.cache/os1), OS1_JOBS, and
# OS1_CUDA_ARCHITECTURES (with --cuda: the GPU generations to compile for, such as 90 for
# Hopper; default ggml's own list of seven, which takes hours on a small machine).
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
want_tools=0
want_cuda=0
source_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tools) want_tools=1 ;;
        --cuda) want_cuda=1 ;;
        --source) source_dir=$(cd "$2" && pwd); shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-llama: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

cache_dir=${OS1_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/os1}
jobs=${OS1_JOBS:-$(nproc)}
mkdir -p "$cache_dir"

# --- the source -------------------------------------------------------------------------
if [ -z "$source_dir" ]; then
    bundle="$repo_root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
    if [ ! -f "$bundle" ]; then
        echo "build-llama: $bundle is missing; run 'npm ci --ignore-scripts --omit=optional' in $repo_root first" >&2
        exit 1
    fi
    version=$(node -p "require('$repo_root/node_modules/node-llama-cpp/package.json').version")
    source_dir="$cache_dir/llama.cpp-src-$version"
    if [ ! -f "$source_dir/include/llama.h" ]; then
        echo "build-llama: unpacking llama.cpp source from node-llama-cpp@$version" >&2
        rm -rf "$source_dir.tmp"
        git clone --quiet "$bundle" "$source_dir.tmp"
        mv "$source_dir.tmp" "$source_dir"
    fi
    source_id="npm-$version"
else
    source_id="dir-$(git -C "$source_dir" rev-parse HEAD 2>/dev/null || echo unversioned)-$(echo "$source_dir" | sha256sum | cut -c1-8)"
fi

# --- CPU flags --------------------------------------------------------------------------
# GGML_NATIVE (-march=native) is off on purpose: some virtual machines advertise AMX
# (amx_tile/amx_int8) but trap on AMX instructions, and a native build then dies with SIGILL
# in ggml's AMX kernels. Instead each x86 extension is enabled only if /proc/cpuinfo lists it,
# and AMX is always off. See ARCHITECTURE.md, "CPU flags".
cpu_flags=()
if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    has() { case "$flags" in *" $1 "*) echo ON ;; *) echo OFF ;; esac; }
    cpu_flags+=(
        -DGGML_SSE42="$(has sse4_2)" -DGGML_AVX="$(has avx)" -DGGML_AVX2="$(has avx2)"
        -DGGML_BMI2="$(has bmi2)" -DGGML_FMA="$(has fma)" -DGGML_F16C="$(has f16c)"
        -DGGML_AVX_VNNI="$(has avx_vnni)" -DGGML_AVX512="$(has avx512f)"
        -DGGML_AVX512_VBMI="$(has avx512vbmi)" -DGGML_AVX512_VNNI="$(has avx512_vnni)"
        -DGGML_AVX512_BF16="$(has avx512_bf16)"
        -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
    )
fi

cmake_args=(
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DGGML_NATIVE=OFF -DGGML_CCACHE=OFF -DGGML_OPENMP=ON
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_COMMON=ON
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF
    -DLLAMA_TOOLS_INSTALL=ON
    "${cpu_flags[@]}"
)
if [ "$want_cuda" = 1 ]; then
    # NCCL only helps across several GPUs; one process on one GPU should not need it installed.
    cmake_args+=(-DGGML_CUDA=ON -DGGML_CUDA_NCCL=OFF)
    # NVIDIA's installer puts nvcc in /usr/local/cuda/bin without adding it to PATH.
    if ! command -v nvcc >/dev/null 2>&1 && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
        export CUDACXX=/usr/local/cuda/bin/nvcc
    fi
    [ -n "${OS1_CUDA_ARCHITECTURES:-}" ] && cmake_args+=(-DCMAKE_CUDA_ARCHITECTURES="$OS1_CUDA_ARCHITECTURES")
fi

key=$(printf '%s\n' "$source_id" "${cmake_args[@]}" | sha256sum | cut -c1-12)
build_dir="$cache_dir/llama.cpp-build-$key"
prefix="$cache_dir/llama.cpp-$key"

# --- build ------------------------------------------------------------------------------
if [ ! -f "$prefix/.libs-done" ]; then
    echo "build-llama: building libllama and ggml into $prefix (a few minutes, done once)" >&2
    cmake -S "$source_dir" -B "$build_dir" -DCMAKE_INSTALL_PREFIX="$prefix" "${cmake_args[@]}" >"$build_dir.configure.log" 2>&1 \
        || { echo "build-llama: cmake configure failed, see $build_dir.configure.log" >&2; exit 1; }
    cmake --build "$build_dir" --target llama -j "$jobs" >&2
    cmake --install "$build_dir" --component Unspecified >/dev/null 2>&1 || true
    # Install exactly the headers and archives that consumers link against.
    mkdir -p "$prefix/include" "$prefix/lib"
    cp "$source_dir"/include/llama.h "$source_dir"/include/llama-cpp.h "$prefix/include/"
    cp "$source_dir"/ggml/include/*.h "$prefix/include/"
    find "$build_dir" -name 'libllama.a' -o -name 'libggml*.a' | xargs -I{} cp {} "$prefix/lib/"
    echo "$source_dir" >"$prefix/source-dir"
    touch "$prefix/.libs-done"
fi

if [ "$want_tools" = 1 ] && [ ! -f "$prefix/.tools-done" ]; then
    echo "build-llama: building the reference tools llama-bench and llama-server (a few more minutes, done once)" >&2
    cmake --build "$build_dir" --target llama-bench llama-server -j "$jobs" >&2
    mkdir -p "$prefix/bin"
    cp "$build_dir/bin/llama-bench" "$build_dir/bin/llama-server" "$prefix/bin/"
    touch "$prefix/.tools-done"
fi

echo "$prefix"
