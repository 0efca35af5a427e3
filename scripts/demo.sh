#!/usr/bin/env bash
# The main job: set up (packages + build), pick the data (real if present,
# else generated), start the single-host overlay, run a few queries and a
# short benchmark, then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/lib.sh
config="$OVERLAY_ROOT/configs/one_host.json"
data=$(resolve_data)
export OVERLAY_DATA="$data"
"$OVERLAY_BIN/overlay_client" --config "$config" health >/dev/null 2>&1 &&
  { echo "an overlay already answers on the portal of $config; scripts/stop.sh first" >&2; exit 1; }
scripts/start_single_host.sh --background "$config"
trap 'scripts/stop.sh one_host' EXIT
client() { echo; echo "\$ overlay_client $*"; "$OVERLAY_BIN/overlay_client" --config "$config" "$@"; }
client query PM2.5 5 35 --limit 5
client query --param PM2.5 --min 10 --max 50 --limit 500 --json
client query --param OZONE --min 60 --from 2020-09-01T00:00 --to 2020-09-01T23:00 --bbox 32,-125,42,-114 --limit 5
client get_by_prefix Crescent --limit 3
client query --param PM2.5 --min 10 --max 50 --json
client metrics --all
if [ -x "$OVERLAY_BIN/overlay_bench" ]; then
  echo; echo "\$ overlay_bench --requests 2000 --concurrency 20 --query 'query --param PM2.5 --min 10 --max 50 --limit 500'"
  "$OVERLAY_BIN/overlay_bench" --config "$config" --requests 2000 --concurrency 20 \
    --query "query --param PM2.5 --min 10 --max 50 --limit 500"
fi
