package poloniex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the start of every test series: 2024-01-01 00:00 UTC.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const p5m = 5 * time.Minute

// fakeAPI serves /markets/BTC_USDT/candles on loopback in the shape of the
// real API: 14-field arrays, prices as strings, times as numbers.
type fakeAPI struct {
	t      *testing.T
	period time.Duration
	starts []int64 // candle starts present, ms, sorted

	// fail, if set, may answer request n (0-based) itself and return true.
	fail func(n int, w http.ResponseWriter, r *http.Request) bool
	// revise, if set, changes a candle's close before it is served.
	revise func(startMs int64, close string) string
	// edit, if set, changes the 14 fields of a candle before it is served.
	edit func(startMs int64, row []any)

	mu    sync.Mutex
	reqs  []url.Values
	paths []string
	srv   *httptest.Server
}

// newFakeAPI serves candles at t0 + i·period for every i in [0, n) for
// which keep(i) is true (keep nil keeps all).
func newFakeAPI(t *testing.T, period time.Duration, n int, keep func(i int) bool) *fakeAPI {
	f := &fakeAPI{t: t, period: period}
	for i := range n {
		if keep == nil || keep(i) {
			f.starts = append(f.starts, t0.Add(time.Duration(i)*period).UnixMilli())
		}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, r.URL.Query())
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	if f.fail != nil && f.fail(n, w, r) {
		return
	}

	if r.URL.Path != "/markets/BTC_USDT/candles" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":24101,"message":"Invalid symbol"}`)
		return
	}
	q := r.URL.Query()
	interval, _ := intervalName(f.period)
	lo, err1 := strconv.ParseInt(q.Get("startTime"), 10, 64)
	hi, err2 := strconv.ParseInt(q.Get("endTime"), 10, 64)
	limit, err3 := strconv.Atoi(q.Get("limit"))
	if q.Get("interval") != interval || err1 != nil || err2 != nil || err3 != nil || limit > 500 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":601,"message":"Invalid Parameter"}`)
		return
	}
	if slots := (hi-lo)/f.period.Milliseconds() + 1; slots > int64(limit) {
		f.t.Errorf("window [%d, %d] holds %d candle starts, more than limit %d", lo, hi, slots, limit)
	}

	rows := []any{}
	for _, s := range f.starts {
		if s >= lo && s <= hi && len(rows) < limit {
			rows = append(rows, f.row(s, interval))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rows)
}

// prices returns the made-up candle at start ms as decimal strings:
// low, high, open, close, amount (USDT), quantity (BTC), weightedAverage.
func prices(startMs int64) [7]string {
	k := startMs / 60000 % 997
	open := 42000 + float64(k)
	cl := open + 2.5
	qty := 0.125 + float64(k%7)/1000
	wavg := open + 1.25
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	return [7]string{f(open - 3), f(open + 4), f(open), f(cl), f(qty * wavg), f(qty), f(wavg)}
}

func (f *fakeAPI) row(s int64, interval string) []any {
	v := prices(s)
	if f.revise != nil {
		v[3] = f.revise(s, v[3])
	}
	p := f.period.Milliseconds()
	row := []any{v[0], v[1], v[2], v[3], v[4], v[5], "1.0", "0.02", 17, s + p + 1234,
		v[6], interval, s, s + p - 1}
	if f.edit != nil {
		f.edit(s, row)
	}
	return row
}

// wantCSV is the file Fetch should write for candle starts ms.
func wantCSV(starts []int64) string {
	var b strings.Builder
	b.WriteString("date,high,low,open,close,volume,quoteVolume,weightedAverage\n")
	for _, s := range starts {
		v := prices(s)
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s,%s,%s\n", s/1000, v[1], v[0], v[2], v[3], v[4], v[5], v[6])
	}
	return b.String()
}

func (f *fakeAPI) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// config returns a Config for this server writing to a fresh directory,
// with a client that never reuses connections, so that every transport
// failure reaches Fetch's own retry logic, and a Sleep that records.
func (f *fakeAPI) config(t *testing.T, sleeps *[]time.Duration) Config {
	return Config{
		BaseURL:    f.srv.URL,
		Pair:       "USDT_BTC",
		Period:     f.period,
		From:       t0,
		To:         t0.Add(time.Duration(len(f.starts)) * f.period),
		Out:        filepath.Join(t.TempDir(), "usdt_btc.csv"),
		Client:     &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second},
		MaxRetries: 3,
		Sleep:      func(d time.Duration) { *sleeps = append(*sleeps, d) },
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirNames lists the names in the directory of path.
func dirNames(t *testing.T, path string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
