#!/usr/bin/env bash
# The networked benchmark, in one command (Debian 12, as root):
#
#   bash bench/mesh_bench.sh [--quick] [--repeat N] [other mesh_bench options]
#
# Installs nats-server and libnats-dev if missing (and the build's own
# dependencies through scripts/install-deps.sh), builds `mesh_bench` and
# `switchboard` in build/ (or $SWITCHBOARD_BUILD_DIR) as RelWithDebInfo
# unless it is already a Release build, starts every server on 127.0.0.1
# with a port picked by the OS, runs mesh_bench against them and prints its
# results. Every server is stopped on exit, however the script ends.
#
#   a  mesh_bench (embedded mesh node) -> daemon node D (no routes) -> node W
#      (`switchboard serve`, serves `echo`, connects to D as a [[peer]])
#   b  mesh_bench (embedded mesh node) -> daemon node S, serving `echo`
#   c  mesh_bench -> `mesh_bench --serve-plain` (plain CAF remote actor)
#   d  mesh_bench -> nats-server -> `mesh_bench --serve-nats` (NATS
#      request-reply)
#   e  mesh_bench -> `mesh_bench --serve-relay` -> the echo server of c
#      (plain CAF: a relay actor `delegate`s to the remote echo actor; the
#      counterpart of a without the router). Needs c's server, which then
#      starts even if --only leaves c out
#
# Path d is skipped, with a note, if mesh_bench was built without libnats.
# Only the servers of the paths that --only names start (all without it).
# --quick: one short run per measurement, for CI. Every other
# argument goes to mesh_bench (see `build/bench/mesh_bench --help`), e.g.
# `--only ace`, `--windows 1 100`, `--seconds 2`, `--scheduler sharing` (CAF's
# scheduler policy for every process: mesh_bench's and the daemons' [node]
# scheduler), `--caf KEY=VALUE` (a CAF setting for mesh_bench's own actor
# systems only, e.g. `--caf "scheduler.policy='stealing'"`). Without
# --scheduler every process keeps its default: the daemons their
# `[node] scheduler` default ("sharing"), mesh_bench's embedded callers of
# a and b `configure_mesh`'s ("sharing" when the application chose none),
# the plain CAF client and servers of c and e CAF's ("stealing"); the NATS
# responder and requester use no CAF scheduler. See docs/benchmarks.md.
set -euo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
build=${SWITCHBOARD_BUILD_DIR:-build}
export DEBIAN_FRONTEND=noninteractive

# -- dependencies --------------------------------------------------------------

if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null \
  || ! dpkg -s libcaf-dev libcli11-dev libtomlplusplus-dev >/dev/null 2>&1; then
  bash scripts/install-deps.sh
fi
missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
dpkg -s libnats-dev >/dev/null 2>&1 || missing+=(libnats-dev)
if ((${#missing[@]} > 0)); then
  echo "== installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- clean-up on exit ----------------------------------------------------------

work=$(mktemp -d)
pids=()
names=()

stop_servers() {
  local i
  for i in "${!pids[@]}"; do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  for i in "${!pids[@]}"; do
    # Waits for the exit; a server still there after 10 s is killed.
    if ! timeout 10 tail --pid="${pids[$i]}" -s 0.1 -f /dev/null; then
      echo "== ${names[$i]} ignored SIGTERM, killing it" >&2
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}

on_exit() {
  local rc=$?
  stop_servers
  # A failure shows the servers' last words; an interruption does not.
  if ((rc != 0 && rc != 130 && rc != 143)) && [[ -d $work ]]; then
    for f in "$work"/*.log; do
      [[ -s $f ]] || continue
      echo "== last lines of $(basename "$f")" >&2
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -- build ---------------------------------------------------------------------

configure=(-S . -B "$build" -DSWITCHBOARD_BUILD_BENCH=ON)
if [[ -f $build/CMakeCache.txt ]]; then
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
  case $type in
    Release | RelWithDebInfo) ;;
    *)
      echo "== $build was a '$type' build; switching it to RelWithDebInfo" >&2
      configure+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
      ;;
  esac
else
  configure+=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
echo "== building mesh_bench and switchboard in $build" >&2
cmake "${configure[@]}" >"$work/build.log" 2>&1
cmake --build "$build" --target mesh_bench switchboard >>"$work/build.log" 2>&1
bench=$build/bench/mesh_bench
switchboard=$build/switchboard
paths=$("$bench" --list-paths)

# -- servers -------------------------------------------------------------------

# start NAME COMMAND...: starts a server in the background, its stdout in
# $work/NAME.out and stderr in $work/NAME.log.
start() {
  local name=$1
  shift
  # Created here, before the fork, so that wait_for can open them at once.
  : >"$work/$name.out"
  : >"$work/$name.log"
  "$@" >>"$work/$name.out" 2>>"$work/$name.log" &
  pids+=($!)
  names+=("$name")
}

# wait_for NAME FILE REGEX: prints the first line of FILE matching REGEX,
# reading as the last started server (NAME) writes it; fails if the server
# exits first or nothing matches within 30 s.
wait_for() {
  local name=$1 file=$2 regex=$3 line
  line=$(timeout 30 tail --pid="${pids[-1]}" -n +1 -f "$file" \
    | grep -m1 -E "$regex") || true
  if [[ -z $line ]]; then
    echo "error: $name did not print /$regex/ (exited or took over 30 s)" >&2
    return 1
  fi
  printf '%s\n' "$line"
}

# The address at the end of a "... on HOST:PORT" line.
address_of() {
  sed -E 's/.* on ([^ ]+)$/\1/'
}

args=()
# --scheduler X goes to mesh_bench (its own systems) and to every daemon;
# without it each keeps its default. --only X picks the servers to start.
sched=
only=
prev=
for arg in "$@"; do
  [[ $prev == --scheduler ]] && sched=$arg
  [[ $prev == --only ]] && only=$arg
  [[ $arg == --only=* ]] && only=${arg#--only=}
  prev=$arg
done

# requested X: whether this build has path X and --only (if given) names it.
requested() {
  [[ $paths == *$1* && (-z $only || $only == *$1*) ]]
}

# The daemons' [node] line for it (a comment when they keep their default).
sched_line="# scheduler: the daemon's default"
[[ -n $sched ]] && sched_line="scheduler = \"$sched\""

if requested d; then
  start nats-server nats-server -a 127.0.0.1 -p -1
  nats=$(wait_for nats-server "$work/nats-server.log" \
    'Listening for client connections on ' | address_of)
  start nats-responder "$bench" --serve-nats "nats://$nats"
  wait_for nats-responder "$work/nats-responder.out" '^ready' >/dev/null
  args+=(--nats "nats://$nats")
fi

# The echo server of c also serves e, behind the relay.
if requested c || requested e; then
  start plain-server "$bench" --serve-plain ${sched:+--scheduler "$sched"}
  plain=$(wait_for plain-server "$work/plain-server.out" '^listening on ' \
    | address_of)
  args+=(--plain "$plain")
fi

if requested e; then
  start relay "$bench" --serve-relay "$plain" ${sched:+--scheduler "$sched"}
  relay=$(wait_for relay "$work/relay.out" '^listening on ' | address_of)
  args+=(--relayed "$relay")
fi

if requested a; then
  cat >"$work/D.toml" <<EOF
# Path a, the middle node: serves nothing, forwards to its peers.
[node]
name = "D"
$sched_line
listen = "127.0.0.1:0"
drain = "1s"

[mesh]
heartbeat = "500ms"
peer_timeout = "2s"
EOF
  start D "$switchboard" serve --config "$work/D.toml"
  d=$(wait_for D "$work/D.out" '^listening on ' | address_of)
  cat >"$work/W.toml" <<EOF
# Path a, the worker node: serves echo, connects to D.
[node]
name = "W"
$sched_line
drain = "1s"

[mesh]
heartbeat = "500ms"
peer_timeout = "2s"

[[peer]]
connect = "$d"

[[route]]
name = "echo"
handler = "echo"
workers = 2
EOF
  # mesh_bench waits until D offers `echo`, i.e. until W has joined.
  start W "$switchboard" serve --config "$work/W.toml"
  args+=(--routed "$d")
fi

if requested b; then
  cat >"$work/S.toml" <<EOF
# Path b: one node that serves echo itself.
[node]
name = "S"
$sched_line
listen = "127.0.0.1:0"
drain = "1s"

[mesh]
heartbeat = "500ms"
peer_timeout = "2s"

[[route]]
name = "echo"
handler = "echo"
workers = 2
EOF
  start S "$switchboard" serve --config "$work/S.toml"
  s=$(wait_for S "$work/S.out" '^listening on ' | address_of)
  args+=(--served "$s")
fi

# -- measure -------------------------------------------------------------------

echo "# $(date -u +%Y-%m-%dT%H:%MZ) commit $(git rev-parse --short HEAD \
  2>/dev/null || echo unknown), $(nproc) cpus: $(sed -n \
  's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# servers: ${names[*]}"
# In the background so that a signal to this script runs the clean-up at
# once (bash defers traps until a foreground command ends); it is stopped
# with the servers.
"$bench" "${args[@]}" "$@" &
pids+=($!)
names+=(mesh_bench)
wait "${pids[-1]}"
