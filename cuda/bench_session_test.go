//go:build cuda

package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

// The epoch of bench/ on the GPU: 107 training steps of 8 windows through the session,
// then the validation loss over 214 windows in batches of 8 (the last of 6), float32,
// at the tutorial's shape. torch_cuda_epoch.py times the same epoch with PyTorch and
// cuDNN; device-check.sh runs both.
const (
	epochBatches = 107
	epochB       = 8
	valWindows   = 214
)

func BenchmarkEpoch(b *testing.B) {
	for _, name := range nn.TutorialModels {
		b.Run(name, func(b *testing.B) { benchEpoch(b, name) })
	}
}

func benchEpoch(b *testing.B, name string) {
	m, err := nn.TutorialModel[float32](name, nn.TutorialShape, epochB, 1)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Share[float32](dev).Open(m)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	nIn, nOut := m.In.Size(), m.Out.Size()
	x := randn[float32](rng, epochBatches*epochB*nIn, 1)
	y := randn[float32](rng, epochBatches*epochB*nOut, 1)
	xv, yv := randn[float32](rng, valWindows*nIn, 1), randn[float32](rng, valWindows*nOut, 1)
	opt := optim.NewAdam[float32](optim.DefaultAdam(), nil) // only its scalars: Advance
	step := uint64(0)
	b.ResetTimer()
	for range b.N {
		for i := range epochBatches {
			lo, hi := i*epochB, (i+1)*epochB
			_, err := s.TrainStep(x[lo*nIn:hi*nIn], y[lo*nOut:hi*nOut], epochB, step,
				opt.Advance())
			if err != nil {
				b.Fatal(err)
			}
			step++
		}
		for lo := 0; lo < valWindows; lo += epochB {
			hi := min(lo+epochB, valWindows)
			if _, err := s.Loss(xv[lo*nIn:hi*nIn], yv[lo*nOut:hi*nOut], hi-lo); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/epoch")
}

// BenchmarkLarge is one forward and backward of a wide recurrent layer, B 256, T 256,
// F 512, H 512 (the layer as LoopAuto runs it: one fused launch per step at this H),
// the shape torch_cuda_epoch.py's "lstm-large" and "gru-large" time with cuDNN.
func BenchmarkLarge(b *testing.B) {
	b.Run("lstm", func(b *testing.B) { benchLSTM(b, 256, 256, 512, 512, LoopAuto) })
	b.Run("gru", func(b *testing.B) { benchLargeGRU(b, 256, 256, 512, 512) })
}

func benchLargeGRU(b *testing.B, B, T, F, H int) {
	rng := rand.New(rand.NewPCG(4, 4))
	g, err := NewGRU[float32](dev, F, H, T, B, true) // reset after, as cuDNN
	if err != nil {
		b.Fatal(err)
	}
	defer g.Free()
	benchRNN(b, g, rng, rnnShape{B, T, F, H, 3 * H, 2 * 3 * H}, 0.05, 0.05)
}

// BenchmarkGemm4096 is the 4096³ float32 product torch_cuda_epoch.py times with
// torch.matmul (cuBLAS).
func BenchmarkGemm4096(b *testing.B) {
	const n = 4096
	benchGemm(b, n)
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
}
