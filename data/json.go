package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// readJSON reads a JSON array of candle objects, as Poloniex's returnChartData writes:
//
//	[{"date":1424372400,"high":225,"low":225,"open":225,"close":225,"volume":0.999999,...}, ...]
//
// Keys are matched like CSV column names; values may be numbers, strings or null (missing).
// Messages name records, counted from 1.
func (rd *reader) readJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()

	tok, err := dec.Token()
	if err != nil {
		return rd.jsonError(b, err, 0)
	}
	if tok != json.Delim('[') {
		return rd.jsonObject(b)
	}

	var cells [nFields]string
	var present [nFields]bool
	n := 0
	for dec.More() {
		n++
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return rd.jsonError(b, err, n)
		}
		if obj == nil {
			null := &badRow{reason: ReasonFields, msg: "is null, not a candle object"}
			if err := rd.bad(n, null); err != nil {
				return err
			}
			continue
		}
		if bad := jsonCells(obj, &cells, &present); bad != nil {
			if err := rd.bad(n, bad); err != nil {
				return err
			}
			continue
		}
		r, bad := parseRow(n, &cells, &present, false)
		if bad != nil {
			if err := rd.bad(n, bad); err != nil {
				return err
			}
			continue
		}
		rd.rows = append(rd.rows, r)
	}

	if _, err := dec.Token(); err != nil {
		return rd.jsonError(b, err, n)
	}
	if _, err := dec.Token(); err != io.EOF {
		return rd.errorf(0, "text after the closing ']' of the candle array: remove it")
	}
	return nil
}

// jsonCells picks the fields of one candle object by key.
func jsonCells(obj map[string]any, cells *[nFields]string, present *[nFields]bool) *badRow {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same key in two cases picks the same one every time

	var rank [nFields]int
	*present = [nFields]bool{}
	for _, key := range keys {
		val := obj[key]
		f, k, ok := fieldOf(key)
		if !ok || present[f] && rank[f] <= k {
			continue
		}
		switch v := val.(type) {
		case nil:
			cells[f] = ""
		case json.Number:
			cells[f] = v.String()
		case string:
			cells[f] = v
		default:
			return &badRow{reason: ReasonNumber, msg: fmt.Sprintf("%s %s is not a number or "+
				"a string", fieldNames[f], quote(fmt.Sprint(v)))}
		}
		present[f], rank[f] = true, k
	}
	if !present[fTime] || !present[fClose] {
		want, reason := "close", ReasonNoClose
		if !present[fTime] {
			want, reason = "date, timestamp or time", ReasonNoTime
		}
		return &badRow{reason: reason,
			msg: fmt.Sprintf("no %s key among %s (keys are matched by name, "+
				"case-insensitive)", want, quote(strings.Join(keys, ",")))}
	}
	return nil
}

// jsonObject explains a JSON object where an array of candles was expected; Poloniex
// answers a bad request with {"error": "..."}.
func (rd *reader) jsonObject(b []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return rd.errorf(0, "the JSON is an error answer, not candles: %s: fix the request "+
			"that saved it", quote(e.Error))
	}
	return rd.errorf(0, "the JSON is an object, not an array of candle objects: save the "+
		"candle array itself")
}

// jsonError turns an error from encoding/json into one line naming the line, or the
// record n when n > 0.
func (rd *reader) jsonError(b []byte, err error, n int) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line := 1 + bytes.Count(b[:min(max(se.Offset, 0), int64(len(b)))], []byte("\n"))
		return fmt.Errorf("%s line %d: invalid JSON: %v: the file must be one complete JSON "+
			"array of candle objects", rd.src, line, se)
	case errors.As(err, &te):
		return rd.errorf(n, "is a JSON %s, not a candle object: the file must be an array "+
			"of objects", te.Value)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return rd.errorf(0, "the JSON ends early: the file must be one complete JSON array "+
			"of candle objects")
	}
	return rd.errorf(n, "invalid JSON: %v", err)
}
