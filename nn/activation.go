package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// Activation is Keras's Activation layer: y = f(x) elementwise, for any input shape.
// Its derivative is taken from the output (kernels.Deriv); at the kinks (relu at 0,
// hard_sigmoid at ±2.5) it is the one-sided value TensorFlow uses.
type Activation[T Float] struct {
	Act kernels.Activation
	act elementwise[T]
}

// NewActivation returns an Activation layer applying a (LeakyReLU takes Keras's slope 0.3).
func NewActivation[T Float](a kernels.Activation) *Activation[T] {
	return &Activation[T]{Act: a, act: elementwise[T]{alpha: 0.3}}
}

func (l *Activation[T]) Kind() string { return "activation" }

func (l *Activation[T]) Build(in Shape, maxB int, _ *rand.Rand) (Shape, error) {
	if l.Act < kernels.Linear || l.Act > kernels.HardSigmoid {
		return nil, fmt.Errorf("activation: unknown %v", l.Act)
	}
	return l.act.build(in, maxB), nil
}

func (l *Activation[T]) Forward(y, x []T, B int)    { l.act.forward(l.Act, y, x, B) }
func (l *Activation[T]) Backward(dx, dy []T, B int) { l.act.backward(l.Act, dx, dy, B) }
func (l *Activation[T]) Params() []*Param[T]        { return nil }

// LeakyReLU is Keras's LeakyReLU layer: y = x for x > 0, αx otherwise. Keras 2.1.1's
// default slope is α = 0.3 (PyTorch's nn.LeakyReLU defaults to 0.01); the tutorial's LSTM
// model uses the default.
type LeakyReLU[T Float] struct {
	Alpha float64
	act   elementwise[T]
}

// NewLeakyReLU returns a LeakyReLU layer with slope alpha (> 0) for negative inputs.
func NewLeakyReLU[T Float](alpha float64) *LeakyReLU[T] {
	return &LeakyReLU[T]{Alpha: alpha}
}

func (l *LeakyReLU[T]) Kind() string { return "leaky_re_lu" }

func (l *LeakyReLU[T]) Build(in Shape, maxB int, _ *rand.Rand) (Shape, error) {
	// The derivative is read from the output's sign, which needs α > 0.
	if !(l.Alpha > 0) {
		return nil, fmt.Errorf("leaky_re_lu: slope %g: must be positive", l.Alpha)
	}
	l.act.alpha = T(l.Alpha)
	return l.act.build(in, maxB), nil
}

func (l *LeakyReLU[T]) Forward(y, x []T, B int) { l.act.forward(kernels.LeakyReLU, y, x, B) }
func (l *LeakyReLU[T]) Backward(dx, dy []T, B int) {
	l.act.backward(kernels.LeakyReLU, dx, dy, B)
}
func (l *LeakyReLU[T]) Params() []*Param[T] { return nil }

// elementwise is the shape-preserving machinery both activation layers share.
type elementwise[T Float] struct {
	alpha T
	n     int // values per sample
	y     []T // (maxB, in...) the last output, from which the derivative is taken
}

func (e *elementwise[T]) build(in Shape, maxB int) Shape {
	e.n = in.Size()
	e.y = make([]T, maxB*e.n)
	return in
}

func (e *elementwise[T]) forward(a kernels.Activation, y, x []T, B int) {
	checkIO(a.String(), len(y), len(x), B, e.n, e.n)
	ys := e.y[:B*e.n]
	actForward(a, ys, x, e.alpha)
	copy(y, ys)
}

// backward sets dx = dy ⊙ f'(x), with f' read from the saved output.
func (e *elementwise[T]) backward(a kernels.Activation, dx, dy []T, B int) {
	checkIO(a.String(), len(dy), len(dx), B, e.n, e.n)
	if dx != nil {
		actBackward(a, dx, dy, e.y[:B*e.n], e.alpha)
	}
}

// actForward sets y = f(x) as kernels.ActForward does, with the activations the tutorial's
// models use on their larger outputs sent to kernels without a per-element switch; a
// linear f copies.
func actForward[T Float](a kernels.Activation, y, x []T, alpha T) {
	switch a {
	case kernels.Linear:
		copy(y, x)
	case kernels.ReLU:
		kernels.ReLUForward(y, x)
	default:
		kernels.ActForward(a, y, x, alpha)
	}
}

// actBackward sets dx = dy ⊙ f'(·) from the forward output y, as kernels.ActBackward.
func actBackward[T Float](a kernels.Activation, dx, dy, y []T, alpha T) {
	switch a {
	case kernels.Linear:
		copy(dx, dy)
	case kernels.ReLU:
		kernels.ReLUBackward(dx, dy, y)
	default:
		kernels.ActBackward(a, dx, dy, y, alpha)
	}
}
