package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Weight initializers, following Keras 2.1.1 (keras/initializers.py). Each fills w in place
// from rng only, so a model built from the same seed gets the same weights. zeros needs no
// function: a new Param is already zero.

// glorotUniform fills w, a 2-D kernel of fanIn rows and fanOut columns, with values drawn
// uniform in [-limit, limit), limit = sqrt(6 / (fanIn + fanOut)): Keras's glorot_uniform,
// with fan_in and fan_out the rows and columns of the kernel as stored (F, 4H for an LSTM
// kernel; for a Conv1D kernel (K, C, O) the caller passes fanIn = K·C, fanOut = K·O).
func glorotUniform[T Float](rng *rand.Rand, w []T, fanIn, fanOut int) {
	if fanIn+fanOut <= 0 {
		panic(fmt.Sprintf("nn: glorotUniform: fan_in %d + fan_out %d must be positive",
			fanIn, fanOut))
	}
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = T(limit * (2*rng.Float64() - 1))
	}
}

// orthogonal fills w (rows, cols) with a matrix whose rows (if rows <= cols) or columns
// (if rows >= cols) are orthonormal: Keras 2.1.1's Orthogonal(gain=1). As Keras does, it
// draws A (rows, cols) from the standard normal, takes the thin SVD A = U Σ Vᵀ and keeps
// whichever of U (rows, min) and Vᵀ (min, cols) has the shape (rows, cols). The random
// draws follow math/rand/v2, not NumPy, so values differ from Keras's; the distribution
// is the same.
func orthogonal[T Float](rng *rand.Rand, w []T, rows, cols int) {
	if rows < 1 || cols < 1 || len(w) != rows*cols {
		panic(fmt.Sprintf("nn: orthogonal: %d values for a (%d, %d) matrix",
			len(w), rows, cols))
	}
	a := mat.NewDense(rows, cols, nil)
	for r := range rows {
		for c := range cols {
			a.Set(r, c, rng.NormFloat64())
		}
	}

	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		// Only NaN or Inf input makes the SVD fail, and normal draws are finite.
		panic("nn: orthogonal: SVD of a normal matrix did not converge")
	}
	var q mat.Dense
	if rows >= cols {
		svd.UTo(&q) // (rows, cols)
	} else {
		var v mat.Dense
		svd.VTo(&v) // (cols, rows)
		q.CloneFrom(v.T())
	}
	for r := range rows {
		for c := range cols {
			w[r*cols+c] = T(q.At(r, c))
		}
	}
}
