//go:build cuda

package ref

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// TestGradients checks the composed references against central differences of
// L = Σ dy∘h in float64, for every input and weight. Step 1e-6 and tolerance 1e-6·(1+|g|):
// the truncation error is O(step²·|f”'|) ≈ 1e-12 and the rounding error
// O(ε·|L|/step) ≈ 1e-9, both well inside. Sigmoid keeps the gates smooth (hard_sigmoid
// has kinks where a difference quotient is wrong).
func TestGradients(t *testing.T) {
	d := Dims{B: 2, T: 4, F: 3, H: 5, RecAct: kernels.Sigmoid, Act: kernels.Tanh}
	rng := rand.New(rand.NewPCG(1, 1))
	rnd := func(n int, s float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = s * (2*rng.Float64() - 1)
		}
		return x
	}
	for _, kind := range []string{"lstm", "gru", "gru reset_after"} {
		G, nb := 4*d.H, 4*d.H
		if kind != "lstm" {
			G, nb = 3*d.H, 3*d.H
		}
		if kind == "gru reset_after" {
			nb = 2 * G
		}
		x, w, u, b := rnd(d.B*d.T*d.F, 1), rnd(d.F*G, 0.5), rnd(d.H*G, 0.5), rnd(nb, 0.5)
		dy := rnd(d.B*d.T*d.H, 1)
		run := func() Grads[float64] {
			if kind == "lstm" {
				return LSTM(d, x, w, u, b, dy)
			}
			return GRU(d, kind == "gru reset_after", x, w, u, b, dy)
		}
		loss := func() float64 {
			s := 0.0
			for i, h := range run().H {
				s += dy[i] * h
			}
			return s
		}
		g := run()
		for _, p := range []struct {
			name string
			v, g []float64
		}{{"x", x, g.DX}, {"W", w, g.DW}, {"U", u, g.DU}, {"b", b, g.DB}} {
			for i := range p.v {
				keep := p.v[i]
				p.v[i] = keep + 1e-6
				lp := loss()
				p.v[i] = keep - 1e-6
				lm := loss()
				p.v[i] = keep
				num := (lp - lm) / 2e-6
				if math.Abs(num-p.g[i]) > 1e-6*(1+math.Abs(num)) {
					t.Errorf("%s d%s[%d] = %v, central difference %v", kind, p.name, i,
						p.g[i], num)
				}
			}
		}
	}
}
