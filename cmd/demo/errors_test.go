package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tensorInfo is a safetensors header entry.
type tensorInfo struct {
	DType   string `json:"dtype"`
	Offsets [2]int `json:"data_offsets"`
}

// readSafetensors returns the bytes of the safetensors file at path, the length n of its
// JSON header (the tensors' data starts at 8+n) and the header's entries by name.
func readSafetensors(t *testing.T, path string) (b []byte, n int, header map[string]json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n = int(binary.LittleEndian.Uint64(b))
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	return b, n, header
}

// poison copies the safetensors file src to dst with element i of the F64 tensor name
// set to NaN, and returns dst.
func poison(t *testing.T, src, dst, name string, i int) string {
	t.Helper()
	b, n, header := readSafetensors(t, src)
	var info tensorInfo
	if err := json.Unmarshal(header[name], &info); err != nil || info.DType != "F64" {
		t.Fatalf("%s in %s: %+v, %v", name, src, info, err)
	}
	at := 8 + n + info.Offsets[0] + 8*i
	binary.LittleEndian.PutUint64(b[at:], math.Float64bits(math.NaN()))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// lastLine is the last line of s, which must be its only error line.
func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}

// prepareOut prepares the synthetic series in dir/out at stride 68 and returns out.
func prepareOut(t *testing.T, dir string, L int) string {
	t.Helper()
	csv := writeCSV(t, dir, L)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("prepare", "--data", csv, "--out", out, "--stride",
		"68"); code != exitOK {
		t.Fatalf("prepare: exit %d: %s", code, stderr)
	}
	return out
}

// TestNaNWeightsRefused: an --init or --weights file with a NaN fails with one line
// naming the file, the tensor and the element, and training writes nothing.
func TestNaNWeightsRefused(t *testing.T) {
	dir := t.TempDir()
	nan := poison(t, filepath.Join(refDir, "gru_keras-init.safetensors"),
		filepath.Join(dir, "nan.safetensors"), "dense/kernel", 17)
	out := filepath.Join(dir, "out")
	windows := filepath.Join(refDir, "windows.csv")
	want := nan + `: tensor "dense/kernel" element 17 [1 1] is NaN; every weight must be finite`
	for _, args := range [][]string{
		{"train", "--model", "gru", "--windows", windows, "--init", nan, "--out", out,
			"--epochs", "1"},
		{"predict", "--model", "gru", "--weights", nan, "--input", windows},
	} {
		code, stdout, stderr := runDemo(args...)
		if code != exitError || !strings.HasPrefix(lastLine(stderr), want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", args[0], code, stderr, want)
		}
		if args[0] == "predict" && stdout != "" {
			t.Errorf("predict printed %q", stdout)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*")); len(names) > 0 {
		t.Errorf("checkpoints %v from NaN weights", names)
	}
}

// TestDamagedCheckpoint: evaluate and train --resume refuse a checkpoint whose data
// changed, saying to delete it.
func TestDamagedCheckpoint(t *testing.T) {
	out := prepareOut(t, t.TempDir(), 272+29*68)
	if code, _, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs",
		"1"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	names, _ := filepath.Glob(filepath.Join(out, "checkpoints", "cnn-01-*"))
	if len(names) != 1 {
		t.Fatalf("checkpoints %v", names)
	}
	b, _ := os.ReadFile(names[0])
	b[len(b)-3] ^= 0x40
	b[len(b)-11] ^= 0x02
	os.WriteFile(names[0], b, 0o644)
	want := names[0] + ": checksum mismatch: the file is damaged; delete it (train " +
		"--resume continues from the checkpoint before it)"
	for _, args := range [][]string{{"evaluate", "--model", "cnn"},
		{"train", "--model", "cnn", "--epochs", "2", "--resume"}} {
		code, _, stderr := runDemo(append(args, "--out", out)...)
		if code != exitError || lastLine(stderr) != want {
			t.Errorf("%s: exit %d, stderr %q; want %q", args[0], code, stderr, want)
		}
	}
}

// TestResumeAfterPrepareAgain: --resume refuses checkpoints of a dataset prepared since,
// and deletes none of them.
func TestResumeAfterPrepareAgain(t *testing.T) {
	dir := t.TempDir()
	out := prepareOut(t, dir, 272+29*68)
	if code, _, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs",
		"1"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	before, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*"))
	prepareOut(t, dir, 272+30*68) // another series, the same out
	code, _, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs", "2",
		"--resume")
	want := "--resume: the cnn checkpoints in " + filepath.Join(out, "checkpoints") +
		" were trained on another dataset (prepared again since?); train without --resume " +
		"to start over (their checkpoints will be replaced)"
	if code != exitError || lastLine(stderr) != want {
		t.Errorf("exit %d, stderr %q; want %q", code, stderr, want)
	}
	after, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*"))
	if len(before) != 1 || len(after) != 1 || before[0] != after[0] {
		t.Errorf("checkpoints %v before, %v after", before, after)
	}
}

// TestPredictConventionMismatch: a --convention other than the one the weights record
// is refused; another --dtype runs, with a note.
func TestPredictConventionMismatch(t *testing.T) {
	weights := filepath.Join(refDir, "gru_keras-init.safetensors")
	windows := filepath.Join(refDir, "windows.csv")
	code, stdout, stderr := runDemo("predict", "--model", "gru", "--weights", weights,
		"--input", windows, "--convention", "pytorch")
	want := "--convention pytorch: " + weights + " records convention keras"
	if code != exitError || stdout != "" || !strings.HasPrefix(lastLine(stderr), want) {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	code, stdout, stderr = runDemo("predict", "--model", "gru", "--weights", weights,
		"--input", windows, "--dtype", "float32")
	if code != exitOK || !strings.Contains(stderr, "records dtype float64; running it in "+
		"float32") || strings.Count(stdout, "\n") != 20 {
		t.Errorf("--dtype float32: exit %d, stderr %q", code, stderr)
	}
}

// TestFileFlagErrors: a flag naming a missing file, a directory or a file where a
// directory belongs fails with one line naming the flag and the fix.
func TestFileFlagErrors(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "regfile")
	os.WriteFile(reg, []byte("x"), 0o644)
	csv := writeCSV(t, dir, 272+29*68)
	windows := filepath.Join(refDir, "windows.csv")
	weights := filepath.Join(refDir, "cnn_keras-init.safetensors")
	none := filepath.Join(dir, "nonexist")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"prepare", "--data", csv, "--out", reg},
			"--out " + reg + ": is a file, not a directory; choose a directory"},
		{[]string{"prepare", "--data", csv, "--out", reg + "/x"},
			"--out " + reg + "/x: cannot create the directory (mkdir " + reg + ": not a " +
				"directory): choose a writable directory"},
		{[]string{"train", "--windows", windows, "--model", "cnn", "--out", reg + "/x"},
			"--out " + reg + "/x: cannot create the directory ("},
		{[]string{"evaluate", "--out", reg}, "--out " + reg + ": is a file, not a directory"},
		{[]string{"prepare", "--data", dir, "--out", filepath.Join(dir, "o")},
			"--data " + dir + ": is a directory; give a candle file"},
		{[]string{"predict", "--model", "cnn", "--weights", none, "--input", windows},
			"--weights " + none + ": no such file; check the path"},
		{[]string{"predict", "--model", "cnn", "--weights", weights, "--input", dir},
			"--input " + dir + ": is a directory; give a CSV file of windows"},
		{[]string{"train", "--windows", none, "--model", "cnn", "--out", dir},
			"--windows " + none + ": no such file; check the path"},
		{[]string{"train", "--windows", windows, "--init", dir, "--model", "cnn", "--out",
			filepath.Join(dir, "o2")}, "--init " + dir + ": is a directory; give a " +
			"safetensors file of weights"},
		{[]string{"prepare", "--data", csv, "--stride", "100000000", "--out", dir},
			"--stride 100000000 exceeds the 2244 rows of " + csv + "; use a stride of at " +
				"most 1972"},
		{[]string{"prepare", "--data", csv, "--stride", "2000", "--out", dir},
			"--stride 2000 leaves room for one window of 272 in the 2244 rows of " + csv +
				", and a split needs two; use a stride of at most 1972"},
	} {
		code, _, stderr := runDemo(c.args...)
		if code != exitError || !strings.HasPrefix(lastLine(stderr), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", c.args, code, stderr,
				c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o")); err == nil {
		t.Error("prepare --data DIR created its --out")
	}
}

// TestSeedFlag: a seed that is not a whole number ≥ 0 says so, as a usage error.
func TestSeedFlag(t *testing.T) {
	for _, s := range []string{"-1", "1.5", "x"} {
		code, _, stderr := runDemo("train", "--seed", s)
		want := fmt.Sprintf("demo train: --seed %q: want a whole number ≥ 0", s)
		if code != exitUsage || !strings.HasPrefix(stderr, want) ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("--seed %s: exit %d, stderr %q; want %q", s, code, stderr, want)
		}
	}
	code, stdout, _ := runDemo("train", "--seed", "18446744073709551615", "--out",
		filepath.Join(t.TempDir(), "none"))
	if code != exitError || !strings.Contains(stdout, "--seed=18446744073709551615 ") {
		t.Errorf("the largest seed: exit %d, stdout %q", code, stdout)
	}
}

// TestEvaluateWindowsRun: evaluate after a --windows run says evaluate does not apply,
// with or without a prepared dataset; its --batch help does not speak of epochs.
func TestEvaluateWindowsRun(t *testing.T) {
	windows := filepath.Join(refDir, "windows.csv")
	for _, prepared := range []bool{false, true} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		if prepared {
			out = prepareOut(t, dir, 272+29*68)
		}
		if code, _, stderr := runDemo("train", "--windows", windows, "--model", "cnn",
			"--epochs", "1", "--out", out); code != exitOK {
			t.Fatalf("train: exit %d: %s", code, stderr)
		}
		code, _, stderr := runDemo("evaluate", "--model", "cnn", "--out", out)
		if code != exitError || !strings.HasSuffix(lastLine(stderr), "come from a --windows "+
			"run; evaluate scores runs on prepared candles; a --windows run has no USD "+
			"scale: use demo predict") {
			t.Errorf("prepared %v: exit %d, stderr %q", prepared, code, stderr)
		}
	}
	_, help, _ := runDemo("evaluate", "--help")
	if strings.Contains(help, "epoch") {
		t.Errorf("evaluate --help speaks of epochs:\n%s", help)
	}
}

// TestInterruptNote: Ctrl-C promises a checkpoint only while training runs, and says
// that evaluate finishes only once it has begun writing; whichever of evaluate and the
// Ctrl-C claims the writes first decides, and the note agrees with it.
func TestInterruptNote(t *testing.T) {
	if n := interruptNote(true, ""); !strings.Contains(n, "saving a checkpoint") {
		t.Errorf("training: %q", n)
	}
	if n := interruptNote(false, ""); !strings.Contains(n, "interrupt: stopping") ||
		strings.Contains(n, "checkpoint") {
		t.Errorf("not training: %q", n)
	}
	n := interruptNote(false, "evaluate is writing results.md and the plots")
	if !strings.Contains(n, "evaluate is writing results.md and the plots, and finishes "+
		"first") || strings.Contains(n, "half written") {
		t.Errorf("writing: %q", n)
	}

	ctx := context.Background()
	writes.Store(writesOpen)
	if !beginWrites(ctx) || !strings.HasPrefix(writingNote(), "evaluate is writing") {
		t.Errorf("a Ctrl-C after evaluate began writing stops it")
	}
	writes.Store(writesOpen)
	if !claimWrites(ctx, "prepare is writing") || writingNote() != "prepare is writing" {
		t.Errorf("a Ctrl-C after prepare began writing stops it")
	}
	writes.Store(writesOpen)
	if !stopWrites() || beginWrites(ctx) {
		t.Errorf("evaluate writes after a Ctrl-C that came first")
	}
	writes.Store(writesOpen)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if beginWrites(cancelled) {
		t.Errorf("evaluate writes with a cancelled context")
	}
}

// TestEvaluateInterrupted: Ctrl-C during evaluate stops it with exit 130 before it
// writes anything, saying so and what writes the outputs.
func TestEvaluateInterrupted(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("run", "--data", csv, "--stride", "68", "--out", out,
		"--epochs", "1", "--model", "cnn"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	md := filepath.Join(out, "results.md")
	if err := os.WriteFile(md, []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := hashes(t, out)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, []string{"evaluate", "--out", out, "--model", "cnn"}, &o, &e)
	want := "evaluate interrupted before writing anything: results.md and the plots in " +
		out + " are as they were; demo evaluate --out " + out + " --model cnn writes them\n"
	if code != exitInterrupted || e.String() != want {
		t.Errorf("evaluate: exit %d, stderr %q, want %q", code, e.String(), want)
	}
	if !maps.Equal(before, hashes(t, out)) {
		t.Errorf("an interrupted evaluate changed files")
	}
}

// TestFetchRetriesAndEmpty: fetch says on stderr when a try fails or has no answer yet
// and that it retries; a range without candles is an error that writes nothing.
func TestFetchRetriesAndEmpty(t *testing.T) {
	defer func(t, n time.Duration, s func(context.Context, time.Duration)) {
		fetchTimeout, slowNote, fetchSleep = t, n, s
	}(fetchTimeout, slowNote, fetchSleep)
	fetchTimeout, slowNote = 300*time.Millisecond, 50*time.Millisecond
	fetchSleep = func(context.Context, time.Duration) {}

	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	mute := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer mute.Close()
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "[]")
	}))
	defer empty.Close()

	dir := t.TempDir()
	out := filepath.Join(dir, "btc.csv")
	fetch := func(url string) (int, string) {
		code, _, stderr := runDemo("fetch", "--from", "2024-01-01", "--to", "2024-01-02",
			"--out", out, "--base-url", url)
		return code, stderr
	}
	code, stderr := fetch(busy.URL)
	if code != exitError || !strings.Contains(stderr, "fetch: try 1 failed (503 Service "+
		"Unavailable from ") || !strings.Contains(stderr, "; retrying in ") {
		t.Errorf("busy server: exit %d, stderr %q", code, stderr)
	}
	code, stderr = fetch(mute.URL)
	if code != exitError || !strings.Contains(stderr, "fetch: no answer yet from ") ||
		!strings.Contains(stderr, "fetch: try 1 failed (no answer from ") {
		t.Errorf("mute server: exit %d, stderr %q", code, stderr)
	}
	code, stderr = fetch(empty.URL)
	want := "fetch: no candles between 2024-01-01 00:00 and 2024-01-02 00:00 UTC for " +
		"USDT_BTC; nothing written"
	if code != exitError || !strings.HasPrefix(lastLine(stderr), want) {
		t.Errorf("empty range: exit %d, stderr %q; want %q", code, stderr, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}
