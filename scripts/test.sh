#!/usr/bin/env bash
# Sets up (packages + build) and runs every test through CTest.
# Uses the real data set at ../shared/data/2020-fire/data when present
# (or OVERLAY_DATA=DIR); tests that need it say they skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j"${OVERLAY_TEST_JOBS:-2}" --timeout 600 "$@"
