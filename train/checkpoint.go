package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/nlpodyssey/safetensors"

	"github.com/seqnn/seqnn/nn"
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

// SaveCheckpoint writes the model's parameters to path as float32 safetensors, each under
// its Keras name ("lstm/kernel") in its Keras layout, with meta in the header.
func SaveCheckpoint(path string, m *nn.Sequential[float32], meta CheckpointMeta) error {
	tensors := map[string]safetensors.TensorView{}
	for _, p := range m.Params() {
		tensors[p.Name] = f32View(p.W, p.Shape...)
	}
	header := map[string]string{
		"format":   checkpointFormat,
		"version":  checkpointVersion,
		"model":    meta.Model,
		"epoch":    strconv.Itoa(meta.Epoch),
		"batches":  meta.Batches,
		"loss":     formatFloat(meta.Loss),
		"val_loss": formatFloat(meta.ValLoss),
		"seed":     strconv.FormatUint(meta.Seed, 10),
		"dataset":  meta.Dataset,
	}
	buf, err := safetensors.Serialize(tensors, header)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf)
		return err
	})
}

// ReadCheckpoint reads a checkpoint's metadata and tensors.
func ReadCheckpoint(path string) (CheckpointMeta, tensorFile, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return CheckpointMeta{}, tensorFile{}, fmt.Errorf("read checkpoint: %w", err)
	}
	h, f, err := openTensorFile(path, buf, checkpointFormat, checkpointVersion)
	if err != nil {
		return CheckpointMeta{}, tensorFile{}, err
	}
	p := metaParser{path: path, meta: h}
	meta := CheckpointMeta{Model: h["model"], Batches: h["batches"], Dataset: h["dataset"]}
	meta.Epoch = p.int("epoch")
	meta.Loss = p.float("loss")
	meta.ValLoss = p.float("val_loss")
	meta.Seed = p.uint64("seed")
	return meta, f, p.err
}

// LoadCheckpoint reads path into m, whose parameters must match the checkpoint's tensors
// one to one in name and shape, and returns the checkpoint's metadata.
func LoadCheckpoint(path string, m *nn.Sequential[float32]) (CheckpointMeta, error) {
	meta, f, err := ReadCheckpoint(path)
	if err != nil {
		return meta, err
	}
	params := m.Params()
	want := make([]string, len(params))
	for i, p := range params {
		want[i] = p.Name
	}
	slices.Sort(want)
	if got := f.names(); !slices.Equal(got, want) {
		return meta, fmt.Errorf("%s: tensors %v do not match the %s model's %v",
			path, got, meta.Model, want)
	}
	for _, p := range params {
		w, _, err := f.f32(p.Name, p.Shape...)
		if err != nil {
			return meta, err
		}
		copy(p.W, w)
	}
	return meta, nil
}

// BestCheckpoint returns the checkpoint in dir of the given model and dataset with the
// lowest validation loss; among equal losses, the earliest epoch, as Keras's
// save_best_only keeps the first. Checkpoints of another dataset are skipped.
func BestCheckpoint(dir, model, dataset string) (string, CheckpointMeta, error) {
	paths, err := filepath.Glob(filepath.Join(dir, model+"-*.safetensors"))
	if err != nil {
		return "", CheckpointMeta{}, err
	}
	slices.Sort(paths)

	best, bestMeta, stale := "", CheckpointMeta{}, 0
	for _, path := range paths {
		meta, _, err := ReadCheckpoint(path)
		if err != nil {
			return "", CheckpointMeta{}, err
		}
		if meta.Model != model || meta.Dataset != dataset {
			stale++
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
	if best == "" {
		msg := fmt.Sprintf("no %s checkpoint in %s", model, dir)
		if stale > 0 {
			msg += fmt.Sprintf(" for this prepared dataset (%d from another one)", stale)
		}
		return "", CheckpointMeta{}, errors.New(msg + "; run train first")
	}
	return best, bestMeta, nil
}

// removeCheckpoints deletes the model's checkpoints in dir, so that a new training run
// does not compete with the weights of an older one.
func removeCheckpoints(dir, model string) error {
	paths, err := filepath.Glob(filepath.Join(dir, model+"-*.safetensors"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("remove old checkpoint: %w", err)
		}
	}
	return nil
}
