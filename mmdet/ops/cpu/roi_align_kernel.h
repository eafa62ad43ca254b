// Layout choice of the CPU RoIAlign kernels (see cpu/roi_align_kernel.cc): automatic by
// default; tests force one path to show that both give bit-identical results.
#ifndef MMDET_OPS_CPU_ROI_ALIGN_KERNEL_H_
#define MMDET_OPS_CPU_ROI_ALIGN_KERNEL_H_

namespace mmdet::ops {

enum class RoiAlignCpuLayout { kAuto, kChannelMajor, kChannelsLast };

void SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout layout);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_CPU_ROI_ALIGN_KERNEL_H_
