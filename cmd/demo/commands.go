package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/internal/fsmsg"
	"github.com/seqnn/seqnn/train"
)

func runAll(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	if err := runPrepare(ctx, o, stdout, stderr); err != nil {
		return err
	}
	if err := runTrain(ctx, o, stdout, stderr); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w after training; checkpoints saved, run evaluate for the results",
			errInterrupted)
	}
	return runEvaluate(ctx, o, stdout, stderr)
}

// runPrepare reads and checks the data before it creates anything under --out, so that
// bad input leaves no files behind. Ctrl-C stops prepare before it writes anything (run
// goes on to train's first point where Ctrl-C stops it); once writing has begun, it
// finishes.
func runPrepare(ctx context.Context, o *options, stdout, _ io.Writer) error {
	s, rep, err := readCandles(o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)

	ds, err := prepareDataset(o, s)
	if err != nil {
		return err
	}
	path := filepath.Join(o.out, train.DatasetFile)
	kept, err := saveDataset(ctx, o, ds, path, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, prepared(ds, path))
	if kept {
		fmt.Fprintf(stdout, "--resume: the same dataset as before; %s kept\n", path)
	}
	return nil
}

// readCandles reads --data with the reading flags, or the shipped candles without it.
func readCandles(o *options) (*data.Series, *data.Report, error) {
	if o.data == "" {
		return data.Default()
	}
	// A missing file is data's to report; a directory would read as an I/O error.
	if fi, err := os.Stat(o.data); err == nil && fi.IsDir() {
		return nil, nil, fmt.Errorf("--data %s: is a directory; give a candle file", o.data)
	}
	opt := data.Options{Fill: o.fill, DropBad: o.dropBad}
	if o.columns != "" {
		opt.Columns = strings.Split(o.columns, ",")
	}
	return data.ReadFile(o.data, opt)
}

// prepareDataset makes the tutorial's windows of s with --stride and --scale-on-whole,
// with the flag's fix when the stride leaves too few windows.
func prepareDataset(o *options, s *data.Series) (*train.Dataset, error) {
	if err := checkStride(o.stride, len(s.Candles), s.Source); err != nil {
		return nil, err
	}
	ds, err := train.Prepare(s, train.PrepareOptions{Stride: o.stride,
		ScaleOnWhole: o.scaleOnWhole})
	if err != nil {
		return nil, strideFix(err, s, o.stride)
	}
	return ds, nil
}

// saveDataset saves ds at path under --out, creating --out, unless keepDataset finds
// it saved there already (run --resume); it says whether it kept the saved one. Saving
// over another dataset first removes the outputs that describe that one (outdated).
func saveDataset(ctx context.Context, o *options, ds *train.Dataset, path string,
	stdout io.Writer) (kept bool, err error) {
	if o.cmd == "prepare" && !claimWrites(ctx, "prepare is writing "+path) {
		return false, fmt.Errorf("prepare %w before writing anything: --out %s is as it "+
			"was", errInterrupted, o.out)
	}
	if err := outDir(o, true); err != nil {
		return false, err
	}
	if kept, err = keepDataset(o, ds, path); err != nil || kept {
		return kept, err
	}
	// run trains next: everything it writes is checked before the dataset is.
	check := writableDir
	if o.cmd == "run" {
		check = writableOut
	}
	if err := check(o.out); err != nil {
		return false, err
	}
	other, err := replacesOther(ds, path)
	if err != nil {
		return false, err
	}
	if other {
		if err := outdated(o, stdout); err != nil {
			return false, err
		}
	}
	return false, ds.Save(path)
}

// replacesOther says whether saving ds at path replaces another dataset (one that does
// not load counts as another).
func replacesOther(ds *train.Dataset, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := ds.SetDigest(); err != nil {
		return false, err
	}
	saved, err := train.LoadDataset(path)
	return err != nil || saved.Digest != ds.Digest, nil
}

// outdated removes the outputs of evaluate in --out, which describe the dataset that
// prepare replaces (its scaler, its validation windows): results.md and the plots; it
// names them in one line, and says in another which models' checkpoints were trained on
// that dataset and what becomes of them.
func outdated(o *options, stdout io.Writer) error {
	names := []string{"results.md", "predictions.png"}
	var trained []string
	for _, m := range train.Models {
		names = append(names, m+"-predictions.png")
		ckpts := filepath.Join(o.out, "checkpoints", m+"-*.safetensors")
		if paths, _ := filepath.Glob(ckpts); len(paths) > 0 {
			trained = append(trained, m)
		}
	}
	var removed []string
	for _, name := range names {
		err := os.Remove(filepath.Join(o.out, name))
		switch {
		case err == nil:
			removed = append(removed, name)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("--out %s: cannot remove %s, which describes the dataset "+
				"prepare replaces (%v); remove it yourself, or choose another --out", o.out,
				name, fsmsg.Cause(err))
		}
	}
	if len(removed) > 0 {
		fmt.Fprintf(stdout, "removed %s from %s: they describe the dataset this one "+
			"replaces\n", english.And(removed), o.out)
	}
	if len(trained) == 0 {
		return nil
	}
	again := "demo train (without --resume) trains them again on this one"
	if o.cmd == "run" {
		again = "this run trains " + strings.Join(o.modelList, ", ") + " again"
	}
	fmt.Fprintf(stdout, "note: the %s checkpoints in %s were trained on the dataset this "+
		"one replaces: --resume and evaluate refuse them; %s\n",
		strings.Join(trained, ", "), filepath.Join(o.out, "checkpoints"), again)
	return nil
}

// prepared is the line that closes prepare: the windows of ds, its scaler and its path.
func prepared(ds *train.Dataset, path string) string {
	fitted := "the training windows"
	if ds.ScaleOnWhole {
		fitted = "the whole series"
	}
	return fmt.Sprintf("prepared %s and %s of %d+%d closes, "+
		"stride %d; min-max scaler [%.2f, %.2f] USD fitted on %s: %s",
		english.Count(ds.Train.Len(), "training window"),
		english.Count(ds.Val.Len(), "validation window"), ds.In, ds.Out, ds.Stride,
		ds.Scaler.Min, ds.Scaler.Max, fitted, path)
}

// keepDataset says whether run --resume finds ds already saved at path, which it then
// keeps. It refuses to replace a saved dataset with another one, which would strand the
// checkpoints trained on it; without --resume, or without a saved dataset, it returns
// false and prepare saves ds.
func keepDataset(o *options, ds *train.Dataset, path string) (bool, error) {
	if !o.resume {
		return false, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	saved, err := train.LoadDataset(path)
	if err != nil {
		return false, err
	}
	if err := ds.SetDigest(); err != nil {
		return false, err
	}
	if saved.Digest != ds.Digest {
		return false, fmt.Errorf("--resume: these candles and flags make another dataset "+
			"than %s, which the checkpoints to resume were trained on (%s); give the first "+
			"run's values, or leave out --resume to start over", path,
			datasetChanges(saved, ds))
	}
	return true, nil
}

// datasetChanges names what differs between the saved dataset and the one this run's
// flags make: the flags a dataset records (--stride, --scale-on-whole, the --data file's
// name), else the candles themselves, which --data's contents, --fill, --drop-bad and
// --columns decide.
func datasetChanges(saved, now *train.Dataset) string {
	var diffs []string
	if saved.Source != now.Source {
		diffs = append(diffs, fmt.Sprintf("--data was %s, now %s", saved.Source, now.Source))
	}
	if saved.Stride != now.Stride {
		diffs = append(diffs, fmt.Sprintf("--stride was %d, now %d", saved.Stride, now.Stride))
	}
	if saved.ScaleOnWhole != now.ScaleOnWhole {
		diffs = append(diffs, fmt.Sprintf("--scale-on-whole was %t, now %t",
			saved.ScaleOnWhole, now.ScaleOnWhole))
	}
	if len(diffs) > 0 {
		return english.And(diffs)
	}
	if !slices.Equal(saved.Times, now.Times) || !slices.Equal(saved.Closes, now.Closes) {
		return fmt.Sprintf("the candles differ: %s then, %s now; check --data's contents, "+
			"--fill, --drop-bad and --columns", english.Count(len(saved.Closes), "candle"),
			english.Count(len(now.Closes), "candle"))
	}
	return "the windows or scaler differ"
}

// checkStride refuses a stride that leaves room for fewer than the two windows a split
// needs in rows candles, before data's message for a short series suggests a longer file.
func checkStride(stride, rows int, source string) error {
	window := train.TutorialIn + train.TutorialOut
	if rows <= window || stride <= rows-window {
		return nil
	}
	if stride > rows {
		return fmt.Errorf("--stride %d exceeds the %d rows of %s; use a stride of at most "+
			"%d (the rows less one window of %d)", stride, rows, source, rows-window, window)
	}
	return fmt.Errorf("--stride %d leaves room for one window of %d in the %d rows of %s, "+
		"and a split needs two; use a stride of at most %d", stride, window, rows, source,
		rows-window)
}

// strideFix gives data.Split's error for windows that leave none to validate the fixes
// the command offers: a longer file, or the smallest larger --stride that leaves a
// validation window, when one does. (The library's own message also suggests a smaller
// training fraction, PrepareOptions.TrainFrac, which no flag sets.) Other errors pass.
func strideFix(err error, s *data.Series, stride int) error {
	var nv *data.NoValidationError
	if !errors.As(err, &nv) {
		return err
	}
	fix := ": use a longer file"
	for st := stride + 1; st <= len(s.Candles)-train.TutorialIn-train.TutorialOut; st++ {
		if _, _, err := data.Split(s, train.TutorialIn, train.TutorialOut, st,
			train.TrainFrac); err == nil {
			fix += fmt.Sprintf(", or a larger --stride (%d is the smallest that leaves one)",
				st)
			break
		}
	}
	return errors.New(nv.Reason() + fix)
}

// runTrain trains each --model in turn, once every check that could stop a later model
// has passed: the inputs, --out's write permission, every model's --init weights and,
// under --resume, every model's checkpoint and log. Only then does it remove anything.
// A fresh run (no --resume) removes the earlier run's checkpoints and log of every model
// it trains before the first can be interrupted, so that the --resume its interruption
// prints never continues them; it removes them with evaluate's outputs that they make
// stale, whenever Ctrl-C comes. A resumed run removes those outputs only when it trains:
// a Ctrl-C before then leaves every file as it was.
func runTrain(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	ds, err := trainDataset(o)
	if err != nil {
		return err
	}
	if err := writableOut(o.out); err != nil {
		return err
	}
	if err := initDefaults(o, stdout, stderr); err != nil {
		return err
	}
	cfgs := fitConfigs(o)
	notes, trains, err := planTrain(o, ds, cfgs)
	if err != nil {
		return err
	}
	if !o.resume {
		for _, model := range trains {
			if err := train.RemoveRun(o.out, model); err != nil {
				return err
			}
		}
	}
	if !o.resume || ctx.Err() == nil {
		if err := removeStale(o, trains, stdout); err != nil {
			return err
		}
	}

	for i, cfg := range cfgs {
		model := cfg.Model
		if notes[i] != "" {
			fmt.Fprintln(stdout, notes[i])
		}
		if slices.Contains(trains, model) {
			fmt.Fprintf(stdout, "training %s on %s, %s of up to %d per epoch\n", model,
				english.Count(ds.Train.Len(), "window"),
				english.Count((ds.Train.Len()+o.batch-1)/o.batch, "batch"), o.batch)
		}
		start := time.Now()
		p := newProgress(stdout, stderr)
		training.Store(true)
		h, err := train.Fit(ctx, ds, cfg, p.report)
		training.Store(false)
		p.close()
		if err != nil {
			return err
		}
		if len(h.Loss) == 0 {
			fmt.Fprintf(stdout, "%s: already trained to epoch %d of %d; nothing to do\n",
				model, h.First-1, o.epochs)
			continue
		}
		fmt.Fprintln(stdout, trained(model, h, time.Since(start), o.out))
	}
	return nil
}

// trainDataset checks the files train's flags name and reads the dataset to train on:
// the --windows files, or the dataset prepare saved in --out.
func trainDataset(o *options) (*train.Dataset, error) {
	for _, f := range []struct{ flag, path, what string }{
		{"windows", o.windows, "a CSV file of windows"},
		{"val-windows", o.valWindows, "a CSV file of windows"},
		{"init", o.init, "a safetensors file of weights"},
	} {
		if f.path != "" {
			if err := inputFile(f.flag, f.path, f.what); err != nil {
				return nil, err
			}
		}
	}
	if o.windows != "" {
		ds, err := train.WindowsDataset(o.windows, o.valWindows)
		if err == nil {
			err = outDir(o, true)
		}
		return ds, err
	}
	if err := outDir(o, false); err != nil {
		return nil, err
	}
	return train.LoadDataset(filepath.Join(o.out, train.DatasetFile))
}

// fitConfigs is train.Fit's configuration of each --model, from the command's flags.
func fitConfigs(o *options) []train.Config {
	cfgs := make([]train.Config, len(o.modelList))
	for i, model := range o.modelList {
		cfgs[i] = train.Config{Model: model, Epochs: o.epochs, Batch: o.batch, Seed: o.seed,
			OutDir: o.out, DType: o.dtype, Convention: o.convention, AdamForm: o.form,
			NoShuffle: o.noShuffle, NoDropout: o.noDropout, Init: o.init, Resume: o.resume,
			Devices: o.devices}
	}
	return cfgs
}

// planTrain checks every model before any trains or anything is printed or removed:
// without --resume, what a fresh start reads (CheckStart: the --init weights among it);
// with it, every model's checkpoint and log, so that one message lists every flag a
// resumed run lacks, and no model trains when another cannot resume. It returns each
// model's resumeNote ("" without --resume) and the models with epochs left to train.
func planTrain(o *options, ds *train.Dataset, cfgs []train.Config) (notes, trains []string,
	err error) {
	notes = make([]string, len(cfgs))
	var errs []error
	for i, cfg := range cfgs {
		more := true
		if o.resume {
			notes[i], more, err = resumeNote(o, ds, cfg)
		} else {
			err = train.CheckStart(ds, cfg)
		}
		errs = append(errs, err)
		if more {
			trains = append(trains, cfg.Model)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return notes, trains, nil
}

// trained is the line that closes a model's training: the epochs it trained, how long
// that took, the best val_loss of its whole log in out (a resumed run's earlier epochs
// too, as evaluate picks its checkpoint) and the log's path.
func trained(model string, h *train.History, took time.Duration, out string) string {
	best := 0
	for i, v := range h.ValLoss {
		if v < h.ValLoss[best] {
			best = i
		}
	}
	bestEpoch, bestVal := h.First+best, h.ValLoss[best]
	if e, v, err := train.LogBest(out, model); err == nil && v <= bestVal {
		bestEpoch, bestVal = e, v
	}
	epochs := fmt.Sprintf("epochs %d to %d", h.First, h.First+len(h.Loss)-1)
	if len(h.Loss) == 1 {
		epochs = fmt.Sprintf("epoch %d", h.First)
	}
	return fmt.Sprintf("%s: %s in %.1fs, best val_loss %.5f at epoch %d; log %s", model,
		epochs, took.Seconds(), bestVal, bestEpoch, filepath.Join(out, model+"-log.csv"))
}

// removeStale removes the outputs of an earlier evaluate in --out that training the
// models in trains makes stale, and says so in one line with the command that writes
// them again: each one's <model>-predictions.png, and results.md and predictions.png
// when results.md has a row of one of them (or is missing, so that predictions.png
// cannot be told apart). With nothing to train it removes nothing.
func removeStale(o *options, trains []string, stdout io.Writer) error {
	if len(trains) == 0 {
		return nil
	}
	covered, known := train.ResultsModels(filepath.Join(o.out, "results.md"))
	var stale []string
	if !known || slices.ContainsFunc(trains, func(m string) bool {
		return slices.Contains(covered, m)
	}) {
		stale = append(stale, "results.md", "predictions.png")
	}
	for _, m := range trains {
		stale = append(stale, m+"-predictions.png")
	}
	var removed []string
	for _, name := range stale {
		err := os.Remove(filepath.Join(o.out, name))
		switch {
		case err == nil:
			removed = append(removed, name)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("--out %s: cannot remove %s, which would no longer match the "+
				"checkpoints (%v); remove it yourself, or choose another --out", o.out, name,
				fsmsg.Cause(err))
		}
	}
	if len(removed) == 0 {
		return nil
	}

	again := "run's evaluate writes them again after training"
	if o.cmd != "run" {
		var models []string
		for _, m := range train.Models {
			if slices.Contains(covered, m) || slices.Contains(trains, m) {
				models = append(models, m)
			}
		}
		again = "demo evaluate --out " + shellQuote(o.out)
		if len(models) < len(train.Models) {
			again += " --model " + strings.Join(models, ",")
		}
		again += " writes them again once training is done"
	}
	they, it := "they show", "them"
	if len(removed) == 1 {
		they, it = "it shows", "it"
	}
	again = strings.Replace(again, "writes them again", "writes "+it+" again", 1)
	fmt.Fprintf(stdout, "removed %s from %s: %s the %s checkpoints this training "+
		"replaces; %s\n", english.And(removed), o.out, they, strings.Join(trains, ", "), again)
	return nil
}

// resumeNote says where --resume will continue cfg's model from, and whether it has
// epochs left to train, or why it cannot: a checkpoint of another dataset, or one
// trained with other settings, for which it names the flags to add or leave out, or
// whatever else keeps Fit from resuming it (a damaged checkpoint, an edited log).
func resumeNote(o *options, ds *train.Dataset, cfg train.Config) (string, bool, error) {
	model, dir := cfg.Model, filepath.Join(o.out, "checkpoints")
	path, meta, err := train.CheckResume(ds, cfg)
	var se *train.SettingsError
	switch {
	case err == nil && meta.Batches != "":
		return fmt.Sprintf("resuming %s in epoch %d after batch %s from %s", model,
			meta.Epoch, meta.Batches, path), true, nil
	case err == nil:
		return fmt.Sprintf("resuming %s after epoch %d from %s", model, meta.Epoch, path),
			meta.Epoch < cfg.Epochs, nil
	case errors.Is(err, train.ErrNoCheckpoint):
		return fmt.Sprintf("no %s checkpoint to resume: starting at epoch 1", model),
			true, nil
	case errors.Is(err, train.ErrOtherDataset):
		return "", false, fmt.Errorf("--resume: the %s checkpoints in %s were trained on "+
			"another dataset (prepared again since?); train without --resume to "+
			"start over (their checkpoints will be replaced)", model, dir)
	case errors.As(err, &se):
		return "", false, settingsFlags(o.cmd, se)
	}
	return "", false, err
}

// settingsFlags says which flags resume the checkpoint of se: those to add, and the
// switches to leave out.
func settingsFlags(cmd string, se *train.SettingsError) error {
	var add, drop []string
	trainOnly := false
	for _, d := range se.Diffs {
		switch d.Setting {
		case "shuffle", "dropout":
			flag := "--no-" + d.Setting
			if d.Got == "false" {
				add = append(add, flag)
			} else {
				drop = append(drop, flag)
			}
		default:
			flag := "--" + strings.ReplaceAll(d.Setting, "_", "-")
			add = append(add, flag+" "+d.Got)
			trainOnly = trainOnly || d.Setting == "convention" || d.Setting == "adam_form"
		}
	}
	var was []string
	if len(add) > 0 {
		was = append(was, "with "+strings.Join(add, " "))
	}
	if len(drop) > 0 {
		was = append(was, "without "+strings.Join(drop, " "))
	}
	var fix string
	switch {
	case len(drop) == 0 && len(add) == 1:
		fix = "add that flag"
	case len(drop) == 0:
		fix = "add those flags"
	case len(add) == 0:
		fix = "leave out " + strings.Join(drop, " ")
	default:
		fix = "add " + strings.Join(add, " ") + " and leave out " + strings.Join(drop, " ")
	}
	msg := fmt.Sprintf("--resume: %s was trained %s; %s to resume it", se.Path,
		strings.Join(was, " and "), fix)
	if trainOnly && cmd == "run" {
		msg += " (--convention and --adam-form are train's: resume with demo train " +
			"--resume, then demo evaluate)"
	}
	return errors.New(msg)
}

// windowsEval says why evaluate does not score a --windows run, and what does.
const windowsEval = "evaluate scores runs on prepared candles; a --windows run has no " +
	"USD scale: use demo predict"

// runEvaluate scores the --model checkpoints in --out and the baselines on the
// validation windows, writes results.md and the plots there, and prints the table.
// Ctrl-C stops it before it writes anything; once writing has begun, it finishes.
func runEvaluate(ctx context.Context, o *options, stdout, _ io.Writer) error {
	ds, err := evalDataset(o)
	if err != nil {
		return err
	}
	models, err := evaluateModels(ctx, o, ds, stdout)
	if err == nil && !beginWrites(ctx) {
		err = evalInterrupted(o)
	}
	if err != nil {
		return err
	}
	path := filepath.Join(o.out, "results.md")
	others := otherOutputs(o.out, o.modelList)
	if err := writeResults(o, ds, models, others, path); err != nil {
		return err
	}
	if err := plotPredictions(o.out, ds, models); err != nil {
		return err
	}

	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s\nwrote %s and the plots in %s\n", b, path, o.out)
	if len(others) > 0 {
		fmt.Fprintf(stdout, "note: %s in %s are not evaluated now; results.md and "+
			"predictions.png cover %s only\n", strings.Join(others, ", "), o.out,
			strings.Join(o.modelList, ", "))
	}
	return nil
}

// evalDataset loads the dataset prepared in --out, or says that its checkpoints come
// from a --windows run, which has none to evaluate on.
func evalDataset(o *options) (*train.Dataset, error) {
	if err := outDir(o, false); err != nil {
		return nil, err
	}
	ckpts := filepath.Join(o.out, "checkpoints")
	ds, err := train.LoadDataset(filepath.Join(o.out, train.DatasetFile))
	if errors.Is(err, fs.ErrNotExist) && windowsRun(ckpts) {
		return nil, fmt.Errorf("%s: the checkpoints come from a --windows run; %s", ckpts,
			windowsEval)
	}
	return ds, err
}

// evalInterrupted is the error of evaluate stopped by Ctrl-C before it wrote anything,
// with the command that writes the outputs (run's own continue command follows it).
func evalInterrupted(o *options) error {
	again := "the command below finishes the run"
	if o.cmd != "run" {
		again = "demo evaluate --out " + shellQuote(o.out) + " --model " +
			strings.Join(o.modelList, ",") + " writes them"
	}
	return fmt.Errorf("evaluate %w before writing anything: results.md and the plots in "+
		"%s are as they were; %s", errInterrupted, o.out, again)
}

// evaluateModels scores each --model's checkpoint in --out on ds, stopping when ctx is
// cancelled. A model without any checkpoint is an error that names the models that have
// one; a best epoch of the log without its checkpoint draws a note on stdout.
func evaluateModels(ctx context.Context, o *options, ds *train.Dataset,
	stdout io.Writer) ([]train.Result, error) {
	ckpts := filepath.Join(o.out, "checkpoints")
	var models []train.Result
	for _, name := range o.modelList {
		if ctx.Err() != nil {
			return nil, evalInterrupted(o)
		}
		r, err := train.EvaluateModel(ds, o.out, name, o.batch)
		if errors.Is(err, train.ErrWindowsRun) {
			return nil, fmt.Errorf("%s: the %s checkpoints come from a --windows run; %s",
				ckpts, name, windowsEval)
		}
		if err != nil && !hasCheckpoints(ckpts, name) {
			return nil, noCheckpoint(o, ckpts, name)
		}
		if err != nil {
			return nil, err
		}
		if e, v, err := train.LogBest(o.out, name); err == nil && e != r.Epoch &&
			v < r.ValLoss {
			fmt.Fprintf(stdout, "note: the best epoch of %s's log, %d (val_loss %.5f), "+
				"has no checkpoint in %s; evaluating epoch %d, the best checkpoint there\n",
				name, e, v, ckpts, r.Epoch)
		}
		models = append(models, r)
	}
	return models, nil
}

// writeResults writes results.md at path: the models, then the baselines, with a note
// naming others, the outputs of models an earlier run left in --out.
func writeResults(o *options, ds *train.Dataset, models []train.Result, others []string,
	path string) error {
	baselines, err := train.Baselines(ds)
	if err != nil {
		return err
	}
	results := append(append([]train.Result(nil), models...), baselines...)
	var notes []string
	if len(others) > 0 {
		notes = append(notes, fmt.Sprintf("Not in this table: %s in this directory, "+
			"not evaluated now; `%s` scores them with these.",
			strings.Join(others, ", "), evaluateAll(o)))
	}
	return train.WriteResults(path, ds, results, notes...)
}

// plotPredictions plots each model's predictions in out, <model>-predictions.png, and
// all of them together, predictions.png.
func plotPredictions(out string, ds *train.Dataset, models []train.Result) error {
	for _, r := range models {
		png := filepath.Join(out, r.Name+"-predictions.png")
		title := fmt.Sprintf("%s: validation closes and predictions (USD)", r.Name)
		if err := train.PlotPredictions(png, title, ds, []train.Result{r}); err != nil {
			return err
		}
	}
	png := filepath.Join(out, "predictions.png")
	return train.PlotPredictions(png, "validation closes and predictions (USD)", ds,
		models)
}

// evaluateAll is the command that evaluates every model in o.out, to be copied as it
// is: --out always, since the default ./out is another directory than o.out may be.
// (--batch only sizes the forward passes.)
func evaluateAll(o *options) string {
	return "demo evaluate --out " + shellQuote(o.out) + " --model " +
		strings.Join(train.Models, ",")
}

// otherOutputs lists the files in out of the models not in models, which an earlier run
// left: "lstm-log.csv", "lstm-predictions.png", "checkpoints/lstm-*.safetensors".
func otherOutputs(out string, models []string) []string {
	var files []string
	for _, m := range train.Models {
		if slices.Contains(models, m) {
			continue
		}
		for _, name := range []string{m + "-log.csv", m + "-predictions.png"} {
			if _, err := os.Stat(filepath.Join(out, name)); err == nil {
				files = append(files, name)
			}
		}
		pattern := filepath.Join("checkpoints", m+"-*.safetensors")
		if paths, _ := filepath.Glob(filepath.Join(out, pattern)); len(paths) > 0 {
			files = append(files, pattern)
		}
	}
	return files
}

// windowsRun says whether a checkpoint in dir was trained on --windows files.
func windowsRun(dir string) bool {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	for _, p := range paths {
		if meta, _, err := train.ReadCheckpoint(p); err == nil && meta.FromWindows() {
			return true
		}
	}
	return false
}

// progress turns train.Events into a progress bar on stderr, when stderr is a terminal,
// and one line per epoch on stdout.
type progress struct {
	stdout, stderr io.Writer
	tty            bool
	bar            *progressbar.ProgressBar
}

func newProgress(stdout, stderr io.Writer) *progress {
	p := &progress{stdout: stdout, stderr: stderr}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) report(e train.Event) {
	if p.tty && p.bar == nil && !e.EpochDone {
		p.bar = progressbar.NewOptions(e.Batches,
			progressbar.OptionSetWriter(p.stderr),
			progressbar.OptionSetDescription(fmt.Sprintf("%s epoch %d/%d", e.Model, e.Epoch,
				e.Epochs)),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	if p.bar != nil {
		p.bar.Set(e.Batch)
	}
	if !e.EpochDone {
		return
	}
	p.close()
	fmt.Fprintf(p.stdout, "epoch %d/%d  loss %.5f  val_loss %.5f  %.1fs\n",
		e.Epoch, e.Epochs, e.Loss, e.ValLoss, e.Elapsed.Seconds())
}

// close removes a bar left on the terminal, after the last epoch or an early stop.
func (p *progress) close() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear()
		p.bar = nil
	}
}

// runSources prints the provenance note embedded beside the default candles.
func runSources(_ context.Context, _ *options, stdout, _ io.Writer) error {
	_, err := io.WriteString(stdout, data.Provenance())
	return err
}
