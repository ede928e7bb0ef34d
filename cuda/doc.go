//go:build cuda

// Package cuda runs seqnn's layers on an NVIDIA GPU through the CUDA driver API, by way of
// gorgonia.org/cu, with hand-written kernels. It is built only with the build tag cuda:
//
//	go test -tags cuda ./cuda/...
//
// Names follow the kernels package legend: B batch, T time steps, F input features,
// H hidden units, K kernel width, S stride, C channels, O outputs. Buffers are row-major,
// outermost first, with the layouts of the CPU twins in package kernels and Keras 2.1.1
// weight layouts (LSTM gates i, f, c, o; GRU gates z, r, h).
//
// Every kernel is a .cu file beside its Go launcher. gen.sh compiles them to PTX
// (ptx/*.ptx, committed, embedded), and Open loads every module at start-up. Each
// kernel has a float32 and a float64 entry point (NAME_f32, NAME_f64) built from one
// template. Launchers check their arguments and panic on misuse (wrong lengths), as the
// CPU kernels do; driver failures come back as wrapped errors.
//
// Layer-level operations on device buffers: Gemm, ActForward/ActBackward, Dropout,
// (*MSE).Forward, AdamStep, ColSum, Conv1DForward/Conv1DBackward, and the LSTM and GRU
// types, whose Forward and Backward run the whole time loop on the device (see Loop:
// persistent with U in shared memory when it fits, else per step a matrix product and
// a cell kernel).
// Each mirrors a CPU twin in package kernels, with the same layouts and, where the
// arithmetic allows, the same order of operations; the parity tests say how close.
// NNDevice is the nn.Device built on them: a whole model, its gradients and Adam moments
// resident on the GPU, batch in and loss out per step.
//
// The launchers and the session are written in internal/core against a Driver interface
// and re-exported here; this package supplies the driver-API implementation. Helper
// packages: internal/gate probes for a driver without linking one;
// internal/nodriverskip turns its absence into a visible skip of this package's tests;
// internal/ref composes the kernels package's step functions into whole-sequence
// references (gradient-checked); internal/emu runs the .cu sources on the CPU, each GPU
// thread an OS thread, and is also a Driver, so the session's whole kernel sequence runs
// there; internal/sessioncheck holds the session parity and gradient checks that both
// this package's GPU tests and the emulation run. README.md says what has run where.
//
// A CUDA context is bound to one OS thread, so a Device runs every driver call on one
// goroutine locked to its thread; methods may be called from any goroutine. Kernels run
// on the device's stream in order; copies back to the host wait for them.
//
// Without a driver: gorgonia.org/cu calls cuInit in its package init and exits the
// process if it fails, so any program importing this package dies at start-up on a
// machine without a usable NVIDIA driver (or cannot start at all without libcuda.so.1).
// The package's tests detect that first and skip (see internal/nodriverskip); programs
// should be built with the tag only for GPU hosts. ci.sh and device-check.sh say how
// this package is checked with and without a GPU.
package cuda

//go:generate sh gen.sh
