package poloniex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFetchRefusesOtherPeriod: fetching 5m candles into a file of 30m candles, or the
// reverse, is refused before any request, naming the file and both lengths, and leaves
// the file as it was: no candle of one length replaces one of the other at a shared
// start.
func TestFetchRefusesOtherPeriod(t *testing.T) {
	cases := []struct {
		name       string
		have, want time.Duration
		msg        string
	}{
		{"5m into 30m", 30 * time.Minute, p5m, "holds 30m candles (its rows are 30m apart, " +
			"or a multiple of that), not 5m: adding 5m candles would mix candle lengths in " +
			"one file, so nothing was written: write to a new file, or fetch 30m candles"},
		{"30m into 5m", p5m, 30 * time.Minute, "has two rows 5m apart, after 2024-01-01 " +
			"00:00 UTC (1704067200), not a whole number of 30m candles: adding 30m candles " +
			"would mix candle lengths in one file, so nothing was written"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			day := int(24 * time.Hour / tc.have)
			first := newFakeAPI(t, tc.have, day, nil)
			var sleeps []time.Duration
			cfg := first.config(t, &sleeps)
			if _, err := Fetch(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			before := readFile(t, cfg.Out)

			second := newFakeAPI(t, tc.want, int(24*time.Hour/tc.want), nil)
			again := second.config(t, &sleeps)
			again.Out = cfg.Out
			_, err := Fetch(context.Background(), again)
			var pe *PeriodError
			if !errors.As(err, &pe) || pe.File != cfg.Out || pe.Want != tc.want ||
				pe.Found != tc.have {
				t.Fatalf("error %v, want a PeriodError for %s found %v want %v", err,
					cfg.Out, tc.have, tc.want)
			}
			if want := "poloniex: " + cfg.Out + " " + tc.msg; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			if n := len(second.requests()); n != 0 {
				t.Errorf("made %d requests before refusing", n)
			}
			if readFile(t, cfg.Out) != before {
				t.Error("the file changed")
			}
			if names := dirNames(t, cfg.Out); len(names) != 1 {
				t.Errorf("directory holds %v", names)
			}
		})
	}
}

// TestFetchExtendsGappyFile: a file of 5m candles with gaps (the API leaves out
// periods without trades) is still a 5m file and is extended.
func TestFetchExtendsGappyFile(t *testing.T) {
	f := newFakeAPI(t, p5m, 40, func(i int) bool { return i%6 != 1 && i%6 != 2 })
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	first := cfg
	first.To = t0.Add(20 * p5m)
	if _, err := Fetch(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	cfg.To = t0.Add(40 * p5m)
	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added == 0 || readFile(t, cfg.Out) != wantCSV(f.starts) {
		t.Errorf("result %+v; file not extended", res)
	}
}

func TestCheckSpacing(t *testing.T) {
	const m = 60 // seconds
	rows := func(dates ...int64) []candle {
		cs := make([]candle, len(dates))
		for i, d := range dates {
			cs[i].date = 1_704_067_200 + d*m
		}
		return cs
	}
	cases := []struct {
		name  string
		cs    []candle
		p     time.Duration
		found time.Duration // 0: no error
	}{
		{"empty", nil, p5m, 0},
		{"one row", rows(30), p5m, 0},
		{"regular", rows(0, 5, 10, 15), p5m, 0},
		{"gaps", rows(0, 5, 20, 25, 45), p5m, 0},
		{"unsorted", rows(10, 0, 5), p5m, 0},
		{"sparse with coprime gaps", rows(0, 10, 25), p5m, 0},
		{"coarser", rows(0, 30, 60, 120), p5m, 30 * time.Minute},
		{"two rows a gap apart", rows(0, 10), p5m, 10 * time.Minute},
		{"finer", rows(0, 5, 10), 30 * time.Minute, p5m},
		{"off the grid", rows(0, 5, 11, 16), p5m, 6 * time.Minute},
		{"hours", rows(0, 60, 180), time.Hour, 0},
	}
	for _, tc := range cases {
		err := checkSpacing("f.csv", tc.cs, tc.p)
		var pe *PeriodError
		switch {
		case tc.found == 0 && err != nil:
			t.Errorf("%s: %v, want no error", tc.name, err)
		case tc.found != 0 && (!errors.As(err, &pe) || pe.Found != tc.found || pe.Want != tc.p):
			t.Errorf("%s: %v, want a PeriodError with Found %v", tc.name, err, tc.found)
		}
	}
}

func TestPeriodName(t *testing.T) {
	for d, want := range map[time.Duration]string{
		p5m: "5m", time.Hour: "1h", 24 * time.Hour: "1d", 7 * 24 * time.Hour: "1w",
		2 * time.Minute: "2m", 90 * time.Second: "90s", 5 * time.Hour: "5h",
		48 * time.Hour: "2d", 1500 * time.Millisecond: "1.5s",
	} {
		if got := PeriodName(d); got != want {
			t.Errorf("PeriodName(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestCheckSpacingGrid: rows spaced as candles of the period but starting off its grid,
// or a single row off it, are refused as off the grid, naming the first row.
func TestCheckSpacingGrid(t *testing.T) {
	const midnight = 1_704_067_200 // 2024-01-01 00:00 UTC
	cases := []struct {
		name  string
		dates []int64
		p     time.Duration
		off   int64 // 0: no error
	}{
		{"one 1d row for 1h", []int64{midnight}, time.Hour, 0},
		{"one row 1s off 30m", []int64{midnight + 1}, 30 * time.Minute, midnight + 1},
		{"one row at 00:30 for 1h", []int64{midnight + 1800}, time.Hour, midnight + 1800},
		{"rows 1s off, spaced 5m", []int64{midnight + 301, midnight + 601}, p5m, midnight + 301},
		{"1w rows at midnight", []int64{midnight, midnight + 7*86400}, 7 * 24 * time.Hour, 0},
		{"1w row at noon", []int64{midnight + 43200}, 7 * 24 * time.Hour, midnight + 43200},
	}
	for _, tc := range cases {
		cs := make([]candle, len(tc.dates))
		for i, d := range tc.dates {
			cs[i].date = d
		}
		err := checkSpacing("f.csv", cs, tc.p)
		var pe *PeriodError
		switch {
		case tc.off == 0 && err != nil:
			t.Errorf("%s: %v, want no error", tc.name, err)
		case tc.off != 0 && (!errors.As(err, &pe) || !pe.OffGrid || pe.Row != tc.off ||
			pe.Odd()):
			t.Errorf("%s: %v, want an off-grid PeriodError at %d", tc.name, err, tc.off)
		}
	}
}

// TestFetchOneRowFile: a file of one row cannot show its candle length, so it is never
// extended silently. A row off the period's grid is refused before any request, the
// file unchanged; a row on it is extended, and the result says the file held one row,
// for the caller to warn.
func TestFetchOneRowFile(t *testing.T) {
	f := newFakeAPI(t, time.Hour, 24, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)

	off := wantCSV([]int64{t0.Add(30 * time.Minute).UnixMilli()})
	if err := os.WriteFile(cfg.Out, []byte(off), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Fetch(context.Background(), cfg)
	want := "poloniex: " + cfg.Out + " has a row at 2024-01-01 00:30:00 UTC (1704069000), " +
		"which is not the start of a 1h candle (1h candles start at whole multiples of 1h " +
		"from 00:00 UTC): adding 1h candles would mix candle lengths in one file, so " +
		"nothing was written"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("off-grid row:\n got %v\nwant %s", err, want)
	}
	if n := len(f.requests()); n != 0 || readFile(t, cfg.Out) != off {
		t.Errorf("off-grid row: %d requests, file changed: %v", n, readFile(t, cfg.Out) != off)
	}

	day := wantCSV([]int64{t0.UnixMilli()})
	if err := os.WriteFile(cfg.Out, []byte(day), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OneRow || !res.OneRowAt.Equal(t0) || res.Added != 23 {
		t.Errorf("result %+v, want OneRow at %v and 23 added", res, t0)
	}
	res, err = Fetch(context.Background(), cfg)
	if err != nil || res.OneRow {
		t.Errorf("again: %+v, %v; want no OneRow for a file of 24 rows", res, err)
	}
}

// TestFetchRefusesOffGridCandles: a candle whose start is off the period's grid, or not
// a whole second, is an invalid reply naming the candle, counted from 1, and its time;
// nothing is written.
func TestFetchRefusesOffGridCandles(t *testing.T) {
	cases := []struct {
		name  string
		p     time.Duration
		shift func(startMs int64) int64
		want  string
	}{
		{"1s off 30m", 30 * time.Minute, func(s int64) int64 { return s + 1000 },
			"poloniex: candle 3 (counted from 1) of the reply from %s starts at 2024-01-01 " +
				"01:00:01 UTC (1704070801), off the 30m grid (30m candles start at whole " +
				"multiples of 30m from 00:00 UTC): the server sent an invalid reply, so " +
				"nothing was written: check the base URL, or run again later"},
		{"half a second", p5m, func(s int64) int64 { return s + 500 },
			"poloniex: candle 3 (counted from 1) of the reply from %s: startTime " +
				"1704067800500 is not a whole second, as a candle's start is: the server " +
				"sent an invalid reply, so nothing was written"},
	}
	for _, tc := range cases {
		f := newFakeAPI(t, tc.p, 10, nil)
		f.edit = func(s int64, row []any) {
			if s == t0.Add(2*tc.p).UnixMilli() {
				row[fStart] = tc.shift(s)
			}
		}
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		_, err := Fetch(context.Background(), cfg)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		url := f.srv.URL + "/markets/BTC_USDT/candles?"
		at := strings.Index(err.Error(), url)
		if at < 0 {
			t.Errorf("%s: %v does not name the URL", tc.name, err)
			continue
		}
		end := at + len(url) + strings.IndexAny(err.Error()[at+len(url):], " :")
		want := fmt.Sprintf(tc.want, err.Error()[at:end])
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, want)
		}
		if names := dirNames(t, cfg.Out); len(names) != 0 {
			t.Errorf("%s: directory holds %v", tc.name, names)
		}
	}
}
