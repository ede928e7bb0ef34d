package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/kernels"
)

// The reference suite: every fixture in testdata/reference, written by
// reference/generate.py with PyTorch 1.13 (Debian's python3-torch) in float64, is replayed
// through our layers in float64 and float32.
//
// Tolerances, as the normalized distance ‖ours − ref‖₂ / max(‖ours‖₂, ‖ref‖₂) of each
// tensor (relErr in gradcheck_test.go):
//
//   - float64: 1e-9. Both sides evaluate the same equations in IEEE double and differ only
//     in the order of summations (BLAS blocking, torch's fused kernels): a few ulps per
//     operation. The worst seen is about 1e-15, even after 256 recurrent steps; 1e-9 leaves
//     room for other BLAS implementations while still catching any wrong term.
//   - float32: 1e-4. The float32 run rounds inputs and weights to single precision
//     (ε ≈ 6e-8) and accumulates in float32; the worst seen is about 5e-7. The bound leaves
//     room for error growth along long sequences with other weights.
const (
	refTol64 = 1e-9
	refTol32 = 1e-4
)

type refParam struct {
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

type refFixture struct {
	Name        string               `json:"name"`
	Layer       string               `json:"layer"`
	Config      map[string]any       `json:"config"`
	InputShape  []int                `json:"input_shape"`
	Batch       int                  `json:"batch"`
	X           []float64            `json:"x"`
	Params      map[string]refParam  `json:"params"`
	Y           []float64            `json:"y"`
	OutputShape []int                `json:"output_shape"`
	Target      []float64            `json:"target"`
	Loss        float64              `json:"loss"`
	DX          []float64            `json:"dx"`
	Grads       map[string][]float64 `json:"grads"`
	Torch       string               `json:"torch"`
}

func loadFixtures(t *testing.T) []refFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "reference", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference fixtures in testdata/reference (run reference/generate.py): %v", err)
	}
	var fxs []refFixture
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "adam_") {
			continue // optimizer fixtures are replayed by package optim
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx refFixture
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fxs = append(fxs, fx)
	}
	return fxs
}

func cfgString(fx refFixture, key string) string {
	s, _ := fx.Config[key].(string)
	return s
}

func cfgInt(fx refFixture, key string) int {
	f, _ := fx.Config[key].(float64)
	return int(f)
}

func mustAct(t *testing.T, name string) kernels.Activation {
	t.Helper()
	a, err := kernels.ParseActivation(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// refLayers builds the layers a fixture describes, with our default options changed to
// the fixture's convention.
func refLayers[T Float](t *testing.T, fx refFixture) []Layer[T] {
	t.Helper()
	switch fx.Layer {
	case "lstm":
		l := NewLSTM[T](cfgInt(fx, "units"))
		l.RecurrentActivation = mustAct(t, cfgString(fx, "recurrent_activation"))
		return []Layer[T]{l}
	case "gru":
		l := NewGRU[T](cfgInt(fx, "units"))
		l.RecurrentActivation = mustAct(t, cfgString(fx, "recurrent_activation"))
		l.ResetAfter, _ = fx.Config["reset_after"].(bool)
		return []Layer[T]{l}
	case "conv1d_stack":
		var ls []Layer[T]
		for _, c := range fx.Config["layers"].([]any) {
			c := c.(map[string]any)
			ls = append(ls, NewConv1D[T](int(c["filters"].(float64)), int(c["kernel"].(float64)),
				int(c["stride"].(float64)), mustAct(t, c["activation"].(string))))
		}
		return ls
	case "dense":
		return []Layer[T]{NewDense[T](cfgInt(fx, "units"), mustAct(t, cfgString(fx, "activation")))}
	case "activation":
		return []Layer[T]{NewActivation[T](mustAct(t, cfgString(fx, "activation")))}
	case "leaky_re_lu":
		return []Layer[T]{NewLeakyReLU[T](fx.Config["alpha"].(float64))}
	case "dropout":
		return []Layer[T]{NewDropout[T](fx.Config["rate"].(float64), 1)}
	}
	t.Fatalf("%s: unknown layer %q", fx.Name, fx.Layer)
	return nil
}

func convert[T Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func widen[T Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// replay runs one fixture through our model in precision T and returns the worst
// normalized error over the output, the loss, the input gradient and every weight
// gradient, and which tensor it was.
func replay[T Float](t *testing.T, fx refFixture) (worst float64, where string) {
	t.Helper()
	m, err := NewSequential[T](Shape(fx.InputShape), fx.Batch, 1, refLayers[T](t, fx)...)
	if err != nil {
		t.Fatalf("%s: %v", fx.Name, err)
	}
	params := m.Params()
	if len(params) != len(fx.Params) {
		t.Fatalf("%s: model has %d weights, fixture %d", fx.Name, len(params), len(fx.Params))
	}
	for _, p := range params {
		ref, ok := fx.Params[p.Name]
		if !ok { // single-layer fixtures name weights without the layer prefix
			ref, ok = fx.Params[p.Name[strings.Index(p.Name, "/")+1:]]
		}
		if !ok || fmt.Sprint(ref.Shape) != fmt.Sprint(p.Shape) {
			t.Fatalf("%s: weight %s %v has no match in fixture", fx.Name, p.Name, p.Shape)
		}
		copy(p.W, convert[T](ref.Values))
	}

	B := fx.Batch
	y := m.Forward(convert[T](fx.X), B)
	dy := make([]T, len(y))
	loss := MSE(dy, y, convert[T](fx.Target))
	m.ZeroGrad()
	dx := m.Backward(dy, B)

	note := func(name string, ours, ref []float64) {
		if e := relErr(ours, ref); e > worst || math.IsNaN(e) {
			worst, where = e, name
		}
	}
	note("y", widen(y), fx.Y)
	note("loss", []float64{loss}, []float64{fx.Loss})
	note("dx", widen(dx), fx.DX)
	for _, p := range params {
		ref, ok := fx.Grads[p.Name]
		if !ok {
			ref = fx.Grads[p.Name[strings.Index(p.Name, "/")+1:]]
		}
		note("d"+p.Name, widen(p.DW), ref)
	}
	return worst, where
}

func TestReference(t *testing.T) {
	fxs := loadFixtures(t)
	worst := map[string][2]float64{} // layer -> worst error in float64, float32
	for _, fx := range fxs {
		t.Run(fx.Name, func(t *testing.T) {
			e64, w64 := replay[float64](t, fx)
			if e64 > refTol64 || math.IsNaN(e64) {
				t.Errorf("float64: %s relative error %.3g > %g", w64, e64, refTol64)
			}
			e32, w32 := replay[float32](t, fx)
			if e32 > refTol32 || math.IsNaN(e32) {
				t.Errorf("float32: %s relative error %.3g > %g", w32, e32, refTol32)
			}
			key := fx.Layer
			if c := cfgString(fx, "convention"); c != "" {
				key += " (" + c + ")"
			}
			w := worst[key]
			worst[key] = [2]float64{max(w[0], e64), max(w[1], e32)}
		})
	}

	// The table README.md's "numerical fidelity" section quotes (go test -run
	// TestReference -v ./nn).
	keys := make([]string, 0, len(worst))
	for k := range worst {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-22s worst float64 %.1e   worst float32 %.1e", k, worst[k][0], worst[k][1])
	}
}
