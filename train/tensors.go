package train

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"
)

// Helpers between Go slices and safetensors views. Safetensors stores every tensor
// little-endian and row-major, with its dtype and shape in the JSON header.

func f32View(v []float32, shape ...int) safetensors.TensorView {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return newView(safetensors.F32, shape, b)
}

func f64View(v []float64, shape ...int) safetensors.TensorView {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return newView(safetensors.F64, shape, b)
}

func i64View(v []int64, shape ...int) safetensors.TensorView {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return newView(safetensors.I64, shape, b)
}

// newView panics when b does not hold the shape: the callers build both from one slice,
// so a mismatch is a bug here, not bad input.
func newView(dt safetensors.DType, shape []int, b []byte) safetensors.TensorView {
	s := make([]uint64, len(shape))
	for i, d := range shape {
		s[i] = uint64(d)
	}
	tv, err := safetensors.NewTensorView(dt, s, b)
	if err != nil {
		panic(fmt.Sprintf("train: tensor of shape %v: %v", shape, err))
	}
	return tv
}

// tensorFile is a deserialized safetensors file with the name of the file it came from,
// for error messages.
type tensorFile struct {
	path string
	st   safetensors.SafeTensors
}

// view returns the tensor called name, checking its dtype and, where a dimension of want
// is not -1, its shape. It returns the shape found.
func (f tensorFile) view(name string, dt safetensors.DType, want ...int) (
	safetensors.TensorView, []int, error) {
	tv, ok := f.st.Tensor(name)
	if !ok {
		return tv, nil, fmt.Errorf("%s: no tensor %q", f.path, name)
	}
	if tv.DType() != dt {
		return tv, nil, fmt.Errorf("%s: tensor %q is %s, want %s", f.path, name, tv.DType(), dt)
	}
	shape := make([]int, len(tv.Shape()))
	for i, d := range tv.Shape() {
		if d > math.MaxInt32 {
			return tv, nil, fmt.Errorf("%s: tensor %q has shape %v", f.path, name, tv.Shape())
		}
		shape[i] = int(d)
	}
	ok = len(shape) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i] < 0 || want[i] == shape[i]
	}
	if !ok {
		return tv, nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", f.path, name, shape, want)
	}
	return tv, shape, nil
}

func (f tensorFile) f64(name string, want ...int) ([]float64, []int, error) {
	tv, shape, err := f.view(name, safetensors.F64, want...)
	if err != nil {
		return nil, nil, err
	}
	b := tv.Data()
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, shape, nil
}

func (f tensorFile) i64(name string, want ...int) ([]int64, []int, error) {
	tv, shape, err := f.view(name, safetensors.I64, want...)
	if err != nil {
		return nil, nil, err
	}
	b := tv.Data()
	v := make([]int64, len(b)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, shape, nil
}

// names lists the file's tensor names, sorted.
func (f tensorFile) names() []string {
	n := f.st.Names()
	slices.Sort(n)
	return n
}

// maxHeader bounds the header size of a safetensors file that checkHeader takes for
// truncated, rather than for another kind of file, when the file ends inside it.
const maxHeader = 100 << 20

// checkHeader says plainly that buf, the contents of the file at path, is not a
// safetensors file when it does not start as one: an 8-byte little-endian header size
// that fits in the file, then a JSON object. The safetensors package would report a CSV
// file's first 8 bytes read as a size ("header too large: ... 7451601598351171940").
//
// A file that starts as one, with a header size below maxHeader, but ends inside its
// header is a truncated one: a *damagedFile error ending in fix.
func checkHeader(path string, buf []byte, fix string) error {
	const what = "a safetensors file starts with an 8-byte header size and a JSON header"
	if len(buf) < 10 {
		return fmt.Errorf("%s: not a safetensors file: it holds %d bytes, where %s", path,
			len(buf), what)
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if buf[8] == '{' && n > uint64(len(buf)-8) && n <= maxHeader {
		return &damagedFile{fmt.Sprintf("%s: the file is truncated: it holds %d bytes, "+
			"where its header alone takes %d; %s", path, len(buf), 8+n, fix)}
	}
	if n > uint64(len(buf)-8) || buf[8] != '{' {
		return fmt.Errorf("%s: not a safetensors file: it starts with %q, where %s", path,
			buf[:min(len(buf), 24)], what)
	}
	return nil
}

// What to do about a file that is truncated or damaged, by the format its header
// records: each is the end of a damagedFile message, and checkpointFix of a checksum
// mismatch too.
const (
	checkpointFix = "delete it (train --resume continues from the checkpoint before it)"
	datasetFix    = "prepare the dataset again"
	weightsFix    = "give a checkpoint (<out>/checkpoints/*.safetensors) or weights " +
		"written by reference/convert.py"
)

// damagedFile is the error of a file that starts as a safetensors file but is cut short
// or does not parse. Its message says which, and ends with the fix.
type damagedFile struct{ msg string }

func (e *damagedFile) Error() string { return e.msg }

// readSafetensors parses buf, the contents of the file at path, as safetensors and
// returns its metadata and tensors. A file that does not start as one gets checkHeader's
// error; one that does but is truncated or damaged gets a *damagedFile error whose fix
// is that of the format its header records, or fix when it records none of ours.
func readSafetensors(path string, buf []byte, fix string) (map[string]string,
	safetensors.SafeTensors, error) {
	if err := checkHeader(path, buf, fix); err != nil {
		return nil, safetensors.SafeTensors{}, err
	}
	_, md, err := safetensors.ReadMetadata(buf)
	var st safetensors.SafeTensors
	if err == nil {
		st, err = safetensors.Deserialize(buf)
	}
	if err != nil {
		return nil, st, damaged(path, buf, err, fix)
	}
	return md.Metadata(), st, nil
}

// damaged is the *damagedFile error of buf, the contents of the file at path, whose
// header checkHeader accepted but which safetensors could not read (err): truncated
// when the file is shorter than its header says, damaged otherwise.
func damaged(path string, buf []byte, err error, fix string) error {
	n := binary.LittleEndian.Uint64(buf[:8])
	var header map[string]json.RawMessage
	if json.Unmarshal(buf[8:8+n], &header) != nil {
		return &damagedFile{fmt.Sprintf("%s: the file is damaged: its header is not valid "+
			"JSON; %s", path, fix)}
	}
	var meta map[string]string
	json.Unmarshal(header["__metadata__"], &meta)
	switch meta["format"] {
	case checkpointFormat:
		fix = checkpointFix
	case datasetFormat:
		fix = datasetFix
	}
	end := uint64(0)
	for name, raw := range header {
		var t struct {
			DataOffsets []uint64 `json:"data_offsets"`
		}
		if name != "__metadata__" && json.Unmarshal(raw, &t) == nil && len(t.DataOffsets) == 2 {
			end = max(end, t.DataOffsets[1])
		}
	}
	if want := 8 + n + end; end < 1<<62 && uint64(len(buf)) < want {
		return &damagedFile{fmt.Sprintf("%s: the file is truncated: it holds %d bytes, "+
			"where its header describes %d; %s", path, len(buf), want, fix)}
	}
	return &damagedFile{fmt.Sprintf("%s: the file is damaged (safetensors: %v); %s", path,
		err, fix)}
}
