package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// TestGateSaturation drives every gate of LSTM and GRU, in each convention, to
// pre-activations of ±20, ±100 and ±1e4 (input weights of that size on inputs of ±1) and
// checks, in float32 and float64, that the output and every gradient are finite and that
// the two precisions agree (satErr). float64 is the reference: the same code matches PyTorch to
// 1e-15 in TestReference. The tolerance is the reference suite's float32 one, 1e-4: with
// saturated gates the values are 0, ±1 or copies of earlier states, so the precisions can
// only part where a gate is near its kink, which these inputs avoid.
func TestGateSaturation(t *testing.T) {
	layers := map[string]func() (Layer[float32], Layer[float64]){
		"lstm hard_sigmoid": func() (Layer[float32], Layer[float64]) { return NewLSTM[float32](4), NewLSTM[float64](4) },
		"lstm sigmoid": func() (Layer[float32], Layer[float64]) {
			a, b := NewLSTM[float32](4), NewLSTM[float64](4)
			a.RecurrentActivation, b.RecurrentActivation = kernels.Sigmoid, kernels.Sigmoid
			return a, b
		},
		"gru reset_before": func() (Layer[float32], Layer[float64]) { return NewGRU[float32](4), NewGRU[float64](4) },
		"gru reset_after sigmoid": func() (Layer[float32], Layer[float64]) {
			a, b := NewGRU[float32](4), NewGRU[float64](4)
			a.ResetAfter, b.ResetAfter = true, true
			a.RecurrentActivation, b.RecurrentActivation = kernels.Sigmoid, kernels.Sigmoid
			return a, b
		},
	}
	for name, mk := range layers {
		for _, scale := range []float64{20, 100, 1e4} {
			l32, l64 := mk()
			y32, g32 := saturate(t, l32, scale)
			y64, g64 := saturate(t, l64, scale)
			for i, v := range append(append([]float64{}, y64...), g64...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s scale %g: float64 value %d is %v", name, scale, i, v)
				}
			}
			for i, v := range append(append([]float64{}, y32...), g32...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s scale %g: float32 value %d is %v", name, scale, i, v)
				}
			}
			if e := satErr(y32, y64); e > refTol32 {
				t.Errorf("%s scale %g: outputs differ by %.3g", name, scale, e)
			}
			if e := satErr(g32, g64); e > refTol32 {
				t.Errorf("%s scale %g: gradients differ by %.3g", name, scale, e)
			}
		}
	}
}

// satErr is ‖a − b‖₂ / max(‖b‖₂, 1): relative where the values are of order one or more,
// absolute where saturation has made them tiny. Gradients through a gate saturated at
// ±20 are about e⁻²⁰ ≈ 2e-9 in float64 and exactly 0 in float32 (1 − σ rounds to 0), a
// 100% relative difference that is only the precision's resolution.
func satErr(a, b []float64) float64 {
	var d, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		nb += b[i] * b[i]
	}
	return math.Sqrt(d) / max(math.Sqrt(nb), 1)
}

// saturate runs one layer on B=3, T=9, F=1 with inputs of ±1, input weights of ±scale and
// recurrent weights of ±0.5 (so every gate's pre-activation is ±scale within H/2 = 2: past
// hard_sigmoid's kinks at ±2.5 for every scale used), backpropagates a fixed upstream
// gradient and returns the output and all gradients (input first) in float64.
func saturate[T Float](t *testing.T, l Layer[T], scale float64) (y, grads []float64) {
	t.Helper()
	const B, T_, F = 3, 9, 1
	m, err := NewSequential[T](Shape{T_, F}, B, 1, l)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range m.Params() {
		for i := range p.W {
			sign := 2*float64(rng.IntN(2)) - 1
			switch p.Name[len(p.Name)-len("/kernel"):] {
			case "/kernel":
				p.W[i] = T(scale * sign)
			case "t_kernel": // recurrent_kernel: small, so |Σ U h| ≤ H/2 leaves gates saturated
				p.W[i] = T(0.5 * sign)
			default:
				p.W[i] = 0
			}
		}
	}
	x := make([]T, B*T_*F)
	for i := range x {
		x[i] = T(2*float64(rng.IntN(2)) - 1)
	}
	out := m.Forward(x, B)
	dy := make([]T, len(out))
	for i := range dy {
		dy[i] = T(0.5 - float64(i%3)*0.25)
	}
	m.ZeroGrad()
	dx := m.Backward(dy, B)
	grads = widen(dx)
	for _, p := range m.Params() {
		grads = append(grads, widen(p.DW)...)
	}
	return widen(out), grads
}
