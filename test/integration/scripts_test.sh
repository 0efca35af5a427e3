#!/usr/bin/env bash
# The start/stop scripts trust no stale pid file (issue 8, deliverable 7):
#  1. start the one_host overlay (on free ports, generated data) in the
#     background and SIGKILL every node;
#  2. point a pid file at an unrelated live process (a `sleep` this test
#     starts) and another at a pid that is gone;
#  3. scripts/stop.sh must remove the stale files with a note and signal
#     nothing: the sleep survives;
#  4. starting again works at once (no "runs already"), even with the pid
#     files pointing at the sleep again; a second start while it runs is
#     refused; stop.sh then stops the real nodes and still spares the sleep.
#  5. the killed nodes left their shared cache segment; the restart
#     reclaimed it and the clean stop removed it.
# Everything it starts is stopped, and its files removed, on any exit.
#   scripts_test.sh BIN_DIR REPO_ROOT
set -euo pipefail
bin="$(cd "${1:?bin dir}" && pwd)"
repo="$(cd "${2:?repo root}" && pwd)"
work="$(mktemp -d)"
decoy=""
name="scripts-test-$$"  # the config's name: a shared cache segment of its own
segment="/dev/shm/overlay-$name-host1"

fail() { echo "FAIL: $*"; exit 1; }

# Pids of overlay_node processes started with this test's config.
our_nodes() {
  local cmdline pid
  local -a argv
  for cmdline in /proc/[0-9]*/cmdline; do
    pid="${cmdline#/proc/}"
    pid="${pid%/cmdline}"
    mapfile -d '' -t argv 2>/dev/null <"$cmdline" || continue
    ((${#argv[@]})) && [ "${argv[0]##*/}" = overlay_node ] || continue
    printf '%s\n' "${argv[@]}" | grep -qxF "$work/config.json" && echo "$pid"
  done
  return 0
}

cleanup() {
  local code=$?
  local pid
  for pid in $(our_nodes); do kill -KILL "$pid" 2>/dev/null || true; done
  [ -n "$decoy" ] && kill -KILL "$decoy" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$segment"  # SIGKILLed nodes leave their shared cache segment
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT

export OVERLAY_BIN="$bin"
export OVERLAY_RUN_DIR="$work/run"
export OVERLAY_DATA="$work/data"
export OVERLAY_START_TIMEOUT=60
"$bin/gen_dataset" --out "$work/data" --sites 30 --scale 0.02 >/dev/null
# The shipped config on free loopback ports.
/usr/bin/python3 - "$repo/configs/one_host.json" "$work/config.json" "$work/data" "$name" <<'PY'
import json, socket, sys
config = json.load(open(sys.argv[1]))
config["data_root"] = sys.argv[3]
config["name"] = sys.argv[4]
config["strategy"]["shared_cache_mb"] = 16
sockets = []
for p in config["processes"]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
    p["host"], p["port"] = "127.0.0.1", s.getsockname()[1]
json.dump(config, open(sys.argv[2], "w"), indent=1)
PY
config="$work/config.json"
run="$work/run/config"  # run dir: the config's base name

"$repo/scripts/start_single_host.sh" --background "$config" >"$work/start1.log" 2>&1 ||
  { cat "$work/start1.log"; fail "first start"; }
mapfile -t ids < <("$bin/overlay_client" --config "$config" processes | cut -d' ' -f1)
((${#ids[@]} == 6)) || fail "expected 6 processes, got ${#ids[@]}"

# 1. Every node SIGKILLed: no drain, pid files left behind.
pids=()
for id in "${ids[@]}"; do pids+=("$(cat "$run/$id.pid")"); done
kill -KILL "${pids[@]}"
for _ in $(seq 1 100); do
  [ -z "$(our_nodes)" ] && break
  sleep 0.05
done
[ -z "$(our_nodes)" ] || fail "nodes survived SIGKILL: $(our_nodes)"
[ -e "$segment" ] || fail "no shared cache segment $segment after SIGKILL"

# 2. One pid file names a live unrelated process, one a pid that is gone.
sleep 300 &
decoy=$!
echo "$decoy" >"$run/${ids[0]}.pid"
(exit 0) &
gone=$!
wait "$gone"
echo "$gone" >"$run/${ids[1]}.pid"

# 3. stop.sh signals nothing that is not a node of this run.
"$repo/scripts/stop.sh" config >"$work/stop1.log" 2>&1 || { cat "$work/stop1.log"; fail "stop.sh"; }
kill -0 "$decoy" 2>/dev/null || fail "stop.sh killed the unrelated process $decoy"
grep -q "removed stale pid file $run/${ids[0]}.pid" "$work/stop1.log" ||
  { cat "$work/stop1.log"; fail "no note for the stale pid file"; }
ls "$run"/*.pid >/dev/null 2>&1 && fail "stale pid files left: $(ls "$run"/*.pid)"

# 4. Starting again works at once, stale pid files or not.
echo "$decoy" >"$run/${ids[0]}.pid"
echo "$decoy" >"$run/${ids[2]}.pid"
"$repo/scripts/start_single_host.sh" --background "$config" >"$work/start2.log" 2>&1 ||
  { cat "$work/start2.log"; fail "start after SIGKILL"; }
grep -q "removed stale pid file" "$work/start2.log" || fail "no note on start"
kill -0 "$decoy" 2>/dev/null || fail "start killed the unrelated process"
for id in "${ids[@]}"; do
  pid=$(cat "$run/$id.pid")
  [ "$pid" != "$decoy" ] || fail "pid file of $id still names the sleep"
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "overlay_node --config $config --id $id " ||
    fail "pid file of $id does not name its node"
done
"$bin/overlay_client" --config "$config" --timeout 5 health >/dev/null || fail "overlay not healthy"
if "$repo/scripts/start_single_host.sh" --background "$config" >"$work/start3.log" 2>&1; then
  fail "a second start while it runs was not refused"
fi
grep -q "runs already" "$work/start3.log" || { cat "$work/start3.log"; fail "no reason given"; }

"$repo/scripts/stop.sh" config >"$work/stop2.log" 2>&1 || { cat "$work/stop2.log"; fail "second stop.sh"; }
[ -z "$(our_nodes)" ] || fail "nodes still run after stop.sh: $(our_nodes)"
# The restart reclaimed the killed nodes' segment; the clean stop removed it.
grep -q "reclaimed stale segment $segment" "$work/run/config/"*.log ||
  fail "the restart did not reclaim $segment"
[ -e "$segment" ] && fail "stop.sh left the shared cache segment $segment"
kill -0 "$decoy" 2>/dev/null || fail "second stop.sh killed the unrelated process"
echo "1 passed, 0 failed"
