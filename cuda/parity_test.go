//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

func TestBufferFreeTwice(t *testing.T) {
	b, err := NewBuffer[float32](dev, 17)
	check(t, err)
	b.Free()
	b.Free()
	var nilBuf *Buffer[float64]
	nilBuf.Free()
}

func TestPTXEntriesLoaded(t *testing.T) {
	for _, k := range []string{"gemm_large", "gemm_small", "act_fwd", "act_bwd", "dropout",
		"mse", "adam", "colsum", "fill_rows", "sum_partial", "conv_fwd", "conv_bwd_x",
		"conv_bwd_w", "lstm_fwd", "lstm_bwd", "gru_fwd", "gru_bwd", "lstm_cell_fwd",
		"lstm_cell_bwd", "gru_cell_fwd_a", "gru_cell_fwd_b", "gru_cell_bwd_a",
		"gru_cell_bwd_b"} {
		for _, s := range []string{"_f32", "_f64"} {
			if _, ok := dev.fns[k+s]; !ok {
				t.Errorf("kernel %s%s not loaded", k, s)
			}
		}
	}
}

func TestGemm(t *testing.T) {
	both(t, testGemm[float32], testGemm[float64])
}

// testGemm straddles the edges of both tiles (128 or 64 wide for float32, 64 or 32 for
// float64) and of the k step of 8, with all transposes, padded strides, beta 0 over NaN,
// and beta 1. On an H200 (132 multiprocessors) 1537×1410 makes enough large tiles to
// fill it, the last two are split along k and finished by gemm_reduce, and the others
// take the small tile.
func testGemm[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {15, 16, 17}, {33, 1, 64}, {65, 63, 31}, {7, 130, 5},
		{1537, 1410, 19}, {5, 7, 1000}, {40, 70, 600}}
	for _, s := range sizes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			m, n, k := s[0], s[1], s[2]
			ar, ac := m, k
			if tr[0] {
				ar, ac = k, m
			}
			br, bc := k, n
			if tr[1] {
				br, bc = n, k
			}
			lda, ldb, ldc := ac+3, bc+1, n+2
			a, b := randn[T](rng, ar*lda, 1), randn[T](rng, br*ldb, 1)
			for _, beta := range []T{0, 1} {
				c := randn[T](rng, m*ldc, 1)
				if beta == 0 {
					for i := range c {
						c[i] = T(math.NaN())
					}
				}
				want := append([]T(nil), c...)
				kernels.Gemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, beta, want, ldc)
				dc := up(t, c)
				check(t, Gemm(dev, tr[0], tr[1], m, n, k, 0.5, up(t, a), lda, up(t, b), ldb, beta,
					dc, ldc))
				name := fmt.Sprintf("m%d n%d k%d t%v beta%v", m, n, k, tr, beta)
				near(t, name, down(t, dc, len(c)), want, summed[T]())
			}
		}
	}
}

func TestActivations(t *testing.T) {
	both(t, testActivations[float32], testActivations[float64])
}

// testActivations keeps inputs off the kinks (0 for relu, ±2.5 for hard_sigmoid), where
// a one-ulp difference in x would flip the derivative.
func testActivations[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1000 + 3
	x := randn[T](rng, n, 4)
	for i, v := range x {
		if a := math.Abs(float64(v)); a < 1e-3 || math.Abs(a-2.5) < 1e-3 {
			x[i] = 1
		}
	}
	dy := randn[T](rng, n, 1)
	for a := kernels.Linear; a <= kernels.HardSigmoid; a++ {
		y, dx := make([]T, n), make([]T, n)
		kernels.ActForward(a, y, x, 0.3)
		kernels.ActBackward(a, dx, dy, y, 0.3)
		gy, gdx := zeros[T](t, n), zeros[T](t, n)
		check(t, ActForward(dev, a, gy, up(t, x), 0.3))
		check(t, ActBackward(dev, a, gdx, up(t, dy), gy, 0.3))
		tl := exact[T]()
		if isF32[T]() && (a == kernels.Tanh || a == kernels.Sigmoid) {
			// tanhf and expf are within 2 ulp of Go's float64 math rounded to float32; the
			// backward pass's 1-y² and y(1-y) turn that into ~5e-7 absolute near |y| = 1.
			tl = tol{1e-6, 1e-6}
		}
		near(t, a.String()+" forward", down(t, gy, n), y, tl)
		near(t, a.String()+" backward", down(t, gdx, n), dx, tl)
	}
}

func TestDropout(t *testing.T) {
	both(t, testDropout[float32], testDropout[float64])
}

// testDropout demands the mask of kernels.DropoutMask bit for bit: equality, no tolerance.
func testDropout[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		n          int
		rate       float64
		seed, step uint64
	}{{1, 0.5, 1, 0}, {1000 + 1, 0.2, 42, 7}, {70000, 0.5, 1 << 40, 123456}, {333, 0, 9, 9}} {
		x := randn[T](rng, c.n, 1)
		mask, want := make([]T, c.n), make([]T, c.n)
		kernels.DropoutMask(mask, c.seed, c.step, c.rate)
		kernels.DropoutForward(want, x, mask)
		gy := zeros[T](t, c.n)
		check(t, Dropout(dev, gy, up(t, x), c.rate, c.seed, c.step))
		got := down(t, gy, c.n)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("n %d rate %g: element %d got %v want %v (mask %v)",
					c.n, c.rate, i, got[i], want[i], mask[i])
			}
		}
	}
}

func TestMSE(t *testing.T) {
	both(t, testMSE[float32], testMSE[float64])
}

func testMSE[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	l, err := NewMSE[T](dev, 20000)
	check(t, err)
	defer l.Free()
	for _, n := range []int{1, 257, 4097, 20000} {
		p, y := randn[T](rng, n, 2), randn[T](rng, n, 2)
		dp := make([]T, n)
		want := kernels.MSE(dp, p, y)
		gdp := zeros[T](t, n)
		got, err := l.Forward(gdp, up(t, p), up(t, y))
		check(t, err)
		// Both sum the float64 squares, tree against serial order: the relative
		// difference is bounded by n·ε ≈ 2e-12 for n = 20000 positive terms.
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("n %d: loss %v, CPU %v", n, got, want)
		}
		near(t, fmt.Sprint("dp n ", n), down(t, gdp, n), dp, tol{0, 0})
	}
}

func TestAdam(t *testing.T) {
	both(t, testAdam[float32], testAdam[float64])
}

// testAdam runs three steps of both forms; the kernel repeats kernels.Adam's operations.
func testAdam[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 1000 + 7
	for _, pt := range []bool{false, true} {
		o := Adam{LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, PyTorch: pt}
		p := randn[T](rng, n, 1)
		m, v := make([]T, n), make([]T, n)
		gp, gm, gv := up(t, p), zeros[T](t, n), zeros[T](t, n)
		for step := 1; step <= 3; step++ {
			g := randn[T](rng, n, 1)
			c1 := 1 - math.Pow(o.Beta1, float64(step))
			c2 := 1 - math.Pow(o.Beta2, float64(step))
			alpha, vScale := o.LR*math.Sqrt(c2)/c1, 1.0
			if pt {
				alpha, vScale = o.LR/c1, math.Sqrt(c2)
			}
			kernels.Adam(p, g, m, v, o.Beta1, o.Beta2, alpha, vScale, o.Eps)
			check(t, AdamStep(dev, o, step, gp, up(t, g), gm, gv))
		}
		name := fmt.Sprintf("pytorch=%v", pt)
		near(t, name+" p", down(t, gp, n), p, exact[T]())
		near(t, name+" m", down(t, gm, n), m, exact[T]())
		near(t, name+" v", down(t, gv, n), v, exact[T]())
	}
}

func TestConv1D(t *testing.T) {
	both(t, testConv1D[float32], testConv1D[float64])
}

func testConv1D[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range []Conv1D{
		{T: 13, C: 3, K: 4, S: 1, O: 5},
		{T: 13, C: 3, K: 4, S: 2, O: 1},
		{T: 50, C: 1, K: 5, S: 3, O: 17},
		{T: 6, C: 7, K: 6, S: 1, O: 4},
	} {
		B, To := 3, c.To()
		x, w := randn[T](rng, B*c.T*c.C, 1), randn[T](rng, c.K*c.C*c.O, 1)
		bias, dy := randn[T](rng, c.O, 1), randn[T](rng, B*To*c.O, 1)
		y := make([]T, B*To*c.O)
		kernels.Conv1DForward(y, x, w, bias, B, c.T, c.C, c.K, c.S, c.O)
		dx, dw, db := make([]T, len(x)), randn[T](rng, len(w), 1), randn[T](rng, c.O, 1)
		gdw, gdb := up(t, dw), up(t, db)
		kernels.Conv1DBackward(dx, dw, db, dy, x, w, B, c.T, c.C, c.K, c.S, c.O)

		gx, gw := up(t, x), up(t, w)
		gy, gdx := zeros[T](t, len(y)), zeros[T](t, len(x))
		check(t, Conv1DForward(dev, c, gy, gx, gw, up(t, bias), B))
		check(t, Conv1DBackward(dev, c, gdx, gdw, gdb, up(t, dy), gy, gx, gw, B))
		name := fmt.Sprintf("T%d C%d K%d S%d O%d", c.T, c.C, c.K, c.S, c.O)
		near(t, name+" y", down(t, gy, len(y)), y, summed[T]()) // the CPU sums through sgemm
		near(t, name+" dx", down(t, gdx, len(dx)), dx, summed[T]())
		near(t, name+" dw", down(t, gdw, len(dw)), dw, summed[T]())
		near(t, name+" db", down(t, gdb, len(db)), db, summed[T]())
	}
}

// TestConv1DReLU checks the fused activation against kernels.ActForward/ActBackward.
func TestConv1DReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	c := Conv1D{T: 20, C: 2, K: 3, S: 1, O: 6, Act: kernels.ReLU}
	B, To := 2, c.To()
	x, w := randn[float64](rng, B*c.T*c.C, 1), randn[float64](rng, c.K*c.C*c.O, 1)
	bias, dy := randn[float64](rng, c.O, 1), randn[float64](rng, B*To*c.O, 1)
	y := make([]float64, B*To*c.O)
	kernels.Conv1DForward(y, x, w, bias, B, c.T, c.C, c.K, c.S, c.O)
	kernels.ActForward(kernels.ReLU, y, y, 0)
	dz := make([]float64, len(dy))
	kernels.ActBackward(kernels.ReLU, dz, dy, y, 0)
	dx, dw, db := make([]float64, len(x)), make([]float64, len(w)), make([]float64, c.O)
	kernels.Conv1DBackward(dx, dw, db, dz, x, w, B, c.T, c.C, c.K, c.S, c.O)

	gx, gw, gy := up(t, x), up(t, w), zeros[float64](t, len(y))
	gdx, gdw, gdb := zeros[float64](t, len(x)), zeros[float64](t, len(w)), zeros[float64](t, c.O)
	check(t, Conv1DForward(dev, c, gy, gx, gw, up(t, bias), B))
	check(t, Conv1DBackward(dev, c, gdx, gdw, gdb, up(t, dy), gy, gx, gw, B))
	near(t, "y", down(t, gy, len(y)), y, exact[float64]())
	near(t, "dx", down(t, gdx, len(x)), dx, summed[float64]())
	near(t, "dw", down(t, gdw, len(w)), dw, summed[float64]())
	near(t, "db", down(t, gdb, c.O), db, summed[float64]())
}

func TestColSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	m, n := 129, 33
	src, dst := randn[float32](rng, m*n, 1), randn[float32](rng, n, 1)
	want := append([]float32(nil), dst...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			want[j] += src[i*n+j]
		}
	}
	gd := up(t, dst)
	check(t, ColSum(dev, gd, up(t, src), m, n))
	near(t, "colsum", down(t, gd, n), want, summed[float32]())
}

// TestNewStream runs a split product (zeroed allocation, upload, partial sums, reduce,
// download) on a second device handle that uses a non-blocking stream of its own, where
// nothing orders work on the legacy default stream before it: every memset and copy
// must go through the device's stream.
func TestNewStream(t *testing.T) {
	d, err := Open(0)
	check(t, err)
	defer d.Close()
	check(t, d.UseNewStream())
	rng := rand.New(rand.NewPCG(11, 12))
	m, n, k := 40, 70, 600
	a, b := randn[float32](rng, m*k, 1), randn[float32](rng, k*n, 1)
	want := make([]float32, m*n)
	kernels.Gemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	da, err := Upload(d, a)
	check(t, err)
	db, err := Upload(d, b)
	check(t, err)
	dc, err := NewBuffer[float32](d, m*n)
	check(t, err)
	check(t, Gemm(d, false, false, m, n, k, 1, da, k, db, n, 0, dc, n))
	got := make([]float32, m*n)
	check(t, dc.CopyOut(got))
	near(t, "c", got, want, summed[float32]())
	for _, buf := range []*Buffer[float32]{da, db, dc} {
		buf.Free()
	}
}
