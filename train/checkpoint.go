package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/nn"
	"github.com/seqnn/seqnn/optim"
)

const (
	checkpointFormat  = "seqnn-checkpoint"
	checkpointVersion = "1"
)

// CheckpointMeta is what a checkpoint records besides the weights.
type CheckpointMeta struct {
	Model   string  // tutorial model name: cnn, lstm, gru
	Epoch   int     // epochs begun, counted from 1 as in the file name
	Batches string  // "" after a whole epoch; "done/total" when training was interrupted
	Loss    float64 // training loss of the epoch (of the batches done, if interrupted)
	ValLoss float64 // validation loss of the saved weights, scaled space
	Seed    uint64
	Dataset string // Digest of the prepared dataset the model was trained on

	// How the model was trained, so that a resumed run can check it continues the same
	// training. Checkpoints written before these existed read as float32, keras, keras,
	// batch 0 (unknown), shuffled, with dropout, step 0.
	DType      string // "float32" or "float64": the dtype of every tensor in the file
	Convention string // Keras or PyTorch, see BuildModel
	AdamForm   string // "keras" or "pytorch"
	Batch      int
	Shuffle    bool
	Dropout    bool
	Step       int     // Adam steps taken; the optimizer tensors hold the moments after them
	LossSum    float64 // Σ batch loss × batch size over the batches of this epoch done
	Device     string  // where the epoch ran (nn.Device.Name); "" in older checkpoints
}

// CheckpointName is Keras's ModelCheckpoint file name for the tutorial's template
// "{model}-{epoch:02d}-{val_loss:.5f}": Keras fills {epoch} with the epoch counted from 1.
// An interrupted epoch's checkpoint gets the suffix "-interrupted".
func CheckpointName(m CheckpointMeta) string {
	name := fmt.Sprintf("%s-%02d-%.5f", m.Model, m.Epoch, m.ValLoss)
	if m.Batches != "" {
		name += "-interrupted"
	}
	return name + ".safetensors"
}

// SaveCheckpoint writes the model's parameters to path as safetensors in the model's
// dtype (F32 or F64), each under its Keras name ("lstm/kernel") in its Keras layout,
// with meta in the header; meta.DType is set from T.
//
// It fails, writing nothing, when path is empty or m is nil.
func SaveCheckpoint[T nn.Float](path string, m *nn.Sequential[T], meta CheckpointMeta) error {
	if path == "" {
		return fmt.Errorf("save checkpoint: the path is empty: give the file to write, " +
			"as CheckpointName names it")
	}
	if m == nil {
		return fmt.Errorf("save checkpoint %s: no model (nil *nn.Sequential)", path)
	}
	return saveCheckpoint(path, m, nil, meta)
}

// saveCheckpoint is SaveCheckpoint that also stores the optimizer's moments, when opt
// is not nil, as "optimizer/m/<weight>" and "optimizer/v/<weight>" in the weights'
// shapes and dtype, and its step count as the metadata "step".
func saveCheckpoint[T nn.Float](path string, m *nn.Sequential[T], opt *optim.Adam[T],
	meta CheckpointMeta) error {
	meta.DType = dtypeOf[T]()
	tensors := map[string]safetensors.TensorView{}
	for i, p := range m.Params() {
		tensors[p.Name] = floatView(p.W, p.Shape...)
		if opt != nil {
			tensors[optimizerPrefix+"m/"+p.Name] = floatView(opt.M[i], p.Shape...)
			tensors[optimizerPrefix+"v/"+p.Name] = floatView(opt.V[i], p.Shape...)
		}
	}
	header := map[string]string{
		"format":     checkpointFormat,
		"version":    checkpointVersion,
		"model":      meta.Model,
		"epoch":      strconv.Itoa(meta.Epoch),
		"batches":    meta.Batches,
		"loss":       formatFloat(meta.Loss),
		"val_loss":   formatFloat(meta.ValLoss),
		"seed":       strconv.FormatUint(meta.Seed, 10),
		"dataset":    meta.Dataset,
		"dtype":      meta.DType,
		"convention": meta.Convention,
		"adam_form":  meta.AdamForm,
		"batch":      strconv.Itoa(meta.Batch),
		"shuffle":    strconv.FormatBool(meta.Shuffle),
		"dropout":    strconv.FormatBool(meta.Dropout),
		"step":       strconv.Itoa(meta.Step),
		"loss_sum":   formatFloat(meta.LossSum),
	}
	if meta.Device != "" {
		header["device"] = meta.Device
	}
	header["sha256"] = checkpointDigest(tensors, header)
	buf, err := safetensors.Serialize(tensors, header)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf)
		return err
	})
}

// checkpointDigest is the SHA-256, hex, of every metadata entry but "sha256" itself (key
// and value, in key order), then every tensor's name, dtype, shape and bytes, in name
// order, each field preceded by its length (the shape by its rank) as a little-endian
// uint64, so that no two different checkpoints hash the same stream.
func checkpointDigest(tensors map[string]safetensors.TensorView, meta map[string]string) string {
	h := sha256.New()
	var n [8]byte
	put := func(x int) {
		binary.LittleEndian.PutUint64(n[:], uint64(x))
		h.Write(n[:])
	}
	for _, key := range slices.Sorted(maps.Keys(meta)) {
		if key == "sha256" {
			continue
		}
		put(len(key))
		io.WriteString(h, key)
		put(len(meta[key]))
		io.WriteString(h, meta[key])
	}
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		tv := tensors[name]
		dt := tv.DType().String()
		put(len(name))
		io.WriteString(h, name)
		put(len(dt))
		io.WriteString(h, dt)
		put(len(tv.Shape()))
		for _, d := range tv.Shape() {
			put(int(d))
		}
		put(len(tv.Data()))
		h.Write(tv.Data())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// verify checks the file's metadata and tensors against the digest its metadata records
// under "sha256", when it records one: checkpoints written before the digest have none.
func (f tensorFile) verify(meta map[string]string) error {
	want, ok := meta["sha256"]
	if !ok {
		return nil
	}
	tensors := map[string]safetensors.TensorView{}
	for _, name := range f.st.Names() {
		tensors[name], _ = f.st.Tensor(name)
	}
	if checkpointDigest(tensors, meta) != want {
		return fmt.Errorf("%s: checksum mismatch: the file is damaged; %s", f.path,
			checkpointFix)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint's metadata and tensors, checking them against the
// digest it records. The *WeightsFile holds every tensor, the weights and Adam's moments
// under "optimizer/", and the raw metadata; LoadWeights loads it into a model.
func ReadCheckpoint(path string) (CheckpointMeta, *WeightsFile, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return CheckpointMeta{}, nil, fmt.Errorf("read checkpoint: %w", err)
	}
	h, f, err := openTensorFile(path, buf, checkpointFormat, checkpointVersion)
	var d *damagedFile
	if errors.As(err, &d) {
		return CheckpointMeta{}, nil, err
	}
	if err != nil {
		return CheckpointMeta{}, nil, fmt.Errorf("%w (the file is damaged or not "+
			"a checkpoint; delete it: train --resume continues from the checkpoint before it)",
			err)
	}
	if err := f.verify(h); err != nil {
		return CheckpointMeta{}, nil, err
	}
	p := metaParser{path: path, meta: h}
	meta := CheckpointMeta{Model: h["model"], Batches: h["batches"], Dataset: h["dataset"],
		DType: "float32", Convention: Keras, AdamForm: "keras", Shuffle: true, Dropout: true}
	meta.Epoch = p.int("epoch")
	meta.Loss = p.float("loss")
	meta.ValLoss = p.float("val_loss")
	meta.Seed = p.uint64("seed")
	for key, dst := range map[string]*string{"dtype": &meta.DType,
		"convention": &meta.Convention, "adam_form": &meta.AdamForm} {
		if v, ok := h[key]; ok {
			*dst = v
		}
	}
	optional := func(key string, read func(string)) {
		if _, ok := h[key]; ok {
			read(key)
		}
	}
	optional("batch", func(k string) { meta.Batch = p.int(k) })
	optional("shuffle", func(k string) { meta.Shuffle = p.bool(k) })
	optional("dropout", func(k string) { meta.Dropout = p.bool(k) })
	optional("step", func(k string) { meta.Step = p.int(k) })
	optional("loss_sum", func(k string) { meta.LossSum = p.float(k) })
	meta.Device = h["device"]
	if p.err != nil {
		return CheckpointMeta{}, nil, p.err
	}
	return meta, &WeightsFile{Path: path, Meta: h, file: f}, nil
}

// LoadCheckpoint reads path into m, converting the file's dtype to T. m's parameters
// must match the checkpoint's weights one to one in name and shape (see LoadWeights);
// optimizer tensors are skipped. It returns the checkpoint's metadata.
func LoadCheckpoint[T nn.Float](path string, m *nn.Sequential[T]) (CheckpointMeta, error) {
	meta, w, err := ReadCheckpoint(path)
	if err != nil {
		return meta, err
	}
	return meta, LoadWeights(w, m, meta.Model)
}

// loadOptimizer restores opt's moments and step count from a checkpoint written by
// saveCheckpoint for the same model.
func loadOptimizer[T nn.Float](f tensorFile, meta CheckpointMeta, m *nn.Sequential[T],
	opt *optim.Adam[T]) error {
	for i, p := range m.Params() {
		for _, s := range []struct {
			kind string
			dst  []T
		}{{"m/", opt.M[i]}, {"v/", opt.V[i]}} {
			name := optimizerPrefix + s.kind + p.Name
			if _, ok := f.st.Tensor(name); !ok {
				return fmt.Errorf("%s: no optimizer state (tensor %q); it cannot be resumed "+
					"exactly, train from the start or pass it as --init", f.path, name)
			}
			v, err := readFloats(f, name, p.Shape)
			if err != nil {
				return err
			}
			for j, x := range v {
				s.dst[j] = T(x)
			}
		}
	}
	opt.Step = meta.Step
	return nil
}

// ErrNoCheckpoint is wrapped by LastCheckpoint's error when there is nothing to resume.
var ErrNoCheckpoint = errors.New("no checkpoint")

// ErrOtherDataset is wrapped by LastCheckpoint's error when the model has checkpoints,
// but none of the dataset asked for: resuming them would train on other data.
var ErrOtherDataset = errors.New("checkpoints of another dataset")

// ErrWindowsRun is wrapped by BestCheckpoint's error when the model's only checkpoints
// were trained on windows files (WindowsDataset), which evaluation cannot score in USD.
var ErrWindowsRun = errors.New("checkpoints of a windows-file run")

// windowsDigest starts the Digest of a dataset made by WindowsDataset.
const windowsDigest = "windows:"

// FromWindows says whether the checkpoint was trained on windows files (WindowsDataset)
// rather than a prepared dataset.
func (m CheckpointMeta) FromWindows() bool {
	return strings.HasPrefix(m.Dataset, windowsDigest)
}

// checkpointPaths lists the files in dir named as the model's checkpoints, sorted.
func checkpointPaths(dir, model string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, model+"-*.safetensors"))
	slices.Sort(paths)
	return paths, err
}

// readCheckpoints reads the metadata of the model's checkpoints in dir, in name order;
// the first file that does not read is an error.
func readCheckpoints(dir, model string) ([]string, []CheckpointMeta, error) {
	paths, err := checkpointPaths(dir, model)
	if err != nil {
		return nil, nil, err
	}
	metas := make([]CheckpointMeta, len(paths))
	for i, path := range paths {
		if metas[i], _, err = ReadCheckpoint(path); err != nil {
			return nil, nil, err
		}
	}
	return paths, metas, nil
}

// LastCheckpoint returns the checkpoint in dir of the given model and dataset that is
// furthest into training: the highest epoch, and within an epoch a complete one before
// an interrupted one, and among interrupted ones the most batches done. Without one,
// its error wraps ErrOtherDataset when the model has checkpoints of another dataset,
// else ErrNoCheckpoint.
func LastCheckpoint(dir, model, dataset string) (string, CheckpointMeta, error) {
	paths, metas, err := readCheckpoints(dir, model)
	if err != nil {
		return "", CheckpointMeta{}, err
	}
	last, lastMeta, lastDone, other := "", CheckpointMeta{}, 0, 0
	for i, path := range paths {
		meta := metas[i]
		if meta.Model != model {
			continue
		}
		if meta.Dataset != dataset {
			other++
			continue
		}
		done := math.MaxInt
		if meta.Batches != "" {
			if done, _, err = parseBatches(path, meta.Batches); err != nil {
				return "", CheckpointMeta{}, err
			}
		}
		if last == "" || meta.Epoch > lastMeta.Epoch ||
			meta.Epoch == lastMeta.Epoch && done > lastDone {
			last, lastMeta, lastDone = path, meta, done
		}
	}
	if last == "" && other > 0 {
		return "", CheckpointMeta{}, fmt.Errorf("%s: %w: %s of %s (prepared again "+
			"since?)", dir, ErrOtherDataset,
			english.Count(other, "checkpoint"), model)
	}
	if last == "" {
		return "", CheckpointMeta{}, fmt.Errorf("%w of %s for this dataset in %s",
			ErrNoCheckpoint, model, dir)
	}
	return last, lastMeta, nil
}

// parseBatches reads an interrupted checkpoint's "done/total".
func parseBatches(path, s string) (done, total int, err error) {
	d, t, ok := strings.Cut(s, "/")
	done, err1 := strconv.Atoi(d)
	total, err2 := strconv.Atoi(t)
	if !ok || err1 != nil || err2 != nil || done < 1 || done >= total {
		return 0, 0, fmt.Errorf("%s: metadata \"batches\" is %q, want done/total with "+
			"0 < done < total", path, s)
	}
	return done, total, nil
}

// BestCheckpoint returns the checkpoint in dir of the given model and dataset with the
// lowest validation loss; among equal losses, the earliest epoch, as Keras's
// save_best_only keeps the first. Checkpoints of another dataset are skipped; when they
// are all there is and all come from windows files, the error wraps ErrWindowsRun.
func BestCheckpoint(dir, model, dataset string) (string, CheckpointMeta, error) {
	paths, metas, err := readCheckpoints(dir, model)
	if err != nil {
		return "", CheckpointMeta{}, err
	}

	best, bestMeta, stale, windows := "", CheckpointMeta{}, 0, 0
	for i, path := range paths {
		meta := metas[i]
		if meta.Model != model || meta.Dataset != dataset {
			stale++
			if meta.FromWindows() {
				windows++
			}
			continue
		}
		if math.IsNaN(meta.ValLoss) {
			continue
		}
		if best == "" || meta.ValLoss < bestMeta.ValLoss ||
			meta.ValLoss == bestMeta.ValLoss && meta.Epoch < bestMeta.Epoch {
			best, bestMeta = path, meta
		}
	}
	if best == "" && stale > 0 && windows == stale {
		return "", CheckpointMeta{}, fmt.Errorf("%s: %w: %s of %s, trained on windows "+
			"files, which have no USD scale", dir, ErrWindowsRun, english.Count(stale, "checkpoint"),
			model)
	}
	if best == "" {
		msg := fmt.Sprintf("no %s checkpoint in %s", model, dir)
		if stale > 0 {
			msg += fmt.Sprintf(" for this prepared dataset (%d from another one)", stale)
		}
		return "", CheckpointMeta{}, errors.New(msg + "; run train first")
	}
	return best, bestMeta, nil
}

// RemoveRun deletes what a training run of model left in outDir, its checkpoints
// (<outDir>/checkpoints/<model>-*.safetensors) and its log (<outDir>/<model>-log.csv),
// so that a new run neither competes with the older weights nor, interrupted, leaves
// them for a --resume to continue. Fit calls it when it starts a model afresh; a caller
// that trains several models calls it for each of them before training the first, so
// that no interruption leaves another model's older run in place. Missing files are
// not an error.
func RemoveRun(outDir, model string) error {
	paths, err := checkpointPaths(filepath.Join(outDir, "checkpoints"), model)
	if err != nil {
		return err
	}
	// The log goes last: a run stopped in between leaves a log without checkpoints,
	// which --resume does not read, rather than checkpoints without their log.
	paths = append(paths, filepath.Join(outDir, model+"-log.csv"))
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s of an earlier %s run: %w", p, model, err)
		}
	}
	return nil
}

// removeInterrupted deletes the model's interrupted checkpoints in dir other than keep:
// once a later checkpoint is saved they are behind it.
func removeInterrupted(dir, model, keep string) error {
	paths, err := filepath.Glob(filepath.Join(dir, model+"-*-interrupted.safetensors"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		if p == keep {
			continue
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("remove an older interrupted checkpoint: %w", err)
		}
	}
	return nil
}
