// LSTM time loop on the device, Keras 2.1.1 layout and gate order i, f, c, o:
//
//	z = x_t·W + b + h_{t-1}·U            (xw = x·W + b comes precomputed, (B, T, 4H))
//	i = ra(z_i)  f = ra(z_f)  g = act(z_c)  o = ra(z_o)
//	c_t = f∘c_{t-1} + i∘g     h_t = o∘act(c_t)      h_0 = c_0 = 0
//
// One block per batch row b runs all T steps in one launch, syncing the block between the
// gate phase and the state phase. When persist is set, U (H, 4H) is first staged in
// shared memory and stays there for all T steps (a persistent RNN in the sense of Diamos
// et al., ICML 2016, restricted to one block per batch slice); otherwise every step
// reads U through the cache. Forward caches what backward needs: gates (post-activation),
// c and h_{t-1}.
#include "common.cuh"

// Shared memory: hs[H], gs[4H], then U when persist.
template <typename T>
__device__ void lstm_fwd(T* h, T* c, T* hprev, T* gates, const T* xw, const T* U, int B,
                         int T_, int H, int ract, int actv, int persist) {
    extern __shared__ __align__(16) unsigned char smem[];
    T* hs = (T*)smem;
    T* gs = hs + H;
    int b = blockIdx.x, G = 4 * H;
    const T* u = stage(gs + G, U, H * G, persist);
    for (int k = threadIdx.x; k < H; k += blockDim.x) hs[k] = 0;
    __syncthreads();

    for (int t = 0; t < T_; t++) {
        size_t r = (size_t)b * T_ + t;
        for (int j = threadIdx.x; j < G; j += blockDim.x) {
            T s = 0;
            for (int k = 0; k < H; k++) s = madd(hs[k], u[k * G + j], s);
            T z = xw[r * G + j] + s;
            T a = (j >= 2 * H && j < 3 * H) ? act(actv, z, T(0)) : act(ract, z, T(0));
            gs[j] = a;
            gates[r * G + j] = a;
        }
        __syncthreads();
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T cp = t > 0 ? c[(r - 1) * H + k] : T(0);
            T ct = gs[H + k] * cp + gs[k] * gs[2 * H + k];
            hprev[r * H + k] = hs[k];
            c[r * H + k] = ct;
            T ht = gs[3 * H + k] * act(actv, ct, T(0));
            h[r * H + k] = ht;
            hs[k] = ht;
        }
        __syncthreads();
    }
}

// Backward through time, t = T-1 … 0, for dy (B, T, H) = ∂L/∂h_t (zeros where the layer
// returns only the last step). Writes dz (B, T, 4H) = ∂L/∂z; the host turns it into
// dW, dU, db and dx with products. Reverses the forward lines:
//
//	dh = dy_t + dz_{t+1}·Uᵀ    dc = dc_{t+1}∘f_{t+1} + dh∘o∘act'(act(c_t))
//	dz_i = dc∘g∘ra'(i)  dz_f = dc∘c_{t-1}∘ra'(f)  dz_c = dc∘i∘act'(g)  dz_o = dh∘act(c_t)∘ra'(o)
//
// Shared memory: dhs[H], dcs[H], dzs[4H], then U when persist.
template <typename T>
__device__ void lstm_bwd(T* dz, const T* dy, const T* c, const T* gates, const T* U, int B,
                         int T_, int H, int ract, int actv, int persist) {
    extern __shared__ __align__(16) unsigned char smem[];
    T* dhs = (T*)smem;
    T* dcs = dhs + H;
    T* dzs = dcs + H;
    int b = blockIdx.x, G = 4 * H;
    const T* u = stage(dzs + G, U, H * G, persist);
    for (int k = threadIdx.x; k < H; k += blockDim.x) dhs[k] = dcs[k] = 0;
    __syncthreads();

    for (int t = T_ - 1; t >= 0; t--) {
        size_t r = (size_t)b * T_ + t;
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            const T* g = gates + r * G;
            T i = g[k], f = g[H + k], gg = g[2 * H + k], o = g[3 * H + k];
            T tc = act(actv, c[r * H + k], T(0));
            T cp = t > 0 ? c[(r - 1) * H + k] : T(0);
            T dh = dy[r * H + k] + dhs[k];
            T dc = dcs[k] + dh * o * actd(actv, tc, T(0));
            T zi = dc * gg * actd(ract, i, T(0)), zf = dc * cp * actd(ract, f, T(0));
            T zc = dc * i * actd(actv, gg, T(0)), zo = dh * tc * actd(ract, o, T(0));
            dzs[k] = zi, dzs[H + k] = zf, dzs[2 * H + k] = zc, dzs[3 * H + k] = zo;
            dz[r * G + k] = zi, dz[r * G + H + k] = zf;
            dz[r * G + 2 * H + k] = zc, dz[r * G + 3 * H + k] = zo;
            dcs[k] = dc * f;
        }
        __syncthreads();
        for (int k = threadIdx.x; k < H; k += blockDim.x) {
            T s = 0;
            for (int j = 0; j < G; j++) s = madd(dzs[j], u[k * G + j], s);
            dhs[k] = s;
        }
        __syncthreads();
    }
}

// The same step as launches per time step, for when one block per batch row leaves the
// GPU idle (large H, small B). The host queues the recurrent product as a matrix product
// (core.LSTM) and then the cell: B·H threads, thread (b, k) finishing unit k of row b.
// The product sums from zero in the order of lstm_fwd and lstm_bwd and is added last, as
// there, so both forms agree bit for bit.
//
// lstm_cell_fwd: xw row t already holds x·W + b + h_{t-1}·U (t > 0: the product was
// added into it); writes the gates, c_t, h_t and h_{t-1}.
template <typename T>
__device__ void lstm_cell_fwd(T* h, T* c, T* hprev, T* gates, const T* xw, int B, int T_,
                              int H, int t, int ract, int actv) {
    int G = 4 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int b = i / H, k = i % H;
        size_t r = (size_t)b * T_ + t;
        T a[4];
        for (int q = 0; q < 4; q++) {
            int j = q * H + k;
            a[q] = q == 2 ? act(actv, xw[r * G + j], T(0)) : act(ract, xw[r * G + j], T(0));
            gates[r * G + j] = a[q];
        }
        T cp = t > 0 ? c[(r - 1) * H + k] : T(0);
        T ct = a[1] * cp + a[0] * a[2];
        hprev[r * H + k] = t > 0 ? h[(r - 1) * H + k] : T(0);
        c[r * H + k] = ct;
        h[r * H + k] = a[3] * act(actv, ct, T(0));
    }
}

// lstm_cell_bwd: one step of lstm_bwd, t = T-1 … 0. dhrec (B, H) = dz_{t+1}·Uᵀ from the
// product (unread at t = T-1), dc (B, H) carries ∂L/∂c between steps.
template <typename T>
__device__ void lstm_cell_bwd(T* dz, T* dc, const T* dy, const T* dhrec, const T* c,
                              const T* gates, int B, int T_, int H, int t, int ract, int actv) {
    int G = 4 * H;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < B * H; i += gridDim.x * blockDim.x) {
        int b = i / H, k = i % H;
        size_t r = (size_t)b * T_ + t;
        T s = t < T_ - 1 ? dhrec[i] : T(0), dcn = t < T_ - 1 ? dc[i] : T(0);
        const T* g = gates + r * G;
        T ig = g[k], f = g[H + k], gg = g[2 * H + k], o = g[3 * H + k];
        T tc = act(actv, c[r * H + k], T(0));
        T cp = t > 0 ? c[(r - 1) * H + k] : T(0);
        T dh = dy[r * H + k] + s;
        T dct = dcn + dh * o * actd(actv, tc, T(0));
        dz[r * G + k] = dct * gg * actd(ract, ig, T(0));
        dz[r * G + H + k] = dct * cp * actd(ract, f, T(0));
        dz[r * G + 2 * H + k] = dct * ig * actd(actv, gg, T(0));
        dz[r * G + 3 * H + k] = dh * tc * actd(ract, o, T(0));
        dc[i] = dct * f;
    }
}

#define DEFINE(T, SFX)                                                                     \
    extern "C" __global__ void lstm_fwd_##SFX(T* h, T* c, T* hprev, T* gates, const T* xw,  \
                                              const T* U, int B, int T_, int H, int ract,   \
                                              int actv, int persist) {                      \
        lstm_fwd<T>(h, c, hprev, gates, xw, U, B, T_, H, ract, actv, persist);              \
    }                                                                                       \
    extern "C" __global__ void lstm_bwd_##SFX(T* dz, const T* dy, const T* c,               \
                                              const T* gates, const T* U, int B, int T_,    \
                                              int H, int ract, int actv, int persist) {     \
        lstm_bwd<T>(dz, dy, c, gates, U, B, T_, H, ract, actv, persist);                    \
    }                                                                                       \
    extern "C" __global__ void lstm_cell_fwd_##SFX(T* h, T* c, T* hprev, T* gates,          \
                                                   const T* xw, int B, int T_, int H, int t, \
                                                   int ract, int actv) {                     \
        lstm_cell_fwd<T>(h, c, hprev, gates, xw, B, T_, H, t, ract, actv);                   \
    }                                                                                       \
    extern "C" __global__ void lstm_cell_bwd_##SFX(T* dz, T* dc, const T* dy,               \
                                                   const T* dhrec, const T* c,              \
                                                   const T* gates, int B, int T_, int H,    \
                                                   int t, int ract, int actv) {             \
        lstm_cell_bwd<T>(dz, dc, dy, dhrec, c, gates, B, T_, H, t, ract, actv);             \
    }
DEFINE(float, f32)
DEFINE(double, f64)
