package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// windowsLine is a line of n copies of v joined by sep.
func windowsLine(n int, v, sep string) string {
	return strings.TrimSuffix(strings.Repeat(v+sep, n), sep)
}

// writeWindows writes text to name in a new temporary directory and returns its path.
func writeWindows(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadWindowsFirstLine: the first line is a header only when none of its fields is a
// number, so that neither a byte-order mark nor a typo in the first value makes a window
// a header.
func TestReadWindowsFirstLine(t *testing.T) {
	in := windowsLine(256, "0.5", ",")
	full := windowsLine(272, "0.25", ",")
	header := "x0," + windowsLine(254, "x", ",") + ",x255"
	for name, c := range map[string]struct {
		text        string
		needTargets bool
		windows     int
	}{
		"bom":                    {"\xEF\xBB\xBF" + in + "\n" + in + "\n" + in + "\n", false, 3},
		"bom and header":         {"\xEF\xBB\xBFx0,x1\n" + full + "\n" + full + "\n", true, 2},
		"bom, crlf":              {"\xEF\xBB\xBF" + full + "\r\n" + full + "\r\n", true, 2},
		"header of names":        {header + "\n" + in + "\n", false, 1},
		"header with empty cell": {",x0,x1\n" + in + "\n", false, 1},
		"header after blanks":    {"\n \n" + header + "\n" + in + "\n" + in, false, 2},
		"cr line ends":           {header + "\r" + in + "\r\r" + in + "\r", false, 2},
	} {
		path := writeWindows(t, "w.csv", c.text)
		w, err := ReadWindows(path, 256, 16, c.needTargets)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if w.Len() != c.windows || len(w.X) != 256*c.windows {
			t.Errorf("%s: %d windows, %d inputs; want %d windows", name, w.Len(), len(w.X),
				c.windows)
		}
	}
}

// TestReadWindowsErrors: every refusal names the file, the line, the field where there is
// one, and the fix.
func TestReadWindowsErrors(t *testing.T) {
	in := windowsLine(256, "0.5", ",")
	for name, c := range map[string]struct {
		text        string
		needTargets bool
		want        string
	}{
		"typo in the first value": {"x," + windowsLine(255, "0.12", ",") + "\n" + in + "\n",
			false, `:1: value 1, "x", is not a number; write plain decimals such as ` +
				`0.4213 or 4.213e-1 (a header line, which only the first line may be, ` +
				`holds no numbers at all)`},
		"typo in a later value": {"x0,x1\n" + in + "\n" + windowsLine(255, "0.5", ",") +
			",0.5o\n", false, `:3: value 256, "0.5o", is not a number; write plain decimals`},
		"word in the second line": {in + "\nx," + windowsLine(255, "0.5", ","), false,
			`:2: value 1, "x", is not a number; write plain decimals such as 0.4213 or ` +
				`4.213e-1`},
		"semicolons, one line": {windowsLine(256, "0.5", ";") + "\n", false,
			":1: the values are separated by ';'; separate them with commas, with '.' as " +
				"the decimal point: 256 values (256 inputs) or 272"},
		"semicolons and decimal commas": {windowsLine(272, "0,5", ";") + "\n", true,
			":1: the values are separated by ';'; separate them with commas"},
		"semicolon header": {"x0;x1\n" + windowsLine(256, "0.5", ";"), false,
			":1: the values are separated by ';'"},
		"tabs":   {windowsLine(256, "0.5", "\t"), false, ":1: the values are separated by tabs"},
		"spaces": {windowsLine(256, "5e-1", " "), false, ":1: the values are separated by spaces"},
		"pipes":  {in + "\n" + windowsLine(256, "0.5", "|"), false, ":2: the values are separated by '|'"},
		"two header lines": {"x0,x1\nx0,x1\n" + in + "\n", false, ":2: the line holds no " +
			"number at all, but only the first line may be a header; remove it, or write " +
			"its values as plain decimals such as 0.4213: 256 values (256 inputs) or 272"},
		"a header after a window": {in + "\r\n\r\ny0\r\n", false, ":3: the line holds no number " +
			"at all, but only the first line may be a header"},
		"out of range": {windowsLine(255, "0.5", ",") + ",-1e400\n", false, `:1: value ` +
			`256, "-1e400", is a number out of range: a value must lie within ±1.798e+308, ` +
			`the range of float64; write the values as the model sees them, scaled`},
		"all out of range, first line": {windowsLine(256, "1e400", ",") + "\n" + in, false,
			`:1: value 1, "1e400", is a number out of range`},
		"safetensors": {"\x4e\x00\x00\x00\x00\x00\x00\x00" + `{"x":{"dtype":"F32",` +
			`"shape":[1],"data_offsets":[0,4]},"__metadata__":{"model":"cnn"}}` +
			"\x00\x00\x80\x3f", false, ":1: not a text CSV: the line holds a NUL byte (it " +
			"starts like a safetensors file, which holds weights); give a CSV file saved as " +
			"UTF-8, with one line of 256 values (256 inputs) or 272"},
		"nul on a later line": {in + "\r" + in + "\r0.5\x00", true, ":3: not a text CSV: " +
			"the line holds a NUL byte (a binary file, or text in UTF-16); give a CSV file " +
			"saved as UTF-8, with one line of 272 values (256 inputs then 16 targets) per window"},
		"latin-1": {"x0,\xe9\n" + in, false, ":1: not a text CSV: the line holds byte " +
			"0xE9, which is not UTF-8 (a binary file"},
		"one value": {"0.5\n", false, ":1: 1 value; want 256 values (256 inputs)"},
		"cr lines":  {in + "\r" + in + "\r0.5\r", false, ":3: 1 value; want 256"},
		"utf-16":    {"\xFF\xFE0\x00.\x005\x00", false, ": the file is UTF-16: save it as UTF-8"},
		"empty":     {"\xEF\xBB\xBF\r\n \n", true, ": no windows; write one line of 272 values (256 inputs then 16 targets) per window (the file is empty)"},
		"header only": {"x0,x1\r\n", false, ": no windows; write one line of 256 values " +
			"(256 inputs) or 272 (the inputs then 16 targets, which are ignored) per window " +
			"(the file holds only a header line)"},
	} {
		path := writeWindows(t, "w.csv", c.text)
		_, err := ReadWindows(path, 256, 16, c.needTargets)
		if err == nil || !strings.HasPrefix(err.Error(), path+c.want) {
			t.Errorf("%s:\n got %v\nwant %s%s", name, err, path, c.want)
		}
	}

	none := filepath.Join(t.TempDir(), "none.csv")
	if _, err := ReadWindows(none, 256, 16, true); err == nil ||
		!strings.HasSuffix(err.Error(), "; check the path") {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadWindowsCheckpoint: a checkpoint given as windows is refused as a binary file
// on its first line, not read as a header and a window of 1 value.
func TestReadWindowsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ds := prepared(t, dir)
	m, err := NewModel("cnn", ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cnn-01-0.10000.safetensors")
	meta := CheckpointMeta{Model: "cnn", Epoch: 1, ValLoss: 0.1, Seed: 1, Dataset: ds.Digest,
		Convention: Keras}
	if err := SaveCheckpoint(path, m, meta); err != nil {
		t.Fatal(err)
	}
	_, err = ReadWindows(path, 256, 16, false)
	want := path + ":1: not a text CSV: the line holds a NUL byte (it starts like a " +
		"safetensors file, which holds weights)"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestWindowsDatasetBOM: training windows read through WindowsDataset keep the first
// window of a file that starts with a byte-order mark.
func TestWindowsDatasetBOM(t *testing.T) {
	full := windowsLine(272, "0.25", ",")
	path := writeWindows(t, "w.csv", "\xEF\xBB\xBF"+full+"\n"+full+"\n"+full+"\n")
	ds, err := WindowsDataset(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 3 || ds.Val.Len() != 3 {
		t.Errorf("%d training and %d validation windows, want 3 and 3", ds.Train.Len(),
			ds.Val.Len())
	}
}

// FuzzParseWindows reads arbitrary bytes as a windows file of 4 inputs and 2 targets and
// checks that parseWindows never panics, that an error is one line naming the file, and
// that windows it returns have the promised shapes and finite values.
//
//	go test -run='^$' -fuzz=FuzzParseWindows -fuzztime=20s ./train
func FuzzParseWindows(f *testing.F) {
	for _, seed := range []string{
		"x0,x1,x2,x3,y0,y1\n0.1,0.2,0.3,0.4,0.5,0.6\n",
		"\xEF\xBB\xBF0.1,0.2,0.3,0.4\r\n1,2,3,4,5,6\r\n",
		"x,0.2,0.3,0.4,0.5,0.6\n",
		"0.1;0.2;0.3;0.4;0.5;0.6\n",
		"0,1;0,2;0,3;0,4\n",
		"0.1\t0.2\t0.3\t0.4\n",
		"a,b\r0.1,0.2,0.3,0.4\r\r",
		"1e-1,NaN,0.3,0.4\n",
		"\xFF\xFE0\x00",
		"x0,x1\nx0,x1\n0.1,0.2,0.3,0.4\n",
		"0.1,0.2,0.3,0.4\ny\n",
		"1e400,1e400,1e400,1e400\n0.1,0.2,0.3,0.4\n",
		"0.1,0.2,0.3,-1e400,0.5,0.6\n",
		"\x10\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":{}}",
		"0.1,0.2,0.3,0.4\r\xe9\n",
		"",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, needTargets bool) {
		w, err := parseWindows("fuzz.csv", b, 4, 2, needTargets)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.csv:") ||
				strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error not one line naming the file: %q", msg)
			}
			return
		}
		targets := 0
		if needTargets {
			targets = 2
		}
		if w.Len() == 0 || len(w.X) != 4*w.Len() || len(w.Y) != targets*w.Len() {
			t.Fatalf("%d windows, %d inputs, %d targets", w.Len(), len(w.X), len(w.Y))
		}
		for _, v := range append(append([]float64(nil), w.X...), w.Y...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("value %v", v)
			}
		}
	})
}

// TestReadInputsRange: an input beyond the range of the dtype the model runs in is
// refused naming the file, line and value, where float32 once took 1e39 and 1e300 (and
// the recurrent models, saturated, printed plausible predictions); float64 takes them.
// With a scale, the check applies to the value the model sees, and X holds those values.
func TestReadInputsRange(t *testing.T) {
	ok := windowsLine(256, "0.5", ",")
	fix := "run in float64 with --dtype float64"
	for _, c := range []struct{ value, want string }{
		{"1e39", `w.csv:3: value 2, "1e39", is beyond the range of float32 (±3.403e+38), ` +
			"the dtype the model runs in; " + fix},
		{"-1e300", `w.csv:3: value 2, "-1e300", is beyond the range of float32`},
	} {
		bad := "0.5," + c.value + "," + windowsLine(254, "0.5", ",")
		path := writeWindows(t, "w.csv", "x\n"+ok+"\n"+bad+"\n")
		_, err := ReadInputs(path, 256, 16, InputSpace{DType: "float32", Fix: fix})
		if err == nil || !strings.Contains(err.Error(), c.want) ||
			!strings.HasPrefix(err.Error(), path+":3: ") {
			t.Errorf("%s in float32: error %v, want one holding %q", c.value, err, c.want)
		}
		w, err := ReadInputs(path, 256, 16, InputSpace{DType: "float64", Fix: fix})
		if err != nil || w.Len() != 2 {
			t.Errorf("%s in float64: %v", c.value, err)
		}
	}

	// 3e38 fits float32 as read, not once scaled by 10.
	path := writeWindows(t, "w.csv", "3e38,"+windowsLine(255, "0.5", ",")+"\n")
	scale := func(v float64) float64 { return 10 * v }
	_, err := ReadInputs(path, 256, 16, InputSpace{Scale: scale, DType: "float32", Fix: fix})
	want := `value 1, "3e38", is 3e+39 once scaled to the model's space, beyond the ` +
		"range of float32"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("scaled 3e38: error %v, want one holding %q", err, want)
	}
	w, err := ReadInputs(path, 256, 16, InputSpace{Scale: scale, DType: "float64", Fix: fix})
	if err != nil || w.X[0] != 3e39 || w.X[1] != 5 || len(w.Y) != 0 {
		t.Errorf("scaled in float64: %v, X starts %v", err, w.X[:2])
	}
}
