"""CUDA sources for Bazel without rules_cuda: nvcc in genrules.

cuda_library(name, srcs, hdrs, deps): under --config=cuda, each .cu is compiled by nvcc into
an object file and `name` is a cc_library over those objects (depend on it through
`select({"//third_party/cuda:enabled": [...], "//conditions:default": []})`). Without
--config=cuda it is an empty library, so `bazel build //...` works on any machine.

cuda_compile_test(name, srcs, hdrs): a test that runs the CUDA toolkit's nvcc over every
.cu for COMPILE_CHECK_ARCHS. CI has nvcc but no GPU and a CPU LibTorch, so this is what makes
a CUDA compile error fail `bazel test //...` there. It checks the oldest architecture only
(the most restrictive one): all five took 240 s of CI's two cores for the same verdict.
"""

load("@libtorch//:defs.bzl", "LIBTORCH_DEFINES", "LIBTORCH_NVCC_INCLUDES")
load("@local_cuda//:defs.bzl", "CUDA_HOME")

# Turing .. Hopper. CUDA 13 no longer compiles for Volta (sm_70/72) or older.
CUDA_ARCHS = ["75", "80", "86", "89", "90"]
COMPILE_CHECK_ARCHS = CUDA_ARCHS[:1]

_NVCC_FLAGS = [
    "-std=c++17",
    "-O3",
    "--expt-relaxed-constexpr",
    "-Xcompiler=-fPIC",
    "-DTORCH_EXTENSION_NAME=mmdet",
    "-I.",
] + ["-isystem " + d for d in LIBTORCH_NVCC_INCLUDES] + ["-D" + d for d in LIBTORCH_DEFINES]

_LAST_INCLUDE = "-isystem third_party/cuda/compile_check_include"

def _gencode(archs):
    return " ".join(["-gencode=arch=compute_%s,code=sm_%s" % (a, a) for a in archs])

def cuda_library(name, srcs, hdrs = [], deps = [], visibility = None):
    objs = []
    for src in srcs:
        obj = name + "_objs/" + src.replace("/", "_")[:-len(".cu")] + ".o"
        native.genrule(
            name = name + "_nvcc_" + src.replace("/", "_").replace(".", "_"),
            srcs = [src] + hdrs + ["@libtorch//:headers", "//third_party/cuda:compile_check_headers"],
            outs = [obj],
            # nvcc by its real path: it finds its own headers relative to itself.
            cmd = "%s/bin/nvcc %s %s %s -c $(location %s) -o $@" % (
                CUDA_HOME,
                " ".join(_NVCC_FLAGS),
                _LAST_INCLUDE,
                _gencode(CUDA_ARCHS),
                src,
            ),
            message = "nvcc " + src,
            # Built only when --config=cuda selects the objects below, never by //... alone.
            tags = ["manual"],
        )
        objs.append(obj)
    native.cc_library(
        name = name,
        srcs = select({
            "//third_party/cuda:enabled": objs,
            "//conditions:default": [],
        }),
        hdrs = hdrs,
        deps = deps + select({
            "//third_party/cuda:enabled": ["//third_party/cuda:cudart"],
            "//conditions:default": [],
        }),
        alwayslink = 1,
        visibility = visibility,
    )

def cuda_compile_test(name, srcs, hdrs = [], size = "medium"):
    native.sh_test(
        name = name,
        size = size,
        srcs = ["//third_party/cuda:nvcc_compile_test.sh"],
        args = [
            "'%s'" % " ".join(_NVCC_FLAGS + [_LAST_INCLUDE, _gencode(COMPILE_CHECK_ARCHS)]),
        ] + ["$(rootpath %s)" % s for s in srcs],
        data = srcs + hdrs + [
            "@libtorch//:headers",
            "//third_party/cuda:compile_check_headers",
        ],
    )
