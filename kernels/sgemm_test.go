package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is the definition of C = alpha·op(A)·op(B) + beta·C, summed in float64.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a []float32, lda int,
	b []float32, ldb int, beta float64, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = alpha*s + beta*float64(c[i*ldc+j])
		}
	}
	return out
}

func randF32(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(2*rng.Float64() - 1)
	}
	return s
}

// TestSgemm checks the FMA kernels, serial and split, against the float64 definition on
// sizes that straddle the microkernel (4×16, 4×8, single rows and columns) and the
// blocking (mc = 64, kc = 256), with padded strides, both layouts of A and
// alpha, beta ∉ {0, 1}. Tolerance: each element sums k products rounded to float32
// (ε ≈ 6e-8) with |terms| ≤ 1, so the error is below about k·ε; 1e-6·(k+1) leaves room.
func TestSgemm(t *testing.T) {
	if !fastSgemm {
		t.Skip("no AVX2/FMA: Gemm runs on gonum")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 7, 5}, {4, 16, 1}, {5, 17, 3}, {8, 200, 50},
		{8, 50, 200}, {50, 200, 2048}, {63, 33, 257}, {65, 24, 64}, {130, 1030, 300},
		{7, 9, 0}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, transA := range []bool{false, true} {
			for _, parallel := range []bool{false, true} {
				lda, ldb, ldc := k+3, n+2, n+1
				if transA {
					lda = m + 3
				}
				a := randF32(rng, max(m*lda, k*lda))
				b, c := randF32(rng, k*ldb), randF32(rng, m*ldc)
				want := refGemm(transA, false, m, n, k, 0.5, a, lda, b, ldb, -0.25, c, ldc)
				sgemm(transA, m, n, k, 0.5, a, lda, b, ldb, -0.25, c, ldc, parallel)
				tol := 1e-6 * float64(k+1)
				for i := range c {
					if d := math.Abs(float64(c[i]) - want[i]); d > tol {
						t.Fatalf("%v transA %v parallel %v: C[%d] = %g, want %g",
							sz, transA, parallel, i, c[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmBetaZero checks that beta = 0 overwrites C, NaNs included, as BLAS does.
func TestSgemmBetaZero(t *testing.T) {
	a, b := []float32{1, 2}, []float32{3, 4}
	c := []float32{float32(math.NaN())}
	Gemm(false, false, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1)
	if c[0] != 11 {
		t.Errorf("C = %g, want 11", c[0])
	}
}

// TestSgemmOverlappingRows checks lda < k, the strided windows of a convolution, which
// gonum rejects and sgemm allows.
func TestSgemmOverlappingRows(t *testing.T) {
	if !fastSgemm {
		t.Skip("no AVX2/FMA")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	const m, n, k, lda = 79, 8, 20, 3
	a, b, c := randF32(rng, (m-1)*lda+k), randF32(rng, k*n), make([]float32, m*n)
	want := refGemm(false, false, m, n, k, 1, a, lda, b, n, 0, c, n)
	sgemm(false, m, n, k, 1, a, lda, b, n, 0, c, n, false)
	for i := range c {
		if math.Abs(float64(c[i])-want[i]) > 1e-5 {
			t.Fatalf("C[%d] = %g, want %g", i, c[i], want[i])
		}
	}
}

// TestGemmFallback runs float32 Gemm with the FMA kernels switched off, on gonum, so the
// path of CPUs without them stays tested.
func TestGemmFallback(t *testing.T) {
	old := fastSgemm
	fastSgemm = false
	defer func() { fastSgemm = old }()
	rng := rand.New(rand.NewPCG(9, 10))
	const m, n, k = 70, 200, 50
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
		lda, ldb := k, n
		if tr[0] {
			lda = m
		}
		if tr[1] {
			ldb = k
		}
		a, b, c := randF32(rng, m*k), randF32(rng, k*n), randF32(rng, m*n)
		want := refGemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 1, c, n)
		Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 1, c, n)
		for i := range c {
			if math.Abs(float64(c[i])-want[i]) > 1e-4 {
				t.Fatalf("trans %v: C[%d] = %g, want %g", tr, i, c[i], want[i])
			}
		}
	}
}

// TestGemmAllocs checks that split products (the whole-sequence dU of the large shape)
// and per-step ones allocate nothing once the helpers run.
func TestGemmAllocs(t *testing.T) {
	const m, n, k = 256, 1024, 2048
	a, b, c := make([]float32, k*m), make([]float32, k*n), make([]float32, m*n)
	Gemm(true, false, m, n, k, 1, a, m, b, n, 1, c, n)
	allocs := testing.AllocsPerRun(3, func() {
		Gemm(true, false, m, n, k, 1, a, m, b, n, 1, c, n)
		GemmSerial(false, false, 8, 200, 50, 1, a, 50, b, 200, 1, c, 200)
	})
	if allocs != 0 {
		t.Errorf("%g allocations, want 0", allocs)
	}
}

// BenchmarkSgemm reports GFLOP/s of the recurrent layers' products: the tutorial's
// per-step (8, 50)×(50, 200), the large shape's per-step (64, 256)×(256, 1024) and
// input projection, and the whole-sequence dU = hᵀ dz of both.
func BenchmarkSgemm(b *testing.B) {
	for _, sz := range []struct {
		name    string
		transA  bool
		m, n, k int
	}{{"step8x200x50", false, 8, 200, 50}, {"step64x1024x256", false, 64, 1024, 256},
		{"xW16384x1024x256", false, 16384, 1024, 256},
		{"dU256x1024x16384", true, 256, 1024, 16384},
		{"dUtutorial50x200x2048", true, 50, 200, 2048}} {
		for _, fast := range []bool{true, false} {
			name := sz.name + "/fma"
			if !fast {
				name = sz.name + "/gonum"
			}
			b.Run(name, func(b *testing.B) {
				if fast && !fastSgemm {
					b.Skip("no AVX2/FMA")
				}
				old := fastSgemm
				fastSgemm = fast
				defer func() { fastSgemm = old }()
				benchGemm(b, sz.transA, sz.m, sz.n, sz.k)
			})
		}
	}
}

func benchGemm(b *testing.B, transA bool, m, n, k int) {
	sz := struct {
		transA  bool
		m, n, k int
	}{transA, m, n, k}
	{
		{
			// Not zeros: gonum skips zero elements of A.
			rng := rand.New(rand.NewPCG(1, 2))
			x, y, z := randF32(rng, sz.m*sz.k), randF32(rng, sz.k*sz.n),
				make([]float32, sz.m*sz.n)
			lda := sz.k
			if sz.transA {
				lda = sz.m
			}
			for b.Loop() {
				Gemm(sz.transA, false, sz.m, sz.n, sz.k, 1, x, lda, y, sz.n, 1, z, sz.n)
			}
			b.ReportMetric(2*float64(sz.m*sz.n*sz.k)*float64(b.N)/b.Elapsed().Seconds()/1e9,
				"GFLOP/s")
		}
	}
}
