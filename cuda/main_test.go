//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	// Skips the whole test binary, visibly, before gorgonia.org/cu's init can exit it when
	// there is no usable driver; see the package doc of nodriverskip.
	_ "github.com/seqnn/seqnn/cuda/internal/nodriverskip"
)

// dev is the device every test shares: GPU SEQNN_CUDA_DEVICE (default 0).
var dev *Device

func TestMain(m *testing.M) {
	ordinal := 0
	if s := os.Getenv("SEQNN_CUDA_DEVICE"); s != "" {
		var err error
		if ordinal, err = strconv.Atoi(s); err != nil {
			fmt.Fprintf(os.Stderr, "SEQNN_CUDA_DEVICE=%q is not a number\n", s)
			os.Exit(2)
		}
	}
	d, err := Open(ordinal)
	if err != nil {
		// The driver works (nodriverskip checked), so this is a real failure.
		fmt.Fprintln(os.Stderr, "cuda tests: Open:", err)
		os.Exit(1)
	}
	dev = d
	code := m.Run()
	if err := dev.Close(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "cuda tests: Close:", err)
		code = 1
	}
	os.Exit(code)
}

// tol is a comparison tolerance: |got - want| ≤ abs + rel·|want|, elementwise.
type tol struct{ abs, rel float64 }

// Tolerances, by the kind of arithmetic between the GPU kernel and its CPU twin.
//
//   - exact: the same operations in the same order with IEEE rounding (no FMA contraction
//     on either side: gen.sh passes -fmad=false, and Go on amd64 rounds each operation).
//     A few ulps are allowed for the library functions (expf, tanhf are within 2 ulp of
//     Go's math, which rounds its float64 result once more for float32).
//   - summed: sums of up to a few hundred terms in a different order (tiled products,
//     bias added before rather than after, the loss's tree sum). Error grows like
//     k·ε·Σ|terms|; the values here are O(1), so 1e-4 (f32) and 1e-11 (f64).
//   - recurrent: the summed error fed back through T steps of a recurrent layer, which
//     for the contracting gates used here stays within a small multiple.
func exact[T Float]() tol {
	if isF32[T]() {
		return tol{1e-6, 1e-6}
	}
	return tol{1e-15, 1e-14}
}

func summed[T Float]() tol {
	if isF32[T]() {
		return tol{1e-4, 1e-4}
	}
	return tol{1e-11, 1e-11}
}

func recurrent[T Float]() tol {
	if isF32[T]() {
		return tol{3e-4, 3e-4}
	}
	return tol{1e-10, 1e-10}
}

func isF32[T Float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// both runs f for float32 and float64 as subtests.
func both(t *testing.T, f32 func(*testing.T), f64 func(*testing.T)) {
	t.Run("f32", f32)
	t.Run("f64", f64)
}

// randn fills a new slice with seeded values uniform on [-s, s).
func randn[T Float](rng *rand.Rand, n int, s float64) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(s * (2*rng.Float64() - 1))
	}
	return x
}

// up uploads host data, failing the test on error; the buffer is freed at cleanup.
func up[T Float](t *testing.T, x []T) *Buffer[T] {
	t.Helper()
	b, err := Upload(dev, x)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Free)
	return b
}

// zeros allocates a zeroed buffer freed at cleanup.
func zeros[T Float](t *testing.T, n int) *Buffer[T] {
	t.Helper()
	b, err := NewBuffer[T](dev, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Free)
	return b
}

// down copies a buffer's first n elements back.
func down[T Float](t *testing.T, b *Buffer[T], n int) []T {
	t.Helper()
	x := make([]T, n)
	if err := b.CopyOut(x); err != nil {
		t.Fatal(err)
	}
	return x
}

// near fails the test when elements lie outside tolerance, naming the worst. NaN matches
// NaN: the padding of a strided matrix must stay untouched.
func near[T Float](t *testing.T, what string, got, want []T, tl tol) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, wi, bad := 0.0, -1, 0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		d := math.Abs(g - w)
		if !(d <= tl.abs+tl.rel*math.Abs(w)) {
			bad++
			if d > worst || math.IsNaN(d) {
				worst, wi = d, i
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside |Δ| ≤ %g + %g|want|; worst [%d] got %v want %v",
			what, bad, len(want), tl.abs, tl.rel, wi, got[wi], want[wi])
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
