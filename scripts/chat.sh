#!/usr/bin/env bash
# Quick start: sets everything up, then starts a conversation. Arguments go to `os1 chat`.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
"$repo_root/scripts/setup.sh"
exec "$repo_root/build/src/cli/os1" chat "$@"
