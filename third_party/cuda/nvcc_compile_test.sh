#!/usr/bin/env bash
# Compiles each .cu given after the flags with the CUDA toolkit's nvcc (no GPU needed), one
# file per core at a time. $1: nvcc flags; $2...: sources (runfiles paths). Fails with
# nvcc's output if any file fails, so a CUDA compile error fails `bazel test //...` in CI.
set -uo pipefail
flags=$1
shift
nvcc="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
if [[ ! -x "$nvcc" ]]; then
  echo "nvcc_compile_test: no nvcc at $nvcc (set CUDA_HOME); cannot check the CUDA sources" >&2
  exit 1
fi
# Runfiles: the workspace root, with external repositories under external/ for -isystem.
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
[[ -e external ]] || ln -s .. external 2>/dev/null || true
out="${TEST_TMPDIR:-/tmp}/nvcc_check"
mkdir -p "$out"

compile() {
  local src=$1 name start
  name=$(echo "$src" | tr '/' '_')
  start=$(date +%s)
  # shellcheck disable=SC2086
  if "$nvcc" $flags -c "$src" -o "$out/$name.o" 2>"$out/$name.log"; then
    echo "nvcc_compile_test: ok $src ($(( $(date +%s) - start ))s)"
  else
    grep -v "warning #" "$out/$name.log" >&2
    echo "nvcc_compile_test: FAILED: $src" >&2
    return 1
  fi
}

jobs=$(nproc 2>/dev/null || echo 2)
status=0
pids=()
for src in "$@"; do
  compile "$src" &
  pids+=($!)
  if (( ${#pids[@]} >= jobs )); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
