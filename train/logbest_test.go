package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogBest: the best epoch is the lowest val_loss of the whole log, earlier epochs
// included, the earliest among equal ones; a log with a bad row or no row is an error.
func TestLogBest(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		rows  string
		epoch int
		val   float64
		err   string
	}{
		{"0,0.5,0.3\n1,0.4,0.1\n2,0.3,0.2\n", 2, 0.1, ""},
		{"0,0.5,0.1\n1,0.4,0.2\n2,0.3,0.1\n", 1, 0.1, ""},
		{"", 0, 0, "no epoch logged"},
		{"0,0.5,0.1\n2,0.4,0.2\n", 0, 0, "line 3"},
	} {
		path := filepath.Join(dir, "gru-log.csv")
		if err := os.WriteFile(path, []byte(logHeader+c.rows), 0o644); err != nil {
			t.Fatal(err)
		}
		epoch, val, err := LogBest(dir, "gru")
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one with %q", c.rows, err, c.err)
		case c.err == "" && (err != nil || epoch != c.epoch || val != c.val):
			t.Errorf("%q: epoch %d val %v (%v), want %d %v", c.rows, epoch, val, err,
				c.epoch, c.val)
		}
	}
}
