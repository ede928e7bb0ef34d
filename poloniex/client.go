package poloniex

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seqnn/seqnn/internal/english"
)

const (
	pageLimit     = 500              // most candles the API returns per request
	maxBody       = 8 << 20          // bytes; a full page is about 120 KiB
	baseBackoff   = time.Second      // first wait before a retry
	maxBackoff    = time.Minute      // longest exponential wait
	maxRetryAfter = 10 * time.Minute // longer Retry-After values end the fetch
)

// Field positions in one candle of the /markets/{symbol}/candles response;
// the package doc lists all 14.
const (
	fLow      = 0
	fHigh     = 1
	fOpen     = 2
	fClose    = 3
	fAmount   = 4 // quote units (USDT)
	fQuantity = 5 // base units (BTC)
	fWeighted = 10
	fInterval = 11
	fStart    = 12 // ms
	nFields   = 14
)

// transientCodes are API error codes that say to try again: 500 Internal
// System Error, 603 Internal Request Timeout, 24201 Service busy.
var transientCodes = map[int64]bool{500: true, 603: true, 24201: true}

// APIError is an error object returned by the API, such as
// {"code": 24101, "message": "Invalid symbol"}.
type APIError struct {
	Status  int    // HTTP status of the response
	Code    int64  // Poloniex error code; 0 if absent or not a number
	Message string // Poloniex error message
	URL     string // request URL
}

func (e *APIError) Error() string {
	return fmt.Sprintf("API error %d %q (status %d) from %s", e.Code, e.Message, e.Status, e.URL)
}

// retryable marks an error that may go away when the request is repeated.
type retryable struct {
	err   error
	after time.Duration // the server's Retry-After; 0 if none
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// client sends candle requests and retries transient failures.
type client struct {
	http       *http.Client
	maxRetries int
	sleep      func(time.Duration) // nil: wait on a timer that ctx can cut short
}

// get fetches one page from u, retrying rate limits (429), 5xx responses,
// transient API codes and transport failures (reset, EOF, timeout) up to
// maxRetries times. The wait doubles from baseBackoff up to maxBackoff, or
// is the server's Retry-After when it sends one. A refused connection and an
// unknown host are not retried: nothing listens at that address, and waiting
// the half minute of backoffs would not change that.
func (c *client) get(ctx context.Context, u, interval string) ([]candle, error) {
	for attempt := 0; ; attempt++ {
		cs, err := c.try(ctx, u, interval)
		if err == nil {
			return cs, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("poloniex: %w", context.Cause(ctx))
		}
		var r *retryable
		if !errors.As(err, &r) {
			return nil, err
		}
		if attempt >= c.maxRetries {
			return nil, fmt.Errorf("poloniex: giving up after %s, so nothing was "+
				"written: %w", english.Count(attempt+1, "attempt"), r.err)
		}

		wait := maxBackoff
		if attempt < 16 {
			wait = min(baseBackoff<<attempt, maxBackoff)
		}
		if r.after > maxRetryAfter {
			return nil, fmt.Errorf("poloniex: server asks to wait %v before retrying, more "+
				"than %v, so nothing was written: %w", r.after, maxRetryAfter, r.err)
		}
		if r.after > 0 {
			wait = r.after
		}
		if err := c.wait(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		c.sleep(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("poloniex: %w", context.Cause(ctx))
	}
	return nil
}

// try sends one request and classifies the outcome.
func (c *client) try(ctx context.Context, u, interval string) ([]candle, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("poloniex: %w", err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		var certErr *tls.CertificateVerificationError
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &certErr):
			return nil, fmt.Errorf("poloniex: %w", err)
		case errors.Is(err, syscall.ECONNREFUSED):
			return nil, fmt.Errorf("poloniex: %s refused the connection: no server is "+
				"listening there, so nothing was written: check the base URL (%w)",
				req.URL.Host, err)
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return nil, fmt.Errorf("poloniex: no host %s is known, so nothing was written: "+
				"check the base URL (%w)", dnsErr.Name, err)
		}
		return nil, &retryable{err: err}
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		err = fmt.Errorf("reading response (status %d) from %s: %w", resp.StatusCode, u, err)
		return nil, &retryable{err: err}
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("poloniex: response from %s is larger than %d bytes", u, maxBody)
	}
	return decodeResponse(resp.StatusCode, resp.Header, body, u, interval)
}

// decodeResponse turns a complete response into candles or an error; errors
// worth retrying come back as *retryable.
func decodeResponse(status int, h http.Header, body []byte, u, interval string) ([]candle, error) {
	body = bytes.TrimSpace(body)
	if status == http.StatusTooManyRequests {
		err := fmt.Errorf("rate limited (status 429) by %s", u)
		return nil, &retryable{err: err, after: parseRetryAfter(h.Get("Retry-After"))}
	}

	// A proxy or the wrong base URL answers with a web page. A 5xx page
	// is usually a passing gateway fault, so it is retried.
	if strings.Contains(h.Get("Content-Type"), "text/html") || bytes.HasPrefix(body, []byte("<")) {
		err := fmt.Errorf("unexpected HTML response (status %d) from URL: %s", status, u)
		if status >= 500 {
			return nil, &retryable{err: err}
		}
		return nil, fmt.Errorf("poloniex: %w", err)
	}

	if e := decodeAPIError(body); e != nil {
		e.Status, e.URL = status, u
		if status >= 500 || transientCodes[e.Code] {
			return nil, &retryable{err: e}
		}
		return nil, fmt.Errorf("poloniex: %w", e)
	}
	if status >= 500 {
		err := fmt.Errorf("server error (status %d) from %s: %q", status, u, snippet(body))
		return nil, &retryable{err: err}
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("poloniex: unexpected status %d from %s: %q", status, u, snippet(body))
	}
	return decodeCandles(body, u, interval)
}

// decodeAPIError returns the error object in body, or nil if body is not
// one. The code may be a number or a string.
func decodeAPIError(body []byte) *APIError {
	if !bytes.HasPrefix(body, []byte("{")) {
		return nil
	}
	var obj struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &obj) != nil || (obj.Code == nil && obj.Message == "") {
		return nil
	}
	code, _ := strconv.ParseInt(strings.Trim(string(obj.Code), `"`), 10, 64)
	return &APIError{Code: code, Message: obj.Message}
}

// parseRetryAfter reads a Retry-After header given in seconds or as an HTTP
// date; 0 means absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// decodeCandles parses a candles response, an array of 14-field arrays, and checks every
// candle with candle.check. Messages count candles from 1.
func decodeCandles(body []byte, u, interval string) ([]candle, error) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("poloniex: malformed response from %s: %v (body starts %q), "+
			"so nothing was written: check the base URL, or run again later", u, err,
			snippet(body))
	}
	out := make([]candle, 0, len(rows))
	for i, row := range rows {
		c, err := parseCandle(row, interval)
		if err != nil {
			return nil, fmt.Errorf("poloniex: candle %d (counted from 1) of the reply from %s: "+
				"%w: the server sent an invalid reply, so nothing was written: check the base "+
				"URL, or run again later", i+1, u, err)
		}
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("poloniex: candle at %s from %s: %v: the server sent an invalid candle, so nothing was written: run again later, or fetch a range without it",
				when(c.date), u, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCandle(row []json.RawMessage, interval string) (candle, error) {
	var c candle
	if len(row) < nFields {
		return c, fmt.Errorf("has %s, want %d", english.Count(len(row), "field"), nFields)
	}
	var got string
	if err := json.Unmarshal(row[fInterval], &got); err != nil || got != interval {
		return c, fmt.Errorf("interval is %s, asked for %s", row[fInterval], interval)
	}
	start, err := decimal(row[fStart])
	if err != nil {
		return c, fmt.Errorf("startTime: %w", err)
	}
	ms, err := strconv.ParseInt(start, 10, 64)
	if err != nil || ms < 0 {
		return c, fmt.Errorf("startTime %q is not Unix milliseconds", start)
	}
	if ms%1000 != 0 {
		return c, fmt.Errorf("startTime %d is not a whole second, as a candle's start is",
			ms)
	}
	c.date = ms / 1000

	for k, f := range [7]int{fHigh, fLow, fOpen, fClose, fAmount, fQuantity, fWeighted} {
		if c.vals[k], err = decimal(row[f]); err != nil {
			return c, fmt.Errorf("%s: %w", header[k+1], err)
		}
	}
	return c, nil
}

// decimal returns the text of a JSON number or of a string holding one, in plain decimal
// notation (see parseDecimal).
func decimal(raw json.RawMessage) (string, error) {
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
	}
	s = strings.TrimSpace(s)
	if _, err := parseDecimal(s); err != nil {
		return "", err
	}
	return s, nil
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
