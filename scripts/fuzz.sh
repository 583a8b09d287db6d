#!/usr/bin/env bash
# `npm run fuzz`: cargo-fuzz (libFuzzer) on the package's reply reading, its URL and id policy,
# the model's parsers and the webhook signature check, for a bounded time each
# (FUZZ_SECONDS, default 60). Needs a nightly toolchain (libFuzzer's instrumentation); without
# one it says how to install it and fails. Writes its figures into RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${FUZZ_SECONDS:-60}"
targets=(reply url_policy api_models webhook_signature)

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: needs a nightly toolchain (libFuzzer's instrumentation); install one with" >&2
  echo "      rustup toolchain install nightly --profile minimal" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: building cargo-fuzz (a few minutes, once)"
  cargo install cargo-fuzz --locked
fi

rows=()
failed=0
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds} s"
  log=$(mktemp)
  if cargo +nightly fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    crashes=0
  else
    crashes=1
    failed=1
    tail -n 40 "$log"
  fi
  executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  corpus=$(ls "fuzz/corpus/$target" 2>/dev/null | wc -l)
  rows+=("| \`$target\` | ${seconds} s | ${executions:-?} | $corpus | $crashes |")
  echo "fuzz: $target: ${executions:-?} executions, $corpus inputs in the corpus, $crashes crash(es)"
  rm -f "$log"
done

section=$(printf '%s\n' \
  "<!-- fuzz:begin -->" \
  "Last run: $(date -u +%Y-%m-%d), \`npm run fuzz\` (FUZZ_SECONDS=$seconds), $(rustc +nightly --version)." \
  "" \
  "| target | time | executions | corpus | crashes |" \
  "|---|---|---|---|---|" \
  "${rows[@]}" \
  "<!-- fuzz:end -->")
node -e '
  const fs = require("fs");
  const text = fs.readFileSync("RELIABILITY.md", "utf8");
  fs.writeFileSync("RELIABILITY.md", text.replace(/<!-- fuzz:begin -->[\s\S]*<!-- fuzz:end -->/, process.argv[1]));
' "$section"
exit $failed
