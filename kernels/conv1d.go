package kernels

import "fmt"

// Conv1DOutLen is the number of output steps of a valid-padding convolution of width K and
// stride S over T steps: T' = ⌊(T-K)/S⌋ + 1, or 0 when T < K.
func Conv1DOutLen(T, K, S int) int {
	if T < K || K < 1 || S < 1 {
		return 0
	}
	return (T-K)/S + 1
}

// convSgemmMinO is the fewest outputs O for which Conv1DForward and Conv1DBackward hand
// their products to sgemm: its narrowest vector kernel is 8 columns wide. On the
// tutorial's first layer (O = 8, B = 8, BenchmarkConv1D) against the per-element window
// walk this replaced: forward 89 → 8.5 µs, backward with dx 123 → 23 µs. Its second layer
// (O = 1) keeps loops with four partial sums for its forward (14 → 5.8 µs) and dx, and
// computes dW on sgemm as a row (backward 38 → 8.5 µs).
const convSgemmMinO = 8

// convSgemm selects sgemm for float32 convolutions. It is fastSgemm as the package starts,
// and stays so under the openblas build tag, which routes Gemm to OpenBLAS: OpenBLAS, like
// any BLAS, refuses the overlapping rows (lda < k) that the convolutions pass.
var convSgemm = fastSgemm

// Scratch on the stack for Conv1DBackward's dx product in float32: wᵀ (O, K·C) and up to
// convRowsMax values of the per-window gradients. Layers wider than this use the loops.
const (
	convWTMax   = 2048
	convRowsMax = 2048
)

// Conv1DForward computes a channels-last, valid-padding 1-D convolution (Keras Conv1D,
// which is a cross-correlation):
//
//	y[b,t,o] = bias[o] + Σ_{k<K} Σ_{c<C} x[b, t·S+k, c] · w[k,c,o]
//
// with y (B, T', O), x (B, T, C), w (K, C, O) as Keras stores it, bias (O) and
// T' = Conv1DOutLen(T, K, S); the argument steps is T (T names the element type here).
//
// Because x is channels-last, the window of output step t is the contiguous run
// x[b, t·S : t·S+K, :] of K·C values, whose index j = k·C + c is also the row of w. So a
// sample's output is the product y_b (T', O) = X_b (T', K·C) · w (K·C, O), where row t of
// X_b is that window: rows S·C values apart, overlapping when S < K. In float32 with
// O ≥ 8 the product runs on sgemm, which reads such rows in place (lda = S·C < K·C);
// otherwise loops walk the windows. Neither copies windows out (im2col) nor allocates a
// buffer for them.
func Conv1DForward[T Float](y, x, w, bias []T, B, steps, C, K, S, O int) {
	outT := checkConv("Conv1DForward", len(y), len(x), len(w), B, steps, C, K, S, O)
	if len(bias) != O {
		panic(fmt.Sprintf("kernels: Conv1DForward: bias has %d values, want O = %d",
			len(bias), O))
	}
	KC, SC := K*C, S*C
	onSgemm := convOnSgemm[T](O)
	for b := range B {
		yb := y[b*outT*O:][:outT*O]
		xb := x[b*steps*C:][:steps*C]
		for t := range outT {
			yr := yb[t*O:][:O]
			for o, v := range bias[:len(yr)] {
				yr[o] = v
			}
		}
		switch {
		case onSgemm:
			sgemm(false, outT, O, KC, 1, any(xb).([]float32), SC, any(w).([]float32), O,
				1, any(yb).([]float32), O, false)
		case O == 1:
			for t := range yb {
				yb[t] += dotSum(xb[t*SC:][:KC], w)
			}
		default:
			for t := range outT {
				yr := yb[t*O:][:O]
				for j, xv := range xb[t*SC:][:KC] {
					axpy(yr, xv, w[j*O:][:O])
				}
			}
		}
	}
}

// Conv1DBackward is the backward pass of Conv1DForward, for dy = ∂L/∂y (B, T', O):
//
//	dW[k,c,o] += Σ_{b,t} x[b, t·S+k, c] · dy[b,t,o]       (from the product in y)
//	dBias[o]  += Σ_{b,t} dy[b,t,o]                         (from bias[o] in y)
//	dx[b,τ,c]  = Σ_{t,k: t·S+k = τ} Σ_o dy[b,t,o] · w[k,c,o]
//
// It adds into dW (K, C, O) and dBias (O) and overwrites dx (B, T, C); steps of x that no
// window covers (the tail when S does not divide T-K) get zero. dx may be nil.
//
// In the matrix form of Conv1DForward, dW += X_bᵀ dy_b per sample, and dx_b is the sum
// over t of row t of G_b = dy_b wᵀ (T', K·C) added into window t. In float32 with O ≥ 8
// both products run on sgemm, and with O = 1 dW does; otherwise loops walk the windows.
func Conv1DBackward[T Float](dx, dW, dBias, dy, x, w []T, B, steps, C, K, S, O int) {
	outT := checkConv("Conv1DBackward", len(dy), len(x), len(w), B, steps, C, K, S, O)
	if len(dW) != len(w) || len(dBias) != O {
		panic(fmt.Sprintf("kernels: Conv1DBackward: dW has %d values, dBias %d; "+
			"want %d and %d", len(dW), len(dBias), len(w), O))
	}
	if dx != nil {
		checkLen("Conv1DBackward", len(dx), len(x))
		clear(dx)
	}
	KC, SC := K*C, S*C
	onSgemm := convOnSgemm[T](O)
	for b := range B {
		dyb := dy[b*outT*O:][:outT*O]
		xb := x[b*steps*C:][:steps*C]
		for t := range outT {
			dyr := dyb[t*O:][:O]
			for o, g := range dBias[:len(dyr)] {
				dBias[o] = g + dyr[o]
			}
		}
		switch {
		case onSgemm:
			sgemm(true, KC, O, outT, 1, any(xb).([]float32), SC, any(dyb).([]float32), O,
				1, any(dW).([]float32), O, false)
		case O == 1 && KC >= 8 && isFloat32[T]() && convSgemm:
			// dW (K·C, 1) is also the row dWᵀ = dy_bᵀ X_b, a product whose B, X_b, has
			// the overlapping rows: sgemm's kernels read them, its checks refuse them.
			job := sgemmJob{m: 1, k: outT, alpha: 1, a: any(dyb).([]float32), lda: outT,
				b: any(xb).([]float32), ldb: SC, c: any(dW).([]float32), ldc: KC,
				i1: 1, j1: KC}
			job.run(nil)
		default:
			conv1DBackwardW(dW, dyb, xb, outT, KC, SC, O)
		}
	}
	if dx == nil {
		return
	}
	if onSgemm && O*convPad(KC) <= convWTMax && convPad(KC) <= convRowsMax {
		conv1DBackwardXSgemm(any(dx).([]float32), any(dy).([]float32),
			any(w).([]float32), B, steps, C, outT, KC, SC, O)
		return
	}
	for b := range B {
		dyb := dy[b*outT*O:][:outT*O]
		dxb := dx[b*steps*C:][:steps*C]
		for t := range outT {
			dwin := dxb[t*SC:][:KC]
			if O == 1 {
				axpy(dwin, dyb[t], w)
				continue
			}
			dyr := dyb[t*O:][:O]
			for j := range dwin {
				dwin[j] += dotSum(dyr, w[j*O:][:O])
			}
		}
	}
}

// conv1DBackwardW adds one sample's X_bᵀ dy_b into dW with loops: for O = 1 a window
// times a scalar per step, else each window value times a row of dy.
func conv1DBackwardW[T Float](dW, dyb, xb []T, outT, KC, SC, O int) {
	for t := range outT {
		win := xb[t*SC:][:KC]
		if O == 1 {
			axpy(dW[:KC], dyb[t], win)
			continue
		}
		dyr := dyb[t*O:][:O]
		for j, xv := range win {
			axpy(dW[j*O:][:O], xv, dyr)
		}
	}
}

// conv1DBackwardXSgemm adds G_b = dy_b wᵀ into the windows of dx_b for every sample, the
// product on sgemm in blocks of rows that fit the stack scratch.
//
// The rows of wᵀ and G are padded to a multiple of 8 columns (zeros in wᵀ, ignored in G),
// so that sgemm runs its 16- and 8-wide kernels only, without the scratch block of a
// ragged last column group (K·C = 20 in the tutorial: backward 30 → 23 µs).
func conv1DBackwardXSgemm(dx, dy, w []float32, B, steps, C, outT, KC, SC, O int) {
	var wt [convWTMax]float32 // (O, KCp) wᵀ, zero past column K·C
	var g [convRowsMax]float32
	KCp := convPad(KC)
	for j := range KC {
		for o, v := range w[j*O:][:O] {
			wt[o*KCp+j] = v
		}
	}
	rows := convRowsMax / KCp
	for b := range B {
		dxb := dx[b*steps*C:][:steps*C]
		for t0 := 0; t0 < outT; t0 += rows {
			n := min(rows, outT-t0)
			gb := g[:n*KCp]
			clear(gb)
			job := sgemmJob{m: n, k: O, alpha: 1, a: dy[(b*outT+t0)*O:], lda: O,
				b: wt[:O*KCp], ldb: KCp, c: gb, ldc: KCp, i1: n, j1: KCp}
			job.run(nil)
			for t := range n {
				dwin := dxb[(t0+t)*SC:][:KC]
				for j, v := range gb[t*KCp:][:len(dwin)] {
					dwin[j] += v
				}
			}
		}
	}
}

// convOnSgemm reports whether a convolution with O outputs runs its products on sgemm:
// float32, sgemm selected (convSgemm) and O ≥ convSgemmMinO.
func convOnSgemm[T Float](O int) bool {
	return isFloat32[T]() && convSgemm && O >= convSgemmMinO
}

// convPad rounds n up to a multiple of 8.
func convPad(n int) int { return (n + 7) &^ 7 }

// dotSum returns Σ a[i]·b[i] over a, with four partial sums to hide the adds' latency.
func dotSum[T Float](a, b []T) T {
	b = b[:len(a)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy sets dst += alpha·src over dst.
func axpy[T Float](dst []T, alpha T, src []T) {
	src = src[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		d[0] += alpha * s[0]
		d[1] += alpha * s[1]
		d[2] += alpha * s[2]
		d[3] += alpha * s[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += alpha * src[i]
	}
}

// isFloat32 reports whether T is float32; the compiler folds it per instantiation.
func isFloat32[T Float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// checkConv panics unless y, x and w have the lengths the sizes imply; it returns T'.
func checkConv(op string, ny, nx, nw, B, steps, C, K, S, O int) int {
	if B < 0 || C < 1 || K < 1 || S < 1 || O < 1 || steps < K {
		panic(fmt.Sprintf("kernels: %s: bad sizes B=%d T=%d C=%d K=%d S=%d O=%d",
			op, B, steps, C, K, S, O))
	}
	outT := Conv1DOutLen(steps, K, S)
	if ny != B*outT*O || nx != B*steps*C || nw != K*C*O {
		panic(fmt.Sprintf("kernels: %s: lengths y=%d x=%d w=%d, want B·T'·O=%d "+
			"B·T·C=%d K·C·O=%d", op, ny, nx, nw, B*outT*O, B*steps*C, K*C*O))
	}
	return outT
}
