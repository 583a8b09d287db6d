#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm for the web target, optimized for size with
# a current wasm-opt (the binaryen npm package), then the finishing touches of finish-pkg.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

[ -x node_modules/.bin/wasm-opt ] || { echo "build: run 'npm run setup' first (no node_modules/.bin/wasm-opt)" >&2; exit 1; }

wasm-pack --quiet build --release --target web --out-dir pkg --no-opt
# Features rustc enables for wasm32 by default; wasm-opt must be told it may keep them.
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-reference-types --enable-multivalue \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  pkg/klarna_payment_button_bg.wasm -o pkg/klarna_payment_button_bg.wasm
node scripts/finish-pkg.mjs
echo "build: pkg/ is ready ($(du -sb pkg | cut -f1) bytes on disk; 'npm run size' for transfer sizes)"
