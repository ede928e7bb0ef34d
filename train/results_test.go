package train

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestResultsRecordSettings: results.md says how each model was trained, and a model
// trained without dropout lists its Dropout layer as off.
func TestResultsRecordSettings(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfgs := []Config{
		{Model: "cnn", Epochs: 2, Batch: 8, Seed: 1, OutDir: dir},
		{Model: "gru", Epochs: 1, Batch: 8, Seed: 7, OutDir: dir, DType: "float64",
			NoDropout: true, NoShuffle: true},
	}
	var results []Result
	for _, cfg := range cfgs {
		if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
			t.Fatal(err)
		}
		r, err := EvaluateModel(ds, dir, cfg.Model, 8)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	path := filepath.Join(dir, "results.md")
	if err := WriteResults(path, ds, results, "a note."); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	for _, want := range []string{
		"- cnn: float32, dropout on, shuffled each epoch, seed 1, batch 8, 2 epochs, keras " +
			"convention, Adam keras form, on cpu.",
		"- gru: float64, dropout off, not shuffled, seed 7, batch 8, 1 epoch, keras " +
			"convention, Adam keras form, on cpu.",
		"| cnn | 3: conv1d, dropout, conv1d_1 |",
		"| gru | 5: gru, activation, dropout (off), dense, activation_1 |",
		"\n- a note.\n",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}

	// Models trained alike share one line.
	if err := WriteResults(path, ds, results[:1]); err != nil {
		t.Fatal(err)
	}
	md, _ = os.ReadFile(path)
	if want := "Training (cnn): float32, dropout on"; !strings.Contains(string(md), want) {
		t.Errorf("results.md lacks %q:\n%s", want, md)
	}
}

// TestNotSafetensors: a text file given as weights or a checkpoint is reported as not a
// safetensors file, with what it starts with, not as a huge header size.
func TestNotSafetensors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.csv")
	os.WriteFile(path, []byte("date,high,low,open,close\n1424372400,240,239,240,240\n"),
		0o644)
	_, err := OpenWeights(path)
	if err == nil || !strings.Contains(err.Error(), `not a safetensors file: it starts `+
		`with "date,high,low,open,close"`) || strings.Contains(err.Error(), "too large") {
		t.Errorf("OpenWeights of a CSV: %v", err)
	}
	if _, _, err := ReadCheckpoint(path); err == nil ||
		!strings.Contains(err.Error(), "not a safetensors file: it starts") {
		t.Errorf("ReadCheckpoint of a CSV: %v", err)
	}
	short := filepath.Join(dir, "short.safetensors")
	os.WriteFile(short, []byte("abc"), 0o644)
	if _, err := OpenWeights(short); err == nil ||
		!strings.Contains(err.Error(), "it holds 3 bytes") {
		t.Errorf("OpenWeights of 3 bytes: %v", err)
	}
}

// TestCreateError: a directory that cannot be written is named with the fix, not the
// temporary file's name. The error is made up, as root may write anywhere.
func TestCreateError(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EACCES: "write /data/out/dataset.safetensors: the directory /data/out is " +
			"not writable (permission denied); make it writable (chmod u+w /data/out) or " +
			"write to another directory",
		// No chmod makes a read-only file system writable.
		syscall.EROFS: "write /data/out/dataset.safetensors: the directory /data/out is " +
			"on a read-only file system; write to another directory, on a writable one",
	} {
		err := createError("/data/out/dataset.safetensors", "/data/out/",
			&fs.PathError{Op: "open", Path: "/data/out/.dataset.safetensors.tmp-123",
				Err: errno})
		if err.Error() != want {
			t.Errorf("%v:\n got %s\nwant %s", errno, err, want)
		}
	}
	// And for real, where permissions apply.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		t.Skip("this user can write a read-only directory (root)")
	}
	err := writeFileAtomic(filepath.Join(dir, "x"), nil)
	if err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Errorf("write in a read-only directory: %v", err)
	}
}

// TestTruncated: a checkpoint, a weights file or a dataset cut short is named as
// truncated, with its size and the size its header describes, and the fix for its kind;
// every reader of a checkpoint gives the same message.
func TestTruncated(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	h, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 1, Batch: 8,
		Seed: 1, OutDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := h.Checkpoints[0]
	good, _ := os.ReadFile(ckpt)
	n := len(good) - 100
	os.WriteFile(ckpt, good[:n], 0o644)
	want := fmt.Sprintf("%s: the file is truncated: it holds %d bytes, where its header "+
		"describes %d; delete it (train --resume continues from the checkpoint before it)",
		ckpt, n, len(good))
	_, _, err1 := ReadCheckpoint(ckpt)
	_, err2 := OpenWeights(ckpt)
	_, err3 := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 2, Batch: 8,
		Seed: 1, OutDir: dir, Resume: true}, nil)
	for i, err := range []error{err1, err2, err3} {
		if err == nil || err.Error() != want {
			t.Errorf("reader %d of a truncated checkpoint: %v\nwant %s", i+1, err, want)
		}
	}

	// Cut inside the header.
	os.WriteFile(ckpt, good[:40], 0o644)
	if _, err := OpenWeights(ckpt); err == nil || !strings.Contains(err.Error(),
		"the file is truncated: it holds 40 bytes, where its header alone takes") {
		t.Errorf("a checkpoint cut in its header: %v", err)
	}

	// A weights file of reference/convert.py, and the dataset.
	ref, _ := os.ReadFile(filepath.Join("testdata", "reference",
		"cnn_keras-epoch1.safetensors"))
	weights := filepath.Join(dir, "weights.safetensors")
	os.WriteFile(weights, ref[:len(ref)-8], 0o644)
	if _, err := OpenWeights(weights); err == nil || !strings.HasSuffix(err.Error(),
		"; give a checkpoint (<out>/checkpoints/*.safetensors) or weights written by "+
			"reference/convert.py") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("a truncated weights file: %v", err)
	}
	dsPath := filepath.Join(dir, DatasetFile)
	b, _ := os.ReadFile(dsPath)
	os.WriteFile(dsPath, b[:len(b)/2], 0o644)
	if _, err := LoadDataset(dsPath); err == nil || !strings.HasSuffix(err.Error(),
		"truncated: it holds "+strconv.Itoa(len(b)/2)+" bytes, where its header describes "+
			strconv.Itoa(len(b))+"; prepare the dataset again") {
		t.Errorf("a truncated dataset: %v", err)
	}
}

// TestResultsModels: ResultsModels finds exactly the models WriteResults gave a row,
// not the baselines, and says when there is no results.md to read.
func TestResultsModels(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	path := filepath.Join(dir, "results.md")
	if models, known := ResultsModels(path); models != nil || known {
		t.Errorf("ResultsModels of a missing file = %v, %v; want nil, false", models, known)
	}
	baselines, err := Baselines(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]string{nil, {"gru"}, {"cnn", "gru"}, Models} {
		results := slices.Clone(baselines)
		for _, m := range rows {
			results = append(results, Result{Name: m, Layers: "1: dense", Activation: "linear",
				Checkpoint: m + "-best.safetensors"})
		}
		if err := WriteResults(path, ds, results); err != nil {
			t.Fatal(err)
		}
		models, known := ResultsModels(path)
		if !known || !slices.Equal(models, rows) {
			t.Errorf("results.md with rows of %v: ResultsModels = %v, %v", rows, models, known)
		}
	}
}
