package train

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seqnn/seqnn/data"
	"github.com/seqnn/seqnn/internal/english"
	"github.com/seqnn/seqnn/internal/textfile"
)

// A windows file is a CSV of prepared windows in model space, for training (--windows)
// and prediction (predict --input) without the scaling step, so that a run can be
// compared value for value with another framework:
//
//   - one window per line: In inputs (256) then Out targets (16), comma-separated, each
//     a finite number strconv.ParseFloat reads ("0.42", "4.2e-1"), already scaled as
//     the model sees them;
//   - the first non-blank line may be a header: a line none of whose fields is a number
//     (reference/generate.py writes x0,...,x255,y0,...,y15); a line with any number in it
//     is a window, and every one of its fields must be a number;
//   - a UTF-8 byte-order mark, blank lines, spaces around values and CRLF or lone CR
//     line ends are ignored.
//
// For prediction the targets are optional: a line holds In or In+Out values, and the
// targets are ignored.

// ReadWindows reads a windows file of windows with In inputs and Out targets. With
// needTargets every line must hold In+Out values and the result's Y holds the targets;
// without, a line may hold In values or In+Out, and Y is empty. Start numbers the
// windows from 0. Errors name the file and line and say what to write instead.
func ReadWindows(path string, In, Out int, needTargets bool) (*data.Windows, error) {
	b, err := readWindowsFile(path)
	if err != nil {
		return nil, err
	}
	return parseWindows(path, b, In, Out, needTargets)
}

// InputSpace says how the inputs of a windows file reach a model, for ReadInputs.
type InputSpace struct {
	// Scale maps a value as read to the model's space (a min-max scaler's Scale for
	// closes in USD); nil keeps it as read.
	Scale func(float64) float64
	// DType is the dtype the model runs in, "float32" or "float64": every input, once
	// mapped, must lie within its range (±3.403e+38 for float32), or the model would see
	// ±Inf.
	DType string
	// Fix ends the error for an input beyond that range, e.g. "run in float64 with
	// --dtype float64".
	Fix string
}

// ReadInputs reads a windows file for prediction, as ReadWindows does without
// needTargets, and returns the inputs mapped to the model's space by sp.Scale. An input
// whose mapped value lies beyond the range of sp.DType is an error naming the file, the
// line and the value (counted from 1), where float32 would turn it into ±Inf.
func ReadInputs(path string, In, Out int, sp InputSpace) (*data.Windows, error) {
	b, err := readWindowsFile(path)
	if err != nil {
		return nil, err
	}
	return parseWindowsIn(path, b, In, Out, false, &sp)
}

// readWindowsFile reads the windows file at path, with a message that says what to check.
func readWindowsFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		fix := "check the path and the file's permissions"
		if errors.Is(err, fs.ErrNotExist) {
			fix = "check the path"
		}
		return nil, fmt.Errorf("read windows: %w; %s", err, fix)
	}
	return b, nil
}

// parseWindows is ReadWindows of the file at path, whose content is b.
func parseWindows(path string, b []byte, In, Out int, needTargets bool) (*data.Windows,
	error) {
	return parseWindowsIn(path, b, In, Out, needTargets, nil)
}

// parseWindowsIn is parseWindows with the inputs mapped and checked by sp (see
// ReadInputs), or kept as read when sp is nil.
func parseWindowsIn(path string, b []byte, In, Out int, needTargets bool,
	sp *InputSpace) (*data.Windows, error) {
	want := fmt.Sprintf("%d values (%d inputs then %d targets)", In+Out, In, Out)
	if !needTargets {
		want = fmt.Sprintf("%d values (%d inputs) or %d (the inputs then %d targets, "+
			"which are ignored)", In, In, In+Out, Out)
	}
	lines, err := textLines(path, b, want)
	if err != nil {
		return nil, err
	}

	w := &data.Windows{In: In, Out: Out}
	first, header := true, false
	for i, text := range lines {
		line := i + 1
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if sep := otherSeparator(text); sep != "" {
			return nil, fmt.Errorf("%s:%d: the values are separated by %s; separate them "+
				"with commas, with '.' as the decimal point: %s per line", path, line, sep,
				want)
		}
		fields := strings.Split(text, ",")
		isFirst := first
		if first {
			first = false
			if header = noNumbers(fields); header {
				continue
			}
		} else if noNumbers(fields) {
			return nil, fmt.Errorf("%s:%d: the line holds no number at all, but only the "+
				"first line may be a header; remove it, or write its values as plain "+
				"decimals such as 0.4213: %s per line", path, line, want)
		}

		n := len(fields)
		if n != In+Out && (needTargets || n != In) {
			return nil, fmt.Errorf("%s:%d: %s; want %s, comma-separated, one window per "+
				"line", path, line, english.Count(n, "value"), want)
		}
		for i, f := range fields {
			v, err := windowValue(f, i+1, isFirst)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			if i < In && sp != nil {
				if v, err = sp.input(f, v, i+1); err != nil {
					return nil, fmt.Errorf("%s:%d: %w", path, line, err)
				}
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
	if w.Len() == 0 {
		what := "the file is empty"
		if header {
			what = "the file holds only a header line"
		}
		return nil, fmt.Errorf("%s: no windows; write one line of %s per window (%s)",
			path, want, what)
	}
	return w, nil
}

// textLines splits b, the content of the windows file at path, into lines: a UTF-8
// byte-order mark dropped and any line end taken. Content that is not UTF-8 text is
// refused, with want, the values a line holds, in the fix.
func textLines(path string, b []byte, want string) ([]string, error) {
	b, err := textfile.UTF8(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	// Before line ends change: notText reads the bytes as the file holds them (a
	// safetensors header's '{' at byte 8), which joining a CRLF would shift.
	if err := notText(path, b, want); err != nil {
		return nil, err
	}
	return strings.Split(string(textfile.LineEnds(b)), "\n"), nil
}

// windowValue parses field k of a window line (counted from 1), which must be a finite
// number. The error names the field and what to write; on the first line (first) it
// also says why the line was not taken for a header.
func windowValue(field string, k int, first bool) (float64, error) {
	f := strings.TrimSpace(field)
	v, err := strconv.ParseFloat(f, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("value %d, %.40q, is a number out of range: a value must lie "+
			"within ±%.4g, the range of float64; write the values as the model sees them, "+
			"scaled", k, f, math.MaxFloat64)
	}
	if err != nil {
		hint := ""
		if first {
			hint = " (a header line, which only the first line may be, holds no numbers " +
				"at all)"
		}
		return 0, fmt.Errorf("value %d, %.40q, is not a number; write plain decimals such "+
			"as 0.4213 or 4.213e-1%s", k, f, hint)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %d is %v; every value must be finite", k, v)
	}
	return v, nil
}

// input maps field k of a line (counted from 1), whose value is v, to the model's space
// and checks that the model's dtype holds the result.
func (sp *InputSpace) input(field string, v float64, k int) (float64, error) {
	m := v
	if sp.Scale != nil {
		m = sp.Scale(v)
	}
	limit := math.MaxFloat64
	if sp.DType == "float32" {
		limit = math.MaxFloat32
	}
	if math.Abs(m) <= limit {
		return m, nil
	}
	what := "is"
	if sp.Scale != nil {
		what = fmt.Sprintf("is %.4g once scaled to the model's space,", m)
	}
	return 0, fmt.Errorf("value %d, %.40q, %s beyond the range of %s (±%.4g), the dtype "+
		"the model runs in; %s", k, strings.TrimSpace(field), what, sp.DType, limit, sp.Fix)
}

// noNumbers reports whether none of fields is a number: the mark of a header line. A
// number out of float64's range ("1e400") is a number.
func noNumbers(fields []string) bool {
	for _, f := range fields {
		_, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// notText refuses content b that is not text: a NUL byte or bytes that are not UTF-8,
// the marks of a binary file such as a checkpoint given in place of the windows. The
// error names the line of the first such byte.
func notText(path string, b []byte, want string) error {
	at, what := bytes.IndexByte(b, 0), "a NUL byte"
	if at < 0 {
		if utf8.Valid(b) {
			return nil
		}
		at = 0
		for {
			r, size := utf8.DecodeRune(b[at:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			at += size
		}
		what = fmt.Sprintf("byte 0x%02X, which is not UTF-8", b[at])
	}
	kind := "a binary file, or text in UTF-16"
	if len(b) > 8 && b[8] == '{' {
		kind = "it starts like a safetensors file, which holds weights"
	}
	line := 1 + bytes.Count(textfile.LineEnds(b[:at]), []byte("\n"))
	return fmt.Errorf("%s:%d: not a text CSV: the line holds %s (%s); give a CSV file "+
		"saved as UTF-8, with one line of %s per window", path, line, what, kind, want)
}

// otherSeparator names the separator a line uses in place of commas, or returns "": a
// ';' anywhere (no value holds one; "0,5;0,7" is a ';'-separated file with decimal
// commas), or, in a line without commas, the tab, space, ':', '|' or '/' that follows its
// leading number ("0.5 0.7", "0.5|0.7").
func otherSeparator(line string) string {
	if strings.Contains(line, ";") {
		return "';'"
	}
	if strings.Contains(line, ",") {
		return ""
	}
	end := strings.IndexFunc(line, func(r rune) bool {
		return !(r >= '0' && r <= '9' || strings.ContainsRune(".+-eE", r))
	})
	if end <= 0 {
		return ""
	}
	if _, err := strconv.ParseFloat(line[:end], 64); err != nil {
		return ""
	}
	switch r, _ := utf8.DecodeRuneInString(line[end:]); r {
	case '\t':
		return "tabs"
	case ' ':
		return "spaces"
	case ':', '|', '/':
		return strconv.QuoteRune(r)
	}
	return "" // a typo such as "0.5x": the value check names it
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
		b, err := readWindowsFile(path)
		if err != nil {
			return nil, err
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
