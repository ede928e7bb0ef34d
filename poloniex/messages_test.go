package poloniex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFetchRefusedConnection: nothing listening at the base URL fails at once, without
// the backoffs (1 + 2 + 4 s here, 31 s by default) meant for passing faults.
func TestFetchRefusedConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // the port is now closed: connections to it are refused
	var sleeps []time.Duration
	f := &fakeAPI{period: p5m, srv: srv}
	cfg := f.config(t, &sleeps)
	cfg.BaseURL = url
	cfg.To = t0.Add(time.Hour)
	_, err := Fetch(context.Background(), cfg)
	host := strings.TrimPrefix(url, "http://")
	want := "poloniex: " + host + " refused the connection: no server is listening there, " +
		"so nothing was written: check the base URL"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	if len(sleeps) != 0 {
		t.Errorf("retried a refused connection: slept %v", sleeps)
	}
	if _, err := os.Stat(cfg.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output written: %v", err)
	}
}

// TestFetchBadReplySaysNothingWritten: a reply cut short, a NaN price and a candle of
// another interval each stop the fetch with a message that numbers candles from 1 and
// says that nothing was written, and the existing file is as it was.
func TestFetchBadReplySaysNothingWritten(t *testing.T) {
	cases := []struct {
		name string
		fail func(n int, w http.ResponseWriter, r *http.Request) bool
		edit func(s int64, row []any)
		want string
	}{
		{"truncated", func(n int, w http.ResponseWriter, r *http.Request) bool {
			fmt.Fprint(w, `[["42000","42004","42001"`)
			return true
		}, nil, "malformed response from "},
		{"NaN close", nil, func(s int64, row []any) {
			if s == t0.Add(3*p5m).UnixMilli() {
				row[fClose] = "NaN"
			}
		}, `candle 4 (counted from 1) of the reply from `},
		{"other interval", nil, func(s int64, row []any) { row[fInterval] = "MINUTE_1" },
			`candle 1 (counted from 1) of the reply from `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, p5m, 10, nil)
			var sleeps []time.Duration
			cfg := f.config(t, &sleeps)
			old := "date,high,low,open,close,volume,quoteVolume,weightedAverage\n" +
				"1704067200,2,1,1,1,1,1,1\n"
			os.WriteFile(cfg.Out, []byte(old), 0o644)
			f.fail, f.edit = tc.fail, tc.edit
			_, err := Fetch(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "so nothing was written") {
				t.Fatalf("error %v, want %q and that nothing was written", err, tc.want)
			}
			if readFile(t, cfg.Out) != old {
				t.Error("the file changed")
			}
		})
	}
}
