package train

import (
	"fmt"
	"image/color"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// resultColor is the color of the k-th result of a plot: each tutorial model keeps its
// own in every plot, the one it has among all three (plotutil's palette after the
// actual closes' color 0), and any other result takes the colors after them.
func resultColor(name string, k int) color.Color {
	if i := slices.Index(Models, name); i >= 0 {
		return plotutil.Color(1 + i)
	}
	return plotutil.Color(1 + len(Models) + k)
}

// PlotPredictions draws the actual closes over the validation period and each result's
// predictions, unscaled to USD, against UTC time, and writes the plot to path as PNG.
// Each validation window's Out predictions are drawn as one segment starting where the
// window's targets start; when windows overlap (stride < Out), only windows whose
// targets do not overlap the last drawn one are shown, so the segments stay readable.
func PlotPredictions(path, title string, ds *Dataset, results []Result) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = "close (USD)"
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true

	// The actual closes, from the first validation target to the last.
	lo := ds.Val.Start[0] + ds.In
	hi := ds.Val.Start[ds.Val.Len()-1] + ds.In + ds.Out
	actual := make(plotter.XYs, 0, hi-lo)
	for i := lo; i < hi; i++ {
		actual = append(actual, plotter.XY{X: float64(ds.Times[i]), Y: ds.Closes[i]})
	}
	line, err := plotter.NewLine(actual)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	line.Color = plotutil.Color(0)
	line.Width = vg.Points(1)
	p.Add(line)
	p.Legend.Add("actual", line)

	for k, r := range results {
		shown := false
		next := -1 // first series index a new segment may start at
		for n, s := range ds.Val.Start {
			t0 := s + ds.In
			if t0 < next {
				continue
			}
			next = t0 + ds.Out
			seg := make(plotter.XYs, ds.Out)
			for j := range seg {
				seg[j] = plotter.XY{X: float64(ds.Times[t0+j]),
					Y: ds.Scaler.Unscale(r.Pred[n*ds.Out+j])}
			}
			l, err := plotter.NewLine(seg)
			if err != nil {
				return fmt.Errorf("plot %s: %s: %w", path, r.Name, err)
			}
			l.Color = resultColor(r.Name, k)
			l.Width = vg.Points(1.5)
			p.Add(l)
			if !shown {
				p.Legend.Add(r.Name, l)
				shown = true
			}
		}
	}

	wt, err := p.WriterTo(12*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}
