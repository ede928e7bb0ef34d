//go:build cuda

package core

import (
	"fmt"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// kerasSlope is the LeakyReLU slope nn.NewDense, nn.NewConv1D and nn.NewActivation fix
// (Keras's default); those layers keep it unexported, so the device uses the same value.
const kerasSlope = 0.3

// newStage builds the device twin of layer l, whose per-sample input and output shapes
// are in and out, given views of its parameters and their gradients in l.Params() order.
func newStage[T Float](d Driver, l nn.Layer[T], in, out nn.Shape, maxB int,
	w, dw []*Buffer[T]) (stage[T], error) {
	switch l := l.(type) {
	case *nn.Dense[T]:
		return &denseStage[T]{d: d, I: in[0], O: l.Units, act: l.Act, alpha: kerasSlope,
			w: w[0], b: w[1], dw: dw[0], db: dw[1]}, nil
	case *nn.Conv1D[T]:
		c := Conv1D{T: in[0], C: in[1], K: l.Kernel, S: l.Stride, O: l.Filters, Act: l.Act,
			Alpha: kerasSlope}
		return &convStage[T]{d: d, c: c, w: w[0], b: w[1], dw: dw[0], db: dw[1]}, nil
	case *nn.LSTM[T]:
		return newRecurrent(d, in, l.Units, maxB, w, dw, func() (recurrent[T], error) {
			r, err := NewLSTM[T](d, in[1], l.Units, in[0], maxB)
			if err == nil {
				r.RecAct, r.Act = l.RecurrentActivation, l.Activation
			}
			return r, err
		})
	case *nn.GRU[T]:
		return newRecurrent(d, in, l.Units, maxB, w, dw, func() (recurrent[T], error) {
			r, err := NewGRU[T](d, in[1], l.Units, in[0], maxB, l.ResetAfter)
			if err == nil {
				r.RecAct, r.Act = l.RecurrentActivation, l.Activation
			}
			return r, err
		})
	case *nn.Dropout[T]:
		return &dropoutStage[T]{d: d, rate: l.Rate, seed: l.Seed}, nil
	case *nn.Activation[T]:
		return &actStage[T]{d: d, act: l.Act, alpha: kerasSlope}, nil
	case *nn.LeakyReLU[T]:
		return &actStage[T]{d: d, act: kernels.LeakyReLU, alpha: T(l.Alpha)}, nil
	}
	return nil, fmt.Errorf("%T (kind %q) has no CUDA implementation; the device supports "+
		"Dense, Conv1D, LSTM, GRU, Dropout, Activation and LeakyReLU", l, l.Kind())
}

// denseStage is nn.Dense: y = f(x·W + b), x (B, I), W (I, O), b (O).
type denseStage[T Float] struct {
	d            Driver
	I, O         int
	act          kernels.Activation
	alpha        T
	w, b, dw, db *Buffer[T]
}

func (s *denseStage[T]) forward(y, x *Buffer[T], B int, _ bool, _ uint64) error {
	if err := fillRows(s.d, y, s.b, 0, B, s.O); err != nil {
		return err
	}
	if err := Gemm(s.d, false, false, B, s.O, s.I, 1, x, s.I, s.w, s.O, 1, y, s.O); err != nil {
		return err
	}
	if s.act == kernels.Linear {
		return nil
	}
	return ActForward(s.d, s.act, y, y, s.alpha)
}

// backward: dz = dy∘f'(y) in place; dW += xᵀ·dz, db += Σ_b dz, dx = dz·Wᵀ.
func (s *denseStage[T]) backward(dx, dy, y, x *Buffer[T], B int) error {
	if s.act != kernels.Linear {
		if err := ActBackward(s.d, s.act, dy, dy, y, s.alpha); err != nil {
			return err
		}
	}
	if err := Gemm(s.d, true, false, s.I, s.O, B, 1, x, s.I, dy, s.O, 1, s.dw, s.O); err != nil {
		return err
	}
	if err := ColSum(s.d, s.db, dy, B, s.O); err != nil {
		return err
	}
	if dx == nil {
		return nil
	}
	return Gemm(s.d, false, true, B, s.I, s.O, 1, dy, s.O, s.w, s.O, 0, dx, s.I)
}

func (s *denseStage[T]) free() {}

// convStage is nn.Conv1D through Conv1DForward and Conv1DBackward.
type convStage[T Float] struct {
	d            Driver
	c            Conv1D
	w, b, dw, db *Buffer[T]
}

func (s *convStage[T]) forward(y, x *Buffer[T], B int, _ bool, _ uint64) error {
	return Conv1DForward(s.d, s.c, y, x, s.w, s.b, B)
}

func (s *convStage[T]) backward(dx, dy, y, x *Buffer[T], B int) error {
	return Conv1DBackward(s.d, s.c, dx, s.dw, s.db, dy, y, x, s.w, B)
}

func (s *convStage[T]) free() {}

// recurrent is what LSTM and GRU share: whole-sequence forward and backward.
type recurrent[T Float] interface {
	Forward(h, x, w, u, bias *Buffer[T], B int) error
	Backward(dx, dw, du, dbias, dy, x, w, u *Buffer[T], B int) error
	Free()
}

// recurrentStage is nn.LSTM or nn.GRU with return_sequences=False: the layer runs over
// the whole sequence into seq (B, T, H), and y (B, H) is its last step. Backward
// scatters dy into the last step of dseq, whose other steps stay zero from allocation.
type recurrentStage[T Float] struct {
	d          Driver
	r          recurrent[T]
	T, H       int
	seq, dseq  *Buffer[T] // (MaxB, T, H) every step's h, and ∂L/∂h (non-zero at T-1 only)
	w, u, b    *Buffer[T]
	dw, du, db *Buffer[T]
}

func newRecurrent[T Float](d Driver, in nn.Shape, H, maxB int, w, dw []*Buffer[T],
	build func() (recurrent[T], error)) (*recurrentStage[T], error) {
	r, err := build()
	if err != nil {
		return nil, err
	}
	s := &recurrentStage[T]{d: d, r: r, T: in[0], H: H, w: w[0], u: w[1], b: w[2],
		dw: dw[0], du: dw[1], db: dw[2]}
	if s.seq, err = NewBuffer[T](d, maxB*s.T*s.H); err == nil {
		s.dseq, err = NewBuffer[T](d, maxB*s.T*s.H)
	}
	if err != nil {
		s.free()
		return nil, err
	}
	return s, nil
}

func (s *recurrentStage[T]) forward(y, x *Buffer[T], B int, _ bool, _ uint64) error {
	if err := s.r.Forward(s.seq, x, s.w, s.u, s.b, B); err != nil {
		return err
	}
	last := view(s.seq, (s.T-1)*s.H, (B-1)*s.T*s.H+s.H)
	return copyRows(s.d, y, s.H, last, s.T*s.H, B, s.H)
}

func (s *recurrentStage[T]) backward(dx, dy, _, x *Buffer[T], B int) error {
	last := view(s.dseq, (s.T-1)*s.H, (B-1)*s.T*s.H+s.H)
	if err := copyRows(s.d, last, s.T*s.H, dy, s.H, B, s.H); err != nil {
		return err
	}
	return s.r.Backward(dx, s.dw, s.du, s.db, view(s.dseq, 0, B*s.T*s.H), x, s.w, s.u, B)
}

func (s *recurrentStage[T]) free() {
	if s.r != nil {
		s.r.Free()
	}
	s.seq.Free()
	s.dseq.Free()
}

// dropoutStage is nn.Dropout: the mask of (seed, step, flat index) is recomputed in the
// backward pass, never stored.
type dropoutStage[T Float] struct {
	d      Driver
	rate   float64
	seed   uint64
	masked bool   // whether the last forward applied a mask
	step   uint64 // the step of that mask
}

func (s *dropoutStage[T]) forward(y, x *Buffer[T], _ int, train bool, step uint64) error {
	s.masked, s.step = train && s.rate > 0, step
	if !s.masked {
		return ActForward(s.d, kernels.Linear, y, x, 0) // a copy
	}
	return Dropout(s.d, y, x, s.rate, s.seed, step)
}

func (s *dropoutStage[T]) backward(dx, dy, _, _ *Buffer[T], _ int) error {
	switch {
	case dx == nil:
		return nil
	case s.masked:
		return Dropout(s.d, dx, dy, s.rate, s.seed, s.step)
	}
	return ActForward(s.d, kernels.Linear, dx, dy, 0)
}

func (s *dropoutStage[T]) free() {}

// actStage is nn.Activation or nn.LeakyReLU: y = f(x), dx = dy∘f'(y).
type actStage[T Float] struct {
	d     Driver
	act   kernels.Activation
	alpha T
}

func (s *actStage[T]) forward(y, x *Buffer[T], _ int, _ bool, _ uint64) error {
	return ActForward(s.d, s.act, y, x, s.alpha)
}

func (s *actStage[T]) backward(dx, dy, y, _ *Buffer[T], _ int) error {
	if dx == nil {
		return nil
	}
	return ActBackward(s.d, s.act, dx, dy, y, s.alpha)
}

func (s *actStage[T]) free() {}
