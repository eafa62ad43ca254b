#!/usr/bin/env bash
# Compiles each .cu given after the flags with the CUDA toolkit's nvcc (no GPU needed).
# $1: nvcc flags; $2...: sources (runfiles paths). Fails on the first error, with nvcc's
# output, so a CUDA compile error fails `bazel test //...` in CI.
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
for src in "$@"; do
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! "$nvcc" $flags -c "$src" -o "$out/$(basename "$src").o" 2>"$out/log"; then
    grep -v "warning #" "$out/log" >&2
    echo "nvcc_compile_test: FAILED: $src" >&2
    exit 1
  fi
  echo "nvcc_compile_test: ok $src ($(( $(date +%s) - start ))s)"
done
