#!/usr/bin/env bash
# scripts/start_two_hosts.sh [--background] <host-group> [config]
# Starts the nodes of one host group (host1 or host2) of configs/two_hosts.json
# (or the given config) on this machine; run it on each host. The hosts in
# the config are the addresses the other nodes dial: edit them (or copy the
# config) to your machines' addresses. Foreground until Ctrl+C, like
# start_single_host.sh.
# Peer secret: both hosts' nodes must present the same one. Either the
# config names it (peer_secret_file, the file copied to both hosts), or
# the first host started makes one (run/<config>-<group>/peer_secret, mode
# 0600, kept across restarts) and prints where: copy it to the other host
# (scp -p keeps the mode) and start that host with
#   OVERLAY_PEER_SECRET_FILE=/path/to/copy scripts/start_two_hosts.sh host2
# ($OVERLAY_PEER_SECRET_FILE always wins over a generated one).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
background=0
if [ "${1:-}" = "--background" ]; then background=1; shift; fi
group="${1:?usage: start_two_hosts.sh [--background] <host-group> [config]}"
config="${2:-$OVERLAY_ROOT/configs/two_hosts.json}"
need_binaries
data=$(resolve_data)
run="$OVERLAY_RUN_ROOT/$(basename "$config" .json)-$group"
# Only nodes that still run count; stale pid files go (with a note).
if [ -n "$(live_nodes "$run")" ]; then
  echo "host group $group of $config runs already ($run); scripts/stop.sh first" >&2
  exit 1
fi
start_nodes "$config" "$run" "$data" "$group"
echo "host group $group of $(basename "$config" .json) healthy; logs: $run/<id>.log"
if [ -z "${OVERLAY_PEER_SECRET_FILE:-}" ] && ! config_has_peer_secret "$config"; then
  echo "peer secret: $run/peer_secret; the other host needs the same one:"
  echo "  copy it there (scp -p) and run OVERLAY_PEER_SECRET_FILE=<copy> scripts/start_two_hosts.sh <other group>"
fi
[ "$background" = 1 ] && exit 0
trap 'echo "stopping..."; stop_nodes "$run"; exit 0' INT TERM
while [ -n "$(live_nodes "$run" 2>/dev/null)" ]; do sleep 1; done
