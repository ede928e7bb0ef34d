package poloniex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the Poloniex spot REST API.
const DefaultBaseURL = "https://api.poloniex.com"

// DefaultMaxRetries is the number of retries when Config.MaxRetries is 0.
const DefaultMaxRetries = 5

// Config says what Fetch downloads and where it writes.
type Config struct {
	BaseURL string        // API root; "" means DefaultBaseURL
	Pair    string        // "USDT_BTC" (legacy), "BTC_USDT" or "BTC/USDT"; see Symbol
	Period  time.Duration // candle length; see ParsePeriod
	From    time.Time     // first candle start wanted (inclusive)
	To      time.Time     // end of the range (exclusive)
	Out     string        // CSV file to create or extend

	Client     *http.Client // nil means a client with a 30 s timeout
	MaxRetries int          // per request; 0 means DefaultMaxRetries, < 0 none

	// Sleep waits between retries; nil means a timer that ctx cancels.
	// Tests inject one to record the backoffs.
	Sleep func(time.Duration)

	// Progress, if set, is called after each page with the number of
	// candles fetched so far and the time they cover up to.
	Progress func(fetched int, through time.Time)
}

// Result counts what Fetch did.
type Result struct {
	Fetched  int // candles received with start in [From, To)
	Added    int // of those, dates that were not yet in Out
	Updated  int // dates already in Out with other values, now replaced
	Existing int // dates already in Out with the same values

	First, Last time.Time // start of the earliest and latest fetched candle; zero if none

	// OneRow is set when Out held a single row before the fetch and candles were added
	// or replaced: one row cannot show its candle length, so Fetch could check only
	// that it starts on Period's grid. If it was a candle of another length (a 1d
	// candle at midnight, extended with 1h candles), Out now mixes lengths. OneRowAt
	// is that row's start.
	OneRow   bool
	OneRowAt time.Time
}

// Fetch downloads the candles of cfg.Pair whose start lies in
// [cfg.From, cfg.To) and merges them into cfg.Out.
//
// It pages forward in windows of at most 500 candle starts, aligned to the
// period: each request asks for [s, s + 500·Period − 1 ms], and the next
// starts after the window or after the last candle received, whichever is
// later. An empty page means nothing traded in that window, and paging goes
// on. A To in the future is cut back to the current, still open candle.
//
// Out records neither the pair nor the period. Its rows must be candles of
// cfg.Period, as far as their spacing and start times tell (see PeriodError):
// a file of other candles, or of candles off cfg.Period's grid (see
// GridRule), is refused before anything is fetched, since adding to it would
// mix candle lengths. A file of one row on the grid is extended, and the
// Result says so (OneRow): one row cannot show its length. Nothing tells
// pairs apart, so a file fetched for one pair is extended with another's
// candles if asked to.
//
// Existing rows of Out are kept; fetched candles with new dates are added,
// and a fetched candle for a date already present replaces the row when its
// values differ (the exchange revises the newest candle until it closes).
// Out is rewritten atomically and only when something changed or it did not
// exist; after any error Out is as it was, and the candles fetched so far
// are dropped.
//
// Every candle received must start on cfg.Period's grid, at a whole second,
// and must pass the data reader's rules (data.CheckCandle:
// prices finite and in [1e-8, 1e12], low <= open, close <= high, volumes
// finite and >= 0), and so must every row of an existing Out; one that does
// not is an error naming its start time, field and value. So is a date
// received twice with different values. Fetch never writes a file that
// data.ReadFile would refuse for its values.
func Fetch(ctx context.Context, cfg Config) (Result, error) {
	j, err := newJob(cfg)
	if err != nil {
		return Result{}, err
	}
	existing, exists, err := readCSVFile(cfg.Out)
	if err != nil {
		return Result{}, err
	}
	if err := checkSpacing(cfg.Out, existing, cfg.Period); err != nil {
		return Result{}, err
	}

	fetched, err := j.download(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Fetched: len(fetched)}
	if len(fetched) > 0 {
		res.First = time.Unix(fetched[0].date, 0).UTC()
		res.Last = time.Unix(fetched[len(fetched)-1].date, 0).UTC()
	}

	merged, added, updated, same := merge(existing, fetched)
	res.Added, res.Updated, res.Existing = added, updated, same
	if len(existing) == 1 && added+updated > 0 {
		res.OneRow, res.OneRowAt = true, time.Unix(existing[0].date, 0).UTC()
	}
	if !exists || added+updated > 0 {
		if err := writeFileAtomic(cfg.Out, merged); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// job is a validated Config with times in Unix milliseconds.
type job struct {
	cfg      Config
	endpoint string // .../markets/{symbol}/candles
	interval string // API interval name
	period   int64  // ms
	from, to int64  // ms, [from, to)
	client   client
}

func newJob(cfg Config) (*job, error) {
	var errs []error
	symbol, err := Symbol(cfg.Pair)
	if strings.TrimSpace(cfg.Pair) == "" {
		err = errors.New("poloniex: no pair given (for example USDT_BTC)")
	}
	errs = append(errs, err)
	interval, err := intervalName(cfg.Period)
	errs = append(errs, err)
	switch {
	case cfg.From.IsZero() || cfg.To.IsZero():
		errs = append(errs, errors.New("poloniex: need From and To, the range to fetch"))
	case cfg.From.Before(time.Unix(0, 0)):
		errs = append(errs, fmt.Errorf("poloniex: From %s is before 1970-01-01, where the "+
			"API's times (Unix milliseconds) begin", stamp(cfg.From)))
	case !cfg.From.Before(cfg.To):
		errs = append(errs, fmt.Errorf("poloniex: From %s is not before To %s, so the range "+
			"holds no candles", stamp(cfg.From), stamp(cfg.To)))
	}
	if cfg.Out == "" {
		errs = append(errs, errors.New("poloniex: no output file given"))
	}

	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("poloniex: base URL %q is not an http(s) URL", base))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	j := &job{
		cfg:      cfg,
		endpoint: u.String() + "/markets/" + url.PathEscape(symbol) + "/candles",
		interval: interval,
		period:   cfg.Period.Milliseconds(),
		from:     cfg.From.UnixMilli(),
		to:       min(cfg.To.UnixMilli(), time.Now().UnixMilli()+cfg.Period.Milliseconds()),
		client:   client{http: cfg.Client, maxRetries: cfg.MaxRetries, sleep: cfg.Sleep},
	}
	if j.client.http == nil {
		j.client.http = &http.Client{Timeout: 30 * time.Second}
	}
	switch {
	case j.client.maxRetries == 0:
		j.client.maxRetries = DefaultMaxRetries
	case j.client.maxRetries < 0:
		j.client.maxRetries = 0
	}
	return j, nil
}

// download pages through [from, to) and returns the candles in range,
// sorted by date, one per date. A date received twice with the same values
// is kept once; with different values it is an error, since either could be
// the wrong one.
func (j *job) download(ctx context.Context) ([]candle, error) {
	var out []candle
	at := map[int64]int{} // date -> index in out
	span := pageLimit * j.period
	start := j.from - mod(j.from, j.period) // first window holds from's candle

	for start < j.to {
		end := min(start+span, j.to) - 1
		q := url.Values{}
		q.Set("interval", j.interval)
		q.Set("startTime", strconv.FormatInt(start, 10))
		q.Set("endTime", strconv.FormatInt(end, 10))
		q.Set("limit", strconv.Itoa(pageLimit))
		page, err := j.client.get(ctx, j.endpoint+"?"+q.Encode(), j.interval)
		if err != nil {
			return nil, err
		}

		next := start + span
		for i, c := range page {
			if !onGrid(c.date, j.cfg.Period) {
				return nil, fmt.Errorf("poloniex: candle %d (counted from 1) of the reply "+
					"from %s starts at %s (%d), off the %s grid (%s): the server sent an "+
					"invalid reply, so nothing was written: check the base URL, or run "+
					"again later", i+1, j.endpoint+"?"+q.Encode(),
					stamp(time.Unix(c.date, 0)), c.date, PeriodName(j.cfg.Period),
					GridRule(j.cfg.Period))
			}
			ms := c.date * 1000
			next = max(next, ms+j.period)
			if ms < j.from || ms >= j.to {
				continue
			}
			if i, ok := at[c.date]; ok {
				if !out[i].sameValues(c) {
					return nil, fmt.Errorf("poloniex: the server sent two different candles at %s, so nothing was written: run again later",
						when(c.date))
				}
				continue
			}
			at[c.date] = len(out)
			out = append(out, c)
		}
		start = next
		if j.cfg.Progress != nil {
			j.cfg.Progress(len(out), time.UnixMilli(min(start, j.to)).UTC())
		}
	}
	sortCandles(out)
	return out, nil
}

// mod is a modulo that is never negative, for times before 1970.
func mod(a, b int64) int64 {
	return ((a % b) + b) % b
}
