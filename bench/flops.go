package bench

import "github.com/seqnn/seqnn/kernels"

// FLOP counts, the one place the benchmarks take them from. The convention:
//
//   - a multiply-add counts 2 (a product of an m×k and a k×n matrix is 2·m·n·k);
//   - every other +, −, ×, ÷ and √ counts 1, and so does one evaluation of an activation
//     or of its derivative, whatever it costs (tanh and sigmoid call math.Exp/Tanh);
//   - a dropout mask counts 1 per element (one hash), copies and bias copies count 0.
//
// These are the operations the code performs, not a minimal count: the GRU's reset-before
// form, for instance, counts both of its per-step products. The GFLOP/s of an elementwise
// kernel is therefore a rough figure, bound by memory and by the activation's cost; its
// ns/op is what to compare. The matrix products dominate every layer and epoch count.

// Per-element FLOPs of the recurrent gate kernels, per (b, h), derived from the equations
// in kernels/lstm.go and kernels/gru.go:
const (
	// LSTMGatesForward: 4 bias adds, 4 gate activations, c_t = f·c + i·g (3),
	// act(c_t) (1), h = o·act(c_t) (1).
	lstmGatesFwd = 13
	// LSTMGatesBackward: dc += dh·o·act' (act' and 3 more), dz_o, dz_i, dz_f, dz_c
	// (a derivative and 2 products each), dc_{t-1} = dc·f (1).
	lstmGatesBwd = 17
	// GRUForwardZR: 2 bias adds, 2 activations, r·h_{t-1}.
	gruZRFwd = 5
	// GRUForwardH: bias add, activation, z·h_{t-1} + (1−z)·hh (4).
	gruHFwd = 6
	// GRUBackwardH: dz_z (a difference, 2 products, ra'), dz_h (1−z, 2 products, act'),
	// dh_{t-1} = dh·z.
	gruHBwd = 9
	// GRUBackwardR: dz_r (2 products, ra'), dh_{t-1} += drh·r (2).
	gruRBwd = 5
	// GRUResetAfterForward: z and r (3 adds and an activation each), recH (1 add),
	// hh (2 adds, 1 product, activation), h (4).
	gruAfterFwd = 17
	// GRUResetAfterBackward: dz_z (4), dz_h (4), dz_r (3), dz_h·r (1), dh_{t-1} (1).
	gruAfterBwd = 13
)

// GemmFLOPs is 2·m·n·k, a product of an m×k and a k×n matrix.
func GemmFLOPs(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// ActFLOPs is n, one activation per element (kernels.ActForward).
func ActFLOPs(n int) float64 { return float64(n) }

// ActBackwardFLOPs is 2n, a derivative and a product per element (kernels.ActBackward).
func ActBackwardFLOPs(n int) float64 { return 2 * float64(n) }

// DropoutMaskFLOPs is n, one hash per element (kernels.DropoutMask).
func DropoutMaskFLOPs(n int) float64 { return float64(n) }

// DropoutFLOPs is n, one product per element (kernels.DropoutForward and Backward).
func DropoutFLOPs(n int) float64 { return float64(n) }

// MSEFLOPs is 3n for the loss (difference, square, sum) plus 2n for the gradient
// 2(y − target)/n when grad is set (kernels.MSE).
func MSEFLOPs(n int, grad bool) float64 {
	if grad {
		return 5 * float64(n)
	}
	return 3 * float64(n)
}

// AdamFLOPs is 13n for n parameters (kernels.Adam): 3 for m = β₁m + (1−β₁)g, 4 for
// v = β₂v + (1−β₂)g², 6 for p −= α·m/(√v/s + ε).
func AdamFLOPs(n int) float64 { return 13 * float64(n) }

// Conv1DForwardFLOPs is 2·B·T'·O·K·C for the window products (kernels.Conv1DForward),
// T' = kernels.Conv1DOutLen(T, K, S).
func Conv1DForwardFLOPs(B, T, C, K, S, O int) float64 {
	return GemmFLOPs(B*kernels.Conv1DOutLen(T, K, S), O, K*C)
}

// Conv1DBackwardFLOPs is 2·B·T'·O·K·C for dW, B·T'·O for dBias and, when dx is set,
// 2·B·T'·O·K·C for dx (kernels.Conv1DBackward).
func Conv1DBackwardFLOPs(B, T, C, K, S, O int, dx bool) float64 {
	n := B * kernels.Conv1DOutLen(T, K, S)
	f := GemmFLOPs(n, O, K*C) + float64(n*O)
	if dx {
		f += GemmFLOPs(n, O, K*C)
	}
	return f
}

// DenseForwardFLOPs is 2·B·I·O for x W, B·O for the bias and B·O for a non-linear
// activation (nn.Dense.Forward).
func DenseForwardFLOPs(B, I, O int, act bool) float64 {
	f := GemmFLOPs(B, O, I) + float64(B*O)
	if act {
		f += ActFLOPs(B * O)
	}
	return f
}

// DenseBackwardFLOPs is 2·I·O·B for dW, B·O for db, 2·B·I·O for dx when dx is set, and
// 2·B·O for a non-linear activation's derivative (nn.Dense.Backward).
func DenseBackwardFLOPs(B, I, O int, act, dx bool) float64 {
	f := GemmFLOPs(I, O, B) + float64(B*O)
	if act {
		f += ActBackwardFLOPs(B * O)
	}
	if dx {
		f += GemmFLOPs(B, I, O)
	}
	return f
}

// LSTMForwardFLOPs counts nn.LSTM.Forward on x (B, T, F) with H units:
//
//	2·T·B·F·4H          input projection x W
//	2·(T−1)·B·H·4H      recurrent products h_{t-1} U (none at t = 0)
//	13·T·B·H            gates (lstmGatesFwd)
func LSTMForwardFLOPs(B, T, F, H int) float64 {
	return GemmFLOPs(T*B, 4*H, F) + GemmFLOPs((T-1)*B, 4*H, H) +
		lstmGatesFwd*float64(T*B*H)
}

// LSTMBackwardFLOPs counts nn.LSTM.Backward:
//
//	17·T·B·H            gates (lstmGatesBwd)
//	2·(T−1)·B·4H·H      dh_{t-1} = dz Uᵀ
//	2·F·4H·T·B          dW = xᵀ dz
//	2·H·4H·(T−1)·B      dU = hᵀ dz
//	2·4H·T·B            db = 1ᵀ dz (a product with a ones vector)
//	2·T·B·4H·F          dx = dz Wᵀ, when dx is set
func LSTMBackwardFLOPs(B, T, F, H int, dx bool) float64 {
	f := lstmGatesBwd*float64(T*B*H) + GemmFLOPs((T-1)*B, H, 4*H) +
		GemmFLOPs(F, 4*H, T*B) + GemmFLOPs(H, 4*H, (T-1)*B) + GemmFLOPs(1, 4*H, T*B)
	if dx {
		f += GemmFLOPs(T*B, F, 4*H)
	}
	return f
}

// GRUForwardFLOPs counts nn.GRU.Forward on x (B, T, F) with H units:
//
//	2·T·B·F·3H          input projection x W
//	2·(T−1)·B·H·3H      recurrent products: h U_zr and (r⊙h) U_h (reset before),
//	                    or h U (reset after); the same count
//	11·T·B·H            gates, reset before (gruZRFwd + gruHFwd)
//	17·T·B·H            gates, reset after (gruAfterFwd)
func GRUForwardFLOPs(B, T, F, H int, resetAfter bool) float64 {
	f := GemmFLOPs(T*B, 3*H, F) + GemmFLOPs((T-1)*B, 3*H, H)
	if resetAfter {
		return f + gruAfterFwd*float64(T*B*H)
	}
	return f + (gruZRFwd+gruHFwd)*float64(T*B*H)
}

// GRUBackwardFLOPs counts nn.GRU.Backward.
//
// Reset before (the default):
//
//	14·T·B·H            gates (gruHBwd + gruRBwd)
//	2·T·B·H·H           drh = dz_h U_hᵀ, every step
//	2·(T−1)·B·2H·H      dh_{t-1} += dz_zr U_zrᵀ
//	2·H·2H·(T−1)·B      dU_zr = hᵀ dz_zr
//	2·H·H·T·B           dU_h = (r⊙h)ᵀ dz_h
//
// Reset after:
//
//	13·T·B·H            gates (gruAfterBwd)
//	2·(T−1)·B·3H·H      dh_{t-1} += drec Uᵀ
//	2·H·3H·(T−1)·B      dU = hᵀ drec
//	2·3H·T·B            db' = 1ᵀ drec
//
// and in both:
//
//	2·F·3H·T·B          dW = xᵀ dz
//	2·3H·T·B            db = 1ᵀ dz
//	2·T·B·3H·F          dx = dz Wᵀ, when dx is set
func GRUBackwardFLOPs(B, T, F, H int, resetAfter, dx bool) float64 {
	n := T * B
	f := GemmFLOPs(F, 3*H, n) + GemmFLOPs(1, 3*H, n)
	if dx {
		f += GemmFLOPs(n, F, 3*H)
	}
	if resetAfter {
		return f + gruAfterBwd*float64(n*H) + GemmFLOPs((T-1)*B, H, 3*H) +
			GemmFLOPs(H, 3*H, (T-1)*B) + GemmFLOPs(1, 3*H, n)
	}
	return f + (gruHBwd+gruRBwd)*float64(n*H) + GemmFLOPs(n, H, H) +
		GemmFLOPs((T-1)*B, H, 2*H) + GemmFLOPs(H, 2*H, (T-1)*B) + GemmFLOPs(H, H, n)
}

// LargeFLOPs counts Large.Forward and Large.Backward for kind "lstm" or "gru": the
// PyTorch form (the GRU's reset gate after the recurrent product), no input gradient.
func LargeFLOPs(kind string) (fwd, bwd float64) {
	const B, T, F, H = LargeB, LargeT, LargeF, LargeH
	if kind == "gru" {
		return GRUForwardFLOPs(B, T, F, H, true), GRUBackwardFLOPs(B, T, F, H, true, false)
	}
	return LSTMForwardFLOPs(B, T, F, H), LSTMBackwardFLOPs(B, T, F, H, false)
}

// StepFLOPs counts one training step of a tutorial model ("cnn", "lstm", "gru") on a
// batch of B windows: forward with dropout on, MSE with its gradient, backward without
// the first layer's input gradient (nn.Sequential.BackwardParams, as Epoch.Step calls it)
// and the Adam update. It returns 0 for an unknown name.
func StepFLOPs(model string, B int) float64 {
	f := forwardFLOPs(model, B, true) + MSEFLOPs(B*Out, true) + AdamFLOPs(paramCount(model))
	T, F, H := WindowIn, 1, Units
	switch model {
	case "cnn":
		t1 := kernels.Conv1DOutLen(T, 20, 3)
		return f + Conv1DBackwardFLOPs(B, t1, 8, 16, 4, 1, true) +
			DropoutFLOPs(B*t1*8) + ActBackwardFLOPs(B*t1*8) +
			Conv1DBackwardFLOPs(B, T, F, 20, 3, 8, false)
	case "lstm":
		return f + ActBackwardFLOPs(B*Out) + DenseBackwardFLOPs(B, H, Out, false, true) +
			DropoutFLOPs(B*H) + LSTMBackwardFLOPs(B, T, F, H, false)
	case "gru":
		return f + ActBackwardFLOPs(B*Out) + DenseBackwardFLOPs(B, H, Out, false, true) +
			DropoutFLOPs(B*H) + ActBackwardFLOPs(B*H) +
			GRUBackwardFLOPs(B, T, F, H, false, false)
	}
	return 0
}

// EpochFLOPs counts one Epoch.Run of a tutorial model: TrainBatches training steps of
// Batch windows, then the forward passes (dropout off) and losses of the validation
// pass over ValWindows windows in batches of Batch, the last one smaller.
func EpochFLOPs(model string) float64 {
	f := TrainBatches * StepFLOPs(model, Batch)
	for i := 0; i < ValWindows; i += Batch {
		B := min(Batch, ValWindows-i)
		f += forwardFLOPs(model, B, false) + MSEFLOPs(B*Out, false)
	}
	return f
}

// forwardFLOPs counts a tutorial model's forward pass, with dropout when training.
func forwardFLOPs(model string, B int, training bool) float64 {
	T, F, H := WindowIn, 1, Units
	var f, drop float64
	switch model {
	case "cnn":
		t1 := kernels.Conv1DOutLen(T, 20, 3)
		f = Conv1DForwardFLOPs(B, T, F, 20, 3, 8) + ActFLOPs(B*t1*8) +
			Conv1DForwardFLOPs(B, t1, 8, 16, 4, 1)
		drop = DropoutMaskFLOPs(B*t1*8) + DropoutFLOPs(B*t1*8)
	case "lstm":
		f = LSTMForwardFLOPs(B, T, F, H) + DenseForwardFLOPs(B, H, Out, false) +
			ActFLOPs(B*Out)
		drop = DropoutMaskFLOPs(B*H) + DropoutFLOPs(B*H)
	case "gru":
		f = GRUForwardFLOPs(B, T, F, H, false) + ActFLOPs(B*H) +
			DenseForwardFLOPs(B, H, Out, false) + ActFLOPs(B*Out)
		drop = DropoutMaskFLOPs(B*H) + DropoutFLOPs(B*H)
	}
	if training {
		f += drop
	}
	return f
}

// paramCount is the number of trainable values of a tutorial model.
func paramCount(model string) int {
	F, H := 1, Units
	dense := H*Out + Out
	switch model {
	case "cnn":
		return 20*F*8 + 8 + 16*8*1 + 1
	case "lstm":
		return F*4*H + H*4*H + 4*H + dense
	case "gru":
		return F*3*H + H*3*H + 3*H + dense
	}
	return 0
}
