package nn

import (
	"fmt"
	"math/rand/v2"
)

// Sequential chains layers, each feeding the next, as Keras's Sequential model does.
// It owns the activations between layers and their gradients, sized once for MaxB.
type Sequential[T Float] struct {
	Layers []Layer[T]
	Names  []string // Keras layer names: conv1d, conv1d_1, dropout, ...
	In     Shape    // per-sample input shape
	Out    Shape    // per-sample output shape
	Shapes []Shape  // Shapes[i] is layer i's per-sample input shape; the last is Out
	MaxB   int

	params []*Param[T] // every layer's Params, gathered once for ZeroGrad
	acts   [][]T       // acts[i] (MaxB, shape i): acts[0] is the input, acts[len] the output
	dActs  [][]T       // gradients of acts, same shapes
}

// NewSequential builds layers for samples of shape in and batches of up to maxB,
// initialising weights from seed. Layer names are given per kind in order, as Keras does
// in a fresh session: the first LSTM is "lstm", the second "lstm_1".
func NewSequential[T Float](in Shape, maxB int, seed uint64, layers ...Layer[T]) (*Sequential[T], error) {
	if maxB < 1 {
		return nil, fmt.Errorf("nn: batch size %d: must be at least 1", maxB)
	}
	m := &Sequential[T]{Layers: layers, In: in, MaxB: maxB}
	rng := rand.New(rand.NewPCG(seed, 0x5e9))
	seen := map[string]int{}
	shape := in
	m.Shapes = append(m.Shapes, in)
	m.acts = append(m.acts, make([]T, maxB*in.Size()))
	m.dActs = append(m.dActs, make([]T, maxB*in.Size()))
	for i, l := range layers {
		name := l.Kind()
		if n := seen[name]; n > 0 {
			name = fmt.Sprintf("%s_%d", name, n)
		}
		seen[l.Kind()]++
		m.Names = append(m.Names, name)

		out, err := l.Build(shape, maxB, rng)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %d (%s) on input %v: %w", i, name, shape, err)
		}
		shape = out
		m.params = append(m.params, l.Params()...)
		m.Shapes = append(m.Shapes, out)
		m.acts = append(m.acts, make([]T, maxB*out.Size()))
		m.dActs = append(m.dActs, make([]T, maxB*out.Size()))
	}
	m.Out = shape
	return m, nil
}

// Forward runs the model on x (B, In...) and returns y (B, Out...). The result aliases an
// internal buffer, valid until the next Forward.
func (m *Sequential[T]) Forward(x []T, B int) []T {
	m.checkBatch(B)
	if len(x) != B*m.In.Size() {
		panic(fmt.Sprintf("nn: Forward input has %d values, want B*%v = %d",
			len(x), m.In, B*m.In.Size()))
	}
	copy(m.acts[0], x)
	for i, l := range m.Layers {
		l.Forward(m.batch(m.acts[i+1], B), m.batch(m.acts[i], B), B)
	}
	return m.batch(m.acts[len(m.Layers)], B)
}

// Backward takes dy = ∂L/∂y (B, Out...) for the last Forward, adds every parameter's
// gradient into its DW, and returns ∂L/∂x (B, In...), valid until the next Backward.
func (m *Sequential[T]) Backward(dy []T, B int) []T {
	m.backward(dy, B, true)
	return m.batch(m.dActs[0], B)
}

// BackwardParams is Backward without ∂L/∂x, which training never reads: the first layer
// skips that product (a third of the first convolution's backward in the tutorial CNN).
func (m *Sequential[T]) BackwardParams(dy []T, B int) {
	m.backward(dy, B, false)
}

func (m *Sequential[T]) backward(dy []T, B int, inputGrad bool) {
	m.checkBatch(B)
	n := len(m.Layers)
	copy(m.dActs[n], dy)
	for i := n - 1; i >= 0; i-- {
		var dx []T
		if i > 0 || inputGrad {
			dx = m.batch(m.dActs[i], B)
		}
		m.Layers[i].Backward(dx, m.batch(m.dActs[i+1], B), B)
	}
}

// Params lists every trainable tensor with its full Keras name ("lstm/kernel"), in layer
// order.
func (m *Sequential[T]) Params() []NamedParam[T] {
	var ps []NamedParam[T]
	for i, l := range m.Layers {
		for _, p := range l.Params() {
			ps = append(ps, NamedParam[T]{Name: m.Names[i] + "/" + p.Name, Param: p})
		}
	}
	return ps
}

// NamedParam is a Param with its model-wide name, layer/weight.
type NamedParam[T Float] struct {
	Name string
	*Param[T]
}

// ZeroGrad sets every parameter gradient to zero. It allocates nothing.
func (m *Sequential[T]) ZeroGrad() {
	for _, p := range m.params {
		clear(p.DW)
	}
}

// SetTraining switches layers such as Dropout between training and inference.
func (m *Sequential[T]) SetTraining(on bool) {
	for _, l := range m.Layers {
		if t, ok := l.(Trainable); ok {
			t.SetTraining(on)
		}
	}
}

// SetStep tells layers with training randomness which optimizer step comes next, so
// that their masks depend only on (seed, step, position).
func (m *Sequential[T]) SetStep(step uint64) {
	for _, l := range m.Layers {
		if s, ok := l.(Stepped); ok {
			s.SetStep(step)
		}
	}
}

func (m *Sequential[T]) checkBatch(B int) {
	if B < 1 || B > m.MaxB {
		panic(fmt.Sprintf("nn: batch %d outside [1, %d]", B, m.MaxB))
	}
}

// batch returns the first B samples of an activation buffer.
func (m *Sequential[T]) batch(buf []T, B int) []T {
	return buf[:B*len(buf)/m.MaxB]
}
