package kernels

import "unsafe"

// flushTiny returns 0 for a float32 x with |x| < 1e-30 and x otherwise; float64 passes
// unchanged. The backward kernels pass the gradient they read through it, so that every
// gradient they write is 0 or above about 1e-38 for factors above 1e-8: carried back
// over hundreds of steps, a GRU's gradients shrink through the subnormal range (13% of
// the tutorial GRU's dz in one backward pass, TestSubnormalsInTraining), where each
// operation costs a slow microcode path and Go cannot set flush-to-zero. Gradients of
// 1e-30 change no float32 weight update.
func flushTiny[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 && x < 1e-30 && x > -1e-30 {
		return 0
	}
	return x
}

// The GRU gate arithmetic of one time step, in the two conventions nn.GRU offers. As for
// the LSTM, the layer projects all inputs with one product before its loop and makes the
// recurrent products itself; these kernels do the elementwise rest.
//
// Gate order z, r, h, each H wide in the (B, 3H) gate block, as Keras stores them (PyTorch
// orders r, z, n). ra is the recurrent activation (Keras default hard_sigmoid; PyTorch and
// cuDNN use sigmoid), act the activation (tanh). Both conventions end with
//
//	h_t = z⊙h_{t-1} + (1-z)⊙hh
//
// Reset before (Keras 2.1.1, GRUCell without reset_after): r scales h_{t-1} before the
// recurrent product, so each step needs two products, the second after r is known:
//
//	z = ra(x_t W_z + h_{t-1} U_z + b_z)   r = ra(x_t W_r + h_{t-1} U_r + b_r)
//	hh = act(x_t W_h + (r⊙h_{t-1}) U_h + b_h)
//
// Reset after (PyTorch, cuDNN, Keras 2.2's reset_after=True): r scales the recurrent
// product, so one product h_{t-1} U serves all three gates; the bias has an input row b
// and a recurrent row b' (Keras 2.2 stores them as a (2, 3H) bias):
//
//	z = ra(x_t W_z + b_z + h_{t-1} U_z + b'_z)   r = ra(x_t W_r + b_r + h_{t-1} U_r + b'_r)
//	hh = act(x_t W_h + b_h + r⊙(h_{t-1} U_h + b'_h))

// GRUForwardZR is the first half of a reset-before step: on entry the z and r columns of
// gates hold x_t W + h_{t-1} U without bias (the h columns may hold x_t W_h); on return
// they hold z and r, and rh = r⊙h_{t-1}, the left operand of the step's second product.
//
//	gates (B, 3H)   rh, hPrev (B, H)   bias (3H)
func GRUForwardZR[T Float](gates, rh []T, hPrev, bias []T, B, H int, ra Activation) {
	checkMin("GRUForwardZR", "gates", len(gates), B*3*H)
	checkMin("GRUForwardZR", "rh", len(rh), B*H)
	checkMin("GRUForwardZR", "hPrev", len(hPrev), B*H)
	checkMin("GRUForwardZR", "bias", len(bias), 3*H)
	bzr := bias[:2*H] // b_z, b_r

	for b := range B {
		gzr := gates[b*3*H : b*3*H+2*H] // z, r
		gr := gzr[H:]
		rhb, hp := rh[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j, v := range bzr {
			gzr[j] += v
		}
		actSlice(ra, gzr, gzr, 0)
		for j := range rhb {
			rhb[j] = gr[j] * hp[j]
		}
	}
}

// GRUForwardH is the second half of a reset-before step: on entry the h columns of gates
// hold x_t W_h + (r⊙h_{t-1}) U_h without bias; on return they hold hh, and h is written.
//
//	gates (B, 3H)   h, hPrev (B, H)   bias (3H)
func GRUForwardH[T Float](gates, h []T, hPrev, bias []T, B, H int, act Activation) {
	checkMin("GRUForwardH", "gates", len(gates), B*3*H)
	checkMin("GRUForwardH", "h", len(h), B*H)
	checkMin("GRUForwardH", "hPrev", len(hPrev), B*H)
	checkMin("GRUForwardH", "bias", len(bias), 3*H)
	bh := bias[2*H : 3*H]

	for b := range B {
		gz, gh := gates[b*3*H:b*3*H+H], gates[b*3*H+2*H:b*3*H+3*H]
		hb, hp := h[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j, v := range bh {
			gh[j] += v
		}
		actSlice(act, gh, gh, 0)
		for j := range hb {
			hb[j] = gz[j]*hp[j] + (1-gz[j])*gh[j]
		}
	}
}

// GRUBackwardH is the first half of a reset-before step's backward pass, the reverse of
// GRUForwardH. From dh = ∂L/∂h_t it writes the z and h columns of dgates (gradients of the
// pre-activations) and sets dhPrev to the direct part of ∂L/∂h_{t-1}:
//
//	dz_z = dh⊙(h_{t-1} - hh)⊙ra'(z)   dz_h = dh⊙(1-z)⊙act'(hh)   dhPrev = dh⊙z
//
// The caller then forms drh = dz_h U_hᵀ, the gradient of r⊙h_{t-1}, for GRUBackwardR.
// dhPrev and dh may be the same slice. dgates (B, 3H), dhPrev, dh, hPrev (B, H).
func GRUBackwardH[T Float](dgates, dhPrev []T, dh, gates, hPrev []T, B, H int,
	ra, act Activation) {
	checkMin("GRUBackwardH", "dgates", len(dgates), B*3*H)
	checkMin("GRUBackwardH", "dhPrev", len(dhPrev), B*H)
	checkMin("GRUBackwardH", "dh", len(dh), B*H)
	checkMin("GRUBackwardH", "gates", len(gates), B*3*H)
	checkMin("GRUBackwardH", "hPrev", len(hPrev), B*H)

	// The derivatives of the activations are applied a gate at a time after the loop
	// (mulDeriv); the loop reads dh before it writes dhPrev, which may be dh.
	for b := range B {
		g, d := gates[b*3*H:(b+1)*3*H], dgates[b*3*H:(b+1)*3*H]
		gz, gh, dz, dhh := g[:H], g[2*H:3*H], d[:H], d[2*H:3*H]
		dhb, dp, hp := dh[b*H:(b+1)*H], dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range dp {
			z, hh, e := gz[j], gh[j], flushTiny(dhb[j])
			dz[j] = e * (hp[j] - hh)
			dhh[j] = e * (1 - z)
			dp[j] = e * z
		}
		mulDeriv(ra, dz, gz, 0)
		mulDeriv(act, dhh, gh, 0)
	}
}

// GRUBackwardR is the second half of a reset-before step's backward pass, the reverse of
// GRUForwardZR. From drh = ∂L/∂(r⊙h_{t-1}) it writes the r columns of dgates and adds the
// part of ∂L/∂h_{t-1} that flows through r⊙h_{t-1}:
//
//	dz_r = drh⊙h_{t-1}⊙ra'(r)   dhPrev += drh⊙r
//
// The caller then adds (dz_z, dz_r) U_zrᵀ to dhPrev. dgates (B, 3H), others (B, H).
func GRUBackwardR[T Float](dgates, dhPrev []T, drh, gates, hPrev []T, B, H int,
	ra Activation) {
	checkMin("GRUBackwardR", "dgates", len(dgates), B*3*H)
	checkMin("GRUBackwardR", "dhPrev", len(dhPrev), B*H)
	checkMin("GRUBackwardR", "drh", len(drh), B*H)
	checkMin("GRUBackwardR", "gates", len(gates), B*3*H)
	checkMin("GRUBackwardR", "hPrev", len(hPrev), B*H)

	for b := range B {
		gr, dr := gates[b*3*H+H:b*3*H+2*H], dgates[b*3*H+H:b*3*H+2*H]
		drb, dp, hp := drh[b*H:(b+1)*H], dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range dr {
			r, e := gr[j], flushTiny(drb[j])
			dr[j] = e * hp[j]
			dp[j] += e * r
		}
		mulDeriv(ra, dr, gr, 0)
	}
}

// GRUResetAfterForward is one reset-after step: on entry gates holds x_t W and rec holds
// h_{t-1} U, both without bias; on return gates holds the activations (z, r, hh), recH
// holds h_{t-1} U_h + b'_h (the factor r multiplied, which backward needs), and h is
// written.
//
//	gates, rec (B, 3H)   recH, h, hPrev (B, H)   bias (2, 3H): row 0 b, row 1 b'
func GRUResetAfterForward[T Float](gates, recH, h []T, rec, hPrev, bias []T, B, H int,
	ra, act Activation) {
	checkMin("GRUResetAfterForward", "gates", len(gates), B*3*H)
	checkMin("GRUResetAfterForward", "recH", len(recH), B*H)
	checkMin("GRUResetAfterForward", "h", len(h), B*H)
	checkMin("GRUResetAfterForward", "rec", len(rec), B*3*H)
	checkMin("GRUResetAfterForward", "hPrev", len(hPrev), B*H)
	checkMin("GRUResetAfterForward", "bias", len(bias), 6*H)
	bz, br, bh := bias[:H], bias[H:2*H], bias[2*H:3*H]
	bz2, br2, bh2 := bias[3*H:4*H], bias[4*H:5*H], bias[5*H:6*H]

	for b := range B {
		g, u := gates[b*3*H:(b+1)*3*H], rec[b*3*H:(b+1)*3*H]
		gz, gr, gh := g[:H], g[H:2*H], g[2*H:3*H]
		uz, ur, uh := u[:H], u[H:2*H], u[2*H:3*H]
		rh, hb, hp := recH[b*H:(b+1)*H], h[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		for j := range gz {
			gz[j] = gz[j] + bz[j] + uz[j] + bz2[j]
			gr[j] = gr[j] + br[j] + ur[j] + br2[j]
		}
		actSlice(ra, g[:2*H], g[:2*H], 0) // z, r
		for j := range gh {
			rh[j] = uh[j] + bh2[j]
			gh[j] = gh[j] + bh[j] + gr[j]*rh[j]
		}
		actSlice(act, gh, gh, 0)
		for j := range hb {
			hb[j] = gz[j]*hp[j] + (1-gz[j])*gh[j]
		}
	}
}

// GRUResetAfterBackward differentiates GRUResetAfterForward. From dh = ∂L/∂h_t it writes
// dgates, the gradient of the input-side pre-activations x_t W + b, drec, the gradient of
// the recurrent-side ones h_{t-1} U + b', and the direct part of ∂L/∂h_{t-1}:
//
//	dz_z = dh⊙(h_{t-1} - hh)⊙ra'(z)   dz_h = dh⊙(1-z)⊙act'(hh)
//	dz_r = dz_h⊙recH⊙ra'(r)
//	dgates = (dz_z, dz_r, dz_h)   drec = (dz_z, dz_r, dz_h⊙r)   dhPrev = dh⊙z
//
// The caller adds drec Uᵀ to dhPrev. dhPrev and dh may be the same slice.
// dgates, drec (B, 3H); dhPrev, dh, recH, hPrev (B, H).
func GRUResetAfterBackward[T Float](dgates, drec, dhPrev []T, dh, gates, recH, hPrev []T,
	B, H int, ra, act Activation) {
	checkMin("GRUResetAfterBackward", "dgates", len(dgates), B*3*H)
	checkMin("GRUResetAfterBackward", "drec", len(drec), B*3*H)
	checkMin("GRUResetAfterBackward", "dhPrev", len(dhPrev), B*H)
	checkMin("GRUResetAfterBackward", "dh", len(dh), B*H)
	checkMin("GRUResetAfterBackward", "gates", len(gates), B*3*H)
	checkMin("GRUResetAfterBackward", "recH", len(recH), B*H)
	checkMin("GRUResetAfterBackward", "hPrev", len(hPrev), B*H)

	for b := range B {
		g, d, du := gates[b*3*H:(b+1)*3*H], dgates[b*3*H:(b+1)*3*H], drec[b*3*H:(b+1)*3*H]
		rh, dhb := recH[b*H:(b+1)*H], dh[b*H:(b+1)*H]
		dp, hp := dhPrev[b*H:(b+1)*H], hPrev[b*H:(b+1)*H]
		// Three passes over H, each activation's derivative applied a gate at a time
		// (mulDeriv): dz_z and dz_h without them first, reading dh before dhPrev (which
		// may be dh) is written; then dz_r from the finished dz_h.
		dz, dr, dhh := d[:H], d[H:2*H], d[2*H:3*H]
		gz, gr, gh := g[:H], g[H:2*H], g[2*H:3*H]
		for j := range dp {
			e := flushTiny(dhb[j])
			dz[j] = e * (hp[j] - gh[j])
			dhh[j] = e * (1 - gz[j])
			dp[j] = e * gz[j]
		}
		mulDeriv(ra, dz, gz, 0)
		mulDeriv(act, dhh, gh, 0)
		for j := range dr {
			dr[j] = dhh[j] * rh[j]
		}
		mulDeriv(ra, dr, gr, 0)
		for j := range dr {
			du[j], du[H+j], du[2*H+j] = dz[j], dr[j], dhh[j]*gr[j]
		}
	}
}
