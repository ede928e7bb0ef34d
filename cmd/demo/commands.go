package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/seqnn/seqnn/data"
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
// bad input leaves no files behind.
func runPrepare(_ context.Context, o *options, stdout, _ io.Writer) error {
	var (
		s   *data.Series
		rep *data.Report
		err error
	)
	if o.data == "" {
		s, rep, err = data.Default()
	} else {
		// A missing file is data's to report; a directory would read as an I/O error.
		if fi, err := os.Stat(o.data); err == nil && fi.IsDir() {
			return fmt.Errorf("--data %s: is a directory; give a candle file", o.data)
		}
		opt := data.Options{Fill: o.fill, DropBad: o.dropBad}
		if o.columns != "" {
			opt.Columns = strings.Split(o.columns, ",")
		}
		s, rep, err = data.ReadFile(o.data, opt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)

	if err := checkStride(o.stride, len(s.Candles), s.Source); err != nil {
		return err
	}
	ds, err := train.Prepare(s, train.PrepareOptions{Stride: o.stride,
		ScaleOnWhole: o.scaleOnWhole})
	if err != nil {
		return err
	}
	if err := outDir(o.out, true); err != nil {
		return err
	}
	path := filepath.Join(o.out, train.DatasetFile)
	if err := ds.Save(path); err != nil {
		return err
	}
	fitted := "the training windows"
	if ds.ScaleOnWhole {
		fitted = "the whole series"
	}
	fmt.Fprintf(stdout, "prepared %d training and %d validation windows of %d+%d closes, "+
		"stride %d; min-max scaler [%.2f, %.2f] USD fitted on %s: %s\n",
		ds.Train.Len(), ds.Val.Len(), ds.In, ds.Out, ds.Stride, ds.Scaler.Min, ds.Scaler.Max,
		fitted, path)
	return nil
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

func runTrain(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	var (
		ds  *train.Dataset
		err error
	)
	for _, f := range []struct{ flag, path, what string }{
		{"windows", o.windows, "a CSV file of windows"},
		{"val-windows", o.valWindows, "a CSV file of windows"},
		{"init", o.init, "a safetensors file of weights"},
	} {
		if f.path != "" {
			if err := inputFile(f.flag, f.path, f.what); err != nil {
				return err
			}
		}
	}
	if o.windows != "" {
		ds, err = train.WindowsDataset(o.windows, o.valWindows)
		if err == nil {
			err = outDir(o.out, true)
		}
	} else if err = outDir(o.out, false); err == nil {
		ds, err = train.LoadDataset(filepath.Join(o.out, train.DatasetFile))
	}
	if err != nil {
		return err
	}
	// Results of an earlier run would no longer describe these checkpoints.
	stale := []string{"results.md", "predictions.png"}
	for _, m := range o.modelList {
		stale = append(stale, m+"-predictions.png")
	}
	for _, name := range stale {
		err := os.Remove(filepath.Join(o.out, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}

	for _, model := range o.modelList {
		cfg := train.Config{Model: model, Epochs: o.epochs, Batch: o.batch, Seed: o.seed,
			OutDir: o.out, DType: o.dtype, Convention: o.convention, AdamForm: o.form,
			NoShuffle: o.noShuffle, NoDropout: o.noDropout, Init: o.init, Resume: o.resume,
			Devices: o.devices}
		if o.resume {
			if err := resumeNote(stdout, filepath.Join(o.out, "checkpoints"), model,
				ds.Digest); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "training %s on %d windows, %d batches of up to %d per epoch\n",
			model, ds.Train.Len(), (ds.Train.Len()+o.batch-1)/o.batch, o.batch)
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
		best := 0
		for i, v := range h.ValLoss {
			if v < h.ValLoss[best] {
				best = i
			}
		}
		fmt.Fprintf(stdout, "%s: epochs %d to %d in %.1fs, best val_loss %.5f at epoch %d; "+
			"log %s\n", model, h.First, h.First+len(h.Loss)-1, time.Since(start).Seconds(),
			h.ValLoss[best], h.First+best, filepath.Join(o.out, model+"-log.csv"))
	}
	return nil
}

// resumeNote says where --resume will continue the model from its checkpoints in dir
// for the dataset with the given digest, or refuses checkpoints of another dataset.
func resumeNote(stdout io.Writer, dir, model, digest string) error {
	path, meta, err := train.LastCheckpoint(dir, model, digest)
	switch {
	case err == nil && meta.Batches != "":
		fmt.Fprintf(stdout, "resuming %s in epoch %d after batch %s from %s\n",
			model, meta.Epoch, meta.Batches, path)
	case err == nil:
		fmt.Fprintf(stdout, "resuming %s after epoch %d from %s\n", model, meta.Epoch, path)
	case errors.Is(err, train.ErrNoCheckpoint):
		fmt.Fprintf(stdout, "no %s checkpoint to resume: starting at epoch 1\n", model)
	case errors.Is(err, train.ErrOtherDataset):
		return fmt.Errorf("--resume: the %s checkpoints in %s were trained on "+
			"another dataset (prepared again since?); train without --resume to "+
			"start over (their checkpoints will be replaced)", model, dir)
	default:
		return err
	}
	return nil
}

// windowsEval says why evaluate does not score a --windows run, and what does.
const windowsEval = "evaluate scores runs on prepared candles; a --windows run has no " +
	"USD scale: use demo predict"

func runEvaluate(_ context.Context, o *options, stdout, _ io.Writer) error {
	if err := outDir(o.out, false); err != nil {
		return err
	}
	ckpts := filepath.Join(o.out, "checkpoints")
	ds, err := train.LoadDataset(filepath.Join(o.out, train.DatasetFile))
	if errors.Is(err, fs.ErrNotExist) && windowsRun(ckpts) {
		return fmt.Errorf("%s: the checkpoints come from a --windows run; %s", ckpts,
			windowsEval)
	}
	if err != nil {
		return err
	}
	var models []train.Result
	for _, name := range o.modelList {
		r, err := train.EvaluateModel(ds, o.out, name, o.batch)
		if errors.Is(err, train.ErrWindowsRun) {
			return fmt.Errorf("%s: the %s checkpoints come from a --windows run; %s", ckpts,
				name, windowsEval)
		}
		if err != nil {
			return err
		}
		models = append(models, r)
	}
	baselines, err := train.Baselines(ds)
	if err != nil {
		return err
	}
	results := append(append([]train.Result(nil), models...), baselines...)

	path := filepath.Join(o.out, "results.md")
	if err := train.WriteResults(path, ds, results); err != nil {
		return err
	}
	for _, r := range models {
		png := filepath.Join(o.out, r.Name+"-predictions.png")
		title := fmt.Sprintf("%s: validation closes and predictions (USD)", r.Name)
		if err := train.PlotPredictions(png, title, ds, []train.Result{r}); err != nil {
			return err
		}
	}
	png := filepath.Join(o.out, "predictions.png")
	if err := train.PlotPredictions(png, "validation closes and predictions (USD)", ds,
		models); err != nil {
		return err
	}

	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s\nwrote %s and the plots in %s\n", b, path, o.out)
	return nil
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
