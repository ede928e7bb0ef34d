package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// writeTensors writes a safetensors file of the given tensors and returns its path.
func writeTensors(t *testing.T, dir, name string,
	tensors map[string]safetensors.TensorView) string {
	t.Helper()
	buf, err := safetensors.Serialize(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// gruWeights returns the Keras-convention GRU model's weights as F64 views.
func gruWeights() map[string]safetensors.TensorView {
	return map[string]safetensors.TensorView{
		"gru/kernel":           f64View(make([]float64, 150), 1, 150),
		"gru/recurrent_kernel": f64View(make([]float64, 50*150), 50, 150),
		"gru/bias":             f64View(make([]float64, 150), 150),
		"dense/kernel":         f64View(make([]float64, 50*16), 50, 16),
		"dense/bias":           f64View(make([]float64, 16), 16),
	}
}

// TestInitErrors: --init files that do not fit the model fail before training, with an
// error naming the file, the tensor and what the model wants.
func TestInitErrors(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cases := map[string]struct {
		change func(map[string]safetensors.TensorView)
		conv   string
		want   []string
	}{
		"missing": {func(w map[string]safetensors.TensorView) { delete(w, "gru/bias") },
			Keras, []string{`no tensor "gru/bias" [150]`, "gru/kernel [1 150]"}},
		"misshaped": {func(w map[string]safetensors.TensorView) {
			w["dense/kernel"] = f64View(make([]float64, 16*50), 16, 50)
		}, Keras, []string{`tensor "dense/kernel" has shape [16 50], the model wants [50 16]`}},
		"reset-after bias": {func(w map[string]safetensors.TensorView) {
			w["gru/bias"] = f64View(make([]float64, 300), 2, 150)
		}, Keras, []string{`"gru/bias" has shape [2 150], the model wants [150]`,
			"--convention"}},
		"reset-before bias": {nil, PyTorch,
			[]string{`"gru/bias" has shape [150], the model wants [2 150]`, "--convention"}},
		"another model's": {func(w map[string]safetensors.TensorView) {
			w["lstm/kernel"] = f64View(make([]float64, 200), 1, 200)
		}, Keras, []string{`tensor "lstm/kernel" is not a weight of the gru model`}},
		"integer": {func(w map[string]safetensors.TensorView) {
			w["dense/bias"] = i64View(make([]int64, 16), 16)
		}, Keras, []string{`tensor "dense/bias" is I64; weights must be F32 or F64`}},
	}
	for name, c := range cases {
		w := gruWeights()
		if c.change != nil {
			c.change(w)
		}
		path := writeTensors(t, dir, "init.safetensors", w)
		out := filepath.Join(dir, "out-"+name)
		_, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 1, Batch: 8,
			OutDir: out, Init: path, Convention: c.conv}, nil)
		for _, want := range append(c.want, path) {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one containing %q", name, err, want)
			}
		}
		if names, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*")); len(names) > 0 {
			t.Errorf("%s: checkpoints %v written after a bad --init", name, names)
		}
	}

	// The same file, whole, starts training, in either dtype.
	path := writeTensors(t, dir, "init.safetensors", gruWeights())
	for _, dtype := range DTypes {
		h, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 1, Batch: 8,
			OutDir: filepath.Join(dir, "ok"), Init: path, DType: dtype}, nil)
		if err != nil || len(h.Loss) != 1 {
			t.Errorf("%s: %+v, %v", dtype, h, err)
		}
	}
}

// TestCheckpointDType: a float64 run stores F64 tensors, Adam's moments included, and
// its checkpoints load into a float32 model, converted, for evaluation and prediction.
func TestCheckpointDType(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	h, err := Fit(context.Background(), ds, Config{Model: "lstm", Epochs: 1, Batch: 8,
		Seed: 2, OutDir: dir, DType: "float64"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	meta, f, err := ReadCheckpoint(h.Checkpoints[0])
	if err != nil || meta.DType != "float64" || meta.Step != 3 {
		t.Fatalf("metadata %+v, %v", meta, err)
	}
	for _, name := range []string{"lstm/kernel", "optimizer/m/lstm/kernel",
		"optimizer/v/dense/bias"} {
		if tv, ok := f.file.st.Tensor(name); !ok || tv.DType() != safetensors.F64 {
			t.Errorf("tensor %s: present %v, want F64", name, ok)
		}
	}

	m64, _ := newModel[float64]("lstm", Keras, ds, 8, 99)
	m32, _ := newModel[float32]("lstm", Keras, ds, 8, 99)
	for _, load := range []func() error{
		func() error { _, err := LoadCheckpoint(h.Checkpoints[0], m64); return err },
		func() error { _, err := LoadCheckpoint(h.Checkpoints[0], m32); return err },
	} {
		if err := load(); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := Loss(m64, ds.Val.X, ds.Val.Y, 8); err != nil || got != h.ValLoss[0] {
		t.Errorf("val_loss of the loaded float64 model %v, want %v", got, h.ValLoss[0])
	}
	if got, err := Loss(m32, ds.Val.X, ds.Val.Y, 8); err != nil ||
		math.Abs(got-h.ValLoss[0]) > 1e-5*h.ValLoss[0] {
		t.Errorf("val_loss of the float32 conversion %v, want about %v", got, h.ValLoss[0])
	}
	r, err := EvaluateModel(ds, dir, "lstm", 8)
	if err != nil || r.ValLoss != h.ValLoss[0] {
		t.Errorf("evaluate the float64 checkpoint: val_loss %v, %v; want %v", r.ValLoss,
			err, h.ValLoss[0])
	}
}

func TestEpochOrder(t *testing.T) {
	a, b, c := make([]int, 24), make([]int, 24), make([]int, 24)
	EpochOrder(a, 3, 1, false)
	for i, v := range a {
		if v != i {
			t.Fatalf("unshuffled order %v", a)
		}
	}
	EpochOrder(a, 3, 1, true)
	EpochOrder(b, 3, 2, true)
	EpochOrder(c, 3, 1, true)
	if !slices.Equal(a, c) || slices.Equal(a, b) {
		t.Errorf("epoch 1 twice %v %v, epoch 2 %v: want a function of (seed, epoch)", a, c, b)
	}
	slices.Sort(b)
	for i, v := range b {
		if v != i {
			t.Fatalf("shuffled order is not a permutation: %v", b)
		}
	}
}

// TestNoDropoutNoShuffle: with dropout off and no shuffling, the seed only draws the
// weights, so a run from --init weights does not depend on it.
func TestNoDropoutNoShuffle(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	init := writeTensors(t, dir, "init.safetensors", gruWeights())
	var losses [][]float64
	for _, seed := range []uint64{1, 2} {
		h, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 2, Batch: 8,
			Seed: seed, OutDir: filepath.Join(dir, "out"), Init: init, NoShuffle: true,
			NoDropout: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, h.Loss)
	}
	if !slices.Equal(losses[0], losses[1]) {
		t.Errorf("seeds 1 and 2 from the same weights, unshuffled, no dropout: %v and %v",
			losses[0], losses[1])
	}
}

func TestReadWindows(t *testing.T) {
	dir := t.TempDir()
	row := func(n int, v string) string {
		return strings.TrimSuffix(strings.Repeat(v+",", n), ",")
	}
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		return path
	}

	good := write("good.csv", "x0,x1\r\n"+row(272, "0.5")+"\r\n\r\n"+row(272, "1e-1")+"\n")
	w, err := ReadWindows(good, 256, 16, true)
	if err != nil || w.Len() != 2 || len(w.X) != 512 || len(w.Y) != 32 || w.Y[31] != 0.1 {
		t.Fatalf("good file: %v", err)
	}
	inputs := write("inputs.csv", row(256, "0.5")+"\n"+row(272, "0.25")+"\n")
	if w, err := ReadWindows(inputs, 256, 16, false); err != nil || w.Len() != 2 ||
		len(w.Y) != 0 || w.X[256] != 0.25 {
		t.Errorf("inputs only, for predict: %v", err)
	}

	for name, c := range map[string]struct {
		text        string
		needTargets bool
		want        string
	}{
		"short":      {row(272, "0.5") + "\n" + row(250, "0.5"), true, ":2: 250 values; want 272"},
		"no targets": {row(256, "0.5"), true, ":1: 256 values; want 272"},
		"predict":    {row(100, "0.5"), false, ":1: 100 values; want 256 values"},
		"word":       {row(271, "0.5") + ",abc", true, `:1: value 272, "abc", is not a number`},
		"nan":        {"0.1," + row(271, "NaN"), true, ":1: value 2 is NaN"},
		"empty":      {"x0,x1\n\n", true, "no windows; write one line of 272 values"},
	} {
		path := write(name+".csv", c.text)
		_, err := ReadWindows(path, 256, 16, c.needTargets)
		if err == nil || !strings.Contains(err.Error(), path+c.want) &&
			!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if _, err := ReadWindows(filepath.Join(dir, "none.csv"), 256, 16, true); err == nil {
		t.Error("a missing file read")
	}
}
