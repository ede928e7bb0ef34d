package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/nlpodyssey/safetensors"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/internal/english"
)

// The tutorial's window: 256 past closes in, the next 16 closes out.
const (
	TutorialIn  = 256
	TutorialOut = 16
	// TutorialStride makes windows of In+Out steps that neither overlap nor leave gaps,
	// as the tutorial cut its series.
	TutorialStride = TutorialIn + TutorialOut
	// TrainFrac is the share of windows, earliest first, used for training; the rest
	// validate. The tutorial split 80/20 in time order.
	TrainFrac = 0.8
)

// DatasetFile is the name of the prepared dataset inside an output directory.
const DatasetFile = "dataset.safetensors"

const (
	datasetFormat  = "seqnn-dataset"
	datasetVersion = "1"
)

// PrepareOptions says how Prepare cuts and scales a series.
type PrepareOptions struct {
	In, Out      int     // steps per window in and out; 0 means TutorialIn, TutorialOut
	Stride       int     // steps between window starts; 0 means In+Out
	TrainFrac    float64 // 0 means TrainFrac
	ScaleOnWhole bool    // fit the scaler on the whole series, as the tutorial did
}

// Dataset is a series cut into training and validation windows, scaled for the models,
// with what is needed to go back to USD and to plot against time.
type Dataset struct {
	Source       string // where the candles came from (a file name)
	In, Out      int
	Stride       int
	TrainFrac    float64
	ScaleOnWhole bool

	// Scaler maps USD to the models' space. Without ScaleOnWhole it is fitted on the
	// closes of the training windows only (inputs and targets), so nothing of the
	// validation period leaks into training; validation values may then fall outside
	// [0, 1].
	Scaler data.MinMax

	Times  []int64   // (L) candle start times, Unix seconds UTC
	Closes []float64 // (L) closes in USD

	Train, Val *data.Windows // scaled windows: X (N, In), Y (N, Out), Start (N)

	// Digest is the SHA-256 of the file the dataset was read from, hex; checkpoints
	// record it so that evaluation never mixes a model with another dataset. Empty for a
	// dataset built in memory until it is saved.
	Digest string
}

// Prepare cuts s into windows with data.Split, fits the min-max scaler and scales the
// windows. It fails, with a message naming s.Source, when the series gives no training
// or no validation window, and when s is nil.
func Prepare(s *data.Series, opt PrepareOptions) (*Dataset, error) {
	if s == nil {
		return nil, fmt.Errorf("prepare: no series (nil *data.Series): read the candles " +
			"with data.ReadFile, data.Read or data.Default first")
	}
	if opt.In == 0 {
		opt.In = TutorialIn
	}
	if opt.Out == 0 {
		opt.Out = TutorialOut
	}
	if opt.Stride == 0 {
		opt.Stride = opt.In + opt.Out
	}
	if opt.TrainFrac == 0 {
		opt.TrainFrac = TrainFrac
	}
	if opt.In < 1 || opt.Out < 1 || opt.Stride < 1 || opt.Out > opt.In {
		return nil, fmt.Errorf("window of %d in, %d out at stride %d: all must be at least 1, "+
			"and out at most in", opt.In, opt.Out, opt.Stride)
	}
	if !(opt.TrainFrac > 0 && opt.TrainFrac < 1) {
		return nil, fmt.Errorf("training fraction %v: must be between 0 and 1", opt.TrainFrac)
	}

	tr, va, err := data.Split(s, opt.In, opt.Out, opt.Stride, opt.TrainFrac)
	if err != nil {
		return nil, err
	}
	if tr.Len() == 0 || va.Len() == 0 {
		return nil, fmt.Errorf("%s: %s give %s and %s of %d+%d steps at stride %d; need at "+
			"least one of each", s.Source, english.Count(len(s.Candles), "candle"),
			english.Count(tr.Len(), "training window"),
			english.Count(va.Len(), "validation window"), opt.In, opt.Out, opt.Stride)
	}

	closes := s.Closes()
	fitOn := closes
	if !opt.ScaleOnWhole {
		fitOn = append(append([]float64(nil), tr.X...), tr.Y...)
	}
	sc, err := data.FitMinMax(fitOn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Source, err)
	}

	ds := &Dataset{
		Source: s.Source, In: opt.In, Out: opt.Out, Stride: opt.Stride,
		TrainFrac: opt.TrainFrac, ScaleOnWhole: opt.ScaleOnWhole, Scaler: sc,
		Times: make([]int64, len(s.Candles)), Closes: closes,
		Train: scaleWindows(tr, sc), Val: scaleWindows(va, sc),
	}
	for i, c := range s.Candles {
		ds.Times[i] = c.Time
	}
	return ds, nil
}

func scaleWindows(w *data.Windows, sc data.MinMax) *data.Windows {
	s := &data.Windows{In: w.In, Out: w.Out, X: make([]float64, len(w.X)),
		Y: make([]float64, len(w.Y)), Start: append([]int(nil), w.Start...)}
	sc.ScaleTo(s.X, w.X)
	sc.ScaleTo(s.Y, w.Y)
	return s
}

// Save writes the dataset to path as one safetensors file: the windows and the series
// as tensors, the settings and the scaler as metadata. It sets ds.Digest.
func (ds *Dataset) Save(path string) error {
	if err := ds.check("save dataset " + path); err != nil {
		return err
	}
	buf, err := ds.encode()
	if err != nil {
		return fmt.Errorf("save dataset %s: %w", path, err)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf)
		return err
	}); err != nil {
		return err
	}
	ds.Digest = digest(buf)
	return nil
}

// SetDigest sets ds.Digest to what Save would, without writing: a run that resumes
// compares it with the saved dataset's before replacing that file.
func (ds *Dataset) SetDigest() error {
	if err := ds.check("dataset digest"); err != nil {
		return err
	}
	buf, err := ds.encode()
	if err != nil {
		return err
	}
	ds.Digest = digest(buf)
	return nil
}

// encode is the file Save writes.
func (ds *Dataset) encode() ([]byte, error) {
	meta := map[string]string{
		"format":         datasetFormat,
		"version":        datasetVersion,
		"source":         ds.Source,
		"in":             strconv.Itoa(ds.In),
		"out":            strconv.Itoa(ds.Out),
		"stride":         strconv.Itoa(ds.Stride),
		"train_frac":     formatFloat(ds.TrainFrac),
		"scale_on_whole": strconv.FormatBool(ds.ScaleOnWhole),
		"scale_min":      formatFloat(ds.Scaler.Min),
		"scale_max":      formatFloat(ds.Scaler.Max),
	}
	L := len(ds.Closes)
	tensors := map[string]safetensors.TensorView{
		"series/time":  i64View(ds.Times, L),
		"series/close": f64View(ds.Closes, L),
	}
	for _, p := range []struct {
		name string
		w    *data.Windows
	}{{"train", ds.Train}, {"val", ds.Val}} {
		N := p.w.Len()
		tensors[p.name+"/x"] = f64View(p.w.X, N, ds.In)
		tensors[p.name+"/y"] = f64View(p.w.Y, N, ds.Out)
		tensors[p.name+"/start"] = i64View(intsTo64(p.w.Start), N)
	}

	return safetensors.Serialize(tensors, meta)
}

// LoadDataset reads a dataset written by Save and checks that its parts agree.
func LoadDataset(path string) (*Dataset, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read prepared dataset: %w (run prepare first)", err)
	}
	meta, f, err := openTensorFile(path, buf, datasetFormat, datasetVersion)
	if err != nil {
		return nil, err
	}

	ds := &Dataset{Source: meta["source"], Digest: digest(buf)}
	p := metaParser{path: path, meta: meta}
	ds.In = p.int("in")
	ds.Out = p.int("out")
	ds.Stride = p.int("stride")
	ds.TrainFrac = p.float("train_frac")
	ds.ScaleOnWhole = p.bool("scale_on_whole")
	ds.Scaler = data.MinMax{Min: p.float("scale_min"), Max: p.float("scale_max")}
	if p.err != nil {
		return nil, p.err
	}
	if ds.In < 1 || ds.Out < 1 || ds.Out > ds.In || ds.Stride < 1 ||
		!(ds.Scaler.Max > ds.Scaler.Min) {
		return nil, fmt.Errorf("%s: bad settings in=%d out=%d stride=%d scaler=[%v, %v]",
			path, ds.In, ds.Out, ds.Stride, ds.Scaler.Min, ds.Scaler.Max)
	}

	if ds.Times, _, err = f.i64("series/time", -1); err != nil {
		return nil, err
	}
	L := len(ds.Times)
	if ds.Closes, _, err = f.f64("series/close", L); err != nil {
		return nil, err
	}
	for _, name := range []string{"train", "val"} {
		w := &data.Windows{In: ds.In, Out: ds.Out}
		var shape []int
		if w.X, shape, err = f.f64(name+"/x", -1, ds.In); err != nil {
			return nil, err
		}
		N := shape[0]
		if w.Y, _, err = f.f64(name+"/y", N, ds.Out); err != nil {
			return nil, err
		}
		starts, _, err := f.i64(name+"/start", N)
		if err != nil {
			return nil, err
		}
		for _, s := range starts {
			if s < 0 || s+int64(ds.In+ds.Out) > int64(L) {
				return nil, fmt.Errorf("%s: %s window start %d outside the %d-candle series",
					path, name, s, L)
			}
			w.Start = append(w.Start, int(s))
		}
		if N == 0 {
			return nil, fmt.Errorf("%s: no %s windows", path, name)
		}
		if name == "train" {
			ds.Train = w
		} else {
			ds.Val = w
		}
	}
	return ds, nil
}

// ValTimes returns the candle time of every validation target, (N, Out). It returns nil
// for a dataset without a series that covers them (nil, or made by WindowsDataset).
func (ds *Dataset) ValTimes() []int64 {
	if ds.checkSeries("") != nil {
		return nil
	}
	t := make([]int64, 0, ds.Val.Len()*ds.Out)
	for _, s := range ds.Val.Start {
		t = append(t, ds.Times[s+ds.In:s+ds.In+ds.Out]...)
	}
	return t
}

// openTensorFile parses a safetensors file and checks its format and version metadata.
func openTensorFile(path string, buf []byte, format, version string) (
	map[string]string, tensorFile, error) {
	fix := datasetFix
	if format == checkpointFormat {
		fix = checkpointFix
	}
	meta, st, err := readSafetensors(path, buf, fix)
	if err != nil {
		return nil, tensorFile{}, err
	}
	if meta["format"] != format {
		return nil, tensorFile{}, fmt.Errorf("%s: format %q, want %q", path, meta["format"], format)
	}
	if meta["version"] != version {
		return nil, tensorFile{}, fmt.Errorf("%s: %s version %q, this program reads %q",
			path, format, meta["version"], version)
	}
	return meta, tensorFile{path: path, st: st}, nil
}

// metaParser reads typed values from safetensors metadata, keeping the first error.
type metaParser struct {
	path string
	meta map[string]string
	err  error
}

func (p *metaParser) get(key string, parse func(string) error) {
	if p.err != nil {
		return
	}
	v, ok := p.meta[key]
	if !ok {
		p.err = fmt.Errorf("%s: metadata has no %q", p.path, key)
		return
	}
	if err := parse(v); err != nil {
		p.err = fmt.Errorf("%s: metadata %q: %w", p.path, key, err)
	}
}

func (p *metaParser) int(key string) (n int) {
	p.get(key, func(s string) (err error) { n, err = strconv.Atoi(s); return })
	return n
}

func (p *metaParser) float(key string) (x float64) {
	p.get(key, func(s string) (err error) { x, err = strconv.ParseFloat(s, 64); return })
	return x
}

func (p *metaParser) bool(key string) (b bool) {
	p.get(key, func(s string) (err error) { b, err = strconv.ParseBool(s); return })
	return b
}

func (p *metaParser) uint64(key string) (n uint64) {
	p.get(key, func(s string) (err error) { n, err = strconv.ParseUint(s, 10, 64); return })
	return n
}

// formatFloat writes x so that strconv.ParseFloat gives back the same float64.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func intsTo64(v []int) []int64 {
	w := make([]int64, len(v))
	for i, x := range v {
		w[i] = int64(x)
	}
	return w
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// check returns an error starting with what when ds cannot be trained on or scored: nil,
// without training or validation windows, or with windows whose sizes disagree with
// ds.In and ds.Out. Prepare, LoadDataset and WindowsDataset make datasets that pass.
func (ds *Dataset) check(what string) error {
	const fix = "make the dataset with Prepare, LoadDataset or WindowsDataset"
	if ds == nil {
		return fmt.Errorf("%s: no dataset (nil *Dataset): %s", what, fix)
	}
	if ds.In < 1 || ds.Out < 1 {
		return fmt.Errorf("%s: the dataset's windows are of %d in, %d out; both must be "+
			"at least 1: %s", what, ds.In, ds.Out, fix)
	}
	for _, p := range []struct {
		name string
		w    *data.Windows
	}{{"training", ds.Train}, {"validation", ds.Val}} {
		N := p.w.Len()
		if N == 0 && (p.w == nil || len(p.w.X)+len(p.w.Y) == 0) {
			return fmt.Errorf("%s: the dataset has no %s windows: %s", what, p.name, fix)
		}
		if err := raggedWindows(p.name, p.w, ds.In, ds.Out); err != nil {
			return fmt.Errorf("%s: %w: %s", what, err, fix)
		}
		if p.w.In != ds.In || p.w.Out != ds.Out || len(p.w.X) != N*ds.In ||
			len(p.w.Y) != N*ds.Out {
			return fmt.Errorf("%s: the dataset's %s windows hold %s and %s for %s of "+
				"%d in, %d out (want %d and %d): %s", what, p.name,
				english.Count(len(p.w.X), "input"), english.Count(len(p.w.Y), "target"),
				english.Count(N, "window"), ds.In, ds.Out, N*ds.In, N*ds.Out, fix)
		}
	}
	return nil
}

// raggedWindows says how the windows w, named name, fail to hold whole windows of in
// inputs and out targets, one per window start: X or Y not a whole number of windows,
// or X, Y and Start counting different numbers of windows. It returns nil when they
// agree, and leaves w.In and w.Out to check.
func raggedWindows(name string, w *data.Windows, in, out int) error {
	for _, f := range []struct {
		field string
		v     []float64
		size  int
		what  string
	}{{"X", w.X, in, "input"}, {"Y", w.Y, out, "target"}} {
		if len(f.v)%f.size != 0 {
			return fmt.Errorf("the %s windows' %s holds %s, not a whole number of windows "+
				"of %d (%s and %s left over)", name, f.field,
				english.Count(len(f.v), "value"), f.size,
				english.Count(len(f.v)/f.size, "window"),
				english.Count(len(f.v)%f.size, f.what))
		}
	}
	nx, ny, ns := len(w.X)/in, len(w.Y)/out, len(w.Start)
	if nx != ns || ny != ns {
		return fmt.Errorf("the %s windows are ragged: X holds the inputs of %s, Y the "+
			"targets of %d and Start %d; all three must count the same windows", name,
			english.Count(nx, "window"), ny, ns)
	}
	return nil
}

// checkSeries is check, and that ds.Times and ds.Closes cover every window's candles, as
// they do in a dataset from Prepare or LoadDataset; results and plots need them.
func (ds *Dataset) checkSeries(what string) error {
	if err := ds.check(what); err != nil {
		return err
	}
	L := len(ds.Times)
	for _, w := range []*data.Windows{ds.Train, ds.Val} {
		for _, s := range w.Start {
			if len(ds.Closes) != L || s < 0 || s+ds.In+ds.Out > L {
				return fmt.Errorf("%s: the dataset's series of %s does not hold the "+
					"windows' candles (a windows-file dataset has none): give a dataset "+
					"from Prepare or LoadDataset", what, english.Count(L, "candle"))
			}
		}
	}
	return nil
}
