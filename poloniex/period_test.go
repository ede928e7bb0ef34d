package poloniex

import (
	"strings"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"5m", 5 * time.Minute}, {"15m", 15 * time.Minute}, {"30m", 30 * time.Minute},
		{"1h", time.Hour}, {"2h", 2 * time.Hour}, {"4h", 4 * time.Hour}, {"1d", 24 * time.Hour},
		{"3d", 72 * time.Hour}, {"1w", 168 * time.Hour}, {" 1m ", time.Minute},
		{"60m", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 168 * time.Hour},
		{"MINUTE_5", 5 * time.Minute}, {"hour_4", 4 * time.Hour}, {"DAY_1", 24 * time.Hour},
		{"300", 5 * time.Minute}, {"1800", 30 * time.Minute}, {"86400", 24 * time.Hour},
	}
	for _, tc := range cases {
		got, err := ParsePeriod(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []string{"", "m", "7m", "0m", "-5m", "5s", "1y", "MONTH_1", "1M", "5H", "299", "5 m", "1.5h"}
	for _, bad := range bad {
		if d, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", bad, d)
		} else if !strings.Contains(err.Error(), "5m") {
			t.Errorf("ParsePeriod(%q) error %q does not list the choices", bad, err)
		}
	}
}

func TestIntervalNames(t *testing.T) {
	// Every short name round-trips to its API name.
	for _, iv := range intervals {
		d, err := ParsePeriod(iv.short)
		if err != nil {
			t.Fatal(err)
		}
		if name, err := intervalName(d); err != nil || name != iv.name {
			t.Errorf("%s: interval %q, %v; want %s", iv.short, name, err, iv.name)
		}
	}
}
