package kernels

import (
	"math"
	"unsafe"
)

// actSlice sets y[i] = Apply(a, x[i], alpha) for i < len(y), with the choice of a made
// once rather than per element: each case is a loop whose body the compiler sees whole
// (hard_sigmoid inlined, tanh and sigmoid a direct call). The gate kernels apply their
// activations a row at a time through it; results are bit for bit Apply's. y and x may
// be the same slice.
func actSlice[T Float](a Activation, y, x []T, alpha T) {
	x = x[:len(y)]
	f32 := unsafe.Sizeof(alpha) == 4 // folded per instantiation, as in Apply
	switch a {
	case Linear:
		copy(y, x)
	case HardSigmoid:
		for i, v := range x {
			y[i] = min(max(0.2*v+0.5, 0), 1)
		}
	case Tanh:
		if f32 {
			for i, v := range x {
				y[i] = T(tanh32(float32(v)))
			}
			return
		}
		for i, v := range x {
			y[i] = T(math.Tanh(float64(v)))
		}
	case Sigmoid:
		if f32 {
			for i, v := range x {
				y[i] = T(sigmoid32(float32(v)))
			}
			return
		}
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	default:
		for i, v := range x {
			y[i] = Apply(a, v, alpha)
		}
	}
}

// mulDeriv sets d[i] *= Deriv(a, y[i], alpha) for i < len(d), the activation chosen once
// as in actSlice; results are bit for bit d[i]·Deriv(a, y[i], alpha).
func mulDeriv[T Float](a Activation, d, y []T, alpha T) {
	y = y[:len(d)]
	switch a {
	case Linear:
	case HardSigmoid:
		for i, v := range y {
			var s T
			if v > 0 && v < 1 {
				s = 0.2
			}
			d[i] *= s
		}
	case Tanh:
		for i, v := range y {
			d[i] *= 1 - v*v
		}
	case Sigmoid:
		for i, v := range y {
			d[i] *= v * (1 - v)
		}
	default:
		for i, v := range y {
			d[i] *= Deriv(a, v, alpha)
		}
	}
}
