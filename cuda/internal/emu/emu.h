// Host emulation of the CUDA dialect used by seqnn's kernels: every thread of a block is an
// OS thread, __syncthreads is a barrier, shared memory is one buffer the block's threads
// share, and blocks run one after another. That is enough to run every kernel here with
// its real launch shape, including the tiled product and the time loops' phases.
#pragma once
#include <algorithm>
#include <cmath>

struct emu_dim3 {
    unsigned x, y, z;
};
extern thread_local emu_dim3 threadIdx;
extern emu_dim3 blockIdx, blockDim, gridDim;
extern unsigned char smem[]; // dynamic shared memory, defined 16-byte aligned in grid.cpp
void emu_sync();

#define __global__
#define __device__
#define __launch_bounds__(...)
#define __forceinline__ inline
#define __shared__
#define __align__(n) __attribute__((aligned(n)))
#define __syncthreads() emu_sync()
using std::max;
using std::min;
