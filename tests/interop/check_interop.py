"""Interop check against Python PyTorch, for machines where torch is installed (the GPU
machines); the project itself never needs Python.

    bazel run //tests/interop:interop_export -- $PWD/interop_out
    python3 tests/interop/check_interop.py interop_out OUT_DIR

1. Every file interop_export wrote loads with torch.load (weights_only True and False) and a
   checkpoint has MMDetection's layout.
2. torchvision's resnet50 loads our ResNet-50 state_dict by name and, in eval mode, computes
   our C2 and C3 (CPU, and CUDA when present).
3. Writes OUT_DIR/fixtures/{zip,legacy}.pth with torch.save (new zip and pre-1.6 legacy
   formats) for mmdet/core/pth's tests: the object is built by fixture() below, and the C++
   test checks the same values.
Exits non-zero on any mismatch.
"""
import collections
import os
import sys

import torch


def fixture():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = collections.OrderedDict()
    sd['conv.weight'] = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2)
    sd['conv.bias'] = torch.tensor([0.5, -1.5])
    sd['bn.num_batches_tracked'] = torch.tensor(7)
    sd._metadata = collections.OrderedDict([('', {'version': 1}), ('bn', {'version': 2})])
    obj = {
        'meta': {'epoch': 12, 'iter': 1000, 'mmdet_version': '2.0.0',
                 'CLASSES': ('cat', 'dog'), 'lr': 0.02, 'flag': True, 'none': None},
        'state_dict': sd,
        'optimizer': {'state': {0: {'momentum_buffer': torch.full((2,), 0.25)}},
                      'param_groups': [{'lr': 0.02, 'momentum': 0.9, 'nesterov': False,
                                        'params': [0, 1]}]},
        'views': {'base': base, 'row': base[1], 'col': base[:, 2], 'transposed': base.t()},
        'dtypes': {'f16': torch.tensor([1.5, -2.0], dtype=torch.float16),
                   'bf16': torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
                   'f64': torch.tensor([1.25], dtype=torch.float64),
                   'i32': torch.tensor([-3, 4], dtype=torch.int32),
                   'u8': torch.tensor([255, 0], dtype=torch.uint8),
                   'i8': torch.tensor([-128, 5], dtype=torch.int8),
                   'i16': torch.tensor([300], dtype=torch.int16),
                   'b': torch.tensor([True, False]),
                   'empty': torch.zeros(0, 4)},
        'param': torch.nn.Parameter(torch.tensor([2.0, 3.0])),
    }
    if torch.cuda.is_available():
        obj['cuda'] = torch.tensor([4.0, 5.0]).cuda()
    return obj


def main():
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    failures = []
    # Compare in full float32: TF32 convolutions (the CUDA default on Ampere and later)
    # differ from float32 by ~1e-3 relative.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    print('torch', torch.__version__, 'cuda', torch.cuda.is_available())

    for name in ('resnet50.pth', 'resnet50_io.pth', 'checkpoint.pth'):
        for weights_only in (True, False):
            torch.load(os.path.join(in_dir, name), map_location='cpu', weights_only=weights_only)
        print(f'{name}: torch.load ok (weights_only=True and False)')
    ckpt = torch.load(os.path.join(in_dir, 'checkpoint.pth'), weights_only=True)
    print('checkpoint keys', list(ckpt), 'state_dict type', type(ckpt['state_dict']).__name__,
          'meta', {k: (v if k != 'config' else f'<{len(v)} chars>') for k, v in ckpt['meta'].items()},
          'optimizer groups', ckpt['optimizer']['param_groups'])
    if list(ckpt) != ['meta', 'state_dict', 'optimizer'] or not isinstance(
            ckpt['state_dict'], collections.OrderedDict):
        failures.append('checkpoint layout')

    try:
        import torchvision
        model = torchvision.models.resnet50()
        state = torch.load(os.path.join(in_dir, 'resnet50.pth'), weights_only=True)
        result = model.load_state_dict(state, strict=False)
        print('torchvision resnet50 load: unexpected', result.unexpected_keys,
              f'missing {len(result.missing_keys)} (layer3, layer4, fc expected)')
        if result.unexpected_keys or any(not k.startswith(('layer3.', 'layer4.', 'fc.'))
                                         for k in result.missing_keys):
            failures.append('resnet50 names')
        io = torch.load(os.path.join(in_dir, 'resnet50_io.pth'), weights_only=True)
        devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
        for device in devices:
            m = model.to(device).eval()
            x = io['input'].to(device)
            with torch.no_grad():
                y = m.maxpool(m.relu(m.bn1(m.conv1(x))))
                c2 = m.layer1(y)
                c3 = m.layer2(c2)
            for level, ours, theirs in zip(('C2', 'C3'), io['outputs'], (c2, c3)):
                diff = (ours.to(device) - theirs).abs().max().item()
                scale = theirs.abs().max().item()
                print(f'{device} {level}: max |ours - torchvision| = {diff:.3g} (max |x| {scale:.3g})')
                if diff > 1e-4 * max(scale, 1.0):
                    failures.append(f'{device} {level} parity')
    except ImportError:
        print('torchvision not installed: parity check skipped')

    os.makedirs(os.path.join(out_dir, 'fixtures'), exist_ok=True)
    obj = fixture()
    torch.save(obj, os.path.join(out_dir, 'fixtures', 'zip.pth'))
    torch.save(obj, os.path.join(out_dir, 'fixtures', 'legacy.pth'),
               _use_new_zipfile_serialization=False)
    print('fixtures written', sorted(os.listdir(os.path.join(out_dir, 'fixtures'))))
    if failures:
        print('FAILED:', failures)
        sys.exit(1)
    print('interop OK')


if __name__ == '__main__':
    main()
