#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-14 and runs each for
# N seconds, two at a time (--parallel P: P at a time). Prints per target: executions, exec/s, coverage
# (cov: and ft: of libFuzzer's last stats line) and corpus size; exits
# non-zero on any crash, leaving the crash input's path in the output.
# New inputs collect in a work directory outside the repository (printed);
# with --merge, the interesting ones are merged into tests/fuzz/corpus/.
#
#   bash scripts/fuzz.sh [--seconds N] [--parallel P] [--merge] [TARGET...]
#
# Targets: config units names mesh_table decode (default: all). Installs
# clang-14 and libclang-rt-14-dev from Debian if they are missing (as root).
# FUZZ_WORK_DIR sets the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

seconds=60
parallel=2
merge=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    --parallel) parallel=$2; shift 2 ;;
    --parallel=*) parallel=${1#--parallel=}; shift ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(config units names mesh_table decode)
case "$parallel" in
  ''|*[!0-9]*|0) echo "fuzz.sh: --parallel takes a positive number" >&2; exit 2 ;;
esac

# -- install -----------------------------------------------------------------
missing=()
command -v clang++-14 >/dev/null || missing+=(clang-14)
compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" \
  >/dev/null || missing+=(libclang-rt-14-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- build -------------------------------------------------------------------
echo "== building the fuzz targets (build-fuzz, clang-14, ASan + UBSan)"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -C tests/fuzz/fuzz.cmake "${launcher[@]}" \
  >/dev/null
cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}"
built=$(date +%s)

# -- run ---------------------------------------------------------------------
work=${FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/switchboard-fuzz.XXXXXX")}
mkdir -p "$work"
echo "== running each target for ${seconds}s, $parallel at a time (work dir: $work)"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="suppressions=$root/.ci/ubsan.supp:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp"

run_one() {
  local t=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local args=(-max_total_time="$seconds" -rss_limit_mb=2048
              -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1
              -artifact_prefix="$dir/artifacts/")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  local dirs=("$dir/corpus" "tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  # The first directory takes new inputs: the committed corpus stays as is.
  set +e
  "build-fuzz/tests/fuzz/fuzz_$t" "${args[@]}" "${dirs[@]}" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
  set -e
}

i=0
while [ $i -lt ${#targets[@]} ]; do
  pids=()
  for t in "${targets[@]:$i:$parallel}"; do
    run_one "$t" &
    pids+=($!)
  done
  wait "${pids[@]}"
  i=$((i + parallel))
done

# -- report ------------------------------------------------------------------
failed=0
printf '%-11s %12s %9s %7s %7s %7s  %s\n' target executions exec/s cov ft \
  corpus result
for t in "${targets[@]}"; do
  dir=$work/$t
  rc=$(cat "$dir/rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" != 0 ]; then
    result="FAILED (exit $rc)"
    failed=1
  fi
  printf '%-11s %12s %9s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
for t in "${targets[@]}"; do
  dir=$work/$t
  [ "$(cat "$dir/rc")" = 0 ] && continue
  echo
  echo "== fuzz_$t failed; its log ends:"
  tail -n 40 "$dir/log"
  for f in "$dir"/artifacts/*; do
    [ -e "$f" ] && echo "crash input: $f  (replay: build-fuzz/tests/fuzz/fuzz_$t $f)"
  done
done

if [ $merge = 1 ] && [ $failed = 0 ]; then
  for t in "${targets[@]}"; do
    before=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    "build-fuzz/tests/fuzz/fuzz_$t" -merge=1 "tests/fuzz/corpus/$t" \
      "$work/$t/corpus" >"$work/$t/merge.log" 2>&1
    after=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    echo "merged into tests/fuzz/corpus/$t: $before -> $after inputs"
  done
fi

echo "== fuzzing took $(( $(date +%s) - started )) s (build $(( built - started )) s)"
exit $failed
