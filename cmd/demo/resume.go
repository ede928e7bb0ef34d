package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/seqnn/seqnn/train"
)

// progName is how the continue command starts: "demo" in tests, and in main the way the
// program was invoked (invocation).
var progName = "demo"

// invocation is the command that runs this program again, from its os.Args[0]: "go run
// ./cmd/demo" for a binary go run built, else arg0 as given. go run before Go 1.24 ran
// it from a temporary directory (<tmp>/go-build…/b001/exe/demo), gone once it exits;
// since 1.24 from the build cache ($GOCACHE/xx/<sha256>-d/demo), where it is stale as
// soon as the sources change and gone after go clean -cache.
func invocation(arg0 string) string {
	dir := filepath.Dir(arg0)
	if filepath.Base(dir) == "exe" &&
		strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return "go run ./cmd/demo"
	}
	if cached, _ := regexp.MatchString(`^[0-9a-f]{64}-d$`, filepath.Base(dir)); cached &&
		len(filepath.Base(filepath.Dir(dir))) == 2 {
		return "go run ./cmd/demo"
	}
	return shellQuote(arg0)
}

// resumeCommand is the command line that continues an interrupted run or train: the
// same command with the flags given, and --resume. It leaves out --init, which --resume
// refuses (the checkpoint holds the weights now), and adds the convention and dtype
// that --init's file gave the run, which the checkpoints record and the resumed run,
// without the file, would otherwise not ask for.
func resumeCommand(name string, o *options, fs *flag.FlagSet) string {
	args := []string{progName, name, "--resume"}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "resume" || f.Name == "init" {
			return
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if f.Value.String() == "true" {
				args = append(args, "--"+f.Name)
			}
			return
		}
		args = append(args, "--"+f.Name, shellQuote(f.Value.String()))
	})
	if o.init != "" {
		for _, f := range []struct{ name, value, def string }{
			{"convention", o.convention, train.Keras},
			{"dtype", o.dtype, "float32"},
		} {
			if !o.given[f.name] && f.value != f.def {
				args = append(args, "--"+f.name, f.value)
			}
		}
	}
	return strings.Join(args, " ")
}

// initDefaults sets the convention and dtype of a train --init run that leaves them out
// to those its weights file records, as predict does: --convention keras on weights of
// the pytorch form would train another model than they were made for. A --convention
// other than the recorded one is refused; a --dtype other than the recorded one is a
// conversion the user asked for, and runs with a note on stderr.
func initDefaults(o *options, stdout, stderr io.Writer) error {
	if o.init == "" {
		return nil
	}
	w, err := train.OpenWeights(o.init)
	if err != nil {
		return err
	}
	rec := map[string]string{"convention": w.Meta["convention"], "dtype": w.Meta["dtype"]}
	var took []string
	for _, f := range []struct {
		name  string
		value *string
		parse func(string) (string, error)
	}{
		{"convention", &o.convention, train.ParseConvention},
		{"dtype", &o.dtype, train.ParseDType},
	} {
		if rec[f.name] == "" {
			continue
		}
		r, err := f.parse(rec[f.name])
		switch {
		case err != nil && !o.given[f.name]:
			return fmt.Errorf("--init %s: %w; pass --%s", o.init, err, f.name)
		case err != nil:
			continue
		case !o.given[f.name]:
			if r != *f.value {
				took = append(took, f.name+" "+r)
			}
			*f.value = r
		case f.name == "convention" && r != *f.value:
			return fmt.Errorf("--convention %s: %s records convention %s, so its weights "+
				"are for the %s form of the model; leave out --convention, or give "+
				"weights of the %s convention", *f.value, o.init, r, r, *f.value)
		case r != *f.value:
			fmt.Fprintf(stderr, "demo train: note: %s records dtype %s; training in %s "+
				"as --dtype asks\n", o.init, r, *f.value)
		}
	}
	if len(took) > 0 {
		fmt.Fprintf(stdout, "--init %s records %s; training in the same\n", o.init,
			strings.Join(took, " and "))
	}
	return nil
}

// hasCheckpoints says whether dir holds a checkpoint file of model.
func hasCheckpoints(dir, model string) bool {
	paths, _ := filepath.Glob(filepath.Join(dir, model+"-*.safetensors"))
	return len(paths) > 0
}

// noCheckpoint is evaluate's error for a model without any checkpoint in dir: a run
// interrupted before it, or a model never trained, with the models that have one.
func noCheckpoint(o *options, dir, model string) error {
	var have []string
	for _, m := range o.modelList {
		if hasCheckpoints(dir, m) {
			have = append(have, m)
		}
	}
	msg := fmt.Sprintf("no %s checkpoint in %s: train it first (a run interrupted "+
		"before it continues with the command it printed, %s run --resume with the "+
		"flags it was given)", model, dir, progName)
	if len(have) > 0 {
		msg += ", or evaluate the models that have one with --model " +
			strings.Join(have, ",")
	}
	return errors.New(msg)
}
