package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// Kernel benchmarks at the shapes the tutorial's layers call them with (B = 8, T = 256,
// F = 1, H = 50, 16 outputs, the CNN's two convolutions) and, for the recurrent kernels
// and their products, at the large shape (B = 64, T = 256, F = 256, H = 256). Each
// reports ns/op, allocs/op and GFLOP/s from flops.go.

// signed returns n float32 values drawn uniform in [-1, 1) from a generator seeded with
// seed.
func signed(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0xbe9c))
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return v
}

// loop runs f as the benchmark's body and reports flops per call as GFLOP/s.
func loop(b *testing.B, flops float64, f func()) {
	b.ReportAllocs()
	for b.Loop() {
		f()
	}
	reportGFLOPs(b, flops)
}

// gemmCase is one matrix product a layer makes: C (m, n) = op(A) op(B), op(A) m×k.
type gemmCase struct {
	name           string
	tA, tB         bool
	m, n, k        int
	large          bool // seconds per iteration at 1x: needs -large
	serial, shared bool // run through GemmSerial, Gemm
}

var gemmCases = []gemmCase{
	// Tutorial LSTM (B=8, H=50, 4H=200, T·B=2048) and GRU (3H=150).
	{name: "lstm-step-8x200x50", m: 8, n: 200, k: 50, serial: true},
	{name: "lstm-step-back-8x50x200", tB: true, m: 8, n: 50, k: 200, serial: true},
	{name: "lstm-proj-2048x200x1", m: 2048, n: 200, k: 1, serial: true},
	{name: "lstm-dU-50x200x2040", tA: true, m: 50, n: 200, k: 2040, serial: true},
	{name: "gru-step-8x100x50", m: 8, n: 100, k: 50, serial: true},
	{name: "gru-dU-50x150x2040", tA: true, m: 50, n: 150, k: 2040, serial: true},
	// Tutorial Dense(16) on (8, 50), forward, dW and dx.
	{name: "dense-8x16x50", m: 8, n: 16, k: 50, shared: true},
	{name: "dense-dW-50x16x8", tA: true, m: 50, n: 16, k: 8, shared: true},
	{name: "dense-dx-8x50x16", tB: true, m: 8, n: 50, k: 16, shared: true},
	// Large LSTM (B=64, H=256, 4H=1024, T·B=16384): per step and whole sequence.
	{name: "large-step-64x1024x256", m: 64, n: 1024, k: 256, serial: true, shared: true},
	{name: "large-step-back-64x256x1024", tB: true, m: 64, n: 256, k: 1024,
		serial: true, shared: true},
	{name: "large-proj-16384x1024x256", m: 16384, n: 1024, k: 256, large: true,
		serial: true, shared: true},
	{name: "large-dU-256x1024x16320", tA: true, m: 256, n: 1024, k: 16320, large: true,
		serial: true, shared: true},
}

// BenchmarkGemmSerial times kernels.GemmSerial, which the recurrent layers use for every
// product, on one goroutine.
func BenchmarkGemmSerial(b *testing.B) { benchGemm(b, true) }

// BenchmarkGemm times kernels.Gemm, gonum's Sgemm, which Dense uses and which splits
// large products over goroutines.
func BenchmarkGemm(b *testing.B) { benchGemm(b, false) }

func benchGemm(b *testing.B, serial bool) {
	for _, c := range gemmCases {
		if serial && !c.serial || !serial && !c.shared {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			if c.large {
				skipUnlessLarge(b)
			}
			lda, ldb := c.k, c.n
			if c.tA {
				lda = c.m
			}
			if c.tB {
				ldb = c.k
			}
			A, B, C := signed(1, c.m*c.k), signed(2, c.k*c.n), make([]float32, c.m*c.n)
			gemm := kernels.Gemm[float32]
			if serial {
				gemm = kernels.GemmSerial[float32]
			}
			loop(b, GemmFLOPs(c.m, c.n, c.k), func() {
				gemm(c.tA, c.tB, c.m, c.n, c.k, 1, A, lda, B, ldb, 0, C, c.n)
			})
		})
	}
}

// actCases are the activations the tutorial's layers apply, with their sizes.
var actCases = []struct {
	name string
	act  kernels.Activation
	n    int
}{
	{"relu-conv1-8x79x8", kernels.ReLU, 8 * 79 * 8},
	{"tanh-gru-8x50", kernels.Tanh, 8 * 50},
	{"relu-gru-8x16", kernels.ReLU, 8 * 16},
	{"leaky_relu-lstm-8x16", kernels.LeakyReLU, 8 * 16},
	{"sigmoid-gates-8x200", kernels.Sigmoid, 8 * 200},
	{"hard_sigmoid-gates-8x200", kernels.HardSigmoid, 8 * 200},
}

func BenchmarkActForward(b *testing.B) {
	for _, c := range actCases {
		b.Run(c.name, func(b *testing.B) {
			x, y := signed(1, c.n), make([]float32, c.n)
			loop(b, ActFLOPs(c.n), func() { kernels.ActForward(c.act, y, x, 0.3) })
		})
	}
}

func BenchmarkActBackward(b *testing.B) {
	for _, c := range actCases {
		b.Run(c.name, func(b *testing.B) {
			y, dy, dx := signed(1, c.n), signed(2, c.n), make([]float32, c.n)
			kernels.ActForward(c.act, y, y, 0.3)
			loop(b, ActBackwardFLOPs(c.n), func() { kernels.ActBackward(c.act, dx, dy, y, 0.3) })
		})
	}
}

// convCases are the tutorial CNN's two convolutions at B = 8.
var convCases = []struct {
	name             string
	B, T, C, K, S, O int
}{
	{"conv1-T256-C1-K20-S3-O8", 8, 256, 1, 20, 3, 8},
	{"conv2-T79-C8-K16-S4-O1", 8, 79, 8, 16, 4, 1},
}

func BenchmarkConv1DForward(b *testing.B) {
	for _, c := range convCases {
		b.Run(c.name, func(b *testing.B) {
			outT := kernels.Conv1DOutLen(c.T, c.K, c.S)
			x, w, bias := signed(1, c.B*c.T*c.C), signed(2, c.K*c.C*c.O), signed(3, c.O)
			y := make([]float32, c.B*outT*c.O)
			loop(b, Conv1DForwardFLOPs(c.B, c.T, c.C, c.K, c.S, c.O), func() {
				kernels.Conv1DForward(y, x, w, bias, c.B, c.T, c.C, c.K, c.S, c.O)
			})
		})
	}
}

// BenchmarkConv1DBackward includes dx, as nn.Sequential asks for it down to the input.
func BenchmarkConv1DBackward(b *testing.B) {
	for _, c := range convCases {
		b.Run(c.name, func(b *testing.B) {
			outT := kernels.Conv1DOutLen(c.T, c.K, c.S)
			x, w, dy := signed(1, c.B*c.T*c.C), signed(2, c.K*c.C*c.O), signed(3, c.B*outT*c.O)
			dx, dW, dBias := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.O)
			loop(b, Conv1DBackwardFLOPs(c.B, c.T, c.C, c.K, c.S, c.O, true), func() {
				kernels.Conv1DBackward(dx, dW, dBias, dy, x, w, c.B, c.T, c.C, c.K, c.S, c.O)
			})
		})
	}
}

// dropoutSizes are the inputs of the tutorial's Dropout layers at B = 8: after the
// LSTM and GRU (8, 50) and after the first convolution (8, 79, 8).
var dropoutSizes = []struct {
	name string
	n    int
}{{"8x50", 8 * 50}, {"8x79x8", 8 * 79 * 8}}

func BenchmarkDropoutMask(b *testing.B) {
	for _, c := range dropoutSizes {
		b.Run(c.name, func(b *testing.B) {
			mask := make([]float32, c.n)
			var step uint64
			loop(b, DropoutMaskFLOPs(c.n), func() {
				kernels.DropoutMask(mask, 1, step, 0.5)
				step++
			})
		})
	}
}

func BenchmarkDropoutForward(b *testing.B) {
	for _, c := range dropoutSizes {
		b.Run(c.name, func(b *testing.B) {
			x, y, mask := signed(1, c.n), make([]float32, c.n), make([]float32, c.n)
			kernels.DropoutMask(mask, 1, 0, 0.5)
			loop(b, DropoutFLOPs(c.n), func() { kernels.DropoutForward(y, x, mask) })
		})
	}
}

func BenchmarkDropoutBackward(b *testing.B) {
	for _, c := range dropoutSizes {
		b.Run(c.name, func(b *testing.B) {
			dy, dx, mask := signed(1, c.n), make([]float32, c.n), make([]float32, c.n)
			kernels.DropoutMask(mask, 1, 0, 0.5)
			loop(b, DropoutFLOPs(c.n), func() { kernels.DropoutBackward(dx, dy, mask) })
		})
	}
}

// BenchmarkMSE times the loss of a batch of 8 windows of 16 outputs, alone (forward,
// as validation computes it) and with its gradient (backward, as training does).
func BenchmarkMSE(b *testing.B) {
	n := Batch * Out
	y, target, dy := signed(1, n), signed(2, n), make([]float32, n)
	b.Run("forward-8x16", func(b *testing.B) {
		loop(b, MSEFLOPs(n, false), func() { kernels.MSE(nil, y, target) })
	})
	b.Run("backward-8x16", func(b *testing.B) {
		loop(b, MSEFLOPs(n, true), func() { kernels.MSE(dy, y, target) })
	})
}

// BenchmarkAdam times one Adam step over all of a model's parameters as one tensor.
func BenchmarkAdam(b *testing.B) {
	H := LargeH
	for _, c := range []struct {
		name string
		n    int
	}{
		{"cnn", paramCount("cnn")}, {"lstm", paramCount("lstm")}, {"gru", paramCount("gru")},
		{"lstm-large", LargeF*4*H + H*4*H + 4*H},
	} {
		b.Run(fmt.Sprintf("%s-%d", c.name, c.n), func(b *testing.B) {
			p, g := signed(1, c.n), signed(2, c.n)
			m, v := make([]float32, c.n), make([]float32, c.n)
			loop(b, AdamFLOPs(c.n), func() {
				kernels.Adam(p, g, m, v, 0.9, 0.999, 1e-3, 1, 1e-8)
			})
		})
	}
}

// gateSizes are the recurrent kernels' per-step sizes: the tutorial's (Keras 2.1.1's
// hard_sigmoid) and the large shape (PyTorch's sigmoid).
var gateSizes = []struct {
	name string
	B, H int
	ra   kernels.Activation
}{
	{"tutorial-B8-H50", 8, 50, kernels.HardSigmoid},
	{"large-B64-H256", 64, 256, kernels.Sigmoid},
}

func BenchmarkLSTMGatesForward(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			B, H := c.B, c.H
			pre, gates := signed(1, B*4*H), make([]float32, B*4*H)
			cPrev, bias := signed(2, B*H), signed(3, 4*H)
			cc, actC, h := make([]float32, B*H), make([]float32, B*H), make([]float32, B*H)
			loop(b, lstmGatesFwd*float64(B*H), func() {
				copy(gates, pre)
				kernels.LSTMGatesForward(gates, cc, actC, h, cPrev, bias, B, H, c.ra,
					kernels.Tanh)
			})
		})
	}
}

func BenchmarkLSTMGatesBackward(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			B, H := c.B, c.H
			gates, cPrev, bias := signed(1, B*4*H), signed(2, B*H), signed(3, 4*H)
			cc, actC, h := make([]float32, B*H), make([]float32, B*H), make([]float32, B*H)
			kernels.LSTMGatesForward(gates, cc, actC, h, cPrev, bias, B, H, c.ra, kernels.Tanh)
			dgates, dc, dh := make([]float32, B*4*H), make([]float32, B*H), signed(4, B*H)
			loop(b, lstmGatesBwd*float64(B*H), func() {
				clear(dc)
				kernels.LSTMGatesBackward(dgates, dc, dh, gates, cPrev, actC, B, H, c.ra,
					kernels.Tanh)
			})
		})
	}
}

// gruState holds the inputs of the GRU gate kernels at one size, after a forward step.
type gruState struct {
	B, H                    int
	ra                      kernels.Activation
	pre, gates, rh, h       []float32 // (B, 3H), (B, 3H), (B, H), (B, H)
	hPrev, bias, rec, biasA []float32 // (B, H), (3H), (B, 3H), (6H)
	dgates, drec, dh, drh   []float32 // (B, 3H), (B, 3H), (B, H), (B, H)
}

func newGRUState(B, H int, ra kernels.Activation) *gruState {
	return &gruState{B: B, H: H, ra: ra,
		pre: signed(1, B*3*H), gates: make([]float32, B*3*H),
		rh: make([]float32, B*H), h: make([]float32, B*H),
		hPrev: signed(2, B*H), bias: signed(3, 3*H), rec: signed(4, B*3*H),
		biasA:  signed(5, 6*H),
		dgates: make([]float32, B*3*H), drec: make([]float32, B*3*H),
		dh: signed(6, B*H), drh: signed(7, B*H)}
}

// forwardBefore runs a reset-before step (without its second product).
func (s *gruState) forwardBefore() {
	copy(s.gates, s.pre)
	kernels.GRUForwardZR(s.gates, s.rh, s.hPrev, s.bias, s.B, s.H, s.ra)
	kernels.GRUForwardH(s.gates, s.h, s.hPrev, s.bias, s.B, s.H, kernels.Tanh)
}

func BenchmarkGRUForwardZR(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			loop(b, gruZRFwd*float64(c.B*c.H), func() {
				copy(s.gates, s.pre)
				kernels.GRUForwardZR(s.gates, s.rh, s.hPrev, s.bias, s.B, s.H, s.ra)
			})
		})
	}
}

func BenchmarkGRUForwardH(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			loop(b, gruHFwd*float64(c.B*c.H), func() {
				copy(s.gates, s.pre)
				kernels.GRUForwardH(s.gates, s.h, s.hPrev, s.bias, s.B, s.H, kernels.Tanh)
			})
		})
	}
}

func BenchmarkGRUBackwardH(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			s.forwardBefore()
			dhPrev := make([]float32, c.B*c.H)
			loop(b, gruHBwd*float64(c.B*c.H), func() {
				kernels.GRUBackwardH(s.dgates, dhPrev, s.dh, s.gates, s.hPrev, s.B, s.H,
					s.ra, kernels.Tanh)
			})
		})
	}
}

func BenchmarkGRUBackwardR(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			s.forwardBefore()
			dhPrev := make([]float32, c.B*c.H)
			loop(b, gruRBwd*float64(c.B*c.H), func() {
				kernels.GRUBackwardR(s.dgates, dhPrev, s.drh, s.gates, s.hPrev, s.B, s.H, s.ra)
			})
		})
	}
}

func BenchmarkGRUResetAfterForward(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			loop(b, gruAfterFwd*float64(c.B*c.H), func() {
				copy(s.gates, s.pre)
				kernels.GRUResetAfterForward(s.gates, s.rh, s.h, s.rec, s.hPrev, s.biasA,
					s.B, s.H, s.ra, kernels.Tanh)
			})
		})
	}
}

func BenchmarkGRUResetAfterBackward(b *testing.B) {
	for _, c := range gateSizes {
		b.Run(c.name, func(b *testing.B) {
			s := newGRUState(c.B, c.H, c.ra)
			copy(s.gates, s.pre)
			kernels.GRUResetAfterForward(s.gates, s.rh, s.h, s.rec, s.hPrev, s.biasA,
				s.B, s.H, s.ra, kernels.Tanh)
			dhPrev := make([]float32, c.B*c.H)
			loop(b, gruAfterBwd*float64(c.B*c.H), func() {
				kernels.GRUResetAfterBackward(s.dgates, s.drec, dhPrev, s.dh, s.gates, s.rh,
					s.hPrev, s.B, s.H, s.ra, kernels.Tanh)
			})
		})
	}
}
