package poloniex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFetchPagesForward(t *testing.T) {
	f := newFakeAPI(t, p5m, 1200, nil) // 500 + 500 + 200 candles
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	var progress []int
	cfg.Progress = func(n int, through time.Time) { progress = append(progress, n) }

	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	p := p5m.Milliseconds()
	from, to := t0.UnixMilli(), t0.UnixMilli()+1200*p
	want := [][2]int64{{from, from + 500*p - 1}, {from + 500*p, from + 1000*p - 1}, {from + 1000*p, to - 1}}
	reqs := f.requests()
	if len(reqs) != len(want) {
		t.Fatalf("made %d requests, want %d", len(reqs), len(want))
	}
	for i, q := range reqs {
		got := fmt.Sprintf("%s %s %s %s", q.Get("interval"), q.Get("startTime"), q.Get("endTime"), q.Get("limit"))
		exp := fmt.Sprintf("MINUTE_5 %d %d 500", want[i][0], want[i][1])
		if got != exp {
			t.Errorf("request %d: interval startTime endTime limit = %s, want %s", i, got, exp)
		}
		if f.paths[i] != "/markets/BTC_USDT/candles" {
			t.Errorf("request %d: path %s, want /markets/BTC_USDT/candles", i, f.paths[i])
		}
	}

	if got := readFile(t, cfg.Out); got != wantCSV(f.starts) {
		t.Errorf("file differs from expected; first lines:\n%.300s", got)
	}
	wantRes := Result{Fetched: 1200, Added: 1200, First: t0, Last: t0.Add(1199 * p5m)}
	if res != wantRes {
		t.Errorf("result %+v, want %+v", res, wantRes)
	}
	if !slices.Equal(progress, []int{500, 1000, 1200}) {
		t.Errorf("progress %v, want [500 1000 1200]", progress)
	}
	if len(sleeps) != 0 {
		t.Errorf("slept %v without any failure", sleeps)
	}
}

func TestFetchUnalignedRange(t *testing.T) {
	// From and To inside candles: the first window starts at From's candle,
	// and only candles starting in [From, To) are kept.
	f := newFakeAPI(t, time.Hour, 48, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.From = t0.Add(90 * time.Minute)
	cfg.To = t0.Add(5*time.Hour + time.Minute)

	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.requests()[0]; q.Get("startTime") != strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10) {
		t.Errorf("startTime %s, want the start of From's candle", q.Get("startTime"))
	}
	if got, want := readFile(t, cfg.Out), wantCSV(f.starts[2:6]); got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	if res.Fetched != 4 || !res.First.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("result %+v, want 4 candles from 02:00", res)
	}
}

func TestFetchEmptyPageInMiddle(t *testing.T) {
	// Nothing traded in the second window: paging must go on to the third.
	f := newFakeAPI(t, p5m, 1500, func(i int) bool { return i < 500 || i >= 1000 })
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.To = t0.Add(1500 * p5m)

	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("made %d requests, want 3", n)
	}
	if res.Fetched != 1000 || res.Added != 1000 {
		t.Errorf("result %+v, want 1000 fetched and added", res)
	}
	if got := readFile(t, cfg.Out); got != wantCSV(f.starts) {
		t.Errorf("file differs from expected")
	}
}

func TestFetchErrorObject(t *testing.T) {
	f := newFakeAPI(t, p5m, 10, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.Pair = "DOGE_NOPE"

	_, err := Fetch(context.Background(), cfg)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 24101 || apiErr.Message != "Invalid symbol" ||
		apiErr.Status != 400 {
		t.Fatalf("error %v, want APIError 24101 Invalid symbol (status 400)", err)
	}
	if n := len(f.requests()); n != 1 || len(sleeps) != 0 {
		t.Errorf("made %d requests and slept %v; a permanent error must not be retried", n, sleeps)
	}
	if _, err := os.Stat(cfg.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output file exists after an error: %v", err)
	}
}

func TestFetchTransientErrorObject(t *testing.T) {
	// 24201 Service busy arrives with status 200 and is retried.
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			fmt.Fprint(w, `{"code":"24201","message":"Service busy. Try again later"}`)
			return true
		}
		return false
	}
	var sleeps []time.Duration
	if _, err := Fetch(context.Background(), f.config(t, &sleeps)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sleeps, []time.Duration{time.Second}) {
		t.Errorf("sleeps %v, want [1s]", sleeps)
	}
}

func TestFetchHTML(t *testing.T) {
	const page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
	for _, status := range []int{http.StatusOK, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newFakeAPI(t, p5m, 10, nil)
			f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(status)
				fmt.Fprint(w, page)
				return true
			}
			var sleeps []time.Duration
			cfg := f.config(t, &sleeps)
			_, err := Fetch(context.Background(), cfg)

			want := fmt.Sprintf("unexpected HTML response (status %d) from URL: %s/markets/BTC_USDT/candles?",
				status, f.srv.URL)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to contain %q", err, want)
			}
			// A 200 page is a wrong URL: fail at once. A 5xx page is a
			// gateway fault: retry, then fail with the same message.
			wantReqs := 1
			if status >= 500 {
				wantReqs = cfg.MaxRetries + 1
			}
			if n := len(f.requests()); n != wantReqs {
				t.Errorf("made %d requests, want %d", n, wantReqs)
			}
		})
	}
}

func TestFetchRateLimited(t *testing.T) {
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch n {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			return false
		}
		return true
	}
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Exponential without Retry-After (1 s, then 4 s at the third try),
	// exactly Retry-After when given.
	want := []time.Duration{time.Second, 7 * time.Second, 4 * time.Second}
	if !slices.Equal(sleeps, want) {
		t.Errorf("sleeps %v, want %v", sleeps, want)
	}
	if res.Fetched != 10 || readFile(t, cfg.Out) != wantCSV(f.starts) {
		t.Errorf("result %+v or file wrong after retries", res)
	}
}

func TestFetchRetryAfterTooLong(t *testing.T) {
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	var sleeps []time.Duration
	_, err := Fetch(context.Background(), f.config(t, &sleeps))
	if err == nil || !strings.Contains(err.Error(), "server asks to wait 1h0m0s") {
		t.Fatalf("error %v, want a refusal to wait an hour", err)
	}
	if len(sleeps) != 0 {
		t.Errorf("slept %v", sleeps)
	}
}

func TestFetchDroppedConnection(t *testing.T) {
	f := newFakeAPI(t, p5m, 700, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 1 { // drop the second page's first try
			return false
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		conn.Close()
		return true
	}
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	res, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sleeps, []time.Duration{time.Second}) {
		t.Errorf("sleeps %v, want [1s]", sleeps)
	}
	reqs := f.requests()
	if len(reqs) != 3 || reqs[1].Get("startTime") != reqs[2].Get("startTime") {
		t.Errorf("requests %v, want the dropped page asked again", reqs)
	}
	if res.Fetched != 700 || readFile(t, cfg.Out) != wantCSV(f.starts) {
		t.Errorf("result %+v or file wrong after a dropped connection", res)
	}
}

func TestFetchTimeout(t *testing.T) {
	// The first request hangs until the client's timeout gives up on it.
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return true
		}
		return false
	}
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.Client.Timeout = 500 * time.Millisecond
	if _, err := Fetch(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// A loaded machine may time out a later try too; the first must retry.
	if len(sleeps) < 1 || sleeps[0] != time.Second {
		t.Errorf("sleeps %v, want a retry after the timeout", sleeps)
	}
}

func TestFetchRetriesExhausted(t *testing.T) {
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "upstream unavailable")
		return true
	}
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	_, err := Fetch(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts, so nothing was written") ||
		!strings.Contains(err.Error(), "status 503") {
		t.Fatalf("error %v, want giving up after 4 attempts with status 503", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if !slices.Equal(sleeps, want) {
		t.Errorf("sleeps %v, want %v", sleeps, want)
	}
	if n := len(f.requests()); n != 4 {
		t.Errorf("made %d requests, want 4", n)
	}
}

func TestFetchNoRetries(t *testing.T) {
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	}
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.MaxRetries = -1
	_, err := Fetch(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "giving up after 1 attempt, so nothing") {
		t.Fatalf("error %v, want giving up after 1 attempt", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("made %d requests with MaxRetries -1, want 1", n)
	}
}

func TestFetchAppendsToExisting(t *testing.T) {
	f := newFakeAPI(t, p5m, 1200, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)

	// First run: the first 600 candles.
	first := cfg
	first.To = t0.Add(600 * p5m)
	if _, err := Fetch(context.Background(), first); err != nil {
		t.Fatal(err)
	}

	// Second run overlaps by 300 candles; the newest old candle was revised.
	revised := t0.Add(599 * p5m).UnixMilli()
	open, _ := strconv.ParseFloat(prices(revised)[2], 64)
	newClose := strconv.FormatFloat(open+3.5, 'f', -1, 64) // inside [low, high] = [open-3, open+4]
	f.revise = func(s int64, cl string) string {
		if s == revised {
			return newClose
		}
		return cl
	}
	second := cfg
	second.From = t0.Add(300 * p5m)
	res, err := Fetch(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fetched != 900 || res.Added != 600 || res.Existing != 299 || res.Updated != 1 {
		t.Errorf("result %+v, want 900 fetched, 600 added, 299 existing, 1 updated", res)
	}

	want := wantCSV(f.starts)
	old := prices(revised)
	line := fmt.Sprintf("%d,%s,%s,%s,%s,", revised/1000, old[1], old[0], old[2], old[3])
	want = strings.Replace(want, line, strings.TrimSuffix(line, old[3]+",")+newClose+",", 1)
	if got := readFile(t, cfg.Out); got != want {
		t.Errorf("merged file differs from expected")
	}

	// A third identical run changes nothing and leaves the file alone.
	st1, _ := os.Stat(cfg.Out)
	res, err = Fetch(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(cfg.Out)
	if res.Added != 0 || res.Updated != 0 || res.Existing != 900 || !os.SameFile(st1, st2) {
		t.Errorf("repeat run: result %+v, same file %v; want nothing changed", res, os.SameFile(st1, st2))
	}
}

func TestFetchKeepsForeignLayout(t *testing.T) {
	// An existing file with its columns in another order, quoted header and
	// CRLF endings is read, and its rows are kept with their own text.
	f := newFakeAPI(t, p5m, 4, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	old := "\"volume\",\"quoteVolume\",\"high\",\"low\",\"date\",\"close\",\"weightedAverage\",\"open\"\r\n" +
		"0.999999,0.0044,225,225,1424372400,225,225,225\r\n"
	if err := os.WriteFile(cfg.Out, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(wantCSV(f.starts), "\n", "\n1424372400,225,225,225,225,0.999999,0.0044,225\n", 1)
	if got := readFile(t, cfg.Out); got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	if st, _ := os.Stat(cfg.Out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600", st.Mode().Perm())
	}
}

func TestFetchAtomicWrite(t *testing.T) {
	f := newFakeAPI(t, p5m, 700, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)

	if _, err := Fetch(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, cfg.Out); !slices.Equal(names, []string{"usdt_btc.csv"}) {
		t.Errorf("directory holds %v, want only usdt_btc.csv", names)
	}
	if st, _ := os.Stat(cfg.Out); st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", st.Mode().Perm())
	}

	// A later run that fails on its second page leaves the file as it was.
	before := readFile(t, cfg.Out)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n < 3 {
			return false
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":24103,"message":"Invalid endTime"}`)
		return true
	}
	again := cfg
	again.To = t0.Add(1400 * p5m)
	if _, err := Fetch(context.Background(), again); err == nil {
		t.Fatal("no error from a failing run")
	}
	if readFile(t, cfg.Out) != before {
		t.Error("a failed run changed the existing file")
	}
	if names := dirNames(t, cfg.Out); !slices.Equal(names, []string{"usdt_btc.csv"}) {
		t.Errorf("directory holds %v after a failed run", names)
	}
}

func TestFetchWriteFailsCleanly(t *testing.T) {
	// Out in a directory that does not exist: the error names the problem
	// and nothing is left behind.
	f := newFakeAPI(t, p5m, 4, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	cfg.Out = cfg.Out + ".d/missing/out.csv"
	if _, err := Fetch(context.Background(), cfg); err == nil {
		t.Fatal("no error writing into a missing directory")
	}
}

func TestFetchBadExistingFile(t *testing.T) {
	f := newFakeAPI(t, p5m, 4, nil)
	var sleeps []time.Duration
	cfg := f.config(t, &sleeps)
	bad := "date,high,low,open,close,volume,quoteVolume\n1,2,3,4,5,6,7\n"
	os.WriteFile(cfg.Out, []byte(bad), 0o644)
	_, err := Fetch(context.Background(), cfg)
	want := `missing column "weightedAverage" (a file to extend must have the columns ` +
		`date,high,low,open,close,volume,quoteVolume,weightedAverage, as fetch writes them): ` +
		`give a new file name`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if len(f.requests()) != 0 {
		t.Error("fetched before checking the existing file")
	}
	if readFile(t, cfg.Out) != bad {
		t.Error("bad existing file was changed")
	}
}

func TestFetchCancel(t *testing.T) {
	t.Run("between pages", func(t *testing.T) {
		f := newFakeAPI(t, p5m, 1200, nil)
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg.Progress = func(int, time.Time) { cancel() }

		_, err := Fetch(ctx, cfg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if n := len(f.requests()); n > 2 {
			t.Errorf("made %d requests after cancel", n)
		}
		if _, err := os.Stat(cfg.Out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("output written after cancel: %v", err)
		}
	})

	t.Run("during backoff", func(t *testing.T) {
		f := newFakeAPI(t, p5m, 10, nil)
		f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg.Sleep = func(time.Duration) { cancel() }
		if _, err := Fetch(ctx, cfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("made %d requests, want 1", n)
		}
	})

	t.Run("default sleep", func(t *testing.T) {
		// Without an injected Sleep the backoff timer yields to ctx.
		f := newFakeAPI(t, p5m, 10, nil)
		f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Retry-After", "300")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		cfg.Sleep = nil
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := Fetch(ctx, cfg); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("cancel took %v", d)
		}
	})
}

func TestFetchValidates(t *testing.T) {
	// Every case must fail before any request; the server says if one came.
	f := newFakeAPI(t, p5m, 10, nil)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		t.Errorf("request sent for an invalid config: %s", r.URL)
		return false
	}
	good := Config{BaseURL: f.srv.URL, Pair: "USDT_BTC", Period: p5m, From: t0, To: t0.Add(time.Hour),
		Out: filepath.Join(t.TempDir(), "x.csv")}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no pair", func(c *Config) { c.Pair = " " }, "no pair"},
		{"bad pair", func(c *Config) { c.Pair = "BTCUSDT" }, "not of the form"},
		{"bad period", func(c *Config) { c.Period = 7 * time.Minute }, "no 7m0s candles"},
		{"from after to", func(c *Config) { c.From = c.To.Add(time.Hour) },
			"From 2024-01-01 02:00:00 UTC is not before To 2024-01-01 01:00:00 UTC"},
		{"from equals to", func(c *Config) { c.From = c.To }, "is not before To"},
		{"zero from", func(c *Config) { c.From = time.Time{} }, "need From and To"},
		// Before 1970 the request's startTime would be negative.
		{"from before 1970", func(c *Config) { c.From = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) },
			"From 1960-01-01 00:00:00 UTC is before 1970-01-01"},
		{"from just before 1970", func(c *Config) { c.From = time.Unix(-1, 0) }, "is before 1970-01-01"},
		{"no out", func(c *Config) { c.Out = "" }, "no output file"},
		{"bad url", func(c *Config) { c.BaseURL = "ftp://example.invalid" }, "not an http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := Fetch(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFetchRejectsInvalidCandles(t *testing.T) {
	// Candle 3 of 10 (00:15 UTC; open 42593, low 42590, high 42597) is broken in one
	// way per case. Fetch must fail naming the candle's start, the field and the value,
	// and leave no file behind.
	bad := t0.Add(3 * p5m).UnixMilli()
	at := "candle at 2024-01-01 00:15 UTC (1704068100) from "
	cases := []struct {
		name string
		edit func(row []any)
		want string
	}{
		{"negative close", func(r []any) { r[fClose] = "-1" }, "close -1 is not above 0"},
		{"zero open", func(r []any) { r[fOpen] = "0" }, "open 0 is not above 0"},
		{"high below low", func(r []any) { r[fLow], r[fHigh] = r[fHigh], r[fLow] }, "high 42590 is below low 42597"},
		{"close above high", func(r []any) { r[fClose] = "42598" }, "close 42598 is above high 42597"},
		{"open below low", func(r []any) { r[fOpen] = "42589.5" }, "open 42589.5 is below low 42590"},
		{"absurd close", func(r []any) { r[fHigh], r[fClose] = "1e308", "1e308" }, "high 1e+308 is above 1e12, the largest price accepted"},
		{"tiny low", func(r []any) { r[fLow] = "1e-300" }, "low 1e-300 is below 1e-8, the smallest price accepted"},
		{"negative volume", func(r []any) { r[fAmount] = "-5" }, "volume -5 is negative"},
		{"negative quantity", func(r []any) { r[fQuantity] = "-0.1" }, "quoteVolume -0.1 is negative"},
		{"negative average", func(r []any) { r[fWeighted] = "-2" }, "weightedAverage -2 is negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, p5m, 10, nil)
			f.edit = func(s int64, row []any) {
				if s == bad {
					tc.edit(row)
				}
			}
			var sleeps []time.Duration
			cfg := f.config(t, &sleeps)
			_, err := Fetch(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), at) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("error %v, want %q and %q", err, at, tc.want)
			}
			if names := dirNames(t, cfg.Out); len(names) != 0 {
				t.Errorf("directory holds %v after an invalid reply", names)
			}
			if len(sleeps) != 0 {
				t.Errorf("retried an invalid candle: slept %v", sleeps)
			}
		})
	}

	t.Run("not plain decimal", func(t *testing.T) {
		f := newFakeAPI(t, p5m, 10, nil)
		f.edit = func(s int64, row []any) { row[fClose] = "0x1p3" }
		var sleeps []time.Duration
		_, err := Fetch(context.Background(), f.config(t, &sleeps))
		if err == nil || !strings.Contains(err.Error(), `close: "0x1p3" is not a number`) {
			t.Fatalf("error %v, want close not a number", err)
		}
	})

	t.Run("existing file unchanged", func(t *testing.T) {
		f := newFakeAPI(t, p5m, 10, nil)
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		first := cfg
		first.To = t0.Add(3 * p5m)
		if _, err := Fetch(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		before := readFile(t, cfg.Out)
		f.edit = func(s int64, row []any) {
			if s == bad {
				row[fClose] = "-1"
			}
		}
		if _, err := Fetch(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), at+f.srv.URL) {
			t.Fatalf("error %v, want %q", err, at)
		}
		if readFile(t, cfg.Out) != before {
			t.Error("an invalid reply changed the existing file")
		}
	})

	t.Run("invalid row in existing file", func(t *testing.T) {
		f := newFakeAPI(t, p5m, 4, nil)
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		old := "date,high,low,open,close,volume,quoteVolume,weightedAverage\n1424372400,225,226,225,225,1,0.0044,225\n"
		os.WriteFile(cfg.Out, []byte(old), 0o644)
		_, err := Fetch(context.Background(), cfg)
		want := "poloniex: reading existing " + cfg.Out + ": line 2: high 225 is below low 226: fix or remove the row, or give a new file name"
		if err == nil || err.Error() != want {
			t.Fatalf("error:\n got %v\nwant %s", err, want)
		}
		if len(f.requests()) != 0 || readFile(t, cfg.Out) != old {
			t.Error("fetched or changed the file despite an invalid existing row")
		}
	})
}

func TestFetchDuplicateCandles(t *testing.T) {
	// The server repeats the candle at 00:15 within one reply.
	dup := t0.Add(3 * p5m).UnixMilli()
	newDup := func(t *testing.T) *fakeAPI {
		f := newFakeAPI(t, p5m, 10, nil)
		f.starts = append(f.starts, dup)
		slices.Sort(f.starts)
		return f
	}

	t.Run("same values kept once", func(t *testing.T) {
		f := newDup(t)
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		cfg.To = t0.Add(10 * p5m)
		res, err := Fetch(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, cfg.Out), wantCSV(slices.Compact(slices.Clone(f.starts))); got != want || res.Fetched != 10 {
			t.Errorf("fetched %d; file:\n%s\nwant:\n%s", res.Fetched, got, want)
		}
	})

	t.Run("different values are an error", func(t *testing.T) {
		f := newDup(t)
		served := 0
		f.revise = func(s int64, cl string) string {
			if s != dup {
				return cl
			}
			served++
			if served == 2 {
				x, _ := strconv.ParseFloat(cl, 64)
				return strconv.FormatFloat(x+1, 'f', -1, 64)
			}
			return cl
		}
		var sleeps []time.Duration
		cfg := f.config(t, &sleeps)
		cfg.To = t0.Add(10 * p5m)
		_, err := Fetch(context.Background(), cfg)
		want := "poloniex: the server sent two different candles at 2024-01-01 00:15 UTC (1704068100), so nothing was written: run again later"
		if err == nil || err.Error() != want {
			t.Fatalf("error:\n got %v\nwant %s", err, want)
		}
		if names := dirNames(t, cfg.Out); len(names) != 0 {
			t.Errorf("directory holds %v after conflicting candles", names)
		}
	})
}
