package nn

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTutorialModelShapesAndNames(t *testing.T) {
	for _, c := range []struct {
		name   string
		out    Shape
		layers []string
		params []string
	}{
		{"cnn", Shape{16, 1}, []string{"conv1d", "dropout", "conv1d_1"},
			[]string{"conv1d/kernel", "conv1d/bias", "conv1d_1/kernel", "conv1d_1/bias"}},
		{"lstm", Shape{16}, []string{"lstm", "dropout", "dense", "leaky_re_lu"},
			[]string{"lstm/kernel", "lstm/recurrent_kernel", "lstm/bias",
				"dense/kernel", "dense/bias"}},
		{"gru", Shape{16}, []string{"gru", "activation", "dropout", "dense", "activation_1"},
			[]string{"gru/kernel", "gru/recurrent_kernel", "gru/bias",
				"dense/kernel", "dense/bias"}},
	} {
		m, err := TutorialModel[float32](c.name, TutorialShape, 8, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(m.Out, c.out) || !slices.Equal(m.Names, c.layers) {
			t.Errorf("%s: out %v layers %v, want %v %v", c.name, m.Out, m.Names, c.out, c.layers)
		}
		var names []string
		for _, p := range m.Params() {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, c.params) {
			t.Errorf("%s: params %v, want %v", c.name, names, c.params)
		}
	}
	if _, err := TutorialModel[float32]("rnn", TutorialShape, 8, 1); err == nil ||
		!strings.Contains(err.Error(), "cnn") {
		t.Errorf("unknown name: error %v", err)
	}
	for _, f := range []func(int, uint64) (*Sequential[float32], error){
		TutorialCNN[float32], TutorialLSTM[float32], TutorialGRU[float32],
	} {
		if m, err := f(8, 1); err != nil || m.In[0] != 256 || m.Out[0] != 16 {
			t.Errorf("constructor: %v", err)
		}
	}
}

// TestTutorialModelGradients checks each tutorial model whole, in float64, with dropout
// on at a fixed step. The CNN runs on the tutorial's real 256-step input; the recurrent
// models on 12 steps, since central differences over their ~10⁴ weights at 256 steps
// would take minutes, and the recurrence is the same at every step.
func TestTutorialModelGradients(t *testing.T) {
	for i, c := range []struct {
		name string
		in   Shape
		B    int
	}{
		{"cnn", TutorialShape, 2},
		{"lstm", Shape{12, 1}, 2},
		{"gru", Shape{12, 1}, 2},
	} {
		t.Run(fmt.Sprint(c.name, c.in), func(t *testing.T) {
			m, err := TutorialModel[float64](c.name, c.in, c.B, uint64(90+i))
			if err != nil {
				t.Fatal(err)
			}
			m.SetTraining(true)
			m.SetStep(3)
			// Inputs in [0, 1), as the tutorial's min-max scaled prices are.
			gradCheckModel(t, m, c.B, 0, 1, uint64(90+i))
		})
	}
}

// TestTutorialModelsNoAllocs runs a float32 training step's Forward and Backward, and
// Forward and BackwardParams, on each full-size model and requires no allocation.
func TestTutorialModelsNoAllocs(t *testing.T) {
	for _, name := range TutorialModels {
		m, err := TutorialModel[float32](name, TutorialShape, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		m.SetTraining(true)
		x := make([]float32, 8*m.In.Size())
		g := make([]float32, 8*m.Out.Size())
		for i := range x {
			x[i] = float32(i%13) / 13
		}
		for i := range g {
			g[i] = 0.1
		}
		if n := testing.AllocsPerRun(3, func() {
			m.Forward(x, 8)
			m.Backward(g, 8)
		}); n != 0 {
			t.Errorf("%s: %g allocations per Forward+Backward, want 0", name, n)
		}
		if n := testing.AllocsPerRun(3, func() {
			m.Forward(x, 8)
			m.BackwardParams(g, 8)
		}); n != 0 {
			t.Errorf("%s: %g allocations per Forward+BackwardParams, want 0", name, n)
		}
	}
}
