package kernels

import (
	"fmt"
	"runtime"
	"sync"
)

// fastSgemm selects sgemm for float32 products whose B is not transposed. It is false on
// CPUs without AVX2 and FMA3, off amd64, and under the openblas build tag; tests switch
// it to compare the two paths.
var fastSgemm = hasFMA()

// Blocking of sgemm. A kc×16 panel of B (16 KiB) stays in L1 while the microkernel walks
// mc rows of A; the mc×kc block of A (256 KiB) stays in L2 across the panels. Measured
// against mc = 64 on the large shape's input projection: 86 against 68 GFLOP/s.
const (
	sgemmKC = 256
	sgemmMC = 256

	// Products of at least this many multiply-adds (about 30 µs on one core) are split
	// across the helper goroutines; smaller ones cost more to hand over than they save.
	sgemmParallelMACs = 1 << 20
)

// sgemm computes C = alpha·op(A)·B + beta·C for row-major float32 matrices, op(A) m×k,
// B k×n and C m×n, with the register-blocked microkernels. Unlike gonum it accepts
// lda < k for A not transposed (rows that overlap, as a strided convolution's windows
// do). Products of sgemmParallelMACs or more are split across helper goroutines when
// GOMAXPROCS allows and no other caller holds them. sgemm allocates only the first time
// it needs its helpers or a pack buffer larger than before (sgemmPool keeps both), so
// repeated products of the same shapes allocate nothing.
func sgemm(transA bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, parallel bool) {
	checkSgemm(transA, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	job := sgemmJob{transA: transA, m: m, k: k, alpha: alpha, a: a, lda: lda, b: b,
		ldb: ldb, c: c, ldc: ldc, i1: m, j1: n}
	if m < sgemmPackRows || !pool.mu.TryLock() {
		job.run(nil)
		return
	}
	defer pool.mu.Unlock()
	if !parallel || m*n*k < sgemmParallelMACs || !runSplit(&job) {
		job.run(pool.pack(0, min(k, sgemmKC)*n))
	}
}

// sgemmJob is the part of a product with rows [i0, i1) and columns [j0, j1) of C.
type sgemmJob struct {
	transA         bool
	m, k           int
	alpha          float32
	a, b, c        []float32
	lda, ldb, ldc  int
	i0, i1, j0, j1 int
	pack           []float32 // space for a packed kc×(j1-j0) block of B, or nil
}

// run computes the job's block of C += alpha·op(A)·B, blocked by sgemmKC and sgemmMC.
// With pack it first copies each kc×16 panel of B into contiguous memory: rows of B
// 4 KiB apart (n = 1024) would otherwise fall into the same few L1 sets.
func (w *sgemmJob) run(pack []float32) {
	rs, ks := w.lda, 1
	if w.transA {
		rs, ks = 1, w.lda
	}
	for p0 := 0; p0 < w.k; p0 += sgemmKC {
		kb := min(sgemmKC, w.k-p0)
		b, ldb, off := w.b, w.ldb, p0*w.ldb
		if pack != nil {
			b, ldb, off = pack, 0, 0
			packB(pack, w.b[p0*w.ldb:], w.ldb, kb, w.j0, w.j1)
		}
		for i0 := w.i0; i0 < w.i1; i0 += sgemmMC {
			w.block(i0, min(i0+sgemmMC, w.i1), p0, kb, rs, ks, b, ldb, off)
		}
	}
}

// packB copies columns [j0, j1) of the kb rows of b into dst, panel by panel: each
// 16 columns (then 8) as kb rows of 16 (8) contiguous values; the last j1-j0 mod 8
// columns are not copied, the scalar loop reads them from b.
func packB(dst, b []float32, ldb, kb, j0, j1 int) {
	for j := j0; j+8 <= j1; {
		w := 16
		if j+16 > j1 {
			w = 8
		}
		panel := dst[(j-j0)*kb : (j-j0+w)*kb]
		for p := range kb {
			copy(panel[p*w:(p+1)*w], b[p*ldb+j:p*ldb+j+w])
		}
		j += w
	}
}

// block adds the terms p0 ≤ p < p0+kb for rows [i0, i1): 16 columns at a time, then 8,
// then the last n mod 8 one by one.
//
// b is B itself from offset off (row p0) with row stride ldb, or, when ldb is 0, the
// packed panels of packB.
func (w *sgemmJob) block(i0, i1, p0, kb, rs, ks int, b []float32, ldb, off int) {
	a, c, ldc, alpha := w.a, w.c, w.ldc, w.alpha
	i4 := i0 + (i1-i0)/4*4
	j := w.j0
	panel := func(j, width int) (*float32, int) {
		if ldb == 0 {
			return &b[(j-w.j0)*kb], width
		}
		return &b[off+j], ldb
	}
	for ; j+16 <= w.j1; j += 16 {
		bp, ldb := panel(j, 16)
		for i := i0; i < i4; i += 4 {
			sgemm4x16(kb, &a[i*rs+p0*ks], rs, ks, bp, ldb, &c[i*ldc+j], ldc, alpha)
		}
		for i := i4; i < i1; i++ {
			sgemm1x16(kb, &a[i*rs+p0*ks], ks, bp, ldb, &c[i*ldc+j], alpha)
		}
	}
	if j+8 <= w.j1 {
		bp, ldb := panel(j, 8)
		for i := i0; i < i4; i += 4 {
			sgemm4x8(kb, &a[i*rs+p0*ks], rs, ks, bp, ldb, &c[i*ldc+j], ldc, alpha)
		}
		for i := i4; i < i1; i++ {
			sgemm1x8(kb, &a[i*rs+p0*ks], ks, bp, ldb, &c[i*ldc+j], alpha)
		}
		j += 8
	}
	if j < w.j1 && w.j1 >= 8 {
		w.tail(i0, i1, p0, kb, rs, ks, j)
		return
	}
	for ; j < w.j1; j++ {
		for i := i0; i < i1; i++ {
			var s float32
			for p := p0; p < p0+kb; p++ {
				s += a[i*rs+p*ks] * w.b[p*w.ldb+j]
			}
			c[i*ldc+j] += alpha * s
		}
	}
}

// tail adds the last j1-j mod 8 columns, j1-j < 8, when C has 8 or more: the 8-wide
// kernels compute columns [j1-8, j1) into a scratch block on the stack, of which the
// columns from j are added to C. (The backward product dz Uᵀ has n = H = 50.)
func (w *sgemmJob) tail(i0, i1, p0, kb, rs, ks, j int) {
	var tmp [4 * 8]float32
	a, c, ldc, j8 := w.a, w.c, w.ldc, w.j1-8
	bp := &w.b[p0*w.ldb+j8]
	for i := i0; i < i1; i += 4 {
		rows := min(4, i1-i)
		clear(tmp[:])
		if rows == 4 {
			sgemm4x8(kb, &a[i*rs+p0*ks], rs, ks, bp, w.ldb, &tmp[0], 8, w.alpha)
		} else {
			for r := range rows {
				sgemm1x8(kb, &a[(i+r)*rs+p0*ks], ks, bp, w.ldb, &tmp[r*8], w.alpha)
			}
		}
		for r := range rows {
			row := c[(i+r)*ldc : (i+r)*ldc+w.j1]
			for jj := j; jj < w.j1; jj++ {
				row[jj] += tmp[r*8+jj-j8]
			}
		}
	}
}

// The helpers: goroutines started on first use that run the parts of a split product.
// A caller takes pool.mu with TryLock, so concurrent products never wait on each other:
// the one that finds the helpers busy runs serially.
type sgemmPool struct {
	mu      sync.Mutex // held while using the helpers or the pack buffers
	helpers int
	jobs    chan sgemmJob
	done    chan struct{}
	packs   [maxHelpers + 1][]float32 // one per part; they grow, never shrink
}

var pool sgemmPool

const maxHelpers = 7

// sgemmPackRows is the fewest rows of C for which packing B pays: below it each panel
// serves too few microkernel calls (the tutorial's per-step products have 8 rows).
const sgemmPackRows = 32

// pack returns part p's pack buffer with room for n values, growing it if need be.
func (sp *sgemmPool) pack(p, n int) []float32 {
	if len(sp.packs[p]) < n {
		sp.packs[p] = make([]float32, n)
	}
	return sp.packs[p][:n]
}

// runSplit splits job over the calling goroutine and the helpers, along the columns of C
// in multiples of 16 when it has 32 or more, else along the rows in multiples of 4. It
// reports false, having done nothing, when there are no helpers to use.
//
// The caller holds pool.mu.
func runSplit(job *sgemmJob) bool {
	parts := min(runtime.GOMAXPROCS(0), maxHelpers+1)
	if parts < 2 {
		return false
	}
	if pool.jobs == nil {
		pool.jobs = make(chan sgemmJob, maxHelpers)
		pool.done = make(chan struct{}, maxHelpers)
	}
	for pool.helpers < parts-1 {
		pool.helpers++
		go helper(pool.jobs, pool.done)
	}

	n, unit, byCols := job.j1, 16, true
	if n < 32 {
		n, unit, byCols = job.m, 4, false
	}
	chunks := (n + unit - 1) / unit
	parts = min(parts, chunks)
	if parts < 2 {
		return false
	}
	kb := min(job.k, sgemmKC)
	for p := range parts {
		part := *job
		lo, hi := chunks*p/parts*unit, min(chunks*(p+1)/parts*unit, n)
		if byCols {
			part.j0, part.j1 = lo, hi
			part.pack = pool.pack(p, kb*(hi-lo))
		} else {
			part.i0, part.i1 = lo, hi
			part.pack = pool.pack(p, kb*job.j1)
		}
		if p < parts-1 {
			pool.jobs <- part
		} else {
			part.run(part.pack)
		}
	}
	for range parts - 1 {
		<-pool.done
	}
	return true
}

func helper(jobs <-chan sgemmJob, done chan<- struct{}) {
	for j := range jobs {
		j.run(j.pack)
		done <- struct{}{}
	}
}

// checkSgemm panics unless every matrix fits its slice.
func checkSgemm(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 || ldb < n || ldc < n {
		panic(fmt.Sprintf("kernels: Gemm: bad sizes m=%d n=%d k=%d ldb=%d ldc=%d",
			m, n, k, ldb, ldc))
	}
	if m == 0 || n == 0 {
		return
	}
	needA := 0
	if k > 0 {
		needA = (m-1)*lda + k
		if transA {
			needA = (k-1)*lda + m
		}
	}
	needB := 0
	if k > 0 {
		needB = (k-1)*ldb + n
	}
	if len(a) < needA || len(b) < needB || len(c) < (m-1)*ldc+n || lda < 1 {
		panic(fmt.Sprintf("kernels: Gemm: slices of %d, %d, %d values for m=%d n=%d k=%d "+
			"lda=%d ldb=%d ldc=%d", len(a), len(b), len(c), m, n, k, lda, ldb, ldc))
	}
}
