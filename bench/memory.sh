#!/usr/bin/env bash
# Shows that `benchreport summary` on a JTL file streams: peak memory stays flat as the file grows.
# usage: bench/memory.sh [ROWS...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(100000 1000000)
printf '%10s %10s %10s %12s\n' rows MB seconds peak_RSS_MB
for n in "${rows[@]}"; do
  python3 bench/gen_jtl.py "$n" "$tmp/$n.jtl"
  size=$(du -m "$tmp/$n.jtl" | cut -f1)
  /usr/bin/time -f '%e %M' -o "$tmp/time" ./target/release/benchreport summary --json "$tmp/$n.jtl" > "$tmp/out.json"
  read -r secs kb < "$tmp/time"
  printf '%10s %10s %10s %12.1f\n' "$n" "$size" "$secs" "$(echo "$kb / 1024" | bc -l)"
done
