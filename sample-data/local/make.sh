#!/usr/bin/env bash
# Re-creates the runs in this folder: two HTTP servers on 127.0.0.1, each loaded for 5 s by oha
# (per-request CSV) while psrecord records the server's CPU and memory. Loopback only, bounded.
# Needs: oha (cargo install oha), psrecord (pip install psrecord), python3.
set -euo pipefail
cd "$(dirname "$0")"
www=$(mktemp -d)
trap 'rm -rf "$www"' EXIT
python3 -c "import json; json.dump([{'id': i, 'name': f'recipe {i}'} for i in range(40)], open('$www/recipes.json', 'w'))"

run() {  # name, port, server command...
  local name=$1 port=$2; shift 2
  mkdir -p "$name"
  "$@" &
  local pid=$!
  sleep 1
  psrecord "$pid" --interval 0.25 --include-children --log "$name/psrecord.log" --duration 8 &
  local rec=$!
  sleep 1
  oha -z 5s -c 10 --no-tui --output-format csv "http://127.0.0.1:$port/recipes.json" > "$name/oha.csv"
  wait "$rec" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run threaded-python 8101 python3 -m http.server 8101 --bind 127.0.0.1 --directory "$www"
run asyncio-python 8102 python3 "$PWD/asyncio_server.py" 8102 "$www/recipes.json"
