package kernels

import (
	"math"
	"testing"
)

// satInputs are pre-activations far into the saturated tails, where a naive e⁻ˣ overflows
// (float32 overflows past x ≈ -88, float64 past x ≈ -709).
var satInputs = []float64{20, -20, 100, -100, 1e4, -1e4}

// satRef gives f(x) and f'(x) in float64 from the textbook formulas, each evaluated in
// the form that is exact in that tail.
func satRef(a Activation, x float64) (y, dy float64) {
	switch a {
	case Sigmoid:
		e := math.Exp(-math.Abs(x)) // ≤ 1, never overflows
		if x >= 0 {
			return 1 / (1 + e), e / ((1 + e) * (1 + e))
		}
		return e / (1 + e), e / ((1 + e) * (1 + e))
	case Tanh:
		y = math.Tanh(x)
		return y, 1 / (math.Cosh(x) * math.Cosh(x)) // cosh overflows to +Inf: 1/Inf = 0
	case HardSigmoid:
		y = min(max(0.2*x+0.5, 0), 1)
		if y > 0 && y < 1 {
			return y, 0.2
		}
		return y, 0
	}
	panic("no reference")
}

// TestSaturation: in both precisions, every saturating activation gives finite values and
// derivatives at ±20, ±100 and ±1e4 that agree with the float64 reference within an
// absolute 1e-7 (float32) or 1e-15 (float64). Why absolute: in the tails the derivative
// is below the precision's resolution of 1 - y (sigmoid'(20) ≈ 2e-9 while y rounds to 1 in
// float32), so the best any implementation can return there is 0 ± one ulp of 1.
func TestSaturation(t *testing.T) {
	for _, a := range []Activation{Sigmoid, Tanh, HardSigmoid} {
		for _, x := range satInputs {
			wantY, wantD := satRef(a, x)
			checkSat(t, a, x, wantY, wantD, float32(x), 1e-7)
			checkSat(t, a, x, wantY, wantD, x, 1e-15)
		}
	}
}

func checkSat[T Float](t *testing.T, a Activation, x, wantY, wantD float64, xt T, tol float64) {
	t.Helper()
	y := Apply(a, xt, 0)
	d := Deriv(a, y, 0)
	for _, v := range []struct {
		name      string
		got, want float64
	}{{"f", float64(y), wantY}, {"f'", float64(d), wantD}} {
		if math.IsNaN(v.got) || math.IsInf(v.got, 0) || math.Abs(v.got-v.want) > tol {
			t.Errorf("%v %T: %s(%g) = %g, want %g ± %g", a, xt, v.name, x, v.got, v.want, tol)
		}
	}
}
