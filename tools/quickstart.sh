#!/usr/bin/env bash
# The README's set-up + main job: installs the Debian packages if missing, builds every
# tool, and runs them on the bundled configs (no download needed): generates the shapes data,
# browses its training pipeline, prints a config, then trains the shapes Mask R-CNN with
# validation, tests the checkpoint (bbox and segm mAP) and draws its val predictions.
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
shapes=configs/shapes/mask_rcnn_r18_fpn_gn_shapes.pbtxt
work=work_dirs/mask_rcnn_r18_fpn_gn_shapes
echo "== train ${shapes} --validate: 13 epochs on the 200 shapes images (CPU: ~13 min on an AVX-512 VM, over twice that on an AVX2-only one)," \
  "bbox and segm mAP on the 50 val images after the last epoch -> ${work}" >&2
start=$(date +%s)
bazel run -- //tools:train "${shapes}" --work-dir "${work}" --seed 0 --validate \
  --options log_config.interval=50
echo "== trained in $(( $(date +%s) - start )) s; the val lines of the log.json (MMDetection's keys)" >&2
log=$(ls -t "${work}"/*.log.json | head -n 1)
grep '"mode": "val"' "${log}"
echo "== test ${work}/latest.pth --eval bbox segm --show-dir ${work}/pictures" >&2
bazel run -- //tools:test "${shapes}" "${work}/latest.pth" --eval bbox segm \
  --show-dir "${work}/pictures" | tr -d '{}' | tr ',' '\n' | grep -E '"(bbox|segm)_mAP"' | tr -d '"' | sed 's/^ *//'
last=$(ls -t "${work}"/epoch_*.pth | head -n 1)
echo "== log: ${log%.json}, ${log}; checkpoints: ${last}, ${work}/latest.pth;" \
  "pictures of the val predictions: ${work}/pictures/" >&2
