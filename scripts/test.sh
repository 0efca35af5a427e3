#!/usr/bin/env bash
# Sets up (packages + build) and runs every test through CTest, then the
# clang build and the fuzz targets (scripts/fuzz.sh).
# Uses the real data set at ../shared/data/2020-fire/data when present
# (or OVERLAY_DATA=DIR); tests that need it say they skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd build && ctest --output-on-failure -j"${OVERLAY_TEST_JOBS:-2}" --timeout 600 "$@")
# Then the whole project once more with clang into build-clang
# (-Wthread-safety -Werror, instrumented with ASan+UBSan), and each fuzz
# target for OVERLAY_FUZZ_SECONDS (20) on its seed corpus; a crash fails.
# OVERLAY_SKIP_FUZZ=1 skips this part.
if [ "${OVERLAY_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh --build-all --fresh "${OVERLAY_FUZZ_SECONDS:-20}"
fi
