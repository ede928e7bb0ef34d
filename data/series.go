package data

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/seqnn/seqnn/internal/english"
)

// Candle is one price candle. Prices are in the quote currency (USDT per BTC for the
// shipped file); Volume is whatever the file's volume column holds (USDT for Poloniex).
type Candle struct {
	Time                           int64 // unix seconds UTC, candle start
	Open, High, Low, Close, Volume float64
}

// Series is a time-ordered run of candles read from one source.
type Series struct {
	Source  string // file name for messages
	Candles []Candle
	Period  int64 // seconds, the most common spacing between candles; 0 for fewer than two
}

// Closes returns the close prices, in time order, in a new slice; nil for a nil *Series.
func (s *Series) Closes() []float64 {
	if s == nil {
		return nil
	}
	c := make([]float64, len(s.Candles))
	for i := range s.Candles {
		c[i] = s.Candles[i].Close
	}
	return c
}

// Options control how a file is read.
type Options struct {
	// Columns names the fields of a header-less file, in order (the --columns flag).
	// When set, the first line is data. Names not recognised are ignored.
	Columns []string

	// Fill is "" to keep gaps, or "previous" to fill every missing period with a flat
	// candle at the previous close and zero volume, the way Poloniex writes periods
	// without trades.
	Fill string

	// DropBad drops bad rows (unparseable, missing close, high < low, close or open
	// outside [low, high], a price <= 0 or outside [MinPrice, MaxPrice], a negative
	// volume) and counts them by reason, instead of failing. Rows at irregular times are
	// not bad: see Report.Irregular.
	DropBad bool
}

// FillPrevious is the Options.Fill value that fills gaps with the previous close.
const FillPrevious = "previous"

// Gap is a run of missing periods: Missing candles are absent after the candle at After.
type Gap struct {
	After   int64 // unix seconds of the last candle before the gap
	Missing int   // periods missing
}

// Spacing is an irregular spacing: Seconds between the candle at After and the next one,
// not a whole multiple of the period.
type Spacing struct {
	After   int64 // unix seconds of the candle before the spacing
	Seconds int64 // seconds to the next candle
}

// Report says what reading a source found.
type Report struct {
	Source     string
	Rows       int            // candles kept from the file (not counting Filled)
	Dropped    int            // bad rows dropped under Options.DropBad
	DroppedBy  map[string]int // Dropped by reason
	First      int64          // unix seconds of the first candle
	Last       int64          // unix seconds of the last candle
	Period     int64          // seconds, the most common spacing
	Gaps       []Gap          // missing periods, in time order
	Irregular  []Spacing      // spacings that are not whole periods, in time order
	Duplicates int            // exact duplicate rows dropped
	Filled     int            // flat candles added by Options.Fill "previous"
}

// Missing returns the number of missing periods over all gaps; 0 for a nil *Report.
func (r *Report) Missing() int {
	if r == nil {
		return 0
	}
	n := 0
	for _, g := range r.Gaps {
		n += g.Missing
	}
	return n
}

// String gives a short human report on one line: rows, span, period, gaps, irregular
// spacings, filled candles, duplicates and dropped rows. A nil *Report gives "no report".
func (r *Report) String() string {
	if r == nil {
		return "no report"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Source, english.Count(r.Rows, "row"))
	if r.Rows > 0 {
		fmt.Fprintf(&b, ", %s to %s UTC", fmtTime(r.First), fmtTime(r.Last))
	}
	if r.Period > 0 {
		fmt.Fprintf(&b, ", period %s", fmtSeconds(r.Period))
	}

	switch len(r.Gaps) {
	case 0:
		b.WriteString(", no gaps")
	default:
		big := r.Gaps[0]
		for _, g := range r.Gaps {
			if g.Missing > big.Missing {
				big = g
			}
		}
		fmt.Fprintf(&b, ", %s (%s, largest %d after %s)", english.Count(len(r.Gaps), "gap"),
			english.Count(r.Missing(), "missing period"), big.Missing, fmtTime(big.After))
	}
	if len(r.Irregular) > 0 {
		first := r.Irregular[0]
		fmt.Fprintf(&b, ", %s (first after %s UTC: %s)",
			english.Count(len(r.Irregular), "irregular spacing"), fmtTime(first.After),
			fmtSeconds(first.Seconds))
	}
	if r.Filled > 0 {
		fmt.Fprintf(&b, ", %d filled with the previous close", r.Filled)
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, ", %s dropped", english.Count(r.Duplicates, "exact duplicate"))
	}

	if r.Dropped > 0 {
		fmt.Fprintf(&b, ", %s dropped (%s)", english.Count(r.Dropped, "bad row"),
			dropReasons(r.DroppedBy))
	}
	return b.String()
}

func fmtTime(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02 15:04")
}

// fmtSeconds formats a spacing as a duration ("30m0s"), or in seconds when it is too long
// for a time.Duration (about 292 years).
func fmtSeconds(s int64) string {
	if s > math.MaxInt64/int64(time.Second) {
		return fmt.Sprintf("%ds", s)
	}
	return (time.Duration(s) * time.Second).String()
}
