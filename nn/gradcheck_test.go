package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The gradient-check harness shared by every layer and model test.
//
// For a layer y = f(x; W) it draws a seeded input x and a random upstream gradient g and
// checks the analytic gradients of the scalar L = Σ g⊙y against central differences
//
//	∂L/∂θ ≈ (L(θ+h) - L(θ-h)) / 2h,   h = 1e-5,
//
// in float64, for every input and every parameter entry (or, for long sequences, a seeded
// sample of them: gradSample). The error of one tensor is the normalized distance
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
	return numGradAt(v, allEntries(len(v)), loss)
}

// numGradAt returns the central-difference gradient of loss with respect to the entries
// idx of v, in the order of idx, restoring v afterwards.
func numGradAt(v []float64, idx []int, loss func() float64) []float64 {
	g := make([]float64, len(idx))
	for k, i := range idx {
		old := v[i]
		v[i] = old + gradStep
		lp := loss()
		v[i] = old - gradStep
		lm := loss()
		v[i] = old
		g[k] = (lp - lm) / (2 * gradStep)
	}
	return g
}

// allEntries returns the indices 0, 1, ..., n-1.
func allEntries(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// gather returns v at the indices idx.
func gather(v []float64, idx []int) []float64 {
	s := make([]float64, len(idx))
	for k, i := range idx {
		s[k] = v[i]
	}
	return s
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
	gradCheckSampled(t, m, B, lo, hi, seed, gradSample{})
}

// gradSample selects the entries a gradient check compares, for sizes where every entry
// would cost too many forward passes (a recurrent layer at T = 256 takes two per entry).
// The zero value checks every entry.
type gradSample struct {
	// N entries of the input and of each parameter are drawn at random without
	// replacement, from a generator seeded by the check's seed; 0 checks them all.
	N int
	// Input lists input entries checked again as a group of their own, with their own
	// normalized error, so that gradients far smaller than the rest (the first step of a
	// long sequence) are not drowned by the larger ones in ‖a - n‖₂ / ‖a‖₂.
	Input []int
}

// entries returns the indices of a tensor of n values that s checks.
func (s gradSample) entries(rng *rand.Rand, n int) []int {
	if s.N <= 0 || s.N >= n {
		return allEntries(n)
	}
	idx := rng.Perm(n)[:s.N]
	slices.Sort(idx)
	return idx
}

// gradCheckSampled is gradCheckModel over the entries s selects. It returns the analytic
// input gradient ∂L/∂x (B, in...), for callers that also check its size.
func gradCheckSampled(t *testing.T, m *Sequential[float64], B int, lo, hi float64,
	seed uint64, s gradSample) []float64 {
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

	// A generator of its own, so that x and g stay the draws other tests reproduce.
	pick := rand.New(rand.NewPCG(seed, 78))
	check := func(name string, a, v []float64, idx []int) {
		t.Helper()
		e := relErr(gather(a, idx), numGradAt(v, idx, loss))
		if e > gradTol || math.IsNaN(e) {
			t.Errorf("%s gradient: relative error %.3g > %g over %d of %d entries",
				name, e, gradTol, len(idx), len(v))
		}
	}
	check("input", dx, x, s.entries(pick, len(x)))
	if len(s.Input) > 0 {
		check("input (chosen entries)", dx, x, s.Input)
	}
	for _, p := range m.Params() {
		check(p.Name, p.DW, p.W, s.entries(pick, len(p.W)))
	}
	return dx
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
