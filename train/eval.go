package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/kernels"
	"github.com/seqnn/seqnn/nn"
)

// Result is one row of the results table: a trained model or a baseline, scored on the
// validation windows.
type Result struct {
	Name       string
	Layers     string // the layers, Keras names, for models; "-" for baselines
	Activation string
	Baseline   bool
	ValLoss    float64   // MSE in scaled space over all validation targets
	TestMSE    float64   // MSE in USD² over the same targets
	Pred       []float64 // (N, Out) predictions, scaled
	Checkpoint string    // the checkpoint evaluated, for models
	Epoch      int       // its epoch, for models
	Batches    string    // "done/total" when the checkpoint is of an interrupted epoch
	Note       string    // how a baseline was made

	// For models: how the checkpoint was trained, and the epochs trained on ds so far
	// (the epoch of the model's LastCheckpoint; TrainedBatches as Batches for it).
	Meta           CheckpointMeta
	Trained        int
	TrainedBatches string
}

// Score fills r.ValLoss and r.TestMSE from r.Pred against ds's validation targets. It
// fails when ds or r is nil, or r.Pred does not hold one prediction per target.
func Score(ds *Dataset, r *Result) error {
	if err := ds.check("score"); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("score: no result (nil *Result)")
	}
	if len(r.Pred) != len(ds.Val.Y) {
		return fmt.Errorf("score %s: %s for %s; want one per target",
			r.Name, english.Count(len(r.Pred), "prediction"),
			english.Count(len(ds.Val.Y), "validation target"))
	}
	var scaled, usd float64
	for i, p := range r.Pred {
		y := ds.Val.Y[i]
		scaled += (p - y) * (p - y)
		d := ds.Scaler.Unscale(p) - ds.Scaler.Unscale(y)
		usd += d * d
	}
	n := float64(len(ds.Val.Y))
	r.ValLoss, r.TestMSE = scaled/n, usd/n
	return nil
}

// EvaluateModel loads the model's best checkpoint in <outDir>/checkpoints (lowest
// val_loss, see BestCheckpoint) and scores its predictions of ds's validation windows.
//
// outDir is required ("." for the current directory), as Config.OutDir is.
func EvaluateModel(ds *Dataset, outDir, model string, maxB int) (Result, error) {
	if outDir == "" {
		return Result{}, fmt.Errorf("%s: evaluate: the output directory is empty: give "+
			"the directory training wrote to (\".\" for the current directory)", model)
	}
	if err := ds.check(model); err != nil {
		return Result{}, err
	}
	path, meta, err := BestCheckpoint(filepath.Join(outDir, "checkpoints"), model, ds.Digest)
	if err != nil {
		return Result{}, err
	}
	maxB = max(1, min(maxB, ds.Val.Len()))
	var r Result
	if meta.DType == "float64" {
		r, err = evaluate[float64](ds, path, meta, maxB)
	} else {
		r, err = evaluate[float32](ds, path, meta, maxB)
	}
	if err != nil {
		return Result{}, err
	}
	_, last, err := LastCheckpoint(filepath.Join(outDir, "checkpoints"), model, ds.Digest)
	if err != nil {
		return Result{}, err
	}
	r.Trained, r.TrainedBatches = last.Epoch, last.Batches
	if err := Score(ds, &r); err != nil {
		return Result{}, err
	}
	return r, nil
}

// evaluate predicts ds's validation windows with the checkpoint at path, in T.
func evaluate[T nn.Float](ds *Dataset, path string, meta CheckpointMeta, maxB int) (
	Result, error) {
	m, err := newModel[T](meta.Model, meta.Convention, ds, maxB, meta.Seed)
	if err != nil {
		return Result{}, err
	}
	if _, err := LoadCheckpoint(path, m); err != nil {
		return Result{}, err
	}
	pred, err := Predict(m, ds.Val.X, maxB)
	if err != nil {
		return Result{}, err
	}
	r := Result{Name: meta.Model, Checkpoint: path, Epoch: meta.Epoch,
		Batches: meta.Batches, Pred: make([]float64, len(pred)), Meta: meta}
	for i, p := range pred {
		r.Pred[i] = float64(p)
	}
	r.Layers, r.Activation = describe(m, !meta.Dropout)
	return r, nil
}

// Describe lists a model's layers by Keras name and the activations they apply, for the
// results table. A layer's activations are read from its exported kernels.Activation
// fields (Activation, Act, RecurrentActivation); linear ones are left out. A nil model
// is described as "0:" with no activations, "-".
func Describe[T nn.Float](m *nn.Sequential[T]) (layers, activations string) {
	if m == nil {
		return "0:", "-"
	}
	return describe(m, false)
}

// describe is Describe for a model trained with its Dropout layers off (dropoutOff),
// which it lists as "dropout (off)".
func describe[T nn.Float](m *nn.Sequential[T], dropoutOff bool) (layers, activations string) {
	names := slices.Clone(m.Names)
	if dropoutOff {
		for i, l := range m.Layers {
			if _, ok := l.(*nn.Dropout[T]); ok {
				names[i] += " (off)"
			}
		}
	}
	var acts []string
	add := func(name string) {
		if !slices.Contains(acts, name) {
			acts = append(acts, name)
		}
	}
	actType := reflect.TypeFor[kernels.Activation]()
	for _, l := range m.Layers {
		v := reflect.Indirect(reflect.ValueOf(l))
		if v.Kind() == reflect.Struct {
			for _, field := range []string{"Activation", "Act", "RecurrentActivation"} {
				f := v.FieldByName(field)
				if !f.IsValid() || f.Type() != actType {
					continue
				}
				a := kernels.Activation(f.Int())
				switch {
				case a == kernels.Linear:
				case field == "RecurrentActivation":
					add("recurrent " + a.String())
				default:
					add(a.String())
				}
			}
		}
		// LeakyReLU is a layer of its own in Keras, with the slope as its only field.
		if l.Kind() == "leaky_re_lu" {
			add("leaky_relu")
		}
	}
	if len(acts) == 0 {
		acts = []string{"linear"}
	}
	return fmt.Sprintf("%d: %s", len(names), strings.Join(names, ", ")),
		strings.Join(acts, ", ")
}

// Baselines returns the three baselines scored on ds's validation windows:
//
//   - lag: the tutorial's, predicting the last Out inputs as the next Out closes;
//   - persistence: the last input close repeated Out times;
//   - linear: least squares from the In inputs and an intercept to the Out targets,
//     fitted on the training windows in scaled space (see FitLinear).
func Baselines(ds *Dataset) ([]Result, error) {
	if err := ds.check("baselines"); err != nil {
		return nil, err
	}
	In, Out := ds.In, ds.Out
	N := ds.Val.Len()
	lag := Result{Name: "lag baseline", Baseline: true, Pred: make([]float64, N*Out),
		Note: fmt.Sprintf("predicts inputs [%d, %d) as the next %d closes", In-Out, In, Out)}
	last := Result{Name: "persistence", Baseline: true, Pred: make([]float64, N*Out),
		Note: "repeats the last input close"}
	for n := range N {
		x := ds.Val.X[n*In : (n+1)*In]
		for j := range Out {
			lag.Pred[n*Out+j] = x[In-Out+j] // Prepare ensures Out <= In
			last.Pred[n*Out+j] = x[In-1]
		}
	}

	lin, err := FitLinear(ds.Train.X, ds.Train.Y, In, Out)
	if err != nil {
		return nil, err
	}
	pred, err := lin.Predict(ds.Val.X)
	if err != nil {
		return nil, err
	}
	linear := Result{Name: "linear regression", Baseline: true, Pred: pred, Note: lin.Note}

	res := []Result{lag, last, linear}
	for i := range res {
		res[i].Layers, res[i].Activation = "-", "-"
		if err := Score(ds, &res[i]); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Linear is a least-squares map from In inputs and an intercept to Out outputs:
// y = [x, 1] W.
type Linear struct {
	In, Out int
	W       *mat.Dense // (In+1, Out)
	Rank    int
	Note    string // which solution was taken, for the results
}

// LinearRcond is the relative cutoff below which FitLinear treats singular values of the
// design matrix as zero: numpy.linalg.lstsq's default, machine epsilon times the larger
// dimension, is applied on top of it.
const LinearRcond = 1e-10

// FitLinear fits W (In+1, Out) to minimise ‖[X, 1] W - Y‖² over the N windows x (N, In),
// y (N, Out). It takes the minimum-norm least-squares solution through a thin SVD of
// the design matrix, singular values below max(LinearRcond, ε·max(N, In+1))·σ_max
// counted as zero, as numpy.linalg.lstsq does with a cutoff. With N ≥ In+1 windows and a
// well-conditioned design this is the ordinary least-squares fit; with fewer windows
// than the In+1 unknowns (the tutorial's stride leaves about 120 training windows for 257
// unknowns) it is the interpolating solution of smallest norm, intercept included.
func FitLinear(x, y []float64, In, Out int) (*Linear, error) {
	if In < 1 || Out < 1 {
		return nil, fmt.Errorf("linear baseline: windows of %d in, %d out: both must be "+
			"at least 1", In, Out)
	}
	N := len(x) / In
	if N < 1 || len(x) != N*In || len(y) != N*Out {
		return nil, fmt.Errorf("linear baseline: %d inputs and %d targets for windows "+
			"of %d in, %d out", len(x), len(y), In, Out)
	}
	a := mat.NewDense(N, In+1, nil)
	for n := range N {
		for i := range In {
			a.Set(n, i, x[n*In+i])
		}
		a.Set(n, In, 1)
	}
	b := mat.NewDense(N, Out, append([]float64(nil), y...))

	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, fmt.Errorf("linear baseline: the SVD of the %d×%d design did not "+
			"converge", N, In+1)
	}
	rcond := math.Max(LinearRcond, 2.220446049250313e-16*float64(max(N, In+1)))
	rank := svd.Rank(rcond)
	if rank < 1 {
		return nil, fmt.Errorf("linear baseline: the training inputs are all zero")
	}
	l := &Linear{In: In, Out: Out, W: mat.NewDense(In+1, Out, nil), Rank: rank}
	svd.SolveTo(l.W, b, rank)

	kind := "least squares"
	if N < In+1 {
		kind = fmt.Sprintf("minimum-norm interpolating solution (%s < %s)",
			english.Count(N, "window"), english.Count(In+1, "unknown"))
	} else if rank < In+1 {
		kind = "minimum-norm least squares (rank-deficient design)"
	}
	l.Note = fmt.Sprintf("%s via SVD, rank %d, cutoff %.0e·σmax", kind, rank, rcond)
	return l, nil
}

// Predict returns [x, 1] W for the windows x (N, In), (N, Out). It fails when l is nil or
// not fitted, or x is not a whole number of windows of In values.
func (l *Linear) Predict(x []float64) ([]float64, error) {
	if l == nil || l.W == nil || l.In < 1 || l.Out < 1 {
		return nil, fmt.Errorf("linear baseline: no fitted map: make one with FitLinear")
	}
	if len(x)%l.In != 0 {
		return nil, fmt.Errorf("linear baseline: %s is not a whole number of windows of "+
			"%d inputs", english.Count(len(x), "value"), l.In)
	}
	N := len(x) / l.In
	pred := make([]float64, N*l.Out)
	for n := range N {
		for j := range l.Out {
			s := l.W.At(l.In, j)
			for i := range l.In {
				s += x[n*l.In+i] * l.W.At(i, j)
			}
			pred[n*l.Out+j] = s
		}
	}
	return pred, nil
}

// WriteResults writes the results table as markdown to path: the data, how the models
// were trained, the table (models first, then baselines), one line saying which models
// beat which baselines on test MSE, then a note on each row and on the losses, and the
// caller's notes last.
//
// ds must hold the candle series (Prepare or LoadDataset; not WindowsDataset).
func WriteResults(path string, ds *Dataset, results []Result, notes ...string) error {
	if err := ds.checkSeries("results " + path); err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		return writeResults(w, ds, results, notes)
	})
}

// ResultsModels returns the models of Models with a row in the table of the results.md
// at path, as WriteResults writes it, and whether the file was there to read.
func ResultsModels(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var models []string
	for _, m := range Models {
		if strings.Contains(string(b), "\n"+firstCell(m)) {
			models = append(models, m)
		}
	}
	return models, true
}

// firstCell starts the results table's row of the model or baseline name: "| lstm |".
// WriteResults writes it and ResultsModels looks for it.
func firstCell(name string) string {
	return "| " + name + " |"
}

// Settings says how a model's checkpoint was trained, for results.md: "float32, dropout
// on, shuffled each epoch, seed 1, batch 8, 100 epochs, keras convention, Adam keras
// form, on cpu".
func (r Result) Settings() string {
	m := r.Meta
	dropout, shuffle, device := "dropout on", "shuffled each epoch", "on "+m.Device
	if !m.Dropout {
		dropout = "dropout off"
	}
	if !m.Shuffle {
		shuffle = "not shuffled"
	}
	if m.Device == "" {
		device = "device not recorded"
	}
	epochs := english.Count(r.Trained, "epoch")
	if r.TrainedBatches != "" {
		epochs = fmt.Sprintf("%s and batch %s of epoch %d (interrupted)",
			english.Count(r.Trained-1, "epoch"), r.TrainedBatches, r.Trained)
	}
	return fmt.Sprintf("%s, %s, %s, seed %d, batch %d, %s, %s convention, Adam %s form, %s",
		m.DType, dropout, shuffle, m.Seed, m.Batch, epochs, m.Convention, m.AdamForm, device)
}

// fmtAmount writes v with the given decimals where that shows it readably (the
// tutorial's table: 0.004729, 5223.6), and with 4 significant digits in exponent form
// where it would print as 0 or as more than 12 digits (prices near 1e-8 or 1e12).
func fmtAmount(v float64, decimals int) string {
	a := math.Abs(v)
	if v != 0 && (a < math.Pow(10, -float64(decimals)) || a >= 1e12) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

func writeResults(w io.Writer, ds *Dataset, results []Result, notes []string) error {
	var b strings.Builder
	scaler := "fitted on the training windows only"
	if ds.ScaleOnWhole {
		scaler = "fitted on the whole series, as the tutorial did"
	}
	first := ds.Times[ds.Val.Start[0]+ds.In]
	last := ds.Times[ds.Val.Start[ds.Val.Len()-1]+ds.In+ds.Out-1]
	fmt.Fprintf(&b, "# Results\n\n")
	fmt.Fprintf(&b, "Data: %s, %d training and %s of %d closes in, %d out, "+
		"stride %d; validation targets %s to %s UTC. Min-max scaler [%s, %s] USD %s.\n\n",
		ds.Source, ds.Train.Len(), english.Count(ds.Val.Len(), "validation window"), ds.In, ds.Out, ds.Stride,
		fmtDate(first), fmtDate(last), fmtAmount(ds.Scaler.Min, 2), fmtAmount(ds.Scaler.Max, 2),
		scaler)
	writeTraining(&b, results)

	fmt.Fprintf(&b, "| model | layers | activation | validation loss (scaled) | "+
		"test MSE (USD²) |\n")
	fmt.Fprintf(&b, "|---|---|---|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "%s %s | %s | %s | %s |\n", firstCell(r.Name),
			r.Layers, r.Activation, fmtAmount(r.ValLoss, 6), fmtAmount(r.TestMSE, 1))
	}
	fmt.Fprintf(&b, "\n%s\n\nNotes:\n\n", BeatLine(results))
	for _, r := range results {
		if r.Baseline {
			fmt.Fprintf(&b, "- %s: %s.\n", r.Name, r.Note)
		} else {
			fmt.Fprintf(&b, "- %s: best-validation checkpoint %s, %s.\n",
				r.Name, filepath.Base(r.Checkpoint), r.EpochLabel())
		}
	}
	fmt.Fprintf(&b, "- Both losses are over all %d validation targets; test MSE is in USD², "+
		"after unscaling predictions and targets.\n", ds.Val.Len()*ds.Out)
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTraining writes how the models were trained: one line when they share their
// settings, else one line per model.
func writeTraining(b *strings.Builder, results []Result) {
	var models []Result
	for _, r := range results {
		if !r.Baseline {
			models = append(models, r)
		}
	}
	switch {
	case len(models) == 0:
		return
	case len(models) == 1:
		fmt.Fprintf(b, "Training (%s): %s.\n\n", models[0].Name, models[0].Settings())
		return
	}
	same := true
	for _, r := range models[1:] {
		same = same && r.Settings() == models[0].Settings()
	}
	if same {
		fmt.Fprintf(b, "Training (every model): %s.\n\n", models[0].Settings())
		return
	}
	fmt.Fprintf(b, "Training:\n\n")
	for _, r := range models {
		fmt.Fprintf(b, "- %s: %s.\n", r.Name, r.Settings())
	}
	fmt.Fprintf(b, "\n")
}

// EpochLabel says which epoch a model's checkpoint is of, and for an interrupted epoch
// how far it got: "epoch 3", "epoch 1 (interrupted after batch 4/15)".
func (r Result) EpochLabel() string {
	label := fmt.Sprintf("epoch %d", r.Epoch)
	if r.Batches != "" {
		label += " (interrupted after batch " + r.Batches + ")"
	}
	return label
}

// BeatLine says, for each model, which baselines it beats on test MSE.
func BeatLine(results []Result) string {
	var parts []string
	for _, m := range results {
		if m.Baseline {
			continue
		}
		var beaten []string
		for _, b := range results {
			if b.Baseline && m.TestMSE < b.TestMSE {
				beaten = append(beaten, b.Name)
			}
		}
		if len(beaten) == 0 {
			beaten = []string{"no baseline"}
		}
		parts = append(parts, fmt.Sprintf("%s beats %s", m.Name, strings.Join(beaten, ", ")))
	}
	if len(parts) == 0 {
		return "No model was evaluated."
	}
	return "On test MSE: " + strings.Join(parts, "; ") + "."
}

func fmtDate(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02 15:04")
}
