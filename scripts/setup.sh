#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there.
# Idempotent: safe to run before every `npm start` / `npm test`.
# `setup.sh demo` installs only what the demo needs (no browsers or drivers).
set -euo pipefail
purpose="${1:-test}"
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
[ -n "$bindgen_version" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

apt_missing=()
if [ "$purpose" = test ]; then
  command -v chromium     >/dev/null || apt_missing+=(chromium)
  command -v chromedriver >/dev/null || apt_missing+=(chromium-driver)
  command -v firefox-esr  >/dev/null || command -v firefox >/dev/null || apt_missing+=(firefox-esr)
  command -v python3      >/dev/null || apt_missing+=(python3)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_missing+=(postgresql)
  command -v psql         >/dev/null || apt_missing+=(postgresql-client)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} from Debian (about a minute)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! command -v wasm-pack >/dev/null; then
  say "building wasm-pack (about 3 minutes on 2 cores)"
  cargo install wasm-pack --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "building wasm-bindgen-cli $bindgen_version (about 3 minutes)"
  # No --locked: one locked dependency of the CLI is missing from the registry mirror.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

if [ "$purpose" = test ] && ! command -v geckodriver >/dev/null; then
  say "building geckodriver (about 3 minutes)"
  cargo install geckodriver --locked
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "ready"
