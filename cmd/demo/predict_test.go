package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/train"
)

// withoutConfig is predict's stderr without its first line, the configuration.
func withoutConfig(stderr string) string {
	if strings.HasPrefix(stderr, "demo predict: --") {
		return stderr[strings.Index(stderr, "\n")+1:]
	}
	return stderr
}

// predictRun prepares a run in dir on the synthetic candles (closes about 180 to 240
// USD), trains cnn for one epoch in float64, and writes the first two validation
// windows' inputs twice: scaled (model space) and as the USD closes they came from. It
// returns the run's --out, the checkpoint and the two windows files.
func predictRun(t *testing.T, dir string) (out, ckpt, scaledCSV, usdCSV string) {
	t.Helper()
	out = prepareOut(t, dir, 272+29*68)
	if code, _, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs", "1",
		"--dtype", "float64"); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "cnn-01-*.safetensors"))
	if len(ckpts) != 1 {
		t.Fatalf("checkpoints %v", ckpts)
	}
	scaledCSV, usdCSV = windowsCSVs(t, dir, out)
	return out, ckpts[0], scaledCSV, usdCSV
}

// windowsCSVs writes the first two validation windows' inputs of the run in out twice,
// in dir: scaled (model space) and as the USD closes they came from.
func windowsCSVs(t *testing.T, dir, out string) (scaledCSV, usdCSV string) {
	t.Helper()
	ds, err := train.LoadDataset(filepath.Join(out, train.DatasetFile))
	if err != nil {
		t.Fatal(err)
	}
	var scaled, usd strings.Builder
	for n := range 2 {
		for i, v := range ds.Val.X[n*ds.In : (n+1)*ds.In] {
			sep := ","
			if i == ds.In-1 {
				sep = "\n"
			}
			scaled.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + sep)
			c := ds.Closes[ds.Val.Start[n]+i]
			usd.WriteString(strconv.FormatFloat(c, 'g', -1, 64) + sep)
		}
	}
	scaledCSV, usdCSV = filepath.Join(dir, "scaled.csv"), filepath.Join(dir, "usd.csv")
	os.WriteFile(scaledCSV, []byte(scaled.String()), 0o644)
	os.WriteFile(usdCSV, []byte(usd.String()), 0o644)
	return scaledCSV, usdCSV
}

// TestPredictWrongSpace: windows in the wrong space draw one warning line on stderr and
// still print their predictions: USD closes without --usd (inputs near 200 in model
// space, beyond [-1, 5]) suggest --usd, and scaled windows with --usd (closes within
// [-1, 5], below the lowest training close) suggest leaving it out. Windows in the
// right space draw none. Before, both wrong cases printed plausible numbers silently.
func TestPredictWrongSpace(t *testing.T) {
	_, ckpt, scaledCSV, usdCSV := predictRun(t, t.TempDir())
	for _, c := range []struct {
		args []string
		want string // "" for no warning
	}{
		{[]string{"--input", scaledCSV}, ""},
		{[]string{"--input", usdCSV, "--usd"}, ""},
		{[]string{"--input", usdCSV}, "demo predict: warning: " + usdCSV + ": inputs far " +
			"outside the model's training range in 2 of 2 windows (first: window 1"},
		{[]string{"--input", scaledCSV, "--usd"}, "demo predict: warning: " + scaledCSV +
			": closes that look like model-space values in 2 of 2 windows (first: window 1"},
	} {
		code, stdout, stderr := runDemo(append([]string{"predict", "--weights", ckpt},
			c.args...)...)
		stderr = withoutConfig(stderr)
		if code != exitOK || len(parseLines(t, stdout)) != 2 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, stdout, stderr)
			continue
		}
		warned := strings.Contains(stderr, "warning")
		if c.want == "" && warned || c.want != "" && (!strings.Contains(stderr, c.want) ||
			strings.Count(stderr, "\n") != 1) {
			t.Errorf("%v: stderr %q, want %q", c.args, stderr, c.want)
		}
	}
	_, _, stderr := runDemo("predict", "--weights", ckpt, "--input", usdCSV)
	stderr = withoutConfig(stderr)
	if !strings.HasSuffix(stderr, "if they are closes in USD, pass --usd\n") {
		t.Errorf("USD without --usd: %q does not suggest --usd", stderr)
	}
	_, _, stderr = runDemo("predict", "--weights", ckpt, "--input", scaledCSV, "--usd")
	if !strings.HasSuffix(stderr, "if the windows are already scaled, leave out --usd\n") {
		t.Errorf("scaled with --usd: %q does not suggest leaving out --usd", stderr)
	}
}

// TestPredictDTypeRange: a value beyond float32's range is refused in a float32 run,
// naming the file, line and value and the way out (--dtype float64), where 1e39 and
// 1e300 once passed and a recurrent model printed saturated, plausible predictions; a
// float64 run takes them.
func TestPredictDTypeRange(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(refDir, "gru_keras-init.safetensors")
	ok := strings.Repeat("0.5,", 255) + "0.5\n"
	for _, v := range []string{"1e39", "-1e300"} {
		path := filepath.Join(dir, "huge.csv")
		os.WriteFile(path, []byte(ok+"0.5,0.5,"+v+","+strings.Repeat("0.5,", 252)+
			"0.5\n"), 0o644)
		code, stdout, stderr := runDemo("predict", "--model", "gru", "--weights", weights,
			"--input", path, "--dtype", "float32")
		want := path + ":2: value 3, \"" + v + "\", is beyond the range of float32 " +
			"(±3.403e+38), the dtype the model runs in; write the values as the model " +
			"sees them, scaled (see docs/DATA.md), or run in float64 with --dtype float64\n"
		if code != exitError || stdout != "" || !strings.HasSuffix(stderr, want) {
			t.Errorf("%s in float32: exit %d, stdout %q, stderr %q; want %q", v, code,
				stdout, stderr, want)
		}
		code, stdout, stderr = runDemo("predict", "--model", "gru", "--weights", weights,
			"--input", path, "--dtype", "float64")
		if code != exitOK || len(parseLines(t, stdout)) != 2 {
			t.Errorf("%s in float64: exit %d, %s", v, code, stderr)
		}
	}
}

// TestPredictUSDFiles: --usd finds ../dataset.safetensors for --weights given without a
// directory inside the checkpoints directory (it looked for ./dataset.safetensors);
// weights of a --windows run say "leave out --usd" at once, not "give --dataset"; the
// prepared dataset given as --weights is named as such, not as a file that records no
// model or holds a tensor that is not a weight.
func TestPredictUSDFiles(t *testing.T) {
	dir := t.TempDir()
	out, ckpt, _, usdCSV := predictRun(t, dir)

	win := filepath.Join(dir, "win")
	if code, _, stderr := runDemo("train", "--out", win, "--model", "cnn", "--epochs", "1",
		"--windows", filepath.Join(refDir, "windows.csv")); code != exitOK {
		t.Fatalf("train --windows: exit %d: %s", code, stderr)
	}
	wckpts, _ := filepath.Glob(filepath.Join(win, "checkpoints", "cnn-01-*.safetensors"))
	if len(wckpts) != 1 {
		t.Fatalf("checkpoints %v", wckpts)
	}
	dataset := filepath.Join(out, train.DatasetFile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--weights", wckpts[0], "--usd"}, "--usd: " + wckpts[0] + " was trained " +
			"on --windows files, in model space, with no USD scale; leave out --usd\n"},
		{[]string{"--weights", wckpts[0], "--usd", "--dataset", dataset}, "leave out --usd\n"},
		{[]string{"--weights", dataset}, "--weights " + dataset + ": this is a prepared " +
			"dataset (format seqnn-dataset), not weights; give a checkpoint"},
		{[]string{"--weights", dataset, "--model", "cnn"}, "this is a prepared dataset"},
	} {
		code, stdout, stderr := runDemo(append([]string{"predict", "--input", usdCSV},
			c.args...)...)
		stderr = withoutConfig(stderr)
		if code != exitError || stdout != "" || !strings.Contains(stderr, c.want) ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, stdout,
				stderr, c.want)
		}
	}

	t.Chdir(filepath.Dir(ckpt))
	code, stdout, stderr := runDemo("predict", "--weights", filepath.Base(ckpt), "--input",
		usdCSV, "--usd")
	if code != exitOK || len(parseLines(t, stdout)) != 2 || withoutConfig(stderr) != "" {
		t.Errorf("--weights %s --usd in its directory: exit %d, stderr %q",
			filepath.Base(ckpt), code, stderr)
	}
}

// TestConvertKeepsDataset: reference/convert.py carries a checkpoint's model, dataset,
// convention and dtype through to-torch and from-torch, so predict --usd refuses another
// run's dataset for the converted weights as for the checkpoint (it once took any, and
// printed prices tens of USD off); from-torch takes the model from them and refuses
// another --model. Weights from a state_dict without that metadata give a note that
// --usd cannot check the dataset. Needs /usr/bin/python3 with torch, else skipped.
func TestConvertKeepsDataset(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s with torch: %v", py, err)
	}
	dir := t.TempDir()
	out, ckpt, _, usdCSV := predictRun(t, dir)
	os.MkdirAll(filepath.Join(dir, "other"), 0o755)
	other := filepath.Join(prepareOut(t, filepath.Join(dir, "other"), 272+31*68),
		train.DatasetFile)
	convert := func(args ...string) (string, error) {
		b, err := exec.Command(py, append([]string{"../../reference/convert.py"},
			args...)...).CombinedOutput()
		return string(b), err
	}
	pt, back := filepath.Join(dir, "cnn.pt"), filepath.Join(dir, "cnn.safetensors")
	if b, err := convert("to-torch", ckpt, pt); err != nil {
		t.Fatalf("to-torch: %v\n%s", err, b)
	}
	if b, err := convert("from-torch", pt, back); err != nil {
		t.Fatalf("from-torch without --model: %v\n%s", err, b)
	}
	if b, err := convert("from-torch", pt, filepath.Join(dir, "x"), "--model", "gru"); err ==
		nil || !strings.Contains(b, "--model gru: "+pt+" records model cnn") {
		t.Errorf("from-torch --model gru of a cnn: %v\n%s", err, b)
	}

	src, err := train.OpenWeights(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	w, err := train.OpenWeights(back)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model", "dataset", "convention", "dtype"} {
		if w.Meta[k] != src.Meta[k] || w.Meta[k] == "" {
			t.Errorf("metadata %q: %q after the round trip, %q in the checkpoint", k,
				w.Meta[k], src.Meta[k])
		}
	}

	code, _, stderr := runDemo("predict", "--weights", back, "--input", usdCSV, "--usd",
		"--dataset", other)
	if code != exitError || !strings.Contains(stderr, "trained on another dataset") {
		t.Errorf("converted weights, another run's dataset: exit %d, %s", code, stderr)
	}
	dataset := filepath.Join(out, train.DatasetFile)
	code, _, stderr = runDemo("predict", "--weights", back, "--input", usdCSV, "--usd",
		"--dataset", dataset)
	if code != exitOK || withoutConfig(stderr) != "" {
		t.Errorf("converted weights, their dataset: exit %d, %q", code, stderr)
	}

	// A state_dict as a model's state_dict() returns it: no seqnn metadata.
	bare, bareST := filepath.Join(dir, "bare.pt"), filepath.Join(dir, "bare.safetensors")
	strip := `import sys, torch
torch.save({k: v for k, v in torch.load(sys.argv[1]).items()}, sys.argv[2])`
	if b, err := exec.Command(py, "-c", strip, pt, bare).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, b)
	}
	if b, err := convert("from-torch", bare, bareST); err == nil ||
		!strings.Contains(b, "from-torch needs --model") {
		t.Errorf("from-torch of a bare state_dict without --model: %v\n%s", err, b)
	}
	if b, err := convert("from-torch", bare, bareST, "--model", "cnn"); err != nil {
		t.Fatalf("from-torch --model cnn: %v\n%s", err, b)
	}
	code, stdout, stderr := runDemo("predict", "--weights", bareST, "--input", usdCSV,
		"--usd", "--dataset", other)
	want := "demo predict: note: " + bareST + " records no dataset"
	if code != exitOK || len(parseLines(t, stdout)) != 2 ||
		!strings.HasPrefix(withoutConfig(stderr), want) ||
		!strings.Contains(stderr, "--usd cannot check that "+other+" is the dataset") {
		t.Errorf("weights without a dataset: exit %d, stderr %q, want a note %q...", code,
			stderr, want)
	}
}
