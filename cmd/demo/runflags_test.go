package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/train"
)

// tensorDTypes returns the dtype of every tensor in the safetensors file at path, read
// from its header, by tensor name.
func tensorDTypes(t *testing.T, path string) map[string]string {
	t.Helper()
	_, _, header := readSafetensors(t, path)
	dtypes := map[string]string{}
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var info tensorInfo
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatal(err)
		}
		dtypes[name] = info.DType
	}
	return dtypes
}

// TestRunTrainFlags: run's --dtype, --no-shuffle and --no-dropout each change what it
// writes (the logs, and the checkpoints' tensors or metadata), and run with one of them
// writes, byte for byte, what prepare, train with the same flag and evaluate write. A
// flag that run took but did not pass on to its train step would fail both checks.
func TestRunTrainFlags(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, 272+29*68)
	common := []string{"--epochs", "2", "--model", "cnn,gru", "--seed", "3"}
	run := func(out string, flags ...string) map[string]string {
		t.Helper()
		args := slices.Concat([]string{"run", "--data", csv, "--out", out, "--stride", "68"},
			common, flags)
		if code, _, stderr := runDemo(args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return hashes(t, out)
	}
	def := run(filepath.Join(dir, "default"))

	for _, c := range []struct {
		flag             string
		dtype, tensors   string // metadata dtype and every tensor's dtype
		shuffle, dropout bool
	}{
		{flag: "--dtype=float64", dtype: "float64", tensors: "F64", shuffle: true,
			dropout: true},
		{flag: "--no-shuffle", dtype: "float32", tensors: "F32", dropout: true},
		{flag: "--no-dropout", dtype: "float32", tensors: "F32", shuffle: true},
	} {
		name := strings.TrimPrefix(strings.Split(c.flag, "=")[0], "--")
		out := filepath.Join(dir, name)
		got := run(out, c.flag)
		for _, model := range []string{"cnn", "gru"} {
			log := model + "-log.csv"
			if got[log] == def[log] {
				t.Errorf("run %s: %s is the default run's: the flag was ignored", c.flag, log)
			}
			paths, _ := filepath.Glob(filepath.Join(out, "checkpoints", model+"-*"))
			if len(paths) != 2 {
				t.Fatalf("run %s: %s checkpoints %v, want 2", c.flag, model, paths)
			}
			for _, p := range paths {
				meta, _, err := train.ReadCheckpoint(p)
				if err != nil {
					t.Fatal(err)
				}
				if meta.DType != c.dtype || meta.Shuffle != c.shuffle ||
					meta.Dropout != c.dropout {
					t.Errorf("run %s: %s records dtype %s, shuffle %v, dropout %v; want "+
						"%s, %v, %v", c.flag, filepath.Base(p), meta.DType, meta.Shuffle,
						meta.Dropout, c.dtype, c.shuffle, c.dropout)
				}
				for tensor, dt := range tensorDTypes(t, p) {
					if dt != c.tensors {
						t.Errorf("run %s: %s: tensor %s is %s, want %s", c.flag,
							filepath.Base(p), tensor, dt, c.tensors)
					}
				}
			}
		}

		// The same flag given to train, between prepare and evaluate.
		steps := filepath.Join(dir, name+"-steps")
		for _, args := range [][]string{
			{"prepare", "--data", csv, "--out", steps, "--stride", "68"},
			slices.Concat([]string{"train", "--out", steps, c.flag}, common),
			{"evaluate", "--out", steps, "--model", "cnn,gru"},
		} {
			if code, _, stderr := runDemo(args...); code != exitOK {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
		}
		want := hashes(t, steps)
		var differ []string // files that differ, or that only one of them wrote
		for f := range maps.Keys(want) {
			if _, ok := got[f]; !ok {
				differ = append(differ, f)
			}
		}
		for _, f := range slices.Sorted(maps.Keys(got)) {
			if got[f] != want[f] {
				differ = append(differ, f)
			}
		}
		if len(differ) > 0 {
			t.Errorf("run %s and prepare, train %s, evaluate differ in %v", c.flag, c.flag,
				differ)
		}
	}
}

// TestRunTrainFlagErrors: a bad --dtype, --no-shuffle or --no-dropout stops run with one
// line that names the flag and what to give instead, as it stops train, and nothing is
// written.
func TestRunTrainFlagErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct{ arg, want string }{
		{"--dtype=float16", `--dtype: dtype "float16": want float32 or float64`},
		{"--dtype=Float64", `--dtype: dtype "Float64": want float32 or float64`},
		{"--no-shuffle=maybe", `--no-shuffle="maybe": a switch takes no value; give ` +
			`--no-shuffle alone to turn it on, or --no-shuffle=false to leave it off`},
		{"--no-dropout=2", `--no-dropout="2": a switch takes no value; give ` +
			`--no-dropout alone to turn it on, or --no-dropout=false to leave it off`},
	} {
		for _, cmd := range []string{"run", "train"} {
			code, stdout, stderr := runDemo(cmd, "--out", out, c.arg)
			want := "demo " + cmd + ": " + c.want + "\n"
			if code != exitUsage || stderr != want || stdout != "" {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want exit %d, stderr %q",
					cmd, c.arg, code, stdout, stderr, exitUsage, want)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was created", out)
	}
}
