package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// awayFromKinks redraws the input gradCheckModel will draw for (seed, n, lo, hi) and
// fails if any value lies within 1e-3 of a kink of a: there the one-sided derivative
// and the central difference legitimately disagree.
func awayFromKinks(t *testing.T, a kernels.Activation, n int, lo, hi float64, seed uint64) {
	t.Helper()
	var kinks []float64
	switch a {
	case kernels.ReLU, kernels.LeakyReLU:
		kinks = []float64{0}
	case kernels.HardSigmoid:
		kinks = []float64{-2.5, 2.5}
	}
	x := randSlice(rand.New(rand.NewPCG(seed, 77)), n, lo, hi)
	for _, v := range x {
		for _, k := range kinks {
			if math.Abs(v-k) < 1e-3 {
				t.Fatalf("input %g within 1e-3 of the kink at %g: pick another seed", v, k)
			}
		}
	}
}

func TestActivationGradient(t *testing.T) {
	in, B := Shape{6, 2}, 3
	for i, a := range allActivations {
		t.Run(a.String(), func(t *testing.T) {
			// [-3, 3) covers both pieces of relu and all three of hard_sigmoid.
			seed := uint64(30 + i)
			awayFromKinks(t, a, B*in.Size(), -3, 3, seed)
			gradCheckLayer(t, NewActivation[float64](a), in, B, -3, 3, seed)
		})
	}
}

func TestLeakyReLUGradient(t *testing.T) {
	for i, alpha := range []float64{0.3, 0.01, 1.5} {
		seed := uint64(40 + i)
		awayFromKinks(t, kernels.LeakyReLU, 3*8, -1, 1, seed)
		gradCheckLayer(t, NewLeakyReLU[float64](alpha), Shape{8}, 3, -1, 1, seed)
	}
}

func TestLeakyReLUValue(t *testing.T) {
	l := NewLeakyReLU[float64](0.3)
	if _, err := l.Build(Shape{3}, 1, nil); err != nil {
		t.Fatal(err)
	}
	y := make([]float64, 3)
	l.Forward(y, []float64{-2, 0.5, 0}, 1)
	if y[0] != -0.6 || y[1] != 0.5 || y[2] != 0 {
		t.Errorf("y = %v, want [-0.6 0.5 0]", y)
	}
	if l.Kind() != "leaky_re_lu" {
		t.Errorf("Kind = %q, want Keras's leaky_re_lu", l.Kind())
	}
	if _, err := NewLeakyReLU[float64](0).Build(Shape{3}, 1, nil); err == nil {
		t.Error("slope 0: no error")
	}
}

func TestActivationNoAllocs(t *testing.T) {
	checkNoAllocs(t, NewActivation[float32](kernels.Tanh), Shape{50}, 8)
	checkNoAllocs(t, NewLeakyReLU[float32](0.3), Shape{16}, 8)
}
