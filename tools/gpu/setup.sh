#!/usr/bin/env bash
# On the bare GPU machine (no Debian packages, no network): unpacks the .deb files that
# tools/gpu/bundle_debs.sh fetched into PREFIX and writes user.bazelrc (git-ignored, read by
# .bazelrc's try-import) so that the build finds them through GCC's own search variables:
# CPLUS_INCLUDE_PATH / C_INCLUDE_PATH for headers (GCC treats them as system directories, and
# Bazel's toolchain set-up lists them as built-in include directories), LIBRARY_PATH for -l,
# an rpath for run time, PATH and LD_LIBRARY_PATH for protoc; MMDET_DEPS_PREFIX for the
# repository rules (OpenCV's headers). Without dpkg-deb it unpacks with python3.
#   tools/gpu/setup.sh [--debs DIR] [--prefix DIR]
# then: .bazel2/bazel build --config=cuda //...   (docs/gpu.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
debs=.gpu_bundle/debs
prefix=$PWD/.gpu_bundle/prefix
while (($#)); do
  case "$1" in
    --debs) debs=$2; shift 2 ;;
    --prefix) prefix=$(realpath -m "$2"); shift 2 ;;
    *) echo "setup.sh: unknown argument '$1' (expected --debs DIR, --prefix DIR)" >&2; exit 2 ;;
  esac
done
shopt -s nullglob
files=("$debs"/*.deb)
if ((${#files[@]} == 0)); then
  echo "setup.sh: no .deb files in $debs (run tools/gpu/bundle_debs.sh on the CPU machine and carry $debs)" >&2
  exit 2
fi
mkdir -p "$prefix"
for deb in "${files[@]}"; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$prefix"
  else
    # A .deb is an ar archive whose data.tar.* member holds the files.
    python3 - "$deb" "$prefix" <<'PY'
import io, sys, tarfile
deb, prefix = sys.argv[1], sys.argv[2]
data = open(deb, 'rb').read()
if not data.startswith(b'!<arch>\n'):
    sys.exit(f'setup.sh: {deb}: not a .deb (ar) archive')
pos = 8
while pos + 60 <= len(data):
    name = data[pos:pos + 16].decode().strip().rstrip('/')
    size = int(data[pos + 48:pos + 58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            tar.extractall(prefix)
        break
    pos += 60 + size + (size & 1)
else:
    sys.exit(f'setup.sh: {deb}: no data.tar member')
PY
  fi
done
lib=$prefix/usr/lib/x86_64-linux-gnu
# Debian's alternatives (set up by maintainer scripts, which nothing runs here): BLAS and
# LAPACK for OpenCV.
for alt in libblas.so.3 liblapack.so.3; do
  if [[ ! -e "$lib/$alt" && -e "$lib/openblas-pthread/$alt" ]]; then
    ln -sf "openblas-pthread/$alt" "$lib/$alt"
  fi
done
for needed in usr/include/absl usr/include/google/protobuf usr/include/opencv4 usr/bin/protoc \
    usr/include/turbojpeg.h; do
  if [[ ! -e "$prefix/$needed" ]]; then
    echo "setup.sh: $prefix/$needed is missing after unpacking (an incomplete bundle?)" >&2
    exit 2
  fi
done
include=$prefix/usr/include/x86_64-linux-gnu:$prefix/usr/include
cat >user.bazelrc <<EOF
# Written by tools/gpu/setup.sh: the Debian packages unpacked under $prefix.
build --repo_env=MMDET_DEPS_PREFIX=$prefix
build --repo_env=CPLUS_INCLUDE_PATH=$include --action_env=CPLUS_INCLUDE_PATH=$include
build --repo_env=C_INCLUDE_PATH=$include --action_env=C_INCLUDE_PATH=$include
build --action_env=LIBRARY_PATH=$lib
build --action_env=LD_LIBRARY_PATH=$lib
build --action_env=PATH=$prefix/usr/bin:${PATH}
build --linkopt=-Wl,-rpath,$lib --linkopt=-Wl,-rpath-link,$lib
test --test_env=LD_LIBRARY_PATH=$lib
EOF
echo "== ${#files[@]} packages unpacked into $prefix; user.bazelrc written" >&2
