// Conv1D, channels-last, valid padding: x (B, T, C), w (K, C, O), y (B, To, O) with
// To = (T-K)/S + 1 and y[b,t,o] = Σ_{k,c} x[b, tS+k, c]·w[k,c,o]. The bias and the
// activation are separate kernels (fill_rows, act_fwd). One thread per output element;
// each sums in a fixed order, so results are deterministic.
#include "common.cuh"

// y = conv(x, w), added to what y holds (seed y with the bias first). The sum starts from
// y's value and runs over j = k·C + c; kernels.Conv1DForward (a strided sgemm since
// ad5ec9a) sums in its own order, so the two agree to rounding, not bit for bit.
template <typename T>
__device__ void conv_fwd(T* y, const T* x, const T* w, int B, int T_, int C, int K,
                         int S, int O) {
    int To = (T_ - K) / S + 1;
    int n = B * To * O;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        int o = i % O, t = (i / O) % To, b = i / (O * To);
        const T* xr = x + ((size_t)b * T_ + (size_t)t * S) * C;
        T acc = y[i];
        for (int j = 0; j < K * C; j++) acc += xr[j] * w[(size_t)j * O + o];
        y[i] = acc;
    }
}

// dx[b,ti,c] = Σ over (t, k) with tS+k = ti of Σ_o dy[b,t,o]·w[k,c,o]; overwrites dx.
template <typename T>
__device__ void conv_bwd_x(T* dx, const T* dy, const T* w, int B, int T_, int C, int K,
                           int S, int O) {
    int To = (T_ - K) / S + 1;
    int n = B * T_ * C;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        int c = i % C, ti = (i / C) % T_, b = i / (C * T_);
        T acc = 0;
        for (int k = 0; k < K; k++) {
            int u = ti - k;
            if (u < 0 || u % S != 0 || u / S >= To) continue;
            const T* d = dy + ((size_t)b * To + u / S) * O;
            const T* wr = w + ((size_t)k * C + c) * O;
            for (int o = 0; o < O; o++) acc += d[o] * wr[o];
        }
        dx[i] = acc;
    }
}

// dw[k,c,o] += Σ_{b,t} x[b, tS+k, c]·dy[b,t,o].
template <typename T>
__device__ void conv_bwd_w(T* dw, const T* dy, const T* x, int B, int T_, int C, int K,
                           int S, int O) {
    int To = (T_ - K) / S + 1;
    int n = K * C * O;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        int o = i % O, c = (i / O) % C, k = i / (O * C);
        T acc = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < To; t++)
                acc += x[((size_t)b * T_ + (size_t)t * S + k) * C + c] *
                       dy[((size_t)b * To + t) * O + o];
        dw[i] += acc;
    }
}

#define DEFINE(T, SFX)                                                                     \
    extern "C" __global__ void conv_fwd_##SFX(T* y, const T* x, const T* w, int B, int T_, \
                                              int C, int K, int S, int O) {                 \
        conv_fwd<T>(y, x, w, B, T_, C, K, S, O);                                            \
    }                                                                                       \
    extern "C" __global__ void conv_bwd_x_##SFX(T* dx, const T* dy, const T* w, int B,      \
                                                int T_, int C, int K, int S, int O) {       \
        conv_bwd_x<T>(dx, dy, w, B, T_, C, K, S, O);                                        \
    }                                                                                       \
    extern "C" __global__ void conv_bwd_w_##SFX(T* dw, const T* dy, const T* x, int B,      \
                                                int T_, int C, int K, int S, int O) {       \
        conv_bwd_w<T>(dw, dy, x, B, T_, C, K, S, O);                                        \
    }
DEFINE(float, f32)
DEFINE(double, f64)
