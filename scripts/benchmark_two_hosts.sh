#!/usr/bin/env bash
# scripts/benchmark_two_hosts.sh [host] [port] [requests] [concurrency] [overlay_bench flags...]
# Runs overlay_bench against an overlay that is already running on two hosts
# (scripts/start_two_hosts.sh host1 on one, host2 on the other): requests go
# to host:port (default 127.0.0.1 60051, the portal), 200 requests with 20
# in flight by default, and results are saved as
#   results/bench-<config>-<UTC timestamp>.json and .svg
# The nodes scraped with GetMetrics are those of $OVERLAY_BENCH_CONFIG
# (default configs/two_hosts.json; set it empty to scrape none); a node
# that does not answer is reported unreachable, not an error. Further
# arguments go to overlay_bench, e.g. --duration 30 --rate 500.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

positional=()
while [ $# -gt 0 ] && [ ${#positional[@]} -lt 4 ] && [[ "$1" != --* ]]; do
  positional+=("$1")
  shift
done
host="${positional[0]:-127.0.0.1}"
port="${positional[1]:-60051}"
requests="${positional[2]:-200}"
concurrency="${positional[3]:-20}"
config="${OVERLAY_BENCH_CONFIG-$OVERLAY_ROOT/configs/two_hosts.json}"

[ -x "$OVERLAY_BIN/overlay_bench" ] || {
  echo "missing $OVERLAY_BIN/overlay_bench: run scripts/setup.sh first" >&2
  exit 1
}
args=(--target "$host:$port" --requests "$requests"
      --concurrency "$concurrency")
if [ -n "$config" ]; then
  [ -f "$config" ] || { echo "no such config: $config" >&2; exit 2; }
  args+=(--config "$config")
  name="$(basename "$config" .json)"
else
  name="two_hosts"
fi
results="$OVERLAY_ROOT/results"
mkdir -p "$results"
out="$results/bench-$name-$(date -u +%Y%m%dT%H%M%SZ)"

status=0
"$OVERLAY_BIN/overlay_bench" "${args[@]}" --json "$out.json" \
  --svg "$out.svg" "$@" || status=$?
if [ -f "$out.json" ]; then
  echo "results: $out.json $out.svg" >&2
fi
exit "$status"
