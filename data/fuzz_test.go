package data

import (
	"strings"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; run for example
//
//	go test -run='^$' -fuzz=FuzzReadCSV -fuzztime=20s ./data

// FuzzReadCSV reads arbitrary bytes as CSV, with or without --columns, and checks that
// Read never panics, that errors are one line naming the source, and that every series
// it returns is sorted, finite and made of valid candles.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("date,open,high,low,close,volume\n1500000000,100,110,90,105,5\n"), "", false, false)
	f.Add([]byte("date,close\n1500000000,1\n1500000060\n"), "", false, false)
	f.Add([]byte("1500000000\n"), "date,close", false, false)
	f.Fuzz(func(t *testing.T, b []byte, columns string, dropBad, fill bool) {
		opt := Options{DropBad: dropBad}
		if fill {
			opt.Fill = FillPrevious
		}
		if columns != "" {
			opt.Columns = strings.Split(columns, ",")
		}
		fuzzRead(t, string(b), "fuzz.csv", opt)
	})
}

// FuzzReadJSON is FuzzReadCSV for JSON arrays of candle objects.
func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`[{"date":1500000000,"high":110,"low":90,"open":100,"close":105,"volume":5}]`), false)
	f.Fuzz(func(t *testing.T, b []byte, dropBad bool) {
		fuzzRead(t, string(b), "fuzz.json", Options{DropBad: dropBad})
	})
}

func fuzzRead(t *testing.T, in, source string, opt Options) {
	s, rep, err := Read(strings.NewReader(in), source, opt)
	if err != nil {
		checkMessage(t, err, source)
		return
	}
	checkSeries(t, s, rep)
	if rep.Dropped != sum(rep.DroppedBy) {
		t.Errorf("Dropped %d, but DroppedBy sums to %d", rep.Dropped, sum(rep.DroppedBy))
	}
	if !opt.DropBad && rep.Dropped > 0 {
		t.Errorf("%d rows dropped without DropBad", rep.Dropped)
	}
	if s := rep.String(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("report is not one line: %q", s)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// FuzzSplit splits series of up to 2000 candles with gaps and candles off the grid, over
// arbitrary sizes (zero and negative included) and training fractions, and checks Split's
// promises: no panic, an error naming the source, or windows in time order that match the
// closes, span no gap or irregular spacing, and share no candle across the cut.
func FuzzSplit(f *testing.F) {
	f.Add(uint16(1000), []byte{}, int16(256), int16(16), int16(272), 0.8)
	f.Add(uint16(1), []byte{}, int16(1), int16(1), int16(1), 0.8)
	f.Add(uint16(30), []byte{}, int16(1), int16(0), int16(2), 0.8)
	f.Fuzz(func(t *testing.T, n uint16, gaps []byte, in, out, stride int16, frac float64) {
		size := int(n % 2001)
		var before, off []int
		for _, g := range gaps {
			if size > 0 {
				before = append(before, int(g)*7%size)
				if g >= 128 {
					off = append(off, int(g)*13%size)
				}
			}
		}
		s := series(size, before...)
		for _, i := range off {
			// Move the candle off the grid, between its neighbours.
			if i > 0 && s.Candles[i].Time-s.Candles[i-1].Time > 1 {
				s.Candles[i].Time--
			}
		}
		train, val, err := Split(s, int(in), int(out), int(stride), frac)
		if err != nil {
			checkMessage(t, err, "test.csv")
			return
		}
		checkWindows(t, s, train, val, int(in), int(out))
	})
}
