#!/usr/bin/env bash
# Run on a Debian 12 machine with apt (the CPU build machine): downloads, without installing,
# the Debian packages that the `--config=cuda` build and its runtime need on a bare GPU
# machine (no Debian packages there, no network), plus their runtime dependencies, into
# OUT_DIR (default .gpu_bundle/debs, git-ignored). The .deb files stay compressed; the script
# prints their total size and fails when, with the npm Bazel 2.1.0 binary (BAZEL2, default
# .bazel2/bazel), they exceed the device tool's 64 MiB carry limit. tools/gpu/setup.sh unpacks
# them on the GPU machine.
#
# Left out on purpose: OpenCV's image codecs (libopencv-imgcodecs pulls ~200 MB of GDAL,
# HDF5, Poppler ...), videoio and highgui, cairo (analyze_logs' plots) and tcmalloc; the
# CUDA build does without them (docs/gpu.md).
#   tools/gpu/bundle_debs.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.gpu_bundle/debs}
bazel2=${BAZEL2:-.bazel2/bazel}
limit=$((64 * 1024 * 1024))
# What the build links or includes (-dev) and what protoc needs to run.
wanted=(
  libabsl-dev protobuf-compiler libprotobuf-dev libgoogle-glog-dev libgflags-dev
  libopencv-core-dev libopencv-imgproc-dev libturbojpeg0-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev rapidjson-dev libsimdjson-dev libpugixml-dev
)
# Present on every GPU machine image (glibc and its headers, the GCC runtime, zlib, OpenSSL
# and Kerberos), and Mesa's GL drivers: libopencv_core links libGL through GLVND (libglvnd0,
# libglx0 stay), which loads a driver (Mesa DRI, LLVM) only when GL is used, never here.
skip='^(gcc-12-base|libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libgcc-s1|libstdc\+\+6|zlib1g|zlib1g-dev|libcrypt1|libcrypt-dev|libnsl2|libnsl-dev|libtirpc3|libtirpc-dev|libtirpc-common|rpcsvc-proto|libssl3|libgssapi-krb5-2|libkrb5-3|libkrb5support0|libk5crypto3|libcom-err2|libkeyutils1|libgl1-mesa-dri|libglx-mesa0|libglapi-mesa|libllvm15|libz3-4|libdrm.*|libpciaccess0|libsensors.*|libedit2|libelf1|libicu72|libxml2|libxcb-(dri2|dri3|glx|present|randr|shm|sync|xfixes).*|libxshmfence1|libxxf86vm1|libxfixes3|libx11-xcb1|libtinfo6|libffi8|libexpat1)$'
# The packages a fresh system would install (apt resolves each alternative once), as if
# nothing were installed yet.
empty_status=$(mktemp)
trap 'rm -f "$empty_status"' EXIT
mapfile -t packages < <(apt-get -o Dir::State::status="$empty_status" -s install \
    --no-install-recommends "${wanted[@]}" 2>/dev/null | awk '/^Inst /{print $2}' |
  grep -vE "$skip" | sort -u)
if ((${#packages[@]} == 0)); then
  echo "bundle_debs.sh: apt could not resolve the packages (a Debian 12 apt is needed)" >&2
  exit 2
fi
mkdir -p "$out"
echo "== ${#packages[@]} packages -> $out" >&2
(cd "$out" && apt-get download "${packages[@]}" >&2 2>/dev/null) || {
  echo "bundle_debs.sh: apt-get download failed (run it where apt reaches a Debian 12 mirror)" >&2
  exit 2
}
debs=$(du -cb "$out"/*.deb | tail -n 1 | cut -f1)
bazel_size=0
if [[ -f "$bazel2" ]]; then bazel_size=$(stat -c %s "$bazel2"); fi
total=$((debs + bazel_size))
printf '== .debs: %.1f MiB; Bazel 2.1.0 (%s): %.1f MiB; together %.1f MiB of the %d MiB carry limit\n' \
  "$(echo "$debs / 1048576" | bc -l)" "$bazel2" "$(echo "$bazel_size / 1048576" | bc -l)" \
  "$(echo "$total / 1048576" | bc -l)" $((limit / 1048576)) >&2
if ((total > limit)); then
  echo "bundle_debs.sh: over the carry limit; drop packages from the list" >&2
  exit 1
fi
