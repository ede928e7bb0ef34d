package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// wantPanic runs f and requires a panic whose message holds want.
func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want one holding %q", want)
			return
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Errorf("panic %q, want one holding %q", msg, want)
		}
	}()
	f()
}

// TestSequentialBackwardMisuse checks that Backward and BackwardParams refuse a dy of the
// wrong length, a call before any Forward and a batch other than the last Forward's, and
// that a refused call leaves the gradients as they were: a short dy used to be copied over
// the previous call's, mixing stale values into the bias gradient.
func TestSequentialBackwardMisuse(t *testing.T) {
	m, err := NewSequential[float64](Shape{3}, 2, 1, NewDense[float64](2, kernels.Linear))
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 2, 3, 4, 5, 6}
	bias := m.Params()[1].DW

	for _, c := range []struct {
		name string
		call func(m *Sequential[float64], dy []float64, B int)
	}{
		{"Backward", func(m *Sequential[float64], dy []float64, B int) { m.Backward(dy, B) }},
		{"BackwardParams", (*Sequential[float64]).BackwardParams},
	} {
		t.Run(c.name, func(t *testing.T) {
			fresh, err := NewSequential[float64](Shape{3}, 2, 1,
				NewDense[float64](2, kernels.Linear))
			if err != nil {
				t.Fatal(err)
			}
			wantPanic(t, "nn: "+c.name+" with no completed Forward", func() {
				c.call(fresh, []float64{1, 1, 1, 1}, 2)
			})

			m.ZeroGrad()
			m.Forward(x, 2)
			c.call(m, []float64{1, 1, 1, 1}, 2)
			if bias[0] != 2 || bias[1] != 2 {
				t.Fatalf("bias gradient %v, want [2 2]", bias)
			}

			m.ZeroGrad()
			for _, bad := range []struct {
				dy   []float64
				B    int
				want string
			}{
				{[]float64{0}, 2, c.name + " dy has 1 values, want B*[2] = 4"},
				{make([]float64, 6), 2, c.name + " dy has 6 values, want B*[2] = 4"},
				{[]float64{0, 0}, 1, c.name + " batch 1, want the last Forward's batch 2"},
				{make([]float64, 6), 3, "batch 3 outside [1, 2]"},
			} {
				wantPanic(t, "nn: "+bad.want, func() { c.call(m, bad.dy, bad.B) })
			}
			if bias[0] != 0 || bias[1] != 0 {
				t.Errorf("bias gradient %v after refused calls, want [0 0]", bias)
			}
		})
	}

	// A Forward refused for its input touches nothing: the last one still stands.
	wantPanic(t, "nn: Forward input has 1 values", func() { m.Forward([]float64{1}, 1) })
	m.Backward(make([]float64, 4), 2)

	// One that panics part way, in a layer, leaves nothing to differentiate.
	p := &panicLayer{}
	m, err = NewSequential[float64](Shape{3}, 2, 1, NewDense[float64](2, kernels.Linear), p)
	if err != nil {
		t.Fatal(err)
	}
	m.Forward(x, 2)
	p.on = true
	wantPanic(t, "panicLayer", func() { m.Forward(x, 2) })
	wantPanic(t, "nn: Backward with no completed Forward", func() {
		m.Backward(make([]float64, 4), 2)
	})
}

// TestNewSequentialLayerErrors checks that a nil layer and one instance at two positions
// are errors naming the positions, not a nil dereference or a model whose Params list
// the same memory twice, and that no layers at all is an error, not an identity model.
func TestNewSequentialLayerErrors(t *testing.T) {
	d := NewDense[float64](2, kernels.Linear)
	var typedNil *Dense[float64]
	for _, c := range []struct {
		name   string
		layers []Layer[float64]
		want   string
	}{
		{"none", nil, "nn: no layers: give at least one layer"},
		{"nil", []Layer[float64]{NewDense[float64](3, kernels.Tanh), nil},
			"nn: layer 1 is nil"},
		{"typed nil", []Layer[float64]{typedNil}, "nn: layer 0 is a nil *nn.Dense[float64]"},
		{"twice", []Layer[float64]{d, d},
			"nn: layers 0 and 1 are the same *nn.Dense[float64] (dense)"},
		{"twice apart", []Layer[float64]{d, NewDense[float64](2, kernels.Tanh), d},
			"nn: layers 0 and 2 are the same *nn.Dense[float64] (dense)"},
	} {
		m, err := NewSequential(Shape{2}, 2, 1, c.layers...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: model %v, error %v, want one holding %q", c.name, m, err, c.want)
		}
	}

	// Two equal values of a layer type that holds no pointer identity are two layers;
	// one whose type is not comparable must not make the check panic.
	m, err := NewSequential(Shape{2}, 2, 1, Layer[float64](copyLayer{}), copyLayer{})
	if err != nil || len(m.Layers) != 2 {
		t.Errorf("two copyLayer values: %v", err)
	}
}

// copyLayer is a layer held by value, of a type that is not comparable: y = x.
type copyLayer struct{ none []*Param[float64] }

func (copyLayer) Kind() string { return "copy" }
func (copyLayer) Build(in Shape, _ int, _ *rand.Rand) (Shape, error) {
	return in, nil
}
func (copyLayer) Forward(y, x []float64, _ int) { copy(y, x) }
func (copyLayer) Backward(dx, dy []float64, _ int) {
	if dx != nil {
		copy(dx, dy)
	}
}
func (l copyLayer) Params() []*Param[float64] { return l.none }

// panicLayer is copyLayer whose Forward panics once on is set.
type panicLayer struct {
	copyLayer
	on bool
}

func (p *panicLayer) Forward(y, x []float64, B int) {
	if p.on {
		panic("panicLayer")
	}
	p.copyLayer.Forward(y, x, B)
}
