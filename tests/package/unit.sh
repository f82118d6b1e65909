#!/usr/bin/env bash
# Usage: unit.sh UNIT_FILE SWITCHBOARD_BIN
# Checks the systemd unit with `systemd-analyze verify`, which also checks
# that the commands exist: ExecStart is pointed at SWITCHBOARD_BIN (the
# built binary) in a copy. Any warning fails the check: verify exits 0 on
# unknown keys and bad values. Exits 77 (skipped) without systemd-analyze.
set -euo pipefail
unit=$1 bin=$2
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: systemd-analyze not found (Debian's systemd package has it)"
  exit 77
fi
for line in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'ExecStart=/usr/bin/switchboard serve --config /etc/switchboard/switchboard.toml'; do
  grep -qxF "$line" "$unit" || { echo "FAIL: the unit lacks '$line'"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#^ExecStart=/usr/bin/switchboard #ExecStart=$bin #" "$unit" \
  >"$work/switchboard.service"
rc=0
out=$(systemd-analyze verify "$work/switchboard.service" 2>&1) || rc=$?
if [[ $rc != 0 || -n $out ]]; then
  echo "FAIL: systemd-analyze verify (exit $rc):"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify accepts the unit"
