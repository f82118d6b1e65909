#!/usr/bin/env bash
# The HTTP front door against a bare cpp-httplib server, in one command
# (Debian 12, as root):
#
#   bash bench/http_bench.sh [--quick] [--connections 64] [--seconds 10]
#                            [--repeat 3] [--threads 64]
#
# Installs wrk if missing, builds `switchboard` and `http_bare` in build/
# (or $SWITCHBOARD_BUILD_DIR), starts
#   node: `switchboard serve` with [http] (threads = --threads) and the
#         built-in `echo` route
#   bare: `http_bare --threads N`, which answers the body itself
# and runs wrk with --connections keep-alive connections posting 64 bytes
# to /v1/call/echo on each, alternating, --repeat times. Prints requests/s
# and p50/p99 latency of each run, the medians, and node/bare.
# --quick: 2 s runs, once each (for CI).
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
build=${SWITCHBOARD_BUILD_DIR:-build}
connections=64
seconds=10
repeat=3
threads=64
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) seconds=2; repeat=1; shift ;;
    --connections) connections=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export DEBIAN_FRONTEND=noninteractive
if ! command -v wrk >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [[ ! -f $build/build.ninja ]]; then
  bash scripts/install-deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target switchboard http_bare >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts "$@" with stdout to FILE; waits for a line matching PATTERN and
# sets the variable NAME to its HOST:PORT. Runs in this shell (not in a
# command substitution), so `cleanup` knows the server's pid and stops it.
start() {
  local name=$1 out=$2 pattern=$3
  shift 3
  "$@" >"$out" 2>"$out.err" &
  pids+=($!)
  for _ in $(seq 1 200); do
    if grep -q "$pattern" "$out"; then
      printf -v "$name" '%s' \
        "$(grep "$pattern" "$out" | head -1 | sed 's/.* on //; s/ .*//')"
      return
    fi
    sleep 0.05
  done
  echo "server did not start: $*" >&2
  cat "$out.err" >&2
  exit 1
}

cat >"$work/node.toml" <<TOML
[node]
name = "bench"
listen = "127.0.0.1:0"

[limits]
max_in_flight = 100000

[http]
listen = "127.0.0.1:0"
threads = $threads
max_connections = 4096

[[route]]
name = "echo"
handler = "echo"
workers = 2
TOML
start node "$work/node.out" "^http listening on" "$build/switchboard" serve --config "$work/node.toml"
start bare "$work/bare.out" "^listening on" "$build/bench/http_bare" --threads "$threads"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 64)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

# wrk's summary -> "req/s p50_us p99_us"
measure() {
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" \
    "http://$1/v1/call/echo")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "non-2xx answers from $1:" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$rps $(to_us "$p50") $(to_us "$p99")"
}
to_us() {
  awk -v x="$1" 'BEGIN {
    v = x + 0; u = x; sub(/^[0-9.]+/, "", u);
    if (u == "ms") v *= 1000; else if (u == "s") v *= 1000000;
    printf "%.0f", v }'
}

echo "# http_bench connections=$connections seconds=$seconds repeat=$repeat threads=$threads payload=64B"
node_runs=()
bare_runs=()
for i in $(seq 1 "$repeat"); do
  n=$(measure "$node"); node_runs+=("$n"); echo "node run $i: req/s p50_us p99_us = $n"
  b=$(measure "$bare"); bare_runs+=("$b"); echo "bare run $i: req/s p50_us p99_us = $b"
done
median() { sort -n -k1,1 | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}'; }
nm=$(printf '%s\n' "${node_runs[@]}" | median)
bm=$(printf '%s\n' "${bare_runs[@]}" | median)
echo "median node: req/s p50_us p99_us = $nm"
echo "median bare: req/s p50_us p99_us = $bm"
awk -v n="${nm%% *}" -v b="${bm%% *}" 'BEGIN { printf "ratio node/bare = %.2f\n", n / b }'
