package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/train"
)

// runPredict prints the model's predictions for every window of --input, one line of
// Out comma-separated values per window, formatted to round-trip in the dtype used.
//
// The weights file's recorded model, convention and dtype are the defaults. A --model or
// --convention other than the recorded one is refused: it builds another model, whose
// numbers would look plausible and be wrong. A --dtype other than the recorded one is a
// conversion the user asked for (float64 weights run in float32), so it runs, with a
// note on stderr. With --usd the windows are read in USD and scaled with the prepared
// dataset's scaler, and the predictions are scaled back to USD. An input beyond the
// range of the dtype run in is refused; windows that look to be in the wrong space (see
// warnSpace) draw a warning on stderr, and weights that record no dataset a note that
// --usd cannot check the dataset.
func runPredict(_ context.Context, o *options, stdout, stderr io.Writer) error {
	if err := inputFile("weights", o.weights, "the model's safetensors file"); err != nil {
		return err
	}
	if err := inputFile("input", o.input, "a CSV file of windows"); err != nil {
		return err
	}
	w, err := train.OpenWeights(o.weights)
	if err != nil {
		return err
	}
	if w.Meta["format"] == "seqnn-dataset" {
		return fmt.Errorf("--weights %s: this is a prepared dataset (format seqnn-dataset), "+
			"not weights; give a checkpoint, OUT/checkpoints/MODEL-EE-V.VVVVV.safetensors "+
			"(with --usd, predict finds the dataset beside the checkpoints directory, or "+
			"takes it with --dataset)", o.weights)
	}
	model, err := predictModel(o, w)
	if err != nil {
		return err
	}
	recConv, recDType := w.Meta["convention"], w.Meta["dtype"]
	conv, dtype := o.convention, o.dtype
	if conv == "" {
		conv = recConv
	}
	if dtype == "" {
		dtype = recDType
	}
	if conv, err = train.ParseConvention(conv); err != nil {
		return fmt.Errorf("%s: %w; pass --convention", o.weights, err)
	}
	if dtype, err = train.ParseDType(dtype); err != nil {
		return fmt.Errorf("%s: %w; pass --dtype", o.weights, err)
	}
	if rec, err := train.ParseConvention(recConv); recConv != "" && err == nil &&
		rec != conv {
		return fmt.Errorf("--convention %s: %s records convention %s, so its weights are "+
			"for the %s form of the model; leave out --convention, or give weights of "+
			"the %s convention", conv, o.weights, rec, rec, conv)
	}
	var scaler *data.MinMax
	sp := train.InputSpace{DType: dtype, Fix: "write the values as the model sees " +
		"them, scaled (see docs/DATA.md), or run in float64 with --dtype float64"}
	if o.usd {
		var dsPath string
		if scaler, dsPath, err = predictScaler(o, w); err != nil {
			return err
		}
		sp.Scale = scaler.Scale
		sp.Fix = "check the close, or run in float64 with --dtype float64"
		if w.Meta["dataset"] == "" {
			fmt.Fprintf(stderr, "demo predict: note: %s records no dataset (weights "+
				"written by reference/convert.py from-torch from a state_dict without "+
				"seqnn's metadata?), so --usd cannot check that %s is the dataset they "+
				"were trained on; another dataset's scaler gives wrong prices\n",
				o.weights, dsPath)
		}
	}
	if rec, err := train.ParseDType(recDType); recDType != "" && err == nil && rec != dtype {
		fmt.Fprintf(stderr, "demo predict: note: %s records dtype %s; running it in %s "+
			"as --dtype asks\n", o.weights, rec, dtype)
	}
	x, err := train.ReadInputs(o.input, train.TutorialIn, train.TutorialOut, sp)
	if err != nil {
		return err
	}
	warnSpace(stderr, o.input, x, scaler)
	if dtype == "float64" {
		return predict[float64](stdout, o.input, model, conv, w, x, scaler, 64)
	}
	return predict[float32](stdout, o.input, model, conv, w, x, scaler, 32)
}

// predictModel is the model --weights holds: the one its metadata records, or --model
// for a file that records none. A --model other than the recorded one is an error.
func predictModel(o *options, w *train.WeightsFile) (string, error) {
	rec := w.Meta["model"]
	if rec != "" {
		if _, err := train.ParseModels(rec); err != nil {
			return "", fmt.Errorf("%s: the file records model %q, not one of %s; pass "+
				"--model", o.weights, rec, strings.Join(train.Models, ", "))
		}
	}
	switch {
	case len(o.modelList) == 1 && rec != "" && o.modelList[0] != rec:
		return "", fmt.Errorf("--model %s: %s records model %s; leave out --model, or "+
			"give weights of the %s model", o.modelList[0], o.weights, rec, o.modelList[0])
	case len(o.modelList) == 1:
		return o.modelList[0], nil
	case rec == "":
		return "", fmt.Errorf("--model: %s records no model (it is not a checkpoint); "+
			"give the one its weights are for: %s", o.weights,
			strings.Join(train.Models, ", "))
	}
	return rec, nil
}

// predictScaler is the min-max scaler of the prepared dataset for --usd: --dataset, or
// the dataset.safetensors of the run whose checkpoints directory holds --weights. A
// checkpoint that records another dataset's digest is refused: its scaler would give
// plausible and wrong prices.
//
// Weights of a --windows run are refused first, whatever the dataset: they have no USD
// scale. The default dataset is found from the absolute path of --weights, so that a
// bare file name inside a checkpoints directory finds ../dataset.safetensors. It returns
// the dataset's path too, for messages.
func predictScaler(o *options, w *train.WeightsFile) (*data.MinMax, string, error) {
	rec := w.Meta["dataset"]
	if (train.CheckpointMeta{Dataset: rec}).FromWindows() {
		return nil, "", fmt.Errorf("--usd: %s was trained on --windows files, in model "+
			"space, with no USD scale; leave out --usd", o.weights)
	}
	path := o.dataset
	if path == "" {
		abs, err := filepath.Abs(o.weights)
		if err != nil {
			return nil, "", fmt.Errorf("--usd: cannot resolve %s (%v); give the dataset the "+
				"weights were trained on with --dataset FILE", o.weights, err)
		}
		path = filepath.Join(filepath.Dir(filepath.Dir(abs)), train.DatasetFile)
		if _, err := os.Stat(path); err != nil {
			where := "beside the checkpoints directory of " + o.weights
			if filepath.Base(filepath.Dir(abs)) != "checkpoints" {
				where = "in the directory above that of " + o.weights + " (which is not " +
					"in a run's checkpoints directory)"
			}
			return nil, "", fmt.Errorf("--usd: no prepared dataset at %s, %s; give the "+
				"dataset the weights were trained on with --dataset FILE", path, where)
		}
	} else if err := inputFile("dataset", path, "the prepared dataset.safetensors"); err != nil {
		return nil, "", err
	}
	ds, err := train.LoadDataset(path)
	if err != nil {
		return nil, "", err
	}
	if rec != "" && rec != ds.Digest {
		return nil, "", fmt.Errorf("--usd: %s was trained on another dataset than %s "+
			"(prepared again since?); give the dataset it was trained on with --dataset "+
			"FILE", o.weights, path)
	}
	return &ds.Scaler, path, nil
}

// The model-space range beyond which predict warns that a window is in the wrong space.
// A prepared dataset scales the closes it was fitted on into [0, 1]; validation windows
// go beyond (to about 2.8 on the shipped data, whose prices tripled), so the warning is
// for values far outside: USD closes given without --usd (thousands), or closes of
// another market.
const spaceLo, spaceHi = -1.0, 5.0

// warnSpace writes a warning to stderr, one line each, when inputs of the windows x
// (model space) lie beyond [spaceLo, spaceHi], and, with --usd (scaler not nil), when a
// window's closes look like model-space values: every one within [spaceLo, spaceHi]
// and below the lowest close the scaler was fitted on (such a window draws only that
// warning, whatever it scales to). The predictions are printed
// anyway: a model may be asked about any window, and these tests are rough.
func warnSpace(stderr io.Writer, src string, x *data.Windows, scaler *data.MinMax) {
	var far, scaled, farFirst, scaledFirst int
	var farLo, farHi, scLo, scHi float64
	for n := range x.Len() {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range x.X[n*x.In : (n+1)*x.In] {
			lo, hi = min(lo, v), max(hi, v)
		}
		if scaler != nil {
			ulo, uhi := scaler.Unscale(lo), scaler.Unscale(hi)
			if ulo >= spaceLo && uhi <= spaceHi && uhi < scaler.Min {
				if scaled++; scaled == 1 {
					scaledFirst, scLo, scHi = n+1, ulo, uhi
				}
				continue // the likelier cause of its being far out, if it is
			}
		}
		if lo < spaceLo || hi > spaceHi {
			if far++; far == 1 {
				farFirst, farLo, farHi = n+1, lo, hi
			}
		}
	}
	of := func(k int) string {
		return fmt.Sprintf("%d of %s", k, english.Count(x.Len(), "window"))
	}
	if far > 0 && scaler == nil {
		fmt.Fprintf(stderr, "demo predict: warning: %s: inputs far outside the model's "+
			"training range in %s (first: window %d, counted from 1, inputs %.6g to %.6g; "+
			"a prepared dataset scales the training closes into [0, 1], and this warns "+
			"beyond [%g, %g]): predict takes windows in model space; if they are closes "+
			"in USD, pass --usd\n",
			src, of(far), farFirst, farLo, farHi, spaceLo, spaceHi)
	}
	if far > 0 && scaler != nil {
		fmt.Fprintf(stderr, "demo predict: warning: %s: inputs far outside the model's "+
			"training range in %s (first: window %d, counted from 1, scaled inputs %.6g to "+
			"%.6g; closes from %.6g to %.6g USD scale into [0, 1], and this warns beyond "+
			"[%g, %g]): check that the windows hold USD closes of the market the model was "+
			"trained on\n",
			src, of(far), farFirst, farLo, farHi, scaler.Min, scaler.Max, spaceLo, spaceHi)
	}
	if scaled > 0 {
		fmt.Fprintf(stderr, "demo predict: warning: %s: closes that look like model-space "+
			"values in %s (first: window %d, counted from 1, closes %.6g to %.6g: all within "+
			"[%g, %g] and below the lowest training close, %.6g USD); --usd takes closes in "+
			"USD: if the windows are already scaled, leave out --usd\n", src, of(scaled),
			scaledFirst, scLo, scHi, spaceLo, spaceHi, scaler.Min)
	}
}

// predict prints m's predictions of the windows x, in USD through scaler when it is not
// nil, else as the model gives them.
func predict[T nn.Float](stdout io.Writer, src, model, conv string, w *train.WeightsFile,
	x *data.Windows, scaler *data.MinMax, bits int) error {
	B := min(64, x.Len())
	m, err := train.BuildModel[T](model, conv, x.In, B, 0)
	if err != nil {
		return err
	}
	if err := train.LoadWeights(w, m, model); err != nil {
		return err
	}
	pred, err := train.Predict(m, x.X, B)
	if err != nil {
		return err
	}
	Out := m.Out.Size()
	// Print nothing rather than a line of NaN: a non-finite prediction means an input
	// far outside what the model was trained on.
	for i, v := range pred {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			space := "predict takes windows in model space, scaled as the model was " +
				"trained (see docs/DATA.md), or in USD with --usd"
			if scaler != nil {
				space = "with --usd, give the window's closes in USD"
			}
			return fmt.Errorf("%s: window %d (counted from 1) gives a prediction of %v: its "+
				"values are far outside the model's range; %s", src, i/Out+1, f, space)
		}
	}
	var b strings.Builder
	for n := range x.Len() {
		b.Reset()
		for j, v := range pred[n*Out : (n+1)*Out] {
			if j > 0 {
				b.WriteByte(',')
			}
			f := float64(v)
			if scaler != nil {
				f = scaler.Unscale(f)
			}
			b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return err
		}
	}
	return nil
}
