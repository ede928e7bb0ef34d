package train

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The figure: an overview of the whole validation period on top and, below it, one
// panel per window for the last zoomWindows validation windows, each showing the last
// inputs the models saw, the actual targets and every prediction.
const (
	zoomWindows = 4
	zoomInputs  = 2 // inputs shown before a zoomed window's targets, in multiples of Out
)

var (
	figWidth   = 12 * vg.Inch
	figHeight  = 9 * vg.Inch
	figMargin  = 0.15 * vg.Inch // around the figure, so the title clears the top edge
	overviewH  = 5 * vg.Inch
	panelGap   = 0.25 * vg.Inch
	inputColor = color.Gray{Y: 150}
)

// lineStyle is how one series is drawn: color, dashes and, in the zoomed panels, the
// glyph on each predicted step, so that series differ in more than hue.
type lineStyle struct {
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}

// The colors are Okabe and Ito's palette for color-blind readers ("Color Universal
// Design", 2002): the actual closes are black, each tutorial model keeps its own color,
// dashes and glyph in every plot, and any other result takes the styles after them.
var (
	actualStyle = lineStyle{color: color.Black}
	modelStyles = []lineStyle{
		{color.RGBA{R: 213, G: 94, A: 255}, []vg.Length{vg.Points(6), vg.Points(3)},
			draw.TriangleGlyph{}}, // vermillion, dashed
		{color.RGBA{G: 114, B: 178, A: 255},
			[]vg.Length{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
			draw.BoxGlyph{}}, // blue, dash-dot
		{color.RGBA{G: 158, B: 115, A: 255}, nil, draw.CircleGlyph{}}, // bluish green, solid
		{color.RGBA{R: 204, G: 121, B: 167, A: 255}, []vg.Length{vg.Points(2), vg.Points(2)},
			draw.PyramidGlyph{}}, // reddish purple, dotted
		{color.RGBA{R: 230, G: 159, A: 255}, []vg.Length{vg.Points(6), vg.Points(3)},
			draw.CrossGlyph{}}, // orange, dashed
		{color.RGBA{R: 86, G: 180, B: 233, A: 255}, nil, draw.PlusGlyph{}}, // sky blue, solid
	}
)

// resultStyle is the style of the k-th result of a plot: a tutorial model has the one of
// its place in Models; any other result takes the styles after them, in turn.
func resultStyle(name string, k int) lineStyle {
	if i := slices.Index(Models, name); i >= 0 {
		return modelStyles[i]
	}
	return modelStyles[len(Models)+k%(len(modelStyles)-len(Models))]
}

// PlotPredictions draws the validation closes and each result's predictions, unscaled to
// USD, against UTC time, and writes the figure to path as PNG. The top panel covers the
// whole validation period: each window's Out predictions are one segment starting where
// the window's targets start; when windows overlap (stride < Out), only windows whose
// targets do not overlap the last drawn one are shown. The panels below enlarge the last
// zoomWindows validation windows, one each. The output depends only on the arguments,
// byte for byte.
func PlotPredictions(path, title string, ds *Dataset, results []Result) error {
	if err := ds.checkSeries("plot " + path); err != nil {
		return err
	}
	over, err := overviewPlot(title, ds, results)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	first := max(0, ds.Val.Len()-zoomWindows)
	var zoom []*plot.Plot
	for n := first; n < ds.Val.Len(); n++ {
		p, err := windowPlot(ds, results, n, n == first)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		zoom = append(zoom, p)
	}

	// Overview on top, the window panels in one row below, all inside the margin.
	img := vgimg.New(figWidth, figHeight)
	dc := draw.Crop(draw.New(img), figMargin, -figMargin, figMargin, -figMargin)
	top := dc
	top.Min.Y = top.Max.Y - overviewH
	over.Draw(top)
	bottom := dc
	bottom.Max.Y = top.Min.Y - panelGap
	tiles := draw.Tiles{Rows: 1, Cols: len(zoom), PadX: 0.2 * vg.Inch}
	for i, c := range plot.Align([][]*plot.Plot{zoom}, tiles, bottom)[0] {
		zoom[i].Draw(c)
	}

	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// overviewPlot is the top panel: the actual closes from the first validation target to
// the last, each result's predicted segments, and the legend of the whole figure.
func overviewPlot(title string, ds *Dataset, results []Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = fmt.Sprintf("time (UTC); below, the last %d validation windows "+
		"enlarged", min(zoomWindows, ds.Val.Len()))
	p.Y.Label.Text = "close (USD)"
	p.X.Tick.Marker = timeTicks{want: 10}
	p.Y.Tick.Marker = valueTicks{want: 10}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true

	lo := ds.Val.Start[0] + ds.In
	hi := ds.Val.Start[ds.Val.Len()-1] + ds.In + ds.Out
	actual, err := closesLine(ds, lo, hi, actualStyle, 1)
	if err != nil {
		return nil, err
	}
	p.Add(actual)
	p.Legend.Add("actual", actual)
	inputs, err := closesLine(ds, lo, lo+1, lineStyle{color: inputColor}, 1.5)
	if err != nil {
		return nil, err
	}
	p.Legend.Add("inputs (lower panels)", inputs)

	for k, r := range results {
		st := resultStyle(r.Name, k)
		next := -1 // first series index a new segment may start at
		for n, s := range ds.Val.Start {
			if s+ds.In < next {
				continue
			}
			next = s + ds.In + ds.Out
			l, err := predictionLine(ds, r, n, st, false)
			if err != nil {
				return nil, err
			}
			p.Add(l)
		}
		// The legend shows the zoomed panels' style, glyph included.
		l, err := predictionLine(ds, r, 0, st, true)
		if err != nil {
			return nil, err
		}
		p.Legend.Add(r.Name, l)
	}
	return p, nil
}

// windowPlot is the panel of validation window n: its last inputs, its actual targets
// and each result's predictions. Only the first panel has a Y label.
func windowPlot(ds *Dataset, results []Result, n int, first bool) (*plot.Plot, error) {
	t0 := ds.Val.Start[n] + ds.In // the first target
	p := plot.New()
	p.Title.Text = "targets from " + time.Unix(ds.Times[t0], 0).UTC().Format("2006-01-02 15:04")
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.Title.Padding = vg.Points(4)
	p.X.Tick.Marker = timeTicks{want: 4}
	p.Y.Tick.Marker = valueTicks{want: 6}
	if first {
		p.Y.Label.Text = "close (USD)"
	}
	p.Add(plotter.NewGrid())

	// The inputs run into the first target so that the two lines join.
	inputs, err := closesLine(ds, t0-min(ds.In, zoomInputs*ds.Out), t0+1,
		lineStyle{color: inputColor}, 1.5)
	if err != nil {
		return nil, err
	}
	actual, err := closesLine(ds, t0, t0+ds.Out, actualStyle, 1.5)
	if err != nil {
		return nil, err
	}
	p.Add(inputs, actual)
	for k, r := range results {
		l, err := predictionLine(ds, r, n, resultStyle(r.Name, k), true)
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}
	return p, nil
}

// closesLine is the actual closes of series indices [lo, hi) against time.
func closesLine(ds *Dataset, lo, hi int, st lineStyle, width float64) (*plotter.Line, error) {
	xys := make(plotter.XYs, 0, hi-lo)
	for i := lo; i < hi; i++ {
		xys = append(xys, plotter.XY{X: float64(ds.Times[i]), Y: ds.Closes[i]})
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.Color = st.color
	l.Dashes = st.dashes
	l.Width = vg.Points(width)
	return l, nil
}

// predictionLine is r's Out predictions for validation window n, in USD, against the
// targets' times; with glyphs, each predicted step is marked.
func predictionLine(ds *Dataset, r Result, n int, st lineStyle, glyphs bool) (series, error) {
	t0 := ds.Val.Start[n] + ds.In
	xys := make(plotter.XYs, ds.Out)
	for j := range xys {
		xys[j] = plotter.XY{X: float64(ds.Times[t0+j]),
			Y: ds.Scaler.Unscale(r.Pred[n*ds.Out+j])}
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Name, err)
	}
	l.Color = st.color
	l.Dashes = st.dashes
	l.Width = vg.Points(1.5)
	if !glyphs {
		return l, nil
	}
	pts.Color = st.color
	pts.Shape = st.glyph
	pts.Radius = vg.Points(2.2)
	return linePoints{l, pts}, nil
}

// series is a plotter with a legend thumbnail.
type series interface {
	plot.Plotter
	plot.Thumbnailer
}

// linePoints draws a line and its glyphs as one plotter and one legend entry.
type linePoints struct {
	*plotter.Line
	*plotter.Scatter
}

func (lp linePoints) Plot(c draw.Canvas, p *plot.Plot) {
	lp.Line.Plot(c, p)
	lp.Scatter.Plot(c, p)
}

func (lp linePoints) DataRange() (xmin, xmax, ymin, ymax float64) {
	return plotter.XYRange(lp.Line.XYs)
}

func (lp linePoints) Thumbnail(c *draw.Canvas) {
	lp.Line.Thumbnail(c)
	lp.Scatter.Thumbnail(c)
}

// timeTicks labels a time axis (Unix seconds, UTC) at round instants: the shortest step
// of timeSteps that gives at most want labels, aligned to the step (weeks start on
// Monday, months on the 1st), written as precisely as the step needs: 2017-07 for
// months, 2017-07-05 for days and weeks, 18:00 for hours (07-05 at midnight).
type timeTicks struct{ want int }

// timeSteps are the candidate steps in seconds; a negative step is that many months.
var timeSteps = []int64{60, 300, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, -1, -2, -3, -6, -12, -24, -60, -120}

func (tt timeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		d := float64(s)
		if s < 0 {
			d = float64(-s) * 30.44 * 86400
		}
		if (hi-lo)/d <= float64(tt.want) {
			step = s
			break
		}
	}

	// Steps under a day are labelled by the hour, and by the date at midnight.
	var ticks []plot.Tick
	add := func(t int64) {
		if v := float64(t); v >= lo && v <= hi {
			layout := "15:04"
			switch {
			case step < 0:
				layout = "2006-01"
			case step >= 86400:
				layout = "2006-01-02"
			case t%86400 == 0:
				layout = "01-02"
			}
			ticks = append(ticks, plot.Tick{Value: v,
				Label: time.Unix(t, 0).UTC().Format(layout)})
		}
	}

	if step < 0 {
		k := int(-step)
		t := time.Unix(int64(math.Floor(lo)), 0).UTC()
		m := (t.Year()*12 + int(t.Month()) - 1) / k * k // months since year 0, rounded down
		for ; ; m += k {
			at := time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC).Unix()
			if float64(at) > hi {
				break
			}
			add(at)
		}
		return ticks
	}
	var offset int64 // the Unix epoch is a Thursday; weeks start 4 days later
	if step%(7*86400) == 0 {
		offset = 4 * 86400
	}
	start := int64(math.Floor((lo-float64(offset))/float64(step)))*step + offset
	for t := start; float64(t) <= hi; t += step {
		add(t)
	}
	return ticks
}

// valueTicks labels a value axis at multiples of the shortest step 1, 2, 2.5 or 5 × 10^k
// that gives at most want labels, with as many decimals as the step needs.
type valueTicks struct{ want int }

func (vt valueTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: fmt.Sprint(lo)}}
	}
	mag := math.Pow(10, math.Floor(math.Log10((hi-lo)/float64(vt.want))))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if (hi-lo)/(m*mag) <= float64(vt.want) {
			step = m * mag
			break
		}
	}
	decimals := 0
	for decimals < 12 {
		if f := step * math.Pow(10, float64(decimals)); math.Abs(f-math.Round(f)) < 1e-6 {
			break
		}
		decimals++
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi; i++ {
		v := i * step
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.*f", decimals, v)})
	}
	return ticks
}
