#!/usr/bin/env bash
# Installs the Debian packages the project needs (only the missing ones, so it
# is quiet and fast when all are there) and builds everything into build/.
#   scripts/setup.sh            # packages + Release build
#   OVERLAY_SKIP_BUILD=1 scripts/setup.sh   # packages only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev rapidjson-dev libgoogle-glog-dev libgflags-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-protobuf iproute2 procps
  clang libclang-rt-14-dev llvm-14  # clang: the -Wthread-safety build and fuzzing
  grpc-proto openssl)  # grpc.health.v1 definition; TLS test certificates

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${OVERLAY_SKIP_BUILD:-0}" = 1 ] && exit 0
JOBS="${OVERLAY_JOBS:-$(nproc)}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS" 2>&1 | grep -Ev '^\[ *[0-9]+%\]' || true
test "${PIPESTATUS[0]}" -eq 0
