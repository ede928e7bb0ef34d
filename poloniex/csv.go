package poloniex

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// header is the legacy returnChartData column layout that Fetch writes.
var header = []string{
	"date", "high", "low", "open", "close", "volume", "quoteVolume", "weightedAverage",
}

// candle is one row of the output file. Values keep the decimal text they
// arrived with, from the API or from an existing file.
type candle struct {
	date int64     // start, Unix seconds
	vals [7]string // high, low, open, close, volume, quoteVolume, weightedAverage
}

// sameValues reports whether c and d hold the same numbers, so that "225"
// from an old file equals "225.00" from the API.
func (c candle) sameValues(d candle) bool {
	for i := range c.vals {
		x, errX := strconv.ParseFloat(c.vals[i], 64)
		y, errY := strconv.ParseFloat(d.vals[i], 64)
		if errX != nil || errY != nil || x != y {
			return false
		}
	}
	return true
}

// The fixes readCSV's errors end with: one for a header that is not the layout
// Fetch writes, one for a bad row.
var (
	notOurs = " (a file to extend must have the columns " + strings.Join(header, ",") +
		", as fetch writes them): give a new file name"
	fixRow = ": fix or remove the row, or give a new file name"
)

// readCSV reads candles in the layout of header, with the columns in any
// order and the header names in any case (quoted or not, LF or CRLF). An
// empty input holds no candles. Columns other than those of header are an
// error, because rewriting the file would drop them.
func readCSV(r io.Reader) ([]candle, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	names, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%v%s", err, notOurs)
	}

	col := make([]int, len(header)) // col[j] = file column of header[j]
	for j := range col {
		col[j] = -1
	}
	for i, name := range names {
		j := slices.IndexFunc(header, func(h string) bool {
			return strings.EqualFold(h, strings.TrimSpace(name))
		})
		switch {
		case j < 0:
			return nil, fmt.Errorf("unexpected column %q%s", name, notOurs)
		case col[j] >= 0:
			return nil, fmt.Errorf("column %q appears twice%s", name, notOurs)
		}
		col[j] = i
	}
	for j, i := range col {
		if i < 0 {
			return nil, fmt.Errorf("missing column %q%s", header[j], notOurs)
		}
	}

	var out []candle
	seen := map[int64]int{} // date -> line
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%v%s", err, fixRow)
		}
		line, _ := cr.FieldPos(0)
		var c candle
		c.date, err = strconv.ParseInt(strings.TrimSpace(rec[col[0]]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: date %q is not Unix seconds%s", line, rec[col[0]],
				fixRow)
		}
		for k := range c.vals {
			v := strings.TrimSpace(rec[col[k+1]])
			if _, err := parseDecimal(v); err != nil {
				return nil, fmt.Errorf("line %d: %s %q is not a number%s", line, header[k+1], v,
					fixRow)
			}
			c.vals[k] = v
		}
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("line %d: %v%s", line, err, fixRow)
		}
		if prev, dup := seen[c.date]; dup {
			return nil, fmt.Errorf("line %d: date %d repeats line %d%s", line, c.date, prev,
				fixRow)
		}
		seen[c.date] = line
		out = append(out, c)
	}
}

// readCSVFile reads path with readCSV. A missing file holds no candles and
// reports exists == false.
func readCSVFile(path string) (cs []candle, exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	cs, err = readCSV(bufio.NewReader(f))
	if err != nil {
		return nil, true, fmt.Errorf("poloniex: reading existing %s: %w", path, err)
	}
	return cs, true, nil
}

// writeCSV writes the header and cs, which must be sorted by date.
func writeCSV(w io.Writer, cs []candle) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(header, ",") + "\n")
	for _, c := range cs {
		bw.WriteString(strconv.FormatInt(c.date, 10))
		for _, v := range c.vals {
			bw.WriteByte(',')
			bw.WriteString(v)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// writeFileAtomic writes cs to path so that path holds either its old
// content or the complete new one, never a part: it writes a temporary file
// in the same directory, syncs it to disk, renames it over path and syncs
// the directory. A new file gets mode 0644; an existing one keeps its mode.
func writeFileAtomic(path string, cs []candle) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}

	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("poloniex: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("poloniex: writing %s: %w", path, err)
		}
	}()
	if err = writeCSV(tmp, cs); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}

	// The rename is durable only once the directory is synced. Some systems
	// cannot sync a directory; the file itself is complete either way.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// merge adds fetched to existing and returns the union sorted by date. A
// fetched candle whose date is already present replaces the old row when its
// values differ (the exchange revises the newest, still open candle) and is
// counted as updated; otherwise it is counted as existing.
func merge(existing, fetched []candle) (out []candle, added, updated, same int) {
	at := make(map[int64]int, len(existing)+len(fetched))
	out = make([]candle, 0, len(existing)+len(fetched))
	for _, c := range existing {
		at[c.date] = len(out)
		out = append(out, c)
	}
	for _, c := range fetched {
		i, ok := at[c.date]
		switch {
		case !ok:
			at[c.date] = len(out)
			out = append(out, c)
			added++
		case out[i].sameValues(c):
			same++
		default:
			out[i] = c
			updated++
		}
	}
	sortCandles(out)
	return out, added, updated, same
}

func sortCandles(cs []candle) {
	slices.SortFunc(cs, func(a, b candle) int { return cmp.Compare(a.date, b.date) })
}
