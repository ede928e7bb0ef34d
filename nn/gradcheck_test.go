package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The gradient-check harness shared by every layer and model test.
//
// For a layer y = f(x; W) it draws a seeded input x and a random upstream gradient g and
// checks the analytic gradients of the scalar L = Σ g⊙y against central differences
//
//	∂L/∂θ ≈ (L(θ+h) - L(θ-h)) / 2h,   h = 1e-5,
//
// in float64, for every input and every parameter entry. The error of one tensor is the
// normalized distance
//
//	err = ‖a - n‖₂ / max(‖a‖₂, ‖n‖₂, 1e-12)
//
// between the analytic a and numeric n gradients, which must not exceed gradTol. Why 1e-6:
// the central difference's truncation error is O(h²·f‴) ≈ 1e-10 and its rounding error
// O(ε·|L|/h) ≈ 1e-11 for the |L| ≈ 1 these tests use, so a correct backward pass lands
// near 1e-9, while a wrong term (a missing factor, a transposed index) gives errors of
// order 1e-2 or more.
const (
	gradStep = 1e-5
	gradTol  = 1e-6
)

// relErr is the normalized distance above.
func relErr(a, n []float64) float64 {
	var d, na, nn float64
	for i := range a {
		d += (a[i] - n[i]) * (a[i] - n[i])
		na += a[i] * a[i]
		nn += n[i] * n[i]
	}
	return math.Sqrt(d) / math.Max(math.Max(math.Sqrt(na), math.Sqrt(nn)), 1e-12)
}

// numGrad returns the central-difference gradient of loss with respect to every entry
// of v, restoring v afterwards.
func numGrad(v []float64, loss func() float64) []float64 {
	g := make([]float64, len(v))
	for i := range v {
		old := v[i]
		v[i] = old + gradStep
		lp := loss()
		v[i] = old - gradStep
		lm := loss()
		v[i] = old
		g[i] = (lp - lm) / (2 * gradStep)
	}
	return g
}

// randSlice fills a new slice with values uniform in [lo, hi).
func randSlice(rng *rand.Rand, n int, lo, hi float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = lo + (hi-lo)*rng.Float64()
	}
	return s
}

// gradCheckModel checks a whole model: every input and parameter gradient of
// L = Σ g⊙m.Forward(x), with x drawn uniform in [lo, hi). The model's training mode and
// step are left as the caller set them, so dropout masks stay fixed across evaluations.
func gradCheckModel(t *testing.T, m *Sequential[float64], B int, lo, hi float64, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 77))
	x := randSlice(rng, B*m.In.Size(), lo, hi)
	g := randSlice(rng, B*m.Out.Size(), -1, 1)
	loss := func() float64 {
		y := m.Forward(x, B)
		var l float64
		for i := range y {
			l += g[i] * y[i]
		}
		return l
	}

	m.ZeroGrad()
	loss()
	dx := append([]float64(nil), m.Backward(g, B)...)

	if e := relErr(dx, numGrad(x, loss)); e > gradTol || math.IsNaN(e) {
		t.Errorf("input gradient: relative error %.3g > %g", e, gradTol)
	}
	for _, p := range m.Params() {
		if e := relErr(p.DW, numGrad(p.W, loss)); e > gradTol || math.IsNaN(e) {
			t.Errorf("%s gradient: relative error %.3g > %g", p.Name, e, gradTol)
		}
	}
}

// gradCheckLayer checks one layer alone, wrapped in a one-layer model.
func gradCheckLayer(t *testing.T, l Layer[float64], in Shape, B int, lo, hi float64, seed uint64) {
	t.Helper()
	m, err := NewSequential[float64](in, B, seed, l)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(true)
	gradCheckModel(t, m, B, lo, hi, seed)
}
