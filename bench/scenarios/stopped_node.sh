#!/usr/bin/env bash
# bench/scenarios/stopped_node.sh [config] [node] [runs] [query words...]
# With the overlay of CONFIG (default configs/one_host.json) running, e.g.
# from scripts/start_single_host.sh --background: stops NODE (default F)
# with SIGSTOP, runs the query RUNS times (default 3) strict and with
# --allow-partial, each with --timeout 1, and prints per run the exit code,
# the elapsed time, the records received and the missing shares; then
# resumes the node. Default query: query --param PM2.5 --min 10 --max 50
# --no-cache (from the shared cache, a repeated query needs no node at all:
# F's chunks are in the segment).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
config="${1:-$OVERLAY_ROOT/configs/one_host.json}"
node="${2:-F}"
runs="${3:-3}"
shift $(( $# < 3 ? $# : 3 ))
words=("$@")
[ ${#words[@]} -gt 0 ] || words=(query --param PM2.5 --min 10 --max 50 --no-cache)
pidfile="$OVERLAY_RUN_ROOT/$(basename "$config" .json)/$node.pid"
[ -f "$pidfile" ] || { echo "no pid file $pidfile: start the overlay first" >&2; exit 1; }
pid=$(cat "$pidfile")
client="$OVERLAY_BIN/overlay_client"
trap 'kill -CONT "$pid" 2>/dev/null || true' EXIT
kill -STOP "$pid"
echo "stopped $node (pid $pid); --timeout 1; ${words[*]}"
for run in $(seq 1 "$runs"); do
  for mode in strict partial; do
    extra=()
    [ "$mode" = partial ] && extra=(--allow-partial)
    start=$(python3 -c 'import time; print(time.monotonic())')
    set +e
    out=$("$client" --config "$config" --timeout 1 --json "${words[@]}" "${extra[@]}" 2>&1)
    code=$?
    set -e
    took=$(python3 -c "import time; print('%.3f' % (time.monotonic() - $start))")
    summary=$(printf '%s\n' "$out" | head -1 | python3 -c '
import json, sys
line = sys.stdin.read()
try:
    d = json.loads(line)
    print("records %d missing %s" % (d["records_received"],
          ",".join(m["node_id"] for m in d["missing"]) or "-"))
except ValueError:
    print(line.strip()[:160])')
    printf 'run %d %-7s exit %d  %s s  %s\n' "$run" "$mode" "$code" \
      "$took" "$summary"
  done
done
