//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/ref"
	"github.com/seqnn/seqnn/kernels"
)

// rnnCase is one recurrent test shape and loop. H 50 is the tutorial's; 17 fits in the
// 48 KiB a block has without opting in; 70 needs the opt-in in every type and layer
// (see TestOptIn), and float32 LSTM H 119 takes 229432 of the H100/H200's 227 KiB; 150
// fits in no type even then (LoopPersistent falls back to LoopBlock); H 300 spans ten
// warps per phase; B 8 with H 33 crosses a 256-thread block edge of the step kernels.
type rnnCase struct {
	B, T, F, H int
	ra         kernels.Activation
	loop       Loop
}

var rnnCases = []rnnCase{
	{3, 7, 5, 50, kernels.HardSigmoid, LoopAuto},
	{3, 7, 5, 50, kernels.HardSigmoid, LoopBlock},
	{3, 7, 5, 50, kernels.HardSigmoid, LoopStep},
	{2, 5, 3, 17, kernels.Sigmoid, LoopPersistent},
	{1, 4, 2, 70, kernels.HardSigmoid, LoopAuto},
	{1, 4, 2, 70, kernels.HardSigmoid, LoopPersistent},
	{2, 3, 2, 119, kernels.Sigmoid, LoopAuto},
	{1, 3, 2, 150, kernels.HardSigmoid, LoopPersistent},
	{8, 3, 1, 33, kernels.Sigmoid, LoopStep},
	{2, 3, 4, 300, kernels.HardSigmoid, LoopBlock},
}

func (c rnnCase) dims() ref.Dims {
	return ref.Dims{B: c.B, T: c.T, F: c.F, H: c.H, RecAct: c.ra, Act: kernels.Tanh}
}

func (c rnnCase) String() string {
	return fmt.Sprintf("B%d T%d F%d H%d %v loop%d", c.B, c.T, c.F, c.H, c.ra, c.loop)
}

func TestLSTM(t *testing.T) {
	both(t, testLSTM[float32], testLSTM[float64])
}

func testLSTM[T Float](t *testing.T) {
	for i, c := range rnnCases {
		t.Run(c.String(), func(t *testing.T) {
			fwd, bwd := runLSTMCase[T](t, c, rand.New(rand.NewPCG(20, uint64(i))), c.B+1)
			t.Logf("loops run (1 persistent, 2 block, 3 step): forward %d, backward %d", fwd, bwd)
		})
	}
}

// runLSTMCase runs an LSTM layer of case c, sized for batches of maxB (above c.B: a
// partial batch), forward and backward on the GPU against package ref, and returns the
// loops it ran.
func runLSTMCase[T Float](t *testing.T, c rnnCase, rng *rand.Rand, maxB int) (fwd, bwd Loop) {
	t.Helper()
	G := 4 * c.H
	x, w := randn[T](rng, c.B*c.T*c.F, 1), randn[T](rng, c.F*G, 0.5)
	u, bias := randn[T](rng, c.H*G, 0.3), randn[T](rng, G, 0.5)
	dy := randn[T](rng, c.B*c.T*c.H, 1)
	want := ref.LSTM(c.dims(), x, w, u, bias, dy)

	l, err := NewLSTM[T](dev, c.F, c.H, c.T, maxB)
	check(t, err)
	defer l.Free()
	l.RecAct, l.Loop = c.ra, c.loop
	gx, gw, gu := up(t, x), up(t, w), up(t, u)
	gh, gdx := zeros[T](t, len(want.H)), zeros[T](t, len(x))
	gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, G)
	check(t, l.Forward(gh, gx, gw, gu, up(t, bias), c.B))
	check(t, l.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
	compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
	return l.Used()
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
			runGRUCase[T](t, c, resetAfter, rand.New(rand.NewPCG(30, uint64(i))))
		})
	}
}

// runGRUCase runs a GRU layer of case c forward and backward on the GPU against package
// ref and returns the loop it ran.
func runGRUCase[T Float](t *testing.T, c rnnCase, resetAfter bool, rng *rand.Rand) Loop {
	t.Helper()
	G, nb := 3*c.H, 3*c.H
	if resetAfter {
		nb = 2 * G
	}
	x, w := randn[T](rng, c.B*c.T*c.F, 1), randn[T](rng, c.F*G, 0.5)
	u, bias := randn[T](rng, c.H*G, 0.3), randn[T](rng, nb, 0.5)
	dy := randn[T](rng, c.B*c.T*c.H, 1)
	want := ref.GRU(c.dims(), resetAfter, x, w, u, bias, dy)

	g, err := NewGRU[T](dev, c.F, c.H, c.T, c.B, resetAfter)
	check(t, err)
	defer g.Free()
	g.RecAct, g.Loop = c.ra, c.loop
	gx, gw, gu := up(t, x), up(t, w), up(t, u)
	gh, gdx := zeros[T](t, len(want.H)), zeros[T](t, len(x))
	gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, nb)
	check(t, g.Forward(gh, gx, gw, gu, up(t, bias), c.B))
	check(t, g.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
	compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
	return g.Used()
}

func compareRNN[T Float](t *testing.T, want ref.Grads[T], h, dx, dw, du, db *Buffer[T]) {
	t.Helper()
	tl := recurrent[T]()
	near(t, "h", down(t, h, len(want.H)), want.H, tl)
	near(t, "dx", down(t, dx, len(want.DX)), want.DX, tl)
	near(t, "dW", down(t, dw, len(want.DW)), want.DW, tl)
	near(t, "dU", down(t, du, len(want.DU)), want.DU, tl)
	near(t, "db", down(t, db, len(want.DB)), want.DB, tl)
}
