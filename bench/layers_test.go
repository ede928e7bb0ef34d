package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// layerCase is one layer of a tutorial model at B = 8, or a large recurrent layer, with
// the FLOPs of its Forward and of its Backward (with the input gradient, as
// nn.Sequential asks for it).
type layerCase struct {
	name     string
	layer    func() nn.Layer[float32]
	in       nn.Shape
	B        int
	fwd, bwd float64
}

func layerCases() []layerCase {
	const B, T, H = Batch, WindowIn, Units
	t1 := kernels.Conv1DOutLen(T, 20, 3) // 79
	lstmT := func() nn.Layer[float32] { return nn.NewLSTM[float32](H) }
	gruT := func() nn.Layer[float32] { return nn.NewGRU[float32](H) }
	gruA := func() nn.Layer[float32] {
		g := nn.NewGRU[float32](H)
		g.RecurrentActivation, g.ResetAfter = kernels.Sigmoid, true
		return g
	}
	return []layerCase{
		{"conv1d-relu-T256-C1-K20-S3-O8", func() nn.Layer[float32] {
			return nn.NewConv1D[float32](8, 20, 3, kernels.ReLU)
		}, nn.Shape{T, 1}, B, Conv1DForwardFLOPs(B, T, 1, 20, 3, 8) + ActFLOPs(B*t1*8),
			Conv1DBackwardFLOPs(B, T, 1, 20, 3, 8, true) + ActBackwardFLOPs(B*t1*8)},
		{"conv1d-T79-C8-K16-S4-O1", func() nn.Layer[float32] {
			return nn.NewConv1D[float32](1, 16, 4, kernels.Linear)
		}, nn.Shape{t1, 8}, B, Conv1DForwardFLOPs(B, t1, 8, 16, 4, 1),
			Conv1DBackwardFLOPs(B, t1, 8, 16, 4, 1, true)},
		{"dropout-0.5-8x79x8", func() nn.Layer[float32] {
			return nn.NewDropout[float32](0.5, 1)
		}, nn.Shape{t1, 8}, B, DropoutMaskFLOPs(B*t1*8) + DropoutFLOPs(B*t1*8),
			DropoutFLOPs(B * t1 * 8)},
		{"dropout-0.8-8x50", func() nn.Layer[float32] {
			return nn.NewDropout[float32](0.8, 1)
		}, nn.Shape{H}, B, DropoutMaskFLOPs(B*H) + DropoutFLOPs(B*H), DropoutFLOPs(B * H)},
		{"dense-8x50x16", func() nn.Layer[float32] {
			return nn.NewDense[float32](Out, kernels.Linear)
		}, nn.Shape{H}, B, DenseForwardFLOPs(B, H, Out, false),
			DenseBackwardFLOPs(B, H, Out, false, true)},
		{"tanh-8x50", func() nn.Layer[float32] {
			return nn.NewActivation[float32](kernels.Tanh)
		}, nn.Shape{H}, B, ActFLOPs(B * H), ActBackwardFLOPs(B * H)},
		{"relu-8x16", func() nn.Layer[float32] {
			return nn.NewActivation[float32](kernels.ReLU)
		}, nn.Shape{Out}, B, ActFLOPs(B * Out), ActBackwardFLOPs(B * Out)},
		{"leaky_relu-8x16", func() nn.Layer[float32] {
			return nn.NewLeakyReLU[float32](0.3)
		}, nn.Shape{Out}, B, ActFLOPs(B * Out), ActBackwardFLOPs(B * Out)},
		{"lstm-B8-T256-F1-H50", lstmT, nn.Shape{T, 1}, B, LSTMForwardFLOPs(B, T, 1, H),
			LSTMBackwardFLOPs(B, T, 1, H, true)},
		{"gru-B8-T256-F1-H50", gruT, nn.Shape{T, 1}, B, GRUForwardFLOPs(B, T, 1, H, false),
			GRUBackwardFLOPs(B, T, 1, H, false, true)},
		{"gru-reset-after-B8-T256-F1-H50", gruA, nn.Shape{T, 1}, B,
			GRUForwardFLOPs(B, T, 1, H, true), GRUBackwardFLOPs(B, T, 1, H, true, true)},
	}
}

// BenchmarkLayerForward times each tutorial layer's Forward at B = 8, in training mode.
func BenchmarkLayerForward(b *testing.B) {
	for _, c := range layerCases() {
		b.Run(c.name, func(b *testing.B) {
			l, x, y, _, _ := buildLayer(b, c)
			loop(b, c.fwd, func() { l.Forward(y, x, c.B) })
		})
	}
}

// BenchmarkLayerBackward times each tutorial layer's Backward after one Forward, with the
// input gradient. The parameter gradients accumulate over the iterations, as they would
// without ZeroGrad; that changes no arithmetic.
func BenchmarkLayerBackward(b *testing.B) {
	for _, c := range layerCases() {
		b.Run(c.name, func(b *testing.B) {
			l, x, y, dy, dx := buildLayer(b, c)
			l.Forward(y, x, c.B)
			loop(b, c.bwd, func() { l.Backward(dx, dy, c.B) })
		})
	}
}

// buildLayer builds c's layer with seeded weights, in training mode, and returns it
// with an input x in [0, 1) as the scaled prices are, its output y, an upstream
// gradient dy in [-1, 1) and room for dx.
func buildLayer(b *testing.B, c layerCase) (l nn.Layer[float32], x, y, dy, dx []float32) {
	l = c.layer()
	out, err := l.Build(c.in, c.B, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	if t, ok := l.(nn.Trainable); ok {
		t.SetTraining(true)
	}
	x = uniform(rand.New(rand.NewPCG(3, 4)), c.B*c.in.Size())
	y, dy, dx = make([]float32, c.B*out.Size()), signed(5, c.B*out.Size()), make([]float32, len(x))
	return l, x, y, dy, dx
}

// BenchmarkLargeForward and BenchmarkLargeBackward time the large LSTM and GRU layers
// (B = 64, T = 256, F = 256, H = 256, PyTorch's form, no input gradient) as the
// lstm-large and gru-large jobs run them; they need -large.
func BenchmarkLargeForward(b *testing.B)  { benchLarge(b, false) }
func BenchmarkLargeBackward(b *testing.B) { benchLarge(b, true) }

func benchLarge(b *testing.B, backward bool) {
	for _, kind := range []string{"lstm", "gru"} {
		b.Run(kind, func(b *testing.B) {
			skipUnlessLarge(b)
			lg, err := NewLarge(kind, 1)
			if err != nil {
				b.Fatal(err)
			}
			fwd, bwd := LargeFLOPs(kind)
			if !backward {
				loop(b, fwd, lg.Forward)
				return
			}
			lg.Forward()
			loop(b, bwd, lg.Backward)
		})
	}
}
