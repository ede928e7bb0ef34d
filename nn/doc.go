// Package nn holds seqnn's layers, the sequential model and the loss, each with a
// hand-written forward and backward pass over the kernels package.
//
// Names follow the kernels package legend: B batch, T time steps, F input features,
// H hidden units, K kernel width, S stride, C channels, O outputs. A layer sees one
// batch as a flat row-major slice of shape (B, in...) and writes (B, out...), where in and
// out are its per-sample Shapes: (T, F) for a sequence, (O) for a vector.
//
// Conventions with variants follow Keras 2.1.1 by default, the version the 2017 tutorial
// "Predicting Cryptocurrency Price With Tensorflow and Keras" used: weight layouts and
// names, gate orders, hard_sigmoid as the recurrent activation, initializers. Each layer's
// doc comment states its equations and the options that select the PyTorch/cuDNN forms.
//
// Misuse of a built model panics with a message naming what was given and what is wanted:
// a buffer of the wrong length, a batch outside [1, MaxB], a Backward with no Forward
// before it or with another batch than the last Forward's. Building one returns an error:
// a layer that does not fit its input shape, a nil layer, or one layer instance given at
// two positions.
package nn
