package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// holdLock takes the lock on out as another demo command would, naming it as that
// command does, and returns its release.
func holdLock(t *testing.T, out string) func() {
	t.Helper()
	l := &outLock{cmd: "run", stdout: &bytes.Buffer{}}
	if err := l.hold(out); err != nil {
		t.Fatal(err)
	}
	return l.release
}

// TestOutLocked: while one command holds --out, every command that writes there is
// refused at once, naming the holder and the fix, and changes nothing; once the holder
// lets go, they run, and the lock file goes with them.
func TestOutLocked(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	data := []string{"--data", csv, "--stride", "68", "--out", out}
	if code, _, stderr := runDemo(append([]string{"run", "--epochs", "1"},
		data...)...); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	before := hashes(t, out)

	release := holdLock(t, out)
	for _, args := range [][]string{
		append([]string{"run", "--epochs", "1"}, data...),
		{"prepare", "--data", csv, "--stride", "34", "--out", out},
		{"train", "--out", out, "--epochs", "1", "--model", "gru", "--seed", "2"},
		{"train", "--out", out, "--epochs", "2", "--resume"},
		{"evaluate", "--out", out},
	} {
		code, _, stderr := runDemo(args...)
		want := "--out " + out + ": demo run (pid "
		if code != exitError || !strings.Contains(stderr, want) ||
			!strings.Contains(stderr, "is writing there now; wait for it to finish") {
			t.Errorf("%v while out is locked: exit %d, stderr %q", args, code, stderr)
		}
	}
	after := hashes(t, out)
	delete(after, lockName)
	if !maps.Equal(before, after) {
		t.Errorf("refused commands changed files")
	}
	release()

	if code, _, stderr := runDemo("evaluate", "--out", out); code != exitOK {
		t.Fatalf("evaluate after release: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, lockName)); !os.IsNotExist(err) {
		t.Errorf("lock file left after evaluate: %v", err)
	}
}

// TestStaleTempsRemoved: temporary files of an atomic write that a killed command left in
// --out and its checkpoints are removed by the next command that writes there, which
// says so in one line; files that only look alike stay.
func TestStaleTempsRemoved(t *testing.T) {
	out := prepareOut(t, t.TempDir(), 272+29*68)
	ckpts := filepath.Join(out, "checkpoints")
	if err := os.Mkdir(ckpts, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{filepath.Join(ckpts, ".cnn-58-0.01843.safetensors.tmp-2115473853"),
		filepath.Join(out, ".cnn-predictions.png.tmp-42")}
	kept := []string{filepath.Join(out, "notes.tmp-1"), filepath.Join(out, ".notes.tmp-x")}
	for _, p := range append(append([]string{}, stale...), kept...) {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runDemo("train", "--out", out, "--model", "cnn", "--epochs", "1")
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	want := "removed 2 temporary files that a killed command left in " + out + ": " +
		".cnn-predictions.png.tmp-42, " + filepath.Join("checkpoints",
		".cnn-58-0.01843.safetensors.tmp-2115473853") + "\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: not removed (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestPrepareInterrupted: Ctrl-C before prepare writes stops it with exit 130 and keeps
// the dataset there; after it claimed the writes, prepare finishes.
func TestPrepareInterrupted(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("prepare", "--data", csv, "--stride", "68", "--out",
		out); code != exitOK {
		t.Fatalf("prepare: exit %d: %s", code, stderr)
	}
	before := hashes(t, out)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, []string{"prepare", "--data", csv, "--stride", "34", "--out", out},
		&o, &e)
	if code != exitInterrupted ||
		!strings.Contains(e.String(), "prepare interrupted before writing anything: --out "+
			out+" is as it was") || strings.Contains(e.String(), "to continue") {
		t.Errorf("prepare after Ctrl-C: exit %d, stderr %q", code, e.String())
	}
	if !maps.Equal(before, hashes(t, out)) {
		t.Errorf("an interrupted prepare changed files")
	}
	fresh := filepath.Join(dir, "fresh")
	if code := run(ctx, []string{"prepare", "--data", csv, "--out", fresh}, &o,
		&e); code != exitInterrupted {
		t.Errorf("prepare of a new --out after Ctrl-C: exit %d", code)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("an interrupted prepare created %s (%v)", fresh, err)
	}
	if n := writingNote(); n != "" {
		t.Errorf("the Ctrl-C's note says prepare writes: %q", n)
	}
}

// TestPrepareOverTrainedRun: prepare that replaces the dataset of a trained --out removes
// results.md and the plots, which describe the old one, names them, and says that the
// checkpoints were trained on the old one; the same dataset again removes nothing.
func TestPrepareOverTrainedRun(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("run", "--data", csv, "--stride", "68", "--out", out,
		"--epochs", "1", "--model", "cnn,gru"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runDemo("prepare", "--data", csv, "--stride", "68", "--out",
		out)
	if code != exitOK || strings.Contains(stdout, "removed") ||
		strings.Contains(stdout, "note:") {
		t.Errorf("prepare of the same dataset: exit %d, %s\n%s", code, stderr, stdout)
	}

	code, stdout, stderr = runDemo("prepare", "--data", csv, "--stride", "34", "--out", out)
	if code != exitOK {
		t.Fatalf("prepare of another dataset: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"removed results.md, predictions.png, " +
		"cnn-predictions.png and gru-predictions.png from " + out + ": they describe the " +
		"dataset this one replaces\n",
		"note: the cnn, gru checkpoints in " + filepath.Join(out, "checkpoints") +
			" were trained on the dataset this one replaces: --resume and evaluate " +
			"refuse them; demo train (without --resume) trains them again on this one\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"results.md", "predictions.png", "cnn-predictions.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); !os.IsNotExist(err) {
			t.Errorf("%s: not removed (%v)", name, err)
		}
	}
	if code, _, stderr := runDemo("evaluate", "--out", out, "--model", "cnn,gru"); code !=
		exitError || !strings.Contains(stderr, "from another one") {
		t.Errorf("evaluate of the old checkpoints: exit %d: %s", code, stderr)
	}
}
