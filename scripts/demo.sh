#!/usr/bin/env bash
# Quick start, part 1: install the dependencies, build, and start the
# daemon in the foreground on its built-in default configuration
# (127.0.0.1:7700, a built-in `echo` route). Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target switchboard hello_plugin embedding_example
exec ./build/switchboard serve
