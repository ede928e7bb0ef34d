package data

import (
	"fmt"
	"sort"
	"strings"

	"github.com/seqnn/seqnn/internal/english"
)

// fillLimit bounds the candles Options.Fill may add to a file of rows candles, so that
// two far-apart timestamps cannot make the reader allocate without end: ten per row read,
// or 100,000, whichever is more.
func fillLimit(rows int) int { return max(10*rows, 100_000) }

// finish sorts the rows, drops exact duplicates, finds the period, the gaps and the
// irregular spacings, fills the gaps when asked, and completes the report.
func (rd *reader) finish() (*Series, error) {
	if len(rd.rows) == 0 {
		return nil, rd.noRows()
	}
	rows, err := rd.sorted()
	if err != nil {
		return nil, err
	}
	period := commonSpacing(rows)
	gapAfter, err := rd.gaps(rows, period)
	if err != nil {
		return nil, err
	}
	candles := rd.candles(rows, gapAfter, period)

	rep := rd.rep
	rep.Rows = len(rows)
	rep.First, rep.Last = rows[0].t, rows[len(rows)-1].t
	rep.Period = period
	return &Series{Source: rd.src, Candles: candles, Period: period}, nil
}

// noRows is the error of a source without a row to keep: every row dropped as bad, an
// empty JSON array, or a CSV file with no line after its header.
func (rd *reader) noRows() error {
	rep := rd.rep
	unit := "row"
	if rd.loc == "record" {
		unit = "record"
	}
	switch {
	case rep.Dropped == 1:
		return rd.errorf(0, "the only %s is bad and was dropped (%s): check the file's "+
			"columns and values", unit, dropReasons(rep.DroppedBy))
	case rep.Dropped > 0:
		return rd.errorf(0, "all %d %ss are bad and were dropped (%s): check the file's "+
			"columns and values", rep.Dropped, unit, dropReasons(rep.DroppedBy))
	case rd.loc == "record":
		return rd.errorf(0, "the JSON array is empty: the file holds no candles; save one "+
			"with the candle objects in it")
	}
	return rd.errorf(0, "no candles after the header: the file holds no data rows")
}

// sorted returns the rows sorted by time, file order kept among equal times, with exact
// duplicates dropped and counted; the same time with other values is an error.
func (rd *reader) sorted() ([]row, error) {
	rows := rd.rows
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t < rows[j].t })

	kept := rows[:1]
	for _, r := range rows[1:] {
		prev := &kept[len(kept)-1]
		if r.t != prev.t {
			kept = append(kept, r)
			continue
		}
		if r.v != prev.v || r.has != prev.has {
			return nil, fmt.Errorf("%s %ss %d and %d: two different candles at %s UTC (%d): "+
				"remove one of them", rd.src, rd.loc, prev.line, r.line, fmtTime(r.t), r.t)
		}
		rd.rep.Duplicates++
	}
	return kept, nil
}

// commonSpacing is the period of rows, sorted and without duplicate times: the most
// common spacing, ties going to the shorter one.
func commonSpacing(rows []row) int64 {
	count := map[int64]int{}
	for i := 1; i < len(rows); i++ {
		count[rows[i].t-rows[i-1].t]++
	}
	var period int64
	for d, c := range count {
		if c > count[period] || c == count[period] && d < period {
			period = d
		}
	}
	return period
}

// gaps reports the gaps between rows, spacings of two or more whole periods, and says
// which rows a gap follows: gapAfter[i] when one lies between rows i and i+1. A spacing
// that is not a whole multiple of the period is irregular: reported apart, never filled,
// and never inside a window. Under FillPrevious, gaps that would add more than fillLimit
// candles are an error.
func (rd *reader) gaps(rows []row, period int64) (gapAfter []bool, err error) {
	rep := rd.rep
	filled := 0
	gapAfter = make([]bool, len(rows))
	for i := 1; i < len(rows); i++ {
		d := rows[i].t - rows[i-1].t
		if d == period {
			continue
		}
		if d%period != 0 {
			rep.Irregular = append(rep.Irregular, Spacing{After: rows[i-1].t, Seconds: d})
			continue
		}
		missing := d/period - 1
		rep.Gaps = append(rep.Gaps, Gap{After: rows[i-1].t, Missing: int(missing)})
		gapAfter[i-1] = true
		filled += int(missing)
		if rd.opt.Fill == FillPrevious && filled > fillLimit(len(rows)) {
			return nil, rd.errorf(rows[i].line, "filling the gap of %s before this %s would "+
				"add more than %d candles to %s: check the timestamps, or keep the gaps",
				english.Count(int(missing), "period"), rd.loc, fillLimit(len(rows)),
				english.Count(len(rows), "row"))
		}
	}
	return gapAfter, nil
}

// candles returns the candles of rows, with each gap (gapAfter, see gaps) filled under
// FillPrevious by candles that repeat the last close, counted in the report.
func (rd *reader) candles(rows []row, gapAfter []bool, period int64) []Candle {
	candles := make([]Candle, 0, len(rows))
	for i := range rows {
		if rd.opt.Fill == FillPrevious && i > 0 && gapAfter[i-1] {
			c := candles[len(candles)-1].Close
			for t := rows[i-1].t + period; t < rows[i].t; t += period {
				candles = append(candles, Candle{Time: t, Open: c, High: c, Low: c, Close: c})
				rd.rep.Filled++
			}
		}
		candles = append(candles, rows[i].candle())
	}
	return candles
}

func dropReasons(by map[string]int) string {
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s: %d", k, by[k])
	}
	return strings.Join(keys, ", ")
}
