package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/seqnn/seqnn/kernels"
)

// Dense is Keras's fully connected layer on vectors:
//
//	y = f(x W + b)
//
// with x (B, I), kernel W (I, O) and bias b (O) in Keras's layout, y (B, O) and f its
// activation. W starts glorot_uniform (fan_in I, fan_out O) and b at zero, as in Keras.
// The input must be a vector per sample; Keras 2.1.1 would apply the layer to the last
// axis of a longer shape, which this port does not do.
type Dense[T Float] struct {
	Units int
	Act   kernels.Activation

	kernel, bias *Param[T]
	params       []*Param[T] // kernel, bias: Params allocates nothing per step
	in           int
	alpha        T

	x  []T // (maxB, I) the last input, kept for dW
	a  []T // (maxB, O) the last output f(xW + b)
	dz []T // (maxB, O) ∂L/∂(xW + b)
}

// NewDense returns a Dense layer of units outputs with activation act. A LeakyReLU
// activation takes Keras's default slope 0.3.
func NewDense[T Float](units int, act kernels.Activation) *Dense[T] {
	return &Dense[T]{Units: units, Act: act, alpha: 0.3}
}

func (d *Dense[T]) Kind() string { return "dense" }

func (d *Dense[T]) Build(in Shape, maxB int, rng *rand.Rand) (Shape, error) {
	if d.Units < 1 {
		return nil, fmt.Errorf("dense: %d units: must be at least 1", d.Units)
	}
	if len(in) != 1 || in[0] < 1 {
		return nil, fmt.Errorf("dense: input shape %v: want a vector (I) per sample; "+
			"put the layer after one that returns vectors (an LSTM without sequences)", in)
	}
	I, O := in[0], d.Units
	d.in = I
	d.kernel = newParam[T]("kernel", I, O)
	d.bias = newParam[T]("bias", O)
	d.params = []*Param[T]{d.kernel, d.bias}
	glorotUniform(rng, d.kernel.W, I, O)
	d.x = make([]T, maxB*I)
	d.a = make([]T, maxB*O)
	d.dz = make([]T, maxB*O)
	return Shape{O}, nil
}

// Forward sets y (B, O) = f(x W + b) for x (B, I).
func (d *Dense[T]) Forward(y, x []T, B int) {
	I, O := d.in, d.Units
	checkIO("dense", len(y), len(x), B, O, I)
	xs, a := d.x[:B*I], d.a[:B*O]
	copy(xs, x)

	for b := range B {
		copy(a[b*O:][:O], d.bias.W)
	}
	kernels.Gemm(false, false, B, O, I, 1, xs, I, d.kernel.W, O, 1, a, O)
	if d.Act != kernels.Linear {
		actForward(d.Act, a, a, d.alpha)
	}
	copy(y, a)
}

// Backward takes dy (B, O) and, with z = xW + b and dz = dy ⊙ f'(z):
//
//	dW += xᵀ dz   (I, O)
//	db += Σ_b dz  (O)
//	dx  = dz Wᵀ   (B, I)
func (d *Dense[T]) Backward(dx, dy []T, B int) {
	I, O := d.in, d.Units
	checkIO("dense", len(dy), len(dx), B, O, I)
	dz := dy
	if d.Act != kernels.Linear {
		dz = d.dz[:B*O]
		actBackward(d.Act, dz, dy, d.a[:B*O], d.alpha)
	}

	kernels.Gemm(true, false, I, O, B, 1, d.x[:B*I], I, dz, O, 1, d.kernel.DW, O)
	for b := range B {
		for o, g := range dz[b*O : (b+1)*O] {
			d.bias.DW[o] += g
		}
	}
	if dx != nil {
		kernels.Gemm(false, true, B, I, O, 1, dz, O, d.kernel.W, O, 0, dx, I)
	}
}

func (d *Dense[T]) Params() []*Param[T] { return d.params }

// checkIO panics unless a layer's output and input buffers hold B samples of out and in
// values; a nil input gradient (nx = 0) is allowed.
func checkIO(kind string, ny, nx, B, out, in int) {
	if ny != B*out || (nx != 0 && nx != B*in) {
		panic(fmt.Sprintf("nn: %s: buffers of %d and %d values for batch %d, want %d and %d",
			kind, ny, nx, B, B*out, B*in))
	}
}
