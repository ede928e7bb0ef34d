package main

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/seqnn/seqnn/train"
)

// TestRunSettingsAndResume: run records its settings in results.md, lists a Dropout
// trained off as off, and a --resume without the flags it was trained with names them
// all in one line, before any progress.
func TestRunSettingsAndResume(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	args := []string{"--data", csv, "--stride", "68", "--out", out, "--model", "cnn"}
	code, _, stderr := runDemo(append([]string{"run", "--epochs", "2", "--dtype",
		"float64", "--no-dropout", "--no-shuffle"}, args...)...)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	for _, want := range []string{"Training (cnn): float64, dropout off, not shuffled, " +
		"seed 1, batch 8, 2 epochs, keras convention, Adam keras form, on cpu.",
		"| cnn | 3: conv1d, dropout (off), conv1d_1 |",
		"scaler [", "fitted on the training windows only"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}

	code, stdout, stderr := runDemo(append([]string{"run", "--epochs", "3", "--resume"},
		args...)...)
	want := "was trained with --dtype float64 --no-dropout --no-shuffle; add those flags " +
		"to resume it\n"
	if code != exitError || !strings.HasSuffix(stderr, want) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("resume without the flags: exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "resuming") || strings.Contains(stdout, "training cnn") {
		t.Errorf("resume without the flags printed progress:\n%s", stdout)
	}
	code, _, stderr = runDemo(append([]string{"run", "--epochs", "3", "--resume",
		"--no-dropout", "--dtype", "float64", "--no-shuffle", "--seed", "2"}, args...)...)
	if code != exitError || !strings.Contains(stderr, "was trained with --seed 1; add "+
		"that flag") {
		t.Errorf("resume with another seed: exit %d, stderr %q", code, stderr)
	}
}

// TestSettingsFlags: a switch given that the checkpoint was trained without is to be
// left out.
func TestSettingsFlags(t *testing.T) {
	for _, c := range []struct {
		diffs [][3]string
		want  string
	}{
		{[][3]string{{"shuffle", "true", "false"}},
			"P was trained without --no-shuffle; leave out --no-shuffle to resume it"},
		{[][3]string{{"dtype", "float64", "float32"}, {"dropout", "true", "false"}},
			"P was trained with --dtype float64 and without --no-dropout; add --dtype " +
				"float64 and leave out --no-dropout to resume it"},
		{[][3]string{{"adam_form", "pytorch", "keras"}},
			"P was trained with --adam-form pytorch; add that flag to resume it (" +
				"--convention and --adam-form are train's"},
	} {
		se := &trainSettingsError{Path: "P"}
		for _, d := range c.diffs {
			se.Diffs = append(se.Diffs, trainSettingDiff{Setting: d[0], Got: d[1], Want: d[2]})
		}
		if err := settingsFlags("run", se); !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v:\n got %v\nwant %s", c.diffs, err, c.want)
		}
	}
}

// TestRunResume: an interrupted run prints the command that continues it; that
// command, run --resume, finishes the run with the files one uninterrupted run writes;
// run --resume with data that prepares another dataset is refused, the dataset kept.
func TestRunResume(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	args := []string{"--data", csv, "--stride", "68", "--model", "cnn,gru"}
	for _, c := range []struct{ out, epochs string }{{one, "3"}, {two, "2"}} {
		code, _, stderr := runDemo(append([]string{"run", "--out", c.out, "--epochs",
			c.epochs}, args...)...)
		if code != exitOK {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
	}

	// Ctrl-C before the training of this fresh run, in a directory holding an earlier
	// run's checkpoints of 2 epochs: the hint names every flag given, and resuming
	// starts each model over rather than continuing the earlier run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, append([]string{"run", "--out", two, "--epochs", "3"}, args...), &o, &e)
	lines := strings.Split(strings.TrimSpace(e.String()), "\n")
	hint := lines[len(lines)-1]
	want := "to continue: demo run --resume --data " + csv + " --epochs 3 --model cnn,gru " +
		"--out " + two + " --stride 68"
	if code != exitInterrupted || hint != want {
		t.Fatalf("interrupted: exit %d, stderr %q; want the last line %q", code, e.String(),
			want)
	}
	resume := strings.Fields(strings.TrimPrefix(hint, "to continue: demo "))
	code, stdout, stderr := runDemo(resume...)
	if code != exitOK || !strings.Contains(stdout, "--resume: the same dataset as before") ||
		!strings.Contains(stdout, "no gru checkpoint to resume: starting at epoch 1") {
		t.Fatalf("%v: exit %d: %s\n%s", resume, code, stderr, firstLines(stdout, 12))
	}
	if a, b := hashes(t, one), hashes(t, two); !maps.Equal(a, b) {
		t.Errorf("files of run and of run, then run --resume, differ:\n%v\n%v", a, b)
	}

	before := hashes(t, two)
	code, _, stderr = runDemo(append(append([]string{}, resume...), "--stride", "100")...)
	if code != exitError || !strings.Contains(stderr, "--resume: these candles and flags "+
		"make another dataset than "+filepath.Join(two, "dataset.safetensors")) ||
		!strings.Contains(stderr, "(--stride was 68, now 100)") {
		t.Errorf("resume with another stride: exit %d, stderr %q", code, stderr)
	}
	if after := hashes(t, two); !maps.Equal(before, after) {
		t.Errorf("a refused run --resume changed files")
	}
}

// TestEarlierOutputs: a run of fewer models in the directory of a fuller one says which
// files there are from the earlier run, in its output and in results.md.
func TestEarlierOutputs(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	args := []string{"run", "--data", csv, "--stride", "68", "--out", out, "--epochs", "1"}
	if code, _, stderr := runDemo(append(args, "--model", "cnn,gru")...); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runDemo(append(args, "--model", "cnn", "--batch", "200")...)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	files := "gru-log.csv, gru-predictions.png, checkpoints/gru-*.safetensors"
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	if !strings.Contains(string(md), "- Not in this table: "+files+" in this directory, "+
		"not evaluated now;") || strings.Contains(string(md), "| gru |") {
		t.Errorf("results.md:\n%s", md)
	}
	if !strings.Contains(stdout, "note: "+files+" in "+out+" are not evaluated now; "+
		"results.md and predictions.png cover cnn only") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// One batch, not "1 batches".
	if !strings.Contains(stdout, "training cnn on 24 windows, 1 batch of up to 200 per "+
		"epoch") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// TestWeightsNotSafetensors: a CSV given as --weights is named as not a safetensors
// file, with the fix.
func TestWeightsNotSafetensors(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 300)
	code, _, stderr := runDemo("predict", "--model", "cnn", "--weights", csv, "--input", csv)
	if code != exitError || !strings.Contains(stderr, csv+": not a safetensors file: it "+
		"starts with \"date,close\\n") || !strings.Contains(stderr, "give a checkpoint") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestReadOnlyOut: an --out that cannot be written is named with the fix before
// anything is written. Root writes anywhere, so there the test has nothing to check.
func TestReadOnlyOut(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o555)
	defer os.Chmod(out, 0o755)
	if f, err := os.Create(filepath.Join(out, "probe")); err == nil {
		f.Close()
		t.Skip("this user can write a read-only directory (root)")
	}
	code, _, stderr := runDemo("prepare", "--data", csv, "--stride", "68", "--out", out)
	if code != exitError || !strings.Contains(stderr, "--out "+out+": the directory is "+
		"not writable (permission denied); make it writable (chmod u+w "+out+") or "+
		"choose another --out") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

type (
	trainSettingsError = train.SettingsError
	trainSettingDiff   = train.SettingDiff
)

// firstLines is the first n lines of s, for a failure message.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// TestWeightsTruncated: a checkpoint cut short, given to predict, is named as truncated
// with the fix, in the message --resume gives for it.
func TestWeightsTruncated(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	args := []string{"--data", csv, "--stride", "68", "--out", out, "--model", "cnn"}
	if code, _, stderr := runDemo(append([]string{"run", "--epochs", "1"}, args...)...); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "checkpoints", "cnn-*.safetensors"))
	b, _ := os.ReadFile(paths[0])
	os.WriteFile(paths[0], b[:len(b)-50], 0o644)
	windows := filepath.Join(dir, "windows.csv")
	os.WriteFile(windows, []byte(strings.Repeat("0.5,", 255)+"0.5\n"), 0o644)
	code, _, predictErr := runDemo("predict", "--model", "cnn", "--weights", paths[0],
		"--input", windows)
	want := paths[0] + ": the file is truncated: it holds " + strconv.Itoa(len(b)-50) +
		" bytes, where its header describes " + strconv.Itoa(len(b)) + "; delete it " +
		"(train --resume continues from the checkpoint before it)\n"
	if code != exitError || !strings.HasSuffix(predictErr, "\n"+want) {
		t.Errorf("predict: exit %d, stderr %q\nwant %q", code, predictErr, want)
	}
	code, _, resumeErr := runDemo(append([]string{"run", "--epochs", "2", "--resume"},
		args...)...)
	if code != exitError || resumeErr != want {
		t.Errorf("run --resume: exit %d, stderr %q\nwant %q", code, resumeErr, want)
	}
}

// TestResumeChecksEveryLog: a resume whose second model's log was edited, or lost a
// line, is refused before the first model trains, naming the line and counting its
// epoch both ways.
func TestResumeChecksEveryLog(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	args := []string{"--out", out, "--model", "cnn,gru"}
	if code, _, stderr := runDemo(append([]string{"run", "--data", csv, "--stride", "68",
		"--epochs", "2"}, args...)...); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	logPath := filepath.Join(out, "gru-log.csv")
	good, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(good), "\n") // header, epoch 0, epoch 1, ""
	for _, c := range []struct{ name, log, want string }{
		{"edited", lines[0] + lines[1] + "5" + lines[2][1:],
			`line 3 is "5,` + strings.TrimSpace(lines[2][2:]) + `": its epoch is 5, want 1 ` +
				"(the log counts epochs from 0; training's progress lines count from 1 and " +
				"call it epoch 2); the log was edited or damaged"},
		{"line deleted", lines[0] + lines[2],
			`line 2 is "` + strings.TrimSpace(lines[2]) + `": its epoch is 1, want 0`},
	} {
		os.WriteFile(logPath, []byte(c.log), 0o644)
		before := hashes(t, out)
		code, stdout, stderr := runDemo(append([]string{"train", "--resume", "--epochs",
			"3"}, args...)...)
		if code != exitError || !strings.Contains(stderr, logPath+": "+c.want) {
			t.Errorf("%s: exit %d, stderr %q\nwant %q", c.name, code, stderr, c.want)
		}
		if strings.Contains(stdout, "training cnn") || !maps.Equal(before, hashes(t, out)) {
			t.Errorf("%s: cnn trained before gru's log was found wrong:\n%s", c.name, stdout)
		}
	}
}

// TestNotWritable: a read-only file system is named as such, since no chmod helps
// there; a directory without permission gets the chmod. The errors are made up, as no
// read-only file system is at hand.
func TestNotWritable(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EROFS: "--out /o: its checkpoints directory /o/checkpoints is on a " +
			"read-only file system; choose another --out, on a writable one",
		syscall.EACCES: "--out /o: its checkpoints directory /o/checkpoints is not " +
			"writable (permission denied); make it writable (chmod u+w /o/checkpoints) " +
			"or choose another --out",
	} {
		err := notWritable("/o", "/o/checkpoints", "its checkpoints directory "+
			"/o/checkpoints", &fs.PathError{Op: "open", Path: "/o/checkpoints/.x", Err: errno})
		if err.Error() != want {
			t.Errorf("%v:\n got %s\nwant %s", errno, err, want)
		}
	}
}

// unwritableDir returns a directory in which this user cannot create files: a
// read-only one of its own, or for root, who writes those, /sys, where the kernel
// refuses new files. It skips the test when there is none.
func unwritableDir(t *testing.T) string {
	dir := t.TempDir()
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	for _, d := range []string{dir, "/sys"} {
		f, err := os.CreateTemp(d, ".probe-*")
		if err != nil {
			return d
		}
		f.Close()
		os.Remove(f.Name())
	}
	t.Skip("no directory at hand that this user cannot write")
	return ""
}

// TestUnwritableCheckpoints: a checkpoints directory under --out that cannot be
// written is named before run writes the dataset, and before train trains.
func TestUnwritableCheckpoints(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	ckpts := filepath.Join(out, "checkpoints")
	if err := os.Symlink(unwritableDir(t), ckpts); err != nil {
		t.Fatal(err)
	}
	want := "--out " + out + ": its checkpoints directory " + ckpts + " is not writable " +
		"(permission denied); make it writable (chmod u+w " + ckpts + ") or choose " +
		"another --out\n"
	args := []string{"--out", out, "--model", "cnn", "--epochs", "1"}
	code, _, stderr := runDemo(append([]string{"run", "--data", csv, "--stride", "68"},
		args...)...)
	if code != exitError || !strings.HasSuffix(stderr, want) {
		t.Errorf("run: exit %d, stderr %q\nwant %q", code, stderr, want)
	}
	if _, err := os.Stat(filepath.Join(out, train.DatasetFile)); err == nil {
		t.Errorf("run wrote the dataset before finding the checkpoints unwritable")
	}
	if code, _, stderr := runDemo("prepare", "--data", csv, "--stride", "68", "--out",
		out); code != exitOK {
		t.Fatalf("prepare: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runDemo(append([]string{"train"}, args...)...)
	if code != exitError || !strings.HasSuffix(stderr, want) ||
		strings.Contains(stdout, "epoch 1/1") {
		t.Errorf("train: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "cnn-log.csv")); err == nil {
		t.Errorf("train trained before finding the checkpoints unwritable")
	}
}
