#!/usr/bin/env bash
# scripts/fuzz.sh [--build-all] [SECONDS] [TARGET...]
# Builds the libFuzzer targets of test/fuzz/ with clang (ASan + UBSan) into
# their own build dir and runs each for SECONDS (default 60) over its seed
# corpus test/fuzz/corpus/<target>/, printing per target the executions,
# the coverage reached (cov: edges, ft: features), the corpus size and the
# crashes. Exits non-zero if any target crashed, leaked, timed out or ran
# out of memory; the reproducer is kept in <build>/fuzz/<target>/artifacts/.
#   scripts/fuzz.sh 600                   # every target, 10 minutes each
#   scripts/fuzz.sh 30 request_fuzzer     # one target
#   scripts/fuzz.sh --build-all 20        # CI: the whole project too
# --build-all builds every target of the clang build (so all the code is
# compiled with clang -Wthread-safety -Werror), not only the fuzz targets.
# Targets run $OVERLAY_FUZZ_PARALLEL at a time (default: the core count).
# New inputs found go to <build>/fuzz/<target>/corpus/ (kept between runs;
# --fresh or a clean build dir starts from the seeds alone), never into the
# repo. Env: OVERLAY_FUZZ_BUILD (default build-clang), OVERLAY_JOBS,
# OVERLAY_FUZZ_FLAGS (more libFuzzer flags for every target, e.g.
# "-max_len=65536").
# Reproduce a crash: <build>/bin/<target> <build>/fuzz/<target>/artifacts/crash-*
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

build_all=0
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-all) build_all=1; shift ;;
    --fresh) fresh=1; shift ;;
    *) break ;;
  esac
done
seconds="${1:-60}"
[ $# -gt 0 ] && shift
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number, got '$seconds'" >&2; exit 2; }
build="${OVERLAY_FUZZ_BUILD:-build-clang}"
jobs="${OVERLAY_JOBS:-$(nproc)}"
parallel="${OVERLAY_FUZZ_PARALLEL:-$(nproc)}"

command -v clang++ >/dev/null || { echo "fuzz.sh: no clang++: run scripts/setup.sh (it installs clang)" >&2; exit 1; }
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q '^OVERLAY_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DOVERLAY_FUZZ=ON >/dev/null
else
  cmake "$build" >/dev/null  # picks up new targets
fi
mapfile -t all_targets <"$build/fuzz_targets.txt"
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  printf '%s\n' "${all_targets[@]}" | grep -qx "$t" ||
    { echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
done

start=$SECONDS
if [ "$build_all" = 1 ]; then
  echo "fuzz: building the whole project with clang into $build"
  build_args=()
else
  echo "fuzz: building ${targets[*]} into $build"
  build_args=(--target "${targets[@]}")
fi
cmake --build "$build" -j"$jobs" "${build_args[@]}" 2>&1 | grep -Ev '^\[ *[0-9]+%\]' || true
test "${PIPESTATUS[0]}" -eq 0
echo "fuzz: built in $((SECONDS - start)) s"

symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | head -1 || true)
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$symbolizer}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# run_one TARGET: one libFuzzer run; its log and exit code in the work dir.
run_one() {
  local t="$1" work="$build/fuzz/$1"
  [ "$fresh" = 1 ] && rm -rf "$work/corpus"
  rm -rf "$work/artifacts"
  mkdir -p "$work/corpus" "$work/artifacts"
  local rc=0
  "$build/bin/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" \
    ${OVERLAY_FUZZ_FLAGS:-} "$work/corpus" "$root/test/fuzz/corpus/$t" >"$work/log" 2>&1 || rc=$?
  echo "$rc" >"$work/rc"
}

echo "fuzz: running ${#targets[@]} target(s) for ${seconds} s each, $parallel at a time"
run_start=$SECONDS
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

passed=0
failed=0
printf '%-22s %12s %8s %8s %8s %8s  %s\n' target executions exec/s cov ft corpus crashes
for t in "${targets[@]}"; do
  work="$build/fuzz/$t"
  rc=$(cat "$work/rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/log" | grep ' cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/corpus" -type f | wc -l)
  crashes=$(find "$work/artifacts" -type f | wc -l)
  printf '%-22s %12s %8s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
  if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
    failed=$((failed + 1))
    echo "--- $t failed (exit $rc); its log ($work/log) ends:"
    grep -E 'ERROR|SUMMARY|runtime error|Check failed|==[0-9]+==' "$work/log" | head -20 || true
    tail -n 30 "$work/log"
    find "$work/artifacts" -type f | sed 's/^/    reproducer: /'
  else
    passed=$((passed + 1))
  fi
done
echo "fuzz: ran for $((SECONDS - run_start)) s"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
