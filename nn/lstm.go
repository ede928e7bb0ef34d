package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// LSTM is a long short-term memory layer as Keras 2.1.1 defines it (keras.layers.LSTM with
// return_sequences=False and a zero initial state): it reads a sequence x (T, F) per
// sample and returns the last hidden state h_{T-1} (H).
//
// Gate order i, f, c, o (Keras 2.1.1 and PyTorch agree on it). With ra the
// RecurrentActivation and act the Activation, each step computes
//
//	i = ra(x_t W_i + h_{t-1} U_i + b_i)
//	f = ra(x_t W_f + h_{t-1} U_f + b_f)
//	c_t = f⊙c_{t-1} + i⊙act(x_t W_c + h_{t-1} U_c + b_c)
//	o = ra(x_t W_o + h_{t-1} U_o + b_o)
//	h_t = o⊙act(c_t)
//
// from h_{-1} = c_{-1} = 0. Parameters, in Keras layout and order:
//
//	kernel            W (F, 4H)   glorot_uniform
//	recurrent_kernel  U (H, 4H)   orthogonal
//	bias              b (4H)      zeros, with the forget slice [H, 2H) set to 1
//	                              (Keras's unit_forget_bias=True)
//
// RecurrentActivation defaults to kernels.HardSigmoid, clip(0.2x + 0.5, 0, 1), Keras
// 2.1.1's default; kernels.Sigmoid gives the PyTorch and cuDNN LSTM. PyTorch stores W and U
// transposed and splits b into b_ih + b_hh; converting weights is the loader's job.
//
// Forward projects the inputs of all steps with one matrix product, x (T·B, F) × W, then
// per step adds h_{t-1} U with one product and finishes the gates with
// kernels.LSTMGatesForward. Backward runs the steps in reverse with
// kernels.LSTMGatesBackward and one product dh_{t-1} = dz Uᵀ per step, then forms dW, dU
// and db with one product each over all steps.
type LSTM[T Float] struct {
	Units               int                // H
	RecurrentActivation kernels.Activation // ra; default HardSigmoid (Keras 2.1.1)
	Activation          kernels.Activation // act; default Tanh

	kernel, recurrentKernel, bias *Param[T]

	steps, features, maxB int // T, F, and the largest batch Build sized for

	// The last Forward's values, time-major, for Backward. Sized for maxB; a batch of
	// B < maxB uses the first T·B rows.
	xT    []T // (T, B, F) the input
	gates []T // (T, B, 4H) gate activations i, f, g, o
	c     []T // (T, B, H) cell states c_t
	actC  []T // (T, B, H) act(c_t)
	h     []T // (T, B, H) hidden states h_t
	zero  []T // (B, H) the initial state h_{-1} = c_{-1}

	dgates []T // (T, B, 4H) ∂L/∂z, gradient of the gate pre-activations
	dh     []T // (B, H) ∂L/∂h_t of the step being differentiated
	dc     []T // (B, H) ∂L/∂c_t carried back from later steps
	dxT    []T // (T, B, F) ∂L/∂x, time-major
	ones   []T // (T·B) all ones: db = onesᵀ dz
	uT     []T // (4H, H) Uᵀ, so that dh_{t-1} = dz Uᵀ is a product kernels.Gemm runs fast
	wT     []T // (4H, F) Wᵀ, likewise for dx = dz Wᵀ
}

// NewLSTM returns an LSTM layer of units hidden units with Keras 2.1.1's defaults. Set the
// option fields before Build.
func NewLSTM[T Float](units int) *LSTM[T] {
	return &LSTM[T]{
		Units:               units,
		RecurrentActivation: kernels.HardSigmoid,
		Activation:          kernels.Tanh,
	}
}

// Kind is Keras's layer name for an LSTM.
func (l *LSTM[T]) Kind() string { return "lstm" }

// Build checks that in is (T, F), creates the parameters with Keras 2.1.1's initializers,
// drawn from rng in the order kernel, recurrent_kernel, and sizes every buffer for
// batches of up to maxB. The output shape is (H).
func (l *LSTM[T]) Build(in Shape, maxB int, rng *rand.Rand) (Shape, error) {
	err := checkRecurrent(in, l.Units, maxB, l.RecurrentActivation, l.Activation)
	if err != nil {
		return nil, err
	}
	steps, F, H := in[0], in[1], l.Units
	l.steps, l.features, l.maxB = steps, F, maxB

	l.kernel = newParam[T]("kernel", F, 4*H)
	l.recurrentKernel = newParam[T]("recurrent_kernel", H, 4*H)
	l.bias = newParam[T]("bias", 4*H)
	glorotUniform(rng, l.kernel.W, F, 4*H)
	orthogonal(rng, l.recurrentKernel.W, H, 4*H)
	for j := H; j < 2*H; j++ {
		l.bias.W[j] = 1 // unit_forget_bias
	}

	n := steps * maxB
	l.xT, l.dxT = make([]T, n*F), make([]T, n*F)
	l.gates, l.dgates = make([]T, n*4*H), make([]T, n*4*H)
	l.c, l.actC, l.h = make([]T, n*H), make([]T, n*H), make([]T, n*H)
	l.zero, l.dh, l.dc = make([]T, maxB*H), make([]T, maxB*H), make([]T, maxB*H)
	l.ones = ones[T](n)
	l.uT, l.wT = make([]T, 4*H*H), make([]T, 4*H*F)
	return Shape{H}, nil
}

// Forward sets y (B, H) to the last hidden state of each sequence in x (B, T, F).
func (l *LSTM[T]) Forward(y, x []T, B int) {
	steps, F, H := l.steps, l.features, l.Units
	checkRecurrentCall("LSTM.Forward", B, l.maxB, len(x), B*steps*F, len(y), B*H)
	toTimeMajor(l.xT, x, B, steps, F)

	// z = x W for all steps at once; the bias is added in the gate kernel.
	kernels.Gemm(false, false, steps*B, 4*H, F, 1, l.xT, F, l.kernel.W, 4*H,
		0, l.gates, 4*H)

	U := l.recurrentKernel.W
	for t := range steps {
		g := atStep(l.gates, t, B*4*H)
		c, actC, h := atStep(l.c, t, B*H), atStep(l.actC, t, B*H), atStep(l.h, t, B*H)
		cPrev := prevStep(l.c, l.zero, t, B*H)
		if t > 0 {
			hPrev := atStep(l.h, t-1, B*H)
			kernels.GemmSerial(false, false, B, 4*H, H, 1, hPrev, H, U, 4*H, 1, g, 4*H)
		}
		kernels.LSTMGatesForward(g, c, actC, h, cPrev, l.bias.W, B, H,
			l.RecurrentActivation, l.Activation)
	}
	copy(y, atStep(l.h, steps-1, B*H))
}

// Backward adds the parameter gradients for dy = ∂L/∂y (B, H) into their DW and, unless
// dx is nil, sets dx (B, T, F) to ∂L/∂x.
func (l *LSTM[T]) Backward(dx, dy []T, B int) {
	steps, F, H := l.steps, l.features, l.Units
	checkRecurrentBackward("LSTM.Backward", B, l.maxB, dx, dy, B*steps*F, B*H)
	dh, dc := l.dh[:B*H], l.dc[:B*H]
	copy(dh, dy)
	clear(dc)

	transpose(l.uT, l.recurrentKernel.W, H, 4*H)
	for t := steps - 1; t >= 0; t-- {
		dg := atStep(l.dgates, t, B*4*H)
		cPrev := prevStep(l.c, l.zero, t, B*H)
		kernels.LSTMGatesBackward(dg, dc, dh, atStep(l.gates, t, B*4*H), cPrev,
			atStep(l.actC, t, B*H), B, H, l.RecurrentActivation, l.Activation)
		if t > 0 {
			kernels.GemmSerial(false, false, B, H, 4*H, 1, dg, 4*H, l.uT, H, 0, dh, H)
		}
	}

	// dW = xᵀ dz, dU = h_{t-1}ᵀ dz_t summed over t ≥ 1 (h_{-1} = 0), db = Σ dz.
	dz := l.dgates[:steps*B*4*H]
	kernels.Gemm(true, false, F, 4*H, steps*B, 1, l.xT, F, dz, 4*H, 1, l.kernel.DW, 4*H)
	if steps > 1 {
		kernels.Gemm(true, false, H, 4*H, (steps-1)*B, 1, l.h, H, dz[B*4*H:], 4*H,
			1, l.recurrentKernel.DW, 4*H)
	}
	kernels.Gemm(false, false, 1, 4*H, steps*B, 1, l.ones, steps*B, dz, 4*H,
		1, l.bias.DW, 4*H)

	if dx != nil {
		transpose(l.wT, l.kernel.W, F, 4*H)
		kernels.Gemm(false, false, steps*B, F, 4*H, 1, dz, 4*H, l.wT, F, 0, l.dxT, F)
		toBatchMajor(dx, l.dxT, B, steps, F)
	}
}

// Params lists kernel, recurrent_kernel and bias.
func (l *LSTM[T]) Params() []*Param[T] {
	return []*Param[T]{l.kernel, l.recurrentKernel, l.bias}
}

// checkRecurrent validates the configuration of a recurrent layer at Build.
func checkRecurrent(in Shape, units, maxB int, acts ...kernels.Activation) error {
	if len(in) != 2 || in[0] < 1 || in[1] < 1 {
		return fmt.Errorf("input shape %v: want (T, F) with T, F ≥ 1", in)
	}
	if units < 1 {
		return fmt.Errorf("%d units: want at least 1", units)
	}
	if maxB < 1 {
		return fmt.Errorf("batch size %d: want at least 1", maxB)
	}
	for _, a := range acts {
		if _, err := kernels.ParseActivation(a.String()); err != nil {
			return err
		}
	}
	return nil
}

// checkRecurrentCall panics on a Forward or Backward whose batch or buffers do not match
// what Build sized.
func checkRecurrentCall(op string, B, maxB, lenIn, wantIn, lenOut, wantOut int) {
	if B < 1 || B > maxB {
		panic(fmt.Sprintf("nn: %s: batch %d outside [1, %d]", op, B, maxB))
	}
	if lenIn != wantIn || lenOut != wantOut {
		panic(fmt.Sprintf("nn: %s: buffers of %d and %d values, want %d and %d",
			op, lenIn, lenOut, wantIn, wantOut))
	}
}

// checkRecurrentBackward is checkRecurrentCall for Backward, where dx may be nil.
func checkRecurrentBackward[T Float](op string, B, maxB int, dx, dy []T, wantX, wantY int) {
	lenX := len(dx)
	if dx == nil {
		lenX = wantX
	}
	checkRecurrentCall(op, B, maxB, lenX, wantX, len(dy), wantY)
}

// ones returns n ones, the vector whose product with dz sums it over steps and samples.
func ones[T Float](n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// atStep returns step t's block of n values in a time-major buffer (T, n).
func atStep[T Float](buf []T, t, n int) []T {
	return buf[t*n : (t+1)*n]
}

// prevStep returns step t-1's block of n values in a time-major buffer (T, n), or the
// first n values of zero, the initial state, at t = 0.
func prevStep[T Float](buf, zero []T, t, n int) []T {
	if t == 0 {
		return zero[:n]
	}
	return atStep(buf, t-1, n)
}

// transpose sets dst (cols, rows) to src (rows, cols) transposed.
func transpose[T Float](dst, src []T, rows, cols int) {
	for i := range rows {
		for j, v := range src[i*cols : (i+1)*cols] {
			dst[j*rows+i] = v
		}
	}
}

// toTimeMajor copies x (B, steps, F) into dst (T, B, F).
func toTimeMajor[T Float](dst, x []T, B, steps, F int) {
	for b := range B {
		for t := range steps {
			copy(dst[(t*B+b)*F:(t*B+b+1)*F], x[(b*steps+t)*F:(b*steps+t+1)*F])
		}
	}
}

// toBatchMajor copies src (T, B, F) into dx (B, steps, F).
func toBatchMajor[T Float](dx, src []T, B, steps, F int) {
	for b := range B {
		for t := range steps {
			copy(dx[(b*steps+t)*F:(b*steps+t+1)*F], src[(t*B+b)*F:(t*B+b+1)*F])
		}
	}
}
