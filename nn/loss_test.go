package nn

import (
	"math/rand/v2"
	"testing"
)

// TestMSEGradient checks dy against central differences of MSE itself, through the
// harness's relErr and tolerance.
func TestMSEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(80, 1))
	y, target := randSlice(rng, 4*16, -1, 1), randSlice(rng, 4*16, -1, 1)
	dy := make([]float64, len(y))
	MSE(dy, y, target)
	num := numGrad(y, func() float64 { return MSE(nil, y, target) })
	if e := relErr(dy, num); e > gradTol {
		t.Errorf("dy: relative error %.3g > %g", e, gradTol)
	}
}

// TestMSEIsKerasMean checks the documented identity: the mean over all values equals the
// mean over the last axis, then over the batch.
func TestMSEIsKerasMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 1))
	const B, O = 5, 16
	y, target := randSlice(rng, B*O, -1, 1), randSlice(rng, B*O, -1, 1)
	var keras float64
	for b := 0; b < B; b++ {
		var s float64
		for o := 0; o < O; o++ {
			d := y[b*O+o] - target[b*O+o]
			s += d * d
		}
		keras += s / O
	}
	keras /= B
	if l := MSE(nil, y, target); l-keras > 1e-15 || keras-l > 1e-15 {
		t.Errorf("MSE %.17g, Keras's mean of means %.17g", l, keras)
	}
	y32 := make([]float32, len(y))
	t32 := make([]float32, len(y))
	for i := range y {
		y32[i], t32[i] = float32(y[i]), float32(target[i])
	}
	if l := MSE(nil, y32, t32); l-keras > 1e-6 || keras-l > 1e-6 {
		t.Errorf("float32 MSE %g, want %g", l, keras)
	}
}
