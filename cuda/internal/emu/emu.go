//go:build cuda

// Package emu runs the cuda package's kernel sources on the CPU, so that their arithmetic,
// indexing and block synchronisation are checked against the kernels package where no GPU
// is present. It compiles the .cu files as C++ with the CUDA keywords they use defined
// (emu.h): each thread of a block is an OS thread, __syncthreads a barrier, and blocks
// run in turn with the launch shapes the Go launchers use. It cannot check the GPU's
// expf and tanhf, shared-memory limits, warp-level timing, or races that the host's
// scheduling happens not to expose.
package emu

/*
#cgo CXXFLAGS: -std=c++20 -O1
#cgo LDFLAGS: -lpthread
void emu_act_fwd_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* y,
	const double* x, int n, int a, double alpha);
void emu_act_bwd_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* dx,
	const double* dy, const double* y, int n, int a, double alpha);
void emu_dropout_f32(unsigned gx, unsigned gy, unsigned bx, unsigned by, float* y,
	const float* x, int n, unsigned long long key, unsigned long long thr, float scale);
void emu_sum_partial_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* part,
	const double* x, int n, int chunk);
void emu_colsum_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* dst,
	const double* src, int m, int n);
void emu_conv_fwd_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* y,
	const double* x, const double* w, int B, int T, int C, int K, int S, int O);
void emu_conv_bwd_x_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* dx,
	const double* dy, const double* w, int B, int T, int C, int K, int S, int O);
void emu_conv_bwd_w_f64(unsigned gx, unsigned gy, unsigned bx, unsigned by, double* dw,
	const double* dy, const double* x, int B, int T, int C, int K, int S, int O);
*/
import "C"

// p is the C pointer to a slice's first element; nil for an empty slice.
func p(x []float64) *C.double {
	if len(x) == 0 {
		return nil
	}
	return (*C.double)(&x[0])
}

func ci(v int) C.int { return C.int(v) }

func cb(v bool) C.int {
	if v {
		return 1
	}
	return 0
}

// Launch shapes, as the cuda package's launchers choose them, but with smaller
// grid-stride blocks (64 threads, 2 blocks) so that the stride loops wrap.
const strideBlocks, strideThreads = 2, 64

// ActForward runs act_fwd_f64.
func ActForward(a int, y, x []float64, alpha float64) {
	C.emu_act_fwd_f64(strideBlocks, 1, strideThreads, 1, p(y), p(x), ci(len(x)), ci(a),
		C.double(alpha))
}

// ActBackward runs act_bwd_f64.
func ActBackward(a int, dx, dy, y []float64, alpha float64) {
	C.emu_act_bwd_f64(strideBlocks, 1, strideThreads, 1, p(dx), p(dy), p(y), ci(len(y)), ci(a),
		C.double(alpha))
}

// Dropout runs dropout_f32.
func Dropout(y, x []float32, key, thr uint64, scale float32) {
	C.emu_dropout_f32(strideBlocks, 1, strideThreads, 1, (*C.float)(&y[0]), (*C.float)(&x[0]),
		ci(len(x)), C.ulonglong(key), C.ulonglong(thr), C.float(scale))
}

// Sum is the two-pass sum of MSE.Forward: chunks of `chunk` elements on 256-thread
// blocks, then one block over the partial sums.
func Sum(x []float64, chunk int) float64 {
	blocks := (len(x) + chunk - 1) / chunk
	part := make([]float64, blocks+1)
	C.emu_sum_partial_f64(C.uint(blocks), 1, 256, 1, p(part), p(x), ci(len(x)), ci(chunk))
	C.emu_sum_partial_f64(1, 1, 256, 1, p(part[blocks:]), p(part), ci(blocks), ci(blocks))
	return part[blocks]
}

// ColSum runs colsum_f64 on 128-thread blocks.
func ColSum(dst, src []float64, m, n int) {
	C.emu_colsum_f64(C.uint((n+127)/128), 1, 128, 1, p(dst), p(src), ci(m), ci(n))
}

// Conv runs conv_fwd_f64 (y must hold the bias), conv_bwd_x_f64 and conv_bwd_w_f64.
func Conv(y, dx, dw, x, w, dy []float64, B, T, Cin, K, S, O int) {
	g, t := C.uint(strideBlocks), C.uint(strideThreads)
	C.emu_conv_fwd_f64(g, 1, t, 1, p(y), p(x), p(w), ci(B), ci(T), ci(Cin), ci(K), ci(S), ci(O))
	C.emu_conv_bwd_x_f64(g, 1, t, 1, p(dx), p(dy), p(w), ci(B), ci(T), ci(Cin), ci(K), ci(S),
		ci(O))
	C.emu_conv_bwd_w_f64(g, 1, t, 1, p(dw), p(dy), p(x), ci(B), ci(T), ci(Cin), ci(K), ci(S),
		ci(O))
}
