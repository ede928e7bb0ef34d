package train

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seqnn/seqnn/nn"
)

// SettingDiff is one setting in which a checkpoint was trained otherwise than a run
// that would resume it asks.
type SettingDiff struct {
	Setting   string // "seed", "dtype", "convention", "adam_form", "batch", "shuffle", "dropout"
	Got, Want string // the checkpoint's value and the run's, as the metadata writes them
}

// SettingsError is the error of resuming a checkpoint with settings other than those
// it was trained with. It lists every difference, so that one message can say all the
// flags a resumed run needs.
type SettingsError struct {
	Path  string
	Diffs []SettingDiff
}

func (e *SettingsError) Error() string {
	if e == nil {
		return "<nil *SettingsError>"
	}
	got := make([]string, len(e.Diffs))
	want := make([]string, len(e.Diffs))
	for i, d := range e.Diffs {
		got[i] = d.Setting + " " + d.Got
		want[i] = d.Setting + " " + d.Want
	}
	return fmt.Sprintf("%s: trained with %s; this run asks for %s; resume with the "+
		"settings it was trained with", e.Path, strings.Join(got, ", "),
		strings.Join(want, ", "))
}

// settingDiffs lists the settings in which the checkpoint meta differs from want, in a
// fixed order.
func settingDiffs(meta, want CheckpointMeta) []SettingDiff {
	var d []SettingDiff
	for _, s := range []struct{ setting, got, want string }{
		{"seed", strconv.FormatUint(meta.Seed, 10), strconv.FormatUint(want.Seed, 10)},
		{"dtype", meta.DType, want.DType},
		{"convention", meta.Convention, want.Convention},
		{"adam_form", meta.AdamForm, want.AdamForm},
		{"batch", strconv.Itoa(meta.Batch), strconv.Itoa(want.Batch)},
		{"dropout", strconv.FormatBool(meta.Dropout), strconv.FormatBool(want.Dropout)},
		{"shuffle", strconv.FormatBool(meta.Shuffle), strconv.FormatBool(want.Shuffle)},
	} {
		if s.got != s.want {
			d = append(d, SettingDiff{s.setting, s.got, s.want})
		}
	}
	return d
}

// settingsMeta is the part of the checkpoint metadata that cfg decides, for a cfg whose
// DType and Convention are parsed.
func settingsMeta(cfg Config) CheckpointMeta {
	return CheckpointMeta{Model: cfg.Model, Seed: cfg.Seed, DType: cfg.DType,
		Convention: cfg.Convention, AdamForm: cfg.AdamForm.String(), Batch: cfg.Batch,
		Shuffle: !cfg.NoShuffle, Dropout: !cfg.NoDropout}
}

// CheckResume says what Fit with cfg.Resume would continue from, without training or
// writing anything: the model's LastCheckpoint in <cfg.OutDir>/checkpoints for ds,
// whose error wraps ErrNoCheckpoint or ErrOtherDataset when there is none, and a
// *SettingsError when it was trained with other settings than cfg's. Otherwise it reads
// what Fit's resume reads, the weights, Adam's state and the log's rows before the
// epoch to continue, and returns the error Fit would. Callers check every model with it
// before training any, so that no model trains when another cannot resume.
func CheckResume(ds *Dataset, cfg Config) (string, CheckpointMeta, error) {
	if err := cfg.checkOutDir(); err != nil {
		return "", CheckpointMeta{}, err
	}
	if err := ds.check(cfg.Model); err != nil {
		return "", CheckpointMeta{}, err
	}
	if cfg.Batch < 1 {
		return "", CheckpointMeta{}, fmt.Errorf("%s: batch %d: must be at least 1",
			cfg.Model, cfg.Batch)
	}
	var err error
	if cfg.DType, err = ParseDType(cfg.DType); err != nil {
		return "", CheckpointMeta{}, fmt.Errorf("%s: %w", cfg.Model, err)
	}
	if cfg.Convention, err = ParseConvention(cfg.Convention); err != nil {
		return "", CheckpointMeta{}, fmt.Errorf("%s: %w", cfg.Model, err)
	}
	path, meta, err := LastCheckpoint(filepath.Join(cfg.OutDir, "checkpoints"), cfg.Model,
		ds.Digest)
	if err != nil {
		return "", CheckpointMeta{}, err
	}
	if d := settingDiffs(meta, settingsMeta(cfg)); len(d) > 0 {
		return path, meta, &SettingsError{Path: path, Diffs: d}
	}
	if cfg.DType == "float64" {
		err = checkResume[float64](ds, cfg, path, meta)
	} else {
		err = checkResume[float32](ds, cfg, path, meta)
	}
	return path, meta, err
}

// checkResume runs the reading part of Fit's resume from the checkpoint at path, with
// meta, into a model it then drops.
func checkResume[T nn.Float](ds *Dataset, cfg Config, path string, meta CheckpointMeta) error {
	tr, err := newTrainer[T](ds, cfg)
	if err != nil {
		return err
	}
	_, _, err = tr.resume(path, meta)
	return err
}
