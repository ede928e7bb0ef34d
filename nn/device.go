package nn

import (
	"fmt"

	"github.com/seqnn/seqnn/kernels"
)

// Device is where a model trains: the CPU (package nn's own CPU) or a GPU (package cuda,
// built with the cuda tag and wired in by cmd/demo alone, so that nn never imports it).
//
// A device holds the model's weights, activations, gradients and Adam moments for the
// whole run; per step only a batch goes in and a loss comes out. The model definition is
// the same on every device: Open reads the layers and weights of a built Sequential.
type Device[T Float] interface {
	// Name says which device this is, for logs: "cpu", "cuda:0 NVIDIA H200".
	Name() string
	// Open places model m on the device: its weights, buffers for batches of up to
	// m.MaxB, gradients and zeroed Adam moments. m stays the host copy that Pull fills.
	Open(m *Sequential[T]) (Session[T], error)
}

// Session is one model placed on a device.
//
// Every batch is row-major and in model space: x (B, In...), y and target (B, Out...).
// Errors are the device's (a failed launch, a lost driver); the CPU never returns one.
type Session[T Float] interface {
	// TrainStep runs one optimizer step: the forward pass in training mode with the
	// dropout masks of step, the MSE of the output against target, the backward pass
	// and an Adam update with scalars s on every weight. It returns the loss.
	TrainStep(x, target []T, B int, step uint64, s kernels.AdamStep) (float64, error)
	// Loss returns the MSE of the model in inference mode on one batch.
	Loss(x, target []T, B int) (float64, error)
	// Predict writes the inference-mode output for x into y (B, Out...).
	Predict(y, x []T, B int) error
	// Pull copies the weights back into the Sequential given to Open, and the Adam
	// moments into m and v (shaped like Params; nil skips them), for a checkpoint.
	Pull(m, v [][]T) error
	// Push is Pull's inverse, for a resumed run: weights from the Sequential, moments
	// from m and v.
	Push(m, v [][]T) error
	// Close frees what the session holds on the device; it is safe to call twice.
	Close() error
}

// CPU is the host device: the layers' own Forward and Backward over package kernels.
type CPU[T Float] struct{}

// Name implements Device.
func (CPU[T]) Name() string { return "cpu" }

// Open implements Device. The session trains m in place: on the host the weights need no
// copy, so Pull and Push move only the moments.
func (CPU[T]) Open(m *Sequential[T]) (Session[T], error) {
	s := &cpuSession[T]{m: m, dy: make([]T, m.MaxB*m.Out.Size())}
	for _, p := range m.Params() {
		s.params = append(s.params, p.Param)
		s.mom = append(s.mom, make([]T, len(p.W)))
		s.vel = append(s.vel, make([]T, len(p.W)))
	}
	return s, nil
}

type cpuSession[T Float] struct {
	m        *Sequential[T]
	params   []*Param[T]
	mom, vel [][]T // Adam's first and second moments, shaped like params
	dy       []T   // (MaxB, Out...) ∂L/∂y
}

func (s *cpuSession[T]) TrainStep(x, target []T, B int, step uint64, u kernels.AdamStep) (float64, error) {
	s.m.SetTraining(true)
	s.m.SetStep(step)
	y := s.m.Forward(x, B)
	dy := s.dy[:len(y)]
	loss := MSE(dy, y, target)

	s.m.ZeroGrad()
	s.m.BackwardParams(dy, B)
	for i, p := range s.params {
		kernels.ApplyAdam(p.W, p.DW, s.mom[i], s.vel[i], u)
	}
	return loss, nil
}

func (s *cpuSession[T]) Loss(x, target []T, B int) (float64, error) {
	s.m.SetTraining(false)
	return MSE(nil, s.m.Forward(x, B), target), nil
}

func (s *cpuSession[T]) Predict(y, x []T, B int) error {
	s.m.SetTraining(false)
	copy(y, s.m.Forward(x, B))
	return nil
}

func (s *cpuSession[T]) Pull(m, v [][]T) error {
	return copyMoments(m, v, s.mom, s.vel)
}

func (s *cpuSession[T]) Push(m, v [][]T) error {
	return copyMoments(s.mom, s.vel, m, v)
}

func (s *cpuSession[T]) Close() error { return nil }

// copyMoments copies moments src into dst, tensor by tensor, checking their shapes; nil
// on either side copies nothing.
func copyMoments[T Float](dstM, dstV, srcM, srcV [][]T) error {
	for _, pair := range [][2][][]T{{dstM, srcM}, {dstV, srcV}} {
		dst, src := pair[0], pair[1]
		if dst == nil || src == nil {
			continue
		}
		if len(dst) != len(src) {
			return fmt.Errorf("nn: %d moment tensors, want %d", len(src), len(dst))
		}
		for i := range dst {
			if len(dst[i]) != len(src[i]) {
				return fmt.Errorf("nn: moment tensor %d has %d values, want %d",
					i, len(src[i]), len(dst[i]))
			}
			copy(dst[i], src[i])
		}
	}
	return nil
}
