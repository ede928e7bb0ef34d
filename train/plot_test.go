package train

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPlotDeterministic: the same dataset and results give the same PNG, byte for byte,
// of the figure's size, also with fewer validation windows than zoomed panels.
func TestPlotDeterministic(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	base, err := Baselines(ds)
	if err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, name := range []string{"a.png", "b.png"} {
		path := filepath.Join(dir, name)
		if err := PlotPredictions(path, "test", ds, base); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("two plots of the same results differ")
	}
	img, err := png.Decode(bytes.NewReader(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 1152 || got.Y != 864 {
		t.Errorf("size %v, want 1152x864 (12x9 in at 96 dpi)", got)
	}
}

// TestPlotStyles: the tutorial models and the results after them differ in color and in
// dashes or glyph, and none is drawn like the actual closes.
func TestPlotStyles(t *testing.T) {
	names := append(slices.Clone(Models), "persistence", "lag baseline", "linear regression")
	for i, a := range names {
		sa := resultStyle(a, i)
		if sa.color == actualStyle.color {
			t.Errorf("%s has the actual closes' color", a)
		}
		for j, b := range names[:i] {
			sb := resultStyle(b, j)
			if sa.color == sb.color || sa.glyph == sb.glyph {
				t.Errorf("%s and %s share a color or glyph", a, b)
			}
		}
	}
}

func TestTimeTicks(t *testing.T) {
	at := func(s string) float64 {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return float64(v.Unix())
	}
	for _, tc := range []struct {
		lo, hi string
		want   int
		labels []string
	}{
		{"2017-01-22 03:00", "2017-07-11 10:30", 10,
			[]string{"2017-02", "2017-03", "2017-04", "2017-05", "2017-06", "2017-07"}},
		{"2017-07-10 11:00", "2017-07-11 10:30", 4, []string{"12:00", "18:00", "07-11", "06:00"}},
		{"2017-06-01 00:00", "2017-06-15 00:00", 4, []string{"2017-06-05", "2017-06-12"}},
	} {
		var labels []string
		for _, tk := range (timeTicks{want: tc.want}).Ticks(at(tc.lo), at(tc.hi)) {
			labels = append(labels, tk.Label)
		}
		if !slices.Equal(labels, tc.labels) {
			t.Errorf("%s to %s: labels %q, want %q", tc.lo, tc.hi, labels, tc.labels)
		}
	}
}

func TestValueTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   int
		labels []string
	}{
		{870, 2960, 10, []string{"1000", "1250", "1500", "1750", "2000", "2250", "2500",
			"2750"}},
		{0.03, 0.11, 4, []string{"0.04", "0.06", "0.08", "0.10"}},
		{0, 0.1, 4, []string{"0.000", "0.025", "0.050", "0.075", "0.100"}},
	} {
		var labels []string
		for _, tk := range (valueTicks{want: tc.want}).Ticks(tc.lo, tc.hi) {
			labels = append(labels, tk.Label)
		}
		if !slices.Equal(labels, tc.labels) {
			t.Errorf("%v to %v: labels %q, want %q", tc.lo, tc.hi, labels, tc.labels)
		}
	}
}
