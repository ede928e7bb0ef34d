//go:build cuda

// Package gate finds out, without linking the CUDA driver, whether a CUDA driver and
// device can be used here. It exists because gorgonia.org/cu v0.9.6 calls cuInit in its
// package init and, on failure, prints a message and calls os.Exit(1): any binary that
// imports cu dies before main (or TestMain) on a machine without a working driver.
//
// Probe loads libcuda.so.1 with dlopen, calls cuInit and cuDeviceGetCount, and unloads
// it again. The cuda package's tests import this package for its init side effect (see
// cuda/gate_test.go); Go initialises packages in import-path order when neither depends
// on the other (Go 1.21 and later), and "github.com/seqnn/..." sorts before
// "gorgonia.org/cu", so the probe runs first.
package gate

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

typedef int (*cuInitFn)(unsigned int);
typedef int (*cuCountFn)(int *);

// probe returns 0 and sets *count on success; otherwise -1 (no library), -2 (missing
// symbol), or the CUresult of the failing call, which is positive.
static int probe(int *count) {
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) return -1;
	cuInitFn init = (cuInitFn)dlsym(h, "cuInit");
	cuCountFn cnt = (cuCountFn)dlsym(h, "cuDeviceGetCount");
	if (!init || !cnt) { dlclose(h); return -2; }
	int rc = init(0);
	if (rc == 0) rc = cnt(count);
	dlclose(h);
	return rc;
}
*/
import "C"

import "fmt"

// Probe returns nil when libcuda.so.1 loads, cuInit succeeds and at least one device is
// present; otherwise an error saying which step failed.
func Probe() error {
	var n C.int
	switch rc := C.probe(&n); {
	case rc == -1:
		return fmt.Errorf("libcuda.so.1 cannot be loaded (no NVIDIA driver installed)")
	case rc == -2:
		return fmt.Errorf("libcuda.so.1 lacks cuInit or cuDeviceGetCount")
	case rc == 34:
		return fmt.Errorf("libcuda.so.1 is the stub library (CUDA_ERROR_STUB_LIBRARY)")
	case rc != 0:
		return fmt.Errorf("cuInit or cuDeviceGetCount failed with CUresult %d "+
			"(100: no device; 35: driver older than the runtime)", int(rc))
	case n == 0:
		return fmt.Errorf("the driver reports no CUDA device")
	}
	return nil
}
