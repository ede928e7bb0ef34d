package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFetchRefusesOtherPeriod: a fetch whose --period differs from the candles already
// in --out is refused naming the file, the spacing found and the fix, and writes
// nothing: a file never ends up holding candles of two lengths.
func TestFetchRefusesOtherPeriod(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.csv")
	fetch := func(period string) (int, string, string, int) {
		d, _ := time.ParseDuration(strings.Replace(period, "1d", "24h", 1))
		srv, requests := fakePoloniex(t, d)
		code, stdout, stderr := runDemo("fetch", "--period", period, "--from", "2024-01-01",
			"--to", "2024-01-02", "--out", out, "--base-url", srv.URL)
		return code, stdout, stderr, *requests
	}
	if code, _, stderr, _ := fetch("30m"); code != exitOK {
		t.Fatalf("first fetch: exit %d: %s", code, stderr)
	}
	before, _ := os.ReadFile(out)

	cases := []struct{ period, want string }{
		{"5m", "fetch USDT_BTC 5m: " + out + " holds 30m candles (its rows are 30m apart, " +
			"or a multiple of that), not 5m: adding 5m candles would mix candle lengths in " +
			"one file; nothing written (give --out a new file, or --period 30m)"},
		{"1h", "fetch USDT_BTC 1h: " + out + " has two rows 30m apart, after 2024-01-01 " +
			"00:00 UTC (1704067200), not a whole number of 1h candles, so it holds candles of another " +
			"length: nothing written (give --out a new file, or the --period of its candles)"},
	}
	for _, c := range cases {
		code, stdout, stderr, requests := fetch(c.period)
		if code != exitError || lastLine(stderr) != c.want {
			t.Errorf("--period %s: exit %d, stderr %q;\nwant exit 1 and %q", c.period, code,
				stderr, c.want)
		}
		if strings.Contains(stdout, "fetched") || requests != 0 {
			t.Errorf("--period %s: %d requests, stdout %q; want none", c.period, requests,
				stdout)
		}
		if after, _ := os.ReadFile(out); string(after) != string(before) {
			t.Errorf("--period %s changed %s", c.period, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}

	// The same period extends the file.
	code, stdout, stderr, _ := fetch("30m")
	if code != exitOK || !strings.Contains(stdout, "0 added, 0 updated, 48 already there") {
		t.Errorf("same period again: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestFetchDates: dates before 1970 and a --from not before --to are command-line
// errors naming the flag, found before any request.
func TestFetchDates(t *testing.T) {
	srv, requests := fakePoloniex(t, 30*time.Minute)
	out := filepath.Join(t.TempDir(), "btc.csv")
	for _, c := range []struct {
		from, to, want string
	}{
		{"1960-01-01", "2024-01-01", "demo fetch: --from 1960-01-01: before 1970-01-01, " +
			"where Unix time begins; Poloniex's candles start years later (the shipped " +
			"USDT_BTC ones on 2015-02-19): give a later date"},
		{"1969-12-31T23:59:59Z", "", "demo fetch: --from 1969-12-31T23:59:59Z: before 1970-01-01"},
		{"2024-01-01", "1969-07-20", "demo fetch: --to 1969-07-20: before 1970-01-01"},
		{"2024-01-02", "2024-01-01", "demo fetch: --from 2024-01-02 is not before --to " +
			"2024-01-01: give a --from before --to (--to is exclusive)"},
		{"2024-01-01", "2024-01-01", "demo fetch: --from 2024-01-01 is not before --to 2024-01-01"},
		{"2200-01-01", "", "demo fetch: --from 2200-01-01 is not before now ("},
	} {
		args := []string{"fetch", "--from", c.from, "--out", out, "--base-url", srv.URL}
		if c.to != "" {
			args = append(args, "--to", c.to)
		}
		code, _, stderr := runDemo(args...)
		if code != exitUsage || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("--from %s --to %s: exit %d, stderr %q; want exit 2 and %q", c.from,
				c.to, code, stderr, c.want)
		}
	}
	if *requests != 0 {
		t.Errorf("%d requests sent for bad dates", *requests)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a file was written")
	}
}

// TestFetchMessages: a refused connection fails at once, without retries; a bad reply
// numbers its candles from 1 and says nothing was written; an existing file of another
// layout is refused with the fix.
func TestFetchMessages(t *testing.T) {
	defer func(s func(context.Context, time.Duration)) { fetchSleep = s }(fetchSleep)
	slept := 0
	fetchSleep = func(context.Context, time.Duration) { slept++ }
	dir := t.TempDir()
	out := filepath.Join(dir, "btc.csv")
	fetch := func(url string) (int, string) {
		code, _, stderr := runDemo("fetch", "--from", "2024-01-01", "--to", "2024-01-02",
			"--out", out, "--base-url", url)
		return code, stderr
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	start := time.Now()
	code, stderr := fetch(closed.URL)
	host := strings.TrimPrefix(closed.URL, "http://")
	want := "fetch USDT_BTC 30m: poloniex: " + host + " refused the connection: no server " +
		"is listening there, so nothing was written: check the base URL ("
	if code != exitError || !strings.HasPrefix(lastLine(stderr), want) || slept != 0 ||
		strings.Contains(stderr, "retrying") {
		t.Errorf("refused: exit %d, %d retries, stderr %q; want exit 1, no retry, %q", code,
			slept, stderr, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refused connection took %v", d)
	}

	nan := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[["100","100","100","NaN","10","0.1","5","0.05",3,0,"100",`+
			`"MINUTE_30",1704067200000,1704068999999]]`)
	}))
	defer nan.Close()
	code, stderr = fetch(nan.URL)
	for _, w := range []string{"poloniex: candle 1 (counted from 1) of the reply from ",
		`close: "NaN" is not a number: the server sent an invalid reply, so nothing was ` +
			"written"} {
		if code != exitError || !strings.Contains(stderr, w) {
			t.Errorf("NaN reply: exit %d, stderr %q; want %q", code, stderr, w)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}

	old := "date,high,low,open,close,volume,weightedAverage\n1704067200,1,1,1,1,1,1\n"
	os.WriteFile(out, []byte(old), 0o644)
	code, stderr = fetch(nan.URL)
	want = "fetch USDT_BTC 30m: poloniex: reading existing " + out + `: missing column ` +
		`"quoteVolume" (a file to extend must have the columns date,high,low,open,close,` +
		`volume,quoteVolume,weightedAverage, as fetch writes them): give a new file name`
	if code != exitError || lastLine(stderr) != want {
		t.Errorf("foreign file: exit %d, stderr %q; want %q", code, stderr, want)
	}
	if b, _ := os.ReadFile(out); string(b) != old {
		t.Error("the foreign file changed")
	}
}

// TestFetchOneRowFile: a file of one candle cannot show its length, so it is never
// extended silently. One 1d candle at midnight takes 1h candles with a warning on
// stderr; one whose start is off the 1h grid is refused, the file unchanged.
func TestFetchOneRowFile(t *testing.T) {
	srv, requests := fakePoloniex(t, time.Hour)
	out := filepath.Join(t.TempDir(), "d.csv")
	fetch := func() (int, string, string) {
		return runDemo("fetch", "--period", "1h", "--from", "2024-01-01", "--to",
			"2024-01-02", "--out", out, "--base-url", srv.URL)
	}
	header := "date,high,low,open,close,volume,quoteVolume,weightedAverage\n"

	off := header + "1704069000,101,99,100,100.5,10,0.1,100\n" // 00:30
	os.WriteFile(out, []byte(off), 0o644)
	code, stdout, stderr := fetch()
	want := "fetch USDT_BTC 1h: " + out + " has a row at 2024-01-01 00:30:00 UTC " +
		"(1704069000), which is not the start of a 1h candle (1h candles start at whole " +
		"multiples of 1h from 00:00 UTC), so it holds candles of another length or grid: " +
		"nothing written (give --out a new file, or the --period of its candles)"
	if code != exitError || lastLine(stderr) != want || *requests != 0 {
		t.Errorf("off the grid: exit %d, %d requests, stderr %q;\nwant exit 1, none, %q",
			code, *requests, stderr, want)
	}
	if b, _ := os.ReadFile(out); string(b) != off || strings.Contains(stdout, "fetched") {
		t.Errorf("off the grid: file changed or stdout %q", stdout)
	}

	os.WriteFile(out, []byte(header+"1704067200,101,99,100,100.5,10,0.1,100\n"), 0o644)
	code, stdout, stderr = fetch()
	want = "demo fetch: warning: " + out + " held a single row (2024-01-01 00:00 UTC), and " +
		"one row cannot show its candle length; if it was not a 1h candle, " + out +
		" now mixes candle lengths: then fetch into a new --out"
	if code != exitOK || !strings.Contains(stderr, want+"\n") ||
		!strings.Contains(stdout, "23 added, 1 updated") {
		t.Errorf("one row on the grid: exit %d, stdout %q, stderr %q;\nwant the warning %q",
			code, stdout, stderr, want)
	}
	if code, _, stderr = fetch(); strings.Contains(stderr, "warning") {
		t.Errorf("24 rows: exit %d, stderr %q; want no warning", code, stderr)
	}
}

// TestFetchOffGridReply: a candle off the --period grid in the server's reply is
// refused, naming the candle counted from 1 and its time; nothing is written.
func TestFetchOffGridReply(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[["100","100","100","100","10","0.1","5","0.05",3,0,"100",`+
			`"MINUTE_30",1498867200000,1498868999999],`+
			`["100","100","100","100","10","0.1","5","0.05",3,0,"100",`+
			`"MINUTE_30",1498867201000,1498869000999]]`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "btc.csv")
	code, stdout, stderr := runDemo("fetch", "--period", "30m", "--from", "2017-07-01",
		"--to", "2017-07-02", "--out", out, "--base-url", srv.URL)
	for _, w := range []string{"fetch USDT_BTC 30m: poloniex: candle 2 (counted from 1) of " +
		"the reply from " + srv.URL + "/markets/BTC_USDT/candles?",
		" starts at 2017-07-01 00:00:01 UTC (1498867201), off the 30m grid (30m candles " +
			"start at whole multiples of 30m from 00:00 UTC): the server sent an invalid " +
			"reply, so nothing was written"} {
		if code != exitError || !strings.Contains(lastLine(stderr), w) {
			t.Errorf("exit %d, stderr %q; want %q", code, stderr, w)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 || strings.Contains(stdout, "fetched") {
		t.Errorf("files left behind: %v; stdout %q", entries, stdout)
	}
}
