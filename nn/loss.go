package nn

import "github.com/seqnn/seqnn/kernels"

// MSE returns the mean squared error of a batch's outputs y against target, over all
// n = len(y) values, accumulated in float64:
//
//	L = (1/n) Σᵢ (y[i] - target[i])²
//
// and, when dy is not nil, writes dy = ∂L/∂y = 2(y - target)/n. Every sample has the same
// number of values, so L equals Keras's mean_squared_error, which averages over the last
// axis and then over the batch (and any axes between).
func MSE[T Float](dy, y, target []T) float64 {
	return kernels.MSE(dy, y, target)
}
