package poloniex

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDecodeCandles(t *testing.T) {
	body, err := os.ReadFile("testdata/candles_btc_usdt_5m.json")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := decodeCandles(body, "u", "MINUTE_5")
	if err != nil {
		t.Fatal(err)
	}
	// volume is the API's amount (USDT), quoteVolume its quantity (BTC),
	// date its startTime in seconds.
	want := []candle{
		{1704067200, [7]string{"42088.00", "42010.11", "42031.50", "42077.25", "315.50870400", "0.0075", "42067.82720000"}},
		{1704067500, [7]string{"42101.99", "42060.00", "42077.25", "42060.00", "0", "0", "42077.25"}},
		{1704067800, [7]string{"42070.5", "42001", "42060", "42002.75", "1683.2041", "0.04", "42080.1025"}},
	}
	if len(cs) != len(want) {
		t.Fatalf("decoded %d candles, want %d", len(cs), len(want))
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("candle %d: %v, want %v", i, cs[i], want[i])
		}
	}
}

func TestDecodeCandlesRejects(t *testing.T) {
	row := func(fields string) string { return "[[" + fields + "]]" }
	ok := `"1","2","1.5","1.7","10","5","5","2.5",3,0,"2","MINUTE_5",1704067200000,1704067499999`
	if cs, err := decodeCandles([]byte(row(ok)), "u", "MINUTE_5"); err != nil || len(cs) != 1 {
		t.Fatalf("good row: %v, %v", cs, err)
	}
	numbers := `1,2,1.5,1.7,10,5,5,2.5,3,0,2,"MINUTE_5","1704067200000",1704067499999`
	if _, err := decodeCandles([]byte(row(numbers)), "u", "MINUTE_5"); err != nil {
		t.Errorf("numbers instead of strings: %v", err)
	}
	cases := []struct{ body, want string }{
		{row(ok), "interval is \"MINUTE_5\", asked for HOUR_1"},
		{row(`"1","2","1.5"`), "has 3 fields, want 14"},
		{row(`"1"`), "has 1 field, want 14"},
		{row(strings.Replace(ok, `"1.7"`, `"NaN"`, 1)), `close: "NaN" is not a number`},
		{row(strings.Replace(ok, `1704067200000`, `"soon"`, 1)), "startTime"},
		{`{"candles": []}`, "malformed response"},
		{`[[1,2`, "malformed response"},
	}
	for _, tc := range cases {
		iv := "MINUTE_5"
		if strings.Contains(tc.want, "HOUR_1") {
			iv = "HOUR_1"
		}
		_, err := decodeCandles([]byte(tc.body), "u", iv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decodeCandles(%.40s): error %v, want %q", tc.body, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "so nothing was written") {
			t.Errorf("decodeCandles(%.40s): error %v does not say nothing was written",
				tc.body, err)
		}
		if strings.HasPrefix(tc.body, "[[") && err != nil &&
			!strings.Contains(err.Error(), "candle 1 (counted from 1) of the reply from u: ") &&
			!strings.Contains(err.Error(), "malformed") {
			t.Errorf("decodeCandles(%.40s): error %v does not number the candle from 1",
				tc.body, err)
		}
	}
	for _, empty := range []string{"[]", "null", " [ ] "} {
		if cs, err := decodeResponse(200, http.Header{}, []byte(empty), "u", "MINUTE_5"); err != nil || len(cs) != 0 {
			t.Errorf("empty page %q: %v, %v", empty, cs, err)
		}
	}
}

func TestDecodeResponseClassifies(t *testing.T) {
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	cases := []struct {
		status    int
		header    http.Header
		body      string
		retryable bool
		want      string
	}{
		{400, nil, `{"code":24101,"message":"Invalid symbol"}`, false, `API error 24101 "Invalid symbol" (status 400)`},
		{200, nil, `{"code":"24102","message":"Invalid K-line type"}`, false, "API error 24102"},
		{200, nil, `{"code":24201,"message":"Service busy. Try again later"}`, true, "24201"},
		{500, nil, `{"code":500,"message":"Internal System Error"}`, true, "API error 500"},
		{429, nil, "", true, "rate limited (status 429)"},
		{503, nil, "busy", true, "server error (status 503)"},
		{404, nil, "not found", false, "unexpected status 404"},
		{502, html, "<html>bad gateway</html>", true, "unexpected HTML response (status 502) from URL: u"},
		{403, nil, "  <!DOCTYPE html><html>", false, "unexpected HTML response (status 403)"},
		{200, nil, `{"unrelated":1}`, false, "malformed response"},
	}
	for _, tc := range cases {
		h := tc.header
		if h == nil {
			h = http.Header{}
		}
		_, err := decodeResponse(tc.status, h, []byte(tc.body), "u", "MINUTE_5")
		var r *retryable
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &r) != tc.retryable {
			t.Errorf("status %d %q: error %v (retryable %v), want %q (retryable %v)",
				tc.status, tc.body, err, errors.As(err, &r), tc.want, tc.retryable)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	if d := parseRetryAfter("12"); d != 12*time.Second {
		t.Errorf("seconds: %v", d)
	}
	for _, v := range []string{"", "0", "-3", "soon"} {
		if d := parseRetryAfter(v); d != 0 {
			t.Errorf("parseRetryAfter(%q) = %v, want 0", v, d)
		}
	}
	at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	if d := parseRetryAfter(at); d < 80*time.Second || d > 91*time.Second {
		t.Errorf("HTTP date 90 s ahead: %v", d)
	}
}
