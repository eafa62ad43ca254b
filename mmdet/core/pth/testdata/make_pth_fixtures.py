"""Prints the hex fixtures of pth_test.cc, made with the Python standard library only.

Python's own pickle writes the bytes: stand-in `torch` / `torch._utils` modules provide the
globals torch.save names (torch._utils._rebuild_tensor_v2, torch.FloatStorage, ...), a stand-in
tensor reduces exactly as torch.Tensor.__reduce_ex__ does, and persistent_id returns the
storage ids torch.save returns. The containers are built the way torch.save would be handed
them (an OrderedDict state_dict with a `_metadata` attribute, as nn.Module.state_dict() makes).

Run: python3 mmdet/core/pth/testdata/make_pth_fixtures.py
"""
import collections
import io
import pickle
import struct
import sys
import types
import zipfile

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
torch._utils = torch_utils


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


def storage_class(name, fmt):
    cls = type(name, (), {"__module__": "torch", "fmt": fmt})
    setattr(torch, name, cls)
    return cls


FloatStorage = storage_class("FloatStorage", "<f")
LongStorage = storage_class("LongStorage", "<q")


class Storage:
    """A typed storage: its class, key and elements."""

    def __init__(self, cls, key, values):
        self.cls, self.key, self.values = cls, key, values

    def raw(self):
        return b"".join(struct.pack(self.cls.fmt, v) for v in self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce_ex__(self, proto):
        return (torch_utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False,
                 collections.OrderedDict()))


def dumps(obj, legacy):
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=2)

    def persistent_id(o):
        if isinstance(o, Storage):
            pid = ("storage", o.cls, o.key, "cuda:0" if legacy else "cpu", len(o.values))
            return pid + (None,) if legacy else pid
        return None

    pickler.persistent_id = persistent_id
    pickler.dump(obj)
    return buf.getvalue()


def checkpoint(keys):
    weight = Storage(FloatStorage, keys[0], [0.5, -1.0, 2.0, 3.25, 4.0, 5.5, 100.0])
    steps = Storage(LongStorage, keys[1], [7, -3])
    state_dict = collections.OrderedDict()
    state_dict["conv.weight"] = Tensor(weight, 0, (2, 3), (3, 1))
    state_dict["conv.bias"] = Tensor(weight, 4, (3,), (1,))  # shares the storage
    state_dict["bn.num_batches_tracked"] = Tensor(steps, 1, (), ())
    state_dict._metadata = collections.OrderedDict([("", {"version": 1})])
    return {
        "meta": {"epoch": 12, "CLASSES": ("cat", "dog"), "mmdet_version": "1.0rc0"},
        "state_dict": state_dict,
        "optimizer": {
            "state": {0: {"momentum_buffer": Tensor(weight, 6, (1,), (1,))}},
            "param_groups": [{"lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001,
                              "nesterov": False, "params": [0, 1]}],
        },
    }, [weight, steps]


def zip_file():
    obj, storages = checkpoint(["0", "1"])
    buf = io.BytesIO()
    records = [("data.pkl", dumps(obj, legacy=False)), ("byteorder", b"little")]
    records += [("data/" + s.key, s.raw()) for s in storages]
    records += [("version", b"3\n")]
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in records:  # a fixed date keeps the bytes reproducible
            z.writestr(zipfile.ZipInfo("archive/" + name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def legacy_file():
    obj, storages = checkpoint(["94412070", "94412071"])
    out = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 8}}, protocol=2)
    out += dumps(obj, legacy=True)
    keys = sorted(s.key for s in storages)
    out += pickle.dumps(keys, protocol=2)
    for key in keys:
        s = next(s for s in storages if s.key == key)
        out += struct.pack("<q", len(s.values)) + s.raw()
    return out


def print_hex(name, data):
    print(f"// {len(data)} bytes")
    print(f"constexpr char {name}[] =")
    h = data.hex()
    for i in range(0, len(h), 92):
        print(f'    "{h[i:i + 92]}"')
    print("    ;")


if __name__ == "__main__":
    print_hex("kPythonZipHex", zip_file())
    print_hex("kPythonLegacyHex", legacy_file())
