package train

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/seqnn/seqnn/data"
)

// A windows file is a CSV of prepared windows in model space, for training (--windows)
// and prediction (predict --input) without the scaling step, so that a run can be
// compared value for value with another framework:
//
//   - one window per line: In inputs (256) then Out targets (16), comma-separated, each
//     a finite number strconv.ParseFloat reads ("0.42", "4.2e-1"), already scaled as
//     the model sees them;
//   - the first line may be a header, recognised by a first field that is not a number
//     (reference/generate.py writes x0,...,x255,y0,...,y15);
//   - blank lines, spaces around values and CRLF line ends are ignored.
//
// For prediction the targets are optional: a line holds In or In+Out values, and the
// targets are ignored.

// ReadWindows reads a windows file of windows with In inputs and Out targets. With
// needTargets every line must hold In+Out values and the result's Y holds the targets;
// without, a line may hold In values or In+Out, and Y is empty. Start numbers the
// windows from 0. Errors name the file and line and say what to write instead.
func ReadWindows(path string, In, Out int, needTargets bool) (*data.Windows, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	return parseWindows(path, b, In, Out, needTargets)
}

// parseWindows is ReadWindows of the file at path, whose content is b.
func parseWindows(path string, b []byte, In, Out int, needTargets bool) (*data.Windows,
	error) {
	want := fmt.Sprintf("%d values (%d inputs then %d targets)", In+Out, In, Out)
	if !needTargets {
		want = fmt.Sprintf("%d values (%d inputs) or %d (the inputs then %d targets, "+
			"which are ignored)", In, In, In+Out, Out)
	}
	w := &data.Windows{In: In, Out: Out}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if _, err := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64); err != nil &&
			line == 1 {
			continue // a header
		}
		n := len(fields)
		if n != In+Out && (needTargets || n != In) {
			return nil, fmt.Errorf("%s:%d: %d values; want %s, comma-separated, one window "+
				"per line", path, line, n, want)
		}
		for i, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: value %d, %q, is not a number; write plain "+
					"decimals such as 0.4213 or 4.213e-1", path, line, i+1, f)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: value %d is %v; every value must be finite",
					path, line, i+1, v)
			}
			switch {
			case i < In:
				w.X = append(w.X, v)
			case needTargets:
				w.Y = append(w.Y, v)
			}
		}
		w.Start = append(w.Start, w.Len())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if w.Len() == 0 {
		return nil, fmt.Errorf("%s: no windows; write one line of %s per window", path, want)
	}
	return w, nil
}

// WindowsDataset makes a dataset of the windows files trainPath and valPath (see
// ReadWindows), 256 inputs and 16 targets each, for Fit. Without valPath the training
// windows validate too: val_loss is then the loss over the training windows after the
// epoch, with dropout off. The values are used as they are: the scaler is the identity
// (Min 0, Max 1), there is no series, and Digest hashes both files, so checkpoints
// trained on them are told apart from those of a prepared dataset.
func WindowsDataset(trainPath, valPath string) (*Dataset, error) {
	// Each file is read once, for its windows and its digest.
	var d bytes.Buffer
	read := func(path string) (*data.Windows, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read windows: %w", err)
		}
		d.WriteString(digest(b))
		return parseWindows(path, b, TutorialIn, TutorialOut, true)
	}
	tr, err := read(trainPath)
	if err != nil {
		return nil, err
	}
	va := tr
	if valPath != "" {
		if va, err = read(valPath); err != nil {
			return nil, err
		}
	}
	return &Dataset{Source: trainPath, In: TutorialIn, Out: TutorialOut,
		Scaler: data.MinMax{Min: 0, Max: 1}, Train: tr, Val: va,
		Digest: windowsDigest + digest(d.Bytes())}, nil
}
