#!/usr/bin/env bash
# Distributed training on one machine (MMDetection's tools/dist_train.sh):
#
#   tools/dist_train.sh CONFIG GPUS [train flags ...]
#
# starts GPUS train processes with the torch.distributed.launch environment (RANK,
# WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT=$PORT) and --launcher pytorch:
# NCCL, one GPU each, on a CUDA build; Gloo on the CPU. PORT (default 29500) lets two jobs
# share a machine. OMP_NUM_THREADS defaults to 1 per process, as torch.distributed.launch
# sets it. The train binary is $TRAIN_BIN, else the one built next to this script (bazel run
# //tools:dist_train), else .bazel/bin/tools/train of the workspace (bazel build //tools:train).
# If a process fails, the others are stopped; the exit code is the first failure's
# (tools/launch_lib.sh).
set -uo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 CONFIG GPUS [train flags ...]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
if ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: GPUS=$GPUS: expected a positive number of processes" >&2
  exit 2
fi
PORT=${PORT:-29500}

# shellcheck source=tools/launch_lib.sh
source "$(dirname "$(readlink -f "$0")")/launch_lib.sh"
find_tool_binary "$0" train
# bazel run starts us in the runfiles tree; relative paths are the caller's.
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi
run_local_ranks "$GPUS" "$PORT" "$tool_bin" "$CONFIG" --launcher pytorch "$@"
