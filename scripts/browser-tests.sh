#!/usr/bin/env bash
# The package's browser tests (wasm-pack test) in one browser: `chrome` or `firefox`.
# Starts tests/browser/cors_backend.mjs first, a backend on another origin (a free loopback
# port), and hands its URL to the tests, which read it when they are compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
browser="${1:?usage: browser-tests.sh chrome|firefox}"
# wasm-bindgen-test-runner takes the first driver it finds in the environment (GECKODRIVER before
# CHROMEDRIVER): with both set, asking for Chrome would run Firefox. Keep only the one asked for.
case "$browser" in
  chrome) unset GECKODRIVER SAFARIDRIVER ;;
  firefox) unset CHROMEDRIVER SAFARIDRIVER ;;
  *) echo "browser-tests: unknown browser $browser (chrome or firefox)" >&2; exit 2 ;;
esac
log=$(mktemp)
node tests/browser/cors_backend.mjs >"$log" 2>&1 &
backend_pid=$!
trap 'kill "$backend_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
KLARNA_TEST_CORS_BACKEND=$(sed -n 's/^listening on //p' "$log")
[ -n "$KLARNA_TEST_CORS_BACKEND" ] || { echo "browser-tests: the CORS backend did not start:" >&2; cat "$log" >&2; exit 1; }
export KLARNA_TEST_CORS_BACKEND
wasm-pack test --headless "--$browser" -- --locked
