package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGlorotUniformBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fanIn, fanOut := 7, 200 // an LSTM kernel with F = 7, H = 50
	w := make([]float64, fanIn*fanOut)
	glorotUniform(rng, w, fanIn, fanOut)

	limit := math.Sqrt(6.0 / float64(fanIn+fanOut))
	var lo, hi, sum, sq float64
	for _, v := range w {
		if v < -limit || v >= limit {
			t.Fatalf("value %g outside [-%g, %g)", v, limit, limit)
		}
		lo, hi = min(lo, v), max(hi, v)
		sum += v
		sq += v * v
	}
	n := float64(len(w))
	// 1400 uniform draws: the extremes come within 1% of the limit with probability
	// 1 - 2·0.995^1400 ≈ 1 - 2e-3, the mean within 4 standard errors of zero, and the
	// variance within 10% of limit²/3 (its standard error is about 3%).
	if lo > -0.99*limit || hi < 0.99*limit {
		t.Errorf("range [%g, %g] does not fill [-%g, %g)", lo, hi, limit, limit)
	}
	if m := sum / n; math.Abs(m) > 4*limit/math.Sqrt(3*n) {
		t.Errorf("mean %g too far from 0", m)
	}
	if v, want := sq/n, limit*limit/3; math.Abs(v-want) > 0.1*want {
		t.Errorf("variance %g, want %g ± 10%%", v, want)
	}
}

// TestOrthogonal checks W Wᵀ = I for a wide matrix (an LSTM's (H, 4H) recurrent kernel)
// and Wᵀ W = I for a tall one, to 1e-12: the SVD factors are orthonormal to rounding.
func TestOrthogonal(t *testing.T) {
	for _, sz := range []struct{ rows, cols int }{{5, 20}, {50, 200}, {5, 15}, {9, 4}, {6, 6}} {
		rng := rand.New(rand.NewPCG(3, 4))
		w := make([]float64, sz.rows*sz.cols)
		orthogonal(rng, w, sz.rows, sz.cols)

		// Gram matrix of the shorter side's vectors.
		n, m := sz.rows, sz.cols
		at := func(i, k int) float64 { return w[i*sz.cols+k] } // row i
		if sz.rows > sz.cols {
			n, m = sz.cols, sz.rows
			at = func(i, k int) float64 { return w[k*sz.cols+i] } // column i
		}
		var worst float64
		for i := range n {
			for j := range n {
				var s float64
				for k := range m {
					s += at(i, k) * at(j, k)
				}
				if i == j {
					s--
				}
				worst = max(worst, math.Abs(s))
			}
		}
		if worst > 1e-12 {
			t.Errorf("(%d, %d): Gram matrix differs from I by %g", sz.rows, sz.cols, worst)
		}
	}
}

func TestInitReproducible(t *testing.T) {
	a := make([]float32, 5*20)
	b := make([]float32, 5*20)
	orthogonal(rand.New(rand.NewPCG(9, 9)), a, 5, 20)
	orthogonal(rand.New(rand.NewPCG(9, 9)), b, 5, 20)
	glorotUniform(rand.New(rand.NewPCG(9, 9)), a[:10], 2, 5)
	glorotUniform(rand.New(rand.NewPCG(9, 9)), b[:10], 2, 5)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different weights at %d: %g vs %g", i, a[i], b[i])
		}
	}
}
