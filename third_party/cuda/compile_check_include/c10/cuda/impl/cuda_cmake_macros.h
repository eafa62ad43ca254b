// Stand-in for the header CMake generates in a CUDA build of LibTorch. Debian's CPU
// LibTorch ships the ATen/c10 CUDA headers but not this one; cuda_compile_test puts this
// folder last on nvcc's include path, so a real CUDA LibTorch's own copy wins.
#define C10_CUDA_BUILD_SHARED_LIBS
