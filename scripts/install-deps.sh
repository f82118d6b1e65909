#!/usr/bin/env bash
# Installs what Switchboard needs to build and test, from Debian 12's own
# packages (run as root). Nothing is downloaded from anywhere else. (`openssl`,
# the command, makes the TLS tests' certificates. libsystemd-dev and
# pkgconf: the node's sd_notify. dpkg-dev and file: CPack's dpkg-shlibdeps
# for the .deb's Depends; dpkg-deb itself is part of dpkg. libspdlog-dev,
# with libfmt-dev: the daemon's log.)
#
# systemd (for `systemd-analyze verify` of the unit) is not installed: it is
# the init system, ~17 MB with libsystemd-shared and cryptsetup/fdisk/kmod
# libraries, and its maintainer scripts set up a whole service manager in
# what is usually a build container. The unit's test is skipped without it;
# WITH_SYSTEMD=1 installs it too.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build make \
  libcaf-dev libtomlplusplus-dev catch2 libcli11-dev libssl-dev openssl \
  libcpp-httplib-dev curl libsystemd-dev pkgconf dpkg-dev file \
  libspdlog-dev \
  >/dev/null
if [[ ${WITH_SYSTEMD:-0} == 1 ]]; then
  apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
