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
pg_dir=""
cleanup() {
  rm -f "$log"
  [ -z "$pg_dir" ] || bash scripts/postgres.sh stop "$pg_dir"
}
trap cleanup EXIT
exec > >(tee "$log") 2>&1

# A throwaway PostgreSQL on loopback: the store's tests and the multi-instance test run on it
# (and on SQLite).
step "PostgreSQL (throwaway, loopback)"
eval "$(bash scripts/postgres.sh start)"
pg_dir=$PG_DIR
export TEST_DATABASE_URL
echo "PostgreSQL at $TEST_DATABASE_URL"

step "format"
cargo fmt --all --check
step "lints: workspace (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "lints: the package (wasm32)"
cargo clippy -p klarna-payment-button --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
step "docs: cargo doc, warnings denied"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked
step "native tests (the store on SQLite and on PostgreSQL)"
cargo test --workspace --locked
step "build pkg/"
bash scripts/build.sh
step "size budget"
node scripts/size.mjs --check
step "end-to-end: the demo checkout in headless Chromium, attacks, crashes and faults, three instances on PostgreSQL"
# The test build has the crash points of the reliability tests (inactive unless asked for).
cargo build --workspace --bins --locked --features partner-server/kill-points
node --test tests/e2e/
step "consumers: the packed tarball in a Vite app, an esbuild React page, Vitest (happy-dom, jsdom), tsc --strict, a Node import"
consumers_started=$SECONDS
node --test tests/consumers/
echo "consumers: $((SECONDS - consumers_started)) s"
step "TypeScript types (tsc --strict)"
npx --no-install tsc -p tests/types/tsconfig.json
step "browser tests: headless Chromium"
wasm-pack test --headless --chrome -- --locked
step "browser tests: headless Firefox"
wasm-pack test --headless --firefox -- --locked
step "summary"
awk '/^test result: /{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass /{ p += $3 } /^# fail /{ f += $3 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
