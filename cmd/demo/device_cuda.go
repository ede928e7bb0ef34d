//go:build cuda

package main

import (
	"fmt"

	"github.com/seqnn/seqnn/cuda"
	"github.com/seqnn/seqnn/train"
)

// cudaNote completes --device's help in a binary built with the cuda tag.
const cudaNote = "this binary has GPU support"

// checkDevice accepts the devices this binary can train on.
func checkDevice(name string) error {
	if name != "cpu" && name != "cuda" {
		return fmt.Errorf("--device %q: want cpu or cuda", name)
	}
	return nil
}

// openDevices opens GPU 0 for both precisions when name is cuda: one context, shared.
func openDevices(name string) (train.Devices, func(), error) {
	if name != "cuda" {
		return train.Devices{}, func() {}, nil
	}
	dev, err := cuda.Open(0)
	if err != nil {
		return train.Devices{}, nil, fmt.Errorf("opening GPU 0: %w", err)
	}
	devs := train.Devices{F32: cuda.Share[float32](dev), F64: cuda.Share[float64](dev)}
	return devs, func() { dev.Close() }, nil
}
