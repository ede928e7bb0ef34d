package data

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/internal/fsmsg"
	"github.com/seqnn/seqnn/internal/textfile"
)

// DefaultFile is the name of the embedded Poloniex USDT_BTC 30-minute candle file.
const DefaultFile = "poloniex_usdt_btc_30m_2015_2017.csv"

//go:embed poloniex/poloniex_usdt_btc_30m_2015_2017.csv poloniex/SOURCES.md
var embedded embed.FS

// Default reads the embedded Poloniex USDT_BTC 30-minute candles, 2015-02-19 to
// 2017-07-13: 42,010 rows, period 1800 s, no gaps. Provenance says where they come from.
func Default() (*Series, *Report, error) {
	b, err := embedded.ReadFile("poloniex/" + DefaultFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: embedded file missing: %v: rebuild seqnn from a "+
			"full checkout", DefaultFile, err)
	}
	return Read(bytes.NewReader(b), DefaultFile, Options{})
}

// Provenance returns the embedded SOURCES.md, which says where the default candles come
// from, how they were checked, and what each column means.
func Provenance() string {
	b, err := embedded.ReadFile("poloniex/SOURCES.md")
	if err != nil {
		return ""
	}
	return string(b)
}

// ReadFile reads candles from the file at path; see Read. Messages name the file by path.
func ReadFile(path string, opt Options) (*Series, *Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, openError(path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, nil, fmt.Errorf("%s: is a directory; give a candle file", path)
	}
	return Read(f, path, opt)
}

// openError explains why the file at path could not be opened, with the fix that fits
// the cause: a wrong path, or permissions that do not let the user read the file.
func openError(path string, err error) error {
	fix := "check the path and the file's permissions"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fix = "check the path"
	case errors.Is(err, fs.ErrPermission):
		fix = "check the file's permissions (it must be readable by you)"
	}
	return fmt.Errorf("%s: cannot open: %v: %s", path, fsmsg.Cause(err), fix)
}

// Read reads candles from r, a CSV file or a JSON array of candle objects, and returns
// them sorted by time with a report on what it found. source names r in messages.
//
// CSV: the delimiter (',' ';' or tab) is sniffed from the first line, which is the header
// unless opt.Columns names the columns. Columns are matched by name, case-insensitive:
// the time is the first of timestamp, date, datetime, time; close (or price) is required;
// open, high, low and volume (or vol) are optional. Other columns are ignored.
//
// JSON (the first character after any byte-order mark and space is '['): an array of
// objects whose keys are matched like CSV column names, as Poloniex's returnChartData
// writes them. Values may be numbers or strings.
//
// Line ends may be LF, CRLF or a lone CR; a UTF-8 byte-order mark is skipped.
//
// Values: "-" or empty is missing. A missing open takes the close; a missing high or low
// the extreme of open and close; a missing volume is 0. Times are unix seconds, unix
// milliseconds (values above 1e11) or ISO 8601 dates (UTC unless they carry a zone), and
// must be whole seconds: a fraction of a second is a bad time, never truncated.
//
// A row is bad when its time or a value does not parse, its close is missing, high < low,
// the close or open lies outside [low, high], a price is <= 0 or outside [MinPrice,
// MaxPrice], or the volume is negative (CheckCandle states the rules).
// A bad row is an error naming its line, or, with opt.DropBad, is dropped and counted in
// Report.DroppedBy. Rows that repeat a time with the same values are dropped and counted
// in Report.Duplicates; the same time with different values is an error.
//
// Times: the period is the most common spacing between rows. A spacing of k > 1 whole
// periods is a gap of k-1 missing candles (Report.Gaps), filled under opt.Fill. Any other
// spacing, such as a row 1 or 7 minutes off a 30-minute grid, is irregular
// (Report.Irregular): such rows are kept, even under opt.DropBad, because the candle
// itself may be sound and which of two rows is off the grid cannot be told in general;
// they are never filled, and Split starts a new run of windows after them.
func Read(r io.Reader, source string, opt Options) (*Series, *Report, error) {
	if opt.Fill != "" && opt.Fill != FillPrevious {
		return nil, nil, fmt.Errorf("%s: fill %q is not known: use %q or leave it empty to "+
			"keep gaps", source, opt.Fill, FillPrevious)
	}
	if r == nil {
		return nil, nil, fmt.Errorf("%s: no reader (nil io.Reader): pass the open file, "+
			"or use ReadFile with its path", source)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: cannot read: %v", source, err)
	}

	if b, err = textfile.UTF8(b); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", source, err)
	}
	b = textfile.LineEnds(b)
	text := bytes.TrimLeft(b, " \t\r\n")
	if len(text) == 0 {
		if len(opt.Columns) > 0 {
			return nil, nil, fmt.Errorf("%s: empty file: expected rows of %s", source,
				quote(strings.Join(opt.Columns, ",")))
		}
		return nil, nil, fmt.Errorf("%s: empty file: expected a header line with at least "+
			"date and close columns", source)
	}

	rd := &reader{src: source, opt: opt,
		rep: &Report{Source: source, DroppedBy: map[string]int{}}}
	switch text[0] {
	case '[', '{':
		rd.loc = "record"
		err = rd.readJSON(b)
	default:
		rd.loc = "line"
		err = rd.readCSV(b)
	}
	if err != nil {
		return nil, nil, err
	}
	s, err := rd.finish()
	if err != nil {
		return nil, nil, err
	}
	return s, rd.rep, nil
}

// reader collects the rows of one source.
type reader struct {
	src  string
	loc  string // "line" for CSV, "record" for JSON
	opt  Options
	rows []row
	rep  *Report
}

// errorf formats an error about line (or record) n, or about the whole source for n <= 0.
// Values from the file are quoted where they are formatted; as a last guard, line breaks
// are escaped so that every message stays on one line.
func (rd *reader) errorf(n int, format string, args ...any) error {
	msg := oneLine.Replace(fmt.Sprintf(format, args...))
	if n > 0 {
		return fmt.Errorf("%s %s %d: %s", rd.src, rd.loc, n, msg)
	}
	return fmt.Errorf("%s: %s", rd.src, msg)
}

var oneLine = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// bad drops a bad row under DropBad, or returns its error.
func (rd *reader) bad(n int, b *badRow) error {
	if rd.opt.DropBad {
		rd.rep.Dropped++
		rd.rep.DroppedBy[b.reason]++
		return nil
	}
	fix := b.fix
	if fix == "" {
		fix = fixBad
	}
	return rd.errorf(n, "%s (%s)", b.msg, fix)
}

// sniff picks the delimiter of a CSV line: the most frequent of tab, ';' and ',' outside
// quotes, ties going to tab, then ';' (a file that uses ';' often writes decimal commas).
// With the column count known, a delimiter giving exactly that many fields wins.
func sniff(line []byte, columns int) rune {
	var n [3]int
	delims := [3]rune{'\t', ';', ','}
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case '\t':
			n[0] += b2i(!quoted)
		case ';':
			n[1] += b2i(!quoted)
		case ',':
			n[2] += b2i(!quoted)
		}
	}
	if columns > 1 {
		for i, d := range delims {
			if n[i]+1 == columns {
				return d
			}
		}
	}
	best := 2
	for i := 1; i >= 0; i-- {
		if n[i] > 0 && n[i] >= n[best] {
			best = i
		}
	}
	return delims[best]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstLine(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, "\r")
}

func (rd *reader) readCSV(b []byte) error {
	delim := sniff(firstLine(b), len(rd.opt.Columns))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	decComma := delim != ','

	// The header: the first record, or the names given.
	names := rd.opt.Columns
	if len(names) == 0 {
		rec, err := cr.Read()
		if err != nil {
			return rd.csvError(err, "the header")
		}
		names = append([]string(nil), rec...)
	}
	cols, err := rd.columns(names, len(rd.opt.Columns) > 0, decComma)
	if err != nil {
		return err
	}

	var cells [nFields]string
	var present [nFields]bool
	for f := range nFields {
		present[f] = cols[f] >= 0
	}
	seenRecord := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.csvError(err, "this line")
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		first := !seenRecord
		seenRecord = true
		if len(rec) != len(names) {
			bad := fieldCount(len(rec), len(names), delim, len(rd.opt.Columns) > 0, first)
			if err := rd.bad(line, bad); err != nil {
				return err
			}
			continue
		}
		for f := range nFields {
			if present[f] {
				cells[f] = rec[cols[f]]
			}
		}
		r, bad := parseRow(line, &cells, &present, decComma)
		if bad != nil {
			if line == 1 && len(rd.opt.Columns) > 0 && bad.reason == ReasonTime {
				if _, _, ok := fieldOf(cells[fTime]); ok {
					bad.fix = "the file seems to have a header line: leave out --columns"
				}
			}
			if err := rd.bad(line, bad); err != nil {
				return err
			}
			continue
		}
		rd.rows = append(rd.rows, r)
	}
	return nil
}

// csvError turns an error from encoding/csv into one line.
func (rd *reader) csvError(err error, what string) error {
	if err == io.EOF {
		return rd.errorf(0, "empty file: expected a header line with at least date and "+
			"close columns")
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return rd.errorf(pe.Line, "column %d: %v (check the quotes on %s: a field that "+
			"holds a quote must be quoted, with the quote doubled)",
			pe.Column, pe.Err, what)
	}
	return rd.errorf(0, "cannot read CSV: %v", err)
}

// fieldCount explains a record of got fields where want were expected. When the names come
// from --columns and the first record disagrees, the names, not the file, are likely wrong.
func fieldCount(got, want int, delim rune, columnsGiven, first bool) *badRow {
	names := "the header has"
	if columnsGiven {
		names = "--columns names"
	}
	b := &badRow{reason: ReasonFields,
		msg: fmt.Sprintf("%s, but %s %d", english.Count(got, "field"), names, want)}
	switch {
	case columnsGiven && first:
		b.fix = fmt.Sprintf("give --columns one name for each of the file's %s, in order; "+
			"unknown names such as x are ignored", english.Count(got, "field"))
	case got > want:
		b.fix = fmt.Sprintf("quote values that hold the delimiter %q, like \"1,006.5\", or "+
			"skip bad rows with --drop-bad", delim)
	default:
		b.fix = "the line is cut short: complete it, or skip bad rows with --drop-bad"
	}
	return b
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// columns maps each field to the index of the column that holds it, -1 when absent.
func (rd *reader) columns(names []string, given, decComma bool) ([nFields]int, error) {
	var cols, rank [nFields]int
	for f := range nFields {
		cols[f] = -1
	}
	seen := map[string]int{}
	for i, name := range names {
		key := strings.ToLower(strings.TrimSpace(name))
		f, k, ok := fieldOf(key)
		if !ok {
			continue
		}
		if j, dup := seen[key]; dup {
			return cols, rd.errorf(0, "columns %d and %d are both named %q: rename or "+
				"remove one", j+1, i+1, strings.TrimSpace(name))
		}
		seen[key] = i
		if cols[f] < 0 || k < rank[f] {
			cols[f], rank[f] = i, k
		}
	}

	header := quote(strings.Join(names, ","))
	for _, f := range []field{fClose, fTime} {
		if cols[f] >= 0 {
			continue
		}
		want := "close"
		if f == fTime {
			want = "date, timestamp or time"
		}
		if given {
			return cols, rd.errorf(0, "--columns %s has no %s column: name one of the "+
				"columns %s", header, want, want)
		}
		if looksLikeData(names, decComma) {
			return cols, rd.errorf(1, "%s looks like data, not a header: name the columns "+
				"with --columns, e.g. --columns date,open,high,low,close,volume", header)
		}
		return cols, rd.errorf(0, "no %s column in header %s (columns are matched by name, "+
			"case-insensitive; use --columns for a file without a header)", want, header)
	}
	return cols, nil
}

// looksLikeData reports whether a would-be header line is a row of candle values: its
// first field is a time, or most of its fields are numbers.
func looksLikeData(fields []string, decComma bool) bool {
	if len(fields) == 0 {
		return false
	}
	if _, msg := parseTime(fields[0]); msg == "" {
		return true
	}
	n := 0
	for _, s := range fields {
		if _, msg := parseNumber(s, true, decComma); msg == "" {
			n++
		}
	}
	return 2*n > len(fields)
}
