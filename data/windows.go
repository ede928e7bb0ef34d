package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/seqnn/seqnn/internal/english"
)

// Windows holds N windows of consecutive closes: In inputs followed by Out targets.
// Values are raw closes; scale them with a MinMax fitted on the training windows.
type Windows struct {
	In, Out int
	X       []float64 // (N, In) inputs
	Y       []float64 // (N, Out) targets, the Out closes right after the inputs
	Start   []int     // (N) index in the series of each window's first input candle
}

// Len returns the number of windows N; 0 for a nil *Windows.
func (w *Windows) Len() int {
	if w == nil {
		return 0
	}
	return len(w.Start)
}

// Split makes windows of in inputs followed by out targets, every stride candles (stride =
// in+out gives the tutorial's non-overlapping windows), splits them in time order so that
// about trainFrac of the windows train and the rest validate, and guarantees no validation
// window shares any candle with a training window (windows straddling the cut are dropped).
// It also never lets a window span a gap in the series (when gaps are kept).
//
// A gap is any spacing other than s.Period, irregular spacings (not a whole number of
// periods) included; a series with Period 0 is taken to have none.
// Windows start at the first candle of every gap-free run and then every stride candles;
// for a series without gaps the starts are 0, S, 2S, ... The first floor(trainFrac*N)
// windows train, as the tutorial's int(0.8 * N) does, but at least one and at most N-1.
// Validation starts with the first window that begins after the last training window ends.
//
// Split fails, with a message that starts with the series' Source, when s is nil, the sizes
// are not positive, trainFrac is not in (0, 1), the series is shorter than one window, or
// too short to leave a validation window.
func Split(s *Series, in, out, stride int, trainFrac float64) (train, val *Windows, err error) {
	if s == nil {
		return nil, nil, fmt.Errorf("split: no series (nil *Series): read one with " +
			"ReadFile, Read or Default first")
	}
	src := s.Source
	if src == "" {
		src = "series"
	}
	if in <= 0 || out <= 0 || stride <= 0 {
		return nil, nil, fmt.Errorf("%s: window of %s, %s, stride %d: all three must be at "+
			"least 1", src, english.Count(in, "input"), english.Count(out, "target"), stride)
	}
	if in > math.MaxInt32 || out > math.MaxInt32 {
		return nil, nil, fmt.Errorf("%s: window of %s and %s is too large: use at most %d "+
			"of each", src, english.Count(in, "input"), english.Count(out, "target"),
			math.MaxInt32)
	}
	if !(trainFrac > 0 && trainFrac < 1) {
		return nil, nil, fmt.Errorf("%s: training fraction %v is not between 0 and 1: use "+
			"e.g. 0.8 for the tutorial's 80/20 split", src, trainFrac)
	}
	size := in + out

	// Gap-free runs [lo, hi) of the series, and the window starts in each.
	var starts, runs []int
	lo := 0
	n := len(s.Candles)
	gaps, irregular := 0, 0 // runs ending at a gap, at an irregular spacing
	for i := 1; i <= n; i++ {
		if i < n && (s.Period <= 0 || s.Candles[i].Time-s.Candles[i-1].Time == s.Period) {
			continue
		}
		if i < n && (s.Candles[i].Time-s.Candles[i-1].Time)%s.Period != 0 {
			irregular++
		} else if i < n {
			gaps++
		}
		runs = append(runs, i-lo)
		for st := lo; st+size <= i; st += stride {
			starts = append(starts, st)
		}
		lo = i
	}
	if len(starts) < 2 {
		return nil, nil, tooFew(s, src, runs, len(starts), gaps, irregular, in, out)
	}

	// The cut: the tutorial's int(trainFrac * N), kept inside [1, N-1]. The small
	// epsilon keeps 0.3*10 from flooring to 2 on float rounding.
	nTrain := int(trainFrac*float64(len(starts)) + 1e-9)
	nTrain = min(max(nTrain, 1), len(starts)-1)
	end := starts[nTrain-1] + size // first candle after the last training window
	v := nTrain
	for v < len(starts) && starts[v] < end {
		v++
	}
	if v == len(starts) {
		return nil, nil, &NoValidationError{Source: src, Windows: len(starts), Size: size,
			Stride: stride, Train: nTrain}
	}

	train = makeWindows(s, in, out, starts[:nTrain])
	val = makeWindows(s, in, out, starts[v:])
	return train, val, nil
}

// tooFew explains why the runs of the series (their lengths in candles) hold only found
// windows of in+out, fewer than the two a split needs. When gaps or irregular spacings cut
// the series, they are the cause, since no window spans one, and the fix names them.
func tooFew(s *Series, src string, runs []int, found, gaps, irregular, in, out int) error {
	n, size := len(s.Candles), in+out
	window := fmt.Sprintf("%d (%s + %s)", size, english.Count(in, "input"),
		english.Count(out, "target"))
	if gaps == 0 && irregular == 0 {
		if found == 0 {
			return fmt.Errorf("%s: %s, but one window needs %s: use a longer file",
				src, english.Count(n, "row"), window)
		}
		return fmt.Errorf("%s: %d rows make only 1 window of %s, and a split needs one to "+
			"train and one to validate: use a longer file", src, n, window)
	}

	cause, fix := "the gaps split", "fill the gaps (--fill previous) or use a longer file"
	switch grid := fmtSeconds(s.Period); {
	case gaps > 0 && irregular > 0:
		cause = "the gaps and irregular spacings split"
		fix = "fix the times that are off the " + grid + " grid, fill the gaps " +
			"(--fill previous), or use a longer file"
	case irregular > 0:
		cause = "the irregular spacings split"
		if irregular == 1 {
			cause = "the irregular spacing splits"
		}
		fix = "fix the times that are off the " + grid + " grid, or use a longer file"
	case gaps == 1:
		cause, fix = "the gap splits", "fill the gap (--fill previous) or use a longer file"
	}
	held := "none is long enough for one window of " + window
	if found == 1 {
		held = "together they hold only 1 window of " + window +
			", and a split needs one to train and one to validate"
	}
	return fmt.Errorf("%s: %s the %d rows into %s, and no window spans one: %s: %s",
		src, cause, n, runLengths(runs), held, fix)
}

// runLengths describes the lengths of runs, in order: "runs of 99 and 500 rows", or for
// many runs their number and the longest.
func runLengths(runs []int) string {
	if len(runs) > 5 {
		return fmt.Sprintf("%d runs, the longest of %s", len(runs),
			english.Count(slices.Max(runs), "row"))
	}
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = strconv.Itoa(r)
	}
	return "runs of " + english.And(parts) + " rows"
}

func makeWindows(s *Series, in, out int, starts []int) *Windows {
	w := &Windows{
		In:    in,
		Out:   out,
		X:     make([]float64, len(starts)*in),
		Y:     make([]float64, len(starts)*out),
		Start: append([]int(nil), starts...),
	}
	for n, st := range starts {
		x := w.X[n*in : (n+1)*in]
		for i := range x {
			x[i] = s.Candles[st+i].Close
		}
		y := w.Y[n*out : (n+1)*out]
		for i := range y {
			y[i] = s.Candles[st+in+i].Close
		}
	}
	return w
}

// NoValidationError is Split's error when every window after the training ones overlaps
// them, so none is left to validate.
type NoValidationError struct {
	Source                       string
	Windows, Size, Stride, Train int // windows of Size candles every Stride; Train of them train
}

// Error is Reason with the fixes Split's arguments offer.
func (e *NoValidationError) Error() string {
	return e.Reason() + ": use a longer file, a larger stride or a smaller training fraction"
}

// Reason is the message without its fixes, for a caller that offers its own.
func (e *NoValidationError) Reason() string {
	return fmt.Sprintf("%s: %d windows of %d candles every %d: none is left for validation "+
		"once windows overlapping the %s are dropped", e.Source, e.Windows, e.Size, e.Stride,
		english.Count(e.Train, "training window"))
}
