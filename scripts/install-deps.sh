#!/usr/bin/env bash
# Installs what Switchboard needs to build and test, from Debian 12's own
# packages (run as root). Nothing is downloaded from anywhere else. (`openssl`,
# the command, makes the TLS tests' certificates.)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build make \
  libcaf-dev libtomlplusplus-dev catch2 libcli11-dev libssl-dev openssl \
  libcpp-httplib-dev pkg-config curl \
  >/dev/null
