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

// loop is how the time loop runs, as cuda.Loop: persistent, block, or per-step kernels.
type loop int

const (
	persistent loop = iota
	block
	step
)

type rnnCase struct {
	B, T, F, H int
	ra         kernels.Activation
	loop       loop
}

var cases = []rnnCase{
	{3, 7, 5, 50, kernels.HardSigmoid, persistent},
	{3, 7, 5, 50, kernels.HardSigmoid, block},
	{3, 7, 5, 50, kernels.HardSigmoid, step},
	{2, 5, 3, 17, kernels.Sigmoid, persistent},
	{2, 5, 3, 17, kernels.Sigmoid, step},
	{1, 4, 2, 6, kernels.Sigmoid, block},
}

// projectIn is xw = x·W + b, the product the Go launchers queue before a time loop.
func projectIn(x, w, b []float64, rows, F, G int) []float64 {
	xw := make([]float64, rows*G)
	for i := range xw {
		xw[i] = b[i%G]
	}
	kernels.Gemm(false, false, rows, G, F, 1, x, F, w, G, 1, xw, G)
	return xw
}

func colSum(dst, src []float64, m, n int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			dst[j] += src[i*n+j]
		}
	}
}

func TestLSTM(t *testing.T) {
	for i, c := range cases {
		rng := rand.New(rand.NewPCG(5, uint64(i)))
		B, T, F, H, G := c.B, c.T, c.F, c.H, 4*c.H
		rows := B * T
		x, w, u, b := rnd(rng, rows*F, 1), rnd(rng, F*G, 0.5), rnd(rng, H*G, 0.3), rnd(rng, G, 0.5)
		dy := rnd(rng, rows*H, 1)
		want := ref.LSTM(ref.Dims{B: B, T: T, F: F, H: H, RecAct: c.ra, Act: kernels.Tanh},
			x, w, u, b, dy)

		h, cs, hprev := make([]float64, rows*H), make([]float64, rows*H), make([]float64, rows*H)
		gates, dz := make([]float64, rows*G), make([]float64, rows*G)
		xw := projectIn(x, w, b, rows, F, G)
		if c.loop == step {
			LSTMSteps(h, cs, hprev, gates, xw, u, dz, dy, B, T, H, int(c.ra), int(kernels.Tanh))
		} else {
			LSTM(h, cs, hprev, gates, xw, u, dz, dy, B, T, H, int(c.ra), int(kernels.Tanh),
				c.loop == persistent)
		}

		// The products the launcher queues after the time loop (weightGrads).
		dx, dw, du, db := make([]float64, rows*F), make([]float64, F*G), make([]float64, H*G),
			make([]float64, G)
		kernels.Gemm(true, false, F, G, rows, 1, x, F, dz, G, 1, dw, G)
		kernels.Gemm(true, false, H, G, rows, 1, hprev, H, dz, G, 1, du, G)
		colSum(db, dz, rows, G)
		kernels.Gemm(false, true, rows, F, G, 1, dz, G, w, G, 0, dx, F)
		name := fmt.Sprintf("%+v", c)
		near(t, name+" h", h, want.H, tolerance)
		near(t, name+" dx", dx, want.DX, tolerance)
		near(t, name+" dW", dw, want.DW, tolerance)
		near(t, name+" dU", du, want.DU, tolerance)
		near(t, name+" db", db, want.DB, tolerance)
	}
}

func TestGRU(t *testing.T) {
	for _, resetAfter := range []bool{false, true} {
		for i, c := range cases {
			rng := rand.New(rand.NewPCG(6, uint64(i)))
			B, T, F, H, G := c.B, c.T, c.F, c.H, 3*c.H
			rows, nb := B*T, G
			if resetAfter {
				nb = 2 * G
			}
			x, w, u, b := rnd(rng, rows*F, 1), rnd(rng, F*G, 0.5), rnd(rng, H*G, 0.3),
				rnd(rng, nb, 0.5)
			dy := rnd(rng, rows*H, 1)
			want := ref.GRU(ref.Dims{B: B, T: T, F: F, H: H, RecAct: c.ra, Act: kernels.Tanh},
				resetAfter, x, w, u, b, dy)

			h, hprev, q := make([]float64, rows*H), make([]float64, rows*H), make([]float64, rows*H)
			gates, daIn, daRec := make([]float64, rows*G), make([]float64, rows*G),
				make([]float64, rows*G)
			var bRec []float64
			if resetAfter {
				bRec = b[G:]
			}
			xw := projectIn(x, w, b[:G], rows, F, G)
			if c.loop == step {
				GRUSteps(h, hprev, gates, q, xw, u, bRec, daIn, daRec, dy, B, T, H, int(c.ra),
					int(kernels.Tanh), resetAfter)
			} else {
				GRU(h, hprev, gates, q, xw, u, bRec, daIn, daRec, dy, B, T, H, int(c.ra),
					int(kernels.Tanh), resetAfter, c.loop == persistent)
			}

			hLast := q
			if resetAfter {
				hLast = hprev
			}
			dx, dw, du, db := make([]float64, rows*F), make([]float64, F*G),
				make([]float64, H*G), make([]float64, nb)
			kernels.Gemm(true, false, F, G, rows, 1, x, F, daIn, G, 1, dw, G)
			kernels.Gemm(true, false, H, 2*H, rows, 1, hprev, H, daRec, G, 1, du, G)
			kernels.Gemm(true, false, H, H, rows, 1, hLast, H, daRec[2*H:], G, 1, du[2*H:], G)
			colSum(db, daIn, rows, G)
			if resetAfter {
				colSum(db[G:], daRec, rows, G)
			}
			kernels.Gemm(false, true, rows, F, G, 1, daIn, G, w, G, 0, dx, F)
			name := fmt.Sprintf("resetAfter=%v %+v", resetAfter, c)
			near(t, name+" h", h, want.H, tolerance)
			near(t, name+" dx", dx, want.DX, tolerance)
			near(t, name+" dW", dw, want.DW, tolerance)
			near(t, name+" dU", du, want.DU, tolerance)
			near(t, name+" db", db, want.DB, tolerance)
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

// TestStepMatchesBlock backs the claim in lstm.cu and gru.cu that the per-step kernels sum
// in the order of the one-launch loops: outputs and gradients agree bit for bit.
func TestStepMatchesBlock(t *testing.T) {
	const B, T, H = 2, 6, 9
	rng := rand.New(rand.NewPCG(8, 8))
	ra, act := int(kernels.HardSigmoid), int(kernels.Tanh)
	same := func(what string, a, b []float64) {
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s[%d]: block %v, step %v", what, i, a[i], b[i])
				return
			}
		}
	}
	mk := func(n int) [2][]float64 { return [2][]float64{make([]float64, n), make([]float64, n)} }

	xw, u, dy := rnd(rng, B*T*4*H, 1), rnd(rng, H*4*H, 0.3), rnd(rng, B*T*H, 1)
	h, c, hp, g, dz := mk(B*T*H), mk(B*T*H), mk(B*T*H), mk(B*T*4*H), mk(B*T*4*H)
	LSTM(h[0], c[0], hp[0], g[0], xw, u, dz[0], dy, B, T, H, ra, act, false)
	LSTMSteps(h[1], c[1], hp[1], g[1], xw, u, dz[1], dy, B, T, H, ra, act)
	same("lstm h", h[0], h[1])
	same("lstm dz", dz[0], dz[1])

	for _, resetAfter := range []bool{false, true} {
		xw, u, bRec := rnd(rng, B*T*3*H, 1), rnd(rng, H*3*H, 0.3), rnd(rng, 3*H, 0.5)
		h, hp, q := mk(B*T*H), mk(B*T*H), mk(B*T*H)
		g, dIn, dRec := mk(B*T*3*H), mk(B*T*3*H), mk(B*T*3*H)
		GRU(h[0], hp[0], g[0], q[0], xw, u, bRec, dIn[0], dRec[0], dy, B, T, H, ra, act,
			resetAfter, false)
		GRUSteps(h[1], hp[1], g[1], q[1], xw, u, bRec, dIn[1], dRec[1], dy, B, T, H, ra, act,
			resetAfter)
		name := fmt.Sprint("gru resetAfter=", resetAfter)
		same(name+" h", h[0], h[1])
		same(name+" daIn", dIn[0], dIn[1])
		same(name+" daRec", dRec[0], dRec[1])
	}
}

// TestGemm runs the tiled product with its 16×16 blocks against kernels.Gemm, straddling
// tile edges, with every transpose, padded strides, beta 0 over NaN and beta 1.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, s := range [][3]int{{1, 1, 1}, {15, 16, 17}, {33, 1, 64}, {65, 63, 31}} {
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
			a, b := rnd(rng, ar*lda, 1), rnd(rng, br*ldb, 1)
			for _, beta := range []float64{0, 1} {
				c := rnd(rng, m*ldc, 1)
				if beta == 0 {
					for i := range c {
						c[i] = math.NaN()
					}
				}
				want := append([]float64(nil), c...)
				kernels.Gemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, beta, want, ldc)
				Gemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, beta, c, ldc)
				near(t, fmt.Sprintf("m%d n%d k%d %v beta%v", m, n, k, tr, beta), c, want,
					tolerance)
			}
		}
	}
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
	colSum(want, src, m, n)
	ColSum(dst, src, m, n)
	near(t, "colsum", dst, want, tolerance)
}
