//go:build !cuda

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceCUDAWithoutTag: a binary built without the cuda tag refuses --device cuda
// with the command that rebuilds it, before it writes anything.
func TestDeviceCUDAWithoutTag(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--device", "cuda", "--out", out},
		&stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "go build -tags cuda ./cmd/demo") ||
		strings.Count(msg, "\n") != 1 {
		t.Errorf("message %q: want one line naming the rebuild command", msg)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a refused run", out)
	}
}
