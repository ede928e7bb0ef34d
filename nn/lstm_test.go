package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// The sizes of the gradient checks are odd and distinct so that a transposed index or a
// mixed-up dimension shows: B = 3, T = 7, F = 2, H = 5. A second case has T = 1, where no
// recurrent product runs.
var recurrentCheckSizes = []struct{ B, T, F, H int }{{3, 7, 2, 5}, {2, 1, 3, 4}}

// prepareForCheck keeps every gate pre-activation of a recurrent layer inside
// (-2.5, 2.5), where hard_sigmoid is differentiable, for inputs x in [-1, 1). After Build
// it scales the kernel and the recurrent kernel by 1/(F+H) and draws the biases uniform in
// [-0.5, 0.5). Every hidden state is a gate in [0, 1] times a tanh or a convex mix of such
// states, so |h| < 1; glorot's limit sqrt(6/(F+3H)) is at most 1 for F+3H ≥ 6 and an
// orthogonal U has |U_ij| ≤ 1, so
//
//	|x W + h U + b| ≤ (F·max|W| + H·max|U|)/(F+H) + 0.5 ≤ 1.5.
//
// The reset-after GRU adds a recurrent bias, < 0.5 more: still < 2, well away from 2.5
// against the harness's step of 1e-5. Scaled down, the layer still mixes every input and
// state into every gate, and the hard_sigmoid checks see the slope 0.2 everywhere.
func prepareForCheck(t *testing.T, l Layer[float64], F, H int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	for _, p := range l.Params() {
		switch p.Name {
		case "kernel":
			if limit := math.Sqrt(6 / float64(p.Shape[0]+p.Shape[1])); limit > 1 {
				t.Fatalf("glorot limit %g > 1: the bound above does not hold", limit)
			}
			fallthrough
		case "recurrent_kernel":
			for i := range p.W {
				p.W[i] /= float64(F + H)
			}
		case "bias":
			copy(p.W, randSlice(rng, len(p.W), -0.5, 0.5))
		}
	}
}

// checkRecurrentGrad runs the shared harness on a recurrent layer prepared as above.
func checkRecurrentGrad(t *testing.T, l Layer[float64], B, T, F, H int, seed uint64) {
	t.Helper()
	m, err := NewSequential[float64](Shape{T, F}, B, seed, l)
	if err != nil {
		t.Fatal(err)
	}
	prepareForCheck(t, l, F, H, seed)
	gradCheckModel(t, m, B, -1, 1, seed)
}

func TestLSTMGradient(t *testing.T) {
	for _, ra := range []kernels.Activation{kernels.HardSigmoid, kernels.Sigmoid} {
		for _, s := range recurrentCheckSizes {
			t.Run(fmt.Sprintf("%v/B%dT%dF%dH%d", ra, s.B, s.T, s.F, s.H), func(t *testing.T) {
				l := NewLSTM[float64](s.H)
				l.RecurrentActivation = ra
				checkRecurrentGrad(t, l, s.B, s.T, s.F, s.H, 11)
			})
		}
	}
}

// lstmReference is the Keras 2.1.1 LSTM written out for one sample, straight from the
// equations in LSTM's doc comment, with weights indexed in Keras layout.
func lstmReference(x []float64, T, F, H int, W, U, b []float64,
	ra, act kernels.Activation) []float64 {
	h, c := make([]float64, H), make([]float64, H)
	for t := range T {
		z := make([]float64, 4*H)
		for j := range 4 * H {
			z[j] = b[j]
			for f := range F {
				z[j] += x[t*F+f] * W[f*4*H+j]
			}
			for k := range H {
				z[j] += h[k] * U[k*4*H+j]
			}
		}
		for j := range H {
			i := kernels.Apply(ra, z[j], 0)
			f := kernels.Apply(ra, z[H+j], 0)
			g := kernels.Apply(act, z[2*H+j], 0)
			o := kernels.Apply(ra, z[3*H+j], 0)
			c[j] = f*c[j] + i*g
			h[j] = o * kernels.Apply(act, c[j], 0)
		}
	}
	return h
}

// TestLSTMForwardReference compares Forward with lstmReference, to rounding (1e-12: both
// sum the same few terms in float64, in different orders), for a batch smaller than the
// one Build sized, and with biases drawn so that every gate's bias matters.
func TestLSTMForwardReference(t *testing.T) {
	const B, maxB, T, F, H = 3, 5, 6, 2, 4
	for _, ra := range []kernels.Activation{kernels.HardSigmoid, kernels.Sigmoid} {
		l := NewLSTM[float64](H)
		l.RecurrentActivation = ra
		if _, err := l.Build(Shape{T, F}, maxB, rand.New(rand.NewPCG(5, 6))); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		copy(l.bias.W, randSlice(rng, 4*H, -1, 1))
		x := randSlice(rng, B*T*F, -2, 2)
		y := make([]float64, B*H)
		l.Forward(y, x, B)

		for b := range B {
			want := lstmReference(x[b*T*F:(b+1)*T*F], T, F, H, l.kernel.W,
				l.recurrentKernel.W, l.bias.W, ra, kernels.Tanh)
			for j := range H {
				if d := math.Abs(y[b*H+j] - want[j]); d > 1e-12 {
					t.Errorf("%v: y[%d][%d] = %g, want %g", ra, b, j, y[b*H+j], want[j])
				}
			}
		}
	}
}

func TestLSTMKerasInit(t *testing.T) {
	const F, H = 3, 6
	l := NewLSTM[float64](H)
	if l.RecurrentActivation != kernels.HardSigmoid || l.Activation != kernels.Tanh {
		t.Errorf("defaults %v, %v; want hard_sigmoid, tanh", l.RecurrentActivation, l.Activation)
	}
	out, err := l.Build(Shape{10, F}, 4, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind() != "lstm" || len(out) != 1 || out[0] != H {
		t.Fatalf("kind %q, output %v; want lstm, [%d]", l.Kind(), out, H)
	}
	checkParamLayout(t, l.Params(), [][]int{{F, 4 * H}, {H, 4 * H}, {4 * H}})

	// bias: zeros, but 1 on the forget gate's slice [H, 2H).
	for j, v := range l.bias.W {
		want := 0.0
		if j >= H && j < 2*H {
			want = 1
		}
		if v != want {
			t.Errorf("bias[%d] = %g, want %g", j, v, want)
		}
	}
	checkGlorot(t, l.kernel.W, F, 4*H)
	checkOrthonormalRows(t, l.recurrentKernel.W, H, 4*H)
}

// checkParamLayout checks the names and Keras shapes of a recurrent layer's parameters.
func checkParamLayout[T Float](t *testing.T, ps []*Param[T], shapes [][]int) {
	t.Helper()
	names := []string{"kernel", "recurrent_kernel", "bias"}
	if len(ps) != len(names) {
		t.Fatalf("%d params, want %d", len(ps), len(names))
	}
	for i, p := range ps {
		if p.Name != names[i] || fmt.Sprint(p.Shape) != fmt.Sprint(shapes[i]) ||
			len(p.W) != Shape(shapes[i]).Size() || len(p.DW) != len(p.W) {
			t.Errorf("param %d: %s %v with %d values, want %s %v", i, p.Name, p.Shape,
				len(p.W), names[i], shapes[i])
		}
	}
}

// checkGlorot checks that a (fanIn, fanOut) kernel lies within glorot_uniform's limit and
// is not all zero.
func checkGlorot(t *testing.T, w []float64, fanIn, fanOut int) {
	t.Helper()
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	var big float64
	for _, v := range w {
		if math.Abs(v) > limit {
			t.Fatalf("kernel value %g outside ±%g", v, limit)
		}
		big = max(big, math.Abs(v))
	}
	if big < limit/2 {
		t.Errorf("kernel's largest value %g; want near the limit %g", big, limit)
	}
}

// checkOrthonormalRows checks U Uᵀ = I for a (rows, cols) matrix with rows ≤ cols, to
// 1e-12 (the SVD's factors are orthonormal to rounding).
func checkOrthonormalRows(t *testing.T, u []float64, rows, cols int) {
	t.Helper()
	for i := range rows {
		for j := range rows {
			var s float64
			for k := range cols {
				s += u[i*cols+k] * u[j*cols+k]
			}
			if i == j {
				s--
			}
			if math.Abs(s) > 1e-12 {
				t.Fatalf("(U Uᵀ - I)[%d][%d] = %g", i, j, s)
			}
		}
	}
}

// copyWeights copies the parameter values of src into dst, converting the element type.
func copyWeights[S, D Float](dst Layer[D], src Layer[S]) {
	for i, p := range src.Params() {
		q := dst.Params()[i]
		for j, v := range p.W {
			q.W[j] = D(v)
		}
	}
}

// forward32And64 runs the same weights and input through a float64 and a float32 copy of
// a layer and returns the largest difference of the outputs and of the input gradients.
func forward32And64(t *testing.T, l64 Layer[float64], l32 Layer[float32],
	B, T, F int) (dy, dx float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 22))
	for _, l := range []interface {
		Build(Shape, int, *rand.Rand) (Shape, error)
	}{l64, l32} {
		if _, err := l.Build(Shape{T, F}, B, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatal(err)
		}
	}
	copyWeights(l32, l64)
	x64 := randSlice(rng, B*T*F, -1, 1)
	out := l64.Params()[1].Shape[0] // H: recurrent_kernel is (H, gH)
	g64 := randSlice(rng, B*out, -1, 1)
	x32, g32 := make([]float32, len(x64)), make([]float32, len(g64))
	for i, v := range x64 {
		x32[i] = float32(v)
	}
	for i, v := range g64 {
		g32[i] = float32(v)
	}

	y64, y32 := make([]float64, B*out), make([]float32, B*out)
	dx64, dx32 := make([]float64, len(x64)), make([]float32, len(x64))
	l64.Forward(y64, x64, B)
	l32.Forward(y32, x32, B)
	l64.Backward(dx64, g64, B)
	l32.Backward(dx32, g32, B)
	for i := range y64 {
		dy = max(dy, math.Abs(y64[i]-float64(y32[i])))
	}
	for i := range dx64 {
		dx = max(dx, math.Abs(dx64[i]-float64(dx32[i])))
	}
	return dy, dx
}

// TestLSTMFloat32 checks that float32 agrees with float64 on the same weights, to 1e-6
// absolute over B = 4, T = 32, H = 16. Each step rounds sums of F+H ≈ 20 products of
// values below 1 to float32, about 6e-8 each; the differences measured are near 3e-8,
// and 1e-6 leaves room for their growth over the steps while a float32 path that
// computes anything different (a wrong cast, a stale buffer) misses by 1e-3 or more.
func TestLSTMFloat32(t *testing.T) {
	const B, T, F, H = 4, 32, 3, 16
	for _, ra := range []kernels.Activation{kernels.HardSigmoid, kernels.Sigmoid} {
		l64, l32 := NewLSTM[float64](H), NewLSTM[float32](H)
		l64.RecurrentActivation, l32.RecurrentActivation = ra, ra
		dy, dx := forward32And64(t, l64, l32, B, T, F)
		t.Logf("%v: max |y32 - y64| = %.2g, max |dx32 - dx64| = %.2g", ra, dy, dx)
		if dy > 1e-6 || dx > 1e-6 {
			t.Errorf("%v: float32 differs from float64 by %g in y, %g in dx", ra, dy, dx)
		}
	}
}

// runLarge feeds inputs of ±1e4 through a layer and reports whether every output and
// input gradient is finite and every output within [-1, 1] (a product of gates in [0, 1]
// and tanh values).
func runLarge[T Float](t *testing.T, l Layer[T], B, steps, F, H int) {
	t.Helper()
	if _, err := l.Build(Shape{steps, F}, B, rand.New(rand.NewPCG(4, 4))); err != nil {
		t.Fatal(err)
	}
	x := make([]T, B*steps*F)
	for i := range x {
		x[i] = 1e4
		if i%3 == 1 {
			x[i] = -1e4
		}
	}
	y, dy, dx := make([]T, B*H), make([]T, B*H), make([]T, len(x))
	for i := range dy {
		dy[i] = 1
	}
	l.Forward(y, x, B)
	l.Backward(dx, dy, B)
	for i, v := range y {
		if f := float64(v); math.IsNaN(f) || f < -1 || f > 1 {
			t.Fatalf("%T: y[%d] = %g", y, i, f)
		}
	}
	for i, v := range dx {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			t.Fatalf("%T: dx[%d] = %g", dx, i, f)
		}
	}
	for _, p := range l.Params() {
		for i, v := range p.DW {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("%T: %s gradient [%d] = %g", dx, p.Name, i, f)
			}
		}
	}
}

func TestLSTMLargeInputs(t *testing.T) {
	for _, ra := range []kernels.Activation{kernels.HardSigmoid, kernels.Sigmoid} {
		l64, l32 := NewLSTM[float64](7), NewLSTM[float32](7)
		l64.RecurrentActivation, l32.RecurrentActivation = ra, ra
		runLarge(t, l64, 3, 20, 2, 7)
		runLarge(t, l32, 3, 20, 2, 7)
	}
}

// benchSize is the size the CPU path is tuned for: B = 8, T = 256, F = 1, H = 50.
const benchB, benchT, benchF, benchH = 8, 256, 1, 50

// allocsPerStep counts the allocations of one Forward and Backward of a built layer at
// the benchmark size.
func allocsPerStep[T Float](t *testing.T, l Layer[T]) float64 {
	t.Helper()
	if _, err := l.Build(Shape{benchT, benchF}, benchB, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := make([]T, benchB*benchT*benchF)
	y, dy, dx := make([]T, benchB*benchH), make([]T, benchB*benchH), make([]T, len(x))
	return testing.AllocsPerRun(3, func() {
		l.Forward(y, x, benchB)
		l.Backward(dx, dy, benchB)
	})
}

func TestLSTMZeroAllocs(t *testing.T) {
	if n := allocsPerStep(t, NewLSTM[float32](benchH)); n != 0 {
		t.Errorf("float32: %g allocations per Forward+Backward, want 0", n)
	}
	if n := allocsPerStep(t, NewLSTM[float64](benchH)); n != 0 {
		t.Errorf("float64: %g allocations per Forward+Backward, want 0", n)
	}
}

func BenchmarkLSTM(b *testing.B) { benchRecurrent(b, NewLSTM[float32](benchH)) }

// benchRecurrent times one float32 Forward and Backward at the benchmark size.
func benchRecurrent(b *testing.B, l Layer[float32]) {
	if _, err := l.Build(Shape{benchT, benchF}, benchB, rand.New(rand.NewPCG(1, 2))); err != nil {
		b.Fatal(err)
	}
	x := make([]float32, benchB*benchT*benchF)
	for i, v := range randSlice(rand.New(rand.NewPCG(1, 1)), len(x), -1, 1) {
		x[i] = float32(v)
	}
	y, dy, dx := make([]float32, benchB*benchH), make([]float32, benchB*benchH),
		make([]float32, len(x))
	for i := range dy {
		dy[i] = 1
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Forward(y, x, benchB)
		l.Backward(dx, dy, benchB)
	}
}
