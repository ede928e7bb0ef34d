//go:build cuda

package emu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/cuda/internal/ref"
	"github.com/seqnn/seqnn/kernels"
)

// These tests run the .cu sources on the CPU (see the package doc) in float64 and compare
// them with the kernels package. Tolerance 1e-12·(1+|want|): the same formulas with sums
// in a different order over at most a few hundred O(1) terms.
const tolerance = 1e-12

func rnd(rng *rand.Rand, n int, s float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = s * (2*rng.Float64() - 1)
	}
	return x
}

// near fails at the first element outside tolerance; NaN matches NaN (the padding of a
// strided matrix that must stay untouched).
func near(t *testing.T, what string, got, want []float64, tl float64) {
	t.Helper()
	for i := range want {
		if math.IsNaN(got[i]) && math.IsNaN(want[i]) {
			continue
		}
		if d := math.Abs(got[i] - want[i]); !(d <= tl*(1+math.Abs(want[i]))) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			return
		}
	}
}

func TestActivations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, dy := rnd(rng, 301, 4), rnd(rng, 301, 1)
	for a := kernels.Linear; a <= kernels.HardSigmoid; a++ {
		y, dx, gy, gdx := make([]float64, 301), make([]float64, 301), make([]float64, 301),
			make([]float64, 301)
		kernels.ActForward(a, y, x, 0.3)
		kernels.ActBackward(a, dx, dy, y, 0.3)
		ActForward(int(a), gy, x, 0.3)
		ActBackward(int(a), gdx, dy, gy, 0.3)
		near(t, a.String()+" y", gy, y, 1e-15)
		near(t, a.String()+" dx", gdx, dx, 1e-15)
	}
}

// TestDropout demands kernels.DropoutMask's mask bit for bit.
func TestDropout(t *testing.T) {
	n, rate, seed, step := 5001, 0.3, uint64(77), uint64(12)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	mask, want, got := make([]float32, n), make([]float32, n), make([]float32, n)
	kernels.DropoutMask(mask, seed, step, rate)
	kernels.DropoutForward(want, x, mask)
	Dropout(got, x, kernels.DropoutKey(seed, step), kernels.DropoutThreshold(rate),
		float32(1/(1-rate)))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("element %d: got %v want %v", i, got[i], want[i])
		}
	}
}

func TestConv1D(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range [][5]int{{13, 3, 4, 1, 5}, {13, 3, 4, 2, 1}, {50, 1, 5, 3, 17}} {
		B, T, C, K, S, O := 2, c[0], c[1], c[2], c[3], c[4]
		To := kernels.Conv1DOutLen(T, K, S)
		x, w, bias, dy := rnd(rng, B*T*C, 1), rnd(rng, K*C*O, 1), rnd(rng, O, 1),
			rnd(rng, B*To*O, 1)
		y, dx, dw, db := make([]float64, B*To*O), make([]float64, B*T*C),
			make([]float64, K*C*O), make([]float64, O)
		kernels.Conv1DForward(y, x, w, bias, B, T, C, K, S, O)
		kernels.Conv1DBackward(dx, dw, db, dy, x, w, B, T, C, K, S, O)
		gy, gdx, gdw := make([]float64, len(y)), make([]float64, len(dx)), make([]float64, len(dw))
		for i := range gy {
			gy[i] = bias[i%O]
		}
		Conv(gy, gdx, gdw, x, w, dy, B, T, C, K, S, O)
		name := fmt.Sprint(c)
		near(t, name+" y", gy, y, tolerance) // kernels sums through sgemm, in its own order
		near(t, name+" dx", gdx, dx, tolerance)
		near(t, name+" dw", gdw, dw, tolerance)
	}
}

type rnnCase struct {
	B, T, F, H int
	ra         kernels.Activation
	loop       core.Loop
}

var cases = []rnnCase{
	{3, 7, 5, 50, kernels.HardSigmoid, core.LoopPersistent},
	{3, 7, 5, 50, kernels.HardSigmoid, core.LoopBlock},
	{3, 7, 5, 50, kernels.HardSigmoid, core.LoopStep},
	{2, 5, 3, 17, kernels.Sigmoid, core.LoopPersistent},
	{2, 5, 3, 17, kernels.Sigmoid, core.LoopStep},
	{1, 4, 2, 6, kernels.Sigmoid, core.LoopBlock},
}

// TestRecurrent runs core's LSTM and both GRU forms, every loop, in float64 against the
// whole-sequence references composed from kernels' step functions: outputs and every
// gradient, the weight products after the time loop included.
func TestRecurrent(t *testing.T) {
	for _, kind := range []string{"lstm", "gru", "gru-reset-after"} {
		for i, c := range cases {
			rng := rand.New(rand.NewPCG(5, uint64(i)))
			B, T, F, H := c.B, c.T, c.F, c.H
			G, nb := 4*H, 4*H
			if kind != "lstm" {
				G, nb = 3*H, 3*H
			}
			if kind == "gru-reset-after" {
				nb = 6 * H
			}
			x, w, u := rnd(rng, B*T*F, 1), rnd(rng, F*G, 0.5), rnd(rng, H*G, 0.3)
			b, dy := rnd(rng, nb, 0.5), rnd(rng, B*T*H, 1)
			dims := ref.Dims{B: B, T: T, F: F, H: H, RecAct: c.ra, Act: kernels.Tanh}
			var want ref.Grads[float64]
			if kind == "lstm" {
				want = ref.LSTM(dims, x, w, u, b, dy)
			} else {
				want = ref.GRU(dims, kind == "gru-reset-after", x, w, u, b, dy)
			}
			got := runRecurrent(t, NewDriver(), kind, c.loop, B, T, F, H, x, w, u, b, dy,
				c.ra)
			name := fmt.Sprintf("%s %+v", kind, c)
			for j, w := range [][]float64{want.H, want.DX, want.DW, want.DU, want.DB} {
				near(t, name+" "+[]string{"h", "dx", "dW", "dU", "db"}[j], got[j], w, tolerance)
			}
		}
	}
}

// TestSourcesCurrent fails when the .cu sources changed since gen.sh last ran: the cgo
// build of this package would then still hold the old code (and the PTX would be stale).
func TestSourcesCurrent(t *testing.T) {
	files, err := filepath.Glob("../../*.cu")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, f := range append([]string{"../../common.cuh"}, files...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\n", filepath.Base(f))
		h.Write(src)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sourcesSHA256 {
		t.Fatalf("kernel sources changed since the last generate (hash %s, recorded %s): "+
			"run go generate -tags cuda ./cuda", got, sourcesSHA256)
	}
}

// TestStepMatchesBlock backs the claim in lstm.cu and gru.cu that the per-step form
// (matrix products and cell kernels) sums in the order of the one-launch loops: through
// core's layers, LoopStep, LoopBlock and LoopPersistent give the same outputs and the
// same gradients bit for bit, in both types, for the LSTM and both GRU forms. MaxB is
// above B so that the layers' views of their step buffers are exercised with room left.
func TestStepMatchesBlock(t *testing.T) {
	t.Run("f32", testStepMatchesBlock[float32])
	t.Run("f64", testStepMatchesBlock[float64])
}

func testStepMatchesBlock[T kernels.Float](t *testing.T) {
	const B, Tn, F, H = 3, 6, 4, 9
	loops := []core.Loop{core.LoopPersistent, core.LoopBlock, core.LoopStep}
	for _, kind := range []string{"lstm", "gru", "gru-reset-after"} {
		rng := rand.New(rand.NewPCG(8, 8))
		G, nb := 4*H, 4*H
		if kind != "lstm" {
			G, nb = 3*H, 3*H
		}
		if kind == "gru-reset-after" {
			nb = 6 * H
		}
		x, dy := cast[T](rnd(rng, B*Tn*F, 1)), cast[T](rnd(rng, B*Tn*H, 1))
		w, u, bias := cast[T](rnd(rng, F*G, 0.5)), cast[T](rnd(rng, H*G, 0.3)),
			cast[T](rnd(rng, nb, 0.5))
		var first [5][]T
		for i, loop := range loops {
			d := NewDriver()
			got := runRecurrent(t, d, kind, loop, B, Tn, F, H, x, w, u, bias, dy,
				kernels.HardSigmoid)
			if i == 0 {
				first = got
				continue
			}
			for j, what := range []string{"h", "dx", "dw", "du", "db"} {
				for e := range got[j] {
					if got[j][e] != first[j][e] {
						t.Errorf("%s loop %d: %s[%d] = %v, persistent %v", kind, loop, what, e,
							got[j][e], first[j][e])
						break
					}
				}
			}
		}
	}
}

// runRecurrent runs one layer's Forward and Backward through core on d with the loop
// given, checks that loop ran, and returns h, dx, dw, du, db.
func runRecurrent[T kernels.Float](t *testing.T, d *Driver, kind string, loop core.Loop,
	B, Tn, F, H int, x, w, u, bias, dy []T, ra kernels.Activation) [5][]T {
	t.Helper()
	up := func(v []T) *core.Buffer[T] { return upload(t, d, v) }
	dx, dw, du, db := make([]T, len(x)), make([]T, len(w)), make([]T, len(u)), make([]T, len(bias))
	bx, bw, bu, bb, bdy := up(x), up(w), up(u), up(bias), up(dy)
	bh, bdx, bdw, bdu, bdb := up(make([]T, B*Tn*H)), up(dx), up(dw), up(du), up(db)
	var err error
	var fwd, bwd core.Loop
	if kind == "lstm" {
		l, e := core.NewLSTM[T](d, F, H, Tn, B+2)
		if e != nil {
			t.Fatal(e)
		}
		l.Loop, l.RecAct = loop, ra
		if err = l.Forward(bh, bx, bw, bu, bb, B); err == nil {
			err = l.Backward(bdx, bdw, bdu, bdb, bdy, bx, bw, bu, B)
		}
		fwd, bwd = l.Used()
		l.Free()
	} else {
		g, e := core.NewGRU[T](d, F, H, Tn, B+2, kind == "gru-reset-after")
		if e != nil {
			t.Fatal(e)
		}
		g.Loop, g.RecAct = loop, ra
		if err = g.Forward(bh, bx, bw, bu, bb, B); err == nil {
			fwd, bwd = g.Used(), g.Used()
			err = g.Backward(bdx, bdw, bdu, bdb, bdy, bx, bw, bu, B)
		}
		g.Free()
	}
	if err != nil {
		t.Fatalf("%s loop %d: %v", kind, loop, err)
	}
	if fwd != loop || bwd != loop {
		t.Fatalf("%s: asked for loop %d, ran %d forward and %d backward", kind, loop, fwd, bwd)
	}
	h := make([]T, B*Tn*H)
	for _, c := range []struct {
		b   *core.Buffer[T]
		dst []T
	}{{bh, h}, {bdx, dx}, {bdw, dw}, {bdu, du}, {bdb, db}} {
		if err := c.b.CopyOut(c.dst); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []*core.Buffer[T]{bx, bw, bu, bb, bdy, bh, bdx, bdw, bdu, bdb} {
		b.Free()
	}
	if d.Live() != 0 {
		t.Errorf("%s: %d allocations left", kind, d.Live())
	}
	return [5][]T{h, dx, dw, du, db}
}

// TestGemm runs both of gemm.cu's tiles for each type through core.Gemm against
// kernels.Gemm: sizes straddling the edges of the 128, 64 and 32-wide tiles and of the
// k step of 8, every transpose, padded strides, beta 0 over NaN and beta 1. A driver
// that reports one multiprocessor gets the large tile, one that reports very many the
// small; with an H200's 132, the last two sizes are split along k (7 and 4 parts, the
// last part short) and finished by gemm_reduce. float32 tolerance 1e-5: both sum in
// float32 with fused multiply-adds, in other orders.
func TestGemm(t *testing.T) {
	t.Run("f32", testGemm[float32])
	t.Run("f64", testGemm[float64])
}

func testGemm[T kernels.Float](t *testing.T) {
	tl := tolerance
	if unsafe.Sizeof(T(0)) == 4 {
		tl = 1e-5
	}
	rng := rand.New(rand.NewPCG(9, 9))
	sizes := [][3]int{{1, 1, 1}, {15, 16, 17}, {33, 1, 64}, {65, 63, 31}, {129, 130, 9}}
	split := [][3]int{{5, 7, 1000}, {40, 70, 600}}
	for _, sms := range []int{1, 1 << 20, 132} {
		sizes := sizes
		if sms == 132 {
			sizes = split
		}
		d := NewDriver()
		d.SMs = sms
		for _, s := range sizes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				m, n, k := s[0], s[1], s[2]
				ar, ac, br, bc := m, k, k, n
				if tr[0] {
					ar, ac = k, m
				}
				if tr[1] {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+3, bc+1, n+2
				a, b := cast[T](rnd(rng, ar*lda, 1)), cast[T](rnd(rng, br*ldb, 1))
				for _, beta := range []T{0, 1} {
					c := cast[T](rnd(rng, m*ldc, 1))
					if beta == 0 {
						for i := range c {
							c[i] = T(math.NaN())
						}
					}
					want := append([]T(nil), c...)
					kernels.Gemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, beta, want, ldc)
					da, db, dc := upload(t, d, a), upload(t, d, b), upload(t, d, c)
					if err := core.Gemm(d, tr[0], tr[1], m, n, k, 0.5, da, lda, db, ldb, beta,
						dc, ldc); err != nil {
						t.Fatal(err)
					}
					if err := dc.CopyOut(c); err != nil {
						t.Fatal(err)
					}
					da.Free()
					db.Free()
					dc.Free()
					near(t, fmt.Sprintf("sms %d m%d n%d k%d %v beta%v", sms, m, n, k, tr, beta),
						cast[float64](c), cast[float64](want), tl)
				}
			}
		}
		launches, reduce := d.Launches(), "gemm_reduce"+suffix[T]()
		if n := launches[reduce]; (sms == 132) != (n > 0) {
			t.Errorf("sms %d: %d launches of %s", sms, n, reduce)
		}
		delete(launches, reduce)
		if len(launches) != 1 {
			t.Errorf("sms %d: launched %v, want one tile throughout", sms, launches)
		}
		t.Logf("sms %d: %v", sms, launches)
	}
}

func suffix[T kernels.Float]() string {
	if unsafe.Sizeof(T(0)) == 4 {
		return "_f32"
	}
	return "_f64"
}

func cast[U, T kernels.Float](x []T) []U {
	y := make([]U, len(x))
	for i, v := range x {
		y[i] = U(v)
	}
	return y
}

func upload[T kernels.Float](t *testing.T, d *Driver, x []T) *core.Buffer[T] {
	t.Helper()
	b, err := core.Upload[T](d, x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSums checks the loss's two-pass sum and the bias gradients' column sums.
func TestSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for _, n := range []int{1, 255, 4097, 20000} {
		x := rnd(rng, n, 1)
		want := 0.0
		for _, v := range x {
			want += v
		}
		if got := Sum(x, 4096); math.Abs(got-want) > tolerance*(1+math.Abs(want)) {
			t.Errorf("n %d: sum %v, want %v", n, got, want)
		}
	}
	m, n := 129, 200
	src, dst := rnd(rng, m*n, 1), rnd(rng, n, 1)
	want := append([]float64(nil), dst...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			want[j] += src[i*n+j]
		}
	}
	ColSum(dst, src, m, n)
	near(t, "colsum", dst, want, tolerance)
}
