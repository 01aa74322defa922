#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
