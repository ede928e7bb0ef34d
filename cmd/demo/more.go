package main

import (
	"flag"
	"fmt"
	"strings"

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
