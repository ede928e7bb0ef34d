//go:build cuda

package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// Benchmarks queue b.N launches and wait once at the end; each reports the figure its
// kernel is bound by (FLOP/s for the product, bytes/s for elementwise work, steps/s for
// the recurrent time loops, whose cost is latency).

func BenchmarkGemm512(b *testing.B) {
	const n = 512
	benchGemm(b, n)
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchGemm times b.N float32 products x·x of n×n and waits for the last.
func benchGemm(b *testing.B, n int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := benchBuf(b, randn[float32](rng, n*n, 1))
	c := benchBuf(b, make([]float32, n*n))
	b.ResetTimer()
	for range b.N {
		if err := Gemm(dev, false, false, n, n, n, 1, x, n, x, n, 0, c, n); err != nil {
			b.Fatal(err)
		}
	}
	benchSync(b)
}

func BenchmarkAdam1M(b *testing.B) {
	const n = 1 << 20
	p := benchBuf(b, make([]float32, n))
	g, m, v := benchBuf(b, make([]float32, n)), benchBuf(b, make([]float32, n)),
		benchBuf(b, make([]float32, n))
	o := Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	b.ResetTimer()
	for i := range b.N {
		if err := AdamStep(dev, o, i+1, p, g, m, v); err != nil {
			b.Fatal(err)
		}
	}
	benchSync(b)
	b.ReportMetric(7*4*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s") // 4 reads, 3 writes
}

func BenchmarkConv1D(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	c := Conv1D{T: 256, C: 8, K: 5, S: 1, O: 32, Act: kernels.ReLU}
	B := 64
	x, w := benchBuf(b, randn[float32](rng, B*c.T*c.C, 1)), benchBuf(b, randn[float32](rng, c.K*c.C*c.O, 1))
	bias, y := benchBuf(b, make([]float32, c.O)), benchBuf(b, make([]float32, B*c.To()*c.O))
	dx, dw := benchBuf(b, make([]float32, B*c.T*c.C)), benchBuf(b, make([]float32, c.K*c.C*c.O))
	b.ResetTimer()
	for range b.N {
		if err := Conv1DForward(dev, c, y, x, w, bias, B); err != nil {
			b.Fatal(err)
		}
		if err := Conv1DBackward(dev, c, dx, dw, bias, y, y, x, w, B); err != nil {
			b.Fatal(err)
		}
	}
	benchSync(b)
}

// BenchmarkLSTM is the tutorial's shape, H 50, with each way of running the time loop,
// and a wide layer, H 512, where one block per batch row leaves most of the GPU idle.
func BenchmarkLSTM(b *testing.B) {
	for _, c := range []struct {
		name string
		H    int
		loop Loop
	}{{"H50/persistent", 50, LoopPersistent}, {"H50/block", 50, LoopBlock},
		{"H50/step", 50, LoopStep}, {"H512/block", 512, LoopBlock},
		{"H512/step", 512, LoopStep}} {
		b.Run(c.name, func(b *testing.B) { benchLSTM(b, 8, 50, 5, c.H, c.loop) })
	}
}

func benchLSTM(b *testing.B, B, T, F, H int, loop Loop) {
	rng := rand.New(rand.NewPCG(3, 3))
	l, err := NewLSTM[float32](dev, F, H, T, B)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Free()
	l.Loop = loop
	benchRNN(b, l, rng, rnnShape{B, T, F, H, 4 * H, 4 * H}, 0.5, 0.3)
}

// rnnLayer is what LSTM and GRU share, for benchRNN.
type rnnLayer interface {
	Forward(h, x, w, u, bias *Buffer[float32], B int) error
	Backward(dx, dw, du, dbias, dy, x, w, u *Buffer[float32], B int) error
}

// rnnShape gives a recurrent layer's sizes: G gate columns, and nBias bias values.
type rnnShape struct{ B, T, F, H, G, nBias int }

// benchRNN times one Forward and Backward of l on random inputs, its kernel and
// recurrent kernel drawn with standard deviations wStd and uStd.
func benchRNN(b *testing.B, l rnnLayer, rng *rand.Rand, sh rnnShape, wStd, uStd float64) {
	B, T, F, H, G := sh.B, sh.T, sh.F, sh.H, sh.G
	x, w := benchBuf(b, randn[float32](rng, B*T*F, 1)), benchBuf(b, randn[float32](rng, F*G, wStd))
	u, bias := benchBuf(b, randn[float32](rng, H*G, uStd)), benchBuf(b, make([]float32, sh.nBias))
	h, dy := benchBuf(b, make([]float32, B*T*H)), benchBuf(b, randn[float32](rng, B*T*H, 1))
	dx, dw := benchBuf(b, make([]float32, B*T*F)), benchBuf(b, make([]float32, F*G))
	du, db := benchBuf(b, make([]float32, H*G)), benchBuf(b, make([]float32, sh.nBias))
	b.ResetTimer()
	for range b.N {
		if err := l.Forward(h, x, w, u, bias, B); err != nil {
			b.Fatal(err)
		}
		if err := l.Backward(dx, dw, du, db, dy, x, w, u, B); err != nil {
			b.Fatal(err)
		}
	}
	benchSync(b)
	b.ReportMetric(float64(T*b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
}

func BenchmarkGRU(b *testing.B) {
	const B, T, F, H = 8, 50, 5, 50
	rng := rand.New(rand.NewPCG(4, 4))
	g, err := NewGRU[float32](dev, F, H, T, B, false)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Free()
	benchRNN(b, g, rng, rnnShape{B, T, F, H, 3 * H, 3 * H}, 0.5, 0.3)
}

func benchBuf(b *testing.B, x []float32) *Buffer[float32] {
	b.Helper()
	buf, err := Upload(dev, x)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(buf.Free)
	return buf
}

func benchSync(b *testing.B) {
	b.Helper()
	if err := dev.Sync(); err != nil {
		b.Fatal(err)
	}
}
