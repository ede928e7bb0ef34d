package data

import (
	"fmt"
	"strings"
	"testing"
)

// series makes n candles one period (60 s) apart, close i+1 for candle i, with a gap of
// one missing period before each index in gapsBefore.
func series(n int, gapsBefore ...int) *Series {
	s := &Series{Source: "test.csv", Period: 60}
	t := int64(1500000000)
	for i := range n {
		for _, g := range gapsBefore {
			if g == i {
				t += 60
			}
		}
		s.Candles = append(s.Candles, c(t, float64(i+1)))
		t += 60
	}
	return s
}

// shifted is series(n) with candle i moved by sec seconds, off the grid.
func shifted(n, i int, sec int64) *Series {
	s := series(n)
	s.Candles[i].Time += sec
	return s
}

// extra is series(n) with one more candle sec seconds after candle i-1, before candle i.
func extra(n, i int, sec int64) *Series {
	s := series(n)
	x := c(s.Candles[i-1].Time+sec, 0.5)
	s.Candles = append(s.Candles[:i], append([]Candle{x}, s.Candles[i:]...)...)
	return s
}

// checkWindows checks the invariants Split promises for any input.
func checkWindows(t *testing.T, s *Series, train, val *Windows, in, out int) {
	t.Helper()
	size := in + out
	for _, w := range []*Windows{train, val} {
		if w.In != in || w.Out != out || len(w.X) != w.Len()*in || len(w.Y) != w.Len()*out {
			t.Fatalf("shapes: In %d Out %d, %d windows, len X %d, len Y %d", w.In, w.Out, w.Len(), len(w.X), len(w.Y))
		}
		for n, st := range w.Start {
			if n > 0 && st <= w.Start[n-1] {
				t.Fatalf("window starts not in time order: %v", w.Start)
			}
			if st < 0 || st+size > len(s.Candles) {
				t.Fatalf("window %d at %d runs past %d candles", n, st, len(s.Candles))
			}
			for i := 1; i < size; i++ {
				if d := s.Candles[st+i].Time - s.Candles[st+i-1].Time; d != s.Period {
					t.Fatalf("window at %d spans a gap of %d s", st, d)
				}
			}
			for i := range in {
				if w.X[n*in+i] != s.Candles[st+i].Close {
					t.Fatalf("X[%d, %d] is not the close of candle %d", n, i, st+i)
				}
			}
			for i := range out {
				if w.Y[n*out+i] != s.Candles[st+in+i].Close {
					t.Fatalf("Y[%d, %d] is not the close of candle %d", n, i, st+in+i)
				}
			}
		}
	}
	if train.Len() == 0 || val.Len() == 0 {
		t.Fatalf("%d training and %d validation windows: want both", train.Len(), val.Len())
	}
	if end := train.Start[train.Len()-1] + size; val.Start[0] < end {
		t.Fatalf("validation window at %d shares candles with the training window ending at %d", val.Start[0], end)
	}
}

func TestSplitDefault(t *testing.T) {
	s, _, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := Split(s, 256, 16, 272, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	checkWindows(t, s, train, val, 256, 16)

	// 42010 / 272 = 154 windows; the tutorial's int(0.8 * 154) = 123 train, 31 validate.
	if train.Len() != 123 || val.Len() != 31 {
		t.Errorf("got %d train and %d validation windows, want 123 and 31", train.Len(), val.Len())
	}
	if train.Start[1] != 272 || val.Start[0] != 123*272 {
		t.Errorf("starts: train[1] %d, val[0] %d; want 272 and %d", train.Start[1], val.Start[0], 123*272)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		s                    *Series
		in, out, stride      int
		frac                 float64
		trainStart, valStart []int
	}{
		{"non-overlapping", series(30), 4, 2, 6, 0.8, []int{0, 6, 12, 18}, []int{24}},
		{"0.3 of 10 is 3, not 2", series(60), 4, 2, 6, 0.3, []int{0, 6, 12}, []int{18, 24, 30, 36, 42, 48, 54}},
		{"overlap dropped at the cut", series(12), 3, 1, 1, 0.5, []int{0, 1, 2, 3}, []int{7, 8}},
		{"gaps restart the windows", series(20, 5, 13), 3, 1, 4, 0.5, []int{0, 5}, []int{9, 13}},
		{"tail shorter than a window", series(13), 4, 2, 6, 0.5, []int{0}, []int{6}},
		{"at least one to train", series(12), 4, 2, 6, 0.01, []int{0}, []int{6}},
		{"at least one to validate", series(12), 4, 2, 6, 0.99, []int{0}, []int{6}},
		{"no period, no gap check", &Series{Candles: series(12, 3, 4).Candles}, 4, 2, 6, 0.5, []int{0}, []int{6}},
		{"a row off the grid restarts the windows", shifted(20, 5, 7), 3, 1, 4, 0.5, []int{0, 6}, []int{10, 14}},
		{"an extra row restarts the windows", extra(20, 5, 1), 3, 1, 4, 0.5, []int{0, 6}, []int{10, 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, val, err := Split(tc.s, tc.in, tc.out, tc.stride, tc.frac)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(train.Start) != fmt.Sprint(tc.trainStart) || fmt.Sprint(val.Start) != fmt.Sprint(tc.valStart) {
				t.Errorf("starts: train %v val %v, want %v %v", train.Start, val.Start, tc.trainStart, tc.valStart)
			}
			if tc.s.Period > 0 {
				checkWindows(t, tc.s, train, val, tc.in, tc.out)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	for _, tc := range []struct {
		name            string
		s               *Series
		in, out, stride int
		frac            float64
		err             string
	}{
		{"short", series(100), 256, 16, 272, 0.8,
			"test.csv: 100 rows, but one window needs 272 (256 inputs + 16 targets): use a longer file"},
		{"short runs between gaps", series(300, 150), 256, 16, 272, 0.8,
			"test.csv: the gap splits the 300 rows into runs of 150 and 150 rows, and no window spans one: none is long enough for one window of 272 (256 inputs + 16 targets): fill the gap (--fill previous) or use a longer file"},
		{"short runs between irregular spacings", shifted(300, 150, 7), 256, 16, 272, 0.8,
			"test.csv: the irregular spacings split the 300 rows into runs of 150, 1 and 149 rows, and no window spans one: none is long enough for one window of 272 (256 inputs + 16 targets): fix the times that are off the 1m0s grid, or use a longer file"},
		{"one window between irregular spacings", shifted(400, 300, 7), 256, 16, 272, 0.8,
			"test.csv: the irregular spacings split the 400 rows into runs of 300, 1 and 99 rows, and no window spans one: together they hold only 1 window of 272 (256 inputs + 16 targets), and a split needs one to train and one to validate: fix the times that are off the 1m0s grid, or use a longer file"},
		{"short runs between a gap and irregular spacings", func() *Series {
			s := series(500, 100)
			s.Candles[300].Time += 7
			return s
		}(), 256, 16, 272, 0.8,
			"test.csv: the gaps and irregular spacings split the 500 rows into runs of 100, 200, 1 and 199 rows, and no window spans one: none is long enough for one window of 272 (256 inputs + 16 targets): fix the times that are off the 1m0s grid, fill the gaps (--fill previous), or use a longer file"},
		{"one window", series(300), 256, 16, 272, 0.8,
			"test.csv: 300 rows make only 1 window of 272 (256 inputs + 16 targets), and a split needs one to train and one to validate: use a longer file"},
		{"one row", series(1), 256, 16, 272, 0.8,
			"test.csv: 1 row, but one window needs 272 (256 inputs + 16 targets): use a longer file"},
		// A dropped bad row leaves a gap; the gap, not the length, costs the second window
		// (599 rows would make two).
		{"one window between gaps", series(599, 100), 256, 16, 272, 0.8,
			"test.csv: the gap splits the 599 rows into runs of 100 and 499 rows, and no window spans one: together they hold only 1 window of 272 (256 inputs + 16 targets), and a split needs one to train and one to validate: fill the gap (--fill previous) or use a longer file"},
		{"one window between two gaps", series(800, 300, 550), 256, 16, 272, 0.8,
			"test.csv: the gaps split the 800 rows into runs of 300, 250 and 250 rows, and no window spans one: together they hold only 1 window of 272 (256 inputs + 16 targets), and a split needs one to train and one to validate: fill the gaps (--fill previous) or use a longer file"},
		{"many short runs", series(700, 100, 200, 300, 400, 500, 600), 256, 16, 272, 0.8,
			"test.csv: the gaps split the 700 rows into 7 runs, the longest of 100 rows, and no window spans one: none is long enough"},
		{"none left to validate", series(280), 256, 16, 1, 0.8,
			"test.csv: 9 windows of 272 candles every 1: none is left for validation once windows overlapping the 7 training windows are dropped"},
		{"one training window, none left to validate", series(35), 10, 10, 15, 0.5,
			"none is left for validation once windows overlapping the 1 training window are dropped"},
		{"zero inputs", series(30), 0, 2, 2, 0.8, "test.csv: window of 0 inputs, 2 targets, stride 2: all three must be at least 1"},
		{"one input, zero targets", series(30), 1, 0, 2, 0.8, "test.csv: window of 1 input, 0 targets, stride 2: all three must be at least 1"},
		{"one input, huge targets", series(30), 1, 1 << 40, 1, 0.8, "window of 1 input and 1099511627776 targets is too large"},
		{"one input and one target", series(1), 1, 1, 1, 0.8, "test.csv: 1 row, but one window needs 2 (1 input + 1 target)"},
		{"negative stride", series(30), 2, 2, -1, 0.8, "stride -1: all three must be at least 1"},
		{"huge", series(30), 1 << 40, 2, 1, 0.8, "is too large"},
		{"fraction 1", series(30), 2, 2, 4, 1, "test.csv: training fraction 1 is not between 0 and 1"},
		{"fraction NaN", series(30), 2, 2, 4, nan(), "training fraction NaN is not between 0 and 1"},
		{"empty", &Series{}, 2, 2, 4, 0.8, "series: 0 rows, but one window needs 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Split(tc.s, tc.in, tc.out, tc.stride, tc.frac)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("\n got %v\nwant %s", err, tc.err)
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

// TestNilInputs: nil pointers and readers are errors or empty values, never panics, as
// the package doc promises.
func TestNilInputs(t *testing.T) {
	if _, _, err := Split(nil, 4, 2, 6, 0.8); err == nil ||
		!strings.Contains(err.Error(), "nil *Series") {
		t.Errorf("Split(nil): %v, want an error naming the nil series", err)
	}
	if _, _, err := Read(nil, "x.csv", Options{}); err == nil ||
		!strings.HasPrefix(err.Error(), "x.csv: no reader") {
		t.Errorf("Read(nil): %v, want an error naming the source", err)
	}
	var s *Series
	var w *Windows
	var r *Report
	if s.Closes() != nil || w.Len() != 0 || r.Missing() != 0 || r.String() != "no report" {
		t.Errorf("nil receivers: %v %d %d %q", s.Closes(), w.Len(), r.Missing(), r.String())
	}
}
