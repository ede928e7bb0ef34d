package train

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestIsTempName: the temporary names writeFileAtomic makes match, and nothing else does,
// not even names that merely look alike.
func TestIsTempName(t *testing.T) {
	for name, want := range map[string]bool{
		".cnn-58-0.01843.safetensors.tmp-2115473853": true,
		".cnn-predictions.png.tmp-1":                 true,
		".results.md.tmp-42":                         true,
		"cnn-predictions.png.tmp-1":                  false, // no leading dot
		".tmp-123":                                   false, // no file name
		".results.md.tmp-":                           false, // no digits
		".results.md.tmp-12a":                        false,
		".results.md.tmp-12.bak":                     false,
		".write-check-123":                           false,
		"results.md":                                 false,
		".lock":                                      false,
	} {
		if got := IsTempName(name); got != want {
			t.Errorf("IsTempName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestRemoveTemps: a temporary file left by writeFileAtomic, as by a process killed
// while writing, is removed; the files written and other files stay.
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.md")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := []string{"results.md", "notes.tmp-1", ".lock"}
	stale := []string{".results.md.tmp-2115473853", ".cnn-1-0.5.safetensors.tmp-7"}
	for _, name := range append(keep[1:], stale...) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.tmp-3"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveTemps(dir)
	slices.Sort(removed)
	slices.Sort(stale)
	if err != nil || !slices.Equal(removed, stale) {
		t.Errorf("RemoveTemps = %v, %v; want %v", removed, err, stale)
	}
	for _, name := range append(keep, ".d.tmp-3") {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if removed, err := RemoveTemps(filepath.Join(dir, "none")); removed != nil || err != nil {
		t.Errorf("missing dir: %v, %v", removed, err)
	}
}
