//go:build cuda

package core

import "github.com/seqnn/seqnn/kernels"

// Conv1D is the shape of a one-dimensional convolution, channels-last with valid
// padding as Keras 2.1.1's Conv1D: x (B, T, C), kernel w (K, C, O), bias (O),
// y (B, To, O) with To = (T-K)/S + 1.
type Conv1D struct {
	T, C, K, S, O int
	Act           kernels.Activation
	Alpha         float64 // LeakyReLU's slope
}

// To is the number of output steps.
func (c Conv1D) To() int { return (c.T-c.K)/c.S + 1 }

func (c Conv1D) check(op string, B int) {
	positive(op, B, c.T, c.C, c.K, c.S, c.O)
	if c.K > c.T {
		panic("cuda: " + op + ": kernel wider than the sequence")
	}
}

// Conv1DForward queues y = act(conv(x, w) + bias):
//
//	y[b,t,o] = act(bias[o] + Σ_{k,c} x[b, tS+k, c]·w[k,c,o])
func Conv1DForward[T Float](d Driver, c Conv1D, y, x, w, bias *Buffer[T], B int) error {
	c.check("Conv1DForward", B)
	To := c.To()
	need("Conv1DForward", "x", x, B*c.T*c.C)
	need("Conv1DForward", "w", w, c.K*c.C*c.O)
	need("Conv1DForward", "y", y, B*To*c.O)
	if err := fillRows(d, y, bias, 0, B*To, c.O); err != nil {
		return err
	}
	err := launch(d, "conv_fwd"+suffix[T](), linear(B*To*c.O), y.ptr, x.ptr, w.ptr, B, c.T,
		c.C, c.K, c.S, c.O)
	if err != nil || c.Act == kernels.Linear {
		return err
	}
	return ActForward(d, c.Act, y, sub(y, B*To*c.O), T(c.Alpha))
}

// Conv1DBackward reverses Conv1DForward for dy (B, To, O), given the forward's output y
// and input x. It overwrites dy with ∂L/∂(pre-activation), adds into dw (K, C, O) and
// dbias (O), and overwrites dx (B, T, C) unless dx is nil:
//
//	dz = dy∘act'(y)    dbias[o] += Σ_{b,t} dz[b,t,o]
//	dw[k,c,o] += Σ_{b,t} x[b,tS+k,c]·dz[b,t,o]
//	dx[b,i,c] = Σ_{t,k: tS+k=i} Σ_o dz[b,t,o]·w[k,c,o]
func Conv1DBackward[T Float](d Driver, c Conv1D, dx, dw, dbias, dy, y, x, w *Buffer[T],
	B int) error {
	c.check("Conv1DBackward", B)
	To := c.To()
	need("Conv1DBackward", "x", x, B*c.T*c.C)
	need("Conv1DBackward", "dw", dw, c.K*c.C*c.O)
	need("Conv1DBackward", "y", y, B*To*c.O)
	n := B * To * c.O
	sfx := suffix[T]()
	need("Conv1DBackward", "dy", dy, n)
	if c.Act != kernels.Linear {
		if err := ActBackward(d, c.Act, dy, dy, sub(y, n), T(c.Alpha)); err != nil {
			return err
		}
	}
	if err := ColSum(d, dbias, dy, B*To, c.O); err != nil {
		return err
	}
	err := launch(d, "conv_bwd_w"+sfx, linear(c.K*c.C*c.O), dw.ptr, dy.ptr, x.ptr, B, c.T,
		c.C, c.K, c.S, c.O)
	if err != nil || dx == nil {
		return err
	}
	need("Conv1DBackward", "dx", dx, B*c.T*c.C)
	return launch(d, "conv_bwd_x"+sfx, linear(B*c.T*c.C), dx.ptr, dy.ptr, w.ptr, B, c.T, c.C,
		c.K, c.S, c.O)
}

// sub is a view of the first n elements of b, for kernels that take their length from a
// buffer. The view does not own the memory: never Free it.
func sub[T Float](b *Buffer[T], n int) *Buffer[T] {
	need("sub", "buffer", b, n)
	return &Buffer[T]{d: b.d, ptr: b.ptr, n: n}
}
