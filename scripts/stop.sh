#!/usr/bin/env bash
# scripts/stop.sh [config-name]: stops the nodes started by the start scripts
# (all of them, or those of one config, e.g. one_host), draining each. Only
# pids that are still overlay_nodes of that run are signalled; stale pid
# files (a node SIGKILLed, its pid reused) are removed with a note.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
shopt -s nullglob
for run in "$OVERLAY_RUN_ROOT"/${1:-*}; do
  [ -d "$run" ] || continue
  pids=("$run"/*.pid)
  ((${#pids[@]})) || continue
  echo "stopping $(basename "$run")"
  stop_nodes "$run"
done
