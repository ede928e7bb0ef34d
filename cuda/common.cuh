// Shared device helpers for seqnn's kernels. Activation codes are the values of
// kernels.Activation: 0 linear, 1 relu, 2 leaky_relu, 3 tanh, 4 sigmoid, 5 hard_sigmoid.
// Derivatives are taken from the forward output y, as kernels.Deriv does.
#pragma once

__device__ __forceinline__ float dexp(float x) { return expf(x); }
__device__ __forceinline__ double dexp(double x) { return exp(x); }
__device__ __forceinline__ float dtanh(float x) { return tanhf(x); }
__device__ __forceinline__ double dtanh(double x) { return tanh(x); }
__device__ __forceinline__ float dsqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double dsqrt(double x) { return sqrt(x); }

// madd returns a·b + c, the step of every dot product: fused (one rounding) for float, as
// the CPU's AVX2/FMA float32 matrix kernel, and rounded twice for double, as gonum's.
// The matrix product and the recurrent time loops share it, so a sum over the same terms
// in the same order gives the same bits in either.
__device__ __forceinline__ float madd(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double madd(double a, double b, double c) { return a * b + c; }

// act returns f(x). Sigmoid avoids forming e^-x for negative x, like the CPU twin.
template <typename T>
__device__ __forceinline__ T act(int a, T x, T alpha) {
    switch (a) {
    case 1: return x > T(0) ? x : T(0);
    case 2: return x > T(0) ? x : alpha * x;
    case 3: return dtanh(x);
    case 4:
        if (x >= T(0)) return T(1) / (T(1) + dexp(-x));
        else { T e = dexp(x); return e / (T(1) + e); }
    case 5: return fmin(fmax(T(0.2) * x + T(0.5), T(0)), T(1));
    }
    return x;
}

// actd returns f'(x) from y = f(x); one-sided 0 at the kinks, as kernels.Deriv.
template <typename T>
__device__ __forceinline__ T actd(int a, T y, T alpha) {
    switch (a) {
    case 1: return y > T(0) ? T(1) : T(0);
    case 2: return y > T(0) ? T(1) : alpha;
    case 3: return T(1) - y * y;
    case 4: return y * (T(1) - y);
    case 5: return (y > T(0) && y < T(1)) ? T(0.2) : T(0);
    }
    return T(1);
}

// stage copies g[0:n) into the block's shared memory sh and returns sh when persist is
// set (the recurrent weights of a persistent RNN, kept on chip for all T steps), or g
// itself, read through the cache, when not.
template <typename T>
__device__ const T* stage(T* sh, const T* g, int n, int persist) {
    if (!persist) return g;
    for (int i = threadIdx.x; i < n; i += blockDim.x) sh[i] = g[i];
    __syncthreads();
    return sh;
}
