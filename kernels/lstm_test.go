package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Kernel-level gradient checks: each backward kernel against central differences of its
// forward kernel for L = Σ g⊙outputs, in float64, with the measure and tolerance of the
// nn package's harness (relative error ≤ 1e-6; a correct kernel lands near 1e-9).
const (
	fdStep = 1e-5
	fdTol  = 1e-6
)

func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = lo + (hi-lo)*rng.Float64()
	}
	return s
}

func relErr(a, n []float64) float64 {
	var d, na, nn float64
	for i := range a {
		d += (a[i] - n[i]) * (a[i] - n[i])
		na += a[i] * a[i]
		nn += n[i] * n[i]
	}
	return math.Sqrt(d) / math.Max(math.Max(math.Sqrt(na), math.Sqrt(nn)), 1e-12)
}

// numGrad returns the central-difference gradient of loss with respect to v.
func numGrad(v []float64, loss func() float64) []float64 {
	g := make([]float64, len(v))
	for i := range v {
		old := v[i]
		v[i] = old + fdStep
		lp := loss()
		v[i] = old - fdStep
		lm := loss()
		v[i] = old
		g[i] = (lp - lm) / (2 * fdStep)
	}
	return g
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func checkGrad(t *testing.T, name string, analytic, numeric []float64) {
	t.Helper()
	if e := relErr(analytic, numeric); e > fdTol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %g", name, e, fdTol)
	}
}

// Pre-activations are drawn in [-1, 1) and biases in [-0.5, 0.5), so every argument of
// hard_sigmoid stays inside (-2.5, 2.5), away from its kinks.
var recurrentActs = []Activation{HardSigmoid, Sigmoid}

func TestLSTMGatesBackward(t *testing.T) {
	const B, H = 3, 5
	for _, ra := range recurrentActs {
		rng := rand.New(rand.NewPCG(1, 2))
		z := uniform(rng, B*4*H, -1, 1) // x_t W + h_{t-1} U
		cPrev := uniform(rng, B*H, -1, 1)
		bias := uniform(rng, 4*H, -0.5, 0.5)
		gh, gc := uniform(rng, B*H, -1, 1), uniform(rng, B*H, -1, 1)

		gates := make([]float64, B*4*H)
		c, actC, h := make([]float64, B*H), make([]float64, B*H), make([]float64, B*H)
		forward := func() {
			copy(gates, z)
			LSTMGatesForward(gates, c, actC, h, cPrev, bias, B, H, ra, Tanh)
		}
		loss := func() float64 { forward(); return dot(gh, h) + dot(gc, c) }

		forward()
		dgates, dc := make([]float64, B*4*H), append([]float64(nil), gc...)
		LSTMGatesBackward(dgates, dc, gh, gates, cPrev, actC, B, H, ra, Tanh)

		checkGrad(t, fmt.Sprintf("%v: dz", ra), dgates, numGrad(z, loss))
		checkGrad(t, fmt.Sprintf("%v: dc_{t-1}", ra), dc, numGrad(cPrev, loss))
	}
}

// TestGemmSerial compares GemmSerial with Gemm on sizes that straddle its 64×192 tiles,
// for every transpose and with beta ≠ 0, 1, to 1e-12 (both sum the same k products in
// the same order per element, up to gonum's kernel choice).
func TestGemmSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 200, 50}, {63, 191, 7}, {64, 192, 1}, {65, 193, 64},
		{130, 400, 3}, {8, 150, 50}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a := uniform(rng, m*k, -1, 1)
			b := uniform(rng, k*n, -1, 1)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			want := uniform(rng, m*n, -1, 1)
			got := append([]float64(nil), want...)
			Gemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 0.25, want, n)
			GemmSerial(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 0.25, got, n)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("%v trans %v: C[%d] = %g, want %g", sz, tr, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGemmSerialAllocs checks that the per-step product of the benchmark size, (8, 50) ×
// (50, 200), and the whole-sequence dU product, (50, 2048) × (2048, 200), run without
// allocating, which gonum's parallel path would not.
func TestGemmSerialAllocs(t *testing.T) {
	const B, H, n = 8, 50, 8 * 256
	h, u, g := make([]float32, n*H), make([]float32, H*4*H), make([]float32, n*4*H)
	allocs := testing.AllocsPerRun(3, func() {
		GemmSerial(false, false, B, 4*H, H, 1, h, H, u, 4*H, 1, g, 4*H)
		GemmSerial(true, false, H, 4*H, n, 1, h, H, g, 4*H, 1, u, 4*H)
	})
	if allocs != 0 {
		t.Errorf("%g allocations, want 0", allocs)
	}
}

func TestLSTMGatesShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a gates slice too short")
		}
	}()
	s := make([]float32, 10)
	LSTMGatesForward(s[:3], s, s, s, s, make([]float32, 8), 1, 2, Sigmoid, Tanh)
}

// BenchmarkLSTMGatesForward times the elementwise part of one step at B = 8, H = 50.
func BenchmarkLSTMGatesForward(b *testing.B) {
	const B, H = 8, 50
	gates, bias := make([]float32, B*4*H), make([]float32, 4*H)
	c, actC, h, cPrev := make([]float32, B*H), make([]float32, B*H), make([]float32, B*H),
		make([]float32, B*H)
	for b.Loop() {
		LSTMGatesForward(gates, c, actC, h, cPrev, bias, B, H, HardSigmoid, Tanh)
	}
}
