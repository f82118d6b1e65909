#!/usr/bin/env bash
# Does a call by name scale with threads like plain CAF? One command:
#
#   bash bench/threads_sweep.sh [--seconds S] [--repeat R] [--windows "W..."]
#                               [--callers C] [THREADS...]
#
# For each THREADS value (default: 1 2 4 8 16, capped by nothing: more
# threads than cores oversubscribes them), runs
#   router_bench --threads N --workers max(4, 2N) --callers C --windows W...
#                --only abcd --memory 0
# (build/bench/router_bench, or $SWITCHBOARD_BUILD_DIR) and prints, per
# window, req/s of a (direct CAF), b (by name), c (by handle), d (map of
# futures), b/a and c/a, and each contender's rate relative to its own rate
# at the first THREADS value (its scaling). Defaults: --seconds 1
# --repeat 3 --windows "100 10000" --callers 100. No larger machine than
# the one it runs on is assumed: run it where the cores are.
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
build=${SWITCHBOARD_BUILD_DIR:-build}
seconds=1
repeat=3
windows="100 10000"
callers=100
threads=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --windows) windows=$2; shift 2 ;;
    --callers) callers=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *)
      if ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
        echo "THREADS must be positive integers, got '$1'" >&2
        exit 2
      fi
      threads+=("$1"); shift ;;
  esac
done
[[ ${#threads[@]} -gt 0 ]] || threads=(1 2 4 8 16)
bin=$build/bench/router_bench
if [[ ! -x $bin ]]; then
  echo "no $bin: build it first (cmake --build $build --target router_bench)" >&2
  exit 2
fi
echo "# threads_sweep: $(nproc) cores here, callers=$callers," \
     "windows=$windows, seconds=$seconds, repeat=$repeat"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for n in "${threads[@]}"; do
  workers=$((2 * n > 4 ? 2 * n : 4))
  # shellcheck disable=SC2086 # word splitting of the window list is wanted
  "$bin" --threads "$n" --workers "$workers" --callers "$callers" \
    --windows $windows --only abcd --memory 0 --seconds "$seconds" \
    --repeat "$repeat" | sed -n "s/^bench=/threads=$n bench=/p" >>"$out"
done
awk -v first="${threads[0]}" '
  {
    for (i = 1; i <= NF; ++i) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = f["threads"] " " f["window"]
    rate[key, f["bench"]] = f["req_per_s"]
    if (!(f["window"] in seen)) { seen[f["window"]] = 1; ws[++nw] = f["window"] }
    if (!(f["threads"] in seent)) { seent[f["threads"]] = 1; ts[++nt] = f["threads"] }
  }
  function m(x) { return sprintf("%.2f M", x / 1e6) }
  function r(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
  END {
    for (w = 1; w <= nw; ++w) {
      win = ws[w]
      printf "\nwindow %s\n", win
      printf "| threads | a | b | c | d | b/a | c/a | a/a(%s) | b/b(%s) | c/c(%s) | d/d(%s) |\n", first, first, first, first
      print "|---|---|---|---|---|---|---|---|---|---|---|"
      for (t = 1; t <= nt; ++t) {
        k = ts[t] " " win; k1 = first " " win
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ts[t],
          m(rate[k, "a"]), m(rate[k, "b"]), m(rate[k, "c"]), m(rate[k, "d"]),
          r(rate[k, "b"], rate[k, "a"]), r(rate[k, "c"], rate[k, "a"]),
          r(rate[k, "a"], rate[k1, "a"]), r(rate[k, "b"], rate[k1, "b"]),
          r(rate[k, "c"], rate[k1, "c"]), r(rate[k, "d"], rate[k1, "d"])
      }
    }
  }' "$out"
