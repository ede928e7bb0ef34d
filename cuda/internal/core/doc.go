//go:build cuda

// Package core holds the CUDA backend's launchers and its nn.Session over an abstract
// Driver: device memory, copies and kernel launches by entry-point name. Package cuda
// supplies the real driver (gorgonia.org/cu) and re-exports this package's API; the CPU
// emulation in cuda/internal/emu supplies another, which runs the same .cu sources on the
// host. Keeping gorgonia.org/cu out of this package is what lets a machine without a GPU
// run the session's whole kernel sequence: cu's package init exits the process when no
// driver is present, so nothing that imports it can be tested there.
//
// Names follow the kernels package legend: B batch, T time steps, F input features,
// H hidden units, K kernel width, S stride, C channels, O outputs. Buffers are row-major,
// outermost first, with the layouts of the CPU twins in package kernels and Keras 2.1.1
// weight layouts (LSTM gates i, f, c, o; GRU gates z, r, h).
package core
