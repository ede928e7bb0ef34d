package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/optim"
	"github.com/seqnn/seqnn/train"
)

// defaultEpochs is the tutorial's full training. Measured on the 2-core development
// machine with the default data: an epoch takes about 3 ms for the CNN, 0.07 s for the
// GRU and 0.1 s for the LSTM, so the whole default run takes about 20 s.
const defaultEpochs = 100

var (
	errHelp        = flag.ErrHelp
	errInterrupted = train.ErrInterrupted
)

// options holds every flag of every command; each command registers the ones it takes.
type options struct {
	data         string
	fill         string
	dropBad      bool
	columns      string
	out          string
	models       string
	epochs       int
	seed         uint64
	seedErr      error // why --seed's text is not a seed, reported by check
	switchErr    error // the first bad value given to a switch, reported by check
	stride       int
	scaleOnWhole bool
	batch        int
	device       string        // cpu or cuda
	devices      train.Devices // device, opened by run after check
	// train: how to train, for resuming and for comparisons with another framework
	resume     bool
	init       string
	noShuffle  bool
	noDropout  bool
	dtype      string
	windows    string
	valWindows string
	convention string
	adamForm   string

	// predict
	weights string
	input   string
	usd     bool   // --input and the output in USD, through the dataset's scaler
	dataset string // the dataset.safetensors whose scaler --usd uses

	// fetch
	pair, period string
	from, to     string
	baseURL      string

	cmd       string          // the command the flags are for
	given     map[string]bool // the flags given on the command line, by name
	modelList []string        // models, parsed by check
	form      optim.Form      // adamForm, parsed by check
	lock      *outLock        // run, prepare, train, evaluate: the lock on --out, set by run
}

// command is one subcommand: its flags and what it does.
type command struct {
	name, summary string
	flagNames     []string
	run           func(ctx context.Context, o *options, stdout, stderr io.Writer) error
}

// The flags each command takes, by name; flags defines each name once, so that a flag two
// commands share means the same in both, with the same default and the same checks.
var (
	prepareFlags = []string{"data", "fill", "drop-bad", "columns", "out", "stride",
		"scale-on-whole"}
	// fitFlags say how each model trains; run passes them to its train step.
	fitFlags = []string{"model", "epochs", "seed", "batch", "device", "no-shuffle",
		"no-dropout", "dtype"}
	trainFlags = slices.Concat([]string{"out"}, fitFlags, []string{"resume", "init",
		"windows", "val-windows", "convention", "adam-form"})
	evaluateFlags = []string{"out", "model", "batch"}
	runFlags      = slices.Concat(prepareFlags, fitFlags, []string{"resume"})
)

var commands = []*command{
	{name: "run", summary: "prepare, train and evaluate, one after the other",
		flagNames: runFlags, run: runAll},
	{name: "prepare", summary: "read the candles, cut and scale the windows into " +
		"<out>/dataset.safetensors", flagNames: prepareFlags, run: runPrepare},
	{name: "train", summary: "train the models on <out>/dataset.safetensors: " +
		"<out>/<model>-log.csv and a checkpoint per epoch in <out>/checkpoints",
		flagNames: trainFlags, run: runTrain},
	{name: "evaluate", summary: "score each model's best checkpoint and the baselines: " +
		"<out>/results.md, <out>/<model>-predictions.png, <out>/predictions.png",
		flagNames: evaluateFlags, run: runEvaluate},
	{name: "predict", summary: "run one model exactly as given, no scaling (--usd: in " +
		"USD), on the windows of a CSV and print one line of 16 comma-separated " +
		"predictions per window",
		flagNames: []string{"model", "weights", "input", "dtype", "convention", "usd",
			"dataset"},
		run: runPredict},
	{name: "sources", summary: "print where the embedded candles come from: the " +
		"provenance note shipped with them (data/poloniex/SOURCES.md)", run: runSources},
	{name: "fetch", summary: "download candles from the Poloniex public API into a CSV " +
		"file that prepare --data reads, merging them with the rows it already has",
		flagNames: []string{"pair", "period", "from", "to", "out", "base-url"},
		run:       runFetch},
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flags returns fresh options with their defaults and the command's flag set over them.
func (c *command) flags() (*options, *flag.FlagSet) {
	o := &options{}
	fs := flag.NewFlagSet("demo "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints one-line errors and --help itself
	defs := map[string]func(){
		"data": func() {
			fs.StringVar(&o.data, "data", "", "candle `FILE`, CSV or JSON with at least date "+
				"and close columns (default: the embedded "+data.DefaultFile+", Poloniex "+
				"USDT_BTC 30-min candles 2015-02 to 2017-07)")
		},
		"fill": func() {
			fs.StringVar(&o.fill, "fill", "", "`MODE` for gaps in --data: \"previous\" fills "+
				"them with the previous close; empty keeps them (windows never span a gap)")
		},
		"drop-bad": func() {
			o.switchVar(fs, &o.dropBad, "drop-bad", "drop bad rows of --data and count them "+
				"instead of failing")
		},
		"columns": func() {
			fs.StringVar(&o.columns, "columns", "", "comma-separated column `NAMES` of a "+
				"--data file without a header line, e.g. date,close")
		},
		"out": func() {
			fs.StringVar(&o.out, "out", "out", "output `DIR`")
		},
		"model": func() {
			fs.StringVar(&o.models, "model", strings.Join(train.Models, ","),
				"comma-separated `MODELS` among "+strings.Join(train.Models, ", "))
		},
		"epochs": func() {
			fs.IntVar(&o.epochs, "epochs", defaultEpochs, "training epochs per model, `N` >= 1; "+
				"--epochs 100 reproduces the tutorial's full training, and takes about 20 "+
				"seconds for all three models on 2 cores")
		},
		"seed": func() {
			o.seed = 1
			fs.Var((*seedFlag)(o), "seed", "`N` that draws the weights, dropout masks and "+
				"the shuffling; the same seed gives the same run")
		},
		"stride": func() {
			fs.IntVar(&o.stride, "stride", train.TutorialStride, "candles `N` between window "+
				"starts; 272 = 256 in + 16 out makes non-overlapping windows, as the tutorial")
		},
		"scale-on-whole": func() {
			o.switchVar(fs, &o.scaleOnWhole, "scale-on-whole", "fit the min-max scaler on "+
				"the whole series, as the tutorial did, instead of on the training windows "+
				"only, which keeps the validation period out of training")
		},
		"batch": func() {
			text := "batch size `N` >= 1, as the tutorial's 8; the last batch of an epoch " +
				"holds the remainder"
			if c.name == "evaluate" {
				text = "validation windows `N` >= 1 per forward pass when predicting them"
			}
			fs.IntVar(&o.batch, "batch", 8, text)
		},
		"device": func() {
			fs.StringVar(&o.device, "device", "cpu", "where training runs: `DEV` cpu, or "+
				"cuda for the first NVIDIA GPU ("+cudaNote+")")
		},
	}
	for name, def := range c.moreFlags(o, fs) {
		defs[name] = def
	}
	for _, name := range c.flagNames {
		defs[name]()
	}
	return o, fs
}

// seedFlag is --seed: a uint64 whose parse errors check reports with the fix, where
// flag's own say only "parse error".
type seedFlag options

func (f *seedFlag) String() string {
	if f == nil {
		return "0"
	}
	return strconv.FormatUint(f.seed, 10)
}

func (f *seedFlag) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 64)
	f.seed, f.seedErr = n, nil
	if err != nil {
		f.seedErr = fmt.Errorf("--seed %q: want a whole number ≥ 0 (and below 2^64)", s)
	}
	return nil
}

// switchFlag is a flag that is on or off, as flag's bool (--no-shuffle alone, or
// --no-shuffle=true or =false), whose bad values check reports with the fix, where flag's
// own message ends in "parse error".
type switchFlag struct {
	on   *bool
	name string
	bad  *error // the options' switchErr
}

// switchVar defines the switch --name over *on, off by default.
func (o *options) switchVar(fs *flag.FlagSet, on *bool, name, usage string) {
	fs.Var(&switchFlag{on: on, name: name, bad: &o.switchErr}, name, usage)
}

func (f *switchFlag) IsBoolFlag() bool { return true }

func (f *switchFlag) String() string {
	if f == nil || f.on == nil {
		return "false"
	}
	return strconv.FormatBool(*f.on)
}

func (f *switchFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		if *f.bad == nil {
			*f.bad = fmt.Errorf("--%s=%q: a switch takes no value; give --%s alone to "+
				"turn it on, or --%s=false to leave it off", f.name, s, f.name, f.name)
		}
		return nil
	}
	*f.on = on
	return nil
}

// check validates the flags the command took.
func (o *options) check(fs *flag.FlagSet) error {
	if o.switchErr != nil {
		return o.switchErr
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch f.Name {
		case "model":
			if o.models != "" || o.cmd != "predict" {
				o.modelList, err = train.ParseModels(o.models)
			}
		case "seed":
			err = o.seedErr
		case "epochs":
			if o.epochs < 1 {
				err = fmt.Errorf("--epochs %d: must be at least 1", o.epochs)
			}
		case "batch":
			if o.batch < 1 {
				err = fmt.Errorf("--batch %d: must be at least 1", o.batch)
			}
		case "stride":
			if o.stride < 1 {
				err = fmt.Errorf("--stride %d: must be at least 1", o.stride)
			}
		case "device":
			err = checkDevice(o.device)
		case "fill":
			if o.fill != "" && o.fill != data.FillPrevious {
				err = fmt.Errorf("--fill %q: want %q or nothing", o.fill, data.FillPrevious)
			}
		case "out":
			if o.out == "" && o.cmd != "fetch" { // fetch's --out is a file, see checkCross
				err = fmt.Errorf("--out: give a directory")
			}
		default:
			err = o.checkMore(f.Name)
		}
	})
	if err != nil {
		return err
	}
	return o.checkCross()
}

// describe is the configuration line printed at start: every flag with its value.
func (o *options) describe(fs *flag.FlagSet) string {
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		switch {
		case f.Name == "data" && v == "":
			v = "embedded:" + data.DefaultFile
		case v == "":
			v = `""`
		}
		parts = append(parts, "--"+f.Name+"="+v)
	})
	return strings.Join(parts, " ")
}

// usage prints the command's help: what it does and every flag with its default.
func (c *command) usage(w io.Writer) {
	_, fs := c.flags()
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintf(w, "usage: demo %s\n\n%s\n", c.name, wrap(capitalize(c.summary)+".", "", 88))
		return
	}
	fmt.Fprintf(w, "usage: demo %s [flags]\n\n%s\nflags:\n", c.name,
		wrap(capitalize(c.summary)+".", "", 88))
	printFlags(w, fs)
}

// usage prints the help of the whole program, every command with its flags.
func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: demo COMMAND [flags]\n\n"+
		"demo runs the 2017 tutorial \"Predicting Cryptocurrency Price With Tensorflow and "+
		"Keras\":\nit trains a CNN, an LSTM and a GRU to predict the next 16 half-hourly "+
		"Bitcoin closes\nfrom the last 256, and compares them with baselines in USD.\n\n"+
		"Exit status: 0 done, 1 error, 2 bad command line, 130 interrupted (Ctrl-C saves a "+
		"checkpoint).\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\n%s", wrap(c.name+": "+c.summary, "  ", 88))
		_, fs := c.flags()
		printFlags(w, fs)
	}
}

// printFlags lists every flag with its default, the zero ones too (flag.PrintDefaults
// leaves those out).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		def := f.DefValue
		switch {
		case strings.Contains(text, "(default"):
			def = "" // the usage text says it in words
		case def == "":
			def = `""`
		}
		if def != "" {
			// A no-break space keeps "(default X)" on one line through wrap.
			text += " (default\u00a0" + def + ")"
		}
		text = wrap(text, "        ", 88)
		fmt.Fprintf(w, "    --%s%s\n%s", f.Name, arg, strings.ReplaceAll(text, "\u00a0", " "))
	})
}

// wrap breaks text into lines of at most width columns, each starting with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	return b.String() + line + "\n"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
