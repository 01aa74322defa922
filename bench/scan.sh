#!/usr/bin/env bash
# How fast benchreport reads a large JMeter CSV JTL, next to the least a program can do with it.
#
# Generates a realistic JTL of ROWS rows (bench/gen_jtl.py), then, in ONE run and interleaved
# (each round runs every command once, so drift hits all alike), measures under /usr/bin/time -v:
#   wc -l                          counting lines, the floor
#   csvscan                        a bare csv-crate scan: one reused ByteRecord, `elapsed` parsed
#                                  (examples/csvscan.rs)
#   summary --json                 exact percentiles overall and per label, per-second series,
#                                  errors (large files identified by a head/tail fingerprint)
#   summary --json --sha256        the same with the full SHA-256 of the file
#   build                          the static site
# and prints the median and best wall time, the ratio of the median to csvscan's, and the peak
# RSS. Last, it checks that summary's p50/p90/p95/p99 equal the exact values, computed here by
# sorting every latency (nearest rank).
#
# usage: bench/scan.sh [ROWS] [ROUNDS]     (default: 2000000 5)
#        JTL=path/to/file.jtl bench/scan.sh   measures an existing file instead
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-2000000}
rounds=${2:-5}
cargo build --release --quiet --bin benchreport --example csvscan
bin=target/release/benchreport
scan=target/release/examples/csvscan
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jtl=${JTL:-}
if [ -z "$jtl" ]; then
  jtl="$tmp/run.jtl"
  python3 bench/gen_jtl.py "$rows" "$jtl"
fi
cat "$jtl" > /dev/null # the same warm page cache for every command

names=(wc_-l csvscan summary summary_--sha256 build)
command_of() {
  case "$1" in
    wc_-l) cmd=(wc -l "$jtl") ;;
    csvscan) cmd=("$scan" "$jtl") ;;
    summary) cmd=("$bin" summary --json --quiet "$jtl") ;;
    summary_--sha256) cmd=("$bin" summary --json --quiet --sha256 "$jtl") ;;
    build) cmd=("$bin" build --quiet --force -o "$tmp/site" "$jtl") ;;
  esac
}

for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    command_of "$name"
    /usr/bin/time -v -o "$tmp/time" "${cmd[@]}" > "$tmp/out.$name" 2> /dev/null
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tmp/time")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
    echo "$name $wall $rss" >> "$tmp/results"
  done
done

size_mb=$(du -m "$jtl" | cut -f1)
lines=$(wc -l < "$jtl")
echo "file: $jtl, $size_mb MB, $lines lines; $(nproc) cores; $rounds rounds"
printf '%-18s %9s %9s %12s %12s\n' command median_s best_s vs_csvscan peak_RSS_MB
median_of() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best_of() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/results" | sort -n | head -1; }
rss_of() { awk -v n="$1" '$1 == n && $3 > m { m = $3 } END { printf "%.1f", m / 1024 }' "$tmp/results"; }
base=$(median_of csvscan)
for name in "${names[@]}"; do
  median=$(median_of "$name")
  printf '%-18s %9s %9s %12s %12s\n' "${name//_/ }" "$median" "$(best_of "$name")" \
    "$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')" "$(rss_of "$name")"
done

# Exact percentiles by sorting every latency (the generated file has requests only).
python3 - "$jtl" "$tmp/out.summary" <<'EOF'
import csv, json, math, sys
with open(sys.argv[1], newline="") as f:
    rows = csv.reader(f)
    column = next(rows).index("elapsed")
    values = sorted(int(r[column]) for r in rows if len(r) > column)
load = json.load(open(sys.argv[2]))["runs"][0]["load"]
bad = 0
for p in (50, 90, 95, 99):
    exact = values[max(1, math.ceil(p / 100 * len(values))) - 1]
    got = load["latency_ms"][f"p{p}"]
    bad += got != exact
    print(f"p{p}: summary {got} ms, exact (sorted {len(values)} values) {exact} ms", "" if got == exact else "MISMATCH")
sys.exit(1 if bad else 0)
EOF
