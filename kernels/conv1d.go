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

// Conv1DForward computes a channels-last, valid-padding 1-D convolution (Keras Conv1D,
// which is a cross-correlation):
//
//	y[b,t,o] = bias[o] + Σ_{k<K} Σ_{c<C} x[b, t·S+k, c] · w[k,c,o]
//
// with y (B, T', O), x (B, T, C), w (K, C, O) as Keras stores it, bias (O) and
// T' = Conv1DOutLen(T, K, S); the argument steps is T (T names the element type here).
// Because x is channels-last, the window of output step t is
// the contiguous run x[b, t·S : t·S+K, :] of K·C values, whose index j = k·C + c is also
// the row of w; the loops below walk it directly instead of copying it out (im2col),
// which for the tutorial's shapes is faster and never allocates (see the benchmarks).
func Conv1DForward[T Float](y, x, w, bias []T, B, steps, C, K, S, O int) {
	outT := checkConv("Conv1DForward", len(y), len(x), len(w), B, steps, C, K, S, O)
	if len(bias) != O {
		panic(fmt.Sprintf("kernels: Conv1DForward: bias has %d values, want O = %d",
			len(bias), O))
	}
	KC := K * C
	for b := 0; b < B; b++ {
		for t := 0; t < outT; t++ {
			win := x[(b*steps+t*S)*C:][:KC]
			yr := y[(b*outT+t)*O:][:O]
			for o := range yr {
				s := bias[o]
				for j, xv := range win {
					s += xv * w[j*O+o]
				}
				yr[o] = s
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
	KC := K * C
	for b := 0; b < B; b++ {
		for t := 0; t < outT; t++ {
			off := (b*steps + t*S) * C
			win := x[off:][:KC]
			dyr := dy[(b*outT+t)*O:][:O]
			if O < 4 {
				conv1DBackwardStepFewO(dx, dW, dBias, win, dyr, w, off, KC, O)
			} else {
				conv1DBackwardStep(dx, dW, dBias, win, dyr, w, off, KC, O)
			}
		}
	}
}

// conv1DBackwardStep adds one output step's terms with the window index j outermost, so
// the inner loops run along rows of w and dW (O values each).
func conv1DBackwardStep[T Float](dx, dW, dBias, win, dyr, w []T, off, KC, O int) {
	for o, g := range dyr {
		dBias[o] += g
	}
	for j, xv := range win {
		dWr := dW[j*O:][:O]
		for o, g := range dyr {
			dWr[o] += xv * g
		}
	}
	if dx == nil {
		return
	}
	dwin := dx[off:][:KC]
	for j := range dwin {
		wr := w[j*O:][:O]
		var s T
		for o, g := range dyr {
			s += g * wr[o]
		}
		dwin[j] += s
	}
}

// conv1DBackwardStepFewO is conv1DBackwardStep with o outermost, for small O (1 in the
// tutorial's last layer), where rows of O values are too short to loop over: measured
// 2.3× faster there and 1.6× slower at O = 8 (BenchmarkConv1D).
func conv1DBackwardStepFewO[T Float](dx, dW, dBias, win, dyr, w []T, off, KC, O int) {
	for o, g := range dyr {
		dBias[o] += g
		for j, xv := range win {
			dW[j*O+o] += xv * g
		}
		if dx == nil {
			continue
		}
		dwin := dx[off:][:KC]
		for j := range dwin {
			dwin[j] += g * w[j*O+o]
		}
	}
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
