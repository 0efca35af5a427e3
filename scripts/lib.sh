# Shared by the scripts: paths, data discovery, starting and stopping nodes.
# Sourced, not run.
OVERLAY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OVERLAY_BIN="${OVERLAY_BIN:-$OVERLAY_ROOT/build/bin}"
OVERLAY_RUN_ROOT="${OVERLAY_RUN_DIR:-$OVERLAY_ROOT/run}"
REAL_DATA_DEFAULT="$OVERLAY_ROOT/../shared/data/2020-fire/data"
GENERATED_DATA="$OVERLAY_ROOT/data/generated"

need_binaries() {
  for b in overlay_node overlay_client; do
    [ -x "$OVERLAY_BIN/$b" ] || { echo "missing $OVERLAY_BIN/$b: run scripts/setup.sh first" >&2; exit 1; }
  done
}

# Prints the data root to use: $OVERLAY_DATA, else the real data set beside
# the repo, else a generated one (made on first use).
resolve_data() {
  if [ -n "${OVERLAY_DATA:-}" ]; then
    echo "$OVERLAY_DATA"
  elif [ -d "$REAL_DATA_DEFAULT" ]; then
    (cd "$REAL_DATA_DEFAULT" && pwd)
  else
    if [ ! -f "$GENERATED_DATA/.complete" ]; then
      echo "no real data set found; generating one into $GENERATED_DATA" >&2
      "$OVERLAY_BIN/gen_dataset" --out "$GENERATED_DATA" --force >&2
      touch "$GENERATED_DATA/.complete"
    fi
    echo "$GENERATED_DATA"
  fi
}

# start_nodes CONFIG RUN_DIR DATA [GROUP]: starts the config's processes (of
# host group GROUP only, if given) in the background, logs and pid files in
# RUN_DIR, and waits until every one reports SERVING. Returns non-zero (after
# stopping what it started) if one dies or is not healthy in time.
start_nodes() {
  local config="$1" run="$2" data="$3" group="${4:-}"
  mkdir -p "$run"
  local list
  if [ -n "$group" ]; then
    list=$("$OVERLAY_BIN/overlay_client" --config "$config" processes --group "$group") || return 1
  else
    list=$("$OVERLAY_BIN/overlay_client" --config "$config" processes) || return 1
  fi
  local id addr
  while read -r id addr; do
    "$OVERLAY_BIN/overlay_node" --config "$config" --id "$id" --data "$data" \
      >"$run/$id.log" 2>&1 &
    echo $! >"$run/$id.pid"
    echo "$addr" >"$run/$id.addr"
  done <<<"$list"
  local deadline=$((SECONDS + ${OVERLAY_START_TIMEOUT:-60}))
  while read -r id addr; do
    until "$OVERLAY_BIN/overlay_client" --target "$addr" --timeout 1 health >/dev/null 2>&1; do
      if ! kill -0 "$(cat "$run/$id.pid")" 2>/dev/null; then
        echo "node $id exited during start; its log ($run/$id.log) ends:" >&2
        tail -n 20 "$run/$id.log" >&2
        stop_nodes "$run"
        return 1
      fi
      if ((SECONDS > deadline)); then
        echo "node $id not healthy after ${OVERLAY_START_TIMEOUT:-60}s" >&2
        stop_nodes "$run"
        return 1
      fi
      sleep 0.05
    done
  done <<<"$list"
}

# stop_nodes RUN_DIR: SIGTERM every node started there, wait for them to
# drain (SIGKILL after 15 s), remove the pid files.
stop_nodes() {
  local run="$1" pidfile pid
  shopt -s nullglob
  for pidfile in "$run"/*.pid; do
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pidfile in "$run"/*.pid; do
    pid=$(cat "$pidfile")
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  shopt -u nullglob
}
