"""Writes testdata/torch2_*.pth with real PyTorch (they were made with torch 2.11.0).

Run where `import torch` works: python3 mmdet/core/pth/testdata/make_torch_fixtures.py OUT_DIR
torch2_ckpt_* hold the checkpoint of make_pth_fixtures.py built from real tensors;
torch2_kitchen_* the other types pth_test.cc checks. Each is saved in the zip format and, with
_use_new_zipfile_serialization=False, in the legacy format.
"""
import collections
import os
import sys

import torch


def checkpoint():
    base = torch.tensor([0.5, -1.0, 2.0, 3.25, 4.0, 5.5, 100.0])
    steps = torch.tensor([7, -3])
    state_dict = collections.OrderedDict()
    state_dict["conv.weight"] = base[:6].view(2, 3)
    state_dict["conv.bias"] = base[4:7]
    state_dict["bn.num_batches_tracked"] = steps[1]
    state_dict._metadata = collections.OrderedDict([("", {"version": 1})])
    return {"meta": {"epoch": 12, "CLASSES": ("cat", "dog"), "mmdet_version": "1.0rc0"},
            "state_dict": state_dict,
            "optimizer": {"state": {0: {"momentum_buffer": base[6:7]}},
                          "param_groups": [{"lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001,
                                            "nesterov": False, "params": [0, 1]}]}}


def kitchen():
    return {"param": torch.nn.Parameter(torch.tensor([1.0, 2.0])),
            "half": torch.tensor([1.5, -2.0], dtype=torch.float16),
            "bf16": torch.tensor([0.25], dtype=torch.bfloat16),
            "bool": torch.tensor([True, False]),
            "i8": torch.tensor([-1, 2], dtype=torch.int8),
            "bytes": b"\x00\xff", "big": 2**40, "neg": -5, "none": None, "f": 1.5,
            "nested": [(1, 2), {"a": [3]}],
            "empty": torch.empty(0, 3),
            "t": torch.arange(6.0).view(2, 3).t()}


if __name__ == "__main__":
    out = sys.argv[1]
    for name, make in (("ckpt", checkpoint), ("kitchen", kitchen)):
        torch.save(make(), os.path.join(out, f"torch2_{name}_zip.pth"))
        torch.save(make(), os.path.join(out, f"torch2_{name}_legacy.pth"),
                   _use_new_zipfile_serialization=False)
