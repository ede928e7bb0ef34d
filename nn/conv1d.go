package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// Conv1D is Keras's 1-D convolution with valid padding on channels-last sequences:
//
//	y[b,t,o] = f(bias[o] + Σ_{k<K} Σ_{c<C} x[b, t·S+k, c] · kernel[k,c,o])
//
// for x (B, T, C), kernel (K, C, O) and bias (O) in Keras's layout, and y (B, T', O) with
// T' = ⌊(T-K)/S⌋ + 1; input steps after the last full window are ignored, as in Keras.
// The kernel starts glorot_uniform with Keras's receptive-field fans, fan_in = K·C and
// fan_out = K·O; the bias starts at zero. The arithmetic is kernels.Conv1DForward and
// kernels.Conv1DBackward.
type Conv1D[T Float] struct {
	Filters, Kernel, Stride int
	Act                     kernels.Activation

	kernel, bias *Param[T]
	params       []*Param[T] // kernel, bias: Params allocates nothing per step
	steps, ch    int         // T, C of the input
	outT         int         // T'
	alpha        T

	x  []T // (maxB, T, C) the last input, kept for dW
	a  []T // (maxB, T', O) the last output
	dz []T // (maxB, T', O) ∂L/∂(pre-activation)
}

// NewConv1D returns a Conv1D layer with filters outputs per step, kernel width kernel and
// the given stride, followed by activation act (LeakyReLU takes Keras's slope 0.3).
func NewConv1D[T Float](filters, kernel, stride int, act kernels.Activation) *Conv1D[T] {
	return &Conv1D[T]{Filters: filters, Kernel: kernel, Stride: stride, Act: act, alpha: 0.3}
}

func (l *Conv1D[T]) Kind() string { return "conv1d" }

func (l *Conv1D[T]) Build(in Shape, maxB int, rng *rand.Rand) (Shape, error) {
	K, S, O := l.Kernel, l.Stride, l.Filters
	if K < 1 || S < 1 || O < 1 {
		return nil, fmt.Errorf("conv1d: filters %d, kernel %d, stride %d: "+
			"each must be at least 1", O, K, S)
	}
	if len(in) != 2 || in[0] < 1 || in[1] < 1 {
		return nil, fmt.Errorf("conv1d: input shape %v: want a sequence (T, C)", in)
	}
	if in[0] < K {
		return nil, fmt.Errorf("conv1d: %d input steps are fewer than the kernel width %d "+
			"(valid padding needs T >= K)", in[0], K)
	}
	l.steps, l.ch = in[0], in[1]
	l.outT = kernels.Conv1DOutLen(l.steps, K, S)
	C := l.ch
	l.kernel = newParam[T]("kernel", K, C, O)
	l.bias = newParam[T]("bias", O)
	l.params = []*Param[T]{l.kernel, l.bias}
	glorotUniform(rng, l.kernel.W, K*C, K*O)
	l.x = make([]T, maxB*l.steps*C)
	l.a = make([]T, maxB*l.outT*O)
	l.dz = make([]T, maxB*l.outT*O)
	return Shape{l.outT, O}, nil
}

// Forward sets y (B, T', O) from x (B, T, C).
func (l *Conv1D[T]) Forward(y, x []T, B int) {
	nIn, nOut := l.steps*l.ch, l.outT*l.Filters
	checkIO("conv1d", len(y), len(x), B, nOut, nIn)
	xs, a := l.x[:B*nIn], l.a[:B*nOut]
	copy(xs, x)
	kernels.Conv1DForward(a, xs, l.kernel.W, l.bias.W, B, l.steps, l.ch, l.Kernel,
		l.Stride, l.Filters)
	if l.Act != kernels.Linear {
		actForward(l.Act, a, a, l.alpha)
	}
	copy(y, a)
}

// Backward takes dy (B, T', O), forms dz = dy ⊙ f'(z) and passes it to
// kernels.Conv1DBackward, which adds into the kernel and bias gradients and writes
// dx (B, T, C).
func (l *Conv1D[T]) Backward(dx, dy []T, B int) {
	nIn, nOut := l.steps*l.ch, l.outT*l.Filters
	checkIO("conv1d", len(dy), len(dx), B, nOut, nIn)
	dz := dy
	if l.Act != kernels.Linear {
		dz = l.dz[:B*nOut]
		actBackward(l.Act, dz, dy, l.a[:B*nOut], l.alpha)
	}
	kernels.Conv1DBackward(dx, l.kernel.DW, l.bias.DW, dz, l.x[:B*nIn], l.kernel.W,
		B, l.steps, l.ch, l.Kernel, l.Stride, l.Filters)
}

func (l *Conv1D[T]) Params() []*Param[T] { return l.params }
