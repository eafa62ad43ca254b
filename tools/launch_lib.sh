# Sourced by the launch scripts (dist_train.sh, dist_test.sh, slurm_train.sh, slurm_test.sh).

# find_tool_binary SCRIPT TOOL: sets `tool_bin` to the TOOL binary (train, test), looked for
# in this order: $TRAIN_BIN / $TEST_BIN; the runfiles of `bazel run //tools:dist_TOOL`; next
# to the script; .bazel/bin/tools/TOOL of the workspace (`bazel build //tools:TOOL`). Exits 2
# with one line when there is none.
find_tool_binary() {
  local script=$1 tool=$2 here candidate override
  here=$(cd "$(dirname "$script")" && pwd)
  override="${tool^^}_BIN"
  tool_bin=${!override:-}
  if [[ -n "$tool_bin" ]]; then return; fi
  for candidate in "$script.runfiles/mmdet_cpp/tools/$tool" \
                   "${RUNFILES_DIR:-/nonexistent}/mmdet_cpp/tools/$tool" \
                   "$here/$tool" "$here/../.bazel/bin/tools/$tool" \
                   "$(dirname "$(readlink -f "$script")")/../.bazel/bin/tools/$tool"; do
    if [[ -x "$candidate" && ! -d "$candidate" ]]; then
      tool_bin=$candidate
      return
    fi
  done
  echo "$script: no $tool binary: build it (bazel build //tools:$tool) or set $override" >&2
  exit 2
}

# run_local_ranks N PORT COMMAND...: N copies of COMMAND with torch.distributed.launch's
# variables (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT=PORT,
# OMP_NUM_THREADS=1 unless set). When one fails the others are stopped; returns the first
# failure's exit code.
run_local_ranks() {
  local n=$1 port=$2 rank status=0 rc finished
  shift 2
  local pids=()
  # shellcheck disable=SC2317  # called by the trap
  stop_ranks() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
  trap 'stop_ranks; exit 130' INT TERM
  for ((rank = 0; rank < n; rank++)); do
    RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$@" &
    pids+=($!)
  done
  for ((rank = 0; rank < n; rank++)); do
    wait -n -p finished
    rc=$?
    if ((rc != 0 && status == 0)); then
      status=$rc
      echo "${0##*/}: process ${finished:-?} exited with $rc; stopping the others" >&2
      sleep 5  # let the others report the lost peer themselves
      stop_ranks
    fi
  done
  return $status
}

# run_srun PARTITION JOB_NAME COMMAND...: srun with MMDetection's arguments, from GPUS (8),
# GPUS_PER_NODE (8, at most GPUS), CPUS_PER_TASK (5) and SRUN_ARGS (extra srun words).
run_srun() {
  local partition=$1 job=$2
  shift 2
  local gpus=${GPUS:-8} per_node=${GPUS_PER_NODE:-8} cpus=${CPUS_PER_TASK:-5}
  if ((per_node > gpus)); then per_node=$gpus; fi
  set -x
  # shellcheck disable=SC2086  # SRUN_ARGS is a word list
  srun -p "$partition" --job-name="$job" --gres=gpu:"$per_node" --ntasks="$gpus" \
    --ntasks-per-node="$per_node" --cpus-per-task="$cpus" --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} "$@"
}
