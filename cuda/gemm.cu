// Tiled matrix product, row-major: C = alpha·op(A)·op(B) + beta·C with op(A) m×k,
// op(B) k×n, C m×n and row strides lda, ldb, ldc as stored. Each 16×16 block stages one
// tile of op(A) and op(B) in shared memory per step along k; launch with
// 2·16·17·sizeof(T) bytes of dynamic shared memory. When beta is 0, C is not read, so a
// C holding NaN is overwritten as BLAS does.
#include "common.cuh"

#define TILE 16

template <typename T>
__device__ void gemm(int ta, int tb, int m, int n, int k, T alpha, const T* A, int lda,
                     const T* B, int ldb, T beta, T* C, int ldc) {
    extern __shared__ __align__(16) unsigned char smem[];
    T(*as)[TILE + 1] = (T(*)[TILE + 1])smem; // [TILE][TILE+1]: the pad avoids bank conflicts
    T(*bs)[TILE + 1] = as + TILE;
    int row = blockIdx.y * TILE + threadIdx.y;
    int col = blockIdx.x * TILE + threadIdx.x;
    T acc = 0;

    for (int p0 = 0; p0 < k; p0 += TILE) {
        int pa = p0 + threadIdx.x; // column of op(A) this thread loads
        int pb = p0 + threadIdx.y; // row of op(B) this thread loads
        T va = 0, vb = 0;
        if (row < m && pa < k) va = ta ? A[(size_t)pa * lda + row] : A[(size_t)row * lda + pa];
        if (pb < k && col < n) vb = tb ? B[(size_t)col * ldb + pb] : B[(size_t)pb * ldb + col];
        as[threadIdx.y][threadIdx.x] = va;
        bs[threadIdx.y][threadIdx.x] = vb;
        __syncthreads();
        for (int p = 0; p < TILE; p++) acc += as[threadIdx.y][p] * bs[p][threadIdx.x];
        __syncthreads();
    }

    if (row < m && col < n) {
        T* c = &C[(size_t)row * ldc + col];
        *c = beta == T(0) ? alpha * acc : alpha * acc + beta * *c;
    }
}

#define DEFINE(T, SFX)                                                                    \
    extern "C" __global__ void gemm_##SFX(int ta, int tb, int m, int n, int k, T alpha,    \
                                          const T* A, int lda, const T* B, int ldb,       \
                                          T beta, T* C, int ldc) {                         \
        gemm<T>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);                     \
    }
DEFINE(float, f32)
DEFINE(double, f64)
