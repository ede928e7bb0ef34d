package kernels

import (
	"math"
	"testing"
)

// TestDropoutKeptFraction draws 1e5 mask entries at rate 0.5: the kept count is
// binomial with standard deviation √(n/4) ≈ 158, so ±1% (1000, over 6σ) never fails by
// chance for a correct generator. The same holds for rates 0.2 and 0.8.
func TestDropoutKeptFraction(t *testing.T) {
	const n = 100000
	mask := make([]float64, n)
	for _, rate := range []float64{0.2, 0.5, 0.8} {
		DropoutMask(mask, 42, 7, rate)
		kept := 0
		for _, m := range mask {
			switch m {
			case 0:
			case 1 / (1 - rate):
				kept++
			default:
				t.Fatalf("rate %g: mask value %g is neither 0 nor 1/(1-rate)", rate, m)
			}
		}
		if f := float64(kept) / n; math.Abs(f-(1-rate)) > 0.01 {
			t.Errorf("rate %g: kept fraction %.4f, want %.2f ± 0.01", rate, f, 1-rate)
		}
	}
}

func TestDropoutMaskIsAFunctionOfSeedStepIndex(t *testing.T) {
	const n = 4096
	a, b := make([]float32, n), make([]float32, n)
	DropoutMask(a, 1, 5, 0.5)
	DropoutMask(b, 1, 5, 0.5)
	if differ(a, b) != 0 {
		t.Error("same (seed, step) gave different masks")
	}
	// A prefix of a longer mask is the shorter mask: a sample's mask does not depend on B.
	DropoutMask(b[:100], 1, 5, 0.5)
	if differ(a[:100], b[:100]) != 0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another seed: about half the entries change.
	for _, c := range []struct{ seed, step uint64 }{{1, 6}, {2, 5}, {0, 0}} {
		DropoutMask(b, c.seed, c.step, 0.5)
		if d := differ(a, b); d < n/3 || d > 2*n/3 {
			t.Errorf("seed %d step %d: %d of %d entries differ from seed 1 step 5",
				c.seed, c.step, d, n)
		}
	}
	// float32 and float64 masks keep the same entries.
	c := make([]float64, n)
	DropoutMask(c, 1, 5, 0.5)
	for i := range c {
		if (c[i] == 0) != (a[i] == 0) {
			t.Fatalf("entry %d kept in one precision only", i)
		}
	}
}

// TestDropoutRecipe pins the bit recipe documented in dropout.go: a GPU kernel must give
// these exact words. The expected values were computed by hand-following the recipe with
// a separate implementation below (math/bits-free, one step at a time).
func TestDropoutRecipe(t *testing.T) {
	step := func(z uint64) uint64 {
		z ^= z >> 30
		z *= 0xBF58476D1CE4E5B9
		z ^= z >> 27
		z *= 0x94D049BB133111EB
		z ^= z >> 31
		return z
	}
	seed, st := uint64(12345), uint64(3)
	key := step(seed ^ step(st+0x9E3779B97F4A7C15))
	if DropoutKey(seed, st) != key {
		t.Fatalf("DropoutKey = %#x, want %#x", DropoutKey(seed, st), key)
	}
	mask := make([]float64, 64)
	DropoutMask(mask, seed, st, 0.3)
	thr := uint64(math.Ceil(0.3 * (1 << 53)))
	for i := range mask {
		bits := step(key + uint64(i+1)*0x9E3779B97F4A7C15)
		if got := DropoutBits(key, uint64(i)); got != bits {
			t.Fatalf("bits(%d) = %#x, want %#x", i, got, bits)
		}
		keep := float64(bits>>11)/(1<<53) >= 0.3
		if keep != (bits>>11 >= thr) || keep != (mask[i] != 0) {
			t.Fatalf("entry %d: float and integer keep tests disagree", i)
		}
	}
	// splitmix64's published first output for seed 0 is mix(0x9E3779B97F4A7C15):
	if got := mix64(golden); got != 0xE220A8397B1DCDAF {
		t.Errorf("mix64(golden) = %#x, want splitmix64's 0xE220A8397B1DCDAF", got)
	}
}

func TestDropoutForwardBackward(t *testing.T) {
	mask := []float64{2, 0, 2, 0}
	x := []float64{1, 2, 3, 4}
	y := make([]float64, 4)
	DropoutForward(y, x, mask)
	DropoutBackward(x, x, mask) // in place
	for i, want := range []float64{2, 0, 6, 0} {
		if y[i] != want || x[i] != want {
			t.Fatalf("y = %v, dx = %v, want %g at %d", y, x, want, i)
		}
	}
}

func TestDropoutThresholdPanics(t *testing.T) {
	for _, r := range []float64{-0.1, 1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rate %g: no panic", r)
				}
			}()
			DropoutThreshold(r)
		}()
	}
	if DropoutThreshold(0) != 0 {
		t.Error("rate 0 must keep everything")
	}
}

func differ[T Float](a, b []T) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
