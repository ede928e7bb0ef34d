package optim

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// adamRef is Adam written straight from the two papers' equations for one scalar, in
// float64, with explicit bias-corrected quantities and no shared factors.
type adamRef struct {
	p, m, v float64
	t       int
}

func (r *adamRef) step(cfg AdamConfig, g float64) {
	r.t++
	r.m = cfg.Beta1*r.m + (1-cfg.Beta1)*g
	r.v = cfg.Beta2*r.v + (1-cfg.Beta2)*g*g
	b1t := math.Pow(cfg.Beta1, float64(r.t))
	b2t := math.Pow(cfg.Beta2, float64(r.t))
	if cfg.Form == PyTorch {
		mhat := r.m / (1 - b1t)
		vhat := r.v / (1 - b2t)
		r.p -= cfg.LR * mhat / (math.Sqrt(vhat) + cfg.Epsilon)
		return
	}
	lrT := cfg.LR * math.Sqrt(1-b2t) / (1 - b1t)
	r.p -= lrT * r.m / (math.Sqrt(r.v) + cfg.Epsilon)
}

// TestAdamMatchesReference runs five steps on two tensors with varying gradients, in both
// forms, with an epsilon large enough (1e-3) that the forms differ visibly, and compares
// every parameter and moment with adamRef. Both compute the same float64 expressions in a
// different order, so they agree to a few ulps (1e-14 relative).
func TestAdamMatchesReference(t *testing.T) {
	for _, form := range []Form{Keras, PyTorch} {
		cfg := AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-3, Form: form}
		params := [][]float64{{0.5, -1.5, 2}, {3}}
		var refs []*adamRef
		for _, p := range params {
			for _, v := range p {
				refs = append(refs, &adamRef{p: v})
			}
		}
		a := NewAdam(cfg, params)
		for s := 0; s < 5; s++ {
			grads := [][]float64{{0.1 * float64(s+1), -2, 0.01}, {math.Sin(float64(s))}}
			a.Update(params, grads)
			k := 0
			for i, p := range params {
				for j := range p {
					refs[k].step(cfg, grads[i][j])
					r := refs[k]
					if !approxEq(p[j], r.p) || !approxEq(a.M[i][j], r.m) || !approxEq(a.V[i][j], r.v) {
						t.Fatalf("%v step %d entry %d,%d: p %.17g m %g v %g, want %.17g %g %g",
							form, s+1, i, j, p[j], a.M[i][j], a.V[i][j], r.p, r.m, r.v)
					}
					k++
				}
			}
		}
		if a.Step != 5 {
			t.Errorf("%v: Step = %d after 5 updates", form, a.Step)
		}
	}
}

// TestAdamFirstStepByHand pins absolute numbers: on the first step from zero moments the
// update is lr·g/|g| up to epsilon, in both forms. With lr 0.1, g = 2 and ε = 1e-8:
//
//	Keras:   lr_t = 0.1·√0.001/0.1 = √0.001; m = 0.2; √v = √0.004;
//	         Δ = √0.001 · 0.2 / (√0.004 + 1e-8) = 0.1 / (1 + 1e-8/√0.004)
//	PyTorch: m̂ = 2, √v̂ = 2; Δ = 0.1 · 2 / (2 + 1e-8) = 0.1 / (1 + 5e-9)
func TestAdamFirstStepByHand(t *testing.T) {
	for _, c := range []struct {
		form Form
		want float64
	}{
		{Keras, 1 - 0.1/(1+1e-8/math.Sqrt(0.004))},
		{PyTorch, 1 - 0.1/(1+5e-9)},
	} {
		cfg := DefaultAdam()
		cfg.LR, cfg.Form = 0.1, c.form
		p := [][]float64{{1}}
		NewAdam(cfg, p).Update(p, [][]float64{{2}})
		if !approxEq(p[0][0], c.want) {
			t.Errorf("%v: p = %.17g, want %.17g", c.form, p[0][0], c.want)
		}
	}
}

// TestAdamMinimizesQuadratic runs Adam on f(p) = Σ aᵢ (pᵢ - cᵢ)² with very different
// curvatures aᵢ, in float32 as training does; Adam's per-entry scaling should bring every
// coordinate to within 1e-3 of its minimum in 3000 steps at lr 0.01.
func TestAdamMinimizesQuadratic(t *testing.T) {
	for _, form := range []Form{Keras, PyTorch} {
		a := []float32{1, 100, 0.01}
		c := []float32{3, -1, 0.5}
		p := [][]float32{{0, 0, 0}}
		g := [][]float32{make([]float32, 3)}
		cfg := DefaultAdam()
		cfg.LR, cfg.Form = 0.01, form
		opt := NewAdam(cfg, p)
		for range 3000 {
			for i := range p[0] {
				g[0][i] = 2 * a[i] * (p[0][i] - c[i])
			}
			opt.Update(p, g)
		}
		for i := range c {
			if d := math.Abs(float64(p[0][i] - c[i])); d > 1e-3 {
				t.Errorf("%v: p[%d] = %g, minimum at %g", form, i, p[0][i], c[i])
			}
		}
	}
}

func TestDefaultAdam(t *testing.T) {
	want := AdamConfig{LR: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, Form: Keras}
	if got := DefaultAdam(); got != want {
		t.Errorf("DefaultAdam() = %+v, want %+v", got, want)
	}
	var zero Form
	if zero != Keras {
		t.Error("the zero Form must be Keras")
	}
}

func approxEq(a, b float64) bool {
	return math.Abs(a-b) <= 1e-14*math.Max(1, math.Abs(b))
}

// TestAdamConfigValidate checks that NewAdam refuses hyperparameters outside Adam's
// domain, which it used to accept and turn into steps that diverge, stand still or
// ascend, and that Validate reports the same as an error.
func TestAdamConfigValidate(t *testing.T) {
	def := DefaultAdam()
	with := func(f func(*AdamConfig)) AdamConfig {
		c := def
		f(&c)
		return c
	}
	for _, c := range []struct {
		cfg  AdamConfig
		want string // "" for a valid configuration
	}{
		{def, ""},
		{with(func(c *AdamConfig) { c.Form = PyTorch }), ""},
		{with(func(c *AdamConfig) { c.Beta1, c.Beta2 = 0, 0 }), ""},
		{with(func(c *AdamConfig) { c.Epsilon = 0 }), "epsilon 0: must be positive"},
		{AdamConfig{}, "learning rate 0: must be positive and finite (a zero AdamConfig"},
		{with(func(c *AdamConfig) { c.LR = 0 }), "learning rate 0: must be positive"},
		{with(func(c *AdamConfig) { c.LR = -0.001 }), "learning rate -0.001: must be positive"},
		{with(func(c *AdamConfig) { c.LR = math.NaN() }), "learning rate NaN"},
		{with(func(c *AdamConfig) { c.LR = math.Inf(1) }), "learning rate +Inf"},
		{with(func(c *AdamConfig) { c.Beta1 = 1 }), "β₁ (Beta1) 1: must be in [0, 1)"},
		{with(func(c *AdamConfig) { c.Beta1 = -0.1 }), "β₁ (Beta1) -0.1: must be in [0, 1)"},
		{with(func(c *AdamConfig) { c.Beta2 = 1.5 }), "β₂ (Beta2) 1.5: must be in [0, 1)"},
		{with(func(c *AdamConfig) { c.Beta2 = math.NaN() }), "β₂ (Beta2) NaN"},
		{with(func(c *AdamConfig) { c.Epsilon = -1e-8 }), "epsilon -1e-08: must be positive"},
		{with(func(c *AdamConfig) { c.Epsilon = math.Inf(1) }), "epsilon +Inf"},
		{with(func(c *AdamConfig) { c.Form = 7 }), "Form(7): want Keras or PyTorch"},
	} {
		err := c.cfg.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: Validate: %v", c.cfg, err)
			}
			NewAdam(c.cfg, [][]float32{{1}})
			continue
		}
		want := "optim: Adam " + c.want
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: Validate error %v, want one holding %q", c.cfg, err, want)
		}
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), want) {
					t.Errorf("%+v: NewAdam panic %v, want one holding %q", c.cfg, r, want)
				}
			}()
			NewAdam(c.cfg, [][]float32{{1}})
		}()
	}
}
