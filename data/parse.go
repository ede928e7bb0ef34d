package data

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// field is a candle value a column can hold.
type field int

const (
	fOpen field = iota
	fHigh
	fLow
	fClose
	fVolume
	fTime
	nFields
)

var fieldNames = [nFields]string{"open", "high", "low", "close", "volume", "date"}

// aliases lists, for each field, the column names that select it, case-insensitive,
// in order of preference when a file has more than one.
var aliases = [nFields][]string{
	fOpen:   {"open"},
	fHigh:   {"high"},
	fLow:    {"low"},
	fClose:  {"close", "price"},
	fVolume: {"volume", "vol", "vol."},
	fTime:   {"timestamp", "date", "datetime", "time"},
}

// fieldOf returns the field a column name selects and its rank among the aliases.
func fieldOf(name string) (f field, rank int, ok bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for f := range nFields {
		for rank, a := range aliases[f] {
			if name == a {
				return f, rank, true
			}
		}
	}
	return 0, 0, false
}

// row is one candle as read, before sorting, with the line (CSV) or record (JSON) it
// came from.
type row struct {
	line int
	t    int64
	v    [fVolume + 1]float64 // open, high, low, close, volume
	has  [fVolume + 1]bool
}

// badRow says why a row is bad; reason is the key counted under Options.DropBad.
type badRow struct {
	reason string
	msg    string
	fix    string // "" for the usual fix
}

const fixBad = "fix the row, or skip bad rows with --drop-bad"

// fixRange is the fix for a price outside [MinPrice, MaxPrice].
const fixRange = "prices must lie in [1e-8, 1e12]: check the column and its unit, " +
	"fix the row, or skip bad rows with --drop-bad"

// Reasons a row is dropped, the keys of Report.DroppedBy.
const (
	ReasonFields      = "wrong field count"
	ReasonTime        = "bad time"
	ReasonNoTime      = "missing time"
	ReasonNumber      = "bad number"
	ReasonNoClose     = "missing close"
	ReasonHighLow     = "high < low"
	ReasonOutside     = "price outside [low, high]"
	ReasonNotPositive = "price <= 0"
	ReasonPriceRange  = "price outside [1e-8, 1e12]"
	ReasonVolume      = "volume < 0"
)

// parseRow turns the cells of one row into a row. present says which fields the file has
// at all; cells holds their text. decComma selects decimal commas.
func parseRow(line int, cells *[nFields]string, present *[nFields]bool,
	decComma bool) (row, *badRow) {
	r := row{line: line}

	if !present[fTime] || isMissing(cells[fTime]) {
		return r, &badRow{reason: ReasonNoTime, msg: "no date"}
	}
	t, msg := parseTime(cells[fTime])
	if msg != "" {
		return r, &badRow{reason: ReasonTime, msg: "date " + quote(cells[fTime]) + " " + msg}
	}
	r.t = t

	for f := fOpen; f <= fVolume; f++ {
		if !present[f] || isMissing(cells[f]) {
			continue
		}
		v, msg := parseNumber(cells[f], f == fVolume, decComma)
		if msg != "" {
			return r, &badRow{reason: ReasonNumber,
				msg: fieldNames[f] + " " + quote(cells[f]) + " " + msg}
		}
		r.v[f], r.has[f] = v, true
	}
	if !r.has[fClose] {
		return r, &badRow{reason: ReasonNoClose, msg: "no close price"}
	}
	if b := r.check(); b != nil {
		return r, b
	}
	r.complete()
	return r, nil
}

// MinPrice and MaxPrice bound the prices the reader accepts. Real quotes lie far inside:
// MinPrice is one satoshi, MaxPrice a trillion. The bounds keep the numbers the model
// sees sound: a squared error in price units stays below 1e24, finite even in float32,
// and since MaxPrice/MinPrice is 1e20, every nonzero min-max scaled value is at least
// ulp(1e-8)/1e12 ≈ 1.7e-36, still a normal float32. A price outside them is a wrong
// column or unit, not a market.
const (
	MinPrice = 1e-8
	MaxPrice = 1e12
)

// CheckCandle applies the candle rules to c and returns nil or a one-line error naming
// the field and its value, the same words the reader uses, e.g. "high 2 is below low 3".
// The rules: every price finite and in [MinPrice, MaxPrice], the volume finite and
// >= 0, low <= high, and open and close inside [low, high].
func CheckCandle(c Candle) error {
	r := row{v: [fVolume + 1]float64{c.Open, c.High, c.Low, c.Close, c.Volume},
		has: [fVolume + 1]bool{true, true, true, true, true}}
	if b := r.check(); b != nil {
		return errors.New(b.msg)
	}
	return nil
}

// check applies the candle rules to the values present.
func (r *row) check() *badRow {
	for f := fOpen; f <= fVolume; f++ {
		if r.has[f] && (math.IsNaN(r.v[f]) || math.IsInf(r.v[f], 0)) {
			return &badRow{reason: ReasonNumber,
				msg: fieldNames[f] + " " + fmtNum(r.v[f]) + " is not a finite number"}
		}
	}
	for f := fOpen; f <= fClose; f++ {
		if !r.has[f] {
			continue
		}
		switch v := r.v[f]; {
		case v <= 0:
			return &badRow{reason: ReasonNotPositive,
				msg: fieldNames[f] + " " + fmtNum(v) + " is not above 0"}
		case v < MinPrice:
			return &badRow{reason: ReasonPriceRange, fix: fixRange,
				msg: fieldNames[f] + " " + fmtNum(v) + " is below 1e-8, the smallest " +
					"price accepted"}
		case v > MaxPrice:
			return &badRow{reason: ReasonPriceRange, fix: fixRange,
				msg: fieldNames[f] + " " + fmtNum(v) + " is above 1e12, the largest " +
					"price accepted"}
		}
	}
	if r.has[fVolume] && r.v[fVolume] < 0 {
		return &badRow{reason: ReasonVolume,
			msg: "volume " + fmtNum(r.v[fVolume]) + " is negative"}
	}
	if r.has[fHigh] && r.has[fLow] && r.v[fHigh] < r.v[fLow] {
		return &badRow{reason: ReasonHighLow,
			msg: "high " + fmtNum(r.v[fHigh]) + " is below low " + fmtNum(r.v[fLow])}
	}
	for _, f := range []field{fClose, fOpen} {
		if !r.has[f] {
			continue
		}
		if r.has[fLow] && r.v[f] < r.v[fLow] {
			return &badRow{reason: ReasonOutside,
				msg: fieldNames[f] + " " + fmtNum(r.v[f]) + " is below low " +
					fmtNum(r.v[fLow])}
		}
		if r.has[fHigh] && r.v[f] > r.v[fHigh] {
			return &badRow{reason: ReasonOutside,
				msg: fieldNames[f] + " " + fmtNum(r.v[f]) + " is above high " +
					fmtNum(r.v[fHigh])}
		}
	}
	return nil
}

// complete fills the values a row lacks: a missing open takes the close, a missing high
// or low the extreme of open and close, a missing volume 0. has keeps what the file held.
func (r *row) complete() {
	c := r.v[fClose]
	o := c
	if r.has[fOpen] {
		o = r.v[fOpen]
	}
	if !r.has[fOpen] {
		r.v[fOpen] = c
	}
	if !r.has[fHigh] {
		r.v[fHigh] = math.Max(o, c)
	}
	if !r.has[fLow] {
		r.v[fLow] = math.Min(o, c)
	}
}

func (r *row) candle() Candle {
	return Candle{Time: r.t, Open: r.v[fOpen], High: r.v[fHigh], Low: r.v[fLow],
		Close: r.v[fClose], Volume: r.v[fVolume]}
}

// isMissing reports whether a cell stands for a missing value: empty or "-".
func isMissing(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "-"
}

// parseNumber parses a price or volume. It accepts thousands separators ("1,006.5", or
// "1.006,5" with decimal commas), a decimal comma when decComma is set ("1006,5"), and for
// volumes a K, M or B suffix ("13.44K"). It returns a non-empty message on failure.
func parseNumber(s string, volume, decComma bool) (float64, string) {
	s = strings.TrimSpace(s)
	mult := 1.0
	if volume && len(s) > 1 {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1e3
		case 'm', 'M':
			mult = 1e6
		case 'b', 'B':
			mult = 1e9
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}

	// Keep to plain decimal notation: strconv also takes "Inf", "NaN", hex floats and
	// underscores, none of which a candle file means.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ',' || c == '-' || c == '+' ||
			c == 'e' || c == 'E') {
			if strings.EqualFold(s, "nan") || strings.Contains(strings.ToLower(s), "inf") {
				return 0, "is not a finite number"
			}
			return 0, "is not a number"
		}
	}

	s, msg := normalizeSeparators(s, decComma)
	if msg != "" {
		return 0, msg
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, "is out of range"
		}
		return 0, "is not a number"
	}
	v *= mult
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "is out of range"
	}
	return v, ""
}

// normalizeSeparators rewrites s to use '.' as the decimal point and no thousands
// separators.
func normalizeSeparators(s string, decComma bool) (string, string) {
	comma := strings.Count(s, ",")
	if comma == 0 {
		if decComma && strings.Count(s, ".") > 1 {
			return groups(s, '.', ',')
		}
		return s, ""
	}
	dot := strings.LastIndexByte(s, '.')
	switch {
	case dot >= 0 && dot > strings.LastIndexByte(s, ','):
		return groups(s, ',', '.') // 1,006.5
	case dot >= 0:
		return groups(s, '.', ',') // 1.006,5
	case decComma && comma == 1:
		return strings.Replace(s, ",", ".", 1), "" // 1006,5
	case comma == 1 && !validGroups(s, ','):
		return "", "has a decimal comma in a comma-separated file: use '.' as the " +
			"decimal point, or ';' as the delimiter"
	default:
		return groups(s, ',', '.') // 1,006 or 1,006,500
	}
}

// groups removes the thousands separator sep from s after checking that it separates
// groups of three digits, and makes dec the '.' decimal point.
func groups(s string, sep, dec byte) (string, string) {
	if !validGroups(s, sep) {
		return "", "is not a number (misplaced thousands separator " +
			strconv.QuoteRune(rune(sep)) + ")"
	}
	s = strings.ReplaceAll(s, string(sep), "")
	if dec != '.' {
		s = strings.Replace(s, string(dec), ".", 1)
	}
	return s, ""
}

// validGroups reports whether the separators sep in the integer part of s (before any
// decimal point or exponent) split it into a lead of 1 to 3 digits and groups of exactly 3.
func validGroups(s string, sep byte) bool {
	end := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != sep && c != '-' && c != '+' && (c < '0' || c > '9') {
			end = i
			break
		}
	}
	if strings.IndexByte(s[end:], sep) >= 0 {
		return false
	}
	intPart := strings.TrimLeft(s[:end], "+-")
	parts := strings.Split(intPart, string(sep))
	for i, p := range parts {
		if strings.ContainsAny(p, "+-") {
			return false
		}
		if i == 0 && (len(p) < 1 || len(p) > 3) || i > 0 && len(p) != 3 {
			return false
		}
	}
	return true
}

// timeLayouts are the ISO 8601 forms a date column may take; times without a zone are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// maxSeconds bounds a timestamp in seconds; a larger number is read as milliseconds.
const maxSeconds = 1e11

// parseTime parses unix seconds, unix milliseconds (any value above 1e11) or an ISO 8601
// date into unix seconds. It returns a non-empty message on failure.
func parseTime(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "is empty"
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
		if t, msg, ok := parseUnix(s); ok {
			return t, msg
		}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Nanosecond() != 0 {
				return 0, notWhole
			}
			if t.Unix() < 0 {
				return 0, "is before 1970"
			}
			if t.Unix() > maxSeconds {
				return 0, "is too far in the future"
			}
			return t.Unix(), ""
		}
	}
	return 0, "is not a time (use unix seconds, unix milliseconds, or an ISO date like " +
		"2017-07-13 23:30:00)"
}

// notWhole is the message for a time with a fraction of a second. Candle times are whole
// seconds: truncating would hide a time off the candle grid, and no exchange starts
// candles between seconds.
const notWhole = "is not a whole second: candle times are whole seconds, the start of each candle"

// parseUnix parses a number of seconds or milliseconds; ok is false when s is not a
// number at all, so it may still be a date. A time that is not a whole second (seconds
// with a fraction, milliseconds not a multiple of 1000) is refused, not truncated.
func parseUnix(s string) (t int64, msg string, ok bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, "is before 1970", true
		case n > maxSeconds*1000:
			return 0, "is too large for unix seconds or milliseconds", true
		case n > maxSeconds && n%1000 != 0:
			return 0, fmt.Sprintf("is %d ms past a whole second: candle times are whole "+
				"seconds, the start of each candle", n%1000), true
		case n > maxSeconds:
			return n / 1000, "", true
		}
		return n, "", true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "xXpP_nNiI") {
		return 0, "", false
	}
	switch {
	case math.IsNaN(v) || v < 0:
		return 0, "is before 1970", true
	case v > maxSeconds*1000:
		return 0, "is too large for unix seconds or milliseconds", true
	case v > maxSeconds:
		if math.Mod(v, 1000) != 0 || fraction(s) {
			return 0, notWhole, true
		}
		return int64(v / 1000), "", true // exact: v is a whole multiple of 1000 below 1e14
	}
	if v != math.Floor(v) || fraction(s) {
		return 0, notWhole, true
	}
	return int64(v), "", true
}

// fraction reports whether the plain decimal s ("1500000000.25") has a nonzero digit
// after its point, which float64 may round away; a number with an exponent is left to
// the float check.
func fraction(s string) bool {
	i := strings.IndexByte(s, '.')
	if i < 0 || strings.ContainsAny(s, "eE") {
		return false
	}
	return strings.Trim(s[i+1:], "0") != ""
}

// quote quotes a cell for a message, on one line and cut to a readable length.
func quote(s string) string {
	const most = 40
	if r := []rune(s); len(r) > most {
		s = string(r[:most]) + "..."
	}
	return strconv.Quote(s)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
