package kernels

import "fmt"

// The LSTM gate arithmetic of one time step. A layer (nn.LSTM) projects the inputs of all
// steps with one matrix product before its loop, adds h_{t-1} U with one product per step,
// and calls these kernels for the elementwise rest.
//
// Gate order and equations follow Keras 2.1.1 (keras/layers/recurrent.py, LSTMCell):
// columns of the (B, 4H) gate block are i, f, c, o, each H wide, and with ra the recurrent
// activation (Keras default hard_sigmoid; PyTorch and cuDNN use sigmoid) and act the
// activation (tanh):
//
//	z = x_t W + h_{t-1} U + b                        (B, 4H), pre-activations
//	i = ra(z_i)   f = ra(z_f)   g = act(z_c)   o = ra(z_o)
//	c_t = f⊙c_{t-1} + i⊙g
//	h_t = o⊙act(c_t)
//
// PyTorch orders its gates i, f, g, o as well, but stores weights transposed (4H, F) and
// keeps two biases, b_ih + b_hh, where Keras has one.

// LSTMGatesForward finishes one step: on entry gates holds x_t W + h_{t-1} U without the
// bias; on return it holds the activations (i, f, g, o), and c, actC = act(c_t) and h are
// written. gates, actC and cPrev are what LSTMGatesBackward needs.
//
//	gates (B, 4H)   c, actC, h, cPrev (B, H)   bias (4H)
func LSTMGatesForward[T Float](gates, c, actC, h []T, cPrev, bias []T, B, H int,
	ra, act Activation) {
	checkMin("LSTMGatesForward", "gates", len(gates), B*4*H)
	checkMin("LSTMGatesForward", "c", len(c), B*H)
	checkMin("LSTMGatesForward", "actC", len(actC), B*H)
	checkMin("LSTMGatesForward", "h", len(h), B*H)
	checkMin("LSTMGatesForward", "cPrev", len(cPrev), B*H)
	checkMin("LSTMGatesForward", "bias", len(bias), 4*H)
	bias = bias[:4*H]

	// Row by row: add the bias, apply each gate's activation to its whole run of H
	// (actSlice, the activation chosen once per run), then combine.
	for b := range B {
		g := gates[b*4*H : (b+1)*4*H]
		gi, gf, gc, gO := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		cb, ab, hb, cp := c[b*H:(b+1)*H], actC[b*H:(b+1)*H], h[b*H:(b+1)*H], cPrev[b*H:(b+1)*H]
		for j, v := range bias {
			g[j] += v
		}
		actSlice(ra, g[:2*H], g[:2*H], 0) // i, f
		actSlice(act, gc, gc, 0)
		actSlice(ra, gO, gO, 0)
		for j := range cb {
			cb[j] = gf[j]*cp[j] + gi[j]*gc[j]
		}
		actSlice(act, ab, cb, 0)
		for j := range hb {
			hb[j] = gO[j] * ab[j]
		}
	}
}

// LSTMGatesBackward differentiates LSTMGatesForward. dh holds ∂L/∂h_t; dc holds ∂L/∂c_t
// as far as later steps carry it (zero at the last step) and is overwritten with
// ∂L/∂c_{t-1}. dgates receives ∂L/∂z, the gradient of the pre-activations, from which the
// caller forms dW, dU, dbias and dx with matrix products, and dh_{t-1} = dz Uᵀ.
//
//	dc  += dh⊙o⊙act'(c_t)                        from h_t = o⊙act(c_t)
//	dz_o = dh⊙act(c_t)⊙ra'(o)
//	dz_i = dc⊙g⊙ra'(i)   dz_f = dc⊙c_{t-1}⊙ra'(f)   dz_c = dc⊙i⊙act'(g)
//	dc_{t-1} = dc⊙f                              from c_t = f⊙c_{t-1} + i⊙g
//
// Derivatives are taken from the outputs (see Deriv). Shapes as in LSTMGatesForward;
// dgates (B, 4H), dc and dh (B, H).
func LSTMGatesBackward[T Float](dgates, dc []T, dh, gates, cPrev, actC []T, B, H int,
	ra, act Activation) {
	checkMin("LSTMGatesBackward", "dgates", len(dgates), B*4*H)
	checkMin("LSTMGatesBackward", "dc", len(dc), B*H)
	checkMin("LSTMGatesBackward", "dh", len(dh), B*H)
	checkMin("LSTMGatesBackward", "gates", len(gates), B*4*H)
	checkMin("LSTMGatesBackward", "cPrev", len(cPrev), B*H)
	checkMin("LSTMGatesBackward", "actC", len(actC), B*H)

	// Row by row, in three passes over H: dO first holds dh⊙o⊙act'(c_t); the second
	// pass forms dc and the gate gradients without their activations' derivatives,
	// which mulDeriv then applies a gate at a time. The products are grouped as in the
	// equations above, so the results are those of the per-element form bit for bit.
	for b := range B {
		g := gates[b*4*H : (b+1)*4*H]
		gi, gf, gc, gO := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		d := dgates[b*4*H : (b+1)*4*H]
		di, df, dcc, dO := d[:H], d[H:2*H], d[2*H:3*H], d[3*H:4*H]
		dcb, dhb := dc[b*H:(b+1)*H], dh[b*H:(b+1)*H]
		cp, ab := cPrev[b*H:(b+1)*H], actC[b*H:(b+1)*H]
		for j := range dO {
			dO[j] = flushTiny(dhb[j]) * gO[j] // see flushTiny
		}
		mulDeriv(act, dO, ab, 0)
		for j := range dcb {
			dct := flushTiny(dcb[j] + dO[j])
			dO[j] = flushTiny(dhb[j]) * ab[j]
			di[j] = dct * gc[j]
			df[j] = dct * cp[j]
			dcc[j] = dct * gi[j]
			dcb[j] = dct * gf[j]
		}
		mulDeriv(ra, d[:2*H], g[:2*H], 0) // i, f
		mulDeriv(act, dcc, gc, 0)
		mulDeriv(ra, dO, gO, 0)
	}
}

// checkMin panics unless a buffer holds at least want values: a caller passed a slice too
// short for the sizes given.
func checkMin(op, name string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("kernels: %s: %s has %d values, want at least %d",
			op, name, have, want))
	}
}
