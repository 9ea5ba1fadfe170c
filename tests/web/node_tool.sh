#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one of the page's node tools from web/ for ctest:
#   node_tool.sh lint | unit | static ARTIFACTS_DIR | qr TUTTI_QR_PRINT ARTIFACTS_DIR
#                | live TUTTI PROGRAM.dsp ARTIFACTS_DIR PORT
# Exits 77 (ctest: skipped) when node is absent, with a message saying so;
# scripts/setup.sh installs node and the pinned tools, so CI runs them all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
web="$here/../../web"
if ! command -v node >/dev/null 2>&1; then
    echo "SKIPPED: node is not installed (scripts/setup.sh installs nodejs and npm)"
    exit 77
fi
need_modules() {
    if [ ! -d "$web/node_modules/$1" ]; then
        echo "error: web/node_modules/$1 is missing: run scripts/setup.sh (npm ci in web/)" >&2
        exit 1
    fi
}
# Everything that can touch the network runs in a namespace with only lo.
in_netns() {
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
}
cd "$web"
case "${1:-}" in
    lint)
        need_modules eslint
        node node_modules/eslint/bin/eslint.js --max-warnings 0 .
        echo "eslint: 0 problems"
        ;;
    unit)
        node --test test/*.test.js
        ;;
    static)
        need_modules playwright-core
        in_netns node e2e/static_page.js "$2"
        ;;
    qr)
        need_modules playwright-core
        in_netns node e2e/qr_decode.js "$2" "$3"
        ;;
    live)
        need_modules playwright-core
        in_netns node e2e/live_page.js "$2" "$3" "$4" "$5"
        ;;
    *)
        echo "usage: node_tool.sh lint|unit|static DIR|qr QR_PRINT DIR|live TUTTI DSP DIR PORT" >&2
        exit 2
        ;;
esac
