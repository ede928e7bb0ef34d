package kernels

// MSE returns the mean squared error over all n elements,
//
//	L = (1/n) Σᵢ (y[i] - target[i])²,
//
// accumulated in float64, and, when dy is not nil, writes its gradient
//
//	dy[i] = ∂L/∂y[i] = 2 (y[i] - target[i]) / n.
//
// dy may be the same slice as y.
func MSE[T Float](dy, y, target []T) float64 {
	checkLen("MSE", len(y), len(target))
	if dy != nil {
		checkLen("MSE", len(dy), len(y))
	}
	n := len(y)
	if n == 0 {
		return 0
	}
	var sum float64
	for i, v := range y {
		d := float64(v) - float64(target[i])
		sum += d * d
	}
	if dy != nil {
		scale := 2 / float64(n)
		for i, v := range y {
			dy[i] = T(scale * (float64(v) - float64(target[i])))
		}
	}
	return sum / float64(n)
}
