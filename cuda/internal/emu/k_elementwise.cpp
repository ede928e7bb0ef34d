#include "emu.h"
#include "../../elementwise.cu"
#include "wrap.h"
EMU(act_fwd_f64, (double* y, const double* x, int n, int a, double alpha), (y, x, n, a, alpha))
EMU(act_bwd_f64, (double* dx, const double* dy, const double* y, int n, int a, double alpha),
    (dx, dy, y, n, a, alpha))
EMU(dropout_f32, (float* y, const float* x, int n, unsigned long long key,
                  unsigned long long thr, float scale), (y, x, n, key, thr, scale))
EMU(sum_partial_f64, (double* part, const double* x, int n, int chunk), (part, x, n, chunk))
EMU(colsum_f64, (double* dst, const double* src, int m, int n), (dst, src, m, n))
#include "dispatch.h"
EMU_REG2(act_fwd)
EMU_REG2(act_bwd)
EMU_REG2(dropout)
EMU_REG2(mse)
EMU_REG2(adam)
EMU_REG2(colsum)
EMU_REG2(fill_rows)
EMU_REG2(copy_rows)
EMU_REG2(sum_partial)
