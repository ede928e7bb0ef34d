package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/internal/testutil"
)

// hashes returns the SHA-256 of every file under dir, by path relative to dir.
func hashes(t *testing.T, dir string) map[string]string { return testutil.Hashes(t, dir) }

// TestRunDeterministic: two whole runs of all three models with the same seed and data
// write the same files, byte for byte: dataset, logs, every checkpoint, the results and
// the plots.
func TestRunDeterministic(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	var runs []map[string]string
	for _, out := range []string{"a", "b"} {
		out = filepath.Join(dir, out)
		code, _, stderr := runDemo("run", "--data", csv, "--out", out, "--epochs", "2",
			"--stride", "68", "--seed", "9")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		runs = append(runs, hashes(t, out))
	}
	names := slices.Sorted(maps.Keys(runs[0]))
	if len(names) != 1+3+3*2+1+4 {
		t.Errorf("files %v, want the dataset, 3 logs, 6 checkpoints, results and 4 plots",
			names)
	}
	for _, n := range names {
		if runs[0][n] != runs[1][n] {
			t.Errorf("%s differs between two runs with the same seed", n)
		}
	}
	if !maps.Equal(runs[0], runs[1]) {
		t.Errorf("the runs wrote different sets of files: %v and %v", names,
			slices.Sorted(maps.Keys(runs[1])))
	}
}

// TestTrainResume: train 2 epochs then --resume to 4 writes what 4 epochs in one go
// write, and the log keeps one header.
func TestTrainResume(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	for _, out := range []string{one, two} {
		if code, _, stderr := runDemo("prepare", "--data", csv, "--out", out,
			"--stride", "68"); code != exitOK {
			t.Fatalf("prepare: exit %d: %s", code, stderr)
		}
	}
	args := []string{"--model", "cnn,gru", "--seed", "4"}
	if code, _, stderr := runDemo(append([]string{"train", "--out", one, "--epochs", "4"},
		args...)...); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runDemo(append([]string{"train", "--out", two, "--epochs", "2"},
		args...)...); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runDemo(append([]string{"train", "--out", two, "--epochs", "4",
		"--resume"}, args...)...)
	if code != exitOK {
		t.Fatalf("train --resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "resuming gru after epoch 2 from ") ||
		!strings.Contains(stdout, "gru: epochs 3 to 4 in ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if a, b := hashes(t, one), hashes(t, two); !maps.Equal(a, b) || len(a) != 11 {
		t.Errorf("files after 4 epochs and after 2 + --resume 2 differ:\n%v\n%v", a, b)
	}
	log, _ := os.ReadFile(filepath.Join(two, "gru-log.csv"))
	if strings.Count(string(log), "epoch,loss,val_loss") != 1 ||
		strings.Count(string(log), "\n") != 5 {
		t.Errorf("log after resuming:\n%s", log)
	}

	// A resumed run with other settings stops with one line per model naming the flag,
	// before it prints any progress.
	code, stdout, stderr = runDemo(append([]string{"train", "--out", two, "--epochs", "5",
		"--resume", "--batch", "4"}, args...)...)
	if code != exitError || strings.Count(stderr, "was trained with --batch 8; add that "+
		"flag to resume it\n") != 2 || strings.Count(stderr, "\n") != 2 {
		t.Errorf("resume with another batch: exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "resuming") || strings.Contains(stdout, "training") {
		t.Errorf("resume with another batch printed progress:\n%s", stdout)
	}
}

// TestTrainKeepsResults: train removes only the outputs of evaluate that its training
// makes stale, names them with the command that writes them again, and removes nothing
// when it has nothing to train.
func TestTrainKeepsResults(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("run", "--data", csv, "--stride", "68", "--out", out,
		"--epochs", "2", "--model", "cnn,gru"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}

	// Nothing to train: every file stays.
	before := hashes(t, out)
	code, stdout, stderr := runDemo("train", "--out", out, "--model", "cnn,gru",
		"--resume", "--epochs", "1")
	if code != exitOK || strings.Count(stdout, "nothing to do") != 2 ||
		strings.Contains(stdout, "removed") || strings.Contains(stdout, "training ") {
		t.Errorf("train --resume to an epoch done: exit %d: %s\n%s", code, stderr, stdout)
	}
	if !maps.Equal(before, hashes(t, out)) {
		t.Errorf("train --resume with nothing to train changed files")
	}

	// cnn again: the results and cnn's plot go, with one line; gru's plot stays.
	code, stdout, stderr = runDemo("train", "--out", out, "--model", "cnn", "--epochs", "1")
	want := "removed results.md, predictions.png and cnn-predictions.png from " + out +
		": they show the cnn checkpoints this training replaces; demo evaluate --out " +
		out + " --model cnn,gru writes them again once training is done\n"
	if code != exitOK || strings.Count(stdout, "removed") != 1 ||
		!strings.Contains(stdout, want) || !strings.Contains(stdout, "cnn: epoch 1 in ") {
		t.Errorf("train --model cnn: exit %d: %s\n%s\nwant %s", code, stderr, stdout, want)
	}
	if _, err := os.Stat(filepath.Join(out, "gru-predictions.png")); err != nil {
		t.Errorf("gru-predictions.png: %v", err)
	}

	// results.md of gru only stays when cnn trains.
	if code, _, stderr := runDemo("evaluate", "--out", out, "--model", "gru"); code != exitOK {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = runDemo("train", "--out", out, "--model", "cnn", "--epochs", "1")
	if code != exitOK || strings.Contains(stdout, "removed") {
		t.Errorf("train --model cnn: exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, name := range []string{"results.md", "predictions.png", "gru-predictions.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s of gru alone, after training cnn: %v", name, err)
		}
	}
}

// TestStrideFix: windows that leave none to validate get the fixes the command offers,
// a longer file or the smallest --stride that leaves one, not a training fraction,
// which no flag sets.
func TestStrideFix(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 600)
	out := filepath.Join(dir, "out")
	code, _, stderr := runDemo("prepare", "--data", csv, "--stride", "20", "--out", out)
	want := csv + ": 17 windows of 272 candles every 20: none is left for validation " +
		"once windows overlapping the 13 training windows are dropped: use a longer " +
		"file, or a larger --stride (272 is the smallest that leaves one)\n"
	if code != exitError || stderr != want {
		t.Errorf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused prepare created %s", out)
	}
}
