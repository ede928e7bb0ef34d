package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// sharedFile is the 5-minute Poloniex file kept outside the repository (2.6 MB); the
// test that reads it skips when it is absent. SEQNN_SHARED overrides its folder.
func sharedFile(t *testing.T) string {
	dir := os.Getenv("SEQNN_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	p := filepath.Join(dir, "poloniex_usdt_btc_5m_2017q3.csv")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found (set SEQNN_SHARED to the folder that holds it): %v", p, err)
	}
	return p
}

func TestDefault(t *testing.T) {
	s, rep, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// Figures from data/poloniex/SOURCES.md.
	if len(s.Candles) != 42010 || rep.Rows != 42010 {
		t.Errorf("rows: got %d candles, report %d, want 42010", len(s.Candles), rep.Rows)
	}
	if s.Period != 1800 || rep.Period != 1800 {
		t.Errorf("period: got %d, want 1800", s.Period)
	}
	if len(rep.Gaps) != 0 || rep.Duplicates != 0 || rep.Dropped != 0 {
		t.Errorf("gaps %v, duplicates %d, dropped %d: want none", rep.Gaps, rep.Duplicates, rep.Dropped)
	}
	if rep.First != 1424372400 || rep.Last != 1499988600 {
		t.Errorf("span %d to %d, want 1424372400 to 1499988600", rep.First, rep.Last)
	}
	first := Candle{Time: 1424372400, Open: 225, High: 225, Low: 225, Close: 225, Volume: 0.999999}
	if s.Candles[0] != first {
		t.Errorf("first candle %+v, want %+v", s.Candles[0], first)
	}
	last := Candle{Time: 1499988600, Open: 2339.8200001, High: 2345.09420438, Low: 2332.821,
		Close: 2335.00000018, Volume: 207816.97352595}
	if s.Candles[len(s.Candles)-1] != last {
		t.Errorf("last candle %+v, want %+v", s.Candles[len(s.Candles)-1], last)
	}

	// The genuine 99.00 print of 2015-04-10 14:00 UTC stays in: the reader does not clip.
	lo := math.Inf(1)
	for _, c := range s.Closes() {
		lo = math.Min(lo, c)
	}
	if lo < 99 || lo > 99.0001 {
		t.Errorf("lowest close %v, want the 99.00000007 print", lo)
	}

	want := "poloniex_usdt_btc_30m_2015_2017.csv: 42010 rows, 2015-02-19 19:00 to 2017-07-13 23:30 UTC, period 30m0s, no gaps"
	if rep.String() != want {
		t.Errorf("report:\n got %s\nwant %s", rep, want)
	}

	b, err := embedded.ReadFile("poloniex/" + DefaultFile)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != "570a82a38dae1c1e66cc6bcfbb2d08440e9ccad595b3dfce7d81fcae88fe56eb" {
		t.Errorf("embedded file sha256 %s differs from SOURCES.md", got)
	}
	if !strings.Contains(Provenance(), "wassname/rl-portfolio-management") {
		t.Errorf("Provenance does not hold SOURCES.md")
	}
}

func TestShared5m(t *testing.T) {
	s, rep, err := ReadFile(sharedFile(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Candles) != 26761 || s.Period != 300 || len(rep.Gaps) != 0 {
		t.Errorf("got %d candles, period %d, %d gaps; want 26761, 300, 0", len(s.Candles), s.Period, len(rep.Gaps))
	}
	if rep.First != 1499385600 || rep.Last != 1507413600 {
		t.Errorf("span %d to %d, want 1499385600 to 1507413600", rep.First, rep.Last)
	}
	// The first row, read by name from the file's unusual column order.
	want := Candle{Time: 1499385600, Open: 2587.05608579, High: 2591.54564916, Low: 2587.05608579,
		Close: 2589.99425514, Volume: 20902.24577402}
	if s.Candles[0] != want {
		t.Errorf("first candle %+v, want %+v", s.Candles[0], want)
	}
}

// TestIssue2Errors checks the four failures issue 2 names, word for word.
func TestIssue2Errors(t *testing.T) {
	rows := "date,close\n"
	for i := range 15 {
		rows += fmt.Sprintf("%d,%d\n", 1500000000+60*i, 100+i)
	}
	short := "date,close\n"
	for i := range 100 {
		short += fmt.Sprintf("%d,%d\n", 1500000000+60*i, 100+i)
	}

	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty file", "", "prices.csv: empty file: expected a header line with at least date and close columns"},
		{"no close column", "date,open,high\n1500000000,1,2\n",
			`prices.csv: no close column in header "date,open,high" (columns are matched by name, case-insensitive; use --columns for a file without a header)`},
		{"non-numeric close", rows + "1500001000,abc\n",
			`prices.csv line 17: close "abc" is not a number (fix the row, or skip bad rows with --drop-bad)`},
	} {
		_, _, err := Read(strings.NewReader(tc.in), "prices.csv", Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}

	s, _, err := Read(strings.NewReader(short), "prices.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Split(s, 256, 16, 272, 0.8)
	want := "prices.csv: 100 rows, but one window needs 272 (256 inputs + 16 targets): use a longer file"
	if err == nil || err.Error() != want {
		t.Errorf("short file:\n got %v\nwant %s", err, want)
	}
}

// c is a candle with open, high, low and close all p.
func c(t int64, p float64) Candle { return Candle{Time: t, Open: p, High: p, Low: p, Close: p} }

func TestRead(t *testing.T) {
	const t0 = 1500000000 // 2017-07-14 02:40:00 UTC
	full := []Candle{
		{Time: t0, Open: 100, High: 110, Low: 90, Close: 105, Volume: 5},
		{Time: t0 + 60, Open: 105, High: 120, Low: 100, Close: 118, Volume: 7.5},
	}
	for _, tc := range []struct {
		name string
		in   string
		opt  Options
		want []Candle // nil: not checked
		rep  *Report  // fields checked when set: Rows, Dropped, DroppedBy, Gaps, Duplicates, Filled, Period
		err  string   // substring of the error; "" for none
	}{
		{name: "poloniex header quoted",
			in:   "\"date\",\"high\",\"low\",\"open\",\"close\",\"volume\",\"quoteVolume\",\"weightedAverage\"\n1500000000,110,90,100,105,5,0.05,101\n1500000060,120,100,105,118,7.5,0.06,110\n",
			want: full},
		{name: "any order and case",
			in:   "VOLUME,Close,LOW,High,Timestamp,Open\n5,105,90,110,1500000000,100\n7.5,118,100,120,1500000060,105\n",
			want: full},
		{name: "crlf and bom",
			in:   "\xEF\xBB\xBFdate,open,high,low,close,volume\r\n1500000000,100,110,90,105,5\r\n1500000060,105,120,100,118,7.5\r\n",
			want: full},
		{name: "semicolon with decimal commas",
			in:   "Date;Open;High;Low;Close;Volume\n1500000000;100;110;90;105;5\n1500000060;105;120;100;118;7,5\n",
			want: full},
		{name: "tab with decimal commas",
			in:   "date\topen\thigh\tlow\tclose\tvolume\n1500000000\t100\t110\t90\t105\t5\n1500000060\t105\t120\t100\t118\t7,5\n",
			want: full},
		{name: "semicolon thousands dot decimal comma",
			in:   "date;close\n1500000000;1.006,5\n1500000060;1006,25\n",
			want: []Candle{c(t0, 1006.5), c(t0+60, 1006.25)}},
		{name: "quoted thousands separators",
			in: "date,close,volume\n1500000000,\"1,006.5\",\"1,000,000\"\n1500000060,\"2,000\",1\n",
			want: []Candle{{Time: t0, Open: 1006.5, High: 1006.5, Low: 1006.5, Close: 1006.5, Volume: 1e6},
				{Time: t0 + 60, Open: 2000, High: 2000, Low: 2000, Close: 2000, Volume: 1}}},
		{name: "unquoted thousands separator",
			in:  "date,close\n1500000000,1,006.5\n",
			err: `prices.csv line 2: 3 fields, but the header has 2 (quote values that hold the delimiter ',', like "1,006.5"`},
		{name: "decimal comma in comma file",
			in:  "date,close\n1500000000,\"12,5\"\n",
			err: `prices.csv line 2: close "12,5" has a decimal comma in a comma-separated file`},
		{name: "misplaced thousands separator",
			in:  "date,close\n1500000000,\"10,06.5\"\n",
			err: `close "10,06.5" is not a number (misplaced thousands separator ',')`},
		{name: "volume suffixes",
			in: "Date,Price,Vol.\n2017-07-14,2000,13.44K\n2017-07-15,2100,2.5M\n2017-07-16,2200,1b\n",
			want: []Candle{{Time: 1499990400, Open: 2000, High: 2000, Low: 2000, Close: 2000, Volume: 13440},
				{Time: 1500076800, Open: 2100, High: 2100, Low: 2100, Close: 2100, Volume: 2.5e6},
				{Time: 1500163200, Open: 2200, High: 2200, Low: 2200, Close: 2200, Volume: 1e9}}},
		{name: "investing.com daily, newest first",
			in: "\"Date\",\"Price\",\"Open\",\"High\",\"Low\",\"Vol.\",\"Change %\"\n" +
				"\"2017-12-31\",\"14,156.4\",\"12,629.8\",\"14,241.8\",\"12,435.8\",\"143.85K\",\"12.09%\"\n" +
				"\"2017-12-30\",\"12,629.8\",\"14,398.0\",\"14,500.0\",\"12,000.0\",\"1.2M\",\"-12.28%\"\n",
			want: []Candle{{Time: 1514592000, Open: 14398, High: 14500, Low: 12000, Close: 12629.8, Volume: 1.2e6},
				{Time: 1514678400, Open: 12629.8, High: 14241.8, Low: 12435.8, Close: 14156.4, Volume: 143850}}},
		{name: "suffix on a price",
			in:  "date,close\n1500000000,2K\n",
			err: `prices.csv line 2: close "2K" is not a number`},
		{name: "dash and empty are missing",
			in: "date,open,high,low,close,volume\n1500000000,-,,,105,-\n1500000060,105,120,,118,\n",
			want: []Candle{{Time: t0, Open: 105, High: 105, Low: 105, Close: 105},
				{Time: t0 + 60, Open: 105, High: 120, Low: 105, Close: 118}}},
		{name: "missing close",
			in:  "date,close\n1500000000,105\n1500000060,-\n",
			err: "prices.csv line 3: no close price (fix the row, or skip bad rows with --drop-bad)"},
		{name: "milliseconds",
			in:   "timestamp,close\n1500000000000,105\n1500000060000,118\n",
			want: []Candle{c(t0, 105), c(t0+60, 118)}},
		{name: "seconds and milliseconds mixed",
			in:   "timestamp,close\n1500000000,105\n1500000060000,118\n",
			want: []Candle{c(t0, 105), c(t0+60, 118)}},
		{name: "iso dates",
			in:   "time,close\n2017-07-14T02:40:00Z,105\n2017-07-14 02:41:00,118\n2017-07-14T04:42:00+02:00,120\n",
			want: []Candle{c(t0, 105), c(t0+60, 118), c(t0+120, 120)}},
		{name: "iso days",
			in:   "Date,Close\n2017-07-15,2\n2017-07-14,1\n",
			want: []Candle{c(1499990400, 1), c(1500076800, 2)}},
		{name: "bad time",
			in:  "date,close\n1500000000,105\nyesterday,118\n",
			err: `prices.csv line 3: date "yesterday" is not a time (use unix seconds, unix milliseconds, or an ISO date like 2017-07-13 23:30:00)`},
		{name: "negative time",
			in:  "date,close\n-5,105\n",
			err: `prices.csv line 2: date "-5" is before 1970`},
		{name: "sorted by time",
			in:   "date,close\n1500000120,3\n1500000000,1\n1500000060,2\n",
			want: []Candle{c(t0, 1), c(t0+60, 2), c(t0+120, 3)}},
		{name: "exact duplicates dropped",
			in:   "date,close\n1500000000,1\n1500000060,2\n1500000000,1\n1500000060,2\n",
			want: []Candle{c(t0, 1), c(t0+60, 2)},
			rep:  &Report{Rows: 2, Duplicates: 2, Period: 60}},
		{name: "conflicting duplicates",
			in:  "date,close\n1500000000,1\n1500000060,2\n1500000000,1.5\n",
			err: "prices.csv lines 2 and 4: two different candles at 2017-07-14 02:40 UTC (1500000000): remove one of them"},
		{name: "gaps kept",
			in:   "date,close\n1500000000,1\n1500000060,2\n1500000240,3\n1500000300,4\n1500000420,5\n1500000480,6\n",
			want: []Candle{c(t0, 1), c(t0+60, 2), c(t0+240, 3), c(t0+300, 4), c(t0+420, 5), c(t0+480, 6)},
			rep:  &Report{Rows: 6, Period: 60, Gaps: []Gap{{After: t0 + 60, Missing: 2}, {After: t0 + 300, Missing: 1}}}},
		{name: "gaps filled with previous close",
			in:   "date,close,volume\n1500000000,1,3\n1500000060,2,3\n1500000240,3,3\n1500000300,4,3\n",
			opt:  Options{Fill: "previous"},
			want: []Candle{{t0, 1, 1, 1, 1, 3}, {t0 + 60, 2, 2, 2, 2, 3}, c(t0+120, 2), c(t0+180, 2), {t0 + 240, 3, 3, 3, 3, 3}, {t0 + 300, 4, 4, 4, 4, 3}},
			rep:  &Report{Rows: 4, Period: 60, Filled: 2, Gaps: []Gap{{After: t0 + 60, Missing: 2}}}},
		// A 30-minute file with an extra row 1 minute after 10:00, and one 7 minutes late.
		{name: "irregular spacing, extra row",
			in:   "date,close\n2017-01-01 09:30,1\n2017-01-01 10:00,2\n2017-01-01 10:01,3\n2017-01-01 10:30,4\n2017-01-01 11:00,5\n",
			want: []Candle{c(1483263000, 1), c(1483264800, 2), c(1483264860, 3), c(1483266600, 4), c(1483268400, 5)},
			rep:  &Report{Rows: 5, Period: 1800, Irregular: []Spacing{{1483264800, 60}, {1483264860, 1740}}}},
		{name: "irregular spacing, shifted row",
			in:  "date,close\n2017-01-01 09:30,1\n2017-01-01 10:00,2\n2017-01-01 10:37,3\n2017-01-01 11:00,4\n2017-01-01 11:30,5\n",
			rep: &Report{Rows: 5, Period: 1800, Irregular: []Spacing{{1483264800, 2220}, {1483267020, 1380}}}},
		{name: "irregular spacing not filled, gap filled",
			in:   "date,close\n1500000000,1\n1500000060,2\n1500000090,3\n1500000150,4\n1500000270,5\n",
			opt:  Options{Fill: "previous"},
			want: []Candle{c(t0, 1), c(t0+60, 2), c(t0+90, 3), c(t0+150, 4), c(t0+210, 4), c(t0+270, 5)},
			rep: &Report{Rows: 5, Period: 60, Filled: 1, Gaps: []Gap{{After: t0 + 150, Missing: 1}},
				Irregular: []Spacing{{t0 + 60, 30}}}},
		{name: "fill limit",
			in:  "date,close\n1500000000,1\n1500000060,2\n1600000020,3\n",
			opt: Options{Fill: "previous"},
			err: "prices.csv line 4: filling the gap of 1666665 periods before this line would add more than 100000 candles to 3 rows: check the timestamps, or keep the gaps"},
		// Times that are not whole seconds are refused, not truncated to a second that
		// may lie on the grid (an earlier version floored 1500000000.9 to 1500000000).
		{name: "fractional seconds",
			in:  "datetime,close\n1500000000.9,1\n1500000060.2,2\n",
			err: `prices.csv line 2: date "1500000000.9" is not a whole second: candle times are whole seconds, the start of each candle (fix the row, or skip bad rows with --drop-bad)`},
		{name: "fraction below float64's resolution",
			in:  "date,close\n1500000000,1\n1500000060.0000000001,2\n",
			err: `prices.csv line 3: date "1500000060.0000000001" is not a whole second`},
		{name: "milliseconds off the second",
			in:  "date,close\n1500000000000,1\n1500000060500,2\n",
			err: `prices.csv line 3: date "1500000060500" is 500 ms past a whole second: candle times are whole seconds`},
		{name: "float milliseconds off the second",
			in:  "date,close\n1500000000000,1\n1500000060000.5,2\n",
			err: `prices.csv line 3: date "1500000060000.5" is not a whole second`},
		{name: "iso time with a fraction",
			in:  "date,close\n2017-07-14T02:40:00.250Z,1\n",
			err: `prices.csv line 2: date "2017-07-14T02:40:00.250Z" is not a whole second`},
		{name: "iso time without zone, with a fraction",
			in:  "date,close\n2017-07-14 02:40:00.5,1\n",
			err: `prices.csv line 2: date "2017-07-14 02:40:00.5" is not a whole second`},
		{name: "whole seconds written as decimals",
			in:   "date,close\n1500000000.000,1\n1.50000006e9,2\n1500000120000.0,3\n2017-07-14T02:43:00.000Z,4\n",
			want: []Candle{c(t0, 1), c(t0+60, 2), c(t0+120, 3), c(t0+180, 4)}},
		{name: "times off the second dropped as bad times",
			in:   "date,close\n1500000000,1\n1500000060.5,2\n1500000120500,3\n1500000180,4\n",
			opt:  Options{DropBad: true},
			want: []Candle{c(t0, 1), c(t0+180, 4)},
			rep: &Report{Rows: 2, Dropped: 2, DroppedBy: map[string]int{ReasonTime: 2},
				Period: 180}},
		{name: "unknown fill",
			in:  "date,close\n1500000000,1\n",
			opt: Options{Fill: "linear"},
			err: `prices.csv: fill "linear" is not known: use "previous" or leave it empty to keep gaps`},
		{name: "high below low",
			in:  "date,high,low,close\n1500000000,2,3,2.5\n",
			err: "prices.csv line 2: high 2 is below low 3"},
		{name: "close above high",
			in:  "date,high,low,close\n1500000000,3,2,3.5\n",
			err: "prices.csv line 2: close 3.5 is above high 3"},
		{name: "close below low, high absent",
			in:  "date,low,close\n1500000000,2,1.5\n",
			err: "prices.csv line 2: close 1.5 is below low 2"},
		{name: "open outside",
			in:  "date,open,high,low,close\n1500000000,4,3,2,2.5\n",
			err: "prices.csv line 2: open 4 is above high 3"},
		{name: "zero price",
			in:  "date,close\n1500000000,0\n",
			err: "prices.csv line 2: close 0 is not above 0"},
		{name: "absurd price in json",
			in:  `[{"date":1500000000,"close":105},{"date":1500000060,"close":1e308}]`,
			err: "prices.csv record 2: close 1e+308 is above 1e12, the largest price accepted (prices must lie in [1e-8, 1e12]: check the column and its unit, fix the row, or skip bad rows with --drop-bad)"},
		{name: "tiny price",
			in:  "date,open,close\n1500000000,1e-300,1\n",
			err: "prices.csv line 2: open 1e-300 is below 1e-8, the smallest price accepted (prices must lie in [1e-8, 1e12]"},
		{name: "price bounds themselves pass",
			in:   "date,low,high,close\n1500000000,1e-8,1e12,1\n",
			want: []Candle{{Time: t0, Open: 1, High: 1e12, Low: 1e-8, Close: 1}}},
		{name: "absurd prices dropped",
			in:   "date,close\n1500000000,1e13\n1500000060,5e-9\n1500000120,2\n",
			opt:  Options{DropBad: true},
			want: []Candle{c(t0+120, 2)},
			rep:  &Report{Rows: 1, Dropped: 2, DroppedBy: map[string]int{ReasonPriceRange: 2}}},
		{name: "negative volume",
			in:  "date,close,volume\n1500000000,1,-1\n",
			err: "prices.csv line 2: volume -1 is negative"},
		{name: "nan close",
			in:  "date,close\n1500000000,NaN\n",
			err: `prices.csv line 2: close "NaN" is not a finite number`},
		{name: "inf high",
			in:  "date,high,close\n1500000000,+Inf,1\n",
			err: `prices.csv line 2: high "+Inf" is not a finite number`},
		{name: "overflow",
			in:  "date,close\n1500000000,1e999\n",
			err: `prices.csv line 2: close "1e999" is out of range`},
		{name: "hex float",
			in:  "date,close\n1500000000,0x1p3\n",
			err: `prices.csv line 2: close "0x1p3" is not a number`},
		{name: "drop bad counts by reason",
			in:   "date,high,low,close\n1500000000,2,3,2.5\n1500000060,3,2,3.5\nx,3,2,2.5\n1500000180,3,2,abc\n1500000240,3,2,-\n1500000300,3,2,0\n1500000360,3,2\n1500000420,3,2,2.5\n",
			opt:  Options{DropBad: true},
			want: []Candle{{Time: t0 + 420, Open: 2.5, High: 3, Low: 2, Close: 2.5}},
			rep: &Report{Rows: 1, Dropped: 7, DroppedBy: map[string]int{ReasonHighLow: 1, ReasonOutside: 1,
				ReasonTime: 1, ReasonNumber: 1, ReasonNoClose: 1, ReasonNotPositive: 1, ReasonFields: 1}}},
		{name: "all rows dropped",
			in:  "date,close\n1500000000,abc\n",
			opt: Options{DropBad: true},
			err: "prices.csv: the only row is bad and was dropped (bad number: 1): check the file's columns and values"},
		{name: "all json records dropped",
			in:  `[{"date":1500000000,"close":"x"},{"date":"y","close":1}]`,
			opt: Options{DropBad: true},
			err: "prices.csv: all 2 records are bad and were dropped (bad number: 1, bad time: 1): check the file's columns and values"},
		{name: "header only",
			in:  "date,close\n",
			err: "prices.csv: no candles after the header: the file holds no data rows"},
		{name: "blank lines skipped",
			in:   "date,close\n\n1500000000,1\n  \n1500000060,2\n\n",
			want: []Candle{c(t0, 1), c(t0+60, 2)}},
		{name: "short row",
			in:  "date,open,close\n1500000000,1\n",
			err: "prices.csv line 2: 2 fields, but the header has 3 (the line is cut short"},
		{name: "short row of one field",
			in:  "date,close\n1500000000,1\n1500000060\n",
			err: "prices.csv line 3: 1 field, but the header has 2 (the line is cut short"},
		{name: "bad quotes",
			in:  "date,close\n1500000000,\"1\n",
			err: "prices.csv line 2: column"},
		{name: "no time column",
			in:  "open,close\n1,2\n",
			err: `prices.csv: no date, timestamp or time column in header "open,close" (columns are matched by name, case-insensitive; use --columns for a file without a header)`},
		{name: "duplicate column names",
			in:  "date,close,Close\n1500000000,1,1\n",
			err: `prices.csv: columns 2 and 3 are both named "Close": rename or remove one`},
		{name: "header-less without columns",
			in:  "1500000000,100,110,90,105\n",
			err: `prices.csv line 1: "1500000000,100,110,90,105" looks like data, not a header: name the columns with --columns`},
		{name: "header-less with columns",
			in:   "100,1500000000,110,90,105,5\n105,1500000060,120,100,118,7.5\n",
			opt:  Options{Columns: []string{"open", "date", "high", "low", "close", "volume"}},
			want: full},
		{name: "header-less semicolon decimal comma",
			in:   "1500000000;105,5\n1500000060;118,25\n",
			opt:  Options{Columns: []string{"date", "close"}},
			want: []Candle{c(t0, 105.5), c(t0+60, 118.25)}},
		{name: "columns given but file has a header",
			in:  "date,close\n1500000000,1\n",
			opt: Options{Columns: []string{"date", "close"}},
			err: `prices.csv line 1: date "date" is not a time (use unix seconds, unix milliseconds, or an ISO date like 2017-07-13 23:30:00) (the file seems to have a header line: leave out --columns)`},
		{name: "columns name fewer fields than the file has",
			in:  "1500000000,110,90,100,105,5,0.05,101\n1500000060,120,100,105,118,7.5,0.06,110\n",
			opt: Options{Columns: []string{"date", "close"}},
			err: "prices.csv line 1: 8 fields, but --columns names 2 (give --columns one name for each of the file's 8 fields, in order; unknown names such as x are ignored)"},
		{name: "columns name more fields than the file has",
			in:  "1500000000,105\n",
			opt: Options{Columns: []string{"date", "open", "close"}},
			err: "prices.csv line 1: 2 fields, but --columns names 3 (give --columns one name for each of the file's 2 fields, in order"},
		{name: "columns name more fields than the file's one",
			in:  "1500000000\n",
			opt: Options{Columns: []string{"date", "close"}},
			err: "prices.csv line 1: 1 field, but --columns names 2 (give --columns one name for each of the file's 1 field, in order"},
		{name: "columns with unknown names",
			in:   "1500000000,110,90,100,105,5,0.05,101\n1500000060,120,100,105,118,7.5,0.06,110\n",
			opt:  Options{Columns: []string{"date", "high", "low", "open", "close", "volume", "x", "x"}},
			want: full},
		{name: "columns given, a later row too long",
			in:  "1500000000,105\n1500000060,1,006\n",
			opt: Options{Columns: []string{"date", "close"}},
			err: `prices.csv line 2: 3 fields, but --columns names 2 (quote values that hold the delimiter ','`},
		{name: "columns without close",
			in:  "1500000000,1\n",
			opt: Options{Columns: []string{"date", "price_usd"}},
			err: `prices.csv: --columns "date,price_usd" has no close column: name one of the columns close`},
		{name: "empty with columns",
			in:  "\n \n",
			opt: Options{Columns: []string{"date", "close"}},
			err: `prices.csv: empty file: expected rows of "date,close"`},
		{name: "bom only",
			in:  "\xEF\xBB\xBF\r\n",
			err: "prices.csv: empty file"},
		{name: "utf-16",
			in:  "\xFF\xFEd\x00a\x00",
			err: "prices.csv: the file is UTF-16: save it as UTF-8"},

		// Poloniex returnChartData JSON.
		{name: "json",
			in:   `[{"date":1500000000,"high":110,"low":90,"open":100,"close":105,"volume":5,"quoteVolume":0.05,"weightedAverage":101},{"date":1500000060,"high":120,"low":100,"open":105,"close":118,"volume":7.5,"quoteVolume":0.06,"weightedAverage":110}]`,
			want: full},
		{name: "json with bom, space, strings, null and ms",
			in:   "\xEF\xBB\xBF \n [{\"Timestamp\":\"1500000000000\",\"Close\":\"105\",\"volume\":null},\n {\"timestamp\":1500000060000,\"close\":\"1,006.5\"}]\n",
			want: []Candle{c(t0, 105), c(t0+60, 1006.5)}},
		{name: "json bad close",
			in:  `[{"date":1500000000,"close":105},{"date":1500000060,"close":"abc"}]`,
			err: `prices.csv record 2: close "abc" is not a number (fix the row, or skip bad rows with --drop-bad)`},
		{name: "json missing close key",
			in:  `[{"date":1500000000,"open":105}]`,
			err: `prices.csv record 1: no close key among "date,open" (keys are matched by name, case-insensitive)`},
		{name: "json bool value",
			in:  `[{"date":1500000000,"close":true}]`,
			err: `prices.csv record 1: close "true" is not a number or a string`},
		{name: "json not objects",
			in:  `[1500000000, 105]`,
			err: "prices.csv record 1: is a JSON number, not a candle object: the file must be an array of objects"},
		{name: "json null record dropped",
			in:   `[null,{"date":1500000000,"close":105}]`,
			opt:  Options{DropBad: true},
			want: []Candle{c(t0, 105)}},
		{name: "json poloniex error",
			in:  `{"error":"Invalid currency pair."}`,
			err: `prices.csv: the JSON is an error answer, not candles: "Invalid currency pair.": fix the request that saved it`},
		{name: "json truncated",
			in:  "[{\"date\":1500000000,\"close\":105},\n{\"date\":15000",
			err: "prices.csv: the JSON ends early: the file must be one complete JSON array of candle objects"},
		{name: "json syntax",
			in:  "[{\"date\":1500000000,\"close\":105},\n{\"date\" 1}]",
			err: "prices.csv line 2: invalid JSON: invalid character '1' after object key"},
		{name: "json trailing text",
			in:  `[{"date":1500000000,"close":105}] x`,
			err: "prices.csv: text after the closing ']' of the candle array: remove it"},
		{name: "json empty array",
			in:  "[ ]\n",
			err: "prices.csv: the JSON array is empty: the file holds no candles; save one with the candle objects in it"},
		// Lone CR line ends (classic Mac OS) end lines as LF and CRLF do.
		{name: "cr line ends",
			in:   "date,close\r1500000000,1\r1500000060,2\r",
			want: []Candle{c(t0, 1), c(t0+60, 2)}},
		{name: "cr line ends, bom, columns, no final line end",
			in:   "\xEF\xBB\xBF1500000000;1,5\r\r1500000060;2\r1500000120;3",
			opt:  Options{Columns: []string{"date", "close"}},
			want: []Candle{c(t0, 1.5), c(t0+60, 2), c(t0+120, 3)}},
		{name: "cr line ends count lines",
			in:  "date,close\r1500000000,1\r1500000060,abc\r",
			err: `prices.csv line 3: close "abc" is not a number`},
		{name: "cr and crlf mixed",
			in:   "date,close\r\n1500000000,1\r1500000060,2\r\n1500000120,3\n",
			want: []Candle{c(t0, 1), c(t0+60, 2), c(t0+120, 3)}},
		{name: "json with cr line ends",
			in:  "[{\"date\":1500000000,\"close\":1},\r{\"date\" 1}]\r",
			err: "prices.csv line 2: invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rep, err := Read(strings.NewReader(tc.in), "prices.csv", tc.opt)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error:\n got %v\nwant %s", err, tc.err)
				}
				if s != nil || rep != nil {
					t.Errorf("series or report returned with an error")
				}
				checkMessage(t, err, "prices.csv")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && !reflect.DeepEqual(s.Candles, tc.want) {
				t.Errorf("candles:\n got %+v\nwant %+v", s.Candles, tc.want)
			}
			if tc.rep != nil {
				if tc.rep.DroppedBy == nil {
					tc.rep.DroppedBy = map[string]int{}
				}
				got := *rep
				got.Source, got.First, got.Last = "", 0, 0
				if !reflect.DeepEqual(&got, tc.rep) {
					t.Errorf("report:\n got %+v\nwant %+v", got, *tc.rep)
				}
			}
			checkSeries(t, s, rep)
		})
	}
}

// checkMessage checks the form every error takes: one line that starts with the source.
func checkMessage(t *testing.T, err error, source string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, source+" ") && !strings.HasPrefix(msg, source+":") {
		t.Errorf("message not one line starting with %q: %q", source, msg)
	}
}

// checkSeries checks what every series read must satisfy.
func checkSeries(t *testing.T, s *Series, rep *Report) {
	t.Helper()
	if len(s.Candles) == 0 {
		t.Fatal("empty series without an error")
	}
	if rep.Rows+rep.Filled != len(s.Candles) {
		t.Errorf("report: %d rows + %d filled, but %d candles", rep.Rows, rep.Filled, len(s.Candles))
	}
	if rep.First != s.Candles[0].Time || rep.Last != s.Candles[len(s.Candles)-1].Time {
		t.Errorf("report span %d to %d, candles %d to %d", rep.First, rep.Last, s.Candles[0].Time, s.Candles[len(s.Candles)-1].Time)
	}
	for i, c := range s.Candles {
		for _, v := range []float64{c.Open, c.High, c.Low, c.Close, c.Volume} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("candle %d: %+v holds a non-finite value", i, c)
			}
		}
		if !(c.Low > 0 && c.Low <= c.Open && c.Open <= c.High && c.Low <= c.Close && c.Close <= c.High && c.Volume >= 0) {
			t.Fatalf("candle %d: %+v is not a valid candle", i, c)
		}
		if c.Time < 0 || i > 0 && c.Time <= s.Candles[i-1].Time {
			t.Fatalf("candle %d: time %d not after %d", i, c.Time, s.Candles[max(i-1, 0)].Time)
		}
	}
	// Every spacing other than the period is a reported gap (unless filled) or a reported
	// irregular spacing, and those are exactly the spacings that are not whole periods.
	gaps := map[int64]bool{}
	for _, g := range rep.Gaps {
		gaps[g.After] = true
	}
	odd := map[int64]int64{}
	for _, sp := range rep.Irregular {
		if sp.Seconds%s.Period == 0 {
			t.Fatalf("irregular spacing %+v is a whole number of periods %d", sp, s.Period)
		}
		odd[sp.After] = sp.Seconds
	}
	seen := 0
	for i := 1; i < len(s.Candles); i++ {
		prev, d := s.Candles[i-1].Time, s.Candles[i].Time-s.Candles[i-1].Time
		switch {
		case d%s.Period != 0:
			if odd[prev] != d {
				t.Fatalf("candles %d and %d are %d s apart, period %d, but that is not reported irregular", i-1, i, d, s.Period)
			}
			seen++
		case d != s.Period && !gaps[prev]:
			t.Fatalf("candles %d and %d are %d s apart, period %d, but no gap is reported", i-1, i, d, s.Period)
		}
	}
	if seen != len(rep.Irregular) {
		t.Fatalf("%d irregular spacings reported, %d found", len(rep.Irregular), seen)
	}
}

func TestReadFileMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.csv")
	_, _, err := ReadFile(p, Options{})
	if err == nil || err.Error() != p+": cannot open: no such file or directory: check the path" {
		t.Errorf("got %v", err)
	}
}

// TestReadFileOpenErrors: the fix in an open error fits its cause. Permissions are
// checked on the error itself, since tests may run as root, who may read any file.
func TestReadFileOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ReadFile(dir, Options{}); err == nil ||
		err.Error() != dir+": is a directory; give a candle file" {
		t.Errorf("directory: got %v", err)
	}

	p := filepath.Join(dir, "locked.csv")
	denied := &fs.PathError{Op: "open", Path: p, Err: syscall.EACCES}
	want := p + ": cannot open: permission denied: check the file's permissions (it must be readable by you)"
	if err := openError(p, denied); err.Error() != want {
		t.Errorf("permission denied:\n got %v\nwant %s", err, want)
	}
	loop := &fs.PathError{Op: "open", Path: p, Err: syscall.ELOOP}
	if err := openError(p, loop); !strings.HasSuffix(err.Error(), ": check the path and the file's permissions") {
		t.Errorf("other error: got %v", err)
	}

	// The real thing, where the file system enforces permissions.
	if err := os.WriteFile(p, []byte("date,close\n"), 0o200); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(p); err == nil {
		f.Close()
		t.Skip("running as a user who may read unreadable files")
	}
	if _, _, err := ReadFile(p, Options{}); err == nil || err.Error() != want {
		t.Errorf("unreadable file:\n got %v\nwant %s", err, want)
	}
}

func TestReportString(t *testing.T) {
	in := "date,close\n1500000000,1\n1500000060,2\n1500000240,3\n1500000240,3\n1500000300,x\n1500000360,4\n"
	_, rep, err := Read(strings.NewReader(in), "p.csv", Options{Fill: "previous", DropBad: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "p.csv: 4 rows, 2017-07-14 02:40 to 2017-07-14 02:46 UTC, period 1m0s, " +
		"2 gaps (3 missing periods, largest 2 after 2017-07-14 02:41), 3 filled with the previous close, " +
		"1 exact duplicate dropped, 1 bad row dropped (bad number: 1)"
	if got := rep.String(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	// Irregular spacings are reported apart from gaps: a 30-minute file with an extra row
	// 1 minute after 10:00.
	in = "date,close\n2017-01-01 09:00,1\n2017-01-01 09:30,1\n2017-01-01 10:00,2\n2017-01-01 10:01,3\n" +
		"2017-01-01 10:30,4\n2017-01-01 11:30,5\n2017-01-01 12:00,6\n"
	_, rep, err = Read(strings.NewReader(in), "p.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = "p.csv: 7 rows, 2017-01-01 09:00 to 2017-01-01 12:00 UTC, period 30m0s, " +
		"1 gap (1 missing period, largest 1 after 2017-01-01 10:30), " +
		"2 irregular spacings (first after 2017-01-01 10:00 UTC: 1m0s)"
	if got := rep.String(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	// One of each: singular nouns.
	in = "date,close\n1500000000,1\n1500000060,2\n1500000060,2\n1500000120,3\n1500000180,4\n" +
		"1500000210,5\n1500000240,x\n1500000330,6\n"
	_, rep, err = Read(strings.NewReader(in), "p.csv", Options{DropBad: true})
	if err != nil {
		t.Fatal(err)
	}
	want = "p.csv: 6 rows, 2017-07-14 02:40 to 2017-07-14 02:45 UTC, period 1m0s, " +
		"1 gap (1 missing period, largest 1 after 2017-07-14 02:43), " +
		"1 irregular spacing (first after 2017-07-14 02:43 UTC: 30s), " +
		"1 exact duplicate dropped, 1 bad row dropped (bad number: 1)"
	if got := rep.String(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	_, rep, err = Read(strings.NewReader("date,close\n1500000000,1\n"), "p.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.String(), "p.csv: 1 row, 2017-07-14 02:40 to 2017-07-14 02:40 UTC, no gaps"; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestCheckCandle(t *testing.T) {
	ok := Candle{Time: 1500000000, Open: 100, High: 110, Low: 90, Close: 105, Volume: 5}
	if err := CheckCandle(ok); err != nil {
		t.Fatalf("valid candle: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Candle)
		want string
	}{
		{func(c *Candle) { c.Close = -1 }, "close -1 is not above 0"},
		{func(c *Candle) { c.Open = 0 }, "open 0 is not above 0"},
		{func(c *Candle) { c.High = 1e308 }, "high 1e+308 is above 1e12, the largest price accepted"},
		{func(c *Candle) { c.Low = 1e-300 }, "low 1e-300 is below 1e-8, the smallest price accepted"},
		{func(c *Candle) { c.Close = math.NaN() }, "close NaN is not a finite number"},
		{func(c *Candle) { c.Volume = math.Inf(1) }, "volume +Inf is not a finite number"},
		{func(c *Candle) { c.Volume = -2 }, "volume -2 is negative"},
		{func(c *Candle) { c.High, c.Low = 80, 90 }, "high 80 is below low 90"},
		{func(c *Candle) { c.Close = 111 }, "close 111 is above high 110"},
		{func(c *Candle) { c.Open = 89 }, "open 89 is below low 90"},
	} {
		c := ok
		tc.edit(&c)
		if err := CheckCandle(c); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: got %v, want %s", c, err, tc.want)
		}
	}
}
