// Package optim holds seqnn's optimizers. An optimizer sees a model only as lists of
// parameter and gradient tensors ([][]T, in a fixed order), so it depends on the kernels
// package and not on nn.
//
// Conventions with variants default to Keras 2.1.1, the version the tutorial used; each
// optimizer's doc comment says which options select the PyTorch form.
package optim
