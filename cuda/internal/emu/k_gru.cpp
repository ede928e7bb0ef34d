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
EMU(gru_step_fwd_a_f64, (double* h, double* hprev, double* gates, double* q, const double* xw,
                         const double* U, const double* bRec, int B, int T, int H, int t,
                         int ract, int actv, int resetAfter),
    (h, hprev, gates, q, xw, U, bRec, B, T, H, t, ract, actv, resetAfter))
EMU(gru_step_fwd_b_f64, (double* h, double* gates, const double* q, const double* xw,
                         const double* U, int B, int T, int H, int t, int actv),
    (h, gates, q, xw, U, B, T, H, t, actv))
EMU(gru_step_bwd_a_f64, (double* daIn, double* daRec, double* dhd, const double* dy,
                         const double* hprev, const double* gates, const double* q,
                         const double* U, int B, int T, int H, int t, int ract, int actv,
                         int resetAfter),
    (daIn, daRec, dhd, dy, hprev, gates, q, U, B, T, H, t, ract, actv, resetAfter))
EMU(gru_step_bwd_b_f64, (double* daIn, double* daRec, double* dhd, const double* hprev,
                         const double* gates, const double* U, int B, int T, int H, int t,
                         int ract),
    (daIn, daRec, dhd, hprev, gates, U, B, T, H, t, ract))
#include "dispatch.h"
EMU_REG2(gru_fwd)
EMU_REG2(gru_bwd)
EMU_REG2(gru_step_fwd_a)
EMU_REG2(gru_step_fwd_b)
EMU_REG2(gru_step_bwd_a)
EMU_REG2(gru_step_bwd_b)
