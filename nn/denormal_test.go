package nn

import (
	"math"
	"testing"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/optim"
)

// subnormals counts the float32 values v with 0 < |v| < 2⁻¹²⁶. Go cannot set the CPU's
// flush-to-zero mode, so every such value met costs its operation a slow microcode path.
func subnormals(vs ...[]float32) int {
	n := 0
	for _, s := range vs {
		for _, v := range s {
			if a := math.Abs(float64(v)); a > 0 && a < 0x1p-126 {
				n++
			}
		}
	}
	return n
}

// TestSubnormalsInTraining trains the tutorial LSTM and GRU for two epochs on the
// embedded data, windowed and scaled as the tutorial does, and counts subnormal float32
// values in every forward and backward buffer and gradient after each step. The float32
// activations flush subnormal results to zero (expNeg32) and the gate backward kernels
// flush the gradients they read below 1e-30 (flushTiny). Without the latter the GRU met
// 1,266,663 in these 30 steps (dz vanishing back through time, ~13% of its values in the
// early steps); with it 1,867 remain (products of a normal gradient with tiny factors),
// 0.15% as many; the LSTM meets none. The bound, 10,000, fails if the flush is lost.
func TestSubnormalsInTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("two epochs of two models")
	}
	s, _, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := data.Split(s, 256, 16, 272, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := data.FitMinMax(append(append([]float64(nil), tr.X...), tr.Y...))
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, len(tr.X)), make([]float32, len(tr.Y))
	for i, v := range tr.X {
		x[i] = float32(sc.Scale(v))
	}
	for i, v := range tr.Y {
		y[i] = float32(sc.Scale(v))
	}
	const B = 8
	for _, name := range []string{"lstm", "gru"} {
		m, err := TutorialModel[float32](name, TutorialShape, B, 1)
		if err != nil {
			t.Fatal(err)
		}
		var ws, dws [][]float32
		for _, p := range m.Params() {
			ws, dws = append(ws, p.W), append(dws, p.DW)
		}
		opt := optim.NewAdam(optim.DefaultAdam(), ws)
		dy := make([]float32, B*16)
		count, steps := 0, 0
		for range 2 {
			for i := 0; i+B <= tr.Len(); i += B {
				m.SetTraining(true)
				m.SetStep(uint64(steps))
				m.ZeroGrad()
				out := m.Forward(x[i*256:(i+B)*256], B)
				MSE(dy, out, y[i*16:(i+B)*16])
				m.Backward(dy, B)
				count += subnormals(dws...) + subnormals(layerBuffers(m.Layers[0])...)
				opt.Update(ws, dws)
				steps++
			}
		}
		t.Logf("%s: %d subnormal float32 values in %d training steps", name, count, steps)
		if count > 10000 {
			t.Errorf("%s: %d subnormal values met in %d steps, want ≤ 10000", name, count,
				steps)
		}
	}
}

// layerBuffers lists a recurrent layer's forward and backward buffers.
func layerBuffers(l Layer[float32]) [][]float32 {
	switch l := l.(type) {
	case *LSTM[float32]:
		return [][]float32{l.gates, l.c, l.actC, l.h, l.dgates, l.dh, l.dc}
	case *GRU[float32]:
		return [][]float32{l.gates, l.h, l.rh, l.dgates, l.dh, l.drh}
	}
	return nil
}
