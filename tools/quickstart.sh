#!/usr/bin/env bash
# The README's set-up + main job: installs the Debian packages if missing, builds every
# tool, and runs them on the bundled configs (no download needed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel build //tools/...
echo "== make_shapes_dataset -o data/shapes (the bundled synthetic COCO-format data)" >&2
bazel run -- //tools:make_shapes_dataset -o data/shapes
ls data/shapes/annotations >&2
echo "== browse_dataset: the training pipeline's output on 5 images -> work_dirs/browse" >&2
bazel run -- //tools:browse_dataset configs/_base_/datasets/shapes_instance.pbtxt \
  --output_dir work_dirs/browse --max_images 5 --out_ext png
config=configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt
echo "== print_config ${config} --options total_epochs=24 model.backbone.depth=101" >&2
bazel run -- //tools:print_config "${config}" \
  --options total_epochs=24 model.backbone.depth=101 | sed -n 1,40p
echo "== print_config on a misspelled field (expected: one line, exit 2)" >&2
bad=$(mktemp --suffix=.pbtxt)
printf 'total_epochs: 12\nlog_config { intervl: 5 }\n' >"$bad"
set +e
bazel run -- //tools:print_config "$bad" 2>&1 | tail -n 1
echo "exit code: ${PIPESTATUS[0]}" >&2
rm -f "$bad"
set -e
shapes=configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt
echo "== train ${shapes}: one epoch on the 200 shapes images (CPU) -> work_dirs/faster_rcnn_r18_fpn_shapes" >&2
bazel run -- //tools:train "${shapes}" --work-dir work_dirs/faster_rcnn_r18_fpn_shapes \
  --seed 0 --no-validate --options total_epochs=1 log_config.interval=20
ls -l work_dirs/faster_rcnn_r18_fpn_shapes >&2
echo "== the last line of its log.json (MMDetection's keys)" >&2
tail -n 1 "$(ls -t work_dirs/faster_rcnn_r18_fpn_shapes/*.log.json | head -n 1)"
