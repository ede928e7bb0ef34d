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
	return gemm(d, true, transA, transB, m, n, k, alpha, a, oa, lda, b, ob, ldb, beta, c, oc,
		ldc)
}

// gemmStep is gemmAt never split along k: every element is one sum over p = 0 … k-1 in
// order, as the one-launch recurrent loops sum theirs, so that LoopStep's per-step
// products give the same bits as LoopBlock and LoopPersistent (a split product adds its
// parts in gemm_reduce, which rounds differently).
func gemmStep[T Float](d Driver, transA, transB bool, m, n, k int, alpha T, a *Buffer[T],
	oa, lda int, b *Buffer[T], ob, ldb int, beta T, c *Buffer[T], oc, ldc int) error {
	return gemm(d, false, transA, transB, m, n, k, alpha, a, oa, lda, b, ob, ldb, beta, c, oc,
		ldc)
}

// gemm is gemmAt, split along k when allowed and splitK advises it.
func gemm[T Float](d Driver, allowSplit, transA, transB bool, m, n, k int, alpha T,
	a *Buffer[T], oa, lda int, b *Buffer[T], ob, ldb int, beta T, c *Buffer[T], oc,
	ldc int) error {
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
	t := pickTile[T](d, m, n)
	grid := cfg{gx: (n + t.bn - 1) / t.bn, gy: (m + t.bm - 1) / t.bm, bx: t.threads(), by: 1,
		smem: t.smem()}
	if grid.gy > 65535 {
		// TODO(large m): fold rows into grid x, or loop over row panels, past 65535 row tiles.
		panic(fmt.Sprintf("cuda: Gemm: m = %d exceeds the grid's 65535 row tiles", m))
	}
	splits, kc := 1, k
	if allowSplit {
		splits, kc = splitK[T](d, t, m, n, k)
	}
	if splits == 1 {
		return launch(d, t.name, grid, transA, transB, m, n, k, alpha, a.at(oa), lda,
			b.at(ob), ldb, beta, c.at(oc), ldc, k, 0)
	}
	ws, release, err := d.Scratch()
	if err != nil {
		return err
	}
	defer release()
	grid.gy *= splits
	err = launch(d, t.name, grid, transA, transB, m, n, k, T(1), a.at(oa), lda, b.at(ob),
		ldb, T(0), ws, n, kc, m*n)
	if err != nil {
		return err
	}
	return launch(d, "gemm_reduce"+suffix[T](), linear(m*n), c.at(oc), ldc, ws, m, n, splits,
		alpha, beta)
}

// splitMin is the shortest part of k a split-k block sums: 16 steps of gemmBK.
const splitMin = 128

// splitK decides whether to split a product along k, returning the number of parts and
// the length of each (a multiple of gemmBK; the last may be shorter). It splits only
// when the product's tiles would leave more than half of the multiprocessors idle and k
// holds at least two parts of splitMin, into as many parts as bring the blocks up to
// one per multiprocessor, within the driver's workspace. The tutorial LSTM's dU,
// (50, 2048)·(2048, 200), is four tiles: split 16 ways, 64 blocks sum 128 terms each
// instead of four blocks summing 2048.
func splitK[T Float](d Driver, t tile, m, n, k int) (splits, kc int) {
	tiles := ((m + t.bm - 1) / t.bm) * ((n + t.bn - 1) / t.bn)
	sms := d.Props().SMs
	room := int(ScratchBytes / (int64(m) * int64(n) * t.size))
	splits = min((sms+tiles-1)/tiles, k/splitMin, room, 65535/((m+t.bm-1)/t.bm))
	if 2*tiles > sms || splits < 2 {
		return 1, k
	}
	kc = ((k+splits-1)/splits + gemmBK - 1) / gemmBK * gemmBK
	return (k + kc - 1) / kc, kc
}

// tile is one of gemm.cu's block tiles: bm×bn of C per block, each thread a 2v×2v
// register block read as v-element vectors, k in steps of gemmBK.
type tile struct {
	name      string
	bm, bn, v int
	size      int64 // sizeof(T)
}

const gemmBK = 8

func (t tile) threads() int { return (t.bm / (2 * t.v)) * (t.bn / (2 * t.v)) }

// smem is the two alternating k-step buffers of both operands, rows padded by v.
func (t tile) smem() int {
	return int(2 * gemmBK * int64(t.bm+t.v+t.bn+t.v) * t.size)
}

// gemmTiles are gemm.cu's entry points, large tile first.
func gemmTiles[T Float]() [2]tile {
	if size := sizeOf[T](); size == 4 {
		return [2]tile{{"gemm_large_f32", 128, 128, 4, size}, {"gemm_small_f32", 64, 64, 2, size}}
	}
	return [2]tile{{"gemm_large_f64", 64, 64, 2, 8}, {"gemm_small_f64", 32, 32, 2, 8}}
}

// pickTile takes the large tile when it gives every multiprocessor at least one block,
// and otherwise the small one, which makes four times as many: a (256, 512)·(512, 2048)
// step of the wide LSTM is 32 large tiles on the H200's 132 multiprocessors, but 128
// small ones.
//
// A product with few tiles but a long k is also split along k (splitK).
func pickTile[T Float](d Driver, m, n int) tile {
	ts := gemmTiles[T]()
	large := ((m + ts[0].bm - 1) / ts[0].bm) * ((n + ts[0].bn - 1) / ts[0].bn)
	if large >= d.Props().SMs {
		return ts[0]
	}
	return ts[1]
}
