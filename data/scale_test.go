package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMinMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 257)
	for i := range v {
		v[i] = 99 + 2900*rng.Float64()
	}
	m, err := FitMinMax(v)
	if err != nil {
		t.Fatal(err)
	}

	scaled := make([]float64, len(v))
	m.ScaleTo(scaled, v)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range scaled {
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("scaled range [%v, %v], want [0, 1]", lo, hi)
	}

	// Round trip: a few ulps of the price range (3000 * 2^-52 ~ 7e-13).
	back := make([]float64, len(v))
	m.UnscaleTo(back, scaled)
	for i := range v {
		if math.Abs(back[i]-v[i]) > 1e-11 {
			t.Fatalf("value %d: %v -> %v -> %v", i, v[i], scaled[i], back[i])
		}
	}

	// The sklearn form on a hand-checked case.
	m = MinMax{Min: 100, Max: 300}
	if m.Scale(150) != 0.25 || m.Unscale(0.25) != 150 || m.Scale(400) != 1.5 {
		t.Errorf("Scale(150) %v, Unscale(0.25) %v, Scale(400) %v; want 0.25, 150, 1.5", m.Scale(150), m.Unscale(0.25), m.Scale(400))
	}
}

func TestFitMinMaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    []float64
		err  string
	}{
		{"constant", []float64{225, 225, 225}, "all 3 values are 225, so there is no range to scale by"},
		{"one value", []float64{225}, "the only value is 225, so"},
		{"empty", nil, "no values to fit"},
		{"nan", []float64{1, math.NaN(), 2}, "value 1 is NaN"},
		{"inf", []float64{1, math.Inf(-1)}, "value 1 is -Inf"},
		{"overflow", []float64{-math.MaxFloat64, math.MaxFloat64}, "overflows float64"},
		// A close of 1e308 among real prices: the range is finite, its square is not.
		{"square overflows", []float64{225, 2500, 1e308}, "range 225 to 1e+308 overflows float64 when squared"},
		{"square underflows", []float64{1e-300, 2e-300}, "range 1e-300 to 2e-300 is too narrow: its square 0 is not a normal float64"},
		{"subnormal range", []float64{0, 5e-324}, "is too narrow"},
	} {
		_, err := FitMinMax(tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.err)
		}
	}

	// The reader's extreme prices still fit, and squared errors in price units stay finite.
	m, err := FitMinMax([]float64{MinPrice, MaxPrice})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Unscale(1) - m.Unscale(0); math.IsInf(d*d, 0) || float32(m.Scale(math.Nextafter(MinPrice, 1))) == 0 {
		t.Errorf("range [%v, %v]: squared width %v, smallest scaled step %v in float32", m.Min, m.Max, d*d,
			float32(m.Scale(math.Nextafter(MinPrice, 1))))
	}
}

// TestMinMaxWithoutRange: a MinMax without a range to scale by, the zero value among
// them, panics with a message naming the method and FitMinMax, where it used to return
// +Inf (Scale(5) of the zero value), NaN or Min for every value.
func TestMinMaxWithoutRange(t *testing.T) {
	for _, m := range []MinMax{{}, {Min: 3, Max: 3}, {Min: 5, Max: 1},
		{Min: math.NaN(), Max: 1}, {Min: -math.MaxFloat64, Max: math.MaxFloat64}} {
		for op, f := range map[string]func(){
			"Scale":     func() { m.Scale(5) },
			"Unscale":   func() { m.Unscale(0.5) },
			"ScaleTo":   func() { m.ScaleTo(make([]float64, 1), []float64{5}) },
			"UnscaleTo": func() { m.UnscaleTo(make([]float64, 1), []float64{0.5}) },
		} {
			func() {
				defer func() {
					msg := fmt.Sprint(recover())
					if !strings.Contains(msg, "has no finite width to scale by") ||
						!strings.Contains(msg, "FitMinMax") {
						t.Errorf("%+v.%s: recovered %q, want the no-range panic", m, op, msg)
					}
				}()
				f()
			}()
		}
	}
}
