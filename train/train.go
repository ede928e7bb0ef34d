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
	"strconv"
	"strings"
	"time"

	"github.com/seqnn/seqnn/internal/english"
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

// NewModel builds the tutorial model called name for ds's windows, float32, Keras
// convention, for batches of up to maxB, its weights drawn from seed.
func NewModel(name string, ds *Dataset, maxB int, seed uint64) (
	*nn.Sequential[float32], error) {
	return newModel[float32](name, Keras, ds, maxB, seed)
}

// newModel is BuildModel for ds's windows, checking the model predicts ds.Out steps.
func newModel[T nn.Float](name, convention string, ds *Dataset, maxB int, seed uint64) (
	*nn.Sequential[T], error) {
	if err := ds.check(name + " model"); err != nil {
		return nil, err
	}
	m, err := BuildModel[T](name, convention, ds.In, maxB, seed)
	if err != nil {
		return nil, err
	}
	if m.Out.Size() != ds.Out {
		return nil, fmt.Errorf("%s model predicts %v steps, the dataset's windows %d",
			name, m.Out, ds.Out)
	}
	return m, nil
}

// Config says what Fit trains and where it writes. The zero values of the fields after
// OutDir give the tutorial's training.
type Config struct {
	Model  string // tutorial model name: cnn, lstm, gru
	Epochs int    // the epoch to train to, counted from 1; a resumed run continues to it
	Batch  int    // samples per batch; the last batch of an epoch may be smaller
	Seed   uint64 // draws the weights, the dropout masks and the shuffling
	OutDir string // required ("." for the current directory): gets <model>-log.csv and
	//               checkpoints/<model>-EE-V.VVVVV.safetensors

	DType      string     // "float32" ("" too) or "float64": the type every value trains in
	Convention string     // Keras ("" too) or PyTorch: the recurrent layers, see BuildModel
	AdamForm   optim.Form // optim.Keras (the zero value) or optim.PyTorch
	NoShuffle  bool       // visit the training windows in their order every epoch
	NoDropout  bool       // keep the Dropout layers off (the identity) while training
	Init       string     // start from the weights in this safetensors file, Keras names
	Resume     bool       // continue from the model's last checkpoint in OutDir, if any
	Devices    Devices    // where the steps run; the CPU unless set
}

// Devices says where training runs, one device per precision; a nil field means the CPU.
// Package train never names a GPU itself: cmd/demo, built with the cuda tag, fills these
// with package cuda's devices.
type Devices struct {
	F32 nn.Device[float32]
	F64 nn.Device[float64]
}

// deviceFor returns the device that trains in T.
func deviceFor[T nn.Float](d Devices) nn.Device[T] {
	var dev any
	switch any(T(0)).(type) {
	case float32:
		if d.F32 != nil {
			dev = d.F32
		}
	case float64:
		if d.F64 != nil {
			dev = d.F64
		}
	}
	if dev == nil {
		return nn.CPU[T]{}
	}
	return dev.(nn.Device[T])
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

// History is what Fit did, one entry per epoch completed in this call.
type History struct {
	First   int    // the first epoch this call trained (or would have), counted from 1
	Resumed string // the checkpoint training resumed from; "" for a fresh start
	Batch   int    // batches of the first epoch already done when it resumed

	Loss, ValLoss []float64
	Elapsed       []time.Duration
	Checkpoints   []string
}

// ErrInterrupted is wrapped by Fit's error when ctx was cancelled during training.
var ErrInterrupted = errors.New("interrupted")

// ErrDiverged is wrapped by Fit's error when a loss, a weight or an Adam moment became
// NaN or infinite.
var ErrDiverged = errors.New("training diverged")

// shuffleStream is the PCG stream, beside the seed, of epoch 0's shuffle; epoch e uses
// shuffleStream + e. The weights (nn.NewSequential) and dropout (kernels.DropoutMask)
// draw from their own generators.
const shuffleStream = 0x73687566 << 32 // "shuf"

// EpochOrder sets order to the order in which an epoch visits the training windows:
// 0, 1, ..., N-1 shuffled by a PCG seeded with (seed, shuffleStream + epoch), or
// unshuffled. It depends on nothing else, so a resumed run needs no generator state.
func EpochOrder(order []int, seed uint64, epoch int, shuffle bool) {
	for i := range order {
		order[i] = i
	}
	if shuffle {
		rng := rand.New(rand.NewPCG(seed, shuffleStream+uint64(epoch)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
}

// Fit trains a tutorial model on ds as the tutorial's model.fit did, with Keras 2.1.1's
// conventions unless cfg says otherwise:
//
//   - the model starts from weights drawn from cfg.Seed, or from cfg.Init's;
//   - Adam with Keras's defaults (optim.DefaultAdam) in cfg.AdamForm, loss the MSE in
//     scaled space, every value in cfg.DType;
//   - each epoch visits the training windows once, in the order EpochOrder gives (the
//     same for every model of a run), in batches of cfg.Batch, the last batch holding the
//     remainder; dropout masks depend on (cfg.Seed, Adam step, position) only;
//   - the reported loss is the mean of the batch losses weighted by batch size, taken
//     while the weights change, as Keras's BaseLogger reports it; val_loss is the MSE over
//     all validation windows after the epoch, with dropout off;
//   - after every epoch a row goes to <OutDir>/<model>-log.csv (CSVLogger: epoch counted
//     from 0) and a checkpoint to <OutDir>/checkpoints (ModelCheckpoint: epoch from 1),
//     holding the weights, Adam's moments and step, and the settings above.
//
// A fresh run first removes the model's older checkpoints and log in that directory
// (RemoveRun), so that evaluation picks among this run's only and a --resume of an
// interrupted run never continues an older one. With cfg.Resume, Fit continues from the
// model's LastCheckpoint for ds instead, if there is one: weights, Adam's state, the
// epoch and, for an interrupted checkpoint, the batch within it and the loss so far;
// the log keeps its rows before that epoch. As every random choice is a function of the
// seed, the epoch and the step, a resumed run computes what an uninterrupted one would,
// bit for bit. Resuming with other settings (seed, dtype, convention, Adam form, batch,
// shuffling, dropout) is a *SettingsError listing every difference (CheckResume finds
// it without training); so is a log whose rows before that epoch do not parse, or whose
// row of the checkpoint's epoch differs from the losses the checkpoint records.
//
// A non-finite loss stops training with an error wrapping ErrDiverged that names the
// epoch and batch; so does, after each epoch, a non-finite weight or Adam moment (a NaN
// can hide behind a ReLU and leave the loss finite), naming the tensor. The last good
// checkpoint stays, and none is saved of the diverged weights. When ctx is cancelled,
// Fit finishes the batch in progress, saves an "-interrupted" checkpoint and returns an
// error wrapping ErrInterrupted. In both cases the returned History holds the completed
// epochs, and may be nil when ctx was cancelled before training began.
//
// A nil ctx is an error, as in net/http, not context.Background: training that no
// Ctrl-C can stop should be asked for by passing context.Background(). So are a nil or
// inconsistent ds (naming what is ragged), an empty cfg.OutDir (give "." for the
// current directory) and an Adam form other than optim.Keras and optim.PyTorch, before
// anything is written.
func Fit(ctx context.Context, ds *Dataset, cfg Config, report func(Event)) (
	*History, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context: pass context.Background(), or a context "+
			"that is cancelled to interrupt training", cfg.Model)
	}
	cfg, err := cfg.validate(ds)
	if err != nil {
		return nil, err
	}
	if report == nil {
		report = func(Event) {}
	}
	if cfg.DType == "float64" {
		return fit[float64](ctx, ds, cfg, report)
	}
	return fit[float32](ctx, ds, cfg, report)
}

// validate is Fit's check of its arguments but ctx, before anything is read or written;
// it returns cfg with DType and Convention spelled as ParseDType and ParseConvention
// spell them.
func (cfg Config) validate(ds *Dataset) (Config, error) {
	var err error
	if err := cfg.checkOutDir(); err != nil {
		return cfg, err
	}
	if err := ds.check(cfg.Model); err != nil {
		return cfg, err
	}
	if cfg.Epochs < 1 || cfg.Batch < 1 {
		return cfg, fmt.Errorf("%s: %d epochs of batch %d: both must be at least 1",
			cfg.Model, cfg.Epochs, cfg.Batch)
	}
	if cfg.DType, err = ParseDType(cfg.DType); err != nil {
		return cfg, fmt.Errorf("%s: %w", cfg.Model, err)
	}
	if cfg.Convention, err = ParseConvention(cfg.Convention); err != nil {
		return cfg, fmt.Errorf("%s: %w", cfg.Model, err)
	}
	adam := optim.DefaultAdam()
	adam.Form = cfg.AdamForm
	if err := adam.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: Config.AdamForm: %w", cfg.Model, err)
	}
	if cfg.Init != "" && cfg.Resume {
		return cfg, fmt.Errorf("%s: initial weights and resuming exclude each other: a "+
			"resumed run takes its weights from its checkpoint", cfg.Model)
	}
	return cfg, nil
}

// CheckStart says whether Fit could start cfg's model afresh on ds, without training or
// writing anything: it makes every check Fit makes of its arguments, builds the model
// and loads cfg.Init's weights into it, returning the error Fit would. A caller that
// removes an earlier run's files before training checks every model with it first, so
// that a bad --init leaves them all in place.
func CheckStart(ds *Dataset, cfg Config) error {
	cfg, err := cfg.validate(ds)
	if err != nil {
		return err
	}
	if cfg.DType == "float64" {
		return checkStart[float64](ds, cfg)
	}
	return checkStart[float32](ds, cfg)
}

// checkStart builds the trainer of a fresh run, with its initial weights, and drops it.
func checkStart[T nn.Float](ds *Dataset, cfg Config) error {
	tr, err := newTrainer[T](ds, cfg)
	if err != nil {
		return err
	}
	return tr.loadInit()
}

// checkOutDir refuses an empty OutDir, which would scatter the log and the checkpoints
// into whatever directory the process runs in.
func (cfg Config) checkOutDir() error {
	if cfg.OutDir == "" {
		return fmt.Errorf("%s: Config.OutDir is empty: set it to the directory for the log "+
			"and the checkpoints (\".\" for the current directory)", cfg.Model)
	}
	return nil
}

// trainer is one model's training run in Fit.
type trainer[T nn.Float] struct {
	cfg      Config
	ds       *Dataset
	m        *nn.Sequential[T]
	opt      *optim.Adam[T]
	B        int    // the largest batch: cfg.Batch, or fewer when there are fewer windows
	batches  int    // per epoch
	ckptDir  string // <OutDir>/checkpoints
	logPath  string
	meta     CheckpointMeta // the settings every checkpoint records
	rows     []string       // the log's rows so far, each ending in a newline
	lastGood string         // the last checkpoint written, for error messages
	resumed  string         // the checkpoint resumed from, "" for a fresh run
	dev      nn.Device[T]
	sess     nn.Session[T] // the model on dev, from the first step on
	step0    int           // Adam's step count when this call began
}

// newTrainer builds cfg.Model for ds, with Adam over its weights, and the trainer that
// runs it; nothing is read or written yet.
func newTrainer[T nn.Float](ds *Dataset, cfg Config) (*trainer[T], error) {
	// A batch larger than the training set would only size buffers for samples that
	// never come.
	N := ds.Train.Len()
	B := min(cfg.Batch, N)
	m, err := newModel[T](cfg.Model, cfg.Convention, ds, B, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.NoDropout {
		// A rate of 0 makes Dropout the identity in training too (nn.Dropout).
		for _, l := range m.Layers {
			if d, ok := l.(*nn.Dropout[T]); ok {
				d.Rate = 0
			}
		}
	}
	params := m.Params()
	ws := make([][]T, len(params))
	for i, p := range params {
		ws[i] = p.W
	}
	adam := optim.DefaultAdam()
	adam.Form = cfg.AdamForm
	dev := deviceFor[T](cfg.Devices)
	meta := settingsMeta(cfg)
	meta.Dataset, meta.Device = ds.Digest, dev.Name()
	return &trainer[T]{cfg: cfg, ds: ds, m: m, opt: optim.NewAdam(adam, ws), B: B,
		dev: dev, batches: (N + B - 1) / B, ckptDir: filepath.Join(cfg.OutDir, "checkpoints"),
		logPath: filepath.Join(cfg.OutDir, cfg.Model+"-log.csv"), lastGood: "none",
		meta: meta}, nil
}

func fit[T nn.Float](ctx context.Context, ds *Dataset, cfg Config, report func(Event)) (
	*History, error) {
	tr, err := newTrainer[T](ds, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tr.ckptDir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: cannot create the checkpoint directory (%w): the "+
			"output directory must be writable", cfg.Model, err)
	}
	h, sum, err := tr.start()
	if err != nil {
		return nil, err
	}
	tr.step0 = tr.opt.Step
	// Only now, with an earlier fresh run's files removed, may Ctrl-C stop the run:
	// a --resume then finds none of them. No step is taken yet, so nothing is saved.
	if ctx.Err() != nil && h.First <= cfg.Epochs {
		return nil, tr.interrupt(h.First, h.Batch, sum, h.Batch*tr.B)
	}

	// From here the session holds the weights and Adam's moments; tr.m and tr.opt get
	// them back (Pull) before every checkpoint.
	tr.sess, err = tr.dev.Open(tr.m)
	if err != nil {
		return nil, fmt.Errorf("%s: placing the model on %s: %w", cfg.Model, tr.dev.Name(), err)
	}
	defer tr.sess.Close()
	if err := tr.sess.Push(tr.opt.M, tr.opt.V); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", cfg.Model, tr.dev.Name(), err)
	}

	N, In, Out, B := ds.Train.Len(), ds.In, ds.Out, tr.B
	xb := make([]T, B*In)  // (B, In)
	yb := make([]T, B*Out) // (B, Out)
	order := make([]int, N)
	for epoch := h.First; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		EpochOrder(order, cfg.Seed, epoch, !cfg.NoShuffle)
		first, seen := 0, 0
		if epoch == h.First {
			first, seen = h.Batch, h.Batch*B // only the last batch can be short
		} else {
			sum = 0
		}

		for b := first; b < tr.batches; b++ {
			if ctx.Err() != nil {
				return h, tr.interrupt(epoch, b, sum, seen)
			}
			idx := order[b*B : min(b*B+B, N)]
			n := len(idx)
			for i, w := range idx {
				toT(xb[i*In:(i+1)*In], ds.Train.X[w*In:(w+1)*In])
				toT(yb[i*Out:(i+1)*Out], ds.Train.Y[w*Out:(w+1)*Out])
			}

			// Dropout masks are keyed by the Adam step the batch is about to take.
			step := uint64(tr.opt.Step)
			loss, err := tr.sess.TrainStep(xb[:n*In], yb[:n*Out], n, step, tr.opt.Advance())
			if err != nil {
				return h, fmt.Errorf("%s: epoch %d, batch %d/%d on %s: %w; last good "+
					"checkpoint: %s", cfg.Model, epoch, b+1, tr.batches, tr.dev.Name(), err,
					tr.lastGood)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return h, fmt.Errorf("%s: %w: the loss is %v in epoch %d, batch %d/%d; "+
					"training stopped, last good checkpoint: %s",
					cfg.Model, ErrDiverged, loss, epoch, b+1, tr.batches, tr.lastGood)
			}

			sum += loss * float64(n)
			seen += n
			report(Event{Model: cfg.Model, Epoch: epoch, Epochs: cfg.Epochs,
				Batch: b + 1, Batches: tr.batches, Loss: sum / float64(seen)})
		}

		loss := sum / float64(seen)
		val, path, err := tr.endEpoch(epoch, loss, sum)
		if err != nil {
			return h, err
		}
		h.Loss = append(h.Loss, loss)
		h.ValLoss = append(h.ValLoss, val)
		h.Elapsed = append(h.Elapsed, time.Since(start))
		h.Checkpoints = append(h.Checkpoints, path)
		report(Event{Model: cfg.Model, Epoch: epoch, Epochs: cfg.Epochs,
			Batch: tr.batches, Batches: tr.batches, Loss: loss, EpochDone: true,
			ValLoss: val, Elapsed: time.Since(start), Checkpoint: path})
	}
	return h, nil
}

// endEpoch takes the validation loss of the epoch just trained, whose batch losses sum
// to sum and average loss, checks that the loss, the weights and Adam's moments are
// finite, and saves the checkpoint and the log row. It returns the validation loss and
// the checkpoint's path.
func (tr *trainer[T]) endEpoch(epoch int, loss, sum float64) (float64, string, error) {
	model := tr.cfg.Model
	val, err := tr.pull()
	if err != nil {
		return 0, "", err
	}
	if err := tr.checkFinite(fmt.Sprintf("after epoch %d", epoch)); err != nil {
		return 0, "", err
	}
	if math.IsNaN(val) || math.IsInf(val, 0) {
		return 0, "", fmt.Errorf("%s: %w: the validation loss is %v after epoch %d; "+
			"training stopped, last good checkpoint: %s",
			model, ErrDiverged, val, epoch, tr.lastGood)
	}

	meta := tr.meta
	meta.Epoch, meta.Loss, meta.ValLoss, meta.LossSum = epoch, loss, val, sum
	meta.Step = tr.opt.Step
	path := filepath.Join(tr.ckptDir, CheckpointName(meta))
	if err := saveCheckpoint(path, tr.m, tr.opt, meta); err != nil {
		return 0, "", err
	}
	tr.lastGood = path
	if err := removeInterrupted(tr.ckptDir, model, ""); err != nil {
		return 0, "", err
	}
	tr.rows = append(tr.rows, logRow(epoch, loss, val))
	if err := writeLog(tr.logPath, tr.rows); err != nil {
		return 0, "", err
	}
	return val, path, nil
}

// start sets the model up for a fresh run (weights from the seed or cfg.Init, older
// checkpoints removed) or a resumed one, and returns where training begins and the
// loss sum of the resumed epoch's batches already done.
func (tr *trainer[T]) start() (*History, float64, error) {
	cfg := tr.cfg
	h := &History{First: 1}
	if cfg.Resume {
		path, meta, err := LastCheckpoint(tr.ckptDir, cfg.Model, tr.ds.Digest)
		switch {
		case err == nil:
			return tr.resume(path, meta)
		case !errors.Is(err, ErrNoCheckpoint):
			return nil, 0, err
		}
	}
	// The initial weights are checked before anything of an earlier run is removed.
	if err := tr.loadInit(); err != nil {
		return nil, 0, err
	}
	if err := RemoveRun(cfg.OutDir, cfg.Model); err != nil {
		return nil, 0, err
	}
	return h, 0, nil
}

// loadInit loads cfg.Init's weights, when it names a file, into the model.
func (tr *trainer[T]) loadInit() error {
	if tr.cfg.Init == "" {
		return nil
	}
	w, err := OpenWeights(tr.cfg.Init)
	if err != nil {
		return err
	}
	// Weights of the other convention load (the shapes agree but for the GRU's bias) and
	// train another model than they were made for, with plausible numbers.
	rec := w.Meta["convention"]
	if conv, err := ParseConvention(rec); rec != "" && err == nil && conv != tr.cfg.Convention {
		return fmt.Errorf("%s records convention %s, so its weights are for the %s form "+
			"of the model, not the %s form this run trains; train in convention %s, or "+
			"give weights of the %s convention", tr.cfg.Init, conv, conv,
			tr.cfg.Convention, conv, tr.cfg.Convention)
	}
	return LoadWeights(w, tr.m, tr.cfg.Model)
}

// resume loads the checkpoint at path, after checking it was trained as this run
// trains, and the log's rows before the epoch it continues.
func (tr *trainer[T]) resume(path string, meta CheckpointMeta) (*History, float64, error) {
	want := tr.meta
	want.DType = dtypeOf[T]()
	if d := settingDiffs(meta, want); len(d) > 0 {
		return nil, 0, &SettingsError{Path: path, Diffs: d}
	}
	_, w, err := ReadCheckpoint(path)
	if err != nil {
		return nil, 0, err
	}
	if err := LoadWeights(w, tr.m, meta.Model); err != nil {
		return nil, 0, err
	}
	if err := loadOptimizer(w.file, meta, tr.m, tr.opt); err != nil {
		return nil, 0, err
	}

	h := &History{First: meta.Epoch + 1, Resumed: path}
	sum := 0.0
	if meta.Batches != "" {
		done, total, err := parseBatches(path, meta.Batches)
		if err != nil {
			return nil, 0, err
		}
		if total != tr.batches {
			return nil, 0, fmt.Errorf("%s: interrupted after batch %s, but this run has %d "+
				"batches per epoch; resume on the same data with the same batch size",
				path, meta.Batches, tr.batches)
		}
		h.First, h.Batch, sum = meta.Epoch, done, meta.LossSum
	}
	tr.resumed, tr.lastGood = path, path
	tr.rows, err = readLogRows(tr.logPath, h.First-1, meta)
	return h, sum, err
}

// interrupt saves the training state after done of the epoch's batches and returns the
// error that tells the caller so.
func (tr *trainer[T]) interrupt(epoch, done int, sum float64, seen int) error {
	model := tr.cfg.Model
	switch {
	case tr.opt.Step == tr.step0 && tr.resumed != "":
		return fmt.Errorf("%s: %w before any new batch; %s still holds the state to resume",
			model, ErrInterrupted, tr.resumed)
	case done == 0 && epoch == 1:
		return fmt.Errorf("%s: %w before training began; nothing saved", model,
			ErrInterrupted)
	case done == 0:
		return fmt.Errorf("%s: %w after epoch %d; its checkpoint is saved",
			model, ErrInterrupted, epoch-1)
	}
	meta := tr.meta
	meta.Epoch, meta.Batches = epoch, fmt.Sprintf("%d/%d", done, tr.batches)
	meta.Loss, meta.LossSum, meta.Step = sum/float64(seen), sum, tr.opt.Step
	var err error
	meta.ValLoss, err = tr.pull()
	if err == nil {
		if err := tr.checkFinite(fmt.Sprintf("in epoch %d after batch %d/%d", epoch,
			done, tr.batches)); err != nil {
			return fmt.Errorf("%w (%w: nothing saved)", err, ErrInterrupted)
		}
	}
	path := filepath.Join(tr.ckptDir, CheckpointName(meta))
	if err == nil {
		err = saveCheckpoint(path, tr.m, tr.opt, meta)
	}
	if err == nil {
		err = removeInterrupted(tr.ckptDir, model, path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w in epoch %d; saving the checkpoint failed: %v",
			model, ErrInterrupted, epoch, err)
	}
	return fmt.Errorf("%s: %w in epoch %d after batch %d/%d; saved %s",
		model, ErrInterrupted, epoch, done, tr.batches, path)
}

// pull takes the validation loss on the device and brings the weights and Adam's
// moments back into tr.m and tr.opt, for the checkpoint that follows.
func (tr *trainer[T]) pull() (float64, error) {
	val, err := sessionLoss(tr.sess, tr.m, tr.ds.Val.X, tr.ds.Val.Y, tr.B)
	if err == nil {
		err = tr.sess.Pull(tr.opt.M, tr.opt.V)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", tr.cfg.Model, tr.dev.Name(), err)
	}
	return val, nil
}

// checkFinite returns an error wrapping ErrDiverged, naming the first tensor of the
// weights or Adam's moments, as pulled, that holds a NaN or an infinity. A NaN weight
// can leave the loss finite (a final ReLU maps a NaN output to 0), so the loss alone
// does not tell; when is where training stands, for the message.
func (tr *trainer[T]) checkFinite(when string) error {
	for i, p := range tr.m.Params() {
		for _, t := range []struct {
			what string
			v    []T
		}{{"weight", p.W}, {"Adam's first moment of", tr.opt.M[i]},
			{"Adam's second moment of", tr.opt.V[i]}} {
			if j := nonFinite(t.v); j >= 0 {
				return fmt.Errorf("%s: %w: %s %q holds %v at element %s %s; training "+
					"stopped, last good checkpoint: %s (check the data for extreme "+
					"values, or try another seed)", tr.cfg.Model,
					ErrDiverged, t.what, p.Name, t.v[j], elementIndex(j, p.Shape), when,
					tr.lastGood)
			}
		}
	}
	return nil
}

// Loss returns the MSE of m's predictions for the windows x (N, In) against y (N, Out),
// in batches of up to maxB, with training behaviour (dropout) off, summed in float64. It
// fails as Predict does, and when y does not hold Out targets for each of the N windows.
func Loss[T nn.Float](m *nn.Sequential[T], x, y []float64, maxB int) (float64, error) {
	if err := checkWindows(m, x, maxB); err != nil {
		return 0, err
	}
	if N, Out := len(x)/m.In.Size(), m.Out.Size(); len(y) != N*Out {
		return 0, fmt.Errorf("loss: %s for %s of %d outputs; want %d",
			english.Count(len(y), "target"), english.Count(N, "window"), Out, N*Out)
	}
	sess, _ := nn.CPU[T]{}.Open(m) // the CPU returns no errors
	return sessionLoss(sess, m, x, y, maxB)
}

// Predict runs m on the windows x (N, In) in batches of up to maxB, with training
// behaviour off, and returns its predictions (N, Out). It fails when m is nil, maxB is
// below 1, or x is not a whole number of windows of In values (a ragged tail is never
// dropped in silence).
func Predict[T nn.Float](m *nn.Sequential[T], x []float64, maxB int) ([]T, error) {
	if err := checkWindows(m, x, maxB); err != nil {
		return nil, err
	}
	sess, _ := nn.CPU[T]{}.Open(m)
	return sessionPredict(sess, m, x, maxB)
}

// checkWindows is Predict's check of its arguments.
func checkWindows[T nn.Float](m *nn.Sequential[T], x []float64, maxB int) error {
	if m == nil {
		return fmt.Errorf("predict: no model (nil *nn.Sequential): build one with " +
			"BuildModel or NewModel")
	}
	if maxB < 1 || m.MaxB < 1 {
		return fmt.Errorf("predict: batch %d for a model built for batches of %d: both "+
			"must be at least 1", maxB, m.MaxB)
	}
	In := m.In.Size()
	if In < 1 || len(x)%In != 0 {
		return fmt.Errorf("predict: %s is not a whole number of windows of %d inputs "+
			"(%s and %s left over): give %d values per window",
			english.Count(len(x), "value"), In, english.Count(len(x)/max(In, 1), "window"),
			english.Count(len(x)%max(In, 1), "value"), In)
	}
	return nil
}

// sessionLoss is Loss on a device: the MSE of the predictions of the model m placed in
// sess, with the differences taken and summed in float64.
func sessionLoss[T nn.Float](sess nn.Session[T], m *nn.Sequential[T], x, y []float64,
	maxB int) (float64, error) {
	Out := m.Out.Size()
	pred, err := sessionPredict(sess, m, x, maxB)
	if err != nil {
		return 0, err
	}
	var sum float64
	for i, p := range pred {
		d := float64(p) - y[i]
		sum += d * d
	}
	return sum / float64(len(y)/Out*Out), nil
}

// sessionPredict is Predict on a device.
func sessionPredict[T nn.Float](sess nn.Session[T], m *nn.Sequential[T], x []float64,
	maxB int) ([]T, error) {
	In, Out := m.In.Size(), m.Out.Size()
	N := len(x) / In
	maxB = min(maxB, m.MaxB)
	xb := make([]T, maxB*In)
	pred := make([]T, N*Out)
	for s := 0; s < N; s += maxB {
		n := min(maxB, N-s)
		toT(xb[:n*In], x[s*In:(s+n)*In])
		if err := sess.Predict(pred[s*Out:(s+n)*Out], xb[:n*In], n); err != nil {
			return nil, err
		}
	}
	return pred, nil
}

// logHeader is the first line of Keras's CSVLogger file.
const logHeader = "epoch,loss,val_loss\n"

// logRow is the CSVLogger row of an epoch counted from 1 (written from 0, as Keras).
func logRow(epoch int, loss, val float64) string {
	return fmt.Sprintf("%d,%s,%s\n", epoch-1, formatFloat(loss), formatFloat(val))
}

// writeLog writes Keras's CSVLogger file for the epochs so far.
func writeLog(path string, rows []string) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, logHeader+strings.Join(rows, ""))
		return err
	})
}

// readLogRows returns the first n rows of the log at path, as written, for a run that
// resumes after n epochs from a checkpoint with meta. A log one row short, the row of
// the checkpoint's own complete epoch (a crash between saving it and the log), gets that
// row back from the checkpoint, which records both losses exactly.
func readLogRows(path string, n int, meta CheckpointMeta) ([]string, error) {
	if n == 0 {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w (the log of the epochs before must be there)", err)
	}
	text := string(b)
	if !strings.HasPrefix(text, logHeader) {
		return nil, fmt.Errorf("%s: does not start with %q; it is not this program's log",
			path, strings.TrimSpace(logHeader))
	}
	var rows []string
	for _, line := range strings.SplitAfter(text[len(logHeader):], "\n") {
		if line != "" {
			rows = append(rows, line)
		}
	}
	for i, r := range rows[:min(n, len(rows))] {
		if err := checkLogRow(r, i); err != nil {
			return nil, fmt.Errorf("%s: line %d is %q: %v; the log was edited or damaged: "+
				"restore it, or train from the start", path, i+2, strings.TrimSpace(r), err)
		}
	}
	if meta.Batches == "" && meta.Epoch == n {
		row := logRow(n, meta.Loss, meta.ValLoss)
		switch {
		case len(rows) == n-1:
			rows = append(rows, row)
		case len(rows) >= n && rows[n-1] != row:
			return nil, fmt.Errorf("%s: line %d is %q, but the checkpoint to resume "+
				"records %q for that epoch; the log was edited or belongs to another run: "+
				"restore it, or train from the start", path, n+1,
				strings.TrimSpace(rows[n-1]), strings.TrimSpace(row))
		}
	}
	if len(rows) < n {
		return nil, fmt.Errorf("%s: %s logged, but the checkpoint to resume is at "+
			"epoch %d; train from the start", path, english.Count(len(rows), "epoch"), n)
	}
	return rows[:n], nil
}

// checkLogRow checks that r is the log row of the epoch written as i: "i,loss,val_loss"
// and a newline, both losses finite numbers (training stops before logging others).
func checkLogRow(r string, i int) error {
	fields := strings.Split(strings.TrimSuffix(r, "\n"), ",")
	switch {
	case !strings.HasSuffix(r, "\n") || len(fields) != 3:
		return fmt.Errorf("want epoch,loss,val_loss")
	case fields[0] != strconv.Itoa(i):
		return fmt.Errorf("its epoch is %s, want %d (the log counts epochs from 0; "+
			"training's progress lines count from 1 and call it epoch %d)", fields[0], i,
			i+1)
	}
	for j, name := range []string{"loss", "val_loss"} {
		v, err := strconv.ParseFloat(fields[j+1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s %q is not a finite number", name, fields[j+1])
		}
	}
	return nil
}

func toT[T nn.Float](dst []T, src []float64) {
	for i, v := range src {
		dst[i] = T(v)
	}
}
