//go:build cuda

package emu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/kernels"
)

// TestStepMatchesBlockLongK extends TestStepMatchesBlock to recurrent products long
// enough that core.Gemm would split them along k (k ≥ 2·128 on a product of one or two
// tiles): the LSTM's backward dz_{t+1}·Uᵀ sums over 4H = 256 terms at H = 64, the
// reset-after GRU's over 3H = 258 at H = 86. A split product adds its parts' partial
// sums in gemm_reduce, which is not the one-launch loops' single sum in order, so the
// per-step products must not be split for LoopStep to match LoopPersistent bit for bit.
func TestStepMatchesBlockLongK(t *testing.T) {
	t.Run("f32", testStepLongK[float32])
	t.Run("f64", testStepLongK[float64])
}

func testStepLongK[T kernels.Float](t *testing.T) {
	const B, Tn, F = 1, 2, 2
	for _, c := range []struct {
		kind string
		H    int
	}{{"lstm", 64}, {"gru-reset-after", 86}} {
		rng := rand.New(rand.NewPCG(11, uint64(c.H)))
		H, G, nb := c.H, 4*c.H, 4*c.H
		if c.kind != "lstm" {
			G, nb = 3*H, 6*H
		}
		x, dy := cast[T](rnd(rng, B*Tn*F, 1)), cast[T](rnd(rng, B*Tn*H, 1))
		w, u, bias := cast[T](rnd(rng, F*G, 0.5)), cast[T](rnd(rng, H*G, 0.3)),
			cast[T](rnd(rng, nb, 0.5))
		want := runRecurrent(t, NewDriver(), c.kind, core.LoopPersistent, B, Tn, F, H, x, w,
			u, bias, dy, kernels.HardSigmoid)
		got := runRecurrent(t, NewDriver(), c.kind, core.LoopStep, B, Tn, F, H, x, w, u,
			bias, dy, kernels.HardSigmoid)
		for j, what := range []string{"h", "dx", "dw", "du", "db"} {
			for e := range got[j] {
				if got[j][e] != want[j][e] {
					t.Errorf("%s H %d: LoopStep %s[%d] = %v, persistent %v", c.kind, H, what,
						e, got[j][e], want[j][e])
					break
				}
			}
		}
	}
}

// hooked is a Driver that calls onLaunch before each launch and onScratch when Scratch
// is asked for, to stage an interleaving of two goroutines' launches.
type hooked struct {
	*Driver
	onLaunch  func(name string)
	onScratch func()
}

func (h *hooked) Launch(name string, gx, gy, bx, by, smem int, args []uint64) error {
	if h.onLaunch != nil {
		h.onLaunch(name)
	}
	return h.Driver.Launch(name, gx, gy, bx, by, smem, args)
}

func (h *hooked) Scratch() (uint64, func(), error) {
	if h.onScratch != nil {
		h.onScratch()
	}
	return h.Driver.Scratch()
}

// TestScratchConcurrent: a Device's methods may be called from any goroutine (doc.go),
// and the driver's workspace is one per device. Two products split along k, queued from
// two goroutines, must not interleave their use of it: here goroutine B queues its whole
// product between A's partial sums and A's gemm_reduce (or, when the workspace is held
// until A's reduce is queued, blocks in Scratch until then), and A must still get its
// own product.
func TestScratchConcurrent(t *testing.T) {
	const m, n, k = 5, 7, 1000 // split 7 ways on an H200's 132 multiprocessors
	rng := rand.New(rand.NewPCG(12, 12))
	d := NewDriver()
	ra, rb := rnd(rng, m*k, 1), rnd(rng, k*n, 1)
	qa, qb := rnd(rng, m*k, 1), rnd(rng, k*n, 1)
	want, wantB := make([]float64, m*n), make([]float64, m*n)
	kernels.Gemm(false, false, m, n, k, 1, ra, k, rb, n, 0, want, n)
	kernels.Gemm(false, false, m, n, k, 1, qa, k, qb, n, 0, wantB, n)
	a, b, c := upload(t, d, ra), upload(t, d, rb), upload(t, d, make([]float64, m*n))
	a2, b2, c2 := upload(t, d, qa), upload(t, d, qb), upload(t, d, make([]float64, m*n))

	entered, doneB := make(chan struct{}), make(chan error, 1)
	wb := &hooked{Driver: d, onScratch: func() { close(entered) }}
	var wa *hooked
	wa = &hooked{Driver: d, onLaunch: func(name string) {
		if name != "gemm_reduce_f64" {
			return
		}
		wa.onLaunch = nil
		go func() { doneB <- core.Gemm(wb, false, false, m, n, k, 1.0, a2, k, b2, n, 0, c2, n) }()
		<-entered
		select {
		case err := <-doneB: // B ran its product in between
			doneB <- err
		case <-time.After(500 * time.Millisecond): // B waits for the workspace
		}
	}}
	if err := core.Gemm(wa, false, false, m, n, k, 1.0, a, k, b, n, 0, c, n); err != nil {
		t.Fatal(err)
	}
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	got, gotB := make([]float64, m*n), make([]float64, m*n)
	if err := c.CopyOut(got); err != nil {
		t.Fatal(err)
	}
	if err := c2.CopyOut(gotB); err != nil {
		t.Fatal(err)
	}
	near(t, "A", got, want, tolerance)
	near(t, "B", gotB, wantB, tolerance)
	if n := d.Launches()["gemm_reduce_f64"]; n != 2 {
		t.Errorf("%d split products, want 2", n)
	}
	for _, x := range []*core.Buffer[float64]{a, b, c, a2, b2, c2} {
		x.Free()
	}
}

// TestGemmEdges: k = 0 leaves C = beta·C (0 over NaN when beta is 0) without reading A
// or B, and a 1×1 product with a long k is split along k and still exact to rounding.
func TestGemmEdges(t *testing.T) {
	d := NewDriver()
	a, b := upload(t, d, []float64{math.NaN(), math.NaN(), math.NaN()}),
		upload(t, d, []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()})
	for _, beta := range []float64{0, 0.5} {
		c := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		want := make([]float64, len(c))
		for i := range c {
			want[i] = beta * c[i]
			if beta == 0 {
				c[i] = math.NaN()
			}
		}
		dc := upload(t, d, c)
		if err := core.Gemm(d, false, false, 3, 4, 0, 2.0, a, 1, b, 4, beta, dc, 4); err != nil {
			t.Fatal(err)
		}
		if err := dc.CopyOut(c); err != nil {
			t.Fatal(err)
		}
		dc.Free()
		near(t, fmt.Sprintf("k 0 beta %v", beta), c, want, 0)
	}
	a.Free()
	b.Free()

	rng := rand.New(rand.NewPCG(13, 13))
	const k = 777
	x, y := rnd(rng, k, 1), rnd(rng, k, 1)
	want := []float64{0.25}
	kernels.Gemm(false, false, 1, 1, k, 1, x, k, y, 1, 1, want, 1)
	da, db, dc := upload(t, d, x), upload(t, d, y), upload(t, d, []float64{0.25})
	if err := core.Gemm(d, false, false, 1, 1, k, 1.0, da, k, db, 1, 1, dc, 1); err != nil {
		t.Fatal(err)
	}
	got := []float64{0}
	if err := dc.CopyOut(got); err != nil {
		t.Fatal(err)
	}
	near(t, "1×1", got, want, tolerance)
	if d.Launches()["gemm_reduce_f64"] != 1 {
		t.Errorf("1×1 with k %d was not split: %v", k, d.Launches())
	}
	for _, x := range []*core.Buffer[float64]{da, db, dc} {
		x.Free()
	}
}
