package poloniex

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// intervals lists the candle lengths Fetch can ask for, shortest first, with
// the API's name and our short name for each. MONTH_1 is left out because a
// month has no fixed length.
var intervals = []struct {
	period time.Duration
	name   string // API interval parameter
	short  string // ParsePeriod spelling
}{
	{time.Minute, "MINUTE_1", "1m"},
	{5 * time.Minute, "MINUTE_5", "5m"},
	{10 * time.Minute, "MINUTE_10", "10m"},
	{15 * time.Minute, "MINUTE_15", "15m"},
	{30 * time.Minute, "MINUTE_30", "30m"},
	{time.Hour, "HOUR_1", "1h"},
	{2 * time.Hour, "HOUR_2", "2h"},
	{4 * time.Hour, "HOUR_4", "4h"},
	{6 * time.Hour, "HOUR_6", "6h"},
	{12 * time.Hour, "HOUR_12", "12h"},
	{day, "DAY_1", "1d"},
	{3 * day, "DAY_3", "3d"},
	{7 * day, "WEEK_1", "1w"},
}

// ParsePeriod turns a candle length into a time.Duration. It accepts our
// short names (1m 5m 10m 15m 30m 1h 2h 4h 6h 12h 1d 3d 1w), the API's
// interval names (MINUTE_5, HOUR_1, ...) and legacy periods in seconds
// (300, 900, 1800, 7200, 14400, 86400). The length must be one the API
// serves.
func ParsePeriod(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	d, ok := time.Duration(0), false
	for _, iv := range intervals {
		// "1M" is a month elsewhere, so short names are lower case only.
		if strings.EqualFold(t, iv.name) || t == iv.short {
			return iv.period, nil
		}
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && n > 0 {
		d, ok = time.Duration(n)*time.Second, true
	} else if len(t) > 1 {
		units := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': day, 'w': 7 * day}
		unit, known := units[t[len(t)-1]]
		n, err := strconv.ParseInt(t[:len(t)-1], 10, 64)
		if known && err == nil && n > 0 {
			d, ok = time.Duration(n)*unit, true
		}
	}
	if ok {
		if _, err := intervalName(d); err == nil {
			return d, nil
		}
	}
	return 0, fmt.Errorf("poloniex: unknown period %q; use one of %s", s, periodList())
}

// intervalName returns the API's interval name for period d.
func intervalName(d time.Duration) (string, error) {
	for _, iv := range intervals {
		if iv.period == d {
			return iv.name, nil
		}
	}
	return "", fmt.Errorf("poloniex: the API has no %v candles; use one of %s", d, periodList())
}

func periodList() string {
	names := make([]string, len(intervals))
	for i, iv := range intervals {
		names[i] = iv.short
	}
	return strings.Join(names, " ")
}

// PeriodName writes a candle length the way ParsePeriod reads it: "5m", "1h", "1w".
// A length the API does not serve is written in the largest whole unit that divides
// it ("2m", "90s"), or as time.Duration writes it.
func PeriodName(d time.Duration) string {
	for _, iv := range intervals {
		if iv.period == d {
			return iv.short
		}
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d > 0 && d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return d.String()
}
