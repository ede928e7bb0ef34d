package kernels

import (
	"fmt"
	"math"
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
// for large negative x; tanh saturates to ±1 in math.Tanh.
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
		return T(math.Tanh(float64(x)))
	case Sigmoid:
		return sigmoid(x)
	case HardSigmoid:
		return min(max(0.2*x+0.5, 0), 1)
	}
	panic(fmt.Sprintf("kernels: unknown activation %d", int(a)))
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
