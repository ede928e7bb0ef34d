// Package kernels holds the CPU arithmetic of seqnn: matrix products over gonum's BLAS,
// activations and their derivatives, the LSTM and GRU gate arithmetic, Conv1D, dropout
// masks, the mean squared error and the Adam update.
//
// Every kernel is generic over float32 (training) and float64 (gradient checks) and works
// on flat row-major slices the caller owns; no kernel allocates, except that sgemm grows
// its pack buffers and starts its helpers on first use. Kernels panic on programmer error
// (a slice too short for the sizes given) and never print.
//
// Names, used the same way across the package and in nn:
//
//	B  batch size          T  time steps           F  input features
//	H  hidden units        K  kernel width         S  stride
//	C  input channels      O  outputs (filters, units of a dense layer)
//
// A buffer's shape is written row-major, outermost first: x (B, T, F) holds x[b][t][f] at
// b*T*F + t*F + f. Gradients carry a d prefix: dX is ∂L/∂X.
package kernels

// Float is the element type of every kernel.
type Float interface {
	float32 | float64
}
