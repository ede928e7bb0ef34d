#include "emu.h"

emu_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0};
emu_dim3 blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
alignas(16) unsigned char smem[4 << 20]; // dynamic shared memory of the running block

extern "C" void emu_block(unsigned b, unsigned grid) {
    blockIdx.x = b;
    gridDim.x = grid;
}
