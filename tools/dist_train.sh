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
# If a process fails, the others are stopped; the exit code is the first failure's.
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
here=$(cd "$(dirname "$0")" && pwd)

train=${TRAIN_BIN:-}
if [[ -z "$train" ]]; then
  for candidate in "$0.runfiles/mmdet_cpp/tools/train" "${RUNFILES_DIR:-/nonexistent}/mmdet_cpp/tools/train" \
                   "$here/train" "$here/../.bazel/bin/tools/train"; do
    if [[ -x "$candidate" && ! -d "$candidate" ]]; then train=$candidate; break; fi
  done
fi
if [[ -z "$train" ]]; then
  echo "$0: no train binary: build it (bazel build //tools:train) or set TRAIN_BIN" >&2
  exit 2
fi
# bazel run starts us in the runfiles tree; relative paths are the caller's.
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
}
trap 'stop_all; exit 130' INT TERM
for ((rank = 0; rank < GPUS; rank++)); do
  RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=$GPUS MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT \
    OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
    "$train" "$CONFIG" --launcher pytorch "$@" &
  pids+=($!)
done
status=0
for ((n = 0; n < GPUS; n++)); do
  wait -n -p finished
  rc=$?
  if ((rc != 0 && status == 0)); then
    status=$rc
    echo "$0: process ${finished:-?} exited with $rc; stopping the others" >&2
    sleep 5  # let the others report the lost peer themselves
    stop_all
  fi
done
exit $status
