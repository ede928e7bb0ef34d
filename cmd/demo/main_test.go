package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeCSV writes L synthetic half-hour candles as date,close and returns the path.
func writeCSV(t *testing.T, dir string, L int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("date,close\n")
	for i := range L {
		c := 200 + 0.05*float64(i) + 20*math.Sin(float64(i)/15) + 5*math.Sin(float64(i)/3.7)
		fmt.Fprintf(&b, "%d,%.4f\n", 1_500_000_000+i*1800, c)
	}
	path := filepath.Join(dir, "candles.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDemo(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// TestRunEndToEnd runs the whole tutorial on a short synthetic series: 2244 candles at
// stride 68 give 24 training and 3 validation windows.
func TestRunEndToEnd(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runDemo("run", "--data", csv, "--out", out, "--epochs", "2",
		"--stride", "68", "--model", "cnn,gru", "--seed", "5")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}

	if !strings.HasPrefix(stdout, "demo run: --batch=8 --columns=\"\" --data="+csv) ||
		!strings.Contains(stdout, "--epochs=2 ") || !strings.Contains(stdout, "--seed=5 ") {
		t.Errorf("configuration line missing or wrong:\n%s", stdout)
	}
	epochLine := regexp.MustCompile(`(?m)^epoch 2/2  loss [0-9.]+  val_loss [0-9.]+  [0-9.]+s$`)
	if n := len(epochLine.FindAllString(stdout, -1)); n != 2 {
		t.Errorf("%d lines for the last epoch, want one per model:\n%s", n, stdout)
	}

	for _, model := range []string{"cnn", "gru"} {
		log, err := os.ReadFile(filepath.Join(out, model+"-log.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows := regexp.MustCompile(`^epoch,loss,val_loss\n0,[0-9.e-]+,[0-9.e-]+\n1,[0-9.e-]+,[0-9.e-]+\n$`)
		if !rows.Match(log) {
			t.Errorf("%s log:\n%s", model, log)
		}
		names, _ := filepath.Glob(filepath.Join(out, "checkpoints", model+"-*"))
		re := regexp.MustCompile(`/` + model + `-0[12]-[0-9]+\.[0-9]{5}\.safetensors$`)
		if len(names) != 2 || !re.MatchString(names[0]) || !re.MatchString(names[1]) {
			t.Errorf("%s checkpoints %v", model, names)
		}
		if _, err := os.Stat(filepath.Join(out, model+"-predictions.png")); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "predictions.png")); err != nil {
		t.Error(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| cnn |", "| gru |", "| lag baseline |", "| persistence |",
		"| linear regression |", "On test MSE: "} {
		if !strings.Contains(string(md), row) || !strings.Contains(stdout, row) {
			t.Errorf("results.md or stdout lacks %q:\n%s", row, md)
		}
	}
	if strings.Contains(string(md), "| lstm |") {
		t.Error("results.md has a row for lstm, which was not trained")
	}

	// evaluate alone reads the same files and gives the same table.
	code, stdout2, stderr := runDemo("evaluate", "--out", out, "--model", "cnn,gru")
	if code != exitOK || !strings.Contains(stdout2, string(md)) {
		t.Errorf("evaluate: exit %d, stderr %s, stdout:\n%s", code, stderr, stdout2)
	}
}

// TestBadData: each bad file fails with one line that names the file, and nothing is
// written under --out.
func TestBadData(t *testing.T) {
	dir := t.TempDir()
	long := writeCSV(t, dir, 100) // shorter than one window of 272
	cases := map[string]string{
		"empty.csv":       "",
		"noclose.csv":     "date,open\n1500000000,1\n1500001800,2\n",
		"short.csv":       "",
		"nonnumeric.csv":  "date,close\n1500000000,100\n1500001800,abc\n",
		"missing-dir.csv": "-",
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		switch name {
		case "short.csv":
			path = long
		case "missing-dir.csv":
			path = filepath.Join(dir, "nowhere", name)
		default:
			os.WriteFile(path, []byte(content), 0o644)
		}
		for _, cmd := range []string{"run", "prepare"} {
			out := filepath.Join(dir, "out-"+name)
			code, _, stderr := runDemo(cmd, "--data", path, "--out", out)
			if code != exitError {
				t.Errorf("%s %s: exit %d, want %d", cmd, name, code, exitError)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, path) {
				t.Errorf("%s %s: stderr %q, want one line naming %s", cmd, name, stderr, path)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s %s: %s was created", cmd, name, out)
			}
		}
	}
}

// TestBadFlags: each bad command line fails with one line and writes nothing.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"run", "--model", "cnn,rnn"},
		{"run", "--epochs", "0"},
		{"train", "--epochs", "-3"},
		{"run", "--batch", "0"},
		{"prepare", "--stride", "0"},
		{"run", "--fill", "zero"},
		{"run", "--epochs", "many"},
		{"run", "--no-such-flag"},
		{"evaluate", "--epochs", "3"},
		{"run", "extra"},
		{"fit"},
		{},
	} {
		args := append(args, "--out", out)
		if len(args) == 2 {
			args = nil
		}
		code, stdout, stderr := runDemo(args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if len(args) > 0 && (strings.Count(stderr, "\n") != 1 || stdout != "") {
			t.Errorf("%v: stdout %q, stderr %q, want one line on stderr", args, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: %s was created", args, out)
		}
	}
}

func TestTrainBeforePrepare(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, cmd := range []string{"train", "evaluate"} {
		code, _, stderr := runDemo(cmd, "--out", out)
		if code != exitError || strings.Count(stderr, "\n") != 1 ||
			!strings.Contains(stderr, "run prepare first") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s was created", cmd, out)
		}
	}
}

// TestHelp: the help lists every flag of every command with its default.
func TestHelp(t *testing.T) {
	code, stdout, _ := runDemo("--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(stdout, "\n  "+c.name+": ") {
			t.Errorf("help lacks command %s", c.name)
		}
		_, help, _ := runDemo(c.name, "--help")
		_, fs := c.flags()
		blocks := strings.Split(help, "\n    --")
		for _, name := range c.flagNames {
			found := false
			for _, b := range blocks {
				found = found || fs.Lookup(name) != nil &&
					regexp.MustCompile(`^`+name+`( [A-Z]+)?\n`).MatchString(b) &&
					strings.Contains(strings.Join(strings.Fields(b), " "), "(default")
			}
			if !found {
				t.Errorf("demo %s --help lacks --%s with its default:\n%s", c.name, name, help)
			}
		}
	}
	if !strings.Contains(stdout, "--epochs 100 reproduces the tutorial") {
		t.Error("help does not say how to reproduce the tutorial's training")
	}
}

// TestInterruptedBeforeTraining: a cancelled context (Ctrl-C) stops train with exit 130
// and one line, before any checkpoint is written. train's own tests cover an interruption
// in the middle of an epoch.
func TestInterruptedBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("prepare", "--data", csv, "--out", out, "--stride", "68"); code != 0 {
		t.Fatalf("prepare: exit %d: %s", code, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, []string{"train", "--out", out, "--model", "cnn"}, &o, &e)
	// One line for the interruption, one for the command that continues.
	if code != exitInterrupted || strings.Count(e.String(), "\n") != 2 ||
		!strings.Contains(e.String(), "interrupted") || !strings.Contains(e.String(),
		"\nto continue: demo train --resume --model cnn --out "+out+"\n") {
		t.Errorf("exit %d, stderr %q", code, e.String())
	}
	if names, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*")); len(names) != 0 {
		t.Errorf("checkpoints %v", names)
	}
}
