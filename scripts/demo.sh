#!/usr/bin/env bash
# Quick start, part 1: install the dependencies, build, and run the main
# program. Until the daemon lands, that is the embedding example, which
# registers one route of every handler form and prints calls and replies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target embedding_example
exec ./build/examples/embedding/embedding_example
