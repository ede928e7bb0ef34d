#include "emu.h"
#include "../../gemm.cu"
#include "dispatch.h"
EMU_REG(gemm_large_f32)
EMU_REG(gemm_small_f32)
EMU_REG(gemm_large_f64)
EMU_REG(gemm_small_f64)
EMU_REG2(gemm_reduce)
