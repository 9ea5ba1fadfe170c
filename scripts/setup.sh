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
    # NetJack's Opus format (libopus custom modes, BSD)
    libopus-dev
    # the reference compiler and its libraries (/usr/share/faust): test oracle
    faust
    # libFuzzer and sanitizers (make fuzz)
    clang libclang-rt-14-dev
    # the browser page (issue 11): QR codes (libqrencode), their decoder for the
    # tests (zbarimg), the headless browser of the page's test (playwright-core
    # drives /usr/bin/chromium)
    libqrencode-dev zbar-tools chromium
    # the HTTP + WebSocket control server (Boost.Beast, header-only) and its tests (curl)
    libboost-dev curl
    # OSC interop tests: liblo's oscsend/oscdump, a client nobody here wrote (never linked)
    liblo-tools
    # discovery (DNS-SD): avahi-client (LGPL, linked dynamically) and, for the tests,
    # avahi-daemon on a private D-Bus bus (dbus) and avahi-browse (avahi-utils)
    libavahi-client-dev avahi-daemon avahi-utils dbus
    # TLS of tutti serve and its client (Boost.Beast's ssl_stream over OpenSSL 3,
    # Apache-2.0) and the openssl CLI that makes the tests' certificates
    libssl-dev openssl
)
# node and npm lint and test the page (web/); only when the machine has no node
# (an image may bring its own, newer node)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

# The page's pinned dev tools (eslint, playwright-core) from web/package-lock.json,
# into web/node_modules; again only when the lock file changed since.
web_tools() {
    local web
    web="$(cd "$(dirname "$0")/.." && pwd)/web"
    if [ -f "$web/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
        if ! cmp -s "$web/package-lock.json" "$web/node_modules/.tutti-installed-lock"; then
            echo "setup: npm ci in web/ (eslint, playwright-core)"
            (cd "$web" && npm ci --no-audit --no-fund --loglevel=error &&
                cp package-lock.json node_modules/.tutti-installed-lock)
        fi
    fi
}

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages are installed"
    web_tools
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
web_tools
echo "setup: done"
