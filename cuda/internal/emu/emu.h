// Host emulation of the CUDA dialect used by seqnn's kernels, for running them on the CPU
// with one thread per block (blockDim = 1). That is a legal CUDA launch shape for every
// kernel but the tiled product, whose tiles need a 16×16 block; with one thread,
// __syncthreads has nothing to wait for and shared memory is plain memory.
#pragma once
#include <algorithm>
#include <cmath>

struct emu_dim3 {
    unsigned x, y, z;
};
extern emu_dim3 threadIdx, blockIdx, blockDim, gridDim;
extern unsigned char smem[]; // defined 16-byte aligned in state.cpp

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__
#define __syncthreads() ((void)0)
#define __align__(n) __attribute__((aligned(n)))
using std::max;
using std::min;
