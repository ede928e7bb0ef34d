#include "emu.h"
#include "../../gru.cu"
#include "wrap.h"
EMU(gru_fwd_f64, (double* h, double* hprev, double* gates, double* q, const double* xw,
                  const double* U, const double* bRec, int B, int T, int H, int ract,
                  int actv, int resetAfter, int persist),
    (h, hprev, gates, q, xw, U, bRec, B, T, H, ract, actv, resetAfter, persist))
EMU(gru_bwd_f64, (double* daIn, double* daRec, const double* dy, const double* hprev,
                  const double* gates, const double* q, const double* U, int B, int T, int H,
                  int ract, int actv, int resetAfter, int persist),
    (daIn, daRec, dy, hprev, gates, q, U, B, T, H, ract, actv, resetAfter, persist))
#include "dispatch.h"
EMU_REG2(gru_fwd)
EMU_REG2(gru_bwd)
EMU_REG2(gru_cell_fwd_a)
EMU_REG2(gru_cell_fwd_b)
EMU_REG2(gru_cell_bwd_a)
EMU_REG2(gru_cell_bwd_b)
