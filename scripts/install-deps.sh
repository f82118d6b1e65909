#!/usr/bin/env bash
# Installs what Switchboard needs to build and test, from Debian 12's own
# packages (run as root). Nothing is downloaded from anywhere else. (`openssl`,
# the command, makes the TLS tests' certificates. libsystemd-dev and
# pkgconf: the node's sd_notify.)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build make \
  libcaf-dev libtomlplusplus-dev catch2 libcli11-dev libssl-dev openssl \
  libsystemd-dev pkgconf \
  >/dev/null
