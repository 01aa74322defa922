#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test, including the page check in headless
# Chromium. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test needs Debian's chromium; install it when we can (root with apt-get), and
# require it in CI so that a missing browser fails instead of skipping.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the browser test..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium not installed and cannot be installed here; the browser test will be skipped"
  fi
fi
if [ "${CI:-}" = true ]; then
  export BENCHREPORT_REQUIRE_BROWSER=1
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked 2>&1 | tee "$log"
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
