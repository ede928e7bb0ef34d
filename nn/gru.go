package nn

import (
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// GRU is a gated recurrent unit layer as Keras defines it (keras.layers.GRU with
// return_sequences=False and a zero initial state): it reads a sequence x (T, F) per
// sample and returns the last hidden state h_{T-1} (H).
//
// Gate order z (update), r (reset), h (candidate), as Keras stores them; PyTorch orders
// r, z, n. With ra the RecurrentActivation and act the Activation, each step computes,
// from h_{-1} = 0,
//
//	z = ra(x_t W_z + h_{t-1} U_z + b_z)
//	r = ra(x_t W_r + h_{t-1} U_r + b_r)
//	hh = act(x_t W_h + (r⊙h_{t-1}) U_h + b_h)                    ResetAfter = false
//	hh = act(x_t W_h + b_h + r⊙(h_{t-1} U_h + b'_h))             ResetAfter = true
//	h_t = z⊙h_{t-1} + (1-z)⊙hh
//
// ResetAfter false (the default) is Keras 2.1.1's GRU. ResetAfter true is the form of
// PyTorch, cuDNN and Keras 2.2's reset_after=True, which keeps a second, recurrent bias
// b'; z and r then see b + b'. Parameters, in Keras layout and order:
//
//	kernel            W (F, 3H)   glorot_uniform
//	recurrent_kernel  U (H, 3H)   orthogonal
//	bias              b (3H)      zeros; with ResetAfter (2, 3H), row 0 b, row 1 b'
//	                              (Keras 2.2's layout)
//
// RecurrentActivation defaults to kernels.HardSigmoid (Keras 2.1.1); kernels.Sigmoid gives
// the PyTorch and cuDNN GRU.
//
// Forward projects the inputs of all steps with one matrix product. Per step, reset
// before needs two recurrent products, h_{t-1} U_zr for z and r, then (r⊙h_{t-1}) U_h;
// reset after needs one, h_{t-1} U. Backward mirrors that per step and forms dW, db and dU
// with one product each over all steps (two for dU with reset before, whose z, r and h
// columns have different left factors, h_{t-1} and r⊙h_{t-1}).
type GRU[T Float] struct {
	Units               int                // H
	RecurrentActivation kernels.Activation // ra; default HardSigmoid (Keras 2.1.1)
	Activation          kernels.Activation // act; default Tanh
	ResetAfter          bool               // default false (Keras 2.1.1)

	kernel, recurrentKernel, bias *Param[T]

	steps, features, maxB int // T, F, and the largest batch Build sized for

	// The last Forward's values, time-major, for Backward. Sized for maxB; a batch of
	// B < maxB uses the first T·B rows.
	xT    []T // (T, B, F) the input
	gates []T // (T, B, 3H) gate activations z, r, hh
	h     []T // (T, B, H) hidden states h_t
	rh    []T // (T, B, H) r⊙h_{t-1} (reset before) or h_{t-1} U_h + b'_h (reset after)
	rec   []T // (B, 3H) h_{t-1} U of the current step (reset after)
	zero  []T // (B, H) the initial state h_{-1}

	dgates []T // (T, B, 3H) ∂L/∂(x_t W + b), gradient of the input-side pre-activations
	drec   []T // (T, B, 3H) ∂L/∂(h_{t-1} U + b'), recurrent side (reset after)
	dh     []T // (B, H) ∂L/∂h_t of the step being differentiated
	drh    []T // (B, H) ∂L/∂(r⊙h_{t-1}) (reset before)
	dxT    []T // (T, B, F) ∂L/∂x, time-major
	ones   []T // (T·B) all ones: db = onesᵀ dz
	uT     []T // (3H, H) Uᵀ, so that products with Uᵀ run on kernels.Gemm's fast path
	wT     []T // (3H, F) Wᵀ, likewise for dx = dz Wᵀ
}

// NewGRU returns a GRU layer of units hidden units with Keras 2.1.1's defaults. Set the
// option fields before Build.
func NewGRU[T Float](units int) *GRU[T] {
	return &GRU[T]{
		Units:               units,
		RecurrentActivation: kernels.HardSigmoid,
		Activation:          kernels.Tanh,
	}
}

// Kind is Keras's layer name for a GRU.
func (l *GRU[T]) Kind() string { return "gru" }

// Build checks that in is (T, F), creates the parameters with Keras's initializers, drawn
// from rng in the order kernel, recurrent_kernel, and sizes every buffer for batches of
// up to maxB. The output shape is (H).
func (l *GRU[T]) Build(in Shape, maxB int, rng *rand.Rand) (Shape, error) {
	err := checkRecurrent(in, l.Units, maxB, l.RecurrentActivation, l.Activation)
	if err != nil {
		return nil, err
	}
	steps, F, H := in[0], in[1], l.Units
	l.steps, l.features, l.maxB = steps, F, maxB

	l.kernel = newParam[T]("kernel", F, 3*H)
	l.recurrentKernel = newParam[T]("recurrent_kernel", H, 3*H)
	if l.ResetAfter {
		l.bias = newParam[T]("bias", 2, 3*H)
	} else {
		l.bias = newParam[T]("bias", 3*H)
	}
	glorotUniform(rng, l.kernel.W, F, 3*H)
	orthogonal(rng, l.recurrentKernel.W, H, 3*H)

	n := steps * maxB
	l.xT, l.dxT = make([]T, n*F), make([]T, n*F)
	l.gates, l.dgates = make([]T, n*3*H), make([]T, n*3*H)
	l.h, l.rh = make([]T, n*H), make([]T, n*H)
	l.zero, l.dh = make([]T, maxB*H), make([]T, maxB*H)
	if l.ResetAfter {
		l.rec, l.drec = make([]T, maxB*3*H), make([]T, n*3*H)
	} else {
		l.drh = make([]T, maxB*H)
	}
	l.ones = ones[T](n)
	l.uT, l.wT = make([]T, 3*H*H), make([]T, 3*H*F)
	return Shape{H}, nil
}

// Forward sets y (B, H) to the last hidden state of each sequence in x (B, T, F).
func (l *GRU[T]) Forward(y, x []T, B int) {
	steps, F, H := l.steps, l.features, l.Units
	checkRecurrentCall("GRU.Forward", B, l.maxB, len(x), B*steps*F, len(y), B*H)
	toTimeMajor(l.xT, x, B, steps, F)

	// x W for all steps at once; the biases are added in the gate kernels.
	kernels.Gemm(false, false, steps*B, 3*H, F, 1, l.xT, F, l.kernel.W, 3*H,
		0, l.gates, 3*H)

	for t := range steps {
		hPrev := prevStep(l.h, l.zero, t, B*H)
		if l.ResetAfter {
			l.forwardAfter(t, hPrev, B)
		} else {
			l.forwardBefore(t, hPrev, B)
		}
	}
	copy(y, atStep(l.h, steps-1, B*H))
}

// forwardBefore runs step t with the reset gate applied before the recurrent product.
func (l *GRU[T]) forwardBefore(t int, hPrev []T, B int) {
	H, U := l.Units, l.recurrentKernel.W
	g, rh := atStep(l.gates, t, B*3*H), atStep(l.rh, t, B*H)

	// z and r columns += h_{t-1} U_zr; at t = 0, h_{-1} = 0 and r⊙h_{-1} = 0.
	if t > 0 {
		kernels.GemmSerial(false, false, B, 2*H, H, 1, hPrev, H, U, 3*H, 1, g, 3*H)
	}
	kernels.GRUForwardZR(g, rh, hPrev, l.bias.W, B, H, l.RecurrentActivation)
	if t > 0 {
		kernels.GemmSerial(false, false, B, H, H, 1, rh, H, U[2*H:], 3*H, 1, g[2*H:], 3*H)
	}
	kernels.GRUForwardH(g, atStep(l.h, t, B*H), hPrev, l.bias.W, B, H, l.Activation)
}

// forwardAfter runs step t with the reset gate applied after the recurrent product.
func (l *GRU[T]) forwardAfter(t int, hPrev []T, B int) {
	H, U := l.Units, l.recurrentKernel.W
	rec := l.rec[:B*3*H]
	if t > 0 {
		kernels.GemmSerial(false, false, B, 3*H, H, 1, hPrev, H, U, 3*H, 0, rec, 3*H)
	} else {
		clear(rec)
	}
	kernels.GRUResetAfterForward(atStep(l.gates, t, B*3*H), atStep(l.rh, t, B*H),
		atStep(l.h, t, B*H), rec, hPrev, l.bias.W, B, H,
		l.RecurrentActivation, l.Activation)
}

// Backward adds the parameter gradients for dy = ∂L/∂y (B, H) into their DW and, unless
// dx is nil, sets dx (B, T, F) to ∂L/∂x.
func (l *GRU[T]) Backward(dx, dy []T, B int) {
	steps, F, H := l.steps, l.features, l.Units
	checkRecurrentBackward("GRU.Backward", B, l.maxB, dx, dy, B*steps*F, B*H)
	copy(l.dh[:B*H], dy)
	transpose(l.uT, l.recurrentKernel.W, H, 3*H)

	for t := steps - 1; t >= 0; t-- {
		hPrev := prevStep(l.h, l.zero, t, B*H)
		if l.ResetAfter {
			l.backwardAfter(t, hPrev, B)
		} else {
			l.backwardBefore(t, hPrev, B)
		}
	}

	// dW = xᵀ dz and db = Σ dz over all steps and samples.
	n, dz, dU := steps*B, l.dgates[:steps*B*3*H], l.recurrentKernel.DW
	kernels.Gemm(true, false, F, 3*H, n, 1, l.xT, F, dz, 3*H, 1, l.kernel.DW, 3*H)
	kernels.Gemm(false, false, 1, 3*H, n, 1, l.ones, n, dz, 3*H, 1, l.bias.DW, 3*H)

	if l.ResetAfter {
		// dU = Σ_{t≥1} h_{t-1}ᵀ drec_t (h_{-1} = 0) and db' = Σ drec.
		drec := l.drec[:n*3*H]
		if steps > 1 {
			kernels.Gemm(true, false, H, 3*H, n-B, 1, l.h, H, drec[B*3*H:], 3*H,
				1, dU, 3*H)
		}
		kernels.Gemm(false, false, 1, 3*H, n, 1, l.ones, n, drec, 3*H,
			1, l.bias.DW[3*H:], 3*H)
	} else {
		// dU_zr = Σ_{t≥1} h_{t-1}ᵀ dz_zr,t and dU_h = Σ_t (r⊙h_{t-1})ᵀ dz_h,t.
		if steps > 1 {
			kernels.Gemm(true, false, H, 2*H, n-B, 1, l.h, H, dz[B*3*H:], 3*H,
				1, dU, 3*H)
		}
		kernels.Gemm(true, false, H, H, n, 1, l.rh, H, dz[2*H:], 3*H, 1, dU[2*H:], 3*H)
	}

	if dx != nil {
		transpose(l.wT, l.kernel.W, F, 3*H)
		kernels.Gemm(false, false, n, F, 3*H, 1, dz, 3*H, l.wT, F, 0, l.dxT, F)
		toBatchMajor(dx, l.dxT, B, steps, F)
	}
}

// backwardBefore differentiates forwardBefore at step t, turning dh = ∂L/∂h_t into
// ∂L/∂h_{t-1} in place.
func (l *GRU[T]) backwardBefore(t int, hPrev []T, B int) {
	H, uT := l.Units, l.uT
	g, dg := atStep(l.gates, t, B*3*H), atStep(l.dgates, t, B*3*H)
	dh, drh := l.dh[:B*H], l.drh[:B*H]

	kernels.GRUBackwardH(dg, dh, dh, g, hPrev, B, H, l.RecurrentActivation, l.Activation)
	// drh = dz_h U_hᵀ, the gradient of r⊙h_{t-1}.
	kernels.GemmSerial(false, false, B, H, H, 1, dg[2*H:], 3*H, uT[2*H*H:], H, 0, drh, H)
	kernels.GRUBackwardR(dg, dh, drh, g, hPrev, B, H, l.RecurrentActivation)
	if t > 0 {
		kernels.GemmSerial(false, false, B, H, 2*H, 1, dg, 3*H, uT, H, 1, dh, H)
	}
}

// backwardAfter differentiates forwardAfter at step t, turning dh = ∂L/∂h_t into
// ∂L/∂h_{t-1} in place.
func (l *GRU[T]) backwardAfter(t int, hPrev []T, B int) {
	H := l.Units
	dh, drec := l.dh[:B*H], atStep(l.drec, t, B*3*H)

	kernels.GRUResetAfterBackward(atStep(l.dgates, t, B*3*H), drec, dh, dh,
		atStep(l.gates, t, B*3*H), atStep(l.rh, t, B*H), hPrev, B, H,
		l.RecurrentActivation, l.Activation)
	if t > 0 {
		kernels.GemmSerial(false, false, B, H, 3*H, 1, drec, 3*H, l.uT, H, 1, dh, H)
	}
}

// Params lists kernel, recurrent_kernel and bias.
func (l *GRU[T]) Params() []*Param[T] {
	return []*Param[T]{l.kernel, l.recurrentKernel, l.bias}
}
