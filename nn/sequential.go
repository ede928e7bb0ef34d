package nn

import (
	"fmt"
	"math/rand/v2"
	"reflect"
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

	lastB  int         // the batch of the last completed Forward; 0 before any
	params []*Param[T] // every layer's Params, gathered once for ZeroGrad
	acts   [][]T       // acts[i] (MaxB, shape i): acts[0] is the input, acts[len] the output
	dActs  [][]T       // gradients of acts, same shapes
}

// NewSequential builds layers for samples of shape in and batches of up to maxB,
// initialising weights from seed. Layer names are given per kind in order, as Keras does
// in a fresh session: the first LSTM is "lstm", the second "lstm_1".
//
// Each position needs a layer of its own: a nil layer, or one instance at two positions
// (whose weights Params would list twice and an optimizer would update twice), is an
// error naming the positions. No layers at all is an error too: such a model would
// return its input, with nothing to train.
func NewSequential[T Float](in Shape, maxB int, seed uint64, layers ...Layer[T]) (*Sequential[T], error) {
	if maxB < 1 {
		return nil, fmt.Errorf("nn: batch size %d: must be at least 1", maxB)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("nn: no layers: give at least one layer")
	}
	if err := checkLayers(layers); err != nil {
		return nil, err
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

// checkLayers reports a nil layer, or one instance given at two positions.
func checkLayers[T Float](layers []Layer[T]) error {
	first := map[Layer[T]]int{}
	for i, l := range layers {
		if l == nil {
			return fmt.Errorf("nn: layer %d is nil", i)
		}
		v := reflect.ValueOf(l)
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("nn: layer %d is a nil %T", i, l)
		}
		// A layer held by value has no identity to share, and one of a type that is not
		// comparable (a struct with a slice) cannot be a map key.
		if !v.Type().Comparable() {
			continue
		}
		if j, ok := first[l]; ok {
			return fmt.Errorf("nn: layers %d and %d are the same %T (%s): "+
				"give each position its own instance", j, i, l, l.Kind())
		}
		first[l] = i
	}
	return nil
}

// Forward runs the model on x (B, In...) and returns y (B, Out...). The result aliases an
// internal buffer, valid until the next Forward.
func (m *Sequential[T]) Forward(x []T, B int) []T {
	m.checkBatch(B)
	if len(x) != B*m.In.Size() {
		panic(fmt.Sprintf("nn: Forward input has %d values, want B*%v = %d",
			len(x), m.In, B*m.In.Size()))
	}

	// A Forward that panics part way leaves no batch for Backward to differentiate.
	m.lastB = 0
	copy(m.acts[0], x)
	for i, l := range m.Layers {
		l.Forward(m.batch(m.acts[i+1], B), m.batch(m.acts[i], B), B)
	}
	m.lastB = B
	return m.batch(m.acts[len(m.Layers)], B)
}

// Backward takes dy = ∂L/∂y (B, Out...) for the last Forward, adds every parameter's
// gradient into its DW, and returns ∂L/∂x (B, In...), valid until the next Backward.
// It panics if no Forward has completed, if B is not that Forward's batch, or if dy does
// not hold B*Out values.
func (m *Sequential[T]) Backward(dy []T, B int) []T {
	m.backward("Backward", dy, B, true)
	return m.batch(m.dActs[0], B)
}

// BackwardParams is Backward without ∂L/∂x, which training never reads: the first layer
// skips that product (a third of the first convolution's backward in the tutorial CNN).
// It panics as Backward does.
func (m *Sequential[T]) BackwardParams(dy []T, B int) {
	m.backward("BackwardParams", dy, B, false)
}

// backward checks its arguments against the last Forward, the caller's name in op, and
// runs the layers' Backward from the last to the first.
func (m *Sequential[T]) backward(op string, dy []T, B int, inputGrad bool) {
	m.checkBatch(B)
	if m.lastB == 0 {
		panic(fmt.Sprintf("nn: %s with no completed Forward: it differentiates the "+
			"last Forward's batch", op))
	}
	if B != m.lastB {
		panic(fmt.Sprintf("nn: %s batch %d, want the last Forward's batch %d",
			op, B, m.lastB))
	}
	if len(dy) != B*m.Out.Size() {
		panic(fmt.Sprintf("nn: %s dy has %d values, want B*%v = %d",
			op, len(dy), m.Out, B*m.Out.Size()))
	}

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
