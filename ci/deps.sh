#!/usr/bin/env bash
# Install what pyleak-ci needs to build and test on Debian 12.
set -euo pipefail

packages=(
    cmake make gcc clang pkg-config
    python3.11 python3.11-dev python3.11-dbg libpython3.11-dbg
    python3.11-venv python3-pytest python3-pytest-asyncio python3-yaml
    libpython3.11-testsuite
    python3-exceptiongroup python3-tomli  # pytest on the 3.9/3.10 test venvs
    python3-numpy python3-hypothesis
    libxml2-dev libxml2-utils libcmocka-dev libjansson-dev
    libclang-rt-14-dev clang-format-14 valgrind
    chromium
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "ci/deps.sh: installed ${packages[*]}"
