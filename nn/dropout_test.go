package nn

import (
	"testing"
)

func TestDropoutGradientTraining(t *testing.T) {
	for i, rate := range []float64{0.2, 0.5, 0.8} {
		// gradCheckLayer turns training on at step 0.
		gradCheckLayer(t, NewDropout[float64](rate, 9), Shape{7, 3}, 4, -1, 1, uint64(50+i))

		m, err := NewSequential[float64](Shape{20}, 3, 1, NewDropout[float64](rate, 9))
		if err != nil {
			t.Fatal(err)
		}
		m.SetTraining(true)
		m.SetStep(12345)
		gradCheckModel(t, m, 3, -1, 1, uint64(60+i))
	}
}

func TestDropoutInferenceIsIdentity(t *testing.T) {
	l := NewDropout[float64](0.5, 3)
	m, err := NewSequential[float64](Shape{10}, 2, 1, l)
	if err != nil {
		t.Fatal(err)
	}
	x, g := make([]float64, 20), make([]float64, 20)
	for i := range x {
		x[i], g[i] = float64(i)+1, -float64(i)-1
	}
	for _, train := range []bool{false, true} {
		m.SetTraining(train)
		y := m.Forward(x, 2)
		dx := m.Backward(g, 2)
		same := 0
		for i := range x {
			if y[i] == x[i] && dx[i] == g[i] {
				same++
			}
		}
		if !train && same != len(x) {
			t.Errorf("inference: %d of %d values passed unchanged", same, len(x))
		}
		if train && same == len(x) {
			t.Error("training: nothing was dropped")
		}
		m.SetTraining(false)
	}
	gradCheckModel(t, m, 2, -1, 1, 70)
}

// TestDropoutSteps checks that Forward uses the step set by SetStep and never advances
// it, and that another step gives another mask.
func TestDropoutSteps(t *testing.T) {
	l := NewDropout[float32](0.5, 3)
	m, err := NewSequential[float32](Shape{64}, 2, 1, l)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(true)
	x := make([]float32, 128)
	for i := range x {
		x[i] = 1
	}
	m.SetStep(4)
	a := append([]float32(nil), m.Forward(x, 2)...)
	b := m.Forward(x, 2)
	if differ(a, b) != 0 {
		t.Error("a second Forward at the same step changed the mask")
	}
	m.SetStep(5)
	if d := differ(a, m.Forward(x, 2)); d < 128/4 {
		t.Errorf("step 5 differs from step 4 in only %d of 128 entries", d)
	}
	for _, v := range a {
		if v != 0 && v != 2 {
			t.Fatalf("kept value %g, want 1/(1-0.5) = 2", v)
		}
	}
}

func TestDropoutRateErrors(t *testing.T) {
	for _, r := range []float64{-0.1, 1, 1.5} {
		if _, err := NewDropout[float32](r, 1).Build(Shape{4}, 1, nil); err == nil {
			t.Errorf("rate %g: no error", r)
		}
	}
	if _, err := NewDropout[float32](0, 1).Build(Shape{4}, 1, nil); err != nil {
		t.Errorf("rate 0: %v", err)
	}
}

func TestDropoutNoAllocs(t *testing.T) {
	checkNoAllocs(t, NewDropout[float32](0.5, 1), Shape{79, 8}, 8)
}

func differ[T Float](a, b []T) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
