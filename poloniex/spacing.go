package poloniex

import (
	"fmt"
	"slices"
	"time"
)

// PeriodError reports an existing Out whose rows are not candles of Config.Period, so
// that adding fetched candles would mix two candle lengths in one file. The file
// records neither its period nor its pair; the period is read off the spacing of its
// rows (see checkSpacing).
type PeriodError struct {
	File string
	Want time.Duration // Config.Period

	// Found is the file's candle length when every spacing between its rows is a
	// whole number of Found, and Found is not Want. Otherwise Found is a spacing
	// that is not a whole number of Want candles, and After (Unix seconds) the
	// row it follows.
	Found time.Duration
	After int64

	// OffGrid marks a file whose rows are spaced as Want candles (or has one row) but
	// start off Want's grid (see onGrid): Row (Unix seconds) is its first row.
	OffGrid bool
	Row     int64
}

// Odd reports whether the file holds a spacing that is not a whole number of Want
// candles, rather than candles of another length throughout.
func (e *PeriodError) Odd() bool { return !e.OffGrid && e.Found%e.Want != 0 }

// Finding says what the file holds that is not Want candles, naming the file and the
// row or spacing at fault, without the consequence or the fix: for a caller, such as a
// command, that offers fixes of its own.
func (e *PeriodError) Finding() string {
	want, found := PeriodName(e.Want), PeriodName(e.Found)
	switch {
	case e.OffGrid:
		return fmt.Sprintf("%s has a row at %s (%d), which is not the start of a %s "+
			"candle (%s)", e.File, stamp(time.Unix(e.Row, 0)), e.Row, want,
			GridRule(e.Want))
	case e.Odd():
		return fmt.Sprintf("%s has two rows %s apart, after %s, not a whole number of %s "+
			"candles", e.File, found, when(e.After), want)
	}
	return fmt.Sprintf("%s holds %s candles (its rows are %s apart, or a multiple of "+
		"that), not %s", e.File, found, found, want)
}

// Error is Finding with the consequence and the fixes Config offers.
func (e *PeriodError) Error() string {
	want := PeriodName(e.Want)
	fix := "fetch candles of the file's length"
	if !e.OffGrid && !e.Odd() {
		fix = "fetch " + PeriodName(e.Found) + " candles"
	}
	return fmt.Sprintf("poloniex: %s: adding %s candles would mix candle lengths in one "+
		"file, so nothing was written: write to a new file, or %s", e.Finding(), want, fix)
}

// checkSpacing returns a *PeriodError when the rows of path, cs, are not candles of
// length p: when some spacing between consecutive rows is not a whole number of p
// (finer or misaligned candles), or when every spacing is a whole number of some
// longer length g, the greatest common divisor of the spacings (coarser candles). A
// file of p candles with gaps passes, since its spacings share the divisor p unless
// every one of them is a multiple of a longer length; a file of fewer than two rows
// always passes, having no spacing to judge.
func checkSpacing(path string, cs []candle, p time.Duration) error {
	dates := make([]int64, len(cs))
	for i, c := range cs {
		dates[i] = c.date
	}
	slices.Sort(dates) // readCSV refuses repeated dates
	ps := int64(p / time.Second)
	var g int64
	for i := 1; i < len(dates); i++ {
		d := dates[i] - dates[i-1]
		if d%ps != 0 {
			return &PeriodError{File: path, Want: p, Found: time.Duration(d) * time.Second,
				After: dates[i-1]}
		}
		g = gcd(g, d)
	}
	if g != 0 && g != ps {
		return &PeriodError{File: path, Want: p, Found: time.Duration(g) * time.Second}
	}
	// The spacings are whole numbers of p, so the first row tells the grid of all.
	if len(dates) > 0 && !onGrid(dates[0], p) {
		return &PeriodError{File: path, Want: p, OffGrid: true, Row: dates[0]}
	}
	return nil
}

// gridOf is the grid candles of length p start on, in seconds: whole multiples of p from
// 1970-01-01 00:00 UTC for a p that divides a day, and whole days (00:00 UTC) for longer
// candles, whose phase within the week is the exchange's.
func gridOf(p time.Duration) int64 {
	return int64(min(p, day) / time.Second)
}

// onGrid reports whether date (Unix seconds) is on the grid of p candles (see gridOf).
func onGrid(date int64, p time.Duration) bool {
	return mod(date, gridOf(p)) == 0
}

// GridRule says in words when candles of length p start: "30m candles start at whole
// multiples of 30m from 00:00 UTC", "1w candles start at 00:00 UTC".
func GridRule(p time.Duration) string {
	if p >= day {
		return PeriodName(p) + " candles start at 00:00 UTC"
	}
	return fmt.Sprintf("%s candles start at whole multiples of %s from 00:00 UTC",
		PeriodName(p), PeriodName(p))
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
