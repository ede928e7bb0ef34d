//go:build cuda

package core

import (
	"errors"
	"fmt"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// ErrSessionClosed is returned by every call on a Session after Close.
var ErrSessionClosed = errors.New("cuda: session is closed")

// Session is an nn.Sequential placed on a device, implementing nn.Session. Weights,
// gradients, Adam moments, every layer's activations and caches live on the device for
// the session's life, sized once for m.MaxB. A training step uploads x and the target,
// queues the forward pass, the loss, the backward pass and one Adam launch over all
// weights, and copies back the loss: one wait per step.
//
// The parameters sit end to end in one buffer each for weights, gradients and the two
// moments, in the order of m.Params(), so that zeroing the gradients and the Adam update
// are one launch each; each layer works on views of its own tensors.
type Session[T Float] struct {
	d      Driver
	m      *nn.Sequential[T]
	stages []stage[T]
	acts   []*Buffer[T] // acts[i] (MaxB, Shapes[i]...): acts[0] the input, the last the output
	dActs  []*Buffer[T] // dActs[i] = ∂L/∂acts[i] for i ≥ 1; dActs[0] is nil (no dx needed)
	target *Buffer[T]   // (MaxB, Out...)
	loss   *MSE[T]

	nParam        int
	w, dw, mo, ve *Buffer[T] // (nParam) weights, gradients, first and second moments
	sizes         []int      // element count of each tensor of m.Params()
	host          []T        // (nParam) staging for Pull and Push
	closed        bool
}

// stage is one layer on the device. forward writes y from x; backward takes dy, which it
// may overwrite, adds the layer's parameter gradients into its views of the gradient
// buffer and writes dx unless dx is nil. y and x are the last forward's. Every buffer is a
// view of exactly B samples.
type stage[T Float] interface {
	forward(y, x *Buffer[T], B int, train bool, step uint64) error
	backward(dx, dy, y, x *Buffer[T], B int) error
	free()
}

// Open places m on d: uploads its weights, allocates activations, gradients, zeroed
// moments and each layer's caches for batches of up to m.MaxB. A layer type without a
// device implementation is an error naming it.
func Open[T Float](d Driver, m *nn.Sequential[T]) (_ *Session[T], err error) {
	s := &Session[T]{d: d, m: m}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, p := range m.Params() {
		s.sizes = append(s.sizes, len(p.W))
		s.nParam += len(p.W)
	}
	for _, b := range []**Buffer[T]{&s.w, &s.dw, &s.mo, &s.ve} {
		if *b, err = NewBuffer[T](d, max(s.nParam, 1)); err != nil {
			return nil, err
		}
	}
	s.host = make([]T, s.nParam)

	for i, sh := range m.Shapes {
		a, err := NewBuffer[T](d, m.MaxB*sh.Size())
		if err != nil {
			return nil, err
		}
		s.acts = append(s.acts, a)
		var da *Buffer[T]
		if i > 0 {
			if da, err = NewBuffer[T](d, m.MaxB*sh.Size()); err != nil {
				return nil, err
			}
		}
		s.dActs = append(s.dActs, da)
	}
	if s.target, err = NewBuffer[T](d, m.MaxB*m.Out.Size()); err != nil {
		return nil, err
	}
	if s.loss, err = NewMSE[T](d, m.MaxB*m.Out.Size()); err != nil {
		return nil, err
	}

	off := 0
	for i, l := range m.Layers {
		var w, dw []*Buffer[T]
		for _, p := range l.Params() {
			w = append(w, view(s.w, off, len(p.W)))
			dw = append(dw, view(s.dw, off, len(p.W)))
			off += len(p.W)
		}
		st, err := newStage(d, l, m.Shapes[i], m.Shapes[i+1], m.MaxB, w, dw)
		if err != nil {
			return nil, fmt.Errorf("cuda: layer %d (%s): %w", i, m.Names[i], err)
		}
		s.stages = append(s.stages, st)
	}
	if err := s.Push(nil, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// TrainStep implements nn.Session: forward with dropout masks of step, MSE, backward and
// an Adam update with the scalars of u, all on the device.
func (s *Session[T]) TrainStep(x, target []T, B int, step uint64, u kernels.AdamStep) (float64, error) {
	if s.closed {
		return 0, ErrSessionClosed
	}
	s.checkBatch("TrainStep", x, target, B)
	if err := s.upload(x, target); err != nil {
		return 0, err
	}
	if err := s.forward(B, true, step); err != nil {
		return 0, err
	}
	n, last := len(target), len(s.stages)
	if err := s.loss.queue(view(s.dActs[last], 0, n), view(s.acts[last], 0, n),
		view(s.target, 0, n)); err != nil {
		return 0, err
	}
	if err := s.dw.Zero(); err != nil {
		return 0, err
	}
	for i := last - 1; i >= 0; i-- {
		var dx *Buffer[T]
		if i > 0 {
			dx = s.batch(s.dActs, i, B)
		}
		err := s.stages[i].backward(dx, s.batch(s.dActs, i+1, B), s.batch(s.acts, i+1, B),
			s.batch(s.acts, i, B), B)
		if err != nil {
			return 0, fmt.Errorf("cuda: backward of layer %d (%s): %w", i, s.m.Names[i], err)
		}
	}
	if s.nParam > 0 {
		p := s.nParam
		err := ApplyAdam(s.d, u, view(s.w, 0, p), view(s.dw, 0, p), view(s.mo, 0, p),
			view(s.ve, 0, p))
		if err != nil {
			return 0, err
		}
	}
	return s.loss.read(n)
}

// Loss implements nn.Session: the MSE in inference mode.
func (s *Session[T]) Loss(x, target []T, B int) (float64, error) {
	if s.closed {
		return 0, ErrSessionClosed
	}
	s.checkBatch("Loss", x, target, B)
	if err := s.upload(x, target); err != nil {
		return 0, err
	}
	if err := s.forward(B, false, 0); err != nil {
		return 0, err
	}
	n, last := len(target), len(s.stages)
	if err := s.loss.queue(view(s.dActs[last], 0, n), view(s.acts[last], 0, n),
		view(s.target, 0, n)); err != nil {
		return 0, err
	}
	return s.loss.read(n)
}

// Predict implements nn.Session: y (B, Out...) in inference mode.
func (s *Session[T]) Predict(y, x []T, B int) error {
	if s.closed {
		return ErrSessionClosed
	}
	s.checkBatch("Predict", x, nil, B)
	if len(y) < B*s.m.Out.Size() {
		panic(fmt.Sprintf("cuda: Predict: y holds %d values, want B*%v = %d", len(y),
			s.m.Out, B*s.m.Out.Size()))
	}
	if err := s.acts[0].CopyIn(x); err != nil {
		return err
	}
	if err := s.forward(B, false, 0); err != nil {
		return err
	}
	return s.acts[len(s.stages)].CopyOut(y[:B*s.m.Out.Size()])
}

// Pull implements nn.Session: weights into the Sequential's parameters, moments into m
// and v (nil skips them).
func (s *Session[T]) Pull(m, v [][]T) error {
	if s.closed {
		return ErrSessionClosed
	}
	if err := s.checkMoments(m, v); err != nil {
		return err
	}
	for _, pl := range s.planes(m, v) {
		if err := pl.buf.CopyOut(s.host); err != nil {
			return err
		}
		off := 0
		for _, t := range pl.host {
			off += copy(t, s.host[off:off+len(t)])
		}
	}
	return nil
}

// Push implements nn.Session: weights from the Sequential's parameters, moments from m
// and v (nil leaves them as they are).
func (s *Session[T]) Push(m, v [][]T) error {
	if s.closed {
		return ErrSessionClosed
	}
	if err := s.checkMoments(m, v); err != nil {
		return err
	}
	for _, pl := range s.planes(m, v) {
		off := 0
		for _, t := range pl.host {
			off += copy(s.host[off:], t)
		}
		if err := pl.buf.CopyIn(s.host); err != nil {
			return err
		}
	}
	return nil
}

// plane is one device buffer of the session's parameter layout with the host tensors it
// holds, in Params order.
type plane[T Float] struct {
	buf  *Buffer[T]
	host [][]T
}

// planes lists what Pull and Push move: the weights with the Sequential's own tensors,
// and the Adam moments with m and v where those are given.
func (s *Session[T]) planes(m, v [][]T) []plane[T] {
	params := s.m.Params()
	w := make([][]T, len(params))
	for i, p := range params {
		w[i] = p.W
	}
	pls := []plane[T]{{s.w, w}}
	if m != nil {
		pls = append(pls, plane[T]{s.mo, m})
	}
	if v != nil {
		pls = append(pls, plane[T]{s.ve, v})
	}
	return pls
}

// Close implements nn.Session: frees every buffer; safe to call twice.
func (s *Session[T]) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for _, st := range s.stages {
		st.free()
	}
	for _, b := range append(append([]*Buffer[T]{s.w, s.dw, s.mo, s.ve, s.target}, s.acts...),
		s.dActs...) {
		b.Free()
	}
	if s.loss != nil {
		s.loss.Free()
	}
	return nil
}

// forward uploads nothing: it runs every stage on acts[0].
func (s *Session[T]) forward(B int, train bool, step uint64) error {
	for i, st := range s.stages {
		err := st.forward(s.batch(s.acts, i+1, B), s.batch(s.acts, i, B), B, train, step)
		if err != nil {
			return fmt.Errorf("cuda: forward of layer %d (%s): %w", i, s.m.Names[i], err)
		}
	}
	return nil
}

func (s *Session[T]) upload(x, target []T) error {
	if err := s.acts[0].CopyIn(x); err != nil {
		return err
	}
	return s.target.CopyIn(target)
}

// batch is the first B samples of bufs[i], whose samples have shape m.Shapes[i].
func (s *Session[T]) batch(bufs []*Buffer[T], i, B int) *Buffer[T] {
	return view(bufs[i], 0, B*s.m.Shapes[i].Size())
}

// checkBatch panics on a batch the session was not sized for (programmer error, as in
// nn.Sequential.Forward); target nil skips its check.
func (s *Session[T]) checkBatch(op string, x, target []T, B int) {
	if B < 1 || B > s.m.MaxB {
		panic(fmt.Sprintf("cuda: %s: batch %d outside [1, %d]", op, B, s.m.MaxB))
	}
	if len(x) != B*s.m.In.Size() {
		panic(fmt.Sprintf("cuda: %s: x has %d values, want B*%v = %d", op, len(x), s.m.In,
			B*s.m.In.Size()))
	}
	if target != nil && len(target) != B*s.m.Out.Size() {
		panic(fmt.Sprintf("cuda: %s: target has %d values, want B*%v = %d", op, len(target),
			s.m.Out, B*s.m.Out.Size()))
	}
}

// checkMoments returns an error unless m and v (each may be nil) are shaped like Params.
func (s *Session[T]) checkMoments(m, v [][]T) error {
	for _, mv := range [][][]T{m, v} {
		if mv == nil {
			continue
		}
		if len(mv) != len(s.sizes) {
			return fmt.Errorf("cuda: %d moment tensors, want %d", len(mv), len(s.sizes))
		}
		for i, n := range s.sizes {
			if len(mv[i]) != n {
				return fmt.Errorf("cuda: moment tensor %d has %d values, want %d",
					i, len(mv[i]), n)
			}
		}
	}
	return nil
}
