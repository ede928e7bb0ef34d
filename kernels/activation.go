package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// Activation names an elementwise function y = f(x). Each one's derivative is written in
// terms of its output y, so a backward pass needs only the forward's result.
type Activation int

const (
	Linear      Activation = iota // y = x
	ReLU                          // y = max(x, 0); f'(0) = 0, as TensorFlow takes it
	LeakyReLU                     // y = x if x > 0 else αx; Keras's default α is 0.3
	Tanh                          // y = tanh x
	Sigmoid                       // y = 1 / (1 + e⁻ˣ)
	HardSigmoid                   // y = clip(0.2x + 0.5, 0, 1), Keras 2.1.1's backend form
)

var activationNames = [...]string{"linear", "relu", "leaky_relu", "tanh", "sigmoid",
	"hard_sigmoid"}

// String gives the Keras name of the activation.
func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// ParseActivation returns the activation with the given Keras name.
func ParseActivation(name string) (Activation, error) {
	for i, n := range activationNames {
		if n == name {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q (want one of %v)", name, activationNames)
}

// Apply returns f(x). alpha is LeakyReLU's slope and is ignored by the others.
//
// Sigmoid never overflows: for x < 0 it is computed as eˣ/(1+eˣ), so e⁻ˣ is never formed
// for large negative x; tanh saturates to ±1. float64 uses math.Exp and math.Tanh;
// float32 uses tanh32 and sigmoid32, which stay in single precision.
func Apply[T Float](a Activation, x, alpha T) T {
	switch a {
	case Linear:
		return x
	case ReLU:
		if x > 0 {
			return x
		}
		return 0
	case LeakyReLU:
		if x > 0 {
			return x
		}
		return alpha * x
	case Tanh:
		if unsafe.Sizeof(x) == 4 { // float32; the compiler folds this per instantiation
			return T(tanh32(float32(x)))
		}
		return T(math.Tanh(float64(x)))
	case Sigmoid:
		if unsafe.Sizeof(x) == 4 {
			return T(sigmoid32(float32(x)))
		}
		return sigmoid(x)
	case HardSigmoid:
		return min(max(0.2*x+0.5, 0), 1)
	}
	panic(fmt.Sprintf("kernels: unknown activation %d", int(a)))
}

// expNeg32 returns eˣ for x ≤ 0 in float32, within 2 ulps: x = n·ln 2 + r with
// |r| ≤ ln 2 / 2 (ln 2 split in two for an exact product), eʳ by its Taylor polynomial to
// r⁷ (truncation below 1e-8 relative), and 2ⁿ put into the exponent bits. Below -87.34,
// where eˣ would be subnormal in float32, it returns 0: subnormals cost a hundred cycles
// an operation on many CPUs and carry nothing a float32 gate can use.
func expNeg32(x float32) float32 {
	if x < -87.33654 { // ln 2⁻¹²⁶
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := float32(int32(x*log2e - 0.5)) // round to nearest; x*log2e ≤ 0
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// tanh32 is tanh in float32, within a few ulps. Below |x| = 0.25 it sums the Taylor
// series to x⁹ (next term below 1e-8 relative); above, tanh|x| = (1-e)/(1+e) with
// e = e^{-2|x|} ≤ 0.61, where 1-e loses at most a bit.
func tanh32(x float32) float32 {
	a := abs32(x)
	if a < 0.25 {
		z := x * x
		return x * (1 + z*(-1.0/3+z*(2.0/15+z*(-17.0/315+z*(62.0/2835)))))
	}
	if a != a { // NaN
		return x
	}
	e := expNeg32(-2 * a)
	t := (1 - e) / (1 + e)
	if x < 0 {
		return -t
	}
	return t
}

// sigmoid32 is 1/(1+e⁻ˣ) in float32, within a few ulps, from e = e^{-|x|} ≤ 1 as in
// sigmoid: 1/(1+e) for x ≥ 0 and e/(1+e) below.
func sigmoid32(x float32) float32 {
	if x != x {
		return x
	}
	e := expNeg32(-abs32(x))
	if x >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

func sigmoid[T Float](x T) T {
	if x >= 0 {
		return T(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return T(e / (1 + e))
}

// Deriv returns f'(x) given y = f(x):
//
//	relu: [y > 0]   leaky_relu: 1 if y > 0 else α   tanh: 1 - y²   sigmoid: y(1 - y)
//	hard_sigmoid: 0.2 if 0 < y < 1 else 0
//
// At the kinks (x = 0 for relu, x = ±2.5 for hard_sigmoid) it takes the one-sided value 0,
// as TensorFlow's relu does; gradient checks keep their inputs away from the kinks.
func Deriv[T Float](a Activation, y, alpha T) T {
	switch a {
	case Linear:
		return 1
	case ReLU:
		if y > 0 {
			return 1
		}
		return 0
	case LeakyReLU:
		if y > 0 {
			return 1
		}
		return alpha
	case Tanh:
		return 1 - y*y
	case Sigmoid:
		return y * (1 - y)
	case HardSigmoid:
		if y > 0 && y < 1 {
			return 0.2
		}
		return 0
	}
	panic(fmt.Sprintf("kernels: unknown activation %d", int(a)))
}

// ActForward sets y[i] = f(x[i]). y and x may be the same slice.
func ActForward[T Float](a Activation, y, x []T, alpha T) {
	checkLen("ActForward", len(y), len(x))
	for i, v := range x {
		y[i] = Apply(a, v, alpha)
	}
}

// ActBackward sets dx[i] = dy[i]·f'(x[i]) from the forward output y. dx and dy may be the
// same slice.
func ActBackward[T Float](a Activation, dx, dy, y []T, alpha T) {
	checkLen("ActBackward", len(dx), len(dy))
	checkLen("ActBackward", len(dx), len(y))
	for i, v := range y {
		dx[i] = dy[i] * Deriv(a, v, alpha)
	}
}

// checkLen panics unless the two lengths agree: a caller passed mismatched buffers.
func checkLen(op string, a, b int) {
	if a != b {
		panic(fmt.Sprintf("kernels: %s: slice lengths %d and %d differ", op, a, b))
	}
}
