//go:build cuda

package gate

import "testing"

// TestProbe runs on any machine: it only reports what Probe found.
func TestProbe(t *testing.T) {
	if err := Probe(); err != nil {
		t.Logf("no usable CUDA driver here: %v", err)
		return
	}
	t.Log("a CUDA driver and device are usable here")
}
