package poloniex_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/seqnn/seqnn/poloniex"
)

func ExampleFetch() {
	// A stand-in for api.poloniex.com on loopback, serving one 30-min candle.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[["42001","42070.5","42060","42002.75","1683.2041","0.04","840.1","0.02",`+
			`31,1704067512345,"42080.1025","MINUTE_30",1704067200000,1704068999999]]`)
	}))
	defer srv.Close()

	dir, _ := os.MkdirTemp("", "poloniex")
	defer os.RemoveAll(dir)
	period, _ := poloniex.ParsePeriod("30m")
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := poloniex.Fetch(context.Background(), poloniex.Config{
		BaseURL: srv.URL,
		Pair:    "USDT_BTC",
		Period:  period,
		From:    from,
		To:      from.Add(time.Hour),
		Out:     filepath.Join(dir, "usdt_btc_30m.csv"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := os.ReadFile(filepath.Join(dir, "usdt_btc_30m.csv"))
	fmt.Printf("fetched %d, added %d, first %s\n%s", res.Fetched, res.Added, res.First.Format(time.RFC3339), out)
	// Output:
	// fetched 1, added 1, first 2024-01-01T00:00:00Z
	// date,high,low,open,close,volume,quoteVolume,weightedAverage
	// 1704067200,42070.5,42001,42060,42002.75,1683.2041,0.04,42080.1025
}
