package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// Gemm computes the row-major matrix product
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or Xᵀ as transA, transB say, op(A) is m×k, op(B) is k×n and C is m×n.
// lda, ldb and ldc are the row strides of A, B and C as stored. Repeated products of the
// same shapes allocate nothing (sgemm keeps what its first product allocated).
//
// float32 products with B not transposed run on this package's AVX2/FMA kernels (sgemm)
// where the CPU has them, split across cores from about 10⁶ multiply-adds; recurrent
// layers keep transposed copies of their weights so that their products take this path.
// Everything else runs on gonum's blas32 and blas64 implementations, serially in tiles
// (see GemmSerial). With the openblas build tag (blas_openblas.go) every product runs on
// OpenBLAS whole; measured there, the recurrent layers' per-step 8×50·50×200 product
// takes 1.79 µs against sgemm's 1.64 µs, and no tutorial epoch changes significantly, so
// the default build keeps sgemm and needs no cgo.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true)
}

// GemmSerial computes the same product as Gemm on the calling goroutine alone. Recurrent
// layers use it for their per-step products, whose few microseconds of work a hand-over
// to another goroutine would dominate.
func GemmSerial[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, false)
}

func gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int, parallel bool) {
	if a32, ok := any(a).([]float32); ok && fastSgemm && !transB {
		sgemm(transA, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb,
			float32(beta), any(c).([]float32), ldc, parallel)
		return
	}
	if m == 0 || n == 0 {
		return
	}
	if nativeBLAS || m <= serialRows && n <= serialCols || k == 0 {
		blasGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i := 0; i < m; i += serialRows {
		var ai []T
		if transA {
			ai = a[i:] // columns i.. of A
		} else {
			ai = a[i*lda:] // rows i.. of A
		}
		for j := 0; j < n; j += serialCols {
			var bj []T
			if transB {
				bj = b[j*ldb:] // rows j.. of B
			} else {
				bj = b[j:] // columns j.. of B
			}
			blasGemm(transA, transB, min(serialRows, m-i), min(serialCols, n-j), k,
				alpha, ai, lda, bj, ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}

// nativeBLAS is set under the openblas build tag: gonum's implementations are then
// OpenBLAS, which threads and blocks by itself, so products go to it whole.
var nativeBLAS = false

// Serial tiles for gemm's gonum path. gonum's Gemm splits C into 64×64 blocks and starts
// goroutines (allocating a channel and their stacks) once C has 4 or more of them; a tile
// of at most 64 rows and 192 columns has 3 and runs serially in gonum's vector code.
const (
	serialRows = 64
	serialCols = 192
)

// blasGemm calls gonum's installed blas32 or blas64 implementation.
func blasGemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		blas32.Implementation().Sgemm(tA, tB, m, n, k, float32(alpha), a, lda,
			any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		blas64.Implementation().Dgemm(tA, tB, m, n, k, float64(alpha), a, lda,
			any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}
