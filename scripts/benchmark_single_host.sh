#!/usr/bin/env bash
# scripts/benchmark_single_host.sh [requests] [concurrency] [config] [overlay_bench flags...]
# Starts every node of the config (default configs/one_host.json) on this
# host, waits until each is healthy, runs overlay_bench against the portal
# with --config (so every node's GetMetrics is scraped before, during and
# after), stops the nodes (always, also on failure or Ctrl+C) and saves
#   results/bench-<config>-<UTC timestamp>.json and .svg
# Defaults: 200 requests, 20 in flight. Further arguments go to
# overlay_bench, e.g.
#   scripts/benchmark_single_host.sh 2000 32 configs/one_host.json \
#       --query "query --param OZONE --limit 2000"
# The data root: $OVERLAY_DATA, else ../shared/data/2020-fire/data, else a
# generated data set (see scripts/lib.sh). Node logs stay in
# run/bench-<config>/<id>.log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

positional=()
while [ $# -gt 0 ] && [ ${#positional[@]} -lt 3 ] && [[ "$1" != --* ]]; do
  positional+=("$1")
  shift
done
requests="${positional[0]:-200}"
concurrency="${positional[1]:-20}"
config="${positional[2]:-$OVERLAY_ROOT/configs/one_host.json}"
[ -f "$config" ] || { echo "no such config: $config" >&2; exit 2; }

need_binaries
[ -x "$OVERLAY_BIN/overlay_bench" ] || {
  echo "missing $OVERLAY_BIN/overlay_bench: run scripts/setup.sh first" >&2
  exit 1
}
name="$(basename "$config" .json)"
if [ -n "$(live_nodes "$OVERLAY_RUN_ROOT/$name")" ]; then
  echo "an overlay from $config already runs ($OVERLAY_RUN_ROOT/$name):" >&2
  echo "stop it (scripts/stop.sh $name) or bench it in place with" >&2
  echo "  scripts/benchmark_two_hosts.sh HOST PORT ..." >&2
  exit 1
fi
data="$(resolve_data)"
run="$OVERLAY_RUN_ROOT/bench-$name"
results="$OVERLAY_ROOT/results"
mkdir -p "$results"
out="$results/bench-$name-$(date -u +%Y%m%dT%H%M%SZ)"

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  echo "stopping the nodes of $name..." >&2
  stop_nodes "$run"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "starting $name (data $data)..." >&2
start=$SECONDS
start_nodes "$config" "$run" "$data"
echo "all nodes healthy in $((SECONDS - start)) s; logs in $run" >&2

status=0
"$OVERLAY_BIN/overlay_bench" --config "$config" --requests "$requests" \
  --concurrency "$concurrency" --json "$out.json" --svg "$out.svg" "$@" ||
  status=$?
if [ -f "$out.json" ]; then
  echo "results: $out.json $out.svg" >&2
fi
exit "$status"
