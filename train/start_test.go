package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckStart: CheckStart refuses what Fit would refuse of a fresh start, a bad
// --init file among it, and writes nothing; it accepts good initial weights.
func TestCheckStart(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	out := filepath.Join(dir, "out")
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, OutDir: out, Init: bad}
	wantErr(t, "CheckStart(bad init)", CheckStart(ds, cfg), bad)
	cfg.Init, cfg.AdamForm = "", 9
	wantErr(t, "CheckStart(AdamForm 9)", CheckStart(ds, cfg), "Config.AdamForm")
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CheckStart created %s", out)
	}

	m, err := NewModel("cnn", ds, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "cnn.safetensors")
	if err := SaveCheckpoint(good, m, CheckpointMeta{Model: "cnn"}); err != nil {
		t.Fatal(err)
	}
	cfg.AdamForm, cfg.Init = 0, good
	if err := CheckStart(ds, cfg); err != nil {
		t.Errorf("CheckStart(good init): %v", err)
	}
	cfg.Model = "gru"
	wantErr(t, "CheckStart(cnn weights for gru)", CheckStart(ds, cfg), "gru")
}

// TestFreshFitRemovesEarlierRun: a fresh Fit, even one interrupted before its first
// batch, leaves nothing of an earlier run of its model (checkpoints and log) for a
// --resume to continue; another model's files stay.
func TestFreshFitRemovesEarlierRun(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfg := Config{Model: "cnn", Epochs: 2, Batch: 8, OutDir: dir}
	if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "checkpoints", "lstm-01-0.10000.safetensors")
	if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { cancel() }()
	<-ctx.Done()
	_, err := Fit(ctx, ds, cfg, nil)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Fit with a cancelled context: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "cnn-*"))
	if _, err := os.Stat(filepath.Join(dir, "cnn-log.csv")); len(left) > 0 ||
		!errors.Is(err, os.ErrNotExist) {
		t.Errorf("after a fresh Fit stopped before training: checkpoints %v, log %v", left,
			err)
	}
	cfg.Resume = true
	if _, _, err := CheckResume(ds, cfg); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("CheckResume after it: %v, want no checkpoint", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another model's checkpoint: %v", err)
	}
}

// TestInitConvention: weights that record one convention are refused as the start of a
// run of the other (they would train another model than they were made for, silently).
func TestInitConvention(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	init := filepath.Join(referenceDir, "lstm_pytorch-init.safetensors")
	cfg := Config{Model: "lstm", Epochs: 1, Batch: 8, OutDir: dir, Init: init}
	wantErr(t, "CheckStart(pytorch weights, keras run)", CheckStart(ds, cfg),
		"records convention pytorch")
	cfg.Convention = PyTorch
	if err := CheckStart(ds, cfg); err != nil {
		t.Errorf("CheckStart(pytorch weights, pytorch run): %v", err)
	}
}
