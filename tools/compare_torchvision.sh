#!/usr/bin/env bash
# Our CPU benchmark binaries against torchvision doing the same work on this machine, in one
# go (issue 18's evidence; docs/benchmarks.md has the figures). Installs Debian's
# python3-torchvision when it is missing (here only, never in CI), builds the two benchmark
# binaries with -c opt and prints a markdown table of ours / torchvision.
#   tools/compare_torchvision.sh [--threads N] [--repeats N] [--no-detectors] [--no-ops]
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
if ! "$python" -c 'import torchvision' 2>/dev/null; then
  echo "== installing python3-torchvision (Debian) for the comparison" >&2
  sudo_cmd=""
  if [[ $(id -u) != 0 ]]; then sudo_cmd=sudo; fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q python3-torchvision >&2
fi
bazel build -c opt //mmdet/models/detectors:detector_benchmark //mmdet/ops:ops_benchmark >&2
exec "$python" tools/compare_torchvision.py --bin .bazel/bin "$@"
