//go:build cuda

// Package sessioncheck holds the checks an nn.Session on a device must pass, shared by
// the GPU test suite in package cuda and the CPU emulation in package emu, so that both
// run exactly the same comparisons:
//
//   - Parity: training steps of a model on the device and on nn.CPU from identical
//     weights give the same losses, weights and Adam moments, within stated tolerances.
//   - GradCheck: the device's parameter gradients against central differences of its
//     own inference loss, in float64.
//
// The gradient is read through the nn.Session interface alone: a TrainStep with the Adam
// scalars β1 = 0, β2 = 1, α = 0, ε = 1 leaves the weights as they are (p -= 0) and sets
// the first moment to the gradient exactly (m = 0·m + 1·g), which Pull then returns.
package sessioncheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

// Tol bounds a normalized error: max|got - want| / max(max|want|, Floor) over a tensor,
// so that a tensor is judged against its own scale (as ggml's backend tests do) and
// tensors of near-zero values do not demand digits they do not have.
type Tol struct {
	Loss  float64 // relative error of each step's loss
	W     float64 // weights after the steps
	M, V  float64 // Adam's first and second moments
	Y     float64 // inference outputs (Predict) after the steps
	Floor float64 // smallest scale a tensor is judged against
}

// Model builds a fresh model; called twice, it must return identical weights.
type Model[T kernels.Float] func() (*nn.Sequential[T], error)

// Parity trains model on dev and on nn.CPU for `steps` steps of batch B (the last step
// with a partial batch of max(1, B/2) samples when B > 1), with seeded random inputs and
// targets and Keras-form Adam scalars from optim, and compares as Tol says. It returns
// the worst normalized errors seen, by quantity, for the test log.
func Parity[T kernels.Float](t testing.TB, dev nn.Device[T], model Model[T], B, steps int,
	tl Tol) map[string]float64 {
	t.Helper()
	host, err := model()
	if err != nil {
		t.Fatal(err)
	}
	twin, _ := model()
	cpu, err := nn.CPU[T]{}.Open(host)
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()
	gpu, err := dev.Open(twin)
	if err != nil {
		t.Fatalf("%s: Open: %v", dev.Name(), err)
	}
	defer gpu.Close()

	worst := map[string]float64{}
	rng := rand.New(rand.NewPCG(11, uint64(steps)))
	opt := optim.NewAdam(optim.DefaultAdam(), weights(host))
	nIn, nOut := host.In.Size(), host.Out.Size()
	for step := 0; step < steps; step++ {
		b := B
		if step == steps-1 && B > 1 {
			b = max(1, B/2)
		}
		x, target := uniform[T](rng, b*nIn, 0, 1), uniform[T](rng, b*nOut, 0, 1)
		s := opt.Advance()
		lc, err := cpu.TrainStep(x, target, b, uint64(step), s)
		if err != nil {
			t.Fatal(err)
		}
		lg, err := gpu.TrainStep(x, target, b, uint64(step), s)
		if err != nil {
			t.Fatalf("%s: step %d: %v", dev.Name(), step, err)
		}
		e := math.Abs(lg-lc) / math.Abs(lc)
		worst["loss"] = max(worst["loss"], e)
		if !(e <= tl.Loss) {
			t.Errorf("step %d (B %d): loss %.17g on %s, %.17g on cpu: relative error %.3g > %g",
				step, b, lg, dev.Name(), lc, e, tl.Loss)
		}
	}

	ps := host.Params()
	mc, vc, mg, vg := zerosLike[T](ps), zerosLike[T](ps), zerosLike[T](ps), zerosLike[T](ps)
	if err := cpu.Pull(mc, vc); err != nil {
		t.Fatal(err)
	}
	if err := gpu.Pull(mg, vg); err != nil {
		t.Fatal(err)
	}
	gw := twin.Params()
	for i, p := range ps {
		for _, q := range []struct {
			what      string
			got, want []T
			tol       float64
		}{{"w", gw[i].W, p.W, tl.W}, {"m", mg[i], mc[i], tl.M}, {"v", vg[i], vc[i], tl.V}} {
			e, at := normErr(q.got, q.want, tl.Floor)
			worst[q.what] = max(worst[q.what], e)
			if !(e <= q.tol) {
				t.Errorf("%s %s: normalized error %.3g > %g; worst [%d] %s %v, cpu %v",
					p.Name, q.what, e, q.tol, at, dev.Name(), q.got[at], q.want[at])
			}
		}
	}

	// Inference after training: the pulled host copies are not used, the sessions are.
	x := uniform[T](rng, B*nIn, 0, 1)
	yc, yg := make([]T, B*nOut), make([]T, B*nOut)
	if err := cpu.Predict(yc, x, B); err != nil {
		t.Fatal(err)
	}
	if err := gpu.Predict(yg, x, B); err != nil {
		t.Fatal(err)
	}
	e, at := normErr(yg, yc, tl.Floor)
	worst["y"] = e
	if !(e <= tl.Y) {
		t.Errorf("Predict: normalized error %.3g > %g; worst [%d] %v, cpu %v", e, tl.Y, at,
			yg[at], yc[at])
	}
	return worst
}

// GradCheck compares dev's gradient of every parameter of model (or of perTensor
// seeded picks per tensor, when perTensor > 0) with central differences of dev's own
// Loss, in float64. Step h = 1e-5: the truncation error O(h²·f”') and the rounding
// error O(ε·L/h) are then both near 1e-11 for the O(1) losses here, so a correct
// gradient agrees to |Δ| ≤ 1e-7 + 1e-5·|g|, and a wrong one (a missed term) misses by
// orders more. The models avoid Dropout (Loss runs without it, TrainStep with it).
func GradCheck(t testing.TB, dev nn.Device[float64], model Model[float64], B, perTensor int) {
	t.Helper()
	m, err := model()
	if err != nil {
		t.Fatal(err)
	}
	s, err := dev.Open(m)
	if err != nil {
		t.Fatalf("%s: Open: %v", dev.Name(), err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	x := uniform[float64](rng, B*m.In.Size(), -1, 1)
	target := uniform[float64](rng, B*m.Out.Size(), -1, 1)

	ps := m.Params()
	g := zerosLike[float64](ps)
	probe := kernels.AdamStep{Beta1: 0, Beta2: 1, Alpha: 0, VScale: 1, Eps: 1}
	if _, err := s.TrainStep(x, target, B, 0, probe); err != nil {
		t.Fatal(err)
	}
	if err := s.Pull(g, nil); err != nil {
		t.Fatal(err)
	}

	const h = 1e-5
	loss := func() float64 {
		if err := s.Push(nil, nil); err != nil {
			t.Fatal(err)
		}
		l, err := s.Loss(x, target, B)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for i, p := range ps {
		idx := rng.Perm(len(p.W))
		if perTensor > 0 && perTensor < len(idx) {
			idx = idx[:perTensor]
		}
		bad := 0
		for _, j := range idx {
			w := p.W[j]
			p.W[j] = w + h
			up := loss()
			p.W[j] = w - h
			down := loss()
			p.W[j] = w
			num := (up - down) / (2 * h)
			if d := math.Abs(num - g[i][j]); !(d <= 1e-7+1e-5*math.Abs(num)) {
				if bad++; bad <= 3 {
					t.Errorf("%s[%d]: %s gradient %.10g, central difference %.10g",
						p.Name, j, dev.Name(), g[i][j], num)
				}
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d of %d checked entries wrong", p.Name, bad, len(idx))
		}
	}
	if err := s.Push(nil, nil); err != nil { // the weights as they were
		t.Fatal(err)
	}
}

// GradModels are the small float64 models GradCheck runs: each layer type and option
// the device supports, with a layer before each recurrent one so that its input gradient
// is checked through that layer's weights.
func GradModels() map[string]Model[float64] {
	lstm := func(ra kernels.Activation) *nn.LSTM[float64] {
		l := nn.NewLSTM[float64](5)
		l.RecurrentActivation = ra
		return l
	}
	gru := func(ra kernels.Activation, after bool) *nn.GRU[float64] {
		l := nn.NewGRU[float64](4)
		l.RecurrentActivation, l.ResetAfter = ra, after
		return l
	}
	seq := func(in nn.Shape, layers ...nn.Layer[float64]) Model[float64] {
		return func() (*nn.Sequential[float64], error) {
			// Layers are built in place: make fresh ones for every call.
			return nn.NewSequential(in, 3, 17, layers...)
		}
	}
	return map[string]Model[float64]{
		"dense": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{4}, nn.NewDense[float64](6, kernels.Tanh),
				nn.NewActivation[float64](kernels.Sigmoid), nn.NewLeakyReLU[float64](0.2),
				nn.NewDense[float64](3, kernels.LeakyReLU))()
		},
		"conv": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{11, 2}, nn.NewConv1D[float64](3, 3, 2, kernels.Tanh),
				nn.NewConv1D[float64](2, 2, 1, kernels.LeakyReLU))()
		},
		"lstm": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{9, 2}, nn.NewConv1D[float64](3, 2, 1, kernels.Linear),
				lstm(kernels.HardSigmoid), nn.NewDense[float64](3, kernels.Linear))()
		},
		"lstm-sigmoid": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{7, 2}, nn.NewConv1D[float64](3, 2, 1, kernels.Tanh),
				lstm(kernels.Sigmoid), nn.NewDense[float64](2, kernels.Linear))()
		},
		"gru": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{9, 2}, nn.NewConv1D[float64](3, 2, 1, kernels.Linear),
				gru(kernels.HardSigmoid, false), nn.NewDense[float64](3, kernels.Linear))()
		},
		"gru-reset-after": func() (*nn.Sequential[float64], error) {
			return seq(nn.Shape{7, 2}, nn.NewConv1D[float64](3, 2, 1, kernels.Linear),
				gru(kernels.Sigmoid, true), nn.NewDense[float64](2, kernels.Linear))()
		},
	}
}

// GradModelNames lists GradModels' keys in a fixed order.
var GradModelNames = []string{"dense", "conv", "lstm", "lstm-sigmoid", "gru", "gru-reset-after"}

func weights[T kernels.Float](m *nn.Sequential[T]) [][]T {
	var w [][]T
	for _, p := range m.Params() {
		w = append(w, p.W)
	}
	return w
}

func zerosLike[T kernels.Float](ps []nn.NamedParam[T]) [][]T {
	z := make([][]T, len(ps))
	for i, p := range ps {
		z[i] = make([]T, len(p.W))
	}
	return z
}

func uniform[T kernels.Float](rng *rand.Rand, n int, lo, hi float64) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(lo + (hi-lo)*rng.Float64())
	}
	return x
}

// normErr returns max|got - want| / max(max|want|, floor) and where the largest
// difference is.
func normErr[T kernels.Float](got, want []T, floor float64) (float64, int) {
	if len(got) != len(want) {
		panic(fmt.Sprintf("sessioncheck: %d values against %d", len(got), len(want)))
	}
	scale, diff, at := floor, 0.0, 0
	for i := range want {
		scale = max(scale, math.Abs(float64(want[i])))
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > diff || math.IsNaN(d) {
			diff, at = d, i
		}
	}
	return diff / scale, at
}
