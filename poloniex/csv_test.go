package poloniex

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	// Columns in the order of a real 5-min dump (see data/poloniex/SOURCES.md),
	// quoted header, CRLF endings.
	in := "\"volume\",\"quoteVolume\",\"high\",\"low\",\"date\",\"close\",\"weightedAverage\",\"open\"\r\n" +
		"10.5,0.005,2100,2090,1499385900,2095,2098.1,2091\r\n" +
		"0,0,2091,2091,1499385600,2091,2091,2091\r\n"
	cs, err := readCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	writeCSV(&out, cs)
	want := "date,high,low,open,close,volume,quoteVolume,weightedAverage\n" +
		"1499385900,2100,2090,2091,2095,10.5,0.005,2098.1\n" +
		"1499385600,2091,2091,2091,2091,0,0,2091\n"
	if out.String() != want {
		t.Errorf("read and written:\n%s\nwant:\n%s", out.String(), want)
	}

	// Our own output reads back to the same rows.
	again, err := readCSV(strings.NewReader(want))
	if err != nil || len(again) != 2 || again[0] != cs[0] || again[1] != cs[1] {
		t.Errorf("round trip: %v, %v", again, err)
	}

	for _, empty := range []string{"", "date,high,low,open,close,volume,quoteVolume,weightedAverage\n"} {
		if cs, err := readCSV(strings.NewReader(empty)); err != nil || len(cs) != 0 {
			t.Errorf("readCSV(%q) = %v, %v; want no rows", empty, cs, err)
		}
	}
}

func TestReadCSVErrors(t *testing.T) {
	const h = "date,high,low,open,close,volume,quoteVolume,weightedAverage\n"
	cases := []struct{ in, want string }{
		{"date,high,low,open,close,volume,quoteVolume\n", `missing column "weightedAverage"`},
		{h[:len(h)-1] + ",extra\n", `unexpected column "extra"`},
		{"date,date,low,open,close,volume,quoteVolume,weightedAverage\n", `column "date" appears twice`},
		{h + "1,8,2,4,5,6,7,3\n2,8,2,4,5,6,7,3\n1,8,2,4,5,6,7,4\n", "line 4: date 1 repeats line 2"},
		{h + "1.5,8,2,4,5,6,7,3\n", "line 2: date \"1.5\" is not Unix seconds"},
		{h + "1,8,2,x,5,6,7,3\n", "line 2: open \"x\" is not a number"},
		{h + "1,8,2,4,NaN,6,7,3\n", "line 2: close \"NaN\" is not a number"},
		{h + "1,8,2,4,0x1p3,6,7,3\n", "line 2: close \"0x1p3\" is not a number"},
		{h + "1,2,3,4,5,6,7,8\n", "line 2: high 2 is below low 3: fix or remove the row, or give a new file name"},
		{h + "1,8,2,4,-1,6,7,3\n", "line 2: close -1 is not above 0"},
		{h + "1,8,2,4,5,6,-7,3\n", "line 2: quoteVolume -7 is negative"},
		{h + "1,2,3,4,5,6,7\n", "wrong number of fields"},
		{"date,\"high,low\n", "in quoted-field (a file to extend must have the columns"},
	}
	for _, tc := range cases {
		_, err := readCSV(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("readCSV(%q): error %v, want %q", tc.in, err, tc.want)
		}
		// Every message gives the way out that needs no editing.
		if err != nil && !strings.HasSuffix(err.Error(), "give a new file name") {
			t.Errorf("readCSV(%q): error %v does not end with the fix", tc.in, err)
		}
	}
}

func TestMerge(t *testing.T) {
	c := func(date int64, close string) candle {
		return candle{date: date, vals: [7]string{"2", "1", "1.5", close, "10", "5", "2"}}
	}
	existing := []candle{c(300, "1.7"), c(0, "1.5"), c(600, "1.60")}
	fetched := []candle{c(600, "1.6"), c(900, "1.8"), c(300, "1.75")}
	out, added, updated, same := merge(existing, fetched)
	if added != 1 || updated != 1 || same != 1 {
		t.Errorf("added %d updated %d same %d, want 1 1 1", added, updated, same)
	}
	want := []candle{c(0, "1.5"), c(300, "1.75"), c(600, "1.60"), c(900, "1.8")}
	if len(out) != len(want) {
		t.Fatalf("merged %v, want %v", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("row %d: %v, want %v", i, out[i], want[i])
		}
	}
}
