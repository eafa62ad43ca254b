#!/usr/bin/env bash
# Training on a Slurm cluster (MMDetection's tools/slurm_train.sh):
#
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [GPUS] [train flags ...]
#
# GPUS (processes in all) is v1.2's 5th positional argument when it is a number, else the GPUS
# variable (v2.0), default 8. srun starts the tasks; each runs train with --launcher slurm and
# finds its rank, the world size and the master (the first host of SLURM_NODELIST) in srun's
# SLURM_* variables; MASTER_PORT (else the config's dist_params.port, 29500) is the
# rendezvous port. PY_ARGS (v1.2) adds train flags. The train binary is $TRAIN_BIN, else the
# one next to this script, else .bazel/bin/tools/train of the workspace: a path every node
# sees (a shared file system), as the Python tools need theirs.
set -euo pipefail
if [[ $# -lt 4 ]]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [GPUS] [train flags ...]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
if [[ $# -gt 0 && "$1" =~ ^[1-9][0-9]*$ ]]; then
  GPUS=$1
  shift
fi
export GPUS
PY_ARGS=${PY_ARGS:-""}
# shellcheck source=tools/launch_lib.sh
source "$(dirname "$(readlink -f "$0")")/launch_lib.sh"
find_tool_binary "$0" train
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi
# shellcheck disable=SC2086  # PY_ARGS is a word list
run_srun "$PARTITION" "$JOB_NAME" "$tool_bin" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm \
  ${PY_ARGS} "$@"
