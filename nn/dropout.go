package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// Dropout is inverted dropout, as in Keras: while training,
//
//	y = x ⊙ mask,   mask[i] = 1/(1-rate) with probability 1-rate, else 0,
//
// and y = x at inference (the default; SetTraining(true) turns training on). The mask of
// a training step is a pure function of (Seed, step, i), where i is the flat index into
// the batch (B, in...): see kernels.DropoutMask for the exact recipe. SetStep chooses the
// step; Forward never advances it, so repeated Forwards (a gradient check) see one mask.
// Masks do not follow TensorFlow's random stream, only its distribution.
type Dropout[T Float] struct {
	Rate float64
	Seed uint64

	training bool
	step     uint64
	n        int  // values per sample
	masked   bool // whether the last Forward applied a mask
	mask     []T  // (maxB, in...) the last mask
}

// NewDropout returns a Dropout layer dropping a fraction rate, in [0, 1), of its inputs
// while training, with masks drawn from seed.
func NewDropout[T Float](rate float64, seed uint64) *Dropout[T] {
	return &Dropout[T]{Rate: rate, Seed: seed}
}

func (l *Dropout[T]) Kind() string { return "dropout" }

func (l *Dropout[T]) Build(in Shape, maxB int, _ *rand.Rand) (Shape, error) {
	if !(l.Rate >= 0 && l.Rate < 1) {
		return nil, fmt.Errorf("dropout: rate %g outside [0, 1)", l.Rate)
	}
	l.n = in.Size()
	l.mask = make([]T, maxB*l.n)
	return in, nil
}

// SetTraining turns masking on (training) or off (inference).
func (l *Dropout[T]) SetTraining(on bool) { l.training = on }

// SetStep selects the training step whose mask the next Forward applies.
func (l *Dropout[T]) SetStep(step uint64) { l.step = step }

func (l *Dropout[T]) Forward(y, x []T, B int) {
	checkIO("dropout", len(y), len(x), B, l.n, l.n)
	l.masked = l.training && l.Rate > 0
	if !l.masked {
		copy(y, x)
		return
	}
	mask := l.mask[:B*l.n]
	kernels.DropoutMask(mask, l.Seed, l.step, l.Rate)
	kernels.DropoutForward(y, x, mask)
}

// Backward sets dx = dy ⊙ mask for the last Forward's mask, or dx = dy if it had none.
func (l *Dropout[T]) Backward(dx, dy []T, B int) {
	checkIO("dropout", len(dy), len(dx), B, l.n, l.n)
	switch {
	case dx == nil:
	case l.masked:
		kernels.DropoutBackward(dx, dy, l.mask[:B*l.n])
	default:
		copy(dx, dy)
	}
}

func (l *Dropout[T]) Params() []*Param[T] { return nil }
