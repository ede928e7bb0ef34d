package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convShapes straddle the interesting cases: C = 1 and C > 1, K = 1, S = 1, S = K,
// S > K (gaps between windows), S not dividing T-K (an uncovered tail), and the
// tutorial's two layers.
var convShapes = []struct{ B, T, C, K, S, O int }{
	{1, 5, 1, 1, 1, 1},
	{2, 7, 3, 2, 1, 4},
	{3, 11, 2, 3, 3, 2},
	{2, 10, 1, 2, 4, 3},
	{2, 13, 5, 4, 3, 5},
	{8, 256, 1, 20, 3, 8},
	{8, 79, 8, 16, 4, 1},
}

// conv1DRef is the convolution written from its definition, with the input-step loop
// outermost, independent of the kernel's window walk.
func conv1DRef(x, w, bias []float64, B, T, C, K, S, O int) []float64 {
	outT := (T-K)/S + 1
	y := make([]float64, B*outT*O)
	for b := 0; b < B; b++ {
		for t := 0; t < outT; t++ {
			for o := 0; o < O; o++ {
				s := bias[o]
				for k := 0; k < K; k++ {
					for c := 0; c < C; c++ {
						s += x[(b*T+t*S+k)*C+c] * w[(k*C+c)*O+o]
					}
				}
				y[(b*outT+t)*O+o] = s
			}
		}
	}
	return y
}

// im2col copies each output step's window into a row of col (B·T', K·C).
func im2col[T Float](col, x []T, B, steps, C, K, S int) {
	outT, KC := Conv1DOutLen(steps, K, S), K*C
	for b := 0; b < B; b++ {
		for t := 0; t < outT; t++ {
			copy(col[(b*outT+t)*KC:][:KC], x[(b*steps+t*S)*C:][:KC])
		}
	}
}

// conv1DGemm is the im2col + Gemm alternative the kernel was measured against.
func conv1DGemm[T Float](y, col, x, w, bias []T, B, steps, C, K, S, O int) {
	outT, KC := Conv1DOutLen(steps, K, S), K*C
	im2col(col, x, B, steps, C, K, S)
	for r := 0; r < B*outT; r++ {
		copy(y[r*O:][:O], bias)
	}
	Gemm(false, false, B*outT, O, KC, 1, col, KC, w, O, 1, y, O)
}

func maxAbsDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func randFill(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*rng.Float64() - 1
	}
	return s
}

func TestConv1DForwardMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range convShapes {
		name := fmt.Sprintf("B%dT%dC%dK%dS%dO%d", s.B, s.T, s.C, s.K, s.S, s.O)
		t.Run(name, func(t *testing.T) {
			outT := Conv1DOutLen(s.T, s.K, s.S)
			x := randFill(rng, s.B*s.T*s.C)
			w := randFill(rng, s.K*s.C*s.O)
			bias := randFill(rng, s.O)
			y := make([]float64, s.B*outT*s.O)
			Conv1DForward(y, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
			// Sums of at most K·C = 128 products of values in [-1, 1]: rounding
			// differences from a different summation order stay below 1e-13.
			if d := maxAbsDiff(y, conv1DRef(x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)); d > 1e-13 {
				t.Errorf("max |y - ref| = %g", d)
			}
			col := make([]float64, s.B*outT*s.K*s.C)
			yg := make([]float64, len(y))
			conv1DGemm(yg, col, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
			if d := maxAbsDiff(y, yg); d > 1e-13 {
				t.Errorf("max |y - im2col·Gemm| = %g", d)
			}
		})
	}
}

// TestConv1DBackwardIsAdjoint checks the backward pass against the forward one exactly:
// the convolution is linear in x and in (w, bias), so for any dy
//
//	⟨dy, y(x)⟩ - ⟨dy, y(0)⟩ = ⟨dx, x⟩   and   ⟨dy, y⟩ = ⟨dW, w⟩ + ⟨dBias, bias⟩.
//
// (The nn package's gradient checks cover it again through central differences.)
func TestConv1DBackwardIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dot := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	for _, s := range convShapes {
		outT := Conv1DOutLen(s.T, s.K, s.S)
		x := randFill(rng, s.B*s.T*s.C)
		w := randFill(rng, s.K*s.C*s.O)
		bias := randFill(rng, s.O)
		dy := randFill(rng, s.B*outT*s.O)
		y := make([]float64, len(dy))
		Conv1DForward(y, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)

		dx := randFill(rng, len(x)) // garbage: the kernel must overwrite it
		dW := make([]float64, len(w))
		dBias := make([]float64, s.O)
		Conv1DBackward(dx, dW, dBias, dy, x, w, s.B, s.T, s.C, s.K, s.S, s.O)

		lhs := dot(dy, y)
		rhs := dot(dW, w) + dot(dBias, bias)
		if math.Abs(lhs-rhs) > 1e-10*math.Max(1, math.Abs(lhs)) {
			t.Errorf("%+v: ⟨dy,y⟩ = %g, ⟨dW,w⟩+⟨dBias,bias⟩ = %g", s, lhs, rhs)
		}
		y0 := make([]float64, len(dy))
		Conv1DForward(y0, make([]float64, len(x)), w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
		lhs = dot(dy, y) - dot(dy, y0)
		if rhs := dot(dx, x); math.Abs(lhs-rhs) > 1e-10*math.Max(1, math.Abs(lhs)) {
			t.Errorf("%+v: ⟨dy,y(x)-y(0)⟩ = %g, ⟨dx,x⟩ = %g", s, lhs, rhs)
		}

		// Steps past the last window get no gradient.
		last := (outT-1)*s.S + s.K
		for b := 0; b < s.B; b++ {
			for i := last * s.C; i < s.T*s.C; i++ {
				if dx[b*s.T*s.C+i] != 0 {
					t.Fatalf("%+v: dx of uncovered step %d is %g", s, i/s.C, dx[b*s.T*s.C+i])
				}
			}
		}

		// A nil dx still accumulates dW.
		dW2 := append([]float64(nil), dW...)
		Conv1DBackward(nil, dW2, make([]float64, s.O), dy, x, w, s.B, s.T, s.C, s.K, s.S, s.O)
		for i := range dW {
			if math.Abs(dW2[i]-2*dW[i]) > 1e-12 {
				t.Fatalf("%+v: dW does not accumulate", s)
			}
		}
	}
}

func TestConv1DFloat32(t *testing.T) {
	s := convShapes[5]
	rng := rand.New(rand.NewPCG(5, 6))
	x, w, bias := randFill(rng, s.B*s.T*s.C), randFill(rng, s.K*s.C*s.O), randFill(rng, s.O)
	ref := conv1DRef(x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
	y32 := make([]float32, len(ref))
	Conv1DForward(y32, to32(x), to32(w), to32(bias), s.B, s.T, s.C, s.K, s.S, s.O)
	for i := range ref {
		// 20 float32 products of magnitude ≤ 1: error well below 20·2⁻²⁴·2 ≈ 2.4e-6.
		if d := math.Abs(float64(y32[i]) - ref[i]); d > 1e-5 {
			t.Fatalf("y[%d]: float32 %g, float64 %g", i, y32[i], ref[i])
		}
	}
}

func to32(s []float64) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(v)
	}
	return r
}

func TestConv1DOutLen(t *testing.T) {
	for _, c := range []struct{ T, K, S, want int }{
		{256, 20, 3, 79}, {79, 16, 4, 16}, {5, 5, 1, 1}, {4, 5, 1, 0}, {10, 2, 4, 3},
	} {
		if got := Conv1DOutLen(c.T, c.K, c.S); got != c.want {
			t.Errorf("Conv1DOutLen(%d, %d, %d) = %d, want %d", c.T, c.K, c.S, got, c.want)
		}
	}
}

func TestConv1DPanicsOnBadLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short y")
		}
	}()
	Conv1DForward(make([]float64, 3), make([]float64, 10), make([]float64, 2),
		make([]float64, 1), 1, 10, 1, 2, 1, 1)
}

// The benchmarks compare the direct window walk with im2col + Gemm on the tutorial's two
// layers (B = 8), in float32 as training runs.
func BenchmarkConv1D(b *testing.B) {
	for _, s := range convShapes[5:] {
		rng := rand.New(rand.NewPCG(7, 8))
		outT := Conv1DOutLen(s.T, s.K, s.S)
		x, w := to32(randFill(rng, s.B*s.T*s.C)), to32(randFill(rng, s.K*s.C*s.O))
		bias, dy := to32(randFill(rng, s.O)), to32(randFill(rng, s.B*outT*s.O))
		y, col := make([]float32, len(dy)), make([]float32, s.B*outT*s.K*s.C)
		dx, dW, dBias := make([]float32, len(x)), make([]float32, len(w)), make([]float32, s.O)
		flops := float64(2 * s.B * outT * s.K * s.C * s.O)
		name := fmt.Sprintf("T%dC%dK%dS%dO%d", s.T, s.C, s.K, s.S, s.O)
		b.Run(name+"/direct/forward", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv1DForward(y, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/im2col-gemm/forward", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				conv1DGemm(y, col, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/direct/backward", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv1DBackward(dx, dW, dBias, dy, x, w, s.B, s.T, s.C, s.K, s.S, s.O)
			}
			b.ReportMetric(2*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
