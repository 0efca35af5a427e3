#!/usr/bin/env bash
# bench/scenarios/compare_builds.sh BASE_SRC BASE_BIN [rounds] [workloads...]
# Runs the same workloads against the six nodes of configs/one_host.json
# built from two trees, one overlay at a time, in interleaved rounds (base,
# this tree, base, ...), so both see the same machine. BASE_SRC is the
# other tree (its scripts and configs start its overlay), BASE_BIN its
# binaries; this tree's come from $OVERLAY_BIN (default build/bin).
# The client is this tree's overlay_bench for both trees.
# Workloads (default: all): w1c1 w1c20 w5c1 w5c20 w6c1 w6c20 w2 w2p4
# w5c20nocache start. Prints one line per run and writes the JSON of each
# to $OUT (default results/compare-<UTC time>).
# Needs the real data set (or OVERLAY_DATA) and a quiet machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
source "$here/scripts/lib.sh"
base_src="$(cd "$1" && pwd)"
base_bin="$(cd "$2" && pwd)"
rounds="${3:-3}"
shift $(( $# < 3 ? $# : 3 ))
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] ||
  workloads=(w1c1 w1c20 w5c1 w5c20 w6c1 w6c20 w2 w2p4 w5c20nocache start)
out="${OUT:-$here/results/compare-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
data="$(resolve_data)"
new_bin="$OVERLAY_BIN"

W1="query --param PM2.5 --min 10 --max 50 --limit 500"
W2="query --param PM2.5 --min 10 --max 50"
W5="get_by_key 060371103"
W6="query --param PM2.5 --min 10 --max 50 --from 2020-09-13 --limit 500"

args_of() {  # workload -> overlay_bench arguments
  case "$1" in
    w1c1) echo "--requests 3000 --concurrency 1 --warmup 200|$W1" ;;
    w1c20) echo "--requests 20000 --concurrency 20 --warmup 500|$W1" ;;
    w5c1) echo "--requests 3000 --concurrency 1 --warmup 200|$W5" ;;
    w5c20) echo "--requests 20000 --concurrency 20 --warmup 500|$W5" ;;
    w5c20nocache) echo "--requests 10000 --concurrency 20 --warmup 500|$W5 --no-cache" ;;
    w6c1) echo "--requests 3000 --concurrency 1 --warmup 200|$W6" ;;
    w6c20) echo "--requests 20000 --concurrency 20 --warmup 500|$W6" ;;
    w2) echo "--requests 40 --concurrency 1 --warmup 3|$W2" ;;
    w2p4) echo "--requests 40 --concurrency 1 --warmup 3 --parallel 4|$W2" ;;
    *) return 1 ;;
  esac
}

summarize() {  # json -> one line
  python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
l = d["latency_ms"]
s = d.get("server", {})
print("ok %6d err %4d  %8.0f q/s  p50 %7.3f  p99 %7.3f ms  server %.2f cores, %5.0f ok/cpu-s" % (
    d["ok"], d["errors"], d["qps"], l.get("p50", 0), l.get("p99", 0),
    s.get("cores_busy", 0), s.get("ok_per_cpu_s", 0)))
EOF
}

rss_mb() {  # summed RSS of the running overlay_node processes, MB
  ps -o rss= -C overlay_node | awk '{s += $1} END {printf "%.1f", s / 1024}'
}
# Summed over the running nodes: /proc/PID/FILE's FIELD (kB), in MB.
sum_mb() {  # file field
  local total=0 kb
  for pid in $(pgrep -x overlay_node); do
    kb=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$pid/$1" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v k="$total" 'BEGIN {printf "%.1f", k / 1024}'
}
shm_mb() { sum_mb status RssShmem; }  # pages of the shared segment, per node
pss_mb() { sum_mb smaps_rollup Pss; }  # shared pages split among sharers

run_tree() {  # name src bin round
  local name=$1 src=$2 bin=$3 round=$4
  local run_dir="/tmp/compare-run-$name"
  local config="$src/configs/one_host.json"
  local env=(OVERLAY_BIN="$bin" OVERLAY_RUN_DIR="$run_dir" OVERLAY_DATA="$data")
  env "${env[@]}" bash "$src/scripts/stop.sh" >/dev/null 2>&1 || true
  local t0 t1
  t0=$(date +%s.%N)
  env "${env[@]}" bash "$src/scripts/start_single_host.sh" --background >/dev/null
  t1=$(date +%s.%N)
  sleep 1
  for w in "${workloads[@]}"; do
    if [ "$w" = start ]; then
      printf '%-5s r%d %-13s %s s to healthy, RSS %s MB (of it shared pages %s MB), PSS %s MB\n' \
        "$name" "$round" start "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
        "$(rss_mb)" "$(shm_mb)" "$(pss_mb)"
      continue
    fi
    local spec flags words json
    spec=$(args_of "$w")
    flags=${spec%%|*}
    words=${spec#*|}
    json="$out/$name-$w-r$round.json"
    # shellcheck disable=SC2086
    # This tree's overlay_bench for both: the same client measures both.
    "$new_bin/overlay_bench" --config "$config" $flags --query "$words" \
      --json "$json" --progress=false >/dev/null 2>"$out/$name-$w-r$round.err" || true
    printf '%-5s r%d %-13s %s\n' "$name" "$round" "$w" \
      "$( [ -s "$json" ] && summarize "$json" || echo "no result: $(tail -1 "$out/$name-$w-r$round.err")")"
  done
  printf '%-5s r%d %-13s RSS %s MB (shared pages %s MB), PSS %s MB\n' "$name" "$round" after \
    "$(rss_mb)" "$(shm_mb)" "$(pss_mb)"
  env "${env[@]}" bash "$src/scripts/stop.sh" >/dev/null 2>&1 || true
}

echo "base $base_src ($base_bin) vs $here ($new_bin); data $data; $rounds rounds; JSON in $out"
for round in $(seq 1 "$rounds"); do
  run_tree base "$base_src" "$base_bin" "$round"
  run_tree new "$here" "$new_bin" "$round"
done
