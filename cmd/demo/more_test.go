package main

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seqnn/seqnn/train"
)

// The training fixtures of reference/generate.py, see train/reference_test.go.
const refDir = "../../train/testdata/reference"

// parseLines reads predict's output: one line of comma-separated values per window.
func parseLines(t *testing.T, out string) [][]float64 {
	t.Helper()
	var rows [][]float64
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var row []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("predict output %q: %v", line, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestTrainAndPredictReference: the comparison flags reproduce torch's training of the
// PyTorch-convention GRU (reference/generate.py) through the command line, and predict
// gives the same predictions from the trained checkpoint as from torch's weights.
func TestTrainAndPredictReference(t *testing.T) {
	out := t.TempDir()
	windows := filepath.Join(refDir, "windows.csv")
	code, stdout, stderr := runDemo("train", "--out", out, "--model", "gru", "--epochs", "2",
		"--windows", windows, "--init", filepath.Join(refDir, "gru_pytorch-init.safetensors"),
		"--no-shuffle", "--no-dropout", "--dtype", "float64", "--convention", "pytorch",
		"--adam-form", "pytorch")
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "training gru on 20 windows, 3 batches of up to 8") {
		t.Errorf("stdout:\n%s", stdout)
	}
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "gru-02-*.safetensors"))
	if len(ckpts) != 1 {
		t.Fatalf("checkpoints %v", ckpts)
	}

	var preds [2][][]float64
	for i, weights := range []string{ckpts[0],
		filepath.Join(refDir, "gru_pytorch-epoch2.safetensors")} {
		code, stdout, stderr := runDemo("predict", "--model", "gru", "--weights", weights,
			"--input", windows)
		if code != exitOK || !strings.HasPrefix(stderr, "demo predict: ") {
			t.Fatalf("predict %s: exit %d: %s", weights, code, stderr)
		}
		preds[i] = parseLines(t, stdout)
		if len(preds[i]) != 20 || len(preds[i][0]) != 16 {
			t.Fatalf("predict: %d lines of %d values, want 20 of 16", len(preds[i]),
				len(preds[i][0]))
		}
	}
	for n := range preds[0] {
		for j, v := range preds[0][n] {
			if w := preds[1][n][j]; math.Abs(v-w) > 1e-9*math.Abs(w) {
				t.Errorf("window %d, step %d: %v from the Go-trained weights, %v from "+
					"torch's", n, j, v, w)
			}
		}
	}
}

// TestPredict: float32 output round-trips as float32; bad input fails with one line
// naming the file and line.
func TestPredict(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(refDir, "cnn_keras-init.safetensors")
	windows := filepath.Join(refDir, "windows.csv")
	code, stdout, stderr := runDemo("predict", "--model", "cnn", "--weights", weights,
		"--input", windows, "--dtype", "float32")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 32)
			if err != nil || strconv.FormatFloat(v, 'g', -1, 32) != f {
				t.Fatalf("%q does not round-trip as a float32", f)
			}
		}
	}

	short := filepath.Join(dir, "short.csv")
	os.WriteFile(short, []byte(strings.Repeat("0.5,", 255)+"0.5\n0.5,0.5\n"), 0o644)
	// A value that float32 holds only as +Inf is refused when read; one far outside the
	// model's range in float64 gives no line of NaN, an error instead.
	huge := filepath.Join(dir, "huge.csv")
	os.WriteFile(huge, []byte(strings.Repeat("0.5,", 255)+"0.5\n1e300,"+
		strings.Repeat("0.5,", 254)+"0.5\n"), 0o644)
	huger := filepath.Join(dir, "huger.csv")
	os.WriteFile(huger, []byte(strings.Repeat("0.5,", 255)+"0.5\n"+
		strings.Repeat("1.7e308,", 255)+"1.7e308\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", "cnn", "--weights", weights, "--input", short}, exitError,
			short + ":2: 2 values; want 256 values"},
		{[]string{"--model", "gru", "--weights", weights, "--input", windows}, exitError,
			weights + " records model cnn; leave out --model"},
		{[]string{"--weights", weights, "--input", windows, "--dataset", "x"}, exitUsage,
			"--dataset needs --usd"},
		{[]string{"--model", "cnn", "--weights", filepath.Join(dir, "none"), "--input",
			windows}, exitError, "none"},
		{[]string{"--model", "cnn,gru", "--weights", weights, "--input", windows}, exitUsage,
			"--model: give one of"},
		{[]string{"--model", "cnn", "--weights", weights, "--input", huge, "--dtype",
			"float32"}, exitError, huge + ":2: value 1, \"1e300\", is beyond the range of " +
			"float32"},
		{[]string{"--model", "cnn", "--weights", weights, "--input", huger, "--dtype",
			"float64"}, exitError, huger + ": window 2 (counted from 1) gives a prediction of"},
		{[]string{"--model", "cnn", "--input", windows}, exitUsage, "--weights"},
		{[]string{"--model", "cnn", "--weights", weights}, exitUsage, "--input"},
	} {
		code, stdout, stderr := runDemo(append([]string{"predict"}, c.args...)...)
		last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		if code != c.code || stdout != "" || !strings.Contains(last, c.want) ||
			strings.Count(last, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args,
				code, stdout, stderr, c.code, c.want)
		}
	}
}

// TestPredictInfersModelAndUSD: predict takes the model from the checkpoint when
// --model is left out, and with --usd reads USD windows and prints USD predictions
// through the scaler of the dataset beside the checkpoints, the model-space ones
// unscaled; a checkpoint of another dataset is refused. evaluate's note on models left
// out gives a command with --out, to be copied as it is.
func TestPredictInfersModelAndUSD(t *testing.T) {
	dir := t.TempDir()
	out := prepareOut(t, dir, 272+29*68)
	for _, model := range []string{"cnn", "gru"} {
		if code, _, stderr := runDemo("train", "--out", out, "--model", model, "--epochs",
			"1", "--dtype", "float64"); code != exitOK {
			t.Fatalf("train: exit %d: %s", code, stderr)
		}
	}
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "cnn-01-*.safetensors"))
	if len(ckpts) != 1 {
		t.Fatalf("checkpoints %v", ckpts)
	}
	ds, err := train.LoadDataset(filepath.Join(out, train.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	scaledCSV, usdCSV := windowsCSVs(t, dir, out)

	code, plain, stderr := runDemo("predict", "--weights", ckpts[0], "--input", scaledCSV)
	if code != exitOK {
		t.Fatalf("predict without --model: exit %d: %s", code, stderr)
	}
	code, dollars, stderr := runDemo("predict", "--weights", ckpts[0], "--input", usdCSV,
		"--usd")
	if code != exitOK {
		t.Fatalf("predict --usd: exit %d: %s", code, stderr)
	}
	a, b := parseLines(t, plain), parseLines(t, dollars)
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("%d and %d lines, want 2", len(a), len(b))
	}
	for n := range a {
		for j := range a[n] {
			want := ds.Scaler.Unscale(a[n][j])
			if math.Abs(b[n][j]-want) > 1e-9*math.Abs(want) {
				t.Errorf("window %d, step %d: %v USD, want %v", n, j, b[n][j], want)
			}
		}
	}

	// Another dataset's scaler is refused.
	os.MkdirAll(filepath.Join(dir, "other"), 0o755)
	other := prepareOut(t, filepath.Join(dir, "other"), 272+31*68)
	code, _, stderr = runDemo("predict", "--weights", ckpts[0], "--input", usdCSV, "--usd",
		"--dataset", filepath.Join(other, train.DatasetFile))
	if code != exitError || !strings.Contains(stderr, "trained on another dataset") {
		t.Errorf("--dataset of another run: exit %d, %s", code, stderr)
	}

	code, _, stderr = runDemo("evaluate", "--out", out, "--model", "gru")
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	want := "`demo evaluate --out " + out + " --model cnn,lstm,gru` scores them"
	if code != exitOK || !strings.Contains(string(md), want) {
		t.Errorf("evaluate: exit %d, %s; results.md lacks %q:\n%s", code, stderr, want, md)
	}
}

// TestConvertReadsDataset: reference/convert.py reads a prepared dataset, whose int64
// tensors it once refused with KeyError: 'I64', and a checkpoint. It needs
// /usr/bin/python3 with torch (Debian's python3-torch) and is skipped without them.
func TestConvertReadsDataset(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s with torch: %v", py, err)
	}
	dir := t.TempDir()
	out := prepareOut(t, dir, 272+29*68)
	if code, _, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs",
		"1"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "cnn-01-*.safetensors"))
	ds, err := train.LoadDataset(filepath.Join(out, train.DatasetFile))
	if err != nil || len(ckpts) != 1 {
		t.Fatalf("%v, checkpoints %v", err, ckpts)
	}
	dst, cnn := filepath.Join(dir, "dataset.pt"), filepath.Join(dir, "cnn.pt")
	for _, c := range [][]string{{filepath.Join(out, train.DatasetFile), dst},
		{ckpts[0], cnn}} {
		cmd := exec.Command(py, "../../reference/convert.py", "to-torch", c[0], c[1])
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("convert.py to-torch %s: %v\n%s", c[0], err, b)
		}
	}
	show := `import sys, torch
d = torch.load(sys.argv[1])
t = d["tensors"]
print(t["series/time"].dtype, int(t["series/time"][-1]), t["val/start"].tolist()[0],
      tuple(t["train/x"].shape), d["metadata"]["scale_min"])
print(sorted(torch.load(sys.argv[2])))`
	b, err := exec.Command(py, "-c", show, dst, cnn).CombinedOutput()
	if err != nil {
		t.Fatalf("reading the converted files: %v\n%s", err, b)
	}
	want := fmt.Sprintf("torch.int64 %d %d (%d, %d) %s\n['c1.bias', 'c1.weight', "+
		"'c2.bias', 'c2.weight']\n",
		ds.Times[len(ds.Times)-1], ds.Val.Start[0], ds.Train.Len(), ds.In,
		strconv.FormatFloat(ds.Scaler.Min, 'g', -1, 64))
	if string(b) != want {
		t.Errorf("convert.py gave\n%s\nwant\n%s", b, want)
	}
}

// fakePoloniex serves /markets/BTC_USDT/candles on loopback: one candle per period in
// [startTime, endTime], in the API's 14-field form, closes 100 + i.
func fakePoloniex(t *testing.T, period time.Duration) (*httptest.Server, *int) {
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		if r.URL.Path != "/markets/BTC_USDT/candles" {
			http.Error(w, `{"code":24101,"message":"Invalid symbol"}`, http.StatusBadRequest)
			return
		}
		q := r.URL.Query()
		start, _ := strconv.ParseInt(q.Get("startTime"), 10, 64)
		end, _ := strconv.ParseInt(q.Get("endTime"), 10, 64)
		p := period.Milliseconds()
		var rows []string
		for ms := (start + p - 1) / p * p; ms <= end; ms += p {
			c := fmt.Sprint(100 + ms/p%1000)
			rows = append(rows, fmt.Sprintf(`["%s","%s","%s","%s","10","0.1","5","0.05",3,%d,`+
				`"%s","%s",%d,%d]`, c, c, c, c, ms, c, q.Get("interval"), ms, ms+p-1))
		}
		fmt.Fprint(w, "["+strings.Join(rows, ",")+"]")
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// TestFetch: fetch writes the candles of the range, prints a summary, and a second run
// adds nothing; its output is a file prepare reads.
func TestFetch(t *testing.T) {
	srv, requests := fakePoloniex(t, 5*time.Minute)
	dir := t.TempDir()
	out := filepath.Join(dir, "btc.csv")
	args := []string{"fetch", "--pair", "USDT_BTC", "--period", "5m", "--from", "2024-01-01",
		"--to", "2024-01-05", "--out", out, "--base-url", srv.URL}
	code, stdout, stderr := runDemo(args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// 4 days of 5-min candles: 1152, in pages of 500.
	want := "fetched 1152 5m candles (2024-01-01 00:00 to 2024-01-04 23:55 UTC): 1152 added, " +
		"0 updated, 0 already there: " + out + "\n"
	if !strings.HasSuffix(stdout, want) || *requests != 3 {
		t.Errorf("stdout %q after %d requests, want it to end %q after 3", stdout,
			*requests, want)
	}
	code, stdout, _ = runDemo(args...)
	if code != exitOK || !strings.Contains(stdout, ": 0 added, 0 updated, 1152 already there") {
		t.Errorf("second fetch: exit %d, stdout %q", code, stdout)
	}
	code, stdout, stderr = runDemo("prepare", "--data", out, "--out", filepath.Join(dir, "o"),
		"--stride", "272")
	if code != exitOK || !strings.Contains(stdout, "btc.csv: 1152 rows, 2024-01-01 00:00 to "+
		"2024-01-04 23:55 UTC, period 5m0s, no gaps") {
		t.Errorf("prepare the fetched file: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--from", "2024-01-01", "--out", out, "--period", "7m"}, exitUsage, "--period"},
		{[]string{"--from", "01/02/2024", "--out", out}, exitUsage, `--from "01/02/2024"`},
		{[]string{"--out", out}, exitUsage, "--from: give the first date"},
		{[]string{"--from", "2024-01-01"}, exitUsage, "--out: give the candle CSV file"},
		{[]string{"--from", "2024-01-01", "--to", "2024-01-02", "--out", out, "--pair",
			"XYZ_ABC", "--base-url", srv.URL}, exitError, "XYZ"},
	} {
		code, _, stderr := runDemo(append([]string{"fetch"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("fetch %v: exit %d, stderr %q; want exit %d and %q", c.args, code,
				stderr, c.code, c.want)
		}
	}
}

// TestPrepareReport: prepare prints the data report: rows, span, period, gaps and the
// rows dropped by reason.
func TestPrepareReport(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("date,close\n")
	for i := range 272 * 6 {
		if i == 100 || i == 101 {
			continue // a gap of two periods
		}
		fmt.Fprintf(&b, "%d,%d\n", 1_500_000_000+i*1800, 200+i%50)
	}
	b.WriteString("1600000000000000,abc\n")
	path := filepath.Join(dir, "gappy.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	code, stdout, stderr := runDemo("prepare", "--data", path, "--out", filepath.Join(dir, "o"),
		"--drop-bad")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"gappy.csv: 1630 rows, 2017-07-14 02:40 to ",
		"period 30m0s, 1 gap (2 missing periods", "1 bad row dropped ("} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestSources: demo sources prints the embedded provenance note and nothing else.
func TestSources(t *testing.T) {
	code, stdout, stderr := runDemo("sources")
	if code != exitOK || !strings.HasPrefix(stdout, "# Data sources") ||
		!strings.Contains(stdout, "poloniex_usdt_btc_30m_2015_2017.csv") || stderr != "" {
		t.Errorf("exit %d, stdout %.60q..., stderr %q", code, stdout, stderr)
	}
}
