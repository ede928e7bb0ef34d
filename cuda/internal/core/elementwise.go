//go:build cuda

package core

import (
	"fmt"
	"math"

	"github.com/seqnn/seqnn/kernels"
)

// ActForward queues y[i] = f(x[i]) for the first n = x.Len() elements, like
// kernels.ActForward; alpha is LeakyReLU's slope. y may be x.
func ActForward[T Float](d Driver, a kernels.Activation, y, x *Buffer[T], alpha T) error {
	n := x.Len()
	need("ActForward", "y", y, n)
	return launch(d, "act_fwd"+suffix[T](), linear(n), y.ptr, x.ptr, n, int(a), alpha)
}

// ActBackward queues dx[i] = dy[i]·f'(x[i]) from the forward output y, like
// kernels.ActBackward. dx may be dy.
func ActBackward[T Float](d Driver, a kernels.Activation, dx, dy, y *Buffer[T],
	alpha T) error {
	n := y.Len()
	need("ActBackward", "dx", dx, n)
	need("ActBackward", "dy", dy, n)
	return launch(d, "act_bwd"+suffix[T](), linear(n), dx.ptr, dy.ptr, y.ptr, n, int(a), alpha)
}

// Dropout queues inverted dropout, y[i] = x[i]·mask[i] with mask[i] = 1/(1-rate) where
// element i is kept and 0 where it is dropped, the mask of kernels.DropoutMask for
// (seed, step, rate) bit for bit: the kernel hashes (kernels.DropoutKey(seed, step), i)
// with the recipe documented in kernels/dropout.go and compares against
// kernels.DropoutThreshold(rate). i is the flat index into x. The backward pass is the same
// call on (dx, dy) with the same seed and step: the mask is recomputed, never stored.
func Dropout[T Float](d Driver, y, x *Buffer[T], rate float64, seed, step uint64) error {
	n := x.Len()
	need("Dropout", "y", y, n)
	thr := kernels.DropoutThreshold(rate)
	scale := T(1 / (1 - rate))
	return launch(d, "dropout"+suffix[T](), linear(n), y.ptr, x.ptr, n,
		kernels.DropoutKey(seed, step), thr, scale)
}

// Adam holds the hyper-parameters of the Adam update. Keras 2.1.1's defaults are
// LR 0.001, Beta1 0.9, Beta2 0.999, Eps 1e-8; PyTorch uses the same numbers.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	PyTorch               bool // PyTorch's form instead of Keras's; see AdamStep
}

// AdamStep queues one Adam update at step t ≥ 1 over every element of p, the arithmetic
// of kernels.Adam operation for operation:
//
//	m = β1·m + (1-β1)·g     v = β2·v + (1-β2)·g²
//	Keras 2.1.1: lr_t = lr·√(1-β2ᵗ)/(1-β1ᵗ)   p -= lr_t·m/(√v + ε)
//	PyTorch:     p -= lr·m̂/(√v̂ + ε)           m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)
//
// The bias corrections are computed in float64 on the host.
func AdamStep[T Float](d Driver, o Adam, t int, p, g, m, v *Buffer[T]) error {
	if t < 1 {
		panic(fmt.Sprintf("cuda: AdamStep: step %d must be ≥ 1", t))
	}
	c1 := 1 - math.Pow(o.Beta1, float64(t))
	c2 := 1 - math.Pow(o.Beta2, float64(t))
	s := kernels.AdamStep{Beta1: o.Beta1, Beta2: o.Beta2, Alpha: o.LR * math.Sqrt(c2) / c1,
		VScale: 1, Eps: o.Eps}
	if o.PyTorch {
		s.Alpha, s.VScale = o.LR/c1, math.Sqrt(c2)
	}
	return ApplyAdam(d, s, p, g, m, v)
}

// ApplyAdam queues one Adam update with the scalars of s (an optimizer's Advance) over
// every element of p, rounding them to T as kernels.Adam does.
func ApplyAdam[T Float](d Driver, s kernels.AdamStep, p, g, m, v *Buffer[T]) error {
	n := p.Len()
	need("AdamStep", "m", m, n)
	need("AdamStep", "v", v, n)
	need("AdamStep", "g", g, n)
	return launch(d, "adam"+suffix[T](), linear(n), p.ptr, g.ptr, m.ptr, v.ptr, n,
		T(s.Beta1), T(s.Beta2), T(1-s.Beta1), T(1-s.Beta2), T(s.Alpha), T(s.VScale), T(s.Eps))
}

// ColSum queues dst[j] += Σᵢ src[i·n + j] for an m×n src: a bias gradient from the
// gradient of a layer's pre-activations.
func ColSum[T Float](d Driver, dst, src *Buffer[T], m, n int) error {
	return colSumAt(d, dst, 0, src, m, n)
}

// colSumAt is ColSum into dst starting at element odst.
func colSumAt[T Float](d Driver, dst *Buffer[T], odst int, src *Buffer[T], m, n int) error {
	positive("ColSum", m, n)
	need("ColSum", "dst", dst, odst+n)
	need("ColSum", "src", src, m*n)
	return launch(d, "colsum"+suffix[T](), cfg{gx: (n + 127) / 128, gy: 1, bx: 128, by: 1},
		dst.at(odst), src.ptr, m, n)
}

// fillRows queues dst[i, j] = bias[j] for an m×n dst.
func fillRows[T Float](d Driver, dst *Buffer[T], bias *Buffer[T], obias, m, n int) error {
	need("fillRows", "dst", dst, m*n)
	need("fillRows", "bias", bias, obias+n)
	return launch(d, "fill_rows"+suffix[T](), linear(m*n), dst.ptr, bias.at(obias), m, n)
}

// copyRows queues dst[i·ldd + j] = src[i·lds + j] for i < m, j < n: gathers one step of
// a (B, T, H) sequence into (B, H), or scatters it back.
func copyRows[T Float](d Driver, dst *Buffer[T], ldd int, src *Buffer[T], lds, m, n int) error {
	positive("copyRows", m, n)
	need("copyRows", "dst", dst, (m-1)*ldd+n)
	need("copyRows", "src", src, (m-1)*lds+n)
	return launch(d, "copy_rows"+suffix[T](), linear(m*n), dst.ptr, ldd, src.ptr, lds, m, n)
}

// MSE computes the mean squared error and its gradient, with scratch sized once.
type MSE[T Float] struct {
	d      Driver
	sq     *Buffer[float64] // (n) squared errors, in float64 as kernels.MSE accumulates
	part   *Buffer[float64] // (blocks + 1) partial sums, then the total
	host   []float64        // the total, copied back
	maxN   int
	blocks int
}

const sumChunk = 4096 // elements per block in the first pass of the loss sum

// NewMSE sizes the scratch for up to maxN elements.
func NewMSE[T Float](d Driver, maxN int) (*MSE[T], error) {
	positive("NewMSE", maxN)
	l := &MSE[T]{d: d, maxN: maxN, blocks: (maxN + sumChunk - 1) / sumChunk,
		host: make([]float64, 1)}
	var err error
	if l.sq, err = NewBuffer[float64](d, maxN); err != nil {
		return nil, err
	}
	if l.part, err = NewBuffer[float64](d, l.blocks+1); err != nil {
		l.Free()
		return nil, err
	}
	return l, nil
}

// Forward returns L = (1/n)·Σ(p - y)² over n = p.Len() elements and writes
// dp = ∂L/∂p = 2(p - y)/n, like kernels.MSE: differences, squares and the sum in float64.
// The sum runs in two fixed-order passes, so it is deterministic but ordered differently
// from the CPU's serial sum. It waits for the device to copy L back.
func (l *MSE[T]) Forward(dp, p, y *Buffer[T]) (float64, error) {
	if err := l.queue(dp, p, y); err != nil {
		return 0, err
	}
	return l.read(p.Len())
}

// queue is Forward without the wait: the total stays on the device until read.
func (l *MSE[T]) queue(dp, p, y *Buffer[T]) error {
	n := p.Len()
	if n > l.maxN {
		panic(fmt.Sprintf("cuda: MSE.Forward: %d elements, sized for %d", n, l.maxN))
	}
	need("MSE.Forward", "dp", dp, n)
	need("MSE.Forward", "y", y, n)
	err := launch(l.d, "mse"+suffix[T](), linear(n), dp.ptr, l.sq.ptr, p.ptr, y.ptr, n,
		2/float64(n))
	if err != nil {
		return err
	}
	blocks := (n + sumChunk - 1) / sumChunk
	one := cfg{gx: blocks, gy: 1, bx: 256, by: 1, smem: 256 * 8}
	if err := launch(l.d, "sum_partial_f64", one, l.part.ptr, l.sq.ptr, n, sumChunk); err != nil {
		return err
	}
	fin := cfg{gx: 1, gy: 1, bx: 256, by: 1, smem: 256 * 8}
	return launch(l.d, "sum_partial_f64", fin, l.part.at(l.blocks), l.part.ptr, blocks, blocks)
}

// read waits for the queued work and returns the last queued loss over n elements.
func (l *MSE[T]) read(n int) (float64, error) {
	if err := view(l.part, l.blocks, 1).CopyOut(l.host); err != nil {
		return 0, err
	}
	return l.host[0] / float64(n), nil
}

// Free releases the scratch; safe to call twice.
func (l *MSE[T]) Free() {
	l.sq.Free()
	l.part.Free()
}
