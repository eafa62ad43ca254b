"""mmdet_proto_library: C++ code for .proto files with the system `protoc`.

    mmdet_proto_library(
        name = "backbones_proto",              # must end in "_proto"
        srcs = ["backbone.proto", "resnet.proto"],
        deps = ["//mmdet/config:common_proto"],
    )

makes `:backbones_proto` (the .proto files with those of its deps, for importers) and
`:backbones_cc_proto` (a cc_library over the generated .pb.h/.pb.cc). Imports are written
workspace-relative: `import "mmdet/config/common.proto";`.
"""

def _cc_name(label):
    if not label.endswith("_proto"):
        fail("mmdet_proto_library deps must be mmdet_proto_library targets (ending in _proto): " + label)
    return label[:-len("_proto")] + "_cc_proto"

def mmdet_proto_library(name, srcs, deps = [], visibility = None):
    if not name.endswith("_proto"):
        fail("mmdet_proto_library name must end in _proto: " + name)
    native.filegroup(
        name = name,
        srcs = srcs + deps,
        visibility = visibility,
    )
    pkg = native.package_name()
    stems = [s[:-len(".proto")] for s in srcs]
    native.genrule(
        name = name + "_gen",
        srcs = srcs + deps,
        outs = [s + ".pb.h" for s in stems] + [s + ".pb.cc" for s in stems],
        cmd = "protoc -I. --cpp_out=$(GENDIR) " + " ".join([pkg + "/" + s for s in srcs]),
        message = "protoc " + pkg,
    )
    native.cc_library(
        name = _cc_name(name),
        srcs = [s + ".pb.cc" for s in stems],
        hdrs = [s + ".pb.h" for s in stems],
        deps = [_cc_name(d) for d in deps] + ["//third_party/protobuf"],
        visibility = visibility,
    )
