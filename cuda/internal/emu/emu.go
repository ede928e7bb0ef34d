//go:build cuda

// Package emu runs the cuda package's kernel sources on the CPU, one thread per block, so
// that their arithmetic and indexing can be checked against the kernels package where
// no GPU is present. It compiles the .cu files as C++ with the few CUDA keywords they use
// defined away (emu.h). It cannot check what needs many threads: the tiled product,
// races between threads, shared-memory limits, or the GPU's own expf and tanhf.
package emu

/*
#cgo CXXFLAGS: -std=c++17 -O1
void emu_block(unsigned b, unsigned grid);
void act_fwd_f64(double* y, const double* x, int n, int a, double alpha);
void act_bwd_f64(double* dx, const double* dy, const double* y, int n, int a, double alpha);
void dropout_f32(float* y, const float* x, int n, unsigned long long key,
	unsigned long long thr, float scale);
void conv_fwd_f64(double* y, const double* x, const double* w, int B, int T, int C, int K,
	int S, int O);
void conv_bwd_x_f64(double* dx, const double* dy, const double* w, int B, int T, int C,
	int K, int S, int O);
void conv_bwd_w_f64(double* dw, const double* dy, const double* x, int B, int T, int C,
	int K, int S, int O);
void lstm_fwd_f64(double* h, double* c, double* hprev, double* gates, const double* xw,
	const double* U, int B, int T, int H, int ract, int actv, int persist);
void lstm_bwd_f64(double* dz, const double* dy, const double* c, const double* gates,
	const double* U, int B, int T, int H, int ract, int actv, int persist);
void gru_fwd_f64(double* h, double* hprev, double* gates, double* q, const double* xw,
	const double* U, const double* bRec, int B, int T, int H, int ract, int actv,
	int resetAfter, int persist);
void gru_bwd_f64(double* daIn, double* daRec, const double* dy, const double* hprev,
	const double* gates, const double* q, const double* U, int B, int T, int H, int ract,
	int actv, int resetAfter, int persist);
void lstm_step_fwd_f64(double* h, double* c, double* hprev, double* gates, const double* xw,
	const double* U, int B, int T, int H, int t, int ract, int actv);
void lstm_step_bwd_f64(double* dz, double* dc, const double* dy, const double* c,
	const double* gates, const double* U, int B, int T, int H, int t, int ract, int actv);
void gru_step_fwd_a_f64(double* h, double* hprev, double* gates, double* q, const double* xw,
	const double* U, const double* bRec, int B, int T, int H, int t, int ract, int actv,
	int resetAfter);
void gru_step_fwd_b_f64(double* h, double* gates, const double* q, const double* xw,
	const double* U, int B, int T, int H, int t, int actv);
void gru_step_bwd_a_f64(double* daIn, double* daRec, double* dhd, const double* dy,
	const double* hprev, const double* gates, const double* q, const double* U, int B, int T,
	int H, int t, int ract, int actv, int resetAfter);
void gru_step_bwd_b_f64(double* daIn, double* daRec, double* dhd, const double* hprev,
	const double* gates, const double* U, int B, int T, int H, int t, int ract);
*/
import "C"

// p is the C pointer to a slice's first element; nil for an empty slice.
func p(x []float64) *C.double {
	if len(x) == 0 {
		return nil
	}
	return (*C.double)(&x[0])
}

// blocks runs launch once per block b of a grid of g.
func blocks(g int, launch func()) {
	for b := 0; b < g; b++ {
		C.emu_block(C.uint(b), C.uint(g))
		launch()
	}
}

// ActForward runs act_fwd_f64.
func ActForward(a int, y, x []float64, alpha float64) {
	blocks(1, func() { C.act_fwd_f64(p(y), p(x), C.int(len(x)), C.int(a), C.double(alpha)) })
}

// ActBackward runs act_bwd_f64.
func ActBackward(a int, dx, dy, y []float64, alpha float64) {
	blocks(1, func() {
		C.act_bwd_f64(p(dx), p(dy), p(y), C.int(len(y)), C.int(a), C.double(alpha))
	})
}

// Dropout runs dropout_f32.
func Dropout(y, x []float32, key, thr uint64, scale float32) {
	blocks(1, func() {
		C.dropout_f32((*C.float)(&y[0]), (*C.float)(&x[0]), C.int(len(x)), C.ulonglong(key),
			C.ulonglong(thr), C.float(scale))
	})
}

// Conv runs conv_fwd_f64 (y must hold the bias), conv_bwd_x_f64 and conv_bwd_w_f64.
func Conv(y, dx, dw, x, w, dy []float64, B, T, Cin, K, S, O int) {
	blocks(1, func() {
		a := []C.int{C.int(B), C.int(T), C.int(Cin), C.int(K), C.int(S), C.int(O)}
		C.conv_fwd_f64(p(y), p(x), p(w), a[0], a[1], a[2], a[3], a[4], a[5])
		C.conv_bwd_x_f64(p(dx), p(dy), p(w), a[0], a[1], a[2], a[3], a[4], a[5])
		C.conv_bwd_w_f64(p(dw), p(dy), p(x), a[0], a[1], a[2], a[3], a[4], a[5])
	})
}

// LSTM runs lstm_fwd_f64 and then lstm_bwd_f64 over B blocks.
func LSTM(h, c, hprev, gates, xw, u, dz, dy []float64, B, T, H, ract, act int, persist bool) {
	pe := C.int(0)
	if persist {
		pe = 1
	}
	blocks(B, func() {
		C.lstm_fwd_f64(p(h), p(c), p(hprev), p(gates), p(xw), p(u), C.int(B), C.int(T),
			C.int(H), C.int(ract), C.int(act), pe)
	})
	blocks(B, func() {
		C.lstm_bwd_f64(p(dz), p(dy), p(c), p(gates), p(u), C.int(B), C.int(T), C.int(H),
			C.int(ract), C.int(act), pe)
	})
}

// GRU runs gru_fwd_f64 and then gru_bwd_f64 over B blocks.
func GRU(h, hprev, gates, q, xw, u, bRec, daIn, daRec, dy []float64, B, T, H, ract, act int,
	resetAfter, persist bool) {
	ra, pe := C.int(0), C.int(0)
	if resetAfter {
		ra = 1
	}
	if persist {
		pe = 1
	}
	blocks(B, func() {
		C.gru_fwd_f64(p(h), p(hprev), p(gates), p(q), p(xw), p(u), p(bRec), C.int(B),
			C.int(T), C.int(H), C.int(ract), C.int(act), ra, pe)
	})
	blocks(B, func() {
		C.gru_bwd_f64(p(daIn), p(daRec), p(dy), p(hprev), p(gates), p(q), p(u), C.int(B),
			C.int(T), C.int(H), C.int(ract), C.int(act), ra, pe)
	})
}

// LSTMSteps runs the per-step kernels, as LoopStep launches them, on one block.
func LSTMSteps(h, c, hprev, gates, xw, u, dz, dy []float64, B, T, H, ract, act int) {
	dc := make([]float64, B*H)
	a := []C.int{C.int(B), C.int(T), C.int(H), C.int(ract), C.int(act)}
	for t := 0; t < T; t++ {
		blocks(1, func() {
			C.lstm_step_fwd_f64(p(h), p(c), p(hprev), p(gates), p(xw), p(u), a[0], a[1], a[2],
				C.int(t), a[3], a[4])
		})
	}
	for t := T - 1; t >= 0; t-- {
		blocks(1, func() {
			C.lstm_step_bwd_f64(p(dz), p(dc), p(dy), p(c), p(gates), p(u), a[0], a[1], a[2],
				C.int(t), a[3], a[4])
		})
	}
}

// GRUSteps runs the per-step GRU kernels, as LoopStep launches them, on one block.
func GRUSteps(h, hprev, gates, q, xw, u, bRec, daIn, daRec, dy []float64, B, T, H, ract,
	act int, resetAfter bool) {
	dhd := make([]float64, B*H)
	ra := C.int(0)
	if resetAfter {
		ra = 1
	}
	a := []C.int{C.int(B), C.int(T), C.int(H), C.int(ract), C.int(act)}
	for t := 0; t < T; t++ {
		blocks(1, func() {
			C.gru_step_fwd_a_f64(p(h), p(hprev), p(gates), p(q), p(xw), p(u), p(bRec), a[0],
				a[1], a[2], C.int(t), a[3], a[4], ra)
			if !resetAfter {
				C.gru_step_fwd_b_f64(p(h), p(gates), p(q), p(xw), p(u), a[0], a[1], a[2],
					C.int(t), a[4])
			}
		})
	}
	for t := T - 1; t >= 0; t-- {
		blocks(1, func() {
			C.gru_step_bwd_a_f64(p(daIn), p(daRec), p(dhd), p(dy), p(hprev), p(gates), p(q),
				p(u), a[0], a[1], a[2], C.int(t), a[3], a[4], ra)
			if !resetAfter {
				C.gru_step_bwd_b_f64(p(daIn), p(daRec), p(dhd), p(hprev), p(gates), p(u), a[0],
					a[1], a[2], C.int(t), a[3])
			}
		})
	}
}
