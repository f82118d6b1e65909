#!/usr/bin/env bash
# Quick start, part 2: install the dependencies, build everything, and run
# the whole test suite. Extra CMake arguments may come in SWITCHBOARD_CMAKE_ARGS
# and a build directory in SWITCHBOARD_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${SWITCHBOARD_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  ${SWITCHBOARD_CMAKE_ARGS:-} >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2 --timeout 300
