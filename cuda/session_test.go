//go:build cuda

package cuda

import (
	"strings"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/sessioncheck"
	"github.com/seqnn/seqnn/nn"
)

// TestSessionParity trains each tutorial model, at the tutorial's shape (256 steps,
// batches of 8, the last step a partial batch of 4), for five steps on the GPU and on
// nn.CPU from identical weights, and compares losses, pulled weights, moments and the
// inference output after training.
//
// Tolerances (normalized by each tensor's largest value; see sessioncheck.Tol). The
// emulation of the same kernel sequence at 10-80 steps shows the arithmetic's own
// spread: float32 ≤ 5e-6 on weights, ≤ 6e-7 elsewhere; float64 ≤ 5e-15. Here the
// sequences are 256 steps long, the products sum over up to 2048 terms, and the GPU's
// expf and tanhf differ from Go's by up to 2 ulps, so the bounds keep a factor of ten or
// more over that: float32 1e-4 (w, m, y), 2e-4 (v, which squares the gradient), 1e-5 on
// the loss; float64 1e-11.
func TestSessionParity(t *testing.T) {
	for _, name := range nn.TutorialModels {
		t.Run(name+"/f32", func(t *testing.T) {
			w := sessioncheck.Parity[float32](t, Share[float32](dev),
				func() (*nn.Sequential[float32], error) {
					return nn.TutorialModel[float32](name, nn.TutorialShape, 8, 7)
				}, 8, 5, sessioncheck.Tol{Loss: 1e-5, W: 1e-4, M: 1e-4, V: 2e-4, Y: 1e-4,
					Floor: 1e-6})
			t.Logf("worst normalized errors: %v", w)
		})
		t.Run(name+"/f64", func(t *testing.T) {
			w := sessioncheck.Parity[float64](t, Share[float64](dev),
				func() (*nn.Sequential[float64], error) {
					return nn.TutorialModel[float64](name, nn.TutorialShape, 8, 7)
				}, 8, 5, sessioncheck.Tol{Loss: 1e-11, W: 1e-11, M: 1e-11, V: 1e-11, Y: 1e-11,
					Floor: 1e-12})
			t.Logf("worst normalized errors: %v", w)
		})
	}
}

// TestSessionGradCheck checks every parameter of small models of each layer type
// against central differences of the GPU session's own loss (float64).
func TestSessionGradCheck(t *testing.T) {
	models := sessioncheck.GradModels()
	for _, name := range sessioncheck.GradModelNames {
		t.Run(name, func(t *testing.T) {
			sessioncheck.GradCheck(t, Share[float64](dev), models[name], 3, 0)
		})
	}
}

func TestSessionName(t *testing.T) {
	if n := Share[float32](dev).Name(); !strings.HasPrefix(n, "cuda:") {
		t.Errorf("Name %q, want cuda:N <GPU>", n)
	}
}
