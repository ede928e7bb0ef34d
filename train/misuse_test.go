package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/data"
)

// wantErr fails t unless err holds every part of want.
func wantErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one holding %q", what, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %v; want it to hold %q", what, err, w)
		}
	}
}

// TestNilArguments: nil pointers, a nil context and an empty output directory given to
// the exported functions are errors that say what to pass, never panics, and nothing is
// written.
func TestNilArguments(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	ctx := context.Background()
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, OutDir: dir}

	_, err := Fit(nil, ds, cfg, nil) //nolint:staticcheck // a nil context is the point
	wantErr(t, "Fit(nil ctx)", err, "nil context", "context.Background()")
	_, err = Fit(ctx, nil, cfg, nil)
	wantErr(t, "Fit(nil ds)", err, "nil *Dataset", "Prepare")
	_, err = Fit(ctx, &Dataset{In: 256, Out: 16}, cfg, nil)
	wantErr(t, "Fit(empty ds)", err, "no training windows")
	_, _, err = CheckResume(nil, cfg)
	wantErr(t, "CheckResume(nil ds)", err, "nil *Dataset")
	_, err = NewModel("cnn", nil, 8, 1)
	wantErr(t, "NewModel(nil ds)", err, "nil *Dataset")

	_, err = Prepare(nil, PrepareOptions{})
	wantErr(t, "Prepare(nil)", err, "nil *data.Series", "data.ReadFile")
	var none *Dataset
	wantErr(t, "Save(nil)", none.Save(filepath.Join(dir, "x.safetensors")), "nil *Dataset")
	wantErr(t, "SetDigest(nil)", none.SetDigest(), "nil *Dataset")
	if none.ValTimes() != nil {
		t.Error("ValTimes of a nil dataset is not nil")
	}

	m, err := NewModel("cnn", ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "nil.safetensors")
	wantErr(t, "SaveCheckpoint(nil model)", SaveCheckpoint[float32](ckpt, nil,
		CheckpointMeta{}), "nil *nn.Sequential")
	wantErr(t, "SaveCheckpoint(\"\")", SaveCheckpoint("", m, CheckpointMeta{}),
		"the path is empty")
	if _, err := os.Stat(ckpt); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SaveCheckpoint of a nil model wrote %s", ckpt)
	}
	wantErr(t, "LoadWeights(nil)", LoadWeights(nil, m, "cnn"), "nil or empty *WeightsFile",
		"OpenWeights")
	wantErr(t, "LoadWeights(empty)", LoadWeights(&WeightsFile{Path: "w"}, m, "cnn"),
		"OpenWeights")
	ckpt = filepath.Join(dir, "cnn.safetensors")
	if err := SaveCheckpoint(ckpt, m, CheckpointMeta{Model: "cnn"}); err != nil {
		t.Fatal(err)
	}
	w, err := OpenWeights(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "LoadWeights(nil model)", LoadWeights[float32](w, nil, "cnn"),
		"nil *nn.Sequential")
	_, err = LoadCheckpoint[float64](ckpt, nil)
	wantErr(t, "LoadCheckpoint(nil model)", err, "nil *nn.Sequential")

	_, err = EvaluateModel(nil, dir, "cnn", 8)
	wantErr(t, "EvaluateModel(nil ds)", err, "nil *Dataset")
	_, err = Baselines(nil)
	wantErr(t, "Baselines(nil)", err, "nil *Dataset")
	wantErr(t, "Score(nil ds)", Score(nil, &Result{}), "nil *Dataset")
	wantErr(t, "Score(nil r)", Score(ds, nil), "nil *Result")
	wantErr(t, "Score(short)", Score(ds, &Result{Name: "x", Pred: []float64{1}}),
		"1 prediction for")
	wantErr(t, "WriteResults(nil)", WriteResults(filepath.Join(dir, "r.md"), nil, nil),
		"nil *Dataset")
	noSeries := *ds
	noSeries.Times, noSeries.Closes = nil, nil
	wantErr(t, "WriteResults(no series)", WriteResults(filepath.Join(dir, "r.md"),
		&noSeries, nil), "does not hold the windows' candles")
	if l, a := Describe[float32](nil); l != "0:" || a != "-" {
		t.Errorf("Describe(nil) = %q, %q", l, a)
	}
	_, err = FitLinear(make([]float64, 4), make([]float64, 2), 0, 2)
	wantErr(t, "FitLinear(In 0)", err, "at least 1")
	var lin *Linear
	_, err = lin.Predict(make([]float64, 4))
	wantErr(t, "(*Linear)(nil).Predict", err, "FitLinear")
	if _, err := os.Stat(filepath.Join(dir, "r.md")); !errors.Is(err, os.ErrNotExist) {
		t.Error("WriteResults of a bad dataset wrote r.md")
	}
}

// TestOutDirRequired: Fit, CheckResume and EvaluateModel refuse an empty output
// directory instead of writing into (or reading from) the current one.
func TestOutDirRequired(t *testing.T) {
	ds := prepared(t, t.TempDir())
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8}
	_, err := Fit(context.Background(), ds, cfg, nil)
	wantErr(t, "Fit", err, "Config.OutDir is empty", `"."`)
	for _, name := range []string{"checkpoints", "cnn-log.csv"} {
		if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Fit with an empty OutDir made ./%s", name)
			os.RemoveAll(name)
		}
	}
	_, _, err = CheckResume(ds, cfg)
	wantErr(t, "CheckResume", err, "Config.OutDir is empty")
	_, err = EvaluateModel(ds, "", "cnn", 8)
	wantErr(t, "EvaluateModel", err, "output directory is empty")
}

// TestPredictRaggedTail: values that are not a whole number of windows are an error
// naming the counts, not a prediction of the whole windows alone; Loss checks y too.
func TestPredictRaggedTail(t *testing.T) {
	m, err := BuildModel[float64]("lstm", Keras, 10, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Predict(m, make([]float64, 15), 4)
	wantErr(t, "Predict(15 values, In 10)", err, "15 values", "windows of 10 inputs",
		"1 window and 5 values left over")
	_, err = Predict[float64](nil, make([]float64, 10), 4)
	wantErr(t, "Predict(nil)", err, "nil *nn.Sequential")
	_, err = Predict(m, make([]float64, 10), 0)
	wantErr(t, "Predict(batch 0)", err, "at least 1")
	_, err = Loss(m, make([]float64, 20), make([]float64, 31), 4)
	wantErr(t, "Loss(31 targets)", err, "31 targets for 2 windows")
	pred, err := Predict(m, make([]float64, 20), 4)
	if err != nil || len(pred) != 2*16 {
		t.Errorf("Predict(2 windows): %d values, %v", len(pred), err)
	}
}

// TestReadCheckpointExported: ReadCheckpoint returns an exported *WeightsFile a caller
// can name, list and read, and load into a model.
func TestReadCheckpointExported(t *testing.T) {
	dir := t.TempDir()
	m, err := BuildModel[float32]("gru", Keras, 256, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gru.safetensors")
	if err := SaveCheckpoint(path, m, CheckpointMeta{Model: "gru", Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	var w *WeightsFile
	var meta CheckpointMeta
	meta, w, err = ReadCheckpoint(path)
	if err != nil || meta.Model != "gru" || w.Path != path || w.Meta["model"] != "gru" {
		t.Fatalf("ReadCheckpoint: %+v, %v", meta, err)
	}
	if names := w.Names(); len(names) != 5 || names[0] != "dense/bias" {
		t.Errorf("Names() = %v", names)
	}
	v, shape, err := w.Floats("gru/recurrent_kernel")
	if err != nil || len(shape) != 2 || shape[0] != 50 || shape[1] != 150 ||
		len(v) != 50*150 || float32(v[7]) != m.Params()[1].W[7] {
		t.Errorf("Floats: shape %v, %d values, %v", shape, len(v), err)
	}
	_, _, err = w.Floats("lstm/kernel")
	wantErr(t, "Floats(missing)", err, `no tensor "lstm/kernel"`, "gru/kernel")
	m2, _ := BuildModel[float64]("gru", Keras, 256, 2, 4)
	if err := LoadWeights(w, m2, "gru"); err != nil {
		t.Error(err)
	}
}

// TestFitBadAdamForm: an Adam form other than optim.Keras and optim.PyTorch is an error
// naming the field, as every other bad Config field is, not a panic in optim.NewAdam;
// nothing is written.
func TestFitBadAdamForm(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	out := filepath.Join(dir, "out")
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, OutDir: out, AdamForm: 9}
	_, err := Fit(context.Background(), ds, cfg, nil)
	wantErr(t, "Fit(AdamForm 9)", err, "cnn", "Config.AdamForm", "Form(9)",
		"want Keras or PyTorch")
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fit with a bad Adam form created %s", out)
	}
}

// TestPlotNilDataset: PlotPredictions of a nil or series-less dataset is an error, as
// WriteResults's is, not a nil dereference, and writes no file.
func TestPlotNilDataset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	wantErr(t, "PlotPredictions(nil)", PlotPredictions(path, "t", nil, nil),
		"nil *Dataset")
	ds := &Dataset{In: 2, Out: 1, Train: &data.Windows{In: 2, Out: 1, X: []float64{1, 2},
		Y: []float64{3}, Start: []int{0}}, Val: &data.Windows{In: 2, Out: 1,
		X: []float64{1, 2}, Y: []float64{3}, Start: []int{0}}}
	wantErr(t, "PlotPredictions(no series)", PlotPredictions(path, "t", ds, nil),
		"does not hold the windows' candles")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PlotPredictions without a dataset wrote %s", path)
	}
}

// TestFitRaggedWindows: training windows whose X, Y and Start disagree are reported as
// such, naming the field and the counts, not as a dataset without windows.
func TestFitRaggedWindows(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	cfg := Config{Model: "cnn", Epochs: 1, Batch: 8, OutDir: dir}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		edit func(w *data.Windows)
		want []string
	}{
		{"X short by 3", func(w *data.Windows) { w.X = w.X[:len(w.X)-3] },
			[]string{"training windows' X holds", "not a whole number of windows of 256",
				"253 inputs left over"}},
		{"Y short by one window", func(w *data.Windows) { w.Y = w.Y[:len(w.Y)-16] },
			[]string{"training windows are ragged", "Y the targets of 23", "Start 24"}},
		{"no Start", func(w *data.Windows) { w.Start = nil },
			[]string{"training windows are ragged", "X holds the inputs of 24 windows",
				"Start 0"}},
	} {
		bad := *ds
		train := *ds.Train
		c.edit(&train)
		bad.Train = &train
		_, err := Fit(ctx, &bad, cfg, nil)
		wantErr(t, c.name, err, c.want...)
		if err != nil && strings.Contains(err.Error(), "no training windows") {
			t.Errorf("%s: %v; reported as no windows", c.name, err)
		}
	}
}
