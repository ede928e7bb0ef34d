package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps32 is |got - want| in units of the float32 spacing at want. Where want is below
// the smallest normal float32, 2⁻¹²⁶, any result within 2⁻¹²⁶ counts as exact: the
// activations flush subnormal results to 0 on purpose (see expNeg32).
func ulps32(got float32, want float64) float64 {
	w := math.Abs(want)
	if w < 0x1p-126 {
		if math.Abs(float64(got)-want) <= 0x1p-126 {
			return 0
		}
		return math.Inf(1)
	}
	_, e := math.Frexp(w)
	return math.Abs(float64(got)-want) / math.Ldexp(1, e-24)
}

// TestFloat32Activations sweeps tanh32 and sigmoid32 over [-100, 100] (uniform, and
// log-spaced down to 1e-30) against math.Tanh and the float64 sigmoid, with a bound of 4
// ulps: the float32 reference tolerance (1e-4) and TestLSTMFloat32's 1e-6 over 32 steps
// need a few ulps per call, and one ulp is the best a float32 result can do.
func TestFloat32Activations(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	xs := []float32{0, 1e-30, -1e-30, 0.25, -0.25, 87.33, -87.33, 88, -88, 104, -104}
	for range 200000 {
		xs = append(xs, float32(200*rng.Float64()-100))
		xs = append(xs, float32(math.Copysign(math.Pow(10, 32*rng.Float64()-30),
			rng.Float64()-0.5)))
	}
	var worstT, worstS float64
	for _, x := range xs {
		worstT = max(worstT, ulps32(tanh32(x), math.Tanh(float64(x))))
		worstS = max(worstS, ulps32(sigmoid32(x), sigmoid(float64(x))))
	}
	t.Logf("worst: tanh32 %.2f ulps, sigmoid32 %.2f ulps", worstT, worstS)
	if worstT > 4 || worstS > 4 {
		t.Errorf("tanh32 %.2f ulps, sigmoid32 %.2f ulps off, want ≤ 4", worstT, worstS)
	}
	nan := float32(math.NaN())
	if tanh32(nan) == tanh32(nan) || sigmoid32(nan) == sigmoid32(nan) {
		t.Error("NaN in, not NaN out")
	}
	if tanh32(float32(math.Inf(1))) != 1 || sigmoid32(float32(math.Inf(-1))) != 0 {
		t.Error("±Inf do not saturate")
	}
}

// BenchmarkActivations32 times tanh and sigmoid per value, float32 against float64.
func BenchmarkActivations32(b *testing.B) {
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i-512) / 100
	}
	y := make([]float32, len(x))
	for _, a := range []Activation{Tanh, Sigmoid} {
		b.Run(a.String()+"/float32", func(b *testing.B) {
			for b.Loop() {
				ActForward(a, y, x, 0)
			}
		})
		b.Run(a.String()+"/float64-math", func(b *testing.B) {
			for b.Loop() {
				for i, v := range x {
					y[i] = float32(Apply(a, float64(v), 0))
				}
			}
		})
	}
}
