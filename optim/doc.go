// Package optim holds seqnn's optimizers. An optimizer sees a model only as lists of
// parameter and gradient tensors ([][]T, in a fixed order), so it depends on the kernels
// package and not on nn.
//
// Conventions with variants default to Keras 2.1.1, the version the tutorial used; each
// optimizer's doc comment says which options select the PyTorch form.
//
// Misuse panics with a message naming what was given and what is wanted: tensor lists
// that do not match the optimizer's, or a configuration outside the range the optimizer
// is defined on (a zero AdamConfig among them). A configuration's Validate method reports
// the same problem as an error, for callers that take it from a user.
package optim
