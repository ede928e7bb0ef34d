package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/nn"
)

// synthetic returns a smooth, trending, wavy series of L half-hour candles.
func synthetic(L int) *data.Series {
	s := &data.Series{Source: "synthetic.csv", Period: 1800}
	for i := range L {
		c := 200 + 0.05*float64(i) + 20*math.Sin(float64(i)/15) + 5*math.Sin(float64(i)/3.7)
		s.Candles = append(s.Candles, data.Candle{Time: 1_500_000_000 + int64(i)*1800,
			Open: c, High: c, Low: c, Close: c})
	}
	return s
}

// testStride overlaps windows so that a short series gives enough of them: 2244 candles
// give 24 training and 3 validation windows of 256+16.
const (
	testStride = 68
	testLen    = 272 + 29*testStride
)

// prepared saves a synthetic dataset in dir and loads it back, as train does.
func prepared(t *testing.T, dir string) *Dataset {
	t.Helper()
	ds, err := Prepare(synthetic(testLen), PrepareOptions{Stride: testStride})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DatasetFile)
	if err := ds.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestDatasetRoundTrip(t *testing.T) {
	ds, err := Prepare(synthetic(testLen), PrepareOptions{Stride: testStride})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 24 || ds.Val.Len() != 3 {
		t.Fatalf("%d training and %d validation windows, want 24 and 3",
			ds.Train.Len(), ds.Val.Len())
	}
	path := filepath.Join(t.TempDir(), DatasetFile)
	if err := ds.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDataset(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest != ds.Digest || back.Digest == "" {
		t.Errorf("digest %q after loading, %q after saving", back.Digest, ds.Digest)
	}
	if back.Source != ds.Source || back.In != ds.In || back.Out != ds.Out ||
		back.Stride != ds.Stride || back.TrainFrac != ds.TrainFrac ||
		back.ScaleOnWhole != ds.ScaleOnWhole || back.Scaler != ds.Scaler {
		t.Errorf("settings differ: saved %+v, loaded %+v", ds, back)
	}
	if !slices.Equal(back.Times, ds.Times) || !slices.Equal(back.Closes, ds.Closes) ||
		!slices.Equal(back.Train.X, ds.Train.X) || !slices.Equal(back.Train.Y, ds.Train.Y) ||
		!slices.Equal(back.Val.X, ds.Val.X) || !slices.Equal(back.Val.Start, ds.Val.Start) {
		t.Error("loaded tensors differ from the saved ones")
	}

	// The scaler is fitted on the training windows only: their values span [0, 1].
	lo, hi := slices.Min(ds.Train.X), slices.Max(ds.Train.X)
	lo, hi = min(lo, slices.Min(ds.Train.Y)), max(hi, slices.Max(ds.Train.Y))
	if lo != 0 || hi != 1 {
		t.Errorf("training windows span [%v, %v] after scaling, want [0, 1]", lo, hi)
	}
}

func TestLoadDatasetRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"missing": "",
		"garbage": "not a safetensors file",
	} {
		path := filepath.Join(dir, name)
		if name != "missing" {
			os.WriteFile(path, []byte(content), 0o644)
		}
		if _, err := LoadDataset(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s", name, err, path)
		}
	}
}

func TestFitWritesLogAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	var events []Event
	h, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 2, Batch: 8,
		Seed: 3, OutDir: dir}, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}

	// 24 windows in batches of 8: three batch events and one epoch event per epoch.
	if len(events) != 8 || !events[3].EpochDone || events[2].Batch != 3 ||
		events[2].Batches != 3 {
		t.Errorf("events %+v, want 3 batches then the epoch's end, twice", events)
	}

	log, err := os.ReadFile(filepath.Join(dir, "cnn-log.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 3 || lines[0] != "epoch,loss,val_loss" {
		t.Fatalf("log:\n%s\nwant a header and 2 rows", log)
	}
	for e, line := range lines[1:] {
		f := strings.Split(line, ",")
		loss, _ := strconv.ParseFloat(f[1], 64)
		val, _ := strconv.ParseFloat(f[2], 64)
		if len(f) != 3 || f[0] != strconv.Itoa(e) || loss != h.Loss[e] || val != h.ValLoss[e] {
			t.Errorf("log row %q, want %d,%v,%v", line, e, h.Loss[e], h.ValLoss[e])
		}
	}

	names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	re := regexp.MustCompile(`^cnn-0[12]-[0-9]+\.[0-9]{5}\.safetensors$`)
	if len(names) != 2 {
		t.Fatalf("checkpoints %v, want 2", names)
	}
	for e, path := range names {
		want := CheckpointName(CheckpointMeta{Model: "cnn", Epoch: e + 1, ValLoss: h.ValLoss[e]})
		if base := filepath.Base(path); !re.MatchString(base) || base != want {
			t.Errorf("checkpoint %s, want %s", base, want)
		}
	}

	// A new run replaces the old checkpoints.
	if _, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 1, Batch: 8,
		Seed: 4, OutDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(names) != 1 {
		t.Errorf("checkpoints after a second run: %v, want its 1", names)
	}
}

// TestFitDeterministic: the seed fixes the weights, the order and the dropout masks, so
// two runs of every model with the same seed and data write the same log and
// checkpoints, byte for byte, in both dtypes.
func TestFitDeterministic(t *testing.T) {
	for _, dtype := range DTypes {
		for _, model := range Models {
			dirs := [2]string{t.TempDir(), t.TempDir()}
			ds := prepared(t, dirs[0])
			var runs [2]*History
			for i, dir := range dirs {
				h, err := Fit(context.Background(), ds, Config{Model: model, Epochs: 2,
					Batch: 8, Seed: 7, OutDir: dir, DType: dtype}, nil)
				if err != nil {
					t.Fatal(err)
				}
				runs[i] = h
			}
			os.Remove(filepath.Join(dirs[0], DatasetFile))
			sameFiles(t, model+" "+dtype, dirs[0], dirs[1])
			if !slices.Equal(runs[0].Loss, runs[1].Loss) ||
				!slices.Equal(runs[0].ValLoss, runs[1].ValLoss) {
				t.Errorf("%s %s: two runs with seed 7 differ: %v %v and %v %v", model,
					dtype, runs[0].Loss, runs[0].ValLoss, runs[1].Loss, runs[1].ValLoss)
			}
		}
	}
}

// kerasNames are the weight names Keras 2.1.1 gives the tutorial's models in a fresh
// session, with their shapes for 256 steps of 1 feature.
var kerasNames = map[string][]struct {
	name  string
	shape []uint64
}{
	"cnn": {{"conv1d/kernel", []uint64{20, 1, 8}}, {"conv1d/bias", []uint64{8}},
		{"conv1d_1/kernel", []uint64{16, 8, 1}}, {"conv1d_1/bias", []uint64{1}}},
	"lstm": {{"lstm/kernel", []uint64{1, 200}}, {"lstm/recurrent_kernel", []uint64{50, 200}},
		{"lstm/bias", []uint64{200}}, {"dense/kernel", []uint64{50, 16}},
		{"dense/bias", []uint64{16}}},
	"gru": {{"gru/kernel", []uint64{1, 150}}, {"gru/recurrent_kernel", []uint64{50, 150}},
		{"gru/bias", []uint64{150}}, {"dense/kernel", []uint64{50, 16}},
		{"dense/bias", []uint64{16}}},
}

// TestCheckpointRoundTrip saves a model, loads it into one built from another seed, and
// checks the tensors' Keras names and shapes and bit-equal predictions.
func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	for _, model := range Models {
		a, err := NewModel(model, ds, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewModel(model, ds, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		meta := CheckpointMeta{Model: model, Epoch: 3, Loss: 0.5, ValLoss: 0.25, Seed: 1,
			Dataset: ds.Digest, DType: "float32", Convention: Keras, AdamForm: "keras",
			Batch: 8, Shuffle: true, Step: 9, LossSum: 1.5}
		path := filepath.Join(dir, CheckpointName(meta))
		if err := SaveCheckpoint(path, a, meta); err != nil {
			t.Fatal(err)
		}

		got, f, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != meta {
			t.Errorf("%s: metadata %+v, want %+v", model, got, meta)
		}
		var want []string
		for _, k := range kerasNames[model] {
			want = append(want, k.name)
			tv, ok := f.file.st.Tensor(k.name)
			if !ok || !slices.Equal(tv.Shape(), k.shape) || tv.DType().String() != "F32" {
				t.Errorf("%s: tensor %s: %v %v, want F32 %v", model, k.name, tv.DType(),
					tv.Shape(), k.shape)
			}
		}
		slices.Sort(want)
		if !slices.Equal(f.Names(), want) {
			t.Errorf("%s: tensors %v, want Keras's %v", model, f.Names(), want)
		}

		if _, err := LoadCheckpoint(path, b); err != nil {
			t.Fatal(err)
		}
		pa, errA := Predict(a, ds.Val.X, 8)
		pb, errB := Predict(b, ds.Val.X, 8)
		if errA != nil || errB != nil || !slices.Equal(pa, pb) {
			t.Errorf("%s: predictions after loading differ from the saved model's", model)
		}

		// A checkpoint does not load into another architecture.
		other, _ := NewModel(Models[(slices.Index(Models, model)+1)%3], ds, 8, 1)
		if _, err := LoadCheckpoint(path, other); err == nil {
			t.Errorf("%s: checkpoint loaded into another model", model)
		}
	}
}

func TestFitInterrupted(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := Fit(ctx, ds, Config{Model: "lstm", Epochs: 3, Batch: 8, Seed: 1, OutDir: dir},
		func(e Event) {
			if e.Epoch == 2 && e.Batch == 1 {
				cancel()
			}
		})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "epoch 2 after batch 1/3") {
		t.Fatalf("error %v, want an interruption in epoch 2 after batch 1/3", err)
	}
	if len(h.Loss) != 1 {
		t.Errorf("history of %d epochs, want the 1 completed", len(h.Loss))
	}
	names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "lstm-*"))
	if len(names) != 2 || !strings.HasSuffix(names[1], "-interrupted.safetensors") ||
		!strings.HasPrefix(filepath.Base(names[1]), "lstm-02-") {
		t.Fatalf("checkpoints %v, want epoch 1's and an interrupted one of epoch 2", names)
	}
	meta, _, err := ReadCheckpoint(names[1])
	if err != nil || meta.Batches != "1/3" {
		t.Errorf("interrupted checkpoint metadata %+v, %v", meta, err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "lstm-log.csv"))
	if n := strings.Count(string(log), "\n"); n != 2 {
		t.Errorf("log:\n%s\nwant the header and the completed epoch", log)
	}
}

func TestFitStopsOnNaN(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	ds.Train.Y[5] = math.NaN() // a NaN input could vanish in a ReLU; a target cannot
	_, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 2, Batch: 8, Seed: 1,
		OutDir: dir}, nil)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "cnn") ||
		!strings.Contains(err.Error(), "epoch 1, batch ") ||
		!strings.Contains(err.Error(), "last good checkpoint: none") {
		t.Fatalf("error %v, want a divergence naming cnn, epoch 1 and its batch", err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(names) != 0 {
		t.Errorf("checkpoints %v after a NaN in the first batch", names)
	}
}

func TestFitRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	for _, cfg := range []Config{
		{Model: "cnn", Epochs: 0, Batch: 8},
		{Model: "cnn", Epochs: 1, Batch: 0},
		{Model: "rnn", Epochs: 1, Batch: 8},
	} {
		cfg.OutDir = filepath.Join(dir, "out")
		if _, err := Fit(context.Background(), ds, cfg, nil); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a rejected configuration created the output directory")
	}
}

func TestParseModels(t *testing.T) {
	got, err := ParseModels("gru, LSTM,gru")
	if err != nil || !slices.Equal(got, []string{"gru", "lstm"}) {
		t.Errorf("ParseModels: %v, %v", got, err)
	}
	for _, bad := range []string{"", "rnn", "cnn,,gru"} {
		if _, err := ParseModels(bad); err == nil {
			t.Errorf("ParseModels(%q): no error", bad)
		}
	}
}

func TestEvaluateWritesResultsAndPlots(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	for _, model := range []string{"cnn", "gru"} {
		if _, err := Fit(context.Background(), ds, Config{Model: model, Epochs: 2, Batch: 8,
			Seed: 1, OutDir: dir}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var results []Result
	for _, model := range []string{"cnn", "gru"} {
		r, err := EvaluateModel(ds, dir, model, 8)
		if err != nil {
			t.Fatal(err)
		}
		_, best, _ := BestCheckpoint(filepath.Join(dir, "checkpoints"), model, ds.Digest)
		if r.ValLoss != best.ValLoss {
			// Validation in Fit and here run the same float32 forward on the same windows.
			t.Errorf("%s: evaluated val loss %v, checkpoint's %v", model, r.ValLoss, best.ValLoss)
		}
		results = append(results, r)
	}
	base, err := Baselines(ds)
	if err != nil {
		t.Fatal(err)
	}
	results = append(results, base...)

	path := filepath.Join(dir, "results.md")
	if err := WriteResults(path, ds, results); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	for _, want := range []string{
		"| model | layers | activation | validation loss (scaled) | test MSE (USD²) |",
		"| cnn | 3: conv1d, dropout, conv1d_1 | relu |",
		"| gru | 5: gru, activation, dropout, dense, activation_1 | tanh, recurrent hard_sigmoid, relu |",
		"| lag baseline | - | - |", "| persistence | - | - |", "| linear regression | - | - |",
		"On test MSE: cnn beats ",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}

	png := filepath.Join(dir, "predictions.png")
	if err := PlotPredictions(png, "test", ds, results[:2]); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(png); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("%s is not a PNG", png)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestBaselines(t *testing.T) {
	// Two windows of 4 in, 2 out, scaled space = USD with the scaler [0, 1].
	ds := &Dataset{In: 4, Out: 2, Scaler: data.MinMax{Min: 0, Max: 1},
		Train: &data.Windows{In: 4, Out: 2, X: []float64{1, 2, 3, 4}, Y: []float64{5, 6},
			Start: []int{0}},
		Val: &data.Windows{In: 4, Out: 2, X: []float64{1, 2, 3, 4, 4, 3, 2, 1},
			Y: []float64{5, 6, 1, 1}, Start: []int{0, 6}}}
	res, err := Baselines(ds)
	if err != nil {
		t.Fatal(err)
	}
	lag, last := res[0], res[1]
	if !slices.Equal(lag.Pred, []float64{3, 4, 2, 1}) {
		t.Errorf("lag baseline %v, want [3 4 2 1]", lag.Pred)
	}
	if !slices.Equal(last.Pred, []float64{4, 4, 1, 1}) {
		t.Errorf("persistence %v, want [4 4 1 1]", last.Pred)
	}
	// Errors 2,2,1,0 and 1,2,0,0: MSE 9/4 and 5/4, the same in USD for this scaler.
	if lag.ValLoss != 9.0/4 || lag.TestMSE != 9.0/4 || last.ValLoss != 5.0/4 {
		t.Errorf("lag %v %v, persistence %v", lag.ValLoss, lag.TestMSE, last.ValLoss)
	}
}

// TestFitLinear checks both regimes: enough windows recover an exact linear map, too few
// interpolate the training windows with the minimum-norm weights.
func TestFitLinear(t *testing.T) {
	const In, Out = 3, 2
	w := [][]float64{{1, -2}, {0.5, 0}, {-1, 3}, {0.25, -0.75}} // (In+1, Out), intercept last
	f := func(x []float64) []float64 {
		y := make([]float64, Out)
		for j := range Out {
			y[j] = w[In][j]
			for i := range In {
				y[j] += x[i] * w[i][j]
			}
		}
		return y
	}
	var x, y []float64
	for n := range 10 {
		xn := []float64{math.Sin(float64(n)), math.Cos(3 * float64(n)), float64(n) / 10}
		x = append(x, xn...)
		y = append(y, f(xn)...)
	}

	l, err := FitLinear(x, y, In, Out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range In + 1 {
		for j := range Out {
			if d := math.Abs(l.W.At(i, j) - w[i][j]); d > 1e-12 {
				t.Errorf("W[%d][%d] = %v, want %v", i, j, l.W.At(i, j), w[i][j])
			}
		}
	}

	// Two windows, four unknowns per output: the fit passes through both, and its
	// weights are orthogonal to the null space of the design.
	l, err = FitLinear(x[:2*In], y[:2*Out], In, Out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(l.Note, "minimum-norm") || l.Rank != 2 {
		t.Errorf("note %q, rank %d", l.Note, l.Rank)
	}
	pred, err := l.Predict(x[:2*In])
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pred {
		if math.Abs(p-y[i]) > 1e-12 {
			t.Errorf("prediction %d = %v, want the target %v", i, p, y[i])
		}
	}

	// One window: its count in the note is singular.
	l, err = FitLinear(x[:In], y[:Out], In, Out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "interpolating solution (1 window < 4 unknowns)"; !strings.Contains(l.Note,
		want) {
		t.Errorf("note %q, want it to contain %q", l.Note, want)
	}
}

func TestDescribe(t *testing.T) {
	m, err := nn.TutorialLSTM[float32](1, 1)
	if err != nil {
		t.Fatal(err)
	}
	layers, acts := Describe(m)
	if layers != "4: lstm, dropout, dense, leaky_re_lu" ||
		acts != "tanh, recurrent hard_sigmoid, leaky_relu" {
		t.Errorf("Describe: %q, %q", layers, acts)
	}
}
