//go:build !cuda

package main

import (
	"fmt"

	"github.com/seqnn/seqnn/train"
)

// cudaNote completes --device's help in a binary built without the cuda tag.
const cudaNote = "needs a binary built with: go build -tags cuda ./cmd/demo"

// checkDevice accepts the devices this binary can train on.
func checkDevice(name string) error {
	switch name {
	case "cpu":
		return nil
	case "cuda":
		return fmt.Errorf("--device cuda: this demo was built without GPU support; " +
			"rebuild it with `go build -tags cuda ./cmd/demo` on a machine with the NVIDIA " +
			"driver (building needs cuda.h and libcuda.so, e.g. Debian's nvidia-cuda-dev)")
	}
	return fmt.Errorf("--device %q: want cpu or cuda", name)
}

// openDevices returns the devices train.Fit runs on, and how to release them.
func openDevices(name string) (train.Devices, func(), error) {
	return train.Devices{}, func() {}, nil
}
