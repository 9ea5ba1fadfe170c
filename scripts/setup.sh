#!/usr/bin/env bash
# Installs every Debian package tutti needs to build, test and run, on Debian 12
# (bookworm). Idempotent: when everything is installed already it only checks.
# Run as root (or through sudo). `faust` is installed as the test oracle only;
# tutti never links it.
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build pkg-config ca-certificates
    # libraries
    libcli11-dev libsndfile1-dev llvm-19-dev
    # tests and benchmarks (python3: the JSON UI comparison, tests/tools/json_ui_compare.py)
    libgtest-dev libbenchmark-dev python3
    # audio: the JACK server and client library (the driver tests run a dummy-backend
    # jackd); iproute2 for `ip` in the network namespaces of the integration tests
    jackd2 libjack-jackd2-dev iproute2
    # NetJack tests: packet loss inside a network namespace (nft numgen rules)
    nftables
    # the reference compiler and its libraries (/usr/share/faust): test oracle
    faust
    # libFuzzer and sanitizers (make fuzz)
    clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages are installed"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
