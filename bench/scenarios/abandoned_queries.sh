#!/usr/bin/env bash
# bench/scenarios/abandoned_queries.sh [config] [queries] [deadline_ms] [killed] [words...]
# With the overlay of CONFIG (default configs/one_host.json) running:
#  1. QUERIES (default 10000) queries whose client gives up after
#     DEADLINE_MS (default 2) ms (overlay_bench --deadline), 20 in flight;
#  2. KILLED (default 200) overlay_client processes SIGKILLed while their
#     query is in flight (node F is held with SIGSTOP meanwhile, and they
#     ask with --no-cache, so none of their queries can be answered before
#     the kill, not even from a cached plan);
#  3. 20 overlay_client processes pulling every record (get_all, 1.1M rows
#     on the real data) SIGKILLed mid-pull (PULLERS=0 skips it);
# then polls every node's metrics until nothing is held or in flight
# (results, plans, server calls, outbound calls, running scans) and prints
# how long that took, and the portal's resident memory before and after.
# Query (WORDS): default query --param PM2.5 --min 10 --max 50 (a few ms of
# work; add --no-cache to make every one fan out).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
config="${1:-$OVERLAY_ROOT/configs/one_host.json}"
queries="${2:-10000}"
deadline="${3:-2}"
killed="${4:-200}"
shift $(( $# < 4 ? $# : 4 ))
words="$*"
[ -n "$words" ] || words="query --param PM2.5 --min 10 --max 50"
client="$OVERLAY_BIN/overlay_client"
state() {  # "results plans calls outbound running portal_rss_mb" summed
  "$client" --config "$config" processes | while read -r id addr; do
    "$client" --target "$addr" --json metrics
  done | python3 -c '
import json, sys
r = p = c = o = x = 0; rss = 0
for line in sys.stdin:
    m = json.loads(line)
    r += int(m.get("resultsHeld", 0)); p += int(m.get("plansHeld", 0))
    c += int(m.get("inFlight", 0)); o += int(m.get("peerCallsInFlight", 0))
    x += int(m.get("executionsRunning", 0))
    if m.get("role") == "leader": rss = int(m.get("rssBytes", 0)) / 2**20
print(r, p, c, o, x, "%.1f" % rss)'
}
# Warm the portal up with the same query, then take the baseline.
"$OVERLAY_BIN/overlay_bench" --config "$config" --requests 200 --concurrency 4 \
  --query "$words" >/dev/null 2>&1
read -r _ _ _ _ _ rss_before <<<"$(state)"
echo "portal rss before: $rss_before MB"
"$OVERLAY_BIN/overlay_bench" --config "$config" --requests "$queries" \
  --concurrency 20 --deadline "$deadline" --query "$words" --json /tmp/abandoned.json \
  >/dev/null 2>&1 || true
python3 -c '
import json; d = json.load(open("/tmp/abandoned.json"))
print("bench: %d requests, %d ok, %d errors %s" % (d["requests"], d["ok"], d["errors"], d["errors_by_code"]))'
stalled="$OVERLAY_RUN_ROOT/$(basename "$config" .json)/F.pid"
kill -STOP "$(cat "$stalled")"
trap 'kill -CONT "$(cat "$stalled")" 2>/dev/null || true' EXIT
# In a shell of its own, so the killed jobs are not reported here.
bash -c '
  pids=()
  for _ in $(seq 1 "$1"); do
    "$2" --config "$3" --timeout 30 $4 --no-cache >/dev/null 2>&1 &
    pids+=($!)
  done
  sleep 0.5
  kill -KILL "${pids[@]}"
  wait
' _ "$killed" "$client" "$config" "$words" 2>/dev/null || true
kill -CONT "$(cat "$stalled")"
echo "killed $killed clients mid-query"
settle() {  # polls until nothing is held or in flight, at most $1 s
  local start took
  start=$(python3 -c 'import time; print(time.monotonic())')
  while :; do
    read -r r p c o x rss <<<"$(state)"
    [ "$r$p$c$o$x" = 00000 ] && break
    python3 -c "import sys, time; sys.exit(time.monotonic() - $start < $1)" && break
    sleep 0.1
  done
  took=$(python3 -c "import time; print('%.2f' % (time.monotonic() - $start))")
  printf 'held results %s plans %s calls %s outbound %s scans %s after %s s\n' \
    "$r" "$p" "$c" "$o" "$x" "$took"
  echo "portal rss after: $rss MB (before $rss_before MB)"
}
settle 10
pullers="${PULLERS:-20}"
if [ "$pullers" -gt 0 ]; then
  # Killed between two GetChunk calls, a client leaves no call to cancel:
  # its result goes at its deadline (--timeout 30).
  bash -c '
    pids=()
    for _ in $(seq 1 "$1"); do
      "$2" --config "$3" --timeout 30 --records get_all >/dev/null 2>&1 &
      pids+=($!)
    done
    sleep 1
    kill -KILL "${pids[@]}"
    wait
  ' _ "$pullers" "$client" "$config" 2>/dev/null || true
  echo "killed $pullers clients mid-pull (deadline 30 s)"
  settle 40
fi
