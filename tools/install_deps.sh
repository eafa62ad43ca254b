#!/usr/bin/env bash
# Installs the Debian packages mmdet-cpp builds and runs with. Idempotent: packages already
# present are skipped, and nothing is fetched from outside Debian's archive.
#
#   tools/install_deps.sh          # installs what is missing (needs root or sudo)
#   tools/install_deps.sh --check  # exits 1 and lists what is missing, installs nothing
set -euo pipefail

PACKAGES=(
  # Build system: Bazel 4.2.3 (pulls a JDK) and the C++ toolchain.
  bazel-bootstrap g++ git
  # LibTorch (CPU, Gloo c10d) and OpenBLAS behind it: the reference BLAS is ~100x slower.
  libtorch-dev libopenblas0-pthread libgloo-dev
  # Everything else the libraries use.
  libopencv-dev libabsl-dev libprotobuf-dev protobuf-compiler
  libgoogle-glog-dev libgflags-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev rapidjson-dev libpugixml-dev libcairo2-dev
  # oneDNN's own API (the libdnnl.so.2 LibTorch already runs on): fused inference convolutions.
  libdnnl-dev
  # libjpeg-turbo's TurboJPEG API: the JPEG decoder and encoder (OpenCV's results, decoding ~1.5x faster).
  libturbojpeg0-dev
  # libpng: PNG read / write with OpenCV's results.
  libpng-dev
  # tcmalloc: the tools' malloc (~30% faster CPU inference than glibc's; third_party/tcmalloc).
  libtcmalloc-minimal4
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "install_deps: missing: ${missing[*]}" >&2
  exit 1
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps: done" >&2
