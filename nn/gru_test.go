package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// gruConventions are the four forms a GRU takes: Keras 2.1.1's (hard_sigmoid, reset
// before), PyTorch's and cuDNN's (sigmoid, reset after), and the two mixed ones.
var gruConventions = []struct {
	ra         kernels.Activation
	resetAfter bool
}{
	{kernels.HardSigmoid, false}, {kernels.Sigmoid, false},
	{kernels.HardSigmoid, true}, {kernels.Sigmoid, true},
}

func newTestGRU[T Float](H int, ra kernels.Activation, resetAfter bool) *GRU[T] {
	l := NewGRU[T](H)
	l.RecurrentActivation, l.ResetAfter = ra, resetAfter
	return l
}

func TestGRUGradient(t *testing.T) {
	for _, c := range gruConventions {
		for _, s := range recurrentCheckSizes {
			name := fmt.Sprintf("%v/resetAfter=%v/B%dT%dF%dH%d", c.ra, c.resetAfter,
				s.B, s.T, s.F, s.H)
			t.Run(name, func(t *testing.T) {
				l := newTestGRU[float64](s.H, c.ra, c.resetAfter)
				checkRecurrentGrad(t, l, s.B, s.T, s.F, s.H, 13)
			})
		}
	}
}

// gruReference is the GRU written out for one sample, straight from the equations in
// GRU's doc comment, with weights indexed in Keras layout. b has 3H values, or 6H (input
// row, then recurrent row) with resetAfter.
func gruReference(x []float64, T, F, H int, W, U, b []float64, ra, act kernels.Activation,
	resetAfter bool) []float64 {
	h := make([]float64, H)
	for t := range T {
		xw := make([]float64, 3*H) // x_t W + b
		hu := make([]float64, 3*H) // h_{t-1} U (+ b' with resetAfter)
		for j := range 3 * H {
			xw[j] = b[j]
			for f := range F {
				xw[j] += x[t*F+f] * W[f*3*H+j]
			}
			if resetAfter {
				hu[j] = b[3*H+j]
			}
			for k := range H {
				hu[j] += h[k] * U[k*3*H+j]
			}
		}
		z, r := make([]float64, H), make([]float64, H)
		for j := range H {
			z[j] = kernels.Apply(ra, xw[j]+hu[j], 0)
			r[j] = kernels.Apply(ra, xw[H+j]+hu[H+j], 0)
		}
		next := make([]float64, H)
		for j := range H {
			pre := xw[2*H+j] + r[j]*hu[2*H+j]
			if !resetAfter {
				pre = xw[2*H+j]
				for k := range H {
					pre += r[k] * h[k] * U[k*3*H+2*H+j]
				}
			}
			hh := kernels.Apply(act, pre, 0)
			next[j] = z[j]*h[j] + (1-z[j])*hh
		}
		h = next
	}
	return h
}

// TestGRUForwardReference compares Forward with gruReference to rounding (1e-12), for a
// batch smaller than the one Build sized, with biases drawn so every bias matters.
func TestGRUForwardReference(t *testing.T) {
	const B, maxB, T, F, H = 3, 5, 6, 2, 4
	for _, c := range gruConventions {
		l := newTestGRU[float64](H, c.ra, c.resetAfter)
		if _, err := l.Build(Shape{T, F}, maxB, rand.New(rand.NewPCG(5, 6))); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		copy(l.bias.W, randSlice(rng, len(l.bias.W), -1, 1))
		x := randSlice(rng, B*T*F, -2, 2)
		y := make([]float64, B*H)
		l.Forward(y, x, B)

		for b := range B {
			want := gruReference(x[b*T*F:(b+1)*T*F], T, F, H, l.kernel.W,
				l.recurrentKernel.W, l.bias.W, c.ra, kernels.Tanh, c.resetAfter)
			for j := range H {
				if d := math.Abs(y[b*H+j] - want[j]); d > 1e-12 {
					t.Errorf("%v, resetAfter=%v: y[%d][%d] = %g, want %g", c.ra,
						c.resetAfter, b, j, y[b*H+j], want[j])
				}
			}
		}
	}
}

func TestGRUKerasInit(t *testing.T) {
	const F, H = 3, 6
	for _, resetAfter := range []bool{false, true} {
		l := NewGRU[float64](H)
		if l.RecurrentActivation != kernels.HardSigmoid || l.Activation != kernels.Tanh ||
			l.ResetAfter {
			t.Errorf("defaults %v, %v, resetAfter=%v; want hard_sigmoid, tanh, false",
				l.RecurrentActivation, l.Activation, l.ResetAfter)
		}
		l.ResetAfter = resetAfter
		out, err := l.Build(Shape{10, F}, 4, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind() != "gru" || len(out) != 1 || out[0] != H {
			t.Fatalf("kind %q, output %v; want gru, [%d]", l.Kind(), out, H)
		}
		biasShape := []int{3 * H}
		if resetAfter {
			biasShape = []int{2, 3 * H}
		}
		checkParamLayout(t, l.Params(), [][]int{{F, 3 * H}, {H, 3 * H}, biasShape})
		for j, v := range l.bias.W {
			if v != 0 {
				t.Errorf("resetAfter=%v: bias[%d] = %g, want 0", resetAfter, j, v)
			}
		}
		checkGlorot(t, l.kernel.W, F, 3*H)
		checkOrthonormalRows(t, l.recurrentKernel.W, H, 3*H)
	}
}

// TestGRUFloat32 checks float32 against float64 on the same weights, to 1e-6, for the
// reasons given at TestLSTMFloat32.
func TestGRUFloat32(t *testing.T) {
	const B, T, F, H = 4, 32, 3, 16
	for _, c := range gruConventions {
		l64 := newTestGRU[float64](H, c.ra, c.resetAfter)
		l32 := newTestGRU[float32](H, c.ra, c.resetAfter)
		dy, dx := forward32And64(t, l64, l32, B, T, F)
		t.Logf("%v, resetAfter=%v: max |y32 - y64| = %.2g, max |dx32 - dx64| = %.2g",
			c.ra, c.resetAfter, dy, dx)
		if dy > 1e-6 || dx > 1e-6 {
			t.Errorf("%v, resetAfter=%v: float32 differs from float64 by %g in y, %g in dx",
				c.ra, c.resetAfter, dy, dx)
		}
	}
}

func TestGRULargeInputs(t *testing.T) {
	for _, c := range gruConventions {
		runLarge(t, newTestGRU[float64](7, c.ra, c.resetAfter), 3, 20, 2, 7)
		runLarge(t, newTestGRU[float32](7, c.ra, c.resetAfter), 3, 20, 2, 7)
	}
}

func TestGRUZeroAllocs(t *testing.T) {
	for _, resetAfter := range []bool{false, true} {
		l32 := newTestGRU[float32](benchH, kernels.HardSigmoid, resetAfter)
		if n := allocsPerStep(t, l32); n != 0 {
			t.Errorf("float32, resetAfter=%v: %g allocations per Forward+Backward",
				resetAfter, n)
		}
		l64 := newTestGRU[float64](benchH, kernels.Sigmoid, resetAfter)
		if n := allocsPerStep(t, l64); n != 0 {
			t.Errorf("float64, resetAfter=%v: %g allocations per Forward+Backward",
				resetAfter, n)
		}
	}
}

func BenchmarkGRU(b *testing.B) {
	for _, resetAfter := range []bool{false, true} {
		b.Run(fmt.Sprintf("resetAfter=%v", resetAfter), func(b *testing.B) {
			benchRecurrent(b, newTestGRU[float32](benchH, kernels.HardSigmoid, resetAfter))
		})
	}
}
