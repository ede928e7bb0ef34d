package poloniex

import (
	"fmt"
	"strings"
)

// quoteRank says how likely a currency is to be the quote (pricing) side of
// a Poloniex market: a pair of two ranked currencies is priced in the one
// with the higher rank. The order follows the legacy markets, which included
// USDT_USDC, USDT_BTC, BTC_ETH, BTC_TRX and XMR_LTC.
var quoteRank = map[string]int{
	"USDT": 5,
	"USDC": 4, "USDD": 4, "USDJ": 4, "TUSD": 4, "DAI": 4, "PAX": 4, "BUSD": 4,
	"BTC": 3,
	"ETH": 2,
	"TRX": 1, "XMR": 1,
}

// Symbol returns the current API's market name, BASE_QUOTE, for pair.
//
// pair may be given as BASE/QUOTE (unambiguous), as the current BASE_QUOTE
// or as the legacy QUOTE_BASE; case does not matter. An underscore pair is
// read as legacy, and swapped, when its first currency ranks higher as a
// quote currency than its second (USDT_BTC becomes BTC_USDT, BTC_ETH becomes
// ETH_BTC). Pairs whose two sides rank the same, including two unknown
// currencies, are taken as already in BASE_QUOTE order.
func Symbol(pair string) (string, error) {
	p := strings.ToUpper(strings.TrimSpace(pair))
	sep := "_"
	if strings.Contains(p, "/") {
		sep = "/"
	}
	a, b, ok := strings.Cut(p, sep)
	if !ok || !isCode(a) || !isCode(b) {
		return "", fmt.Errorf("poloniex: pair %q is not of the form BTC_USDT, USDT_BTC or BTC/USDT", pair)
	}
	if sep == "_" && quoteRank[a] > quoteRank[b] {
		a, b = b, a
	}
	return a + "_" + b, nil
}

func isCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
