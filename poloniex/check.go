package poloniex

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/seqnn/seqnn/data"
)

// parseDecimal parses a price or volume as the text Fetch copies into Out: plain decimal
// notation only, so that the data reader, which refuses "NaN", "Inf", hex floats and
// digit separators, reads back what was written.
func parseDecimal(s string) (float64, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return x, nil
}

// check applies the data reader's candle rules (data.CheckCandle: prices finite and in
// [data.MinPrice, data.MaxPrice], low <= open, close <= high, volume finite and >= 0) to
// c, with volume the USDT amount, and requires quoteVolume and weightedAverage to be
// >= 0 too. The message names the field and its value, e.g. "close -1 is not above 0".
func (c candle) check() error {
	var v [len(c.vals)]float64
	for k, s := range c.vals {
		x, err := parseDecimal(s)
		if err != nil {
			return fmt.Errorf("%s: %w", header[k+1], err)
		}
		v[k] = x
	}
	err := data.CheckCandle(data.Candle{Time: c.date, High: v[0], Low: v[1], Open: v[2], Close: v[3], Volume: v[4]})
	if err != nil {
		return err
	}
	for k := 5; k < len(v); k++ {
		if v[k] < 0 {
			return fmt.Errorf("%s %s is negative", header[k+1], c.vals[k])
		}
	}
	return nil
}

// when names a candle start for messages: "2024-01-01 00:05 UTC (1704067500)".
func when(date int64) string {
	return fmt.Sprintf("%s UTC (%d)", time.Unix(date, 0).UTC().Format("2006-01-02 15:04"), date)
}

// stamp writes a time for messages, UTC to the second: "2024-01-01 00:05:00 UTC".
func stamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}
