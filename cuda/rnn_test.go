//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// rnnCase is one recurrent test shape. H 50 is the tutorial's; 17 and 70 sit on either
// side of the float32 shared-memory limit for U, and odd sizes cross no tile edge.
type rnnCase struct {
	B, T, F, H int
	ra         kernels.Activation
	noPersist  bool
}

var rnnCases = []rnnCase{
	{3, 7, 5, 50, kernels.HardSigmoid, false},
	{3, 7, 5, 50, kernels.HardSigmoid, true},
	{2, 5, 3, 17, kernels.Sigmoid, false},
	{1, 4, 2, 70, kernels.HardSigmoid, false},
	{8, 3, 1, 33, kernels.Sigmoid, false},
}

func (c rnnCase) String() string {
	return fmt.Sprintf("B%d T%d F%d H%d %v persist=%v", c.B, c.T, c.F, c.H, c.ra, !c.noPersist)
}

// rnnGrads is what a recurrent layer's forward and backward produce.
type rnnGrads[T Float] struct{ h, dx, dw, du, db []T }

// lstmRef runs the CPU twin: one product x_t·W and one h_{t-1}·U per step, then
// kernels.LSTMGatesForward, and the reverse with kernels.LSTMGatesBackward, as nn.LSTM does.
func lstmRef[T Float](c rnnCase, x, w, u, bias, dy []T) rnnGrads[T] {
	B, T_, F, H, G := c.B, c.T, c.F, c.H, 4*c.H
	act := kernels.Tanh
	gates, cs, ac, hs := make([]T, T_*B*G), make([]T, (T_+1)*B*H), make([]T, T_*B*H),
		make([]T, (T_+1)*B*H) // cs, hs keep step 0 as the zero initial state
	r := rnnGrads[T]{h: make([]T, B*T_*H), dx: make([]T, B*T_*F), dw: make([]T, F*G),
		du: make([]T, H*G), db: make([]T, G)}
	for t := 0; t < T_; t++ {
		g := gates[t*B*G : (t+1)*B*G]
		kernels.Gemm(false, false, B, G, F, 1, x[t*F:], T_*F, w, G, 0, g, G)
		kernels.Gemm(false, false, B, G, H, 1, hs[t*B*H:], H, u, G, 1, g, G)
		kernels.LSTMGatesForward(g, cs[(t+1)*B*H:(t+2)*B*H], ac[t*B*H:(t+1)*B*H],
			hs[(t+1)*B*H:(t+2)*B*H], cs[t*B*H:(t+1)*B*H], bias, B, H, c.ra, act)
	}
	dh, dc, dg := make([]T, B*H), make([]T, B*H), make([]T, B*G)
	for t := T_ - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			for k := 0; k < H; k++ {
				r.h[(b*T_+t)*H+k] = hs[(t+1)*B*H+b*H+k]
				dh[b*H+k] += dy[(b*T_+t)*H+k]
			}
		}
		kernels.LSTMGatesBackward(dg, dc, dh, gates[t*B*G:(t+1)*B*G], cs[t*B*H:(t+1)*B*H],
			ac[t*B*H:(t+1)*B*H], B, H, c.ra, act)
		kernels.Gemm(true, false, F, G, B, 1, x[t*F:], T_*F, dg, G, 1, r.dw, G)
		kernels.Gemm(true, false, H, G, B, 1, hs[t*B*H:], H, dg, G, 1, r.du, G)
		colAdd(r.db, dg, B, G)
		kernels.Gemm(false, true, B, F, G, 1, dg, G, w, G, 0, r.dx[t*F:], T_*F)
		kernels.Gemm(false, true, B, H, G, 1, dg, G, u, G, 0, dh, H)
	}
	return r
}

// gruRef is the CPU twin of the GRU in both conventions, step by step with the kernels
// package's gate functions, as nn.GRU does.
func gruRef[T Float](c rnnCase, resetAfter bool, x, w, u, bias, dy []T) rnnGrads[T] {
	B, T_, F, H, G := c.B, c.T, c.F, c.H, 3*c.H
	act := kernels.Tanh
	gates, hs := make([]T, T_*B*G), make([]T, (T_+1)*B*H)
	aux := make([]T, T_*B*H) // r∘h_{t-1} (reset before) or h_{t-1}·U_h + b'_h (after)
	rec := make([]T, B*G)
	r := rnnGrads[T]{h: make([]T, B*T_*H), dx: make([]T, B*T_*F), dw: make([]T, F*G),
		du: make([]T, H*G), db: make([]T, len(bias))}
	for t := 0; t < T_; t++ {
		g, hp, h := gates[t*B*G:(t+1)*B*G], hs[t*B*H:(t+1)*B*H], hs[(t+1)*B*H:(t+2)*B*H]
		a := aux[t*B*H : (t+1)*B*H]
		kernels.Gemm(false, false, B, G, F, 1, x[t*F:], T_*F, w, G, 0, g, G)
		if resetAfter {
			kernels.Gemm(false, false, B, G, H, 1, hp, H, u, G, 0, rec, G)
			kernels.GRUResetAfterForward(g, a, h, rec, hp, bias, B, H, c.ra, act)
			continue
		}
		kernels.Gemm(false, false, B, 2*H, H, 1, hp, H, u, G, 1, g, G)
		kernels.GRUForwardZR(g, a, hp, bias, B, H, c.ra)
		kernels.Gemm(false, false, B, H, H, 1, a, H, u[2*H:], G, 1, g[2*H:], G)
		kernels.GRUForwardH(g, h, hp, bias, B, H, act)
	}
	dh, dhp, dg, drec := make([]T, B*H), make([]T, B*H), make([]T, B*G), make([]T, B*G)
	drh := make([]T, B*H)
	for t := T_ - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			for k := 0; k < H; k++ {
				r.h[(b*T_+t)*H+k] = hs[(t+1)*B*H+b*H+k]
				dh[b*H+k] += dy[(b*T_+t)*H+k]
			}
		}
		g, hp, a := gates[t*B*G:(t+1)*B*G], hs[t*B*H:(t+1)*B*H], aux[t*B*H:(t+1)*B*H]
		if resetAfter {
			kernels.GRUResetAfterBackward(dg, drec, dhp, dh, g, a, hp, B, H, c.ra, act)
			kernels.Gemm(false, true, B, H, G, 1, drec, G, u, G, 1, dhp, H)
			kernels.Gemm(true, false, H, G, B, 1, hp, H, drec, G, 1, r.du, G)
			colAdd(r.db[G:], drec, B, G)
		} else {
			kernels.GRUBackwardH(dg, dhp, dh, g, hp, B, H, c.ra, act)
			kernels.Gemm(false, true, B, H, H, 1, dg[2*H:], G, u[2*H:], G, 0, drh, H)
			kernels.GRUBackwardR(dg, dhp, drh, g, hp, B, H, c.ra)
			kernels.Gemm(false, true, B, H, 2*H, 1, dg, G, u, G, 1, dhp, H)
			kernels.Gemm(true, false, H, 2*H, B, 1, hp, H, dg, G, 1, r.du, G)
			kernels.Gemm(true, false, H, H, B, 1, a, H, dg[2*H:], G, 1, r.du[2*H:], G)
		}
		kernels.Gemm(true, false, F, G, B, 1, x[t*F:], T_*F, dg, G, 1, r.dw, G)
		colAdd(r.db[:G], dg, B, G)
		kernels.Gemm(false, true, B, F, G, 1, dg, G, w, G, 0, r.dx[t*F:], T_*F)
		copy(dh, dhp)
	}
	return r
}

func colAdd[T Float](dst, src []T, m, n int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			dst[j] += src[i*n+j]
		}
	}
}

func TestLSTM(t *testing.T) {
	both(t, testLSTM[float32], testLSTM[float64])
}

func testLSTM[T Float](t *testing.T) {
	for i, c := range rnnCases {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(20, uint64(i)))
			G := 4 * c.H
			x, w := randn[T](rng, c.B*c.T*c.F, 1), randn[T](rng, c.F*G, 0.5)
			u, bias := randn[T](rng, c.H*G, 0.3), randn[T](rng, G, 0.5)
			dy := randn[T](rng, c.B*c.T*c.H, 1)
			want := lstmRef(c, x, w, u, bias, dy)

			l, err := NewLSTM[T](dev, c.F, c.H, c.T, c.B+1) // MaxB above B: partial batch
			check(t, err)
			defer l.Free()
			l.RecAct, l.NoPersist = c.ra, c.noPersist
			gx, gw, gu := up(t, x), up(t, w), up(t, u)
			gh, gdx := zeros[T](t, len(want.h)), zeros[T](t, len(x))
			gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, G)
			check(t, l.Forward(gh, gx, gw, gu, up(t, bias), c.B))
			check(t, l.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
			fwd, bwd := l.Persistent()
			t.Logf("U in shared memory: forward %v, backward %v", fwd, bwd)
			compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
		})
	}
}

func TestGRU(t *testing.T) {
	for _, ra := range []bool{false, true} {
		t.Run(fmt.Sprint("resetAfter=", ra), func(t *testing.T) {
			both(t, func(t *testing.T) { testGRU[float32](t, ra) },
				func(t *testing.T) { testGRU[float64](t, ra) })
		})
	}
}

func testGRU[T Float](t *testing.T, resetAfter bool) {
	for i, c := range rnnCases {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(30, uint64(i)))
			G := 3 * c.H
			nb := G
			if resetAfter {
				nb = 2 * G
			}
			x, w := randn[T](rng, c.B*c.T*c.F, 1), randn[T](rng, c.F*G, 0.5)
			u, bias := randn[T](rng, c.H*G, 0.3), randn[T](rng, nb, 0.5)
			dy := randn[T](rng, c.B*c.T*c.H, 1)
			want := gruRef(c, resetAfter, x, w, u, bias, dy)

			g, err := NewGRU[T](dev, c.F, c.H, c.T, c.B, resetAfter)
			check(t, err)
			defer g.Free()
			g.RecAct, g.NoPersist = c.ra, c.noPersist
			gx, gw, gu := up(t, x), up(t, w), up(t, u)
			gh, gdx := zeros[T](t, len(want.h)), zeros[T](t, len(x))
			gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, nb)
			check(t, g.Forward(gh, gx, gw, gu, up(t, bias), c.B))
			check(t, g.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
			compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
		})
	}
}

func compareRNN[T Float](t *testing.T, want rnnGrads[T], h, dx, dw, du, db *Buffer[T]) {
	t.Helper()
	tl := recurrent[T]()
	near(t, "h", down(t, h, len(want.h)), want.h, tl)
	near(t, "dx", down(t, dx, len(want.dx)), want.dx, tl)
	near(t, "dW", down(t, dw, len(want.dw)), want.dw, tl)
	near(t, "dU", down(t, du, len(want.du)), want.du, tl)
	near(t, "db", down(t, db, len(want.db)), want.db, tl)
}
