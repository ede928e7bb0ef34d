package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/poloniex"
	"github.com/seqnn/seqnn/train"
)

// moreFlags defines the flags of train's comparison options (run takes --no-shuffle,
// --no-dropout and --dtype too), predict and fetch. Where a name means something else
// for one command (--out is fetch's output file, --dtype defaults to the weights' for
// predict), the definition depends on c.
func (c *command) moreFlags(o *options, fs *flag.FlagSet) map[string]func() {
	o.cmd = c.name
	defs := map[string]func(){
		"resume": func() {
			o.switchVar(fs, &o.resume, "resume", "continue each model from its last "+
				"checkpoint in <out>/checkpoints (weights, Adam's state, epoch, and the batch "+
				"of an interrupted epoch) up to --epochs, appending to its log; a model "+
				"without a checkpoint starts from epoch 1. The other flags must be those it "+
				"was trained with (for run, the data flags too: it keeps the prepared "+
				"dataset, and refuses to replace it with another)")
		},
		"init": func() {
			fs.StringVar(&o.init, "init", "", "start from the weights in this safetensors "+
				"`FILE` (Keras names and layouts, F32 or F64, as checkpoints and "+
				"reference/convert.py write them) instead of drawing them from --seed; "+
				"one --model only")
		},
		"no-shuffle": func() {
			o.switchVar(fs, &o.noShuffle, "no-shuffle", "visit the training windows in "+
				"their order every epoch")
		},
		"no-dropout": func() {
			o.switchVar(fs, &o.noDropout, "no-dropout", "train with the Dropout layers "+
				"off")
		},
		"dtype": func() {
			fs.StringVar(&o.dtype, "dtype", "float32", "`TYPE` every value trains in, "+
				"float32 or float64; checkpoints store it (F32 or F64 tensors)")
		},
		"windows": func() {
			fs.StringVar(&o.windows, "windows", "", "train on the windows of this CSV "+
				"`FILE` instead of <out>/dataset.safetensors: one window per line, 256 "+
				"inputs then 16 targets, already scaled (model space), an optional header "+
				"line; nothing is scaled, and evaluate does not apply (see docs/DATA.md)")
		},
		"val-windows": func() {
			fs.StringVar(&o.valWindows, "val-windows", "", "validate on the windows of this "+
				"CSV `FILE`, in the format of --windows (default: the --windows file "+
				"itself, so val_loss is the loss over the training windows after each epoch)")
		},
		"convention": func() {
			fs.StringVar(&o.convention, "convention", train.Keras, "`NAME` of the recurrent "+
				"layers' form: keras (Keras 2.1.1, the tutorial's: hard_sigmoid gates, GRU "+
				"reset before the recurrent product) or pytorch (torch.nn.LSTM/GRU: sigmoid "+
				"gates, GRU reset after, GRU bias (2, 150))")
		},
		"adam-form": func() {
			fs.StringVar(&o.adamForm, "adam-form", "keras", "`FORM` of Adam's update: keras "+
				"(Keras 2.1.1: ε added to √v, corrections in the step size) or pytorch "+
				"(torch.optim.Adam: ε added to √v̂)")
		},
		"weights": func() {
			fs.StringVar(&o.weights, "weights", "", "safetensors `FILE` of the model's "+
				"weights: a checkpoint, or any file with Keras names and layouts")
		},
		"input": func() {
			fs.StringVar(&o.input, "input", "", "CSV `FILE` of windows, one per line: 256 "+
				"inputs as the model sees them (already scaled; closes in USD with --usd), "+
				"optionally followed by 16 "+
				"targets, which are ignored; an optional header line")
		},
		"usd": func() {
			o.switchVar(fs, &o.usd, "usd", "read --input's windows in USD and print the "+
				"predictions in USD, through the min-max scaler of the prepared dataset the "+
				"weights were trained on (--dataset)")
		},
		"dataset": func() {
			fs.StringVar(&o.dataset, "dataset", "", "the prepared dataset `FILE` whose "+
				"scaler --usd uses (default: dataset.safetensors in the directory above the "+
				"checkpoint's, the --out of the run that trained it)")
		},
		"pair": func() {
			fs.StringVar(&o.pair, "pair", "USDT_BTC", "market `PAIR`, legacy USDT_BTC or "+
				"current BTC_USDT")
		},
		"period": func() {
			fs.StringVar(&o.period, "period", "30m", "candle `LENGTH`: 1m, 5m, 10m, 15m, "+
				"30m, 1h, 2h, 4h, 6h, 12h, 1d, 3d or 1w")
		},
		"from": func() {
			fs.StringVar(&o.from, "from", "", "first candle start, UTC `DATE` as 2017-01-31, "+
				"2017-01-31T12:00 or RFC 3339")
		},
		"to": func() {
			fs.StringVar(&o.to, "to", "", "end of the range, exclusive, `DATE` as --from "+
				"(default: now)")
		},
		"base-url": func() {
			fs.StringVar(&o.baseURL, "base-url", poloniex.DefaultBaseURL, "API root `URL`")
		},
	}
	switch c.name {
	case "predict":
		defs["dtype"] = func() {
			fs.StringVar(&o.dtype, "dtype", "", "`TYPE` to run in, float32 or float64 "+
				"(default: the dtype the weights file records, else float32)")
		}
		defs["convention"] = func() {
			fs.StringVar(&o.convention, "convention", "", "`NAME` of the recurrent layers' "+
				"form, keras or pytorch, as train --convention (default: the one the weights "+
				"file records, else keras)")
		}
		defs["model"] = func() {
			fs.StringVar(&o.models, "model", "", "the `MODEL` the weights are for: "+
				strings.Join(train.Models, ", ")+" (default: the model the weights file "+
				"records, as checkpoints do)")
		}
	case "fetch":
		defs["out"] = func() {
			fs.StringVar(&o.out, "out", "", "candle CSV `FILE` to create or extend, in "+
				"the layout of the shipped Poloniex file")
		}
	}
	return defs
}

// checkMore validates the flags moreFlags defines.
func (o *options) checkMore(name string) error {
	var err error
	switch name {
	case "dtype":
		if o.dtype != "" || o.cmd != "predict" {
			_, err = train.ParseDType(o.dtype)
		}
	case "convention":
		if o.convention != "" || o.cmd != "predict" {
			_, err = train.ParseConvention(o.convention)
		}
	case "adam-form":
		o.form, err = train.ParseAdamForm(o.adamForm)
	case "period":
		_, err = poloniex.ParsePeriod(o.period)
	}
	if err != nil {
		return fmt.Errorf("--%s: %w", name, err)
	}
	return nil
}

// checkCross validates what depends on more than one flag.
func (o *options) checkCross() error {
	switch {
	case o.init != "" && len(o.modelList) != 1:
		return fmt.Errorf("--init %s: give one --model, the one the weights are for",
			o.init)
	case o.init != "" && o.resume:
		return fmt.Errorf("--init and --resume: give one; a resumed run takes its " +
			"weights from its checkpoint")
	case o.valWindows != "" && o.windows == "":
		return fmt.Errorf("--val-windows needs --windows")
	}
	switch o.cmd {
	case "predict":
		switch {
		case len(o.modelList) > 1:
			return fmt.Errorf("--model: give one of %s", strings.Join(train.Models, ", "))
		case o.dataset != "" && !o.usd:
			return fmt.Errorf("--dataset needs --usd: the dataset's scaler is only used " +
				"for windows and predictions in USD")
		case o.weights == "":
			return fmt.Errorf("--weights: give the model's safetensors file")
		case o.input == "":
			return fmt.Errorf("--input: give the CSV file of windows")
		}
	case "fetch":
		switch {
		case o.out == "":
			return fmt.Errorf("--out: give the candle CSV file to write")
		case o.from == "":
			return fmt.Errorf("--from: give the first date to fetch, e.g. 2017-01-01")
		}
		if _, _, err := fetchRange(o); err != nil {
			return err
		}
	}
	return nil
}

// runPredict prints the model's predictions for every window of --input, one line of
// Out comma-separated values per window, formatted to round-trip in the dtype used.
//
// The weights file's recorded model, convention and dtype are the defaults. A --model or
// --convention other than the recorded one is refused: it builds another model, whose
// numbers would look plausible and be wrong. A --dtype other than the recorded one is a
// conversion the user asked for (float64 weights run in float32), so it runs, with a
// note on stderr. With --usd the windows are read in USD and scaled with the prepared
// dataset's scaler, and the predictions are scaled back to USD.
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
	if o.usd {
		if scaler, err = predictScaler(o, w); err != nil {
			return err
		}
	}
	if rec, err := train.ParseDType(recDType); recDType != "" && err == nil && rec != dtype {
		fmt.Fprintf(stderr, "demo predict: note: %s records dtype %s; running it in %s "+
			"as --dtype asks\n", o.weights, rec, dtype)
	}
	x, err := train.ReadWindows(o.input, train.TutorialIn, train.TutorialOut, false)
	if err != nil {
		return err
	}
	if scaler != nil {
		scaler.ScaleTo(x.X, x.X)
	}
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
func predictScaler(o *options, w *train.WeightsFile) (*data.MinMax, error) {
	path := o.dataset
	if path == "" {
		path = filepath.Join(filepath.Dir(filepath.Dir(o.weights)), train.DatasetFile)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--usd: no prepared dataset at %s, beside the "+
				"checkpoints directory of %s; give the dataset the weights were trained "+
				"on with --dataset FILE", path, o.weights)
		}
	} else if err := inputFile("dataset", path, "the prepared dataset.safetensors"); err != nil {
		return nil, err
	}
	ds, err := train.LoadDataset(path)
	if err != nil {
		return nil, err
	}
	switch rec := w.Meta["dataset"]; {
	case (train.CheckpointMeta{Dataset: rec}).FromWindows():
		return nil, fmt.Errorf("--usd: %s was trained on --windows files, in model space, "+
			"with no USD scale; leave out --usd", o.weights)
	case rec != "" && rec != ds.Digest:
		return nil, fmt.Errorf("--usd: %s was trained on another dataset than %s (prepared "+
			"again since?); give the dataset it was trained on with --dataset FILE", o.weights,
			path)
	}
	return &ds.Scaler, nil
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
