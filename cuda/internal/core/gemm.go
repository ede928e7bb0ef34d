//go:build cuda

package core

import "fmt"

// Gemm queues the row-major product
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with op(A) m×k, op(B) k×n, C m×n, and row strides lda, ldb, ldc as stored, the same
// contract as kernels.Gemm. When beta is 0, C is only written.
func Gemm[T Float](d Driver, transA, transB bool, m, n, k int, alpha T, a *Buffer[T],
	lda int, b *Buffer[T], ldb int, beta T, c *Buffer[T], ldc int) error {
	return gemmAt(d, transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc)
}

// gemmAt is Gemm on sub-matrices starting at element offsets oa, ob, oc.
func gemmAt[T Float](d Driver, transA, transB bool, m, n, k int, alpha T, a *Buffer[T],
	oa, lda int, b *Buffer[T], ob, ldb int, beta T, c *Buffer[T], oc, ldc int) error {
	if m == 0 || n == 0 {
		return nil
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(ac, 1) || ldb < max(bc, 1) || ldc < max(n, 1) {
		panic(fmt.Sprintf("cuda: Gemm: strides %d, %d, %d below the row lengths %d, %d, %d",
			lda, ldb, ldc, ac, bc, n))
	}
	need("Gemm", "A", a, oa+(ar-1)*lda+ac)
	need("Gemm", "B", b, ob+(br-1)*ldb+bc)
	need("Gemm", "C", c, oc+(m-1)*ldc+n)
	grid := cfg{gx: (n + 15) / 16, gy: (m + 15) / 16, bx: 16, by: 16,
		smem: int(2 * 16 * 17 * sizeOf[T]())}
	if grid.gy > 65535 {
		// TODO(large m): fold rows into grid x, or loop over row panels, past 1048560 rows.
		panic(fmt.Sprintf("cuda: Gemm: m = %d exceeds the grid's 65535 row tiles", m))
	}
	return launch(d, "gemm"+suffix[T](), grid, transA, transB, m, n, k, alpha, a.at(oa),
		lda, b.at(ob), ldb, beta, c.at(oc), ldc)
}
