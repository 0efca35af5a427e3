#!/usr/bin/env bash
# bench/scenarios/admission_overload.sh [config] [seconds] [query words...]
# With the overlay of CONFIG (default configs/one_host.json) running, in one
# run: the capacity C (closed loop, c=20), the unloaded latency (open loop
# at 0.1 C), 3 C open loop for SECONDS (default 20), the light client alone
# at 0.1 C, and a heavy client at 3 C with the light one at 0.1 C together.
# Default query: get_by_key 060371103 --no-cache (every request fans out to
# all six nodes; with the cache the portal alone answers repeats). Prints
# one line per phase; JSON in $OUT (default results/admission-<UTC time>).
# BENCH_PREFIX runs the generator under a command, e.g. "taskset -c 1" (with
# the nodes started under taskset -c 0: the generator on a core of its own).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
config="${1:-$OVERLAY_ROOT/configs/one_host.json}"
seconds="${2:-20}"
shift $(( $# < 2 ? $# : 2 ))
words="$*"
[ -n "$words" ] || words="get_by_key 060371103 --no-cache"
out="${OUT:-$OVERLAY_ROOT/results/admission-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
read -r -a bench <<< "${BENCH_PREFIX:-} $OVERLAY_BIN/overlay_bench"

report() {  # json phase
  python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def lat(o):
    return "p50 %.2f p99 %.2f" % (o.get("p50", 0), o.get("p99", 0)) if o.get("count") else "-"
after = [s for n in d["nodes"] for s in n["samples"] if s["phase"] == "after"]
rss = sum(s["rss_bytes"] for s in after) / 2**20
# Without the shared segment's pages, which every node counts again.
own = sum(s["rss_bytes"] - s.get("rss_shmem_bytes", 0) for s in after) / 2**20
queued = sum(s["queue_depth"] for s in after)
print("%-8s %s" % (sys.argv[2], "ok %d of %d, %.0f ok/s; ok %s ms; errors %s, %s ms; "
      "retry hint %s ms; RSS after %.0f MB (%.0f MB without shared memory); "
      "queued after %d" % (
      d["ok"], d["requests"], d["qps"], lat(d["latency_ms"]),
      json.dumps(d["errors_by_code"]), lat(d["error_latency_ms"]),
      lat(d["retry_pushback_ms"]), rss, own, queued)))
for c in d["clients"] if len(d["clients"]) > 1 else []:
    print("%-8s   %-6s ok %d of %d (%.2f%%); ok %s ms; errors %s, %s ms" % (
        "", c["name"], c["ok"], c["requests"], 100 * c["success_rate"],
        lat(c["latency_ms"]), json.dumps(c["errors_by_code"]),
        lat(c["error_latency_ms"])))
EOF
}

"${bench[@]}" --config "$config" --requests 20000 --concurrency 20 --warmup 500 \
  --query "$words" --json "$out/capacity.json" --progress=false >/dev/null
report "$out/capacity.json" capacity
C=$(python3 -c "import json; print(int(json.load(open('$out/capacity.json'))['qps']))")
light=$(( C / 10 > 1 ? C / 10 : 1 ))
heavy=$(( 3 * C ))
echo "C = $C q/s; light client $light q/s, heavy $heavy q/s, $seconds s each"

"${bench[@]}" --config "$config" --client "solo:rate=$light,duration=$seconds,query=$words" \
  --json "$out/unloaded.json" --progress=false >/dev/null
report "$out/unloaded.json" unloaded
"${bench[@]}" --config "$config" --client "over:rate=$heavy,duration=$seconds,query=$words" \
  --json "$out/overload.json" --progress=false >/dev/null
report "$out/overload.json" "3C"
sleep 1
"${bench[@]}" --config "$config" --client "light:rate=$light,duration=$seconds,query=$words" \
  --json "$out/light-solo.json" --progress=false >/dev/null
report "$out/light-solo.json" light
"${bench[@]}" --config "$config" \
  --client "heavy:rate=$heavy,duration=$seconds,query=$words" \
  --client "light:rate=$light,duration=$seconds,query=$words" \
  --json "$out/heavy-light.json" --progress=false >/dev/null
report "$out/heavy-light.json" "3C+0.1C"
echo "JSON in $out"
