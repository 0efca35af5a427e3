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

# A pid file is trusted only while its pid is still an overlay_node of the
# run that wrote it: the command line in /proc/PID/cmdline must be
# .../overlay_node with that node's --id and the run's --config (kept in
# RUN_DIR/config). Anything else (the node died, was SIGKILLed, its pid was
# reused by another process) makes the pid file stale.

# is_run_node PID ID CONFIG: true if PID runs overlay_node --id ID and, if
# CONFIG is not empty, --config CONFIG. A zombie has no command line: false.
is_run_node() {
  local pid="$1" id="$2" config="$3"
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  local -a argv=()
  mapfile -d '' -t argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
  ((${#argv[@]})) && [ "${argv[0]##*/}" = overlay_node ] || return 1
  local i arg next has_id=0 has_config=0
  [ -n "$config" ] || has_config=1
  for ((i = 1; i < ${#argv[@]}; i++)); do
    arg="${argv[i]}"
    next="${argv[i + 1]:-}"
    case "$arg" in
      --id) [ "$next" = "$id" ] && has_id=1 ;;
      --id=*) [ "${arg#--id=}" = "$id" ] && has_id=1 ;;
      --config) [ "$next" = "$config" ] && has_config=1 ;;
      --config=*) [ "${arg#--config=}" = "$config" ] && has_config=1 ;;
    esac
  done
  ((has_id && has_config))
}

# pid_alive PID: the process exists and is not a zombie. (Right after a
# fork its command line is still the shell's, so a node just started is
# watched with this, not is_run_node.)
pid_alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# node_pid RUN_DIR ID: prints the pid of node ID of the run in RUN_DIR if
# its pid file is trusted; otherwise removes a stale pid file, with a note
# on stderr, and returns 1.
node_pid() {
  local run="$1" id="$2" pidfile="$1/$2.pid" pid config
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null || true)
  config=$(cat "$run/config" 2>/dev/null || true)
  if is_run_node "$pid" "$id" "$config"; then
    echo "$pid"
    return 0
  fi
  echo "note: removed stale pid file $pidfile (pid ${pid:-none} is not node $id of this run)" >&2
  rm -f "$pidfile"
  return 1
}

# live_nodes RUN_DIR: prints "ID PID" for each node of RUN_DIR that still
# runs; removes the stale pid files (with a note).
live_nodes() {
  local run="$1" pidfile id pid
  for pidfile in "$run"/*.pid; do
    [ -f "$pidfile" ] || continue
    id=$(basename "$pidfile" .pid)
    if pid=$(node_pid "$run" "$id"); then echo "$id $pid"; fi
  done
}

# config_has_peer_secret CONFIG: true if the config names its own peer
# secret (key peer_secret or peer_secret_file).
config_has_peer_secret() {
  grep -Eq '"peer_secret(_file)?"[[:space:]]*:' "$1"
}

# peer_secret_file CONFIG RUN_DIR: prints the peer secret file the nodes of
# the run get with --peer-secret-file, or nothing when the config names its
# own. $OVERLAY_PEER_SECRET_FILE wins (two hosts: the same file on both);
# else RUN_DIR/peer_secret, made (mode 0600, 256 random bits) if missing and
# kept for the next start of the run, so a copy on another host stays valid.
peer_secret_file() {
  local config="$1" run="$2"
  if [ -n "${OVERLAY_PEER_SECRET_FILE:-}" ]; then
    [ -f "$OVERLAY_PEER_SECRET_FILE" ] ||
      { echo "OVERLAY_PEER_SECRET_FILE=$OVERLAY_PEER_SECRET_FILE: no such file" >&2; return 1; }
    echo "$OVERLAY_PEER_SECRET_FILE"
    return 0
  fi
  config_has_peer_secret "$config" && return 0
  local file="$run/peer_secret"
  if [ ! -s "$file" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file.tmp" &&
      echo >>"$file.tmp" && mv "$file.tmp" "$file") || return 1
    echo "note: generated the overlay's peer secret into $file" >&2
  fi
  chmod 600 "$file"
  echo "$file"
}

# start_nodes CONFIG RUN_DIR DATA [GROUP]: starts the config's processes (of
# host group GROUP only, if given) in the background, logs and pid files in
# RUN_DIR, and waits until every one reports SERVING. Every node gets the
# same peer secret (peer_secret_file above) unless the config names one.
# Stale pid files in RUN_DIR are removed first; a node of it that still runs
# is an error. Returns non-zero (after stopping what it started) if one dies
# or is not healthy in time.
start_nodes() {
  local config="$1" run="$2" data="$3" group="${4:-}"
  mkdir -p "$run"
  local running
  running=$(live_nodes "$run")
  if [ -n "$running" ]; then
    echo "nodes of $run still run (id pid): $(tr '\n' ' ' <<<"$running")- scripts/stop.sh first" >&2
    return 1
  fi
  printf '%s' "$config" >"$run/config"
  local secret
  secret=$(peer_secret_file "$config" "$run") || return 1
  local -a secret_args=()
  [ -n "$secret" ] && secret_args=(--peer-secret-file "$secret")
  local list
  if [ -n "$group" ]; then
    list=$("$OVERLAY_BIN/overlay_client" --config "$config" processes --group "$group") || return 1
  else
    list=$("$OVERLAY_BIN/overlay_client" --config "$config" processes) || return 1
  fi
  # glibc keeps 7 freed blocks per size class and thread; a node frees and
  # reallocates call objects, messages and buffers by the thousand a second,
  # so most of those went through the arena (malloc was 12% of the portal's
  # CPU). 1024 a class: 6% less node CPU a query (BENCHMARKS.md, "malloc").
  # An explicit GLIBC_TUNABLES (even empty) wins.
  local tunables="${GLIBC_TUNABLES-glibc.malloc.tcache_count=1024}"
  local id addr
  while read -r id addr; do
    GLIBC_TUNABLES="$tunables" \
      "$OVERLAY_BIN/overlay_node" --config "$config" --id "$id" --data "$data" \
      "${secret_args[@]}" >"$run/$id.log" 2>&1 &
    echo $! >"$run/$id.pid"
    echo "$addr" >"$run/$id.addr"
  done <<<"$list"
  local deadline=$((SECONDS + ${OVERLAY_START_TIMEOUT:-60}))
  while read -r id addr; do
    # --config: under TLS the client takes the config's CA (and cert).
    until "$OVERLAY_BIN/overlay_client" --config "$config" --target "$addr" --timeout 1 health >/dev/null 2>&1; do
      if ! pid_alive "$(cat "$run/$id.pid")"; then
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

# stop_nodes RUN_DIR: SIGTERM every node of the run in RUN_DIR that still
# runs, wait for them to drain (SIGKILL after 15 s), remove the pid files.
# Pid files that are stale (see node_pid) are removed without a signal.
stop_nodes() {
  local run="$1" id pid config
  config=$(cat "$run/config" 2>/dev/null || true)
  local -a ids=() pids=()
  while read -r id pid; do
    [ -n "$id" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    ids+=("$id")
    pids+=("$pid")
  done < <(live_nodes "$run")
  local i
  for i in "${!ids[@]}"; do
    id="${ids[i]}"
    pid="${pids[i]}"
    for _ in $(seq 1 150); do
      is_run_node "$pid" "$id" "$config" || break
      sleep 0.1
    done
    # Checked again right before: the pid may have been reused meanwhile.
    if is_run_node "$pid" "$id" "$config"; then
      echo "node $id (pid $pid) did not drain in 15 s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$run/$id.pid"
  done
}
