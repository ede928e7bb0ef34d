package train

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/internal/testutil"
)

// hashes returns the SHA-256 of every file under dir, by path relative to dir.
func hashes(t *testing.T, dir string) map[string]string { return testutil.Hashes(t, dir) }

// sameFiles fails the test unless dirs a and b hold the same files with the same bytes.
func sameFiles(t *testing.T, what, a, b string) {
	t.Helper()
	ha, hb := hashes(t, a), hashes(t, b)
	if len(ha) == 0 {
		t.Fatalf("%s: no files in %s", what, a)
	}
	if !maps.Equal(ha, hb) {
		names := slices.Sorted(maps.Keys(ha))
		var diff []string
		for _, n := range slices.Sorted(maps.Keys(hb)) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		for _, n := range names {
			if ha[n] != hb[n] {
				diff = append(diff, n)
			}
		}
		t.Errorf("%s: files differ: %v", what, diff)
	}
}

// TestResumeMatchesUninterrupted: 4 epochs in one go and 2 epochs then --resume to 4
// write the same log and the same checkpoints, byte for byte, for every model.
func TestResumeMatchesUninterrupted(t *testing.T) {
	for _, model := range Models {
		t.Run(model, func(t *testing.T) {
			one, two := t.TempDir(), t.TempDir()
			ds := prepared(t, one)
			cfg := Config{Model: model, Epochs: 4, Batch: 8, Seed: 11, OutDir: one}
			if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(one, DatasetFile))

			cfg.OutDir, cfg.Epochs = two, 2
			if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
				t.Fatal(err)
			}
			cfg.Epochs, cfg.Resume = 4, true
			h, err := Fit(context.Background(), ds, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.First != 3 || h.Batch != 0 || len(h.Loss) != 2 ||
				!strings.HasPrefix(filepath.Base(h.Resumed), model+"-02-") {
				t.Errorf("history %+v, want epochs 3 and 4 resumed from epoch 2's "+
					"checkpoint", h)
			}
			sameFiles(t, model, one, two)

			// Resuming a finished run trains nothing and changes nothing.
			h, err = Fit(context.Background(), ds, cfg, nil)
			if err != nil || h.First != 5 || len(h.Loss) != 0 {
				t.Errorf("resuming a finished run: %+v, %v", h, err)
			}
			sameFiles(t, model+" after a second resume", one, two)
		})
	}
}

// TestResumeAfterInterrupt: a run cancelled in the middle of epoch 2 (the interrupted
// checkpoint records the batch, Adam's state and the loss so far) and then resumed ends
// with the files of an uninterrupted run; the interrupted checkpoint is removed once
// epoch 2 completes.
func TestResumeAfterInterrupt(t *testing.T) {
	for _, model := range []string{"cnn", "gru"} {
		t.Run(model, func(t *testing.T) {
			one, two := t.TempDir(), t.TempDir()
			ds := prepared(t, one)
			cfg := Config{Model: model, Epochs: 3, Batch: 8, Seed: 5, OutDir: one}
			if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(one, DatasetFile))

			cfg.OutDir = two
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Fit(ctx, ds, cfg, func(e Event) {
				if e.Epoch == 2 && e.Batch == 2 && !e.EpochDone {
					cancel()
				}
			})
			if !errors.Is(err, ErrInterrupted) ||
				!strings.Contains(err.Error(), "epoch 2 after batch 2/3") {
				t.Fatalf("error %v, want an interruption in epoch 2 after batch 2/3", err)
			}
			path, meta, err := LastCheckpoint(filepath.Join(two, "checkpoints"), model,
				ds.Digest)
			if err != nil || meta.Batches != "2/3" || meta.Step != 5 {
				t.Fatalf("last checkpoint %s %+v, %v; want the interrupted one after "+
					"5 steps", path, meta, err)
			}

			cfg.Resume = true
			h, err := Fit(context.Background(), ds, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.First != 2 || h.Batch != 2 || h.Resumed != path {
				t.Errorf("history %+v, want epoch 2 resumed after batch 2 from %s", h, path)
			}
			sameFiles(t, model, one, two)
		})
	}
}

// TestResumeChecks: a resumed run must keep its settings; without a checkpoint, resume
// starts fresh.
func TestResumeChecks(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, Seed: 5, OutDir: dir, Resume: true}
	h, err := Fit(context.Background(), ds, cfg, nil)
	if err != nil || h.First != 1 || h.Resumed != "" || len(h.Loss) != 1 {
		t.Fatalf("resume without a checkpoint: %+v, %v; want a fresh epoch", h, err)
	}
	cfg.Epochs = 2
	for _, c := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Batch = 4 }, "with batch 8; this run asks for batch 4"},
		{func(c *Config) { c.Seed = 6 }, "with seed 5; this run asks for seed 6"},
		{func(c *Config) { c.DType = "float64" },
			"with dtype float32; this run asks for dtype float64"},
		{func(c *Config) { c.NoShuffle = true },
			"with shuffle true; this run asks for shuffle false"},
		// Every difference at once, not the first alone.
		{func(c *Config) { c.DType, c.NoDropout, c.NoShuffle = "float64", true, true },
			"with dtype float32, dropout true, shuffle true; this run asks for dtype " +
				"float64, dropout false, shuffle false"},
		{func(c *Config) { c.Init = "w.safetensors" }, "exclude each other"},
	} {
		bad := cfg
		c.change(&bad)
		if _, err := Fit(context.Background(), ds, bad, nil); err == nil ||
			!strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one saying %q", err, c.want)
		}
	}
	// The log lost a row it should have: resuming says so.
	os.WriteFile(filepath.Join(dir, "cnn-log.csv"), []byte(logHeader), 0o644)
	h, err = Fit(context.Background(), ds, cfg, nil)
	if err != nil || h.First != 2 {
		t.Fatalf("resume with the last row missing from the log: %+v, %v", h, err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "cnn-log.csv"))
	if strings.Count(string(log), "\n") != 3 || strings.Count(string(log), "epoch,") != 1 {
		t.Errorf("log after resuming:\n%s\nwant one header and 2 rows", log)
	}
	os.WriteFile(filepath.Join(dir, "cnn-log.csv"), []byte(logHeader), 0o644)
	cfg.Epochs = 3
	if _, err := Fit(context.Background(), ds, cfg, nil); err == nil ||
		!strings.Contains(err.Error(), "0 epochs logged") {
		t.Errorf("resume with 2 rows missing: %v, want an error", err)
	}
}

// TestFitDeterministicAcrossThreads: the kernels may split a product over goroutines;
// the files must not depend on how many there are.
func TestFitDeterministicAcrossThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, model := range Models {
		var dirs []string
		for _, procs := range []int{1, 4} {
			runtime.GOMAXPROCS(procs)
			dir := t.TempDir()
			ds := prepared(t, dir)
			os.Remove(filepath.Join(dir, DatasetFile))
			if _, err := Fit(context.Background(), ds, Config{Model: model, Epochs: 2,
				Batch: 8, Seed: 3, OutDir: dir}, nil); err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, dir)
		}
		sameFiles(t, model+" with GOMAXPROCS 1 and 4", dirs[0], dirs[1])
	}
}

// TestCheckResume: CheckResume finds the checkpoint Fit would resume and every setting
// that differs, without writing anything.
func TestCheckResume(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, Seed: 5, OutDir: dir,
		DType: "float64", NoDropout: true, NoShuffle: true}
	if _, _, err := CheckResume(ds, cfg); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("no checkpoint: %v, want ErrNoCheckpoint", err)
	}
	if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
		t.Fatal(err)
	}
	path, meta, err := CheckResume(ds, cfg)
	if err != nil || meta.Epoch != 1 || meta.Device != "cpu" {
		t.Fatalf("same settings: %s %+v, %v; want epoch 1 on cpu", path, meta, err)
	}
	var se *SettingsError
	_, _, err = CheckResume(ds, Config{Model: "cnn", Batch: 8, Seed: 5, OutDir: dir})
	if !errors.As(err, &se) || se.Path != path || len(se.Diffs) != 3 {
		t.Fatalf("defaults against float64, no dropout, no shuffle: %v; want 3 differences "+
			"of %s", err, path)
	}
	want := []SettingDiff{{"dtype", "float64", "float32"}, {"dropout", "false", "true"},
		{"shuffle", "false", "true"}}
	for i, d := range se.Diffs {
		if d != want[i] {
			t.Errorf("difference %d: %+v, want %+v", i, d, want[i])
		}
	}
}

// TestResumeLogRows: resuming refuses a log whose kept rows were edited: a value that
// is not a number, or the checkpoint's own epoch with other losses than it records.
func TestResumeLogRows(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfg := Config{Model: "cnn", Epochs: 3, Batch: 8, Seed: 5, OutDir: dir}
	if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "cnn-log.csv")
	good, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(good), "\n")
	cfg.Epochs, cfg.Resume = 4, true
	for _, c := range []struct {
		line int // 1 is the header
		edit func(string) string
		want string
	}{
		{2, func(r string) string { return strings.Replace(r, ",", ",x", 1) },
			`line 2 is "0,x`},
		{3, func(string) string { return "1,NaN,0.5\n" }, `loss "NaN" is not a finite number`},
		{3, func(string) string { return "1,0.5\n" }, "want epoch,loss,val_loss"},
		{4, func(string) string { return "2,0.5,0.25\n" },
			"but the checkpoint to resume records"},
	} {
		edited := slices.Clone(lines)
		edited[c.line-1] = c.edit(edited[c.line-1])
		os.WriteFile(logPath, []byte(strings.Join(edited, "")), 0o644)
		_, _, checkErr := CheckResume(ds, cfg)
		_, err := Fit(context.Background(), ds, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("log line %d edited to %q: %v, want an error saying %q", c.line,
				edited[c.line-1], err, c.want)
		}
		if checkErr == nil || checkErr.Error() != err.Error() {
			t.Errorf("log line %d edited: CheckResume says %v, Fit %v", c.line, checkErr,
				err)
		}
	}
	os.WriteFile(logPath, good, 0o644)
	if _, err := Fit(context.Background(), ds, cfg, nil); err != nil {
		t.Errorf("the log as written: %v", err)
	}
}
