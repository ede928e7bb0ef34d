package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/seqnn/seqnn/nn"
)

// TestLoadRejectsNonFinite: a NaN or an infinity in a weights file, an --init file or a
// checkpoint, fails the load with the file, the tensor and the element, before training
// or evaluation starts from it.
func TestLoadRejectsNonFinite(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)

	w := gruWeights()
	kernel := make([]float64, 50*16)
	kernel[37] = math.NaN()
	w["dense/kernel"] = f64View(kernel, 50, 16)
	path := writeTensors(t, dir, "nan.safetensors", w)
	out := filepath.Join(dir, "out")
	_, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 1, Batch: 8,
		OutDir: out, Init: path}, nil)
	want := path + `: tensor "dense/kernel" element 37 [2 5] is NaN; every weight must be finite`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("--init with a NaN: error %v, want %q", err, want)
	}
	if names, _ := filepath.Glob(filepath.Join(out, "checkpoints", "*")); len(names) > 0 {
		t.Errorf("checkpoints %v written from NaN weights", names)
	}

	// A checkpoint with an infinity, its digest intact: evaluation refuses it.
	m, err := NewModel("cnn", ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Params()[1].W[2] = float32(math.Inf(-1))
	ckpt := filepath.Join(dir, "checkpoints", "cnn-01-0.10000.safetensors")
	os.MkdirAll(filepath.Dir(ckpt), 0o755)
	meta := CheckpointMeta{Model: "cnn", Epoch: 1, ValLoss: 0.1, Seed: 1, Dataset: ds.Digest,
		Convention: Keras}
	if err := SaveCheckpoint(ckpt, m, meta); err != nil {
		t.Fatal(err)
	}
	_, err = EvaluateModel(ds, dir, "cnn", 8)
	if err == nil || !strings.Contains(err.Error(), ckpt+`: tensor "`+m.Params()[1].Name+
		`" element 2`) || !strings.Contains(err.Error(), "is -Inf") {
		t.Errorf("evaluate of a checkpoint with -Inf: %v", err)
	}
}

// nanDevice is the CPU, except that the pull'th Pull of a session writes a NaN into
// the first element of the parameter called name, as a diverging step on a GPU might.
type nanDevice[T nn.Float] struct {
	name string
	pull int
}

func (d nanDevice[T]) Name() string { return "cpu with a NaN" }

func (d nanDevice[T]) Open(m *nn.Sequential[T]) (nn.Session[T], error) {
	s, err := nn.CPU[T]{}.Open(m)
	return &nanSession[T]{Session: s, m: m, d: d}, err
}

type nanSession[T nn.Float] struct {
	nn.Session[T]
	m     *nn.Sequential[T]
	d     nanDevice[T]
	pulls int
}

func (s *nanSession[T]) Pull(m, v [][]T) error {
	err := s.Session.Pull(m, v)
	if s.pulls++; s.pulls == s.d.pull {
		for _, p := range s.m.Params() {
			if p.Name == s.d.name {
				p.W[0] = T(math.NaN())
			}
		}
	}
	return err
}

// TestFitStopsOnNaNWeights: a weight that turns NaN stops training after the epoch,
// though the GRU's final ReLU keeps the loss finite, and the epoch's checkpoint is not
// saved; the earlier one stays. An interrupt with NaN weights saves nothing either.
func TestFitStopsOnNaNWeights(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	dev := nanDevice[float32]{name: "dense/kernel", pull: 2}
	cfg := Config{Model: "gru", Epochs: 3, Batch: 8, Seed: 1, OutDir: dir,
		Devices: Devices{F32: dev}}
	h, err := Fit(context.Background(), ds, cfg, nil)
	if !errors.Is(err, ErrDiverged) ||
		!strings.Contains(err.Error(), `weight "dense/kernel" holds NaN at element 0 [0 0] `+
			`after epoch 2`) || !strings.Contains(err.Error(), "gru-01-") {
		t.Fatalf("error %v, want a divergence naming dense/kernel, epoch 2 and epoch 1's "+
			"checkpoint", err)
	}
	if len(h.Loss) != 1 {
		t.Errorf("history %+v, want epoch 1 only", h)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	if len(names) != 1 || !strings.Contains(names[0], "gru-01-") {
		t.Errorf("checkpoints %v, want epoch 1's alone", names)
	}

	// Interrupted in epoch 1 with the weights gone NaN at the interrupt's Pull.
	dir = t.TempDir()
	ds = prepared(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cfg = Config{Model: "gru", Epochs: 1, Batch: 8, Seed: 1, OutDir: dir,
		Devices: Devices{F32: nanDevice[float32]{name: "gru/bias", pull: 1}}}
	_, err = Fit(ctx, ds, cfg, func(e Event) {
		if e.Batch == 1 {
			cancel()
		}
	})
	if !errors.Is(err, ErrDiverged) || !errors.Is(err, ErrInterrupted) ||
		!strings.Contains(err.Error(), "nothing saved") {
		t.Errorf("interrupt with NaN weights: %v", err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*")); len(names) > 0 {
		t.Errorf("checkpoints %v saved from NaN weights", names)
	}
}

// TestCheckpointDigest: two flipped bytes in a checkpoint's data fail every way of
// loading it, with the fix; a checkpoint written before the digest still loads.
func TestCheckpointDigest(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	if _, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 1, Batch: 8,
		Seed: 1, OutDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "cnn-01-*"))
	if len(names) != 1 {
		t.Fatalf("checkpoints %v", names)
	}
	path := names[0]
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}

	bad := append([]byte(nil), good...)
	bad[len(bad)-5] ^= 0x10
	bad[len(bad)-40] ^= 0x01
	os.WriteFile(path, bad, 0o644)
	want := path + ": checksum mismatch: the file is damaged; delete it (train --resume " +
		"continues from the checkpoint before it)"
	m, _ := NewModel("cnn", ds, 8, 1)
	_, _, err1 := ReadCheckpoint(path)
	_, err2 := LoadCheckpoint(path, m)
	_, err3 := OpenWeights(path)
	_, err4 := EvaluateModel(ds, dir, "cnn", 8)
	_, err5 := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 2, Batch: 8,
		Seed: 1, OutDir: dir, Resume: true}, nil)
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if err == nil || err.Error() != want {
			t.Errorf("load %d of a damaged checkpoint: %v, want %q", i+1, err, want)
		}
	}

	// The same tensors without the digest, as written before it existed.
	st, err := safetensors.Deserialize(good)
	if err != nil {
		t.Fatal(err)
	}
	_, md, _ := safetensors.ReadMetadata(good)
	header := md.Metadata()
	delete(header, "sha256")
	tensors := map[string]safetensors.TensorView{}
	for _, n := range st.Names() {
		tensors[n], _ = st.Tensor(n)
	}
	old, err := safetensors.Serialize(tensors, header)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, old, 0o644)
	back, err := LoadCheckpoint(path, m)
	if err != nil || back != meta {
		t.Errorf("a checkpoint without a digest: %+v, %v; want %+v", back, err, meta)
	}
}

// TestResumeOtherDataset: --resume on a dataset prepared again refuses to start over,
// and the old checkpoints stay.
func TestResumeOtherDataset(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	if _, err := Fit(context.Background(), ds, Config{Model: "cnn", Epochs: 1, Batch: 8,
		Seed: 1, OutDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))

	other, err := Prepare(synthetic(testLen+testStride), PrepareOptions{Stride: testStride})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Save(filepath.Join(t.TempDir(), DatasetFile)); err != nil {
		t.Fatal(err)
	}
	_, err = Fit(context.Background(), other, Config{Model: "cnn", Epochs: 2, Batch: 8,
		Seed: 1, OutDir: dir, Resume: true}, nil)
	if !errors.Is(err, ErrOtherDataset) || !strings.Contains(err.Error(), "another dataset: 1 checkpoint of cnn") {
		t.Errorf("resume on another dataset: %v, want ErrOtherDataset", err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	if len(after) != 1 || len(before) != 1 || after[0] != before[0] {
		t.Errorf("checkpoints %v before, %v after a refused resume", before, after)
	}
}

// TestEvaluateWindowsRun: a model trained on windows files only is not evaluated against
// a prepared dataset; the error says why.
func TestEvaluateWindowsRun(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	win := filepath.Join("testdata", "reference", "windows.csv")
	wds, err := WindowsDataset(win, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), wds, Config{Model: "cnn", Epochs: 1, Batch: 8,
		Seed: 1, OutDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = EvaluateModel(ds, dir, "cnn", 8)
	if !errors.Is(err, ErrWindowsRun) {
		t.Errorf("evaluate after a windows run: %v, want ErrWindowsRun", err)
	}
}

// TestResultLabels: an interrupted checkpoint is labelled with its batch in results.md,
// and each model has one color in every plot.
func TestResultLabels(t *testing.T) {
	r := Result{Name: "gru", Epoch: 1, Batches: "4/15"}
	if got := r.EpochLabel(); got != "epoch 1 (interrupted after batch 4/15)" {
		t.Errorf("label %q", got)
	}
	r.Batches = ""
	if got := r.EpochLabel(); got != "epoch 1" {
		t.Errorf("label %q", got)
	}
	for i, name := range Models {
		if resultStyle(name, 0).color != resultStyle(name, i).color {
			t.Errorf("%s: color depends on its place in the plot", name)
		}
		if i > 0 && resultStyle(name, 0).color == resultStyle(Models[i-1], 0).color {
			t.Errorf("%s and %s share a color", name, Models[i-1])
		}
	}
}

// TestBadInitKeepsCheckpoints: an --init file that fails its checks leaves the model's
// checkpoints from an earlier run where they were.
func TestBadInitKeepsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	out := filepath.Join(dir, "out")
	if _, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 2, Batch: 8,
		OutDir: out}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(out, "checkpoints", "gru-*"))
	if len(before) != 2 {
		t.Fatalf("%d checkpoints after 2 epochs, want 2", len(before))
	}

	w := gruWeights()
	kernel := make([]float64, 50*16)
	kernel[0] = math.Inf(1)
	w["dense/kernel"] = f64View(kernel, 50, 16)
	bad := writeTensors(t, dir, "inf.safetensors", w)
	_, err := Fit(context.Background(), ds, Config{Model: "gru", Epochs: 1, Batch: 8,
		OutDir: out, Init: bad}, nil)
	if err == nil {
		t.Fatal("--init with an infinity trained")
	}
	after, _ := filepath.Glob(filepath.Join(out, "checkpoints", "gru-*"))
	if strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("checkpoints %v after a refused --init, want %v", after, before)
	}
}

// TestDigestCoversMetadata: editing a checkpoint's metadata (its epoch) is caught as
// damage, as a flipped byte in a tensor is.
func TestDigestCoversMetadata(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	m, err := NewModel("cnn", ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cnn-04-0.10000.safetensors")
	meta := CheckpointMeta{Model: "cnn", Epoch: 4, ValLoss: 0.1, Seed: 1, Dataset: ds.Digest,
		Convention: Keras}
	if err := SaveCheckpoint(path, m, meta); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), `"epoch":"4"`, `"epoch":"9"`, 1)
	if edited == string(b) {
		t.Fatal("no epoch entry found in the header")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadCheckpoint(path); err == nil ||
		!strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("edited metadata: error %v, want a checksum mismatch", err)
	}
}

// TestFmtAmount: the results table shows ordinary values as the tutorial's table does
// and extreme ones in exponent form instead of 0.00 or 24 digits.
func TestFmtAmount(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    int
		want string
	}{
		{5223.6, 1, "5223.6"}, {0.004729, 6, "0.004729"}, {0, 1, "0.0"},
		{99, 2, "99.00"}, {1e-8, 2, "1e-08"}, {2.2504624306965274e23, 1, "2.25e+23"},
		{math.Inf(1), 1, "+Inf"},
	} {
		if got := fmtAmount(c.v, c.d); got != c.want {
			t.Errorf("fmtAmount(%g, %d) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
}
