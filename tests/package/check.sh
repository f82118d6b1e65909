#!/usr/bin/env bash
# Usage: check.sh SOURCE_DIR BUILD_DIR WORK_DIR
# Installs the library from BUILD_DIR into WORK_DIR/prefix, then builds and
# runs the consumer against it (find_package) and from SOURCE_DIR
# (add_subdirectory).
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package" -B "$work/installed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/installed" >/dev/null
"$work/installed/consumer"
cmake -S "$src/tests/package" -B "$work/subdir" -G Ninja \
  -DSWITCHBOARD_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/subdir" >/dev/null
"$work/subdir/consumer"
echo "find_package and add_subdirectory consumers work"
