//go:build cuda

package emu

import (
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/cuda/internal/core"
	"github.com/seqnn/seqnn/cuda/internal/sessioncheck"
	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// emuDevice is the cuda session over the emulated driver: the launchers, launch shapes
// and kernel sequence of package cuda's NNDevice, with the kernels run on the CPU.
type emuDevice[T kernels.Float] struct{ d *Driver }

func (e emuDevice[T]) Name() string { return "emu" }

func (e emuDevice[T]) Open(m *nn.Sequential[T]) (nn.Session[T], error) {
	s, err := core.Open(e.d, m)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// emuSteps are shorter than the tutorial's 256 steps so that the emulation, which starts
// an OS thread for every GPU thread, stays within seconds; the CNN needs 79.
// SEQNN_EMU_FULL=1 runs TestSessionParity at the tutorial's 256 steps instead (about
// three minutes on 2 cores; seen: float32 within 6e-6 normalized, float64 within 3e-14).
var emuSteps = map[string]int{"cnn": 80, "lstm": 10, "gru": 10}

func init() {
	if os.Getenv("SEQNN_EMU_FULL") != "" {
		emuSteps = map[string]int{"cnn": 256, "lstm": 256, "gru": 256}
	}
}

// TestSessionParity runs the tutorial models through the session on the emulated device
// and through nn.CPU: three full batches and a partial one, float32 and float64.
//
// Tolerances. float64: the device sums in other orders (tiled products, bias first,
// the loss's tree sum), so values differ by a few ulps, which Adam's m/√v passes on at
// most scaled by 1/(1-β1) over these steps: 1e-12 normalized. float32: the same in
// single precision, ε = 6e-8, and the C library's expf and tanhf in place of Go's
// float32 tanh and sigmoid (within 2 ulps): 1e-5 normalized for w, m and y, 1e-4 for v,
// which squares the gradient and so doubles its relative error, and for the loss.
func TestSessionParity(t *testing.T) {
	for _, name := range nn.TutorialModels {
		shape := nn.Shape{emuSteps[name], 1}
		t.Run(name+"/f32", func(t *testing.T) {
			d := NewDriver()
			w := sessioncheck.Parity[float32](t, emuDevice[float32]{d}, func() (*nn.Sequential[float32], error) {
				return nn.TutorialModel[float32](name, shape, 4, 7)
			}, 4, 3, sessioncheck.Tol{Loss: 1e-5, W: 1e-5, M: 1e-4, V: 1e-4, Y: 1e-5, Floor: 1e-6})
			t.Logf("worst normalized errors %v; kernels %s", w, launched(d))
			if d.Live() != 0 {
				t.Errorf("%d allocations left after Close", d.Live())
			}
		})
		t.Run(name+"/f64", func(t *testing.T) {
			d := NewDriver()
			w := sessioncheck.Parity[float64](t, emuDevice[float64]{d}, func() (*nn.Sequential[float64], error) {
				return nn.TutorialModel[float64](name, shape, 4, 7)
			}, 4, 3, sessioncheck.Tol{Loss: 1e-12, W: 1e-12, M: 1e-12, V: 1e-12, Y: 1e-12,
				Floor: 1e-12})
			t.Logf("worst normalized errors %v; kernels %s", w, launched(d))
		})
	}
}

// TestSessionGradCheck checks the session's gradients against central differences of its
// own loss on the emulated device, for three seeded entries of every tensor.
func TestSessionGradCheck(t *testing.T) {
	models := sessioncheck.GradModels()
	for _, name := range sessioncheck.GradModelNames {
		t.Run(name, func(t *testing.T) {
			sessioncheck.GradCheck(t, emuDevice[float64]{NewDriver()}, models[name], 2, 3)
		})
	}
}

// TestSessionOpenUnsupported: a layer without a device twin is an error that names it,
// and what Open allocated before it is freed.
func TestSessionOpenUnsupported(t *testing.T) {
	m, err := nn.NewSequential[float32](nn.Shape{4}, 2, 1, nn.NewDense[float32](3, kernels.Tanh),
		&oddLayer{})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDriver()
	_, err = emuDevice[float32]{d}.Open(m)
	if err == nil || !strings.Contains(err.Error(), "odd") {
		t.Fatalf("Open: %v, want an error naming the odd layer", err)
	}
	t.Log(err)
	if d.Live() != 0 {
		t.Errorf("%d allocations left after a failed Open", d.Live())
	}
}

// TestSessionClose: Close twice is fine, and calls after it return an error.
func TestSessionClose(t *testing.T) {
	m, _ := nn.TutorialModel[float32]("cnn", nn.Shape{80, 1}, 2, 1)
	s, err := emuDevice[float32]{NewDriver()}.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Loss(make([]float32, 80), make([]float32, 16), 1); err == nil {
		t.Error("Loss after Close succeeded")
	}
	if err := s.Pull(nil, nil); err == nil {
		t.Error("Pull after Close succeeded")
	}
}

// TestSessionPushPull: moments pushed come back unchanged, weights too, and a wrong
// shape is an error.
func TestSessionPushPull(t *testing.T) {
	m, _ := nn.TutorialModel[float64]("gru", nn.Shape{6, 1}, 2, 3)
	s, err := emuDevice[float64]{NewDriver()}.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	var mo, ve, w [][]float64
	for _, p := range m.Params() {
		a, b := make([]float64, len(p.W)), make([]float64, len(p.W))
		for i := range a {
			a[i], b[i] = rng.Float64(), rng.Float64()
			p.W[i] = rng.Float64()
		}
		mo, ve, w = append(mo, a), append(ve, b), append(w, append([]float64(nil), p.W...))
	}
	if err := s.Push(mo, ve); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		clear(p.W)
	}
	gm, gv := make([][]float64, len(mo)), make([][]float64, len(ve))
	for i := range mo {
		gm[i], gv[i] = make([]float64, len(mo[i])), make([]float64, len(ve[i]))
	}
	if err := s.Pull(gm, gv); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		for j := range p.W {
			if p.W[j] != w[i][j] || gm[i][j] != mo[i][j] || gv[i][j] != ve[i][j] {
				t.Fatalf("%s[%d]: Push then Pull changed a value", p.Name, j)
			}
		}
	}
	if err := s.Push(mo[:1], nil); err == nil {
		t.Error("Push accepted moments for one tensor of five")
	}
}

// oddLayer is a layer the device does not know.
type oddLayer struct{ n int }

func (l *oddLayer) Kind() string { return "odd" }
func (l *oddLayer) Build(in nn.Shape, _ int, _ *rand.Rand) (nn.Shape, error) {
	l.n = in.Size()
	return in, nil
}
func (l *oddLayer) Forward(y, x []float32, _ int)    { copy(y, x) }
func (l *oddLayer) Backward(dx, dy []float32, _ int) { copy(dx, dy) }
func (l *oddLayer) Params() []*nn.Param[float32]     { return nil }

// launched lists the kernels a driver ran, with counts.
func launched(d *Driver) string {
	var ks []string
	for k, n := range d.Launches() {
		ks = append(ks, k+"×"+itoa(n))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		if n /= 10; n == 0 {
			return s
		}
	}
}
