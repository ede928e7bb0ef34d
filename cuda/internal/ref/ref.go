//go:build cuda

// Package ref composes the kernels package's per-step CPU twins into whole-sequence
// LSTM and GRU forward and backward passes, the way nn's layers do (one x_t·W and one
// recurrent product per step, then the gate kernels), for the cuda package's parity
// tests and the CPU emulation of its kernels. Zero initial state, all steps returned.
package ref

import "github.com/seqnn/seqnn/kernels"

// Dims are the sizes and activations of a recurrent layer.
type Dims struct {
	B, T, F, H  int
	RecAct, Act kernels.Activation
}

// Grads is what a recurrent layer's forward and backward produce: h (B, T, H) and the
// gradients of x and of the weights, for an upstream gradient dy (B, T, H).
type Grads[T kernels.Float] struct{ H, DX, DW, DU, DB []T }

// LSTM runs the CPU twin: one product x_t·W and one h_{t-1}·U per step, then
// kernels.LSTMGatesForward, and the reverse with kernels.LSTMGatesBackward, as nn.LSTM does.
func LSTM[T kernels.Float](c Dims, x, w, u, bias, dy []T) Grads[T] {
	B, T_, F, H, G := c.B, c.T, c.F, c.H, 4*c.H
	act := c.Act
	gates, cs, ac, hs := make([]T, T_*B*G), make([]T, (T_+1)*B*H), make([]T, T_*B*H),
		make([]T, (T_+1)*B*H) // cs, hs keep step 0 as the zero initial state
	r := Grads[T]{H: make([]T, B*T_*H), DX: make([]T, B*T_*F), DW: make([]T, F*G),
		DU: make([]T, H*G), DB: make([]T, G)}
	for t := 0; t < T_; t++ {
		g := gates[t*B*G : (t+1)*B*G]
		kernels.Gemm(false, false, B, G, F, 1, x[t*F:], T_*F, w, G, 0, g, G)
		kernels.Gemm(false, false, B, G, H, 1, hs[t*B*H:], H, u, G, 1, g, G)
		kernels.LSTMGatesForward(g, cs[(t+1)*B*H:(t+2)*B*H], ac[t*B*H:(t+1)*B*H],
			hs[(t+1)*B*H:(t+2)*B*H], cs[t*B*H:(t+1)*B*H], bias, B, H, c.RecAct, act)
	}
	dh, dc, dg := make([]T, B*H), make([]T, B*H), make([]T, B*G)
	for t := T_ - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			for k := 0; k < H; k++ {
				r.H[(b*T_+t)*H+k] = hs[(t+1)*B*H+b*H+k]
				dh[b*H+k] += dy[(b*T_+t)*H+k]
			}
		}
		kernels.LSTMGatesBackward(dg, dc, dh, gates[t*B*G:(t+1)*B*G], cs[t*B*H:(t+1)*B*H],
			ac[t*B*H:(t+1)*B*H], B, H, c.RecAct, act)
		kernels.Gemm(true, false, F, G, B, 1, x[t*F:], T_*F, dg, G, 1, r.DW, G)
		kernels.Gemm(true, false, H, G, B, 1, hs[t*B*H:], H, dg, G, 1, r.DU, G)
		colAdd(r.DB, dg, B, G)
		kernels.Gemm(false, true, B, F, G, 1, dg, G, w, G, 0, r.DX[t*F:], T_*F)
		kernels.Gemm(false, true, B, H, G, 1, dg, G, u, G, 0, dh, H)
	}
	return r
}

// GRU is the CPU twin of the GRU in both conventions, step by step with the kernels
// package's gate functions, as nn.GRU does.
func GRU[T kernels.Float](c Dims, resetAfter bool, x, w, u, bias, dy []T) Grads[T] {
	B, T_, F, H, G := c.B, c.T, c.F, c.H, 3*c.H
	act := c.Act
	gates, hs := make([]T, T_*B*G), make([]T, (T_+1)*B*H)
	aux := make([]T, T_*B*H) // r∘h_{t-1} (reset before) or h_{t-1}·U_h + b'_h (after)
	rec := make([]T, B*G)
	r := Grads[T]{H: make([]T, B*T_*H), DX: make([]T, B*T_*F), DW: make([]T, F*G),
		DU: make([]T, H*G), DB: make([]T, len(bias))}
	for t := 0; t < T_; t++ {
		g, hp, h := gates[t*B*G:(t+1)*B*G], hs[t*B*H:(t+1)*B*H], hs[(t+1)*B*H:(t+2)*B*H]
		a := aux[t*B*H : (t+1)*B*H]
		kernels.Gemm(false, false, B, G, F, 1, x[t*F:], T_*F, w, G, 0, g, G)
		if resetAfter {
			kernels.Gemm(false, false, B, G, H, 1, hp, H, u, G, 0, rec, G)
			kernels.GRUResetAfterForward(g, a, h, rec, hp, bias, B, H, c.RecAct, act)
			continue
		}
		kernels.Gemm(false, false, B, 2*H, H, 1, hp, H, u, G, 1, g, G)
		kernels.GRUForwardZR(g, a, hp, bias, B, H, c.RecAct)
		kernels.Gemm(false, false, B, H, H, 1, a, H, u[2*H:], G, 1, g[2*H:], G)
		kernels.GRUForwardH(g, h, hp, bias, B, H, act)
	}
	dh, dhp, dg, drec := make([]T, B*H), make([]T, B*H), make([]T, B*G), make([]T, B*G)
	drh := make([]T, B*H)
	for t := T_ - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			for k := 0; k < H; k++ {
				r.H[(b*T_+t)*H+k] = hs[(t+1)*B*H+b*H+k]
				dh[b*H+k] += dy[(b*T_+t)*H+k]
			}
		}
		g, hp, a := gates[t*B*G:(t+1)*B*G], hs[t*B*H:(t+1)*B*H], aux[t*B*H:(t+1)*B*H]
		if resetAfter {
			kernels.GRUResetAfterBackward(dg, drec, dhp, dh, g, a, hp, B, H, c.RecAct, act)
			kernels.Gemm(false, true, B, H, G, 1, drec, G, u, G, 1, dhp, H)
			kernels.Gemm(true, false, H, G, B, 1, hp, H, drec, G, 1, r.DU, G)
			colAdd(r.DB[G:], drec, B, G)
		} else {
			kernels.GRUBackwardH(dg, dhp, dh, g, hp, B, H, c.RecAct, act)
			kernels.Gemm(false, true, B, H, H, 1, dg[2*H:], G, u[2*H:], G, 0, drh, H)
			kernels.GRUBackwardR(dg, dhp, drh, g, hp, B, H, c.RecAct)
			kernels.Gemm(false, true, B, H, 2*H, 1, dg, G, u, G, 1, dhp, H)
			kernels.Gemm(true, false, H, 2*H, B, 1, hp, H, dg, G, 1, r.DU, G)
			kernels.Gemm(true, false, H, H, B, 1, a, H, dg[2*H:], G, 1, r.DU[2*H:], G)
		}
		kernels.Gemm(true, false, F, G, B, 1, x[t*F:], T_*F, dg, G, 1, r.DW, G)
		colAdd(r.DB[:G], dg, B, G)
		kernels.Gemm(false, true, B, F, G, 1, dg, G, w, G, 0, r.DX[t*F:], T_*F)
		copy(dh, dhp)
	}
	return r
}

func colAdd[T kernels.Float](dst, src []T, m, n int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			dst[j] += src[i*n+j]
		}
	}
}
