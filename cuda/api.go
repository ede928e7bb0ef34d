//go:build cuda

package cuda

import (
	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/kernels"
)

// The launchers live in internal/core, written against an abstract driver so that the
// CPU emulation can run them too; these are their entry points on a Device. Their doc
// comments there give the equations and shapes.

// Float is the element type of a buffer: float32 to train, float64 for checks.
type Float = kernels.Float

// Buffer is n elements of T in device memory. It has one owner; Free releases it and is
// safe to call twice. A Buffer must not outlive its Device.
type Buffer[T Float] = core.Buffer[T]

// NewBuffer allocates n elements on d, zeroed.
func NewBuffer[T Float](d *Device, n int) (*Buffer[T], error) {
	return core.NewBuffer[T](d.driver(), n)
}

// Upload allocates a buffer holding a copy of src.
func Upload[T Float](d *Device, src []T) (*Buffer[T], error) {
	return core.Upload(d.driver(), src)
}

// Gemm queues C = alpha·op(A)·op(B) + beta·C, row-major with strides lda, ldb, ldc, the
// contract of kernels.Gemm. When beta is 0, C is only written.
func Gemm[T Float](d *Device, transA, transB bool, m, n, k int, alpha T, a *Buffer[T],
	lda int, b *Buffer[T], ldb int, beta T, c *Buffer[T], ldc int) error {
	return core.Gemm(d.driver(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// ActForward queues y = f(x) over x.Len() elements, like kernels.ActForward.
func ActForward[T Float](d *Device, a kernels.Activation, y, x *Buffer[T], alpha T) error {
	return core.ActForward(d.driver(), a, y, x, alpha)
}

// ActBackward queues dx = dy·f'(y) from the forward output y, like kernels.ActBackward.
func ActBackward[T Float](d *Device, a kernels.Activation, dx, dy, y *Buffer[T],
	alpha T) error {
	return core.ActBackward(d.driver(), a, dx, dy, y, alpha)
}

// Dropout queues inverted dropout with the mask of kernels.DropoutMask for (seed, step,
// rate), bit for bit; the same call on (dx, dy) is the backward pass.
func Dropout[T Float](d *Device, y, x *Buffer[T], rate float64, seed, step uint64) error {
	return core.Dropout(d.driver(), y, x, rate, seed, step)
}

// Adam holds the hyper-parameters of the Adam update (Keras 2.1.1's defaults: LR 0.001,
// Beta1 0.9, Beta2 0.999, Eps 1e-8) and which form to use.
type Adam = core.Adam

// AdamStep queues one Adam update at step t ≥ 1, the arithmetic of kernels.Adam.
func AdamStep[T Float](d *Device, o Adam, t int, p, g, m, v *Buffer[T]) error {
	return core.AdamStep(d.driver(), o, t, p, g, m, v)
}

// ApplyAdam queues one Adam update with an optimizer's scalars, as kernels.ApplyAdam.
func ApplyAdam[T Float](d *Device, s kernels.AdamStep, p, g, m, v *Buffer[T]) error {
	return core.ApplyAdam(d.driver(), s, p, g, m, v)
}

// ColSum queues dst[j] += Σᵢ src[i·n + j] for an m×n src: a bias gradient.
func ColSum[T Float](d *Device, dst, src *Buffer[T], m, n int) error {
	return core.ColSum(d.driver(), dst, src, m, n)
}

// MSE computes the mean squared error and its gradient, with scratch sized once.
type MSE[T Float] = core.MSE[T]

// NewMSE sizes the scratch for up to maxN elements.
func NewMSE[T Float](d *Device, maxN int) (*MSE[T], error) {
	return core.NewMSE[T](d.driver(), maxN)
}

// Conv1D is the shape of a channels-last, valid-padding 1-D convolution (Keras 2.1.1).
type Conv1D = core.Conv1D

// Conv1DForward queues y = act(conv(x, w) + bias).
func Conv1DForward[T Float](d *Device, c Conv1D, y, x, w, bias *Buffer[T], B int) error {
	return core.Conv1DForward(d.driver(), c, y, x, w, bias, B)
}

// Conv1DBackward reverses Conv1DForward: overwrites dy with the pre-activation gradient,
// adds into dw and dbias, and overwrites dx unless it is nil.
func Conv1DBackward[T Float](d *Device, c Conv1D, dx, dw, dbias, dy, y, x, w *Buffer[T],
	B int) error {
	return core.Conv1DBackward(d.driver(), c, dx, dw, dbias, dy, y, x, w, B)
}

// Loop chooses how a recurrent layer runs its time loop on the device.
type Loop = core.Loop

// The time-loop strategies; see core.Loop.
const (
	LoopAuto       = core.LoopAuto
	LoopPersistent = core.LoopPersistent
	LoopBlock      = core.LoopBlock
	LoopStep       = core.LoopStep
)

// LSTM is a Keras 2.1.1 LSTM layer over whole sequences on the device.
type LSTM[T Float] = core.LSTM[T]

// NewLSTM allocates an LSTM's caches for batches of up to maxB sequences of T steps.
func NewLSTM[T Float](d *Device, F, H, T_, maxB int) (*LSTM[T], error) {
	return core.NewLSTM[T](d.driver(), F, H, T_, maxB)
}

// GRU is a Keras GRU layer (reset before, or after with resetAfter) on the device.
type GRU[T Float] = core.GRU[T]

// NewGRU allocates a GRU's caches for batches of up to maxB sequences of T steps.
func NewGRU[T Float](d *Device, F, H, T_, maxB int, resetAfter bool) (*GRU[T], error) {
	return core.NewGRU[T](d.driver(), F, H, T_, maxB, resetAfter)
}
