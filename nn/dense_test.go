package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

var allActivations = []kernels.Activation{kernels.Linear, kernels.ReLU, kernels.LeakyReLU,
	kernels.Tanh, kernels.Sigmoid, kernels.HardSigmoid}

// The gradient checks below draw pre-activations that may fall near a kink (relu at 0,
// hard_sigmoid at ±2.5); with fixed seeds none falls within 1e-3 of one, far beyond the
// difference step 1e-5 (TestActivation*Gradient asserts this for the layers fed directly).

func TestDenseGradient(t *testing.T) {
	for _, act := range allActivations {
		t.Run(act.String(), func(t *testing.T) {
			gradCheckLayer(t, NewDense[float64](3, act), Shape{5}, 4, -1, 1, 11)
		})
	}
	t.Run("wide", func(t *testing.T) {
		gradCheckLayer(t, NewDense[float64](16, kernels.Linear), Shape{50}, 3, -1, 1, 12)
	})
}

func TestDenseBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		units int
		in    Shape
	}{{3, Shape{4, 2}}, {3, Shape{}}, {0, Shape{4}}} {
		if _, err := NewDense[float32](c.units, kernels.Linear).Build(c.in, 2, rng); err == nil {
			t.Errorf("units %d on %v: no error", c.units, c.in)
		}
	}
	d := NewDense[float32](3, kernels.Linear)
	out, err := d.Build(Shape{4}, 2, rng)
	if err != nil || len(out) != 1 || out[0] != 3 {
		t.Fatalf("Build = %v, %v", out, err)
	}
	ps := d.Params()
	if ps[0].Name != "kernel" || ps[0].Shape[0] != 4 || ps[0].Shape[1] != 3 ||
		ps[1].Name != "bias" || ps[1].Shape[0] != 3 {
		t.Errorf("params %+v %+v", ps[0].Shape, ps[1].Shape)
	}
	for _, b := range ps[1].W {
		if b != 0 {
			t.Error("bias must start at zero")
		}
	}
	limit := float32(math.Sqrt(6.0 / 7))
	for _, w := range ps[0].W {
		if w == 0 || w < -limit || w > limit {
			t.Errorf("kernel value %g outside glorot limit %g", w, limit)
		}
	}
}

// TestDenseValue checks y = f(xW + b) on numbers small enough to do by hand.
func TestDenseValue(t *testing.T) {
	d := NewDense[float64](2, kernels.ReLU)
	if _, err := d.Build(Shape{2}, 1, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	copy(d.kernel.W, []float64{1, -1, 2, 1}) // rows x0, x1
	copy(d.bias.W, []float64{0.5, -0.5})
	y := make([]float64, 2)
	d.Forward(y, []float64{1, 2}, 1) // z = (1+4+0.5, -1+2-0.5) = (5.5, 0.5)
	if y[0] != 5.5 || y[1] != 0.5 {
		t.Errorf("y = %v, want [5.5 0.5]", y)
	}
}

// checkNoAllocs builds a one-layer model and requires Forward and Backward together to
// allocate nothing, in float32 as training runs.
func checkNoAllocs(t *testing.T, l Layer[float32], in Shape, B int) {
	t.Helper()
	m, err := NewSequential[float32](in, B, 1, l)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(true)
	x := make([]float32, B*m.In.Size())
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	g := make([]float32, B*m.Out.Size())
	for i := range g {
		g[i] = 1
	}
	if n := testing.AllocsPerRun(10, func() {
		m.Forward(x, B)
		m.Backward(g, B)
	}); n != 0 {
		t.Errorf("%s: %g allocations per Forward+Backward, want 0", l.Kind(), n)
	}
}

func TestDenseNoAllocs(t *testing.T) {
	checkNoAllocs(t, NewDense[float32](16, kernels.ReLU), Shape{50}, 8)
}
