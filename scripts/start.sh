#!/usr/bin/env bash
# The demo in one command: installs what is missing, builds the package, and starts
# partner-server with the embedded Klarna Network simulator. Extra arguments go to the
# server (for example `npm start -- --port 9000`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build.sh
cargo build --locked -p partner-server
exec target/debug/partner-server "$@"
