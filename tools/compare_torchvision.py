#!/usr/bin/env python3
"""Our benchmark binaries against torchvision doing the same work, on this machine, in one run.

Run through tools/compare_torchvision.sh (it installs Debian's python3-torchvision if
missing and builds the binaries); never part of CI. Prints one markdown table: each work
item, our time, torchvision's and the ratio (ours / torchvision; lower is better).

Same work on both sides: the same input sizes, random weights (speed does not depend on
them), the same thread count (--threads, default: the cores), warm-up excluded, the median
of --repeats timed runs. The detectors use MMDetection v2.0's test settings on both sides
(1000 RPN proposals, score threshold 0.05, 100 detections) and its training settings for
the training step (2000 RPN boxes before NMS and 1000 after, 256 RPN and 512 RoI samples,
frozen stem and first stage, frozen BatchNorm statistics).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def median_time(fn, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_ours(binary, bench_filter, threads, repeats, extra=()):
    """Median real time (s) of each benchmark matching bench_filter, by name."""
    cmd = [binary, f'--benchmark_filter={bench_filter}', '--benchmark_format=json',
           f'--benchmark_repetitions={repeats}', '--benchmark_report_aggregates_only=true',
           *extra]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if 'ops_benchmark' in binary:
        cmd.append(f'--threads={threads}')
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    result = {}
    for b in json.loads(out)['benchmarks']:
        if b.get('aggregate_name') != 'median':
            continue
        unit = {'ms': 1e-3, 'us': 1e-6, 'ns': 1e-9, 's': 1.0}[b['time_unit']]
        result[b['run_name']] = b['real_time'] * unit
    return result


def random_boxes(torch, n, gen):
    xy = torch.rand(n, 2, generator=gen) * 1200
    wh = torch.rand(n, 2, generator=gen) * 200 + 4
    return torch.cat([xy, xy + wh], 1)


def torchvision_times(args):
    import torch
    import torchvision
    from torchvision.models import resnet50
    from torchvision.models.detection import FasterRCNN, MaskRCNN, RetinaNet
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
    from torchvision.ops import misc as misc_ops
    from torchvision.ops.feature_pyramid_network import LastLevelP6P7

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # the random weights, so that reruns do the same work
    gen = torch.Generator().manual_seed(0)
    times = {}
    r = args.repeats

    def backbone(returned_layers=None, extra_blocks=None):
        body = resnet50(weights=None, norm_layer=misc_ops.FrozenBatchNorm2d)
        return _resnet_fpn_extractor(body, 3, returned_layers=returned_layers,
                                     extra_blocks=extra_blocks)

    test_kw = dict(min_size=800, max_size=1333, rpn_pre_nms_top_n_test=1000,
                   rpn_post_nms_top_n_test=1000, box_score_thresh=0.05,
                   box_detections_per_img=100)
    image = torch.randn(3, 800, 1216, generator=gen)
    if args.detectors:
        detectors = [
            ('faster_rcnn', lambda: FasterRCNN(backbone(), num_classes=81, **test_kw)),
            ('mask_rcnn', lambda: MaskRCNN(backbone(), num_classes=81, **test_kw)),
            ('retinanet', lambda: RetinaNet(
                backbone([2, 3, 4], LastLevelP6P7(256, 256)), num_classes=80, min_size=800,
                max_size=1333, score_thresh=0.05, detections_per_img=100, topk_candidates=1000)),
        ]
        for name, make in detectors:
            model = make().eval()
            with torch.inference_mode():
                times[f'{name} inference'] = median_time(lambda: model([image]), r)
            # Ours in float32 with `test --channels-last --fuse-conv-bn` is compared with
            # torchvision's float32 as it runs by default, and with torchvision given
            # channels-last too (its FrozenBatchNorm2d has no folding to mirror ours).
            times[f'{name} inference, float32 channels-last fused BN'] = times[f'{name} inference']
            model = model.to(memory_format=torch.channels_last)
            if name == 'mask_rcnn':
                # PyTorch 1.13's NHWC convolution fails on the mask head's few RoIs ("view
                # size is not compatible..."), so that head stays NCHW on this side.
                model.roi_heads.mask_head.to(memory_format=torch.contiguous_format)
            with torch.inference_mode():
                times[f'{name} inference, float32 channels-last fused BN '
                      '(torchvision channels-last)'] = median_time(lambda: model([image]), r)
            # Ours with `--winograd` too: the same two torchvision figures (PyTorch has no
            # Winograd switch for its CPU convolutions).
            for vs in ('', ' (torchvision channels-last)'):
                times[f'{name} inference, float32 channels-last fused BN winograd{vs}'] = times[
                    f'{name} inference, float32 channels-last fused BN{vs}']
        # Reduced precision as ours (`test --channels-last --bf16`): channels-last, the
        # backbone, FPN and RPN head under bfloat16 autocast, the RoI heads and
        # post-processing in float32 (torchvision's NMS has no bfloat16 kernel), the box head's
        # fcs under autocast too (ours runs the RoI heads' layers in bfloat16, as MMDetection's
        # fp16 mode), RoIAlign in float32.
        class Bf16Features(torch.nn.Module):
            def __init__(self, body):
                super().__init__()
                self.body = body
                self.out_channels = body.out_channels

            def forward(self, x):
                with torch.autocast('cpu', dtype=torch.bfloat16):
                    features = self.body(x)
                return {k: v.float() for k, v in features.items()}

        # And the RPN head (`--bf16` runs the dense head under autocast too) and the box head:
        # a module under autocast, its outputs (tensors, lists, tuples of them) back in float32.
        def to_float(out):
            if isinstance(out, (list, tuple)):
                return type(out)(to_float(t) for t in out)
            if isinstance(out, dict):
                return {k: to_float(v) for k, v in out.items()}
            return out.float()

        class Bf16Head(torch.nn.Module):
            def __init__(self, head):
                super().__init__()
                self.head = head

            def forward(self, x):
                with torch.autocast('cpu', dtype=torch.bfloat16):
                    return to_float(self.head(x))

        def bf16(model):
            model = model.to(memory_format=torch.channels_last)
            model.backbone = Bf16Features(model.backbone)
            if isinstance(model, RetinaNet):
                # The dense head (cls and reg towers, one dict of float32 maps back).
                model.head = Bf16Head(model.head)
                return model
            model.rpn.head = Bf16Head(model.rpn.head)
            model.roi_heads.box_head = Bf16Head(model.roi_heads.box_head)
            model.roi_heads.box_predictor = Bf16Head(model.roi_heads.box_predictor)
            if isinstance(model, MaskRCNN):
                # NCHW as in the float32 row above (PyTorch 1.13's NHWC convolution on few
                # RoIs), its convolutions and deconvolution under autocast as ours.
                model.roi_heads.mask_head.to(memory_format=torch.contiguous_format)
                model.roi_heads.mask_head = Bf16Head(model.roi_heads.mask_head)
                model.roi_heads.mask_predictor = Bf16Head(model.roi_heads.mask_predictor)
            return model

        for name, make in detectors:
            model = bf16(make().eval())
            with torch.inference_mode():
                times[f'{name} inference, channels-last bf16'] = median_time(
                    lambda: model([image]), r)
            # Ours with `test --channels-last --fuse-conv-bn --bf16` against the same
            # torchvision.
            times[f'{name} inference, channels-last bf16 fused BN'] = times[
                f'{name} inference, channels-last bf16']
        model = FasterRCNN(backbone(), num_classes=81, min_size=800, max_size=1333,
                           rpn_pre_nms_top_n_train=2000, rpn_post_nms_top_n_train=1000,
                           rpn_batch_size_per_image=256, box_batch_size_per_image=512).train()
        boxes = torch.tensor([[50., 60., 250., 300.], [400., 200., 700., 500.], [10., 10., 40., 50.]])
        targets = [{'boxes': boxes, 'labels': torch.tensor([2, 3, 1])} for _ in range(2)]
        images = [torch.randn(3, 800, 1216, generator=gen) for _ in range(2)]

        def step():
            losses = model(images, targets)
            sum(losses.values()).backward()
        times['faster_rcnn train step'] = median_time(step, r)
        model = model.to(memory_format=torch.channels_last)
        times['faster_rcnn train step, channels-last (both sides)'] = median_time(step, r)
        # As `train --channels-last --bf16`: the same step, NHWC, backbone and FPN under
        # bfloat16 autocast (float32 weights, heads and losses).
        model.backbone = Bf16Features(model.backbone)
        times['faster_rcnn train step, channels-last bf16'] = median_time(step, r)

    if args.ops:
        boxes = random_boxes(torch, 2000, gen)
        scores = torch.rand(2000, generator=gen)
        times['nms 2000'] = median_time(lambda: torchvision.ops.nms(boxes, scores, 0.7), r * 5)
        boxes = random_boxes(torch, 10000, gen)
        scores = torch.rand(10000, generator=gen)
        idxs = torch.randint(0, 80, (10000,), generator=gen)
        times['batched nms 10000'] = median_time(
            lambda: torchvision.ops.batched_nms(boxes, scores, idxs, 0.5), r * 5)
        feat = torch.rand(2, 256, 200, 304, generator=gen)
        rois = torch.cat([torch.randint(0, 2, (1024, 1), generator=gen).float(),
                          random_boxes(torch, 1024, gen)], 1)
        times['roi_align forward'] = median_time(
            lambda: torchvision.ops.roi_align(feat, rois, (7, 7), 0.25, 0, True), r)
        feat_g = feat.clone().requires_grad_(True)
        out = torchvision.ops.roi_align(feat_g, rois, (7, 7), 0.25, 0, True)
        grad = torch.ones_like(out)
        times['roi_align backward'] = median_time(
            lambda: out.backward(grad, retain_graph=True), r)
        logits = torch.randn(100000, 80, generator=gen).requires_grad_(True)
        labels = torch.randint(0, 81, (100000,), generator=gen)
        onehot = torch.nn.functional.one_hot(labels, 81)[:, :80].float()

        def focal():
            torchvision.ops.sigmoid_focal_loss(logits, onehot, 0.25, 2.0, 'sum').backward()
        times['focal loss fwd+bwd'] = median_time(focal, r)
        from torchvision.models.detection.roi_heads import paste_masks_in_image
        masks = torch.rand(100, 1, 28, 28, generator=gen)
        xy = torch.rand(100, 2, generator=gen) * torch.tensor([1100., 560.])
        mboxes = torch.cat([xy, xy + torch.rand(100, 2, generator=gen) * 200 + 4], 1)
        times['mask paste 100'] = median_time(
            lambda: paste_masks_in_image(masks, mboxes, (800, 1333)), r)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bin', default='.bazel/bin', help='bazel-bin of a -c opt build')
    parser.add_argument('--threads', type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--no-detectors', dest='detectors', action='store_false')
    parser.add_argument('--no-ops', dest='ops', action='store_false')
    args = parser.parse_args()

    ours = {}
    if args.detectors:
        det = run_ours(f'{args.bin}/mmdet/models/detectors/detector_benchmark',
                       '(BM_Inference/(faster_rcnn|mask_rcnn|retinanet)_r50_fpn'
                       '(_fused_channels_last(_winograd)?)?|'
                       'BM_Inference/(faster_rcnn|mask_rcnn|retinanet)_r50_fpn'
                       '(_fused)?_channels_last_bf16|'
                       'BM_TrainStep/faster_rcnn_r50_fpn(_channels_last(_bf16)?)?)/',
                       args.threads, args.repeats)
        fast = []
        for d in ('faster_rcnn', 'mask_rcnn', 'retinanet'):
            for vs in ('', ' (torchvision channels-last)'):
                fast.append((f'{d} inference, float32 channels-last fused BN{vs}',
                             f'BM_Inference/{d}_r50_fpn_fused_channels_last'))
        for d in ('faster_rcnn', 'mask_rcnn', 'retinanet'):
            for vs in ('', ' (torchvision channels-last)'):
                fast.append((f'{d} inference, float32 channels-last fused BN winograd{vs}',
                             f'BM_Inference/{d}_r50_fpn_fused_channels_last_winograd'))
        bf16 = []
        for d in ('faster_rcnn', 'mask_rcnn', 'retinanet'):
            bf16.append((f'{d} inference, channels-last bf16',
                         f'BM_Inference/{d}_r50_fpn_channels_last_bf16'))
            bf16.append((f'{d} inference, channels-last bf16 fused BN',
                         f'BM_Inference/{d}_r50_fpn_fused_channels_last_bf16'))
        for key, name in [('faster_rcnn inference', 'BM_Inference/faster_rcnn_r50_fpn'),
                          ('mask_rcnn inference', 'BM_Inference/mask_rcnn_r50_fpn'),
                          ('retinanet inference', 'BM_Inference/retinanet_r50_fpn'),
                          *fast,
                          *bf16,
                          ('faster_rcnn train step', 'BM_TrainStep/faster_rcnn_r50_fpn'),
                          ('faster_rcnn train step, channels-last (both sides)',
                           'BM_TrainStep/faster_rcnn_r50_fpn_channels_last'),
                          ('faster_rcnn train step, channels-last bf16',
                           'BM_TrainStep/faster_rcnn_r50_fpn_channels_last_bf16')]:
            ours[key] = next(v for k, v in det.items() if k.startswith(name + '/'))
    if args.ops:
        ops = run_ours(f'{args.bin}/mmdet/ops/ops_benchmark',
                       'BM_(Nms/cpu/2000|BatchedNms/cpu/10000|RoiAlignForward/cpu|'
                       'RoiAlignBackward/cpu|SigmoidFocalLoss/cpu|PasteMasks/cpu)',
                       args.threads, args.repeats)
        for key, name in [('nms 2000', 'BM_Nms/cpu/2000'),
                          ('batched nms 10000', 'BM_BatchedNms/cpu/10000'),
                          ('roi_align forward', 'BM_RoiAlignForward/cpu/1024'),
                          ('roi_align backward', 'BM_RoiAlignBackward/cpu/1024'),
                          ('focal loss fwd+bwd', 'BM_SigmoidFocalLoss/cpu/100000'),
                          ('mask paste 100', 'BM_PasteMasks/cpu')]:
            ours[key] = next(v for k, v in ops.items() if k.startswith(name))
    theirs = torchvision_times(args)
    import torch
    import torchvision
    print(f'{time.strftime("%Y-%m-%d")}, {args.threads} threads, median of {args.repeats}; '
          f'torchvision {torchvision.__version__} on PyTorch {torch.__version__}')
    print('| work | ours | torchvision | ratio |')
    print('|---|---|---|---|')
    for key, value in ours.items():
        other = theirs.get(key)
        fmt = (lambda s: f'{s * 1e3:.1f} ms') if value < 1 else (lambda s: f'{s:.2f} s')
        ratio = f'{value / other:.2f}' if other else ''
        print(f'| {key} | {fmt(value)} | {fmt(other) if other else ""} | {ratio} |')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
