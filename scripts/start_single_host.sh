#!/usr/bin/env bash
# scripts/start_single_host.sh [--background] [config]
# Starts every node of the config (default configs/one_host.json) on this
# host, waits until each reports healthy and prints where the logs are. Stays
# in the foreground until Ctrl+C (or scripts/stop.sh from another shell),
# then stops them all cleanly. --background returns once all are healthy.
# The data root: $OVERLAY_DATA, else ../shared/data/2020-fire/data, else a
# generated data set. Unless the config names a peer secret (or
# $OVERLAY_PEER_SECRET_FILE does), the nodes share one generated into the
# run dir (peer_secret, mode 0600); `overlay_client --peer-secret-file
# <run>/peer_secret shutdown` stops a node by RPC.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
background=0
if [ "${1:-}" = "--background" ]; then background=1; shift; fi
config="${1:-$OVERLAY_ROOT/configs/one_host.json}"
need_binaries
data=$(resolve_data)
run="$OVERLAY_RUN_ROOT/$(basename "$config" .json)"
# Only nodes that still run count; stale pid files go (with a note).
if [ -n "$(live_nodes "$run")" ]; then
  echo "an overlay from $config runs already ($run); scripts/stop.sh first" >&2
  exit 1
fi
start=$SECONDS
start_nodes "$config" "$run" "$data"
echo "overlay $(basename "$config" .json) healthy in $((SECONDS - start))s; data $data"
echo "logs: $run/<id>.log"
"$OVERLAY_BIN/overlay_client" --config "$config" processes | sed 's/^/  /'
[ "$background" = 1 ] && exit 0
trap 'echo "stopping..."; stop_nodes "$run"; exit 0' INT TERM
while ls "$run"/*.pid >/dev/null 2>&1; do
  for pidfile in "$run"/*.pid; do
    [ -f "$pidfile" ] || continue
    id=$(basename "$pidfile" .pid)
    if ! is_run_node "$(cat "$pidfile" 2>/dev/null)" "$id" "$config"; then
      echo "node $id is gone" >&2
      rm -f "$pidfile"
    fi
  done
  sleep 1
done
echo "all nodes stopped"
