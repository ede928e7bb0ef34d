//go:build openblas

// Package openblas links OpenBLAS into a binary built with the openblas tag: the cgo
// bindings of gonum.org/v1/netlib call cblas_* but name no library, and package kernels,
// which installs them, cannot use cgo itself (Go assembly and cgo do not mix in one
// package). Importing this package for its side effect adds -lopenblas to the link.
package openblas

// #cgo LDFLAGS: -lopenblas
import "C"
