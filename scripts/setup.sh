#!/usr/bin/env bash
# Sets up everything os1 needs on Debian 12 and builds it: Debian packages, the pinned npm
# sources (llama.cpp bundle, VADER lexicon), llama.cpp itself (cached), and os1.
#
# Usage: scripts/setup.sh [--tests] [--build-dir DIR] [--sanitize]
#   --tests        also build llama.cpp's reference tools (llama-server, llama-bench) for tests
#   --build-dir    where to build os1 (default: build)
#   --sanitize     build with AddressSanitizer and UndefinedBehaviorSanitizer
# Environment: OS1_CUDA=1 builds llama.cpp with CUDA, for the GPU generations that
# OS1_CUDA_ARCHITECTURES names (90 for Hopper, say; default ggml's seven, which take hours);
# OS1_LLAMA_SOURCE_DIR=DIR uses another llama.cpp checkout; OS1_JOBS=N sets build parallelism.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
with_tests=0
build_dir=build
sanitize=0
while [ $# -gt 0 ]; do
    case "$1" in
        --tests) with_tests=1 ;;
        --build-dir) build_dir=$2; shift ;;
        --sanitize) sanitize=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------------
packages=(build-essential cmake pkg-config git
          libsqlite3-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libcpp-httplib-dev
          libsodium-dev libboost1.81-dev libedit-dev libgtest-dev libgmock-dev
          libpocketsphinx-dev pocketsphinx-en-us flite1-dev libsamplerate0-dev libsdl2-dev)
# The browser tests (tests/e2e) drive Debian's Chromium; the fuzz targets (fuzz/) need clang,
# its libFuzzer runtime and its OpenMP (which llama.cpp's static libraries use). The voice
# tests and `os1 bench voice` synthesise speech with the flite and espeak-ng programs and add
# noise with sox.
[ "$with_tests" = 1 ] && packages+=(chromium clang-14 libclang-rt-14-dev libomp-14-dev flite espeak-ng sox)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Node.js may come from elsewhere than Debian (its own npm included); only install it if absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- pinned npm sources (integrity-checked against package-lock.json) -------------------
# True when a package that package.json names is missing or not at its locked version (a
# checkout from before the package was added, say).
npm_packages_stale() {
    node -e '
        const fs = require("fs");
        const lock = require("./package-lock.json").packages;
        const names = Object.keys({...lock[""].dependencies, ...lock[""].devDependencies});
        const stale = names.some((name) => {
            try {
                const installed = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8"));
                return installed.version !== lock[`node_modules/${name}`].version;
            } catch {
                return true;
            }
        });
        process.exit(stale ? 0 : 1);'
}
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s <(node -p "JSON.stringify(require('./package-lock.json').packages['node_modules/node-llama-cpp'].integrity)") \
        <(node -p "JSON.stringify((require('./node_modules/.package-lock.json').packages['node_modules/node-llama-cpp']||{}).integrity)") \
        || npm_packages_stale; then
    step "fetching pinned sources with npm (node-llama-cpp's llama.cpp bundle, nodejs-whisper's whisper.cpp, vader-sentiment, test tools)"
    npm ci --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error
fi

# --- llama.cpp (cached under ~/.cache/os1) ----------------------------------------------
llama_args=()
[ "$with_tests" = 1 ] && llama_args+=(--tools)
[ "${OS1_CUDA:-0}" = 1 ] && llama_args+=(--cuda)
[ -n "${OS1_LLAMA_SOURCE_DIR:-}" ] && llama_args+=(--source "$OS1_LLAMA_SOURCE_DIR")
step "llama.cpp (built once, then reused from the cache)"
llama_prefix=$(scripts/build-llama.sh "${llama_args[@]}" | tail -n 1)

# --- os1 --------------------------------------------------------------------------------
cmake_args=(-DOS1_LLAMA_PREFIX="$llama_prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
[ "$sanitize" = 1 ] && cmake_args+=(-DOS1_SANITIZE_ADDRESS=ON -DOS1_SANITIZE_UNDEFINED=ON -DCMAKE_BUILD_TYPE=Debug)
[ "${OS1_CUDA:-0}" = 1 ] && cmake_args+=(-DOS1_CUDA=ON)
step "building os1 in $build_dir"
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "${OS1_JOBS:-$(nproc)}"
