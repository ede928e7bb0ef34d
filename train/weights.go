package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/seqnn/seqnn/nn"
)

// optimizerPrefix starts the names of the optimizer tensors a checkpoint stores beside
// the weights: "optimizer/m/lstm/kernel" and "optimizer/v/lstm/kernel" are Adam's moments
// of "lstm/kernel". Weight loaders skip them.
const optimizerPrefix = "optimizer/"

// WeightsFile is a safetensors file of weights under their Keras names, with its
// metadata: a checkpoint, a --init file, or one written by reference/convert.py.
// OpenWeights and ReadCheckpoint make one; Names and Floats read its tensors.
type WeightsFile struct {
	Path string            // the file it was read from, for messages
	Meta map[string]string // the safetensors metadata, as written
	file tensorFile
}

// Names lists the file's tensor names, sorted: the weights, and in a checkpoint Adam's
// moments under "optimizer/m/" and "optimizer/v/".
func (w *WeightsFile) Names() []string {
	if w == nil || w.file.path == "" {
		return nil
	}
	return w.file.names()
}

// Floats returns the tensor called name, F32 or F64, as float64 values in row-major
// order, with its shape. It fails when w holds no such tensor, the tensor is of another
// dtype, or a value is not finite.
func (w *WeightsFile) Floats(name string) ([]float64, []int, error) {
	if err := w.check(); err != nil {
		return nil, nil, err
	}
	tv, ok := w.file.st.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("%s: no tensor %q; it holds %s", w.Path, name,
			strings.Join(w.Names(), ", "))
	}
	shape := make([]int, len(tv.Shape()))
	for i, d := range tv.Shape() {
		if d > math.MaxInt32 {
			return nil, nil, fmt.Errorf("%s: tensor %q has shape %v", w.Path, name,
				tv.Shape())
		}
		shape[i] = int(d)
	}
	v, err := readFloats(w.file, name, shape)
	return v, shape, err
}

// check refuses a nil WeightsFile or one not made by OpenWeights or ReadCheckpoint.
func (w *WeightsFile) check() error {
	if w == nil || w.file.path == "" {
		return fmt.Errorf("weights: no file read (nil or empty *WeightsFile): open one " +
			"with OpenWeights or ReadCheckpoint")
	}
	return nil
}

// OpenWeights reads any safetensors file for LoadWeights; unlike ReadCheckpoint it asks
// for no particular metadata.
func OpenWeights(path string) (*WeightsFile, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read weights: %w", err)
	}
	meta, st, err := readSafetensors(path, buf, weightsFix)
	var d *damagedFile
	if err != nil && !errors.As(err, &d) {
		return nil, fmt.Errorf("%w; %s", err, weightsFix)
	}
	if err != nil {
		return nil, err
	}
	w := &WeightsFile{Path: path, Meta: meta, file: tensorFile{path: path, st: st}}
	if w.Meta["format"] == checkpointFormat {
		if err := w.file.verify(w.Meta); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// LoadWeights copies the file's tensors into m's parameters, converting F32 or F64 to
// T. Every parameter of m must be in the file under its Keras name, in its Keras shape;
// every tensor of the file outside "optimizer/" must be a parameter of m. Each error
// names the tensor, the shapes and, where a shape gives it away, the likely cause.
//
// It fails when w is nil or m is nil.
func LoadWeights[T nn.Float](w *WeightsFile, m *nn.Sequential[T], model string) error {
	if err := w.check(); err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%s: no %s model to load into (nil *nn.Sequential): build one "+
			"with BuildModel", w.Path, model)
	}
	params := m.Params()
	byName := map[string]bool{}
	for _, p := range params {
		byName[p.Name] = true
	}
	for _, name := range w.file.names() {
		if !strings.HasPrefix(name, optimizerPrefix) && !byName[name] {
			return fmt.Errorf("%s: tensor %q is not a weight of the %s model, whose "+
				"weights are %s (is this another model's file?)", w.Path, name, model,
				describeParams(m))
		}
	}
	for _, p := range params {
		if _, ok := w.file.st.Tensor(p.Name); !ok {
			return fmt.Errorf("%s: no tensor %q %v, which the %s model needs (its weights "+
				"are %s)", w.Path, p.Name, p.Shape, model, describeParams(m))
		}
		v, err := readFloats(w.file, p.Name, p.Shape)
		if err != nil {
			return err
		}
		for i, x := range v {
			p.W[i] = T(x)
		}
	}
	return nil
}

// readFloats returns the tensor called name, F32 or F64, as float64s, checking its
// shape against want.
func readFloats(f tensorFile, name string, want []int) ([]float64, error) {
	tv, ok := f.st.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%s: no tensor %q", f.path, name)
	}
	got := make([]int, len(tv.Shape()))
	for i, d := range tv.Shape() {
		got[i] = int(min(d, math.MaxInt32))
	}
	if !slices.Equal(got, want) {
		hint := ""
		if strings.HasSuffix(name, "gru/bias") && len(want) != len(got) {
			hint = "; a (2, 3H) GRU bias is the reset-after GRU of the pytorch convention, " +
				"a (3H) one Keras 2.1.1's reset-before GRU: set --convention to match"
		}
		return nil, fmt.Errorf("%s: tensor %q has shape %v, the model wants %v%s",
			f.path, name, got, want, hint)
	}
	b := tv.Data()
	v := make([]float64, numel(want))
	switch tv.DType() {
	case safetensors.F32:
		for i := range v {
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case safetensors.F64:
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	default:
		return nil, fmt.Errorf("%s: tensor %q is %s; weights must be F32 or F64",
			f.path, name, tv.DType())
	}
	if i := nonFinite(v); i >= 0 {
		return nil, fmt.Errorf("%s: tensor %q element %s is %v; every weight must be "+
			"finite: use the file of a run that did not diverge, or train again",
			f.path, name, elementIndex(i, want), v[i])
	}
	return v, nil
}

// nonFinite returns the index of the first NaN or ±Inf in v, or -1.
func nonFinite[T nn.Float](v []T) int {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// elementIndex writes the flat index i of a tensor of the given shape, with its index
// per dimension when there is more than one: "37 [0 37]".
func elementIndex(i int, shape []int) string {
	if len(shape) < 2 {
		return strconv.Itoa(i)
	}
	idx := make([]int, len(shape))
	for d, r := len(shape)-1, i; d >= 0; d-- {
		idx[d], r = r%shape[d], r/shape[d]
	}
	return fmt.Sprintf("%d %v", i, idx)
}

// numel returns the number of values of a tensor of the given shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// floatView stores v as F32 or F64 safetensors, whichever T is.
func floatView[T nn.Float](v []T, shape ...int) safetensors.TensorView {
	switch v := any(v).(type) {
	case []float32:
		return f32View(v, shape...)
	case []float64:
		return f64View(v, shape...)
	}
	panic("train: floatView: unknown element type")
}
