#!/usr/bin/env bash
# The package's browser tests (wasm-pack test) in one browser: `chrome` or `firefox`.
# Starts tests/browser/cors_backend.mjs first, a backend on another origin (a free loopback
# port), and hands its URL to the tests, which read it when they are compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
browser="${1:?usage: browser-tests.sh chrome|firefox}"
log=$(mktemp)
node tests/browser/cors_backend.mjs >"$log" 2>&1 &
backend_pid=$!
trap 'kill "$backend_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
KLARNA_TEST_CORS_BACKEND=$(sed -n 's/^listening on //p' "$log")
[ -n "$KLARNA_TEST_CORS_BACKEND" ] || { echo "browser-tests: the CORS backend did not start:" >&2; cat "$log" >&2; exit 1; }
export KLARNA_TEST_CORS_BACKEND
wasm-pack test --headless "--$browser" -- --locked
