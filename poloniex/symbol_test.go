package poloniex

import "testing"

func TestSymbol(t *testing.T) {
	cases := []struct{ in, want string }{
		{"USDT_BTC", "BTC_USDT"}, // legacy QUOTE_BASE
		{"BTC_USDT", "BTC_USDT"}, // current BASE_QUOTE
		{"usdt_btc", "BTC_USDT"},
		{"BTC/USDT", "BTC_USDT"},
		{"USDT/BTC", "USDT_BTC"}, // a slash is always BASE/QUOTE
		{"BTC_ETH", "ETH_BTC"},
		{"ETH_BTC", "ETH_BTC"},
		{"USDC_ETH", "ETH_USDC"},
		{"USDT_USDC", "USDC_USDT"},
		{"USDC_USDT", "USDC_USDT"},
		{"TRX_USDD", "TRX_USDD"},
		{"XMR_LTC", "LTC_XMR"},
		{"FOO_BAR", "FOO_BAR"}, // unknown: taken as given
		{" 1INCH_USDT ", "1INCH_USDT"},
	}
	for _, tc := range cases {
		if got, err := Symbol(tc.in); err != nil || got != tc.want {
			t.Errorf("Symbol(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	bad := []string{"", "BTCUSDT", "BTC_", "_USDT", "BTC_USDT_PERP", "BTC-USDT", "BTC_US DT", "BTC/USDT/X"}
	for _, bad := range bad {
		if got, err := Symbol(bad); err == nil {
			t.Errorf("Symbol(%q) = %q, want an error", bad, got)
		}
	}
}
