#include "emu.h"
#include "../../lstm.cu"
#include "wrap.h"
EMU(lstm_fwd_f64, (double* h, double* c, double* hprev, double* gates, const double* xw,
                   const double* U, int B, int T, int H, int ract, int actv, int persist),
    (h, c, hprev, gates, xw, U, B, T, H, ract, actv, persist))
EMU(lstm_bwd_f64, (double* dz, const double* dy, const double* c, const double* gates,
                   const double* U, int B, int T, int H, int ract, int actv, int persist),
    (dz, dy, c, gates, U, B, T, H, ract, actv, persist))
#include "dispatch.h"
EMU_REG2(lstm_fwd)
EMU_REG2(lstm_bwd)
EMU_REG2(lstm_cell_fwd)
EMU_REG2(lstm_cell_bwd)
