package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seqnn/seqnn/train"
)

// TestContinueInit: train --init, interrupted, prints a continue command that works,
// without --init (which --resume refuses) and with the convention and dtype the file
// gave the run, and that continues to the files of an uninterrupted run, byte for byte;
// the run trains in the convention the weights record.
func TestContinueInit(t *testing.T) {
	windows := filepath.Join(refDir, "windows.csv")
	init := filepath.Join(refDir, "lstm_pytorch-init.safetensors")
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	args := []string{"train", "--model", "lstm", "--epochs", "2", "--windows", windows,
		"--init", init, "--no-shuffle", "--out", whole}
	code, stdout, stderr := runDemo(args...)
	if code != exitOK || !strings.Contains(stdout, "records convention pytorch and dtype "+
		"float64; training in the same") {
		t.Fatalf("uninterrupted: exit %d: %s\n%s", code, stderr, stdout)
	}
	ckpts, _ := filepath.Glob(filepath.Join(whole, "checkpoints", "lstm-02-*"))
	if len(ckpts) != 1 {
		t.Fatalf("checkpoints %v", ckpts)
	}
	meta, _, err := train.ReadCheckpoint(ckpts[0])
	if err != nil || meta.Convention != train.PyTorch || meta.DType != "float64" {
		t.Errorf("checkpoint of a run from pytorch float64 weights: %+v (%v)", meta, err)
	}

	var o, e bytes.Buffer
	args[len(args)-1] = cut
	code = run(&stopAfter{Context: context.Background(), n: 3}, args, &o, &e)
	lines := strings.Split(strings.TrimSpace(e.String()), "\n")
	hint := lines[len(lines)-1]
	want := "to continue: demo train --resume --epochs 2 --model lstm --no-shuffle --out " +
		cut + " --windows " + windows + " --convention pytorch --dtype float64"
	if code != exitInterrupted || hint != want {
		t.Fatalf("interrupted: exit %d, stderr %q; want the last line %q", code, e.String(),
			want)
	}
	resume := strings.Fields(strings.TrimPrefix(hint, "to continue: demo "))
	if code, stdout, stderr := runDemo(resume...); code != exitOK {
		t.Fatalf("%v: exit %d: %s\n%s", resume, code, stderr, stdout)
	}
	if a, b := hashes(t, whole), hashes(t, cut); !maps.Equal(a, b) {
		t.Errorf("files of train --init and of it interrupted, then continued, differ:\n"+
			"%v\n%v", a, b)
	}
}

// TestInitConventionFlag: --convention other than the one --init's file records is
// refused, naming both; --dtype other than its recorded one runs, with a note.
func TestInitConventionFlag(t *testing.T) {
	windows := filepath.Join(refDir, "windows.csv")
	init := filepath.Join(refDir, "lstm_pytorch-init.safetensors")
	out := t.TempDir()
	code, _, stderr := runDemo("train", "--model", "lstm", "--epochs", "1", "--windows",
		windows, "--init", init, "--convention", "keras", "--out", out)
	if code != exitError || !strings.Contains(stderr, "--convention keras: "+init+
		" records convention pytorch") {
		t.Errorf("keras run from pytorch weights: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runDemo("train", "--model", "lstm", "--epochs", "1", "--windows",
		windows, "--init", init, "--dtype", "float32", "--out", out)
	if code != exitOK || !strings.Contains(stderr, "note: "+init+" records dtype float64; "+
		"training in float32 as --dtype asks") {
		t.Errorf("float32 run from float64 weights: exit %d, stderr %q", code, stderr)
	}
}

// TestInvocation: the continue command starts as the program was started: a binary go
// run built (its old temporary directory, or the build cache since Go 1.24) as "go run
// ./cmd/demo", any other path as given, quoted for a shell.
func TestInvocation(t *testing.T) {
	for arg0, want := range map[string]string{
		"/tmp/go-build3051779498/b001/exe/demo":                                                            "go run ./cmd/demo",
		"/home/u/go-tmp/go-build12/b001/exe/demo":                                                          "go run ./cmd/demo",
		"/root/.cache/go-build/fe/fee8b07dc6f9b9319292f83f9d137dc3c4ba93d7878af6027b9d308e1d219ca2-d/demo": "go run ./cmd/demo",
		"/srv/fe/not-a-hash-d/demo":                                                                        "/srv/fe/not-a-hash-d/demo",
		"demo":                                                                                             "demo",
		"./demo":                                                                                           "./demo",
		"/usr/local/bin/demo":                                                                              "/usr/local/bin/demo",
		"/opt/my tools/demo":                                                                               "'/opt/my tools/demo'",
		"/srv/exe/demo":                                                                                    "/srv/exe/demo",
	} {
		if got := invocation(arg0); got != want {
			t.Errorf("invocation(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestTrainedBestOfWholeLog: after a resume, the closing line's best val_loss is the
// best of the whole log, where an earlier epoch may hold it, not of the resumed epochs.
func TestTrainedBestOfWholeLog(t *testing.T) {
	out := t.TempDir()
	log := "epoch,loss,val_loss\n0,0.5,0.2\n1,0.4,0.0059\n2,0.3,0.009\n3,0.2,0.0073\n"
	if err := os.WriteFile(filepath.Join(out, "gru-log.csv"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &train.History{First: 3, Loss: []float64{0.3, 0.2}, ValLoss: []float64{0.009,
		0.0073}}
	got := trained("gru", h, time.Second, out)
	if !strings.Contains(got, "gru: epochs 3 to 4 in 1.0s, best val_loss 0.00590 at epoch 2;") {
		t.Errorf("trained: %q", got)
	}
}

// TestEvaluateInterruptedRun: evaluate of a run interrupted before its gru trained
// names the command that continues it and the models it can evaluate; the files of a
// model left out are "not evaluated now"; a best epoch of the log whose checkpoint is
// gone draws a note naming it.
func TestEvaluateInterruptedRun(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runDemo("run", "--data", csv, "--stride", "68", "--out", out,
		"--epochs", "3", "--model", "cnn"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, _, stderr := runDemo("evaluate", "--out", out)
	if code != exitError || !strings.Contains(stderr, "no lstm checkpoint in "+
		filepath.Join(out, "checkpoints")+": train it first (a run interrupted before it "+
		"continues with the command it printed, demo run --resume with the flags it was "+
		"given), or evaluate the models that have one with --model cnn") {
		t.Errorf("evaluate: exit %d, stderr %q", code, stderr)
	}

	e, _, err := train.LogBest(out, "cnn")
	if err != nil {
		t.Fatal(err)
	}
	best, _ := filepath.Glob(filepath.Join(out, "checkpoints", fmt.Sprintf("cnn-%02d-*", e)))
	if len(best) != 1 || os.Remove(best[0]) != nil {
		t.Fatalf("best checkpoint %v", best)
	}
	code, stdout, stderr := runDemo("evaluate", "--out", out, "--model", "cnn")
	if code != exitOK || !strings.Contains(stdout, fmt.Sprintf("note: the best epoch of "+
		"cnn's log, %d (val_loss ", e)) {
		t.Errorf("evaluate without the best checkpoint: exit %d, stderr %q\n%s", code,
			stderr, stdout)
	}
}

// TestPredictUSDOutsideCheckpoints: --usd on weights outside a checkpoints directory
// says where it looked without calling their directory one.
func TestPredictUSDOutsideCheckpoints(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cv")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(refDir, "cnn_keras-init.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "plain.safetensors")
	if err := os.WriteFile(weights, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runDemo("predict", "--weights", weights, "--input",
		filepath.Join(refDir, "windows.csv"), "--usd")
	if code != exitError || strings.Contains(stderr, "checkpoints directory of") ||
		!strings.Contains(stderr, "in the directory above that of "+weights+" (which is "+
			"not in a run's checkpoints directory)") {
		t.Errorf("predict --usd: exit %d, stderr %q", code, stderr)
	}
}
