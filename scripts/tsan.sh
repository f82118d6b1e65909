#!/usr/bin/env bash
# CI stage: the real-thread tests (Catch tag [threads]) built with
# ThreadSanitizer (preset .ci/tsan.cmake) and run with .ci/tsan.supp. Only
# the files that hold them are built (target threads_tests, not the whole
# actor and mesh suites). Any TSan report fails the stage: halt_on_error
# makes the test process exit non-zero.
# Extra CMake arguments may come in SWITCHBOARD_CMAKE_ARGS (e.g. a compiler
# launcher), a build directory in SWITCHBOARD_TSAN_DIR (default
# build-tsan) and the number of build jobs in SWITCHBOARD_JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${SWITCHBOARD_TSAN_DIR:-build-tsan}
started=$(date +%s)

# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -C .ci/tsan.cmake \
  ${SWITCHBOARD_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --target threads_tests \
  --parallel "${SWITCHBOARD_JOBS:-2}"
built=$(date +%s)

export TSAN_OPTIONS="suppressions=$root/.ci/tsan.supp halt_on_error=1 second_deadlock_stack=1"
# TSan's shadow memory needs a fixed layout; on kernels with high mmap
# randomization it fails with "unexpected memory mapping". Without ASLR
# it always works.
run=()
if command -v setarch >/dev/null; then
  run=(setarch "$(uname -m)" -R)
fi
# One at a time: the tests bound their waits in time, and TSan slows them
# 5-15x already. The whole run is bounded too.
"${run[@]}" timeout 900 "$build/tests/threads_tests" "[threads]" \
  --durations yes
echo "== TSan stage passed: build $(( built - started )) s," \
  "tests $(( $(date +%s) - built )) s"
