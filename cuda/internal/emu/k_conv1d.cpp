#include "emu.h"
#include "../../conv1d.cu"
#include "wrap.h"
EMU(conv_fwd_f64, (double* y, const double* x, const double* w, int B, int T, int C, int K,
                   int S, int O), (y, x, w, B, T, C, K, S, O))
EMU(conv_bwd_x_f64, (double* dx, const double* dy, const double* w, int B, int T, int C,
                     int K, int S, int O), (dx, dy, w, B, T, C, K, S, O))
EMU(conv_bwd_w_f64, (double* dw, const double* dy, const double* x, int B, int T, int C,
                     int K, int S, int O), (dw, dy, x, B, T, C, K, S, O))
#include "dispatch.h"
EMU_REG2(conv_fwd)
EMU_REG2(conv_bwd_x)
EMU_REG2(conv_bwd_w)
