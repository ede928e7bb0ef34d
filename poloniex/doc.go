// Package poloniex downloads price candles from the Poloniex spot REST API
// and keeps them in the legacy Poloniex CSV layout that seqnn reads.
//
// # Endpoint
//
// Fetch pages through GET {BaseURL}/markets/{symbol}/candles with the query
// parameters interval, startTime, endTime (Unix milliseconds) and limit
// (default 100, at most 500; Fetch always sends 500). Sources: the docstring
// of get_candles in poloniex/polo-sdk-python (polosdk/spot/rest/markets.py),
// the exchange's own SDK, and ccxt's poloniex.ts (fetchOHLCV, parseOHLCV),
// which link https://api-docs.poloniex.com/spot/api/public/market-data#candles.
//
// # Symbols
//
// The current API names a market BASE_QUOTE (BTC_USDT: BTC priced in USDT).
// The legacy API (returnChartData) named the same market QUOTE_BASE
// (USDT_BTC). [Symbol] accepts both, plus BASE/QUOTE, and decides which
// order it was given by ranking known quote currencies; see its doc comment.
//
// # Intervals
//
// The API takes MINUTE_1, MINUTE_5, MINUTE_10, MINUTE_15, MINUTE_30, HOUR_1,
// HOUR_2, HOUR_4, HOUR_6, HOUR_12, DAY_1, DAY_3, WEEK_1 and MONTH_1.
// [ParsePeriod] maps 1m, 5m, ... 1w to all of them except MONTH_1, which has
// no fixed length.
//
// # Response
//
// A JSON array with one array per candle, 14 fields in this order (prices and
// volumes are decimal strings, counts and times are numbers):
//
//	 0 low               lowest price
//	 1 high              highest price
//	 2 open              price at the start
//	 3 close             price at the end
//	 4 amount            quote units traded (USDT for BTC_USDT)
//	 5 quantity          base units traded (BTC for BTC_USDT)
//	 6 buyTakerAmount    quote units filled by market buy orders
//	 7 buyTakerQuantity  base units filled by market buy orders
//	 8 tradeCount        number of trades
//	 9 ts                time the record was pushed, ms
//	10 weightedAverage   volume-weighted average price
//	11 interval          the interval asked for, e.g. "MINUTE_5"
//	12 startTime         candle start, ms
//	13 closeTime         candle end, ms (startTime + period - 1)
//
// The order is the one in the SDK docstring; ccxt's parser reads the same
// indices (open 2, high 1, low 0, close 3, timestamp 12). ccxt's recorded
// sample checks the volume units: amount 3916.59 / quantity 0.171199 is
// 22877, the candle's weightedAverage, so amount is in USDT.
//
// Errors come back as a JSON object {"code": 24101, "message": "Invalid
// symbol"}. ccxt's table lists 24101 Invalid symbol, 24102 Invalid K-line
// type, 24103 Invalid endTime, 24105 Invalid startTime, 601 Invalid
// Parameter, and three that say to try again: 500 Internal System Error,
// 603 Internal Request Timeout and 24201 Service busy. (21601, sometimes
// quoted for a bad symbol, is "Account locked" in that table.)
//
// # Rate limits
//
// ccxt rates unauthenticated market-data endpoints at 200 requests per
// second and gives candles weight 1; the exchange answers HTTP 429 beyond
// its limit. We could not read the official rate-limit page itself. Fetch
// sends one request at a time, backs off exponentially on 429 (1 s, 2 s,
// 4 s, ... capped at 60 s) and waits exactly Retry-After when the server
// sends it. A refused connection or an unknown host is not retried: nothing
// is listening at that address.
//
// # Output layout
//
// Out is written in the column layout of the legacy returnChartData dumps
// under data/poloniex (see data/poloniex/SOURCES.md):
//
//	date,high,low,open,close,volume,quoteVolume,weightedAverage
//
// date is the candle start in Unix seconds (UTC). For USDT_BTC the legacy
// API called USDT the base currency, so its volume was in USDT and its
// quoteVolume in BTC; the current API calls BTC the base. The words flip but
// the units do not, so
//
//	volume      = amount   (USDT)
//	quoteVolume = quantity (BTC)
//
// which matches row 1 of the shipped 30-min file: volume 0.999999 and
// quoteVolume 0.0044 at price 225.
//
// The layout records neither the pair nor the candle length. Fetch reads the
// length off the spacing of an existing file's rows and refuses to add
// candles of another ([PeriodError]); it cannot tell pairs apart.
//
// Price and volume strings are copied as the API sends them, with no float
// round trip. Rows are sorted by date. The legacy API wrote a zero-volume
// candle for every empty period; the current one may leave such periods
// out, and Fetch writes only what it receives.
package poloniex
