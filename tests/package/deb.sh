#!/usr/bin/env bash
# Usage: deb.sh BUILD_DIR WORK_DIR VERSION
# Builds the .deb packages from BUILD_DIR with CPack, checks their control
# data and contents, unpacks the runtime package into WORK_DIR/root
# (dpkg-deb -x, no dpkg database, no root) and runs that copy of the binary
# on the packaged example config: it must listen and answer `call`.
set -euo pipefail
build=$1 work=$2 version=$3
arch=$(dpkg --print-architecture)
rm -rf "$work"
mkdir -p "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The packages hold the binary and the libraries it links: `switchboard`
# depends on all of them. (No-op when the build is up to date.)
cmake --build "$build" --target switchboard >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "cannot build the switchboard target"; }
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out") \
  >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log" >&2; fail "cpack failed"; }

deb=$work/out/switchboard_${version}_${arch}.deb
dev=$work/out/switchboard-dev_${version}_${arch}.deb
[[ -f $deb ]] || fail "no $(basename "$deb"); cpack made: $(ls "$work/out")"
[[ -f $dev ]] || fail "no $(basename "$dev")"

field() { dpkg-deb -f "$1" "$2"; }
[[ $(field "$deb" Package) == switchboard ]] || fail "Package: $(field "$deb" Package)"
[[ $(field "$deb" Version) == "$version" ]] || fail "Version: $(field "$deb" Version)"
[[ $(field "$deb" Architecture) == "$arch" ]] || fail "Architecture: $(field "$deb" Architecture)"
depends=$(field "$deb" Depends)
for lib in libcaf-core0.17 libcaf-io0.17 libssl3 libc6; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
[[ $(field "$dev" Package) == switchboard-dev ]] || fail "dev Package: $(field "$dev" Package)"
mkdir "$work/control"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/switchboard/switchboard.toml "$work/control/conffiles" \
  || fail "/etc/switchboard/switchboard.toml is not a conffile"

root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/switchboard etc/switchboard/switchboard.toml \
         usr/lib/systemd/system/switchboard.service \
         usr/share/doc/switchboard/switchboard.example.toml \
         usr/share/doc/switchboard/operations.md; do
  [[ -e $root/$f ]] || fail "the package lacks /$f"
done
[[ ! -e $root/usr/include ]] || fail "headers belong in switchboard-dev"
dpkg-deb -x "$dev" "$work/devroot"
[[ -f $work/devroot/usr/include/switchboard/switchboard.hpp ]] \
  || fail "switchboard-dev lacks the headers"
# usr/lib, or usr/lib/<triplet> when configured with CMAKE_INSTALL_PREFIX=/usr.
package_config=
for f in "$work"/devroot/usr/lib{,/*}/cmake/switchboard/switchboardConfig.cmake; do
  [[ -f $f ]] && package_config=$f
done
[[ -n $package_config ]] || fail "switchboard-dev lacks the CMake package"
[[ ! -e $work/devroot/usr/bin ]] || fail "the binary belongs in switchboard"

bin=$root/usr/bin/switchboard
conf=$root/etc/switchboard/switchboard.toml
"$bin" check-config "$conf" >"$work/check.log" 2>&1 \
  || { cat "$work/check.log" >&2; fail "the packaged config fails check-config"; }

# The packaged config listens on 127.0.0.1:7700, which another node on this
# machine may hold: a copy listens on port 0 and the test reads the port the
# node prints. Everything else is the packaged file.
sed 's/^listen = "127\.0\.0\.1:7700"/listen = "127.0.0.1:0"/' "$conf" >"$work/node.toml"
! cmp -s "$conf" "$work/node.toml" || fail "the packaged config has no listen = \"127.0.0.1:7700\""

mkfifo "$work/stdout"
"$bin" serve --config "$work/node.toml" >"$work/stdout" 2>"$work/stderr" &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true' EXIT
exec 3<"$work/stdout"
line=
read -r -t 20 -u 3 line || true
[[ $line == "listening on "* ]] \
  || { cat "$work/stderr" >&2; fail "no 'listening on' within 20 s; stdout: '$line'"; }
address=${line#listening on }
address=${address%% *}

reply=$(timeout 30 "$bin" call --connect "$address" --timeout 10s echo hi) \
  || fail "call echo failed"
[[ $reply == hi ]] || fail "call echo answered '$reply'"
# The exec route of the packaged config runs /usr/bin/tr.
reply=$(timeout 30 "$bin" call --connect "$address" --timeout 10s upper hi) \
  || fail "call upper failed"
[[ $reply == HI ]] || fail "call upper answered '$reply'"

kill -TERM "$pid"
timeout 30 tail --pid="$pid" -f /dev/null || fail "the node did not stop within 30 s of SIGTERM"
rc=0
wait "$pid" || rc=$?
[[ $rc == 0 ]] || { cat "$work/stderr" >&2; fail "the node exited $rc after SIGTERM"; }
trap - EXIT
echo "the packaged binary serves the packaged example config ($(basename "$deb"), $(basename "$dev"))"
