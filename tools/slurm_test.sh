#!/usr/bin/env bash
# Testing on a Slurm cluster (MMDetection's tools/slurm_test.sh):
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test flags ...]
#
# srun starts GPUS tasks of `test CONFIG CHECKPOINT --launcher=slurm`; see slurm_train.sh for
# how the tasks find each other. The test binary is $TEST_BIN, else the one next to this
# script, else .bazel/bin/tools/test of the workspace.
set -euo pipefail
if [[ $# -lt 4 ]]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test flags ...]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
# shellcheck source=tools/launch_lib.sh
source "$(dirname "$(readlink -f "$0")")/launch_lib.sh"
find_tool_binary "$0" test
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi
run_srun "$PARTITION" "$JOB_NAME" "$tool_bin" "$CONFIG" "$CHECKPOINT" --launcher=slurm "$@"
