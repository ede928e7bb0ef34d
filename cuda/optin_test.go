//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/cuda/internal/ref"
	"github.com/seqnn/seqnn/kernels"
)

// TestFunctionLayout: gorgonia.org/cu's Function is the one CUfunction optin.go reads,
// and Open found the device's figures.
func TestFunctionLayout(t *testing.T) {
	if layoutErr != nil {
		t.Fatal(layoutErr)
	}
	t.Logf("%s: %d multiprocessors, %d bytes of shared memory a block after opting in",
		dev.Name(), dev.SMs(), dev.MaxShared())
	if dev.SMs() <= 0 || dev.MaxShared() < core.DefaultShared {
		t.Errorf("SMs %d, MaxShared %d", dev.SMs(), dev.MaxShared())
	}
}

// TestOptIn: at H 70 the persistent time loops need more than 48 KiB in every type
// (LSTM backward 80080 bytes in float32, 160160 in float64), so LoopAuto runs them
// persistent only if Launch opted the kernels in; the results must match package ref.
func TestOptIn(t *testing.T) {
	both(t, testOptIn[float32], testOptIn[float64])
}

func testOptIn[T Float](t *testing.T) {
	c := rnnCase{2, 5, 3, 70, kernels.HardSigmoid, LoopAuto}
	size := 8
	if isF32[T]() {
		size = 4
	}
	if need := (4*c.H*c.H + 6*c.H) * size; dev.MaxShared() < need {
		t.Skipf("%s allows %d bytes a block; the LSTM at H %d needs %d", dev.Name(),
			dev.MaxShared(), c.H, need)
	}
	sfx := fmt.Sprintf("_f%d", 8*size)
	rng := rand.New(rand.NewPCG(40, uint64(size)))

	t.Run("lstm", func(t *testing.T) {
		G := 4 * c.H
		x, w := randn[T](rng, c.B*c.T*c.F, 1), randn[T](rng, c.F*G, 0.5)
		u, bias := randn[T](rng, c.H*G, 0.3), randn[T](rng, G, 0.5)
		dy := randn[T](rng, c.B*c.T*c.H, 1)
		want := ref.LSTM(c.dims(), x, w, u, bias, dy)
		l, err := NewLSTM[T](dev, c.F, c.H, c.T, c.B)
		check(t, err)
		defer l.Free()
		l.RecAct = c.ra
		gx, gw, gu := up(t, x), up(t, w), up(t, u)
		gh, gdx := zeros[T](t, len(want.H)), zeros[T](t, len(x))
		gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, G)
		check(t, l.Forward(gh, gx, gw, gu, up(t, bias), c.B))
		check(t, l.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
		if fwd, bwd := l.Used(); fwd != LoopPersistent || bwd != LoopPersistent {
			t.Errorf("loops forward %d, backward %d; want persistent (1)", fwd, bwd)
		}
		compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
		optedIn(t, "lstm_fwd"+sfx, "lstm_bwd"+sfx)
	})
	for _, resetAfter := range []bool{false, true} {
		t.Run(fmt.Sprint("gru/resetAfter=", resetAfter), func(t *testing.T) {
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
			g.RecAct = c.ra
			gx, gw, gu := up(t, x), up(t, w), up(t, u)
			gh, gdx := zeros[T](t, len(want.H)), zeros[T](t, len(x))
			gdw, gdu, gdb := zeros[T](t, len(w)), zeros[T](t, len(u)), zeros[T](t, nb)
			check(t, g.Forward(gh, gx, gw, gu, up(t, bias), c.B))
			check(t, g.Backward(gdx, gdw, gdu, gdb, up(t, dy), gx, gw, gu, c.B))
			if g.Used() != LoopPersistent {
				t.Errorf("loop %d; want persistent (1)", g.Used())
			}
			compareRNN(t, want, gh, gdx, gdw, gdu, gdb)
			optedIn(t, "gru_fwd"+sfx, "gru_bwd"+sfx)
		})
	}
}

// optedIn checks that Launch allowed each kernel more than 48 KiB of shared memory.
func optedIn(t *testing.T, names ...string) {
	t.Helper()
	got := map[string]int{}
	check(t, dev.do(func() error {
		for _, k := range names {
			got[k] = dev.optin[k]
		}
		return nil
	}))
	for _, k := range names {
		if got[k] <= core.DefaultShared {
			t.Errorf("%s was allowed %d bytes of shared memory, want more than 48 KiB", k,
				got[k])
		}
	}
}
