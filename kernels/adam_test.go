package kernels

import (
	"math"
	"testing"
)

// TestAdamOneStep checks the first step by hand: with zero moments, m = (1-β₁)g and
// v = (1-β₂)g², so √v = √(1-β₂)|g| and the step is alpha·(1-β₁)g/(√(1-β₂)|g|/vScale + eps).
func TestAdamOneStep(t *testing.T) {
	p := []float64{1, -2}
	g := []float64{0.5, -4}
	m, v := make([]float64, 2), make([]float64, 2)
	Adam(p, g, m, v, 0.9, 0.999, 0.01, 1, 1e-8)
	for i, g := range g {
		wantM := 0.1 * g
		wantV := 0.001 * g * g
		wantP := []float64{1, -2}[i] - 0.01*wantM/(math.Sqrt(wantV)+1e-8)
		if math.Abs(m[i]-wantM) > 1e-15 || math.Abs(v[i]-wantV) > 1e-15 ||
			math.Abs(p[i]-wantP) > 1e-15 {
			t.Errorf("entry %d: p %g m %g v %g, want %g %g %g", i, p[i], m[i], v[i],
				wantP, wantM, wantV)
		}
	}
}
