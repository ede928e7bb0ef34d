package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// stopAfter is a context whose Err reports it cancelled from its n-th call on: the
// commands ask ctx.Err() at each point where Ctrl-C can stop them (before each batch,
// between steps), so the n-th such point is where this Ctrl-C lands, deterministically.
type stopAfter struct {
	context.Context
	n     int64
	calls atomic.Int64
}

func (c *stopAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

// copyDir copies the files under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInterruptedOverEarlierRun: a fresh run or train in a directory holding an earlier
// run (other seed, more epochs), interrupted at any point (before training, within an
// epoch, between models, after training, in evaluate) and continued with the command it
// prints, leaves the same files, byte for byte, as the same command uninterrupted in a
// copy of that directory: the continue command never picks up the earlier run.
func TestInterruptedOverEarlierRun(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	earlier := filepath.Join(dir, "earlier")
	data := []string{"--data", csv, "--stride", "68"}
	if code, _, stderr := runDemo(append([]string{"run", "--out", earlier, "--epochs",
		"3", "--seed", "2"}, data...)...); code != exitOK {
		t.Fatalf("earlier run: exit %d: %s", code, stderr)
	}

	// 24 training windows in batches of 8: each model is asked once before it trains
	// and once before each of its 3 batches of 2 epochs, 7 times; then run asks once
	// after training, and evaluate once per model and once before writing.
	runArgs := append([]string{"run", "--epochs", "2"}, data...)
	trainArgs := []string{"train", "--epochs", "3", "--model", "lstm"}
	for _, c := range []struct {
		name string
		args []string
		at   int64
	}{
		{"run, before training", runArgs, 1},
		{"run, in cnn's first epoch", runArgs, 3},
		{"run, between cnn and lstm", runArgs, 8},
		{"run, in lstm's second epoch", runArgs, 13},
		{"run, before gru", runArgs, 15},
		{"run, after training", runArgs, 22},
		{"run, in evaluate", runArgs, 24},
		{"run, before evaluate writes", runArgs, 26},
		{"train, before training", trainArgs, 1},
		{"train, in the first epoch", trainArgs, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
			copyDir(t, earlier, whole)
			copyDir(t, earlier, cut)
			args := append(append([]string{}, c.args...), "--out", whole)
			if code, _, stderr := runDemo(args...); code != exitOK {
				t.Fatalf("uninterrupted: exit %d: %s", code, stderr)
			}

			var o, e bytes.Buffer
			ctx := &stopAfter{Context: context.Background(), n: c.at}
			args[len(args)-1] = cut
			code := run(ctx, args, &o, &e)
			lines := strings.Split(strings.TrimSpace(e.String()), "\n")
			hint := lines[len(lines)-1]
			if code != exitInterrupted || !strings.HasPrefix(hint, "to continue: demo ") {
				t.Fatalf("interrupted: exit %d, stderr %q", code, e.String())
			}
			resume := strings.Fields(strings.TrimPrefix(hint, "to continue: demo "))
			code, stdout, stderr := runDemo(resume...)
			if code != exitOK {
				t.Fatalf("%v: exit %d: %s\n%s", resume, code, stderr, stdout)
			}
			t.Logf("%s", e.String())
			if strings.Contains(stdout, "after epoch 3") {
				t.Errorf("%v continued the earlier run:\n%s", resume, stdout)
			}
			if a, b := hashes(t, whole), hashes(t, cut); !maps.Equal(a, b) {
				t.Errorf("interrupted at %s (%s), then %v: files differ from an "+
					"uninterrupted run:\n%v\n%v", c.name, lines[0], resume, a, b)
			}
		})
	}
}

// TestBadInitRemovesNothing: train with an --init file that does not load fails before
// it removes anything: the earlier run's results, plots, checkpoints and logs all stay.
func TestBadInitRemovesNothing(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("run", "--data", csv, "--stride", "68", "--out", out,
		"--epochs", "1"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	gru := filepath.Join(dir, "gru.safetensors")
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "gru-*"))
	b, err := os.ReadFile(ckpts[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gru, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := hashes(t, out)
	code, stdout, stderr := runDemo("train", "--out", out, "--model", "cnn", "--init", gru)
	if code != exitError || !strings.Contains(stderr, gru) ||
		strings.Contains(stdout, "removed") || strings.Contains(stdout, "training cnn") {
		t.Errorf("train --init of gru's weights for cnn: exit %d, stderr %q\n%s", code,
			stderr, stdout)
	}
	if !maps.Equal(before, hashes(t, out)) {
		t.Errorf("a train refused for its --init changed files")
	}
}
