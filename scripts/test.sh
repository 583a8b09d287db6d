#!/usr/bin/env bash
# Every test of the project, after installing whatever is missing (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export GECKODRIVER="${GECKODRIVER:-$(command -v geckodriver)}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Every runner's output also goes to a log, so the closing line can add up what ran.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
exec > >(tee "$log") 2>&1

step "format"
cargo fmt --all --check
step "lints: workspace (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "lints: the package (wasm32)"
cargo clippy -p klarna-payment-button --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
step "native tests"
cargo test --workspace --locked
step "build pkg/"
bash scripts/build.sh
step "size budget"
node scripts/size.mjs --check
step "end-to-end in headless Chromium: the SDK stand-in, and the demo checkout through partner-server"
cargo build --workspace --bins --locked
node --test tests/e2e/
step "TypeScript types (tsc --strict)"
npx --no-install tsc -p tests/types/tsconfig.json
step "browser tests: headless Chromium (with a backend on a second loopback origin)"
bash scripts/browser-tests.sh chrome
step "browser tests: headless Firefox (with a backend on a second loopback origin)"
bash scripts/browser-tests.sh firefox
step "summary"
awk '/^test result: /{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass /{ p += $3 } /^# fail /{ f += $3 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
