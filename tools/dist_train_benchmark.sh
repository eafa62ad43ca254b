#!/usr/bin/env bash
# Benchmark (not a test): one training process against N Gloo processes on this machine,
# through the real tools, on the bundled shapes data (tools/quickstart.sh generates it):
#
#   tools/dist_train_benchmark.sh [CONFIG] [N] [EPOCHS]
#
# Prints, for each setting, s/iter (log.json's `time`, first logged interval dropped),
# images/s and, distributed, the gradient all-reduce time not hidden behind backward (the
# "gradient all-reduce" line of the log) as a share of the iteration.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt}
N=${2:-2}
EPOCHS=${3:-1}
bazel build //tools:train >/dev/null 2>&1
export TRAIN_BIN=$PWD/.bazel/bin/tools/train
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
imgs=$(sed -n 's/^ *imgs_per_gpu: *\([0-9]*\).*/\1/p' configs/_base_/datasets/shapes_instance.pbtxt | head -n1)
imgs=${imgs:-2}
flags=(--seed 0 --no-validate --options total_epochs="$EPOCHS" log_config.interval=10)

report() {  # name dir processes
  local json
  json=$(ls "$2"/*.log.json | head -n1)
  python3 - "$json" "$1" "$3" "$imgs" "$2" <<'PY' 2>/dev/null || awk -v name="$1" '
    /"mode": "train"/ { n++; if (n > 1) { match($0, /"time": [0-9.]+/); t += substr($0, RSTART + 8, RLENGTH - 8); k++ } }
    END { printf "%-24s %.3f s/iter\n", name, t / k }' "$json"
import json, sys, glob, re
path, name, procs, imgs, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
times = [json.loads(l)["time"] for l in open(path) if '"mode": "train"' in l][1:]
t = sum(times) / len(times)
line = f"{name:<24} {t:.3f} s/iter  {procs * imgs / t:.2f} images/s"
for log in glob.glob(d + "/*.log"):
    m = re.search(r"gradient all-reduce: (\d+) buckets, [0-9.]+ s waited .* \(([0-9.]+) ms/iter\)", open(log).read())
    if m:
        line += f"  all-reduce wait {float(m.group(2)):.1f} ms/iter ({float(m.group(2)) / 10 / t:.1f}% of the step, {m.group(1)} buckets)"
print(line)
PY
}

"$TRAIN_BIN" "$CONFIG" --work-dir "$work/one" "${flags[@]}" 2>/dev/null
report "1 process" "$work/one" 1
PORT=${PORT:-29555} tools/dist_train.sh "$CONFIG" "$N" --work-dir "$work/dist" "${flags[@]}" 2>/dev/null
report "$N Gloo processes" "$work/dist" "$N"
