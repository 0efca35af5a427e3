#!/usr/bin/env bash
# scripts/benchmark_security.sh [--reps N] [--base-bin DIR]
# What the peer credential and TLS cost (issue 8): W1, W5 and W5 --no-cache at
# concurrency 20 against configs/one_host.json with every port moved by
# $OVERLAY_PORT_OFFSET (default 2000, so it runs beside another overlay),
# run dir $OVERLAY_RUN_DIR (default /tmp/overlay-sec-bench), interleaved N
# rounds (default 3) of these overlays:
#   base    overlay_node of DIR (--base-bin, e.g. a build of the fork point)
#   open    this build with no peer secret (no credential check)
#   secret  this build as the start scripts run it (generated peer secret)
#   tls     secret plus server TLS (certificates made here with openssl)
# One line per run: variant, workload, q/s, p50/p99 ms, ok per server
# CPU-second (the comparable figure on a busy machine). Every overlay it
# starts is stopped before the next one starts, and on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
reps=3
base_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --base-bin) base_bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--reps N] [--base-bin DIR]" >&2; exit 2 ;;
  esac
done
need_binaries
data=$(resolve_data)
work="${OVERLAY_RUN_DIR:-/tmp/overlay-sec-bench}"
offset="${OVERLAY_PORT_OFFSET:-2000}"
export OVERLAY_RUN_DIR="$work"
mkdir -p "$work/certs" "$work/open"

/usr/bin/python3 - "$OVERLAY_ROOT/configs/one_host.json" "$work" "$data" "$offset" <<'PY'
import json, sys
src, work, data, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
config = json.load(open(src))
config["data_root"] = data
for p in config["processes"]:
    p["port"] += offset
json.dump(config, open(work + "/bench.json", "w"), indent=1)
config["tls"] = {"cert_file": "certs/node.pem", "key_file": "certs/node.key",
                 "ca_file": "certs/ca.pem"}
json.dump(config, open(work + "/bench_tls.json", "w"), indent=1)
PY
if [ ! -s "$work/certs/node.pem" ]; then
  (cd "$work/certs" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=bench-ca \
      -keyout ca.key -out ca.pem &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >node.ext &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=node -keyout node.key -out node.csr &&
    openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 7 -extfile node.ext -out node.pem) >/dev/null 2>&1
fi

# The open overlays: started here without a secret; their pids are ours.
start_open() {
  local bin="$1" id addr
  while read -r id addr; do
    "$bin/overlay_node" --config "$work/bench.json" --id "$id" --data "$data" \
      >"$work/open/$id.log" 2>&1 &
    echo $! >"$work/open/$id.pid"
  done < <("$OVERLAY_BIN/overlay_client" --config "$work/bench.json" processes)
  while read -r id addr; do
    until "$OVERLAY_BIN/overlay_client" --target "$addr" --timeout 1 health >/dev/null 2>&1; do
      sleep 0.05
    done
  done < <("$OVERLAY_BIN/overlay_client" --config "$work/bench.json" processes)
}
stop_open() {
  local f pid
  for f in "$work"/open/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$f"
  done
}
cleanup() {
  stop_open
  stop_nodes "$work/bench" 2>/dev/null || true
  stop_nodes "$work/bench_tls" 2>/dev/null || true
}
trap cleanup EXIT

run() {  # variant config workload
  local json="$work/run-$1.json"
  "$OVERLAY_BIN/overlay_bench" --config "$2" --requests 20000 --concurrency 20 \
    --warmup 500 --query "$3" --progress=false --json "$json" >/dev/null \
    2>"$work/run-$1.err" || { cat "$work/run-$1.err" >&2; return 1; }
  /usr/bin/python3 - "$1" "$3" "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[3]))
l = r["latency_ms"]
print("%-6s %-19s q/s %6.0f  p50 %5.2f ms  p99 %5.2f ms  errors %d  ok per server CPU-s %5.0f"
      % (sys.argv[1], sys.argv[2].split()[0] + (" nocache" if "--no-cache" in sys.argv[2] else ""), r["qps"], l["p50"], l["p99"], r["errors"],
         r["server"]["ok_per_cpu_s"]), flush=True)
PY
}

W1="query --param PM2.5 --min 10 --max 50 --limit 500"
W5="get_by_key 060371103"
variants=(open secret tls)
[ -n "$base_bin" ] && variants=(base "${variants[@]}")
for _ in $(seq 1 "$reps"); do
  for v in "${variants[@]}"; do
    case "$v" in
      base) start_open "$base_bin"; config="$work/bench.json" ;;
      open) start_open "$OVERLAY_BIN"; config="$work/bench.json" ;;
      secret) start_nodes "$work/bench.json" "$work/bench" "$data"; config="$work/bench.json" ;;
      tls) start_nodes "$work/bench_tls.json" "$work/bench_tls" "$data"; config="$work/bench_tls.json" ;;
    esac
    run "$v" "$config" "$W1"
    run "$v" "$config" "$W5"
    # Fanned out every time (the cache answers W5's repeats alone): the
    # case where every request makes peer calls that carry the credential.
    run "$v" "$config" "$W5 --no-cache"
    case "$v" in
      base | open) stop_open ;;
      secret) stop_nodes "$work/bench" ;;
      tls) stop_nodes "$work/bench_tls" ;;
    esac
  done
done
