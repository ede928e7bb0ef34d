package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMSEValue(t *testing.T) {
	y := []float64{1, 2, 3, 4}
	target := []float64{0, 2, 5, 1}
	dy := make([]float64, 4)
	// (1 + 0 + 4 + 9) / 4
	if l := MSE(dy, y, target); l != 3.5 {
		t.Errorf("MSE = %g, want 3.5", l)
	}
	for i, want := range []float64{0.5, 0, -1, 1.5} {
		if dy[i] != want {
			t.Errorf("dy[%d] = %g, want %g", i, dy[i], want)
		}
	}
	if l := MSE(nil, y, target); l != 3.5 {
		t.Errorf("MSE without dy = %g", l)
	}
	if l := MSE[float32](nil, nil, nil); l != 0 {
		t.Errorf("empty MSE = %g", l)
	}
}

// TestMSEGradient compares dy with central differences; MSE is quadratic, so the
// difference quotient is exact up to rounding (≈ 1e-11 relative with h = 1e-5).
func TestMSEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n := 37
	y, target := randFill(rng, n), randFill(rng, n)
	dy := make([]float64, n)
	MSE(dy, y, target)
	const h = 1e-5
	for i := range y {
		old := y[i]
		y[i] = old + h
		lp := MSE(nil, y, target)
		y[i] = old - h
		lm := MSE(nil, y, target)
		y[i] = old
		if num := (lp - lm) / (2 * h); math.Abs(num-dy[i]) > 1e-8 {
			t.Errorf("dy[%d] = %g, central difference %g", i, dy[i], num)
		}
	}
}
