// GRU time loop on the device, Keras 2.1.1 layout and gate order z, r, h; W (F, 3H),
// U (H, 3H); xw = x·W + b_in comes precomputed, (B, T, 3H).
//
// Reset before the product (Keras 2.1.1's only form, resetAfter = 0):
//
//	z = ra(xw_z + h·U_z)   r = ra(xw_r + h·U_r)   ĥ = act(xw_h + (r∘h)·U_h)
//
// Reset after (cuDNN and PyTorch; Keras's reset_after=True, bias (2, 3H), bRec its row 1):
//
//	z = ra(xw_z + h·U_z + bRec_z)  r = ra(xw_r + h·U_r + bRec_r)
//	ĥ = act(xw_h + r∘q)  with q = h·U_h + bRec_h
//
// and in both h_t = z∘h_{t-1} + (1-z)∘ĥ, h_0 = 0. Caches: gates (z, r, ĥ), h_{t-1}, and
// q (B, T, H), which holds r∘h_{t-1} in the reset-before form. One block per batch row
// runs all T steps; persist stages U in shared memory for the whole sequence.
#include "common.cuh"

// Shared memory: hs[H], rh[H], then U when persist. bRec may be null (reset before).
template <typename T>
__device__ void gru_fwd(T* h, T* hprev, T* gates, T* q, const T* xw, const T* U,
                        const T* bRec, int B, int T_, int H, int ract, int actv,
                        int resetAfter, int persist) {
    extern __shared__ __align__(16) unsigned char smem[];
    T* hs = (T*)smem;
    T* rh = hs + H;
    int b = blockIdx.x, G = 3 * H;
    const T* u = stage(rh + H, U, H * G, persist);
    for (int k = threadIdx.x; k < H; k += blockDim.x) hs[k] = 0;
    __syncthreads();

    for (int t = 0; t < T_; t++) {
        size_t r = (size_t)b * T_ + t;
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T sz = 0, sr = 0, aq = 0;
            for (int p = 0; p < H; p++) {
                sz = madd(hs[p], u[p * G + k], sz);
                sr = madd(hs[p], u[p * G + H + k], sr);
                if (resetAfter) aq = madd(hs[p], u[p * G + 2 * H + k], aq);
            }
            T az = xw[r * G + k] + sz, ar = xw[r * G + H + k] + sr;
            if (resetAfter) az += bRec[k], ar += bRec[H + k], aq += bRec[2 * H + k];
            T zv = act(ract, az, T(0)), rv = act(ract, ar, T(0));
            gates[r * G + k] = zv, gates[r * G + H + k] = rv;
            rh[k] = rv * hs[k];
            q[r * H + k] = resetAfter ? aq : rh[k];
        }
        __syncthreads();
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T ah = xw[r * G + 2 * H + k];
            if (resetAfter) {
                ah += gates[r * G + H + k] * q[r * H + k];
            } else {
                T sh = 0;
                for (int p = 0; p < H; p++) sh = madd(rh[p], u[p * G + 2 * H + k], sh);
                ah += sh;
            }
            T hh = act(actv, ah, T(0)), zv = gates[r * G + k], hp = hs[k];
            gates[r * G + 2 * H + k] = hh;
            hprev[r * H + k] = hp;
            T ht = zv * hp + (T(1) - zv) * hh;
            h[r * H + k] = ht;
            hs[k] = ht;
        }
        __syncthreads();
    }
}

// Backward through time for dy (B, T, H). Writes daIn (B, T, 3H), the gradient of the
// input-side pre-activations (xw), and daRec (B, T, 3H), that of the recurrent-side ones
// (h·U_z, h·U_r, and q or (r∘h)·U_h); they differ only in the ĥ block under reset-after.
// With dh = dy_t + (the recurrent gradient from step t+1):
//
//	dĥ = dh∘(1-z)  dz = dh∘(h_{t-1} - ĥ)  daĥ = dĥ∘act'(ĥ)  daz = dz∘ra'(z)
//	reset after:  dq = daĥ∘r  dr = daĥ∘q
//	reset before: d(r∘h) = daĥ·U_hᵀ  dr = d(r∘h)∘h_{t-1}
//	dar = dr∘ra'(r)
//	dh_{t-1} = dh∘z + [daz, dar, dq]·Uᵀ  (reset before: + d(r∘h)∘r + [daz, dar]·U_zrᵀ)
//
// Shared memory: dhs[H], dhd[H], da[3H], then U when persist.
template <typename T>
__device__ void gru_bwd(T* daIn, T* daRec, const T* dy, const T* hprev, const T* gates,
                        const T* q, const T* U, int B, int T_, int H, int ract, int actv,
                        int resetAfter, int persist) {
    extern __shared__ __align__(16) unsigned char smem[];
    T* dhs = (T*)smem;
    T* dhd = dhs + H;
    T* da = dhd + H;
    int b = blockIdx.x, G = 3 * H;
    const T* u = stage(da + G, U, H * G, persist);
    for (int k = threadIdx.x; k < H; k += blockDim.x) dhs[k] = 0;
    __syncthreads();

    for (int t = T_ - 1; t >= 0; t--) {
        size_t r = (size_t)b * T_ + t;
        const T* g = gates + r * G;
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T zv = g[k], rv = g[H + k], hh = g[2 * H + k], hp = hprev[r * H + k];
            T dh = dy[r * H + k] + dhs[k];
            T dah = dh * (T(1) - zv) * actd(actv, hh, T(0));
            T daz = dh * (hp - hh) * actd(ract, zv, T(0));
            dhd[k] = dh * zv;
            da[k] = daz, da[2 * H + k] = dah;
            daIn[r * G + k] = daRec[r * G + k] = daz;
            daIn[r * G + 2 * H + k] = dah;
            if (resetAfter) {
                T qv = q[r * H + k];
                T dar = dah * qv * actd(ract, rv, T(0));
                da[H + k] = dar;
                da[2 * H + k] = daRec[r * G + 2 * H + k] = dah * rv;
                daIn[r * G + H + k] = daRec[r * G + H + k] = dar;
            } else {
                daRec[r * G + 2 * H + k] = dah;
            }
        }
        __syncthreads();
        if (!resetAfter) {
            for (int k = threadIdx.x; k < H; k += blockDim.x) {
                T drh = 0;
                for (int j = 0; j < H; j++) drh = madd(da[2 * H + j], u[k * G + 2 * H + j], drh);
                T rv = g[H + k];
                T dar = drh * hprev[r * H + k] * actd(ract, rv, T(0));
                dhd[k] += drh * rv;
                da[H + k] = dar;
                daIn[r * G + H + k] = daRec[r * G + H + k] = dar;
            }
            __syncthreads();
        }
        int nj = resetAfter ? G : 2 * H;
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T s = 0;
            for (int j = 0; j < nj; j++) s = madd(da[j], u[k * G + j], s);
            dhs[k] = dhd[k] + s;
        }
        __syncthreads();
    }
}

// The same loop as launches per time step, for when one block per row leaves the GPU
// idle. The host queues each recurrent product as a matrix product (core.GRU) and then
// a cell kernel over B·H threads, thread (b, k) owning unit k of row b. Products sum from
// zero in the order of gru_fwd and gru_bwd and are added where those add theirs, so both
// forms agree bit for bit. rec (B, 3H) holds a step's products, row b at b·3H.
//
// gru_cell_fwd_a: reset after, the whole step from rec = h_{t-1}·U; reset before, z, r
// and q = r∘h_{t-1} from rec[:, :2H] = h_{t-1}·U_zr. rec is unread at t = 0 (h_0 = 0).
template <typename T>
__device__ void gru_cell_fwd_a(T* h, T* hprev, T* gates, T* q, const T* xw, const T* rec,
                               const T* bRec, int B, int T_, int H, int t, int ract,
                               int actv, int resetAfter) {
    int G = 3 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int b = i / H, k = i % H;
        size_t r = (size_t)b * T_ + t;
        const T* pr = rec + (size_t)b * G;
        T hk = t > 0 ? h[(r - 1) * H + k] : T(0);
        T az = xw[r * G + k] + (t > 0 ? pr[k] : T(0));
        T ar = xw[r * G + H + k] + (t > 0 ? pr[H + k] : T(0));
        T aq = resetAfter && t > 0 ? pr[2 * H + k] : T(0);
        if (resetAfter) az += bRec[k], ar += bRec[H + k], aq += bRec[2 * H + k];
        T zv = act(ract, az, T(0)), rv = act(ract, ar, T(0));
        gates[r * G + k] = zv, gates[r * G + H + k] = rv;
        hprev[r * H + k] = hk;
        q[r * H + k] = resetAfter ? aq : rv * hk;
        if (!resetAfter) continue;
        T hh = act(actv, xw[r * G + 2 * H + k] + rv * aq, T(0));
        gates[r * G + 2 * H + k] = hh;
        h[r * H + k] = zv * hk + (T(1) - zv) * hh;
    }
}

// gru_cell_fwd_b: reset before only, ĥ = act(xw_h + (r∘h_{t-1})·U_h) with the product in
// rec[:, 2H:] (unread at t = 0), and h_t.
template <typename T>
__device__ void gru_cell_fwd_b(T* h, T* gates, const T* xw, const T* rec, int B, int T_,
                               int H, int t, int actv) {
    int G = 3 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int b = i / H, k = i % H;
        size_t r = (size_t)b * T_ + t;
        T ah = xw[r * G + 2 * H + k] + (t > 0 ? rec[(size_t)b * G + 2 * H + k] : T(0));
        T hh = act(actv, ah, T(0)), zv = gates[r * G + k];
        T hk = t > 0 ? h[(r - 1) * H + k] : T(0);
        gates[r * G + 2 * H + k] = hh;
        h[r * H + k] = zv * hk + (T(1) - zv) * hh;
    }
}

// gru_cell_bwd_a: the recurrent gradient from step t+1, dhd (B, H) + dhrec (B, H), where
// dhrec = da_{t+1}·Uᵀ over 3H columns reset after, 2H before (both unread at t = T-1);
// then step t's daz, daĥ (and, reset after, dar and dq); dhd becomes dh∘z.
template <typename T>
__device__ void gru_cell_bwd_a(T* daIn, T* daRec, T* dhd, const T* dy, const T* dhrec,
                               const T* hprev, const T* gates, const T* q, int B, int T_,
                               int H, int t, int ract, int actv, int resetAfter) {
    int G = 3 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int b = i / H, k = i % H;
        size_t r = (size_t)b * T_ + t;
        T s = t < T_ - 1 ? dhd[i] + dhrec[i] : T(0);
        const T* g = gates + r * G;
        T zv = g[k], rv = g[H + k], hh = g[2 * H + k], hp = hprev[r * H + k];
        T dh = dy[r * H + k] + s;
        T dah = dh * (T(1) - zv) * actd(actv, hh, T(0));
        T daz = dh * (hp - hh) * actd(ract, zv, T(0));
        dhd[i] = dh * zv;
        daIn[r * G + k] = daRec[r * G + k] = daz;
        daIn[r * G + 2 * H + k] = dah;
        if (resetAfter) {
            T dar = dah * q[r * H + k] * actd(ract, rv, T(0));
            daRec[r * G + 2 * H + k] = dah * rv;
            daIn[r * G + H + k] = daRec[r * G + H + k] = dar;
        } else {
            daRec[r * G + 2 * H + k] = dah;
        }
    }
}

// gru_cell_bwd_b: reset before only, from drh (B, H) = daĥ·U_hᵀ: dar and dhd += drh∘r.
template <typename T>
__device__ void gru_cell_bwd_b(T* daIn, T* daRec, T* dhd, const T* drh, const T* hprev,
                               const T* gates, int B, int T_, int H, int t, int ract) {
    int G = 3 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int k = i % H;
        size_t r = (size_t)(i / H) * T_ + t;
        T rv = gates[r * G + H + k];
        T dar = drh[i] * hprev[r * H + k] * actd(ract, rv, T(0));
        dhd[i] += drh[i] * rv;
        daIn[r * G + H + k] = daRec[r * G + H + k] = dar;
    }
}

#define DEFINE(T, SFX)                                                                     \
    extern "C" __global__ void gru_fwd_##SFX(T* h, T* hprev, T* gates, T* q, const T* xw,   \
                                             const T* U, const T* bRec, int B, int T_,      \
                                             int H, int ract, int actv, int resetAfter,     \
                                             int persist) {                                 \
        gru_fwd<T>(h, hprev, gates, q, xw, U, bRec, B, T_, H, ract, actv, resetAfter,       \
                   persist);                                                                \
    }                                                                                       \
    extern "C" __global__ void gru_bwd_##SFX(T* daIn, T* daRec, const T* dy,                \
                                             const T* hprev, const T* gates, const T* q,    \
                                             const T* U, int B, int T_, int H, int ract,    \
                                             int actv, int resetAfter, int persist) {       \
        gru_bwd<T>(daIn, daRec, dy, hprev, gates, q, U, B, T_, H, ract, actv, resetAfter,  \
                   persist);                                                                \
    }
DEFINE(float, f32)
DEFINE(double, f64)

#define DEFINE_CELL(T, SFX)                                                                \
    extern "C" __global__ void gru_cell_fwd_a_##SFX(                                        \
        T* h, T* hprev, T* gates, T* q, const T* xw, const T* rec, const T* bRec, int B,    \
        int T_, int H, int t, int ract, int actv, int resetAfter) {                         \
        gru_cell_fwd_a<T>(h, hprev, gates, q, xw, rec, bRec, B, T_, H, t, ract, actv,       \
                          resetAfter);                                                      \
    }                                                                                       \
    extern "C" __global__ void gru_cell_fwd_b_##SFX(T* h, T* gates, const T* xw,            \
                                                    const T* rec, int B, int T_, int H,     \
                                                    int t, int actv) {                      \
        gru_cell_fwd_b<T>(h, gates, xw, rec, B, T_, H, t, actv);                            \
    }                                                                                       \
    extern "C" __global__ void gru_cell_bwd_a_##SFX(                                        \
        T* daIn, T* daRec, T* dhd, const T* dy, const T* dhrec, const T* hprev,             \
        const T* gates, const T* q, int B, int T_, int H, int t, int ract, int actv,        \
        int resetAfter) {                                                                   \
        gru_cell_bwd_a<T>(daIn, daRec, dhd, dy, dhrec, hprev, gates, q, B, T_, H, t, ract,  \
                          actv, resetAfter);                                                \
    }                                                                                       \
    extern "C" __global__ void gru_cell_bwd_b_##SFX(T* daIn, T* daRec, T* dhd,              \
                                                    const T* drh, const T* hprev,           \
                                                    const T* gates, int B, int T_, int H,   \
                                                    int t, int ract) {                      \
        gru_cell_bwd_b<T>(daIn, daRec, dhd, drh, hprev, gates, B, T_, H, t, ract);          \
    }
DEFINE_CELL(float, f32)
DEFINE_CELL(double, f64)
