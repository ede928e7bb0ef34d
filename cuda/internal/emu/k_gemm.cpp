#include "emu.h"
#include "../../gemm.cu"
#include "wrap.h"
EMU(gemm_f64, (int ta, int tb, int m, int n, int k, double alpha, const double* A, int lda,
               const double* B, int ldb, double beta, double* C, int ldc),
    (ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc))
#include "dispatch.h"
EMU_REG2(gemm)
