package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convWideShapes have O ≥ convSgemmMinO, where float32 convolutions run on sgemm, or O = 1,
// where dW does: K·C
// below, at and above the 8- and 16-column kernels, S < K (overlapping windows), S = K,
// S > K, an uncovered tail, T' not a multiple of 4, and K·C past one row block of the
// dx scratch (convRowsMax / K·C rows), and wᵀ past its scratch (the loops then).
var convWideShapes = []struct{ B, T, C, K, S, O int }{
	{8, 256, 1, 20, 3, 8},
	{2, 40, 1, 5, 1, 8},
	{3, 61, 2, 4, 4, 9},
	{2, 50, 3, 3, 5, 16},
	{1, 130, 4, 6, 2, 24},
	{2, 120, 2, 50, 1, 8},
	{2, 300, 8, 100, 1, 8},
	// O = 1: dW as one row product on sgemm's 1×16 and 1×8 kernels when K·C ≥ 8.
	{8, 79, 8, 16, 4, 1},
	{2, 40, 3, 5, 2, 1},
	{2, 30, 1, 5, 2, 1},
}

// TestConv1DSgemmMatchesFloat64 runs the float32 convolution, forward and backward, on
// sgemm and on the loops, and compares both with the float64 loops.
func TestConv1DSgemmMatchesFloat64(t *testing.T) {
	if !convSgemm {
		t.Skip("no AVX2/FMA: sgemm is never used")
	}
	defer func(v bool) { convSgemm = v }(convSgemm)
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range convWideShapes {
		outT := Conv1DOutLen(s.T, s.K, s.S)
		x, w := randFill(rng, s.B*s.T*s.C), randFill(rng, s.K*s.C*s.O)
		bias, dy := randFill(rng, s.O), randFill(rng, s.B*outT*s.O)

		y := make([]float64, len(dy))
		dx, dW, dBias := make([]float64, len(x)), randFill(rng, len(w)), randFill(rng, s.O)
		dW32, dBias32 := to32(dW), to32(dBias)
		Conv1DForward(y, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
		Conv1DBackward(dx, dW, dBias, dy, x, w, s.B, s.T, s.C, s.K, s.S, s.O)

		for _, fast := range []bool{true, false} {
			convSgemm = fast
			name := fmt.Sprintf("B%dT%dC%dK%dS%dO%d/sgemm=%v", s.B, s.T, s.C, s.K, s.S, s.O, fast)
			y32 := make([]float32, len(y))
			dx32 := make([]float32, len(x))
			dW2, dBias2 := append([]float32(nil), dW32...), append([]float32(nil), dBias32...)
			Conv1DForward(y32, to32(x), to32(w), to32(bias), s.B, s.T, s.C, s.K, s.S, s.O)
			Conv1DBackward(dx32, dW2, dBias2, to32(dy), to32(x), to32(w),
				s.B, s.T, s.C, s.K, s.S, s.O)
			// The longest sum has n = max(K·C, B·T', K·O) products of values in
			// [-1, 1]; its float32 rounding error is typically about n·2⁻²⁴ (√n
			// roundings of a sum of size √n). 4n·2⁻²⁴ leaves room; a term lost or
			// misplaced is of size 0.1-1.
			n := max(s.K*s.C, s.B*outT, s.K*s.O)
			tol := 4 * float64(n) * 0x1p-24
			for _, c := range []struct {
				what string
				got  []float32
				want []float64
			}{{"y", y32, y}, {"dx", dx32, dx}, {"dW", dW2, dW}, {"dBias", dBias2, dBias}} {
				for i, v := range c.got {
					if d := math.Abs(float64(v) - c.want[i]); !(d <= tol) {
						t.Fatalf("%s: %s[%d] = %g, float64 %g", name, c.what, i, v, c.want[i])
					}
				}
			}
		}
	}
}

// TestConv1DNoAllocs requires the float32 convolutions, on sgemm and on the loops, to
// allocate nothing: the dx scratch lives on the stack.
func TestConv1DNoAllocs(t *testing.T) {
	for _, s := range []struct{ B, T, C, K, S, O int }{{8, 256, 1, 20, 3, 8}, {8, 79, 8, 16, 4, 1}} {
		outT := Conv1DOutLen(s.T, s.K, s.S)
		x, w := make([]float32, s.B*s.T*s.C), make([]float32, s.K*s.C*s.O)
		y, dx := make([]float32, s.B*outT*s.O), make([]float32, len(x))
		dW, bias := make([]float32, len(w)), make([]float32, s.O)
		if n := testing.AllocsPerRun(5, func() {
			Conv1DForward(y, x, w, bias, s.B, s.T, s.C, s.K, s.S, s.O)
			Conv1DBackward(dx, dW, bias, y, x, w, s.B, s.T, s.C, s.K, s.S, s.O)
		}); n != 0 {
			t.Errorf("%+v: %g allocations", s, n)
		}
	}
}
