package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/seqnn/seqnn/optim"
)

// The training fixtures of reference/generate.py (torch 1.13, float64): each tutorial
// model in each convention trained 2 epochs on testdata/reference/windows.csv from
// <model>_<convention>-init.safetensors, in order, batches of 8, 8 and 4, dropout off,
// Adam in the convention's form. Keras convention: the Keras 2.1.1 equations and Adam
// written out with torch tensors; PyTorch convention: torch.nn.LSTM/GRU/Conv1d/Linear
// and torch.optim.Adam.
const referenceDir = "testdata/reference"

type trainingFixture struct {
	Model, Convention string
	AdamForm          string `json:"adam_form"`
	Batch, Epochs     int
	Loss              []float64
	EvalLoss          []float64 `json:"eval_loss"`
	Torch             string
}

// Tolerances on relDist per tensor, and on the relative error of the losses.
//
// float64: the same arithmetic in another order (gemm blocking, sums over the batch),
// each rounding 1e-16 relative, grown by 6 Adam steps and 256 recurrent steps. Measured:
// at most 7e-16, so 1e-9 leaves a wide margin and still catches a swapped Adam form
// (where ε sits moves the weights by 2e-8 to 1e-6).
//
// float32: rounding is 6e-8 relative, and the weights move by about 6·lr = 0.006 per
// entry over 6 steps while their norms are O(1). Measured: at most 2.3e-7 (the GRU in
// the PyTorch convention), so 1e-4, the bound issue 3 asks for, holds with a wide margin
// but is too loose to tell the Adam forms apart; the float64 run does that.
var referenceTol = map[string]float64{"float64": 1e-9, "float32": 1e-4}

// relDist is the normalized L2 distance ‖a−b‖ / max(‖a‖, ‖b‖), 0 when both are zero.
func relDist(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if n := math.Sqrt(max(na, nb)); n > 0 {
		return math.Sqrt(d) / n
	}
	return 0
}

// fixtureTensors reads every tensor of a fixture or checkpoint, by name, as float64,
// leaving out the optimizer's.
func fixtureTensors(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	w, err := OpenWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, name := range w.file.names() {
		if len(name) > len(optimizerPrefix) && name[:len(optimizerPrefix)] == optimizerPrefix {
			continue
		}
		tv, _ := w.file.st.Tensor(name)
		shape := make([]int, len(tv.Shape()))
		for i, d := range tv.Shape() {
			shape[i] = int(d)
		}
		v, err := readFloats(w.file, name, shape)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	return out
}

// TestTrainingReference trains every fixture's model as `demo train --init --windows
// --no-shuffle --no-dropout --batch 8 --epochs 2` does, in both dtypes, and compares
// each epoch's checkpoint, training loss and val_loss (the loss over the same windows
// after the epoch) with the fixture's.
func TestTrainingReference(t *testing.T) {
	ds, err := WindowsDataset(filepath.Join(referenceDir, "windows.csv"), "")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 20 {
		t.Fatalf("%d windows, want 20", ds.Train.Len())
	}
	for _, model := range Models {
		for _, conv := range Conventions {
			name := model + "_" + conv
			b, err := os.ReadFile(filepath.Join(referenceDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var fx trainingFixture
			if err := json.Unmarshal(b, &fx); err != nil {
				t.Fatal(err)
			}
			form, err := ParseAdamForm(fx.AdamForm)
			if err != nil {
				t.Fatal(err)
			}
			for _, dtype := range DTypes {
				t.Run(name+"/"+dtype, func(t *testing.T) {
					checkReference(t, ds, fx, form, dtype)
				})
			}
		}
	}
}

func checkReference(t *testing.T, ds *Dataset, fx trainingFixture, form optim.Form,
	dtype string) {
	name := fx.Model + "_" + fx.Convention
	init := filepath.Join(referenceDir, name+"-init.safetensors")
	h, err := Fit(context.Background(), ds, Config{Model: fx.Model, Epochs: fx.Epochs,
		Batch: fx.Batch, Seed: 1, OutDir: t.TempDir(), DType: dtype,
		Convention: fx.Convention, AdamForm: form, NoShuffle: true, NoDropout: true,
		Init: init}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tol := referenceTol[dtype]
	start := fixtureTensors(t, init)
	worst := 0.0
	for e := range fx.Epochs {
		want := fixtureTensors(t, filepath.Join(referenceDir,
			fmt.Sprintf("%s-epoch%d.safetensors", name, e+1)))
		got := fixtureTensors(t, h.Checkpoints[e])
		if len(got) != len(want) {
			t.Fatalf("epoch %d: checkpoint has %d tensors, the fixture %d", e+1,
				len(got), len(want))
		}
		for k, w := range want {
			d := relDist(got[k], w)
			worst = max(worst, d)
			if d > tol {
				t.Errorf("epoch %d: %s differs from torch %s by %.3g (normalized L2), "+
					"more than %g", e+1, k, fx.Torch, d, tol)
			}
			// The comparison means something only if training moved the weights by
			// far more than the tolerance.
			if moved := relDist(start[k], w); e == fx.Epochs-1 && moved < 100*tol {
				t.Errorf("%s moved only %.3g in training; the check is too weak", k, moved)
			}
		}
		for _, l := range []struct {
			what      string
			got, want float64
		}{{"loss", h.Loss[e], fx.Loss[e]}, {"val_loss", h.ValLoss[e], fx.EvalLoss[e]}} {
			if r := math.Abs(l.got-l.want) / l.want; r > tol {
				t.Errorf("epoch %d: %s %v, torch %v: relative error %.3g", e+1, l.what,
					l.got, l.want, r)
			}
		}
	}
	t.Logf("worst normalized L2 distance over %d epochs: %.3g (tolerance %g)",
		fx.Epochs, worst, tol)
}
