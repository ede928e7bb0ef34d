//go:build cuda

package core

import (
	"github.com/seqnn/seqnn/kernels"
)

// Loop chooses how a recurrent layer runs its time loop on the device.
type Loop int

const (
	// LoopAuto is LoopPersistent when U fits in shared memory beside the step's state
	// (the driver's Props().MaxShared, 227 KiB on an H100/H200; see LSTM and GRU for the
	// limits on H), and LoopStep otherwise.
	LoopAuto Loop = iota
	// LoopPersistent: one block per batch row runs all T steps in one launch, with U staged
	// in shared memory for the whole sequence; falls back to LoopBlock when U does not fit.
	LoopPersistent
	// LoopBlock: one block per batch row runs all T steps, U read through the cache.
	LoopBlock
	// LoopStep: per step, the recurrent product as a matrix product over the whole
	// batch and then a cell kernel over B·H threads (two of each for the reset-before
	// GRU), which keeps the GPU busy when H is large.
	LoopStep
)

// plan resolves a Loop for a kernel whose block keeps `state` elements of step state
// beside U (H, G) on d; it returns the loop and the dynamic shared memory of the block
// form. U stays persistent when it fits in d.Props().MaxShared, the opt-in limit, which
// the driver's Launch unlocks for launches above DefaultShared.
func plan[T Float](d Driver, l Loop, state, H, G int) (Loop, int, bool) {
	limit := d.Props().MaxShared
	smem, fits := sharedPlan[T](limit, state, H, G, true)
	switch {
	case l == LoopStep || (l == LoopAuto && !fits):
		return LoopStep, 0, false
	case l == LoopBlock || !fits:
		smem, _ = sharedPlan[T](limit, state, H, G, false)
		return LoopBlock, smem, false
	}
	return LoopPersistent, smem, true
}

// rnnBlock is the block size of a time-loop kernel whose widest phase has n work items.
// At most 512 threads: ptxas gives gru_fwd_f64 62 registers for sm_90, and 1024 threads
// of 64 would take the whole register file, leaving no margin for another JIT.
func rnnBlock(n int) int { return min(512, (n+31)/32*32) }

// sharedPlan returns the dynamic shared memory of a time-loop kernel with `state`
// elements of per-step state and a G-column recurrent kernel of H rows, and whether the
// kernel fits beside it within limit bytes (the persistent form).
func sharedPlan[T Float](limit, state, H, G int, allow bool) (bytes int, persist bool) {
	base := int64(state) * sizeOf[T]()
	full := base + int64(H*G)*sizeOf[T]()
	if allow && full <= int64(limit) {
		return int(full), true
	}
	return int(base), false
}

// LSTM runs a Keras 2.1.1 LSTM layer on the device, returning the whole sequence:
//
//	z = x_t·W + h_{t-1}·U + b        W (F, 4H), U (H, 4H), b (4H), gates i, f, c, o
//	i = ra(z_i)  f = ra(z_f)  g = act(z_c)  o = ra(z_o)
//	c_t = f∘c_{t-1} + i∘g     h_t = o∘act(c_t)      h_0 = c_0 = 0
//
// with ra = RecAct (Keras 2.1.1 default hard_sigmoid = clip(0.2x+0.5, 0, 1)) and act = Act
// (tanh). Forward is one product for x·W + b and then the time loop, run as Loop says:
// by default one launch for all T steps with U kept in shared memory when it fits
// (227 KiB on an H100/H200: float32 with H ≤ 119, float64 with H ≤ 84; 48 KiB where the
// device cannot opt in: 54 and 38), else per step a product and a cell kernel. Backward
// runs the time loop the same way, then products for the weight gradients.
// Buffers are sized once for MaxB; nothing is allocated per call.
type LSTM[T Float] struct {
	d                Driver
	F, H, T, MaxB    int
	RecAct, Act      kernels.Activation
	Loop             Loop       // how the time loop runs; LoopAuto by default
	xw               *Buffer[T] // (B, T, 4H) x·W + b in forward; ∂L/∂z in backward
	gates            *Buffer[T] // (B, T, 4H) i, f, g, o after their activations
	c, hprev         *Buffer[T] // (B, T, H) cell state c_t and h_{t-1}
	dc               *Buffer[T] // (B, H) ∂L/∂c carried between LoopStep launches
	dhrec            *Buffer[T] // (B, H) dz_{t+1}·Uᵀ, LoopStep's recurrent gradient
	usedFwd, usedBwd Loop       // the loops the last Forward and Backward ran
}

// NewLSTM allocates the caches for batches of up to maxB sequences of T steps.
func NewLSTM[T Float](d Driver, F, H, T_, maxB int) (*LSTM[T], error) {
	positive("NewLSTM", F, H, T_, maxB)
	l := &LSTM[T]{d: d, F: F, H: H, T: T_, MaxB: maxB, RecAct: kernels.HardSigmoid,
		Act: kernels.Tanh}
	bufs := []struct {
		p **Buffer[T]
		n int
	}{{&l.xw, 4 * H * T_}, {&l.gates, 4 * H * T_}, {&l.c, H * T_}, {&l.hprev, H * T_},
		{&l.dc, H}, {&l.dhrec, H}}
	for _, b := range bufs {
		var err error
		if *b.p, err = NewBuffer[T](d, maxB*b.n); err != nil {
			l.Free()
			return nil, err
		}
	}
	return l, nil
}

// Free releases the caches; safe to call twice.
func (l *LSTM[T]) Free() {
	for _, b := range []*Buffer[T]{l.xw, l.gates, l.c, l.hprev, l.dc, l.dhrec} {
		b.Free()
	}
}

// Used reports the loops the last Forward and Backward ran (LoopAuto resolved).
func (l *LSTM[T]) Used() (fwd, bwd Loop) { return l.usedFwd, l.usedBwd }

func (l *LSTM[T]) check(op string, B int) {
	if B <= 0 || B > l.MaxB {
		panic("cuda: " + op + ": batch outside 1..MaxB")
	}
}

// Forward writes h (B, T, H) from x (B, T, F) and the weights w (F, 4H), u (H, 4H),
// bias (4H), keeping the caches for Backward.
func (l *LSTM[T]) Forward(h, x, w, u, bias *Buffer[T], B int) error {
	l.check("LSTM.Forward", B)
	F, H, G, rows := l.F, l.H, 4*l.H, B*l.T
	need("LSTM.Forward", "h", h, rows*H)
	need("LSTM.Forward", "u", u, H*G)
	if err := fillRows(l.d, l.xw, bias, 0, rows, G); err != nil {
		return err
	}
	if err := Gemm(l.d, false, false, rows, G, F, 1, x, F, w, G, 1, l.xw, G); err != nil {
		return err
	}
	loop, smem, persist := plan[T](l.d, l.Loop, H+G, H, G)
	l.usedFwd = loop
	if loop == LoopStep {
		// Per step, xw_t += h_{t-1}·U as a product into row t of xw, then the cell.
		TH, TG := l.T*H, l.T*G
		for t := 0; t < l.T; t++ {
			if t > 0 {
				err := gemmStep(l.d, false, false, B, G, H, 1, h, (t-1)*H, TH, u, 0, G, 1, l.xw,
					t*G, TG)
				if err != nil {
					return err
				}
			}
			err := launch(l.d, "lstm_cell_fwd"+suffix[T](), linear(B*H), h.ptr, l.c.ptr,
				l.hprev.ptr, l.gates.ptr, l.xw.ptr, B, l.T, H, t, int(l.RecAct), int(l.Act))
			if err != nil {
				return err
			}
		}
		return nil
	}
	c := cfg{gx: B, gy: 1, bx: rnnBlock(G), by: 1, smem: smem}
	return launch(l.d, "lstm_fwd"+suffix[T](), c, h.ptr, l.c.ptr, l.hprev.ptr, l.gates.ptr,
		l.xw.ptr, u.ptr, B, l.T, H, int(l.RecAct), int(l.Act), persist)
}

// Backward takes dy (B, T, H) = ∂L/∂h (zero where the loss does not see a step), adds
// the weight gradients into dw (F, 4H), du (H, 4H), dbias (4H) and overwrites dx
// (B, T, F) unless dx is nil; x, w, u are the forward's.
//
//	dW += xᵀ·dz    dU += h_{t-1}ᵀ·dz    db += Σ dz    dx = dz·Wᵀ
func (l *LSTM[T]) Backward(dx, dw, du, dbias, dy, x, w, u *Buffer[T], B int) error {
	l.check("LSTM.Backward", B)
	F, H, G, rows := l.F, l.H, 4*l.H, B*l.T
	need("LSTM.Backward", "dy", dy, rows*H)
	need("LSTM.Backward", "u", u, H*G)
	loop, smem, persist := plan[T](l.d, l.Loop, 2*H+G, H, G)
	l.usedBwd = loop
	dz := l.xw
	if loop == LoopStep {
		// Per step, dhrec = dz_{t+1}·Uᵀ as a product, then the cell.
		for t := l.T - 1; t >= 0; t-- {
			if t < l.T-1 {
				err := gemmStep(l.d, false, true, B, H, G, 1, dz, (t+1)*G, l.T*G, u, 0, G, 0,
					l.dhrec, 0, H)
				if err != nil {
					return err
				}
			}
			err := launch(l.d, "lstm_cell_bwd"+suffix[T](), linear(B*H), dz.ptr, l.dc.ptr,
				dy.ptr, l.dhrec.ptr, l.c.ptr, l.gates.ptr, B, l.T, H, t, int(l.RecAct),
				int(l.Act))
			if err != nil {
				return err
			}
		}
	} else {
		c := cfg{gx: B, gy: 1, bx: rnnBlock(H), by: 1, smem: smem}
		err := launch(l.d, "lstm_bwd"+suffix[T](), c, dz.ptr, dy.ptr, l.c.ptr, l.gates.ptr,
			u.ptr, B, l.T, H, int(l.RecAct), int(l.Act), persist)
		if err != nil {
			return err
		}
	}
	return weightGrads(l.d, dx, dw, du, dbias, dz, dz, x, w, l.hprev, l.hprev, rows, F, H, G, 0)
}

// weightGrads finishes a recurrent backward pass from the pre-activation gradients:
// daIn (rows, G) on the input side and daRec (rows, G) on the recurrent side, where the
// last H columns of U multiply hLast (rows, H) instead of hprev (GRU's reset-before r∘h):
//
//	dW += xᵀ·daIn   db[:G] += Σ daIn   dU[:, :G-H] += hprevᵀ·daRec   dU[:, G-H:] += hLastᵀ·daRec
//	db[G:2G] += Σ daRec when recBias (GRU reset-after)    dx = daIn·Wᵀ
func weightGrads[T Float](d Driver, dx, dw, du, dbias, daIn, daRec, x, w, hprev,
	hLast *Buffer[T], rows, F, H, G int, recBias int) error {
	steps := []func() error{
		func() error { return Gemm(d, true, false, F, G, rows, 1, x, F, daIn, G, 1, dw, G) },
		func() error {
			return gemmAt(d, true, false, H, G-H, rows, 1, hprev, 0, H, daRec, 0, G, 1, du, 0, G)
		},
		func() error {
			return gemmAt(d, true, false, H, H, rows, 1, hLast, 0, H, daRec, G-H, G, 1, du,
				G-H, G)
		},
		func() error { return ColSum(d, dbias, daIn, rows, G) },
	}
	if recBias != 0 {
		steps = append(steps, func() error { return colSumAt(d, dbias, G, daRec, rows, G) })
	}
	if dx != nil {
		steps = append(steps, func() error {
			return Gemm(d, false, true, rows, F, G, 1, daIn, G, w, G, 0, dx, F)
		})
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// GRU runs a Keras 2.1.1 GRU layer on the device, returning the whole sequence. W (F, 3H),
// U (H, 3H), gates z, r, h. Reset before the product (Keras 2.1.1's form; bias (3H)):
//
//	z = ra(x·W_z + h·U_z + b_z)   r = ra(x·W_r + h·U_r + b_r)
//	ĥ = act(x·W_h + (r∘h)·U_h + b_h)
//
// With ResetAfter (cuDNN, PyTorch, later Keras's reset_after=True; bias (2, 3H), row 0 on
// the input side, row 1 on the recurrent side):
//
//	z = ra(x·W_z + b_z + h·U_z + b'_z)   r likewise
//	ĥ = act(x·W_h + b_h + r∘(h·U_h + b'_h))
//
// and in both h_t = z∘h_{t-1} + (1-z)∘ĥ, h_0 = 0. By default U stays in shared memory
// for one launch over the whole sequence when it fits (227 KiB on an H100/H200: float32
// with H ≤ 138, float64 with H ≤ 97; 48 KiB where the device cannot opt in: 63 and 44);
// otherwise each step is a product and a cell kernel (reset after) or two of each
// (reset before).
type GRU[T Float] struct {
	d             Driver
	F, H, T, MaxB int
	RecAct, Act   kernels.Activation
	ResetAfter    bool
	Loop          Loop       // how the time loop runs; LoopAuto by default
	xw            *Buffer[T] // (B, T, 3H) x·W + b_in in forward; daIn in backward
	daRec         *Buffer[T] // (B, T, 3H) gradient of the recurrent-side pre-activations
	gates         *Buffer[T] // (B, T, 3H) z, r, ĥ after their activations
	hprev, q      *Buffer[T] // (B, T, H) h_{t-1}; h·U_h + b'_h, or r∘h_{t-1} (reset before)
	dhd           *Buffer[T] // (B, H) direct part of ∂L/∂h_{t-1}, between LoopStep launches
	rec           *Buffer[T] // (B, 3H) LoopStep's per-step products (see Forward, Backward)
	used          Loop       // the loop the last Forward ran
}

// NewGRU allocates the caches for batches of up to maxB sequences of T steps.
func NewGRU[T Float](d Driver, F, H, T_, maxB int, resetAfter bool) (*GRU[T], error) {
	positive("NewGRU", F, H, T_, maxB)
	g := &GRU[T]{d: d, F: F, H: H, T: T_, MaxB: maxB, RecAct: kernels.HardSigmoid,
		Act: kernels.Tanh, ResetAfter: resetAfter}
	bufs := []struct {
		p **Buffer[T]
		n int
	}{{&g.xw, 3 * H * T_}, {&g.daRec, 3 * H * T_}, {&g.gates, 3 * H * T_},
		{&g.hprev, H * T_}, {&g.q, H * T_}, {&g.dhd, H}, {&g.rec, 3 * H}}
	for _, b := range bufs {
		var err error
		if *b.p, err = NewBuffer[T](d, maxB*b.n); err != nil {
			g.Free()
			return nil, err
		}
	}
	return g, nil
}

// Free releases the caches; safe to call twice.
func (g *GRU[T]) Free() {
	for _, b := range []*Buffer[T]{g.xw, g.daRec, g.gates, g.hprev, g.q, g.dhd, g.rec} {
		b.Free()
	}
}

// BiasLen is the bias length: 3H, or 6H for (2, 3H) with ResetAfter.
func (g *GRU[T]) BiasLen() int {
	if g.ResetAfter {
		return 6 * g.H
	}
	return 3 * g.H
}

// Forward writes h (B, T, H) from x (B, T, F), w (F, 3H), u (H, 3H) and bias (BiasLen).
func (g *GRU[T]) Forward(h, x, w, u, bias *Buffer[T], B int) error {
	if B <= 0 || B > g.MaxB {
		panic("cuda: GRU.Forward: batch outside 1..MaxB")
	}
	F, H, G, rows := g.F, g.H, 3*g.H, B*g.T
	need("GRU.Forward", "h", h, rows*H)
	need("GRU.Forward", "u", u, H*G)
	need("GRU.Forward", "bias", bias, g.BiasLen())
	if err := fillRows(g.d, g.xw, bias, 0, rows, G); err != nil {
		return err
	}
	if err := Gemm(g.d, false, false, rows, G, F, 1, x, F, w, G, 1, g.xw, G); err != nil {
		return err
	}
	bRec := uint64(0)
	if g.ResetAfter {
		bRec = bias.at(G)
	}
	loop, smem, persist := plan[T](g.d, g.Loop, 2*H, H, G)
	g.used = loop
	if loop != LoopStep {
		c := cfg{gx: B, gy: 1, bx: rnnBlock(H), by: 1, smem: smem}
		return launch(g.d, "gru_fwd"+suffix[T](), c, h.ptr, g.hprev.ptr, g.gates.ptr,
			g.q.ptr, g.xw.ptr, u.ptr, bRec, B, g.T, H, int(g.RecAct), int(g.Act),
			g.ResetAfter, persist)
	}
	return g.forwardSteps(h, u, bRec, B)
}

// forwardSteps is LoopStep's forward: per step, the recurrent products into rec as
// matrix products, then the cell kernels.
//
//	reset after:  rec = h_{t-1}·U, cell a
//	reset before: rec[:, :2H] = h_{t-1}·U_zr, cell a (z, r, q = r∘h_{t-1}),
//	              rec[:, 2H:] = q·U_h, cell b
func (g *GRU[T]) forwardSteps(h, u *Buffer[T], bRec uint64, B int) error {
	H, G, sfx := g.H, 3*g.H, suffix[T]()
	nzr := G // the columns of U that multiply h_{t-1}
	if !g.ResetAfter {
		nzr = 2 * H
	}
	for t := 0; t < g.T; t++ {
		if t > 0 {
			err := gemmStep(g.d, false, false, B, nzr, H, 1, h, (t-1)*H, g.T*H, u, 0, G, 0, g.rec,
				0, G)
			if err != nil {
				return err
			}
		}
		err := launch(g.d, "gru_cell_fwd_a"+sfx, linear(B*H), h.ptr, g.hprev.ptr, g.gates.ptr,
			g.q.ptr, g.xw.ptr, g.rec.ptr, bRec, B, g.T, H, t, int(g.RecAct), int(g.Act),
			g.ResetAfter)
		if err != nil {
			return err
		}
		if g.ResetAfter {
			continue
		}
		if t > 0 {
			err := gemmStep(g.d, false, false, B, H, H, 1, g.q, t*H, g.T*H, u, 2*H, G, 0, g.rec,
				2*H, G)
			if err != nil {
				return err
			}
		}
		err = launch(g.d, "gru_cell_fwd_b"+sfx, linear(B*H), h.ptr, g.gates.ptr, g.xw.ptr,
			g.rec.ptr, B, g.T, H, t, int(g.Act))
		if err != nil {
			return err
		}
	}
	return nil
}

// Used reports the loop the last Forward ran (LoopAuto resolved); Backward uses the same
// rule with a little more shared memory per block.
func (g *GRU[T]) Used() Loop { return g.used }

// Backward takes dy (B, T, H), adds into dw (F, 3H), du (H, 3H), dbias (BiasLen) and
// overwrites dx (B, T, F) unless dx is nil; x, w, u are the forward's.
func (g *GRU[T]) Backward(dx, dw, du, dbias, dy, x, w, u *Buffer[T], B int) error {
	if B <= 0 || B > g.MaxB {
		panic("cuda: GRU.Backward: batch outside 1..MaxB")
	}
	F, H, G, rows := g.F, g.H, 3*g.H, B*g.T
	need("GRU.Backward", "dy", dy, rows*H)
	need("GRU.Backward", "dbias", dbias, g.BiasLen())
	loop, smem, persist := plan[T](g.d, g.Loop, 2*H+G, H, G)
	daIn, sfx := g.xw, suffix[T]()
	if loop == LoopStep {
		if err := g.backwardSteps(dy, u, B); err != nil {
			return err
		}
	} else {
		c := cfg{gx: B, gy: 1, bx: rnnBlock(H), by: 1, smem: smem}
		err := launch(g.d, "gru_bwd"+sfx, c, daIn.ptr, g.daRec.ptr, dy.ptr, g.hprev.ptr,
			g.gates.ptr, g.q.ptr, u.ptr, B, g.T, H, int(g.RecAct), int(g.Act), g.ResetAfter,
			persist)
		if err != nil {
			return err
		}
	}
	hLast, recBias := g.q, 0
	if g.ResetAfter {
		hLast, recBias = g.hprev, 1
	}
	return weightGrads(g.d, dx, dw, du, dbias, daIn, g.daRec, x, w, g.hprev, hLast, rows, F,
		H, G, recBias)
}

// backwardSteps is LoopStep's backward, t = T-1 … 0: the recurrent gradient from step
// t+1 as a product, dhrec = da_{t+1}·Uᵀ (over the 3H columns of daRec reset after, the
// 2H of z and r before), then cell a; reset before, also drh = daĥ_t·U_hᵀ and cell b.
// dhrec and drh are (B, H) halves of rec.
func (g *GRU[T]) backwardSteps(dy, u *Buffer[T], B int) error {
	H, G, sfx := g.H, 3*g.H, suffix[T]()
	nj := G
	if !g.ResetAfter {
		nj = 2 * H
	}
	dhrec, drh := g.rec, view(g.rec, g.MaxB*H, g.MaxB*H)
	for t := g.T - 1; t >= 0; t-- {
		if t < g.T-1 {
			err := gemmStep(g.d, false, true, B, H, nj, 1, g.daRec, (t+1)*G, g.T*G, u, 0, G, 0,
				dhrec, 0, H)
			if err != nil {
				return err
			}
		}
		err := launch(g.d, "gru_cell_bwd_a"+sfx, linear(B*H), g.xw.ptr, g.daRec.ptr,
			g.dhd.ptr, dy.ptr, dhrec.ptr, g.hprev.ptr, g.gates.ptr, g.q.ptr, B, g.T, H, t,
			int(g.RecAct), int(g.Act), g.ResetAfter)
		if err != nil {
			return err
		}
		if g.ResetAfter {
			continue
		}
		err = gemmStep(g.d, false, true, B, H, H, 1, g.xw, t*G+2*H, g.T*G, u, 2*H, G, 0, drh, 0, H)
		if err == nil {
			err = launch(g.d, "gru_cell_bwd_b"+sfx, linear(B*H), g.xw.ptr, g.daRec.ptr,
				g.dhd.ptr, drh.ptr, g.hprev.ptr, g.gates.ptr, B, g.T, H, t, int(g.RecAct))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
