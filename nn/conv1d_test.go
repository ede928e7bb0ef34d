package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

func TestConv1DGradient(t *testing.T) {
	for i, c := range []struct {
		T, C, K, S, O int
		act           kernels.Activation
	}{
		{5, 1, 1, 1, 1, kernels.Linear},
		{7, 3, 2, 1, 4, kernels.Tanh},
		{11, 2, 3, 3, 2, kernels.Linear},   // S = K: windows tile exactly
		{10, 1, 2, 4, 3, kernels.ReLU},     // S > K: gaps, and an uncovered tail
		{13, 5, 4, 3, 5, kernels.Sigmoid},  // S ∤ T-K: step 12 unused
		{9, 3, 9, 2, 2, kernels.LeakyReLU}, // K = T: one window
		{256, 1, 20, 3, 8, kernels.ReLU},   // the tutorial's first layer
		{79, 8, 16, 4, 1, kernels.Linear},  // and its second
	} {
		name := fmt.Sprintf("T%dC%dK%dS%dO%d_%v", c.T, c.C, c.K, c.S, c.O, c.act)
		t.Run(name, func(t *testing.T) {
			l := NewConv1D[float64](c.O, c.K, c.S, c.act)
			gradCheckLayer(t, l, Shape{c.T, c.C}, 3, -1, 1, uint64(20+i))
		})
	}
}

func TestConv1DBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	out, err := NewConv1D[float32](8, 20, 3, kernels.ReLU).Build(Shape{256, 1}, 8, rng)
	if err != nil || out[0] != 79 || out[1] != 8 {
		t.Fatalf("tutorial layer 1: %v, %v; want [79 8]", out, err)
	}
	l := NewConv1D[float32](1, 16, 4, kernels.Linear)
	out, err = l.Build(out, 8, rng)
	if err != nil || out[0] != 16 || out[1] != 1 {
		t.Fatalf("tutorial layer 2: %v, %v; want [16 1]", out, err)
	}
	if s := l.Params()[0].Shape; s[0] != 16 || s[1] != 8 || s[2] != 1 {
		t.Errorf("kernel shape %v, want Keras's (K, C, O) = [16 8 1]", s)
	}
	_, err = NewConv1D[float32](1, 16, 4, kernels.Linear).Build(Shape{15, 1}, 8, rng)
	if err == nil || !strings.Contains(err.Error(), "kernel width") {
		t.Errorf("T < K: error %v", err)
	}
	for _, in := range []Shape{{20}, {20, 1, 1}} {
		if _, err := NewConv1D[float32](1, 2, 1, kernels.Linear).Build(in, 1, rng); err == nil {
			t.Errorf("input %v: no error", in)
		}
	}
	if _, err := NewConv1D[float32](1, 2, 0, kernels.Linear).Build(Shape{5, 1}, 1, rng); err == nil {
		t.Error("stride 0: no error")
	}
}

func TestConv1DNoAllocs(t *testing.T) {
	checkNoAllocs(t, NewConv1D[float32](8, 20, 3, kernels.ReLU), Shape{256, 1}, 8)
	checkNoAllocs(t, NewConv1D[float32](1, 16, 4, kernels.Linear), Shape{79, 8}, 8)
}
