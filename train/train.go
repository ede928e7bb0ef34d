package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

// Models lists the tutorial's models in the order the tutorial presents them.
var Models = []string{"cnn", "lstm", "gru"}

// ParseModels splits a comma-separated list of model names, checking each and dropping
// repeats.
func ParseModels(list string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(list, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if !slices.Contains(Models, n) {
			return nil, fmt.Errorf("unknown model %q in %q (want a comma-separated list of %s)",
				n, list, strings.Join(Models, ", "))
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// NewModel builds the tutorial model called name for ds's windows, float32, for batches
// of up to maxB, its weights drawn from seed.
func NewModel(name string, ds *Dataset, maxB int, seed uint64) (
	*nn.Sequential[float32], error) {
	m, err := nn.TutorialModel[float32](name, nn.Shape{ds.In, 1}, maxB, seed)
	if err != nil {
		return nil, err
	}
	if m.Out.Size() != ds.Out {
		return nil, fmt.Errorf("%s model predicts %v steps, the dataset's windows %d",
			name, m.Out, ds.Out)
	}
	return m, nil
}

// Config says what Fit trains and where it writes.
type Config struct {
	Model  string // tutorial model name: cnn, lstm, gru
	Epochs int
	Batch  int    // samples per batch; the last batch of an epoch may be smaller
	Seed   uint64 // draws the weights, the dropout masks and the shuffling
	OutDir string // gets <model>-log.csv and checkpoints/<model>-EE-V.VVVVV.safetensors
}

// Event reports Fit's progress: one per batch, and one more when an epoch ends.
type Event struct {
	Model          string
	Epoch, Epochs  int     // the epoch, counted from 1, of how many
	Batch, Batches int     // batches done in this epoch, of how many
	Loss           float64 // mean training loss of the batches done in this epoch

	EpochDone  bool // the epoch is over; the fields below are set
	ValLoss    float64
	Elapsed    time.Duration // wall time of the epoch, validation and saving included
	Checkpoint string        // the checkpoint just written
}

// History is what Fit did, one entry per completed epoch.
type History struct {
	Loss, ValLoss []float64
	Elapsed       []time.Duration
	Checkpoints   []string
}

// ErrInterrupted is wrapped by Fit's error when ctx was cancelled during training.
var ErrInterrupted = errors.New("interrupted")

// ErrDiverged is wrapped by Fit's error when a loss became NaN or infinite.
var ErrDiverged = errors.New("loss is not finite")

// Fit trains a fresh tutorial model on ds as the tutorial's model.fit did, with Keras
// 2.1.1's conventions:
//
//   - Adam with Keras's defaults (optim.DefaultAdam), loss the MSE in scaled space;
//   - each epoch visits the training windows once in an order shuffled by a PCG seeded
//     from cfg.Seed (the same order for every model of a run), in batches of cfg.Batch,
//     the last batch holding the remainder;
//   - the reported loss is the mean of the batch losses weighted by batch size, taken
//     while the weights change, as Keras's BaseLogger reports it; val_loss is the MSE over
//     all validation windows after the epoch, with dropout off;
//   - after every epoch a row goes to <OutDir>/<model>-log.csv (CSVLogger: epoch counted
//     from 0) and a checkpoint to <OutDir>/checkpoints (ModelCheckpoint: epoch from 1).
//
// Before training it removes the model's older checkpoints in that directory, so that
// evaluation picks among this run's only.
//
// A non-finite loss stops training with an error wrapping ErrDiverged that names the
// epoch and batch; the last good checkpoint stays. When ctx is cancelled, Fit finishes
// the batch in progress, saves an "-interrupted" checkpoint and returns an error wrapping
// ErrInterrupted. In both cases the returned History holds the completed epochs.
func Fit(ctx context.Context, ds *Dataset, cfg Config, report func(Event)) (
	*History, error) {
	if cfg.Epochs < 1 || cfg.Batch < 1 {
		return nil, fmt.Errorf("%s: %d epochs of batch %d: both must be at least 1",
			cfg.Model, cfg.Epochs, cfg.Batch)
	}
	if report == nil {
		report = func(Event) {}
	}
	// A batch larger than the training set would only size buffers for samples that
	// never come.
	B, In, Out := min(cfg.Batch, ds.Train.Len()), ds.In, ds.Out
	m, err := NewModel(cfg.Model, ds, B, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w before training began", cfg.Model, ErrInterrupted)
	}
	ckptDir := filepath.Join(cfg.OutDir, "checkpoints")
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return nil, err
	}
	if err := removeCheckpoints(ckptDir, cfg.Model); err != nil {
		return nil, err
	}

	params := m.Params()
	ws, dws := make([][]float32, len(params)), make([][]float32, len(params))
	for i, p := range params {
		ws[i], dws[i] = p.W, p.DW
	}
	opt := optim.NewAdam(optim.DefaultAdam(), ws)

	N := ds.Train.Len()
	batches := (N + B - 1) / B
	xb := make([]float32, B*In)  // (B, In)
	yb := make([]float32, B*Out) // (B, Out)
	dy := make([]float32, B*Out) // (B, Out)
	order := make([]int, N)
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))

	h := &History{}
	var rows [][2]float64
	logPath := filepath.Join(cfg.OutDir, cfg.Model+"-log.csv")
	lastGood := "none"
	meta := CheckpointMeta{Model: cfg.Model, Seed: cfg.Seed, Dataset: ds.Digest}
	step := uint64(0)

	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		rng.Shuffle(N, func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		seen := 0

		for b := range batches {
			if ctx.Err() != nil {
				return h, interrupt(m, ds, cfg, ckptDir, meta, epoch, b, batches, sum, seen)
			}
			idx := order[b*B : min(b*B+B, N)]
			n := len(idx)
			for i, w := range idx {
				toF32(xb[i*In:(i+1)*In], ds.Train.X[w*In:(w+1)*In])
				toF32(yb[i*Out:(i+1)*Out], ds.Train.Y[w*Out:(w+1)*Out])
			}

			m.SetTraining(true)
			m.SetStep(step)
			m.ZeroGrad()
			y := m.Forward(xb[:n*In], n)
			loss := nn.MSE(dy[:n*Out], y, yb[:n*Out])
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return h, fmt.Errorf("%s: %w (%v) in epoch %d, batch %d/%d; "+
					"training stopped, last good checkpoint: %s",
					cfg.Model, ErrDiverged, loss, epoch, b+1, batches, lastGood)
			}
			m.Backward(dy[:n*Out], n)
			opt.Update(ws, dws)
			step++

			sum += loss * float64(n)
			seen += n
			report(Event{Model: cfg.Model, Epoch: epoch, Epochs: cfg.Epochs,
				Batch: b + 1, Batches: batches, Loss: sum / float64(seen)})
		}

		loss := sum / float64(seen)
		val := Loss(m, ds.Val.X, ds.Val.Y, B)
		if math.IsNaN(val) || math.IsInf(val, 0) {
			return h, fmt.Errorf("%s: validation %w (%v) after epoch %d; "+
				"training stopped, last good checkpoint: %s",
				cfg.Model, ErrDiverged, val, epoch, lastGood)
		}
		meta.Epoch, meta.Loss, meta.ValLoss = epoch, loss, val
		path := filepath.Join(ckptDir, CheckpointName(meta))
		if err := SaveCheckpoint(path, m, meta); err != nil {
			return h, err
		}
		lastGood = path
		rows = append(rows, [2]float64{loss, val})
		if err := writeLog(logPath, rows); err != nil {
			return h, err
		}

		h.Loss = append(h.Loss, loss)
		h.ValLoss = append(h.ValLoss, val)
		h.Elapsed = append(h.Elapsed, time.Since(start))
		h.Checkpoints = append(h.Checkpoints, path)
		report(Event{Model: cfg.Model, Epoch: epoch, Epochs: cfg.Epochs,
			Batch: batches, Batches: batches, Loss: loss, EpochDone: true,
			ValLoss: val, Elapsed: time.Since(start), Checkpoint: path})
	}
	return h, nil
}

// interrupt saves the weights after done of total batches of an epoch and returns the
// error that tells the caller so.
func interrupt(m *nn.Sequential[float32], ds *Dataset, cfg Config, dir string,
	meta CheckpointMeta, epoch, done, total int, sum float64, seen int) error {
	switch {
	case done == 0 && epoch == 1:
		return fmt.Errorf("%s: %w before training began; nothing saved", cfg.Model,
			ErrInterrupted)
	case done == 0:
		return fmt.Errorf("%s: %w after epoch %d; its checkpoint is saved",
			cfg.Model, ErrInterrupted, epoch-1)
	}
	meta.Epoch, meta.Batches = epoch, fmt.Sprintf("%d/%d", done, total)
	meta.Loss = math.NaN()
	if seen > 0 {
		meta.Loss = sum / float64(seen)
	}
	meta.ValLoss = Loss(m, ds.Val.X, ds.Val.Y, cfg.Batch)
	path := filepath.Join(dir, CheckpointName(meta))
	if err := SaveCheckpoint(path, m, meta); err != nil {
		return fmt.Errorf("%s: %w in epoch %d; saving the checkpoint failed: %v",
			cfg.Model, ErrInterrupted, epoch, err)
	}
	return fmt.Errorf("%s: %w in epoch %d after batch %d/%d; saved %s",
		cfg.Model, ErrInterrupted, epoch, done, total, path)
}

// Loss returns the MSE of m's predictions for the windows x (N, In) against y (N, Out),
// in batches of up to maxB, with training behaviour (dropout) off.
func Loss(m *nn.Sequential[float32], x, y []float64, maxB int) float64 {
	Out := m.Out.Size()
	pred := Predict(m, x, maxB)
	var sum float64
	for i, p := range pred {
		d := float64(p) - y[i]
		sum += d * d
	}
	return sum / float64(len(y)/Out*Out)
}

// Predict runs m on the windows x (N, In) in batches of up to maxB, with training
// behaviour off, and returns its predictions (N, Out).
func Predict(m *nn.Sequential[float32], x []float64, maxB int) []float32 {
	In, Out := m.In.Size(), m.Out.Size()
	N := len(x) / In
	maxB = min(maxB, m.MaxB)
	xb := make([]float32, maxB*In)
	pred := make([]float32, 0, N*Out)
	m.SetTraining(false)
	for s := 0; s < N; s += maxB {
		n := min(maxB, N-s)
		toF32(xb[:n*In], x[s*In:(s+n)*In])
		pred = append(pred, m.Forward(xb[:n*In], n)...)
	}
	return pred
}

// writeLog writes Keras's CSVLogger file for the epochs so far.
func writeLog(path string, rows [][2]float64) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "epoch,loss,val_loss\n"); err != nil {
			return err
		}
		for e, r := range rows {
			if _, err := fmt.Fprintf(w, "%d,%s,%s\n", e, formatFloat(r[0]),
				formatFloat(r[1])); err != nil {
				return err
			}
		}
		return nil
	})
}

func toF32(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}
