// The thread budget of a tool: `--threads N` (0, the default: $OMP_NUM_THREADS when set, as
// torch launchers set it for several ranks per machine, else the cores this process may run
// on) becomes LibTorch's intra-op thread count, OpenBLAS's and OpenCV's. Linking
// //tools:threads adds the flag and applies it when InitTool has parsed the flags; without it
// LibTorch 1.13 runs every op on 1 thread here (2 cores): the shapes Mask R-CNN training step
// went from 0.70 to 0.48 s.
#ifndef MMDET_TOOLS_THREADS_H_
#define MMDET_TOOLS_THREADS_H_

namespace mmdet::tools {

// The count InitTool applied (>= 1), or the automatic choice before that.
int ToolThreads();

// The automatic choice: $OMP_NUM_THREADS when it is a positive number, else the number of
// CPUs in this process's affinity mask (taskset, Slurm's --cpus-per-task), at least 1.
int DefaultThreads();

}  // namespace mmdet::tools

#endif  // MMDET_TOOLS_THREADS_H_
