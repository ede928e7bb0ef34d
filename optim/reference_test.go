package optim

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// adamFixture is written by reference/generate.py with PyTorch 1.13: a Dense(4, tanh)
// layer trained for several steps on one fixed batch, with torch.optim.Adam (PyTorch form)
// or Keras 2.1.1's update written out in torch (Keras form), in float64.
type adamFixture struct {
	Form    string               `json:"form"`
	LR      float64              `json:"lr"`
	Beta1   float64              `json:"beta1"`
	Beta2   float64              `json:"beta2"`
	Epsilon float64              `json:"epsilon"`
	Steps   int                  `json:"steps"`
	X       []float64            `json:"x"`
	Target  []float64            `json:"target"`
	Input   int                  `json:"input"`
	Units   int                  `json:"units"`
	Start   map[string][]float64 `json:"start"`
	Losses  []float64            `json:"losses"`
	After   map[string][]float64 `json:"after"`
}

// TestAdamReference replays the fixtures: forward y = tanh(xW + b), MSE, its gradient by
// hand, then our Adam. Both sides compute in float64 in the same order up to summation, so
// the weights after the steps agree to 1e-12 relative (measured: about 1e-16).
func TestAdamReference(t *testing.T) {
	for _, form := range []string{"keras", "pytorch"} {
		t.Run(form, func(t *testing.T) {
			path := filepath.Join("..", "nn", "testdata", "reference", "adam_"+form+".json")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var fx adamFixture
			if err := json.Unmarshal(b, &fx); err != nil {
				t.Fatal(err)
			}
			cfg := AdamConfig{LR: fx.LR, Beta1: fx.Beta1, Beta2: fx.Beta2, Epsilon: fx.Epsilon}
			if form == "pytorch" {
				cfg.Form = PyTorch
			}
			w := append([]float64(nil), fx.Start["kernel"]...)
			bias := append([]float64(nil), fx.Start["bias"]...)
			dw, db := make([]float64, len(w)), make([]float64, len(bias))
			opt := NewAdam(cfg, [][]float64{w, bias})

			B, I, O := len(fx.X)/fx.Input, fx.Input, fx.Units
			y := make([]float64, B*O)
			for step := 0; step < fx.Steps; step++ {
				kernels.Gemm(false, false, B, O, I, 1, fx.X, I, w, O, 0, y, O)
				for i := range y {
					y[i] = math.Tanh(y[i] + bias[i%O])
				}
				var loss float64
				clear(dw)
				clear(db)
				dz := make([]float64, B*O)
				for i := range y {
					d := y[i] - fx.Target[i]
					loss += d * d
					dz[i] = 2 * d / float64(B*O) * (1 - y[i]*y[i])
					db[i%O] += dz[i]
				}
				loss /= float64(B * O)
				if e := math.Abs(loss-fx.Losses[step]) / fx.Losses[step]; e > 1e-12 {
					t.Errorf("step %d loss %.17g, reference %.17g", step, loss, fx.Losses[step])
				}
				kernels.Gemm(true, false, I, O, B, 1, fx.X, I, dz, O, 0, dw, O)
				opt.Update([][]float64{w, bias}, [][]float64{dw, db})
			}
			for name, got := range map[string][]float64{"kernel": w, "bias": bias} {
				want := fx.After[name]
				for i := range got {
					if e := math.Abs(got[i]-want[i]) / math.Max(math.Abs(want[i]), 1e-300); e > 1e-12 {
						t.Errorf("%s[%d] after %d steps: %.17g, reference %.17g",
							name, i, fx.Steps, got[i], want[i])
					}
				}
			}
		})
	}
}
