#!/usr/bin/env bash
# Runs the Python client (tools/overlay_client.py) against the portal of an
# overlay config:
#   scripts/run_client.sh get_all
#   scripts/run_client.sh get_by_key 840060150007 060150007
#   scripts/run_client.sh get_by_prefix Crescent --limit 5
#   scripts/run_client.sh query PM2.5 5 35 --json --records
#   scripts/run_client.sh --timeout 2 --parallel 4 query PM2.5 10 50 --allow-partial
#   scripts/run_client.sh get_by_key 060371103 --no-cache
#   scripts/run_client.sh metrics [--all]
# Extra words pass through to the client (see its --help); so does its exit
# status: 0 a complete answer, 3 an incomplete one accepted with
# --allow-partial, 1 an RPC or data error, 2 bad arguments.
# Env: OVERLAY_CONFIG  config file, or a name under configs/ (default one_host)
#      OVERLAY_TARGET  host:port to ask instead of the config's portal
#      OVERLAY_PY_STUBS  generated stubs (default <repo>/build/python)
#      OVERLAY_PYTHON  interpreter with grpcio and protobuf
#                      (default /usr/bin/python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${OVERLAY_CONFIG:-one_host}"
if [ ! -f "$config" ] && [ -f "$root/configs/${config%.json}.json" ]; then
  config="$root/configs/${config%.json}.json"
fi
if [ ! -f "$config" ]; then
  echo "run_client.sh: no config '$config' (set OVERLAY_CONFIG to a file" \
    "or a name under configs/)" >&2
  exit 2
fi
stubs="${OVERLAY_PY_STUBS:-$root/build/python}"
if [ ! -f "$stubs/protos/overlay_pb2.py" ]; then
  echo "run_client.sh: no Python stubs in $stubs: run scripts/setup.sh" \
    "(or build the proto_python target)" >&2
  exit 2
fi
args=(--config "$config")
if [ -n "${OVERLAY_TARGET:-}" ]; then args+=(--target "$OVERLAY_TARGET"); fi
exec "${OVERLAY_PYTHON:-/usr/bin/python3}" "$root/tools/overlay_client.py" \
  --stubs "$stubs" "${args[@]}" "$@"
