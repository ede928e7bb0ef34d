// Elementwise kernels: activations forward and backward, counter-based inverted dropout,
// the mean squared error gradient, the Adam update (both forms, one formula), a strided row
// copy, and the reductions (column sums for bias gradients, a two-pass sum for the loss).
// One thread per element in a grid-stride loop.
#include "common.cuh"

// y[i] = f(x[i]); y may alias x.
template <typename T>
__device__ void act_fwd(T* y, const T* x, int n, int a, T alpha) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = act(a, x[i], alpha);
}

// dx[i] = dy[i]·f'(x[i]) from the forward output y; dx may alias dy.
template <typename T>
__device__ void act_bwd(T* dx, const T* dy, const T* y, int n, int a, T alpha) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = dy[i] * actd(a, y[i], alpha);
}

// mix64 is SplitMix64's finalizer, without its increment, as in kernels/dropout.go.
__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// y[i] = x[i]·scale if element i is kept, else 0, with the recipe of kernels/dropout.go:
// bits(i) = mix64(key + (i+1)·0x9E3779B97F4A7C15), kept when bits(i)>>11 ≥ thr, where
// key = kernels.DropoutKey(seed, step) and thr = kernels.DropoutThreshold(rate) come from
// the host. The same call on (dx, dy) is the backward pass: the mask is recomputed.
template <typename T>
__device__ void dropout(T* y, const T* x, int n, unsigned long long key,
                        unsigned long long thr, T scale) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        unsigned long long bits = mix64(key + ((unsigned long long)i + 1) * 0x9E3779B97F4A7C15ULL);
        y[i] = (bits >> 11) >= thr ? x[i] * scale : T(0);
    }
}

// dp[i] = 2(p[i] - y[i])/n, the gradient of L = mean((p - y)²), and sq[i] = (p[i] - y[i])²
// for the loss, both formed in double as kernels.MSE does (scale = 2/n from the host).
template <typename T>
__device__ void mse(T* dp, double* sq, const T* p, const T* y, int n, double scale) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        double d = (double)p[i] - (double)y[i];
        dp[i] = (T)(scale * d);
        sq[i] = d * d;
    }
}

// One Adam step in the form of kernels.Adam, operation for operation:
//
//	m = b1·m + c1·g   v = b2·v + c2·g·g   p -= alpha·m / (√v / vScale + eps)
//
// with c1 = 1-β1 and c2 = 1-β2 rounded from double on the host; the host folds the bias
// corrections into alpha and vScale (Keras: alpha = lr·√(1-β2ᵗ)/(1-β1ᵗ), vScale = 1;
// PyTorch: alpha = lr/(1-β1ᵗ), vScale = √(1-β2ᵗ)).
template <typename T>
__device__ void adam(T* p, const T* g, T* m, T* v, int n, T b1, T b2, T c1, T c2, T alpha,
                     T vScale, T eps) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        T gi = g[i];
        T mi = b1 * m[i] + c1 * gi;
        T vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= alpha * mi / (dsqrt(vi) / vScale + eps);
    }
}

// dst[j] += Σᵢ src[i·n + j] over m rows: bias gradients. One thread per column, rows in
// order, so the result does not depend on the launch shape.
template <typename T>
__device__ void colsum(T* dst, const T* src, int m, int n) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= n) return;
    T s = 0;
    for (int i = 0; i < m; i++) s += src[(size_t)i * n + j];
    dst[j] += s;
}

// dst[i, j] = bias[j] for an m×n dst: seeds a product that adds into it.
template <typename T>
__device__ void fill_rows(T* dst, const T* bias, int m, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < m * n; i += gridDim.x * blockDim.x)
        dst[i] = bias[i % n];
}

// dst[i·ldd + j] = src[i·lds + j] for an m×n block of rows: one step of a (B, T, H)
// sequence gathered into (B, H), or scattered back.
template <typename T>
__device__ void copy_rows(T* dst, int ldd, const T* src, int lds, int m, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < m * n; i += gridDim.x * blockDim.x)
        dst[(size_t)(i / n) * ldd + i % n] = src[(size_t)(i / n) * lds + i % n];
}

// part[block] = sum of the block's contiguous chunk of x; launch with a power-of-two
// block size and blockDim·sizeof(T) bytes of dynamic shared memory. A second launch over
// part with one block finishes the sum. Fixed tree order: deterministic.
template <typename T>
__device__ void sum_partial(T* part, const T* x, int n, int chunk) {
    extern __shared__ __align__(16) unsigned char smem[];
    T* s = (T*)smem;
    int lo = blockIdx.x * chunk, hi = min(n, lo + chunk);
    T acc = 0;
    for (int i = lo + threadIdx.x; i < hi; i += blockDim.x) acc += x[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if (threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) part[blockIdx.x] = s[0];
}

#define DEFINE(T, SFX)                                                                     \
    extern "C" __global__ void act_fwd_##SFX(T* y, const T* x, int n, int a, T alpha) {     \
        act_fwd<T>(y, x, n, a, alpha);                                                      \
    }                                                                                       \
    extern "C" __global__ void act_bwd_##SFX(T* dx, const T* dy, const T* y, int n, int a,  \
                                             T alpha) {                                     \
        act_bwd<T>(dx, dy, y, n, a, alpha);                                                 \
    }                                                                                       \
    extern "C" __global__ void dropout_##SFX(T* y, const T* x, int n,                      \
                                             unsigned long long key,                        \
                                             unsigned long long thr, T scale) {             \
        dropout<T>(y, x, n, key, thr, scale);                                               \
    }                                                                                       \
    extern "C" __global__ void mse_##SFX(T* dp, double* sq, const T* p, const T* y, int n,  \
                                         double scale) {                                    \
        mse<T>(dp, sq, p, y, n, scale);                                                     \
    }                                                                                       \
    extern "C" __global__ void adam_##SFX(T* p, const T* g, T* m, T* v, int n, T b1, T b2,  \
                                          T c1, T c2, T alpha, T vScale, T eps) {           \
        adam<T>(p, g, m, v, n, b1, b2, c1, c2, alpha, vScale, eps);                         \
    }                                                                                       \
    extern "C" __global__ void colsum_##SFX(T* dst, const T* src, int m, int n) {          \
        colsum<T>(dst, src, m, n);                                                          \
    }                                                                                       \
    extern "C" __global__ void fill_rows_##SFX(T* dst, const T* bias, int m, int n) {      \
        fill_rows<T>(dst, bias, m, n);                                                      \
    }                                                                                       \
    extern "C" __global__ void copy_rows_##SFX(T* dst, int ldd, const T* src, int lds,      \
                                               int m, int n) {                              \
        copy_rows<T>(dst, ldd, src, lds, m, n);                                             \
    }                                                                                       \
    extern "C" __global__ void sum_partial_##SFX(T* part, const T* x, int n, int chunk) {  \
        sum_partial<T>(part, x, n, chunk);                                                  \
    }
DEFINE(float, f32)
DEFINE(double, f64)
