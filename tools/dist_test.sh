#!/usr/bin/env bash
# Distributed testing on one machine (MMDetection's tools/dist_test.sh):
#
#   [PORT=29500] tools/dist_test.sh CONFIG CHECKPOINT GPUS [test flags ...]
#
# starts GPUS test processes with torch.distributed.launch's variables and --launcher
# pytorch (NCCL on a CUDA build, Gloo on the CPU); each tests its share of data.test and rank
# 0 writes and evaluates the gathered results, the same as one process would. The test binary
# is $TEST_BIN, else the one next to this script (bazel run //tools:dist_test), else
# .bazel/bin/tools/test of the workspace (tools/launch_lib.sh).
set -uo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: $0 CONFIG CHECKPOINT GPUS [test flags ...]" >&2
  exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
if ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: GPUS=$GPUS: expected a positive number of processes" >&2
  exit 2
fi
PORT=${PORT:-29500}
# shellcheck source=tools/launch_lib.sh
source "$(dirname "$(readlink -f "$0")")/launch_lib.sh"
find_tool_binary "$0" test
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi
run_local_ranks "$GPUS" "$PORT" "$tool_bin" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
