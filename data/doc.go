// Package data reads Bitcoin price candles and cuts them into the training and validation
// windows of the 2017 tutorial "Predicting Cryptocurrency Price With Tensorflow and Keras":
// windows of In past closes (256) followed by Out closes to predict (16), min-max scaled,
// split 80/20 in time order.
//
// Reading (Read, ReadFile) accepts the CSV and JSON forms candle files come in: a header in
// any column order and case (columns are chosen by name), a header-less file whose column
// names are given in Options.Columns, Poloniex's JSON array of candle objects, the
// delimiters ',' ';' and tab, quoted fields, a UTF-8 byte-order mark, CRLF or lone CR
// line ends, decimal commas, thousands separators, volume suffixes (K, M, B), and
// timestamps in whole unix seconds, unix milliseconds or ISO 8601 dates. Rows come back
// sorted by time with exact duplicates dropped; a Report says what was read, which
// periods are missing, which spacings are irregular (not a whole number of periods:
// reported, kept, never inside a window) and which rows were dropped and why. Prices
// must lie in [MinPrice, MaxPrice] so that NaN and Inf can never arise downstream;
// CheckCandle states the candle rules.
// Every error is one line that starts with the source name, names the line or column,
// and says how to fix it. No input makes the package panic: not a file, and not a nil
// *Series, *Windows, *Report or io.Reader either (Split and Read return an error, the
// methods treat nil as empty). The panics are programming errors of MinMax: ScaleTo and
// UnscaleTo given slices of different lengths, and a MinMax without a range (the zero
// value, or one not made by FitMinMax with Min ≥ Max) asked to scale.
//
// Default returns the shipped Poloniex USDT_BTC 30-minute candles (2015-02-19 to
// 2017-07-13, 42,010 rows), embedded in the binary; Provenance returns their SOURCES.md.
//
// Names, as in the rest of seqnn: N windows, In inputs per window, Out targets per window,
// S stride between window starts. Windows hold raw closes, row-major: X (N, In) holds the
// i-th input of window n at n*In + i.
//
// The package never prints.
package data
