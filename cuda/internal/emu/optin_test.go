//go:build cuda

package emu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/cuda/internal/ref"
	"github.com/seqnn/seqnn/kernels"
)

// The emulated device is an H200, whose blocks may use 227 KiB of dynamic shared memory
// once their kernel opts in. These tests check that the recurrent launchers use it: a
// layer whose U no longer fits in the 48 KiB of a block that has not opted in still runs
// its whole sequence in one persistent launch, and matches the CPU reference.

// smemSpy is a driver that records the most dynamic shared memory each kernel asked for.
type smemSpy struct {
	*Driver
	most map[string]int
}

func (s *smemSpy) Launch(name string, gx, gy, bx, by, smem int, args []uint64) error {
	s.most[name] = max(s.most[name], smem)
	return s.Driver.Launch(name, gx, gy, bx, by, smem, args)
}

// optinCase is a recurrent layer and the loop LoopAuto should pick for it. H 70 needs
// more than 48 KiB in both types and layers; float32 H 119 is the LSTM's largest
// persistent size at 227 KiB (229432 bytes in backward) and H 120 the first that is not.
type optinCase struct {
	gru, f64 bool
	H        int
	want     core.Loop
}

var optinCases = []optinCase{
	{false, false, 70, core.LoopPersistent},
	{false, true, 70, core.LoopPersistent},
	{true, false, 70, core.LoopPersistent},
	{true, true, 70, core.LoopPersistent},
	{false, false, 119, core.LoopPersistent},
	{false, false, 120, core.LoopStep},
}

func TestOptInPersistent(t *testing.T) {
	for _, c := range optinCases {
		kind, typ := "lstm", "f32"
		if c.gru {
			kind = "gru"
		}
		if c.f64 {
			typ = "f64"
		}
		t.Run(fmt.Sprintf("%s/%s/H%d", kind, typ, c.H), func(t *testing.T) {
			if c.f64 {
				optinRun[float64](t, c, 1e-12)
			} else {
				// float32: the device and the reference sum up to 4H terms per step
				// in other orders (ε = 6e-8, 480 terms), carried through three steps.
				optinRun[float32](t, c, 1e-4)
			}
		})
	}
}

// optinRun runs forward and backward of c's layer with LoopAuto on the emulated device,
// checks the loops it chose and the shared memory it asked for, and compares the output
// and every gradient with package ref, within tl·(1+|want|).
func optinRun[T kernels.Float](t *testing.T, c optinCase, tl float64) {
	const B, T_, F = 2, 3, 3
	H, G, nb := c.H, 4*c.H, 4*c.H
	kernel := "lstm"
	if c.gru {
		// The reset-after GRU: its persistent kernels keep the most state of any form.
		G, nb, kernel = 3*H, 6*H, "gru"
	}
	rng := rand.New(rand.NewPCG(uint64(H), 7))
	x, w := optinRand[T](rng, B*T_*F, 1), optinRand[T](rng, F*G, 0.5)
	u, bias := optinRand[T](rng, H*G, 0.3), optinRand[T](rng, nb, 0.5)
	dy := optinRand[T](rng, B*T_*H, 1)
	dims := ref.Dims{B: B, T: T_, F: F, H: H, RecAct: kernels.HardSigmoid, Act: kernels.Tanh}

	d := &smemSpy{Driver: NewDriver(), most: map[string]int{}}
	t.Cleanup(func() { // after the deferred frees
		if d.Live() != 0 {
			t.Errorf("%d allocations left", d.Live())
		}
	})
	bufs := map[string]*core.Buffer[T]{}
	for _, b := range []struct {
		name string
		src  []T
	}{{"x", x}, {"w", w}, {"u", u}, {"bias", bias}, {"dy", dy},
		{"h", make([]T, B*T_*H)}, {"dx", make([]T, len(x))}, {"dw", make([]T, len(w))},
		{"du", make([]T, len(u))}, {"db", make([]T, nb)}} {
		buf, err := core.Upload(d, b.src)
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Free()
		bufs[b.name] = buf
	}
	gx, gw, gu := bufs["x"], bufs["w"], bufs["u"]
	gdx, gdw, gdu, gdb := bufs["dx"], bufs["dw"], bufs["du"], bufs["db"]

	var want ref.Grads[T]
	var fwd, bwd core.Loop
	if c.gru {
		want = ref.GRU(dims, true, x, w, u, bias, dy)
		g, err := core.NewGRU[T](d, F, H, T_, B, true)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Free()
		optinCheck(t, g.Forward(bufs["h"], gx, gw, gu, bufs["bias"], B))
		optinCheck(t, g.Backward(gdx, gdw, gdu, gdb, bufs["dy"], gx, gw, gu, B))
		// GRU reports forward's loop; gru_bwd's shared memory below shows backward's.
		fwd, bwd = g.Used(), g.Used()
	} else {
		want = ref.LSTM(dims, x, w, u, bias, dy)
		l, err := core.NewLSTM[T](d, F, H, T_, B)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Free()
		optinCheck(t, l.Forward(bufs["h"], gx, gw, gu, bufs["bias"], B))
		optinCheck(t, l.Backward(gdx, gdw, gdu, gdb, bufs["dy"], gx, gw, gu, B))
		fwd, bwd = l.Used()
	}

	if fwd != c.want || bwd != c.want {
		t.Errorf("loops forward %d, backward %d; want %d", fwd, bwd, c.want)
	}
	if c.want == core.LoopPersistent {
		sfx := "_f32"
		if c.f64 {
			sfx = "_f64"
		}
		for _, k := range []string{kernel + "_fwd" + sfx, kernel + "_bwd" + sfx} {
			if s := d.most[k]; s <= core.DefaultShared || s > d.Props().MaxShared {
				t.Errorf("%s asked for %d bytes of shared memory, want 48 KiB < s ≤ %d",
					k, s, d.Props().MaxShared)
			}
		}
	}
	for _, o := range []struct {
		name string
		got  *core.Buffer[T]
		want []T
	}{{"h", bufs["h"], want.H}, {"dx", gdx, want.DX}, {"dW", gdw, want.DW},
		{"dU", gdu, want.DU}, {"db", gdb, want.DB}} {
		got := make([]T, len(o.want))
		optinCheck(t, o.got.CopyOut(got))
		for i := range got {
			g, w := float64(got[i]), float64(o.want[i])
			if !(math.Abs(g-w) <= tl*(1+math.Abs(w))) {
				t.Errorf("%s[%d] = %v, want %v", o.name, i, g, w)
				break
			}
		}
	}
}

// TestLaunchOverOptIn: the emulated device takes a launch with exactly the 227 KiB a
// block may opt in to, and refuses one byte more, as a GPU would.
func TestLaunchOverOptIn(t *testing.T) {
	d := NewDriver()
	p := d.Props()
	if p.MaxShared != 232448 || p.SMs != 132 {
		t.Fatalf("Props() = %+v, want an H200's 132 SMs and 232448 bytes", p)
	}
	args := make([]uint64, 5) // act_fwd_f32(y, x, n = 0, a, alpha): touches no memory
	if err := d.Launch("act_fwd_f32", 1, 1, 32, 1, p.MaxShared, args); err != nil {
		t.Fatalf("launch with %d bytes: %v", p.MaxShared, err)
	}
	err := d.Launch("act_fwd_f32", 1, 1, 32, 1, p.MaxShared+1, args)
	if err == nil {
		t.Fatalf("launch with %d bytes of shared memory succeeded", p.MaxShared+1)
	}
	t.Log(err)
}

func optinRand[T kernels.Float](rng *rand.Rand, n int, s float64) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(s * (2*rng.Float64() - 1))
	}
	return x
}

func optinCheck(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
