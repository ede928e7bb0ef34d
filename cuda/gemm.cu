// Register-tiled matrix product, row-major: C = alpha·op(A)·op(B) + beta·C with op(A) m×k,
// op(B) k×n, C m×n and row strides lda, ldb, ldc as stored. When beta is 0, C is not
// read, so a C holding NaN is overwritten as BLAS does.
//
// Each block computes a BM×BN tile of C, walking k in steps of BK = 8. A step's slices
// of op(A) (BM×BK) and op(B) (BK×BN) go through registers into shared memory, stored
// k-major (as[p][row], bs[p][col]) so that a thread reads its rows and columns of one p
// as vectors of up to 16 bytes. Two shared-memory buffers alternate: while the block multiplies
// out of one, each thread has already fetched the next step's slice into registers and
// stores it into the other, so one barrier per step suffices.
//
// A thread owns a 2V×2V block of C, split into four V×V quadrants half a tile apart:
// rows ty·V+i and BM/2+ty·V+i, columns likewise. Neighbouring threads then read
// neighbouring V-element vectors of shared memory, which the hardware serves without
// bank conflicts, and each value read from shared memory feeds 2V multiply-adds (the register blocking of Volkov and Demmel, SC 2008, that
// cuBLAS-class kernels build on).
//
// Every element's sum runs over p = 0, 1, …, k-1 in order and is then scaled:
// c = alpha·Σ + beta·c. A product with few tiles and a long k can be split along k
// (split-k): grid row y then covers split y / ⌈m/BM⌉, which sums p over
// [split·kc, split·kc + kc) and writes its partial sum sc elements further into C (the
// launcher passes a workspace, alpha 1 and beta 0), and gemm_reduce adds the splits in
// order. Unsplit, kc = k and the one split is C itself. float32 accumulates with fused multiply-add, like the CPU's
// AVX2/FMA kernel (kernels.Gemm for float32), and float64 with a rounded product and
// sum, like gonum's (madd in common.cuh); gen.sh's -fmad=false keeps the compiler from
// fusing anything else on its own.
//
// Launch with NT = (BM/2V)·(BN/2V) threads in x, grid (⌈n/BN⌉, splits·⌈m/BM⌉), and
// 2·BK·(BM+V + BN+V)·sizeof(T) bytes of dynamic shared memory (core/gemm.go's tile).
#include "common.cuh"

#define BK 8

// vec is V elements of T, aligned so that a copy is one vector load from shared memory.
template <typename T, int V>
struct __align__(V * sizeof(T)) vec {
    T v[V];
};

template <typename T, int BM, int BN, int V>
__device__ void gemm_tile(int ta, int tb, int m, int n, int k, T alpha, const T* A, int lda,
                          const T* B, int ldb, T beta, T* C, int ldc, int kc, long long sc) {
    static_assert(V * sizeof(T) <= 16, "vector loads are at most 16 bytes");
    constexpr int TX = BN / (2 * V), NT = TX * (BM / (2 * V));
    constexpr int SA = BM + V, SB = BN + V; // padded rows: the k-major stores do not collide
    constexpr int LA = BM * BK / NT, LB = BN * BK / NT; // elements each thread fetches
    static_assert(LA * NT == BM * BK && LB * NT == BN * BK, "tile not divisible by threads");

    extern __shared__ __align__(16) unsigned char smem[];
    T* as = (T*)smem;         // [2][BK][SA]
    T* bs = as + 2 * BK * SA; // [2][BK][SB]
    const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
    const int tilesM = (m + BM - 1) / BM, split = blockIdx.y / tilesM;
    const int m0 = (blockIdx.y % tilesM) * BM, n0 = blockIdx.x * BN;
    const int k0 = split * kc, k1 = min(k, k0 + kc); // this block's part of the sum
    C += split * sc;

    // Element e of a step's slice, numbered so that consecutive threads read consecutive
    // addresses of the matrix as stored: along rows of A when it is stored k×m (ta),
    // along k when stored m×k, and likewise for B.
    T ra[LA], rb[LB];
    auto fetch = [&](int p0) {
#pragma unroll
        for (int i = 0; i < LA; i++) {
            int e = tid + i * NT;
            int r = ta ? e % BM : e / BK, p = ta ? e / BM : e % BK;
            int gr = m0 + r, gp = p0 + p;
            ra[i] = T(0);
            if (gr < m && gp < k1) ra[i] = ta ? A[(size_t)gp * lda + gr] : A[(size_t)gr * lda + gp];
        }
#pragma unroll
        for (int i = 0; i < LB; i++) {
            int e = tid + i * NT;
            int c = tb ? e / BK : e % BN, p = tb ? e % BK : e / BN;
            int gc = n0 + c, gp = p0 + p;
            rb[i] = T(0);
            if (gc < n && gp < k1) rb[i] = tb ? B[(size_t)gc * ldb + gp] : B[(size_t)gp * ldb + gc];
        }
    };
    auto store = [&](int buf) {
        T* a = as + buf * BK * SA;
        T* b = bs + buf * BK * SB;
#pragma unroll
        for (int i = 0; i < LA; i++) {
            int e = tid + i * NT;
            int r = ta ? e % BM : e / BK, p = ta ? e / BM : e % BK;
            a[p * SA + r] = ra[i];
        }
#pragma unroll
        for (int i = 0; i < LB; i++) {
            int e = tid + i * NT;
            int c = tb ? e / BK : e % BN, p = tb ? e % BK : e / BN;
            b[p * SB + c] = rb[i];
        }
    };

    T acc[2 * V][2 * V];
#pragma unroll
    for (int i = 0; i < 2 * V; i++)
#pragma unroll
        for (int j = 0; j < 2 * V; j++) acc[i][j] = T(0);

    const int steps = (k1 - k0 + BK - 1) / BK;
    if (steps > 0) {
        fetch(k0);
        store(0);
    }
    __syncthreads();
    for (int s = 0; s < steps; s++) {
        if (s + 1 < steps) fetch(k0 + (s + 1) * BK);
        const T* a = as + (s & 1) * BK * SA;
        const T* b = bs + (s & 1) * BK * SB;
#pragma unroll
        for (int p = 0; p < BK; p++) {
            vec<T, V> a0 = *(const vec<T, V>*)&a[p * SA + ty * V];
            vec<T, V> a1 = *(const vec<T, V>*)&a[p * SA + BM / 2 + ty * V];
            vec<T, V> b0 = *(const vec<T, V>*)&b[p * SB + tx * V];
            vec<T, V> b1 = *(const vec<T, V>*)&b[p * SB + BN / 2 + tx * V];
#pragma unroll
            for (int i = 0; i < V; i++)
#pragma unroll
                for (int j = 0; j < V; j++) {
                    acc[i][j] = madd(a0.v[i], b0.v[j], acc[i][j]);
                    acc[i][V + j] = madd(a0.v[i], b1.v[j], acc[i][V + j]);
                    acc[V + i][j] = madd(a1.v[i], b0.v[j], acc[V + i][j]);
                    acc[V + i][V + j] = madd(a1.v[i], b1.v[j], acc[V + i][V + j]);
                }
        }
        if (s + 1 < steps) store((s + 1) & 1);
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 2 * V; i++) {
        int r = m0 + (i < V ? ty * V + i : BM / 2 + ty * V + i - V);
        if (r >= m) continue;
#pragma unroll
        for (int j = 0; j < 2 * V; j++) {
            int c = n0 + (j < V ? tx * V + j : BN / 2 + tx * V + j - V);
            if (c >= n) continue;
            T* out = &C[(size_t)r * ldc + c];
            *out = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
        }
    }
}

// Two tiles per type, both 256 threads but for the smallest: the large one for products
// with enough tiles to fill the GPU, the small one (a quarter of the work per block, a
// quarter of the registers per thread) for those that would leave most multiprocessors
// idle, such as a recurrent layer's per-step (B, H)·(H, 4H).
//
//	entry point       BM×BN   thread block  threads
//	gemm_large_f32   128×128      8×8         256
//	gemm_small_f32    64×64       4×4         256
//	gemm_large_f64    64×64       4×4         256
//	gemm_small_f64    32×32       4×4          64
#define DEFINE(T, SFX, NAME, BM, BN, V)                                                   \
    extern "C" __global__ void __launch_bounds__((BM / (2 * V)) * (BN / (2 * V)))          \
        gemm_##NAME##_##SFX(int ta, int tb, int m, int n, int k, T alpha, const T* A,      \
                            int lda, const T* B, int ldb, T beta, T* C, int ldc, int kc,   \
                            long long sc) {                                                \
        gemm_tile<T, BM, BN, V>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, kc,  \
                                sc);                                                       \
    }
// gemm_reduce finishes a product split along k: C = alpha·Σ_j W_j + beta·C over the
// splits W_j (m×n, packed, sc = m·n apart), summed in order j = 0, 1, …
template <typename T>
__device__ void gemm_reduce(T* C, int ldc, const T* W, int m, int n, int splits, T alpha,
                            T beta) {
    size_t mn = (size_t)m * n;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < mn;
         i += (size_t)gridDim.x * blockDim.x) {
        T s = W[i];
        for (int j = 1; j < splits; j++) s += W[j * mn + i];
        T* out = &C[(i / n) * ldc + i % n];
        *out = beta == T(0) ? alpha * s : alpha * s + beta * *out;
    }
}

#define DEFINE_REDUCE(T, SFX)                                                              \
    extern "C" __global__ void gemm_reduce_##SFX(T* C, int ldc, const T* W, int m, int n,  \
                                                 int splits, T alpha, T beta) {            \
        gemm_reduce<T>(C, ldc, W, m, n, splits, alpha, beta);                              \
    }
DEFINE_REDUCE(float, f32)
DEFINE_REDUCE(double, f64)

DEFINE(float, f32, large, 128, 128, 4)
DEFINE(float, f32, small, 64, 64, 2)
DEFINE(double, f64, large, 64, 64, 2)
DEFINE(double, f64, small, 32, 32, 2)
