package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/internal/fsmsg"
	"github.com/seqnn/seqnn/poloniex"
)

// parseDate reads a UTC date, date and time, or RFC 3339 time, from 1970 on: the API's
// times are Unix milliseconds, and a negative one is no candle of any exchange.
func parseDate(flagName, s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05",
		time.RFC3339} {
		t, err := time.ParseInLocation(layout, s, time.UTC)
		switch {
		case err != nil:
			continue
		case t.Before(time.Unix(0, 0)):
			return time.Time{}, fmt.Errorf("%s %s: before 1970-01-01, where Unix time "+
				"begins; Poloniex's candles start years later (the shipped USDT_BTC ones on "+
				"2015-02-19): give a later date", flagName, s)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want a date as 2017-01-31, 2017-01-31T12:00 or "+
		"RFC 3339", flagName, s)
}

// fetchRange returns fetch's range, [--from, --to), with --to defaulting to now, or an
// error naming the flag at fault.
func fetchRange(o *options) (from, to time.Time, err error) {
	if from, err = parseDate("--from", o.from); err != nil {
		return from, to, err
	}
	if o.to == "" {
		to = time.Now().UTC()
		if !from.Before(to) {
			return from, to, fmt.Errorf("--from %s is not before now (%s UTC, the default "+
				"--to): give a past date", o.from, to.Format(minuteLayout))
		}
		return from, to, nil
	}
	if to, err = parseDate("--to", o.to); err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, fmt.Errorf("--from %s is not before --to %s: give a --from before "+
			"--to (--to is exclusive)", o.from, o.to)
	}
	return from, to, nil
}

// Fetch's waits, as variables so that tests can shorten them: one try of a request
// gives up after fetchTimeout; a try still unanswered after slowNote is reported.
var (
	fetchTimeout = 30 * time.Second
	slowNote     = 10 * time.Second
)

// minuteLayout writes the candle times fetch reports, UTC to the minute.
const minuteLayout = "2006-01-02 15:04"

// runFetch downloads candles with poloniex.Fetch into --out and prints a summary. A new
// --out is fetched into a temporary directory beside it and renamed into place only
// when candles came, so that an empty range writes nothing.
func runFetch(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	period, err := poloniex.ParsePeriod(o.period)
	if err != nil {
		return err
	}
	from, to, err := fetchRange(o)
	if err != nil {
		return err
	}
	target, tmp, err := fetchTarget(o)
	if err != nil {
		return err
	}
	exists := tmp == ""
	if !exists {
		defer os.RemoveAll(tmp)
	}

	cfg := poloniex.Config{BaseURL: o.baseURL, Pair: o.pair, Period: period, From: from,
		To: to, Out: target}
	res, err := fetchCandles(ctx, o, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	if res.Fetched == 0 {
		kept := "nothing written"
		if exists {
			kept = o.out + " is as it was"
		}
		return fmt.Errorf("fetch: no candles between %s and %s UTC for %s; %s (check "+
			"--from, --to and --pair)", from.Format(minuteLayout),
			to.Format(minuteLayout), o.pair, kept)
	}
	if !exists {
		if err := os.Rename(target, o.out); err != nil {
			return fmt.Errorf("--out %s: %v", o.out, err)
		}
	}
	fetchSummary(o, period, res, stdout, stderr)
	return nil
}

// fetchTarget returns the file fetch writes: --out itself when it exists, else a file
// of its name in tmp, a new temporary directory beside it, which the caller removes
// once the file is renamed into place. tmp is "" when --out exists.
func fetchTarget(o *options) (target, tmp string, err error) {
	fi, err := os.Stat(o.out)
	switch {
	case err == nil && fi.IsDir():
		return "", "", fmt.Errorf("--out %s: is a directory; give the candle CSV file to "+
			"write", o.out)
	case err == nil:
		return o.out, "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("--out %s: cannot read it (%v); check the path and its "+
			"permissions", o.out, fsmsg.Cause(err))
	}
	tmp, err = os.MkdirTemp(filepath.Dir(o.out), ".fetch-*")
	if err != nil {
		return "", "", fmt.Errorf("--out %s: cannot write in its directory (%v): choose a "+
			"writable directory", o.out, fsmsg.Cause(err))
	}
	return filepath.Join(tmp, filepath.Base(o.out)), tmp, nil
}

// fetchCandles runs poloniex.Fetch with cfg, reporting on stderr its progress (on a
// terminal) and each failed try, and says what an error means for --out: interrupted
// with the file as it was, candles of another length than --period, or the API's error.
func fetchCandles(ctx context.Context, o *options, cfg poloniex.Config, stdout,
	stderr io.Writer) (poloniex.Result, error) {
	p := newProgress(stdout, stderr)
	tries := &tryReporter{stderr: stderr}
	cfg.Client = &http.Client{Timeout: fetchTimeout, Transport: tries}
	cfg.Sleep = func(d time.Duration) { tries.wait(ctx, d) }
	cfg.Progress = func(fetched int, through time.Time) {
		if p.tty {
			fmt.Fprintf(stderr, "\rfetched %s through %s UTC",
				english.Count(fetched, "candle"), through.Format(minuteLayout))
		}
	}
	res, err := poloniex.Fetch(ctx, cfg)
	if p.tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("fetch %w: %s is as it was (%v)", errInterrupted, o.out, err)
	}
	var pe *poloniex.PeriodError
	if errors.As(err, &pe) {
		return res, periodMismatch(o, pe)
	}
	return res, fmt.Errorf("fetch %s %s: %w", o.pair, o.period, err)
}

// fetchSummary prints fetch's summary line on stdout, after a warning on stderr when --out
// held a single row, whose candle length could not be checked against --period.
func fetchSummary(o *options, period time.Duration, res poloniex.Result, stdout,
	stderr io.Writer) {
	if res.OneRow {
		fmt.Fprintf(stderr, "demo fetch: warning: %s held a single row (%s UTC), and one "+
			"row cannot show its candle length; if it was not a %s candle, %s now mixes "+
			"candle lengths: then fetch into a new --out\n", o.out,
			res.OneRowAt.Format(minuteLayout), poloniex.PeriodName(period), o.out)
	}
	fmt.Fprintf(stdout, "fetched %s (%s to %s UTC): %d added, %d updated, %d "+
		"already there: %s\n", english.Count(res.Fetched, o.period+" candle"),
		res.First.Format(minuteLayout),
		res.Last.Format(minuteLayout), res.Added, res.Updated, res.Existing, o.out)
}

// periodMismatch says that --out holds candles of another length than --period, with
// the flags that fix it. The file records neither its period nor its pair; the period is
// read off the spacing of its rows.
func periodMismatch(o *options, pe *poloniex.PeriodError) error {
	const fix = "nothing written (give --out a new file, or the --period of its candles)"
	switch {
	case pe.OffGrid:
		return fmt.Errorf("fetch %s %s: %s, so it holds candles of another length or grid: "+
			"%s", o.pair, o.period, pe.Finding(), fix)
	case pe.Odd():
		return fmt.Errorf("fetch %s %s: %s, so it holds candles of another length: %s",
			o.pair, o.period, pe.Finding(), fix)
	}
	return fmt.Errorf("fetch %s %s: %s: adding %s candles would mix candle lengths in one "+
		"file; nothing written (give --out a new file, or --period %s)", o.pair, o.period,
		pe.Finding(), poloniex.PeriodName(pe.Want), poloniex.PeriodName(pe.Found))
}

// tryReporter is fetch's HTTP transport: it notes on stderr a request that has had no
// answer for slowNote, and before each retry what went wrong and how long it waits, so
// that a server that never answers does not look like a hang.
type tryReporter struct {
	stderr io.Writer
	mu     sync.Mutex
	tries  int    // failed tries so far
	last   string // why the last try failed
}

func (r *tryReporter) RoundTrip(req *http.Request) (*http.Response, error) {
	answered := false // under r.mu: the note must not come after the answer
	slow := time.AfterFunc(slowNote, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !answered {
			fmt.Fprintf(r.stderr, "fetch: no answer yet from %s after %v (a try gives up "+
				"after %v)\n", req.URL.Host, slowNote, fetchTimeout)
		}
	})
	resp, err := http.DefaultTransport.RoundTrip(req)
	slow.Stop()

	r.mu.Lock()
	defer r.mu.Unlock()
	answered = true
	deadline, ok := req.Context().Deadline()
	switch {
	case err != nil && ok && !time.Now().Before(deadline):
		r.last = fmt.Sprintf("no answer from %s within %v", req.URL.Host, fetchTimeout)
	case err != nil:
		r.last = err.Error()
	default: // poloniex finds a transient error in the body
		r.last = fmt.Sprintf("%s from %s", resp.Status, req.URL.Host)
	}
	return resp, err
}

// wait is poloniex.Config.Sleep: it says the try failed and waits d, or until ctx ends.
func (r *tryReporter) wait(ctx context.Context, d time.Duration) {
	r.mu.Lock()
	r.tries++
	fmt.Fprintf(r.stderr, "fetch: try %d failed (%s); retrying in %v\n", r.tries, r.last, d)
	r.mu.Unlock()
	fetchSleep(ctx, d)
}

// fetchSleep waits d or until ctx ends; tests replace it.
var fetchSleep = func(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
