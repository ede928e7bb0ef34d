package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// Float is the element type of a model: float32 to train, float64 for gradient checks.
type Float = kernels.Float

// Shape is the shape of one sample, without the batch dimension: (T, F) for a sequence,
// (O) for a vector.
type Shape []int

// Size is the number of elements of one sample.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (s Shape) String() string { return fmt.Sprint([]int(s)) }

// Param is one trainable tensor of a layer, stored in the layout Keras gives it.
type Param[T Float] struct {
	Name  string // Keras weight name within its layer: "kernel", "recurrent_kernel", "bias"
	Shape []int  // Keras layout, e.g. (F, 4H) for an LSTM kernel
	W     []T    // values, row-major over Shape
	DW    []T    // ∂L/∂W, same layout; backward passes add into it
}

func newParam[T Float](name string, shape ...int) *Param[T] {
	n := Shape(shape).Size()
	return &Param[T]{Name: name, Shape: shape, W: make([]T, n), DW: make([]T, n)}
}

// Layer is one stage of a Sequential model.
//
// Forward and Backward form a pair with the same argument order (outputs, inputs, batch):
//
//	Forward(y, x, B)    y (B, out...) from x (B, in...)
//	Backward(dx, dy, B) dx (B, in...) from dy (B, out...), for the x of the last Forward
//
// Backward adds the parameter gradients into Param.DW (zeroing is the caller's job) and
// writes dx, overwriting it; dx is nil when the input needs no gradient. Neither
// allocates: Build sizes every buffer for batches of up to maxB.
type Layer[T Float] interface {
	// Kind is the Keras class name in snake case ("lstm", "conv1d", "dense"); the model
	// derives the layer's name from it, as Keras does: lstm, lstm_1, lstm_2, ...
	Kind() string
	// Build checks the per-sample input shape, allocates parameters (initialised from
	// rng as Keras does) and buffers for up to maxB samples, and returns the output shape.
	Build(in Shape, maxB int, rng *rand.Rand) (out Shape, err error)
	Forward(y, x []T, B int)
	Backward(dx, dy []T, B int)
	// Params lists the trainable tensors in Keras order (kernel, recurrent_kernel, bias).
	Params() []*Param[T]
}

// Trainable is a layer that behaves differently while training (Dropout).
type Trainable interface {
	SetTraining(on bool)
}

// Stepped is a layer whose training randomness is a function of (seed, step, position),
// so that a step's dropout mask can be reproduced, resumed and checked (Dropout).
type Stepped interface {
	SetStep(step uint64)
}
